/*
 * trace_read: reading an mltrace record (formats/mltrace.h) back as one
 * stream of events in time order.  A first pass indexes the blocks and
 * checks every CRC (a damaged or truncated record is read up to the damage,
 * with one warning); then each thread's blocks are decompressed one at a
 * time and merged by timestamp, so memory stays flat: one block per thread
 * alive at that moment, the stack trie and the allocations still live.
 *
 * The reader matches each free with its allocation (the event carries the
 * allocation's size, stack and time) and, at the end, hands out every
 * allocation never freed as a leak.  Stacks of all threads are merged into
 * one trie of nodes (parent, ip); node 0 is "no stack".
 */
#ifndef ML_TRACE_READ_H
#define ML_TRACE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ml_tev_type {
	ML_TEV_ALLOC,		/* malloc-family allocation */
	ML_TEV_FREE,		/* its release (free, realloc's old block, realloc(p, 0)) */
	ML_TEV_LEAK,		/* at the end: an allocation never released */
	ML_TEV_MMAP,		/* the program's own mmap/mremap */
	ML_TEV_MUNMAP,
};

struct ml_tev {
	enum ml_tev_type type;
	uint8_t kind;		/* MLT_K_* as recorded */
	uint32_t image;		/* which process image (index into images) */
	uint32_t tid;
	uint64_t t;		/* ns since the record's first image started */
	uint64_t addr, size;
	uint32_t node;		/* the allocation's stack (for FREE/LEAK: of the freed block) */
	uint64_t alloc_t;	/* FREE/LEAK: when it was allocated */
	uint64_t seq;		/* ALLOC: its number; FREE/LEAK: the allocation's */
	bool unknown;		/* FREE of an address never seen allocated */
};

struct ml_timage {
	uint32_t pid, ppid, flags;
	uint64_t t0_ns, realtime_ns, start;	/* start: ns since the record began */
	uint32_t tick_ps;	/* picoseconds per event tick */
	char *exe, *cmdline;	/* cmdline: arguments separated by spaces (untrusted text) */
	bool ended;		/* an END block: exited normally (or exec'd) */
	uint64_t end_t, recorded, lost;
	bool exec;		/* this image replaced the one before (same pid) */
};

struct ml_tmodule {
	uint32_t image;
	uint64_t t_load, t_unload;	/* ns since its image's t0; UINT64_MAX: never unloaded */
	uint64_t bias, lo, hi;
	uint8_t build_id[64];
	uint8_t id_len;
	char *path;
};

struct ml_tnode {
	uint64_t ip;
	uint32_t parent;	/* 0: the outermost frame */
	uint32_t image;
};

struct ml_trace;

/*
 * Opens and indexes a record: NULL after a one-line diagnostic when it
 * cannot be read at all (not a record, another version, unreadable).
 * Damage past the start is a warning (ml_trace_damage) and reading stops
 * there.
 */
struct ml_trace *ml_trace_open(const char *path);
void ml_trace_close(struct ml_trace *t);

/* Why the record stopped early (damaged, truncated), or NULL. */
const char *ml_trace_damage(const struct ml_trace *t);

size_t ml_trace_nimages(const struct ml_trace *t);
const struct ml_timage *ml_trace_image(const struct ml_trace *t, size_t i);
size_t ml_trace_nmodules(const struct ml_trace *t);
const struct ml_tmodule *ml_trace_module(const struct ml_trace *t, size_t i);
/* The last event's time (ns since the record began), known after the index. */
uint64_t ml_trace_duration(const struct ml_trace *t);

/*
 * Starts (or restarts) the merged pass over the events: each call of
 * ml_trace_next gives the next one, 1; 0 after the last (the leaks come
 * last); -1 after a damaged block that passed its CRC (warned, then 0).
 */
void ml_trace_rewind(struct ml_trace *t);
int ml_trace_next(struct ml_trace *t, struct ml_tev *ev);

/* The stack trie, valid during and after a pass (nodes only grow). */
size_t ml_trace_nnodes(const struct ml_trace *t);
const struct ml_tnode *ml_trace_node(const struct ml_trace *t, uint32_t id);

/* Counts of the pass so far. */
struct ml_tcounts {
	uint64_t events;	/* as recorded */
	uint64_t lost;		/* events the recorder dropped (stream full) */
	uint64_t unknown_frees;	/* frees of addresses allocated before recording or lost */
	uint64_t reordered;	/* same-tick events of two threads put back in order */
};
void ml_trace_counts(const struct ml_trace *t, struct ml_tcounts *c);

#endif
