/*
 * heap_glibc: glibc malloc's heaps read from memory without debug symbols.
 * Finds main_arena in libc's writable data by its shape (127 bins that are
 * empty rings pointing at themselves or lists into the heap, a top chunk,
 * a circular `next` list), follows `next` to the thread arenas and their
 * heap_info chains, collects every free list (tcache with safe-linking
 * undone, fastbins, unsorted/small/large bins) and walks each heap chunk
 * by chunk.  Memory is hostile: every list and walk is bounded, and a
 * broken chunk ends its heap's walk with a warning naming it.
 *
 * The analysis reads through struct ml_hmem, a read callback plus the
 * region list, so unit tests can feed it synthetic memory.
 */
#ifndef ML_HEAP_GLIBC_H
#define ML_HEAP_GLIBC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "region.h"

/* Where a glibc version's structures differ (x86-64). */
struct ml_glibc_layout {
	unsigned minor;			/* 2.<minor> */
	bool tcache_u16;		/* counts uint16_t (2.30+), else uint8_t */
	bool safe_linking;		/* 2.32+: tcache/fastbin next mangled */
	unsigned tcache_chunk;		/* size of the tcache_perthread_struct chunk */
	unsigned heap_info_size;	/* sizeof(heap_info): 48 from 2.35, else 32 */
	/* malloc_state offsets: 2.27 added have_fastchunks */
	unsigned fastbins, top, bins, next, system_mem, state_size;
};

/* The layout of glibc 2.<minor>; -1 outside 2.26-2.41. */
int ml_glibc_layout(unsigned minor, struct ml_glibc_layout *l);
/*
 * "2.NN" with a layout above: 0 and *minor, else -1.  The one check of a
 * version given by the user (--glibc) or to ml_heap_analyse().
 */
int ml_glibc_version_parse(const char *s, unsigned *minor);

/* The free lists a chunk can be in, or what else it is. */
enum ml_hbin {
	ML_HB_NONE,		/* in use */
	ML_HB_TCACHE,
	ML_HB_FASTBIN,
	ML_HB_UNSORTED,
	ML_HB_SMALL,
	ML_HB_LARGE,
	ML_HB_TOP,
	ML_HB_MMAPPED,		/* an mmapped chunk (in use) */
	ML_HB_FREE_UNLISTED,	/* looks free (next PREV_INUSE clear) but is in no list */
	ML_HB__COUNT
};
const char *ml_hbin_name(enum ml_hbin b);	/* "tcache", ...; NULL for NONE */
/* Free from the program's view (everything but NONE and MMAPPED). */
static inline bool ml_hbin_free(enum ml_hbin b)
{
	return b != ML_HB_NONE && b != ML_HB_MMAPPED;
}

/* Reading memory: the read callback answers like ml_space_read(). */
struct ml_hmem {
	ml_read_fn read;
	void *ctx;
	const struct ml_region *r;	/* sorted, to find libc and mappings */
	size_t nr;
	struct ml_hcache *cache;	/* internal: made by ml_heap_analyse */
};

struct ml_hcount {
	uint64_t count, bytes;
};

struct ml_hheap {
	uint64_t start, end;	/* [start, end): the chunks' span */
	uint64_t info;		/* its heap_info, 0 for the main heap */
	uint64_t walk_end;	/* where the walk stopped (== end when whole) */
	bool broken;
};

struct ml_harena {
	uint64_t addr;
	bool main;
	uint64_t top, top_size;
	uint64_t tcache;	/* the tcache_perthread_struct chunk, 0 if none found */
	uint64_t system_mem;
	struct ml_hheap *heaps;	/* address order */
	size_t nheaps;
	/* filled by the walk */
	struct ml_hcount in_use, free[ML_HB__COUNT], mmapped;
	uint64_t largest_free;
};

/*
 * A tcache_perthread_struct: one per thread that has called malloc.  What
 * its lists hold, wherever those chunks live (a thread may free another
 * arena's chunks into its own tcache), and the arena whose heap holds the
 * struct itself.
 */
