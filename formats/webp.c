/*
 * webp: WebP output through libwebp, lossless unless a --quality asks for
 * lossy.  libwebp has no streaming encoder: the picture is gathered whole
 * (4 bytes a pixel, in the ARGB form the encoder works on, filled row by
 * row as the rows arrive) and encoded at the end, the output streamed to
 * the file as the encoder produces it.  So its size is capped
 * (PIXEL_CAP), besides the format's own 16,383 pixels a side.  Lossless
 * keeps the colour of transparent pixels (config.exact), so hole pixels
 * decode as the PNG's do.  WebP has no field for the resolution or text
 * of the other formats (those need the separate mux library's EXIF/XMP):
 * they are not written.
 */
#include "config.h"
#include "image.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <webp/encode.h>

/* The whole picture, held for the encoder: at most this many pixels (256 MiB of ARGB). */
#define PIXEL_CAP ((uint64_t)64 << 20)
#define DEFAULT_LEVEL 1		/* lossless effort 0-9: see doc/image.md */
#define DEFAULT_QUALITY 90

struct ww {
	WebPPicture pic;
	FILE *f;
	bool lossy, failed;
	int quality, level;
	enum ml_img_layout layout;
	uint32_t y;
};

static const char *webp_check(const struct ml_img_info *i)
{
	uint64_t px = (uint64_t)i->width * i->height;
	if (px > PIXEL_CAP)
		return ml_img_reason("a WebP is encoded from the whole picture in memory (4 bytes a pixel): %u x %u is over the %llu-megapixel cap",
				     i->width, i->height, (unsigned long long)(PIXEL_CAP >> 20));
	return NULL;
}

static void webp_abort(void *w)
{
	struct ww *x = w;
	if (!x)
		return;
	WebPPictureFree(&x->pic);
	free(x);
}

static void *webp_begin(const struct ml_img_sink *s, const struct ml_img_info *i, const char **why)
{
	struct ww *x = calloc(1, sizeof *x);
	if (!x)
		return *why = strerror(ENOMEM), NULL;
	if (!WebPPictureInit(&x->pic)) {
		free(x);
		return *why = "libwebp: version mismatch", NULL;
	}
	x->f = s->f;
	x->lossy = i->lossy;
	x->quality = i->quality > 0 ? i->quality : DEFAULT_QUALITY;
	x->level = i->level < 0 ? DEFAULT_LEVEL : i->level;
	x->layout = i->layout;
	x->pic.use_argb = 1;
	x->pic.width = (int)i->width;
	x->pic.height = (int)i->height;
	if (!WebPPictureAlloc(&x->pic)) {
		webp_abort(x);
		return *why = strerror(ENOMEM), NULL;
	}
	return x;
}

/* Rows into the picture's ARGB words. */
static int webp_rows(void *w, const uint8_t *rows, size_t stride, uint32_t n, const char **why)
{
	struct ww *x = w;
	(void)why;
	for (uint32_t k = 0; k < n; k++, x->y++, rows += stride) {
		uint32_t *d = x->pic.argb + (size_t)x->y * (size_t)x->pic.argb_stride;
		const uint8_t *s = rows;
		for (int i = 0; i < x->pic.width; i++) {
			uint32_t r, g, b, a = 255;
			switch (x->layout) {
			case ML_IMG_GRAY: r = g = b = *s++; break;
			case ML_IMG_RGB: r = s[0], g = s[1], b = s[2], s += 3; break;
			case ML_IMG_BGR: r = s[2], g = s[1], b = s[0], s += 3; break;
			case ML_IMG_BGRX: r = s[2], g = s[1], b = s[0], s += 4; break;
			default: r = s[0], g = s[1], b = s[2], a = s[3], s += 4; break;
			}
			d[i] = a << 24 | r << 16 | g << 8 | b;
		}
	}
	return 0;
}

static int put(const uint8_t *data, size_t n, const WebPPicture *pic)
{
	struct ww *x = pic->custom_ptr;
	if (fwrite(data, 1, n, x->f) != n) {
		x->failed = true;
		return 0;
	}
	return 1;
}

static const char *encode_error(WebPEncodingError e)
{
	switch (e) {
	case VP8_ENC_ERROR_OUT_OF_MEMORY:
	case VP8_ENC_ERROR_BITSTREAM_OUT_OF_MEMORY: return "libwebp: out of memory";
	case VP8_ENC_ERROR_BAD_DIMENSION: return "libwebp: a side is over 16,383 pixels";
	case VP8_ENC_ERROR_PARTITION0_OVERFLOW:
	case VP8_ENC_ERROR_PARTITION_OVERFLOW: return "libwebp: the picture's data overflows a lossy partition (try a lower --quality)";
	case VP8_ENC_ERROR_BAD_WRITE: return NULL;	/* the file's error */
	case VP8_ENC_ERROR_FILE_TOO_BIG: return "libwebp: the file would pass 4 GiB";
	default: return ml_img_reason("libwebp: encoding failed (error %d)", (int)e);
	}
}

static int webp_end(void *w, const char **why)
{
	struct ww *x = w;
	WebPConfig c;
	int r = 0;
	if (!WebPConfigInit(&c)) {
		*why = "libwebp: version mismatch";
		r = -1;
	} else {
		if (x->lossy) {
			WebPConfigPreset(&c, WEBP_PRESET_DEFAULT, (float)x->quality);
		} else {
			WebPConfigLosslessPreset(&c, x->level > 9 ? 9 : x->level);
			c.exact = 1;	/* transparent pixels keep their colour */
		}
		x->pic.writer = put;
		x->pic.custom_ptr = x;
		errno = 0;
		if (!WebPEncode(&c, &x->pic) || x->failed) {
			const char *e = x->failed ? NULL : encode_error(x->pic.error_code);
			*why = e ? e : strerror(errno ? errno : EIO);
			r = -1;
		} else if (fflush(x->f)) {
			*why = strerror(errno ? errno : EIO);
			r = -1;
		}
	}
	webp_abort(x);
	return r;
}

const struct ml_img_ops ml_webp_ops = {
	.layouts = 1u << ML_IMG_GRAY | 1u << ML_IMG_RGB | 1u << ML_IMG_RGBA | 1u << ML_IMG_BGR | 1u << ML_IMG_BGRX,
	.alpha = true,
	.check = webp_check,
	.begin = webp_begin,
	.rows = webp_rows,
	.end = webp_end,
	.abort = webp_abort,
};
