/*
 * pngwrite: streaming, multi-core PNG output.
 *
 * libpng writes the chunks before the image (IHDR, PLTE, tEXt, pHYs) and,
 * through png_write_chunk(), the IDAT and IEND chunks; the image data
 * itself is compressed here, pigz-style: filtered rows are gathered into
 * strips, each strip is deflated on a worker thread (pool.c) as an
 * independent raw deflate stream primed with the previous 32 KiB as its
 * dictionary, every strip but the last ends on a sync flush (a byte
 * boundary), and the strips, concatenated in order between a zlib header
 * and the Adler-32 of all the data (adler32_combine of the strips'), form
 * one valid zlib stream.  The compressor is deflate.c's (ISA-L at the
 * default level).  png_write_end() is not used: it insists on having
 * written the IDATs itself.  At most 2 × threads + 2 strips exist at once,
 * so memory stays flat whatever the image height.
 */
#include "config.h"
#include "pngwrite.h"
#include "deflate.h"
#include "image.h"
#include "pool.h"
#include "util.h"	/* allocation that never returns NULL, ML_MIN */

#include <png.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define STRIP_BYTES ((size_t)1 << 20)	/* filtered input per strip, about */
#define WINDOW 32768

struct strip {
	bool last;
	/*
	 * Unfiltered rows: ctx_rows rows before the strip (the row above its
	 * first, and enough to refilter the previous strip's last 32 KiB for
	 * the dictionary), then nrows rows of its own.
	 */
	uint8_t *raw;
	size_t raw_cap;
	uint32_t ctx_rows, nrows;
	uint8_t *in;		/* filtered rows, filled by the worker */
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_len, out_cap;
	uint32_t adler;
	const char *err;	/* the compressor's reason, NULL when it worked */
	struct ml_deflater *z;
};

struct ml_png {
	png_structp png;
	png_infop info;
	uint32_t width, height, done;
	unsigned channels;
	size_t rowlen;		/* bytes of one unfiltered row */
	int level;
	bool failed;

	uint32_t ctx_max;	/* rows of context a strip needs */
	uint32_t strip_rows;	/* rows per strip */
	uint64_t rows_in;	/* rows handed over so far */
	uLong adler;		/* of all filtered data so far */
	bool header_out;

	unsigned nthreads;
	struct ml_pool *pool;
	struct strip *strips;	/* nstrips slots */
	unsigned nstrips;
	struct strip **free;	/* slots not in use */
	unsigned nfree;
	struct strip *cur;	/* being filled */
	struct strip *prev;	/* the last one submitted: the next one's context */
};

unsigned ml_png_channels(enum ml_png_color c)
{
	switch (c) {
	case ML_PNG_RGB: return 3;
	case ML_PNG_RGBA: return 4;
	default: return 1;
	}
}

static void on_error(png_structp png, png_const_charp msg)
{
	ml_img_reason("libpng: %s", msg);
	png_longjmp(png, 1);
}

/* libpng's warnings on writing are about metadata we never set: not worth a line. */
static void on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

const char *ml_png_error(void)
{
	return ml_img_last_reason();
}

static void filter_rows(const uint8_t *rows, const uint8_t *above, uint32_t n, size_t rowlen,
			size_t bpp, uint8_t *out);

/*
 * True when a strip's filtered bytes look like noise (compressed data,
 * keys, random fill): byte values as evenly spread as random bytes, judged
 * by their collision rate on a sample, in integers so the choice, and the
 * file, are the same on every machine and thread count.  Deflate would
 * search them in vain, so they are stored.
 */
static bool noise(const uint8_t *p, size_t n)
{
	if (n < ((size_t)1 << 18))
		return false;
	uint32_t h[256] = { 0 };
	uint64_t cnt = 0, sq = 0;
	for (size_t i = 0; i < n; i += 3, cnt++)
		h[p[i]]++;
	for (int k = 0; k < 256; k++)
		sq += (uint64_t)h[k] * h[k];
	/* Uniform bytes give 256 * sq / cnt^2 = 1 + 256 / cnt: under 1.001 here. */
	return 256000 * sq < 1002 * cnt * cnt;
}

/*
 * Filters and deflates one strip (on a worker).  The dictionary is the
 * last 32 KiB of the previous strip's filtered data, rebuilt here from its
 * unfiltered rows: filtering is deterministic, so it matches what that
 * strip compressed.
 */
