/*
 * mlnote: the MEMLENS note that `memlens snapshot` adds to its cores — what
 * /proc/PID/pagemap said of every page of every mapping at capture time,
 * and where the core's bytes for it came from.  No other core carries
 * this; `memlens pagemap CORE` reads it back.  Layout (memlens-snapshot(1)),
 * all fields little-endian, in a note with owner "MEMLENS" and type
 * ML_NT_MEMLENS_PAGES:
 *
 *   header, 40 bytes: u32 version (1), u32 flags (ML_MLN_*), u64 page_size,
 *     u64 capture time (ns since the epoch), u64 ns the target was stopped,
 *     u64 number of runs
 *   then that many runs, 24 bytes each, sorted, disjoint:
 *     u64 start, u64 end (byte addresses, page aligned), u32 facts, u32 content
 *
 * facts: bits 0-8 are bits 55-63 of the pagemap word every page of the run
 * had (0 soft-dirty, 1 exclusive, 2 uffd-wp, 3 guard, 6 file page or shared
 * anonymous, 7 swapped, 8 present; the PFN is not kept), bit 16 says the
 * pages map the kernel's shared zero page.  content: ML_PC_*.
 * Pure encode/decode over untrusted bytes; nothing here prints.
 */
#ifndef ML_MLNOTE_H
#define ML_MLNOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ML_MLNOTE_OWNER "MEMLENS"
#define ML_NT_MEMLENS_PAGES 0x4d4c5047	/* "MLPG" */
#define ML_MLNOTE_VERSION 1
#define ML_MLNOTE_HDR 40
#define ML_MLNOTE_RUN 24

/* Header flags. */
enum {
	ML_MLN_FROZEN = 1,	/* every thread was stopped for the whole copy */
	ML_MLN_ZERO_KNOWN = 2,	/* zero-page mappings were told apart (ML_PF_ZERO is meaningful) */
	ML_MLN_SCAN = 4,	/* PAGEMAP_SCAN found the empty stretches */
};

#define ML_PF_WORD_SHIFT 55
#define ML_PF_WORD_BITS 0x1ffu
#define ML_PF_ZERO (1u << 16)

/* Where a run's bytes in the core came from. */
enum ml_pc {
	ML_PC_NONE = 0,		/* not in the core: the mapping was not dumped (--filter) */
	ML_PC_MEMORY = 1,	/* copied from the process */
	ML_PC_FILE = 2,		/* not in the process: read from the mapped file */
	ML_PC_ZERO = 3,		/* never touched anonymous memory: zero pages, a hole of the file */
	ML_PC_UNREADABLE = 4,	/* the kernel would not give them: a hole, and not data */
	ML_PC__COUNT
};

struct ml_mlnote_hdr {
	uint32_t version, flags;
	uint64_t page_size, time_ns, stopped_ns, nruns;
};

struct ml_mlrun {
	uint64_t start, end;
	uint32_t facts, content;
};

void ml_mlnote_hdr_encode(unsigned char out[ML_MLNOTE_HDR], const struct ml_mlnote_hdr *h);
void ml_mlrun_encode(unsigned char out[ML_MLNOTE_RUN], const struct ml_mlrun *r);
/*
 * Decodes and checks a header against the len bytes of its note: 0, or -1
 * with *why set (another version, a page size that is no power of two, more
 * runs than the note holds).
 */
int ml_mlnote_hdr_decode(const void *desc, size_t len, struct ml_mlnote_hdr *h, const char **why);
/* Decodes run i (< nruns, checked by the caller); -1 when it is empty or its content unknown. */
int ml_mlrun_decode(const void *desc, uint64_t i, struct ml_mlrun *r);

/* The facts of a pagemap word, and a pagemap word (PFN 0) from facts. */
static inline uint32_t ml_pf_from_word(uint64_t word, bool zero)
{
	return (uint32_t)(word >> ML_PF_WORD_SHIFT & ML_PF_WORD_BITS) | (zero ? ML_PF_ZERO : 0);
}
static inline uint64_t ml_pf_to_word(uint32_t facts)
{
	return (uint64_t)(facts & ML_PF_WORD_BITS) << ML_PF_WORD_SHIFT;
}
/* "memory", "file", ... for JSON and tables. */
const char *ml_pc_name(uint32_t content);

#endif
