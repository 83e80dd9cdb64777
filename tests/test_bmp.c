/*
 * test_bmp: the BMP writer against the format's own layout, parsed here
 * field by field (BITMAPFILEHEADER, 14 bytes, then BITMAPINFOHEADER, 40,
 * little-endian): sizes and offsets, the sign of the height, the palette,
 * rows padded to 4 bytes with zeros, bottom-up storage, and the 4 GiB
 * limit exactly at its edge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bmp.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned le16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

/* Writes a w x h picture; row y, byte i is (y * 31 + i) & 0xff.  Returns the file. */
static uint8_t *write_bmp(uint32_t w, uint32_t h, unsigned bpp, bool bottom_up, unsigned dpi,
			  const uint8_t (*pal)[3], size_t *len)
{
	FILE *f = tmpfile();	/* bottom-up rows are placed with a seek */
	assert_non_null(f);
	const char *why = NULL;
	struct ml_bmp *b = ml_bmp_begin(f, w, h, bpp, pal, bottom_up, dpi, &why);
	assert_non_null(b);
	size_t rb = (size_t)w * bpp / 8;
	uint8_t *row = malloc(rb + 1);
	for (uint32_t y = 0; y < h; y++) {
		for (size_t i = 0; i < rb; i++)
			row[i] = (uint8_t)((y * 31 + i) & 0xff);
		assert_int_equal(ml_bmp_row(b, row, &why), 0);
	}
	assert_int_equal(ml_bmp_end(b, &why), 0);
	free(row);
	fflush(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	uint8_t *buf = malloc(*len);
	rewind(f);
	assert_int_equal(fread(buf, 1, *len, f), *len);
	fclose(f);
	return buf;
}

/* Every header field, and every row where the format puts it. */
static void check(uint32_t w, uint32_t h, unsigned bpp, bool bottom_up, unsigned dpi)
{
	uint8_t pal[256][3];
	for (int i = 0; i < 256; i++)
		pal[i][0] = (uint8_t)i, pal[i][1] = (uint8_t)(255 - i), pal[i][2] = (uint8_t)(i / 2);
	size_t len;
	uint8_t *f = write_bmp(w, h, bpp, bottom_up, dpi, bpp == 8 ? (const uint8_t (*)[3])pal : NULL, &len);
	size_t rb = (size_t)w * bpp / 8, stride = (rb + 3) / 4 * 4;
	size_t off = 14 + 40 + (bpp == 8 ? 1024 : 0);
	assert_memory_equal(f, "BM", 2);
	assert_int_equal(le32(f + 2), len);			/* bfSize: the whole file */
	assert_int_equal(len, off + stride * h);
	assert_int_equal(le32(f + 10), off);			/* bfOffBits */
	assert_int_equal(le32(f + 14), 40);			/* biSize */
	assert_int_equal(le32(f + 18), w);
	int32_t height = (int32_t)le32(f + 22);
	assert_int_equal(height, bottom_up ? (int32_t)h : -(int32_t)h);	/* negative: top-down */
	assert_int_equal(le16(f + 26), 1);			/* planes */
	assert_int_equal(le16(f + 28), bpp);
	assert_int_equal(le32(f + 30), 0);			/* BI_RGB */
	assert_int_equal(le32(f + 34), stride * h);		/* biSizeImage */
	uint32_t ppm = dpi ? (uint32_t)(dpi / 0.0254 + 0.5) : 2835;	/* 72 dpi when not given */
	assert_int_equal(le32(f + 38), ppm);
	assert_int_equal(le32(f + 42), ppm);
	assert_int_equal(le32(f + 46), bpp == 8 ? 256 : 0);	/* biClrUsed */
	if (bpp == 8)
		for (int i = 0; i < 256; i++) {
			/* RGBQUAD: blue, green, red, reserved */
			const uint8_t *q = f + 54 + 4 * i;
			assert_int_equal(q[0], pal[i][2]);
			assert_int_equal(q[1], pal[i][1]);
			assert_int_equal(q[2], pal[i][0]);
			assert_int_equal(q[3], 0);
		}
	for (uint32_t y = 0; y < h; y++) {
		/* picture row y is stored at y (top-down) or h-1-y (bottom-up) */
		const uint8_t *r = f + off + (size_t)(bottom_up ? h - 1 - y : y) * stride;
		for (size_t i = 0; i < rb; i++)
			if (r[i] != (uint8_t)((y * 31 + i) & 0xff))
				fail_msg("%ux%u %u bpp: row %u byte %zu", w, h, bpp, y, i);
		for (size_t i = rb; i < stride; i++)
			assert_int_equal(r[i], 0);
	}
	free(f);
}

static void test_layout(void **st)
{
	(void)st;
	/* widths whose rows need 0, 1, 2 and 3 bytes of padding at each depth */
	for (uint32_t w = 1; w <= 8; w++)
		for (unsigned bpp = 8; bpp <= 32; bpp += 8) {
			check(w, 5, bpp, false, 0);
			check(w, 3, bpp, true, 300);
		}
	check(1023, 7, 24, false, 96);
}

/* A gray palette when none is given. */
static void test_gray_default(void **st)
{
	(void)st;
	size_t len;
	uint8_t *f = write_bmp(4, 1, 8, false, 0, NULL, &len);
	for (int i = 0; i < 256; i++)
		assert_memory_equal(f + 54 + 4 * i, ((uint8_t[]){ (uint8_t)i, (uint8_t)i, (uint8_t)i, 0 }), 4);
	free(f);
}

/*
 * The size fields are 32-bit.  13 pixels at 24 bpp are 39 bytes, padded
 * to 40.  Pixel arrays of 1 MiB and more start at 4 KiB (the page), so
 * 107,374,079 such rows make 4,294,963,160 bytes of pixels and a file of
 * 4,294,967,256, the largest such file under 2^32; one row more is
 * refused before a byte is written.  Below 1 MiB the pixels follow the
 * 54-byte headers (and the 8 bpp palette) directly.
 */
static void test_4gib(void **st)
{
	(void)st;
	assert_int_equal(ml_bmp_size(13, 107374079, 24), UINT64_C(4294967256));
	assert_int_equal(ml_bmp_size(13, 107374080, 24), UINT64_C(4294967296));
	assert_int_equal(ml_bmp_size(65536, 65536, 8), UINT64_C(4294967296) + 4096);
	assert_int_equal(ml_bmp_size(1024, 255, 32), 54 + 1024 * 4 * 255);	/* just under 1 MiB */
	assert_int_equal(ml_bmp_size(1024, 256, 32), 4096 + 1024 * 4 * 256);	/* 1 MiB: aligned */
	/* fields a BMP cannot hold at all */
	assert_int_equal(ml_bmp_size(0, 1, 24), 0);
	assert_int_equal(ml_bmp_size(1, 0, 24), 0);
	assert_int_equal(ml_bmp_size(0x80000000u, 1, 24), 0);
	assert_int_equal(ml_bmp_size(1, 0x80000000u, 24), 0);
	/* the largest width and height: 2^31-1 x 4 bytes x 2^31-1 rows does not wrap */
	assert_true(ml_bmp_size(0x7fffffff, 0x7fffffff, 32) > UINT64_C(1) << 62);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *why = NULL;
	struct ml_bmp *b = ml_bmp_begin(f, 13, 107374080, 24, NULL, false, 0, &why);
	assert_null(b);
	assert_non_null(strstr(why, "4 GiB"));
	b = ml_bmp_begin(f, 65536, 65536, 8, NULL, false, 0, &why);
	assert_null(b);
	fflush(f);
	assert_int_equal(len, 0);	/* nothing written */
	b = ml_bmp_begin(f, 13, 107374079, 24, NULL, false, 0, &why);
	assert_non_null(b);		/* the edge fits: its header and the gap to 4 KiB are written */
	ml_bmp_abort(b);
	fclose(f);
	assert_int_equal(len, 4096);
	assert_int_equal(le32((const uint8_t *)buf + 2), UINT32_C(4294967256));
	assert_int_equal(le32((const uint8_t *)buf + 10), 4096);	/* bfOffBits */
	for (size_t i = 54; i < 4096; i++)
		assert_int_equal(buf[i], 0);
	free(buf);
}

/* Ending before the last row is an error with a reason, never a silent short file. */
static void test_short(void **st)
{
	(void)st;
	FILE *f = tmpfile();
	const char *why = NULL;
	struct ml_bmp *b = ml_bmp_begin(f, 2, 2, 24, NULL, false, 0, &why);
	uint8_t row[6] = { 0 };
	assert_int_equal(ml_bmp_row(b, row, &why), 0);
	assert_int_equal(ml_bmp_end(b, &why), -1);
	assert_non_null(why);
	fclose(f);
}

/* A full disk: the reason is the system's. */
static void test_full(void **st)
{
	(void)st;
	FILE *f = fopen("/dev/full", "w");
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	const char *why = NULL;
	struct ml_bmp *b = ml_bmp_begin(f, 2, 2, 24, NULL, false, 0, &why);
	assert_null(b);
	assert_non_null(strstr(why, "No space"));
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_gray_default),
		cmocka_unit_test(test_4gib),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
