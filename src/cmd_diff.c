/*
 * cmd_diff: `memlens diff A B` — what changed between two captures of one
 * address space.  diff.c pairs the mappings and walks the bytes of both in
 * address order; here each run it hands on is counted per region, merged
 * into changed ranges at --granule, drawn into a per-region map of pages,
 * streamed out as JSON and, with -o, drawn by the picture pipeline (B's
 * bytes where they changed, legend colours elsewhere).  Nothing holds more
 * than a block of bytes, one open range, and a bounded map per region that
 * changed, so memory stays flat whatever the captures' size.
 */
#include "config.h"
#include "commands.h"
#include "cli.h"
#include "diff.h"
#include "json.h"
#include "output.h"
#include "picture.h"
#include "termwrap.h"
#include "unitmap.h"
#include "util.h"
#include "ansi.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cmd_diff_help[] =
	"Usage: memlens diff A B [--json] [-o DIFF.png [--map FILE.json]] [OPTIONS]\n"
	"Compare two captures of one address space (two cores or dumps of one\n"
	"process, a live pid and an earlier core of it, two raw or LiME dumps with\n"
	"the same base): the mappings added, removed and changed (perms, path, size,\n"
	"file offset), and in every region both have, the bytes that changed.  Bytes\n"
	"that either side could not deliver are unknown: never equal, never changed.\n"
	"Both are read block by block in address order.  A and B are SOURCEs, B the\n"
	"later; --as, --base and --region apply to both, --freeze to the live one.\n\n"
	"  --granule N           merge changed ranges into aligned N-byte granules\n"
	"                        (a power of two; default 1: exact bytes)\n"
	"  --json                the diff as JSON: mappings, every changed range,\n"
	"                        per-region counts and totals\n"
	"  --color auto|always|never  colour in the terminal summary (default auto)\n"
	"  -o, --output DIFF.png a picture of the union of both selections, as `image`\n"
	"                        draws one: unchanged bytes dim gray, changed bytes in\n"
	"                        B's colours, regions only B has green, only A has red,\n"
	"                        unknown bytes magenta; shaped by the image options:\n"
	ML_PIC_HELP_BPP("that is ignored;")
	ML_PIC_HELP_PALETTE("")
	ML_PIC_HELP_LAYOUT
	"  --map FILE.json       with -o: which pixels each span covers\n\n";

enum { OPT_GRANULE = ML_PIC__END, OPT_COLOR };

/* diff's own options; -o, --map, --json and the source options are cli.c's. */
const struct option cmd_diff_opts[] = {
	ML_PIC_OPTIONS,
	{ "granule", required_argument, NULL, OPT_GRANULE },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ NULL, 0, NULL, 0 },
};

#define MAP_ROWS 8		/* rows of cells a region's map may take */

/* Cell values of the per-region maps, worst wins. */
enum { CELL_SAME, CELL_UNKNOWN, CELL_CHANGED, CELL__COUNT };
static const struct {
	const char *name;
	uint8_t rgb[3];
	char ch;
} cells[CELL__COUNT] = {
	[CELL_SAME] = { "unchanged", { ML_SAME_R, ML_SAME_G, ML_SAME_B }, '.' },
	[CELL_UNKNOWN] = { "unknown (a hole in A or B)", { ML_HOLE_R, ML_HOLE_G, ML_HOLE_B }, '?' },
	[CELL_CHANGED] = { "changed", { 255, 210, 0 }, '#' },
};

/* The counts of one region pair: consecutive spans that lie in the same region of A and of B. */
struct rstat {
	long ra, rb;
	uint64_t start, end;	/* from the first span's start to the last's end */
	uint64_t compared, changed, unknown, pages;
	uint64_t next_page;	/* the page after the last one counted as changed (0: none yet) */
	uint64_t first_page, ppc, ncells;	/* the map: pages per cell */
	uint8_t *cells;
};

struct job {
	struct ml_cli cli;
	struct ml_picopts opt;
	struct ml_pic pic;
	bool picture, summary, color;
	int pic_opt;		/* an image option given, to refuse it without -o */
	const char *color_word;
	uint64_t granule;
	unsigned ps;
	size_t map_w;		/* cells a row of the summary's maps */

