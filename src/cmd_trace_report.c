/*
 * cmd_trace_report: `memlens trace-report RECORD` — what a `memlens trace`
 * record says: the summary (calls, temporary allocations, peak heap and
 * when, leaks), the top allocation sites with symbolised stacks, the
 * per-stack tree (--tree), folded stacks for flame graphs (--folded),
 * all of it as JSON (--json), the fragmentation heatmap (-o heat.png) and
 * one self-contained page (--html).  Numbers come from trace_stats.c,
 * names from trace_sym.c, the picture from trace_heat.c.
 */
#include "config.h"
#include "commands.h"
#include "cli.h"
#include "json.h"
#include "output.h"
#include "pngwrite.h"
#include "trace_heat.h"
#include "trace_read.h"
#include "trace_stats.h"
#include "trace_sym.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

const char cmd_trace_report_help[] =
	"Usage: memlens trace-report RECORD [--tree | --folded [--weight W] | --json]\n"
	"                            [-o HEAT.png [--fit WxH]] [--html PAGE.html]\n"
	"Report on a record made by memlens trace: allocation calls, temporary\n"
	"allocations (freed within 1 ms with no other allocation between), the peak\n"
	"heap and when it was reached, bytes leaked at exit, and the top allocation\n"
	"sites by bytes, calls, peak and leaks with their stacks (function,\n"
	"file:line, inlined frames).  A damaged or truncated record is reported up to\n"
	"the damage, with one warning.\n\n"
	"  --top N               sites per list (default 10; JSON: 100)\n"
	"  --tree                the per-call-stack tree instead of the site lists\n"
	"  --folded              folded stacks (flamegraph.pl, inferno, speedscope)\n"
	"  --weight W            --folded: bytes (default), calls or leaked\n"
	"  --json                everything as JSON on standard output\n"
	"  -o, --output HEAT.png the fragmentation heatmap: x time, y heap addresses\n"
	"                        (gaps folded), colour the log of live bytes per cell\n"
	"  --fit WxH             the heatmap's size in pixels (default 1200x700)\n"
	"  --html FILE           one page: summary, sites, tree and the heatmap\n\n";

enum { OPT_TOP = ML_OPT_FIRST_CMD, OPT_TREE, OPT_FOLDED, OPT_WEIGHT, OPT_FIT };

const struct option cmd_trace_report_opts[] = {
	{ "top", required_argument, NULL, OPT_TOP },
	{ "tree", no_argument, NULL, OPT_TREE },
	{ "folded", no_argument, NULL, OPT_FOLDED },
	{ "weight", required_argument, NULL, OPT_WEIGHT },
	{ "fit", required_argument, NULL, OPT_FIT },
	{ NULL, 0, NULL, 0 },
};

enum weight { W_BYTES, W_CALLS, W_LEAKED, W_PEAK };

struct rep {
	struct ml_trace *t;
	struct ml_tstats st;
	struct ml_syms *sym;
	const char *path;
	size_t top;
	bool top_set;
	uint32_t *sites;	/* node ids with calls */
	size_t nsites;
	uint64_t *incl_bytes, *incl_calls, *incl_leaked;	/* per node, the subtree's */
	uint32_t *child, *sibling;	/* the trie's children lists */
};

static uint64_t weight_of(const struct ml_tsite *s, enum weight w)
{
	switch (w) {
	case W_CALLS: return s->calls;
	case W_LEAKED: return s->leaked;
	case W_PEAK: return s->peak;
	default: return s->bytes;
	}
}

static const struct ml_tstats *sort_stats;
static enum weight sort_w;

