/*
 * cmd_hilbert: `memlens hilbert` — a bird's-eye map of an address space
 * (or of every process) on a Hilbert curve, so that what is near in memory
 * stays near on screen.  Mappings are laid end to end in address order and
 * each unmapped gap shrinks to one separator cell, so the picture shows
 * what is mapped, not the emptiness between.  A cell is one page, or the
 * smallest power-of-two number of pages that keeps the curve within
 * 1024 × 1024 cells.
 */
#include "config.h"
#include "commands.h"
#include "cli.h"
#include "hilbert.h"
#include "hilbert_canvas.h"
#include "hilbert_map.h"
#include "json.h"
#include "output.h"
#include "pagemap.h"
#include "pixel.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char cmd_hilbert_help[] =
	"Usage: memlens hilbert SOURCE -o MAP.png [--html MAP.html] [--map MAP.json]\n"
	"       memlens hilbert --system -o ALL.png [--html ALL.html] [--by vsz|rss]\n"
	"Draw an address space on a space-filling curve (cell 0 top-left, y down):\n"
	"a map about 1024 pixels on its longer side, its legend below.  The curve\n"
	"is the generalized Hilbert curve (gilbert) on the near-square rectangle\n"
	"the cells need (less than a column unused), ending bottom-left; --curve\n"
	"hilbert draws the classic curve on the smallest power-of-two square\n"
	"instead (binvis's orientation: ending bottom-left).\n\n"
	"SOURCE: mappings in address order, coloured by kind; each unmapped gap\n"
	"between two mappings is one white separator cell.  A cell is a page, or\n"
	"the smallest power-of-two number of pages that keeps the map within\n"
	"1024 x 1024 cells (the legend says which); a mapping always has at least\n"
	"one cell.  Live process: bright = resident pages (pagemap), dim = not\n"
	"resident, in between for a partly resident cell.  Core or LiME: bright =\n"
	"captured, dim = not in the dump.\n\n"
	"--system: every process readable in /proc, in pid order, each a stretch of\n"
	"the curve proportional to its size (at least one cell), each its own\n"
	"colour; the legend lists the 20 largest.  Processes of size 0 (kernel\n"
	"threads) are left out.\n\n"
	"  -o, --output MAP.png  the picture (required)\n"
	"  --html FILE           also a self-contained page: hover a cell to see its\n"
	"                        range, kind, path, size and resident pages (or pid,\n"
	"                        command and size)\n"
	"  --map FILE.json       which cells each stretch covers, and the legend\n"
	"  --system              all processes instead of one SOURCE\n"
	"  --by vsz|rss          --system: size by virtual size (default) or resident\n"
	"  --curve gilbert|hilbert\n"
	"                        the curve (default gilbert; see above)\n\n";

enum { OPT_SYSTEM = ML_OPT_FIRST_CMD, OPT_BY, OPT_CURVE };

/* hilbert's own options; -o, --html, --map and the source options are cli.c's. */
const struct option cmd_hilbert_opts[] = {
	{ "system", no_argument, NULL, OPT_SYSTEM },
	{ "by", required_argument, NULL, OPT_BY },
	{ "curve", required_argument, NULL, OPT_CURVE },
	{ NULL, 0, NULL, 0 },
};

/* Cells the curve may have: 1024 × 1024. */
#define MAX_ORDER 10
#define MAX_CELLS ((uint64_t)1 << (2 * MAX_ORDER))
/*
 * Pages whose residency is read per mapping (64 GiB of 4 KiB pages; 16 TiB
 * where PAGEMAP_SCAN skips empty runs); larger mappings are not measured.
 */
#define PAGEMAP_BUDGET ((uint64_t)1 << 24)
#define PAGEMAP_SCAN_BUDGET ((uint64_t)1 << 32)

/* Cells past the last stretch: the unused colour every picture shares. */
static const uint8_t bg_rgb[3] = { ML_UNUSED_R, ML_UNUSED_G, ML_UNUSED_B };
static const uint8_t sep_rgb[3] = { 255, 255, 255 };
/* The legend's swatch for hatched (unmeasured) cells, which alternate bright and dim. */
static const uint8_t hatch_rgb[3] = { 128, 128, 128 };

