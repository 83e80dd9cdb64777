/*
 * test_pixel: the byte → pixel rules on hand-made pixels — each depth,
 * both orders, the hole and unused colours in each format, palettes' fixed
 * points, and the distance every palette keeps from the hole and unused
 * colours.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "pixel.h"

static void test_display(void **st)
{
	(void)st;
	const uint8_t raw[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, nohole[2] = { 0, 0 }, hole[2] = { 0, 1 };
	uint8_t out[8];
	struct ml_pixfmt f = { .bpp = 24 };
	ml_pixels_to_display(&f, raw, nohole, 2, 3, out);
	assert_memory_equal(out, ((uint8_t[]){ 1, 2, 3, 4, 5, 6 }), 6);
	f.bgr = true;
	ml_pixels_to_display(&f, raw, hole, 2, 3, out);
	assert_memory_equal(out, ((uint8_t[]){ 3, 2, 1, 255, 0, 255 }), 6);
	f = (struct ml_pixfmt){ .bpp = 32, .alpha = true };
	ml_pixels_to_display(&f, raw, nohole, 2, 4, out);
	assert_memory_equal(out, raw, 8);
	/* 16 bpp: 0x7fff is white, 0x001f pure blue; 5 bits widen to 8. */
	const uint8_t r16[4] = { 0xff, 0x7f, 0x1f, 0x00 };
	f = (struct ml_pixfmt){ .bpp = 16 };
	ml_pixels_to_display(&f, r16, nohole, 2, 3, out);
	assert_memory_equal(out, ((uint8_t[]){ 255, 255, 255, 0, 0, 255 }), 6);
	f = (struct ml_pixfmt){ .bpp = 8 };
	ml_pixels_to_display(&f, raw, nohole, 2, 1, out);
	assert_memory_equal(out, raw, 2);
	ml_pixels_to_display(&f, raw, hole, 2, 4, out);
	assert_memory_equal(out, ((uint8_t[]){ 1, 1, 1, 255, 255, 0, 255, 0 }), 8);
	/* unused canvas: navy, opaque */
	const uint8_t unused[2] = { ML_PX_UNUSED, ML_PX_DATA };
	ml_pixels_to_display(&f, raw, unused, 2, 4, out);
	assert_memory_equal(out, ((uint8_t[]){ 0, 0, 176, 255, 2, 2, 2, 255 }), 8);
	ml_pixels_to_display(&f, raw, unused, 2, 3, out);
	assert_memory_equal(out, ((uint8_t[]){ 0, 0, 176, 2, 2, 2 }), 6);
	f = (struct ml_pixfmt){ .bpp = 24 };
	ml_pixels_to_display(&f, raw, unused, 2, 3, out);
	assert_memory_equal(out, ((uint8_t[]){ 0, 0, 176, 4, 5, 6 }), 6);
}

/* Which PNG channels a picture gets: alpha only for hole pixels at 8 bpp. */
static void test_channels(void **st)
{
	(void)st;
	struct ml_pixfmt gray = { .bpp = 8 }, cls = { .bpp = 8, .palette = ML_PAL_BYTECLASS };
	assert_int_equal(ml_display_channels(&gray, false, false), 1);
	assert_int_equal(ml_display_channels(&gray, false, true), 3);
	assert_int_equal(ml_display_channels(&gray, true, false), 4);
	assert_int_equal(ml_display_channels(&gray, true, true), 4);
	assert_int_equal(ml_display_channels(&cls, false, false), 3);
	assert_int_equal(ml_display_channels(&cls, true, false), 4);
	struct ml_pixfmt rgb = { .bpp = 24 }, rgba = { .bpp = 32, .alpha = true }, x = { .bpp = 32 };
	assert_int_equal(ml_display_channels(&rgb, true, true), 3);
	assert_int_equal(ml_display_channels(&x, true, false), 3);
	assert_int_equal(ml_display_channels(&rgba, false, false), 4);
}

