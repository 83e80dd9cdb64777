/*
 * region: the one model every source is normalised into.  An address space
 * is a sorted, non-overlapping list of regions; each says what it is (kind,
 * permissions, backing file) and how much of it the source captured.  The
 * bytes themselves come through source.h's read interface, which reports
 * holes instead of inventing zeros.
 */
#ifndef ML_REGION_H
#define ML_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ml_kind {
	ML_KIND_ANON,		/* anonymous private or shared memory */
	ML_KIND_FILE,		/* backed by a file (incl. deleted, memfd, SysV shm) */
	ML_KIND_HEAP,		/* [heap]: the brk area */
	ML_KIND_STACK,		/* [stack], or a thread's stack found via its sp */
	ML_KIND_VDSO,
	ML_KIND_VVAR,		/* [vvar], [vvar_vclock] */
	ML_KIND_VSYSCALL,
	ML_KIND_PHYS,		/* a physical range of a LiME dump */
	ML_KIND_RAW,		/* the single region of a raw file */
	ML_KIND_OTHER,		/* other [pseudo] mappings, e.g. [uprobes] */
	ML_KIND__COUNT
};

enum {
	ML_PROT_R = 1,
	ML_PROT_W = 2,
	ML_PROT_X = 4,
	ML_PROT_SHARED = 8,
	ML_PROT_UNKNOWN = 16,	/* the source does not say (shown as "????") */
};

struct ml_region {
	uint64_t start, end;	/* [start, end) */
	unsigned prot;		/* ML_PROT_* */
	enum ml_kind kind;
	char *path;		/* backing file or pseudo-path, NULL if none; untrusted */
	bool deleted;		/* path had a " (deleted)" suffix, stripped */
	uint64_t file_offset;	/* offset of start in the backing file */
	uint64_t inode;		/* live sources only */
	unsigned dev_major, dev_minor;
	/*
	 * Captured bytes are [start, start + captured); the rest is a hole.
	 * For live processes this is the size, less what is known to be
	 * unreadable; reads still report holes they meet.
	 */
	uint64_t captured;
	uint64_t src_off;	/* offset of start's byte in the source file */
};

const char *ml_kind_name(enum ml_kind k);
/* "rwxp" form; out must hold 5 bytes. */
void ml_perms_str(unsigned prot, char out[5]);

/* The end of what r captured: start + captured, never past end. */
uint64_t ml_region_cap_end(const struct ml_region *r);
/* Captured bytes of [a, b), a sub-range of r. */
uint64_t ml_region_captured_in(const struct ml_region *r, uint64_t a, uint64_t b);

/*
 * Lookups in a sorted, disjoint array: the index of the region holding
 * addr or -1; and the index of the first region starting above addr (n if
 * none).  Every lookup by address goes through these two.
 */
long ml_regions_find(const struct ml_region *r, size_t n, uint64_t addr);
size_t ml_regions_above(const struct ml_region *r, size_t n, uint64_t addr);

/*
 * The read interface every source (and the heap walker's view of one)
 * answers: the longest prefix of [addr, addr+n) that is uniformly data or
 * uniformly hole.  ml_read_zeroed() fills [addr, addr+n) from such a reader
 * with holes as zeros and returns how many bytes were data.
 */
typedef size_t (*ml_read_fn)(void *ctx, uint64_t addr, size_t n, void *buf, bool *hole);
size_t ml_read_zeroed(ml_read_fn read, void *ctx, uint64_t addr, size_t n, void *buf);

/* Sorts by start; returns -1 if two regions overlap or one is empty. */
int ml_regions_sort_check(struct ml_region *r, unsigned long n);
void ml_regions_free(struct ml_region *r, unsigned long n);

#endif
