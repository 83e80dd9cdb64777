/*
 * test_pixel: the byte → pixel rules on hand-made pixels — each depth,
 * both orders, the hole colour in each format, palettes' fixed points.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
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
	f = (struct ml_pixfmt){ .bpp = 8 };
	ml_pixels_to_bmp(&f, raw, hole, 2, 0, 0, out);
	assert_memory_equal(out, ((uint8_t[]){ 0x00, 0xff }), 2);	/* checkerboard */
	ml_pixels_to_bmp(&f, raw, hole, 2, 0, 1, out);
	assert_memory_equal(out, ((uint8_t[]){ 0xff, 0x00 }), 2);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_display),
		cmocka_unit_test(test_bmp),
		cmocka_unit_test(test_palettes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
