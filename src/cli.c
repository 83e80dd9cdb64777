/*
 * cli: the options every byte-reading command shares, and their parsing.
 */
#include "config.h"
#include "cli.h"
#include "util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char ml_cli_help[] =
	"Source and selection:\n"
	"  SOURCE                PID, pid:PID, self, or a file (ELF core, LiME or raw,\n"
	"                        sniffed by content)\n"
	"  --as raw|core|lime    read the file as this kind instead of sniffing\n"
	"  --base ADDR           address of a raw file's first byte (hex; default 0)\n"
	"  --freeze              stop every thread of a live process while reading\n"
	"  --region SPEC         select regions (repeatable; default all): heap, stack,\n"
	"                        anon, file, exec, vdso, vvar, vsyscall, phys, raw,\n"
	"                        a path substring (or path:TEXT), or an address range\n"
	"                        START-END / START+LEN (hex; LEN may be 4K, 2M, ...)\n"
	"  --strict              exit 1 when anything could not be read\n"
	"  --quiet               no warnings on stderr\n"
	"  --help                this help\n";

int ml_usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("memlens: ", stderr);
	if (ml_cmd)
		fprintf(stderr, "%s: ", ml_cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'memlens %s%s--help' for more information.\n",
		ml_cmd ? ml_cmd : "", ml_cmd ? " " : "");
	return ML_EXIT_USAGE;
}

void ml_cli_bad_option(int opt, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";
	if (opt == ':')
		ml_usage_error("option '%s' needs an argument", arg);
	else
		ml_usage_error("unknown option '%s'", arg);
}

int ml_cli_option(struct ml_cli *c, int opt, const char *arg)
{
	const char *why;
	switch (opt) {
	case ML_OPT_AS:
		if (!strcmp(arg, "raw")) c->open.as = ML_SRC_RAW;
		else if (!strcmp(arg, "core")) c->open.as = ML_SRC_CORE;
		else if (!strcmp(arg, "lime")) c->open.as = ML_SRC_LIME;
		else {
			ml_usage_error("--as %s: expected raw, core or lime", arg);
			return -1;
		}
		return 1;
	case ML_OPT_BASE:
		if (ml_parse_addr(arg, &c->open.base)) {
			ml_usage_error("--base %s: not a hex address", arg);
			return -1;
		}
		c->base_set = true;
		return 1;
	case ML_OPT_REGION:
		c->specs = ml_reallocarray(c->specs, c->nspecs + 1, sizeof *c->specs);
		if (ml_spec_parse(arg, &c->specs[c->nspecs], &why)) {
			ml_usage_error("--region '%s': %s", arg, why);
			return -1;
		}
		c->nspecs++;
		return 1;
	case ML_OPT_FREEZE:
		c->open.freeze = true;
		return 1;
	case ML_OPT_STRICT:
		c->strict = true;
		return 1;
	case ML_OPT_QUIET:
		ml_quiet = true;
		return 1;
	case ML_OPT_HELP:
		ml_print_help(ml_cmd, stdout);
		exit(ML_EXIT_OK);
	}
	return 0;
}

int ml_cli_source(struct ml_cli *c, int argc, char **argv)
{
	if (optind >= argc) {
		ml_usage_error("missing SOURCE (a pid, self, or a dump file)");
		return -1;
	}
	if (optind + 1 < argc) {
		ml_usage_error("unexpected argument '%s'", argv[optind + 1]);
		return -1;
	}
	c->source = argv[optind];
	return 0;
}

int ml_cli_open(struct ml_cli *c, struct ml_space **s, struct ml_selection *sel)
{
	if (c->base_set && c->open.as != ML_SRC_RAW && c->open.as != ML_SRC_AUTO) {
		ml_err("--base applies to raw files only");
		return -1;
	}
	if (ml_space_open(s, c->source, &c->open))
		return -1;
	if (c->base_set && (*s)->kind != ML_SRC_RAW)
		ml_warn("--base ignored: %s is a %s source, not raw", c->source,
			ml_src_name((*s)->kind));
	ml_select(*s, c->specs, c->nspecs, sel);
	if (c->nspecs && sel->n == 0) {
		ml_err("%s: the selection matches no region", c->source);
		ml_space_close(*s);
		*s = NULL;
		return -1;
	}
	return 0;
}

void ml_cli_free(struct ml_cli *c)
{
	for (size_t i = 0; i < c->nspecs; i++)
		ml_spec_free(&c->specs[i]);
	free(c->specs);
	c->specs = NULL;
	c->nspecs = 0;
}

int ml_cli_finish(const struct ml_cli *c, bool incomplete)
{
	if (c->strict && (incomplete || ml_warnings)) {
		ml_err("incomplete result (--strict)");
		return ML_EXIT_FAIL;
	}
	return ML_EXIT_OK;
}
