/*
 * trace_prog: a deterministic program for the tracer's tests.  It knows
 * its own allocations: every intentional leak is written to a ledger
 * (TRACE_LEDGER=FILE: "leak FUNCTION LINE BYTES COUNT" per site) as the
 * oracle for trace-report's leak list, and the sites are shaped so that
 * heaptrack and memlens must agree: distinct call counts (3000, 2000,
 * 1000) and distinct shares of a peak that lasts.  Its output never uses
 * a stdio buffer (which glibc never frees) and it exits with status 3, so
 * the tests see both unchanged under tracing.
 *
 *   trace_prog single | threads | dlopen LIB | fork | exec | heat | spin N
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0 && write(STDOUT_FILENO, buf, (size_t)n) < 0)
		_exit(9);
}

/* The ledger: one line per leaking site, written with write(2) (no stdio buffer). */
static void ledger(const char *fn, int line, size_t bytes, unsigned count)
{
	const char *path = getenv("TRACE_LEDGER");
	if (!path)
		return;
	FILE *f = fopen(path, "a");
	if (!f)
		return;
	setvbuf(f, NULL, _IONBF, 0);
	fprintf(f, "leak %s %d %zu %u\n", fn, line, bytes, count);
	fclose(f);
}

static unsigned long sink;
/* Every block escapes through here: the compiler may not drop a malloc/free pair. */
static void *volatile escape;

static void touch(void *p, size_t n)
{
	escape = p;
	memset(p, 0x5a, n);
	/* atomic: threads touch too, and the output must not depend on their timing */
	__atomic_fetch_add(&sink, ((unsigned char *)p)[n - 1], __ATOMIC_RELAXED);
}

/* ---- single: realloc chains, aligned allocations, three sites of distinct weight ---- */

#define NA 3000
#define NB 2000
#define NC 1000

NOINLINE static void site_a(void **v)
{
	for (int i = 0; i < NA; i++) {
		v[i] = malloc(100);
		touch(v[i], 100);
	}
}

NOINLINE static void site_b(void **v)
{
	for (int i = 0; i < NB; i++) {
		v[i] = calloc(1, 100);
		touch(v[i], 100);
	}
}

NOINLINE static void site_c(void **v)
{
	for (int i = 0; i < NC; i++) {
		if (posix_memalign(&v[i], 64, 100))
			abort();
		touch(v[i], 100);
	}
}

NOINLINE static void *realloc_chain(int steps)
{
	void *p = NULL;
	for (int i = 1; i <= steps; i++) {
		p = realloc(p, (size_t)i * 24);
		touch(p, (size_t)i * 24);
	}
	return p;
}

NOINLINE static void leak_one(void)
{
	void *p = malloc(1234); int line = __LINE__;
	touch(p, 1234);
	ledger(__func__, line, 1234, 1);
}

NOINLINE static void leak_many(void)
{
	for (int i = 0; i < 7; i++) {
		void *p = malloc(77); int line = __LINE__;
		touch(p, 77);
		if (!i)
			ledger(__func__, line, 77 * 7, 7);
	}
}

NOINLINE static void leak_calloc(void)
{
	void *p = calloc(3, 1000); int line = __LINE__;
	touch(p, 3000);
	ledger(__func__, line, 3000, 1);
}

NOINLINE static void leak_realloc(void)
{
	void *p = malloc(10);
	p = realloc(p, 5000); int line = __LINE__;
	touch(p, 5000);
	ledger(__func__, line, 5000, 1);
}

static void single(void)
{
	static void *a[NA], *b[NB], *c[NC];
	leak_one();
	leak_many();
	site_a(a);
	site_b(b);
	site_c(c);
	void *r = realloc_chain(50);
	void *al[10];
	for (int i = 0; i < 10; i++) {
		al[i] = aligned_alloc(64, 128);
		touch(al[i], 128);
	}
	void *va = valloc(100);
	touch(va, 100);
	void *ra = reallocarray(NULL, 10, 10);
	touch(ra, 100);
	/* the peak: everything above live at once, for a moment that lasts */
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	for (int i = 0; i < NA; i++)
		free(a[i]);
	for (int i = 0; i < NB; i++)
		free(b[i]);
	for (int i = 0; i < NC; i++)
		free(c[i]);
	for (int i = 0; i < 10; i++)
		free(al[i]);
	free(va);
	free(ra);
	free(r);
	leak_calloc();
	leak_realloc();
	out("single: %lu\n", sink);
}

/* ---- threads: four threads, distinct counts, a peak held behind a barrier ---- */

static pthread_barrier_t held, release;

/* One site per thread, so that each has its own stack and count. */
#define THREAD_SITE(k)                                          \
	NOINLINE static void thread_site##k(void **v, int n)    \
	{                                                       \
		for (int i = 0; i < n; i++) {                   \
			v[i] = malloc(64);                      \
			touch(v[i], 64);                        \
		}                                               \
	}