static int cmp_site(const void *a, const void *b)
{
	const struct ml_tsite *x = &sort_stats->site[*(const uint32_t *)a], *y = &sort_stats->site[*(const uint32_t *)b];
	uint64_t u = weight_of(x, sort_w), v = weight_of(y, sort_w);
	if (u != v)
		return u < v ? 1 : -1;
	/* ties: by calls, then by id, so the order is stable */
	if (x->calls != y->calls)
		return x->calls < y->calls ? 1 : -1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static void sort_sites(struct rep *r, enum weight w)
{
	sort_stats = &r->st;
	sort_w = w;
	if (r->nsites)
		qsort(r->sites, r->nsites, sizeof *r->sites, cmp_site);
}

/* Calls fn for each frame of a node's stack, innermost first (inlined frames expanded). */
static void each_frame(struct rep *r, uint32_t node, void (*fn)(void *, const struct ml_frame *), void *arg,
		       size_t max)
{
	size_t k = 0;
	for (uint32_t id = node; id && k < max; id = ml_trace_node(r->t, id)->parent) {
		const struct ml_tnode *n = ml_trace_node(r->t, id);
		size_t nf;
		const struct ml_frame *f = ml_syms_frames(r->sym, n->image, n->ip, &nf);
		for (size_t i = 0; i < nf && k < max; i++, k++)
			fn(arg, &f[i]);
	}
}

static const char *base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;
	return s ? s + 1 : p;
}

/* "function", or "module+0x1234", or "0x7f..." */
static void frame_name(const struct ml_frame *f, const struct rep *r, char *buf, size_t len)
{
	(void)r;
	if (f->function)
		snprintf(buf, len, "%s", f->function);
	else if (f->module)
		snprintf(buf, len, "%s@0x%" PRIx64, base_name(f->module), f->address);
	else
		snprintf(buf, len, "0x%" PRIx64, f->address);
}

struct text_arg {
	struct rep *r;
	FILE *f;
	unsigned n;
};

static void print_frame(void *arg, const struct ml_frame *f)
{
	struct text_arg *a = arg;
	char name[512];
	frame_name(f, a->r, name, sizeof name);
	fputs("        ", a->f);
	ml_fputs_escaped(a->f, name);
	if (f->file) {
		fputs(" (", a->f);
		ml_fputs_escaped(a->f, f->file);
		fprintf(a->f, ":%u)", f->line);
	}
	if (f->inlined)
		fputs(" [inlined]", a->f);
	if (f->module) {
		fputs("  in ", a->f);
		ml_fputs_escaped(a->f, base_name(f->module));
	}
	fputc('\n', a->f);
	a->n++;
}

static const char *hs(uint64_t n, char *buf, size_t len)
{
	return ml_human_size(n, buf, len);
}

static void print_summary(struct rep *r, FILE *f)
{
	const struct ml_timage *im = ml_trace_image(r->t, 0);
	char a[32], b[32];
	fputs("program: ", f);
	ml_fputs_escaped(f, im->cmdline[0] ? im->cmdline : im->exe);
	fprintf(f, " (pid %u", im->pid);
	if (ml_trace_nimages(r->t) > 1)
		fprintf(f, ", %zu images: exec", ml_trace_nimages(r->t));
	fprintf(f, ")\n");
	const struct ml_tstats *s = &r->st;
	fprintf(f, "duration: %.3f s\n", (double)s->duration / 1e9);
	fprintf(f, "allocation calls: %" PRIu64 " (%s in all), frees: %" PRIu64 "\n", s->calls,
		hs(s->bytes, a, sizeof a), s->frees);
	fprintf(f, "temporary allocations: %" PRIu64 "\n", s->temporary);
	fprintf(f, "peak heap: %" PRIu64 " bytes (%s) at %.6f s\n", s->peak, hs(s->peak, a, sizeof a),
		(double)s->peak_t / 1e9);
	fprintf(f, "leaked at exit: %" PRIu64 " bytes (%s) in %" PRIu64 " blocks\n", s->leaked,
		hs(s->leaked, b, sizeof b), s->leaked_count);
	if (s->mmap_calls)
		fprintf(f, "mmap: %" PRIu64 " calls, %s mapped at most\n", s->mmap_calls, hs(s->mmap_peak, a, sizeof a));
	if (s->counts.lost)
		fprintf(f, "lost events: %" PRIu64 " (the stream could not keep up)\n", s->counts.lost);
	if (s->counts.unknown_frees)
		fprintf(f, "frees of blocks allocated before recording: %" PRIu64 "\n", s->counts.unknown_frees);
}

