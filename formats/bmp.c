/*
 * bmp: the BMP writer.  Little-endian fields written byte by byte so the
 * output does not depend on the host.
 */
#include "config.h"
#include "bmp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

struct ml_bmp {
	FILE *f;
	uint32_t width, height, done;
	size_t stride, row_bytes;
	uint64_t data_off;
	bool bottom_up;
};

static uint64_t stride_of(uint32_t width, unsigned bpp)
{
	return ((uint64_t)width * bpp / 8 + 3) & ~(uint64_t)3;
}

static uint64_t header_size(unsigned bpp)
{
	return 14 + 40 + (bpp == 8 ? 256 * 4 : 0);
}

uint64_t ml_bmp_size(uint32_t width, uint32_t height, unsigned bpp)
{
	if (!width || !height || width > INT32_MAX || height > INT32_MAX)
		return 0;
	uint64_t image = stride_of(width, bpp) * height;
	if (image / height != stride_of(width, bpp))
		return 0;
	return header_size(bpp) + image;
}

static void le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

struct ml_bmp *ml_bmp_begin(FILE *f, uint32_t width, uint32_t height, unsigned bpp,
			    const uint8_t (*palette)[3], bool bottom_up, unsigned dpi, const char **why)
{
	uint64_t size = ml_bmp_size(width, height, bpp);
	if (!size || size > UINT32_MAX) {
		*why = "a BMP cannot pass 4 GiB (its sizes are 32-bit): write a PNG instead";
		return NULL;
	}
	struct ml_bmp *b = calloc(1, sizeof *b);
	if (!b) {
		*why = strerror(ENOMEM);
		return NULL;
	}
	errno = 0;
	uint8_t h[54] = { 'B', 'M' };
	uint64_t off = header_size(bpp);
	le(h + 2, size, 4);
	le(h + 10, off, 4);
	le(h + 14, 40, 4);
	le(h + 18, width, 4);
	/* Negative height means top-down rows. */
	le(h + 22, bottom_up ? height : (uint32_t)-(int32_t)height, 4);
	le(h + 26, 1, 2);
	le(h + 28, bpp, 2);
	le(h + 30, 0, 4);	/* BI_RGB */
	le(h + 34, size - off, 4);
	uint32_t ppm = dpi ? (uint32_t)(dpi / 0.0254 + 0.5) : 2835;
	le(h + 38, ppm, 4);
	le(h + 42, ppm, 4);
	le(h + 46, bpp == 8 ? 256 : 0, 4);
	if (fwrite(h, 1, sizeof h, f) != sizeof h)
		goto io;
	if (bpp == 8) {
		uint8_t pal[256 * 4];
		for (unsigned i = 0; i < 256; i++) {
			pal[4 * i] = palette ? palette[i][2] : (uint8_t)i;
			pal[4 * i + 1] = palette ? palette[i][1] : (uint8_t)i;
			pal[4 * i + 2] = palette ? palette[i][0] : (uint8_t)i;
			pal[4 * i + 3] = 0;
		}
		if (fwrite(pal, 1, sizeof pal, f) != sizeof pal)
			goto io;
	}
	b->f = f;
	b->width = width;
	b->height = height;
	b->row_bytes = (size_t)width * bpp / 8;
	b->stride = (size_t)stride_of(width, bpp);
	b->data_off = off;
	b->bottom_up = bottom_up;
	return b;
io:
	*why = strerror(errno ? errno : EIO);
	free(b);
	return NULL;
}

int ml_bmp_row(struct ml_bmp *b, const uint8_t *row, const char **why)
{
	static const uint8_t pad[3];
	errno = 0;
	if (b->done >= b->height)
		return 0;
	if (b->bottom_up) {
		/* The first row given is the top: it goes last in the file. */
		uint64_t at = b->data_off + (uint64_t)(b->height - 1 - b->done) * b->stride;
		if (fseeko(b->f, (off_t)at, SEEK_SET))
			goto io;
	}
	/* rows are padded to 4 bytes with zeros */
	if (fwrite(row, 1, b->row_bytes, b->f) != b->row_bytes ||
	    fwrite(pad, 1, b->stride - b->row_bytes, b->f) != b->stride - b->row_bytes)
		goto io;
	b->done++;
	return 0;
io:
	*why = strerror(errno ? errno : EIO);
	return -1;
}

int ml_bmp_end(struct ml_bmp *b, const char **why)
{
	int r = 0;
	if (b->done != b->height) {
		*why = "the picture ended before its last row";
		r = -1;
	}
	free(b);
	return r;
}

void ml_bmp_abort(struct ml_bmp *b)
{
	free(b);
}