	struct ml_space *a, *b;
	struct ml_selection sa, sb;
	struct ml_diff_span *sp;
	size_t nsp;
	size_t *stat_of;	/* per span: its rstat, or SIZE_MAX for a span one side lacks */
	struct ml_diff_map *maps;
	size_t nmaps;
	struct rstat *st;
	size_t nst;
	size_t cur;		/* the rstat being filled */

	/* the changed range being merged */
	bool open;
	uint64_t r_start, r_end, r_bytes;
	const struct ml_diff_span *r_span;
	uint64_t nranges;

	uint64_t compared, changed, unknown, added, removed, pages;
};

/* ---- options ---- */

static int parse_opts(struct job *j, int argc, char **argv)
{
	int c;
	struct ml_cli *cli = &j->cli;
	ml_cli_init(cli, argc, argv);
	while ((c = ml_picopts_next(cli, &j->opt, &j->pic_opt)) > 0) {
		switch (c) {
		case OPT_GRANULE:
			if (ml_parse_size(optarg, &j->granule) || !j->granule || (j->granule & (j->granule - 1)) ||
			    j->granule > ((uint64_t)1 << 30))
				return ml_usage_error("--granule %s: expected a power of two from 1 to 1G", optarg), -1;
			break;
		case OPT_COLOR:
			j->color_word = optarg;
			break;
		}
	}
	if (c < 0 || ml_cli_done(cli))
		return -1;
	if (!cli->out && j->pic_opt)
		return ml_picopts_refuse(cmd_diff_opts, j->pic_opt, "-o DIFF.png");
	if (!cli->out && cli->map)
		return ml_cli_refuse("--map", "it describes the -o picture; give -o DIFF.png");
	j->picture = cli->out != NULL;
	bool is_png;
	if (j->picture && ml_picopts_check(&j->opt, cli->out, true, cli->map != NULL, &is_png))
		return -1;
	if (j->picture && j->opt.fmt.palette == ML_PAL_ENTROPY)
		return ml_usage_error("--palette entropy colours windows of bytes, not the bytes diff draws: "
				      "use gray, byteclass or cubehelix"), -1;
	/* The summary goes to standard output unless the picture or the JSON does. */
	j->summary = !cli->json && !(cli->out && !strcmp(cli->out, "-"));
	if (j->color_word && !j->summary)
		return ml_cli_refuse("--color", "it colours the terminal summary, which %s replaces",
				     cli->json ? "--json" : "-o -");
	int col = ml_ansi_want_color(j->color_word ? j->color_word : "auto", stdout);
	if (col < 0)
		return ml_usage_error("--color %s: expected auto, always or never", j->color_word), -1;
	j->color = col > 0;
	return 0;
}

/* ---- JSON pieces ---- */

static json_t *region_json(const struct ml_space *s, long i)
{
	if (i < 0)
		return json_null();
	const struct ml_region *r = &s->r[i];
	char perms[5];
	json_t *o = json_object();
	ml_perms_str(r->prot, perms);
	json_object_set_new(o, "start", ml_json_hex(r->start));
	json_object_set_new(o, "end", ml_json_hex(r->end));
	json_object_set_new(o, "perms", json_string(perms));
	json_object_set_new(o, "kind", json_string(ml_kind_name(r->kind)));
	json_object_set_new(o, "path", ml_json_str(r->path));
	if (r->deleted)
		json_object_set_new(o, "deleted", json_true());
	json_object_set_new(o, "file_offset", json_integer((json_int_t)r->file_offset));
	return o;
}

