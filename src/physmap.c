/*
 * physmap: --physical.  Reads /proc/kpageflags over the "System RAM"
 * ranges of /proc/iomem in large reads, classifies each frame (a frame's
 * folio size decides THP: the kernel sets its THP flag on every large
 * folio), counts the classes and, with -o, draws one cell per frame, or
 * per 2^k frames (the most common class) so the picture stays within
 * 4096x4096.  Memory: one batch of flags and one byte per cell.
 */
#include "config.h"
#include "physmap.h"
#include "hilbert.h"
#include "json.h"
#include "output.h"
#include "pagemap.h"
#include "pixel.h"
#include "unitmap.h"
#include "util.h"
#include "caption.h"
#include "image.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH ((size_t)1 << 16)	/* frames per read */
#define MAX_CELLS ((uint64_t)1 << 24)

static const struct {
	const char *name;
	uint8_t rgb[3];
} phys_class[ML_PH__COUNT] = {
	[ML_PH_FREE] = { "free", { 0, 0, 0 } },
	[ML_PH_ANON] = { "anonymous", { 60, 200, 60 } },
	[ML_PH_ANON_THP] = { "anon_thp", { 190, 240, 60 } },
	[ML_PH_FILE] = { "file_cache", { 60, 120, 230 } },
	[ML_PH_FILE_THP] = { "file_thp", { 60, 215, 230 } },
	[ML_PH_SLAB] = { "slab", { 230, 120, 30 } },
	[ML_PH_PGTABLE] = { "page_table", { 150, 80, 220 } },
	[ML_PH_HUGETLB] = { "hugetlb", { 240, 220, 40 } },
	[ML_PH_ZERO] = { "zero_page", { 150, 150, 150 } },
	[ML_PH_RESERVED] = { "reserved", { 140, 20, 20 } },
	[ML_PH_NOFLAGS] = { "no_flags", { 90, 90, 90 } },
	[ML_PH_OTHER] = { "other", { 230, 40, 40 } },
};

const char *ml_phys_name(enum ml_phys c)
{
	return c < ML_PH__COUNT ? phys_class[c].name : "?";
}

/*
 * Every free page carries BUDDY (the kernel reports it on a free block's
 * tail pages too); a page with no flag at all is not free but, say, on a
 * per-CPU free list or a kernel allocation that sets no flag.
 */
enum ml_phys ml_phys_classify(uint64_t f, bool pmd_folio)
{
	if (ML_KF(f, BUDDY))
		return ML_PH_FREE;
	if (ML_KF(f, NOPAGE))
		return ML_PH_OTHER;
	if (ML_KF(f, ZERO_PAGE))
		return ML_PH_ZERO;	/* before THP: the huge zero page has both */
	if (ML_KF(f, SLAB))
		return ML_PH_SLAB;
	if (ML_KF(f, PGTABLE))
		return ML_PH_PGTABLE;
	if (ML_KF(f, HUGE))
		return ML_PH_HUGETLB;
	bool thp = ML_KF(f, THP) && pmd_folio;
	if (ML_KF(f, ANON))
		return thp ? ML_PH_ANON_THP : ML_PH_ANON;
	if (ML_KF(f, LRU) || ML_KF(f, MMAP) || ML_KF(f, THP))
		return thp ? ML_PH_FILE_THP : ML_PH_FILE;
	if (f == 0)
		return ML_PH_NOFLAGS;
	if (ML_KF(f, RESERVED))
		return ML_PH_RESERVED;
	return ML_PH_OTHER;
}

bool ml_phys_large_folio(uint64_t f, bool pmd_folio)
{
	return ML_KF(f, THP) && !pmd_folio && !ML_KF(f, ZERO_PAGE) && !ML_KF(f, HUGE) && !ML_KF(f, BUDDY);
}

struct ram {
	uint64_t first, n;
};

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
		if (!dash || !colon || dash > colon || !strstr(colon, "System RAM"))
			continue;
		*dash = *colon = '\0';
		if (line[0] == ' ')
			continue;	/* nested entries are parts of a top-level one */
		if (ml_parse_addr(line, &a) || ml_parse_addr(dash + 1, &b) || b < a)
			continue;
		r = ml_reallocarray(r, *nr + 1, sizeof *r);
		r[*nr].first = a / ps;
		r[*nr].n = b / ps - a / ps + 1;
		(*nr)++;
	}
	fclose(f);
	return r;
}

struct scan {
	uint64_t counts[ML_PH__COUNT], large, total, idx, cells;
	unsigned shift;
	uint8_t *cell;
	uint32_t votes[ML_PH__COUNT];
};

