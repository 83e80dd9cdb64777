/*
 * pm_target: a process with mappings whose page states are known — touched
 * and untouched anonymous pages, a private file mapping with copy-on-write
 * pages, a shared anonymous mapping, a guard page, a 2 MiB-aligned region
 * asking for a transparent huge page, one that is only read (the huge zero
 * page where the kernel gives it), and a huge page whose last page was
 * dropped (its PMD split: 511 pages of a large folio mapped by PTEs).
 * Prints "NAME START END" for each and "ready PID", then waits.
 * `memlens pagemap` tests compare what it reports about this process with
 * smaps and with kpageflags read on their own.
 *   pm_target [DIR [RESERVE_GIB [TOUCH_MIB [seq|scatter|zero [MANY]]]]]
 * RESERVE_GIB adds a PROT_NONE reservation of that size and TOUCH_MIB an
 * anonymous area of that size, every page touched (for bench/pagemap.sh):
 * written in address order (seq, frames mostly in order too), written in a
 * scattered order (scatter: neighbouring pages get distant frames, as in a
 * long-running process), or only read (zero: every page maps the zero
 * page, as after gcore read an untouched heap).  MANY adds that many
 * two-page mappings, alternately read-only and writable so none merge,
 * each with its first page touched: thousands of stretches to walk.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

static long ps;
static const size_t two = 2u << 20;
static volatile char sink;

static char *map(const char *name, size_t pages, int prot, int flags, int fd)
{
	char *p = mmap(NULL, pages * (size_t)ps, prot, flags, fd, 0);
	if (p == MAP_FAILED) {
		perror(name);
		exit(1);
	}
	printf("%s %lx %lx\n", name, (unsigned long)p, (unsigned long)p + pages * (size_t)ps);
	return p;
}

/* The 2 MiB-aligned middle of a fresh 6 MiB mapping, MADV_HUGEPAGE. */
static char *huge_area(const char *name)
{
	char *t = mmap(NULL, 3 * two, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED) {
		perror(name);
		exit(1);
	}
	char *al = (char *)(((uintptr_t)t + two - 1) & ~(uintptr_t)(two - 1));
	madvise(al, two, MADV_HUGEPAGE);
	printf("%s %lx %lx\n", name, (unsigned long)al, (unsigned long)al + two);
	return al;
}

static void touch_area(size_t mib, const char *mode)
{
	size_t n = (mib << 20) / (size_t)ps;
	char *m = map("touched", n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	bool scatter = !strcmp(mode, "scatter");
	if (scatter && (n & (n - 1))) {
		fprintf(stderr, "scatter: TOUCH_MIB must be a power of two\n");
		exit(1);
	}
	for (size_t k = 0; k < n; k++) {
		/* An odd stride modulo a power of two visits every page once. */
		size_t i = scatter ? (k * 0x9E3779B1u) & (n - 1) : k;
		if (!strcmp(mode, "zero"))
			sink += m[i * (size_t)ps];
		else
			m[i * (size_t)ps] = 1;
	}
}

int main(int argc, char **argv)
{
	ps = sysconf(_SC_PAGESIZE);
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	int rw = PROT_READ | PROT_WRITE;

	char *a = map("anon", 64, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	for (int i = 0; i < 16; i++)
		a[i * ps] = 1;
	map("untouched", 64, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1);

	char path[4096];
	snprintf(path, sizeof path, "%s/pm_target.data", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 16 * ps)) {
		perror(path);
		return 1;
	}
	char *block = calloc(1, (size_t)ps);
	memset(block, 'x', (size_t)ps);
	for (int i = 0; i < 16; i++)
		if (write(fd, block, (size_t)ps) != ps)
			return 1;
	fsync(fd);
	char *f = map("private_file", 16, rw, MAP_PRIVATE, fd);
	for (int i = 0; i < 16; i++)
		sink += f[i * ps];	/* present, file-backed */
	for (int i = 0; i < 4; i++)
		f[i * ps] = 'y';	/* copy-on-write: now anonymous */

	char *s = map("shared_anon", 16, rw, MAP_SHARED | MAP_ANONYMOUS, -1);
	for (int i = 0; i < 8; i++)
		s[i * ps] = 1;

	char *g = map("guard", 8, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	for (int i = 0; i < 8; i++)
		g[i * ps] = 1;
	if (madvise(g + 3 * ps, (size_t)ps, MADV_GUARD_INSTALL))
		printf("noguard\n");

	/* 6 MiB with a 2 MiB-aligned part, asking for a huge page there. */
	char *al = huge_area("thp");
	memset(al, 1, two);
	/* Only read: the huge zero page (without THP, one small zero page until the rest is read too). */
	al = huge_area("hugezero");
	sink += al[0];
	/*
	 * A huge page with its last page dropped: the PMD is split, the folio
	 * stays large.  NOHUGEPAGE keeps khugepaged from collapsing it again.
	 */
	al = huge_area("split_thp");
	memset(al, 1, two);
	madvise(al + two - (size_t)ps, (size_t)ps, MADV_DONTNEED);
	madvise(al, two, MADV_NOHUGEPAGE);
	if (argc > 2 && atol(argv[2]) > 0) {
		size_t gib = (size_t)atol(argv[2]);
		void *r = mmap(NULL, gib << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (r == MAP_FAILED)
			return 1;
		printf("reserve %lx %lx\n", (unsigned long)r, (unsigned long)r + (gib << 30));
	}
	if (argc > 3)
		touch_area((size_t)atol(argv[3]), argc > 4 ? argv[4] : "seq");
	long many = argc > 5 ? atol(argv[5]) : 0;
	for (long i = 0; i < many; i++) {
		char *m = mmap(NULL, 2 * (size_t)ps, i % 2 ? PROT_READ : rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			perror("many");
			return 1;
		}
		sink += m[0];
		if (i % 2 == 0)
			m[0] = 1;
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