static void print_sites(struct rep *r, FILE *f, enum weight w, const char *title)
{
	sort_sites(r, w);
	char a[32], b[32], c[32];
	fprintf(f, "\nTop allocation sites by %s:\n", title);
	size_t shown = 0;
	for (size_t i = 0; i < r->nsites && shown < r->top; i++) {
		const struct ml_tsite *s = &r->st.site[r->sites[i]];
		if (!weight_of(s, w))
			break;
		fprintf(f, "  %zu. %s in %" PRIu64 " calls, peak %s, leaked %s (%" PRIu64 " blocks)\n", ++shown,
			hs(s->bytes, a, sizeof a), s->calls, hs(s->peak, b, sizeof b), hs(s->leaked, c, sizeof c),
			s->leak_count);
		struct text_arg ta = { r, f, 0 };
		each_frame(r, r->sites[i], print_frame, &ta, 12);
	}
	if (!shown)
		fputs("  (none)\n", f);
}

/* ---- the tree ---- */

static void build_tree(struct rep *r)
{
	size_t n = ml_trace_nnodes(r->t);
	r->incl_bytes = ml_calloc(n, sizeof *r->incl_bytes);
	r->incl_calls = ml_calloc(n, sizeof *r->incl_calls);
	r->incl_leaked = ml_calloc(n, sizeof *r->incl_leaked);
	r->child = ml_calloc(n, sizeof *r->child);
	r->sibling = ml_calloc(n, sizeof *r->sibling);
	for (size_t i = n; i-- > 1;) {
		const struct ml_tsite *s = &r->st.site[i];
		r->incl_bytes[i] += s->bytes;
		r->incl_calls[i] += s->calls;
		r->incl_leaked[i] += s->leaked;
		uint32_t p = ml_trace_node(r->t, (uint32_t)i)->parent;
		/* parents are made before their children: ids grow along a stack */
		r->incl_bytes[p] += r->incl_bytes[i];
		r->incl_calls[p] += r->incl_calls[i];
		r->incl_leaked[p] += r->incl_leaked[i];
		r->sibling[i] = r->child[p];
		r->child[p] = (uint32_t)i;
	}
	r->incl_bytes[0] += r->st.site[0].bytes;
	r->incl_calls[0] += r->st.site[0].calls;
}

static const struct rep *cmp_rep;
static int cmp_incl(const void *a, const void *b)
{
	uint64_t x = cmp_rep->incl_bytes[*(const uint32_t *)a], y = cmp_rep->incl_bytes[*(const uint32_t *)b];
	return x < y ? 1 : x > y ? -1 : 0;
}

/* The children of node, largest first, those below 1% of all bytes left out. */
static size_t kids(struct rep *r, uint32_t node, uint32_t **out)
{
	size_t n = 0;
	for (uint32_t c = r->child[node]; c; c = r->sibling[c])
		n++;
	uint32_t *v = ml_malloc((n ? n : 1) * sizeof *v);
	n = 0;
	for (uint32_t c = r->child[node]; c; c = r->sibling[c])
		if (r->incl_bytes[c] * 100 >= r->st.bytes || r->incl_calls[c] * 100 >= r->st.calls)
			v[n++] = c;
	cmp_rep = r;
	if (n)
		qsort(v, n, sizeof *v, cmp_incl);
	*out = v;
	return n;
}

static void node_label(struct rep *r, uint32_t id, char *buf, size_t len)
{
	const struct ml_tnode *n = ml_trace_node(r->t, id);
	size_t nf;
	const struct ml_frame *f = ml_syms_frames(r->sym, n->image, n->ip, &nf);
	/* the outermost frame of this address names it; inlined ones follow */
	const struct ml_frame *o = &f[nf - 1];
	char name[256];
	frame_name(o, r, name, sizeof name);
	size_t k = (size_t)snprintf(buf, len, "%s", name);
	if (o->file && k < len)
		k += (size_t)snprintf(buf + k, len - k, " (%s:%u)", base_name(o->file), o->line);
	for (size_t i = nf - 1; i-- > 0 && k < len;) {
		frame_name(&f[i], r, name, sizeof name);
		k += (size_t)snprintf(buf + k, len - k, " > %s [inlined]", name);
	}
}

