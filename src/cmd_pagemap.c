/*
 * cmd_pagemap: `memlens pagemap` — what the kernel says about every page.
 * For a live process: /proc/PID/pagemap (through PAGEMAP_SCAN unless
 * --no-scan) and, as root, kpageflags and kpagecount; never the target's
 * memory, which would fault pages in.  For a core or a dump: which pages
 * were captured.  --physical: every frame of System RAM.  Output: a
 * terminal map of half-blocks (allocmap's layout), per-region counts as a
 * table, JSON or CSV (--pages: one row per page), or a PNG, one pixel per
 * page.  Pages are read in bounded batches, so memory stays flat.
 */
#include "config.h"
#include "commands.h"
#include "cli.h"
#include "json.h"
#include "output.h"
#include "pagemap.h"
#include "physmap.h"
#include "pixel.h"
#include "termwrap.h"
#include "unitmap.h"
#include "mlnote.h"
#include "util.h"
#include "ansi.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char cmd_pagemap_help[] =
	"Usage: memlens pagemap SOURCE [--json | --csv [--pages]] [-o OUT.png] [OPTIONS]\n"
	"       memlens pagemap --physical [-o OUT.png] [--json] [--layout hilbert|linear]\n"
	"What the kernel says about every page of a live process (present, swapped,\n"
	"file or anonymous, exclusive, soft-dirty, guard, and as root THP, KSM, zero\n"
	"page, sharing ...), or which pages a core or dump captured.  Never reads\n"
	"the memory it reports on.\n\n"
	"  --json                per-region counts and totals as JSON\n"
	"  --csv                 per-region counts as CSV\n"
	"  --pages               with --csv: one row per page instead\n"
	"  -o, --output OUT.png  a picture: one pixel per page\n"
	"  --width PAGES         pages per row of the map/picture (default 80 in\n"
	"                        the terminal, 256 in a picture)\n"
	"  --color auto|always|never  colour in the terminal map (default auto)\n"
	"  --no-scan             read pagemap with pread only (no PAGEMAP_SCAN)\n"
	"  --physical            every frame of System RAM, by kpageflags (root)\n"
	"  --layout hilbert|linear  --physical picture layout (default hilbert)\n\n";

enum {
	OPT_CSV = ML_OPT_FIRST_CMD, OPT_PAGES, OPT_WIDTH, OPT_COLOR,
	OPT_NOSCAN, OPT_PHYSICAL, OPT_LAYOUT,
};

/* pagemap's own options; -o, --json and the source options are cli.c's. */
const struct option cmd_pagemap_opts[] = {
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "pages", no_argument, NULL, OPT_PAGES },
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "no-scan", no_argument, NULL, OPT_NOSCAN },
	{ "physical", no_argument, NULL, OPT_PHYSICAL },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ NULL, 0, NULL, 0 },
};

/* The map's colours, characters and names, by page state. */
static const struct {
	const char *name, *csv;
	uint8_t rgb[3];
	char ch;
} states[ML_ST__COUNT] = {
	[ML_ST_NONE] = { "not present", "none", { 40, 40, 40 }, '.' },
	[ML_ST_ANON] = { "present, anonymous", "anon", { 60, 200, 60 }, 'a' },
	[ML_ST_FILE] = { "present, file or shared", "file", { 60, 120, 230 }, 'f' },
	[ML_ST_THP] = { "transparent huge page (PMD-mapped)", "thp", { 240, 220, 40 }, 'H' },
	[ML_ST_LARGE] = { "large folio (mapped by PTEs)", "large_folio", { 250, 170, 210 }, 'l' },
	[ML_ST_ZERO] = { "the zero page (read, never written)", "zero_page", { 150, 150, 150 }, 'z' },
	[ML_ST_SWAP] = { "swapped out", "swap", { 240, 130, 30 }, 's' },
	[ML_ST_GUARD] = { "guard (MADV_GUARD_INSTALL)", "guard", { 200, 30, 30 }, 'G' },
	[ML_ST_CAPTURED] = { "captured", "captured", { 60, 200, 60 }, '#' },
	[ML_ST_HOLE] = { "not captured (hole)", "hole", { 200, 30, 30 }, '.' },
};
/* Palette indices of the picture beyond the states. */
enum { PX_UNUSED = ML_ST__COUNT, PX_SEPARATOR, PX__COUNT };

