/*
 * gilbert: the generalized Hilbert curve (J. Červený, 2019) on a rectangle
 * of any width and height — the locality of the classic curve without its
 * power-of-two square, so a picture or map fills its canvas with no
 * unused half.
 *
 * Orientation: cell 0 is the top-left cell (y grows down) and the curve
 * runs along the longer side: it ends at the bottom-left cell when the
 * rectangle is at least as tall as wide (binvis's orientation of the
 * classic curve), at the top-right one when it is wider.  Consecutive
 * cells are neighbours, except where the rectangle's parity forbids a
 * path between those corners (the longer side odd and the shorter even):
 * there the curve takes one diagonal step.
 *
 * Three ways in: a walk that gives the cells in curve order (constant time
 * a cell, for drawing), and xy2d / d2xy for one cell (time in the log of
 * the sides, for pointers and tests).
 */
#ifndef ML_GILBERT_H
#define ML_GILBERT_H

#include <stdbool.h>
#include <stdint.h>

/* One rectangle of the recursion: cells (x + i*da + j*db) for i < |a|, j < |b|. */
struct ml_gframe {
	int64_t x, y, ax, ay, bx, by;
	int next;		/* the sub-rectangle to visit next */
};

struct ml_gilbert {
	struct ml_gframe st[160];	/* depth grows by at most 2 per halving of a side */
	int top;
	int64_t x, y, dx, dy;		/* the straight run being walked */
	uint64_t left;			/* its cells still to give */
};

/* Starts a walk of the w x h rectangle (both at least 1, at most 2^31). */
void ml_gilbert_start(struct ml_gilbert *g, uint32_t w, uint32_t h);
/* The next cell in curve order; false after the last. */
bool ml_gilbert_next(struct ml_gilbert *g, uint32_t *x, uint32_t *y);

/* The curve position of cell (x, y), and the cell at position d. */
uint64_t ml_gilbert_xy2d(uint32_t w, uint32_t h, uint32_t x, uint32_t y);
void ml_gilbert_d2xy(uint32_t w, uint32_t h, uint64_t d, uint32_t *x, uint32_t *y);

/*
 * A rectangle for n cells (n >= 1): the near-square w x h, h the side of
 * the smallest square that holds n and w the fewest columns of that
 * height that do, so w <= h and fewer than h cells (one column) unused.
 */
void ml_gilbert_shape(uint64_t n, uint32_t *w, uint32_t *h);

#endif
