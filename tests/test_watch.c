/*
 * test_watch: watch.c's frames over this very process, which knows what
 * it writes.  pagemap is played by the test (the linker's --wrap of
 * ml_pagemap_next): it says which pages are present and, like a kernel
 * with CONFIG_MEM_SOFT_DIRTY, which were written since the last frame —
 * so both modes run on any kernel, soft-dirty included (tests/watch_*.sh
 * use the real bits where the kernel has them).  Checked: the changed
 * pages each mode finds, that they agree, which pages each reads, a page
 * first seen resident (zeros: no change; data: changed), a piece that
 * appears or goes, a mapping that changes under a piece, and the ages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pagemap.h"
#include "select.h"
#include "source.h"
#include "util.h"
#include "watch.h"

#define PAGES 16

static size_t ps;
static uint8_t *buf;			/* PAGES pages between two PROT_NONE ones */
static bool present[PAGES], dirty[PAGES];

/* pagemap as the test says: dense words for the pages asked. */
int __wrap_ml_pagemap_next(struct ml_pagemap *pm, bool scan, uint64_t from, uint64_t end, uint64_t *w,
			   size_t max, struct ml_pm_run *run);
int __wrap_ml_pagemap_next(struct ml_pagemap *pm, bool scan, uint64_t from, uint64_t end, uint64_t *w,
			   size_t max, struct ml_pm_run *run)
{
	(void)pm;
	(void)scan;
	size_t n = (size_t)ML_MIN((uint64_t)max, (end - from) / ps);
	for (size_t k = 0; k < n; k++) {
		uint64_t addr = from + k * ps;
		long i = (long)((addr - (uintptr_t)buf) / ps);
		w[k] = 0;
		if (addr >= (uintptr_t)buf && i < PAGES && present[i])
			w[k] = ML_PM_PRESENT | (dirty[i] ? ML_PM_SOFT_DIRTY : 0);
	}
	*run = (struct ml_pm_run){ .end = from + n * ps, .dense = true };
	return 1;
}

static void write_page(int i, uint8_t v)
{
	memset(buf + i * ps, v, ps);
	dirty[i] = true;
}

struct seen {
	bool page[PAGES + 8];
	size_t runs;
};

static void on_changed(void *ctx, uint64_t start, uint64_t end)
{
	struct seen *s = ctx;
	s->runs++;
	for (uint64_t a = start; a < end; a += ps)
		s->page[(a - (uintptr_t)buf) / ps] = true;
}

/* One frame over the selection specs; returns its stats, the changed pages in *out. */
static struct ml_watch_stats frame(struct ml_watch *w, const char *const *specs, size_t nspecs, uint32_t k,
				   struct seen *out)
{
	struct ml_space *s;
	assert_int_equal(ml_space_open(&s, "self", &(struct ml_open_opts){ 0 }), 0);
	struct ml_spec sp[4];
	const char *why;
	for (size_t i = 0; i < nspecs; i++)
		assert_int_equal(ml_spec_parse(specs[i], &sp[i], &why), 0);
	struct ml_selection sel;
	ml_select(s, sp, nspecs, &sel);
	struct ml_watch_stats st;
	memset(out, 0, sizeof *out);
	assert_int_equal(ml_watch_frame(w, s, &sel, k, on_changed, out, &st), 0);
	ml_selection_free(&sel);
	for (size_t i = 0; i < nspecs; i++)
		ml_spec_free(&sp[i]);
	ml_space_close(s);
	/* The frame has cleared the soft-dirty bits (a real kernel's, had it any): so does our pagemap. */
	memset(dirty, 0, sizeof dirty);
	return st;
}

static void expect(const struct seen *s, const int *pages, size_t n)
{
	bool want[PAGES + 8] = { false };
	for (size_t i = 0; i < n; i++)
		want[pages[i]] = true;
	for (int i = 0; i < PAGES + 8; i++)
		if (want[i] != s->page[i])
			fail_msg("page %d: %s, expected %s", i, s->page[i] ? "changed" : "unchanged",
				 want[i] ? "changed" : "unchanged");
}

