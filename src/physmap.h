/*
 * physmap: `memlens pagemap --physical` — every frame of System RAM
 * (/proc/iomem) classified by /proc/kpageflags, counted, and drawn one
 * cell per frame (or per 2^k frames) on a Hilbert curve or in rows.
 * Classes are exclusive; each is named after the /proc/meminfo line it
 * should agree with where there is one.
 */
#ifndef ML_PHYSMAP_H
#define ML_PHYSMAP_H

#include <stdbool.h>
#include <stdint.h>

enum ml_phys {
	ML_PH_FREE,		/* BUDDY: the page allocator's free lists (MemFree) */
	ML_PH_ANON,		/* anonymous, in folios below PMD size */
	ML_PH_ANON_THP,		/* anonymous PMD-sized folios (AnonHugePages) */
	ML_PH_FILE,		/* page cache and shmem below PMD size */
	ML_PH_FILE_THP,		/* PMD-sized page-cache and shmem folios (FileHugePages, ShmemHugePages) */
	ML_PH_SLAB,
	ML_PH_PGTABLE,
	ML_PH_HUGETLB,
	ML_PH_ZERO,		/* the zero page and the huge zero page */
	ML_PH_RESERVED,		/* PG_reserved: kernel image, firmware, memmap */
	ML_PH_NOFLAGS,		/* no flag at all: per-CPU free lists, plain kernel allocations */
	ML_PH_OTHER,
	ML_PH__COUNT
};

/*
 * The class of a frame with kpageflags kflags; pmd_folio: the frame is
 * part of a folio of exactly PMD size (a head and PMD-1 tails in a row).
 */
enum ml_phys ml_phys_classify(uint64_t kflags, bool pmd_folio);
/* True when a frame is part of a large folio below PMD size (THP flag, not hugetlb or zero). */
bool ml_phys_large_folio(uint64_t kflags, bool pmd_folio);
const char *ml_phys_name(enum ml_phys c);

struct ml_physmap_opts {
	const char *out;	/* PNG path, or NULL */
	bool json, hilbert;
	uint64_t width;		/* linear layout: cells a row; 0: 1024 */
};
/* Runs the whole report; 0, or -1 after a diagnostic. */
int ml_physmap(const struct ml_physmap_opts *o);

#endif
