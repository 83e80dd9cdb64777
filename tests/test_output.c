/*
 * test_output: output.c's promises, checked on the file system itself —
 * a committed file appears whole with the usual mode, an aborted one
 * leaves nothing, several outputs commit all or none, a replaced file
 * keeps its mode, a symbolic link keeps pointing where it did, devices and
 * FIFOs are written in place and never replaced, and the input, a
 * directory, a socket or a block device are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "output.h"

static char dir[] = "/tmp/ml-test-output.XXXXXX";

static char *at(const char *name)
{
	static char buf[8][512];
	static int k;
	char *b = buf[k++ % 8];
	snprintf(b, sizeof buf[0], "%s/%s", dir, name);
	return b;
}

/* Entries in the test directory (temporary files start with a dot). */
static int entries(void)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void clean(void)
{
	DIR *d = opendir(dir);
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlink(at(e->d_name));
	closedir(d);
}

static void test_commit_and_abort(void **st)
{
	(void)st;
	clean();
	struct ml_out o;
	assert_int_equal(ml_out_open(&o, at("a.png"), NULL), 0);
	assert_false(o.in_place);
	assert_true(o.seekable);
	assert_int_equal(access(at("a.png"), F_OK), -1);	/* nothing there until the commit */
	assert_int_equal(entries(), 1);				/* only the temporary */
	fputs("hello", o.f);
	assert_int_equal(ml_out_commit(&o), 0);
	assert_string_equal(slurp(at("a.png")), "hello");
	assert_int_equal(entries(), 1);
	mode_t um = umask(0);
	umask(um);
	struct stat s;
	assert_int_equal(stat(at("a.png"), &s), 0);
	assert_int_equal(s.st_mode & 0777, 0666 & ~um);

	/* an abort leaves the old file as it was and no temporary */
	assert_int_equal(ml_out_open(&o, at("a.png"), NULL), 0);
	fputs("other", o.f);
	ml_out_abort(&o);
	ml_out_abort(&o);	/* twice is harmless */
	assert_string_equal(slurp(at("a.png")), "hello");
	assert_int_equal(entries(), 1);

	/* a replaced file keeps its mode */
	chmod(at("a.png"), 0640);
	assert_int_equal(ml_out_open(&o, at("a.png"), NULL), 0);
	fputs("new", o.f);
	assert_int_equal(ml_out_commit(&o), 0);
	assert_string_equal(slurp(at("a.png")), "new");
	assert_int_equal(stat(at("a.png"), &s), 0);
	assert_int_equal(s.st_mode & 0777, 0640);
}

static void test_all_or_nothing(void **st)
{
	(void)st;
	clean();
	struct ml_out a, b;
	/* the second output cannot be written (a full device): the first is not committed */
	assert_int_equal(ml_out_open(&a, at("pic.png"), NULL), 0);
	assert_int_equal(ml_out_open(&b, "/dev/full", NULL), 0);
	assert_true(b.in_place);
	fputs("picture", a.f);
	char big[65536] = { 0 };
	fwrite(big, 1, sizeof big, b.f);
	struct ml_out *outs[] = { &a, &b };
	assert_int_equal(ml_out_commit_all(outs, 2), -1);
	assert_int_equal(entries(), 0);
	/* both fine: both there */
	assert_int_equal(ml_out_open(&a, at("pic.png"), NULL), 0);
	assert_int_equal(ml_out_open(&b, at("page.html"), NULL), 0);
	fputs("p", a.f);
	fputs("h", b.f);
	assert_int_equal(ml_out_commit_all(outs, 2), 0);
	assert_string_equal(slurp(at("pic.png")), "p");
	assert_string_equal(slurp(at("page.html")), "h");
	assert_int_equal(entries(), 2);
}

static void test_symlink(void **st)
{
	(void)st;
	clean();
	FILE *f = fopen(at("real.png"), "w");
	fputs("old", f);
	fclose(f);
	assert_int_equal(symlink(at("real.png"), at("link.png")), 0);
	struct ml_out o;
	assert_int_equal(ml_out_open(&o, at("link.png"), NULL), 0);
	fputs("new", o.f);
	assert_int_equal(ml_out_commit(&o), 0);
	struct stat s;
	assert_int_equal(lstat(at("link.png"), &s), 0);
	assert_true(S_ISLNK(s.st_mode));	/* still the link */
	assert_string_equal(slurp(at("real.png")), "new");
	/* a link to nothing is refused, not replaced */
	assert_int_equal(symlink(at("nowhere"), at("dangling.png")), 0);
	assert_int_equal(ml_out_open(&o, at("dangling.png"), NULL), -1);
	assert_int_equal(lstat(at("dangling.png"), &s), 0);
	assert_true(S_ISLNK(s.st_mode));
}

