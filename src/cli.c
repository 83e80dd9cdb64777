/*
 * cli: the shared options of every command — parsed, accepted or refused
 * here and nowhere else, by what the command's row in main.c says it
 * takes — and the help text built from the same row, so that what --help
 * lists is what the command accepts.
 */
#include "config.h"
#include "cli.h"
#include "output.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct option shared_opts[] = {
	{ "as", required_argument, NULL, ML_OPT_AS },
	{ "base", required_argument, NULL, ML_OPT_BASE },
	{ "region", required_argument, NULL, ML_OPT_REGION },
	{ "freeze", no_argument, NULL, ML_OPT_FREEZE },
	{ "strict", no_argument, NULL, ML_OPT_STRICT },
	{ "quiet", no_argument, NULL, ML_OPT_QUIET },
	{ "help", no_argument, NULL, ML_OPT_HELP },
	{ "output", required_argument, NULL, ML_OPT_OUT },
	{ "map", required_argument, NULL, ML_OPT_MAP },
	{ "html", required_argument, NULL, ML_OPT_HTML },
	{ "json", no_argument, NULL, ML_OPT_JSON },
};

/*
 * Each shared option: how messages name it and the row flag it needs (0:
 * every command takes it).  source: it is about the SOURCE operand.
 */
static const struct {
	const char *name;
	unsigned needs;
	bool source;
} shared[ML_OPT__END - ML_OPT_AS] = {
	[ML_OPT_AS - ML_OPT_AS] = { "--as", ML_CMD_SOURCE, true },
	[ML_OPT_BASE - ML_OPT_AS] = { "--base", ML_CMD_SOURCE, true },
	[ML_OPT_REGION - ML_OPT_AS] = { "--region", ML_CMD_REGION, true },
	[ML_OPT_FREEZE - ML_OPT_AS] = { "--freeze", ML_CMD_FREEZE, true },
	[ML_OPT_STRICT - ML_OPT_AS] = { "--strict", 0, false },
	[ML_OPT_QUIET - ML_OPT_AS] = { "--quiet", 0, false },
	[ML_OPT_HELP - ML_OPT_AS] = { "--help", 0, false },
	[ML_OPT_OUT - ML_OPT_AS] = { "-o", ML_CMD_OUT, false },
	[ML_OPT_MAP - ML_OPT_AS] = { "--map", ML_CMD_MAP, false },
	[ML_OPT_HTML - ML_OPT_AS] = { "--html", ML_CMD_HTML, false },
	[ML_OPT_JSON - ML_OPT_AS] = { "--json", ML_CMD_JSON, false },
};

#define GIVEN(c, opt) ((c)->given & (1u << ((opt) - ML_OPT_AS)))

