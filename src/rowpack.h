/*
 * rowpack: full-size rows of a picture, made straight from the byte
 * stream's blocks.  Each run of data is converted in one pass from the
 * block it arrived in into a large buffer of output rows, already in the
 * writer's layout and stride (pixel.h's kernels); a run of holes is
 * filled with the hole colour; only a pixel split between two runs is
 * staged.  When the buffer is full (a few MiB of rows) it goes to the
 * writer in one call, so a BMP leaves in writes of that size.  There is
 * no per-pixel state: what a pixel is follows from the run it is in.
 *
 * The rules are the byte rule of pixel.h: pixel i is bytes [i·B, i·B+B);
 * a pixel with any hole byte is a hole; a last partial pixel keeps its
 * bytes (the rest zero); the rest of the last row is unused canvas.
 */
#ifndef ML_ROWPACK_H
#define ML_ROWPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image.h"
#include "pixel.h"

struct ml_rowpack {
	struct ml_img *img;
	ml_pixconv conv;
	const uint8_t (*pal)[3];
	unsigned B, ob;		/* bytes of a pixel: in the stream, in the rows */
	uint64_t width;		/* pixels a row */
	size_t stride;		/* bytes from one output row to the next */
	bool checker;		/* 8 bpp BMP: holes and unused canvas as its checkerboard */
	bool same;		/* the rows' pixels are the bytes themselves */
	uint8_t hole[4], unused[4];
	uint8_t *buf;		/* cap rows of stride bytes */
	uint32_t cap, n;	/* rows the buffer holds; complete ones in it */
	uint64_t x;		/* pixels filled of row n */
	uint64_t y;		/* the picture's row of the buffer's first */
	uint8_t part[4];	/* a pixel split between runs */
	unsigned npart;
	bool part_hole;
	uint64_t hole_px;	/* hole pixels drawn */
	const char *why;	/* the writer's reason after a failure */
};

/*
 * Rows of width pixels of f's bytes, in layout l, for img.  -1 when f's
 * depth cannot be drawn in l (a caller's mistake).
 */
int ml_rowpack_init(struct ml_rowpack *rp, struct ml_img *img, const struct ml_pixfmt *f, enum ml_img_layout l,
		    uint64_t width);
/* The next len bytes of the stream: data, or (NULL) holes.  -1 with rp->why when the writer failed. */
int ml_rowpack_feed(struct ml_rowpack *rp, const uint8_t *data, size_t len);
/*
 * The end of the stream: the partial pixel, the unused rest of the last
 * row, unused rows up to height rows in all (--width square), and every
 * row out.
 */
int ml_rowpack_finish(struct ml_rowpack *rp, uint64_t height);
/* Complete rows out now (before rows go to the writer some other way, ml_img_copy_rows). */
int ml_rowpack_flush(struct ml_rowpack *rp);
/* nrows rows reached the writer without the rowpack (ml_img_copy_rows): the next row is later. */
void ml_rowpack_skip(struct ml_rowpack *rp, uint64_t nrows);
void ml_rowpack_free(struct ml_rowpack *rp);

#endif
