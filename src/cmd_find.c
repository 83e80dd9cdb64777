/*
 * cmd_find: `memlens find SOURCE --strings|--text|--hex|--regex|--yara ...`
 * — where in memory a string, a pattern or a YARA rule is, by address.
 * The selection is streamed once in address order through the finder
 * (find.h) and, for YARA, through libyara (find_yara.h); matches are
 * printed as they are found, as a table, JSON or JSON lines.
 */
#include "config.h"
#include "commands.h"
#include "cli.h"
#include "find.h"
#include "find_yara.h"
#include "json.h"
#include "procs.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

const char cmd_find_help[] =
	"Usage: memlens find SOURCE WHAT... [--json|--jsonl] [OPTIONS]\n"
	"       memlens find --system WHAT... [--json|--jsonl] [OPTIONS]\n"
	"Search memory and print every match with its address and region.\n\n"
	"  --system              every readable process, one after the other\n\n"
	"What to look for (any combination; each may be repeated):\n"
	"  --strings             printable runs, like strings -a (tab and 0x20-0x7e)\n"
	"  --min N               shortest string reported (default 4)\n"
	"  --text TEXT           this text, as ASCII and as UTF-16LE\n"
	"  --hex 'de ad ?? ef'   these bytes; ?? is any byte\n"
	"  --regex RE            a PCRE2 regular expression over the bytes\n"
	"  --yara RULES          a YARA rules file, or a directory of .yar/.yara files\n"
	"  --encoding ascii|utf16le|all\n"
	"                        encodings for --strings (default ascii) and --text\n"
	"                        (default all)\n"
	"  -i, --ignore-case     --text and --regex ignore ASCII case\n\n"
	"Output (default: a table):\n"
	"  --jsonl               one JSON object per match, a line each\n"
	"  --limit N             stop after N matches\n\n";

enum {
	OPT_STRINGS = ML_OPT_FIRST_CMD,
	OPT_MIN,
	OPT_TEXT,
	OPT_HEX,
	OPT_REGEX,
	OPT_YARA,
	OPT_ENCODING,
	OPT_ICASE,
	OPT_JSONL,
	OPT_LIMIT,
	OPT_SYSTEM,
};

const struct option cmd_find_opts[] = {
	{ "strings", no_argument, NULL, OPT_STRINGS },
	{ "min", required_argument, NULL, OPT_MIN },
	{ "text", required_argument, NULL, OPT_TEXT },
	{ "hex", required_argument, NULL, OPT_HEX },
	{ "regex", required_argument, NULL, OPT_REGEX },
	{ "yara", required_argument, NULL, OPT_YARA },
	{ "encoding", required_argument, NULL, OPT_ENCODING },
	{ "ignore-case", no_argument, NULL, OPT_ICASE },
	{ "jsonl", no_argument, NULL, OPT_JSONL },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "system", no_argument, NULL, OPT_SYSTEM },
	{ NULL, 0, NULL, 0 },
};

enum out_mode { OUT_TABLE, OUT_JSON, OUT_JSONL };

#define NKINDS 5	/* enum ml_find_kind */

struct job {
	struct ml_space *s;
	enum out_mode out;
	const char **texts, **hexes, **regexes;
	size_t ntexts, nhexes, nregexes;
	uint64_t limit;
	uint64_t n;		/* matches printed */
	uint64_t by_kind[NKINDS];
	char **rules;		/* YARA rules that matched */
	size_t nrules;
	long cur;		/* region of the last match, a lookup cache */
	const struct ml_region *label_of;	/* region whose label is in label */
	json_t *tmpl[NKINDS];	/* one reused match object per kind */
	const struct ml_region *rjson_of;	/* region whose object is rjson */
	json_t *rjson;
	char *label;
	bool stopped;		/* --limit reached */
	bool write_failed;
	struct ml_finder *f;	/* NULL: no strings, text, hex or regex */
	struct ml_yara *y;	/* NULL: no YARA */
	bool system;		/* --system: each match says its process */
	json_t *src;		/* --system --jsonl: the current process's source */
	uint64_t n_here;	/* matches in the current source */
	/*
	 * Only strings and text: no match lies wholly inside a run of zeros,
	 * so a live process's untouched memory (a sanitizer's terabytes of
	 * shadow) is skipped unread, but for its first and last
	 * ML_FIND_SPAN bytes, where a match crossing its edge ends or starts.
	 */
	bool skip_zeros;
};

