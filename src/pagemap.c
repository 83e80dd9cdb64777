/*
 * pagemap: batched pread of /proc/PID/pagemap (offsets must be 8-byte
 * aligned: one word per page, at vaddr / page_size * 8), the PAGEMAP_SCAN
 * ioctl that skips empty runs, and /proc/kpageflags + kpagecount.
 */
#include "config.h"
#include "pagemap.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/*
 * PAGEMAP_SCAN, from include/uapi/linux/fs.h of kernels 6.7+ (Debian 12's
 * headers predate it).  Categories: WPALLOWED 0, WRITTEN 1, FILE 2,
 * PRESENT 3, SWAPPED 4, PFNZERO 5, HUGE 6, SOFT_DIRTY 7, GUARD 8 (6.14+).
 */
struct ml_pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
struct ml_page_region {
	uint64_t start, end, categories;
};
#define ML_PAGEMAP_SCAN _IOWR('f', 16, struct ml_pm_scan_arg)
#define ML_PAGE_IS_PRESENT (1u << 3)
#define ML_PAGE_IS_SWAPPED (1u << 4)
#define ML_PAGE_IS_SOFT_DIRTY (1u << 7)
#define ML_PAGE_IS_GUARD (1u << 8)
#define SCAN_VEC 1024

struct ml_pagemap {
	int fd;
	int pid;
	unsigned page_shift;
	bool scan_probed;
	uint64_t scan_mask;	/* PAGEMAP_SCAN categories this kernel knows; 0: none */
	struct ml_page_region *vec;	/* the last PAGEMAP_SCAN answer */
	long vec_n, vec_i;
	uint64_t vec_from, vec_walk_end, vec_end;
};

struct ml_pagemap *ml_pagemap_open(int pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/pagemap", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			ml_err("pid %d: no such process", pid);
		else
			ml_err("pid %d: cannot read its pagemap: %s%s", pid, strerror(errno),
			       errno == EACCES || errno == EPERM ?
			       " (run as root or check ptrace permissions)" : "");
		return NULL;
	}
	struct ml_pagemap *pm = ml_calloc(1, sizeof *pm);
	pm->fd = fd;
	pm->pid = pid;
	long ps = sysconf(_SC_PAGESIZE);
	while ((1L << pm->page_shift) < ps)
		pm->page_shift++;
	return pm;
}

long ml_pagemap_read(struct ml_pagemap *pm, uint64_t vaddr, size_t npages, uint64_t *out)
{
	uint64_t first = vaddr >> pm->page_shift;
	size_t done = 0;
	while (done < npages) {
		size_t batch = ML_MIN(npages - done, (size_t)1 << 16);
		uint64_t off = (first + done) * 8;
		if (off > (uint64_t)INT64_MAX)
			break;
		ssize_t k = pread(pm->fd, out + done, batch * 8, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			ml_err("pid %d: pagemap read failed: %s", pm->pid, strerror(errno));
			return -1;
		}
		if (k == 0)
			break;
		done += (size_t)k / 8;
	}
	return (long)done;
}

void ml_pagemap_close(struct ml_pagemap *pm)
{
	if (!pm)
		return;
	close(pm->fd);
	free(pm->vec);
	free(pm);
}

static long scan_call(struct ml_pagemap *pm, uint64_t start, uint64_t end,
		      struct ml_page_region *vec, uint64_t mask, uint64_t *walk_end)
{
	struct ml_pm_scan_arg a = {
		.size = sizeof a, .start = start, .end = end,
		.vec = (uint64_t)(uintptr_t)vec, .vec_len = SCAN_VEC, .return_mask = mask,
	};
	long r;
	while ((r = ioctl(pm->fd, ML_PAGEMAP_SCAN, &a)) < 0 && errno == EINTR)
		;
	*walk_end = a.walk_end;
	return r;
}

bool ml_pagemap_has_scan(struct ml_pagemap *pm)
{
	if (!pm->scan_probed) {
		struct ml_page_region v[SCAN_VEC];
		uint64_t we;
		/* An empty range is a valid call on kernels that know the ioctl. */
		pm->scan_mask = 0x1ff;
		if (scan_call(pm, 0, 0, v, pm->scan_mask, &we) < 0) {
			/* EINVAL: a kernel before 6.14, without the GUARD category. */
			pm->scan_mask = errno == EINVAL ? 0xff : 0;
			if (pm->scan_mask && scan_call(pm, 0, 0, v, pm->scan_mask, &we) < 0)
				pm->scan_mask = 0;
		}
		pm->scan_probed = true;
	}
	return pm->scan_mask != 0;
}

/*
 * The last ioctl's answer is kept, so stretches are handed out from it
 * until the walk passes its end.
 */
