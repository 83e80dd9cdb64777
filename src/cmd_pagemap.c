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
#include "hilbert.h"
#include "json.h"
#include "output.h"
#include "pagemap.h"
#include "mlnote.h"
#include "util.h"
#include "ansi.h"
#include "pngwrite.h"

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

#define BATCH ((size_t)1 << 16)	/* pages per read */

/* The map's colours and the legend, by page state. */
static const struct {
	const char *name;
	uint8_t rgb[3];
	char ch;
} states[ML_ST__COUNT] = {
	[ML_ST_NONE] = { "not present", { 40, 40, 40 }, '.' },
	[ML_ST_ANON] = { "present, anonymous", { 60, 200, 60 }, 'a' },
	[ML_ST_FILE] = { "present, file or shared", { 60, 120, 230 }, 'f' },
	[ML_ST_THP] = { "present, transparent huge page", { 240, 220, 40 }, 'H' },
	[ML_ST_ZERO] = { "present, the zero page", { 150, 150, 150 }, 'z' },
	[ML_ST_SWAP] = { "swapped out", { 240, 130, 30 }, 's' },
	[ML_ST_GUARD] = { "guard (MADV_GUARD_INSTALL)", { 200, 30, 30 }, 'G' },
	[ML_ST_CAPTURED] = { "captured", { 60, 200, 60 }, '#' },
	[ML_ST_HOLE] = { "not captured (hole)", { 200, 30, 30 }, '.' },
};

struct job {
	struct ml_cli cli;
	bool json, csv, pages, scan, physical, color, hilbert;
	const char *out, *color_word;
	uint64_t width;
	struct ml_space *s;
	struct ml_pagemap *pm;
	struct ml_kpage *kp;
	const char *no_kpage;
	unsigned ps;
	bool live;
	/* the map being drawn */
	uint8_t *line;		/* 2 rows of states */
	size_t line_fill;
	uint64_t line_addr, empty_lines;
	struct ml_png *png;
	uint8_t *pngrow;
	uint64_t png_fill, png_rows;
	bool exited;
};

static void add(struct ml_pm_counts *t, const struct ml_pm_counts *c)
{
	const uint64_t *a = (const uint64_t *)c;
	uint64_t *b = (uint64_t *)t;
	for (size_t i = 0; i < sizeof *c / sizeof(uint64_t); i++)
		b[i] += a[i];
}

/* ---- terminal map ---- */

static void map_flush_line(struct job *j, bool final)
{
	size_t w = (size_t)j->width;
	if (!j->line_fill)
		return;
	bool empty = true;
	for (size_t i = 0; i < j->line_fill; i++)
		if (j->line[i] != ML_ST_NONE && j->line[i] != ML_ST_HOLE)
			empty = false;
	/* Long empty stretches (a 256 GiB reservation) fold into one line. */
	if (empty && j->line_fill == 2 * w && !final) {
		j->empty_lines++;
		j->line_addr += 2 * w * j->ps;
		j->line_fill = 0;
		return;
	}
	if (j->empty_lines) {
		printf("  %*s  ... %" PRIu64 " pages with nothing in them ...\n", 16, "",
		       j->empty_lines * 2 * w);
		j->empty_lines = 0;
	}
	printf("  %016" PRIx64 "  ", j->line_addr);
	if (j->color) {
		uint8_t top[512], bot[512];
		size_t n = ML_MIN(w, j->line_fill);
		for (size_t i = 0; i < n; i++) {
			const uint8_t *c = states[j->line[i]].rgb;
			top[i] = ml_ansi_256(c[0], c[1], c[2]);
			if (w + i < j->line_fill) {
				c = states[j->line[w + i]].rgb;
				bot[i] = ml_ansi_256(c[0], c[1], c[2]);
			} else {
				bot[i] = 0;
			}
		}
		ml_ansi_halfblocks(stdout, top, bot, n);
		putchar('\n');
	} else {
		for (size_t i = 0; i < j->line_fill; i++) {
			if (i == w)
				printf("\n  %016" PRIx64 "  ", j->line_addr + w * j->ps);
			putchar(states[j->line[i]].ch);
		}
		putchar('\n');
	}
	j->line_addr += 2 * w * j->ps;
	j->line_fill = 0;
}

