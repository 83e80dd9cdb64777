/*
 * image: the format table and what every writer shares — the checks made
 * before a file is touched, the row conversion for layouts a format does
 * not take as they are, and the per-thread reason buffer.  The formats
 * themselves are one file each (pngwrite.c, bmp.c, tiff.c, jpeg.c,
 * webp.c); adding one is a file and a row below.
 */
#include "config.h"
#include "image.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const png_exts[] = { "png", NULL };
static const char *const bmp_exts[] = { "bmp", "dib", NULL };
static const char *const tiff_exts[] = { "tif", "tiff", NULL };
static const char *const jpeg_exts[] = { "jpg", "jpeg", NULL };
static const char *const webp_exts[] = { "webp", NULL };

/* PNG's sides are 31-bit; JPEG's 16-bit, less libjpeg's margin; WebP's 14-bit. */
static const struct ml_img_format formats[] = {
	{ "PNG", "png", png_exts, 0x7fffffff, &ml_png_ops },
	{ "BMP", "bmp", bmp_exts, 0x7fffffff, &ml_bmp_ops },
	{ "TIFF", "tif", tiff_exts, 0xffffffff, &ml_tiff_ops },
	{ "JPEG", "jpg", jpeg_exts, 65500, &ml_jpeg_ops },
	{ "WebP", "webp", webp_exts, 16383, &ml_webp_ops },
};

const struct ml_img_format *ml_img_format_for(const char *ext)
{
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
		for (const char *const *e = formats[i].exts; *e; e++)
			if (!strcasecmp(ext, *e))
				return &formats[i];
	return NULL;
}

const struct ml_img_format *ml_img_format_named(const char *name)
{
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
		if (!strcasecmp(name, formats[i].name))
			return &formats[i];
	return NULL;
}

const char *ml_img_extensions(void)
{
	return ".png, .bmp, .tif, .jpg or .webp";
}

static __thread char reason[512];

const char *ml_img_reason(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	return reason;
}

const char *ml_img_last_reason(void)
{
	return reason;
}

unsigned ml_img_layout_bytes(enum ml_img_layout l)
{
	switch (l) {
	case ML_IMG_GRAY:
	case ML_IMG_PALETTE: return 1;
	case ML_IMG_RGB555: return 2;
	case ML_IMG_RGB:
	case ML_IMG_BGR: return 3;
	default: return 4;
	}
}

bool ml_img_takes(const struct ml_img_format *f, enum ml_img_layout l)
{
	return f->ops->layouts >> l & 1;
}

bool ml_img_has_alpha(const struct ml_img_format *f)
{
	return f->ops->alpha;
}

bool ml_img_lossy(const struct ml_img_format *f, const struct ml_img_info *i)
{
	return f->ops == &ml_jpeg_ops || (f->ops == &ml_webp_ops && i->lossy);
}

const char *ml_img_check(const struct ml_img_format *f, const struct ml_img_info *i)
{
	if (!i->width || !i->height)
		return ml_img_reason("a picture of %u x %u pixels cannot be written", i->width, i->height);
	if (i->width > f->max_side || i->height > f->max_side)
		return ml_img_reason("a %s cannot be wider or taller than %u pixels (this one is %u x %u)",
				     f->name, f->max_side, i->width, i->height);
	if (i->layout == ML_IMG_PALETTE && (!i->palette || !i->npalette || i->npalette > 256))
		return "a palette picture needs 1 to 256 colours";
	return f->ops->check ? f->ops->check(i) : NULL;
}

struct ml_img {
	const struct ml_img_format *f;
	void *w;
	enum ml_img_layout in, out;	/* given, and what the writer takes */
	uint8_t pal[256][3];
	uint32_t width, height, done;
	uint8_t *conv;			/* converted rows */
	uint32_t conv_rows;
};

/* The layout a format gets instead of one it does not take. */
static enum ml_img_layout substitute(const struct ml_img_format *f, enum ml_img_layout l)
{
	static const enum ml_img_layout opaque[] = { ML_IMG_RGB, ML_IMG_BGR, ML_IMG_BGRX, ML_IMG_RGBA };
	static const enum ml_img_layout alpha[] = { ML_IMG_RGBA, ML_IMG_BGRX, ML_IMG_RGB, ML_IMG_BGR };
	const enum ml_img_layout *c = l == ML_IMG_RGBA ? alpha : opaque;
	for (int k = 0; k < 4; k++)
		if (ml_img_takes(f, c[k]))
			return c[k];
	return ML_IMG_RGB;
}