static int scan_fill(struct ml_pagemap *pm, uint64_t from, uint64_t end)
{
	if (!pm->vec)
		pm->vec = ml_calloc(SCAN_VEC, sizeof *pm->vec);
	pm->vec_n = pm->vec_i = 0;
	pm->vec_from = pm->vec_walk_end = from;
	pm->vec_end = end;
	uint64_t walk_end;
	long n = scan_call(pm, from, end, pm->vec, pm->scan_mask, &walk_end);
	if (n < 0) {
		if (errno == ESRCH || errno == ENOENT)
			return 0;
		/*
		 * EFAULT: beyond the user address limit ([vsyscall]).  Anything
		 * else: the ioctl is younger than pagemap and has refused ranges
		 * pread reads fine, and the words are the same either way.
		 */
		if (errno != EFAULT) {
			ml_warn("pid %d: PAGEMAP_SCAN failed at 0x%" PRIx64 " (%s): reading pagemap word by word from here on",
				pm->pid, from, strerror(errno));
			pm->scan_mask = 0;
		}
		return 2;
	}
	/* Hostile or not, the kernel's answer is checked before it is used. */
	uint64_t at = from;
	for (long i = 0; i < n; i++) {
		if (pm->vec[i].start < at || pm->vec[i].end <= pm->vec[i].start || pm->vec[i].end > end)
			return 2;
		at = pm->vec[i].end;
	}
	if (walk_end <= from || walk_end > end || walk_end < at)
		return 2;
	pm->vec_n = n;
	pm->vec_walk_end = walk_end;
	return 1;
}

/* The stretch at `from` as PAGEMAP_SCAN reports it; dense where it cannot tell. */
static int scan_next(struct ml_pagemap *pm, uint64_t from, uint64_t end, struct ml_pm_run *run)
{
	*run = (struct ml_pm_run){ .end = end, .dense = true };
	if (!ml_pagemap_has_scan(pm))
		return 1;
	if (pm->vec_end != end || from < pm->vec_from || from >= pm->vec_walk_end) {
		int r = scan_fill(pm, from, end);
		if (r != 1)
			return r == 0 ? 0 : 1;
	}
	/*
	 * The cursor moves forward with the usual reader; one that returns to
	 * an earlier page (a short read after a long one) starts it again.
	 */
	if (pm->vec_i > 0 && from < pm->vec[pm->vec_i - 1].end)
		pm->vec_i = 0;
	while (pm->vec_i < pm->vec_n && pm->vec[pm->vec_i].end <= from)
		pm->vec_i++;
	if (pm->vec_i == pm->vec_n) {
		/* Past the last stretch the kernel returned: nothing is mapped. */
		run->end = pm->vec_walk_end;
		run->dense = false;
		return 1;
	}
	const struct ml_page_region *r = &pm->vec[pm->vec_i];
	if (from < r->start) {
		run->end = r->start;
		run->dense = false;
		return 1;
	}
	run->end = r->end;
	if (!(r->categories & (ML_PAGE_IS_PRESENT | ML_PAGE_IS_SWAPPED | ML_PAGE_IS_GUARD))) {
		run->dense = false;
		/* An empty page's word carries only the VMA's soft-dirty flag. */
		run->word = r->categories & ML_PAGE_IS_SOFT_DIRTY ? ML_PM_SOFT_DIRTY : 0;
	}
	return 1;
}

int ml_pagemap_next(struct ml_pagemap *pm, bool scan, uint64_t from, uint64_t end, uint64_t *w,
		    size_t max, struct ml_pm_run *run)
{
	*run = (struct ml_pm_run){ .end = end, .dense = true };
	if (scan) {
		int r = scan_next(pm, from, end, run);
		if (r <= 0 || !run->dense)
			return r;
	}
	uint64_t ps = (uint64_t)1 << pm->page_shift;
	size_t n = (size_t)ML_MIN((uint64_t)max, (run->end - from) / ps);
	long got = ml_pagemap_read(pm, from, n, w);
	if (got < 0)
		return -1;
	if ((size_t)got < n) {
		bool alive = kill(pm->pid, 0) == 0 || errno != ESRCH;
		if (!alive && got == 0)
			return 0;
		/* Above the user address limit pagemap has no words: empty pages. */
		if (alive)
			memset(w + got, 0, (n - (size_t)got) * sizeof *w);
		else
			n = (size_t)got;	/* the next call says it went away */
	}
	run->end = from + n * ps;
	return 1;
}

struct ml_kpage {
	int flags_fd, count_fd;
	uint64_t *buf;
};

struct ml_kpage *ml_kpage_open(const char **why)
{
	int f = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (f < 0) {
		*why = errno == EACCES || errno == EPERM ? "/proc/kpageflags needs root" :
			"/proc/kpageflags is not available";
		return NULL;
	}
	int c = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
	struct ml_kpage *k = ml_calloc(1, sizeof *k);
	k->flags_fd = f;
	k->count_fd = c;
	k->buf = ml_calloc(1 << 16, sizeof *k->buf);
	return k;
}

