/*
 * bmp: the BMP writer.  Little-endian fields written byte by byte so the
 * output does not depend on the host.  BMP is a copy of the pixels, so it
 * is written at the speed of a copy: rows handed over at the file's own
 * stride go out in one write, however many; and rows whose bytes are
 * already the file's (Dump2Picture's layout: B,G,R with rows a multiple
 * of 4 bytes) can go from the input file to the output without passing
 * through memlens at all (copy_file_range).
 *
 * Which BMP depth a picture gets follows from the row layout: gray and
 * palette indices 8 bpp (gray gets a gray palette), X1R5G5B5 16, B,G,R 24,
 * B,G,R,X 32.  The other layouts reach it converted by image.c.
 */
#include "config.h"
#include "bmp.h"
#include "image.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

struct ml_bmp {
	FILE *f;
	int fd;			/* for copy_file_range, or -1 */
	uint32_t width, height, done;
	size_t stride, row_bytes;
	uint64_t data_off;
	bool bottom_up;
	uint8_t *rev;		/* bottom-up: rows reversed before they are placed */
	size_t rev_cap;
};

static uint64_t stride_of(uint32_t width, unsigned bpp)
{
	return ((uint64_t)width * bpp / 8 + 3) & ~(uint64_t)3;
}

/*
 * Where the pixels start.  Right after the headers (and palette) for small
 * pictures; at 4 KiB for large ones: bfOffBits may point past a gap, and
 * pixels that start on a page copy a quarter faster (no page is shared
 * with the header) and can be reflinked by copy_file_range.
 */
#define ALIGN_FROM ((uint64_t)1 << 20)	/* pixel bytes from which the array is aligned */
#define PAGE 4096

static uint64_t header_size(unsigned bpp)
{
	return 14 + 40 + (bpp == 8 ? 256 * 4 : 0);
}

static uint64_t data_offset(unsigned bpp, uint64_t image)
{
	return image >= ALIGN_FROM ? PAGE : header_size(bpp);
}

uint64_t ml_bmp_size(uint32_t width, uint32_t height, unsigned bpp)
{
	if (!width || !height || width > INT32_MAX || height > INT32_MAX)
		return 0;
	uint64_t image = stride_of(width, bpp) * height;
	if (image / height != stride_of(width, bpp))
		return 0;
	return data_offset(bpp, image) + image;
}

static void le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static const char *too_big = "a BMP cannot pass 4 GiB (its sizes are 32-bit): write a PNG or TIFF instead";