struct job {
	struct ml_cli cli;
	bool json, csv, pages, scan, physical, color, hilbert;
	const char *out, *color_word;
	uint64_t width;
	struct ml_space *s;
	struct ml_pagemap *pm;
	struct ml_kpage *kp;
	const char *no_kpage;
	bool zero_known;	/* zero-page mappings can be told from present pages */
	unsigned ps;
	bool live;
	/* what is being drawn */
	struct ml_tmap tm;
	uint8_t ansi[ML_ST__COUNT];
	char chars[ML_ST__COUNT];
	struct ml_upng *png;
	bool exited;
};

static bool drawing(const struct job *j)
{
	return j->png || (!j->json && !j->csv);
}

/* Columns that only kpageflags and kpagecount can fill. */
static bool needs_kp(const char *col)
{
	return !strcmp(col, "thp") || !strcmp(col, "large_folio") || !strcmp(col, "shared");
}

/* n pages of one state into the map or the picture. */
static int state_run(struct job *j, enum ml_pm_state st, uint64_t n)
{
	if (j->png)
		return ml_upng_put(j->png, (uint8_t)st, n);
	ml_tmap_put(&j->tm, (uint8_t)st, n);
	return 0;
}

/* ---- legend and totals on a terminal ---- */

static bool legend_has(const struct job *j, int i)
{
	if (!j->live)
		return i == ML_ST_CAPTURED || i == ML_ST_HOLE;
	if (i > ML_ST_GUARD)
		return false;
	if ((i == ML_ST_THP || i == ML_ST_LARGE) && !j->kp)
		return false;
	return i != ML_ST_ZERO || j->zero_known;
}

static void legend(struct job *j)
{
	struct ml_wrap w;
	ml_wrap_start(&w, stdout, ml_term_columns(STDOUT_FILENO), "legend:", "  ", 2);
	for (int i = 0; i < ML_ST__COUNT; i++) {
		if (!legend_has(j, i))
			continue;
		if (j->color) {
			ml_wrap_item(&w, 3 + (unsigned)strlen(states[i].name));	/* two block characters, a space */
			ml_ansi_swatch(stdout, j->ansi[i], states[i].name);
		} else {
			ml_wrap_text(&w, "%c %s", states[i].ch, states[i].name);
		}
	}
	ml_wrap_end(&w);
}

/* ---- per page ---- */