static void compress_strip(void *job, void *ctx)
{
	struct strip *s = job;
	const struct ml_png *p = ctx;
	size_t rowlen = p->rowlen, bpp = p->channels, flen = rowlen + 1;
	const uint8_t *own = s->raw + (size_t)s->ctx_rows * rowlen;
	uint8_t *zero = s->ctx_rows ? NULL : ml_calloc(rowlen, 1);
	/* The context's filtered rows, then the strip's, in one buffer: the dictionary precedes the data. */
	uint32_t k = s->ctx_rows > 1 ? s->ctx_rows - 1 : 0;
	size_t dl = (size_t)k * flen;
	s->in_len = (size_t)s->nrows * flen;
	if (dl + s->in_len > s->in_cap) {
		s->in_cap = dl + s->in_len;
		s->in = ml_reallocarray(s->in, s->in_cap, 1);
	}
	/* Rows 1..ctx_rows-1 of the context are the previous strip's last. */
	if (k)
		filter_rows(s->raw + rowlen, s->raw, k, rowlen, bpp, s->in);
	filter_rows(own, s->ctx_rows ? own - rowlen : zero, s->nrows, rowlen, bpp, s->in + dl);
	free(zero);
	bool stored = p->level > 0 && noise(s->in + dl, s->in_len);
	size_t cap = ml_deflate_bound(s->in_len);
	if (cap > s->out_cap) {
		s->out_cap = cap;
		s->out = ml_reallocarray(s->out, cap, 1);
	}
	s->err = NULL;
	if (ml_deflate_raw(s->z, stored, s->in, dl, s->in + dl, s->in_len, s->last, s->out, &s->out_len, &s->err))
		return;
	s->adler = ml_adler32(1, s->in + dl, s->in_len);
}

static int write_chunk(struct ml_png *p, const char *type, const uint8_t *data, size_t len)
{
	if (setjmp(png_jmpbuf(p->png)))
		return -1;
	png_write_chunk(p->png, (png_const_bytep)type, data, len);
	return 0;
}

/* Writes a finished strip as IDAT chunks (zlib header first, Adler-32 last). */
static int emit(struct ml_png *p, struct strip *s)
{
	if (s->err) {
		ml_img_reason("%s", s->err);
		return -1;
	}
	if (!p->header_out) {
		/* CMF 0x78: deflate, 32 KiB window; FLG's level bits, check bits. */
		unsigned lvl = p->level < 2 ? 0 : p->level < 6 ? 1 : p->level == 6 ? 2 : 3;
		uint8_t h[2] = { 0x78, (uint8_t)(lvl << 6) };
		h[1] |= (uint8_t)(31 - ((h[0] << 8) | h[1]) % 31);
		if (write_chunk(p, "IDAT", h, 2))
			return -1;
		p->header_out = true;
	}
	p->adler = adler32_combine(p->adler, s->adler, (z_off_t)s->in_len);
	for (size_t o = 0; o < s->out_len;) {
		size_t n = ML_MIN(s->out_len - o, (size_t)1 << 20);
		if (write_chunk(p, "IDAT", s->out + o, n))
			return -1;
		o += n;
	}
	if (s->last) {
		uint8_t t[4] = { (uint8_t)(p->adler >> 24), (uint8_t)(p->adler >> 16),
				 (uint8_t)(p->adler >> 8), (uint8_t)p->adler };
		if (write_chunk(p, "IDAT", t, 4))
			return -1;
	}
	return 0;
}

/* Writes the oldest strip handed over, once compressed, and frees its slot. */
static int drain_one(struct ml_png *p)
{
	struct strip *s = ml_pool_take(p->pool);
	if (!s)
		return 0;
	int r = emit(p, s);
	p->free[p->nfree++] = s;
	return r;
}

/* Hands the strip being filled to the workers; keeps at most 2 × threads in flight. */
static int submit(struct ml_png *p, bool last)
{
	struct strip *s = p->cur;
	s->last = last;
	p->cur = NULL;
	p->prev = s;
	ml_pool_submit(p->pool, s);
	while (ml_pool_pending(p->pool) > 2 * p->nthreads || (last && ml_pool_pending(p->pool)))
		if (drain_one(p))
			return -1;
	return 0;
}