static struct ml_bmp *begin(FILE *f, int fd, uint32_t width, uint32_t height, unsigned bpp,
			    const uint8_t (*palette)[3], bool bottom_up, unsigned dpi, const char **why)
{
	uint64_t size = ml_bmp_size(width, height, bpp);
	if (!size || size > UINT32_MAX) {
		*why = too_big;
		return NULL;
	}
	struct ml_bmp *b = calloc(1, sizeof *b);
	if (!b) {
		*why = strerror(ENOMEM);
		return NULL;
	}
	errno = 0;
	uint8_t h[54] = { 'B', 'M' };
	uint64_t off = size - stride_of(width, bpp) * height;
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
	for (uint64_t gap = off - header_size(bpp); gap; gap--)
		if (putc(0, f) == EOF)
			goto io;
	b->f = f;
	b->fd = fd;
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

struct ml_bmp *ml_bmp_begin(FILE *f, uint32_t width, uint32_t height, unsigned bpp,
			    const uint8_t (*palette)[3], bool bottom_up, unsigned dpi, const char **why)
{
	return begin(f, -1, width, height, bpp, palette, bottom_up, dpi, why);
}

static int io_error(const char **why)
{
	*why = strerror(errno ? errno : EIO);
	return -1;
}

/*
 * n rows, stride bytes apart.  At the file's stride (padding zeroed by the
 * caller) they leave in one write; otherwise row by row, padded here.
 */
static int put_rows(struct ml_bmp *b, const uint8_t *rows, size_t stride, uint32_t n, const char **why)
{
	static const uint8_t pad[3];
	errno = 0;
	n = n < b->height - b->done ? n : b->height - b->done;
	if (!n)
		return 0;
	if (b->bottom_up) {
		/* The first row given is the top: the batch lands reversed, below the rows before it. */
		size_t need = (size_t)n * b->stride;
		if (need > b->rev_cap) {
			uint8_t *p = realloc(b->rev, need);
			if (!p)
				return *why = strerror(ENOMEM), -1;
			b->rev = p;
			b->rev_cap = need;
		}
		for (uint32_t y = 0; y < n; y++) {
			uint8_t *d = b->rev + (size_t)(n - 1 - y) * b->stride;
			memcpy(d, rows + (size_t)y * stride, b->row_bytes);
			memset(d + b->row_bytes, 0, b->stride - b->row_bytes);
		}
		uint64_t at = b->data_off + (uint64_t)(b->height - b->done - n) * b->stride;
		if (fseeko(b->f, (off_t)at, SEEK_SET) || fwrite(b->rev, 1, need, b->f) != need)
			return io_error(why);
	} else if (stride == b->stride) {
		size_t len = (size_t)n * stride;
		if (fwrite(rows, 1, len, b->f) != len)
			return io_error(why);
	} else {
		for (uint32_t y = 0; y < n; y++)
			if (fwrite(rows + (size_t)y * stride, 1, b->row_bytes, b->f) != b->row_bytes ||
			    fwrite(pad, 1, b->stride - b->row_bytes, b->f) != b->stride - b->row_bytes)
				return io_error(why);
	}
	b->done += n;
	return 0;
}

int ml_bmp_row(struct ml_bmp *b, const uint8_t *row, const char **why)
{
	return put_rows(b, row, b->row_bytes, 1, why);
}

static int finish(struct ml_bmp *b, const char **why)
{
	int r = 0;
	errno = 0;
	if (b->done != b->height) {
		*why = "the picture ended before its last row";
		r = -1;
	} else if (fflush(b->f)) {
		r = io_error(why);
	}
	return r;
}

int ml_bmp_end(struct ml_bmp *b, const char **why)
{
	int r = finish(b, why);
	ml_bmp_abort(b);
	return r;
}

void ml_bmp_abort(struct ml_bmp *b)
{
	if (!b)
		return;
	free(b->rev);
	free(b);
}

/* ---- the image interface (image.h) ---- */

static unsigned depth(enum ml_img_layout l)
{
	return ml_img_layout_bytes(l) * 8;
}

static const char *bmp_check(const struct ml_img_info *i)
{
	uint64_t size = ml_bmp_size(i->width, i->height, depth(i->layout));
	return !size || size > UINT32_MAX ? too_big : NULL;
}

static void *bmp_begin(const struct ml_img_sink *s, const struct ml_img_info *i, const char **why)
{
	if (i->bottom_up && !s->seekable) {
		*why = "bottom-up rows are placed with seeks: write to a file, not a pipe";
		return NULL;
	}
	return begin(s->f, s->fd, i->width, i->height, depth(i->layout),
		     i->layout == ML_IMG_PALETTE ? i->palette : NULL, i->bottom_up, i->dpi, why);
}

static size_t bmp_stride(void *w)
{
	return ((struct ml_bmp *)w)->stride;
}

static int bmp_rows(void *w, const uint8_t *rows, size_t stride, uint32_t n, const char **why)
{
	return put_rows(w, rows, stride, n, why);
}

static bool bmp_raw(void *w)
{
	const struct ml_bmp *b = w;
	return !b->bottom_up && b->stride == b->row_bytes;
}

/*
 * Rows whose bytes are already the file's: from fd to the output without
 * a copy through memory.  Only what copy_file_range can do is done here;
 * what it cannot (a pipe, another file system that refuses) is left to
 * bmp_rows, and a row it copied only in part (the input shrank) is taken
 * back, so the file always ends on whole rows.
 */
static int bmp_copy(void *w, int fd, uint64_t off, uint32_t nrows, uint32_t *done, const char **why)
{
	struct ml_bmp *b = w;
	errno = 0;
	if (b->fd < 0 || !bmp_raw(b))
		return 0;
	if (fflush(b->f))
		return io_error(why);
	uint64_t want = (uint64_t)nrows * b->stride, got = 0;
	loff_t in = (loff_t)off;
	while (got < want) {
		size_t n = (size_t)(want - got < ((uint64_t)1 << 30) ? want - got : (uint64_t)1 << 30);
		ssize_t k = copy_file_range(fd, &in, b->fd, NULL, n, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && !got && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
				      errno == EOPNOTSUPP || errno == EBADF))
			return 0;	/* not here: the caller writes the rows */
		if (k < 0)
			return io_error(why);
		if (k == 0)
			break;	/* the input ended early */
		got += (uint64_t)k;
	}
	uint64_t part = got % b->stride;
	if (part && lseek(b->fd, -(off_t)part, SEEK_CUR) == (off_t)-1)
		return io_error(why);
	*done = (uint32_t)(got / b->stride);
	b->done += *done;
	return 0;
}

static int bmp_end(void *w, const char **why)
{
	return ml_bmp_end(w, why);
}

static void bmp_abort(void *w)
{
	ml_bmp_abort(w);
}

const struct ml_img_ops ml_bmp_ops = {
	.layouts = 1u << ML_IMG_GRAY | 1u << ML_IMG_PALETTE | 1u << ML_IMG_BGR | 1u << ML_IMG_BGRX |
		   1u << ML_IMG_RGB555,
	.check = bmp_check,
	.begin = bmp_begin,
	.stride = bmp_stride,
	.rows = bmp_rows,
	.copy = bmp_copy,
	.raw = bmp_raw,
	.end = bmp_end,
	.abort = bmp_abort,
};