static void count(struct scan *s, enum ml_phys c)
{
	s->counts[c]++;
	if (s->cell) {
		s->votes[c]++;
		if (((s->idx + 1) & (((uint64_t)1 << s->shift) - 1)) == 0 || s->idx + 1 == s->total) {
			/* The cell shows its most common class. */
			unsigned best = 0;
			for (unsigned v = 1; v < ML_PH__COUNT; v++)
				if (s->votes[v] > s->votes[best])
					best = v;
			s->cell[s->idx >> s->shift] = (uint8_t)best;
			memset(s->votes, 0, sizeof s->votes);
		}
	}
	s->idx++;
}

/*
 * One range of frames.  A folio's size is its head plus the tails that
 * follow it, so each batch keeps back a PMD's worth of frames to look
 * ahead into, and reads them again as the start of the next.
 */
static int scan_range(struct ml_kpage *kp, const struct ram *r, uint64_t *flags, unsigned ps, struct scan *s)
{
	uint64_t pmd = ml_pmd_pages(ps), pfn = r->first, end = r->first + r->n;
	bool tail_pmd = false;
	while (pfn < end) {
		size_t m = (size_t)ML_MIN((uint64_t)BATCH, end - pfn);
		if (ml_kpage_flags(kp, pfn, m, flags))
			return -1;
		size_t done = pfn + m == end ? m : m - (size_t)pmd - 1;
		for (size_t k = 0; k < done; k++) {
			uint64_t f = flags[k];
			bool pmdf = false;
			if (ML_KF(f, COMPOUND_HEAD)) {
				uint64_t t = 0;
				while (k + 1 + t < m && t < pmd && ML_KF(flags[k + 1 + t], COMPOUND_TAIL))
					t++;
				pmdf = tail_pmd = t + 1 == pmd;
			} else if (ML_KF(f, COMPOUND_TAIL)) {
				pmdf = tail_pmd;
			} else {
				tail_pmd = false;
			}
			count(s, ml_phys_classify(f, pmdf));
			if (ml_phys_large_folio(f, pmdf))
				s->large++;
		}
		pfn += done;
	}
	return 0;
}

/* The picture: Hilbert (index 0 top-left, y down) or rows; canvas no frame maps to is the unused colour. */
static int draw(const struct ml_physmap_opts *o, const struct scan *s, unsigned ps)
{
	uint32_t w, h;
	unsigned order = 0;
	while (((uint64_t)1 << (2 * order)) < s->cells)
		order++;
	if (o->hilbert) {
		w = h = 1u << order;
	} else {
		w = (uint32_t)ML_MIN(o->width ? o->width : 1024, s->cells);
		h = (uint32_t)((s->cells + w - 1) / w);
	}
	/* The classes, unused, then the caption's ink levels. */
	enum { UNUSED = ML_PH__COUNT, SHADE0 };
	uint8_t pal[SHADE0 + ML_CAPTION_SHADES][3];
	struct ml_legend lg = { 0 };
	struct ml_caption_item items[ML_PH__COUNT + 1];
	for (unsigned c = 0; c < ML_PH__COUNT; c++) {
		memcpy(pal[c], phys_class[c].rgb, 3);
		ml_legend_add(&lg, phys_class[c].name, pal[c]);
		items[c] = (struct ml_caption_item){ { pal[c][0], pal[c][1], pal[c][2] }, phys_class[c].name };
	}
	pal[UNUSED][0] = ML_UNUSED_R;
	pal[UNUSED][1] = ML_UNUSED_G;
	pal[UNUSED][2] = ML_UNUSED_B;
	ml_legend_add(&lg, "unused", pal[UNUSED]);
	items[UNUSED] = (struct ml_caption_item){ { ML_UNUSED_R, ML_UNUSED_G, ML_UNUSED_B }, "unused (no frame)" };
	ml_caption_shades(pal, SHADE0);
	char scale[96], note[256], where[96], hs[32];
	snprintf(scale, sizeof scale, "one cell = %llu page(s) of %u bytes", 1ull << s->shift, ps);
	snprintf(note, sizeof note, "%s: every frame of System RAM in frame order, %s; one cell = %llu page(s) of %u bytes (%s).",
		 o->hilbert ? "Hilbert curve from the top-left" : "rows", o->hilbert ? "index 0 top-left, y down" : "top to bottom",
		 1ull << s->shift, ps, ml_human_size(((uint64_t)1 << s->shift) * ps, hs, sizeof hs));
	struct ml_caption cap = { { "memlens pagemap --physical: the class of every page frame", note, NULL, NULL },
				  items, ML_PH__COUNT + 1 };
	uint32_t pw = ML_MAX(w, 560u), ch = ml_caption_height(&cap, pw);
	snprintf(where, sizeof where, "x=0 y=0 width=%u height=%u", w, h);
	const char *text[] = { "Software", PACKAGE_STRING, "Layout", o->hilbert ? "hilbert" : "linear",
			       "Scale", scale, "Legend", lg.text, "Map", where };
	struct ml_img_info ii = { .width = pw, .height = h + ch, .layout = ML_IMG_PALETTE,
				  .palette = (const uint8_t (*)[3])pal, .npalette = SHADE0 + ML_CAPTION_SHADES,
				  .level = -1, .text = text, .ntext = ML_ARRAY_SIZE(text) / 2 };
	struct ml_out out;
	int ret = -1;
	if (ml_out_open(&out, o->out, NULL)) {
		ml_legend_free(&lg);
		return -1;
	}
	struct ml_img_sink sink = { out.f, out.fd, out.seekable };
	const char *why = NULL;
	struct ml_img *img = ml_img_begin(ml_img_format_named("PNG"), &sink, &ii, &why);
	uint8_t *row = ml_malloc(pw);
	int bad = !img;
	memset(row, SHADE0, pw);
	for (uint32_t y = 0; !bad && y < h; y++) {
		for (uint32_t x = 0; x < w; x++) {
			uint64_t d = o->hilbert ? ml_hilbert_xy2d(order, x, y) : (uint64_t)y * w + x;
			row[x] = d < s->cells ? s->cell[d] : UNUSED;
		}
		bad = ml_img_rows(img, row, pw, 1, &why);
	}
	if (!bad) {
		uint8_t *rgb = ml_malloc((size_t)pw * ch * 3), *idx = ml_malloc((size_t)pw * ch);
		ml_caption_draw(&cap, rgb, pw, ch);
		ml_caption_index(rgb, (size_t)pw * ch, (const uint8_t (*)[3])pal, SHADE0, SHADE0, idx);
		bad = ml_img_rows(img, idx, pw, ch, &why);
		free(rgb);
		free(idx);
	}
	free(row);
	if (bad) {
		ml_err("%s: %s", o->out, why);
		ml_img_abort(img);	/* its threads and buffers too */
		ml_out_abort(&out);
	} else if (ml_img_end(img, &why)) {
		ml_err("%s: %s", o->out, why);
		ml_out_abort(&out);
	} else {
		ret = ml_out_commit(&out) ? -1 : 0;
	}
	ml_legend_free(&lg);
	return ret;
}

