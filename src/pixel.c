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

void ml_pixels_to_bmp(const struct ml_pixfmt *f, const uint8_t *raw, const uint8_t *state,
		      size_t n, uint64_t x0, uint64_t y, uint8_t *out)
{
	unsigned B = f->bpp / 8;
	if (B == 1) {
		for (size_t i = 0; i < n; i++)
			out[i] = state[i] != ML_PX_DATA ? ml_bmp_checker(x0 + i, y) : raw[i];
		return;
	}
	/* BMP stores B,G,R: raw bytes as they are when they are b,g,r already. */
	bool swap = (B >= 3) && !f->bgr;
	for (size_t i = 0; i < n; i++, raw += B, out += B) {
		if (state[i] != ML_PX_DATA) {
			uint8_t c[4];
			ml_display_colour((enum ml_px)state[i], 4, c);
			if (B == 2) {
				/* X1R5G5B5: the top five bits of each channel */
				unsigned v = (unsigned)(c[0] >> 3) << 10 | (unsigned)(c[1] >> 3) << 5 | (c[2] >> 3);
				out[0] = (uint8_t)v;
				out[1] = (uint8_t)(v >> 8);
			} else {
				out[0] = c[2];
				out[1] = c[1];
				out[2] = c[0];
				if (B == 4)
					out[3] = 0;
			}
			continue;
		}
		memcpy(out, raw, B);
		if (swap) {
			out[0] = raw[2];
			out[2] = raw[0];
		}
	}
}
