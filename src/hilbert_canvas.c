/*
 * hilbert_canvas: placing pixels along the curve.  Computing d2xy for every
 * pixel costs a loop over the order; instead, every aligned run of 256
 * indices fills one 16×16 sub-square with the order-4 curve in one of the
 * square's 8 symmetries, and the symmetry follows from where the run starts
 * and ends (the group acts simply transitively on ordered pairs of adjacent
 * corners).  So a run costs two d2xy calls and a table walk.
 */
#include "config.h"
#include "hilbert_canvas.h"
#include "hilbert.h"
#include "pixel.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define TILE_ORDER 4
#define TILE (1u << TILE_ORDER)
#define RUN (TILE * TILE)

/* The order-4 curve under each of the 8 symmetries: x in the low nibble, y in the high. */
static uint8_t tiles[8][RUN];
static pthread_once_t tiles_built = PTHREAD_ONCE_INIT;	/* any thread may draw first */

static void sym(unsigned k, unsigned x, unsigned y, unsigned *ox, unsigned *oy)
{
	const unsigned m = TILE - 1;
	unsigned a = k & 4 ? y : x, b = k & 4 ? x : y;
	*ox = k & 1 ? m - a : a;
	*oy = k & 2 ? m - b : b;
}

static void build_tiles(void)
{
	for (unsigned i = 0; i < RUN; i++) {
		uint32_t x, y;
		ml_hilbert_d2xy(TILE_ORDER, i, &x, &y);
		for (unsigned k = 0; k < 8; k++) {
			unsigned a, b;
			sym(k, x, y, &a, &b);
			tiles[k][i] = (uint8_t)(b << 4 | a);
		}
	}
}

unsigned ml_hilbert_order_for(uint64_t n)
{
	unsigned o = 0;
	while (o < ML_HILBERT_MAX_ORDER && ((uint64_t)1 << (2 * o)) < n)
		o++;
	return o;
}

int ml_hcanvas_init(struct ml_hcanvas *c, unsigned order, unsigned k, unsigned ch, const uint8_t *fill,
		    const uint8_t *hole)
{
	memset(c, 0, sizeof *c);
	if (order > 15)
		return -1;
	uint64_t side = (uint64_t)1 << order, bytes = side * side * ch;
	if (bytes > ML_HCANVAS_CAP)
		return -1;
	c->order = order;
	c->shift = 2 * k;
	c->ch = ch;
	c->side = c->w = c->h = (uint32_t)side;
	memcpy(c->hole_px, hole, ch);
	c->px = ml_malloc((size_t)bytes);
	/* One row pixel by pixel, the others copied from it. */
	size_t row = (size_t)side * ch;
	for (uint64_t i = 0; i < side; i++)
		memcpy(c->px + i * ch, fill, ch);
	for (uint64_t y = 1; y < side; y++)
		memcpy(c->px + y * row, c->px, row);
	pthread_once(&tiles_built, build_tiles);
	return 0;
}

uint64_t ml_hcanvas_gilbert_bytes(uint32_t fw, uint32_t fh, uint32_t n, unsigned ch)
{
	uint64_t w = (fw + (uint64_t)n - 1) / n, h = (fh + (uint64_t)n - 1) / n;
	return w * h * (ch + (n > 1 ? 4 * (ch + 1) + 1 : 0));
}

int ml_hcanvas_init_gilbert(struct ml_hcanvas *c, uint32_t fw, uint32_t fh, uint32_t n, unsigned ch,
			    const uint8_t *fill, const uint8_t *hole)
{
	memset(c, 0, sizeof *c);
	if (!n || n > ML_HCANVAS_MAX_N || ml_hcanvas_gilbert_bytes(fw, fh, n, ch) > ML_HCANVAS_CAP)
		return -1;
	c->gilbert = true;
	c->fw = fw, c->fh = fh, c->n = n, c->ch = ch;
	c->w = (uint32_t)((fw + (uint64_t)n - 1) / n);
	c->h = (uint32_t)((fh + (uint64_t)n - 1) / n);
	memcpy(c->hole_px, hole, ch);
	size_t cells = (size_t)c->w * c->h;
	c->px = ml_malloc(cells * ch);
	for (size_t i = 0; i < cells; i++)
		memcpy(c->px + i * ch, fill, ch);
	if (n > 1) {
		c->acc = ml_calloc(cells * (ch + 1), sizeof *c->acc);
		c->seen_hole = ml_calloc(cells, 1);
	}
	ml_gilbert_start(&c->walk, fw, fh);
	return 0;
}