static void map_page(struct job *j, enum ml_pm_state s)
{
	j->line[j->line_fill++] = (uint8_t)s;
	if (j->line_fill == 2 * j->width)
		map_flush_line(j, false);
}

static void map_end_region(struct job *j)
{
	if (j->empty_lines && !j->line_fill) {
		printf("  %*s  ... %" PRIu64 " pages with nothing in them ...\n", 16, "",
		       j->empty_lines * 2 * j->width);
		j->empty_lines = 0;
	}
	map_flush_line(j, true);
}

static void legend(struct job *j)
{
	printf("legend:");
	int first = j->live ? ML_ST_NONE : ML_ST_CAPTURED, last = j->live ? ML_ST_GUARD : ML_ST_HOLE;
	for (int i = first; i <= last; i++) {
		if (j->live && !j->kp && (i == ML_ST_THP || i == ML_ST_ZERO))
			continue;
		fputs("  ", stdout);
		if (j->color)
			ml_ansi_swatch(stdout, ml_ansi_256(states[i].rgb[0], states[i].rgb[1], states[i].rgb[2]),
				       states[i].name);
		else
			printf("%c %s", states[i].ch, states[i].name);
	}
	printf("\n");
}

/* ---- picture ---- */

static int png_page(struct job *j, enum ml_pm_state s)
{
	memcpy(j->pngrow + j->png_fill * 3, states[s].rgb, 3);
	if (++j->png_fill == j->width) {
		j->png_fill = 0;
		j->png_rows++;
		return ml_png_rows(j->png, j->pngrow, 1);
	}
	return 0;
}

/* Ends a region's rows: pad the last row, then a separator row. */
static int png_end_region(struct job *j)
{
	static const uint8_t pad[3] = { 0, 0, 0 }, sep[3] = { 255, 255, 255 };
	if (j->png_fill) {
		for (uint64_t x = j->png_fill; x < j->width; x++)
			memcpy(j->pngrow + x * 3, pad, 3);
		j->png_fill = 0;
		j->png_rows++;
		if (ml_png_rows(j->png, j->pngrow, 1))
			return -1;
	}
	for (uint64_t x = 0; x < j->width; x++)
		memcpy(j->pngrow + x * 3, sep, 3);
	j->png_rows++;
	return ml_png_rows(j->png, j->pngrow, 1);
}

/* ---- per region ---- */

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

static void page_row(const struct job *j, uint64_t addr, uint64_t w, uint64_t kf, uint64_t kc)
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
	if (j->kp && pfn_known)
		printf("0x%" PRIx64 ",%" PRIu64, kf, kc);
	else
		putchar(',');
	putchar('\n');
}

/* n pages of one state: full empty lines of the map fold without a loop. */
static int state_run(struct job *j, enum ml_pm_state st, uint64_t n)
{
	uint64_t line = 2 * j->width;
	while (n) {
		if (!j->png && !j->line_fill && n >= line && (st == ML_ST_NONE || st == ML_ST_HOLE)) {
			uint64_t k = n / line;
			j->empty_lines += k;
			j->line_addr += k * line * j->ps;
			n -= k * line;
			continue;
		}
		if (j->png) {
			if (png_page(j, st))
				return -1;
		} else {
			map_page(j, st);
		}
		n--;
	}
	return 0;
}

static bool drawing(const struct job *j)
{
	return j->png || (!j->json && !j->csv);
}

/* n pages that all have pagemap word w and no frame. */
static int empty_run(struct job *j, uint64_t addr, uint64_t n, uint64_t w, struct ml_pm_counts *c)
{
	c->pages += n;
	if (w & ML_PM_SOFT_DIRTY)
		c->soft_dirty += n;
	for (uint64_t i = 0; j->pages && i < n; i++)
		page_row(j, addr + i * j->ps, w, 0, 0);
	return drawing(j) ? state_run(j, ML_ST_NONE, n) : 0;
}