struct ml_img *ml_img_begin(const struct ml_img_format *f, const struct ml_img_sink *s,
			    const struct ml_img_info *i, const char **why)
{
	const char *bad = ml_img_check(f, i);
	if (bad) {
		*why = bad;
		return NULL;
	}
	struct ml_img *m = calloc(1, sizeof *m);
	if (!m) {
		*why = strerror(ENOMEM);
		return NULL;
	}
	m->f = f;
	m->in = i->layout;
	m->out = ml_img_takes(f, i->layout) ? i->layout : substitute(f, i->layout);
	m->width = i->width;
	m->height = i->height;
	if (i->layout == ML_IMG_PALETTE)
		memcpy(m->pal, i->palette, (size_t)i->npalette * 3);
	if (m->out != m->in) {
		/* About 1 MiB of converted rows at a time. */
		size_t rb = (size_t)m->width * 4;
		m->conv_rows = (uint32_t)(rb >= ((size_t)1 << 20) ? 1 : ((size_t)1 << 20) / rb);
		m->conv = malloc(rb * m->conv_rows);
		if (!m->conv) {
			free(m);
			*why = strerror(ENOMEM);
			return NULL;
		}
	}
	struct ml_img_info ii = *i;
	ii.layout = m->out;
	m->w = f->ops->begin(s, &ii, why);
	if (!m->w) {
		free(m->conv);
		free(m);
		return NULL;
	}
	return m;
}

size_t ml_img_stride(const struct ml_img *m)
{
	size_t rb = (size_t)m->width * ml_img_layout_bytes(m->in);
	if (m->out != m->in || !m->f->ops->stride)
		return rb;
	return m->f->ops->stride(m->w);
}

/* n pixels of layout `from` as layout `to`. */
static void convert(const struct ml_img *m, const uint8_t *s, size_t n, uint8_t *d)
{
	unsigned sb = ml_img_layout_bytes(m->in), db = ml_img_layout_bytes(m->out);
	for (size_t i = 0; i < n; i++, s += sb, d += db) {
		uint8_t r, g, b, a = 255;
		switch (m->in) {
		case ML_IMG_GRAY: r = g = b = s[0]; break;
		case ML_IMG_PALETTE: r = m->pal[s[0]][0], g = m->pal[s[0]][1], b = m->pal[s[0]][2]; break;
		case ML_IMG_RGB: r = s[0], g = s[1], b = s[2]; break;
		case ML_IMG_RGBA: r = s[0], g = s[1], b = s[2], a = s[3]; break;
		case ML_IMG_BGR:
		case ML_IMG_BGRX: r = s[2], g = s[1], b = s[0]; break;
		default: {
			unsigned v = (unsigned)s[0] | (unsigned)s[1] << 8;
			/* 5 bits to 8: the top bits again below, so 31 is 255 */
			r = (uint8_t)((v >> 10 & 31) << 3 | (v >> 12 & 7));
			g = (uint8_t)((v >> 5 & 31) << 3 | (v >> 7 & 7));
			b = (uint8_t)((v & 31) << 3 | (v >> 2 & 7));
		}
		}
		switch (m->out) {
		case ML_IMG_RGB: d[0] = r, d[1] = g, d[2] = b; break;
		case ML_IMG_RGBA: d[0] = r, d[1] = g, d[2] = b, d[3] = a; break;
		case ML_IMG_BGR: d[0] = b, d[1] = g, d[2] = r; break;
		case ML_IMG_BGRX: d[0] = b, d[1] = g, d[2] = r, d[3] = a; break;
		default: d[0] = (uint8_t)((r * 77 + g * 150 + b * 29 + 128) >> 8); break;
		}
	}
}

int ml_img_rows(struct ml_img *m, const uint8_t *rows, size_t stride, uint32_t n, const char **why)
{
	n = n < m->height - m->done ? n : m->height - m->done;
	if (!n)
		return 0;
	if (m->out == m->in) {
		if (m->f->ops->rows(m->w, rows, stride, n, why))
			return -1;
		m->done += n;
		return 0;
	}
	size_t db = (size_t)m->width * ml_img_layout_bytes(m->out);
	while (n) {
		uint32_t k = n < m->conv_rows ? n : m->conv_rows;
		for (uint32_t y = 0; y < k; y++)
			convert(m, rows + (size_t)y * stride, m->width, m->conv + y * db);
		if (m->f->ops->rows(m->w, m->conv, db, k, why))
			return -1;
		m->done += k;
		rows += (size_t)k * stride;
		n -= k;
	}
	return 0;
}

bool ml_img_raw_rows(const struct ml_img *m)
{
	return m->out == m->in && m->f->ops->raw && m->f->ops->raw(m->w);
}

int ml_img_copy_rows(struct ml_img *m, int fd, uint64_t off, uint32_t nrows, uint32_t *done, const char **why)
{
	*done = 0;
	nrows = nrows < m->height - m->done ? nrows : m->height - m->done;
	if (!nrows || !ml_img_raw_rows(m) || !m->f->ops->copy)
		return 0;
	int r = m->f->ops->copy(m->w, fd, off, nrows, done, why);
	m->done += *done;
	return r;
}

uint32_t ml_img_done(const struct ml_img *m)
{
	return m->done;
}

int ml_img_end(struct ml_img *m, const char **why)
{
	int r;
	if (m->done != m->height) {
		*why = ml_img_reason("the picture ended after %u of its %u rows", m->done, m->height);
		m->f->ops->abort(m->w);
		r = -1;
	} else {
		r = m->f->ops->end(m->w, why);
	}
	free(m->conv);
	free(m);
	return r;
}

void ml_img_abort(struct ml_img *m)
{
	if (!m)
		return;
	m->f->ops->abort(m->w);
	free(m->conv);
	free(m);
}