THREAD_SITE(0)
THREAD_SITE(1)
THREAD_SITE(2)
THREAD_SITE(3)
static void (*const thread_site[4])(void **, int) = { thread_site0, thread_site1, thread_site2, thread_site3 };

NOINLINE static void thread_leak(void)
{
	void *p = malloc(555); int line = __LINE__;
	touch(p, 555);
	ledger(__func__, line, 555, 1);
}

static void *worker(void *arg)
{
	int k = (int)(long)arg, n = (k + 1) * 500;
	void **v = malloc((size_t)n * sizeof *v);
	thread_site[k](v, n);
	if (k == 0)
		thread_leak();
	pthread_barrier_wait(&held);
	pthread_barrier_wait(&release);
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return NULL;
}

static void threads(void)
{
	pthread_t t[4];
	pthread_barrier_init(&held, NULL, 5);
	pthread_barrier_init(&release, NULL, 5);
	for (long k = 0; k < 4; k++)
		pthread_create(&t[k], NULL, worker, (void *)k);
	pthread_barrier_wait(&held);
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	pthread_barrier_wait(&release);
	for (int k = 0; k < 4; k++)
		pthread_join(t[k], NULL);
	out("threads: %lu\n", sink);
}

/* ---- dlopen: a library that allocates (and leaks), unloaded before exit ---- */

static void with_library(const char *path)
{
	void *h = dlopen(path, RTLD_NOW);
	if (!h) {
		out("dlopen: %s\n", dlerror());
		exit(4);
	}
	void (*work)(void) = (void (*)(void))dlsym(h, "trace_lib_work");
	void (*lib_release)(void) = (void (*)(void))dlsym(h, "trace_lib_release");
	if (!work || !lib_release)
		exit(5);
	work();
	lib_release();
	dlclose(h);
	out("dlopen: done\n");
}

/* ---- fork and exec ---- */

NOINLINE static void child_leak(void)
{
	for (int i = 0; i < 2; i++) {
		void *p = malloc(50); int line = __LINE__;
		touch(p, 50);
		if (!i)
			ledger(__func__, line, 100, 2);
	}
}

static void forking(void)
{
	void *keep = malloc(4000);
	touch(keep, 4000);
	pid_t pid = fork();
	if (pid == 0) {
		void *v[300];
		for (int i = 0; i < 300; i++)
			v[i] = malloc(50);
		for (int i = 0; i < 300; i++)
			free(v[i]);
		child_leak();
		exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	free(keep);
	out("fork: child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	const char *pidfile = getenv("TRACE_CHILD_PID");
	if (pidfile) {
		FILE *f = fopen(pidfile, "w");
		if (f) {
			setvbuf(f, NULL, _IONBF, 0);
			fprintf(f, "%d\n", (int)pid);
			fclose(f);
		}
	}
}

static void execing(const char *self)
{
	leak_one();
	char *argv[] = { (char *)self, "single", NULL };
	execv("/proc/self/exe", argv);
	exit(6);
}

/* ---- heat: small blocks all along, one 32 MiB block in the second half only ---- */

static void churn(void **keep, int n, int rounds)
{
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < n; i++) {
			free(keep[i]);
			keep[i] = malloc(1000);
			touch(keep[i], 1000);
		}
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static void heat(void)
{
	static void *keep[200];
	churn(keep, 200, 30);
	size_t big = (size_t)32 << 20;
	void *p = malloc(big);
	touch(p, big);
	churn(keep, 200, 30);
	free(p);
	for (int i = 0; i < 200; i++)
		free(keep[i]);
	out("heat: %lu\n", sink);
}

/* ---- spin: a steady stream of allocations for the streaming tests ---- */

static void spin(long n)
{
	unsigned long sum = 0;
	unsigned x = 1;
	for (long i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;	/* sizes that do not compress away */
		char *p = malloc(32 + (size_t)((x >> 16) % 200));
		escape = p;
		p[0] = (char)i;
		sum += (unsigned char)p[0];
		free(p);
		if (i % 20000 == 0) {
			struct timespec ts = { 0, 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	out("spin: %ld %lu\n", n, sum);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "single";
	if (!strcmp(mode, "single"))
		single();
	else if (!strcmp(mode, "threads"))
		threads();
	else if (!strcmp(mode, "dlopen") && argc > 2)
		with_library(argv[2]);
	else if (!strcmp(mode, "fork"))
		forking();
	else if (!strcmp(mode, "exec"))
		execing(argv[0]);
	else if (!strcmp(mode, "heat"))
		heat();
	else if (!strcmp(mode, "spin") && argc > 2)
		spin(atol(argv[2]));
	else {
		out("usage: trace_prog single|threads|dlopen LIB|fork|exec|heat|spin N\n");
		return 2;
	}
	return 3;
}