static int dense_run(struct job *j, uint64_t addr, const uint64_t *w, const uint64_t *kf,
		     const uint64_t *kc, size_t n, struct ml_pm_counts *c)
{
	for (size_t i = 0; i < n; i++) {
		enum ml_pm_state st = ml_pm_classify(w[i], kf ? kf[i] : 0, kc ? kc[i] : 0, c, j->kp != NULL);
		if (j->pages)
			page_row(j, addr + i * j->ps, w[i], kf ? kf[i] : 0, kc ? kc[i] : 0);
		if (drawing(j) && state_run(j, st, 1))
			return -1;
	}
	return 0;
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

/* n pages with the same pagemap word (from a MEMLENS note): one classified, n counted. */
static int facts_run(struct job *j, uint64_t addr, uint64_t n, uint64_t w, struct ml_pm_counts *c)
{
	struct ml_pm_counts one = { 0 };
	enum ml_pm_state st = ml_pm_classify(w, 0, 0, &one, false);
	uint64_t *f = (uint64_t *)&one;
	for (size_t i = 0; i < sizeof one / sizeof(uint64_t); i++)
		f[i] *= n;
	add(c, &one);
	for (uint64_t i = 0; j->pages && i < n; i++)
		page_row(j, addr + i * j->ps, w, 0, 0);
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
			ret = facts_run(j, a, (b - a) / j->ps, ml_pf_to_word(run.facts), c);
		pos = ML_MAX(pos, ok ? b : end);
	}
	return ret;
}

static int region_pages(struct job *j, const struct ml_piece *p, struct ml_pm_counts *c)
{
	const struct ml_region *r = &j->s->r[p->region];
	uint64_t first = p->start / j->ps, last = (p->end + j->ps - 1) / j->ps;
	j->line_addr = first * j->ps;
	if (!j->live)
		return dump_pages(j, r, first, last, c);
	if (j->s->kind != ML_SRC_LIVE)
		return fact_pages(j, first, last, c);
	uint64_t *w = ml_malloc(BATCH * sizeof *w), *kf = NULL, *kc = NULL;
	int ret = 0;
	if (j->kp) {
		kf = ml_malloc(BATCH * sizeof *kf);
		kc = ml_malloc(BATCH * sizeof *kc);
	}
	uint64_t pos = first * j->ps, end = last * j->ps;
	while (pos < end && !ret) {
		struct ml_pm_run run;
		int got = ml_pagemap_next(j->pm, j->scan, pos, end, w, BATCH, &run);
		if (got < 0) {
			ret = -1;
			break;
		}
		if (got == 0) {
			ml_warn("pid %d went away mid-report: pages from 0x%" PRIx64 " on are not reported",
				j->s->pid, pos);
			j->exited = true;
			break;
		}
		uint64_t n = (run.end - pos) / j->ps;
		if (!run.dense) {
			ret = empty_run(j, pos, n, run.word, c);
		} else {
			if (j->kp && ml_kpage_lookup(j->kp, w, (size_t)n, kf, kc)) {
				/* The pagemap columns stand on their own: keep going without. */
				ml_warn("the THP, sharing and KSM columns are left empty");
				ml_kpage_close(j->kp);
				j->kp = NULL;
				j->no_kpage = "reading /proc/kpageflags or /proc/kpagecount failed";
			}
			ret = dense_run(j, pos, w, j->kp ? kf : NULL, j->kp ? kc : NULL, (size_t)n, c);
		}
		pos = run.end;
	}
	free(w);
	free(kf);
	free(kc);
	return ret;
}

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
	K("thp", c->thp);
	K("shared", c->shared);
	K("hugetlb", c->hugetlb);
	K("ksm", c->ksm);
	K("zero_page", c->zero);
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
	"pages", "present", "swapped", "file", "anon", "exclusive", "soft_dirty", "guard", "thp", "shared",
};

