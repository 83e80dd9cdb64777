/*
 * output: every file memlens writes goes through here.  Bytes go to a
 * temporary file beside the target and are renamed into place only when
 * the whole job succeeded, so a failed or interrupted run never leaves a
 * half-written file; "-" means stdout.  The input is never overwritten.
 */
#ifndef ML_OUTPUT_H
#define ML_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "source.h"

struct ml_out {
	FILE *f;
	int fd;
	char *path;		/* the final name; NULL for stdout */
	char *tmp;		/* the temporary name */
	bool is_stdout;
};

/* Returns -1 with a diagnostic (unwritable directory, same file as input). */
int ml_out_open(struct ml_out *o, const char *path, const struct ml_space *input);
/* Flushes and renames into place; -1 with a diagnostic (disk full...). */
int ml_out_commit(struct ml_out *o);
/* Removes the temporary file.  Safe to call after a commit or twice. */
void ml_out_abort(struct ml_out *o);

/* The lowercase extension of path (after the last dot), or "". */
const char *ml_path_ext(const char *path);

#endif