/*
 * The strip rows are gathered into.  A new one starts with the rows before
 * it, copied from the end of the previous strip (still alive: slots are
 * freed oldest first, and there are always two more than may be in flight).
 */
static struct strip *filling(struct ml_png *p)
{
	if (p->cur)
		return p->cur;
	struct strip *s = p->free[--p->nfree];
	size_t need = (size_t)(p->ctx_max + p->strip_rows) * p->rowlen;
	if (need > s->raw_cap) {
		s->raw = ml_reallocarray(s->raw, need, 1);
		s->raw_cap = need;
	}
	s->nrows = 0;
	s->ctx_rows = (uint32_t)ML_MIN((uint64_t)p->ctx_max, p->rows_in);
	if (s->ctx_rows) {
		const struct strip *prev = p->prev;
		uint32_t have = prev->ctx_rows + prev->nrows;
		memcpy(s->raw, prev->raw + (size_t)(have - s->ctx_rows) * p->rowlen,
		       (size_t)s->ctx_rows * p->rowlen);
	}
	p->cur = s;
	return s;
}

static inline uint8_t paeth(int a, int b, int c)
{
	int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
	return (uint8_t)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/* Applies filter f to row n bytes wide (bpp bytes per pixel) into o. */
static void apply_filter(int f, const uint8_t *row, const uint8_t *up, size_t n, size_t bpp,
			 uint8_t *o)
{
	size_t i;
	switch (f) {
	case 0:
		memcpy(o, row, n);
		break;
	case 1:
		memcpy(o, row, ML_MIN(bpp, n));
		for (i = bpp; i < n; i++)
			o[i] = (uint8_t)(row[i] - row[i - bpp]);
		break;
	case 2:
		for (i = 0; i < n; i++)
			o[i] = (uint8_t)(row[i] - up[i]);
		break;
	case 3:
		for (i = 0; i < bpp && i < n; i++)
			o[i] = (uint8_t)(row[i] - (up[i] >> 1));
		for (; i < n; i++)
			o[i] = (uint8_t)(row[i] - ((row[i - bpp] + up[i]) >> 1));
		break;
	default:
		for (i = 0; i < bpp && i < n; i++)
			o[i] = (uint8_t)(row[i] - up[i]);
		for (; i < n; i++)
			o[i] = (uint8_t)(row[i] - paeth(row[i - bpp], up[i], up[i - bpp]));
	}
}

static inline unsigned mag(uint8_t v)
{
	return v < 128 ? v : 256u - v;
}

/*
 * Sums of the filtered bytes as signed magnitudes, for all five filters in
 * one pass over every step-th byte.
 */
static void costs(const uint8_t *row, const uint8_t *up, size_t n, size_t bpp, size_t step,
		  uint64_t sum[5])
{
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
	for (size_t i = bpp; i < n; i += step) {
		int a = row[i - bpp], b = up[i], c = up[i - bpp];
		uint8_t v = row[i];
		s0 += mag(v);
		s1 += mag((uint8_t)(v - a));
		s2 += mag((uint8_t)(v - b));
		s3 += mag((uint8_t)(v - ((a + b) >> 1)));
		s4 += mag((uint8_t)(v - paeth(a, b, c)));
	}
	sum[0] = s0, sum[1] = s1, sum[2] = s2, sum[3] = s3, sum[4] = s4;
}

/*
 * Picks each row's filter from the sums of absolute values (libpng's
 * heuristic, biased towards no filter, see below), judged on a sample of
 * the row (every 7th byte, enough to tell text from tables from noise),
 * then filters the row once.  A row's choice depends only on it and the
 * row above, so a strip can rebuild its predecessor's last rows exactly.
 */
static void filter_rows(const uint8_t *rows, const uint8_t *above, uint32_t n, size_t rowlen,
			size_t bpp, uint8_t *out)
{
	/* The same sample rate at every width: a row's cost is per byte, never per row. */
	const size_t step = 7;
	for (uint32_t r = 0; r < n; r++) {
		const uint8_t *row = rows + (size_t)r * rowlen;
		const uint8_t *up = r ? row - rowlen : above;
		uint64_t sum[5];
		int pick = 0;
		costs(row, up, rowlen, bpp, step, sum);
		for (int f = 1; f < 5; f++)
			if (sum[f] < sum[pick])
				pick = f;
		/*
		 * Memory is mostly code, text and tables, where a filter that
		 * only trims the sum breaks the repeats deflate would find in
		 * the raw bytes: a filter must cut the sum eightfold (smooth
		 * gradients, counters) to be used.  On a 192 MiB dump this made
		 * the file 10% smaller and the run 5% faster than libpng's rule.
		 */
		if (pick && sum[pick] * 8 >= sum[0])
			pick = 0;
		uint8_t *o = out + (size_t)r * (rowlen + 1);
		o[0] = (uint8_t)pick;
		apply_filter(pick, row, up, rowlen, bpp, o + 1);
	}
}

struct ml_png *ml_png_begin(FILE *f, const struct ml_png_opts *o)
{
	static const int types[] = {
		[ML_PNG_GRAY] = PNG_COLOR_TYPE_GRAY, [ML_PNG_RGB] = PNG_COLOR_TYPE_RGB,
		[ML_PNG_RGBA] = PNG_COLOR_TYPE_RGBA, [ML_PNG_PALETTE] = PNG_COLOR_TYPE_PALETTE,
	};
	if (o->width == 0 || o->height == 0 || o->width > 0x7fffffff || o->height > 0x7fffffff) {
		ml_img_reason("%u x %u is not a valid PNG size", o->width, o->height);
		return NULL;
	}
	struct ml_png *p = ml_calloc(1, sizeof *p);
	p->width = o->width;
	p->height = o->height;
	p->channels = ml_png_channels(o->color);
	p->rowlen = (size_t)o->width * p->channels;
	/* deflate.c's default: doc/image.md has the measurements behind it. */
	p->level = o->level < 0 ? ML_DEFLATE_DEFAULT : ML_MIN(o->level, ML_DEFLATE_MAX);
	p->adler = adler32(0L, NULL, 0);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	p->nthreads = o->threads ? o->threads : (unsigned)(cores > 0 ? cores : 1);
	p->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_error, on_warning);
	if (!p->png || !(p->info = png_create_info_struct(p->png))) {
		ml_img_reason("libpng: out of memory");
		ml_png_abort(p);
		return NULL;
	}
	if (setjmp(png_jmpbuf(p->png))) {
		ml_png_abort(p);
		return NULL;
	}
	/* Giant images are the point: lift libpng's default 1M-pixel-a-side cap. */
	png_set_user_limits(p->png, 0x7fffffff, 0x7fffffff);
	png_init_io(p->png, f);
	png_set_IHDR(p->png, p->info, o->width, o->height, 8, types[o->color],
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (o->color == ML_PNG_PALETTE) {
		png_color pal[256];
		unsigned n = ML_MIN(o->npalette, 256u);
		for (unsigned i = 0; i < n; i++) {
			pal[i].red = o->palette[i][0];
			pal[i].green = o->palette[i][1];
			pal[i].blue = o->palette[i][2];
		}
		png_set_PLTE(p->png, p->info, pal, (int)n);
	}
	if (o->dpi)
		png_set_pHYs(p->png, p->info, (png_uint_32)(o->dpi / 0.0254 + 0.5),
			     (png_uint_32)(o->dpi / 0.0254 + 0.5), PNG_RESOLUTION_METER);
	if (o->ntext) {
		png_text *t = ml_calloc(o->ntext, sizeof *t);
		for (unsigned i = 0; i < o->ntext; i++) {
			t[i].compression = PNG_TEXT_COMPRESSION_NONE;
			t[i].key = (png_charp)o->text[2 * i];
			t[i].text = (png_charp)o->text[2 * i + 1];
		}
		png_set_text(p->png, p->info, t, (int)o->ntext);
		free(t);
	}
	png_write_info(p->png, p->info);

	/* Context: the row above, plus the rows holding the last 32 KiB. */
	p->ctx_max = (uint32_t)(WINDOW / (p->rowlen + 1) + 2);
	p->strip_rows = (uint32_t)ML_MAX((size_t)1, STRIP_BYTES / (p->rowlen + 1));
	p->nstrips = 2 * p->nthreads + 2;
	p->strips = ml_calloc(p->nstrips, sizeof *p->strips);
	p->free = ml_calloc(p->nstrips, sizeof *p->free);
	for (unsigned i = 0; i < p->nstrips; i++) {
		p->free[p->nfree++] = &p->strips[p->nstrips - 1 - i];
		if (!(p->strips[i].z = ml_deflater_new(p->level))) {
			ml_img_reason("out of memory for the compressor");
			ml_png_abort(p);
			return NULL;
		}
	}
	if (!(p->pool = ml_pool_new(p->nthreads, compress_strip, p))) {
		ml_img_reason("cannot start compression threads");
		ml_png_abort(p);
		return NULL;
	}
	return p;
}

int ml_png_rows(struct ml_png *p, const uint8_t *rows, uint32_t nrows)
{
	if (p->failed)
		return -1;
	nrows = (uint32_t)ML_MIN(nrows, p->height - p->done);
	while (nrows) {
		/* As many rows as the strip takes, in one copy. */
		struct strip *s = filling(p);
		uint32_t k = ML_MIN(nrows, p->strip_rows - s->nrows);
		memcpy(s->raw + (size_t)(s->ctx_rows + s->nrows) * p->rowlen, rows, (size_t)k * p->rowlen);
		rows += (size_t)k * p->rowlen;
		nrows -= k;
		s->nrows += k;
		p->rows_in += k;
		p->done += k;
		if (s->nrows >= p->strip_rows || p->done == p->height) {
			if (submit(p, p->done == p->height)) {
				p->failed = true;
				return -1;
			}
		}
	}
	return 0;
}

int ml_png_end(struct ml_png *p)
{
	if (p->failed || p->done != p->height) {
		if (!p->failed)
			ml_img_reason("the picture ended after %u of its %u rows", p->done, p->height);
		ml_png_abort(p);
		return -1;
	}
	int r = 0;
	while (!r && ml_pool_pending(p->pool))
		r = drain_one(p);
	if (!r)
		r = write_chunk(p, "IEND", NULL, 0);
	if (!r && fflush(png_get_io_ptr(p->png)) != 0) {
		ml_img_reason("write failed");
		r = -1;
	}
	ml_png_abort(p);
	return r;
}

void ml_png_abort(struct ml_png *p)
{
	if (!p)
		return;
	ml_pool_free(p->pool);
	if (p->png)
		png_destroy_write_struct(&p->png, &p->info);
	for (unsigned i = 0; p->strips && i < p->nstrips; i++) {
		free(p->strips[i].raw);
		free(p->strips[i].in);
		free(p->strips[i].out);
		ml_deflater_free(p->strips[i].z);
	}
	free(p->strips);
	free(p->free);
	free(p);
}

/* ---- the image interface (image.h) ---- */

static void *png_begin(const struct ml_img_sink *s, const struct ml_img_info *i, const char **why)
{
	static const enum ml_png_color colors[] = {
		[ML_IMG_GRAY] = ML_PNG_GRAY, [ML_IMG_PALETTE] = ML_PNG_PALETTE,
		[ML_IMG_RGB] = ML_PNG_RGB, [ML_IMG_RGBA] = ML_PNG_RGBA,
	};
	struct ml_png_opts o = {
		.width = i->width, .height = i->height, .color = colors[i->layout],
		.palette = i->palette, .npalette = i->npalette, .level = i->level, .dpi = i->dpi,
		.text = i->text, .ntext = i->ntext, .threads = i->threads,
	};
	struct ml_png *p = ml_png_begin(s->f, &o);
	if (!p)
		*why = ml_png_error();
	return p;
}

static int png_rows(void *w, const uint8_t *rows, size_t stride, uint32_t n, const char **why)
{
	struct ml_png *p = w;
	int r = 0;
	if (stride == p->rowlen)
		r = ml_png_rows(p, rows, n);
	else
		for (uint32_t y = 0; y < n && !r; y++)
			r = ml_png_rows(p, rows + (size_t)y * stride, 1);
	if (r)
		*why = ml_png_error();
	return r;
}

static int png_end(void *w, const char **why)
{
	int r = ml_png_end(w);
	if (r)
		*why = ml_png_error();
	return r;
}

static void png_abort(void *w)
{
	ml_png_abort(w);
}

const struct ml_img_ops ml_png_ops = {
	.layouts = 1u << ML_IMG_GRAY | 1u << ML_IMG_PALETTE | 1u << ML_IMG_RGB | 1u << ML_IMG_RGBA,
	.alpha = true,
	.begin = png_begin,
	.rows = png_rows,
	.end = png_end,
	.abort = png_abort,
};
