/*
 * pagemap: reading /proc/PID/pagemap words (one u64 per virtual page) and
 * the meaning of their bits (kernel Documentation/admin-guide/mm/pagemap.rst),
 * joined with /proc/kpageflags and /proc/kpagecount for the frames they
 * name.  Reading pagemap never touches the target's memory, so it never
 * faults pages in.
 */
#ifndef ML_PAGEMAP_H
#define ML_PAGEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "select.h"

#define ML_PM_PFN_MASK ((1ull << 55) - 1)
#define ML_PM_SOFT_DIRTY (1ull << 55)
#define ML_PM_EXCLUSIVE (1ull << 56)
#define ML_PM_UFFD_WP (1ull << 57)
#define ML_PM_GUARD (1ull << 58)	/* also sets bit 62: test before SWAPPED */
#define ML_PM_FILE (1ull << 61)	/* file page or shared anonymous */
#define ML_PM_SWAPPED (1ull << 62)
#define ML_PM_PRESENT (1ull << 63)

/* PAGEMAP_SCAN categories of a stretch (include/uapi/linux/fs.h, 6.7+). */
#define ML_PMC_PRESENT (1u << 3)
#define ML_PMC_SWAPPED (1u << 4)
#define ML_PMC_PFNZERO (1u << 5)	/* the zero page or the huge zero page */
#define ML_PMC_HUGE (1u << 6)	/* mapped by a PMD (THP) or hugetlb */
#define ML_PMC_SOFT_DIRTY (1u << 7)
#define ML_PMC_GUARD (1u << 8)

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
	ML_KPF_RESERVED = 32, ML_KPF_MLOCKED = 33,	/* of the flags above 31, only these */
};
#define ML_KF(flags, bit) ((flags) >> ML_KPF_##bit & 1)

/*
 * Pages a PMD maps: one page table's worth of entries (512 with 4 KiB
 * pages), the order of a PMD-sized transparent huge page.
 */
static inline uint64_t ml_pmd_pages(unsigned page_size)
{
	return page_size / 8;
}

/* What one page is, for maps: one state per page. */
enum ml_pm_state {
	ML_ST_NONE, ML_ST_ANON, ML_ST_FILE, ML_ST_THP, ML_ST_LARGE, ML_ST_ZERO, ML_ST_SWAP, ML_ST_GUARD,
	ML_ST_CAPTURED, ML_ST_HOLE, ML_ST__COUNT
};

/*
 * Per-region page counts; the kpageflags ones stay 0 without root.
 * present, anon and file count pages with a frame of their own: a page
 * mapping the shared zero page (read, never written) counts as zero only,
 * as smaps leaves it out of Rss.  thp: pages a PMD maps (smaps'
 * AnonHugePages + ShmemPmdMapped + FilePmdMapped); large: pages of large
 * folios mapped by page table entries (mTHP, large page-cache folios, a
 * THP whose PMD was split).
 */
struct ml_pm_counts {
	uint64_t pages, present, swapped, file, anon, exclusive, soft_dirty, uffd_wp, guard;
	uint64_t thp, large, hugetlb, ksm, zero, shared, active, inactive, dirty, swapcache, unevictable;
	uint64_t compound_head, compound_tail, mlocked;
	uint64_t captured, holes;
};
void ml_pm_counts_add(struct ml_pm_counts *total, const struct ml_pm_counts *c);

/* Facts about a page beyond its pagemap word (ml_pm_seg.info). */
enum { ML_PMI_ZERO = 1, ML_PMI_PMD = 2 };

/*
 * Decodes one page: its pagemap word, its ML_PMI_* facts, and (have_kp)
 * its frame's kpageflags and kpagecount.  Counts it into c and returns
 * its state.  A guard page also has the swapped bit set; it counts as
 * guard only.
 */
enum ml_pm_state ml_pm_classify(uint64_t word, unsigned info, uint64_t kflags, uint64_t kcount,
				struct ml_pm_counts *c, bool have_kp);

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
 * bit): a 256 GiB reservation costs one ioctl and no words.  With
 * PAGEMAP_SCAN every page of a stretch has the same categories `cat`.
 */
