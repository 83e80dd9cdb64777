/*
 * main: memlens's entry point — the command table, global --help and
 * --version, `memlens help CMD`, and dispatch to cmd_NAME().  Each row
 * says what its command takes; cli.c accepts or refuses the shared options
 * by these flags, the same way for every command.
 */
#include "config.h"
#include "commands.h"
#include "cli.h"
#include "util.h"
#include "cleanup.h"

#include <stdlib.h>
#include <string.h>

#define SRC (ML_CMD_SOURCE | ML_CMD_FREEZE)

const struct ml_command ml_commands[] = {
	{ "regions", cmd_regions, "list the regions of a process, core or dump", cmd_regions_help,
	  cmd_regions_opts, SRC | ML_CMD_REGION | ML_CMD_JSON, NULL, NULL },
	{ "image", cmd_image, "draw memory as a picture (PNG, BMP, TIFF, JPEG, WebP)", cmd_image_help, cmd_image_opts,
	  SRC | ML_CMD_REGION | ML_CMD_OUT | ML_CMD_OUT_NEEDED | ML_CMD_MAP,
	  "a .png or .bmp file, or - for PNG on standard output", NULL },
	{ "sound", cmd_sound, "play memory as sound (WAV, FLAC, AIFF, ...)", cmd_sound_help, cmd_sound_opts,
	  SRC | ML_CMD_REGION | ML_CMD_OUT | ML_CMD_OUT_NEEDED,
	  "an audio file, or - for WAV on standard output", NULL },
	{ "pagemap", cmd_pagemap, "what the kernel says about every page", cmd_pagemap_help, cmd_pagemap_opts,
	  SRC | ML_CMD_REGION | ML_CMD_OUT | ML_CMD_JSON, NULL, NULL },
	{ "heap", cmd_heap, "map a glibc heap: which 16-byte granules are in use", cmd_heap_help, cmd_heap_opts,
	  SRC | ML_CMD_OUT | ML_CMD_JSON, NULL, NULL },
	{ "hilbert", cmd_hilbert, "address space (or all processes) on a Hilbert curve", cmd_hilbert_help,
	  cmd_hilbert_opts, SRC | ML_CMD_REGION | ML_CMD_OUT | ML_CMD_OUT_NEEDED | ML_CMD_MAP | ML_CMD_HTML,
	  "a .png file, or - for standard output", NULL },
	{ "find", cmd_find, "where a string, pattern or YARA rule is in memory", cmd_find_help,
	  cmd_find_opts, SRC | ML_CMD_REGION | ML_CMD_JSON, NULL, "i" },
	{ "triage", cmd_triage, "what looks wrong: injected code, hooks, loader tricks", cmd_triage_help,
	  cmd_triage_opts, SRC | ML_CMD_JSON, NULL, NULL },
	{ "snapshot", cmd_snapshot, "write a live process as an ELF core (gdb, lldb, eu-stack)", cmd_snapshot_help,
	  cmd_snapshot_opts, ML_CMD_SOURCE | ML_CMD_LIVE | ML_CMD_OUT | ML_CMD_OUT_NEEDED | ML_CMD_OUT_FILE |
	  ML_CMD_JSON, "a core file, or a directory with --system", NULL },
	{ "diff", cmd_diff, "what changed between two captures: mappings and bytes", cmd_diff_help, cmd_diff_opts,
	  SRC | ML_CMD_SOURCE2 | ML_CMD_REGION | ML_CMD_OUT | ML_CMD_MAP | ML_CMD_JSON,
	  "a .png picture of the differences, or - for standard output", NULL },
	{ "watch", cmd_watch, "memory over time: a live view, an animated PNG or frames", cmd_watch_help,
	  cmd_watch_opts, SRC | ML_CMD_REGION | ML_CMD_OUT | ML_CMD_JSON,
	  "an animated .png (with --frames or --for), or DIR/%05d.png for one PNG a frame", NULL },
	{ "trace", cmd_trace, "record a program's allocations (LD_PRELOAD)", cmd_trace_help, cmd_trace_opts,
	  ML_CMD_OUT, "a record file (%p: one per process)", NULL },
	{ "trace-report", cmd_trace_report, "leaks, peak, sites and heatmap of a trace record",
	  cmd_trace_report_help, cmd_trace_report_opts, ML_CMD_OUT | ML_CMD_HTML | ML_CMD_JSON,
	  "a .png heatmap", NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

static int usage(void)
{
	ml_print_help(NULL, stderr);
	return ML_EXIT_USAGE;
}

/* One line for a word that is no command, with the nearest one if any. */
static int unknown(const char *what, const char *word)
{
	const char *near = word[0] == '-' ? NULL : ml_nearest_command(word);
	char *e = ml_escape(word);
	if (near)
		fprintf(stderr, "memlens: unknown %s '%s': did you mean '%s'?\n", what, e, near);
	else
		fprintf(stderr, "memlens: unknown %s '%s' (memlens --help lists the commands)\n", what, e);
	free(e);
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
		return fflush(stdout) ? ML_EXIT_FAIL : ML_EXIT_OK;
	}
	if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
		printf("memlens %s\n", PACKAGE_VERSION);
		return fflush(stdout) ? ML_EXIT_FAIL : ML_EXIT_OK;
	}
	if (!strcmp(a, "help")) {
		if (argc > 2 && !ml_find_command(argv[2]))
			return unknown("command", argv[2]);
		ml_print_help(argc > 2 ? argv[2] : NULL, stdout);
		return fflush(stdout) ? ML_EXIT_FAIL : ML_EXIT_OK;
	}
	const struct ml_command *c = ml_find_command(a);
	if (!c)
		return unknown(a[0] == '-' ? "option" : "command", a);
	ml_cmd = c->name;
	return c->run(argc - 1, argv + 1);
}
