/*
 * pixel: the byte → pixel rules and the 8 bpp palettes.  Palettes are
 * computed once from their definitions (byteclass as on binvis.io, the
 * cubehelix formula of D. A. Green 2011) rather than stored as tables.
 */
#include "config.h"
#include "pixel.h"

#include <math.h>
#include <string.h>

static const char *const names[ML_PAL__COUNT] = { "gray", "byteclass", "cubehelix", "entropy" };
static uint8_t tables[ML_PAL__COUNT][256][3];
static bool built[ML_PAL__COUNT];

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

static void build(enum ml_palette p)
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
		case ML_PAL_ENTROPY: {
			/*
			 * binvis.io's entropy ramp (blue = e², red rising as
			 * (4t - 4t²)^4 past e = 0.5), with green added above
			 * e = 0.75 so that full entropy turns white and never
			 * reads as the magenta of holes.
			 */
			double e = i / 255.0, t = e - 0.5, r = 0, g = 0;
			if (e > 0.5)
				r = pow(4 * t - 4 * t * t, 4);
			if (e > 0.75)
				g = pow((e - 0.75) / 0.25, 2);
			c[0] = clamp8(r);
			c[1] = clamp8(g);
			c[2] = clamp8(e * e);
			break;
		}
		default:
			break;
		}
	}
	built[p] = true;
}

const uint8_t (*ml_palette_rgb(enum ml_palette p))[3]
{
	if (!built[p])
		build(p);
	return (const uint8_t (*)[3])tables[p];
}

unsigned ml_display_channels(const struct ml_pixfmt *f, bool holes_alpha)
{
	if (holes_alpha || (f->bpp == 32 && f->alpha))
		return 4;
	if (f->bpp == 8 && f->palette == ML_PAL_GRAY)
		return 1;
	return 3;
}

static uint8_t five_to_eight(unsigned v)
{
	return (uint8_t)(v << 3 | v >> 2);
}

void ml_pixels_to_display(const struct ml_pixfmt *f, const uint8_t *raw, const uint8_t *hole,
			  size_t n, unsigned ch, uint8_t *out)
{
	const uint8_t (*pal)[3] = f->bpp == 8 ? ml_palette_rgb(f->palette) : NULL;
	unsigned B = f->bpp / 8;
	for (size_t i = 0; i < n; i++, raw += B, out += ch) {
		uint8_t r, g, b, a = 255;
		if (hole[i]) {
			if (ch == 1) {
				out[0] = 0;	/* only reached without alpha: callers avoid it */
				continue;
			}
			r = ML_HOLE_R, g = ML_HOLE_G, b = ML_HOLE_B, a = 0;
		} else if (B == 1) {
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

void ml_pixels_to_bmp(const struct ml_pixfmt *f, const uint8_t *raw, const uint8_t *hole,
		      size_t n, uint64_t x0, uint64_t y, uint8_t *out)
{
	unsigned B = f->bpp / 8;
	if (B == 1) {
		for (size_t i = 0; i < n; i++)
			out[i] = hole[i] ? (((x0 + i + y) & 1) ? 0xff : 0x00) : raw[i];
		return;
	}
	/* BMP stores B,G,R: raw bytes as they are when they are b,g,r already. */
	bool swap = (B >= 3) && !f->bgr;
	for (size_t i = 0; i < n; i++, raw += B, out += B) {
		if (hole[i]) {
			if (B == 2) {
				out[0] = 0x1f;	/* 0x7c1f: magenta in X1R5G5B5 */
				out[1] = 0x7c;
			} else {
				out[0] = ML_HOLE_B;
				out[1] = ML_HOLE_G;
				out[2] = ML_HOLE_R;
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