struct ml_pm_run {
	uint64_t end;	/* byte address, page aligned */
	bool dense;
	uint64_t word;
	bool cat_known;	/* cat comes from PAGEMAP_SCAN */
	uint64_t cat;	/* ML_PMC_* */
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

/*
 * True when a page of stretch `run` maps the zero page or the huge zero
 * page: PAGEMAP_SCAN says so (PFNZERO), or its frame's kpageflags carry
 * ZERO_PAGE (kflags: 0 when not read), or its PFN is the zero page's
 * (learnt by reading a page of our own).  Such a page has no frame of its
 * own: it is not resident.
 */
bool ml_pm_zero(struct ml_pagemap *pm, const struct ml_pm_run *run, uint64_t word, uint64_t kflags);
/* True when zero-page mappings can be told apart (ml_pm_zero is not blind). */
bool ml_pm_zero_known(struct ml_pagemap *pm, bool scan, bool have_kp);

/* kpageflags / kpagecount (root).  NULL when unavailable; *why says why. */
struct ml_kpage;
struct ml_kpage *ml_kpage_open(const char **why);
/* Flags of PFNs [pfn, pfn+n), in one read; -1 after a diagnostic. */
int ml_kpage_flags(struct ml_kpage *k, uint64_t pfn, size_t n, uint64_t *flags);
void ml_kpage_close(struct ml_kpage *k);

/*
 * The walk over selected pieces of a live process: pagemap stretches
 * joined with kpageflags and kpagecount.  Dense stretches are gathered
 * until a large batch of words is full; the batch's frames are then
 * sorted and looked up once each, windows of nearby PFNs in one read, so
 * a process whose pages are scattered over RAM (or map the zero page a
 * million times) costs a few large reads instead of two per page.
 */
struct ml_pm_seg {
	size_t piece;		/* index into the pieces walked */
	uint64_t addr, n;	/* first page's address, number of pages */
	bool dense;
	uint64_t word;		/* !dense: every page's word */
	/*
	 * dense: per page; kf and kc NULL without kpageflags, and defined for
	 * present pages only (0 for those without a PFN); kc not for pages
	 * pagemap marks exclusive either: ml_pm_seg_count.
	 */
	const uint64_t *w, *kf, *kc;
	const uint8_t *info;	/* ML_PMI_* */
};
/* kpagecount of page i of a dense stretch with kpageflags: 1 when it is mapped exclusively. */
static inline uint64_t ml_pm_seg_count(const struct ml_pm_seg *g, uint64_t i)
{
	return g->w[i] & ML_PM_EXCLUSIVE ? 1 : g->kc[i];
}
struct ml_pm_walk;
/* kp may be NULL.  pieces must stay valid during the walk. */
struct ml_pm_walk *ml_pm_walk_new(struct ml_pagemap *pm, struct ml_kpage *kp, bool scan,
				  const struct ml_piece *pieces, size_t npieces);
/*
 * The next stretch, in address order, never across pieces: 1, 0 at the
 * end (or when the process went away: ml_pm_walk_gone says where), -1
 * after a diagnostic.  A failed kpageflags read is warned about once; the
 * walk goes on without (kf and kc NULL from then on).
 */
int ml_pm_walk_next(struct ml_pm_walk *wk, struct ml_pm_seg *seg);
/* True when the process went away; *at: the first page not reported. */
bool ml_pm_walk_gone(const struct ml_pm_walk *wk, uint64_t *at);
/* True once a kpageflags/kpagecount read failed and the walk went on without. */
bool ml_pm_walk_kpage_failed(const struct ml_pm_walk *wk);
void ml_pm_walk_free(struct ml_pm_walk *wk);

/*
 * Sorts n keys in place by their bits from bit `low` up (LSD radix, stable,
 * tmp of n entries).  Exposed for the unit tests.
 */
void ml_pm_sort_keys(uint64_t *keys, uint64_t *tmp, size_t n, unsigned low);

#endif
