/*
 * output: every file memlens writes goes through here.  A regular file is
 * written to a temporary file beside the target and renamed into place
 * only when the whole job succeeded, so a failed or interrupted run never
 * leaves a half-written file; several outputs of one job are committed
 * together or not at all.  What is not a regular file is never replaced:
 * a character device or a FIFO is written in place, a block device, a
 * socket or a directory is refused.  "-" means standard output.  The input
 * is never overwritten.
 */
#ifndef ML_OUTPUT_H
#define ML_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "source.h"

/* Must stay where it is between open and commit: its FILE points back to it. */
struct ml_out {
	FILE *f;
	int fd;
	char *path;		/* the name given, for messages; NULL for stdout */
	char *final;		/* where the temporary file is renamed to */
	char *tmp;		/* the temporary file; NULL for stdout and in-place outputs */
	bool is_stdout;
	bool in_place;		/* a character device or a FIFO, written directly */
	bool seekable;		/* a regular file: writers may seek back to fix headers */
	bool open;		/* between open and commit/abort */
	int err;		/* the first write's failure (errno), kept for the message */
};

/*
 * Opens path for writing (see above); -1 with a one-line diagnostic naming
 * the file (unwritable directory, a device that may not be replaced, the
 * input itself...).
 */
int ml_out_open(struct ml_out *o, const char *path, const struct ml_space *input);
/* The same for a command with several inputs (diff): none is overwritten. */
int ml_out_open_inputs(struct ml_out *o, const char *path, const struct ml_space *const *inputs, size_t n);
/*
 * Flushes and closes each output, then renames each temporary file into
 * place — only when every one was written in full.  On any failure every
 * output is aborted (and a file already renamed is removed again): -1 after
 * a diagnostic naming the file and the reason.  Outputs not open are
 * skipped.
 */
int ml_out_commit_all(struct ml_out *const *o, size_t n);
int ml_out_commit(struct ml_out *o);
/*
 * A write to o failed (a full disk, a reader gone): -1 after one line
 * naming the file and the reason, o aborted; else 0.  Writes never fail
 * on their own, so a long job asks this to stop early.
 */
int ml_out_check(struct ml_out *o);
/* Removes the temporary file.  Safe to call after a commit or twice. */
void ml_out_abort(struct ml_out *o);

/*
 * True for "-" and for an existing character device or FIFO: outputs
 * whose name need not say the format (the command's default then applies,
 * as for standard output).
 */
bool ml_out_is_stream(const char *path);

/* The extension of path (after the last dot), or "". */
const char *ml_path_ext(const char *path);

#endif