/* Bright colours per kind (ColorBrewer Set1 and friends); dim is 30%. */
static const uint8_t kind_rgb[ML_KIND__COUNT][3] = {
	[ML_KIND_ANON] = { 0x37, 0x7e, 0xb8 },
	[ML_KIND_FILE] = { 0x4d, 0xaf, 0x4a },
	[ML_KIND_HEAP] = { 0xe4, 0x1a, 0x1c },
	[ML_KIND_STACK] = { 0xff, 0x7f, 0x00 },
	[ML_KIND_VDSO] = { 0x98, 0x4e, 0xa3 },
	[ML_KIND_VVAR] = { 0xa6, 0x56, 0x28 },
	[ML_KIND_VSYSCALL] = { 0xf7, 0x81, 0xbf },
	[ML_KIND_PHYS] = { 0x66, 0xc2, 0xa5 },
	[ML_KIND_RAW] = { 0xff, 0xff, 0x33 },
	[ML_KIND_OTHER] = { 0x17, 0xbe, 0xcf },
};
#define DIM 0.3

struct job {
	const char *out, *html, *map;
	bool system, by_rss;
	bool classic;		/* --curve hilbert */
};

static void shade(const uint8_t bright[3], double frac, uint8_t out[3])
{
	for (int k = 0; k < 3; k++)
		out[k] = (uint8_t)lround(bright[k] * (DIM + (1 - DIM) * frac));
}

/* Cells of a mapping of len bytes at unit U: at least one. */
static uint64_t cells_of(uint64_t len, uint64_t unit)
{
	uint64_t c = len / unit + (len % unit != 0);
	return c ? c : 1;
}

/*
 * Residency of [a, a + pages pages) per cell: adds present pages to res[]
 * (as smaps counts Rss: not those mapping the zero page).
 * Stretches PAGEMAP_SCAN reports empty need no words at all.
 */
static int read_resident(struct ml_pagemap *pm, bool scan, uint64_t a, uint64_t pages, unsigned ps,
			 unsigned shift, uint32_t *res)
{
	enum { BATCH = 65536 };
	uint64_t *w = ml_malloc(BATCH * sizeof *w);
	uint64_t pos = a, end = a + pages * ps;
	int r = 0;
	while (pos < end) {
		struct ml_pm_run run;
		r = ml_pagemap_next(pm, scan, pos, end, w, BATCH, &run);
		if (r <= 0)
			break;	/* 0: the process went away */
		uint64_t o = (pos - a) / ps, n = (run.end - pos) / ps;
		/* A page mapping the zero page has no frame of its own: not resident. */
		for (uint64_t k = 0; run.dense && k < n; k++)
			if ((w[k] & ML_PM_PRESENT) && !ml_pm_zero(pm, &run, w[k], 0))
				res[(o + k) >> shift]++;
		pos = run.end;
	}
	r = r < 0 ? -1 : 0;
	free(w);
	return r;
}

