/*
 * tiny: the small program whose cores, maps and heap seed the fuzz
 * corpora (tests/fuzz/make-corpus.sh builds it static and dynamic).  Its
 * heap holds a chunk of each kind the walker knows — tcache, fastbin,
 * unsorted, in use — and a second thread gives a thread arena and a
 * second NT_PRSTATUS.  With an argument it crashes itself for a kernel
 * core; without, it prints "ready PID" and waits for gcore.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_barrier_t ready;
/* Where the allocations escape, so no compiler drops a malloc/free pair. */
void *volatile keep[16];

static void *worker(void *arg)
{
	(void)arg;
	/* The first malloc of a second thread makes a thread arena. */
	keep[0] = malloc(64);
	keep[1] = malloc(64);
	strcpy(keep[0], "worker");
	free(keep[1]);
	pthread_barrier_wait(&ready);
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	/* Unbuffered: a buffer's malloc would consolidate the fastbins. */
	setvbuf(stdout, NULL, _IONBF, 0);
	keep[2] = malloc(100);
	keep[3] = malloc(5000);
	keep[4] = malloc(16);	/* keeps the big chunk away from top */
	strcpy(keep[2], "tiny");
	memset(keep[3], 'q', 5000);
	for (int i = 0; i < 9; i++)
		keep[5 + i] = malloc(24);
	pthread_barrier_init(&ready, NULL, 2);
	pthread_create(&t, NULL, worker, NULL);
	pthread_barrier_wait(&ready);
	/*
	 * After pthread_create, whose own allocations would take them back:
	 * seven fill the 0x20 tcache bin, the eighth and ninth go to a fastbin.
	 */
	for (int i = 0; i < 9; i++)
		free(keep[5 + i]);
	free(keep[3]);	/* too large for tcache: the unsorted bin */
	if (argc > 1)
		raise(SIGSEGV);
	printf("ready %d\n", (int)getpid());
	for (;;)
		pause();
}
