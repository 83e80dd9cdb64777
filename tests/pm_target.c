/*
 * pm_target: a process with mappings whose page states are known — touched
 * and untouched anonymous pages, a private file mapping with copy-on-write
 * pages, a shared anonymous mapping, a guard page, and a 2 MiB-aligned
 * region asking for transparent huge pages.  Prints "NAME START END" for
 * each and "ready PID", then waits.  `memlens pagemap` tests compare what
 * it reports about this process with smaps.
 *   pm_target [DIR [RESERVE_GIB [TOUCH_MIB]]]
 * RESERVE_GIB adds a PROT_NONE reservation of that size and TOUCH_MIB an
 * anonymous area of that size, all touched (for bench/pagemap.sh).
 */
#include <fcntl.h>
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
	volatile char sink = 0;
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

	/* 4 MiB with a 2 MiB-aligned half, asking for a huge page there. */
	size_t two = 2u << 20;
	char *t = mmap(NULL, 3 * two, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return 1;
	char *al = (char *)(((uintptr_t)t + two - 1) & ~(uintptr_t)(two - 1));
	madvise(al, two, MADV_HUGEPAGE);
	memset(al, 1, two);
	printf("thp %lx %lx\n", (unsigned long)al, (unsigned long)al + two);
	if (argc > 2 && atol(argv[2]) > 0) {
		size_t gib = (size_t)atol(argv[2]);
		void *r = mmap(NULL, gib << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (r == MAP_FAILED)
			return 1;
		printf("reserve %lx %lx\n", (unsigned long)r, (unsigned long)r + (gib << 30));
	}
	if (argc > 3) {
		size_t mib = (size_t)atol(argv[3]);
		char *m = map("touched", (mib << 20) / (size_t)ps, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1);
		for (size_t i = 0; i < mib << 20; i += (size_t)ps)
			m[i] = 1;
	}
	(void)sink;
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
