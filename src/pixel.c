/*
 * pixel: the byte → pixel rules and the 8 bpp palettes.  Palettes are
 * computed from their definitions (byteclass as on binvis.io, the
 * cubehelix formula of D. A. Green 2011, memlens's entropy ramp) rather
 * than stored as tables, all at once on first use, under pthread_once:
 * any thread may ask first.
 */
#include "config.h"
#include "pixel.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

static const char *const names[ML_PAL__COUNT] = { "gray", "byteclass", "cubehelix", "entropy" };
static uint8_t tables[ML_PAL__COUNT][256][3];
static pthread_once_t built = PTHREAD_ONCE_INIT;

int ml_palette_parse(const char *name)
{
	for (int i = 0; i < ML_PAL__COUNT; i++)
		if (!strcmp(name, names[i]))
			return i;
	if (!strcmp(name, "grey"))
		return ML_PAL_GRAY;
	return -1;
}

const char *ml_palette_name(enum ml_palette p)
{
	return names[p];
}

static void set(uint8_t *c, uint32_t rgb)
{
	c[0] = (uint8_t)(rgb >> 16);
	c[1] = (uint8_t)(rgb >> 8);
	c[2] = (uint8_t)rgb;
}

static uint8_t clamp8(double v)
{
	v = v < 0 ? 0 : v > 1 ? 1 : v;
	return (uint8_t)lround(v * 255.0);
}

/*
 * The entropy ramp's stops (entropy / 8 bits → colour), linear between
 * them: black, dark red, orange, yellow, white.  Random bytes (about 7 bits
 * in a 256-byte window) land in yellow, code in orange, text in red; no
 * stop or blend has blue, so the ramp stays far from the magenta of holes
 * and the navy of unused canvas (ML_COLOUR_APART, checked in test_pixel).
 */
static const struct {
	double e;
	uint8_t rgb[3];
} entropy_stops[] = {
	{ 0.0, { 0, 0, 0 } },
	{ 0.4, { 150, 20, 0 } },
	{ 0.7, { 230, 120, 0 } },
	{ 0.9, { 255, 220, 60 } },
	{ 1.0, { 255, 255, 255 } },
};

static void entropy_colour(unsigned i, uint8_t *c)
{
	double e = i / 255.0;
	size_t k = 1;
	while (k + 1 < sizeof entropy_stops / sizeof entropy_stops[0] && e > entropy_stops[k].e)
		k++;
	double e0 = entropy_stops[k - 1].e, t = (e - e0) / (entropy_stops[k].e - e0);
	for (int ch = 0; ch < 3; ch++) {
		double a = entropy_stops[k - 1].rgb[ch], b = entropy_stops[k].rgb[ch];
		c[ch] = (uint8_t)lround(a + (b - a) * t);
	}
}

static void build_one(enum ml_palette p)
{
	for (unsigned i = 0; i < 256; i++) {
		uint8_t *c = tables[p][i];
		switch (p) {
		case ML_PAL_GRAY:
			c[0] = c[1] = c[2] = (uint8_t)i;
			break;
		case ML_PAL_BYTECLASS:
			/* binvis.io's classes in its ColorBrewer Set1 colours. */
			if (i == 0x00)
				set(c, 0x000000);
			else if (i == 0xff)
				set(c, 0xffffff);
			else if ((i >= 0x20 && i <= 0x7e) || i == 9 || i == 10 || i == 13)
				set(c, 0x377eb8);	/* printable: blue */
			else if (i < 0x20)
				set(c, 0x4daf4a);	/* control: green */
			else
				set(c, 0xe41a1c);	/* 0x7f and high bytes: red */
			break;
		case ML_PAL_CUBEHELIX: {
			/* start 0.5, rotations -1.5, hue 1, gamma 1: brightness rises evenly. */
			double l = i / 255.0, phi = 2 * M_PI * (0.5 / 3 + -1.5 * l);
			double a = 1.0 * l * (1 - l) / 2;
			c[0] = clamp8(l + a * (-0.14861 * cos(phi) + 1.78277 * sin(phi)));
			c[1] = clamp8(l + a * (-0.29227 * cos(phi) - 0.90649 * sin(phi)));
			c[2] = clamp8(l + a * (1.97294 * cos(phi)));
			break;
		}
		case ML_PAL_ENTROPY:
			entropy_colour(i, c);
			break;
		default:
			break;
		}
	}
}

static void build_all(void)
{
	for (int p = 0; p < ML_PAL__COUNT; p++)
		build_one((enum ml_palette)p);
}

