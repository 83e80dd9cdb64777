/*
 * heap_static: a statically linked, threaded program (gcc -static
 * -pthread): no libc mapping, main_arena in the executable's own data,
 * glibc's version string only in it when the program asks for it
 * (-DBANNER: gnu_get_libc_version pulls glibc's version.o in).  Each
 * thread fills its tcache to a different depth, frees a few chunks into
 * fastbins and keeps some live ones; the main thread also holds mmapped
 * chunks (two memalign'd).  The oracle is gdb on this very binary (it has
 * its symbols: main_arena, mp_, each thread's tcache); nothing is
 * recorded here.  Prints "ready PID" and waits.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#ifdef BANNER
#include <gnu/libc-version.h>
#endif

#define THREADS 3

static pthread_barrier_t ready;

/* depth chunks of each of the first `bins` tcache sizes, then two fastbin chunks. */
static void fill(int depth, int bins)
{
	void *p[9], *guard[16];
	int ng = 0;
	for (int b = 0; b < bins; b++) {
		for (int i = 0; i < depth; i++)
			p[i] = malloc((size_t)(b + 1) * 16 + 8);
		if (ng < 16)
			guard[ng++] = malloc(24);
		for (int i = 0; i < depth; i++)
			free(p[i]);
	}
	/* tcache's 0x20 bin is full (7) after this: the next two go to a fastbin */
	for (int i = 0; i < 9; i++)
		p[i] = malloc(24);
	for (int i = 0; i < 9; i++)
		free(p[i]);
	(void)guard;
}

static void *worker(void *arg)
{
	long k = (long)arg;
	fill((int)k + 2, 20 + 10 * (int)k);
	pthread_barrier_wait(&ready);
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	void *a, *b;
#ifdef BANNER
	if (!gnu_get_libc_version())
		return 1;
#endif
	pthread_barrier_init(&ready, NULL, THREADS + 1);
	for (long k = 0; k < THREADS; k++)
		if (pthread_create(&t[k], NULL, worker, (void *)k))
			return 1;
	fill(7, 40);
	if (!malloc(300000) || !malloc(1 << 20) || posix_memalign(&a, 4096, 200000) || posix_memalign(&b, 64, 400000))
		return 1;
	pthread_barrier_wait(&ready);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
