/*
 * livemap: what each page of a live process holds, found without touching
 * it.  Reading /proc/PID/mem at a page the process never touched makes the
 * kernel map one in (the zero page for anonymous memory, the file's page
 * for a file mapping): the reader would change the evidence and grow the
 * target's page tables.  So the live source asks here first.  pagemap
 * (PAGEMAP_SCAN stretches, pread where the kernel lacks it) tells which
 * pages are present or swapped (only those are read through mem), which
 * are guard pages (holes), which were never touched (their bytes are
 * known without the process: zeros, or the mapped file's), and which map
 * the zero page (zeros: a sanitizer's shadow can map TiB of it, which
 * /proc/PID/mem would copy page by page).  PROCMAP_QUERY
 * (6.11+) tells whether the mapping is still the one /proc/PID/maps
 * listed, so a mapping that went away mid-read becomes holes, not zeros.
 * Answers are kept for a window of pages, so a stream of small reads (the
 * heap walker's) costs no extra system calls.
 */
#ifndef ML_LIVEMAP_H
#define ML_LIVEMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "region.h"

enum ml_lm_class {
	ML_LM_MEM,		/* present or swapped: read it through /proc/PID/mem */
	ML_LM_UNTOUCHED,	/* neither: its bytes are known without the process */
	ML_LM_ZERO,		/* present, mapping the (huge) zero page: zeros, no need to read */
	ML_LM_GUARD,		/* a guard page (MADV_GUARD_INSTALL): unreadable */
	ML_LM_GONE,		/* unmapped or replaced since maps was read */
	ML_LM_UNKNOWN,		/* pagemap failed here: cannot tell without faulting */
	ML_LM_EXITED,		/* the process (its address space) went away */
};

/* A run of pages of one class, from the address asked to `end`. */
struct ml_lm_run {
	uint64_t end;
	enum ml_lm_class cls;
	/* The mapping that holds the run now, when PROCMAP_QUERY said so. */
	bool vma_known;
	uint64_t vma_start, vma_end, vma_offset, vma_page_size;
};

struct ml_livemap;

/* NULL after a diagnostic (the pagemap cannot be opened). */
struct ml_livemap *ml_livemap_open(int pid);
/*
 * The run of pages of one class that starts at addr, inside r and below
 * `end` (addr < end <= r->end).  run->end > addr always.
 */
void ml_livemap_run(struct ml_livemap *m, const struct ml_region *r, uint64_t addr, uint64_t end,
		    struct ml_lm_run *run);
void ml_livemap_close(struct ml_livemap *m);
/* Use PAGEMAP_SCAN where the kernel has it (the default), or plain pread. */
void ml_livemap_use_scan(struct ml_livemap *m, bool on);

#endif
