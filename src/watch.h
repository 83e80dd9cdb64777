/*
 * watch: which pages of a selection changed since the last frame.  Each
 * selected page that has been resident keeps the xxHash (XXH3-64) of its
 * bytes and the frame it last changed in, in chunks of 512 pages made
 * when a page there is first seen, so memory follows what is resident,
 * not what is mapped.  A frame asks pagemap which pages are present and
 * reads only those (hash mode: every present page; --soft-dirty: only
 * those written since the last frame, found by pagemap's soft-dirty bit
 * after the previous frame wrote 4 to clear_refs), hashes them, and calls
 * the ones whose hash moved changed.  Nothing else in the target is read,
 * so no page is faulted in.  A page seen resident for the first time is
 * compared with what it held untouched (zeros in anonymous memory, the
 * file's page in a file mapping, where pagemap still calls it a file
 * page).  A mapping that appears, goes, or is replaced changes all its
 * pages.  File sources (a dump being rewritten) hash every captured page.
 */
#ifndef ML_WATCH_H
#define ML_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "select.h"
#include "source.h"

struct ml_watch;

/* What one frame did. */
struct ml_watch_stats {
	uint64_t pages;		/* selected pages */
	uint64_t resident;	/* of those, present now (file sources: captured) */
	uint64_t read;		/* pages read and hashed this frame */
	uint64_t changed;	/* pages whose bytes changed (or that appeared) */
	uint64_t vanished;	/* pages of mappings that went away */
	bool layout;		/* the selection's pieces differ from the last frame's */
};

/*
 * A run of changed pages: [start, end) of one piece of the selection
 * (page aligned, cut to the piece).
 */
typedef void (*ml_watch_fn)(void *ctx, uint64_t start, uint64_t end);

/* soft_dirty: the --soft-dirty mode (live sources only). */
struct ml_watch *ml_watch_new(bool soft_dirty);
/*
 * One frame over sel of s (frame 0 takes the first look and calls nothing
 * changed).  Calls fn for each run of changed pages, in address order.
 * -1 after a diagnostic (clear_refs refused, the process gone).
 */
int ml_watch_frame(struct ml_watch *w, struct ml_space *s, const struct ml_selection *sel, uint32_t frame,
		   ml_watch_fn fn, void *ctx, struct ml_watch_stats *st);
/*
 * The age of a page: frames since it last changed (0: this frame);
 * ML_WATCH_NEVER when it did not change since the first look at it,
 * ML_WATCH_ABSENT when it was never seen resident.  Younger is smaller.
 */
#define ML_WATCH_NEVER (UINT32_MAX - 1)
#define ML_WATCH_ABSENT UINT32_MAX
uint32_t ml_watch_age(const struct ml_watch *w, uint64_t addr, uint32_t frame);
/*
 * The youngest age in each group of `per` consecutive selected pages (in
 * selection order, as a picture lays them out), into out[0..n).  Costs a
 * look at each resident page, and nothing for what was never resident.
 */
void ml_watch_ages(const struct ml_watch *w, uint32_t frame, uint64_t per, uint32_t *out, size_t n);
/* The address of the idx-th selected page (0 past the last). */
uint64_t ml_watch_page_addr(const struct ml_watch *w, uint64_t idx);
void ml_watch_free(struct ml_watch *w);
/*
 * Whether this kernel tracks soft-dirty pages (CONFIG_MEM_SOFT_DIRTY): a
 * page of memlens's own, written after clearing memlens's own bits, must
 * read soft-dirty in pagemap.  1, 0, or -1 when it cannot tell.
 */
int ml_soft_dirty_supported(void);

#endif
