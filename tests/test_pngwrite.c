/*
 * test_pngwrite: the multi-core PNG writer's strips, read back by libpng's
 * own decoder (which inflates the stitched zlib stream, checks its
 * Adler-32 and undoes every row filter) and compared with the rows given.
 * The shapes are chosen around the writer's strip boundaries: many strips
 * of many rows, a height that ends exactly on a strip, rows longer than a
 * strip (one row per strip, a one-row dictionary), one-pixel rows, one
 * row; contents that pick every filter (gradients), that are stored
 * (noise), and that repeat across a strip boundary (the dictionary);
 * 1 to 7 threads and levels 0 to 9.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pngwrite.h"

/* The writer's strips hold about this much filtered data (pngwrite.c). */
#define STRIP (1u << 20)

struct mem {
	const uint8_t *p;
	size_t len, off;
};

static void mem_read(png_structp png, png_bytep out, png_size_t n)
{
	struct mem *m = png_get_io_ptr(png);
	if (n > m->len - m->off)
		png_error(png, "read past the end");
	memcpy(out, m->p + m->off, n);
	m->off += n;
}

/* Row y of a test picture: gradients, noise, text and repeats, by band. */
static void make_row(uint8_t *row, size_t rowlen, uint32_t y, unsigned kind)
{
	uint32_t seed = y * 2654435761u + 12345;
	for (size_t i = 0; i < rowlen; i++) {
		switch ((kind + y / 97) % 4) {
		case 0:	/* smooth: up, sub and paeth filters win */
			row[i] = (uint8_t)(i / 3 + y);
			break;
		case 1:	/* noise: stored when a whole strip is noise */
			seed = seed * 1103515245u + 12345;
			row[i] = (uint8_t)(seed >> 16);
			break;
		case 2:	/* text: raw repeats for deflate */
			row[i] = (uint8_t)("memlens strips "[(i + y) % 15]);
			break;
		default:	/* the same as a row two hundred rows up: reach back over a strip boundary */
			row[i] = (uint8_t)((i * 7 + (y >= 200 ? y - 200 : y)) & 0xff);
			break;
		}
	}
}

/* Writes a w x h picture of `ch` channels and checks libpng decodes the same rows. */
static void roundtrip(uint32_t w, uint32_t h, enum ml_png_color color, unsigned threads, int level,
		      unsigned kind, uint32_t push)
{
	unsigned ch = ml_png_channels(color);
	size_t rowlen = (size_t)w * ch;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	static const uint8_t pal[256][3];
	struct ml_png_opts o = { .width = w, .height = h, .color = color, .level = level, .threads = threads,
				 .palette = pal, .npalette = 256 };
	struct ml_png *p = ml_png_begin(f, &o);
	assert_non_null(p);
	uint8_t *rows = malloc(rowlen * push);
	for (uint32_t y = 0; y < h;) {
		uint32_t n = h - y < push ? h - y : push;
		for (uint32_t k = 0; k < n; k++)
			make_row(rows + k * rowlen, rowlen, y + k, kind);
		assert_int_equal(ml_png_rows(p, rows, n), 0);
		y += n;
	}
	assert_int_equal(ml_png_end(p), 0);
	assert_int_equal(fclose(f), 0);

	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	uint8_t *got = malloc(rowlen), *want = malloc(rowlen);
	struct mem m = { (const uint8_t *)buf, len, 0 };
	if (setjmp(png_jmpbuf(png)))
		fail_msg("libpng refused a %ux%u picture (%u threads, level %d)", w, h, threads, level);
	png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
	png_set_read_fn(png, &m, mem_read);
	png_read_info(png, info);
	assert_int_equal(png_get_image_width(png, info), w);
	assert_int_equal(png_get_image_height(png, info), h);
	assert_int_equal(png_get_bit_depth(png, info), 8);
	assert_int_equal(png_get_channels(png, info), ch);
	for (uint32_t y = 0; y < h; y++) {
		png_read_row(png, got, NULL);
		make_row(want, rowlen, y, kind);
		if (memcmp(got, want, rowlen))
			fail_msg("%ux%u, %u threads, level %d: row %u differs", w, h, threads, level, y);
	}
	/* The end: IDAT's zlib stream closes with the right Adler-32, then IEND. */
	png_read_end(png, NULL);
	png_destroy_read_struct(&png, &info, NULL);
	free(got);
	free(want);
	free(rows);
	free(buf);
}

/* Rows of 3,001 filtered bytes: 349 to a strip; 2,000 rows are six strips. */
static void test_many_strips(void **st)
{
	(void)st;
	static const unsigned threads[] = { 1, 2, 3, 7 };
	static const int levels[] = { 0, 1, 2, 6, 9 };
	for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++)
		for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++)
			roundtrip(1000, 2000, ML_PNG_RGB, threads[t], levels[l], (unsigned)(t + l), 1);
}

/* Heights ending exactly on a strip, one row past it, one row short of it, and one row. */
static void test_strip_ends(void **st)
{
	(void)st;
	uint32_t per = STRIP / 3001;
	for (unsigned threads = 1; threads <= 3; threads++) {
		roundtrip(1000, 3 * per, ML_PNG_RGB, threads, -1, 0, 7);
		roundtrip(1000, 3 * per + 1, ML_PNG_RGB, threads, -1, 1, 50);
		roundtrip(1000, 3 * per - 1, ML_PNG_RGB, threads, -1, 2, 1000);
		roundtrip(1000, 1, ML_PNG_RGB, threads, -1, 3, 1);
	}
}

/* Rows longer than a strip: one row each, the dictionary from one row. */
static void test_long_rows(void **st)
{
	(void)st;
	for (unsigned threads = 1; threads <= 4; threads += 3)
		for (unsigned kind = 0; kind < 4; kind++)
			roundtrip(300000, 6, ML_PNG_RGBA, threads, -1, kind, 1);
}

/* One-byte rows: 524,288 to a strip, so 1.2 M rows are three strips. */
static void test_narrow(void **st)
{
	(void)st;
	roundtrip(1, 1200000, ML_PNG_GRAY, 2, -1, 0, 4096);
	roundtrip(1, 1200000, ML_PNG_PALETTE, 3, 9, 2, 1);
}

/* Every colour type through several strips, gray with a partial last strip. */
static void test_types(void **st)
{
	(void)st;
	roundtrip(4097, 1000, ML_PNG_GRAY, 2, 2, 1, 3);
	roundtrip(777, 3000, ML_PNG_RGBA, 3, 2, 3, 11);
	roundtrip(4096, 600, ML_PNG_PALETTE, 2, 2, 2, 64);
}

/* Sizes PNG cannot hold are refused before anything is written. */
static void test_refuse(void **st)
{
	(void)st;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct ml_png_opts o = { .width = 0, .height = 10, .color = ML_PNG_RGB, .level = -1 };
	assert_null(ml_png_begin(f, &o));
	o = (struct ml_png_opts){ .width = 10, .height = 0x80000000u, .color = ML_PNG_RGB, .level = -1 };
	assert_null(ml_png_begin(f, &o));
	fclose(f);
	assert_int_equal(len, 0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_strips),
		cmocka_unit_test(test_strip_ends),
		cmocka_unit_test(test_long_rows),
		cmocka_unit_test(test_narrow),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_refuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