static void counts_row(const struct job *j, const struct ml_pm_counts *c, bool csv)
{
	const uint64_t v[] = { c->pages, c->present, c->swapped, c->file, c->anon, c->exclusive,
			       c->soft_dirty, c->guard, c->thp, c->shared };
	if (!j->live) {
		printf(csv ? ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 : " %9" PRIu64 " %9" PRIu64 " %9" PRIu64,
		       c->pages, c->captured, c->holes);
		return;
	}
	for (size_t i = 0; i < ML_ARRAY_SIZE(v); i++) {
		bool null = i >= 8 && !j->kp;
		if (csv)
			null ? printf(",") : printf(",%" PRIu64, v[i]);
		else
			null ? printf(" %9s", "-") : printf(" %9" PRIu64, v[i]);
	}
}

static void region_header(const struct job *j, const struct ml_piece *p)
{
	const struct ml_region *r = &j->s->r[p->region];
	char perms[5];
	ml_perms_str(r->prot, perms);
	printf("%016" PRIx64 "-%016" PRIx64 " %s %-5s ", p->start, p->end, perms, ml_kind_name(r->kind));
	if (r->path)
		ml_fputs_escaped(stdout, r->path);
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
		printf(j->live ? "address,present,swapped,file,exclusive,soft_dirty,uffd_wp,guard,pfn,swap_type,swap_offset,kpageflags,kpagecount\n"
			       : "address,captured\n");
	}
	for (size_t i = 0; i < sel->n; i++) {
		const struct ml_piece *p = &sel->p[i];
		const struct ml_region *r = &j->s->r[p->region];
		struct ml_pm_counts c = { 0 };
		bool map = !j->json && !j->csv && !j->png;
		if (map) {
			region_header(j, p);
			putchar('\n');
		}
		if (region_pages(j, p, &c))
			return -1;
		if (map)
			map_end_region(j);
		if (j->png && png_end_region(j))
			return -1;
		add(&tot, &c);
		char perms[5];
		ml_perms_str(r->prot, perms);
		if (j->json) {
			json_t *o = json_object();
			json_object_set_new(o, "start", ml_json_hex(p->start));
			json_object_set_new(o, "end", ml_json_hex(p->end));
			json_object_set_new(o, "perms", json_string(perms));
			json_object_set_new(o, "kind", json_string(ml_kind_name(r->kind)));
			json_object_set_new(o, "path", ml_json_str(r->path));
			json_t *counts = counts_json(j, &c);
			json_object_update(o, counts);
			json_decref(counts);
			json_array_append_new(regions, o);
		} else if (j->csv && !j->pages) {
			printf("0x%" PRIx64 ",0x%" PRIx64 ",%s,%s,", p->start, p->end, perms,
			       ml_kind_name(r->kind));
			csv_field(r->path);
			counts_row(j, &c, true);
			putchar('\n');
		}
		if (j->exited)
			break;
	}
	if (j->json) {
		json_t *root = json_object();
		json_object_set_new(root, "source", ml_json_source(j->s, NULL, NULL));
		json_object_set_new(root, "page_size", json_integer(j->ps));
		if (j->live) {
			json_object_set_new(root, "scan", json_boolean(j->s->kind == ML_SRC_LIVE ?
								       j->scan && ml_pagemap_has_scan(j->pm) :
								       (j->s->pagefacts_flags & ML_MLN_SCAN) != 0));
			json_object_set_new(root, "kpageflags", j->kp ? json_true() : json_false());
		}
		json_object_set_new(root, "regions", regions);
		json_object_set_new(root, "totals", counts_json(j, &tot));
		return ml_json_print(root, stdout);
	}
	if (!j->csv && !j->png) {
		printf("\n%-33s %-4s %-5s", "totals", "", "");
		printf("\n%-44s", j->live ? "" : "");
		for (size_t i = 0; j->live && i < ML_ARRAY_SIZE(live_cols); i++)
			printf(" %9s", live_cols[i]);
		if (!j->live)
			printf(" %9s %9s %9s", "pages", "captured", "holes");
		printf("\n%-44s", "");
		counts_row(j, &tot, false);
		putchar('\n');
		legend(j);
		if (j->live && !j->kp)
			printf("no PFNs, THP, sharing or KSM: %s\n", j->no_kpage);
	}
	return 0;
}

