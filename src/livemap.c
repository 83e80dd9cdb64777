/*
 * livemap: the class of each page of a live process (see livemap.h), from
 * pagemap through ml_pagemap_next() and from the PROCMAP_QUERY ioctl on
 * /proc/PID/maps.  One window of answers is kept: up to WINDOW pagemap
 * words of one mapping, or one class for a whole stretch (a 64 GiB
 * untouched reservation is one PAGEMAP_SCAN call and no words).
 */
#include "config.h"
#include "livemap.h"
#include "pagemap.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Pages whose pagemap words are kept at once: 64 KiB of words, 32 MiB of memory. */
#define WINDOW 8192

/*
 * PROCMAP_QUERY, from include/uapi/linux/fs.h of kernels 6.11+ (Debian 12's
 * headers predate it).  With COVERING_OR_NEXT the kernel answers the
 * mapping holding query_addr, else the next one above it.
 */
struct ml_procmap_query {
	uint64_t size, query_flags, query_addr;
	uint64_t vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
	uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
	uint64_t vma_name_addr, build_id_addr;
};
#define ML_PROCMAP_QUERY _IOWR('f', 17, struct ml_procmap_query)
#define ML_PMQ_VMA_SHARED 0x08
#define ML_PMQ_COVERING_OR_NEXT 0x10

struct ml_livemap {
	int pid;
	uint64_t ps;
	struct ml_pagemap *pm;
	int maps_fd;		/* for PROCMAP_QUERY; -1 when the kernel cannot answer */
	uint64_t *w;
	bool scan;		/* PAGEMAP_SCAN where the kernel has it */
	bool exited;
	/*
	 * The window [start, end), inside one mapping: its pagemap words
	 * (dense), one word for every page, or one fixed class (GONE,
	 * UNKNOWN) when fixed is set.
	 */
	uint64_t start, end;
	bool dense, fixed;
	uint64_t word;
	struct ml_pm_run pmrun;	/* the stretch: its PAGEMAP_SCAN categories */
	enum ml_lm_class cls;
	bool vma_known;
	uint64_t vma_start, vma_end, vma_offset, vma_page_size;
};

struct ml_livemap *ml_livemap_open(int pid)
{
	struct ml_pagemap *pm = ml_pagemap_open(pid);
	if (!pm)
		return NULL;
	struct ml_livemap *m = ml_calloc(1, sizeof *m);
	m->pid = pid;
	m->ps = (uint64_t)sysconf(_SC_PAGESIZE);
	m->pm = pm;
	m->scan = true;
	m->w = ml_malloc(WINDOW * sizeof *m->w);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	/* Without it reads still avoid faults; they only cannot see a mapping vanish. */
	m->maps_fd = open(path, O_RDONLY | O_CLOEXEC);
	return m;
}

void ml_livemap_close(struct ml_livemap *m)
{
	if (!m)
		return;
	ml_pagemap_close(m->pm);
	if (m->maps_fd >= 0)
		close(m->maps_fd);
	free(m->w);
	free(m);
}

void ml_livemap_use_scan(struct ml_livemap *m, bool on)
{
	m->scan = on;
	m->start = m->end = 0;	/* forget the window */
}

/* Is the mapping the kernel has now at `at` the one maps listed as r? */
static bool same_mapping(const struct ml_region *r, const struct ml_procmap_query *q, uint64_t at)
{
	if (q->inode != r->inode || q->dev_major != r->dev_major || q->dev_minor != r->dev_minor)
		return false;
	if (!(q->vma_flags & ML_PMQ_VMA_SHARED) != !(r->prot & ML_PROT_SHARED))
		return false;
	/* A file mapping must still show the same part of the file at `at`. */
	return !q->inode || q->vma_offset + (at - q->vma_start) == r->file_offset + (at - r->start);
}

static void fix(struct ml_livemap *m, uint64_t from, uint64_t end, enum ml_lm_class cls)
{
	m->start = from;
	m->end = end;
	m->fixed = true;
	m->cls = cls;
}

/*
 * Asks which mapping holds `from` now.  0: it is r (end clipped to it);
 * 1: the window is set (gone, or the process exited).
 */
