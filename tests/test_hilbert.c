/*
 * test_hilbert: the curve against facts memlens did not compute.  The
 * reference points come from a separate formulation (Hamilton's
 * Gray-code/entry/direction recursion, the one scurve's hilbert.py uses and
 * binvis draws with, point = (x, y) with y down); ml_hilbert uses the
 * quadrant-rotation walk, so agreeing point for point means the two
 * formulations, and the orientations, match.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "hilbert.h"
#include "hilbert_canvas.h"
#include "hilbert_entropy.h"
#include "pixel.h"

#include <math.h>
#include <string.h>

static unsigned gray(unsigned v)
{
	return v ^ (v >> 1);
}

/* 2-bit left rotation. */
static unsigned lrot2(unsigned v, unsigned i)
{
	i %= 2;
	return ((v << i) | (v >> (2 - i))) & 3;
}

static unsigned trailing_ones(unsigned v)
{
	unsigned n = 0;
	while (v & 1) {
		v >>= 1;
		n++;
	}
	return n;
}

static unsigned dir_of(unsigned w)
{
	if (w == 0)
		return 0;
	return (w % 2 ? trailing_ones(w) : trailing_ones(w - 1)) % 2;
}

static unsigned entry_of(unsigned w)
{
	return w ? gray(2 * ((w - 1) / 2)) : 0;
}

/* Hamilton's recursion, dimension 2: digit i of h (from the top) picks a sub-cell. */
static void ref_point(unsigned order, uint64_t h, uint32_t *px, uint32_t *py)
{
	unsigned e = 0, d = 0;
	uint32_t p[2] = { 0, 0 };
	for (unsigned i = 0; i < order; i++) {
		unsigned w = (unsigned)(h >> (2 * (order - i - 1))) & 3;
		unsigned l = lrot2(gray(w), d + 1) ^ e;
		for (unsigned j = 0; j < 2; j++)
			if (l >> (1 - j) & 1)
				p[j] |= 1u << (order - i - 1);
		e ^= lrot2(entry_of(w), d + 1);
		d = (d + dir_of(w) + 1) % 2;
	}
	*px = p[0];
	*py = p[1];
}

static void test_reference_orders_1_to_3(void **st)
{
	(void)st;
	for (unsigned o = 1; o <= 3; o++)
		for (uint64_t i = 0; i < (1ull << (2 * o)); i++) {
			uint32_t x, y, rx, ry;
			ml_hilbert_d2xy(o, i, &x, &y);
			ref_point(o, i, &rx, &ry);
			if (x != rx || y != ry)
				fail_msg("order %u index %llu: (%u,%u), reference (%u,%u)", o,
					 (unsigned long long)i, x, y, rx, ry);
		}
}

/* The same agreement at larger orders, on a sample. */
static void test_reference_sampled(void **st)
{
	(void)st;
	uint64_t seed = 88172645463325252ull;
	for (unsigned o = 4; o <= 16; o++)
		for (int k = 0; k < 2000; k++) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			uint64_t i = seed & ((1ull << (2 * o)) - 1);
			uint32_t x, y, rx, ry;
			ml_hilbert_d2xy(o, i, &x, &y);
			ref_point(o, i, &rx, &ry);
			assert_int_equal(x, rx);
			assert_int_equal(y, ry);
		}
}

/* The ends binvis shows: top-left start, bottom-left end. */
static void test_ends(void **st)
{
	(void)st;
	for (unsigned o = 1; o <= 16; o++) {
		uint32_t x, y, n = 1u << o;
		ml_hilbert_d2xy(o, 0, &x, &y);
		assert_int_equal(x, 0);
		assert_int_equal(y, 0);
		ml_hilbert_d2xy(o, (uint64_t)n * n - 1, &x, &y);
		assert_int_equal(x, 0);
		assert_int_equal(y, n - 1);
	}
}

/*
 * Inverse both ways and unit steps: exhaustive up to order 10 (a million
 * cells), sampled runs above it.
 */