/* The generalized curve: each pixel to its cell, or into its block's sums. */
static void put_gilbert(struct ml_hcanvas *c, const uint8_t *px, const uint8_t *state, size_t n)
{
	unsigned ch = c->ch;
	for (size_t i = 0; i < n; i++) {
		uint32_t x, y;
		if (!ml_gilbert_next(&c->walk, &x, &y))
			return;
		if (state[i] == ML_PX_UNUSED)
			continue;
		if (!c->acc) {
			memcpy(c->px + ((size_t)y * c->w + x) * ch, px + i * ch, ch);
			continue;
		}
		size_t o = (size_t)(y / c->n) * c->w + x / c->n;
		if (state[i] == ML_PX_HOLE) {
			c->seen_hole[o] = 1;
			continue;
		}
		uint32_t *a = c->acc + o * (ch + 1);
		for (unsigned k = 0; k < ch; k++)
			a[k] += px[i * ch + k];
		a[ch]++;
	}
}

/* Reduced: each output pixel the average of its block's data, else a hole if it met one. */
static void flush_gilbert(struct ml_hcanvas *c)
{
	unsigned ch = c->ch;
	for (size_t o = 0; o < (size_t)c->w * c->h; o++) {
		const uint32_t *a = c->acc + o * (ch + 1);
		uint8_t *d = c->px + o * ch;
		if (a[ch])
			for (unsigned k = 0; k < ch; k++)
				d[k] = (uint8_t)((a[k] + a[ch] / 2) / a[ch]);
		else if (c->seen_hole[o])
			memcpy(d, c->hole_px, ch);
	}
}

static void put_one(struct ml_hcanvas *c, uint64_t d, const uint8_t *px)
{
	uint32_t x, y;
	ml_hilbert_d2xy(c->order, d, &x, &y);
	memcpy(c->px + ((size_t)y * c->side + x) * c->ch, px, c->ch);
}

/* Full-size placement of the run [d, d+256), d a multiple of 256. */
static void put_run(struct ml_hcanvas *c, uint64_t d, const uint8_t *px, const uint8_t *state)
{
	uint32_t x0, y0, x1, y1;
	ml_hilbert_d2xy(c->order, d, &x0, &y0);
	ml_hilbert_d2xy(c->order, d + RUN - 1, &x1, &y1);
	uint32_t bx = x0 & ~(TILE - 1), by = y0 & ~(TILE - 1);
	uint8_t s = (uint8_t)((y0 - by) << 4 | (x0 - bx)), e = (uint8_t)((y1 - by) << 4 | (x1 - bx));
	unsigned k = 0;
	while (k < 7 && !(tiles[k][0] == s && tiles[k][RUN - 1] == e))
		k++;
	const uint8_t *t = tiles[k];
	unsigned ch = c->ch;
	uint8_t *base = c->px + ((size_t)by * c->side + bx) * ch;
	size_t stride = (size_t)c->side * ch;
	for (unsigned i = 0; i < RUN; i++) {
		if (state[i] == ML_PX_UNUSED)
			continue;
		uint8_t *o = base + (t[i] >> 4) * stride + (t[i] & 15) * ch;
		if (ch == 1)
			*o = px[i];
		else if (ch == 3)
			o[0] = px[3 * i], o[1] = px[3 * i + 1], o[2] = px[3 * i + 2];
		else
			memcpy(o, px + 4 * i, 4);
	}
}