struct ml_htcache {
	uint64_t chunk;		/* the struct's chunk */
	size_t arena;		/* index in arenas[], SIZE_MAX if in none */
	struct ml_hcount entries;	/* chunks in its lists, and their sizes */
};

/* A free chunk from a list. */
struct ml_hfree {
	uint64_t chunk;
	uint8_t bin;		/* enum ml_hbin */
};

struct ml_heapinfo {
	struct ml_glibc_layout L;
	char version[16];	/* "2.36", or "" when unknown */
	const char *version_from;	/* "libc path", "libc memory", "guessed" ... */
	struct ml_harena *arenas;	/* main first, then the `next` order */
	size_t narenas;
	struct ml_htcache *tcaches;	/* every tcache_perthread_struct read */
	size_t ntcaches;
	struct ml_hfree *freel;	/* every listed free chunk, by address */
	size_t nfree;
	uint64_t *mmapped;	/* chunk addresses of mmapped chunks found */
	uint64_t *mmapped_size;	/* their chunk sizes */
	uint64_t *mmapped_pad;	/* bytes of their mapping before the chunk (memalign) */
	size_t nmmapped;
	bool mmapped_cut;	/* the search stopped at one of its limits */
	/* glibc's own count of its mmapped chunks, from mp_ (0: mp_ not found) */
	uint64_t mp;		/* mp_'s address */
	uint64_t mp_n_mmaps, mp_mmapped_mem;
	unsigned warnings;
	bool main_checked;	/* a clean chunk walk of the main heap ends at its top */
	bool main_ring;		/* main_arena's next list is a ring back to it */
	uint64_t list_budget;	/* internal: list nodes left to visit */
};

/* One chunk of a walk. */
struct ml_hchunk {
	uint64_t addr, size;
	enum ml_hbin bin;
};

typedef int (*ml_hchunk_cb)(void *ctx, const struct ml_hchunk *c);

/*
 * Finds the version, main_arena, the other arenas and their heaps, the
 * free lists and mmapped chunks, and walks every heap for the counts.
 * version: "2.NN" to force a layout, or NULL to detect.  Returns 0, or -1
 * after one diagnostic when there is no glibc heap to be found.
 */
int ml_heap_analyse(struct ml_hmem *m, const char *version, struct ml_heapinfo *h);
/*
 * Walks heap `heap` of arena `arena` in address order, calling cb for each
 * chunk (including top); stops silently where the analysis stopped.  The
 * callback may return non-zero to stop; that value is returned.
 */
int ml_heap_walk(struct ml_hmem *m, const struct ml_heapinfo *h, size_t arena, size_t heap,
		 ml_hchunk_cb cb, void *ctx);
void ml_heap_free(struct ml_hmem *m, struct ml_heapinfo *h);

/* Safe-linking (glibc 2.32+): the pointer stored at pos for ptr, and back. */
static inline uint64_t ml_protect_ptr(uint64_t pos, uint64_t ptr)
{
	return (pos >> 12) ^ ptr;
}
#define ml_reveal_ptr ml_protect_ptr

/* Exposed for tests: parses "…release version 2.NN…" or a libc-2.NN.so name. */
int ml_glibc_version_in(const char *text, size_t n, unsigned *minor);

/*
 * Another allocator the process has mapped (jemalloc, tcmalloc, mimalloc
 * ...), recognised by its library's name or, for Chromium's
 * PartitionAlloc, by the executable's: its name, or NULL; *path: the file
 * that told (untrusted text).
 */
const char *ml_other_allocator(const struct ml_region *r, size_t n, const char **path);
/*
 * The clause every "no glibc heap" message ends with: "; the process uses
 * jemalloc (PATH), and only glibc malloc is walked", or "" (in buf).
 */
const char *ml_other_allocator_note(const struct ml_region *r, size_t n, char *buf, size_t len);

#endif
