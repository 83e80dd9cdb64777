/*
 * test_find: the finder over runs of zeros.  A run of zeros handed over
 * as ml_finder_feed_zeros (untouched or zero-page memory, never read) must
 * give exactly the matches a plain byte-by-byte search of the same bytes
 * gives — the oracle here is a brute-force comparison of every pattern at
 * every offset, written apart from find.c — including matches that reach
 * into the run from either side, and no match inside it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "find.h"

#define MAXM 256

struct got {
	uint64_t addr[MAXM], len[MAXM];
	int kind[MAXM];
	size_t n;
};

static int on_match(void *ctx, const struct ml_find_match *m)
{
	struct got *g = ctx;
	if (g->n < MAXM) {
		g->addr[g->n] = m->addr;
		g->len[g->n] = m->len;
		g->kind[g->n] = (int)m->kind;
		g->n++;
	}
	return 0;
}

/* pattern bytes with a mask: 1 fixed, 0 any */
struct pat {
	const char *hex;	/* as given to the finder, or NULL for text */
	const char *text;
	uint8_t b[16], mask[16];
	size_t len;
};

static void sort_got(struct got *g)
{
	for (size_t i = 1; i < g->n; i++)
		for (size_t j = i; j > 0 && (g->addr[j - 1] > g->addr[j] ||
					     (g->addr[j - 1] == g->addr[j] && g->kind[j - 1] > g->kind[j])); j--) {
			uint64_t a = g->addr[j], l = g->len[j];
			int k = g->kind[j];
			g->addr[j] = g->addr[j - 1], g->len[j] = g->len[j - 1], g->kind[j] = g->kind[j - 1];
			g->addr[j - 1] = a, g->len[j - 1] = l, g->kind[j - 1] = k;
		}
}

static size_t brute(const uint8_t *buf, size_t n, const struct pat *p, uint64_t base, uint64_t *at)
{
	size_t k = 0;
	for (size_t i = 0; i + p->len <= n; i++) {
		size_t j = 0;
		while (j < p->len && (!p->mask[j] || buf[i + j] == p->b[j]))
			j++;
		if (j == p->len && k < MAXM)
			at[k++] = base + i;
	}
	return k;
}