static const char *const kind_names[] = { "string", "text", "hex", "regex", "yara" };
static const char *const enc_names[] = { NULL, "ascii", "utf16le" };

static const struct ml_region *region_at(struct job *j, uint64_t addr)
{
	if (j->cur < 0 || (size_t)j->cur >= j->s->n || addr < j->s->r[j->cur].start ||
	    addr >= j->s->r[j->cur].end)
		j->cur = ml_space_find(j->s, addr);
	return j->cur < 0 ? NULL : &j->s->r[j->cur];
}

static json_t *region_json(const struct ml_region *r)
{
	json_t *o = json_object();
	if (!r)
		return o;
	json_object_set_new(o, "start", ml_json_hex(r->start));
	json_object_set_new(o, "kind", json_string(ml_kind_name(r->kind)));
	json_object_set_new(o, "path", ml_json_str(r->path));
	return o;
}

/* True when escaping would not change t: printable ASCII, no backslash. */
static bool plain(const uint8_t *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t[i] < 0x20 || t[i] > 0x7e || t[i] == '\\')
			return false;
	return true;
}

static json_t *text_json(const uint8_t *t, size_t n)
{
	return ml_json_bytes(t, n);
}

/* What the match was found by: the pattern, the encoding, or rule:$id. */
static const char *what(const struct job *j, const struct ml_find_match *m, char *buf, size_t cap)
{
	switch (m->kind) {
	case ML_FIND_STRING: return enc_names[m->enc];
	case ML_FIND_TEXT: return j->texts[m->pattern];
	case ML_FIND_HEX: return j->hexes[m->pattern];
	case ML_FIND_REGEX: return j->regexes[m->pattern];
	case ML_FIND_YARA: snprintf(buf, cap, "%s:%s", m->rule, m->id); return buf;
	}
	return "";
}

/*
 * A dump can hold millions of matches: one object per kind is kept and its
 * values are replaced in place, and each region's object is built once.
 */
static json_t *match_json(struct job *j, const struct ml_find_match *m)
{
	json_t *o = j->tmpl[m->kind];
	if (!o) {
		o = j->tmpl[m->kind] = json_object();
		json_object_set_new(o, "address", json_string(""));
		json_object_set_new(o, "length", json_integer(0));
		json_object_set_new(o, "kind", json_string(kind_names[m->kind]));
	}
	char hexaddr[24];
	snprintf(hexaddr, sizeof hexaddr, "0x%llx", (unsigned long long)m->addr);
	json_string_set(json_object_get(o, "address"), hexaddr);
	json_integer_set(json_object_get(o, "length"), (json_int_t)m->len);
	if (m->enc)
		json_object_set_new(o, "encoding", json_string(enc_names[m->enc]));
	if (m->text) {
		if (plain(m->text, m->ntext))
			json_object_set_new(o, "text", json_stringn((const char *)m->text, m->ntext));
		else
			json_object_set_new(o, "text", text_json(m->text, m->ntext));
	}
	if (m->kind == ML_FIND_STRING) {
		if (m->ntext < m->len / (m->enc == ML_ENC_UTF16LE ? 2 : 1))
			json_object_set_new(o, "text_cut", json_true());
		else
			json_object_del(o, "text_cut");
	}
	if (m->kind == ML_FIND_TEXT)
		json_object_set_new(o, "pattern", ml_json_str(j->texts[m->pattern]));
	else if (m->kind == ML_FIND_HEX)
		json_object_set_new(o, "pattern", ml_json_str(j->hexes[m->pattern]));
	else if (m->kind == ML_FIND_REGEX)
		json_object_set_new(o, "pattern", ml_json_str(j->regexes[m->pattern]));
	if (m->kind == ML_FIND_YARA) {
		json_object_set_new(o, "rule", ml_json_str(m->rule));
		json_object_set_new(o, "id", ml_json_str(m->id));
	}
	if (m->raw && (m->kind == ML_FIND_HEX || m->kind == ML_FIND_YARA)) {
		char hex[3 * 64 + 1];
		ml_hex_bytes(m->raw, ML_MIN(m->nraw, (size_t)64), hex, sizeof hex);
		json_object_set_new(o, "bytes", json_string(hex));
	}
	const struct ml_region *r = region_at(j, m->addr);
	if (r != j->rjson_of || !j->rjson) {
		json_decref(j->rjson);
		j->rjson = region_json(r);
		j->rjson_of = r;
	}
	json_object_set(o, "region", j->rjson);
	return o;
}

