/*
 * tiff: TIFF output through libtiff, for print shops and GIS-sized
 * pictures.  Rows are gathered into strips of about 1 MiB that are written
 * as they fill, so memory stays flat; deflate and zstd strips are
 * compressed on every core (pool.c, one independent stream per strip, as
 * TIFF wants them) and handed to libtiff whole (TIFFWriteRawStrip); LZW
 * goes through libtiff's own codec; none writes the rows as they are.
 * BigTIFF is chosen when the file could pass 4 GiB (its worst case at the
 * chosen compression), the only time it is needed.  --dpi sets
 * XResolution/YResolution in inches; the text pairs become Software and
 * ImageDescription.  Gray and palette pictures are 8-bit (a ColorMap for
 * the palette), RGB 24-bit, RGBA 32-bit with unassociated alpha.
 *
 * libtiff reports errors through a handler given at open (TIFFOpenOptions,
 * libtiff 4.5): its messages become the reason; nothing is printed.
 */
#include "config.h"
#include "image.h"
#include "deflate.h"
#include "pool.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <unistd.h>
#include <zstd.h>

#define STRIP_BYTES ((size_t)1 << 20)

struct tstrip {
	uint32_t index, nrows;
	uint8_t *raw;		/* the rows */
	uint8_t *out;		/* compressed */
	size_t out_len, out_cap;
	const char *err;
	struct ml_deflater *z;
	ZSTD_CCtx *zs;
};

struct tw {
	TIFF *tif;
	FILE *f;
	char err[256];		/* libtiff's last error */
	enum ml_img_compress comp;
	int level;
	size_t rowlen;
	uint32_t height, rps, done, written;
	unsigned nthreads;
	struct ml_pool *pool;
	struct tstrip *strips, **free, *cur;
	unsigned nstrips, nfree;
};

/* ---- I/O on the sink's FILE ---- */

static tsize_t t_read(thandle_t h, tdata_t buf, tsize_t n)
{
	(void)h, (void)buf, (void)n;
	return -1;	/* written, never read back */
}

static tsize_t t_write(thandle_t h, tdata_t buf, tsize_t n)
{
	struct tw *t = h;
	return fwrite(buf, 1, (size_t)n, t->f) == (size_t)n ? n : -1;
}

static toff_t t_seek(thandle_t h, toff_t off, int whence)
{
	struct tw *t = h;
	if (fseeko(t->f, (off_t)off, whence))
		return (toff_t)-1;
	off_t at = ftello(t->f);
	return at < 0 ? (toff_t)-1 : (toff_t)at;
}

static int t_close(thandle_t h)
{
	struct tw *t = h;
	return fflush(t->f) ? -1 : 0;
}

static toff_t t_size(thandle_t h)
{
	struct tw *t = h;
	off_t here = ftello(t->f), end = -1;
	if (here >= 0 && !fseeko(t->f, 0, SEEK_END))
		end = ftello(t->f);
	if (here >= 0)
		fseeko(t->f, here, SEEK_SET);
	return end < 0 ? 0 : (toff_t)end;
}

static int t_map(thandle_t h, tdata_t *base, toff_t *size)
{
	(void)h, (void)base, (void)size;
	return 0;
}

static void t_unmap(thandle_t h, tdata_t base, toff_t size)
{
	(void)h, (void)base, (void)size;
}

