/*
 * heap_target: a process whose glibc heap is known chunk by chunk, the
 * oracle for `memlens heap`.  A second thread (its own arena) and then the
 * main thread allocate chunks of many sizes — tcache, fastbin, small and
 * large sizes, and above the mmap threshold — with live guards between the
 * ones to be freed so nothing coalesces, then free them in patterns that
 * fill tcache bins (7 a size), spill into fastbins, leave chunks in the
 * unsorted bin and, after a large malloc has sorted it, in small and large
 * bins.  The main thread also frees chunks the thread allocated (they land
 * in the main thread's tcache).  A third thread, with arenas capped at
 * two, shares an arena and frees a few chunks into its own tcache, which
 * is then not the first chunk of a heap.  It writes DIR/heap_target.rec
 * ("USER CHUNK_SIZE EXPECTED ARENA" a line: EXPECTED is used, mmapped,
 * tcache, fastbin, unsorted, small or large; ARENA 0 main, 1 the first
 * thread's, -1 whichever the third thread was given),
 * DIR/heap_target.tcache ("THREAD ARENA COUNT BYTES" a line: what each
 * thread freed into its own tcache; THREAD 0 main, 1, 2 as above) and
 * DIR/heap_target.xml (malloc_info), prints "ready PID" and waits.
 * The main thread's mmapped chunks include memalign'd ones (their chunk
 * is not at their mapping's start) and one whose mapping the kernel
 * merged with an unrelated mapping made right below it.
 * No malloc or free happens after the record is written: stdio buffers
 * are allocated first.
 *   heap_target DIR [NCHUNKS]
 * NCHUNKS adds that many small live chunks (for bench/heap.sh).
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXREC 8192

struct rec {
	void *p;
	size_t chunk;
	const char *expect;
	int arena;
	int owner;		/* the thread that freed it (into its tcache) */
};
static struct rec recs[MAXREC];
static int nrec;
static __thread int me;		/* this thread: 0 main, 1, 2 */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int thread_done;
static struct rec *cross[3];	/* allocated by the thread, freed by main */

static struct rec *alloc(size_t n, const char *expect, int arena)
{
	if (nrec == MAXREC)
		abort();
	void *p = malloc(n);
	if (!p)
		abort();
	memset(p, 0x5a, n < 64 ? n : 64);
	struct rec *r = &recs[nrec++];
	size_t u = malloc_usable_size(p);
	r->p = p;
	r->chunk = u + (!strcmp(expect, "mmapped") ? 16 : 8);
	r->expect = expect;
	r->arena = arena;
	r->owner = -1;
	return r;
}

/* An mmapped chunk from posix_memalign: glibc moves it into its mapping and records the pad. */
static void aligned(size_t align, size_t n)
{
	void *p;
	if (nrec == MAXREC || posix_memalign(&p, align, n))
		abort();
	struct rec *r = &recs[nrec++];
	r->p = p;
	r->chunk = malloc_usable_size(p) + 16;
	r->expect = "mmapped";
	r->arena = 0;
	r->owner = -1;
}

/*
 * An mmapped chunk with an unrelated mapping of the same protection made
 * right below (or above) its own: the kernel merges the two, so the chunk
 * no longer starts its mapping.  Tried on a few chunks in case both
 * neighbours of one are taken; each is recorded either way.
 */
