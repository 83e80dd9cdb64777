/*
 * test_select: the --region language — keywords, path substrings, ranges
 * in both forms, bad specs — and resolving a selection against a small
 * synthetic address space, including ranges that cut regions and the byte
 * stream over a space with holes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "select.h"

static void test_parse(void **st)
{
	(void)st;
	struct ml_spec s;
	const char *why;
	assert_int_equal(ml_spec_parse("heap", &s, &why), 0);
	assert_int_equal(s.type, ML_SPEC_KIND);
	assert_int_equal(s.kind, ML_KIND_HEAP);
	assert_int_equal(ml_spec_parse("exec", &s, &why), 0);
	assert_int_equal(s.type, ML_SPEC_EXEC);
	assert_int_equal(ml_spec_parse("0x1000-0x2000", &s, &why), 0);
	assert_int_equal(s.type, ML_SPEC_RANGE);
	assert_int_equal(s.start, 0x1000);
	assert_int_equal(s.end, 0x2000);
	assert_int_equal(ml_spec_parse("7f00+10", &s, &why), 0);
	assert_int_equal(s.end, 0x7f10);
	assert_int_equal(ml_spec_parse("0x7f00+4K", &s, &why), 0);
	assert_int_equal(s.end, 0x7f00 + 4096);
	assert_int_equal(ml_spec_parse("libc", &s, &why), 0);
	assert_int_equal(s.type, ML_SPEC_PATH);
	assert_string_equal(s.text, "libc");
	ml_spec_free(&s);
	assert_int_equal(ml_spec_parse("ld-linux", &s, &why), 0);
	assert_int_equal(s.type, ML_SPEC_PATH);
	ml_spec_free(&s);
	assert_int_equal(ml_spec_parse("path:heap", &s, &why), 0);
	assert_int_equal(s.type, ML_SPEC_PATH);
	assert_string_equal(s.text, "heap");
	ml_spec_free(&s);
}

static void test_parse_bad(void **st)
{
	(void)st;
	struct ml_spec s;
	const char *why;
	assert_int_equal(ml_spec_parse("", &s, &why), -1);
	assert_int_equal(ml_spec_parse("path:", &s, &why), -1);
	assert_int_equal(ml_spec_parse("0x2000-0x1000", &s, &why), -1);
	assert_int_equal(ml_spec_parse("0x2000-0x2000", &s, &why), -1);
	assert_int_equal(ml_spec_parse("0x2000+0", &s, &why), -1);
	assert_int_equal(ml_spec_parse("0xffffffffffffffff+2", &s, &why), -1);
	/* a spec that starts like a range must be one, and the bad part is named */
	assert_int_equal(ml_spec_parse("0x10+zz", &s, &why), -1);
	assert_non_null(strstr(why, "'zz'"));
	assert_int_equal(ml_spec_parse("0x7f+2X", &s, &why), -1);
	assert_non_null(strstr(why, "'2X'"));
	assert_int_equal(ml_spec_parse("0x1-", &s, &why), -1);
	assert_non_null(strstr(why, "end address is missing"));
	assert_int_equal(ml_spec_parse("0x1+", &s, &why), -1);
	assert_non_null(strstr(why, "length is missing"));
	assert_int_equal(ml_spec_parse("0xg0-0x100", &s, &why), -1);
	assert_non_null(strstr(why, "'0xg0'"));
	assert_int_equal(ml_spec_parse("0x10", &s, &why), -1);
	assert_non_null(strstr(why, "one address"));
	assert_int_equal(ml_spec_parse("7f00-xyz", &s, &why), -1);
	assert_int_equal(ml_spec_parse("cafe-data", &s, &why), -1);	/* hex, then '-': a range */
	/* words that merely contain - or + stay path searches */
	assert_int_equal(ml_spec_parse("ld-linux", &s, &why), 0);
	assert_int_equal(s.type, ML_SPEC_PATH);
	ml_spec_free(&s);
	assert_int_equal(ml_spec_parse("libstdc++", &s, &why), 0);
	assert_int_equal(s.type, ML_SPEC_PATH);
	ml_spec_free(&s);
	assert_string_equal(ml_spec_kind_word(ML_KIND_HEAP), "heap");
	assert_null(ml_spec_kind_word(ML_KIND_OTHER));
}

