/*
 * replay: runs one fuzz harness over files without libFuzzer, for `make
 * check` (tests/fuzz/check-regress.sh) and for reproducing a crash under gdb.
 *   replay_HARNESS FILE|DIR...   every regular file named or in a DIR
 * Names each input on stderr before running it and prints how many ran;
 * a broken check or sanitizer report ends the run with a non-zero status,
 * as it would end the fuzzer.
 */
#include "config.h"
#include "fuzz.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static unsigned long runs;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 1 << 16, n = 0, k;
	uint8_t *buf = ml_malloc(cap);
	while ((k = fread(buf + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap)
			buf = ml_reallocarray(buf, cap *= 2, 1);
	}
	fclose(f);
	/* An exact-size copy, so ASan sees a read one byte past the input. */
	uint8_t *in = ml_malloc(n);
	memcpy(in, buf, n);
	free(buf);
	/* Named first, so a crash report follows the name of its input. */
	fprintf(stderr, "replay: %s\n", path);
	LLVMFuzzerTestOneInput(in, n);
	free(in);
	runs++;
	return 0;
}

static int filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	int bad = 0;
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st)) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			bad = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad |= run_file(argv[i]) != 0;
			continue;
		}
		struct dirent **list;
		int n = scandir(argv[i], &list, filter, alphasort);
		if (n < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			bad = 1;
			continue;
		}
		for (int k = 0; k < n; k++) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", argv[i], list[k]->d_name);
			if (!stat(path, &st) && S_ISREG(st.st_mode))
				bad |= run_file(path) != 0;
			free(list[k]);
		}
		free(list);
	}
	printf("%lu inputs replayed\n", runs);
	return bad;
}
