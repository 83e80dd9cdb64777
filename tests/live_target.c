/*
 * live_target: a process that knows what it holds where, for the tests of
 * the live source (tests/live_*.sh).  It maps areas whose pages it leaves
 * untouched (anonymous, a private file mapping that ends past the file's
 * end, a memfd filled through write(), a deleted file), areas it fills
 * with a known pattern, guard pages in the middle of a filled area, and a
 * large filled area it can partly unmap on cue.  It prints one line per
 * area, "NAME START END SEED" (seed -1: untouched), then "ready PID", and
 * obeys lines on stdin:
 *   unmap_mid   unmaps the middle half of the "fault" area, says "done"
 *   exit        exits at once
 * Other modes: "leader_exit" (the main thread exits, a second one lives
 * on: a zombie leader) and "undumpable" (prctl(PR_SET_DUMPABLE, 0)).
 *   live_target DIR [MODE]
 * The pattern of page p of an area with seed k: byte j is (j + 7p + k) mod
 * 256; files hold 'a' + (j + p) mod 26 (tests/live_check.py knows both).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

static size_t ps;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static char *area(const char *name, size_t len, int prot, int flags, int fd, int seed)
{
	char *p = mmap(NULL, len, prot, flags, fd, 0);
	if (p == MAP_FAILED)
		die(name);
	printf("%s %lx %lx %d\n", name, (unsigned long)p, (unsigned long)p + len, seed);
	return p;
}

static void fill_page(unsigned char *page, size_t p, int seed)
{
	for (size_t j = 0; j < ps; j++)
		page[j] = (unsigned char)(j + 7 * p + (size_t)seed);
}

static void fill(char *a, size_t first, size_t pages, int seed)
{
	for (size_t p = first; p < first + pages; p++)
		fill_page((unsigned char *)a + p * ps, p, seed);
}

/* A file of `size` bytes of the file pattern. */
static int make_file(const char *path, size_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die(path);
	char *page = malloc(ps);
	for (size_t off = 0, p = 0; off < size; off += ps, p++) {
		for (size_t j = 0; j < ps; j++)
			page[j] = (char)('a' + (j + p) % 26);
		size_t n = size - off < ps ? size - off : ps;
		if (pwrite(fd, page, n, (off_t)off) != (ssize_t)n)
			die(path);
	}
	free(page);
	return fd;
}

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	ps = (size_t)sysconf(_SC_PAGESIZE);
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	const char *mode = argc > 2 ? argv[2] : "";
	int rw = PROT_READ | PROT_WRITE, priv = MAP_PRIVATE | MAP_ANONYMOUS;
	char path[4096];
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!strcmp(mode, "leader_exit")) {
		pthread_t t;
		if (pthread_create(&t, NULL, idle, NULL))
			die("pthread_create");
		printf("ready %d\n", (int)getpid());
		pthread_exit(NULL);
	}
	if (!strcmp(mode, "undumpable") && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		die("prctl");

	/* The heap, for `memlens heap`: some blocks in use, one freed. */
	void *keep[8];
	for (int i = 0; i < 8; i++)
		memset(keep[i] = malloc(100 + 300 * (size_t)i), i, 100);
	free(keep[3]);

	area("anon_untouched", 64u << 20, rw, priv, -1, 0);

	char *mixed = area("anon_mixed", 16 * ps, rw, priv, -1, 1);
	for (size_t p = 0; p < 16; p += 2)
		fill(mixed, p, 1, 1);

	/* 16 MiB less 1000 bytes of file, mapped 16 MiB and two pages long. */
	snprintf(path, sizeof path, "%s/live_target.data", dir);
	int fd = make_file(path, (16u << 20) - 1000);
	printf("file %s %zu\n", path, (size_t)(16u << 20) - 1000);
	area("file_private", (16u << 20) + 2 * ps, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);

	/* A memfd filled by write(): in its page cache, mapped nowhere yet. */
	int mfd = memfd_create("live_target", 0);
	if (mfd < 0 || ftruncate(mfd, 64 * (off_t)ps))
		die("memfd");
	unsigned char *page = malloc(ps);
	for (size_t p = 0; p < 64; p++) {
		fill_page(page, p, 3);
		if (pwrite(mfd, page, ps, (off_t)(p * ps)) != (ssize_t)ps)
			die("memfd write");
	}
	free(page);
	area("memfd_shared", 64 * ps, rw, MAP_SHARED, mfd, 3);

	char *sh = area("shared_anon", 64 * ps, rw, MAP_SHARED | MAP_ANONYMOUS, -1, 4);
	fill(sh, 0, 1, 4);

	snprintf(path, sizeof path, "%s/live_target.gone", dir);
	fd = make_file(path, 64 * ps);
	area("deleted_private", 64 * ps, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	unlink(path);

	char *g = area("guard", 16 * ps, rw, priv, -1, 5);
	fill(g, 0, 16, 5);
	if (madvise(g + 5 * ps, 2 * ps, MADV_GUARD_INSTALL) == 0)
		printf("guard_hole %lx %lx 0\n", (unsigned long)(g + 5 * ps), (unsigned long)(g + 7 * ps));
	else
		printf("noguard\n");

	/* Four quarters of 16 MiB: filled, filled, untouched, filled. */
	size_t q = 16u << 20;
	char *f = area("fault", 4 * q, rw, priv, -1, 6);
	static const int seeds[4] = { 6, 7, -1, 9 };
	for (int i = 0; i < 4; i++) {
		if (seeds[i] >= 0)
			fill(f, i * q / ps, q / ps, seeds[i]);
		printf("fault_q%d %lx %lx %d\n", i, (unsigned long)(f + i * q),
		       (unsigned long)(f + (i + 1) * q), seeds[i]);
	}

	printf("ready %d\n", (int)getpid());
	char line[64];
	while (fgets(line, sizeof line, stdin)) {
		if (!strcmp(line, "unmap_mid\n")) {
			if (munmap(f + q, 2 * q))
				die("munmap");
			printf("done\n");
		} else if (!strcmp(line, "exit\n")) {
			_exit(0);
		}
	}
	for (;;)
		pause();
}