static void check(size_t zeros_at, size_t nzeros, size_t total)
{
	const uint64_t base = 0x10000;
	uint8_t *buf = calloc(total, 1);
	srand(7);
	for (size_t i = 0; i < total; i++)
		if (i < zeros_at || i >= zeros_at + nzeros)
			buf[i] = (uint8_t)('a' + rand() % 20);
	/* plants: one reaching into the run, one out of it, one inside the data */
	memcpy(buf + zeros_at - 2, "AB", 2);
	memcpy(buf + zeros_at + nzeros, "CD", 2);
	memcpy(buf + 100, "HELLO", 5);
	struct pat pats[] = {
		{ "41 42 00 00", NULL, { 'A', 'B', 0, 0 }, { 1, 1, 1, 1 }, 4 },
		{ "00 ?? 00 43 44", NULL, { 0, 0, 0, 'C', 'D' }, { 1, 0, 1, 1, 1 }, 5 },
		{ NULL, "HELLO", { 'H', 'E', 'L', 'L', 'O' }, { 1, 1, 1, 1, 1 }, 5 },
	};
	struct got whole = { 0 }, skipped = { 0 };
	struct ml_finder *f[2];
	for (int w = 0; w < 2; w++) {
		f[w] = ml_finder_new(on_match, w ? (void *)&skipped : (void *)&whole);
		for (size_t i = 0; i < 3; i++) {
			size_t idx;
			const char *why;
			if (pats[i].hex)
				assert_int_equal(ml_finder_add_hex(f[w], pats[i].hex, &idx, &why), 0);
			else
				ml_finder_add_text(f[w], pats[i].text, strlen(pats[i].text), false, true, false);
		}
		ml_finder_add_strings(f[w], 4, true, true);
	}
	assert_true(ml_finder_zero_reach(f[1]) >= 5);
	assert_int_equal(ml_finder_feed(f[0], base, buf, total), 0);
	assert_int_equal(ml_finder_break(f[0]), 0);
	assert_int_equal(ml_finder_feed(f[1], base, buf, zeros_at), 0);
	assert_int_equal(ml_finder_feed_zeros(f[1], base + zeros_at, nzeros), 0);
	assert_int_equal(ml_finder_feed(f[1], base + zeros_at + nzeros, buf + zeros_at + nzeros,
					total - zeros_at - nzeros), 0);
	assert_int_equal(ml_finder_break(f[1]), 0);
	/* the oracle: every literal and hex match, by brute force, is found both ways */
	for (size_t i = 0; i < 3; i++) {
		uint64_t at[MAXM];
		size_t k = brute(buf, total, &pats[i], base, at);
		assert_true(k >= 1);
		for (size_t m = 0; m < k; m++) {
			for (int w = 0; w < 2; w++) {
				const struct got *g = w ? &skipped : &whole;
				size_t x = 0;
				while (x < g->n && !(g->addr[x] == at[m] && g->len[x] == pats[i].len &&
						     g->kind[x] == (pats[i].hex ? ML_FIND_HEX : ML_FIND_TEXT)))
					x++;
				if (x == g->n)
					fail_msg("pattern %zu at 0x%llx not found (%s)", i, (unsigned long long)at[m],
						 w ? "zeros passed over" : "all read");
			}
		}
	}
	/* and the two ways agree on everything, strings included (as sets: a
	 * window reports its strings before its literals) */
	sort_got(&whole);
	sort_got(&skipped);
	if (getenv("TEST_FIND_DEBUG"))
		for (size_t x = 0; x < whole.n || x < skipped.n; x++)
			fprintf(stderr, "%zu: %llx+%llu k%d | %llx+%llu k%d\n", x,
				(unsigned long long)(x < whole.n ? whole.addr[x] : 0), (unsigned long long)(x < whole.n ? whole.len[x] : 0),
				x < whole.n ? whole.kind[x] : -1, (unsigned long long)(x < skipped.n ? skipped.addr[x] : 0),
				(unsigned long long)(x < skipped.n ? skipped.len[x] : 0), x < skipped.n ? skipped.kind[x] : -1);
	assert_int_equal(whole.n, skipped.n);
	for (size_t x = 0; x < whole.n; x++) {
		assert_true(whole.addr[x] == skipped.addr[x]);
		assert_true(whole.len[x] == skipped.len[x]);
		assert_int_equal(whole.kind[x], skipped.kind[x]);
	}
	ml_finder_free(f[0]);
	ml_finder_free(f[1]);
	free(buf);
}

static void test_zero_runs(void **st)
{
	(void)st;
	check(3000, 100000, 110000);	/* a long run: its middle passed over */
	check(3000, 7, 6000);		/* shorter than twice the reach: fed whole */
	check(3000, 10, 6000);
}

/* A pattern that matches zeros, or a regex, means every zero is read. */
static void test_reach(void **st)
{
	(void)st;
	struct got g = { 0 };
	struct ml_finder *f = ml_finder_new(on_match, &g);
	size_t idx;
	const char *why;
	assert_int_equal(ml_finder_add_hex(f, "41 42", &idx, &why), 0);
	assert_int_equal(ml_finder_zero_reach(f), 2);
	assert_int_equal(ml_finder_add_hex(f, "00 ?? 00", &idx, &why), 0);
	assert_int_equal(ml_finder_zero_reach(f), 0);
	ml_finder_free(f);
	f = ml_finder_new(on_match, &g);
	char err[128];
	assert_int_equal(ml_finder_add_regex(f, "ab+", false, &idx, err, sizeof err), 0);
	assert_int_equal(ml_finder_zero_reach(f), 0);
	ml_finder_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zero_runs),
		cmocka_unit_test(test_reach),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