static int build_source(struct ml_hmap *m, struct ml_space *s, const struct ml_selection *sel, bool classic)
{
	unsigned ps = s->page_size ? s->page_size : 4096;
	/* The unit: pages, doubled until mappings plus separators fit. */
	unsigned shift = 0;
	uint64_t total;
	for (;;) {
		uint64_t unit = (uint64_t)ps << shift;
		total = 0;
		for (size_t i = 0; i < sel->n; i++) {
			if (i && sel->p[i].start != sel->p[i - 1].end)
				total++;
			total += cells_of(sel->p[i].end - sel->p[i].start, unit);
		}
		if (total <= MAX_CELLS || shift >= 40)
			break;
		shift++;
	}
	if (total > MAX_CELLS) {
		ml_err("%s: %zu mappings do not fit in %llu cells even one cell each", s->name, sel->n,
		       (unsigned long long)MAX_CELLS);
		return -1;
	}
	uint64_t unit = (uint64_t)ps << shift;
	ml_hmap_init(m, !classic, total, bg_rgb);

	struct ml_pagemap *pm = NULL;
	bool scan = false;
	if (ml_space_can(s, ML_CAP_LIVE)) {
		pm = ml_pagemap_open(s->pid);
		if (!pm)
			ml_warn("residency unknown: cells drawn alternating bright and dim");
		else
			scan = ml_pagemap_has_scan(pm);
	}

	char h[32], u[32];
	m->title = ml_strdup("");
	{
		const char *comm = s->comm ? s->comm : "";
		size_t l = strlen(s->name) + strlen(comm) + 64;
		free(m->title);
		m->title = ml_malloc(l);
		snprintf(m->title, l, "memlens hilbert: %s%s%s%s (%s)", s->name, *comm ? " [" : "", comm,
			 *comm ? "]" : "", ml_space_kind(s));
	}
	m->scale = ml_malloc(160);
	/* shift reaches 32 for a 16 EiB range: the page count needs 64 bits */
	snprintf(m->scale, 160, "One cell = %s (%llu page%s of %u bytes); %llu cells on a %ux%u curve.",
		 ml_human_size(unit, u, sizeof u), (unsigned long long)((uint64_t)1 << shift), shift ? "s" : "",
		 ps, (unsigned long long)total, m->cols, m->rows);
	m->note = ml_strdup(ml_space_can(s, ML_CAP_LIVE)
		? "Mappings in address order; each unmapped gap is one white cell; navy is unused. Bright = resident, dim = not resident (pagemap)."
		: "Mappings in address order; each unmapped gap is one white cell; navy is unused. Bright = captured in the dump, dim = not captured.");

	bool used[ML_KIND__COUNT] = { false };
	uint64_t cell = 0, unmeasured = 0, budget = scan ? PAGEMAP_SCAN_BUDGET : PAGEMAP_BUDGET;
	int ret = 0;
	for (size_t i = 0; i < sel->n && !ret; i++) {
		const struct ml_piece *p = &sel->p[i];
		const struct ml_region *r = &s->r[p->region];
		if (i && p->start != sel->p[i - 1].end) {
			uint64_t gap = p->start - sel->p[i - 1].end;
			ml_hmap_set(m, cell, sep_rgb);
			char *tip = ml_malloc(96);
			snprintf(tip, 96, "unmapped gap 0x%llx-0x%llx\n%s", (unsigned long long)sel->p[i - 1].end,
				 (unsigned long long)p->start, ml_human_size(gap, h, sizeof h));
			json_t *info = json_object();
			json_object_set_new(info, "kind", json_string("gap"));
			json_object_set_new(info, "start", ml_json_hex(sel->p[i - 1].end));
			json_object_set_new(info, "end", ml_json_hex(p->start));
			ml_hmap_run(m, cell, cell + 1, tip, info);
			cell++;
		}
		uint64_t len = p->end - p->start, n = cells_of(len, unit);
		uint64_t pages = len / ps + (len % ps != 0);
		/* Per-cell fraction of bright pages (resident, or captured). */
		uint32_t *bright = ml_calloc((size_t)n, sizeof *bright);
		bool measured = true;
		if (pm && pages <= budget) {
			if (read_resident(pm, scan, p->start, pages, ps, shift, bright))
				ret = -1;
		} else if (pm) {
			measured = false;
			unmeasured++;
		} else if (ml_space_can(s, ML_CAP_LIVE)) {
			measured = false;
		} else {
			for (uint64_t c = 0; c < n; c++) {
				uint64_t a = p->start + c * unit, b = ML_MIN(p->end, a + unit);
				uint64_t cb = ml_region_captured_in(r, a, b);
				bright[c] = (uint32_t)((cb + ps - 1) / ps);
			}
		}
		uint64_t resident = 0;
		for (uint64_t c = 0; c < n; c++) {
			uint64_t a = p->start + c * unit, b = ML_MIN(p->end, a + unit);
			uint64_t cp = (b - a + ps - 1) / ps;
			uint8_t rgb[3];
			resident += bright[c];
			/* Not measured: cells alternate bright and dim, a hatch no measurement makes. */
			double frac = measured ? (double)bright[c] / (double)(cp ? cp : 1) : (double)((cell + c) % 2);
			shade(kind_rgb[r->kind], frac, rgb);
			ml_hmap_set(m, cell + c, rgb);
		}
		free(bright);
		used[r->kind] = true;

		char perms[5];
		ml_perms_str(r->prot, perms);
		/* "[heap]" after "heap" says nothing more; "[stack:12]" or "[anon:x]" do. */
		const char *path = r->path ? r->path : "";
		char pseudo[32];
		snprintf(pseudo, sizeof pseudo, "[%s]", ml_kind_name(r->kind));
		if (!strcmp(path, pseudo))
			path = "";
		size_t tl = strlen(path) + 256;
		char *tip = ml_malloc(tl);
		int o = snprintf(tip, tl, "0x%llx-0x%llx %s %s%s%s%s\n%s, ", (unsigned long long)p->start,
				 (unsigned long long)p->end, perms, ml_kind_name(r->kind), *path ? " " : "", path,
				 r->deleted ? " (deleted)" : "", ml_human_size(len, h, sizeof h));
		const char *what = ml_space_can(s, ML_CAP_LIVE) ? "resident" : "captured";
		if (measured)
			snprintf(tip + o, tl - (size_t)o, "%llu of %llu pages %s", (unsigned long long)resident,
				 (unsigned long long)pages, what);
		else
			snprintf(tip + o, tl - (size_t)o, "%llu pages, residency not read", (unsigned long long)pages);
		json_t *info = json_object();
		json_object_set_new(info, "kind", json_string(ml_kind_name(r->kind)));
		json_object_set_new(info, "start", ml_json_hex(p->start));
		json_object_set_new(info, "end", ml_json_hex(p->end));
		json_object_set_new(info, "perms", json_string(perms));
		json_object_set_new(info, "path", ml_json_str(r->path));
		json_object_set_new(info, "size", json_integer((json_int_t)len));
		json_object_set_new(info, "pages", json_integer((json_int_t)pages));
		json_object_set_new(info, what, measured ? json_integer((json_int_t)resident) : json_null());
		ml_hmap_run(m, cell, cell + n, tip, info);
		cell += n;
	}
	ml_pagemap_close(pm);
	for (int k = 0; k < ML_KIND__COUNT; k++) {
		if (!used[k])
			continue;
		uint8_t dim[3];
		char label[96];
		shade(kind_rgb[k], 0, dim);
		snprintf(label, sizeof label, "%s (bright: %s)", ml_kind_name((enum ml_kind)k),
			 ml_space_can(s, ML_CAP_LIVE) ? "resident" : "captured");
		ml_hmap_legend(m, kind_rgb[k], label);
		snprintf(label, sizeof label, "%s (dim: not %s)", ml_kind_name((enum ml_kind)k),
			 ml_space_can(s, ML_CAP_LIVE) ? "resident" : "captured");
		ml_hmap_legend(m, dim, label);
	}
	ml_hmap_legend(m, sep_rgb, "unmapped gap (one cell, any size)");
	ml_hmap_legend(m, bg_rgb, "unused end of the curve");
	if (unmeasured || (ml_space_can(s, ML_CAP_LIVE) && !pm)) {
		char label[96];
		snprintf(label, sizeof label, "%s", pm ? "hatched: too large to read residency"
						       : "hatched: residency not read");
		ml_hmap_legend(m, hatch_rgb, label);
	}
	if (unmeasured)
		ml_warn("%llu mapping(s) over %llu pages: residency not read, drawn as alternating bright/dim cells",
			(unsigned long long)unmeasured, (unsigned long long)budget);
	return ret;
}