static void test_bmp(void **st)
{
	(void)st;
	const uint8_t raw[6] = { 1, 2, 3, 4, 5, 6 }, nohole[2] = { 0, 0 }, hole[2] = { 1, 1 };
	uint8_t out[8];
	struct ml_pixfmt f = { .bpp = 24 };
	ml_pixels_to_bmp(&f, raw, nohole, 2, 0, 0, out);
	assert_memory_equal(out, ((uint8_t[]){ 3, 2, 1, 6, 5, 4 }), 6);
	f.bgr = true;
	ml_pixels_to_bmp(&f, raw, nohole, 2, 0, 0, out);
	assert_memory_equal(out, raw, 6);	/* Dump2Picture: raw bytes */
	ml_pixels_to_bmp(&f, raw, hole, 2, 0, 0, out);
	assert_memory_equal(out, ((uint8_t[]){ 255, 0, 255, 255, 0, 255 }), 6);
	f = (struct ml_pixfmt){ .bpp = 16 };
	ml_pixels_to_bmp(&f, raw, hole, 1, 0, 0, out);
	assert_memory_equal(out, ((uint8_t[]){ 0x1f, 0x7c }), 2);
	const uint8_t unused[2] = { ML_PX_UNUSED, ML_PX_UNUSED };
	ml_pixels_to_bmp(&f, raw, unused, 1, 0, 0, out);	/* 176 >> 3 = 22 in the blue bits */
	assert_memory_equal(out, ((uint8_t[]){ 0x16, 0x00 }), 2);
	f = (struct ml_pixfmt){ .bpp = 32 };
	ml_pixels_to_bmp(&f, raw, unused, 1, 0, 0, out);
	assert_memory_equal(out, ((uint8_t[]){ 176, 0, 0, 0 }), 4);
	f = (struct ml_pixfmt){ .bpp = 8 };
	ml_pixels_to_bmp(&f, raw, hole, 2, 0, 0, out);
	assert_memory_equal(out, ((uint8_t[]){ 0x00, 0xff }), 2);	/* checkerboard */
	ml_pixels_to_bmp(&f, raw, hole, 2, 0, 1, out);
	assert_memory_equal(out, ((uint8_t[]){ 0xff, 0x00 }), 2);
	ml_pixels_to_bmp(&f, raw, unused, 2, 3, 0, out);	/* no spare entry: the same checkerboard */
	assert_memory_equal(out, ((uint8_t[]){ 0xff, 0x00 }), 2);
}

static double dist(const uint8_t *a, const uint8_t *b)
{
	double s = 0;
	for (int k = 0; k < 3; k++)
		s += ((double)a[k] - b[k]) * ((double)a[k] - b[k]);
	return sqrt(s);
}

/*
 * Holes, unused canvas and data never look alike: every entry of every
 * palette (the entropy ramp's random-data yellow included), the hole
 * colour and the unused colour are at least ML_COLOUR_APART apart.
 */
static void test_apart(void **st)
{
	(void)st;
	const uint8_t hole[3] = { ML_HOLE_R, ML_HOLE_G, ML_HOLE_B };
	const uint8_t unused[3] = { ML_UNUSED_R, ML_UNUSED_G, ML_UNUSED_B };
	assert_true(dist(hole, unused) >= ML_COLOUR_APART);
	for (int p = 0; p < ML_PAL__COUNT; p++) {
		const uint8_t (*t)[3] = ml_palette_rgb((enum ml_palette)p);
		for (int i = 0; i < 256; i++) {
			if (dist(t[i], hole) < ML_COLOUR_APART || dist(t[i], unused) < ML_COLOUR_APART)
				fail_msg("%s entry %d (%d,%d,%d) is near the hole or unused colour",
					 ml_palette_name((enum ml_palette)p), i, t[i][0], t[i][1], t[i][2]);
		}
	}
}

/*
 * diff's legend colours (unchanged, added, removed) are what
 * ml_display_colour gives, opaque, and keep ML_COLOUR_APART from the hole
 * colour, the unused colour and one another.
 */
