/*
 * test_cli: the shared-option machinery of cli.c against a command table
 * of its own — what a row takes is accepted, what it does not take is
 * refused (exit 2, one line), near misses are named, SOURCE kinds are
 * told apart before anything is opened.  The real table is exercised by
 * tests/cli_matrix.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

enum { OPT_WIDTH = ML_OPT_FIRST_CMD, OPT_FAST };
static const struct option pic_opts[] = {
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ NULL, 0, NULL, 0 },
};
static const struct option list_opts[] = {
	{ "fast", no_argument, NULL, OPT_FAST },
	{ NULL, 0, NULL, 0 },
};
static int run(int argc, char **argv) { (void)argc; (void)argv; return 0; }

const struct ml_command ml_commands[] = {
	{ "picture", run, "", "Usage: picture\n", pic_opts,
	  ML_CMD_SOURCE | ML_CMD_FREEZE | ML_CMD_REGION | ML_CMD_OUT | ML_CMD_OUT_NEEDED | ML_CMD_MAP, "a .png", NULL },
	{ "list", run, "", "Usage: list\n", list_opts, ML_CMD_SOURCE | ML_CMD_JSON, NULL, "x" },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

/* Parses a command line for cmd; returns 0, or -1 as ml_cli_next/done report. */
static int parse(const char *cmd, struct ml_cli *c, int *own, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	va_start(ap, own);
	argv[argc++] = (char *)cmd;
	for (char *a; (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	static char *keep[32];	/* getopt permutes argv: keep it alive for c */
	memcpy(keep, argv, sizeof argv);
	ml_cmd = cmd;
	ml_cli_init(c, argc, keep);
	int opt, n = 0;
	while ((opt = ml_cli_next(c)) > 0)
		n++;
	if (own)
		*own = n;
	if (opt < 0)
		return -1;
	return ml_cli_done(c);
}

static void test_distance(void **st)
{
	(void)st;
	assert_int_equal(ml_edit_distance("image", "image"), 0);
	assert_int_equal(ml_edit_distance("imgae", "image"), 1);	/* one transposition */
	assert_int_equal(ml_edit_distance("regoins", "regions"), 1);
	assert_int_equal(ml_edit_distance("imag", "image"), 1);
	assert_int_equal(ml_edit_distance("", "abc"), 3);
	assert_int_equal(ml_edit_distance("kitten", "sitting"), 3);
	ml_cmd = NULL;
	assert_string_equal(ml_nearest_command("pictrue"), "picture");
	assert_string_equal(ml_nearest_command("lst"), "list");
	assert_null(ml_nearest_command("frobnicate"));
}

static void test_accepts_its_row(void **st)
{
	(void)st;
	struct ml_cli c;
	int own;
	assert_int_equal(parse("picture", &c, &own, "1", "-o", "x.png", "--map", "m.json", "--region",
			       "heap", "--freeze", "--strict", "--width", "5", NULL), 0);
	assert_int_equal(own, 1);
	assert_string_equal(c.out, "x.png");
	assert_string_equal(c.map, "m.json");
	assert_string_equal(c.source, "1");
	assert_true(c.live);
	assert_true(c.open.freeze);
	assert_true(c.strict);
	assert_int_equal(c.nspecs, 1);
	ml_cli_free(&c);
	assert_int_equal(parse("list", &c, &own, "/some/file", "--json", "--fast", "--as", "raw", "--base",
			       "1000", NULL), 0);
	assert_true(c.json);
	assert_false(c.live);
	assert_ptr_equal(c.open.as, ml_source_kind_named("raw"));
	assert_int_equal(c.open.base, 0x1000);
	ml_cli_free(&c);
}

static void test_refuses_what_the_row_lacks(void **st)
{
	(void)st;
	struct ml_cli c;
	/* list takes no -o, --map, --region or --freeze; picture no --json */
	assert_int_equal(parse("list", &c, NULL, "1", "-o", "x", NULL), -1);
	ml_cli_free(&c);
	assert_int_equal(parse("list", &c, NULL, "1", "--map", "x", NULL), -1);
	ml_cli_free(&c);
	assert_int_equal(parse("list", &c, NULL, "1", "--region", "heap", NULL), -1);
	ml_cli_free(&c);
	assert_int_equal(parse("list", &c, NULL, "1", "--freeze", NULL), -1);
	ml_cli_free(&c);
	assert_int_equal(parse("picture", &c, NULL, "1", "-o", "x.png", "--json", NULL), -1);
	ml_cli_free(&c);
	/* another command's option, and a plain unknown one */
	assert_int_equal(parse("list", &c, NULL, "1", "--width", "3", NULL), -1);
	ml_cli_free(&c);
	assert_int_equal(parse("list", &c, NULL, "1", "--bogus", NULL), -1);
	ml_cli_free(&c);
	/* a missing -o, a missing SOURCE, an extra operand */
	assert_int_equal(parse("picture", &c, NULL, "1", NULL), -1);
	ml_cli_free(&c);
	assert_int_equal(parse("picture", &c, NULL, "-o", "x.png", NULL), -1);
	ml_cli_free(&c);
	assert_int_equal(parse("list", &c, NULL, "1", "2", NULL), -1);
	ml_cli_free(&c);
}

static void test_source_kinds(void **st)
{
	(void)st;
	struct ml_cli c;
	/* process-only and file-only options */
	assert_int_equal(parse("picture", &c, NULL, "/a/file", "-o", "x.png", "--freeze", NULL), -1);
	ml_cli_free(&c);
	assert_int_equal(parse("list", &c, NULL, "pid:42", "--as", "core", NULL), -1);
	ml_cli_free(&c);
	assert_int_equal(parse("list", &c, NULL, "self", "--base", "0x1000", NULL), -1);
	ml_cli_free(&c);
	assert_int_equal(parse("list", &c, NULL, "/a/file", "--as", "core", "--base", "10", NULL), -1);
	ml_cli_free(&c);
	/* malformed pids */
	assert_int_equal(parse("list", &c, NULL, "pid:abc", NULL), -1);
	ml_cli_free(&c);
	assert_int_equal(parse("list", &c, NULL, "pid:0", NULL), -1);
	ml_cli_free(&c);
	assert_int_equal(parse("list", &c, NULL, "99999999999", NULL), -1);
	ml_cli_free(&c);
	/* memlens cannot stop itself */
	assert_int_equal(parse("picture", &c, NULL, "self", "-o", "x.png", "--freeze", NULL), -1);
	ml_cli_free(&c);
	assert_int_equal(parse("list", &c, NULL, "pid:1234", NULL), 0);
	assert_true(c.live);
	ml_cli_free(&c);
	/* a mode that reads no SOURCE refuses the source options */
	ml_cmd = "picture";
	char *argv[] = { "picture", "--freeze", "-o", "x.png", NULL };
	ml_cli_init(&c, 4, argv);
	assert_int_equal(ml_cli_next(&c), 0);
	ml_cli_mode(&c, "--everything");
	assert_int_equal(ml_cli_done(&c), -1);
	ml_cli_free(&c);
	char *argv2[] = { "picture", "-o", "x.png", NULL };
	ml_cli_init(&c, 3, argv2);
	assert_int_equal(ml_cli_next(&c), 0);
	ml_cli_mode(&c, "--everything");
	assert_int_equal(ml_cli_done(&c), 0);
	ml_cli_free(&c);
}

static void test_standard_output(void **st)
{
	(void)st;
	struct ml_cli c;
	/* the test's stdout is a file or a pipe here, never a terminal */
	if (isatty(STDOUT_FILENO))
		skip();
	assert_int_equal(parse("picture", &c, NULL, "1", "-o", "-", NULL), 0);
	ml_cli_free(&c);
	assert_int_equal(parse("picture", &c, NULL, "1", "-o", "-", "--map", "-", NULL), -1);
	ml_cli_free(&c);
	assert_int_equal(parse("picture", &c, NULL, "1", "-o", "", NULL), -1);
	ml_cli_free(&c);
}

static void test_strict(void **st)
{
	(void)st;
	struct ml_cli c = { .strict = false };
	ml_warnings = 0;
	assert_int_equal(ml_cli_finish(&c, true), ML_EXIT_OK);
	c.strict = true;
	assert_int_equal(ml_cli_finish(&c, false), ML_EXIT_OK);
	assert_int_equal(ml_cli_finish(&c, true), ML_EXIT_FAIL);
	ml_warnings = 1;
	assert_int_equal(ml_cli_finish(&c, false), ML_EXIT_FAIL);
	ml_warnings = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_accepts_its_row),
		cmocka_unit_test(test_refuses_what_the_row_lacks),
		cmocka_unit_test(test_source_kinds),
		cmocka_unit_test(test_standard_output),
		cmocka_unit_test(test_strict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
