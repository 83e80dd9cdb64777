/*
 * snapshot_target: a process that knows its own memory, for the snapshot
 * tests and bench/snapshot.sh.  It maps, each with a known state:
 *
 *   resident  N MiB written with a pattern (each 8-byte word: its address ^ K)
 *   reserve   R MiB of read-write anonymous memory, never touched, but for
 *             one page written at 1 MiB in (so it has an anon_vma)
 *   zeropage  one page only read (it maps the kernel's zero page)
 *   file      a private mapping of FILE (4 pages), never touched
 *   fileeof   a private mapping of 3 pages over a 1-page FILE2 (past its end: SIGBUS)
 *   shared    4 shared anonymous pages, the first two written
 *   guard     4 pages with a guard (MADV_GUARD_INSTALL) on the third
 *
 * and T threads, each blocked in its own function (worker_N's frames).
 * Prints "NAME START END" lines (hex), then "ready PID", and waits.
 *
 *   snapshot_target [-m MiB] [-r MiB] [-t THREADS] [-f FILE -F FILE2] [-b]
 *     -b   keep writing the resident area (a busy target, for --no-freeze)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MiB (1024ul * 1024)
#define K 0x5a5a0f0f12345678ull
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

static volatile uint64_t *busy_area;
static size_t busy_words;

static void show(const char *name, const void *p, size_t len)
{
	printf("%s %lx %lx\n", name, (unsigned long)p, (unsigned long)p + len);
}

/* Each thread waits in a function of its own, so the frames say which it is. */
static void __attribute__((noinline)) wait_here(void)
{
	for (;;)
		pause();
}
static void *__attribute__((noinline)) worker_a(void *a)
{
	(void)a;
	wait_here();
	return NULL;
}
static void *__attribute__((noinline)) worker_b(void *a)
{
	(void)a;
	wait_here();
	return NULL;
}

static void *map(size_t len, int prot, int flags, int fd)
{
	void *p = mmap(NULL, len, prot, flags, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

int main(int argc, char **argv)
{
	size_t res_mib = 8, rsv_mib = 64;
	int threads = 2, opt;
	bool busy = false;
	const char *file = NULL, *file2 = NULL;
	while ((opt = getopt(argc, argv, "m:r:t:f:F:b")) != -1) {
		switch (opt) {
		case 'm': res_mib = strtoul(optarg, NULL, 10); break;
		case 'r': rsv_mib = strtoul(optarg, NULL, 10); break;
		case 't': threads = atoi(optarg); break;
		case 'f': file = optarg; break;
		case 'F': file2 = optarg; break;
		case 'b': busy = true; break;
		default:
			fprintf(stderr, "usage: snapshot_target [-m MiB] [-r MiB] [-t N] [-f FILE -F FILE2] [-b]\n");
			return 2;
		}
	}
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);

	uint64_t *res = map(res_mib * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	for (size_t i = 0; i < res_mib * MiB / 8; i++)
		res[i] = (uint64_t)(uintptr_t)&res[i] ^ K;
	show("resident", res, res_mib * MiB);

	if (rsv_mib) {
		char *rsv = map(rsv_mib * MiB, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);
		if (rsv_mib > 1)
			rsv[MiB] = 1;
		show("reserve", rsv, rsv_mib * MiB);
	}

	volatile char *z = map(ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	(void)z[0];
	show("zeropage", (const void *)z, ps);

	if (file) {
		int fd = open(file, O_RDONLY);
		if (fd < 0) {
			perror(file);
			return 1;
		}
		show("file", map(4 * ps, PROT_READ, MAP_PRIVATE, fd), 4 * ps);
		close(fd);
	}
	if (file2) {
		int fd = open(file2, O_RDONLY);
		if (fd < 0) {
			perror(file2);
			return 1;
		}
		show("fileeof", map(3 * ps, PROT_READ, MAP_PRIVATE, fd), 3 * ps);
		close(fd);
	}

	char *sh = map(4 * ps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
	memset(sh, 0x5e, 2 * ps);
	show("shared", sh, 4 * ps);

	char *g = map(4 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	memset(g, 0x47, 4 * ps);
	if (madvise(g + 2 * ps, ps, MADV_GUARD_INSTALL) == 0)
		show("guard", g + 2 * ps, ps);
	show("guarded", g, 4 * ps);

	for (int i = 0; i < threads; i++) {
		pthread_t t;
		pthread_create(&t, NULL, i % 2 ? worker_b : worker_a, NULL);
	}
	/* the threads are running once their stacks exist; give them a moment to block */
	usleep(100000);
	printf("ready %d\n", (int)getpid());
	if (busy) {
		busy_area = (volatile uint64_t *)res;
		busy_words = res_mib * MiB / 8;
		for (uint64_t n = 0;; n++)
			busy_area[n % busy_words] = n;
	}
	wait_here();
	return 0;
}
