/*
 * test_gilbert: the generalized Hilbert curve's own properties on every
 * rectangle up to 48 x 48 and on long thin and odd ones: each cell once,
 * cell 0 top-left and the last one at the corner the orientation names,
 * consecutive cells neighbours (one diagonal step only where the
 * rectangle's parity leaves no path: the longer side odd and the shorter
 * even), and xy2d / d2xy agreeing with the walk.  The curve itself is
 * compared cell for cell with an independent implementation (Python, the
 * published recursion) in tests/hilbert_image.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <string.h>

#include "gilbert.h"

static void check(uint32_t w, uint32_t h)
{
	uint64_t n = (uint64_t)w * h, k = 0, diagonal = 0;
	uint8_t *seen = calloc(n, 1);
	struct ml_gilbert g;
	uint32_t x, y, px = 0, py = 0;
	ml_gilbert_start(&g, w, h);
	while (ml_gilbert_next(&g, &x, &y)) {
		if (x >= w || y >= h)
			fail_msg("%ux%u: cell %llu at (%u,%u) is outside", w, h, (unsigned long long)k, x, y);
		if (seen[(uint64_t)y * w + x]++)
			fail_msg("%ux%u: (%u,%u) visited twice", w, h, x, y);
		if (k == 0 && (x || y))
			fail_msg("%ux%u: starts at (%u,%u)", w, h, x, y);
		if (k) {
			unsigned dx = x > px ? x - px : px - x, dy = y > py ? y - py : py - y;
			if (dx + dy != 1) {
				if (dx != 1 || dy != 1)
					fail_msg("%ux%u: step %llu jumps from (%u,%u) to (%u,%u)", w, h,
						 (unsigned long long)k, px, py, x, y);
				diagonal++;
			}
		}
		if (ml_gilbert_xy2d(w, h, x, y) != k)
			fail_msg("%ux%u: xy2d(%u,%u) != %llu", w, h, x, y, (unsigned long long)k);
		uint32_t qx, qy;
		ml_gilbert_d2xy(w, h, k, &qx, &qy);
		if (qx != x || qy != y)
			fail_msg("%ux%u: d2xy(%llu) = (%u,%u), the walk says (%u,%u)", w, h, (unsigned long long)k,
				 qx, qy, x, y);
		px = x, py = y, k++;
	}
	assert_int_equal(k, n);
	/*
	 * The end: the far corner of the longer side (a square counts as
	 * tall), unless parity leaves no path there (the longer side odd, the
	 * shorter even): then one diagonal step, or an end beside the corner.
	 */
	uint32_t lo = w < h ? w : h, hi = w < h ? h : w;
	bool forced = (hi % 2) && !(lo % 2) && lo > 1;
	if (!forced && (w > h ? px != w - 1 || py != 0 : px != 0 || py != h - 1))
		fail_msg("%ux%u: ends at (%u,%u)", w, h, px, py);
	if (diagonal > (forced ? 1u : 0u))
		fail_msg("%ux%u: %llu diagonal steps", w, h, (unsigned long long)diagonal);
	free(seen);
}

static void test_small(void **st)
{
	(void)st;
	for (uint32_t w = 1; w <= 48; w++)
		for (uint32_t h = 1; h <= 48; h++)
			check(w, h);
}

static void test_odd_shapes(void **st)
{
	(void)st;
	static const uint32_t shapes[][2] = {
		{ 1000, 3 }, { 3, 1000 }, { 2048, 1 }, { 1, 2049 }, { 257, 129 }, { 129, 257 },
		{ 1023, 1024 }, { 1024, 1023 }, { 999, 1000 }, { 640, 480 }, { 1, 1 },
	};
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
		check(shapes[i][0], shapes[i][1]);
}

/* The shape for n cells: w <= h, room for n, less than a column to spare. */
static void test_shape(void **st)
{
	(void)st;
	for (uint64_t n = 1; n <= 20000; n++) {
		uint32_t w, h;
		ml_gilbert_shape(n, &w, &h);
		if (w > h || (uint64_t)w * h < n || (uint64_t)w * h - n >= h)
			fail_msg("%llu cells: %ux%u", (unsigned long long)n, w, h);
	}
	uint32_t w, h;
	ml_gilbert_shape(UINT64_C(1) << 40, &w, &h);
	assert_int_equal(w, 1u << 20);
	assert_int_equal(h, 1u << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_odd_shapes),
		cmocka_unit_test(test_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