static void test_legend(void **st)
{
	(void)st;
	const uint8_t want[][3] = {
		{ ML_HOLE_R, ML_HOLE_G, ML_HOLE_B }, { ML_UNUSED_R, ML_UNUSED_G, ML_UNUSED_B },
		{ ML_SAME_R, ML_SAME_G, ML_SAME_B }, { ML_ADDED_R, ML_ADDED_G, ML_ADDED_B },
		{ ML_REMOVED_R, ML_REMOVED_G, ML_REMOVED_B },
	};
	const enum ml_px px[] = { ML_PX_HOLE, ML_PX_UNUSED, ML_PX_SAME, ML_PX_ADDED, ML_PX_REMOVED };
	for (size_t i = 0; i < 5; i++) {
		uint8_t got[4];
		ml_display_colour(px[i], 4, got);
		assert_memory_equal(got, want[i], 3);
		if (i >= 2)
			assert_int_equal(got[3], 255);
		for (size_t k = 0; k < i; k++)
			if (dist(want[i], want[k]) < ML_COLOUR_APART)
				fail_msg("legend colour %zu is near colour %zu", i, k);
	}
	assert_true(ml_px_coloured(ML_PX_DATA) && ml_px_coloured(ML_PX_SAME) && ml_px_coloured(ML_PX_ADDED) &&
		    ml_px_coloured(ML_PX_REMOVED));
	assert_false(ml_px_coloured(ML_PX_HOLE) || ml_px_coloured(ML_PX_UNUSED));
}

/*
 * The entropy ramp's stops as doc/image.md lists them (0 black, 0.4 dark
 * red, 0.9 yellow, 1 white), linear between: blue never appears below
 * the white end, and brightness rises all the way.
 */
static void test_entropy_ramp(void **st)
{
	(void)st;
	const uint8_t (*e)[3] = ml_palette_rgb(ML_PAL_ENTROPY);
	assert_memory_equal(e[0], ((uint8_t[]){ 0, 0, 0 }), 3);
	assert_memory_equal(e[102], ((uint8_t[]){ 150, 20, 0 }), 3);	/* 102/255 = 0.4 */
	assert_memory_equal(e[255], ((uint8_t[]){ 255, 255, 255 }), 3);
	/* halfway between 0.4 and 0.7 (153/255 = 0.6): two thirds of the way to orange */
	assert_memory_equal(e[153], ((uint8_t[]){ 203, 87, 0 }), 3);
	unsigned prev = 0;
	for (int i = 0; i < 256; i++) {
		unsigned y = 30 * e[i][0] + 59 * e[i][1] + 11 * e[i][2];
		assert_true(y >= prev);
		prev = y;
		if (i < 230)
			assert_true(e[i][2] <= 60);
	}
}

static void test_palettes(void **st)
{
	(void)st;
	assert_int_equal(ml_palette_parse("gray"), ML_PAL_GRAY);
	assert_int_equal(ml_palette_parse("grey"), ML_PAL_GRAY);
	assert_int_equal(ml_palette_parse("rainbow"), -1);
	const uint8_t (*b)[3] = ml_palette_rgb(ML_PAL_BYTECLASS);
	assert_memory_equal(b[0x00], ((uint8_t[]){ 0, 0, 0 }), 3);
	assert_memory_equal(b[0xff], ((uint8_t[]){ 255, 255, 255 }), 3);
	assert_memory_equal(b['A'], ((uint8_t[]){ 0x37, 0x7e, 0xb8 }), 3);
	assert_memory_equal(b['\n'], ((uint8_t[]){ 0x37, 0x7e, 0xb8 }), 3);
	assert_memory_equal(b[0x01], ((uint8_t[]){ 0x4d, 0xaf, 0x4a }), 3);
	assert_memory_equal(b[0x7f], ((uint8_t[]){ 0xe4, 0x1a, 0x1c }), 3);
	assert_memory_equal(b[0x80], ((uint8_t[]){ 0xe4, 0x1a, 0x1c }), 3);
	/* cubehelix runs from black to white with rising brightness. */
	const uint8_t (*c)[3] = ml_palette_rgb(ML_PAL_CUBEHELIX);
	assert_memory_equal(c[0], ((uint8_t[]){ 0, 0, 0 }), 3);
	assert_memory_equal(c[255], ((uint8_t[]){ 255, 255, 255 }), 3);
	unsigned prev = 0;
	for (int i = 0; i < 256; i += 16) {
		unsigned y = 30 * c[i][0] + 59 * c[i][1] + 11 * c[i][2];
		assert_true(y >= prev);
		prev = y;
	}
}

/*
 * The fast path's kernels, at every length from 0 to 70 pixels (the
 * shuffles take 4 or 5 pixels a step and stop short of the end), against
 * the byte rule written out here: what each output byte must be, and no
 * byte written past the last pixel.
 */
