/*
 * test_lime: LiME range headers — a header built byte by byte from the
 * format description, inclusive ends, and each kind of corruption.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lime.h"

static void test_parse_literal(void **st)
{
	(void)st;
	/* "EMiL", version 1, start 0x1000, end 0x1fff, 8 reserved bytes. */
	static const unsigned char b[32] = {
		0x45, 0x4d, 0x69, 0x4c, 1, 0, 0, 0,
		0x00, 0x10, 0, 0, 0, 0, 0, 0,
		0xff, 0x1f, 0, 0, 0, 0, 0, 0,
	};
	struct ml_lime_hdr h;
	assert_int_equal(ml_lime_parse(b, &h), ML_LIME_OK);
	assert_int_equal(h.start, 0x1000);
	assert_int_equal(h.end, 0x1fff);
	unsigned char w[32];
	ml_lime_write(w, 0x1000, 0x1fff);
	assert_memory_equal(w, b, 32);
}

static void test_corrupt(void **st)
{
	(void)st;
	unsigned char b[32];
	struct ml_lime_hdr h;
	ml_lime_write(b, 0x2000, 0x1000);
	assert_int_equal(ml_lime_parse(b, &h), ML_LIME_BAD_RANGE);
	ml_lime_write(b, 0, UINT64_MAX);
	assert_int_equal(ml_lime_parse(b, &h), ML_LIME_BAD_RANGE);
	ml_lime_write(b, 0, 0xfff);
	b[4] = 2;
	assert_int_equal(ml_lime_parse(b, &h), ML_LIME_BAD_VERSION);
	memcpy(b, "AVML", 4);
	assert_int_equal(ml_lime_parse(b, &h), ML_LIME_AVML);
	memcpy(b, "JUNK", 4);
	assert_int_equal(ml_lime_parse(b, &h), ML_LIME_BAD_MAGIC);
	assert_non_null(strstr(ml_lime_strerror(ML_LIME_BAD_MAGIC), "magic"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_literal),
		cmocka_unit_test(test_corrupt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
