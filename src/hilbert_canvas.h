/*
 * hilbert_canvas: an in-memory picture whose pixels are filled in Hilbert
 * order.  A Hilbert layout is not row-ordered, so the picture is held whole
 * until every pixel has arrived; its size is capped (ML_HCANVAS_CAP).  With
 * a reduction of 2^k, each output cell is the average of 4^k consecutive
 * input pixels — exactly the aligned 2^k × 2^k block of the full-size
 * curve — so a thumbnail needs no more memory than itself.
 *
 * The generalized curve (gilbert.h) fills a rectangle of any size.  Its
 * blocks are not runs of the curve, so a reduced gilbert canvas keeps a
 * sum per channel and a count for every output pixel (4 bytes each, the
 * cap counting them) and averages at the end: each output pixel is the
 * average of the data pixels of its N × N block of the full-size picture.
 */
#ifndef ML_HILBERT_CANVAS_H
#define ML_HILBERT_CANVAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gilbert.h"

/* The largest canvas held in memory: 256 MiB (8192² RGBA, 16384² gray). */
#define ML_HCANVAS_CAP ((uint64_t)256 << 20)

struct ml_hcanvas {
	unsigned order;		/* the output is 2^order pixels a side */
	unsigned shift;		/* 2k: input pixels per output cell = 1 << shift */
	unsigned ch;		/* channels per pixel: 1, 3 or 4 */
	uint32_t side;
	uint32_t w, h;		/* the output: side × side, or the gilbert rectangle's */
	uint8_t *px;		/* w × h × ch, rows top to bottom */

	/* the generalized curve */
	bool gilbert;
	uint32_t fw, fh;	/* the full-size rectangle */
	uint32_t n;		/* full-size pixels a side of an output pixel */
	struct ml_gilbert walk;
	uint32_t *acc;		/* reduced: per output pixel, ch sums then a count */
	uint8_t *seen_hole;	/* reduced: the block met a hole pixel */

	uint64_t next;		/* index of the next input pixel */
	uint64_t sum[4];	/* the output cell being averaged */
	uint32_t count;		/* its data pixels so far */
	bool holes;		/* it has hole pixels */
	uint8_t hole_px[4];	/* what a cell of holes only shows */
};

/*
 * Smallest order whose square holds n pixels (0 for n <= 1).
 */
unsigned ml_hilbert_order_for(uint64_t n);

/*
 * Starts a canvas of 2^order cells a side for a curve of order + k
 * (k = shift / 2).  Every cell starts as `fill` (ch bytes: the unused
 * colour, for cells past the last pixel); a reduced cell whose pixels are
 * all holes becomes `hole` (ch bytes).  Returns -1 when it would pass
 * ML_HCANVAS_CAP.
 */
int ml_hcanvas_init(struct ml_hcanvas *c, unsigned order, unsigned k, unsigned ch, const uint8_t *fill,
		    const uint8_t *hole);
/*
 * The same for the generalized curve on a fw × fh rectangle, shrunk by n
 * (1: full size; at most ML_HCANVAS_MAX_N) to ceil(fw/n) × ceil(fh/n).
 * -1 when the canvas would pass ML_HCANVAS_CAP.
 */
#define ML_HCANVAS_MAX_N 4096	/* 4096² pixels × 255 fit a 32-bit sum */
int ml_hcanvas_init_gilbert(struct ml_hcanvas *c, uint32_t fw, uint32_t fh, uint32_t n, unsigned ch,
			    const uint8_t *fill, const uint8_t *hole);
/* Bytes a gilbert canvas of that size holds (for refusing before a pass). */
uint64_t ml_hcanvas_gilbert_bytes(uint32_t fw, uint32_t fh, uint32_t n, unsigned ch);
/*
 * Places n display pixels (ch bytes each) at the next n curve positions;
 * state[i] (enum ml_px of pixel.h) says what pixel i is.  Full size, data
 * and hole pixels are placed as given and unused ones keep the fill;
 * reduced, a cell is the average of its coloured pixels (ml_px_coloured).
 */
void ml_hcanvas_put(struct ml_hcanvas *c, const uint8_t *px, const uint8_t *state, size_t n);
/*
 * Places n hole pixels at the next n curve positions in time proportional
 * to the cells they cover, not to n: a dump that claims EiB of uncaptured
 * memory draws as fast as its canvas.
 */
void ml_hcanvas_put_holes(struct ml_hcanvas *c, uint64_t n);
/* Completes a partly averaged last cell. */
void ml_hcanvas_flush(struct ml_hcanvas *c);
void ml_hcanvas_free(struct ml_hcanvas *c);

#endif
