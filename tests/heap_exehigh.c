/*
 * heap_exehigh: a process that maps its own executable a second time,
 * high up (as node re-maps its text onto huge pages), with a thread's
 * stack just above that copy.  A core of it must still call the real brk
 * area the heap: not the first anonymous region past the highest mapping
 * of the executable, and never a region a thread's stack pointer is in —
 * a second thread's small stack sits between the end of the executable's
 * image and [heap] when there is room (there nearly always is: brk starts
 * a random number of pages, up to 1 GiB, past the image).  It mallocs a
 * little (so [heap] exists), prints "ready PID" and waits.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define STACK_SIZE ((size_t)1 << 20)
#define LOW_STACK ((size_t)64 << 10)

extern char end[];	/* the end of the executable's bss (ld's symbol) */
#define EXE_MAP ((size_t)2 * 4096)

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	char *keep = malloc(100000);	/* below the mmap threshold: on [heap] */
	if (!keep)
		return 1;
	memset(keep, 1, 100000);
	uint8_t *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	int fd = open("/proc/self/exe", O_RDONLY);
	if (stack == MAP_FAILED || fd < 0)
		return 1;
	/* The executable's first pages again, 64 KiB below the stack. */
	uint8_t *want = stack - 65536 - EXE_MAP;
	void *hi = mmap(want, EXE_MAP, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0);
	if (hi != want)
		return 1;
	pthread_attr_t at;
	pthread_t t;
	if (pthread_attr_init(&at) || pthread_attr_setstack(&at, stack, STACK_SIZE) || pthread_create(&t, &at, idle, NULL))
		return 1;
	/* A stack two pages past the image, if that is below [heap]. */
	uint8_t *low = (uint8_t *)(((uintptr_t)end + 4095) & ~(uintptr_t)4095) + 8192;
	if (low + LOW_STACK < (uint8_t *)keep) {
		void *q = mmap(low, LOW_STACK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_FIXED_NOREPLACE, -1, 0);
		pthread_t t2;
		if (q == low && (pthread_attr_setstack(&at, low, LOW_STACK) || pthread_create(&t2, &at, idle, NULL)))
			return 1;
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