static int report(const struct ml_physmap_opts *o, const struct scan *s, const struct ram *ram, size_t nr,
		  unsigned ps)
{
	if (o->json) {
		json_t *root = json_object(), *c = json_object(), *rs = json_array();
		json_object_set_new(root, "source", ml_json_source(NULL, "physical", NULL));
		json_object_set_new(root, "page_size", json_integer(ps));
		json_object_set_new(root, "pages", json_integer((json_int_t)s->total));
		for (size_t i = 0; i < nr; i++) {
			json_t *r = json_object();
			json_object_set_new(r, "start", ml_json_hex(ram[i].first * ps));
			json_object_set_new(r, "end", ml_json_hex((ram[i].first + ram[i].n) * ps));
			json_array_append_new(rs, r);
		}
		json_object_set_new(root, "ranges", rs);
		for (unsigned k = 0; k < ML_PH__COUNT; k++)
			json_object_set_new(c, phys_class[k].name, json_integer((json_int_t)s->counts[k]));
		json_object_set_new(root, "counts", c);
		json_object_set_new(root, "large_folio", json_integer((json_int_t)s->large));
		return ml_json_print(root, stdout);
	}
	if (o->out && !strcmp(o->out, "-"))
		return 0;	/* the picture is on standard output: no text beside it */
	char h[32];
	printf("System RAM: %" PRIu64 " pages (%s) in %zu ranges\n", s->total, ml_human_size(s->total * ps, h, sizeof h),
	       nr);
	for (unsigned k = 0; k < ML_PH__COUNT; k++)
		printf("  %-15s %10" PRIu64 " pages  %5.1f%%\n", phys_class[k].name, s->counts[k],
		       100.0 * (double)s->counts[k] / (double)s->total);
	printf("of anonymous and file_cache, in large folios below PMD size: %" PRIu64 " pages\n", s->large);
	return 0;
}

int ml_physmap(const struct ml_physmap_opts *o)
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
	struct scan s = { 0 };
	for (size_t i = 0; i < nr; i++)
		s.total += ram[i].n;
	int ret = -1;
	if (!ram || !s.total) {
		ml_err("--physical: /proc/iomem lists no System RAM");
		goto done;
	}
	while ((s.total >> s.shift) > MAX_CELLS)
		s.shift++;
	s.cells = (s.total + ((uint64_t)1 << s.shift) - 1) >> s.shift;
	if (o->out)
		s.cell = ml_calloc((size_t)s.cells, 1);
	uint64_t *flags = ml_malloc(BATCH * sizeof *flags);
	ret = 0;
	for (size_t i = 0; i < nr && !ret; i++)
		ret = scan_range(kp, &ram[i], flags, ps, &s);
	free(flags);
	if (!ret && o->out)
		ret = draw(o, &s, ps);
	if (!ret)
		ret = report(o, &s, ram, nr, ps);
done:
	free(s.cell);
	free(ram);
	ml_kpage_close(kp);
	return ret;
}
