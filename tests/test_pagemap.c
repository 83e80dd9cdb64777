/*
 * test_pagemap: decoding synthetic pagemap and kpageflags words — each
 * state, the guard bit before the swapped bit, the counters, and the
 * classes of physical frames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "pagemap.h"

#define KF(b) (1ull << ML_KPF_##b)

static void test_states(void **st)
{
	(void)st;
	struct ml_pm_counts c;
	memset(&c, 0, sizeof c);
	assert_int_equal(ml_pm_classify(0, 0, 0, &c, false), ML_ST_NONE);
	assert_int_equal(ml_pm_classify(ML_PM_PRESENT | ML_PM_EXCLUSIVE | 0x1234, 0, 0, &c, false), ML_ST_ANON);
	assert_int_equal(ml_pm_classify(ML_PM_PRESENT | ML_PM_FILE, 0, 0, &c, false), ML_ST_FILE);
	assert_int_equal(ml_pm_classify(ML_PM_SWAPPED | (7ull << 5) | 2, 0, 0, &c, false), ML_ST_SWAP);
	/* Seen on 6.18: a guard page's word.  Guard, never swapped. */
	assert_int_equal(ml_pm_classify(0x440000000000009full, 0, 0, &c, false), ML_ST_GUARD);
	assert_int_equal(ml_pm_classify(ML_PM_SOFT_DIRTY, 0, 0, &c, false), ML_ST_NONE);
	assert_int_equal(c.pages, 6);
	assert_int_equal(c.present, 2);
	assert_int_equal(c.anon, 1);
	assert_int_equal(c.file, 1);
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
	assert_int_equal(ml_pm_classify(w, KF(THP) | KF(COMPOUND_HEAD) | KF(LRU) | KF(ACTIVE), 1, &c, true), ML_ST_THP);
	assert_int_equal(ml_pm_classify(w, KF(ZERO_PAGE), 5, &c, true), ML_ST_ZERO);
	assert_int_equal(ml_pm_classify(w | ML_PM_FILE, KF(LRU) | KF(DIRTY) | KF(KSM), 2, &c, true), ML_ST_FILE);
	assert_int_equal(ml_pm_classify(w, KF(THP) | KF(COMPOUND_TAIL) | KF(UNEVICTABLE) | KF(MLOCKED), 1, &c, true),
			 ML_ST_THP);
	assert_int_equal(c.thp, 2);
	assert_int_equal(c.compound_head, 1);
	assert_int_equal(c.compound_tail, 1);
	assert_int_equal(c.unevictable, 1);
	assert_int_equal(c.mlocked, 1);
	assert_int_equal(c.zero, 1);
	assert_int_equal(c.ksm, 1);
	assert_int_equal(c.shared, 2);
	assert_int_equal(c.active, 1);
	assert_int_equal(c.inactive, 1);	/* the THP tail is not on an LRU */
	assert_int_equal(c.dirty, 1);
	/* Without kpageflags nothing of it is counted. */
	memset(&c, 0, sizeof c);
	assert_int_equal(ml_pm_classify(w, KF(THP), 9, &c, false), ML_ST_ANON);
	assert_int_equal(c.thp + c.shared, 0);
}

static void test_physical(void **st)
{
	(void)st;
	assert_int_equal(ml_phys_classify(KF(BUDDY)), ML_PH_FREE);
	assert_int_equal(ml_phys_classify(0), ML_PH_FREE);	/* a free block's tail */
	assert_int_equal(ml_phys_classify(KF(SLAB)), ML_PH_SLAB);
	assert_int_equal(ml_phys_classify(KF(PGTABLE)), ML_PH_PGTABLE);
	assert_int_equal(ml_phys_classify(KF(ANON) | KF(LRU) | KF(MMAP)), ML_PH_ANON);
	assert_int_equal(ml_phys_classify(KF(LRU) | KF(UPTODATE)), ML_PH_FILE);
	assert_int_equal(ml_phys_classify(KF(THP) | KF(ANON)), ML_PH_HUGE);
	assert_int_equal(ml_phys_classify(KF(ZERO_PAGE)), ML_PH_ZERO);
	assert_int_equal(ml_phys_classify(KF(UPTODATE) | KF(REFERENCED)), ML_PH_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_kpageflags),
		cmocka_unit_test(test_physical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