static int check_vma(struct ml_livemap *m, const struct ml_region *r, uint64_t from, uint64_t *end)
{
	struct ml_procmap_query q = { .size = sizeof q, .query_flags = ML_PMQ_COVERING_OR_NEXT,
				      .query_addr = from };
	int rc;
	while ((rc = ioctl(m->maps_fd, ML_PROCMAP_QUERY, &q)) < 0 && errno == EINTR)
		;
	if (rc < 0) {
		if (errno == ENOENT) {		/* nothing mapped at or above from */
			fix(m, from, *end, ML_LM_GONE);
			return 1;
		}
		if (errno == ESRCH) {
			m->exited = true;
			return 1;
		}
		/* ENOTTY: a kernel before 6.11.  Ask no more. */
		close(m->maps_fd);
		m->maps_fd = -1;
		return 0;
	}
	/* The kernel's answer is checked before it is trusted. */
	if (q.vma_end <= q.vma_start || q.vma_end <= from) {
		close(m->maps_fd);
		m->maps_fd = -1;
		return 0;
	}
	if (q.vma_start > from) {
		fix(m, from, ML_MIN(*end, q.vma_start), ML_LM_GONE);
		return 1;
	}
	if (!same_mapping(r, &q, from)) {
		fix(m, from, ML_MIN(*end, q.vma_end), ML_LM_GONE);
		return 1;
	}
	*end = ML_MIN(*end, q.vma_end);
	m->vma_known = true;
	m->vma_start = q.vma_start;
	m->vma_end = q.vma_end;
	m->vma_offset = q.vma_offset;
	m->vma_page_size = q.vma_page_size;
	return 0;
}

static void refill(struct ml_livemap *m, const struct ml_region *r, uint64_t addr)
{
	uint64_t from = addr & ~(m->ps - 1), end = r->end;
	m->vma_known = false;
	m->fixed = false;
	if (m->maps_fd >= 0 && check_vma(m, r, from, &end))
		return;
	struct ml_pm_run run;
	int got = ml_pagemap_next(m->pm, m->scan, from, end, m->w, WINDOW, &run);
	if (got == 0) {
		m->exited = true;
		return;
	}
	if (got < 0 || run.end <= from || run.end > end) {
		fix(m, from, end, ML_LM_UNKNOWN);
		return;
	}
	m->start = from;
	m->end = run.end;
	m->dense = run.dense;
	m->word = run.word;
	m->pmrun = run;
}

static enum ml_lm_class class_of(struct ml_livemap *m, uint64_t w)
{
	/* A guard marker sets the swapped bit too: test it first. */
	if (w & ML_PM_GUARD)
		return ML_LM_GUARD;
	if (w & ML_PM_PRESENT)
		return ml_pm_zero(m->pm, &m->pmrun, w, 0) ? ML_LM_ZERO : ML_LM_MEM;
	if (w & ML_PM_SWAPPED)
		return ML_LM_MEM;
	return ML_LM_UNTOUCHED;
}

void ml_livemap_run(struct ml_livemap *m, const struct ml_region *r, uint64_t addr, uint64_t end,
		    struct ml_lm_run *run)
{
	*run = (struct ml_lm_run){ .end = end, .cls = ML_LM_EXITED };
	if (!m->exited && (addr < m->start || addr >= m->end))
		refill(m, r, addr);
	if (m->exited)
		return;
	uint64_t lim = ML_MIN(end, m->end);
	run->end = lim;
	run->vma_known = m->vma_known;
	run->vma_start = m->vma_start;
	run->vma_end = m->vma_end;
	run->vma_offset = m->vma_offset;
	run->vma_page_size = m->vma_page_size;
	if (m->fixed) {
		run->cls = m->cls;
		return;
	}
	if (!m->dense) {
		run->cls = class_of(m, m->word);
		return;
	}
	uint64_t i = (addr - m->start) / m->ps, n = (m->end - m->start) / m->ps;
	run->cls = class_of(m, m->w[i]);
	while (++i < n && m->start + i * m->ps < lim && class_of(m, m->w[i]) == run->cls)
		;
	run->end = ML_MIN(lim, m->start + i * m->ps);
}