static void print_tree(struct rep *r, FILE *f, uint32_t node, unsigned depth)
{
	uint32_t *v;
	size_t n = kids(r, node, &v);
	for (size_t i = 0; i < n && depth < 64; i++) {
		char a[32], label[1024];
		node_label(r, v[i], label, sizeof label);
		fprintf(f, "%*s%s %" PRIu64 " calls ", (int)depth * 2, "", hs(r->incl_bytes[v[i]], a, sizeof a),
			r->incl_calls[v[i]]);
		if (r->incl_leaked[v[i]]) {
			char b[32];
			fprintf(f, "(leaked %s) ", hs(r->incl_leaked[v[i]], b, sizeof b));
		}
		ml_fputs_escaped(f, label);
		fputc('\n', f);
		print_tree(r, f, v[i], depth + 1);
	}
	free(v);
}

/* ---- folded stacks ---- */

struct fold {
	struct rep *r;
	char **names;
	size_t n, cap;
};

static void fold_frame(void *arg, const struct ml_frame *f)
{
	struct fold *fo = arg;
	char name[512];
	frame_name(f, fo->r, name, sizeof name);
	for (char *p = name; *p; p++)
		if (*p == ';' || *p == ' ' || (unsigned char)*p < 0x20)
			*p = '_';	/* the separators of the format */
	if (fo->n == fo->cap) {
		fo->cap = fo->cap ? fo->cap * 2 : 32;
		fo->names = ml_reallocarray(fo->names, fo->cap, sizeof *fo->names);
	}
	fo->names[fo->n++] = ml_escape(name);
}

static void print_folded(struct rep *r, FILE *f, enum weight w)
{
	for (size_t i = 0; i < r->nsites; i++) {
		uint64_t v = weight_of(&r->st.site[r->sites[i]], w);
		if (!v)
			continue;
		struct fold fo = { r, NULL, 0, 0 };
		each_frame(r, r->sites[i], fold_frame, &fo, 256);
		if (!fo.n)
			fputs("[unknown]", f);
		for (size_t k = fo.n; k-- > 0;) {
			fputs(fo.names[k], f);
			if (k)
				fputc(';', f);
			free(fo.names[k]);
		}
		free(fo.names);
		fprintf(f, " %" PRIu64 "\n", v);
	}
}

/* ---- JSON ---- */

static void json_frame(void *arg, const struct ml_frame *f)
{
	json_t *a = arg, *o = json_object();
	json_object_set_new(o, "address", ml_json_hex(f->address));
	json_object_set_new(o, "module", ml_json_str(f->module));
	json_object_set_new(o, "function", ml_json_str(f->function));
	json_object_set_new(o, "file", ml_json_str(f->file));
	json_object_set_new(o, "line", f->line ? json_integer(f->line) : json_null());
	json_object_set_new(o, "inlined", json_boolean(f->inlined));
	json_array_append_new(a, o);
}

static json_t *stack_json(struct rep *r, uint32_t node)
{
	json_t *a = json_array();
	each_frame(r, node, json_frame, a, 256);
	return a;
}

