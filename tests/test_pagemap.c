/*
 * test_pagemap: decoding synthetic pagemap and kpageflags words — each
 * state, the guard bit before the swapped bit, the zero page outside
 * present and anon, a PMD mapping apart from a large folio, the counters,
 * and the classes of physical frames; the key sort against qsort; the
 * shared terminal map (folding, partial lines, bounds), the picture's
 * row arithmetic, and line wrapping between items.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagemap.h"
#include "physmap.h"
#include "termwrap.h"
#include "unitmap.h"

#define KF(b) (1ull << ML_KPF_##b)

static void test_states(void **st)
{
	(void)st;
	struct ml_pm_counts c;
	memset(&c, 0, sizeof c);
	assert_int_equal(ml_pm_classify(0, 0, 0, 0, &c, false), ML_ST_NONE);
	assert_int_equal(ml_pm_classify(ML_PM_PRESENT | ML_PM_EXCLUSIVE | 0x1234, 0, 0, 0, &c, false), ML_ST_ANON);
	assert_int_equal(ml_pm_classify(ML_PM_PRESENT | ML_PM_FILE, 0, 0, 0, &c, false), ML_ST_FILE);
	assert_int_equal(ml_pm_classify(ML_PM_SWAPPED | (7ull << 5) | 2, 0, 0, 0, &c, false), ML_ST_SWAP);
	/* Seen on 6.18: a guard page's word.  Guard, never swapped. */
	assert_int_equal(ml_pm_classify(0x440000000000009full, 0, 0, 0, &c, false), ML_ST_GUARD);
	assert_int_equal(ml_pm_classify(ML_PM_SOFT_DIRTY, 0, 0, 0, &c, false), ML_ST_NONE);
	/* Seen on 6.18: the zero page's word (present, no file bit); the huge zero page's has the file bit. */
	assert_int_equal(ml_pm_classify(0x8000000000001234ull, ML_PMI_ZERO, 0, 0, &c, false), ML_ST_ZERO);
	assert_int_equal(ml_pm_classify(0xa000000000001234ull, ML_PMI_ZERO | ML_PMI_PMD, 0, 0, &c, false), ML_ST_ZERO);
	assert_int_equal(c.pages, 8);
	assert_int_equal(c.present, 2);	/* not the zero pages: smaps leaves them out of Rss */
	assert_int_equal(c.anon, 1);
	assert_int_equal(c.file, 1);
	assert_int_equal(c.zero, 2);
	assert_int_equal(c.exclusive, 1);
	assert_int_equal(c.swapped, 1);
	assert_int_equal(c.guard, 1);
	assert_int_equal(c.soft_dirty, 1);
}

static void test_kpageflags(void **st)
{
	(void)st;
	struct ml_pm_counts c;
	memset(&c, 0, sizeof c);
	uint64_t w = ML_PM_PRESENT | 0x42;
	/* A PMD maps it: a transparent huge page. */
	assert_int_equal(ml_pm_classify(w, ML_PMI_PMD, KF(THP) | KF(COMPOUND_HEAD) | KF(LRU) | KF(ACTIVE), 1, &c, true),
			 ML_ST_THP);
	/* The THP flag alone (any large folio, PTE-mapped): a large folio, not a huge page. */
	assert_int_equal(ml_pm_classify(w, 0, KF(THP) | KF(COMPOUND_TAIL) | KF(UNEVICTABLE) | KF(MLOCKED), 1, &c, true),
			 ML_ST_LARGE);
	assert_int_equal(ml_pm_classify(w | ML_PM_FILE, 0, KF(THP) | KF(COMPOUND_HEAD) | KF(LRU), 1, &c, true),
			 ML_ST_LARGE);
	assert_int_equal(ml_pm_classify(w, 0, KF(ZERO_PAGE), 0, &c, true), ML_ST_ANON);	/* info decides */
	assert_int_equal(ml_pm_classify(w | ML_PM_FILE, 0, KF(LRU) | KF(DIRTY) | KF(KSM), 2, &c, true), ML_ST_FILE);
	/* hugetlb, PMD-mapped: hugetlb, not THP. */
	assert_int_equal(ml_pm_classify(w, ML_PMI_PMD, KF(HUGE) | KF(COMPOUND_HEAD), 1, &c, true), ML_ST_ANON);
	assert_int_equal(c.thp, 1);
	assert_int_equal(c.large, 2);
	assert_int_equal(c.hugetlb, 1);
	assert_int_equal(c.compound_head, 3);
	assert_int_equal(c.compound_tail, 1);
	assert_int_equal(c.unevictable, 1);
	assert_int_equal(c.mlocked, 1);
	assert_int_equal(c.ksm, 1);
	assert_int_equal(c.shared, 1);
	assert_int_equal(c.active, 1);
	assert_int_equal(c.inactive, 2);
	assert_int_equal(c.dirty, 1);
	assert_int_equal(c.present, 6);
	/* Without kpageflags nothing of it is counted, and a PMD says nothing on its own. */
	memset(&c, 0, sizeof c);
	assert_int_equal(ml_pm_classify(w, ML_PMI_PMD, KF(THP), 9, &c, false), ML_ST_ANON);
	assert_int_equal(c.thp + c.large + c.shared, 0);
}