static void check_run(unsigned o, uint64_t from, uint64_t count)
{
	uint32_t n = 1u << o, px = 0, py = 0;
	for (uint64_t i = from; i < from + count; i++) {
		uint32_t x, y;
		ml_hilbert_d2xy(o, i, &x, &y);
		if (x >= n || y >= n)
			fail_msg("order %u index %llu off the grid", o, (unsigned long long)i);
		if (ml_hilbert_xy2d(o, x, y) != i)
			fail_msg("order %u: xy2d(d2xy(%llu)) differs", o, (unsigned long long)i);
		if (i > from) {
			uint32_t dx = x > px ? x - px : px - x, dy = y > py ? y - py : py - y;
			if (dx + dy != 1)
				fail_msg("order %u: %llu and its successor are not neighbours", o,
					 (unsigned long long)i - 1);
		}
		px = x, py = y;
	}
}

static void test_inverse_adjacent(void **st)
{
	(void)st;
	for (unsigned o = 1; o <= 10; o++)
		check_run(o, 0, 1ull << (2 * o));
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	for (unsigned o = 11; o <= 16; o++) {
		uint64_t cells = 1ull << (2 * o);
		check_run(o, 0, 4096);
		check_run(o, cells - 4096, 4096);
		for (int k = 0; k < 64; k++) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			check_run(o, seed % (cells - 4096), 4096);
		}
	}
}

/* xy2d then d2xy over whole grids up to order 9, and sampled to 16. */
static void test_xy_roundtrip(void **st)
{
	(void)st;
	for (unsigned o = 1; o <= 9; o++)
		for (uint32_t y = 0; y < (1u << o); y++)
			for (uint32_t x = 0; x < (1u << o); x++) {
				uint32_t a, b;
				ml_hilbert_d2xy(o, ml_hilbert_xy2d(o, x, y), &a, &b);
				assert_int_equal(a, x);
				assert_int_equal(b, y);
			}
	uint64_t seed = 12345;
	for (unsigned o = 10; o <= 16; o++)
		for (int k = 0; k < 100000; k++) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			uint32_t x = (uint32_t)seed & ((1u << o) - 1), y = (uint32_t)(seed >> 32) & ((1u << o) - 1);
			uint32_t a, b;
			ml_hilbert_d2xy(o, ml_hilbert_xy2d(o, x, y), &a, &b);
			assert_int_equal(a, x);
			assert_int_equal(b, y);
		}
}

/* Brute force: entropy of the data bytes in [i-128, i+128), over 8 bits, as 0..255. */
static int brute_entropy(const int *v, size_t n, size_t i)
{
	unsigned counts[256] = { 0 }, total = 0;
	size_t a = i >= 128 ? i - 128 : 0, b = i + 128 < n ? i + 128 : n;
	for (size_t k = a; k < b; k++)
		if (v[k] >= 0)
			counts[v[k]]++, total++;
	if (total < 2)
		return 0;
	double h = 0;
	for (int c = 0; c < 256; c++)
		if (counts[c])
			h -= (double)counts[c] / total * log2((double)counts[c] / total);
	return (int)lround(h / 8 * 255);
}