/* One process for --system. */
struct proc {
	int pid;
	char *comm;
	uint64_t size;
	uint64_t c0, c1;
};

static int cmp_pid(const void *a, const void *b)
{
	const struct proc *x = a, *y = b;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int cmp_size_desc(const void *a, const void *b)
{
	const struct proc *x = *(struct proc *const *)a, *y = *(struct proc *const *)b;
	return (x->size < y->size) - (x->size > y->size);
}

/* Distinct colours: hues a golden angle apart, two lightness bands. */
static void proc_colour(size_t i, uint8_t rgb[3])
{
	double h = fmod((double)i * 0.6180339887498949, 1.0) * 6, v = i % 2 ? 0.75 : 0.95, s = 0.7;
	double c = v * s, x = c * (1 - fabs(fmod(h, 2) - 1)), mm = v - c, r = 0, g = 0, b = 0;
	switch ((int)h) {
	case 0: r = c, g = x; break;
	case 1: r = x, g = c; break;
	case 2: g = c, b = x; break;
	case 3: g = x, b = c; break;
	case 4: r = x, b = c; break;
	default: r = c, b = x; break;
	}
	rgb[0] = (uint8_t)lround((r + mm) * 255);
	rgb[1] = (uint8_t)lround((g + mm) * 255);
	rgb[2] = (uint8_t)lround((b + mm) * 255);
}

#define MAX_PROCS (1u << 22)

static int build_system(struct ml_hmap *m, bool by_rss, bool classic)
{
	DIR *d = opendir("/proc");
	if (!d) {
		ml_err("/proc: %s", strerror(errno));
		return -1;
	}
	long ps = sysconf(_SC_PAGESIZE);
	struct proc *p = NULL;
	size_t n = 0, cap = 0, unreadable = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < MAX_PROCS) {
		char *end;
		errno = 0;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || pid > INT32_MAX || errno)
			continue;
		char path[64];
		snprintf(path, sizeof path, "/proc/%ld/statm", pid);
		unsigned long long vsz, rss;
		char *statm = ml_read_text(path, 4096, NULL);
		int got = statm ? sscanf(statm, "%llu %llu", &vsz, &rss) : 0;
		free(statm);
		if (got != 2) {
			unreadable++;
			continue;
		}
		uint64_t pages = by_rss ? rss : vsz;
		if (!pages || pages > (UINT64_MAX / 2) / (uint64_t)ps)
			continue;
		snprintf(path, sizeof path, "/proc/%ld/comm", pid);
		char *comm = ml_read_text(path, 4096, NULL);
		if (comm)
			comm[strcspn(comm, "\n")] = '\0';
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			p = ml_reallocarray(p, cap, sizeof *p);
		}
		p[n++] = (struct proc){ (int)pid, comm ? comm : ml_strdup(""), pages * (uint64_t)ps, 0, 0 };
	}
	closedir(d);
	if (!n) {
		ml_err("/proc: no readable process");
		free(p);
		return -1;
	}
	qsort(p, n, sizeof *p, cmp_pid);
	/* Curve: at least 4 cells per process on average, at most 1024². */
	unsigned order = ml_hilbert_order_for((uint64_t)n * 64);
	order = order < 8 ? 8 : order > MAX_ORDER ? MAX_ORDER : order;
	uint64_t cells = (uint64_t)1 << (2 * order);
	if (n > cells) {
		ml_err("%zu processes do not fit %llu cells", n, (unsigned long long)cells);
		for (size_t i = 0; i < n; i++)
			free(p[i].comm);
		free(p);
		return -1;
	}
	/* One cell each, the rest shared in proportion to size (cumulative rounding). */
	long double total = 0;
	for (size_t i = 0; i < n; i++)
		total += (long double)p[i].size;
	uint64_t spare = cells - n, c = 0;
	long double cum = 0;
	ml_hmap_init(m, !classic, cells, bg_rgb);
	char h[32];
	for (size_t i = 0; i < n; i++) {
		cum += (long double)p[i].size;
		uint64_t upto = (uint64_t)(cum / total * (long double)spare) + i + 1;
		if (upto > cells)
			upto = cells;
		p[i].c0 = c;
		p[i].c1 = upto;
		uint8_t rgb[3];
		proc_colour(i, rgb);
		for (uint64_t k = c; k < upto; k++)
			ml_hmap_set(m, k, rgb);
		size_t tl = strlen(p[i].comm) + 96;
		char *tip = ml_malloc(tl);
		snprintf(tip, tl, "pid %d %s\n%s %s", p[i].pid, p[i].comm, ml_human_size(p[i].size, h, sizeof h),
			 by_rss ? "resident" : "virtual");
		json_t *info = json_object();
		char hex[8];
		ml_hmap_hex(rgb, hex);
		json_object_set_new(info, "pid", json_integer(p[i].pid));
		json_object_set_new(info, "comm", ml_json_str(p[i].comm));
		json_object_set_new(info, "size", json_integer((json_int_t)p[i].size));
		json_object_set_new(info, "colour", json_string(hex));
		ml_hmap_run(m, c, upto, tip, info);
		c = upto;
	}
	m->title = ml_strdup(by_rss ? "memlens hilbert --system: resident memory of every process"
				    : "memlens hilbert --system: virtual size of every process");
	m->scale = ml_malloc(200);
	snprintf(m->scale, 200, "%zu processes, %s in all, on a %ux%u curve; one cell is about %s (every process has at least one).",
		 n, ml_human_size((uint64_t)total, h, sizeof h), m->cols, m->rows,
		 ml_human_size((uint64_t)(total / (long double)cells), (char[32]){ 0 }, 32));
	m->note = ml_strdup("Processes in pid order, each a contiguous stretch in its own colour; the legend lists the largest.");
	struct proc **by = ml_malloc(n * sizeof *by);
	for (size_t i = 0; i < n; i++)
		by[i] = &p[i];
	qsort(by, n, sizeof *by, cmp_size_desc);
	for (size_t i = 0; i < n && i < 20; i++) {
		uint8_t rgb[3];
		proc_colour((size_t)(by[i] - p), rgb);
		size_t ll = strlen(by[i]->comm) + 64;
		char *label = ml_malloc(ll);
		snprintf(label, ll, "%d %s: %s", by[i]->pid, by[i]->comm, ml_human_size(by[i]->size, h, sizeof h));
		ml_hmap_legend(m, rgb, label);
		free(label);
	}
	free(by);
	for (size_t i = 0; i < n; i++)
		free(p[i].comm);
	free(p);
	if (unreadable)
		ml_warn("%zu process(es) could not be read (gone, or not ours)", unreadable);
	return 0;
}