static int on_error(TIFF *tif, void *data, const char *module, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
static int on_error(TIFF *tif, void *data, const char *module, const char *fmt, va_list ap)
{
	(void)tif, (void)module;
	struct tw *t = data;
	vsnprintf(t->err, sizeof t->err, fmt, ap);
	return 1;
}

static int on_warning(TIFF *tif, void *data, const char *module, const char *fmt, va_list ap)
{
	(void)tif, (void)data, (void)module, (void)fmt, (void)ap;
	return 1;	/* handled: said nowhere */
}

static const char *tiff_reason(struct tw *t, const char *what)
{
	if (t->err[0])
		return ml_img_reason("libtiff: %s", t->err);
	return ml_img_reason("%s: %s", what, strerror(errno ? errno : EIO));
}

/* ---- sizes ---- */

static enum ml_img_compress comp_of(const struct ml_img_info *i)
{
	return i->compress == ML_IMG_COMPRESS_DEFAULT ? ML_IMG_COMPRESS_DEFLATE : i->compress;
}

static unsigned channels(enum ml_img_layout l)
{
	return ml_img_layout_bytes(l);
}

/*
 * The largest file such a picture could make: the rows at the compression's
 * worst case (stored deflate blocks, zstd's bound, LZW's 12-bit codes for
 * 8-bit bytes), plus headers and the strip tables.  Over 4 GiB: BigTIFF.
 */
static uint64_t worst_size(const struct ml_img_info *i)
{
	uint64_t raw = (uint64_t)i->width * channels(i->layout) * i->height;
	switch (comp_of(i)) {
	case ML_IMG_COMPRESS_DEFLATE: raw += raw / 8 + raw / 65535 * 5; break;
	case ML_IMG_COMPRESS_ZSTD: raw += raw / 128 + raw / 65536 * 64; break;
	case ML_IMG_COMPRESS_LZW: raw += raw / 2; break;
	default: break;
	}
	return raw + ((uint64_t)1 << 20) + (uint64_t)i->height * 16;
}

static const char *tiff_check(const struct ml_img_info *i)
{
	enum ml_img_compress c = comp_of(i);
	if (c == ML_IMG_COMPRESS_ZSTD && !TIFFIsCODECConfigured(COMPRESSION_ZSTD))
		return "this libtiff cannot read zstd strips: choose --compress deflate";
	if (c == ML_IMG_COMPRESS_LZW && !TIFFIsCODECConfigured(COMPRESSION_LZW))
		return "this libtiff has no LZW codec: choose --compress deflate";
	return NULL;
}

/* ---- strips ---- */

static void compress_strip(void *job, void *ctx)
{
	struct tstrip *s = job;
	const struct tw *t = ctx;
	size_t n = (size_t)s->nrows * t->rowlen;
	s->err = NULL;
	if (t->comp == ML_IMG_COMPRESS_DEFLATE) {
		ml_deflate_zlib(s->z, s->raw, n, s->out, &s->out_len, &s->err);
	} else {
		size_t r = ZSTD_compressCCtx(s->zs, s->out, s->out_cap, s->raw, n, t->level);
		if (ZSTD_isError(r))
			s->err = ml_img_reason("zstd: %s", ZSTD_getErrorName(r));
		else
			s->out_len = r;
	}
}

static int put_strip(struct tw *t, struct tstrip *s, const char **why)
{
	size_t n = (size_t)s->nrows * t->rowlen;
	tmsize_t w;
	errno = 0;
	if (s->err) {
		*why = s->err;
		return -1;
	}
	switch (t->comp) {
	case ML_IMG_COMPRESS_NONE:
		w = TIFFWriteRawStrip(t->tif, s->index, s->raw, (tmsize_t)n);
		break;
	case ML_IMG_COMPRESS_LZW:
		w = TIFFWriteEncodedStrip(t->tif, s->index, s->raw, (tmsize_t)n);
		break;
	default:
		w = TIFFWriteRawStrip(t->tif, s->index, s->out, (tmsize_t)s->out_len);
	}
	if (w < 0) {
		*why = tiff_reason(t, "write failed");
		return -1;
	}
	t->written++;
	return 0;
}

static bool parallel(const struct tw *t)
{
	return t->comp == ML_IMG_COMPRESS_DEFLATE || t->comp == ML_IMG_COMPRESS_ZSTD;
}

static int take_one(struct tw *t, const char **why)
{
	struct tstrip *s = ml_pool_take(t->pool);
	if (!s)
		return 0;
	int r = put_strip(t, s, why);
	t->free[t->nfree++] = s;
	return r;
}

/* The strip being filled is full (or the last): compress it or write it. */
static int flush_strip(struct tw *t, bool last, const char **why)
{
	struct tstrip *s = t->cur;
	t->cur = NULL;
	if (!parallel(t)) {
		int r = put_strip(t, s, why);
		t->free[t->nfree++] = s;
		return r;
	}
	ml_pool_submit(t->pool, s);
	while (ml_pool_pending(t->pool) > 2 * t->nthreads || (last && ml_pool_pending(t->pool)))
		if (take_one(t, why))
			return -1;
	return 0;
}

/* ---- the interface ---- */

static void tiff_abort(void *w)
{
	struct tw *t = w;
	if (!t)
		return;
	ml_pool_free(t->pool);
	if (t->tif)
		TIFFCleanup(t->tif);	/* frees without writing the directory */
	for (unsigned i = 0; t->strips && i < t->nstrips; i++) {
		free(t->strips[i].raw);
		free(t->strips[i].out);
		ml_deflater_free(t->strips[i].z);
		ZSTD_freeCCtx(t->strips[i].zs);
	}
	free(t->strips);
	free(t->free);
	free(t);
}

/* "key: value" lines of the text pairs but Software, for ImageDescription. */
static char *description(const struct ml_img_info *i, const char **software)
{
	size_t len = 1;
	for (unsigned k = 0; k < i->ntext; k++)
		len += strlen(i->text[2 * k]) + strlen(i->text[2 * k + 1]) + 3;
	char *d = malloc(len), *p = d;
	if (!d)
		return NULL;
	*p = '\0';
	for (unsigned k = 0; k < i->ntext; k++) {
		if (!strcmp(i->text[2 * k], "Software")) {
			*software = i->text[2 * k + 1];
			continue;
		}
		p += sprintf(p, "%s: %s\n", i->text[2 * k], i->text[2 * k + 1]);
	}
	return d;
}

static int set_tags(struct tw *t, const struct ml_img_info *i)
{
	static const uint16_t codes[] = {
		[ML_IMG_COMPRESS_NONE] = COMPRESSION_NONE, [ML_IMG_COMPRESS_DEFLATE] = COMPRESSION_ADOBE_DEFLATE,
		[ML_IMG_COMPRESS_LZW] = COMPRESSION_LZW, [ML_IMG_COMPRESS_ZSTD] = COMPRESSION_ZSTD,
	};
	TIFF *tif = t->tif;
	unsigned ch = channels(i->layout);
	uint16_t photo = i->layout == ML_IMG_GRAY ? PHOTOMETRIC_MINISBLACK :
			 i->layout == ML_IMG_PALETTE ? PHOTOMETRIC_PALETTE : PHOTOMETRIC_RGB;
	int ok = TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)i->width) &&
		 TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)i->height) &&
		 TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8) &&
		 TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, ch) &&
		 TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, photo) &&
		 TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
		 TIFFSetField(tif, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT) &&
		 TIFFSetField(tif, TIFFTAG_COMPRESSION, codes[t->comp]) &&
		 TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, t->rps);
	if (ok && i->layout == ML_IMG_RGBA) {
		uint16_t extra = EXTRASAMPLE_UNASSALPHA;
		ok = TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, 1, &extra);
	}
	if (ok && i->layout == ML_IMG_PALETTE) {
		/* 16-bit entries: v * 257 maps 255 to 65535. */
		uint16_t map[3][256] = { { 0 } };
		for (unsigned k = 0; k < i->npalette && k < 256; k++)
			for (int c = 0; c < 3; c++)
				map[c][k] = (uint16_t)(i->palette[k][c] * 257u);
		ok = TIFFSetField(tif, TIFFTAG_COLORMAP, map[0], map[1], map[2]);
	}
	if (ok && i->dpi)
		ok = TIFFSetField(tif, TIFFTAG_XRESOLUTION, (double)i->dpi) &&
		     TIFFSetField(tif, TIFFTAG_YRESOLUTION, (double)i->dpi) &&
		     TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
	if (ok && i->ntext) {
		const char *software = NULL;
		char *d = description(i, &software);
		ok = d != NULL;
		if (ok && *d)
			ok = TIFFSetField(tif, TIFFTAG_IMAGEDESCRIPTION, d);
		if (ok && software)
			ok = TIFFSetField(tif, TIFFTAG_SOFTWARE, software);
		free(d);
	}
	return ok ? 0 : -1;
}