/* The sliding window against brute force, with holes and odd push sizes. */
static void test_entropy(void **st)
{
	(void)st;
	for (size_t n = 1; n <= 5000; n = n * 3 + 7) {
		int *v = malloc(n * sizeof *v);
		uint8_t *bytes = malloc(n), *val = malloc(n + ML_ENTROPY_WINDOW), *hole = malloc(n + ML_ENTROPY_WINDOW);
		uint64_t seed = n * 2654435761u + 1;
		for (size_t i = 0; i < n; i++) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			/* runs of zeros, low-entropy text, random bytes, holes */
			size_t zone = (i / 700) % 4;
			v[i] = zone == 0 ? 0 : zone == 1 ? (int)(seed % 5) + 'a' : zone == 2 ? (int)(seed & 255) : -1;
			bytes[i] = v[i] < 0 ? 0 : (uint8_t)v[i];
		}
		struct ml_entropy e;
		ml_entropy_init(&e);
		size_t got = 0, i = 0, step = 1;
		while (i < n) {
			size_t len = step;
			if (len > n - i)
				len = n - i;
			/* split at hole boundaries, as the stream does */
			for (size_t k = 1; k < len; k++)
				if ((v[i + k] < 0) != (v[i] < 0)) {
					len = k;
					break;
				}
			got += ml_entropy_push(&e, v[i] < 0 ? NULL : bytes + i, len, val + got, hole + got);
			i += len;
			step = step * 2 % 997 + 1;
		}
		got += ml_entropy_finish(&e, val + got, hole + got);
		assert_int_equal(got, n);
		for (size_t k = 0; k < n; k++) {
			assert_int_equal(hole[k], v[k] < 0);
			if (v[k] >= 0 && abs(val[k] - brute_entropy(v, n, k)) > 1)
				fail_msg("n %zu byte %zu: %d, brute force %d", n, k, val[k], brute_entropy(v, n, k));
		}
		free(v);
		free(bytes);
		free(val);
		free(hole);
	}
}

/*
 * The canvas places pixel i where d2xy says, by tiles or one by one: data
 * and hole pixels as given, unused ones left as the fill.
 */
static void test_canvas(void **st)
{
	(void)st;
	for (unsigned t = 0; t < 16; t++) {
		unsigned o = t / 2;
		uint64_t cells = 1ull << (2 * o);
		struct ml_hcanvas c;
		uint8_t fill[3] = { 1, 2, 3 }, holec[3] = { 7, 7, 7 };
		assert_int_equal(ml_hcanvas_init(&c, o, 0, 3, fill, holec), 0);
		uint64_t n = cells - (o > 2 ? 5 : 0);	/* a partial last tile */
		uint8_t *px = malloc(n * 3), *state = calloc(n, 1);
		for (uint64_t i = 0; i < n; i++) {
			px[3 * i] = (uint8_t)i, px[3 * i + 1] = (uint8_t)(i >> 8), px[3 * i + 2] = 9;
			state[i] = i % 97 == 3 ? ML_PX_UNUSED : i % 89 == 5 ? ML_PX_HOLE : ML_PX_DATA;
		}
		/* all at once (whole tiles), or pushes of awkward sizes (tiles and single pixels mix) */
		for (uint64_t i = 0, k = t % 2 ? 1 : n; i < n; k = t % 2 ? k * 3 % 1000 + 1 : n) {
			uint64_t len = k < n - i ? k : n - i;
			ml_hcanvas_put(&c, px + 3 * i, state + i, (size_t)len);
			i += len;
		}
		for (uint64_t i = 0; i < cells; i++) {
			uint32_t x, y;
			ml_hilbert_d2xy(o, i, &x, &y);
			const uint8_t *got = c.px + ((size_t)y * c.side + x) * 3;
			const uint8_t *want = i < n && state[i] != ML_PX_UNUSED ? px + 3 * i : fill;
			if (memcmp(got, want, 3))
				fail_msg("order %u cell %llu misplaced", o, (unsigned long long)i);
		}
		ml_hcanvas_free(&c);
		free(px);
		free(state);
	}
}

/*
 * Reduced by 2^k: a cell is the mean of its data pixels, the hole colour
 * when it has holes and no data, and keeps the fill when no pixel reached
 * it (past the end).
 */