const uint8_t (*ml_palette_rgb(enum ml_palette p))[3]
{
	pthread_once(&built, build_all);
	return (const uint8_t (*)[3])tables[p];
}

unsigned ml_display_channels(const struct ml_pixfmt *f, bool has_holes, bool has_unused)
{
	if ((f->bpp == 32 && f->alpha) || (f->bpp == 8 && has_holes))
		return 4;
	if (f->bpp == 8 && f->palette == ML_PAL_GRAY && !has_unused)
		return 1;
	return 3;
}

void ml_display_colour(enum ml_px what, unsigned ch, uint8_t *out)
{
	static const uint8_t colours[][4] = {
		[ML_PX_DATA] = { 0, 0, 0, 255 },
		[ML_PX_HOLE] = { ML_HOLE_R, ML_HOLE_G, ML_HOLE_B, 0 },
		[ML_PX_UNUSED] = { ML_UNUSED_R, ML_UNUSED_G, ML_UNUSED_B, 255 },
		[ML_PX_SAME] = { ML_SAME_R, ML_SAME_G, ML_SAME_B, 255 },
		[ML_PX_ADDED] = { ML_ADDED_R, ML_ADDED_G, ML_ADDED_B, 255 },
		[ML_PX_REMOVED] = { ML_REMOVED_R, ML_REMOVED_G, ML_REMOVED_B, 255 },
	};
	if (ch == 1)
		out[0] = 0;
	else
		memcpy(out, colours[what <= ML_PX_REMOVED ? what : ML_PX_UNUSED], ch);
}

static uint8_t five_to_eight(unsigned v)
{
	return (uint8_t)(v << 3 | v >> 2);
}

void ml_pixels_to_display(const struct ml_pixfmt *f, const uint8_t *raw, const uint8_t *state,
			  size_t n, unsigned ch, uint8_t *out)
{
	const uint8_t (*pal)[3] = f->bpp == 8 ? ml_palette_rgb(f->palette) : NULL;
	unsigned B = f->bpp / 8;
	for (size_t i = 0; i < n; i++, raw += B, out += ch) {
		uint8_t r, g, b, a = 255;
		if (state[i] != ML_PX_DATA) {
			ml_display_colour((enum ml_px)state[i], ch, out);
			continue;
		}
		if (B == 1) {
			if (ch == 1) {
				out[0] = raw[0];
				continue;
			}
			r = pal[raw[0]][0], g = pal[raw[0]][1], b = pal[raw[0]][2];
		} else if (B == 2) {
			unsigned v = raw[0] | raw[1] << 8;
			r = five_to_eight(v >> 10 & 31);
			g = five_to_eight(v >> 5 & 31);
			b = five_to_eight(v & 31);
		} else {
			r = raw[f->bgr ? 2 : 0], g = raw[1], b = raw[f->bgr ? 0 : 2];
			if (B == 4 && f->alpha)
				a = raw[3];
		}
		out[0] = r;
		out[1] = g;
		out[2] = b;
		if (ch == 4)
			out[3] = a;
	}
}

uint8_t ml_bmp_checker(uint64_t x, uint64_t y)
{
	return ((x + y) & 1) ? 0xff : 0x00;
}

void ml_layout_colour(enum ml_px what, enum ml_img_layout l, uint8_t out[4])
{
	uint8_t c[4];
	ml_display_colour(what, 4, c);
	memset(out, 0, 4);
	switch (l) {
	case ML_IMG_RGB: memcpy(out, c, 3); break;
	case ML_IMG_RGBA: memcpy(out, c, 4); break;
	case ML_IMG_BGR:
	case ML_IMG_BGRX:
		/* BMP's fourth byte is not drawn: 0, as Dump2Picture's files have it */
		out[0] = c[2], out[1] = c[1], out[2] = c[0];
		break;
	case ML_IMG_RGB555: {
		/* X1R5G5B5: the top five bits of each channel */
		unsigned v = (unsigned)(c[0] >> 3) << 10 | (unsigned)(c[1] >> 3) << 5 | (c[2] >> 3);
		out[0] = (uint8_t)v;
		out[1] = (uint8_t)(v >> 8);
		break;
	}
	default:
		break;
	}
}