static void *tiff_begin(const struct ml_img_sink *s, const struct ml_img_info *i, const char **why)
{
	if (!s->seekable) {
		*why = "TIFF writes its directory last and points to it from the header: write to a file, not a pipe";
		return NULL;
	}
	struct tw *t = calloc(1, sizeof *t);
	if (!t)
		return *why = strerror(ENOMEM), NULL;
	t->f = s->f;
	t->comp = comp_of(i);
	t->rowlen = (size_t)i->width * channels(i->layout);
	t->height = i->height;
	uint64_t rps = STRIP_BYTES / t->rowlen;
	t->rps = (uint32_t)(rps < 1 ? 1 : rps > i->height ? i->height : rps);
	if (t->comp == ML_IMG_COMPRESS_ZSTD)
		t->level = i->level < 0 ? 3 : i->level;	/* zstd's own default */
	else
		t->level = i->level;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	t->nthreads = i->threads ? i->threads : (unsigned)(cores > 0 ? cores : 1);
	if (!parallel(t))
		t->nthreads = 1;
	t->nstrips = parallel(t) ? 2 * t->nthreads + 1 : 1;
	t->strips = calloc(t->nstrips, sizeof *t->strips);
	t->free = calloc(t->nstrips, sizeof *t->free);
	if (!t->strips || !t->free)
		goto nomem;
	size_t bytes = (size_t)t->rps * t->rowlen;
	for (unsigned k = 0; k < t->nstrips; k++) {
		struct tstrip *st = &t->strips[k];
		t->free[t->nfree++] = st;
		if (!(st->raw = malloc(bytes)))
			goto nomem;
		if (t->comp == ML_IMG_COMPRESS_DEFLATE) {
			st->out_cap = ml_deflate_bound(bytes);
			if (!(st->z = ml_deflater_new(t->level)) || !(st->out = malloc(st->out_cap)))
				goto nomem;
		} else if (t->comp == ML_IMG_COMPRESS_ZSTD) {
			st->out_cap = ZSTD_compressBound(bytes);
			if (!(st->zs = ZSTD_createCCtx()) || !(st->out = malloc(st->out_cap)))
				goto nomem;
		}
	}
	if (parallel(t) && !(t->pool = ml_pool_new(t->nthreads, compress_strip, t))) {
		*why = "cannot start compression threads";
		tiff_abort(t);
		return NULL;
	}
	TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
	if (!opts)
		goto nomem;
	TIFFOpenOptionsSetErrorHandlerExtR(opts, on_error, t);
	TIFFOpenOptionsSetWarningHandlerExtR(opts, on_warning, t);
	/* Little-endian, BigTIFF ("8") only when the file could need it. */
	const char *mode = worst_size(i) >= ((uint64_t)1 << 32) ? "wl8" : "wl";
	errno = 0;
	t->tif = TIFFClientOpenExt("memlens", mode, t, t_read, t_write, t_seek, t_close, t_size, t_map, t_unmap,
				   opts);
	TIFFOpenOptionsFree(opts);
	if (!t->tif || set_tags(t, i)) {
		*why = tiff_reason(t, "cannot start the TIFF");
		tiff_abort(t);
		return NULL;
	}
	return t;
nomem:
	*why = strerror(ENOMEM);
	tiff_abort(t);
	return NULL;
}