static json_t *report_json(struct rep *r)
{
	json_t *root = json_object();
	json_t *src = ml_json_source(NULL, "trace", NULL);
	struct stat st;
	json_object_set_new(src, "path", ml_json_str(r->path));
	json_object_set_new(src, "pid", json_integer(ml_trace_image(r->t, 0)->pid));
	json_object_set_new(src, "name", ml_json_str(base_name(ml_trace_image(r->t, 0)->exe)));
	json_object_set_new(src, "file_size", json_integer(stat(r->path, &st) ? 0 : (json_int_t)st.st_size));
	json_object_set_new(src, "truncated", json_boolean(ml_trace_damage(r->t) != NULL));
	json_object_set_new(src, "damage", ml_json_str(ml_trace_damage(r->t)));
	json_object_set_new(root, "source", src);

	const struct ml_timage *im = ml_trace_image(r->t, 0);
	json_t *prog = json_object();
	json_object_set_new(prog, "exe", ml_json_str(im->exe));
	json_object_set_new(prog, "cmdline", ml_json_str(im->cmdline));
	json_object_set_new(prog, "pid", json_integer(im->pid));
	json_object_set_new(prog, "ppid", json_integer(im->ppid));
	json_object_set_new(prog, "start_realtime_ns", json_integer((json_int_t)im->realtime_ns));
	json_object_set_new(prog, "exited", json_boolean(ml_trace_image(r->t, ml_trace_nimages(r->t) - 1)->ended));
	json_t *imgs = json_array();
	for (size_t i = 0; i < ml_trace_nimages(r->t); i++) {
		const struct ml_timage *x = ml_trace_image(r->t, i);
		json_t *o = json_object();
		json_object_set_new(o, "exe", ml_json_str(x->exe));
		json_object_set_new(o, "pid", json_integer(x->pid));
		json_object_set_new(o, "exec", json_boolean(x->exec));
		json_object_set_new(o, "start_s", json_real((double)x->start / 1e9));
		json_array_append_new(imgs, o);
	}
	json_object_set_new(prog, "images", imgs);
	json_object_set_new(root, "program", prog);

	const struct ml_tstats *s = &r->st;
	json_t *sum = json_object();
	json_object_set_new(sum, "calls", json_integer((json_int_t)s->calls));
	json_object_set_new(sum, "bytes", json_integer((json_int_t)s->bytes));
	json_object_set_new(sum, "frees", json_integer((json_int_t)s->frees));
	json_object_set_new(sum, "temporary", json_integer((json_int_t)s->temporary));
	json_object_set_new(sum, "peak", json_integer((json_int_t)s->peak));
	json_object_set_new(sum, "peak_time_s", json_real((double)s->peak_t / 1e9));
	json_object_set_new(sum, "leaked", json_integer((json_int_t)s->leaked));
	json_object_set_new(sum, "leaked_count", json_integer((json_int_t)s->leaked_count));
	json_object_set_new(sum, "lost_events", json_integer((json_int_t)s->counts.lost));
	json_object_set_new(sum, "unknown_frees", json_integer((json_int_t)s->counts.unknown_frees));
	json_object_set_new(sum, "mmap_calls", json_integer((json_int_t)s->mmap_calls));
	json_object_set_new(sum, "mmap_peak", json_integer((json_int_t)s->mmap_peak));
	json_object_set_new(sum, "duration_s", json_real((double)s->duration / 1e9));
	json_object_set_new(root, "summary", sum);

	sort_sites(r, W_BYTES);
	json_t *sites = json_array();
	for (size_t i = 0; i < r->nsites && i < r->top; i++) {
		const struct ml_tsite *x = &s->site[r->sites[i]];
		json_t *o = json_object();
		json_object_set_new(o, "bytes", json_integer((json_int_t)x->bytes));
		json_object_set_new(o, "calls", json_integer((json_int_t)x->calls));
		json_object_set_new(o, "peak", json_integer((json_int_t)x->peak));
		json_object_set_new(o, "leaked", json_integer((json_int_t)x->leaked));
		json_object_set_new(o, "temporary", json_integer((json_int_t)x->temporary));
		json_object_set_new(o, "stack", stack_json(r, r->sites[i]));
		json_array_append_new(sites, o);
	}
	json_object_set_new(root, "sites", sites);
	sort_sites(r, W_LEAKED);
	json_t *leaks = json_array();
	for (size_t i = 0; i < r->nsites; i++) {
		const struct ml_tsite *x = &s->site[r->sites[i]];
		if (!x->leaked && !x->leak_count)
			continue;
		json_t *o = json_object();
		json_object_set_new(o, "bytes", json_integer((json_int_t)x->leaked));
		json_object_set_new(o, "count", json_integer((json_int_t)x->leak_count));
		json_object_set_new(o, "stack", stack_json(r, r->sites[i]));
		json_array_append_new(leaks, o);
	}
	json_object_set_new(root, "leaks", leaks);
	return root;
}

