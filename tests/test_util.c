/*
 * test_util: checked number parsing and the escaping of untrusted text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	check_escape("del\x7f", "del\\x7f");
	/* bidirectional controls and separators: U+202E, U+200F, U+2066, U+061C, U+2028 */
	check_escape("a\xe2\x80\xae" "b", "a\\xe2\\x80\\xaeb");
	check_escape("\xe2\x80\x8f\xe2\x81\xa6\xd8\x9c\xe2\x80\xa8",
		     "\\xe2\\x80\\x8f\\xe2\\x81\\xa6\\xd8\\x9c\\xe2\\x80\\xa8");
	check_escape("\xe2\x80\x8b", "\xe2\x80\x8b");	/* U+200B is not a control: kept */
	/* JSON form: controls are JSON's to escape, everything else as above */
	char *c = ml_utf8_clean("ok\x01\xfe\x7f\\");
	assert_string_equal(c, "ok\x01\\xfe\\x7f\\\\");
	free(c);
	/* the four characters \xff and the byte 0xff no longer meet */
	char *a = ml_utf8_clean("\\xff"), *b = ml_utf8_clean("\xff");
	assert_string_not_equal(a, b);
	free(a);
	free(b);
}

/* The documented decoding of the escaped form, written here from util.h's words. */
static size_t unescape(const char *s, unsigned char *out)
{
	size_t n = 0;
	while (*s) {
		if (s[0] == '\\' && s[1] == '\\') { out[n++] = '\\'; s += 2; }
		else if (s[0] == '\\' && s[1] == 'n') { out[n++] = '\n'; s += 2; }
		else if (s[0] == '\\' && s[1] == 't') { out[n++] = '\t'; s += 2; }
		else if (s[0] == '\\' && s[1] == 'r') { out[n++] = '\r'; s += 2; }
		else if (s[0] == '\\' && s[1] == 'x') {
			char h[3] = { s[2], s[3], 0 };
			out[n++] = (unsigned char)strtoul(h, NULL, 16);
			s += 4;
		} else {
			out[n++] = (unsigned char)*s++;
		}
	}
	return n;
}

/* Injective: 200,000 random byte strings (biased to the tricky bytes) decode back exactly. */
static void test_escape_roundtrip(void **st)
{
	(void)st;
	static const unsigned char tricky[] = { '\\', 'x', 'f', '\n', 0x7f, 0xff, 0xc2, 0x9b, 0xe2, 0x80,
						0xae, 0x81, 0xa6, 0xd8, 0x9c, 0xc3, 0xa9, 'a', 0x1b, 0xf0 };
	unsigned seed = 12345;
	for (int round = 0; round < 200000; round++) {
		unsigned char in[24], back[24 * 4];
		size_t len = 1 + (seed = seed * 1103515245 + 12345) % 23;
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245 + 12345;
			in[i] = (seed >> 16) % 3 ? tricky[(seed >> 8) % sizeof tricky] : (unsigned char)(seed >> 20);
			if (!in[i])
				in[i] = 1;
		}
		in[len] = 0;
		for (int json = 0; json < 2; json++) {
			char *e = json ? ml_utf8_clean((char *)in) : ml_escape((char *)in);
			size_t n = unescape(e, back);
			assert_int_equal(n, len);
			assert_memory_equal(back, in, len);
			free(e);
		}
	}
}

/* The progress line on a terminal: replayed, a shorter line leaves nothing stale. */
static void test_progress(void **st)
{
	(void)st;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ml_progress(f, "53%% (1023.9 KiB of 2.0 GiB)");
	ml_progress(f, "54%% (1.0 MiB of 2.0 GiB)");
	fflush(f);
	/* a terminal: \r goes to column 0, ESC[K erases to the end of the line */
	char screen[128] = "";
	size_t col = 0;
	for (size_t i = 0; i < len; i++) {
		if (!strncmp(buf + i, "\033[K", 3)) {
			screen[col] = '\0';
			i += 2;
		} else if (buf[i] == '\r') {
			col = 0;
		} else {
			size_t l = strlen(screen);
			screen[col++] = buf[i];
			if (col > l)
				screen[col] = '\0';
		}
	}
	assert_string_equal(screen, "54% (1.0 MiB of 2.0 GiB)");
	ml_progress_end(f);
	fflush(f);
	assert_string_equal(buf + len - 4, "\r\033[K");
	fclose(f);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_roundtrip),
		cmocka_unit_test(test_progress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
