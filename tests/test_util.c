/*
 * test_util: checked number parsing and the escaping of untrusted text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "util.h"

static void test_parse(void **st)
{
	(void)st;
	uint64_t v;
	assert_int_equal(ml_parse_uint("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(ml_parse_uint("0x10", 0, 100, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(ml_parse_uint("101", 0, 100, &v), -1);
	assert_int_equal(ml_parse_uint("-1", 0, 100, &v), -1);
	assert_int_equal(ml_parse_uint(" 1", 0, 100, &v), -1);
	assert_int_equal(ml_parse_uint("1x", 0, 100, &v), -1);
	assert_int_equal(ml_parse_uint("", 0, 100, &v), -1);
	assert_int_equal(ml_parse_uint("99999999999999999999999", 0, UINT64_MAX, &v), -1);
	assert_int_equal(ml_parse_addr("7fffDEAD", &v), 0);
	assert_int_equal(v, 0x7fffdead);
	assert_int_equal(ml_parse_addr("0x", &v), -1);
	assert_int_equal(ml_parse_size("4K", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(ml_parse_size("2M", &v), 0);
	assert_int_equal(v, 2 << 20);
	assert_int_equal(ml_parse_size("0x10G", &v), 0);
	assert_int_equal(v, 16ull << 30);
	assert_int_equal(ml_parse_size("99999999999T", &v), -1);
}

static void check_escape(const char *in, const char *want)
{
	char *e = ml_escape(in);
	assert_string_equal(e, want);
	free(e);
}

static void test_escape(void **st)
{
	(void)st;
	check_escape("/usr/lib/libc.so.6", "/usr/lib/libc.so.6");
	check_escape("a\nb\tc\\d", "a\\nb\\tc\\\\d");
	check_escape("\033[2J", "\\x1b[2J");
	check_escape("caf\xc3\xa9", "caf\xc3\xa9");	/* valid UTF-8 stays */
	check_escape("bad\xff", "bad\\xff");
	check_escape("\xc2\x9b" "31m", "\\xc2\\x9b31m");	/* C1 CSI */
	check_escape("\xe0\x80\xaf", "\\xe0\\x80\\xaf");	/* overlong */
	char *c = ml_utf8_clean("ok\x01\xfe");
	assert_string_equal(c, "ok\x01\\xfe");
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
