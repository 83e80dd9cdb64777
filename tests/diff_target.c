/*
 * diff_target: a process that knows what it changes in its own memory,
 * for tests/diff_gcore.sh.  It maps an area of 64 pages filled with a
 * pattern, a region it will unmap, and a read-write page it will make
 * read-only, prints them, and waits.  Each "step" line on stdin makes it
 * change known bytes of the area (a few bytes, a whole page, a run across
 * a page boundary, bytes with equal ones between them, the last byte),
 * map a new region, unmap the old one, mprotect the page, and print every
 * range it changed, then "done" (a second step would map over the first
 * one's region: it is one step per run).  Only read(2) and write(2) talk to the
 * test, so little else in the process changes (its stack, libc's errno).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PAGES 64

static long ps;

/* One line to the test: "WHAT START END", or WHAT alone when there is no range. */
static void say(const char *what, uintptr_t a, uintptr_t b)
{
	char line[128];
	int n = a || b ? snprintf(line, sizeof line, "%s %lx %lx\n", what, (unsigned long)a, (unsigned long)b)
		       : snprintf(line, sizeof line, "%s\n", what);
	if (write(1, line, (size_t)n) != n)
		_exit(1);
}

/* Flips [off, off+n) of the area and says so. */
static void flip(uint8_t *area, size_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		area[off + i] ^= 0xa5;
	say("changed", (uintptr_t)(area + off), (uintptr_t)(area + off + n));
}

/*
 * Mappings at chosen pages of a free stretch, with unmapped pages between
 * them so that the kernel cannot merge two into one.
 */
static uint8_t *base;

static uint8_t *map_at(size_t page, size_t pages)
{
	void *p = mmap(base + page * (size_t)ps, pages * (size_t)ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != base + page * (size_t)ps)
		_exit(2);
	return p;
}

int main(void)
{
	ps = sysconf(_SC_PAGESIZE);
	/* A free stretch of 256 pages, found by mapping it and given back at once. */
	base = mmap(NULL, 256 * (size_t)ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED || munmap(base, 256 * (size_t)ps))
		return 2;
	uint8_t *area = map_at(16, PAGES);
	for (size_t i = 0; i < PAGES * (size_t)ps; i++)
		area[i] = (uint8_t)(i * 7 + 3);
	uint8_t *gone = map_at(100, 2);
	memset(gone, 0x11, 2 * (size_t)ps);
	uint8_t *ro = map_at(110, 1);
	memset(ro, 0x22, (size_t)ps);
	say("area", (uintptr_t)area, (uintptr_t)(area + PAGES * ps));
	say("gone", (uintptr_t)gone, (uintptr_t)(gone + 2 * ps));
	say("ro", (uintptr_t)ro, (uintptr_t)(ro + ps));
	say("ready", 0, 0);

	char cmd[16];
	while (read(0, cmd, sizeof cmd) > 0) {
		flip(area, (size_t)ps + 3, 4);
		flip(area, 5 * (size_t)ps, (size_t)ps);
		flip(area, 11 * (size_t)ps - 6, 12);
		for (size_t k = 0; k < 4; k++)	/* every other byte: four ranges at granule 1 */
			flip(area, 20 * (size_t)ps + 100 + 2 * k, 1);
		flip(area, PAGES * (size_t)ps - 1, 1);
		uint8_t *fresh = map_at(120, 3);
		memset(fresh, 0x33, 3 * (size_t)ps);
		munmap(gone, 2 * (size_t)ps);
		mprotect(ro, (size_t)ps, PROT_READ);
		say("added", (uintptr_t)fresh, (uintptr_t)(fresh + 3 * ps));
		say("done", 0, 0);
	}
	return 0;
}