static void test_kernels(void **st)
{
	(void)st;
	static const struct {
		unsigned bpp;
		bool bgr;
		enum ml_img_layout l;
		bool same;
		int map[4];	/* output byte k of a pixel is input byte map[k]; -1: none */
	} cases[] = {
		{ 24, false, ML_IMG_RGB, true, { 0, 1, 2, -1 } },
		{ 24, false, ML_IMG_BGR, false, { 2, 1, 0, -1 } },
		{ 24, true, ML_IMG_BGR, true, { 0, 1, 2, -1 } },
		{ 24, true, ML_IMG_RGB, false, { 2, 1, 0, -1 } },
		{ 32, false, ML_IMG_RGBA, true, { 0, 1, 2, 3 } },
		{ 32, false, ML_IMG_BGRX, false, { 2, 1, 0, 3 } },
		{ 32, true, ML_IMG_BGRX, true, { 0, 1, 2, 3 } },
		{ 32, true, ML_IMG_RGBA, false, { 2, 1, 0, 3 } },
		{ 32, false, ML_IMG_RGB, false, { 0, 1, 2, -1 } },
		{ 32, true, ML_IMG_RGB, false, { 2, 1, 0, -1 } },
		{ 32, false, ML_IMG_BGR, false, { 2, 1, 0, -1 } },
		{ 16, false, ML_IMG_RGB555, true, { 0, 1, -1, -1 } },
		{ 8, false, ML_IMG_GRAY, true, { 0, -1, -1, -1 } },
		{ 8, false, ML_IMG_PALETTE, true, { 0, -1, -1, -1 } },
	};
	uint8_t in[70 * 4], out[70 * 4 + 16];
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (uint8_t)(i * 7 + 3);
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct ml_pixfmt f = { .bpp = cases[c].bpp, .bgr = cases[c].bgr };
		bool same;
		ml_pixconv conv = ml_pixconv_for(&f, cases[c].l, &same);
		assert_non_null(conv);
		assert_int_equal(same, cases[c].same);
		unsigned B = f.bpp / 8, ob = ml_img_layout_bytes(cases[c].l);
		for (size_t n = 0; n <= 70; n++) {
			memset(out, 0xee, sizeof out);
			conv(in, n, out, NULL);
			for (size_t p = 0; p < n; p++)
				for (unsigned k = 0; k < ob; k++)
					if (out[p * ob + k] != in[p * B + cases[c].map[k]])
						fail_msg("case %zu, %zu pixels: pixel %zu byte %u", c, n, p, k);
			for (size_t k = n * ob; k < sizeof out; k++)
				if (out[k] != 0xee)
					fail_msg("case %zu, %zu pixels: byte %zu past the end written", c, n, k);
		}
	}
	/* what each depth becomes in each format */
	const struct ml_img_format *bmp = ml_img_format_for("bmp"), *png = ml_img_format_for("png"),
				   *jpg = ml_img_format_for("jpg");
	struct ml_pixfmt f24 = { .bpp = 24 }, f24b = { .bpp = 24, .bgr = true }, f8 = { .bpp = 8 }, f16 = { .bpp = 16 };
	assert_int_equal(ml_pixel_layout(&f24, 3, bmp), ML_IMG_BGR);
	assert_int_equal(ml_pixel_layout(&f24b, 3, png), ML_IMG_RGB);
	assert_int_equal(ml_pixel_layout(&f24b, 3, jpg), ML_IMG_BGR);
	assert_int_equal(ml_pixel_layout(&f8, 1, bmp), ML_IMG_PALETTE);
	assert_int_equal(ml_pixel_layout(&f8, 1, png), ML_IMG_GRAY);
	assert_int_equal(ml_pixel_layout(&f16, 3, bmp), ML_IMG_RGB555);
	assert_int_equal(ml_pixel_layout(&f16, 3, png), ML_IMG_RGB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_display),
		cmocka_unit_test(test_kernels),
		cmocka_unit_test(test_bmp),
		cmocka_unit_test(test_palettes),
		cmocka_unit_test(test_channels),
		cmocka_unit_test(test_apart),
		cmocka_unit_test(test_legend),
		cmocka_unit_test(test_entropy_ramp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
