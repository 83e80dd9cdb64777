/*
 * test_text: the built-in bitmap font, the fallback when no TrueType font
 * is found.  Its g is not its 9 and its p not its P: the letters with a
 * descender (g j p q y, and , ;) reach below the baseline, and no other
 * character does; drawn through text.h (MEMLENS_FONT=builtin), g and p
 * leave ink under the baseline where 9 and P leave none.  FreeType's
 * rendering is compared with Pillow's in tests/picture_legends.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <string.h>

#include "hilbert_font.h"
#include "text.h"

static void test_glyphs(void **st)
{
	(void)st;
	assert_memory_not_equal(ml_font_glyph('g'), ml_font_glyph('9'), ML_FONT_HEIGHT);
	assert_memory_not_equal(ml_font_glyph('p'), ml_font_glyph('P'), ML_FONT_HEIGHT);
	assert_memory_not_equal(ml_font_glyph('q'), ml_font_glyph('9'), ML_FONT_HEIGHT);
	for (unsigned c = 32; c < 127; c++) {
		const uint8_t *g = ml_font_glyph(c);
		bool below = false;
		for (int r = ML_FONT_ASCENT; r < ML_FONT_HEIGHT; r++)
			below |= g[r] != 0;
		bool want = strchr("gjpqy,;", (int)c) != NULL;
		if (below != want)
			fail_msg("'%c' %s below the baseline", c, below ? "reaches" : "does not reach");
		for (int r = 0; r < ML_FONT_HEIGHT; r++)
			if (g[r] >> ML_FONT_WIDTH)
				fail_msg("'%c' row %d is wider than %d pixels", c, r, ML_FONT_WIDTH);
	}
	/* anything else is a question mark */
	assert_ptr_equal(ml_font_glyph(0x7f), ml_font_glyph('?'));
	assert_ptr_equal(ml_font_glyph(200), ml_font_glyph('?'));
}

/* Rows of ink in a w x h RGB picture drawn on white, from row y0 down. */
static int ink_from(const uint8_t *rgb, uint32_t w, uint32_t h, uint32_t y0)
{
	int n = 0;
	for (uint32_t y = y0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			n += rgb[(y * w + x) * 3] < 128;
	return n;
}

static void test_drawn(void **st)
{
	(void)st;
	setenv("MEMLENS_FONT", "builtin", 1);
	assert_non_null(strstr(ml_text_font(), "built-in"));
	struct ml_text_metrics m;
	ml_text_metrics(16, &m);
	assert_int_equal(m.advance, 12);	/* 5x9 doubled, a column apart */
	assert_int_equal(m.ascent, 16);
	const uint8_t ink[3] = { 0, 0, 0 };
	const char *pairs[][2] = { { "g", "9" }, { "p", "P" }, { "y", "v" }, { "q", "a" } };
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		uint32_t w = 16, h = 24;
		uint8_t a[16 * 24 * 3], b[16 * 24 * 3];
		memset(a, 255, sizeof a);
		memset(b, 255, sizeof b);
		assert_int_equal(ml_text_draw(a, w, h, 0, 0, 16, pairs[i][0], 1, ink), 1);
		assert_int_equal(ml_text_draw(b, w, h, 0, 0, 16, pairs[i][1], 1, ink), 1);
		if (!ink_from(a, w, h, (uint32_t)m.ascent))
			fail_msg("'%s' has no ink below the baseline", pairs[i][0]);
		if (ink_from(b, w, h, (uint32_t)m.ascent))
			fail_msg("'%s' has ink below the baseline", pairs[i][1]);
		if (!memcmp(a, b, sizeof a))
			fail_msg("'%s' and '%s' are drawn alike", pairs[i][0], pairs[i][1]);
	}
	/* clipped, never written outside */
	uint8_t tiny[4 * 4 * 3 + 3];
	memset(tiny, 255, sizeof tiny);
	ml_text_draw(tiny, 4, 4, -3, -5, 16, "WWW", 3, ink);
	assert_int_equal(tiny[4 * 4 * 3], 255);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glyphs),
		cmocka_unit_test(test_drawn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