/* ---- physical memory ---- */

static const struct {
	const char *name;
	uint8_t rgb[3];
} phys_class[ML_PH__COUNT] = {
	[ML_PH_FREE] = { "free", { 30, 30, 30 } },
	[ML_PH_ANON] = { "anonymous", { 60, 200, 60 } },
	[ML_PH_FILE] = { "file_cache", { 60, 120, 230 } },
	[ML_PH_SLAB] = { "slab", { 230, 120, 30 } },
	[ML_PH_PGTABLE] = { "page_table", { 200, 60, 200 } },
	[ML_PH_HUGE] = { "huge", { 240, 220, 40 } },
	[ML_PH_ZERO] = { "zero_page", { 150, 150, 150 } },
	[ML_PH_OTHER] = { "reserved_other", { 200, 30, 30 } },
};

struct ram { uint64_t first, n; };

/* The "System RAM" ranges of /proc/iomem, as PFN ranges. */
static struct ram *read_iomem(size_t *nr, unsigned ps)
{
	FILE *f = fopen("/proc/iomem", "re");
	if (!f) {
		ml_err("/proc/iomem: %s", strerror(errno));
		return NULL;
	}
	struct ram *r = NULL;
	char line[256];
	*nr = 0;
	while (fgets(line, sizeof line, f)) {
		uint64_t a, b;
		char *dash = strchr(line, '-'), *colon = strstr(line, " : ");
		if (!dash || !colon || !strstr(colon, "System RAM"))
			continue;
		*dash = *colon = '\0';
		char *s = line + strspn(line, " ");
		if (s != line)
			continue;	/* nested entries are parts of a top-level one */
		if (ml_parse_addr(s, &a) || ml_parse_addr(dash + 1, &b) || b < a)
			continue;
		r = ml_reallocarray(r, *nr + 1, sizeof *r);
		r[*nr].first = a / ps;
		r[*nr].n = b / ps - a / ps + 1;
		(*nr)++;
	}
	fclose(f);
	return r;
}

