/*
 * test_elfcore: NT_FILE decoding from byte arrays built here — the kernel's
 * page_size 4096 convention, gdb's page_size 1, 32-bit and big-endian
 * words, and notes cut short at every possible length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "elfcore.h"

struct buf {
	unsigned char b[1024];
	size_t n;
};

static void put(struct buf *b, uint64_t v, unsigned ws, int big)
{
	for (unsigned i = 0; i < ws; i++)
		b->b[b->n + (big ? ws - 1 - i : i)] = (unsigned char)(v >> (8 * i));
	b->n += ws;
}

static void puts_(struct buf *b, const char *s)
{
	memcpy(b->b + b->n, s, strlen(s) + 1);
	b->n += strlen(s) + 1;
}

/* Two mappings of /bin/x at file page 0 and 3 (in units of psz). */
static struct buf note(unsigned ws, int big, uint64_t psz)
{
	struct buf b = { .n = 0 };
	put(&b, 2, ws, big);
	put(&b, psz, ws, big);
	put(&b, 0x400000, ws, big);
	put(&b, 0x401000, ws, big);
	put(&b, 0, ws, big);
	put(&b, 0x403000, ws, big);
	put(&b, 0x405000, ws, big);
	put(&b, psz == 1 ? 0x3000 : 3, ws, big);
	puts_(&b, "/bin/x");
	puts_(&b, "/tmp/odd name (deleted)");
	return b;
}

static void check_full(const struct buf *b, unsigned ws, int big)
{
	struct ml_ntfile f;
	assert_int_equal(ml_ntfile_decode(b->b, b->n, ws, big, &f), 0);
	assert_int_equal(f.n, 2);
	assert_false(f.truncated);
	assert_int_equal(f.e[0].start, 0x400000);
	assert_int_equal(f.e[0].end, 0x401000);
	assert_int_equal(f.e[0].offset, 0);
	assert_int_equal(f.e[1].offset, 0x3000);	/* bytes, whatever the unit */
	assert_string_equal(f.e[0].path, "/bin/x");
	assert_string_equal(f.e[1].path, "/tmp/odd name (deleted)");
	ml_ntfile_free(&f);
}

static void test_kernel_convention(void **st)
{
	(void)st;
	struct buf b = note(8, 0, 4096);
	check_full(&b, 8, 0);
}

static void test_gdb_convention(void **st)
{
	(void)st;
	struct buf b = note(8, 0, 1);
	check_full(&b, 8, 0);
}

static void test_32bit_and_big_endian(void **st)
{
	(void)st;
	struct buf b = note(4, 0, 4096);
	check_full(&b, 4, 0);
	b = note(8, 1, 4096);
	check_full(&b, 8, 1);
}

static void test_truncated_everywhere(void **st)
{
	(void)st;
	struct buf b = note(8, 0, 4096);
	for (size_t len = 0; len < b.n; len++) {
		struct ml_ntfile f;
		unsigned char *copy = malloc(len ? len : 1);
		memcpy(copy, b.b, len);	/* exact-size buffer: ASan sees any overread */
		int r = ml_ntfile_decode(copy, len, 8, 0, &f);
		if (len < 16) {
			assert_int_equal(r, -1);
		} else {
			assert_int_equal(r, 0);
			assert_true(f.truncated);
			assert_true(f.n < 2);
			ml_ntfile_free(&f);
		}
		free(copy);
	}
}

static void test_hostile_counts(void **st)
{
	(void)st;
	struct buf b = { .n = 0 };
	put(&b, UINT64_MAX, 8, 0);	/* absurd count */
	put(&b, 4096, 8, 0);
	put(&b, 0x1000, 8, 0);
	put(&b, 0x2000, 8, 0);
	put(&b, UINT64_MAX, 8, 0);	/* offset × page size overflows */
	struct ml_ntfile f;
	assert_int_equal(ml_ntfile_decode(b.b, b.n, 8, 0, &f), 0);
	assert_true(f.truncated);
	assert_int_equal(f.n, 0);
	ml_ntfile_free(&f);

	b.n = 0;
	put(&b, 1, 8, 0);
	put(&b, 0, 8, 0);	/* page size 0 */
	assert_int_equal(ml_ntfile_decode(b.b, b.n, 8, 0, &f), -1);
}

static void test_prpsinfo(void **st)
{
	(void)st;
	unsigned char d[136] = { 0 };
	d[24] = 0x39;
	d[25] = 0x30;	/* pid 12345 */
	memcpy(d + 40, "specimen", 8);
	memcpy(d + 56, "./specimen --files /tmp", 23);
	int pid;
	char name[17], args[81];
	assert_int_equal(ml_prpsinfo_decode(d, sizeof d, &pid, name, args), 0);
	assert_int_equal(pid, 12345);
	assert_string_equal(name, "specimen");
	assert_string_equal(args, "./specimen --files /tmp");
	assert_int_equal(ml_prpsinfo_decode(d, 135, &pid, name, args), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_convention),
		cmocka_unit_test(test_gdb_convention),
		cmocka_unit_test(test_32bit_and_big_endian),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_hostile_counts),
		cmocka_unit_test(test_prpsinfo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