static struct ml_space *space(void)
{
	/* Three regions with a gap; the middle one only half captured. */
	struct ml_space *s = calloc(1, sizeof *s);
	s->kind = ml_source_kind_named("raw");
	s->caps = ML_CAP_BASE | ML_CAP_FLAT;
	s->n = 3;
	s->r = calloc(3, sizeof *s->r);
	s->r[0] = (struct ml_region){ .start = 0x1000, .end = 0x3000, .kind = ML_KIND_HEAP,
				      .prot = ML_PROT_R | ML_PROT_W, .captured = 0x2000 };
	s->r[1] = (struct ml_region){ .start = 0x3000, .end = 0x5000, .kind = ML_KIND_FILE,
				      .prot = ML_PROT_R | ML_PROT_X, .captured = 0x1000,
				      .path = strdup("/lib/libc.so.6") };
	s->r[2] = (struct ml_region){ .start = 0x8000, .end = 0x9000, .kind = ML_KIND_STACK,
				      .prot = ML_PROT_R | ML_PROT_W, .captured = 0x1000 };
	s->fd = -1;
	return s;
}

static void free_space(struct ml_space *s)
{
	ml_regions_free(s->r, s->n);
	free(s);
}

static void select_specs(struct ml_space *s, const char **args, size_t n, struct ml_selection *sel)
{
	struct ml_spec sp[8];
	const char *why;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ml_spec_parse(args[i], &sp[i], &why), 0);
	ml_select(s, sp, n, sel);
	for (size_t i = 0; i < n; i++)
		ml_spec_free(&sp[i]);
}

static void test_resolve(void **st)
{
	(void)st;
	struct ml_space *s = space();
	struct ml_selection sel;

	ml_select(s, NULL, 0, &sel);
	assert_int_equal(sel.n, 3);
	assert_int_equal(sel.bytes, 0x5000);
	ml_selection_free(&sel);

	const char *a[] = { "stack", "heap" };
	select_specs(s, a, 2, &sel);
	assert_int_equal(sel.n, 2);
	assert_int_equal(sel.p[0].region, 0);	/* address order, not spec order */
	assert_int_equal(sel.p[1].region, 2);
	ml_selection_free(&sel);

	/* A range cuts regions; overlapping ranges merge. */
	const char *b[] = { "0x2800-0x3800", "0x3400+0x800", "0x8f00-0x20000" };
	select_specs(s, b, 3, &sel);
	assert_int_equal(sel.n, 3);
	assert_int_equal(sel.p[0].start, 0x2800);
	assert_int_equal(sel.p[0].end, 0x3000);
	assert_int_equal(sel.p[1].start, 0x3000);
	assert_int_equal(sel.p[1].end, 0x3c00);
	assert_int_equal(sel.p[2].start, 0x8f00);
	assert_int_equal(sel.p[2].end, 0x9000);
	assert_int_equal(sel.bytes, 0x800 + 0xc00 + 0x100);
	ml_selection_free(&sel);

	const char *c[] = { "libc", "exec" };
	select_specs(s, c, 2, &sel);
	assert_int_equal(sel.n, 1);
	assert_int_equal(sel.p[0].region, 1);
	ml_selection_free(&sel);

	const char *d[] = { "0x5000-0x8000" };	/* only the gap */
	select_specs(s, d, 1, &sel);
	assert_int_equal(sel.n, 0);
	ml_selection_free(&sel);
	free_space(s);
}

static void test_stream_holes(void **st)
{
	(void)st;
	struct ml_space *s = space();
	/* No file behind it: captured bytes would fail to read, so mark none. */
	s->r[0].captured = 0;
	s->r[1].captured = 0;
	s->r[2].captured = 0;
	struct ml_selection sel;
	ml_select(s, NULL, 0, &sel);
	struct ml_stream *stream = ml_stream_new(s, &sel, 0x1800);
	struct ml_chunk c;
	uint64_t total = 0, expect_off = 0;
	int n = 0;
	while (ml_stream_next(stream, &c)) {
		assert_true(c.hole);
		assert_null(c.data);
		assert_true(c.len <= 0x1800);
		assert_int_equal(c.offset, expect_off);
		expect_off += c.len;
		total += c.len;
		n++;
	}
	assert_int_equal(total, 0x5000);
	assert_int_equal(ml_stream_hole_bytes(stream), 0x5000);
	assert_true(n >= 4);
	ml_stream_free(stream);
	ml_selection_free(&sel);
	free_space(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_stream_holes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
