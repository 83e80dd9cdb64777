/*
 * trace_heat: the heatmap of a trace (see trace_heat.h).  Pass 1 finds the
 * address ranges allocations touched, in 1 MiB blocks, and folds the gaps
 * between them; pass 2 replays the events keeping the live bytes of each
 * row, and each cell keeps the most its row held during its time slice.
 * Memory: the picture and one row array, whatever the trace's length.
 */
#include "config.h"
#include "trace_heat.h"
#include "text.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SHIFT 20
#define MARGIN_L 96
#define MARGIN_R 120
#define MARGIN_T 22
#define MARGIN_B 36

struct seg {
	uint64_t lo, hi;	/* blocks [lo, hi) */
	uint32_t row0, rows;	/* its rows in the plot */
};

/* A set of block numbers: open addressing, 0 kept apart. */
struct bset {
	uint64_t *v;
	size_t cap, n;
	bool zero;
};

static void bset_add(struct bset *s, uint64_t b)
{
	if (!b) {
		s->zero = true;
		return;
	}
	if ((s->n + 1) * 2 > s->cap) {
		size_t oc = s->cap, nc = oc ? oc * 2 : 1024;
		uint64_t *old = s->v;
		s->v = ml_calloc(nc, sizeof *s->v);
		s->cap = nc;
		s->n = 0;
		for (size_t i = 0; i < oc; i++)
			if (old[i])
				bset_add(s, old[i]);
		free(old);
	}
	size_t j = (b * 0x9E3779B97F4A7C15ull >> 20) & (s->cap - 1);
	while (s->v[j] && s->v[j] != b)
		j = (j + 1) & (s->cap - 1);
	if (!s->v[j]) {
		s->v[j] = b;
		s->n++;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Colour of a fraction in [0, 1]: black, then viridis-like from blue to yellow. */
static void colour(double f, uint8_t out[3])
{
	static const double stops[6][3] = {
		{ 68, 1, 84 }, { 59, 82, 139 }, { 33, 145, 140 }, { 94, 201, 98 }, { 190, 223, 38 }, { 253, 231, 37 },
	};
	if (f <= 0) {
		out[0] = out[1] = out[2] = 0;
		return;
	}
	if (f > 1)
		f = 1;
	double x = f * 5;
	int i = (int)x;
	if (i >= 5)
		i = 4;
	double u = x - i;
	for (int k = 0; k < 3; k++)
		out[k] = (uint8_t)lround(stops[i][k] + (stops[i + 1][k] - stops[i][k]) * u);
}

static void text(struct ml_heat *m, int x, int y, const char *s)
{
	static const uint8_t white[3] = { 230, 230, 230 };
	ml_text_draw(m->rgb, m->w, m->h, x, y, 10, s, 200, white);	/* 10 px: a 6-pixel advance, as the layout assumes */
}

static void fill(struct ml_heat *m, uint32_t x0, uint32_t y0, uint32_t w, uint32_t h, const uint8_t c[3])
{
	for (uint32_t y = y0; y < y0 + h && y < m->h; y++)
		for (uint32_t x = x0; x < x0 + w && x < m->w; x++)
			memcpy(m->rgb + ((size_t)y * m->w + x) * 3, c, 3);
}

static const char *bytes_label(double b, char *buf, size_t len)
{
	return ml_human_size((uint64_t)llround(b), buf, len);
}

int ml_heat_build(struct ml_trace *t, uint32_t w, uint32_t h, const char *title, struct ml_heat *m)
{
	memset(m, 0, sizeof *m);
	if (w < MARGIN_L + MARGIN_R + 16 || h < MARGIN_T + MARGIN_B + 16) {
		ml_err("--fit %ux%u: the heatmap needs at least %ux%u pixels", w, h, MARGIN_L + MARGIN_R + 16,
		       MARGIN_T + MARGIN_B + 16);
		return -1;
	}
	/* Pass 1: the blocks allocations touched. */
	struct bset bs = { 0 };
	struct ml_tev e;
	ml_trace_rewind(t);
	while (ml_trace_next(t, &e) > 0) {
		if (e.type != ML_TEV_ALLOC || !e.size)
			continue;
		uint64_t a = e.addr >> BLOCK_SHIFT, b = (e.addr + e.size - 1) >> BLOCK_SHIFT;
		if (e.addr + e.size < e.addr)
			b = UINT64_MAX >> BLOCK_SHIFT;
		/* a huge block adds its ends and its middle as one range of blocks */
		for (uint64_t k = a; k <= b && k - a < 4096; k++)
			bset_add(&bs, k);
		if (b - a >= 4096)
			bset_add(&bs, b);
	}
	size_t nb = bs.n + bs.zero;
	uint64_t *blk = ml_malloc((nb ? nb : 1) * sizeof *blk);
	size_t k = 0;
	if (bs.zero)
		blk[k++] = 0;
	for (size_t i = 0; i < bs.cap; i++)
		if (bs.v[i])
			blk[k++] = bs.v[i];
	free(bs.v);
	qsort(blk, nb, sizeof *blk, cmp_u64);
	struct seg *seg = NULL;
	size_t ns = 0;
	uint64_t total = 0;
	for (size_t i = 0; i < nb; i++) {
		if (ns && blk[i] - seg[ns - 1].hi < 64) {	/* gaps under 64 MiB stay */
			total += blk[i] + 1 - seg[ns - 1].hi;
			seg[ns - 1].hi = blk[i] + 1;
			continue;
		}
		seg = ml_reallocarray(seg, ns + 1, sizeof *seg);
		seg[ns++] = (struct seg){ blk[i], blk[i] + 1, 0, 0 };
		total++;
	}
	free(blk);
	uint32_t pw = w - MARGIN_L - MARGIN_R, ph = h - MARGIN_T - MARGIN_B;
	if (ns * 2 > ph) {
		ml_err("%zu separate address ranges do not fit %u rows: ask for a taller --fit", ns, ph);
		free(seg);
		return -1;
	}
	/* Rows by size (at least one each), a grey line between ranges. */
	uint32_t avail = ph - (uint32_t)(ns ? ns - 1 : 0), used = 0;
	size_t big = 0;
	/* Each range also weighs a share of the whole, so a small heap beside a huge block still shows. */
	double extra = (double)total / (2.0 * (double)(ns ? ns : 1)), wsum = (double)total + extra * (double)ns;
	for (size_t i = 0; i < ns; i++) {
		uint64_t len = seg[i].hi - seg[i].lo;
		seg[i].rows = 1 + (uint32_t)(((double)len + extra) / wsum * (double)(avail - ns));
		used += seg[i].rows;
		if (len > seg[big].hi - seg[big].lo)
			big = i;
	}
	if (ns)
		seg[big].rows += avail - used;
	for (size_t i = 0, row = 0; i < ns; i++) {
		seg[i].row0 = (uint32_t)row;
		row += seg[i].rows + 1;
	}
	m->w = w;
	m->h = h;
	m->nseg = ns;
	m->rgb = ml_calloc((size_t)w * h, 3);
	uint64_t *cell = ml_calloc((size_t)pw * ph, sizeof *cell);
	int64_t *live = ml_calloc(ph, sizeof *live);
	/* Pass 2: live bytes per row, the fullest moment of each cell. */
	double dur = (double)(ml_trace_duration(t) ? ml_trace_duration(t) : 1);
	uint32_t col = 0;
	ml_trace_rewind(t);
	while (ml_trace_next(t, &e) > 0) {
		if (e.type != ML_TEV_ALLOC && !(e.type == ML_TEV_FREE && !e.unknown))
			continue;
		uint32_t c = (uint32_t)((double)e.t / dur * pw);
		if (c >= pw)
			c = pw - 1;
		while (col < c) {
			col++;
			for (uint32_t r = 0; r < ph; r++)
				cell[(size_t)r * pw + col] = live[r] > 0 ? (uint64_t)live[r] : 0;
		}
		/* The rows the block covers, each getting its share of bytes. */
		uint64_t lo = e.addr, hi = e.addr + (e.size ? e.size : 1);
		size_t si = 0;
		while (si < ns && (seg[si].hi << BLOCK_SHIFT) <= lo)
			si++;
		for (; si < ns && (seg[si].lo << BLOCK_SHIFT) < hi; si++) {
			struct seg *s = &seg[si];
			uint64_t s_lo = s->lo << BLOCK_SHIFT, bytes = (s->hi - s->lo) << BLOCK_SHIFT;
			double bpr = (double)bytes / s->rows;
			uint64_t a = lo > s_lo ? lo : s_lo, b = hi < (s->hi << BLOCK_SHIFT) ? hi : s->hi << BLOCK_SHIFT;
			uint32_t r0 = (uint32_t)((double)(a - s_lo) / bpr), r1 = (uint32_t)((double)(b - 1 - s_lo) / bpr);
			if (r1 >= s->rows)
				r1 = s->rows - 1;
			for (uint32_t r = r0; r <= r1 && r < s->rows; r++) {
				double rl = s_lo + r * bpr, rh = rl + bpr;
				double ov = (b < rh ? b : rh) - (a > rl ? a : rl);
				int64_t d = (int64_t)llround(ov > 0 ? ov : 0) * (e.type == ML_TEV_ALLOC ? 1 : -1);
				if (!d)
					d = e.type == ML_TEV_ALLOC ? 1 : -1;
				uint32_t y = s->row0 + r;
				live[y] += d;
				size_t ci = (size_t)y * pw + c;
				if (live[y] > 0 && (uint64_t)live[y] > cell[ci])
					cell[ci] = (uint64_t)live[y];
			}
		}
	}
	for (size_t i = 0; i < (size_t)pw * ph; i++)
		if (cell[i] > m->max_cell)
			m->max_cell = cell[i];
	/* Plot, separators, axes. */
	double lmax = log2(1.0 + (double)(m->max_cell ? m->max_cell : 1));
	for (uint32_t y = 0; y < ph; y++)
		for (uint32_t x = 0; x < pw; x++) {
			uint8_t *px = m->rgb + ((size_t)(MARGIN_T + y) * w + MARGIN_L + x) * 3;
			uint64_t v = cell[(size_t)y * pw + x];
			colour(v ? log2(1.0 + (double)v) / lmax : 0, px);
		}
	static const uint8_t grey[3] = { 110, 110, 110 }, axis[3] = { 200, 200, 200 };
	char buf[96], hb[32];
	for (size_t i = 0; i < ns; i++) {
		if (i)
			fill(m, MARGIN_L, MARGIN_T + seg[i].row0 - 1, pw, 1, grey);
		snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)(seg[i].lo << BLOCK_SHIFT));
		if (seg[i].rows >= 8 || ns < 24)
			text(m, 2, (int)(MARGIN_T + seg[i].row0), buf);
	}
	fill(m, MARGIN_L - 1, MARGIN_T, 1, ph, axis);
	fill(m, MARGIN_L - 1, MARGIN_T + ph, pw + 1, 1, axis);
	for (int i = 0; i <= 4; i++) {
		uint32_t x = MARGIN_L + (uint32_t)((double)(pw - 1) * i / 4);
		fill(m, x, MARGIN_T + ph, 1, 4, axis);
		snprintf(buf, sizeof buf, "%.3gs", dur * i / 4 / 1e9);
		text(m, (int)x - (i == 4 ? 30 : 0), (int)(MARGIN_T + ph + 6), buf);
	}
	text(m, MARGIN_L, (int)(h - 12), "time since start ->");
	text(m, 2, (int)(MARGIN_T + ph + 6), "heap address");
	text(m, 2, (int)(MARGIN_T + ph + 16), "(gaps folded)");
	text(m, 4, 6, title);
	/* Legend: a colour bar from 1 byte to the fullest cell, log scale. */
	uint32_t lx = w - MARGIN_R + 14, ly = MARGIN_T, lh = ph > 40 ? ph - 20 : ph;
	for (uint32_t y = 0; y < lh; y++) {
		uint8_t c[3];
		colour(1.0 - (double)y / (lh > 1 ? lh - 1 : 1), c);
		fill(m, lx, ly + y, 16, 1, c);
	}
	text(m, (int)lx, (int)(ly + lh + 4), "live bytes/cell");
	for (int i = 0; i <= 4; i++) {
		double f = 1.0 - i / 4.0;
		double b = exp2(f * lmax) - 1;
		uint32_t y = ly + (uint32_t)((double)(lh - 1) * i / 4);
		fill(m, lx + 16, y, 4, 1, axis);
		text(m, (int)lx + 22, (int)y - 3, i == 4 ? "0" : bytes_label(b, hb, sizeof hb));
	}
	free(cell);
	free(live);
	free(seg);
	return 0;
}

void ml_heat_free(struct ml_heat *m)
{
	free(m->rgb);
	m->rgb = NULL;
}