/* A reduced cell: the average of its data, else the hole colour if it had holes. */
static void end_cell(struct ml_hcanvas *c, uint64_t cell)
{
	if (c->count) {
		uint8_t v[4];
		for (unsigned k = 0; k < c->ch; k++)
			v[k] = (uint8_t)((c->sum[k] + c->count / 2) / c->count);
		put_one(c, cell, v);
	} else if (c->holes) {
		put_one(c, cell, c->hole_px);
	}
	memset(c->sum, 0, sizeof c->sum);
	c->count = 0;
	c->holes = false;
}

void ml_hcanvas_put(struct ml_hcanvas *c, const uint8_t *px, const uint8_t *state, size_t n)
{
	if (c->gilbert) {
		put_gilbert(c, px, state, n);
		return;
	}
	uint64_t cells = (uint64_t)c->side * c->side;
	if (c->shift) {
		uint64_t mask = ((uint64_t)1 << c->shift) - 1;
		for (size_t i = 0; i < n; i++, c->next++) {
			if ((c->next >> c->shift) >= cells)
				return;
			if (ml_px_coloured(state[i])) {
				for (unsigned k = 0; k < c->ch; k++)
					c->sum[k] += px[i * c->ch + k];
				c->count++;
			} else if (state[i] == ML_PX_HOLE) {
				c->holes = true;
			}
			if ((c->next & mask) == mask)
				end_cell(c, c->next >> c->shift);
		}
		return;
	}
	size_t i = 0;
	while (i < n && c->next < cells) {
		if (c->order >= TILE_ORDER && (c->next & (RUN - 1)) == 0 && n - i >= RUN) {
			put_run(c, c->next, px + i * c->ch, state + i);
			i += RUN;
			c->next += RUN;
			continue;
		}
		if (state[i] != ML_PX_UNUSED)
			put_one(c, c->next, px + i * c->ch);
		i++;
		c->next++;
	}
}

void ml_hcanvas_put_holes(struct ml_hcanvas *c, uint64_t n)
{
	if (c->gilbert) {
		/*
		 * The generalized curve has no aligned blocks to skip by: each
		 * cell is walked (at most the rectangle's), a shrunk one marked.
		 */
		uint32_t x, y;
		for (; n && ml_gilbert_next(&c->walk, &x, &y); n--, c->next++) {
			if (c->acc)
				c->seen_hole[(size_t)(y / c->n) * c->w + x / c->n] = 1;
			else
				memcpy(c->px + ((size_t)y * c->w + x) * c->ch, c->hole_px, c->ch);
		}
		c->next += ML_MIN(n, UINT64_MAX - c->next);
		return;
	}
	uint64_t cells = (uint64_t)c->side * c->side;
	if (!c->shift) {
		for (; n && c->next < cells; n--, c->next++)
			put_one(c, c->next, c->hole_px);
		c->next += ML_MIN(n, UINT64_MAX - c->next);
		return;
	}
	uint64_t mask = ((uint64_t)1 << c->shift) - 1;
	while (n && (c->next >> c->shift) < cells) {
		uint64_t k = ML_MIN(n, mask + 1 - (c->next & mask));
		c->holes = true;
		if (((c->next + k) & mask) == 0)	/* the cell is complete */
			end_cell(c, c->next >> c->shift);
		c->next += k;
		n -= k;
	}
	c->next += ML_MIN(n, UINT64_MAX - c->next);
}

void ml_hcanvas_flush(struct ml_hcanvas *c)
{
	if (c->gilbert) {
		if (c->acc)
			flush_gilbert(c);
		return;
	}
	uint64_t cells = (uint64_t)c->side * c->side;
	if (c->shift && (c->next & (((uint64_t)1 << c->shift) - 1)) && (c->next >> c->shift) < cells)
		end_cell(c, c->next >> c->shift);
}

void ml_hcanvas_free(struct ml_hcanvas *c)
{
	free(c->px);
	free(c->acc);
	free(c->seen_hole);
	c->px = NULL;
	c->acc = NULL;
	c->seen_hole = NULL;
}