static void test_physical(void **st)
{
	(void)st;
	assert_int_equal(ml_phys_classify(KF(BUDDY), false), ML_PH_FREE);
	/* No flag at all is not free: per-CPU lists, plain kernel allocations. */
	assert_int_equal(ml_phys_classify(0, false), ML_PH_NOFLAGS);
	assert_int_equal(ml_phys_classify(KF(SLAB) | KF(COMPOUND_HEAD), false), ML_PH_SLAB);
	assert_int_equal(ml_phys_classify(KF(PGTABLE), false), ML_PH_PGTABLE);
	assert_int_equal(ml_phys_classify(KF(ANON) | KF(LRU) | KF(MMAP), false), ML_PH_ANON);
	assert_int_equal(ml_phys_classify(KF(LRU) | KF(UPTODATE), false), ML_PH_FILE);
	/* THP flag: huge only in a PMD-sized folio. */
	assert_int_equal(ml_phys_classify(KF(THP) | KF(ANON) | KF(COMPOUND_TAIL), true), ML_PH_ANON_THP);
	assert_int_equal(ml_phys_classify(KF(THP) | KF(ANON) | KF(COMPOUND_TAIL), false), ML_PH_ANON);
	assert_int_equal(ml_phys_classify(KF(THP) | KF(LRU) | KF(COMPOUND_HEAD), true), ML_PH_FILE_THP);
	assert_int_equal(ml_phys_classify(KF(THP) | KF(LRU) | KF(COMPOUND_HEAD), false), ML_PH_FILE);
	assert_true(ml_phys_large_folio(KF(THP) | KF(LRU) | KF(COMPOUND_HEAD), false));
	assert_false(ml_phys_large_folio(KF(THP) | KF(LRU) | KF(COMPOUND_HEAD), true));
	assert_int_equal(ml_phys_classify(KF(HUGE) | KF(COMPOUND_TAIL), true), ML_PH_HUGETLB);
	/* The huge zero page has THP and ZERO_PAGE (fs/proc/page.c): zero. */
	assert_int_equal(ml_phys_classify(KF(ZERO_PAGE) | KF(THP) | KF(COMPOUND_HEAD), true), ML_PH_ZERO);
	assert_false(ml_phys_large_folio(KF(ZERO_PAGE) | KF(THP), false));
	assert_int_equal(ml_phys_classify(KF(RESERVED), false), ML_PH_RESERVED);
	assert_int_equal(ml_phys_classify(KF(NOPAGE), false), ML_PH_OTHER);
	assert_int_equal(ml_phys_classify(KF(UPTODATE) | KF(REFERENCED), false), ML_PH_OTHER);
}

static unsigned cmp_low;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a >> cmp_low, y = *(const uint64_t *)b >> cmp_low;
	return x < y ? -1 : x > y;
}

static int cmp_full(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_sort(void **st)
{
	(void)st;
	enum { N = 100000 };
	uint64_t *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b), *tmp = malloc(N * sizeof *tmp);
	uint64_t x = 88172645463325252ull;
	for (unsigned low = 0; low <= 20; low += 20) {
		for (size_t n = 0; n <= N; n = n ? n * 7 : 1) {
			for (size_t i = 0; i < n; i++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				/* Duplicates, like many pages on one frame, and every width up to 64 bits. */
				a[i] = b[i] = i % 5 == 0 ? 42ull << low | (x & 0xfffff) : x >> (i % 64);
			}
			ml_pm_sort_keys(a, tmp, n, low);
			/* Ordered by the bits from `low` up, against qsort ... */
			for (size_t i = 1; i < n; i++)
				assert_true(a[i - 1] >> low <= a[i] >> low);
			cmp_low = low;
			qsort(b, n, sizeof *b, cmp_u64);
			for (size_t i = 0; i < n; i++)
				assert_true(a[i] >> low == b[i] >> low);
			/* ... and the same keys. */
			qsort(a, n, sizeof *a, cmp_full);
			qsort(b, n, sizeof *b, cmp_full);
			assert_memory_equal(a, b, n * sizeof *a);
		}
	}
	free(a);
	free(b);
	free(tmp);
}

