/*
 * fuzz: what the libFuzzer harnesses (fuzz_*.c) share.  Each harness feeds
 * its input to the entry points memlens itself uses and then checks the
 * promises those entry points make (the region list sorted and disjoint,
 * reads that match the file's bytes, ...): a broken promise aborts, so the
 * fuzzer reports it like a crash.  replay.c runs the same harnesses on
 * files without libFuzzer, for `make check`.
 */
#ifndef ML_FUZZ_H
#define ML_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

#define FUZZ_CHECK(c) \
	do { \
		if (!(c)) \
			fuzz_fail(#c, __FILE__, __LINE__); \
	} while (0)

void fuzz_fail(const char *what, const char *file, int line) __attribute__((noreturn));

/*
 * Called once before the first input, after warnings were made quiet
 * (counted, not printed; errors still print their one line).  A harness
 * that needs setup defines it; fuzz_common.c has an empty default.
 */
void fuzz_setup(void);

/*
 * The input as a file memlens can open by name: one memfd, rewritten for
 * every input (no disk, no temporary file to clean up).
 */
const char *fuzz_file(const uint8_t *data, size_t size);

/*
 * Checks an opened file source against its own file's bytes: regions
 * sorted, disjoint and non-empty, captured bytes inside the file, every
 * read answering data exactly where the region says it captured (and the
 * file's bytes there), holes elsewhere.  Work is bounded whatever the
 * region count or sizes.
 */
void fuzz_check_space(struct ml_space *s, const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