/* One object into a buffer, then one write: json_dumpf writes token by token. */
static int dump(json_t *v, bool steal)
{
	static char buf[1 << 16];
	const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
	size_t n = json_dumpb(v, buf, sizeof buf, flags);
	int r = 0;
	if (n == 0) {
		r = -1;
	} else if (n <= sizeof buf) {
		fwrite(buf, 1, n, stdout);
	} else {
		char *big = json_dumps(v, flags);
		r = big ? (fputs(big, stdout) < 0 ? -1 : 0) : -1;
		free(big);
	}
	if (steal)
		json_decref(v);
	return r;
}

static void put_text(const uint8_t *t, size_t n)
{
	if (plain(t, n)) {
		fwrite(t, 1, n, stdout);
		return;
	}
	char *c = ml_escape_n((const char *)t, n);
	fputs(c, stdout);
	free(c);
}

/* Preview: escaped text, or hex bytes for hex and YARA matches. */
static void print_preview(const struct ml_find_match *m)
{
	enum { MAXC = 60 };
	if (m->kind == ML_FIND_YARA && m->raw && plain(m->raw, ML_MIN(m->nraw, (size_t)MAXC))) {
		put_text(m->raw, ML_MIN(m->nraw, (size_t)MAXC));
		if (m->len > MAXC)
			fputs("...", stdout);
		return;
	}
	if (m->kind == ML_FIND_HEX || m->kind == ML_FIND_YARA) {
		char hex[3 * 16 + 1];
		ml_hex_bytes(m->raw, ML_MIN(m->nraw, (size_t)16), hex, sizeof hex);
		fputs(hex, stdout);
		if (m->nraw > 16)
			fputs(" ...", stdout);
		return;
	}
	size_t n = ML_MIN(m->ntext, (size_t)MAXC);
	put_text(m->text, n);
	if (m->ntext > n || m->ntext < m->len / (m->enc == ML_ENC_UTF16LE ? 2 : 1))
		fputs("...", stdout);
}

/* "KIND PATH" of a region, escaped once per region rather than per match. */
static const char *region_label(struct job *j, const struct ml_region *r)
{
	if (!r)
		return "";
	if (r != j->label_of) {
		free(j->label);
		char *p = r->path ? ml_escape(r->path) : NULL;
		size_t l = strlen(ml_kind_name(r->kind)) + (p ? strlen(p) + 1 : 0) + 1;
		j->label = ml_malloc(l);
		snprintf(j->label, l, "%s%s%s", ml_kind_name(r->kind), p ? " " : "", p ? p : "");
		free(p);
		j->label_of = r;
	}
	return j->label;
}

