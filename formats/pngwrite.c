/*
 * pngwrite: streaming, multi-core PNG output.
 *
 * libpng writes the chunks before the image (IHDR, PLTE, tEXt, pHYs) and,
 * through png_write_chunk(), the IDAT and IEND chunks; the image data
 * itself is compressed here, pigz-style: filtered rows are gathered into
 * strips, each strip is deflated on a worker thread as an independent raw
 * deflate stream primed with the previous 32 KiB as its dictionary, every
 * strip but the last ends on a sync flush (a byte boundary), and the
 * strips, concatenated in order between a zlib header and the Adler-32 of
 * all the data (adler32_combine of the strips'), form one valid zlib
 * stream.  png_write_end() is not used: it insists on having written the
 * IDATs itself.  At most 2 × threads strips exist at once, so memory stays
 * flat whatever the image height.
 */
#include "config.h"
#include "pngwrite.h"
#include "util.h"

#include <png.h>
#include <pthread.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define STRIP_BYTES ((size_t)1 << 20)	/* filtered input per strip, about */
#define WINDOW 32768

enum { S_FREE, S_FILLING, S_QUEUED, S_BUSY, S_DONE };

struct strip {
	int state;
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
	size_t out_len;
	uLong adler;
	int zerr;
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
	pthread_t *threads;
	pthread_mutex_t mu;
	pthread_cond_t work, finished;
	bool stop;
	struct strip *ring;
	unsigned nring;
	uint64_t fill, next_write;	/* strip sequence numbers */
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
	ml_err("PNG: %s", msg);
	png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	ml_warn("PNG: %s", msg);
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
 * Filters and deflates one strip.  The dictionary is the last 32 KiB of
 * the previous strip's filtered data, rebuilt here from its unfiltered
 * rows: filtering is deterministic, so it matches what that strip
 * compressed.
 */
static void compress_strip(struct strip *s, size_t rowlen, size_t bpp, int level)
{
	z_stream z = { 0 };
	size_t flen = rowlen + 1;
	uint8_t *zero = NULL;
	const uint8_t *own = s->raw + (size_t)s->ctx_rows * rowlen;
	if (s->ctx_rows == 0)
		zero = ml_calloc(rowlen, 1);
	s->in_len = (size_t)s->nrows * flen;
	if (s->in_len > s->in_cap) {
		s->in_cap = s->in_len;
		s->in = ml_reallocarray(s->in, s->in_cap, 1);
	}
	filter_rows(own, s->ctx_rows ? own - rowlen : zero, s->nrows, rowlen, bpp, s->in);
	if (level > 0 && noise(s->in, s->in_len))
		level = 0;
	s->zerr = deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
	if (s->zerr != Z_OK)
		goto out;
	if (s->ctx_rows > 1) {
		/* Rows 1..ctx_rows-1 of the context are the previous strip's last. */
		uint32_t k = s->ctx_rows - 1;
		uint8_t *dict = ml_malloc((size_t)k * flen);
		filter_rows(s->raw + rowlen, s->raw, k, rowlen, bpp, dict);
		size_t dl = ML_MIN((size_t)k * flen, (size_t)WINDOW);
		deflateSetDictionary(&z, dict + (size_t)k * flen - dl, (uInt)dl);
		free(dict);
	}
	size_t cap = deflateBound(&z, (uLong)s->in_len) + 16;
	s->out = ml_reallocarray(s->out, cap, 1);
	z.next_in = s->in;
	z.avail_in = (uInt)s->in_len;
	z.next_out = s->out;
	z.avail_out = (uInt)cap;
	s->zerr = deflate(&z, s->last ? Z_FINISH : Z_SYNC_FLUSH);
	if (s->zerr == Z_STREAM_END || (s->zerr == Z_OK && !s->last && z.avail_in == 0))
		s->zerr = Z_OK;
	else if (s->zerr == Z_OK)
		s->zerr = Z_BUF_ERROR;
	s->out_len = cap - z.avail_out;
	s->adler = adler32(1L, s->in, (uInt)s->in_len);
	deflateEnd(&z);
out:
	free(zero);
}

static void *worker(void *arg)
{
	struct ml_png *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct strip *s = NULL;
		for (uint64_t k = p->next_write; k < p->fill; k++) {
			struct strip *c = &p->ring[k % p->nring];
			if (c->state == S_QUEUED) {
				s = c;
				break;
			}
		}
		if (!s) {
			if (p->stop)
				break;
			pthread_cond_wait(&p->work, &p->mu);
			continue;
		}
		s->state = S_BUSY;
		pthread_mutex_unlock(&p->mu);
		compress_strip(s, p->rowlen, p->channels, p->level);
		pthread_mutex_lock(&p->mu);
		s->state = S_DONE;
		pthread_cond_broadcast(&p->finished);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
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
	if (s->zerr != Z_OK) {
		ml_err("PNG: compression failed (zlib error %d)", s->zerr);
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

/* Writes the strips before sequence number upto, in order, waiting for each. */
static int drain(struct ml_png *p, uint64_t upto)
{
	while (p->next_write < upto) {
		struct strip *s = &p->ring[p->next_write % p->nring];
		if (p->nthreads > 1) {
			pthread_mutex_lock(&p->mu);
			while (s->state != S_DONE)
				pthread_cond_wait(&p->finished, &p->mu);
			pthread_mutex_unlock(&p->mu);
		}
		if (emit(p, s))
			return -1;
		/* Workers scan [next_write, fill): change both under the lock. */
		if (p->nthreads > 1)
			pthread_mutex_lock(&p->mu);
		s->state = S_FREE;
		p->next_write++;
		if (p->nthreads > 1)
			pthread_mutex_unlock(&p->mu);
	}
	return 0;
}

/* Hands the strip being filled to the workers (or compresses it here). */
static int submit(struct ml_png *p, bool last)
{
	struct strip *s = &p->ring[p->fill % p->nring];
	s->last = last;
	if (p->nthreads <= 1) {
		compress_strip(s, p->rowlen, p->channels, p->level);
		s->state = S_DONE;
		p->fill++;
		return drain(p, p->fill);
	}
	pthread_mutex_lock(&p->mu);
	s->state = S_QUEUED;
	p->fill++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	/* Keep at most nring strips alive: write the oldest before reusing it. */
	if (p->fill - p->next_write >= p->nring)
		return drain(p, p->next_write + 1);
	return 0;
}

/*
 * The strip rows are gathered into.  A new one starts with the rows before
 * it, copied from the end of the previous strip (still in the ring: it is
 * not reused before this copy).
 */
static struct strip *filling(struct ml_png *p)
{
	struct strip *s = &p->ring[p->fill % p->nring];
	if (s->state != S_FREE)
		return s;
	size_t need = (size_t)(p->ctx_max + p->strip_rows) * p->rowlen;
	if (need > s->raw_cap) {
		s->raw = ml_reallocarray(s->raw, need, 1);
		s->raw_cap = need;
	}
	s->state = S_FILLING;
	s->nrows = 0;
	s->ctx_rows = (uint32_t)ML_MIN((uint64_t)p->ctx_max, p->rows_in);
	if (s->ctx_rows) {
		const struct strip *prev = &p->ring[(p->fill + p->nring - 1) % p->nring];
		uint32_t have = prev->ctx_rows + prev->nrows;
		memcpy(s->raw, prev->raw + (size_t)(have - s->ctx_rows) * p->rowlen,
		       (size_t)s->ctx_rows * p->rowlen);
	}
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
	size_t step = rowlen > 4096 ? 7 : 1;
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
		ml_err("PNG: %u x %u is not a valid image size", o->width, o->height);
		return NULL;
	}
	struct ml_png *p = ml_calloc(1, sizeof *p);
	p->width = o->width;
	p->height = o->height;
	p->channels = ml_png_channels(o->color);
	p->rowlen = (size_t)o->width * p->channels;
	/*
	 * Default 2: on bench/image.sh's 192 MiB dump, 4.6x ffmpeg's speed at
	 * 1.05x its size (doc/image.md has the run).
	 */
	p->level = o->level < 0 ? 2 : ML_MIN(o->level, 9);
	p->adler = adler32(0L, NULL, 0);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	p->nthreads = o->threads ? o->threads : (unsigned)(cores > 0 ? cores : 1);
	p->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_error, on_warning);
	if (!p->png || !(p->info = png_create_info_struct(p->png))) {
		ml_err("PNG: out of memory");
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
	p->nring = 2 * p->nthreads;
	p->ring = ml_calloc(p->nring, sizeof *p->ring);
	if (p->nthreads > 1) {
		pthread_mutex_init(&p->mu, NULL);
		pthread_cond_init(&p->work, NULL);
		pthread_cond_init(&p->finished, NULL);
		p->threads = ml_calloc(p->nthreads, sizeof *p->threads);
		for (unsigned i = 0; i < p->nthreads; i++)
			if (pthread_create(&p->threads[i], NULL, worker, p)) {
				ml_err("PNG: cannot start compression threads");
				p->nthreads = i;
				ml_png_abort(p);
				return NULL;
			}
	}
	return p;
}

int ml_png_rows(struct ml_png *p, const uint8_t *rows, uint32_t nrows)
{
	if (p->failed)
		return -1;
	for (uint32_t i = 0; i < nrows && p->done < p->height; i++) {
		struct strip *s = filling(p);
		memcpy(s->raw + (size_t)(s->ctx_rows + s->nrows) * p->rowlen,
		       rows + (size_t)i * p->rowlen, p->rowlen);
		s->nrows++;
		p->rows_in++;
		p->done++;
		if (s->nrows >= p->strip_rows || p->done == p->height) {
			if (submit(p, p->done == p->height)) {
				p->failed = true;
				return -1;
			}
		}
	}
	return 0;
}

static void stop_threads(struct ml_png *p)
{
	if (!p->threads)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	free(p->threads);
	p->threads = NULL;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->finished);
}

int ml_png_end(struct ml_png *p)
{
	if (p->failed || p->done != p->height) {
		if (!p->failed)
			ml_err("PNG: %u of %u rows written", p->done, p->height);
		ml_png_abort(p);
		return -1;
	}
	int r = drain(p, p->fill);
	if (!r)
		r = write_chunk(p, "IEND", NULL, 0);
	if (!r && fflush(png_get_io_ptr(p->png)) != 0) {
		ml_err("PNG: write failed");
		r = -1;
	}
	ml_png_abort(p);
	return r;
}

void ml_png_abort(struct ml_png *p)
{
	if (!p)
		return;
	stop_threads(p);
	if (p->png)
		png_destroy_write_struct(&p->png, &p->info);
	for (unsigned i = 0; p->ring && i < p->nring; i++) {
		free(p->ring[i].raw);
		free(p->ring[i].in);
		free(p->ring[i].out);
	}
	free(p->ring);
	free(p);
}