/* The terminal map drawn into memory. */
static char *tmap_text(size_t width, void (*draw)(struct ml_tmap *))
{
	static const uint8_t ansi[3] = { 16, 17, 18 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct ml_tmap m;
	ml_tmap_init(&m, f, width, false, 4096, ansi, ".ab", 3);
	draw(&m);
	ml_tmap_free(&m);
	fclose(f);
	return buf;
}

static void draw_fold(struct ml_tmap *m)
{
	ml_tmap_section(m, 0x10000);
	ml_tmap_put(m, 1, 3);
	ml_tmap_put(m, 0, 5);		/* line 1: "aaa." + "...." */
	ml_tmap_put(m, 0, 8 * 3);	/* three lines of "." */
	ml_tmap_put(m, 2, 2);		/* a partial line */
	ml_tmap_put(m, 7, 1);		/* out of range: drawn as value 0 */
	ml_tmap_end(m);
	/* 2^40 units of one value: one printed line and a fold, no loop per unit. */
	ml_tmap_section(m, 0);
	ml_tmap_put(m, 1, (uint64_t)1 << 40);
	ml_tmap_end(m);
}

static void test_tmap(void **st)
{
	(void)st;
	char *t = tmap_text(4, draw_fold);
	const char *want =
		"  0000000000010000  aaa.\n"
		"  0000000000014000  ....\n"
		"  0000000000018000  ....\n"
		"  000000000001c000  ....\n"
		"                    ... 2 more lines like the one above (64.0 KiB) ...\n"
		"  0000000000030000  bb.\n"
		"  0000000000000000  aaaa\n"
		"  0000000000004000  aaaa\n"
		"                    ... 137438953471 more lines like the one above (4.0 PiB) ...\n";
	assert_string_equal(t, want);
	free(t);
}

static void test_upng_rows(void **st)
{
	(void)st;
	assert_int_equal(ml_upng_rows(256, 0, 0), 1);
	assert_int_equal(ml_upng_rows(256, 0, 256), 2);
	assert_int_equal(ml_upng_rows(256, 0, 257), 3);
	assert_int_equal(ml_upng_rows(256, 255, 1), 2);
	assert_int_equal(ml_upng_rows(256, 255, 2), 3);
	/* A section with more units than announced is refused, not written past the end. */
	FILE *f = tmpfile();
	static const uint8_t pal[2][3] = { { 0, 0, 0 }, { 255, 255, 255 } };
	struct ml_caption cap = { { "title", NULL, NULL, NULL }, NULL, 0 };
	struct ml_upng *u = ml_upng_begin(f, "test.png", 4, 2, 4096, pal, 2, 0, 1, &cap, NULL, 0);
	assert_non_null(u);
	assert_int_equal(ml_upng_section(u, 0x1000, 1), 0);
	assert_int_equal(ml_upng_put(u, 1, 3), 0);
	assert_int_equal(ml_upng_end_section(u), 0);
	assert_int_equal(ml_upng_put(u, 1, 4), -1);
	ml_upng_abort(u);
	fclose(f);
}

static void test_wrap(void **st)
{
	(void)st;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct ml_wrap w;
	ml_wrap_start(&w, f, 30, "legend:", "  ", 2);
	const char *items[] = { "a first item", "second", "a third, longer item", "x", "an item wider than thirty columns" };
	for (size_t i = 0; i < 5; i++)
		ml_wrap_text(&w, "%s", items[i]);
	ml_wrap_end(&w);
	fclose(f);
	assert_string_equal(buf, "legend:  a first item  second\n"
				 "  a third, longer item  x\n"
				 "  an item wider than thirty columns\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_kpageflags),
		cmocka_unit_test(test_physical),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_tmap),
		cmocka_unit_test(test_upng_rows),
		cmocka_unit_test(test_wrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