static void print_row(struct job *j, const struct ml_find_match *m)
{
	char buf[512], head[64];
	const struct ml_region *r = region_at(j, m->addr);
	/* Hand-formatted: a dump can hold millions of strings. */
	static const char hx[] = "0123456789abcdef";
	char *o = head;
	*o++ = '0';
	*o++ = 'x';
	for (int sh = 60; sh >= 0; sh -= 4)
		*o++ = hx[m->addr >> sh & 15];
	*o++ = ' ';
	char num[24];
	int k = 0;
	uint64_t v = m->len;
	do
		num[k++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (int pad = 8 - k; pad > 0; pad--)
		*o++ = ' ';
	while (k)
		*o++ = num[--k];
	*o++ = ' ';
	fwrite(head, 1, (size_t)(o - head), stdout);
	fputs(kind_names[m->kind], stdout);
	putchar(' ');
	const char *w = what(j, m, buf, sizeof buf);
	put_text((const uint8_t *)w, strlen(w));
	fputs("  ", stdout);
	fputs(region_label(j, r), stdout);
	fputs("  ", stdout);
	print_preview(m);
	putchar('\n');
}

static int on_match(void *ctx, const struct ml_find_match *m)
{
	struct job *j = ctx;
	if (j->stopped)
		return 1;
	if (j->out == OUT_TABLE) {
		print_row(j, m);
	} else {
		if (j->out == OUT_JSON)
			fputs(j->n_here ? (j->system ? ",\n    " : ",\n  ") : (j->system ? "\n    " : "\n  "), stdout);
		json_t *o = match_json(j, m);
		if (j->src)
			json_object_set(o, "source", j->src);
		if (dump(o, false))
			j->write_failed = true;
		if (j->out == OUT_JSONL)
			putchar('\n');
	}
	j->by_kind[m->kind]++;
	j->n_here++;
	if (ferror(stdout))
		j->write_failed = true;
	if (++j->n == j->limit)
		j->stopped = true;
	return j->write_failed ? -1 : j->stopped;
}

static void on_rule(void *ctx, const char *rule)
{
	struct job *j = ctx;
	j->rules = ml_reallocarray(j->rules, j->nrules + 1, sizeof *j->rules);
	j->rules[j->nrules++] = ml_strdup(rule);
}

/* Streams the selection once through the finder; holes and gaps break matches. */
static int search(struct job *j, struct ml_finder *f, const struct ml_selection *sel,
		  uint64_t *holes, uint64_t *searched)
{
	static const uint8_t zeros[ML_FIND_SPAN];
	struct ml_stream *st = ml_stream_new(j->s, sel, ML_FIND_BLOCK);
	/*
	 * Untouched or zero-page memory (a live process's reservations, a
	 * sanitizer's TiB of shadow) is known to be zeros without reading it:
	 * unless a pattern can match zeros, only the ends of such a run are
	 * searched.
	 */
	if (ml_finder_zero_reach(f))
		ml_stream_skip_zeros(st);
	struct ml_chunk c;
	int ret = 0;
	if (j->skip_zeros)
		ml_stream_skip_zeros(st);
	while (!ret && ml_stream_next(st, &c)) {
		if (c.hole) {
			ret = ml_finder_break(f);
			continue;
		}
		if (c.zero) {
			size_t k = (size_t)ML_MIN((uint64_t)c.len, (uint64_t)ML_FIND_SPAN);
			*searched += c.len;
			ret = ml_finder_feed(f, c.addr, zeros, k);
			if (!ret && c.len > k)
				ret = ml_finder_feed(f, c.addr + c.len - k, zeros, k);
			continue;
		}
		*searched += c.len;
		ret = c.zero ? ml_finder_feed_zeros(f, c.addr, c.len) : ml_finder_feed(f, c.addr, c.data, c.len);
	}
	if (!ret)
		ret = ml_finder_break(f);
	*holes = ml_stream_hole_bytes(st);
	ml_stream_free(st);
	return ret;
}

static json_t *totals_json(const struct job *j, uint64_t searched, uint64_t holes)
{
	json_t *t = json_object();
	json_object_set_new(t, "matches", json_integer((json_int_t)j->n));
	json_t *k = json_object();
	for (int i = 0; i < NKINDS; i++)
		if (j->by_kind[i])
			json_object_set_new(k, kind_names[i], json_integer((json_int_t)j->by_kind[i]));
	json_object_set_new(t, "by_kind", k);
	json_object_set_new(t, "searched_bytes", json_integer((json_int_t)searched));
	json_object_set_new(t, "hole_bytes", json_integer((json_int_t)holes));
	json_object_set_new(t, "limited", json_boolean(j->stopped));
	if (j->nrules) {
		json_t *r = json_array();
		for (size_t i = 0; i < j->nrules; i++)
			json_array_append_new(r, ml_json_str(j->rules[i]));
		json_object_set_new(t, "yara_rules", r);
	}
	return t;
}

/*
 * Every search on one source.  0, a callback's stop value, or -1 after a
 * diagnostic (YARA failed).  The region caches belong to one source.
 */
static int find_in(struct job *j, struct ml_space *s, const struct ml_selection *sel, uint64_t *searched,
		   uint64_t *holes)
{
	j->s = s;
	j->cur = -1;
	j->label_of = j->rjson_of = NULL;
	json_decref(j->rjson);
	j->rjson = NULL;
	j->n_here = 0;
	*searched = *holes = 0;
	int r = 0;
	if (j->f)
		r = search(j, j->f, sel, holes, searched);
	if (!r && j->y) {
		uint64_t ys, yh;
		r = ml_yara_scan(j->y, s, sel, on_match, on_rule, j, &ys, &yh);
		if (!j->f) {	/* YARA alone: its account */
			*searched = ys;
			*holes = yh;
		}
	}
	return r;
}

struct sysjob {
	struct job *j;
	uint64_t searched, holes;
	bool first;
};

static int system_one(void *ctx, struct ml_space *s)
{
	struct sysjob *sj = ctx;
	struct job *j = sj->j;
	struct ml_selection sel;
	uint64_t searched, holes;
	ml_select(s, NULL, 0, &sel);
	if (j->out == OUT_JSON) {
		fputs(sj->first ? "\n  {\"source\": " : ",\n  {\"source\": ", stdout);
		dump(ml_json_source(s, NULL, NULL), true);
		fputs(", \"matches\": [", stdout);
	} else if (j->out == OUT_JSONL) {
		j->src = ml_json_source(s, NULL, NULL);
	}
	sj->first = false;
	uint64_t before = j->n;
	int r = find_in(j, s, &sel, &searched, &holes);
	ml_selection_free(&sel);
	sj->searched += searched;
	sj->holes += holes;
	if (j->out == OUT_JSON) {
		json_t *t = json_object();
		json_object_set_new(t, "matches", json_integer((json_int_t)(j->n - before)));
		json_object_set_new(t, "searched_bytes", json_integer((json_int_t)searched));
		json_object_set_new(t, "hole_bytes", json_integer((json_int_t)holes));
		fputs("], \"totals\": ", stdout);
		dump(t, true);
		fputs("}", stdout);
	} else if (j->out == OUT_TABLE && j->n > before) {
		printf("# pid %d (", s->pid);
		ml_fputs_escaped(stdout, s->comm ? s->comm : "?");
		printf("): %llu match%s\n", (unsigned long long)(j->n - before), j->n - before == 1 ? "" : "es");
	}
	json_decref(j->src);
	j->src = NULL;
	/* A failed YARA scan of one process is said and the walk goes on. */
	return r > 0 || j->write_failed ? 1 : 0;
}

static int find_system(struct job *j, const struct ml_open_opts *oo)
{
	struct sysjob sj = { .j = j, .first = true };
	struct ml_unreadable u;
	if (j->out == OUT_JSON) {
		fputs("{\"source\": ", stdout);
		dump(ml_json_source(NULL, "system", NULL), true);
		fputs(",\n \"processes\": [", stdout);
	}
	if (ml_for_each_process(oo, system_one, &sj, &u) < 0 && !ferror(stdout)) {
		ml_unreadable_free(&u);
		return ML_EXIT_FAIL;
	}
	if (j->out == OUT_JSON && !j->write_failed) {
		fputs("],\n \"unreadable\": ", stdout);
		dump(ml_json_unreadable(&u), true);
		json_t *t = totals_json(j, sj.searched, sj.holes);
		json_object_set_new(t, "processes", json_integer((json_int_t)u.done));
		json_object_set_new(t, "kernel_threads", json_integer((json_int_t)u.kernel));
		json_object_set_new(t, "unreadable", json_integer((json_int_t)u.total));
		fputs(",\n \"totals\": ", stdout);
		dump(t, true);
		fputs("}\n", stdout);
	} else if (j->out == OUT_TABLE && !j->write_failed) {
		char h[32];
		printf("# %llu match%s in %llu processes, %s searched%s\n", (unsigned long long)j->n,
		       j->n == 1 ? "" : "es", (unsigned long long)u.done, ml_human_size(sj.searched, h, sizeof h),
		       j->stopped ? " (stopped at --limit)" : "");
		ml_print_unreadable(stdout, &u);
	}
	ml_unreadable_free(&u);
	return ML_EXIT_OK;
}

static int parse_encoding(const char *arg, bool *ascii, bool *utf16)
{
	if (!strcmp(arg, "ascii"))
		*ascii = true, *utf16 = false;
	else if (!strcmp(arg, "utf16le"))
		*ascii = false, *utf16 = true;
	else if (!strcmp(arg, "all"))
		*ascii = *utf16 = true;
	else
		return -1;
	return 0;
}

int cmd_find(int argc, char **argv)
{
	struct ml_cli cli;
	struct job j = { .cur = -1, .limit = UINT64_MAX };
	bool strings = false, icase = false, enc_set = false, ascii = true, utf16 = true;
	uint64_t min = 4;
	const char *yara = NULL;
	struct ml_finder *f = NULL;
	struct ml_yara *y = NULL;
	struct ml_space *s = NULL;
	struct ml_selection sel = { 0 };
	int c, ret = ML_EXIT_USAGE;
	ml_cli_init(&cli, argc, argv);
	while ((c = ml_cli_next(&cli)) > 0) {
		switch (c) {
		case OPT_STRINGS: strings = true; break;
		case OPT_MIN:
			if (ml_parse_uint(optarg, 1, ML_FIND_TEXT_MAX, &min)) {
				ml_usage_error("--min %s: expected a number from 1 to %zu", optarg, ML_FIND_TEXT_MAX);
				goto out;
			}
			break;
		case OPT_TEXT:
			if (!*optarg || strlen(optarg) > ML_FIND_SPAN / 2) {
				ml_usage_error("--text: expected 1 to %zu characters", ML_FIND_SPAN / 2);
				goto out;
			}
			j.texts = ml_reallocarray(j.texts, j.ntexts + 1, sizeof *j.texts);
			j.texts[j.ntexts++] = optarg;
			break;
		case OPT_HEX:
			j.hexes = ml_reallocarray(j.hexes, j.nhexes + 1, sizeof *j.hexes);
			j.hexes[j.nhexes++] = optarg;
			break;
		case OPT_REGEX:
			j.regexes = ml_reallocarray(j.regexes, j.nregexes + 1, sizeof *j.regexes);
			j.regexes[j.nregexes++] = optarg;
			break;
		case OPT_YARA:
			if (yara) {
				ml_usage_error("--yara is given once (name a directory for several files)");
				goto out;
			}
			yara = optarg;
			break;
		case OPT_ENCODING:
			if (parse_encoding(optarg, &ascii, &utf16)) {
				ml_usage_error("--encoding %s: expected ascii, utf16le or all", optarg);
				goto out;
			}
			enc_set = true;
			break;
		case 'i':
		case OPT_ICASE: icase = true; break;
		case OPT_JSONL: j.out = OUT_JSONL; break;
		case OPT_SYSTEM: j.system = true; break;
		case OPT_LIMIT:
			if (ml_parse_uint(optarg, 1, UINT64_MAX, &j.limit)) {
				ml_usage_error("--limit %s: expected a positive number", optarg);
				goto out;
			}
			break;
		}
	}
	if (c < 0)
		goto out;
	if (j.system)
		ml_cli_mode(&cli, "--system");
	if (ml_cli_done(&cli))
		goto out;
	if (cli.json && j.out == OUT_JSONL) {
		ml_usage_error("--json and --jsonl: choose one");
		goto out;
	}
	if (cli.json)
		j.out = OUT_JSON;
	if (!strings && !j.ntexts && !j.nhexes && !j.nregexes && !yara) {
		ml_usage_error("nothing to look for: give --strings, --text, --hex, --regex or --yara");
		goto out;
	}
	f = ml_finder_new(on_match, &j);
	j.skip_zeros = !j.nhexes && !j.nregexes;
	if (strings)
		ml_finder_add_strings(f, (unsigned)min, enc_set ? ascii : true, enc_set ? utf16 : false);
	for (size_t i = 0; i < j.ntexts; i++)
		ml_finder_add_text(f, j.texts[i], strlen(j.texts[i]), icase, ascii, utf16);
	for (size_t i = 0; i < j.nhexes; i++) {
		size_t idx;
		const char *why;
		if (ml_finder_add_hex(f, j.hexes[i], &idx, &why)) {
			ml_usage_error("--hex '%s': %s", j.hexes[i], why);
			goto out;
		}
	}
	for (size_t i = 0; i < j.nregexes; i++) {
		size_t idx;
		char err[300];
		if (ml_finder_add_regex(f, j.regexes[i], icase, &idx, err, sizeof err)) {
			ml_usage_error("--regex '%s': %s", j.regexes[i], err);
			goto out;
		}
	}
	ret = ML_EXIT_FAIL;
	if (yara && ml_yara_load(&y, yara))
		goto out;
	j.y = y;
	if (strings || j.ntexts || j.nhexes || j.nregexes)
		j.f = f;
	if (j.out == OUT_TABLE)
		printf("%-18s %8s %s %s  %s  %s\n", "ADDRESS", "LENGTH", "KIND", "MATCH", "REGION", "PREVIEW");
	if (j.system) {
		ret = find_system(&j, &cli.open);
		if (ml_stdout_done())
			ret = ML_EXIT_FAIL;
		goto out;
	}
	if ((ret = ml_cli_open(&cli, &s, &sel)))
		goto out;
	ret = ML_EXIT_FAIL;
	if (j.out == OUT_JSON) {
		fputs("{\"source\": ", stdout);
		dump(ml_json_source(s, NULL, NULL), true);
		fputs(",\n \"matches\": [", stdout);
	}
	uint64_t holes = 0, searched = 0;
	int r = find_in(&j, s, &sel, &searched, &holes);
	if (r < 0 && !j.write_failed)
		goto close;	/* YARA failed: said why */
	if (j.out == OUT_JSON && !j.write_failed) {
		fputs("],\n \"totals\": ", stdout);
		dump(totals_json(&j, searched, holes), true);
		fputs("}\n", stdout);
	} else if (j.out == OUT_TABLE && !j.write_failed) {
		char h1[32], h2[32];
		printf("# %llu match%s in %s searched", (unsigned long long)j.n, j.n == 1 ? "" : "es",
		       ml_human_size(searched, h1, sizeof h1));
		if (holes)
			printf(", %s in holes not searched", ml_human_size(holes, h2, sizeof h2));
		if (j.stopped)
			printf(" (stopped at --limit)");
		putchar('\n');
	}
	if (ml_stdout_done())
		goto close;
	ret = ml_cli_finish(&cli, holes != 0);
close:
	ml_selection_free(&sel);
	ml_space_close(s);
out:
	for (size_t i = 0; i < j.nrules; i++)
		free(j.rules[i]);
	free(j.rules);
	free(j.label);
	for (int i = 0; i < NKINDS; i++)
		json_decref(j.tmpl[i]);
	json_decref(j.rjson);
	ml_yara_free(y);
	ml_finder_free(f);
	free(j.texts);
	free(j.hexes);
	free(j.regexes);
	ml_cli_free(&cli);
	return ret;
}