static void csv_field(const char *s)
{
	if (!s)
		return;
	char *e = ml_utf8_clean(s);
	putchar('"');
	for (const char *p = e; *p; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	putchar('"');
	free(e);
}

static void page_row(const struct job *j, uint64_t addr, uint64_t w, uint64_t kf, uint64_t kc, bool kp,
		     enum ml_pm_state st)
{
	bool swapped = (w & ML_PM_SWAPPED) && !(w & ML_PM_GUARD);
	bool pfn_known = (w & ML_PM_PRESENT) && (w & ML_PM_PFN_MASK);
	printf("0x%" PRIx64 ",%d,%d,%d,%d,%d,%d,%d,", addr, !!(w & ML_PM_PRESENT), swapped,
	       !!(w & ML_PM_FILE), !!(w & ML_PM_EXCLUSIVE), !!(w & ML_PM_SOFT_DIRTY),
	       !!(w & ML_PM_UFFD_WP), !!(w & ML_PM_GUARD));
	if (pfn_known)
		printf("0x%" PRIx64, (uint64_t)(w & ML_PM_PFN_MASK));
	putchar(',');
	if (swapped)
		printf("%" PRIu64 ",0x%" PRIx64, w & 31, (uint64_t)((w & ML_PM_PFN_MASK) >> 5));
	else
		putchar(',');
	putchar(',');
	if (kp && pfn_known)
		printf("0x%" PRIx64 ",%" PRIu64, kf, kc);
	else
		putchar(',');
	printf(",%s\n", states[st].csv);
	(void)j;
}

/* n pages that all have pagemap word w and no frame. */
static int empty_run(struct job *j, uint64_t addr, uint64_t n, uint64_t w, struct ml_pm_counts *c)
{
	c->pages += n;
	if (w & ML_PM_SOFT_DIRTY)
		c->soft_dirty += n;
	for (uint64_t i = 0; j->pages && i < n; i++)
		page_row(j, addr + i * j->ps, w, 0, 0, false, ML_ST_NONE);
	return drawing(j) ? state_run(j, ML_ST_NONE, n) : 0;
}

static int dense_run(struct job *j, const struct ml_pm_seg *g, struct ml_pm_counts *c)
{
	enum ml_pm_state prev = ML_ST_NONE;
	uint64_t same = 0;
	for (uint64_t i = 0; i < g->n; i++) {
		if (!g->w[i] && !j->pages) {
			/* Pages with nothing at all (pread over a reservation): counted as a run. */
			uint64_t k = i;
			while (k < g->n && !g->w[k])
				k++;
			c->pages += k - i;
			if (same && prev != ML_ST_NONE) {
				if (drawing(j) && state_run(j, prev, same))
					return -1;
				same = 0;
			}
			prev = ML_ST_NONE;
			same += k - i;
			i = k - 1;
			continue;
		}
		bool frame = g->kf && (g->w[i] & ML_PM_PRESENT);
		uint64_t kf = frame ? g->kf[i] : 0, kc = frame ? ml_pm_seg_count(g, i) : 0;
		enum ml_pm_state st = ml_pm_classify(g->w[i], g->info[i], kf, kc, c, g->kf != NULL);
		if (j->pages)
			page_row(j, g->addr + i * j->ps, g->w[i], kf, kc, g->kf != NULL, st);
		if (same && st != prev) {
			if (drawing(j) && state_run(j, prev, same))
				return -1;
			same = 0;
		}
		prev = st;
		same++;
	}
	return same && drawing(j) ? state_run(j, prev, same) : 0;
}

/* A core or dump: the captured pages, then the holes. */
static int dump_pages(struct job *j, const struct ml_region *r, uint64_t first, uint64_t last,
		      struct ml_pm_counts *c)
{
	uint64_t capped = (ml_region_cap_end(r) + j->ps - 1) / j->ps;
	uint64_t split = ML_MAX(first, ML_MIN(last, capped));
	c->pages += last - first;
	c->captured += split - first;
	c->holes += last - split;
	for (uint64_t pg = first; j->pages && pg < last; pg++)
		printf("0x%" PRIx64 ",%d\n", pg * j->ps, pg < split);
	if (!drawing(j))
		return 0;
	return state_run(j, ML_ST_CAPTURED, split - first) || state_run(j, ML_ST_HOLE, last - split) ? -1 : 0;
}

/* n pages with the same pagemap word and facts (from a MEMLENS note): one classified, n counted. */
static int facts_run(struct job *j, uint64_t addr, uint64_t n, uint32_t facts, struct ml_pm_counts *c)
{
	uint64_t w = ml_pf_to_word(facts);
	unsigned info = facts & ML_PF_ZERO ? ML_PMI_ZERO : 0;
	struct ml_pm_counts one = { 0 };
	enum ml_pm_state st = ml_pm_classify(w, info, 0, 0, &one, false);
	uint64_t *f = (uint64_t *)&one;
	for (size_t i = 0; i < sizeof one / sizeof(uint64_t); i++)
		f[i] *= n;
	ml_pm_counts_add(c, &one);
	for (uint64_t i = 0; j->pages && i < n; i++)
		page_row(j, addr + i * j->ps, w, 0, 0, false, st);
	return drawing(j) ? state_run(j, st, n) : 0;
}

/*
 * A core memlens snapshot wrote: what pagemap said of each page at
 * capture time, from its MEMLENS note, shown as for a live process.
 * Pages no run covers (a hostile or cut note) are empty.
 */
static int fact_pages(struct job *j, uint64_t first, uint64_t last, struct ml_pm_counts *c)
{
	uint64_t pos = first * j->ps, end = last * j->ps;
	int ret = 0;
	for (uint64_t i = ml_core_pagefacts_find(j->s, pos); pos < end && !ret; i++) {
		struct ml_mlrun run;
		bool ok = i < j->s->pagefacts_n && ml_core_pagefacts_run(j->s, i, &run) == 0;
		uint64_t a = ok ? ML_MAX(run.start, pos) : end, b = ok ? ML_MIN(run.end, end) : end;
		if (ok && b <= pos)
			continue;	/* out of order: not trusted */
		if (a > pos)
			ret = facts_run(j, pos, (ML_MIN(a, end) - pos) / j->ps, 0, c);
		if (!ret && ok && b > a)
			ret = facts_run(j, a, (b - a) / j->ps, run.facts, c);
		pos = ML_MAX(pos, ok ? b : end);
	}
	return ret;
}

/* ---- per region ---- */

static json_t *counts_json(const struct job *j, const struct ml_pm_counts *c)
{
	json_t *o = json_object();
#define N(k, v) json_object_set_new(o, k, json_integer((json_int_t)(v)))
#define K(k, v) json_object_set_new(o, k, j->kp ? json_integer((json_int_t)(v)) : json_null())
	N("pages", c->pages);
	if (!j->live) {
		N("captured", c->captured);
		N("holes", c->holes);
		return o;
	}
	N("present", c->present);
	N("swapped", c->swapped);
	N("file", c->file);
	N("anon", c->anon);
	N("exclusive", c->exclusive);
	N("soft_dirty", c->soft_dirty);
	N("uffd_wp", c->uffd_wp);
	N("guard", c->guard);
	json_object_set_new(o, "zero_page", j->zero_known ? json_integer((json_int_t)c->zero) : json_null());
	K("thp", c->thp);
	K("large_folio", c->large);
	K("shared", c->shared);
	K("hugetlb", c->hugetlb);
	K("ksm", c->ksm);
	K("active", c->active);
	K("inactive", c->inactive);
	K("dirty", c->dirty);
	K("swapcache", c->swapcache);
	K("unevictable", c->unevictable);
	K("mlocked", c->mlocked);
	K("compound_head", c->compound_head);
	K("compound_tail", c->compound_tail);
#undef N
#undef K
	return o;
}

static const char *const live_cols[] = {
	"pages", "present", "swapped", "file", "anon", "exclusive", "soft_dirty", "guard", "zero_page", "thp",
	"large_folio", "shared",
};

/* The values of live_cols; false where a column is null. */
static void col_values(const struct job *j, const struct ml_pm_counts *c, uint64_t *v, bool *known)
{
	const uint64_t vals[] = { c->pages, c->present, c->swapped, c->file, c->anon, c->exclusive,
				  c->soft_dirty, c->guard, c->zero, c->thp, c->large, c->shared };
	for (size_t i = 0; i < ML_ARRAY_SIZE(live_cols); i++) {
		v[i] = vals[i];
		known[i] = !strcmp(live_cols[i], "zero_page") ? j->zero_known : !needs_kp(live_cols[i]) || j->kp;
	}
}

static void csv_counts(const struct job *j, const struct ml_pm_counts *c)
{
	if (!j->live) {
		printf(",%" PRIu64 ",%" PRIu64 ",%" PRIu64, c->pages, c->captured, c->holes);
		return;
	}
	uint64_t v[ML_ARRAY_SIZE(live_cols)];
	bool known[ML_ARRAY_SIZE(live_cols)];
	col_values(j, c, v, known);
	for (size_t i = 0; i < ML_ARRAY_SIZE(live_cols); i++)
		known[i] ? printf(",%" PRIu64, v[i]) : printf(",");
}

static void totals_text(const struct job *j, const struct ml_pm_counts *c)
{
	struct ml_wrap w;
	ml_wrap_start(&w, stdout, ml_term_columns(STDOUT_FILENO), "\ntotals:", "  ", 2);
	if (!j->live) {
		ml_wrap_text(&w, "pages %" PRIu64, c->pages);
		ml_wrap_text(&w, "captured %" PRIu64, c->captured);
		ml_wrap_text(&w, "holes %" PRIu64, c->holes);
	} else {
		uint64_t v[ML_ARRAY_SIZE(live_cols)];
		bool known[ML_ARRAY_SIZE(live_cols)];
		col_values(j, c, v, known);
		for (size_t i = 0; i < ML_ARRAY_SIZE(live_cols); i++)
			known[i] ? ml_wrap_text(&w, "%s %" PRIu64, live_cols[i], v[i])
				 : ml_wrap_text(&w, "%s -", live_cols[i]);
	}
	ml_wrap_end(&w);
}

static void region_header(const struct job *j, const struct ml_piece *p)
{
	const struct ml_region *r = &j->s->r[p->region];
	char perms[5];
	ml_perms_str(r->prot, perms);
	printf("%016" PRIx64 "-%016" PRIx64 " %s %-5s ", p->start, p->end, perms, ml_kind_name(r->kind));
	if (r->path)
		ml_fputs_escaped(stdout, r->path);
	putchar('\n');
}

static bool map_mode(const struct job *j)
{
	return !j->json && !j->csv && !j->png;
}

static int piece_start(struct job *j, const struct ml_piece *p)
{
	if (map_mode(j)) {
		region_header(j, p);
		ml_tmap_section(&j->tm, p->start / j->ps * j->ps);
	}
	return j->png ? ml_upng_section(j->png, p->start / j->ps * j->ps, 0) : 0;
}

/* A region's pages are all counted: its map ends, its row is printed. */
static int piece_end(struct job *j, const struct ml_piece *p, const struct ml_pm_counts *c, json_t *regions)
{
	const struct ml_region *r = &j->s->r[p->region];
	if (map_mode(j))
		ml_tmap_end(&j->tm);
	if (j->png && ml_upng_end_section(j->png))
		return -1;
	char perms[5];
	ml_perms_str(r->prot, perms);
	if (j->json) {
		json_t *o = json_object();
		json_object_set_new(o, "start", ml_json_hex(p->start));
		json_object_set_new(o, "end", ml_json_hex(p->end));
		json_object_set_new(o, "perms", json_string(perms));
		json_object_set_new(o, "kind", json_string(ml_kind_name(r->kind)));
		json_object_set_new(o, "path", ml_json_str(r->path));
		json_t *counts = counts_json(j, c);
		json_object_update(o, counts);
		json_decref(counts);
		json_array_append_new(regions, o);
	} else if (j->csv && !j->pages) {
		printf("0x%" PRIx64 ",0x%" PRIx64 ",%s,%s,", p->start, p->end, perms, ml_kind_name(r->kind));
		csv_field(r->path);
		csv_counts(j, c);
		putchar('\n');
	}
	return 0;
}

/* A live process: pagemap and kpageflags, joined by the walk. */
static int live_pages(struct job *j, const struct ml_selection *sel, struct ml_pm_counts *tot, json_t *regions)
{
	struct ml_pm_walk *wk = ml_pm_walk_new(j->pm, j->kp, j->scan, sel->p, sel->n);
	struct ml_pm_counts c = { 0 };
	struct ml_pm_seg g;
	size_t cur = SIZE_MAX;
	int r, ret = 0;
	while ((r = ml_pm_walk_next(wk, &g)) > 0) {
		if (g.piece != cur) {
			if (cur != SIZE_MAX && piece_end(j, &sel->p[cur], &c, regions)) {
				ret = -1;
				break;
			}
			ml_pm_counts_add(tot, &c);
			c = (struct ml_pm_counts){ 0 };
			cur = g.piece;
			if (piece_start(j, &sel->p[cur])) {
				ret = -1;
				break;
			}
		}
		if (ml_pm_walk_kpage_failed(wk) && j->kp) {
			/* Columns from here on are null; earlier regions keep theirs. */
			j->no_kpage = "reading /proc/kpageflags or /proc/kpagecount failed";
			ml_kpage_close(j->kp);
			j->kp = NULL;
		}
		if (g.dense ? dense_run(j, &g, &c) : empty_run(j, g.addr, g.n, g.word, &c)) {
			ret = -1;
			break;
		}
	}
	if (r < 0)
		ret = -1;
	if (!ret && cur != SIZE_MAX) {
		ret = piece_end(j, &sel->p[cur], &c, regions);
		ml_pm_counts_add(tot, &c);
	}
	uint64_t at;
	if (!ret && ml_pm_walk_gone(wk, &at)) {
		ml_warn("pid %d went away mid-report: pages from 0x%" PRIx64 " on are not reported", j->s->pid, at);
		j->exited = true;
	}
	ml_pm_walk_free(wk);
	return ret;
}

/* A core or dump by its captured pages, or a snapshot's core by its MEMLENS note. */
static int dump_regions(struct job *j, const struct ml_selection *sel, struct ml_pm_counts *tot, json_t *regions)
{
	for (size_t i = 0; i < sel->n; i++) {
		const struct ml_piece *p = &sel->p[i];
		struct ml_pm_counts c = { 0 };
		uint64_t first = p->start / j->ps, last = (p->end + j->ps - 1) / j->ps;
		if (piece_start(j, p) ||
		    (j->live ? fact_pages(j, first, last, &c) : dump_pages(j, &j->s->r[p->region], first, last, &c)) ||
		    piece_end(j, p, &c, regions))
			return -1;
		ml_pm_counts_add(tot, &c);
	}
	return 0;
}

static int run(struct job *j, const struct ml_selection *sel)
{
	struct ml_pm_counts tot = { 0 };
	json_t *regions = j->json ? json_array() : NULL;
	if (j->csv && !j->pages) {
		printf("start,end,perms,kind,path");
		if (j->live)
			for (size_t i = 0; i < ML_ARRAY_SIZE(live_cols); i++)
				printf(",%s", live_cols[i]);
		else
			printf(",pages,captured,holes");
		putchar('\n');
	} else if (j->csv) {
		printf(j->live ? "address,present,swapped,file,exclusive,soft_dirty,uffd_wp,guard,pfn,swap_type,swap_offset,kpageflags,kpagecount,state\n"
			       : "address,captured\n");
	}
	/* A core with a MEMLENS note (j->live) is walked region by region too. */
	if (ml_space_can(j->s, ML_CAP_LIVE) ? live_pages(j, sel, &tot, regions) : dump_regions(j, sel, &tot, regions)) {
		json_decref(regions);
		return -1;
	}
	if (j->json) {
		json_t *root = json_object();
		json_object_set_new(root, "source", ml_json_source(j->s, NULL, NULL));
		json_object_set_new(root, "page_size", json_integer(j->ps));
		if (j->live) {
			json_object_set_new(root, "scan", json_boolean(ml_space_can(j->s, ML_CAP_LIVE) ?
								       j->scan && ml_pagemap_has_scan(j->pm) :
								       (j->s->pagefacts_flags & ML_MLN_SCAN) != 0));
			json_object_set_new(root, "kpageflags", j->kp ? json_true() : json_false());
		}
		json_object_set_new(root, "regions", regions);
		json_object_set_new(root, "totals", counts_json(j, &tot));
		return ml_json_print(root, stdout);
	}
	if (map_mode(j)) {
		totals_text(j, &tot);
		legend(j);
		if (j->live && !j->kp)
			printf("no PFNs, THP, sharing or KSM: %s\n", j->no_kpage);
		if (j->live && !j->zero_known)
			printf("zero-page mappings are counted as present: %s\n",
			       "telling them apart needs PAGEMAP_SCAN (Linux 6.7) or root");
	}
	return 0;
}

/* The picture: its height, the palette and legend, then the rows as pages come. */
static int png_begin(struct job *j, const struct ml_selection *sel, struct ml_out *out)
{
	uint64_t rows = 0;
	for (size_t i = 0; i < sel->n; i++)
		rows += ml_upng_rows(j->width, 0, (sel->p[i].end - sel->p[i].start + j->ps - 1) / j->ps);
	if (rows > 0x7fffffff) {
		ml_err("the picture would be %" PRIu64 " rows high: give a larger --width or a --region", rows);
		return -1;
	}
	uint8_t pal[PX__COUNT][3];
	struct ml_legend lg = { 0 };
	struct ml_caption_item items[PX__COUNT];
	size_t n = 0;
	for (int i = 0; i < ML_ST__COUNT; i++) {
		memcpy(pal[i], states[i].rgb, 3);
		if (legend_has(j, i)) {
			ml_legend_add(&lg, states[i].name, pal[i]);
			items[n++] = (struct ml_caption_item){ { pal[i][0], pal[i][1], pal[i][2] }, states[i].name };
		}
	}
	pal[PX_UNUSED][0] = ML_UNUSED_R;
	pal[PX_UNUSED][1] = ML_UNUSED_G;
	pal[PX_UNUSED][2] = ML_UNUSED_B;
	memset(pal[PX_SEPARATOR], 255, 3);
	ml_legend_add(&lg, "unused", pal[PX_UNUSED]);
	ml_legend_add(&lg, "separator", pal[PX_SEPARATOR]);
	items[n++] = (struct ml_caption_item){ { ML_UNUSED_R, ML_UNUSED_G, ML_UNUSED_B }, "unused (the rest of a region's last row)" };
	items[n++] = (struct ml_caption_item){ { 255, 255, 255 }, "separator (between regions)" };
	char title[256], scale[256], hs[32];
	snprintf(title, sizeof title, "memlens pagemap: %.160s%s%.40s%s (%s)", j->s->name, j->s->comm ? " [" : "",
		 j->s->comm ? j->s->comm : "", j->s->comm ? "]" : "", ml_space_kind(j->s));
	snprintf(scale, sizeof scale,
		 "One pixel = one page of %u bytes; rows of %" PRIu64 " pages (%s). Regions in address order, each from a new row; the labels on the left are each row's first address.",
		 j->ps, j->width, ml_human_size(j->width * j->ps, hs, sizeof hs));
	struct ml_caption cap = { { title, scale, NULL, NULL }, items, n };
	const char *text[] = { "Software", PACKAGE_STRING, "Legend", lg.text, "Layout",
			       "one pixel per page, regions in address order, each from a new row and followed by a separator row" };
	j->png = ml_upng_begin(out->f, j->out, (uint32_t)j->width, (uint32_t)rows, j->ps, (const uint8_t (*)[3])pal,
			       PX__COUNT, PX_UNUSED, PX_SEPARATOR, &cap, text, 3);
	ml_legend_free(&lg);
	return j->png ? 0 : -1;
}

static int parse(struct job *j, int argc, char **argv)
{
	bool layout_set = false, noscan_set = false;
	int c;
	ml_cli_init(&j->cli, argc, argv);
	while ((c = ml_cli_next(&j->cli)) > 0) {
		switch (c) {
		case OPT_CSV: j->csv = true; break;
		case OPT_PAGES: j->pages = true; break;
		case OPT_NOSCAN: j->scan = false; noscan_set = true; break;
		case OPT_PHYSICAL: j->physical = true; break;
		case OPT_WIDTH:
			if (ml_parse_uint(optarg, 1, 65536, &j->width))
				return ml_usage_error("--width %s: expected 1 to 65536 pages", optarg), -1;
			break;
		case OPT_COLOR:
			if (ml_ansi_want_color(optarg, stdout) < 0)
				return ml_usage_error("--color %s: expected auto, always or never", optarg), -1;
			j->color_word = optarg;
			break;
		case OPT_LAYOUT:
			if (strcmp(optarg, "hilbert") && strcmp(optarg, "linear"))
				return ml_usage_error("--layout %s: expected hilbert or linear", optarg), -1;
			j->hilbert = !strcmp(optarg, "hilbert");
			layout_set = true;
			break;
		}
	}
	if (c < 0)
		return -1;
	if (j->physical)
		ml_cli_mode(&j->cli, "--physical");
	if (ml_cli_done(&j->cli))
		return -1;
	j->json = j->cli.json;
	j->out = j->cli.out;
	if (j->json && j->csv)
		return ml_usage_error("--json and --csv exclude each other"), -1;
	if (j->pages && !j->csv)
		return ml_cli_refuse("--pages", "it is a form of --csv");
	if (j->physical && j->csv)
		return ml_cli_refuse("--csv", "--physical reports counts (--json) or a picture (-o)");
	if (j->out && (j->csv || (j->json && !j->physical)))
		return ml_usage_error("-o draws a picture; it does not go with --json or --csv"), -1;
	if (j->out && strcasecmp(ml_path_ext(j->out), "png") &&
	    (*ml_path_ext(j->out) || !ml_out_is_stream(j->out)))
		return ml_usage_error("%s: the picture is a PNG (name it .png)", j->out), -1;
	if (layout_set && !(j->physical && j->out))
		return ml_cli_refuse("--layout", "it lays out the --physical picture (-o OUT.png)");
	bool term_map = !j->physical && !j->out && !j->json && !j->csv;
	if (j->width) {
		if (j->physical && (!j->out || j->hilbert))
			return ml_cli_refuse("--width", "the --physical picture has it only in --layout linear");
		if (!j->physical && !j->out && !term_map)
			return ml_cli_refuse("--width", "it shapes the map or the picture, not --json or --csv");
		if (term_map && j->width > 256)
			return ml_usage_error("--width %llu: the terminal map takes 1 to 256 pages a line",
					      (unsigned long long)j->width), -1;
	}
	if (j->color_word && !term_map)
		return ml_cli_refuse("--color", "it colours the terminal map; this run prints none");
	if (noscan_set && (j->physical || !j->cli.live))
		return ml_cli_refuse("--no-scan", "PAGEMAP_SCAN is read from a live process only");
	return 0;
}

int cmd_pagemap(int argc, char **argv)
{
	struct job j = { .scan = true, .hilbert = true };
	struct ml_selection sel = { 0 };
	struct ml_out out;
	bool out_open = false, tmap = false;
	int ret = ML_EXIT_USAGE;
	if (parse(&j, argc, argv))
		goto done;
	ret = ML_EXIT_FAIL;
	if (j.physical) {
		struct ml_physmap_opts po = { .out = j.out, .json = j.json, .hilbert = j.hilbert, .width = j.width };
		ret = ml_physmap(&po) ? ML_EXIT_FAIL : ML_EXIT_OK;
		goto done;
	}
	if ((ret = ml_cli_open(&j.cli, &j.s, &sel)))
		goto done;
	ret = ML_EXIT_FAIL;
	j.ps = j.s->page_size;
	/* A core with a MEMLENS note tells what a live process would. */
	j.live = ml_space_can(j.s, ML_CAP_PAGEFACTS);
	if (!ml_space_can(j.s, ML_CAP_LIVE))
		j.no_kpage = "a core's MEMLENS note keeps pagemap's flags, not page frames";
	if (ml_space_can(j.s, ML_CAP_LIVE)) {
		if (!(j.pm = ml_pagemap_open(j.s->pid)))
			goto done;
		j.kp = ml_kpage_open(&j.no_kpage);
		if (j.kp && geteuid() != 0) {
			/* Without CAP_SYS_ADMIN, pagemap hides PFNs: kpageflags can tell nothing. */
			ml_kpage_close(j.kp);
			j.kp = NULL;
			j.no_kpage = "PFNs are hidden from non-root users";
		}
		if (j.scan && !ml_pagemap_has_scan(j.pm))
			j.scan = false;
		j.zero_known = ml_pm_zero_known(j.pm, j.scan, j.kp != NULL);
		if ((j.json || j.csv) && !j.kp)
			ml_warn("no PFNs, THP, sharing or KSM counts (null): %s", j.no_kpage);
		if ((j.json || j.csv) && !j.zero_known)
			ml_warn("zero-page mappings are counted as present (zero_page null): telling them apart needs PAGEMAP_SCAN (Linux 6.7) or root");
	}
	if (!j.width)
		j.width = j.out ? 256 : 80;
	j.color = ml_ansi_want_color(j.color_word, stdout) > 0;
	for (int i = 0; i < ML_ST__COUNT; i++) {
		j.ansi[i] = ml_ansi_256(states[i].rgb[0], states[i].rgb[1], states[i].rgb[2]);
		j.chars[i] = states[i].ch;
	}
	if (j.out) {
		if (ml_out_open(&out, j.out, j.s))
			goto done;
		out_open = true;
		if (png_begin(&j, &sel, &out))
			goto done;
	} else if (map_mode(&j)) {
		ml_tmap_init(&j.tm, stdout, (size_t)j.width, j.color, j.ps, j.ansi, j.chars, ML_ST__COUNT);
		tmap = true;
	}
	if (run(&j, &sel))
		goto done;
	if (j.png) {
		struct ml_upng *p = j.png;
		j.png = NULL;
		if (ml_upng_end(p))
			goto done;
	}
	if (ml_stdout_done()) {
		goto done;
	}
	/* Decided before the commit: a run that exits 1 leaves no file. */
	ret = ml_cli_finish(&j.cli, j.exited);
	if (ret == ML_EXIT_OK && out_open && ml_out_commit(&out))
		ret = ML_EXIT_FAIL;
	out_open = false;
done:
	ml_upng_abort(j.png);
	if (out_open)
		ml_out_abort(&out);
	if (tmap)
		ml_tmap_free(&j.tm);
	ml_kpage_close(j.kp);
	ml_pagemap_close(j.pm);
	ml_selection_free(&sel);
	ml_space_close(j.s);
	ml_cli_free(&j.cli);
	return ret;
}
