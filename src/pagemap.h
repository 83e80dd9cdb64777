/*
 * pagemap: reading /proc/PID/pagemap words (one u64 per virtual page) and
 * the meaning of their bits (kernel Documentation/admin-guide/mm/pagemap.rst).
 * Reading pagemap never touches the target's memory, so it never faults
 * pages in.
 */
#ifndef ML_PAGEMAP_H
#define ML_PAGEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ML_PM_PFN_MASK ((1ull << 55) - 1)
#define ML_PM_SOFT_DIRTY (1ull << 55)
#define ML_PM_EXCLUSIVE (1ull << 56)
#define ML_PM_UFFD_WP (1ull << 57)
#define ML_PM_GUARD (1ull << 58)	/* also sets bit 62: test before SWAPPED */
#define ML_PM_FILE (1ull << 61)	/* file page or shared anonymous */
#define ML_PM_SWAPPED (1ull << 62)
#define ML_PM_PRESENT (1ull << 63)

/* kpageflags bits (include/uapi/linux/kernel-page-flags.h). */
enum {
	ML_KPF_LOCKED = 0, ML_KPF_ERROR = 1, ML_KPF_REFERENCED = 2, ML_KPF_UPTODATE = 3,
	ML_KPF_DIRTY = 4, ML_KPF_LRU = 5, ML_KPF_ACTIVE = 6, ML_KPF_SLAB = 7,
	ML_KPF_WRITEBACK = 8, ML_KPF_RECLAIM = 9, ML_KPF_BUDDY = 10, ML_KPF_MMAP = 11,
	ML_KPF_ANON = 12, ML_KPF_SWAPCACHE = 13, ML_KPF_SWAPBACKED = 14,
	ML_KPF_COMPOUND_HEAD = 15, ML_KPF_COMPOUND_TAIL = 16, ML_KPF_HUGE = 17,
	ML_KPF_UNEVICTABLE = 18, ML_KPF_HWPOISON = 19, ML_KPF_NOPAGE = 20, ML_KPF_KSM = 21,
	ML_KPF_THP = 22, ML_KPF_OFFLINE = 23, ML_KPF_ZERO_PAGE = 24, ML_KPF_IDLE = 25,
	ML_KPF_PGTABLE = 26,
	ML_KPF_MLOCKED = 33,	/* of the flags above 31, only this one is counted */
};


/* What one page is, for maps: one state per page. */
enum ml_pm_state { ML_ST_NONE, ML_ST_ANON, ML_ST_FILE, ML_ST_THP, ML_ST_ZERO, ML_ST_SWAP, ML_ST_GUARD,
		   ML_ST_CAPTURED, ML_ST_HOLE, ML_ST__COUNT };

/* Per-region page counts; the kpageflags ones stay 0 without root. */
struct ml_pm_counts {
	uint64_t pages, present, swapped, file, anon, exclusive, soft_dirty, uffd_wp, guard;
	uint64_t thp, hugetlb, ksm, zero, shared, active, inactive, dirty, swapcache, unevictable;
	uint64_t compound_head, compound_tail, mlocked;
	uint64_t captured, holes;
};

/*
 * Decodes one page: its pagemap word, and (have_kp) its frame's kpageflags
 * and kpagecount.  Counts it into c and returns its state.  A guard page
 * also has the swapped bit set; it counts as guard only.
 */
enum ml_pm_state ml_pm_classify(uint64_t word, uint64_t kflags, uint64_t kcount,
				struct ml_pm_counts *c, bool have_kp);

/* Classes of physical frames (--physical). */
enum ml_phys { ML_PH_FREE, ML_PH_ANON, ML_PH_FILE, ML_PH_SLAB, ML_PH_PGTABLE, ML_PH_HUGE,
	       ML_PH_ZERO, ML_PH_OTHER, ML_PH__COUNT };
enum ml_phys ml_phys_classify(uint64_t kflags);

struct ml_pagemap;

/* Opens /proc/PID/pagemap; NULL after a diagnostic. */
struct ml_pagemap *ml_pagemap_open(int pid);
/*
 * Reads the words of npages pages starting at the page of vaddr into out,
 * in batches.  Returns the number of words read (fewer if the process went
 * away), or -1 after a diagnostic.
 */
long ml_pagemap_read(struct ml_pagemap *pm, uint64_t vaddr, size_t npages, uint64_t *out);
void ml_pagemap_close(struct ml_pagemap *pm);

/* True when the kernel has the PAGEMAP_SCAN ioctl (6.7+). */
bool ml_pagemap_has_scan(struct ml_pagemap *pm);
/*
 * A stretch of pages.  Dense: its words were read (something is there, or
 * PAGEMAP_SCAN was not used).  Otherwise PAGEMAP_SCAN found nothing in it
 * and every page has the pagemap word `word` (0, or the VMA's soft-dirty
 * bit): a 256 GiB reservation costs one ioctl and no words.
 */
struct ml_pm_run {
	uint64_t end;	/* byte address, page aligned */
	bool dense;
	uint64_t word;
};
/*
 * The stretch that starts at `from` (< end, page aligned): an empty one,
 * or up to max pages whose words are read into w.  Called with each
 * stretch's end, it covers [from, end) without gaps; an unmapped gap is
 * an empty stretch, and so are pages above the user address limit, which
 * have no words.  scan: use PAGEMAP_SCAN where the kernel has it.
 * Returns 1, 0 when the process went away, or -1 after a diagnostic.
 */
int ml_pagemap_next(struct ml_pagemap *pm, bool scan, uint64_t from, uint64_t end, uint64_t *w,
		    size_t max, struct ml_pm_run *run);

/* kpageflags / kpagecount (root).  NULL when unavailable; *why says why. */
struct ml_kpage;
struct ml_kpage *ml_kpage_open(const char **why);
/*
 * For n pagemap words, the flags and map counts of their frames; pages
 * without a PFN get flags 0 and count 0.  Reads runs of adjacent PFNs in
 * one call.  Returns -1 after a diagnostic.
 */
int ml_kpage_lookup(struct ml_kpage *k, const uint64_t *words, size_t n, uint64_t *flags,
		    uint64_t *counts);
/* Flags of PFNs [pfn, pfn+n); -1 after a diagnostic. */
int ml_kpage_flags(struct ml_kpage *k, uint64_t pfn, size_t n, uint64_t *flags);
void ml_kpage_close(struct ml_kpage *k);

#endif
