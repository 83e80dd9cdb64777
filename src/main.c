/*
 * main: memlens's entry point — the command table, global --help and
 * --version, `memlens help CMD`, and dispatch to cmd_NAME().
 */
#include "config.h"
#include "commands.h"
#include "cli.h"
#include "util.h"
#include "cleanup.h"

#include <stdlib.h>
#include <string.h>

const struct ml_command ml_commands[] = {
	{ "regions", cmd_regions, "list the regions of a process, core or dump", cmd_regions_help, 1 },
	{ "image", cmd_image, "draw memory as a BMP or PNG picture", cmd_image_help, 1 },
	{ "sound", cmd_sound, "play memory as sound (WAV, FLAC, AIFF, ...)", cmd_sound_help, 1 },
	{ "pagemap", cmd_pagemap, "what the kernel says about every page", cmd_pagemap_help, 1 },
	{ "heap", cmd_heap, "map a glibc heap: which 16-byte granules are in use", cmd_heap_help, 1 },
	{ "hilbert", cmd_hilbert, "address space (or all processes) on a Hilbert curve", cmd_hilbert_help, 1 },
	{ "find", cmd_find, "where a string, pattern or YARA rule is in memory", cmd_find_help, 1 },
	{ "triage", cmd_triage, "what looks wrong: injected code, hooks, loader tricks", cmd_triage_help, 1 },
	{ NULL, NULL, NULL, NULL, 0 },
};

const struct ml_command *ml_find_command(const char *name)
{
	for (const struct ml_command *c = ml_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

void ml_print_help(const char *cmd, FILE *f)
{
	const struct ml_command *c = cmd ? ml_find_command(cmd) : NULL;
	if (c) {
		fputs(c->help, f);
		if (c->source_opts)
			fputs(ml_cli_help, f);
		return;
	}
	fprintf(f,
		"Usage: memlens COMMAND [OPTIONS] SOURCE\n"
		"Look inside process memory: a live process, an ELF core, or a raw/LiME dump.\n\n"
		"Commands:\n");
	for (c = ml_commands; c->name; c++)
		fprintf(f, "  %-9s %s\n", c->name, c->summary);
	fprintf(f,
		"\n"
		"  memlens help COMMAND    help on one command (also: memlens COMMAND --help)\n"
		"  memlens --version       version\n\n"
		"SOURCE is PID, pid:PID, self, or a file; files are sniffed (ELF core, LiME,\n"
		"else raw).  Exit status: 0 done, 1 failed, 2 usage error.\n"
		"See memlens(1) and memlens-COMMAND(1).\n");
}

static int usage(void)
{
	ml_print_help(NULL, stderr);
	return ML_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	ml_cleanup_init();
	if (argc < 2)
		return usage();
	const char *a = argv[1];
	if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
		ml_print_help(NULL, stdout);
		return ML_EXIT_OK;
	}
	if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
		printf("memlens %s\n", PACKAGE_VERSION);
		return ML_EXIT_OK;
	}
	if (!strcmp(a, "help")) {
		if (argc > 2 && !ml_find_command(argv[2])) {
			fprintf(stderr, "memlens: help: unknown command '%s'\n", argv[2]);
			return usage();
		}
		ml_print_help(argc > 2 ? argv[2] : NULL, stdout);
		return ML_EXIT_OK;
	}
	const struct ml_command *c = ml_find_command(a);
	if (!c) {
		fprintf(stderr, "memlens: unknown %s '%s'\n", a[0] == '-' ? "option" : "command", a);
		return usage();
	}
	ml_cmd = c->name;
	return c->run(argc - 1, argv + 1);
}