static void merged_mmapped(void)
{
	for (int tries = 0; tries < 4; tries++) {
		struct rec *r = alloc(400000, "mmapped", 0);
		uint8_t *chunk = (uint8_t *)r->p - 16, *end = chunk + r->chunk;
		uint8_t *spots[2] = { chunk - 65536, end };
		for (int i = 0; i < 2; i++) {
			void *q = mmap(spots[i], 65536, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
			if (q == spots[i]) {
				memset(q, 0xa5, 65536);
				return;
			}
			if (q != MAP_FAILED)
				munmap(q, 65536);
		}
	}
}

/* A chunk to be freed later, followed by a live guard so it cannot coalesce. */
static struct rec *guarded(size_t n, const char *expect, int arena)
{
	struct rec *r = alloc(n, expect, arena);
	alloc(24, "used", arena);
	return r;
}

static void free_all(struct rec **v, int n)
{
	for (int i = 0; i < n; i++) {
		v[i]->owner = me;
		free(v[i]->p);
	}
}

/* n guarded chunks of size sz: the first 7 expected in tcache, the rest `rest`. */
static int group(struct rec **v, int n, size_t sz, const char *rest, int arena)
{
	for (int i = 0; i < n; i++)
		v[i] = guarded(sz, i < 7 ? "tcache" : rest, arena);
	return n;
}

static void pattern(int arena)
{
	struct rec *tiny[10], *fast[9], *smallv[10], *large[9], *tc[3], *uns[2], *v;
	static const size_t live[] = { 16, 40, 100, 300, 1000, 2000, 9000, 50000, 100000 };
	for (int i = 0; i < 60; i++)
		alloc(live[i % 9], "used", arena);
	alloc(300000, "mmapped", arena);
	if (arena == 0) {
		alloc(1 << 20, "mmapped", arena);
		aligned(64, 200000);		/* pad 0x30 in the first page */
		aligned(4096, 300000);		/* 16 bytes before the second page */
		aligned(1 << 21, 300000);	/* 16 bytes before a 2 MiB boundary */
		merged_mmapped();
	}
	group(tiny, 10, 24, "fastbin", arena);			/* chunk 0x20 */
	group(fast, 9, 0x68, "fastbin", arena);			/* chunk 0x70 */
	group(smallv, 10, 200, "small", arena);			/* chunk 0xd0 */
	int nl = 0;
	for (int i = 0; i < 4; i++)
		large[nl++] = guarded(1500, "large", arena);	/* past tcache: unsorted, then large */
	for (int i = 0; i < 3; i++)
		large[nl++] = guarded(5000, "large", arena);
	for (int i = 0; i < 2; i++)
		large[nl++] = guarded(20000, "large", arena);
	for (int i = 0; i < 3; i++)
		tc[i] = guarded(700, "tcache", arena);
	for (int i = 0; i < 2; i++)
		uns[i] = guarded(3000, "unsorted", arena);
	if (arena == 1)
		for (int i = 0; i < 3; i++)
			cross[i] = guarded(0x48, "tcache", 1);	/* freed by main */

	/* Into the unsorted bin, then sorted by a request none of them fits. */
	free_all(smallv, 10);
	free_all(large, nl);
	v = alloc(60000, "used", arena);
	(void)v;
	free_all(tiny, 10);
	free_all(fast, 9);
	free_all(tc, 3);
	free_all(uns, 2);
}

static void wait_for(int stage)
{
	pthread_mutex_lock(&mu);
	while (thread_done < stage)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

static void set_stage(int stage)
{
	pthread_mutex_lock(&mu);
	thread_done = stage;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/* Thread 1: its own arena (its first malloc makes it), then, when told, the pattern. */
static void *thread_main(void *arg)
{
	(void)arg;
	me = 1;
	alloc(24, "used", 1);
	set_stage(1);
	wait_for(3);
	pattern(1);
	set_stage(4);
	for (;;)
		pause();
	return NULL;
}

/*
 * Thread 2: with M_ARENA_MAX 2 it must share an arena, so its tcache is not
 * the first chunk of a heap.  It frees a few chunks into that tcache.
 */
static void *thread2_main(void *arg)
{
	struct rec *v[8];
	(void)arg;
	me = 2;
	for (int i = 0; i < 8; i++)
		v[i] = guarded(i < 5 ? 0x58 : 0x150, "tcache", -1);
	free_all(v, 8);
	set_stage(2);
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	long extra = argc > 2 ? atol(argv[2]) : 0;
	char path[4096];
	snprintf(path, sizeof path, "%s/heap_target.rec", dir);
	FILE *rec = fopen(path, "w");
	snprintf(path, sizeof path, "%s/heap_target.tcache", dir);
	FILE *tcf = fopen(path, "w");
	snprintf(path, sizeof path, "%s/heap_target.xml", dir);
	FILE *xml = fopen(path, "w");
	if (!rec || !xml || !tcf) {
		perror(dir);
		return 1;
	}
	/* Allocate every stdio buffer now, before the heap is set up. */
	fputs("# user chunk_size expected arena\n", rec);
	fputs("<!-- malloc_info -->\n", xml);
	fputs("# thread arena count bytes\n", tcf);
	printf("start\n");
	fflush(tcf);
	fflush(rec);
	fflush(xml);
	fflush(stdout);

	/* Two arenas at most: the second thread shares one. */
	mallopt(M_ARENA_MAX, 2);
	pthread_t t, t2;
	if (pthread_create(&t, NULL, thread_main, NULL))
		return 1;
	wait_for(1);
	if (pthread_create(&t2, NULL, thread2_main, NULL))
		return 1;
	wait_for(2);
	set_stage(3);
	wait_for(4);

	/* Unrecorded bulk for benchmarks: a heap of `extra` more chunks. */
	for (long i = 0; i < extra; i++)
		if (!malloc(16 + 16 * (size_t)(i % 5)))
			return 1;
	pattern(0);
	for (int i = 0; i < 3; i++) {
		cross[i]->owner = 0;
		free(cross[i]->p);	/* the thread's chunks into main's tcache */
	}

	for (int i = 0; i < nrec; i++)
		fprintf(rec, "%p %zu %s %d\n", recs[i].p, recs[i].chunk, recs[i].expect, recs[i].arena);
	fflush(rec);
	for (int th = 0; th < 3; th++) {
		size_t count = 0, bytes = 0;
		for (int i = 0; i < nrec; i++)
			if (recs[i].owner == th && !strcmp(recs[i].expect, "tcache")) {
				count++;
				bytes += recs[i].chunk;
			}
		fprintf(tcf, "%d %d %zu %zu\n", th, th < 2 ? th : -1, count, bytes);
	}
	fflush(tcf);
	malloc_info(0, xml);
	fflush(xml);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