static void test_canvas_reduced(void **st)
{
	(void)st;
	const unsigned o = 3, k = 1, per = 4;	/* 8x8 cells of 4 pixels */
	struct ml_hcanvas c;
	uint8_t fill[1] = { 200 }, holec[1] = { 100 };
	assert_int_equal(ml_hcanvas_init(&c, o, k, 1, fill, holec), 0);
	const uint64_t n = 61 * per + 2;	/* the 62nd cell is partial, 63 and 64 get nothing */
	uint8_t *px = malloc(n), *state = calloc(n, 1);
	for (uint64_t i = 0; i < n; i++) {
		px[i] = (uint8_t)(i % 7 * 10);
		/* cell 5 all holes; cell 9 half holes */
		if (i / per == 5 || (i / per == 9 && i % 2))
			state[i] = ML_PX_HOLE;
	}
	ml_hcanvas_put(&c, px, state, (size_t)n);
	ml_hcanvas_flush(&c);
	for (uint64_t cell = 0; cell < 64; cell++) {
		unsigned want, sum = 0, cnt = 0;
		for (uint64_t i = cell * per; i < (cell + 1) * per && i < n; i++)
			if (state[i] == ML_PX_DATA)
				sum += px[i], cnt++;
		if (cnt)
			want = (sum + cnt / 2) / cnt;
		else
			want = cell * per < n ? holec[0] : fill[0];
		uint32_t x, y;
		ml_hilbert_d2xy(o, cell, &x, &y);
		assert_int_equal(c.px[y * c.side + x], want);
	}
	ml_hcanvas_free(&c);
	free(px);
	free(state);
}

/*
 * Hole runs handed over in one call (a dump's uncaptured EiB) draw as the
 * same pixels one by one would, at every reduction; a run far past the
 * canvas's end returns at once.
 */
static void test_canvas_hole_runs(void **st)
{
	(void)st;
	for (unsigned k = 0; k < 3; k++) {
		const unsigned o = 3;
		const uint64_t per = 1ull << (2 * k), n = 60 * per + per / 2 + 1;
		struct ml_hcanvas c;
		uint8_t fill[1] = { 200 }, holec[1] = { 100 };
		assert_int_equal(ml_hcanvas_init(&c, o, k, 1, fill, holec), 0);
		uint8_t *px = malloc(n), *state = calloc(n, 1);
		/* runs of holes of lengths 1, 2, 3, ... between runs of data */
		for (uint64_t i = 0, run = 0, len = 1; i < n; i++) {
			px[i] = (uint8_t)(i % 11 * 9);
			state[i] = run % 2 ? ML_PX_HOLE : ML_PX_DATA;
			if (--len == 0) {
				run++;
				len = run * (run % 3 ? 1 : per * 3) + 1;
			}
		}
		for (uint64_t i = 0; i < n;) {
			uint64_t e = i;
			while (e < n && state[e] == state[i])
				e++;
			if (state[i] == ML_PX_HOLE)
				ml_hcanvas_put_holes(&c, e - i);
			else
				ml_hcanvas_put(&c, px + i, state + i, (size_t)(e - i));
			i = e;
		}
		ml_hcanvas_flush(&c);
		for (uint64_t cell = 0; cell < 64; cell++) {
			unsigned want, sum = 0, cnt = 0;
			bool hole = false;
			for (uint64_t i = cell * per; i < (cell + 1) * per && i < n; i++) {
				if (state[i] == ML_PX_DATA)
					sum += px[i], cnt++;
				hole |= state[i] == ML_PX_HOLE;
			}
			want = cnt ? (sum + cnt / 2) / cnt : hole ? holec[0] : fill[0];
			uint32_t x, y;
			ml_hilbert_d2xy(o, cell, &x, &y);
			if (c.px[y * c.side + x] != want)
				fail_msg("k %u cell %llu: %u, want %u", k, (unsigned long long)cell,
					 c.px[y * c.side + x], want);
		}
		ml_hcanvas_put_holes(&c, UINT64_MAX - c.next);
		assert_true(c.next == UINT64_MAX);
		ml_hcanvas_free(&c);
		free(px);
		free(state);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_orders_1_to_3),
		cmocka_unit_test(test_reference_sampled),
		cmocka_unit_test(test_ends),
		cmocka_unit_test(test_inverse_adjacent),
		cmocka_unit_test(test_xy_roundtrip),
		cmocka_unit_test(test_entropy),
		cmocka_unit_test(test_canvas),
		cmocka_unit_test(test_canvas_reduced),
		cmocka_unit_test(test_canvas_hole_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
