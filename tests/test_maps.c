/*
 * test_maps: the /proc/PID/maps line parser on lines as the kernel prints
 * them — padded path column, paths with spaces, " (deleted)", pseudo-paths,
 * anonymous mappings — and on malformed lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

static struct ml_region parse_ok(const char *line)
{
	struct ml_region r;
	assert_int_equal(ml_parse_maps_line(line, &r), 0);
	return r;
}

static void test_file_padded(void **st)
{
	(void)st;
	struct ml_region r = parse_ok(
		"55d0c8a4e000-55d0c8a50000 r-xp 00002000 fe:01 1234567                    /usr/bin/cat\n");
	assert_int_equal(r.start, 0x55d0c8a4e000ull);
	assert_int_equal(r.end, 0x55d0c8a50000ull);
	assert_int_equal(r.prot, ML_PROT_R | ML_PROT_X);
	assert_int_equal(r.file_offset, 0x2000);
	assert_int_equal(r.dev_major, 0xfe);
	assert_int_equal(r.dev_minor, 1);
	assert_int_equal(r.inode, 1234567);
	assert_int_equal(r.kind, ML_KIND_FILE);
	assert_string_equal(r.path, "/usr/bin/cat");
	assert_false(r.deleted);
	free(r.path);
}

static void test_spaces_and_deleted(void **st)
{
	(void)st;
	/* Column 73 holds the path's first byte, even when it is a space. */
	char line[256];
	snprintf(line, sizeof line, "%-73s%s", "7f0000000000-7f0000002000 rw-s 00000000 00:05 42",
		 " lead and  two (deleted)");
	struct ml_region r = parse_ok(line);
	assert_string_equal(r.path, " lead and  two");
	assert_true(r.deleted);
	assert_int_equal(r.prot, ML_PROT_R | ML_PROT_W | ML_PROT_SHARED);
	free(r.path);

	r = parse_ok("7f0000000000-7f0000002000 r--p 00000000 08:01 99 /tmp/with space.bin");
	assert_string_equal(r.path, "/tmp/with space.bin");
	free(r.path);
}

static void test_long_inode_single_space(void **st)
{
	(void)st;
	/* Past the pad column, seq_pad adds exactly one space. */
	struct ml_region r = parse_ok(
		"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 18446744073709551615 [vsyscall]");
	assert_int_equal(r.kind, ML_KIND_VSYSCALL);
	assert_string_equal(r.path, "[vsyscall]");
	free(r.path);
}

static void test_pseudo(void **st)
{
	(void)st;
	static const struct {
		const char *path;
		enum ml_kind kind;
	} t[] = {
		{ "[heap]", ML_KIND_HEAP }, { "[stack]", ML_KIND_STACK },
		{ "[stack:1234]", ML_KIND_STACK }, { "[vdso]", ML_KIND_VDSO },
		{ "[vvar]", ML_KIND_VVAR }, { "[vvar_vclock]", ML_KIND_VVAR },
		{ "[anon:glibc malloc]", ML_KIND_ANON }, { "[anon_shmem:x]", ML_KIND_ANON },
		{ "[uprobes]", ML_KIND_OTHER }, { "/memfd:blob (deleted)", ML_KIND_FILE },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char line[256];
		snprintf(line, sizeof line, "%-73s%s", "1000-2000 r--p 00000000 00:00 0", t[i].path);
		struct ml_region r = parse_ok(line);
		assert_int_equal(r.kind, t[i].kind);
		free(r.path);
	}
}

static void test_anonymous(void **st)
{
	(void)st;
	struct ml_region r = parse_ok("7f0000000000-7f0000100000 ---p 00000000 00:00 0\n");
	assert_null(r.path);
	assert_int_equal(r.kind, ML_KIND_ANON);
	assert_int_equal(r.prot, 0);
	/* Older kernels padded anonymous lines with trailing spaces. */
	char line[128];
	snprintf(line, sizeof line, "%-73s\n", "7f0000000000-7f0000100000 rw-p 00000000 00:00 0");
	r = parse_ok(line);
	assert_null(r.path);
}

static void test_malformed(void **st)
{
	(void)st;
	static const char *bad[] = {
		"",
		"garbage",
		"1000-2000",
		"2000-1000 r--p 00000000 00:00 0",	/* end before start */
		"1000-1000 r--p 00000000 00:00 0",	/* empty */
		"1000-2000 rwzp 00000000 00:00 0",
		"1000-2000 r--p 0000000g 00:00 0",
		"1000-2000 r--p 00000000 0000 0",
		"1000-2000 r--p 00000000 00:00 x",
		"10000000000000000-2000 r--p 00000000 00:00 0",	/* 17 hex digits */
		"1000-2000 r--p",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ml_region r;
		assert_int_equal(ml_parse_maps_line(bad[i], &r), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_padded),
		cmocka_unit_test(test_spaces_and_deleted),
		cmocka_unit_test(test_long_inode_single_space),
		cmocka_unit_test(test_pseudo),
		cmocka_unit_test(test_anonymous),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