static void test_dev_null(void **st)
{
	(void)st;
	struct ml_out o;
	assert_true(ml_out_is_stream("/dev/null"));
	assert_true(ml_out_is_stream("-"));
	assert_false(ml_out_is_stream("/etc/passwd"));
	assert_int_equal(ml_out_open(&o, "/dev/null", NULL), 0);
	assert_true(o.in_place);
	assert_null(o.tmp);
	fputs("gone", o.f);
	assert_int_equal(ml_out_commit(&o), 0);
	struct stat s;
	assert_int_equal(stat("/dev/null", &s), 0);
	assert_true(S_ISCHR(s.st_mode));
	assert_int_equal(major(s.st_rdev), 1);
	assert_int_equal(minor(s.st_rdev), 3);
	/* a full device: the reason comes back */
	assert_int_equal(ml_out_open(&o, "/dev/full", NULL), 0);
	char big[65536] = { 0 };
	fwrite(big, 1, sizeof big, o.f);
	assert_int_equal(ml_out_commit(&o), -1);
	assert_int_equal(stat("/dev/full", &s), 0);
	assert_true(S_ISCHR(s.st_mode));
}

static void *reader(void *arg)
{
	static char got[64];
	int fd = open(arg, O_RDONLY);
	ssize_t n = read(fd, got, sizeof got - 1);
	got[n > 0 ? n : 0] = '\0';
	close(fd);
	return got;
}

static void test_fifo(void **st)
{
	(void)st;
	clean();
	assert_int_equal(mkfifo(at("pipe"), 0600), 0);
	pthread_t t;
	char *path = at("pipe");
	pthread_create(&t, NULL, reader, path);
	struct ml_out o;
	assert_int_equal(ml_out_open(&o, path, NULL), 0);
	assert_true(o.in_place);
	assert_false(o.seekable);
	fputs("through", o.f);
	assert_int_equal(ml_out_commit(&o), 0);
	void *got;
	pthread_join(t, &got);
	assert_string_equal(got, "through");
	struct stat s;
	assert_int_equal(lstat(path, &s), 0);
	assert_true(S_ISFIFO(s.st_mode));	/* not replaced by a file */
	assert_int_equal(entries(), 1);
}

static void test_refusals(void **st)
{
	(void)st;
	clean();
	struct ml_out o;
	assert_int_equal(ml_out_open(&o, dir, NULL), -1);			/* a directory */
	assert_int_equal(ml_out_open(&o, at("no/such/dir.png"), NULL), -1);	/* cannot create */
	/* a socket */
	int sk = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", at("sock"));
	assert_int_equal(bind(sk, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(ml_out_open(&o, at("sock"), NULL), -1);
	close(sk);
	/* a block device node (root can make one: loop0's numbers) */
	if (mknod(at("disk"), S_IFBLK | 0600, makedev(7, 0)) == 0) {
		assert_int_equal(ml_out_open(&o, at("disk"), NULL), -1);
		struct stat s;
		assert_int_equal(lstat(at("disk"), &s), 0);
		assert_true(S_ISBLK(s.st_mode));
	} else {
		assert_int_equal(errno, EPERM);	/* only a non-root run gets here */
	}
	/* the input itself */
	FILE *f = fopen(at("in.bin"), "w");
	fputs("input", f);
	fclose(f);
	struct stat s;
	stat(at("in.bin"), &s);
	struct ml_space in = { .kind = ml_source_kind_named("raw"), .dev = s.st_dev, .ino = s.st_ino };
	assert_int_equal(ml_out_open(&o, at("in.bin"), &in), -1);
	assert_string_equal(slurp(at("in.bin")), "input");
	/* nothing left behind by any of them */
	assert_int_equal(access(at("no"), F_OK), -1);
}

static void test_ext(void **st)
{
	(void)st;
	assert_string_equal(ml_path_ext("a/b.PNG"), "PNG");
	assert_string_equal(ml_path_ext("a.b/c"), "");
	assert_string_equal(ml_path_ext(".hidden"), "");
	assert_string_equal(ml_path_ext("x.tar.gz"), "gz");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commit_and_abort),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_symlink),
		cmocka_unit_test(test_dev_null),
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_ext),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	clean();
	rmdir(dir);
	return r;
}
