/*
 * procs: every process at once (--system).  Opens each readable process as
 * a live address space in pid order and hands it to a callback; processes
 * that cannot be read are counted by reason (with one example pid) instead
 * of stopping the walk, and kernel threads (no user memory) are counted
 * apart.  The diagnostics of each failed open are kept, not printed.
 */
#ifndef ML_PROCS_H
#define ML_PROCS_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "source.h"

struct ml_unreadable {
	char **why;
	uint64_t *n;
	int *pid;
	size_t count;
	uint64_t total;
	uint64_t kernel;	/* kernel threads skipped */
	uint64_t done;		/* processes handed to the callback */
};

/*
 * Calls cb for each process but memlens itself; a non-zero return stops the
 * walk and is returned.  The space is closed after the callback.
 */
int ml_for_each_process(const struct ml_open_opts *oo, int (*cb)(void *ctx, struct ml_space *s),
			void *ctx, struct ml_unreadable *u);
void ml_unreadable_free(struct ml_unreadable *u);
/* [{"reason", "processes", "example_pid"}] */
json_t *ml_json_unreadable(const struct ml_unreadable *u);
/* "# K kernel threads skipped; N unreadable", then a line per reason. */
void ml_print_unreadable(FILE *f, const struct ml_unreadable *u);

#endif