static int physical(struct job *j)
{
	if (geteuid() != 0) {
		ml_err("--physical needs root (/proc/iomem shows no addresses and /proc/kpageflags is root's)");
		return -1;
	}
	const char *why;
	struct ml_kpage *kp = ml_kpage_open(&why);
	if (!kp) {
		ml_err("--physical: %s", why);
		return -1;
	}
	size_t nr = 0;
	unsigned ps = (unsigned)sysconf(_SC_PAGESIZE);
	struct ram *ram = read_iomem(&nr, ps);
	uint64_t total = 0, counts[ML_PH__COUNT] = { 0 };
	for (size_t i = 0; i < nr; i++)
		total += ram[i].n;
	if (!ram || !total) {
		ml_err("--physical: /proc/iomem lists no System RAM");
		ml_kpage_close(kp);
		free(ram);
		return -1;
	}
	/* One cell per page, or per 2^k pages so the picture stays ≤ 4096². */
	unsigned shift = 0;
	while ((total >> shift) > ((uint64_t)1 << 24))
		shift++;
	uint64_t cells = (total + ((uint64_t)1 << shift) - 1) >> shift;
	uint8_t *cell = j->out ? ml_calloc(cells, 1) : NULL;
	uint64_t *flags = ml_malloc(BATCH * sizeof *flags), idx = 0;
	uint32_t votes[ML_PH__COUNT] = { 0 };
	int ret = 0;
	for (size_t i = 0; i < nr && !ret; i++) {
		for (uint64_t o = 0; o < ram[i].n; o += BATCH) {
			size_t n = (size_t)ML_MIN((uint64_t)BATCH, ram[i].n - o);
			if (ml_kpage_flags(kp, ram[i].first + o, n, flags)) {
				ret = -1;
				break;
			}
			for (size_t k = 0; k < n; k++, idx++) {
				enum ml_phys c = ml_phys_classify(flags[k]);
				counts[c]++;
				if (!cell)
					continue;
				votes[c]++;
				if (((idx + 1) & (((uint64_t)1 << shift) - 1)) == 0 || idx + 1 == total) {
					/* The cell shows its most common class. */
					unsigned best = 0;
					for (unsigned v = 1; v < ML_PH__COUNT; v++)
						if (votes[v] > votes[best])
							best = v;
					cell[idx >> shift] = (uint8_t)best;
					memset(votes, 0, sizeof votes);
				}
			}
		}
	}
	free(flags);
	ml_kpage_close(kp);
	if (!ret && cell) {
		uint32_t side, w, h;
		unsigned order = 0;
		while (((uint64_t)1 << (2 * order)) < cells)
			order++;
		if (j->hilbert) {
			side = 1u << order;
			w = h = side;
		} else {
			w = (uint32_t)ML_MIN(j->width ? j->width : 1024, cells);
			h = (uint32_t)((cells + w - 1) / w);
		}
		uint8_t pal[ML_PH__COUNT + 1][3];
		for (unsigned c = 0; c < ML_PH__COUNT; c++)
			memcpy(pal[c], phys_class[c].rgb, 3);
		pal[ML_PH__COUNT][0] = pal[ML_PH__COUNT][1] = pal[ML_PH__COUNT][2] = 255;	/* outside RAM */
		char scale[64], legend_text[512] = "";
		snprintf(scale, sizeof scale, "one cell = %llu page(s) of %u bytes",
			 1ull << shift, ps);
		for (unsigned c = 0; c < ML_PH__COUNT; c++) {
			size_t l = strlen(legend_text);
			snprintf(legend_text + l, sizeof legend_text - l, "%s%s=#%02x%02x%02x", c ? ", " : "",
				 phys_class[c].name, pal[c][0], pal[c][1], pal[c][2]);
		}
		const char *text[] = { "Software", PACKAGE_STRING, "Layout", j->hilbert ? "hilbert" : "linear",
				       "Scale", scale, "Legend", legend_text };
		struct ml_out out;
		struct ml_png_opts po = { .width = w, .height = h, .color = ML_PNG_PALETTE,
					  .palette = (const uint8_t (*)[3])pal, .npalette = ML_PH__COUNT + 1,
					  .level = -1, .text = text, .ntext = 4 };
		if (ml_out_open(&out, j->out, NULL)) {
			ret = -1;
		} else {
			struct ml_png *png = ml_png_begin(out.f, &po);
			uint8_t *row = ml_malloc(w);
			for (uint32_t y = 0; png && y < h && !ret; y++) {
				for (uint32_t x = 0; x < w; x++) {
					uint64_t d = j->hilbert ? ml_hilbert_xy2d(order, x, y) : (uint64_t)y * w + x;
					row[x] = d < cells ? cell[d] : ML_PH__COUNT;
				}
				ret = ml_png_rows(png, row, 1);
			}
			free(row);
			if (!png || ret || ml_png_end(png)) {
				ml_out_abort(&out);
				ret = -1;
			} else if (ml_out_commit(&out)) {
				ret = -1;
			}
		}
	}
	free(cell);
	if (!ret) {
		if (j->json) {
			json_t *root = json_object(), *c = json_object(), *rs = json_array();
			json_object_set_new(root, "source", ml_json_source(NULL, "physical", NULL));
			json_object_set_new(root, "page_size", json_integer(ps));
			json_object_set_new(root, "pages", json_integer((json_int_t)total));
			for (size_t i = 0; i < nr; i++) {
				json_t *o = json_object();
				json_object_set_new(o, "start", ml_json_hex(ram[i].first * ps));
				json_object_set_new(o, "end", ml_json_hex((ram[i].first + ram[i].n) * ps));
				json_array_append_new(rs, o);
			}
			json_object_set_new(root, "ranges", rs);
			for (unsigned k = 0; k < ML_PH__COUNT; k++)
				json_object_set_new(c, phys_class[k].name, json_integer((json_int_t)counts[k]));
			json_object_set_new(root, "counts", c);
			ret = ml_json_print(root, stdout);
		} else if (!j->out || strcmp(j->out, "-")) {	/* not onto the picture on stdout */
			char h[32];
			printf("System RAM: %" PRIu64 " pages (%s) in %zu ranges\n", total,
			       ml_human_size(total * ps, h, sizeof h), nr);
			for (unsigned k = 0; k < ML_PH__COUNT; k++)
				printf("  %-15s %10" PRIu64 " pages  %5.1f%%\n", phys_class[k].name, counts[k],
				       100.0 * (double)counts[k] / (double)total);
		}
	}
	free(ram);
	return ret;
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
	bool out_open = false;
	int ret = ML_EXIT_USAGE;
	if (parse(&j, argc, argv))
		goto done;
	ret = ML_EXIT_FAIL;
	if (j.physical) {
		ret = physical(&j) ? ML_EXIT_FAIL : ML_EXIT_OK;
		goto done;
	}
	if ((ret = ml_cli_open(&j.cli, &j.s, &sel)))
		goto done;
	ret = ML_EXIT_FAIL;
	j.ps = j.s->page_size;
	/* A core with a MEMLENS note tells what a live process would. */
	j.live = j.s->kind == ML_SRC_LIVE || j.s->has_pagefacts;
	if (j.s->kind != ML_SRC_LIVE)
		j.no_kpage = "a core's MEMLENS note keeps pagemap's flags, not page frames";
	if (j.s->kind == ML_SRC_LIVE) {
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
		if ((j.json || j.csv) && !j.kp)
			ml_warn("no PFNs, THP, sharing or KSM counts (null): %s", j.no_kpage);
	}
	if (!j.width)
		j.width = j.out ? 256 : 80;
	j.color = ml_ansi_want_color(j.color_word, stdout) > 0;
	j.line = ml_malloc(2 * j.width);
	if (j.out) {
		uint64_t rows = 0;
		for (size_t i = 0; i < sel.n; i++)
			rows += (sel.p[i].end - sel.p[i].start + j.ps - 1) / j.ps / j.width + 1 +
				(((sel.p[i].end - sel.p[i].start + j.ps - 1) / j.ps) % j.width != 0);
		if (rows > 0x7fffffff) {
			ml_err("the picture would be %" PRIu64 " rows high: give a larger --width or a --region", rows);
			goto done;
		}
		if (ml_out_open(&out, j.out, j.s))
			goto done;
		out_open = true;
		char legend_text[512] = "";
		for (int i = j.live ? ML_ST_NONE : ML_ST_CAPTURED; i <= (j.live ? ML_ST_GUARD : ML_ST_HOLE); i++) {
			size_t l = strlen(legend_text);
			snprintf(legend_text + l, sizeof legend_text - l, "%s%s=#%02x%02x%02x",
				 l ? ", " : "", states[i].name, states[i].rgb[0], states[i].rgb[1], states[i].rgb[2]);
		}
		const char *text[] = { "Software", PACKAGE_STRING, "Legend", legend_text,
				       "Layout", "one pixel per page, regions in address order, each followed by a white row" };
		struct ml_png_opts po = { .width = (uint32_t)j.width, .height = (uint32_t)rows,
					  .color = ML_PNG_RGB, .level = -1, .text = text, .ntext = 3 };
		if (!(j.png = ml_png_begin(out.f, &po)))
			goto done;
		j.pngrow = ml_malloc(j.width * 3);
	}
	if (run(&j, &sel))
		goto done;
	if (j.png) {
		struct ml_png *p = j.png;
		j.png = NULL;
		if (ml_png_end(p))
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
	ml_png_abort(j.png);
	if (out_open)
		ml_out_abort(&out);
	free(j.pngrow);
	free(j.line);
	ml_kpage_close(j.kp);
	ml_pagemap_close(j.pm);
	ml_selection_free(&sel);
	ml_space_close(j.s);
	ml_cli_free(&j.cli);
	return ret;
}