/* One value, compact, jansson doing all the escaping; steals j. */
static void dump(json_t *v)
{
	json_dumpf(v, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(v);
}

static void json_list(const struct job *j, bool want_a, bool want_b)
{
	size_t k = 0;
	putchar('[');
	for (size_t i = 0; i < j->nmaps; i++) {
		const struct ml_diff_map *m = &j->maps[i];
		bool a_only = m->rb < 0, b_only = m->ra < 0;
		if (want_a && !want_b && !a_only)
			continue;
		if (want_b && !want_a && !b_only)
			continue;
		if (want_a && want_b) {
			if (a_only || b_only || !m->what)
				continue;
			json_t *o = json_object(), *w = json_array();
			json_object_set_new(o, "a", region_json(j->a, m->ra));
			json_object_set_new(o, "b", region_json(j->b, m->rb));
			for (unsigned bit = 1; bit <= ML_DIFF_OFFSET; bit <<= 1) {
				char word[16];
				if (m->what & bit)
					json_array_append_new(w, json_string(ml_diff_what(bit, word, sizeof word)));
			}
			json_object_set_new(o, "changes", w);
			fputs(k++ ? ",\n  " : "\n  ", stdout);
			dump(o);
			continue;
		}
		fputs(k++ ? ",\n  " : "\n  ", stdout);
		dump(region_json(want_a ? j->a : j->b, want_a ? m->ra : m->rb));
	}
	putchar(']');
}

static void json_head(struct job *j)
{
	fputs("{\"a\": ", stdout);
	dump(ml_json_source(j->a, NULL, NULL));
	fputs(",\n \"b\": ", stdout);
	dump(ml_json_source(j->b, NULL, NULL));
	printf(",\n \"granule\": %" PRIu64 ",\n \"added\": ", j->granule);
	json_list(j, false, true);
	fputs(",\n \"removed\": ", stdout);
	json_list(j, true, false);
	fputs(",\n \"mapping_changes\": ", stdout);
	json_list(j, true, true);
	fputs(",\n \"changed\": [", stdout);
}

static void json_tail(struct job *j)
{
	fputs("],\n \"regions\": [", stdout);
	for (size_t i = 0; i < j->nst; i++) {
		const struct rstat *r = &j->st[i];
		json_t *o = json_object();
		json_object_set_new(o, "start", ml_json_hex(r->start));
		json_object_set_new(o, "end", ml_json_hex(r->end));
		json_object_set_new(o, "a", region_json(j->a, r->ra));
		json_object_set_new(o, "b", region_json(j->b, r->rb));
		json_object_set_new(o, "compared_bytes", json_integer((json_int_t)r->compared));
		json_object_set_new(o, "changed_bytes", json_integer((json_int_t)r->changed));
		json_object_set_new(o, "unknown_bytes", json_integer((json_int_t)r->unknown));
		json_object_set_new(o, "changed_pages", json_integer((json_int_t)r->pages));
		fputs(i ? ",\n  " : "\n  ", stdout);
		dump(o);
	}
	json_t *t = json_object();
	json_object_set_new(t, "changed_bytes", json_integer((json_int_t)j->changed));
	json_object_set_new(t, "compared_bytes", json_integer((json_int_t)j->compared));
	json_object_set_new(t, "unknown_bytes", json_integer((json_int_t)j->unknown));
	json_object_set_new(t, "added_bytes", json_integer((json_int_t)j->added));
	json_object_set_new(t, "removed_bytes", json_integer((json_int_t)j->removed));
	json_object_set_new(t, "changed_pages", json_integer((json_int_t)j->pages));
	json_object_set_new(t, "changed_ranges", json_integer((json_int_t)j->nranges));
	fputs("],\n \"totals\": ", stdout);
	dump(t);
	fputs("}\n", stdout);
}

/* ---- the walk ---- */

/* Groups the spans both sides have into region pairs, and sizes each pair's map. */
static void plan_stats(struct job *j)
{
	j->stat_of = ml_calloc(j->nsp ? j->nsp : 1, sizeof *j->stat_of);
	j->st = ml_calloc(j->nsp ? j->nsp : 1, sizeof *j->st);
	for (size_t i = 0; i < j->nsp; i++) {
		const struct ml_diff_span *s = &j->sp[i];
		j->stat_of[i] = SIZE_MAX;
		if (s->ra < 0 || s->rb < 0)
			continue;
		struct rstat *last = j->nst ? &j->st[j->nst - 1] : NULL;
		if (!last || last->ra != s->ra || last->rb != s->rb) {
			last = &j->st[j->nst++];
			*last = (struct rstat){ .ra = s->ra, .rb = s->rb, .start = s->start };
		}
		last->end = s->end;
		j->stat_of[i] = (size_t)(last - j->st);
	}
	for (size_t i = 0; i < j->nst; i++) {
		struct rstat *r = &j->st[i];
		r->first_page = r->start / j->ps;
		uint64_t pages = (r->end + j->ps - 1) / j->ps - r->first_page;
		uint64_t room = (uint64_t)j->map_w * MAP_ROWS;
		r->ppc = ML_MAX((pages + room - 1) / room, 1);
		r->ncells = (pages + r->ppc - 1) / r->ppc;
	}
}

/* Marks the map cells of [addr, addr+len) with value v where it is worse. */
static void mark_cells(const struct job *j, struct rstat *r, uint64_t addr, uint64_t len, uint8_t v)
{
	if (!r->cells)
		r->cells = ml_calloc((size_t)r->ncells, 1);
	uint64_t c0 = (addr / j->ps - r->first_page) / r->ppc;
	uint64_t c1 = ((addr + len - 1) / j->ps - r->first_page) / r->ppc;
	for (uint64_t c = c0; c <= c1 && c < r->ncells; c++)
		if (r->cells[c] < v)
			r->cells[c] = v;
}

/* The range being merged is complete: out as JSON, counted. */
static void flush_range(struct job *j)
{
	if (!j->open)
		return;
	j->open = false;
	j->nranges++;
	if (!j->cli.json)
		return;
	json_t *o = json_object();
	json_object_set_new(o, "start", ml_json_hex(j->r_start));
	json_object_set_new(o, "end", ml_json_hex(j->r_end));
	json_object_set_new(o, "bytes", json_integer((json_int_t)j->r_bytes));
	json_object_set_new(o, "region", region_json(j->b, j->r_span->rb));
	fputs(j->nranges > 1 ? ",\n  " : "\n  ", stdout);
	dump(o);
}

/* Changed bytes [addr, addr+len) join the range being merged, or start the next. */
static void add_changed(struct job *j, const struct ml_diff_span *sp, uint64_t addr, uint64_t len)
{
	uint64_t g = j->granule;
	uint64_t s = ML_MAX(addr / g * g, sp->start);
	uint64_t e = ML_MIN((addr + len - 1) / g * g + g, sp->end);
	if (j->open && j->r_span == sp && s <= j->r_end) {
		j->r_end = ML_MAX(j->r_end, e);
		j->r_bytes += len;
		return;
	}
	flush_range(j);
	j->open = true;
	j->r_span = sp;
	j->r_start = s;
	j->r_end = e;
	j->r_bytes = len;
}

static int on_run(void *ctx, const struct ml_diff_span *sp, uint64_t addr, size_t len, enum ml_diff_state st,
		  const uint8_t *bdata)
{
	struct job *j = ctx;
	size_t k = j->stat_of[sp - j->sp];
	struct rstat *r = k == SIZE_MAX ? NULL : &j->st[k];
	if (r && k != j->cur) {
		/* The previous pair is done: a map is kept only for a pair that changed. */
		struct rstat *prev = &j->st[j->cur];
		if (!prev->changed) {
			free(prev->cells);
			prev->cells = NULL;
		}
		j->cur = k;
	}
	if (j->open && j->r_span != sp)
		flush_range(j);
	uint8_t px = ML_PX_SAME;
	switch (st) {
	case ML_DIFF_ADDED:
		j->added += len;
		px = ML_PX_ADDED;
		break;
	case ML_DIFF_REMOVED:
		j->removed += len;
		px = ML_PX_REMOVED;
		break;
	case ML_DIFF_SAME:
		r->compared += len;
		if (j->summary && !r->cells)
			r->cells = ml_calloc((size_t)r->ncells, 1);	/* all CELL_SAME */
		break;
	case ML_DIFF_CHANGED: {
		r->compared += len;
		r->changed += len;
		uint64_t p0 = addr / j->ps, p1 = (addr + len - 1) / j->ps;
		if (p0 < r->next_page)
			p0 = r->next_page;	/* that page was counted already */
		if (p0 <= p1)
			r->pages += p1 - p0 + 1;
		r->next_page = p1 + 1;
		if (j->summary)
			mark_cells(j, r, addr, len, CELL_CHANGED);
		add_changed(j, sp, addr, len);
		px = ML_PX_DATA;
		break;
	}
	case ML_DIFF_UNKNOWN:
		r->unknown += len;
		if (j->summary)
			mark_cells(j, r, addr, len, CELL_UNKNOWN);
		px = ML_PX_HOLE;
		break;
	}
	if (j->picture && ml_pic_feed(&j->pic, bdata, len, px))
		return -1;
	return 0;
}

/* ---- the summary ---- */

static void describe(const char *label, const struct ml_space *s)
{
	printf("# %s: %s ", label, ml_space_kind(s));
	ml_fputs_source(stdout, s);
	putchar('\n');
}

static void region_line(const struct ml_region *r)
{
	char perms[5], h[32];
	ml_perms_str(r->prot, perms);
	printf("0x%016" PRIx64 "-0x%016" PRIx64 " %10s %s %-6s", r->start, r->end,
	       ml_human_size(r->end - r->start, h, sizeof h), perms, ml_kind_name(r->kind));
	if (r->path) {
		putchar(' ');
		ml_fputs_escaped(stdout, r->path);
	}
	if (r->deleted)
		fputs(" (deleted)", stdout);
}

static void print_mappings(const struct job *j)
{
	size_t add = 0, rem = 0, chg = 0, same = 0;
	for (size_t i = 0; i < j->nmaps; i++) {
		const struct ml_diff_map *m = &j->maps[i];
		add += m->ra < 0;
		rem += m->rb < 0;
		chg += m->ra >= 0 && m->rb >= 0 && m->what;
		same += m->ra >= 0 && m->rb >= 0 && !m->what;
	}
	printf("# mappings: %zu added, %zu removed, %zu changed, %zu the same\n", add, rem, chg, same);
	for (size_t i = 0; i < j->nmaps; i++) {
		const struct ml_diff_map *m = &j->maps[i];
		if (m->ra >= 0 && m->rb >= 0 && !m->what)
			continue;
		if (m->ra < 0 || m->rb < 0) {
			fputs(m->ra < 0 ? "added    " : "removed  ", stdout);
			region_line(m->ra < 0 ? &j->b->r[m->rb] : &j->a->r[m->ra]);
			putchar('\n');
			continue;
		}
		char what[64];
		printf("changed  (%s)\n  A ", ml_diff_what(m->what, what, sizeof what));
		region_line(&j->a->r[m->ra]);
		fputs("\n  B ", stdout);
		region_line(&j->b->r[m->rb]);
		putchar('\n');
	}
}

static int by_changed(const void *x, const void *y)
{
	const struct rstat *a = *(const struct rstat *const *)x, *b = *(const struct rstat *const *)y;
	if (a->changed != b->changed)
		return a->changed > b->changed ? -1 : 1;
	return a->start < b->start ? -1 : a->start > b->start;
}

/* A region's map: its cells as runs, through the shared half-block map. */
static void print_map(const struct job *j, const struct rstat *r)
{
	uint8_t ansi[CELL__COUNT];
	char chars[CELL__COUNT];
	for (int i = 0; i < CELL__COUNT; i++) {
		ansi[i] = ml_ansi_256(cells[i].rgb[0], cells[i].rgb[1], cells[i].rgb[2]);
		chars[i] = cells[i].ch;
	}
	uint64_t unit = r->ppc * j->ps;
	char h[32];
	printf("  map: a cell is %s (%" PRIu64 " page%s)\n", ml_human_size(unit, h, sizeof h), r->ppc,
	       r->ppc == 1 ? "" : "s");
	struct ml_tmap m;
	ml_tmap_init(&m, stdout, j->map_w, j->color, unit, ansi, chars, CELL__COUNT);
	ml_tmap_section(&m, r->first_page * j->ps);
	for (uint64_t c = 0; c < r->ncells;) {
		uint64_t e = c + 1;
		while (e < r->ncells && r->cells[e] == r->cells[c])
			e++;
		ml_tmap_put(&m, r->cells[c], e - c);
		c = e;
	}
	ml_tmap_end(&m);
	ml_tmap_free(&m);
}

static void print_summary(struct job *j)
{
	char h1[32], h2[32], h3[32], h4[32], h5[32];
	describe("A", j->a);
	describe("B", j->b);
	print_mappings(j);
	printf("# bytes: %s changed in %" PRIu64 " page%s, of %s compared; %s unknown; %s added, %s removed\n",
	       ml_human_size(j->changed, h1, sizeof h1), j->pages, j->pages == 1 ? "" : "s",
	       ml_human_size(j->compared, h2, sizeof h2), ml_human_size(j->unknown, h3, sizeof h3),
	       ml_human_size(j->added, h4, sizeof h4), ml_human_size(j->removed, h5, sizeof h5));
	const struct rstat **v = ml_calloc(j->nst ? j->nst : 1, sizeof *v);
	size_t n = 0, quiet = 0;
	for (size_t i = 0; i < j->nst; i++) {
		if (j->st[i].changed || j->st[i].unknown)
			v[n++] = &j->st[i];
		else
			quiet++;
	}
	qsort(v, n, sizeof *v, by_changed);
	if (n)
		printf("%-18s %-18s %10s %-5s %-6s %10s %8s %10s  %s\n", "START", "END", "SIZE", "PERMS", "KIND",
		       "CHANGED", "PAGES", "UNKNOWN", "PATH");
	for (size_t i = 0; i < n; i++) {
		const struct rstat *r = v[i];
		const struct ml_region *b = &j->b->r[r->rb];
		char perms[5];
		ml_perms_str(b->prot, perms);
		printf("0x%016" PRIx64 " 0x%016" PRIx64 " %10s %-5s %-6s %10s %8" PRIu64 " %10s  ", r->start, r->end,
		       ml_human_size(r->end - r->start, h1, sizeof h1), perms, ml_kind_name(b->kind),
		       ml_human_size(r->changed, h2, sizeof h2), r->pages, ml_human_size(r->unknown, h3, sizeof h3));
		if (b->path)
			ml_fputs_escaped(stdout, b->path);
		putchar('\n');
		if (r->changed && r->cells)
			print_map(j, r);
	}
	printf("# %zu region%s without a changed or unknown byte\n", quiet, quiet == 1 ? "" : "s");
	if (n) {
		struct ml_wrap w;
		ml_wrap_start(&w, stdout, ml_term_columns(STDOUT_FILENO), "legend:", "  ", 2);
		for (int i = 0; i < CELL__COUNT; i++) {
			if (j->color) {
				ml_wrap_item(&w, 3 + (unsigned)strlen(cells[i].name));	/* two blocks, a space */
				ml_ansi_swatch(stdout, ml_ansi_256(cells[i].rgb[0], cells[i].rgb[1], cells[i].rgb[2]),
					       cells[i].name);
			} else {
				ml_wrap_text(&w, "%c %s", cells[i].ch, cells[i].name);
			}
		}
		ml_wrap_end(&w);
	}
	free(v);
}

/* ---- the picture ---- */

static int start_picture(struct job *j, struct ml_out *out)
{
	uint64_t bytes = 0;
	for (size_t i = 0; i < j->nsp; i++)
		bytes += j->sp[i].end - j->sp[i].start;
	ml_pic_init(&j->pic, &j->opt, j->cli.out, true, ML_PX_SAME);
	if (ml_pic_plan(&j->pic, bytes))
		return -1;
	char bpp[8], width[24], first[24], sel[512];
	snprintf(bpp, sizeof bpp, "%u", j->opt.fmt.bpp);
	snprintf(width, sizeof width, "%llu", (unsigned long long)(j->opt.hilbert ?
		 j->pic.out_w << (j->pic.hshift / 2) : j->pic.width));
	snprintf(first, sizeof first, "0x%llx", (unsigned long long)j->sp[0].start);
	ml_pic_selection_text(&j->cli, sel, sizeof sel);
	char *na = ml_escape(j->a->name), *nb = ml_escape(j->b->name);
	char legend[160];
	snprintf(legend, sizeof legend, "unchanged=#%02x%02x%02x, changed=B's bytes, added=#%02x%02x%02x, "
		 "removed=#%02x%02x%02x, unknown=#%02x%02x%02x", ML_SAME_R, ML_SAME_G, ML_SAME_B, ML_ADDED_R,
		 ML_ADDED_G, ML_ADDED_B, ML_REMOVED_R, ML_REMOVED_G, ML_REMOVED_B, ML_HOLE_R, ML_HOLE_G, ML_HOLE_B);
	const char *text[] = {
		"Software", PACKAGE_STRING, "Source", na, "Source B", nb, "Selection", sel,
		"Bits per pixel", bpp, "Width", width, "First address", first,
		"Layout", j->opt.hilbert ? "hilbert" : "rows", "Palette", ml_palette_name(j->opt.fmt.palette),
		"Legend", legend,
	};
	/* Legend colours need RGB whatever the depth. */
	int r = ml_pic_start(&j->pic, 3, out->f, text, ML_ARRAY_SIZE(text) / 2);
	free(na);
	free(nb);
	return r;
}

static int write_map(struct job *j, struct ml_out *o)
{
	json_t *root = json_object(), *arr = json_array();
	json_object_set_new(root, "a", ml_json_source(j->a, NULL, NULL));
	json_object_set_new(root, "b", ml_json_source(j->b, NULL, NULL));
	ml_pic_map_head(&j->pic, root);
	uint64_t off = 0;
	for (size_t i = 0; i < j->nsp; i++) {
		const struct ml_diff_span *s = &j->sp[i];
		bool in_b = s->rb >= 0;
		const struct ml_region *r = in_b ? &j->b->r[s->rb] : &j->a->r[s->ra];
		char perms[5];
		ml_perms_str(r->prot, perms);
		json_t *e = json_object();
		json_object_set_new(e, "start", ml_json_hex(s->start));
		json_object_set_new(e, "end", ml_json_hex(s->end));
		json_object_set_new(e, "status", json_string(s->ra < 0 ? "added" : s->rb < 0 ? "removed" : "both"));
		json_object_set_new(e, "kind", json_string(ml_kind_name(r->kind)));
		json_object_set_new(e, "perms", json_string(perms));
		json_object_set_new(e, "path", ml_json_str(r->path));
		ml_pic_map_place(&j->pic, e, off, s->end - s->start);
		json_array_append_new(arr, e);
		off += s->end - s->start;
	}
	json_object_set_new(root, "regions", arr);
	if (ml_json_print(root, o->f)) {
		ml_err("%s: write failed: %s", j->cli.map, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

int cmd_diff(int argc, char **argv)
{
	struct job j = { .granule = 1 };
	struct ml_out out, map;
	bool out_open = false, map_open = false;
	int ret = ML_EXIT_USAGE;

	ml_picopts_init(&j.opt);
	if (parse_opts(&j, argc, argv))
		goto done;
	if ((ret = ml_cli_open2(&j.cli, &j.a, &j.sa, &j.b, &j.sb)))
		goto done;
	ret = ML_EXIT_FAIL;
	j.ps = j.b->page_size ? j.b->page_size : 4096;
	j.map_w = ML_MIN(ML_MAX(ml_term_columns(STDOUT_FILENO), 40u) - 20, 256u);
	if (j.a->pid && j.b->pid && j.a->pid != j.b->pid)
		ml_warn("A is pid %d and B pid %d: two processes are two address spaces", j.a->pid, j.b->pid);
	j.nsp = ml_diff_spans(&j.sa, &j.sb, &j.sp);
	j.nmaps = ml_diff_maps(j.a, &j.sa, j.b, &j.sb, &j.maps);
	plan_stats(&j);
	if (j.picture) {
		const struct ml_space *ins[] = { j.a, j.b };
		if (ml_out_open_inputs(&out, j.cli.out, ins, 2))
			goto done;
		out_open = true;
		if (j.cli.map) {
			if (ml_out_open_inputs(&map, j.cli.map, ins, 2))
				goto done;
			map_open = true;
		}
		if (start_picture(&j, &out))
			goto done;
	}
	if (j.cli.json)
		json_head(&j);
	if (ml_diff_bytes(j.a, j.b, j.sp, j.nsp, on_run, &j))
		goto done;
	flush_range(&j);
	for (size_t i = 0; i < j.nst; i++) {
		j.compared += j.st[i].compared;
		j.changed += j.st[i].changed;
		j.unknown += j.st[i].unknown;
		j.pages += j.st[i].pages;
	}
	if (j.picture && ml_pic_finish(&j.pic))
		goto done;
	if (map_open && write_map(&j, &map))
		goto done;
	if (j.cli.json)
		json_tail(&j);
	else if (j.summary)
		print_summary(&j);
	if (ml_stdout_done())
		goto done;
	if (j.unknown) {
		char h[32];
		ml_warn("%s that both have could not be read in A or in B: counted as unknown, not compared",
			ml_human_size(j.unknown, h, sizeof h));
	}
	/* The exit status is decided before anything is committed: 1 leaves no file. */
	ret = ml_cli_finish(&j.cli, j.unknown != 0);
	if (ret == ML_EXIT_OK && out_open) {
		struct ml_out *outs[] = { &out, &map };
		if (ml_out_commit_all(outs, map_open ? 2 : 1))
			ret = ML_EXIT_FAIL;
		out_open = map_open = false;
	}
done:
	ml_pic_free(&j.pic);
	if (out_open)
		ml_out_abort(&out);
	if (map_open)
		ml_out_abort(&map);
	for (size_t i = 0; i < j.nst; i++)
		free(j.st[i].cells);
	free(j.st);
	free(j.stat_of);
	free(j.sp);
	free(j.maps);
	ml_selection_free(&j.sa);
	ml_selection_free(&j.sb);
	ml_space_close(j.a);
	ml_space_close(j.b);
	ml_cli_free(&j.cli);
	return ret;
}