/* ---- HTML ---- */

static void html_tree(struct rep *r, FILE *f, uint32_t node, unsigned depth)
{
	uint32_t *v;
	size_t n = kids(r, node, &v);
	for (size_t i = 0; i < n && depth < 64; i++) {
		char a[32], label[1024];
		node_label(r, v[i], label, sizeof label);
		bool has = r->child[v[i]] != 0;
		fprintf(f, "%s<summary>%s, %" PRIu64 " calls: ", has ? "<details>" : "<div class=leaf>",
			hs(r->incl_bytes[v[i]], a, sizeof a), r->incl_calls[v[i]]);
		ml_html_text(f, label);
		fputs("</summary>", f);
		if (has)
			html_tree(r, f, v[i], depth + 1);
		fputs(has ? "</details>\n" : "</div>\n", f);
	}
	free(v);
}

static void html_frame(void *arg, const struct ml_frame *fr)
{
	struct text_arg *a = arg;
	char name[512];
	frame_name(fr, a->r, name, sizeof name);
	fputs(a->n++ ? "<br>" : "", a->f);
	ml_html_text(a->f, name);
	if (fr->file) {
		fputs(" <small>", a->f);
		ml_html_text(a->f, fr->file);
		fprintf(a->f, ":%u</small>", fr->line);
	}
	if (fr->inlined)
		fputs(" <small>[inlined]</small>", a->f);
}

static int write_html(struct rep *r, FILE *f, const uint8_t *png, size_t len, uint32_t w, uint32_t h)
{
	char a[32];
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>memlens trace-report</title>\n"
	      "<style>body{font-family:sans-serif;margin:1em 2em;background:#fafafa}"
	      "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;vertical-align:top}"
	      "td.n{text-align:right;font-variant-numeric:tabular-nums}details,.leaf{margin-left:1.2em}"
	      "summary{cursor:pointer}.leaf{padding-left:1em}</style></head><body>\n", f);
	fputs("<h1>memlens trace-report</h1>\n<pre>", f);
	char *buf = NULL;
	size_t bl = 0;
	FILE *m = open_memstream(&buf, &bl);
	if (m) {
		print_summary(r, m);
		fclose(m);
		ml_html_text(f, buf);
		free(buf);
	}
	fputs("</pre>\n", f);
	if (png) {
		fprintf(f, "<h2>Heatmap</h2>\n<img width=\"%u\" height=\"%u\" alt=\"fragmentation heatmap\" src=\"data:image/png;base64,",
			w, h);
		ml_base64(f, png, len);
		fputs("\">\n", f);
	}
	fputs("<h2>Top allocation sites by bytes</h2>\n<table><tr><th>bytes</th><th>calls</th><th>peak</th>"
	      "<th>leaked</th><th>stack (innermost first)</th></tr>\n", f);
	sort_sites(r, W_BYTES);
	for (size_t i = 0; i < r->nsites && i < r->top; i++) {
		const struct ml_tsite *s = &r->st.site[r->sites[i]];
		fprintf(f, "<tr><td class=n>%" PRIu64 "</td><td class=n>%" PRIu64 "</td><td class=n>%" PRIu64
			   "</td><td class=n>%" PRIu64 "</td><td>", s->bytes, s->calls, s->peak, s->leaked);
		struct text_arg ta = { r, f, 0 };
		each_frame(r, r->sites[i], html_frame, &ta, 16);
		fputs("</td></tr>\n", f);
	}
	fprintf(f, "</table>\n<h2>Call tree (%s in all)</h2>\n", hs(r->st.bytes, a, sizeof a));
	html_tree(r, f, 0, 0);
	fputs("</body></html>\n", f);
	return ferror(f) ? -1 : 0;
}

/* ---- the command ---- */