static int kread(int fd, uint64_t pfn, size_t n, uint64_t *out, const char *what)
{
	size_t done = 0;
	while (done < n) {
		uint64_t off = (pfn + done) * 8;
		ssize_t r = pread(fd, out + done, (n - done) * 8, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ml_err("%s: read at pfn 0x%llx failed: %s", what,
			       (unsigned long long)(pfn + done), strerror(errno));
			return -1;
		}
		if (r == 0) {
			memset(out + done, 0, (n - done) * 8);
			break;
		}
		done += (size_t)r / 8;
	}
	return 0;
}

int ml_kpage_flags(struct ml_kpage *k, uint64_t pfn, size_t n, uint64_t *flags)
{
	return kread(k->flags_fd, pfn, n, flags, "/proc/kpageflags");
}

int ml_kpage_lookup(struct ml_kpage *k, const uint64_t *words, size_t n, uint64_t *flags,
		    uint64_t *counts)
{
	memset(flags, 0, n * sizeof *flags);
	memset(counts, 0, n * sizeof *counts);
	for (size_t i = 0; i < n;) {
		uint64_t pfn = words[i] & ML_PM_PFN_MASK;
		if (!(words[i] & ML_PM_PRESENT) || !pfn) {
			i++;
			continue;
		}
		/* A run of pages whose frames are adjacent: one read each file. */
		size_t j = i + 1;
		while (j < n && j - i < (1 << 16) && (words[j] & ML_PM_PRESENT) &&
		       (words[j] & ML_PM_PFN_MASK) == pfn + (j - i))
			j++;
		if (kread(k->flags_fd, pfn, j - i, flags + i, "/proc/kpageflags"))
			return -1;
		if (k->count_fd >= 0 && kread(k->count_fd, pfn, j - i, counts + i, "/proc/kpagecount"))
			return -1;
		i = j;
	}
	return 0;
}

void ml_kpage_close(struct ml_kpage *k)
{
	if (!k)
		return;
	close(k->flags_fd);
	if (k->count_fd >= 0)
		close(k->count_fd);
	free(k->buf);
	free(k);
}

enum ml_pm_state ml_pm_classify(uint64_t w, uint64_t kf, uint64_t kc, struct ml_pm_counts *c, bool kp)
{
	c->pages++;
	if (w & ML_PM_SOFT_DIRTY)
		c->soft_dirty++;
	if (w & ML_PM_UFFD_WP)
		c->uffd_wp++;
	/* A guard marker sets the swapped bit too: test it first. */
	if (w & ML_PM_GUARD) {
		c->guard++;
		return ML_ST_GUARD;
	}
	if (w & ML_PM_SWAPPED) {
		c->swapped++;
		if (w & ML_PM_FILE)
			c->file++;
		return ML_ST_SWAP;
	}
	if (!(w & ML_PM_PRESENT))
		return ML_ST_NONE;
	c->present++;
	if (w & ML_PM_EXCLUSIVE)
		c->exclusive++;
	bool file = w & ML_PM_FILE;
	if (file)
		c->file++;
	else
		c->anon++;
	if (!kp)
		return file ? ML_ST_FILE : ML_ST_ANON;
#define KF(b) (kf >> ML_KPF_##b & 1)
	if (KF(THP))
		c->thp++;
	if (KF(HUGE))
		c->hugetlb++;
	if (KF(KSM))
		c->ksm++;
	if (KF(ZERO_PAGE))
		c->zero++;
	if (KF(LRU))
		KF(ACTIVE) ? c->active++ : c->inactive++;
	if (KF(DIRTY))
		c->dirty++;
	if (KF(SWAPCACHE))
		c->swapcache++;
	if (KF(UNEVICTABLE))
		c->unevictable++;
	if (KF(COMPOUND_HEAD))
		c->compound_head++;
	if (KF(COMPOUND_TAIL))
		c->compound_tail++;
	if (KF(MLOCKED))
		c->mlocked++;
	if (kc > 1)
		c->shared++;
	if (KF(ZERO_PAGE))
		return ML_ST_ZERO;
	if (KF(THP))
		return ML_ST_THP;
#undef KF
	return file ? ML_ST_FILE : ML_ST_ANON;
}


/*
 * Only a free block's first page carries BUDDY; its other pages carry no
 * flag at all, so a page with no flags counts as free too.
 */
enum ml_phys ml_phys_classify(uint64_t f)
{
#define KF(b) (f >> ML_KPF_##b & 1)
	if (KF(BUDDY) || f == 0)
		return ML_PH_FREE;
	if (KF(SLAB))
		return ML_PH_SLAB;
	if (KF(PGTABLE))
		return ML_PH_PGTABLE;
	if (KF(ZERO_PAGE))
		return ML_PH_ZERO;
	if (KF(THP) || KF(HUGE))
		return ML_PH_HUGE;
	if (KF(ANON))
		return ML_PH_ANON;
	if (KF(LRU) || KF(MMAP))
		return ML_PH_FILE;
#undef KF
	return ML_PH_OTHER;
}