/*
 * The picture, and the page and the map when asked, into outputs opened
 * before: the caller commits them together, so none is left when one fails.
 */
static int write_outputs(const struct job *j, const struct ml_hmap *m, const struct ml_space *s,
			 struct ml_out *const outs[3])
{
	char *png = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&png, &len);
	if (!mf) {
		ml_err("out of memory");
		return -1;
	}
	const char *why = NULL;
	int r = ml_hmap_png(m, mf, &why);
	if (fclose(mf) || r) {
		ml_err("%s: %s", j->out, why ? why : strerror(ENOMEM));
		free(png);
		return -1;
	}
	const char *name = j->out;
	errno = 0;
	r = fwrite(png, 1, len, outs[0]->f) == len ? 0 : -1;
	if (!r && j->html) {
		name = j->html;
		r = ml_hmap_html(m, outs[1]->f, (const uint8_t *)png, len);
	}
	if (!r && j->map) {
		name = j->map;
		json_t *src = s ? ml_json_source(s, NULL, NULL) : ml_json_source(NULL, "system", NULL);
		r = ml_hmap_json(m, src, outs[2]->f);
	}
	if (r)
		ml_err("%s: write failed: %s", name, strerror(errno ? errno : EIO));
	free(png);
	return r;
}

int cmd_hilbert(int argc, char **argv)
{
	struct job j = { 0 };
	struct ml_cli cli;
	struct ml_space *s = NULL;
	struct ml_selection sel = { 0 };
	struct ml_hmap m = { 0 };
	struct ml_out png, html, map;
	struct ml_out *const outs[3] = { &png, &html, &map };
	bool by_set = false;
	int c, ret = ML_EXIT_USAGE;
	png.open = html.open = map.open = false;
	ml_cli_init(&cli, argc, argv);
	while ((c = ml_cli_next(&cli)) > 0) {
		switch (c) {
		case OPT_SYSTEM:
			j.system = true;
			break;
		case OPT_BY:
			if (strcmp(optarg, "vsz") && strcmp(optarg, "rss")) {
				ml_usage_error("--by %s: expected vsz or rss", optarg);
				goto done;
			}
			j.by_rss = !strcmp(optarg, "rss");
			by_set = true;
			break;
		case OPT_CURVE:
			if (strcmp(optarg, "hilbert") && strcmp(optarg, "gilbert")) {
				ml_usage_error("--curve %s: expected gilbert or hilbert", optarg);
				goto done;
			}
			j.classic = !strcmp(optarg, "hilbert");
			break;
		}
	}
	if (c < 0)
		goto done;
	if (j.system)
		ml_cli_mode(&cli, "--system");
	if (ml_cli_done(&cli))
		goto done;
	j.out = cli.out;
	j.html = cli.html;
	j.map = cli.map;
	if (by_set && !j.system) {
		ml_cli_refuse("--by", "it sizes the processes of --system");
		goto done;
	}
	if (strcasecmp(ml_path_ext(j.out), "png") && (*ml_path_ext(j.out) || !ml_out_is_stream(j.out))) {
		ml_usage_error("%s: the map is a PNG: name it .png", j.out);
		goto done;
	}
	ret = ML_EXIT_FAIL;
	if (j.system) {
		if (build_system(&m, j.by_rss, j.classic))
			goto done;
	} else {
		if ((ret = ml_cli_open(&cli, &s, &sel)))
			goto done;
		ret = ML_EXIT_FAIL;
		if (!sel.n) {
			ml_err("%s: no mapping to draw", s->name);
			goto done;
		}
		if (build_source(&m, s, &sel, j.classic))
			goto done;
	}
	if (ml_out_open(&png, j.out, s) || (j.html && ml_out_open(&html, j.html, s)) ||
	    (j.map && ml_out_open(&map, j.map, s)))
		goto done;
	if (write_outputs(&j, &m, s, outs))
		goto done;
	/* Decided before the commit: all three files, or none. */
	ret = ml_cli_finish(&cli, false);
	if (ret == ML_EXIT_OK && ml_out_commit_all(outs, 3))
		ret = ML_EXIT_FAIL;
done:
	for (size_t i = 0; i < 3; i++)
		ml_out_abort(outs[i]);
	ml_hmap_free(&m);
	ml_selection_free(&sel);
	ml_space_close(s);
	ml_cli_free(&cli);
	return ret;
}