static int parse_fit(const char *s, uint32_t *w, uint32_t *h)
{
	char *x = strchr(s, 'x');
	if (!x)
		return -1;
	char wb[32];
	size_t l = (size_t)(x - s);
	if (!l || l >= sizeof wb)
		return -1;
	memcpy(wb, s, l);
	wb[l] = '\0';
	uint64_t a, b;
	if (ml_parse_uint(wb, 64, 16384, &a) || ml_parse_uint(x + 1, 64, 16384, &b))
		return -1;
	*w = (uint32_t)a;
	*h = (uint32_t)b;
	return 0;
}

static int heat_png(struct rep *r, uint32_t w, uint32_t h, uint8_t **png, size_t *len)
{
	struct ml_heat hm;
	const struct ml_timage *im = ml_trace_image(r->t, 0);
	char title[256];
	snprintf(title, sizeof title, "memlens trace-report: %s (pid %u): live heap bytes over time",
		 base_name(im->exe), im->pid);
	if (ml_heat_build(r->t, w, h, title, &hm))
		return -1;
	FILE *m = open_memstream((char **)png, len);
	if (!m) {
		ml_heat_free(&hm);
		ml_err("out of memory");
		return -1;
	}
	const char *text[] = { "Software", "memlens trace-report", "Title", title };
	struct ml_png_opts po = { .width = hm.w, .height = hm.h, .color = ML_PNG_RGB, .level = -1,
				  .text = text, .ntext = 2 };
	struct ml_png *p = ml_png_begin(m, &po);
	int ret = p ? 0 : -1;
	if (p && (ml_png_rows(p, hm.rgb, hm.h) || ml_png_end(p)))
		ret = -1;
	if (fclose(m))
		ret = -1;
	ml_heat_free(&hm);
	if (ret) {
		free(*png);
		*png = NULL;
	}
	return ret;
}