/* The same story in either mode: both must find the same changes. */
static void story(bool soft)
{
	char spec[64];
	snprintf(spec, sizeof spec, "0x%lx+0x%lx", (unsigned long)(uintptr_t)buf, (unsigned long)(12 * ps));
	const char *one[] = { spec };
	struct ml_watch *w = ml_watch_new(soft);
	struct seen s;
	for (int i = 0; i < PAGES; i++) {
		memset(buf + i * ps, 0x10 + i, ps);
		present[i] = i < 10;	/* 10 and 11 never resident yet */
		dirty[i] = false;
	}
	memset(buf + 10 * ps, 0, 2 * ps);

	struct ml_watch_stats st = frame(w, one, 1, 0, &s);
	expect(&s, NULL, 0);
	assert_int_equal(st.pages, 12);
	assert_int_equal(st.resident, 10);
	assert_int_equal(st.read, 10);

	/* 1 and 5 change, 7 is written with the bytes it had */
	write_page(1, 0xaa);
	write_page(5, 0xbb);
	write_page(7, 0x17);
	st = frame(w, one, 1, 1, &s);
	expect(&s, (int[]){ 1, 5 }, 2);
	assert_int_equal(s.runs, 2);
	assert_int_equal(st.changed, 2);
	assert_int_equal(st.read, soft ? 3 : 10);

	/* 10 comes in by a read (zeros: no change), 11 by a write; 2 and 3 change: one run */
	present[10] = true;
	present[11] = true;
	buf[11 * ps + 9] = 1;
	dirty[11] = true;
	write_page(2, 0xcc);
	write_page(3, 0xcc);
	st = frame(w, one, 1, 2, &s);
	expect(&s, (int[]){ 2, 3, 11 }, 3);
	assert_int_equal(s.runs, 2);
	assert_int_equal(st.read, soft ? 3 : 12);

	/* ages: 2 changed this frame, 1 two frames ago, 0 never, 12 is outside */
	assert_int_equal(ml_watch_age(w, (uintptr_t)buf + 2 * ps, 2), 0);
	assert_int_equal(ml_watch_age(w, (uintptr_t)buf + 1 * ps + 17, 3), 2);
	assert_int_equal(ml_watch_age(w, (uintptr_t)buf, 2), ML_WATCH_NEVER);
	uint32_t ages[3];
	ml_watch_ages(w, 2, 4, ages, 3);	/* pages 0-3, 4-7, 8-11 */
	assert_int_equal(ages[0], 0);
	assert_int_equal(ages[1], 1);
	assert_int_equal(ages[2], 0);

	/* a second piece appears: its resident pages are new; then it goes */
	char spec2[64];
	snprintf(spec2, sizeof spec2, "0x%lx+0x%lx", (unsigned long)((uintptr_t)buf + 13 * ps), (unsigned long)(2 * ps));
	const char *two[] = { spec, spec2 };
	present[13] = present[14] = true;
	st = frame(w, two, 2, 3, &s);
	expect(&s, (int[]){ 13, 14 }, 2);
	assert_true(st.layout);
	st = frame(w, one, 1, 4, &s);
	expect(&s, NULL, 0);
	assert_true(st.layout);
	assert_int_equal(st.vanished, 2);

	/* the mapping changes under the piece (the kernel splits it): what it held went, all of it is new */
	assert_int_equal(mprotect(buf + 8 * ps, 4 * ps, PROT_READ), 0);
	st = frame(w, one, 1, 5, &s);
	expect(&s, (int[]){ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 }, 12);
	assert_true(st.layout);
	/* soft-dirty never read page 10, which only came in by a read: it had nothing of it to forget */
	assert_int_equal(st.vanished, soft ? 11 : 12);
	assert_int_equal(mprotect(buf + 8 * ps, 4 * ps, PROT_READ | PROT_WRITE), 0);
	ml_watch_free(w);
}

static void test_hash(void **st)
{
	(void)st;
	story(false);
}

static void test_soft_dirty(void **st)
{
	(void)st;
	story(true);
}

int main(void)
{
	ps = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *f = mmap(NULL, (PAGES + 2) * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f == MAP_FAILED)
		return 1;
	buf = mmap(f + ps, PAGES * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (buf != f + ps)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_soft_dirty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
