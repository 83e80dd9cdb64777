/*
 * pagemap: reading /proc/PID/pagemap words (one u64 per virtual page) and
 * the meaning of their bits (kernel Documentation/admin-guide/mm/pagemap.rst).
 * Reading pagemap never touches the target's memory, so it never faults
 * pages in.
 */
#ifndef ML_PAGEMAP_H
#define ML_PAGEMAP_H

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

#endif