int cmd_trace_report(int argc, char **argv)
{
	struct ml_cli cli;
	struct rep r = { 0 };
	struct ml_out out, html;
	struct ml_out *const outs[2] = { &out, &html };
	out.open = html.open = false;
	bool tree = false, folded = false, weight_set = false;
	enum weight w = W_BYTES;
	uint32_t fw = 1200, fh = 700;
	bool fit_set = false;
	uint8_t *png = NULL;
	size_t png_len = 0;
	int c, ret = ML_EXIT_USAGE;
	r.top = 10;
	ml_cli_init(&cli, argc, argv);
	while ((c = ml_cli_next(&cli)) > 0) {
		uint64_t v;
		switch (c) {
		case OPT_TOP:
			if (ml_parse_uint(optarg, 1, 1000000, &v)) {
				ml_usage_error("--top %s: expected a number from 1 to 1000000", optarg);
				goto done;
			}
			r.top = (size_t)v;
			r.top_set = true;
			break;
		case OPT_TREE: tree = true; break;
		case OPT_FOLDED: folded = true; break;
		case OPT_WEIGHT:
			if (!strcmp(optarg, "bytes")) w = W_BYTES;
			else if (!strcmp(optarg, "calls")) w = W_CALLS;
			else if (!strcmp(optarg, "leaked")) w = W_LEAKED;
			else {
				ml_usage_error("--weight %s: expected bytes, calls or leaked", optarg);
				goto done;
			}
			weight_set = true;
			break;
		case OPT_FIT:
			if (parse_fit(optarg, &fw, &fh)) {
				ml_usage_error("--fit %s: expected WxH, each 64 to 16384", optarg);
				goto done;
			}
			fit_set = true;
			break;
		}
	}
	if (c < 0)
		goto done;
	/* The RECORD operand is ours: cli.c knows SOURCEs, not records. */
	if (optind >= argc) {
		ml_usage_error("missing RECORD (a file written by memlens trace)");
		goto done;
	}
	r.path = argv[optind];
	if (optind + 1 < argc) {
		ml_usage_error("unexpected argument '%s'", argv[optind + 1]);
		goto done;
	}
	cli.argc = optind;
	if (ml_cli_done(&cli))
		goto done;
	if (tree + folded + cli.json > 1) {
		ml_usage_error("--tree, --folded and --json each print a report: choose one");
		goto done;
	}
	if (weight_set && !folded) {
		ml_cli_refuse("--weight", "it weighs --folded stacks");
		goto done;
	}
	if (fit_set && !cli.out && !cli.html) {
		ml_cli_refuse("--fit", "it sizes the heatmap of -o or --html");
		goto done;
	}
	if (cli.out && strcasecmp(ml_path_ext(cli.out), "png") && (*ml_path_ext(cli.out) || !ml_out_is_stream(cli.out))) {
		ml_usage_error("%s: the heatmap is a PNG: name it .png", cli.out);
		goto done;
	}
	bool text_out = !(cli.out && !strcmp(cli.out, "-")) && !(cli.html && !strcmp(cli.html, "-"));
	if (!r.top_set && cli.json)
		r.top = 100;
	ret = ML_EXIT_FAIL;
	if (!(r.t = ml_trace_open(r.path)))
		goto done;
	if (ml_trace_damage(r.t)) {
		char *e = ml_escape(r.path);
		ml_warn("%s: %s: reporting what was recorded before it", e, ml_trace_damage(r.t));
		free(e);
	}
	ml_tstats_run(r.t, &r.st);
	if (r.st.counts.lost)
		ml_warn("%" PRIu64 " events were lost while recording (the stream could not keep up): counts are short",
			r.st.counts.lost);
	r.sym = ml_syms_new(r.t);
	for (size_t i = 0; i < ml_trace_nnodes(r.t) && i < r.st.nsite; i++)
		if (r.st.site[i].calls) {
			r.sites = ml_reallocarray(r.sites, r.nsites + 1, sizeof *r.sites);
			r.sites[r.nsites++] = (uint32_t)i;
		}
	if (tree || cli.html)
		build_tree(&r);
	if ((cli.out || cli.html) && heat_png(&r, fw, fh, &png, &png_len))
		goto done;
	if (cli.out && ml_out_open(&out, cli.out, NULL))
		goto done;
	if (cli.html && ml_out_open(&html, cli.html, NULL))
		goto done;
	if (cli.out && fwrite(png, 1, png_len, out.f) != png_len) {
		ml_err("%s: write failed: %s", cli.out, strerror(errno ? errno : EIO));
		goto done;
	}
	if (cli.html && write_html(&r, html.f, png, png_len, fw, fh)) {
		ml_err("%s: write failed: %s", cli.html, strerror(errno ? errno : EIO));
		goto done;
	}
	if (cli.json) {
		if (ml_json_print(report_json(&r), stdout))
			goto done;
	} else if (folded) {
		print_folded(&r, stdout, w);
	} else if (tree) {
		print_summary(&r, stdout);
		fputs("\nCall tree (inclusive bytes and calls; stacks under 1% left out):\n", stdout);
		print_tree(&r, stdout, 0, 0);
	} else if (text_out) {
		print_summary(&r, stdout);
		print_sites(&r, stdout, W_BYTES, "bytes allocated");
		print_sites(&r, stdout, W_CALLS, "calls");
		print_sites(&r, stdout, W_PEAK, "bytes at the peak");
		print_sites(&r, stdout, W_LEAKED, "bytes leaked");
	}
	if (ml_stdout_done())
		goto done;
	ret = ml_cli_finish(&cli, ml_trace_damage(r.t) != NULL || r.st.counts.lost);
	if (ret == ML_EXIT_OK && ml_out_commit_all(outs, 2))
		ret = ML_EXIT_FAIL;
done:
	ml_out_abort(&out);
	ml_out_abort(&html);
	free(png);
	free(r.sites);
	free(r.incl_bytes);
	free(r.incl_calls);
	free(r.incl_leaked);
	free(r.child);
	free(r.sibling);
	ml_syms_free(r.sym);
	ml_tstats_free(&r.st);
	ml_trace_close(r.t);
	ml_cli_free(&cli);
	return ret;
}
