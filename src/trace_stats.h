/*
 * trace_stats: the numbers of a trace — allocation calls, temporary
 * allocations, peak heap and its time, leaks — in total and per call
 * stack, from one pass over the merged events (trace_read.h).
 *
 * Definitions (the same as heaptrack's where heaptrack has one):
 * - calls: every successful malloc-family call (malloc, calloc, realloc,
 *   reallocarray, memalign, posix_memalign, aligned_alloc, valloc,
 *   pvalloc); a realloc is one call that releases its old block.
 * - heap: the sum of the sizes asked for and not yet released.
 * - peak: the heap at its highest, first reached at peak_t; a stack's
 *   "peak" is what it held at that moment.
 * - temporary: released within 1 ms with no other allocation (of any
 *   thread) in between.
 * - leaked: never released before the process (or image, at exec) ended.
 */
#ifndef ML_TRACE_STATS_H
#define ML_TRACE_STATS_H

#include <stdint.h>
#include "trace_read.h"

#define ML_TEMPORARY_NS 1000000ull

/* Per trie node: "self" counts for the stacks ending here. */
struct ml_tsite {
	uint64_t calls, bytes, temporary, peak, leaked, leak_count;
	uint64_t live, epoch;	/* during the pass */
};

struct ml_tstats {
	uint64_t calls, bytes, frees, temporary, peak, peak_t, leaked, leaked_count;
	uint64_t mmap_calls, mmap_bytes, mmap_live, mmap_peak;
	uint64_t duration;
	struct ml_tcounts counts;
	struct ml_tsite *site;	/* by node id */
	size_t nsite;
};

/* One pass over t's events: 0, or -1 when a damaged block cut it short (warned). */
int ml_tstats_run(struct ml_trace *t, struct ml_tstats *s);
void ml_tstats_free(struct ml_tstats *s);

#endif