const struct ml_command *ml_find_command(const char *name)
{
	for (const struct ml_command *c = ml_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static void vline(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void vline(const char *fmt, va_list ap)
{
	fputs("memlens: ", stderr);
	if (ml_cmd)
		fprintf(stderr, "%s: ", ml_cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int ml_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(fmt, ap);
	va_end(ap);
	return ML_EXIT_USAGE;
}

int ml_cli_refuse(const char *opt, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	ml_usage_error("%s does not apply: %s", opt, why);
	return -1;
}

/* ---- help ---- */

static const char source_help[] =
	"Source:\n"
	"  SOURCE                PID, pid:PID, self, or a file (ELF core, minidump, LiME\n"
	"                        or raw, sniffed by content)\n"
	"  --as KIND             read the file as this kind instead of sniffing:\n"
	"                        core, vmcore, lime, minidump or raw\n"
	"  --base ADDR           address of a raw file's first byte (hex; default 0)\n";
static const char live_help[] =
	"Source:\n"
	"  SOURCE                PID or pid:PID: a live process\n";
static const char freeze_help[] =
	"  --freeze              stop every thread of a live process while reading\n";
static const char region_help[] =
	"  --region SPEC         select regions (repeatable; default all): heap, stack,\n"
	"                        anon, file, exec, vdso, vvar, vsyscall, phys, raw,\n"
	"                        a path substring (or path:TEXT), or an address range\n"
	"                        START-END / START+LEN (hex; LEN may be 4K, 2M, ...)\n";
static const char common_help[] =
	"  --strict              exit 1 (and write no file) when anything could not be\n"
	"                        read\n"
	"  --quiet               no warnings on stderr\n"
	"  -h, --help            this help\n";

void ml_print_help(const char *cmd, FILE *f)
{
	const struct ml_command *c = cmd ? ml_find_command(cmd) : NULL;
	if (c) {
		fputs(c->help, f);
		if (c->flags & ML_CMD_SOURCE)
			fputs(c->flags & ML_CMD_LIVE ? live_help : source_help, f);
		if (c->flags & ML_CMD_FREEZE)
			fputs(freeze_help, f);
		if (c->flags & ML_CMD_REGION)
			fputs(region_help, f);
		fputs(common_help, f);
		if ((c->flags & (ML_CMD_OUT | ML_CMD_MAP | ML_CMD_HTML)) && !(c->flags & ML_CMD_OUT_FILE))
			fprintf(f, "\n%s - writes to standard output (refused when it is a terminal).\n",
				(c->flags & ML_CMD_HTML) ? "Each of -o, --map and --html" :
				(c->flags & ML_CMD_MAP) ? "-o or --map" : "-o");
		return;
	}
	fprintf(f,
		"Usage: memlens COMMAND [OPTIONS] SOURCE\n"
		"Look inside process memory: a live process, an ELF core or vmcore, a Windows\n"
		"minidump, or a raw/LiME dump.\n\n"
		"Commands:\n");
	for (c = ml_commands; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fprintf(f,
		"\n"
		"  memlens help COMMAND    help on one command (also: memlens COMMAND --help)\n"
		"  memlens --version       version\n\n"
		"SOURCE is PID, pid:PID, self, or a file; files are sniffed (ELF core or vmcore,\n"
		"minidump, LiME, else raw).  Exit status: 0 done, 1 failed, 2 usage error.\n"
		"See memlens(1) and memlens-COMMAND(1).\n");
}

/* ---- near misses ---- */

size_t ml_edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > 64 || m > 64)
		return (size_t)-1;
	size_t d[65][65];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = ML_MIN(d[i - 1][j] + 1, d[i][j - 1] + 1);
			v = ML_MIN(v, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				v = ML_MIN(v, d[i - 2][j - 2] + 1);
			d[i][j] = v;
		}
	return d[n][m];
}

/* Close enough to be a typo: two edits, or one for very short words. */
static bool near(const char *typed, const char *name, size_t *best)
{
	size_t d = ml_edit_distance(typed, name);
	size_t limit = strlen(name) <= 3 ? 1 : 2;
	if (d > limit || d >= *best)
		return false;
	*best = d;
	return true;
}

const char *ml_nearest_command(const char *name)
{
	const char *hit = NULL;
	size_t best = (size_t)-1;
	for (const struct ml_command *c = ml_commands; c->name; c++)
		if (near(name, c->name, &best))
			hit = c->name;
	return hit;
}

/* ---- parsing ---- */

void ml_cli_init(struct ml_cli *c, int argc, char **argv)
{
	memset(c, 0, sizeof *c);
	c->cmd = ml_cmd ? ml_find_command(ml_cmd) : NULL;
	c->flags = c->cmd ? c->cmd->flags : 0;
	c->argc = argc;
	c->argv = argv;
	size_t own = 0;
	while (c->cmd && c->cmd->opts && c->cmd->opts[own].name)
		own++;
	size_t n = ML_ARRAY_SIZE(shared_opts);
	c->longopts = ml_calloc(n + own + 1, sizeof *c->longopts);
	memcpy(c->longopts, shared_opts, sizeof shared_opts);
	if (own)
		memcpy(c->longopts + n, c->cmd->opts, own * sizeof *c->longopts);
	snprintf(c->optstring, sizeof c->optstring, ":ho:%s", c->cmd && c->cmd->shorts ? c->cmd->shorts : "");
	optind = 0;	/* glibc: start afresh (tests parse several command lines) */
	opterr = 0;	/* every complaint is ours, in one line */
}

/* The option as typed, without "=VALUE": "--bpp" for "--bpp=8". */
static void typed_option(const struct ml_cli *c, char *buf, size_t len)
{
	if (optopt) {
		snprintf(buf, len, "-%c", optopt);
		return;
	}
	const char *arg = optind > 0 && optind <= c->argc ? c->argv[optind - 1] : "?";
	snprintf(buf, len, "%.*s", (int)strcspn(arg, "="), arg);
}

/* An option of another command: "--bpp is an option of image". */
static const char *owner_of(const char *name)
{
	for (const struct ml_command *k = ml_commands; k->name; k++)
		for (const struct option *o = k->opts; o && o->name; o++)
			if (!strcmp(o->name, name))
				return k->name;
	return NULL;
}

static int bad_option(const struct ml_cli *c, int opt)
{
	char typed[128];
	typed_option(c, typed, sizeof typed);
	if (opt == ':')
		return ml_usage_error("option '%s' needs an argument", typed), -1;
	if (typed[0] == '-' && typed[1] == '-') {
		const char *word = typed + 2;
		size_t len = strlen(word), prefixed = 0, best = (size_t)-1;
		const char *near_name = NULL;
		char list[256] = "";
		for (const struct option *o = c->longopts; o->name; o++) {
			if (len && !strncmp(o->name, word, len)) {
				size_t l = strlen(list);
				snprintf(list + l, sizeof list - l, "%s--%s", prefixed++ ? ", " : "", o->name);
			}
			if (near(word, o->name, &best))
				near_name = o->name;
		}
		if (prefixed > 1)
			return ml_usage_error("option '%s' is ambiguous: %s", typed, list), -1;
		const char *owner = owner_of(word);
		if (owner)
			return ml_usage_error("unknown option '%s': it is an option of %s, not of %s", typed,
					      owner, ml_cmd), -1;
		if (near_name)
			return ml_usage_error("unknown option '%s' (did you mean '--%s'?)", typed, near_name), -1;
	}
	return ml_usage_error("unknown option '%s'", typed), -1;
}

static int shared_option(struct ml_cli *c, int opt, const char *arg)
{
	const char *why;
	switch (opt) {
	case 'h':
		opt = ML_OPT_HELP;
		break;
	case 'o':
		opt = ML_OPT_OUT;
		break;
	default:
		if (opt < ML_OPT_AS || opt >= ML_OPT__END)
			return 0;
	}
	c->given |= 1u << (opt - ML_OPT_AS);
	switch (opt) {
	case ML_OPT_AS:
		if (!(c->open.as = ml_source_kind_named(arg)))
			return ml_usage_error("--as %s: expected %s", arg, ml_source_kind_list()), -1;
		break;
	case ML_OPT_BASE:
		if (ml_parse_addr(arg, &c->open.base))
			return ml_usage_error("--base %s: not a hex address", arg), -1;
		c->base_set = true;
		break;
	case ML_OPT_REGION:
		c->specs = ml_reallocarray(c->specs, c->nspecs + 1, sizeof *c->specs);
		c->spec_args = ml_reallocarray(c->spec_args, c->nspecs + 1, sizeof *c->spec_args);
		if (ml_spec_parse(arg, &c->specs[c->nspecs], &why))
			return ml_usage_error("--region '%s': %s", arg, why), -1;
		c->spec_args[c->nspecs++] = arg;
		break;
	case ML_OPT_FREEZE: c->open.freeze = true; break;
	case ML_OPT_STRICT: c->strict = true; break;
	case ML_OPT_QUIET: ml_quiet = true; break;
	case ML_OPT_OUT: c->out = arg; break;
	case ML_OPT_MAP: c->map = arg; break;
	case ML_OPT_HTML: c->html = arg; break;
	case ML_OPT_JSON: c->json = true; break;
	case ML_OPT_HELP:
		ml_print_help(ml_cmd, stdout);
		ml_cli_free(c);
		exit(fflush(stdout) ? ML_EXIT_FAIL : ML_EXIT_OK);
	}
	if (opt == ML_OPT_OUT || opt == ML_OPT_MAP || opt == ML_OPT_HTML) {
		if (!*arg)
			return ml_usage_error("%s needs a file name (or - for standard output)",
					      shared[opt - ML_OPT_AS].name), -1;
	}
	return 1;
}

int ml_cli_next(struct ml_cli *c)
{
	for (;;) {
		optopt = 0;
		int opt = getopt_long(c->argc, c->argv, c->optstring, c->longopts, NULL);
		if (opt == -1)
			return 0;
		if (opt == '?' || opt == ':')
			return bad_option(c, opt);
		int r = shared_option(c, opt, optarg);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		return opt;
	}
}

void ml_cli_mode(struct ml_cli *c, const char *mode)
{
	c->mode = mode;
	c->flags &= ~(unsigned)(ML_CMD_SOURCE | ML_CMD_FREEZE | ML_CMD_REGION);
}

/* "image, hilbert": the commands whose rows carry flag. */
static void commands_with(unsigned flag, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (const struct ml_command *k = ml_commands; k->name && o < len; k++)
		if (k->flags & flag)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", k->name);
}

/* Refuses the shared options the row (or mode) does not take. */
static int check_rows(const struct ml_cli *c)
{
	/* A command of live processes only: the options that place or sniff a file cannot apply. */
	if ((c->flags & ML_CMD_LIVE) && (GIVEN(c, ML_OPT_AS) || GIVEN(c, ML_OPT_BASE)))
		return ml_cli_refuse(GIVEN(c, ML_OPT_AS) ? "--as" : "--base",
				     "%s copies a live process and reads no file", ml_cmd);
	for (int opt = ML_OPT_AS; opt < ML_OPT__END; opt++) {
		unsigned needs = shared[opt - ML_OPT_AS].needs;
		const char *name = shared[opt - ML_OPT_AS].name;
		if (!GIVEN(c, opt) || !needs || (c->flags & needs))
			continue;
		if (c->mode && shared[opt - ML_OPT_AS].source)
			return ml_cli_refuse(name, "%s reads no SOURCE", c->mode);
		char list[128];
		commands_with(needs, list, sizeof list);
		return ml_cli_refuse(name, "%s does not take it (%s %s)", ml_cmd, list,
				     strchr(list, ',') ? "do" : "does");
	}
	return 0;
}

/* SOURCE (or both) is a process or a file: the options that only fit the other. */
static int check_source(struct ml_cli *c)
{
	const char *src[2] = { c->source, c->source2 };
	bool live[2] = { false, false };
	int pid[2] = { 0, 0 };
	size_t n = c->source2 ? 2 : 1, nlive = 0;
	for (size_t i = 0; i < n; i++) {
		int isp = ml_source_pid(src[i], &pid[i]);
		if (isp < 0)
			return ml_usage_error("%s: not a valid pid", src[i]), -1;
		live[i] = isp > 0;
		nlive += live[i];
	}
	c->live = live[0];
	c->live2 = live[1];
	if (!c->live && (c->flags & ML_CMD_LIVE))
		return ml_usage_error("%s: not a process: %s copies a live process (1234 or pid:1234)",
				      c->source, ml_cmd), -1;
	if (nlive == n && GIVEN(c, ML_OPT_AS))
		return n == 1 ? ml_cli_refuse("--as", "%s is a live process, not a file", c->source)
			      : ml_cli_refuse("--as", "%s and %s are live processes, not files", src[0], src[1]);
	if (nlive == n && c->base_set)
		return n == 1 ? ml_cli_refuse("--base", "%s is a live process, not a raw file", c->source)
			      : ml_cli_refuse("--base", "%s and %s are live processes, not raw files", src[0], src[1]);
	for (size_t i = 0; i < n; i++)
		if (live[i] && c->open.freeze && pid[i] == (int)getpid())
			return ml_cli_refuse("--freeze", "memlens cannot stop its own threads (%s)", src[i]);
	if (!nlive && c->open.freeze)
		return n == 1 ? ml_cli_refuse("--freeze", "it stops a live process's threads; %s is a file "
					      "(a pid is written 1234, pid:1234 or self)", c->source)
			      : ml_cli_refuse("--freeze", "it stops a live process's threads; %s and %s are files "
					      "(a pid is written 1234, pid:1234 or self)", src[0], src[1]);
	if (nlive == 2 && c->open.freeze)
		return ml_cli_refuse("--freeze", "it stops one process at a time; %s and %s are both live", src[0],
				     src[1]);
	if (c->base_set && c->open.as && !(ml_source_kind_caps(c->open.as) & ML_CAP_BASE))
		return ml_cli_refuse("--base", "it places a raw file; --as %s reads %s",
				     ml_source_kind_name(c->open.as), ml_source_kind_what(c->open.as));
	return 0;
}

static int check_outputs(const struct ml_cli *c)
{
	static const int outs[] = { ML_OPT_OUT, ML_OPT_MAP, ML_OPT_HTML };
	const char *const val[] = { c->out, c->map, c->html };
	const char *first = NULL;
	for (size_t i = 0; i < ML_ARRAY_SIZE(outs); i++) {
		const char *name = shared[outs[i] - ML_OPT_AS].name;
		if (!val[i] || strcmp(val[i], "-"))
			continue;
		if (ml_isatty(STDOUT_FILENO))
			return ml_usage_error("%s -: standard output is a terminal; redirect it (| or >) or name a file",
					      name), -1;
		if (first)
			return ml_usage_error("%s - and %s - would both write to standard output", first, name), -1;
		first = name;
	}
	if (first && c->json)
		return ml_usage_error("%s - and --json would both write to standard output", first), -1;
	if ((c->flags & ML_CMD_OUT_FILE) && c->out && ml_out_is_stream(c->out))
		return ml_usage_error("-o %s: %s needs a regular file (%s), not a stream", c->out, ml_cmd,
				      c->cmd && c->cmd->out_what ? c->cmd->out_what : "a regular file"), -1;
	if ((c->flags & ML_CMD_OUT_NEEDED) && !c->out)
		return ml_usage_error("missing -o OUT (%s)", c->cmd && c->cmd->out_what ? c->cmd->out_what : "a file"), -1;
	return 0;
}

int ml_cli_done(struct ml_cli *c)
{
	if (check_rows(c))
		return -1;
	if (c->mode) {
		if (optind < c->argc)
			return ml_usage_error("%s takes no SOURCE (got '%s')", c->mode, c->argv[optind]), -1;
	} else if (c->flags & ML_CMD_SOURCE) {
		if (optind >= c->argc)
			return ml_usage_error("missing SOURCE (a pid, self, or a dump file)"), -1;
		c->source = c->argv[optind++];
		if ((c->flags & ML_CMD_SOURCE2) && optind >= c->argc)
			return ml_usage_error("missing the second SOURCE (A and B: pids, self, or dump files)"), -1;
		if (c->flags & ML_CMD_SOURCE2)
			c->source2 = c->argv[optind++];
		if (optind < c->argc)
			return ml_usage_error("unexpected argument '%s'", c->argv[optind]), -1;
		if (check_source(c))
			return -1;
	} else if (optind < c->argc) {
		return ml_usage_error("unexpected argument '%s'", c->argv[optind]), -1;
	}
	return check_outputs(c);
}

/* ---- opening ---- */

/* "anon, file, heap, ...": the --region words of the kinds s has. */
static void kinds_here(const struct ml_space *s, char *buf, size_t len)
{
	bool seen[ML_KIND__COUNT] = { false }, exec = false;
	for (size_t i = 0; i < s->n; i++) {
		seen[s->r[i].kind] = true;
		exec |= (s->r[i].prot & ML_PROT_X) != 0;
	}
	size_t o = 0;
	buf[0] = '\0';
	for (int k = 0; k < ML_KIND__COUNT && o < len; k++) {
		const char *w = ml_spec_kind_word((enum ml_kind)k);
		if (seen[k] && w)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", w);
	}
	if (exec && o < len)
		snprintf(buf + o, len - o, "%sexec", o ? ", " : "");
}

/* Says why spec selected nothing: an error, or a warning when others did select. */
static void unmatched(const struct ml_space *s, const struct ml_spec *sp, const char *arg, bool fatal)
{
	void (*say)(const char *, ...) = fatal ? ml_err : ml_warn;
	char kinds[256];
	kinds_here(s, kinds, sizeof kinds);
	char *src = ml_escape(s->name);
	switch (sp->type) {
	case ML_SPEC_PATH: {
		char *t = ml_escape(sp->text);
		say("%s: no region's kind or path contains '%s' (kinds here: %s)", src, t,
		    *kinds ? kinds : "none");
		free(t);
		break;
	}
	case ML_SPEC_RANGE:
		say("%s: --region %s meets no region%s", src, arg, s->n ? "" : " (it has none)");
		break;
	default:
		say("%s: no %s region (kinds here: %s)", src, arg, *kinds ? kinds : "none");
	}
	free(src);
}

/* Opens one SOURCE; --as and --base apply to files only (check_source refused them for processes). */
static int open_space(struct ml_cli *c, const char *name, bool live, struct ml_space **s)
{
	struct ml_open_opts o = c->open;
	if (live)
		o.as = NULL;	/* a process: no file kind */
	*s = NULL;
	if (ml_space_open(s, name, &o))
		return ML_EXIT_FAIL;
	if (c->base_set && !ml_space_can(*s, ML_CAP_BASE)) {
		ml_cli_refuse("--base", "%s is %s (sniffed by content; --as raw reads it as raw)", name,
			      ml_space_what(*s));
		ml_space_close(*s);
		*s = NULL;
		return ML_EXIT_USAGE;
	}
	return 0;
}

/* Whether spec k selects nothing in s. */
static bool selects_nothing(const struct ml_cli *c, const struct ml_space *s, size_t k)
{
	struct ml_selection one;
	ml_select(s, &c->specs[k], 1, &one);
	bool empty = one.n == 0;
	ml_selection_free(&one);
	return empty;
}

int ml_cli_open(struct ml_cli *c, struct ml_space **s, struct ml_selection *sel)
{
	memset(sel, 0, sizeof *sel);
	int r = open_space(c, c->source, c->live, s);
	if (r)
		return r;
	ml_select(*s, c->specs, c->nspecs, sel);
	/* Each --region that selects nothing is said; none at all is an error. */
	for (size_t k = 0; k < c->nspecs; k++) {
		if (!selects_nothing(c, *s, k))
			continue;
		unmatched(*s, &c->specs[k], c->spec_args[k], sel->n == 0);
		if (sel->n == 0) {
			ml_space_close(*s);
			*s = NULL;
			return ML_EXIT_FAIL;
		}
	}
	return 0;
}

int ml_cli_open2(struct ml_cli *c, struct ml_space **a, struct ml_selection *sa, struct ml_space **b,
		 struct ml_selection *sb)
{
	memset(sa, 0, sizeof *sa);
	memset(sb, 0, sizeof *sb);
	*b = NULL;
	int r = open_space(c, c->source, c->live, a);
	if (r || (r = open_space(c, c->source2, c->live2, b))) {
		ml_space_close(*a);
		*a = NULL;
		return r;
	}
	ml_select(*a, c->specs, c->nspecs, sa);
	ml_select(*b, c->specs, c->nspecs, sb);
	bool none = sa->n == 0 && sb->n == 0;
	for (size_t k = 0; k < c->nspecs; k++) {
		if (!selects_nothing(c, *a, k) || !selects_nothing(c, *b, k))
			continue;
		unmatched(*b, &c->specs[k], c->spec_args[k], none);
		if (none)
			break;
	}
	if (none) {
		if (!c->nspecs)
			ml_err("%s and %s have no regions", c->source, c->source2);
		ml_selection_free(sa);
		ml_selection_free(sb);
		ml_space_close(*a);
		ml_space_close(*b);
		*a = *b = NULL;
		return ML_EXIT_FAIL;
	}
	return 0;
}

void ml_cli_free(struct ml_cli *c)
{
	for (size_t i = 0; i < c->nspecs; i++)
		ml_spec_free(&c->specs[i]);
	free(c->specs);
	free(c->spec_args);
	free(c->longopts);
	c->specs = NULL;
	c->spec_args = NULL;
	c->longopts = NULL;
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
