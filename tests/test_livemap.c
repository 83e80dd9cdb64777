/*
 * test_livemap: the page classes livemap gives for this very process,
 * which knows what it did to each page: touched, never touched, read
 * only (the zero page mapped in), a guard page, a part unmapped after /proc/self/maps was read, and a mapping
 * longer than one window (32 MiB).  Each case with PAGEMAP_SCAN and with
 * plain pagemap reads.
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

#include "livemap.h"
#include "source.h"
#include "util.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

static size_t ps;

/* n read-write pages between two PROT_NONE ones, so no neighbour merges with them. */
static char *fenced(size_t n)
{
	char *f = mmap(NULL, (n + 2) * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(f != MAP_FAILED);
	char *a = mmap(f + ps, n * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	assert_true(a == f + ps);
	return a;
}

/* The maps line of the mapping at addr, as the live source parses it. */
static void region_at(uintptr_t addr, struct ml_region *r)
{
	char *maps = ml_read_text("/proc/self/maps", 1 << 24, NULL);
	assert_non_null(maps);
	bool found = false;
	for (char *line = strtok(maps, "\n"); line && !found; line = strtok(NULL, "\n")) {
		if (ml_parse_maps_line(line, r))
			continue;
		if (r->start == addr)
			found = true;
		else
			free(r->path);
	}
	free(maps);
	assert_true(found);
}

/* The classes of pages [first, last) of r, one letter a page. */
static void classes(struct ml_livemap *m, const struct ml_region *r, size_t first, size_t last, char *out)
{
	static const char letter[] = { [ML_LM_MEM] = 'M', [ML_LM_UNTOUCHED] = '.', [ML_LM_GUARD] = 'G',
				       [ML_LM_ZERO] = 'Z', [ML_LM_GONE] = 'X', [ML_LM_UNKNOWN] = '?', [ML_LM_EXITED] = 'E' };
	uint64_t at = r->start + first * ps, end = r->start + last * ps;
	size_t k = 0;
	while (at < end) {
		struct ml_lm_run run;
		ml_livemap_run(m, r, at, end, &run);
		assert_true(run.end > at && run.end <= end);
		/* Runs may stop anywhere inside a page only at the caller's end. */
		for (uint64_t p = at; p < run.end; p += ps)
			out[k++] = letter[run.cls];
		at = run.end;
	}
	out[k] = '\0';
}

static void test_states(void **st)
{
	(void)st;
	size_t n = 64;
	char *a = fenced(n);
	static const int touched[] = { 0, 5, 6, 7, 40 };
	for (size_t i = 0; i < ML_ARRAY_SIZE(touched); i++)
		a[touched[i] * ps] = 1;
	/* Read, never written: the kernel maps its zero page there. */
	assert_int_equal(((volatile char *)a)[30 * ps], 0);
	bool guard = madvise(a + 20 * ps, ps, MADV_GUARD_INSTALL) == 0;
	struct ml_region r;
	region_at((uintptr_t)a, &r);
	assert_int_equal(r.end - r.start, n * ps);
	/* Unmapped after maps was read: PROCMAP_QUERY must see it gone. */
	assert_int_equal(munmap(a + 50 * ps, 10 * ps), 0);
	char want[65], got[65];
	snprintf(want, sizeof want, "%s%s%s%s%s%s%s%s%s%s", "M....MMM", "............", guard ? "G" : ".",
		 ".........", "Z", ".........", "M", ".........", "XXXXXXXXXX", "....");
	for (int scan = 1; scan >= 0; scan--) {
		struct ml_livemap *m = ml_livemap_open(getpid());
		assert_non_null(m);
		ml_livemap_use_scan(m, scan);
		classes(m, &r, 0, n, got);
		assert_string_equal(got, want);
		/* Asked from the middle, and in small steps: the same answers. */
		classes(m, &r, 6, 41, got);
		assert_true(!strncmp(got, want + 6, 35));
		/* And back again: a reader may return to pages it passed. */
		classes(m, &r, 0, 8, got);
		assert_true(!strncmp(got, want, 8));
		classes(m, &r, 5, 8, got);
		assert_true(!strncmp(got, want + 5, 3));
		ml_livemap_close(m);
	}
	free(r.path);
	munmap(a - ps, (n + 2) * ps);
}

/*
 * A reader that returns to a page it has passed (a short read after a long
 * one) must get the same class: the cached PAGEMAP_SCAN answer is walked
 * forward, and must be walked back from its start when asked behind.
 */
static void test_backwards(void **st)
{
	(void)st;
	char *a = fenced(5);
	memset(a, 1, 4 * ps);
	struct ml_region r;
	region_at((uintptr_t)a, &r);
	char got[8];
	for (int scan = 1; scan >= 0; scan--) {
		struct ml_livemap *m = ml_livemap_open(getpid());
		ml_livemap_use_scan(m, scan);
		classes(m, &r, 0, 5, got);
		assert_string_equal(got, "MMMM.");
		classes(m, &r, 0, 1, got);
		assert_string_equal(got, "M");
		classes(m, &r, 4, 5, got);
		assert_string_equal(got, ".");
		classes(m, &r, 2, 4, got);
		assert_string_equal(got, "MM");
		ml_livemap_close(m);
	}
	free(r.path);
	munmap(a - ps, 7 * ps);
}

static void test_long_mapping(void **st)
{
	(void)st;
	size_t n = (40u << 20) / ps;	/* longer than one window of 8192 pages */
	char *a = fenced(n);
	a[(n - 1) * ps] = 1;
	a[8192 * ps] = 1;	/* the first page of the second window */
	struct ml_region r;
	region_at((uintptr_t)a, &r);
	char *got = malloc(n + 1);
	for (int scan = 1; scan >= 0; scan--) {
		struct ml_livemap *m = ml_livemap_open(getpid());
		ml_livemap_use_scan(m, scan);
		classes(m, &r, 0, n, got);
		for (size_t i = 0; i < n; i++)
			if (got[i] != (i == n - 1 || i == 8192 ? 'M' : '.'))
				fail_msg("scan %d: page %zu is '%c'", scan, i, got[i]);
		ml_livemap_close(m);
	}
	free(got);
	free(r.path);
	munmap(a - ps, (n + 2) * ps);
}

int main(void)
{
	ps = (size_t)sysconf(_SC_PAGESIZE);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_long_mapping),
		cmocka_unit_test(test_backwards),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
