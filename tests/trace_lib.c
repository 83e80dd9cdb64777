/*
 * trace_lib: a library that trace_prog dlopens and dlcloses, so the
 * tracer must record a module loaded mid-run and trace-report must name
 * its functions after it was unloaded.  It leaks one block on purpose
 * (written to trace_prog's ledger through TRACE_LEDGER).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 400
static void *blocks[N];
/* Where the leak is kept: a block nobody reads may be removed by the
 * optimizer (clang -O2 drops an unescaped malloc + memset pair). */
void *volatile trace_lib_leaked;

__attribute__((noinline)) static void lib_leak(void)
{
	void *p = malloc(4321); int line = __LINE__;
	memset(p, 1, 4321);
	trace_lib_leaked = p;
	const char *path = getenv("TRACE_LEDGER");
	FILE *f = path ? fopen(path, "a") : NULL;
	if (f) {
		setvbuf(f, NULL, _IONBF, 0);
		fprintf(f, "leak %s %d %d %d\n", __func__, line, 4321, 1);
		fclose(f);
	}
}

__attribute__((noinline)) void trace_lib_work(void)
{
	for (int i = 0; i < N; i++) {
		blocks[i] = malloc(1000);
		memset(blocks[i], 2, 1000);
	}
	lib_leak();
}

void trace_lib_release(void)
{
	for (int i = 0; i < N; i++)
		free(blocks[i]);
}
