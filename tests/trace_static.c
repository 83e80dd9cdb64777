/*
 * trace_static: a static executable, which LD_PRELOAD cannot reach:
 * memlens trace must refuse it before running it.  If it ever runs, it
 * leaves a mark (argv[1]) for the test to find.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc > 1) {
		FILE *f = fopen(argv[1], "w");
		if (f)
			fclose(f);
	}
	free(malloc(10));
	return 0;
}
