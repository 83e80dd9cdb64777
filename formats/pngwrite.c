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
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t dict[WINDOW];
	size_t dict_len;
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

	uint8_t *prev, *cand[5];	/* previous row, the five filtered candidates */
	uint8_t tail[WINDOW];	/* the last 32 KiB of filtered data: next dictionary */
	size_t tail_len;
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

/* Deflates one strip into its own buffer. */
static void compress_strip(struct strip *s, int level)
{
	z_stream z = { 0 };
	s->zerr = deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
	if (s->zerr != Z_OK)
		return;
	if (s->dict_len)
		deflateSetDictionary(&z, s->dict, (uInt)s->dict_len);
	/* deflateBound + room for the sync flush's empty stored block. */
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
		compress_strip(s, p->level);
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
		s->in_len = 0;
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
		compress_strip(s, p->level);
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

/* The strip rows are gathered into, started with the running dictionary. */
static struct strip *filling(struct ml_png *p)
{
	struct strip *s = &p->ring[p->fill % p->nring];
	if (s->state == S_FREE) {
		s->state = S_FILLING;
		s->in_len = 0;
		memcpy(s->dict, p->tail, p->tail_len);
		s->dict_len = p->tail_len;
	}
	return s;
}

static void append(struct ml_png *p, struct strip *s, const uint8_t *d, size_t n)
{
	if (s->in_len + n > s->in_cap) {
		s->in_cap = ML_MAX(s->in_len + n, STRIP_BYTES + p->rowlen + 1);
		s->in = ml_reallocarray(s->in, s->in_cap, 1);
	}
	memcpy(s->in + s->in_len, d, n);
	s->in_len += n;
	/* The dictionary of the next strip: the last 32 KiB of the data. */
	if (n >= WINDOW) {
		memcpy(p->tail, d + n - WINDOW, WINDOW);
		p->tail_len = WINDOW;
	} else {
		size_t keep = ML_MIN(p->tail_len, WINDOW - n);
		memmove(p->tail, p->tail + p->tail_len - keep, keep);
		memcpy(p->tail + keep, d, n);
		p->tail_len = keep + n;
	}
}

static uint8_t paeth(int a, int b, int c)
{
	int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
	return (uint8_t)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/*
 * Filters one row with each of the five PNG filters and keeps the one with
 * the smallest sum of absolute values (as signed bytes): libpng's default
 * heuristic, which suits memory's mix of text, tables and noise.
 */
static const uint8_t *filter_row(struct ml_png *p, const uint8_t *row)
{
	size_t n = p->rowlen, bpp = p->channels;
	const uint8_t *up = p->prev;
	uint64_t best = UINT64_MAX;
	int pick = 0;
	for (int f = 0; f < 5; f++) {
		uint8_t *o = p->cand[f];
		uint64_t sum = 0;
		o[0] = (uint8_t)f;
		for (size_t i = 0; i < n; i++) {
			int a = i >= bpp ? row[i - bpp] : 0, b = up[i], c = i >= bpp ? up[i - bpp] : 0;
			uint8_t v = row[i];
			switch (f) {
			case 1: v = (uint8_t)(v - a); break;
			case 2: v = (uint8_t)(v - b); break;
			case 3: v = (uint8_t)(v - ((a + b) >> 1)); break;
			case 4: v = (uint8_t)(v - paeth(a, b, c)); break;
			}
			o[i + 1] = v;
			sum += v < 128 ? v : 256 - v;
		}
		if (sum < best) {
			best = sum;
			pick = f;
		}
	}
	memcpy(p->prev, row, n);
	return p->cand[pick];
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
	p->level = o->level < 0 ? 6 : ML_MIN(o->level, 9);
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

	p->prev = ml_calloc(p->rowlen, 1);
	for (int k = 0; k < 5; k++)
		p->cand[k] = ml_malloc(p->rowlen + 1);
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
		append(p, s, filter_row(p, rows + (size_t)i * p->rowlen), p->rowlen + 1);
		p->done++;
		if (s->in_len >= STRIP_BYTES || p->done == p->height) {
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
		free(p->ring[i].in);
		free(p->ring[i].out);
	}
	free(p->ring);
	free(p->prev);
	for (int k = 0; k < 5; k++)
		free(p->cand[k]);
	free(p);
}