enum ml_img_layout ml_pixel_layout(const struct ml_pixfmt *f, unsigned ch, const struct ml_img_format *fmt)
{
	/* What each depth would rather be, best first; the first the format takes wins. */
	enum ml_img_layout want[4];
	unsigned n = 0;
	switch (f->bpp) {
	case 8:
		if (ml_img_takes(fmt, ML_IMG_PALETTE) && !ml_img_takes(fmt, ML_IMG_RGB))
			want[n++] = ML_IMG_PALETTE;	/* BMP: the index is the pixel */
		want[n++] = ch == 1 ? ML_IMG_GRAY : ch == 3 ? ML_IMG_RGB : ML_IMG_RGBA;
		break;
	case 16:
		want[n++] = ML_IMG_RGB555;
		want[n++] = ML_IMG_RGB;
		break;
	case 24:
		want[n++] = f->bgr ? ML_IMG_BGR : ML_IMG_RGB;
		want[n++] = f->bgr ? ML_IMG_RGB : ML_IMG_BGR;
		break;
	default:
		if (ch == 4) {
			want[n++] = ML_IMG_RGBA;
			want[n++] = ML_IMG_BGRX;	/* BMP: the 4th byte kept */
		} else if (f->bgr) {
			want[n++] = ML_IMG_BGRX, want[n++] = ML_IMG_BGR, want[n++] = ML_IMG_RGB;
		} else {
			want[n++] = ML_IMG_RGB, want[n++] = ML_IMG_BGRX, want[n++] = ML_IMG_BGR;
		}
	}
	for (unsigned k = 0; k < n; k++)
		if (ml_img_takes(fmt, want[k]))
			return want[k];
	return want[0];	/* image.c converts */
}

/*
 * The kernels: copies are memcpy, byte moves are shuffles (below).
 * bench/image.sh measures them against cat.
 */
static void copy1(const uint8_t *s, size_t n, uint8_t *d, const uint8_t (*pal)[3])
{
	(void)pal;
	memcpy(d, s, n);
}

static void copy2(const uint8_t *s, size_t n, uint8_t *d, const uint8_t (*pal)[3])
{
	(void)pal;
	memcpy(d, s, 2 * n);
}

static void copy3(const uint8_t *s, size_t n, uint8_t *d, const uint8_t (*pal)[3])
{
	(void)pal;
	memcpy(d, s, 3 * n);
}

static void copy4(const uint8_t *s, size_t n, uint8_t *d, const uint8_t (*pal)[3])
{
	(void)pal;
	memcpy(d, s, 4 * n);
}

/*
 * x86-64 has SSSE3's byte shuffle on nearly every machine still running:
 * used when the CPU says so (checked once), the plain loops otherwise.
 * A shuffle works inside 16 bytes, so 3-byte pixels go 5 at a time (15
 * bytes of each 16 loaded), each store's last byte overwritten by the
 * next; the last pixels go one by one so no store passes the end.
 */
#if defined(__x86_64__)
#include <immintrin.h>
#define HAVE_SHUFFLE 1

__attribute__((target("ssse3"))) static size_t shuffle_run(const uint8_t *s, size_t n, uint8_t *d, unsigned sb,
							   unsigned db, __m128i mask)
{
	/* Pixels per step: 5 of 3 bytes, 4 of 4; a store writes 16 bytes, a load reads 16. */
	size_t per = sb == 3 ? 5 : 4, i = 0;
	for (; i + per + 2 <= n; i += per, s += per * sb, d += per * db) {
		__m128i v = _mm_loadu_si128((const __m128i *)s);
		_mm_storeu_si128((__m128i *)d, _mm_shuffle_epi8(v, mask));
	}
	return i;
}

static bool have_ssse3(void)
{
	return __builtin_cpu_supports("ssse3");	/* libgcc read cpuid at start-up */
}
#endif

/* R,G,B <-> B,G,R. */
static void swap3(const uint8_t *s, size_t n, uint8_t *d, const uint8_t (*pal)[3])
{
	(void)pal;
	size_t i = 0;
#ifdef HAVE_SHUFFLE
	if (have_ssse3()) {
		__m128i m = _mm_setr_epi8(2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9, 14, 13, 12, 15);
		i = shuffle_run(s, n, d, 3, 3, m);
		s += 3 * i, d += 3 * i;
	}
#endif
	for (; i < n; i++, s += 3, d += 3) {
		uint8_t r = s[0];
		d[0] = s[2], d[1] = s[1], d[2] = r;
	}
}

/* R,G,B,X <-> B,G,R,X: bytes 0 and 2 of each 4 exchanged. */
static void swap4(const uint8_t *s, size_t n, uint8_t *d, const uint8_t (*pal)[3])
{
	(void)pal;
	size_t i = 0;
#ifdef HAVE_SHUFFLE
	if (have_ssse3()) {
		__m128i m = _mm_setr_epi8(2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15);
		i = shuffle_run(s, n, d, 4, 4, m);
		s += 4 * i, d += 4 * i;
	}
#endif
	for (; i < n; i++, s += 4, d += 4) {
		uint8_t r = s[0];
		d[0] = s[2], d[1] = s[1], d[2] = r, d[3] = s[3];
	}
}

