/*
 * watch_target: a process that advances one known step per SIGUSR1 and
 * stops itself (SIGSTOP) after each, for tests/watch_*.sh.  It maps an
 * area of 48 pages, all written at the start, and 8 pages it leaves
 * untouched; each step changes known bytes (a few, whole pages, a run of
 * pages, the last byte), writes an untouched page for the first time,
 * only reads another one (the zero page: no change), or writes bytes
 * equal to what they were (soft-dirty, but no change), and prints the
 * address of every page whose bytes changed ("changed ADDR"), then
 * "step K".  Only write(2) talks to the test.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define AREA 48
#define FRESH 8

static long ps;
static uint8_t *area, *fresh;
static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static void say(const char *what, uintptr_t a, uintptr_t b)
{
	char line[96];
	int n = snprintf(line, sizeof line, "%s %lx %lx\n", what, (unsigned long)a, (unsigned long)b);
	if (write(1, line, (size_t)n) != n)
		_exit(1);
}

/* Sets [off, off+n) of page p of base to v, and says the page changed. */
static void put(uint8_t *base, long p, size_t off, size_t n, uint8_t v)
{
	memset(base + p * ps + off, v, n);
	say("changed", (uintptr_t)(base + p * ps), (uintptr_t)(base + (p + 1) * ps));
}

static void step(int k)
{
	volatile uint8_t sink;
	switch (k) {
	case 1:
		put(area, 3, 100, 300, 0x41);
		put(area, 10, 0, (size_t)ps, 0x42);
		break;
	case 2:
		put(fresh, 3, 0, 50, 0x43);	/* first written: it was never resident */
		put(area, 11, 0, 1, 0x44);
		break;
	case 3:
		for (long p = 20; p < 25; p++)
			put(area, p, 0, (size_t)ps, (uint8_t)(0x50 + p));
		put(area, AREA - 1, (size_t)ps - 1, 1, 0x45);
		break;
	case 4:
		sink = fresh[5 * ps + 7];	/* read only: the zero page comes in, nothing changes */
		(void)sink;
		put(area, 0, 5, 1, 0x46);
		break;
	case 5:
		/* The same bytes again: written (soft-dirty), not changed. */
		memset(area + 3 * ps + 100, 0x41, 300);
		put(area, 30, 17, 2000, 0x47);
		break;
	default:
		put(area, 40 + k % 8, 0, 8, (uint8_t)k);
	}
}

int main(void)
{
	ps = sysconf(_SC_PAGESIZE);
	area = mmap(NULL, (size_t)(AREA + FRESH + 1) * (size_t)ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return 2;
	fresh = area + (AREA + 1) * ps;
	mprotect(area + AREA * ps, (size_t)ps, PROT_NONE);	/* two mappings, not one */
	for (long i = 0; i < AREA * ps; i++)
		area[i] = (uint8_t)(i * 13 + i / 4096);
	sigset_t usr1, old;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigaction(SIGUSR1, &sa, NULL);
	say("area", (uintptr_t)area, (uintptr_t)(area + AREA * ps));
	say("fresh", (uintptr_t)fresh, (uintptr_t)(fresh + FRESH * ps));
	say("step", 0, 0);
	for (int k = 1;; k++) {
		raise(SIGSTOP);
		while (!go)
			sigsuspend(&old);
		go = 0;
		step(k);
		say("step", (uintptr_t)k, 0);
	}
}
