/*
 * diff: two captures of one address space, compared.  The selections of
 * A and B are merged into spans of the address space, each in both, only
 * in B (added) or only in A (removed); the mappings are paired by overlap
 * (added, removed, or changed in permissions, path, size or file offset);
 * and the bytes of every span in both are read from A and B side by side,
 * block by block in address order, and handed on as runs: equal, changed,
 * or unknown (a hole in either side — never called equal or changed).
 * Memory stays two blocks, whatever the captures' size.
 */
#ifndef ML_DIFF_H
#define ML_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "select.h"
#include "source.h"

/* A stretch of the union of both selections, in one region of each side that has it. */
struct ml_diff_span {
	uint64_t start, end;
	long ra, rb;		/* region index in A and in B; -1 where that side has none */
};

/* The spans of sa ∪ sb in address order; returns their number (*out allocated). */
size_t ml_diff_spans(const struct ml_selection *sa, const struct ml_selection *sb, struct ml_diff_span **out);

/* What changed about a mapping that both sides have. */
enum {
	ML_DIFF_PERMS = 1,
	ML_DIFF_PATH = 2,
	ML_DIFF_SIZE = 4,	/* its start or end moved */
	ML_DIFF_OFFSET = 8,	/* its file offset */
};

/*
 * A mapping of A and one of B that overlap (what: ML_DIFF_*, 0 when they
 * are the same), or one side's mapping that overlaps nothing on the other
 * (ra or rb -1: removed or added).
 */
struct ml_diff_map {
	long ra, rb;
	unsigned what;
};

/*
 * Pairs the regions the selections touch, in address order.  Returns the
 * number of entries (*out allocated): every region alone on its side, and
 * every overlapping pair (also unchanged ones, with what 0).
 */
size_t ml_diff_maps(const struct ml_space *a, const struct ml_selection *sa, const struct ml_space *b,
		    const struct ml_selection *sb, struct ml_diff_map **out);
/* "perms, size": the words of what, into buf. */
const char *ml_diff_what(unsigned what, char *buf, size_t len);

/* The state of a run of bytes. */
enum ml_diff_state { ML_DIFF_SAME, ML_DIFF_CHANGED, ML_DIFF_UNKNOWN, ML_DIFF_ADDED, ML_DIFF_REMOVED };

/*
 * Called for each run in address order: len bytes at addr inside span sp,
 * all in state st.  bdata: B's bytes for SAME and CHANGED runs, else NULL;
 * valid during the call.  A non-zero return stops the walk and is returned.
 */
typedef int (*ml_diff_fn)(void *ctx, const struct ml_diff_span *sp, uint64_t addr, size_t len,
			  enum ml_diff_state st, const uint8_t *bdata);

/*
 * Walks the n spans: a span only one side has is one run (ADDED or
 * REMOVED, nothing read); a span both have is read from both, a block at
 * a time, as runs of SAME, CHANGED and UNKNOWN bytes.  0, or what fn
 * returned to stop.
 */
int ml_diff_bytes(struct ml_space *a, struct ml_space *b, const struct ml_diff_span *sp, size_t n,
		  ml_diff_fn fn, void *ctx);

/*
 * Compares n bytes of x and y and calls fn for each run of equal and of
 * different bytes, at addr and on: the byte comparison of ml_diff_bytes,
 * exposed for its test.
 */
int ml_diff_compare(const uint8_t *x, const uint8_t *y, size_t n, uint64_t addr, const struct ml_diff_span *sp,
		    ml_diff_fn fn, void *ctx);

#endif