/* 4 bytes to 3: the 4th dropped, the order kept. */
static void drop4(const uint8_t *s, size_t n, uint8_t *d, const uint8_t (*pal)[3])
{
	(void)pal;
	size_t i = 0;
#ifdef HAVE_SHUFFLE
	if (have_ssse3()) {
		__m128i m = _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
		i = shuffle_run(s, n, d, 4, 3, m);
		s += 4 * i, d += 3 * i;
	}
#endif
	for (; i < n; i++, s += 4, d += 3)
		d[0] = s[0], d[1] = s[1], d[2] = s[2];
}

/* 4 bytes to 3, the 4th dropped and the order reversed. */
static void dropswap4(const uint8_t *s, size_t n, uint8_t *d, const uint8_t (*pal)[3])
{
	(void)pal;
	size_t i = 0;
#ifdef HAVE_SHUFFLE
	if (have_ssse3()) {
		__m128i m = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
		i = shuffle_run(s, n, d, 4, 3, m);
		s += 4 * i, d += 3 * i;
	}
#endif
	for (; i < n; i++, s += 4, d += 3)
		d[0] = s[2], d[1] = s[1], d[2] = s[0];
}

static void pal3(const uint8_t *s, size_t n, uint8_t *d, const uint8_t (*pal)[3])
{
	for (size_t i = 0; i < n; i++, d += 3)
		memcpy(d, pal[s[i]], 3);
}

static void pal4(const uint8_t *s, size_t n, uint8_t *d, const uint8_t (*pal)[3])
{
	for (size_t i = 0; i < n; i++, d += 4) {
		memcpy(d, pal[s[i]], 3);
		d[3] = 255;
	}
}

static void x555(const uint8_t *s, size_t n, uint8_t *d, const uint8_t (*pal)[3])
{
	(void)pal;
	for (size_t i = 0; i < n; i++, s += 2, d += 3) {
		unsigned v = s[0] | s[1] << 8;
		d[0] = five_to_eight(v >> 10 & 31);
		d[1] = five_to_eight(v >> 5 & 31);
		d[2] = five_to_eight(v & 31);
	}
}

ml_pixconv ml_pixconv_for(const struct ml_pixfmt *f, enum ml_img_layout l, bool *same)
{
	*same = false;
	switch (f->bpp) {
	case 8:
		if (l == ML_IMG_GRAY || l == ML_IMG_PALETTE)
			return *same = true, copy1;
		return l == ML_IMG_RGB ? pal3 : l == ML_IMG_RGBA ? pal4 : NULL;
	case 16:
		if (l == ML_IMG_RGB555)
			return *same = true, copy2;
		return l == ML_IMG_RGB ? x555 : NULL;
	case 24:
		if (l != ML_IMG_RGB && l != ML_IMG_BGR)
			return NULL;
		if ((l == ML_IMG_BGR) == f->bgr)
			return *same = true, copy3;
		return swap3;
	default:
		if (l == ML_IMG_RGBA || l == ML_IMG_BGRX) {
			if ((l == ML_IMG_BGRX) == f->bgr)
				return *same = true, copy4;
			return swap4;
		}
		if (l == ML_IMG_RGB || l == ML_IMG_BGR)
			return (l == ML_IMG_BGR) == f->bgr ? drop4 : dropswap4;
		return NULL;
	}
}

/* The BMP bytes of n pixels, data or not: the fast path's rules, a pixel at a time. */
void ml_pixels_to_bmp(const struct ml_pixfmt *f, const uint8_t *raw, const uint8_t *state,
		      size_t n, uint64_t x0, uint64_t y, uint8_t *out)
{
	static const enum ml_img_layout bmp[] = { [1] = ML_IMG_PALETTE, [2] = ML_IMG_RGB555,
						  [3] = ML_IMG_BGR, [4] = ML_IMG_BGRX };
	unsigned B = f->bpp / 8;
	enum ml_img_layout l = bmp[B];
	bool same;
	ml_pixconv conv = ml_pixconv_for(f, l, &same);
	for (size_t i = 0; i < n; i++, raw += B, out += B) {
		if (state[i] == ML_PX_DATA) {
			conv(raw, 1, out, NULL);
		} else if (B == 1) {
			out[0] = ml_bmp_checker(x0 + i, y);
		} else {
			uint8_t c[4];
			ml_layout_colour((enum ml_px)state[i], l, c);
			memcpy(out, c, B);
		}
	}
}