static int tiff_rows(void *w, const uint8_t *rows, size_t stride, uint32_t n, const char **why)
{
	struct tw *t = w;
	while (n) {
		if (!t->cur) {
			t->cur = t->free[--t->nfree];
			t->cur->index = t->done / t->rps;
			t->cur->nrows = 0;
		}
		struct tstrip *s = t->cur;
		uint32_t k = t->rps - s->nrows;
		k = k < n ? k : n;
		uint8_t *d = s->raw + (size_t)s->nrows * t->rowlen;
		if (stride == t->rowlen) {
			memcpy(d, rows, (size_t)k * t->rowlen);
		} else {
			for (uint32_t y = 0; y < k; y++)
				memcpy(d + (size_t)y * t->rowlen, rows + (size_t)y * stride, t->rowlen);
		}
		rows += (size_t)k * stride;
		n -= k;
		s->nrows += k;
		t->done += k;
		bool last = t->done == t->height;
		if ((s->nrows == t->rps || last) && flush_strip(t, last, why))
			return -1;
	}
	return 0;
}

static int tiff_end(void *w, const char **why)
{
	struct tw *t = w;
	int r = 0;
	while (!r && t->pool && ml_pool_pending(t->pool))
		r = take_one(t, why);
	if (!r) {
		errno = 0;
		/* TIFFFlush writes the directory; TIFFClose would hide its failure. */
		if (!TIFFFlush(t->tif)) {
			*why = tiff_reason(t, "write failed");
			r = -1;
		} else if (fflush(t->f)) {
			*why = strerror(errno ? errno : EIO);
			r = -1;
		}
	}
	tiff_abort(t);
	return r;
}

const struct ml_img_ops ml_tiff_ops = {
	.layouts = 1u << ML_IMG_GRAY | 1u << ML_IMG_PALETTE | 1u << ML_IMG_RGB | 1u << ML_IMG_RGBA,
	.alpha = true,
	.check = tiff_check,
	.begin = tiff_begin,
	.rows = tiff_rows,
	.end = tiff_end,
	.abort = tiff_abort,
};
