/*
 * rowpack: runs of bytes and holes into rows of pixels, a row buffer at a
 * time.  See rowpack.h for the rules; pixel.c has the conversions.
 */
#include "config.h"
#include "rowpack.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Rows are handed to the writer this many bytes at a time, at least. */
#define BATCH ((size_t)1 << 20)

int ml_rowpack_init(struct ml_rowpack *rp, struct ml_img *img, const struct ml_pixfmt *f, enum ml_img_layout l,
		    uint64_t width)
{
	memset(rp, 0, sizeof *rp);
	rp->conv = ml_pixconv_for(f, l, &rp->same);
	if (!rp->conv)
		return -1;
	rp->img = img;
	rp->pal = f->bpp == 8 ? ml_palette_rgb(f->palette) : NULL;
	rp->B = f->bpp / 8;
	rp->ob = ml_img_layout_bytes(l);
	rp->width = width;
	rp->stride = ml_img_stride(img);
	rp->checker = l == ML_IMG_PALETTE;
	ml_layout_colour(ML_PX_HOLE, l, rp->hole);
	ml_layout_colour(ML_PX_UNUSED, l, rp->unused);
	rp->cap = (uint32_t)ML_MAX((size_t)1, BATCH / rp->stride);
	/* calloc: the padding of each row (BMP's) stays zero; it is never written */
	rp->buf = ml_calloc(rp->cap, rp->stride);
	return 0;
}

void ml_rowpack_free(struct ml_rowpack *rp)
{
	free(rp->buf);
	rp->buf = NULL;
}

int ml_rowpack_flush(struct ml_rowpack *rp)
{
	if (!rp->n)
		return 0;
	if (ml_img_rows(rp->img, rp->buf, rp->stride, rp->n, &rp->why))
		return -1;
	rp->y += rp->n;
	/* a partial row moves to the top */
	if (rp->x)
		memcpy(rp->buf, rp->buf + (size_t)rp->n * rp->stride, (size_t)(rp->x * rp->ob));
	rp->n = 0;
	return 0;
}

void ml_rowpack_skip(struct ml_rowpack *rp, uint64_t nrows)
{
	rp->y += nrows;
}

static uint8_t *at(const struct ml_rowpack *rp)
{
	return rp->buf + (size_t)rp->n * rp->stride + (size_t)(rp->x * rp->ob);
}

/* Moves past k pixels just written in the current row. */
static int advance(struct ml_rowpack *rp, uint64_t k)
{
	rp->x += k;
	if (rp->x < rp->width)
		return 0;
	rp->x = 0;
	if (++rp->n == rp->cap)
		return ml_rowpack_flush(rp);
	return 0;
}

/* k pixels of one colour (a hole or unused canvas). */
static int fill(struct ml_rowpack *rp, const uint8_t *colour, uint64_t k)
{
	while (k) {
		uint64_t m = ML_MIN(k, rp->width - rp->x);
		uint8_t *d = at(rp);
		if (rp->checker) {
			uint64_t y = rp->y + rp->n;
			for (uint64_t i = 0; i < m; i++)
				d[i] = ml_bmp_checker(rp->x + i, y);
		} else if (rp->ob == 1) {
			memset(d, colour[0], (size_t)m);
		} else {
			/* one pixel, then the filled part doubled */
			size_t done = rp->ob, total = (size_t)m * rp->ob;
			memcpy(d, colour, rp->ob);
			while (done < total) {
				size_t c = ML_MIN(done, total - done);
				memcpy(d + done, d, c);
				done += c;
			}
		}
		k -= m;
		if (advance(rp, m))
			return -1;
	}
	return 0;
}

/* k whole pixels of data, converted from src. */
static int pixels(struct ml_rowpack *rp, const uint8_t *src, uint64_t k)
{
	while (k) {
		uint64_t m = ML_MIN(k, rp->width - rp->x);
		rp->conv(src, (size_t)m, at(rp), rp->pal);
		src += m * rp->B;
		k -= m;
		if (advance(rp, m))
			return -1;
	}
	return 0;
}

/* The staged pixel is complete (or the stream ended): out it goes. */
static int put_part(struct ml_rowpack *rp)
{
	memset(rp->part + rp->npart, 0, rp->B - rp->npart);
	rp->npart = 0;
	if (rp->part_hole) {
		rp->part_hole = false;
		rp->hole_px++;
		return fill(rp, rp->hole, 1);
	}
	return pixels(rp, rp->part, 1);
}

int ml_rowpack_feed(struct ml_rowpack *rp, const uint8_t *data, size_t len)
{
	if (rp->npart) {
		size_t take = ML_MIN(len, (size_t)(rp->B - rp->npart));
		if (data) {
			memcpy(rp->part + rp->npart, data, take);
			data += take;
		} else {
			rp->part_hole = true;
		}
		rp->npart += (unsigned)take;
		len -= take;
		if (rp->npart == rp->B && put_part(rp))
			return -1;
	}
	uint64_t k = len / rp->B;
	size_t rest = len % rp->B;
	if (data ? pixels(rp, data, k) : (rp->hole_px += k, fill(rp, rp->hole, k)))
		return -1;
	if (rest) {
		if (data)
			memcpy(rp->part, data + k * rp->B, rest);
		else
			rp->part_hole = true;
		rp->npart = (unsigned)rest;
	}
	return 0;
}

int ml_rowpack_finish(struct ml_rowpack *rp, uint64_t height)
{
	if (rp->npart && put_part(rp))
		return -1;
	if (rp->x && fill(rp, rp->unused, rp->width - rp->x))
		return -1;
	uint64_t rows = rp->y + rp->n;
	if (rows < height && fill(rp, rp->unused, (height - rows) * rp->width))
		return -1;
	return ml_rowpack_flush(rp);
}
