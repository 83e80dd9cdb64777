/*
 * pagemap: batched pread of /proc/PID/pagemap (offsets must be 8-byte
 * aligned: one word per page, at vaddr / page_size * 8), the PAGEMAP_SCAN
 * ioctl that skips empty runs, /proc/kpageflags + kpagecount, and the walk
 * that joins them: the frames of a large batch of pages sorted, each read
 * once, nearby ones together.
 */
#include "config.h"
#include "pagemap.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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
	bool zero_probed;
	uint64_t zero_pfn;	/* the zero page's PFN; 0: unknown */
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

/* Words [first, first + n) into out: how many were read, or -1 after a diagnostic. */
static long read_words(const struct ml_pagemap *pm, uint64_t first, size_t n, uint64_t *out)
{
	size_t done = 0;
	while (done < n) {
		size_t batch = ML_MIN(n - done, (size_t)1 << 16);
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

/*
 * A long read is shared between threads (up to four, one a core): the
 * kernel walks each part's page tables on its own, under a shared lock.
 */
#define READ_THREADS 4
#define READ_PART ((size_t)1 << 17)	/* words a thread is worth */

struct read_part {
	const struct ml_pagemap *pm;
	uint64_t first;
	size_t n;
	uint64_t *out;
	long got;
};

static void *read_part(void *arg)
{
	struct read_part *r = arg;
	r->got = read_words(r->pm, r->first, r->n, r->out);
	return NULL;
}

long ml_pagemap_read(struct ml_pagemap *pm, uint64_t vaddr, size_t npages, uint64_t *out)
{
	uint64_t first = vaddr >> pm->page_shift;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = ML_MIN(npages / READ_PART, (size_t)ML_MIN(cpus, READ_THREADS));
	if (nt < 2)
		return read_words(pm, first, npages, out);
	struct read_part part[READ_THREADS];
	pthread_t th[READ_THREADS];
	bool started[READ_THREADS] = { false };
	for (size_t t = 0; t < nt; t++) {
		size_t lo = npages * t / nt, hi = npages * (t + 1) / nt;
		part[t] = (struct read_part){ .pm = pm, .first = first + lo, .n = hi - lo, .out = out + lo };
		if (t > 0 && pthread_create(&th[t], NULL, read_part, &part[t]) == 0)
			started[t] = true;
		else if (t > 0)
			read_part(&part[t]);
	}
	read_part(&part[0]);
	long done = 0;
	bool whole = true, failed = false;
	for (size_t t = 0; t < nt; t++) {
		if (t > 0 && started[t])
			pthread_join(th[t], NULL);
		failed |= part[t].got < 0;
		/* Only what was read without a gap counts, as with one read. */
		if (whole && part[t].got >= 0)
			done += part[t].got;
		whole &= part[t].got == (long)part[t].n;
	}
	return failed ? -1 : done;
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
	/*
	 * Only the categories a stretch's pages are told by: FILE (and the
	 * uffd ones) would cost a folio lookup per page and split stretches
	 * the words tell apart anyway.
	 */
	uint64_t want = pm->scan_mask & (ML_PMC_PRESENT | ML_PMC_SWAPPED | ML_PMC_PFNZERO | ML_PMC_HUGE |
					 ML_PMC_SOFT_DIRTY | ML_PMC_GUARD);
	long n = scan_call(pm, from, end, pm->vec, want, &walk_end);
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
	/* Between the stretches the kernel returns, nothing is mapped: no category. */
	run->cat_known = true;
	if (pm->vec_end != end || from < pm->vec_from || from >= pm->vec_walk_end) {
		int r = scan_fill(pm, from, end);
		if (r != 1) {
			run->cat_known = false;
			return r == 0 ? 0 : 1;
		}
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
	run->cat = r->categories;
	if (!(r->categories & (ML_PMC_PRESENT | ML_PMC_SWAPPED | ML_PMC_GUARD))) {
		run->dense = false;
		/* An empty page's word carries only the VMA's soft-dirty flag. */
		run->word = r->categories & ML_PMC_SOFT_DIRTY ? ML_PM_SOFT_DIRTY : 0;
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

/* ---- the zero page ---- */

/*
 * The zero page's PFN, from a page of our own: a read fault on a private
 * anonymous page maps the shared zero page, and our own pagemap names its
 * frame (root only: others see PFN 0, and so learn nothing).
 */
static uint64_t probe_zero_pfn(unsigned page_shift)
{
	size_t ps = (size_t)1 << page_shift;
	void *p = mmap(NULL, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	uint64_t w = 0;
	(void)*(volatile const uint8_t *)p;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, &w, sizeof w, (off_t)(((uintptr_t)p >> page_shift) * 8)) != (ssize_t)sizeof w)
			w = 0;
		close(fd);
	}
	munmap(p, ps);
	return w & ML_PM_PRESENT ? w & ML_PM_PFN_MASK : 0;
}

static uint64_t zero_pfn(struct ml_pagemap *pm)
{
	if (!pm->zero_probed) {
		pm->zero_pfn = probe_zero_pfn(pm->page_shift);
		pm->zero_probed = true;
	}
	return pm->zero_pfn;
}

bool ml_pm_zero(struct ml_pagemap *pm, const struct ml_pm_run *run, uint64_t word, uint64_t kflags)
{
	if (!(word & ML_PM_PRESENT))
		return false;
	if (ML_KF(kflags, ZERO_PAGE))
		return true;
	if (run && run->cat_known)
		return run->cat & ML_PMC_PFNZERO;
	uint64_t pfn = word & ML_PM_PFN_MASK;
	return pfn && pfn == zero_pfn(pm);
}

bool ml_pm_zero_known(struct ml_pagemap *pm, bool scan, bool have_kp)
{
	return have_kp || (scan && ml_pagemap_has_scan(pm)) || zero_pfn(pm) != 0;
}

/* ---- kpageflags and kpagecount ---- */

struct ml_kpage {
	int flags_fd, count_fd;
};

struct ml_kpage *ml_kpage_open(const char **why)
{
	int f = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	int c = f < 0 ? -1 : open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
	if (f < 0 || c < 0) {
		*why = errno == EACCES || errno == EPERM ? "/proc/kpageflags needs root" :
			"/proc/kpageflags is not available";
		if (f >= 0)
			close(f);
		return NULL;
	}
	struct ml_kpage *k = ml_calloc(1, sizeof *k);
	k->flags_fd = f;
	k->count_fd = c;
	return k;
}

/* Entries [pfn, pfn+n) of a kpage file; past the last frame they read as 0. */
static int kread(int fd, uint64_t pfn, size_t n, uint64_t *out, const char *what)
{
	size_t done = 0;
	while (done < n) {
		uint64_t off = (pfn + done) * 8;
		if (pfn + done > (uint64_t)INT64_MAX / 8)
			break;
		ssize_t r = pread(fd, out + done, (n - done) * 8, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ml_err("%s: read at pfn 0x%llx failed: %s", what,
			       (unsigned long long)(pfn + done), strerror(errno));
			return -1;
		}
		if (r == 0)
			break;
		done += (size_t)r / 8;
	}
	memset(out + done, 0, (n - done) * 8);
	return 0;
}

int ml_kpage_flags(struct ml_kpage *k, uint64_t pfn, size_t n, uint64_t *flags)
{
	return kread(k->flags_fd, pfn, n, flags, "/proc/kpageflags");
}

void ml_kpage_close(struct ml_kpage *k)
{
	if (!k)
		return;
	close(k->flags_fd);
	close(k->count_fd);
	free(k);
}

/* ---- the walk ---- */

/*
 * Measured on a 6.18 guest: one pread of kpageflags costs about as much as
 * reading 6 more entries (~450 ns a call, ~85 ns an entry), so frames up
 * to KP_GAP apart are read together.  The batch is large because that is
 * what brings scattered frames close: a 4 GiB process whose pages sit on
 * frames in no order needs 1.3 M entries in 63 K reads with batches of
 * 1 Mi pages, 2.1 M in 388 K with 256 Ki.  33 bytes a page: words, flags,
 * counts, sort keys and facts; the sort borrows the flags array.  Pages
 * never touched cost no memory, so a small process costs little.
 */
#define WALK_IDX_BITS 20
#define WALK_PAGES ((size_t)1 << WALK_IDX_BITS)
#define WALK_SEGS 4096
#define KP_GAP 6
#define KP_WINDOW ((size_t)1 << 16)
/*
 * The lookups of a batch are split between threads (one core each, up to
 * four): the kernel's cost is per entry read, so they share it evenly.
 */
#define JOIN_THREADS 4
#define JOIN_MIN_KEYS 4096	/* fewer: not worth a thread */

struct seg_q {
	size_t piece;
	uint64_t addr, n, off;
	bool dense, cat_known;
	uint64_t word, cat;
};

struct ml_pm_walk {
	struct ml_pagemap *pm;
	struct ml_kpage *kp;
	bool scan, kp_failed;
	const struct ml_piece *p;
	size_t np, pi;
	uint64_t pos, gone_at;
	bool gone;
	unsigned ps;
	uint64_t *w, *kf, *kc, *keys;
	uint64_t *win[JOIN_THREADS];
	unsigned threads;
	uint8_t *info;
	struct seg_q *q;
	size_t qn, qi;
};

struct ml_pm_walk *ml_pm_walk_new(struct ml_pagemap *pm, struct ml_kpage *kp, bool scan,
				  const struct ml_piece *pieces, size_t npieces)
{
	struct ml_pm_walk *wk = ml_calloc(1, sizeof *wk);
	wk->pm = pm;
	wk->kp = kp;
	wk->scan = scan;
	wk->p = pieces;
	wk->np = npieces;
	wk->ps = 1u << pm->page_shift;
	wk->w = ml_malloc(WALK_PAGES * sizeof *wk->w);
	wk->info = ml_malloc(WALK_PAGES);
	wk->q = ml_malloc(WALK_SEGS * sizeof *wk->q);
	if (kp) {
		wk->kf = ml_malloc(WALK_PAGES * sizeof *wk->kf);
		wk->kc = ml_malloc(WALK_PAGES * sizeof *wk->kc);
		wk->keys = ml_malloc(WALK_PAGES * sizeof *wk->keys);
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		wk->threads = cpus < 1 ? 1 : cpus > JOIN_THREADS ? JOIN_THREADS : (unsigned)cpus;
		for (unsigned t = 0; t < wk->threads; t++)
			wk->win[t] = ml_malloc(KP_WINDOW * sizeof *wk->win[t]);
	}
	return wk;
}

void ml_pm_walk_free(struct ml_pm_walk *wk)
{
	if (!wk)
		return;
	free(wk->w);
	free(wk->info);
	free(wk->q);
	free(wk->kf);
	free(wk->kc);
	free(wk->keys);
	for (unsigned t = 0; t < JOIN_THREADS; t++)
		free(wk->win[t]);
	free(wk);
}

bool ml_pm_walk_gone(const struct ml_pm_walk *wk, uint64_t *at)
{
	*at = wk->gone_at;
	return wk->gone;
}

bool ml_pm_walk_kpage_failed(const struct ml_pm_walk *wk)
{
	return wk->kp_failed;
}

void ml_pm_sort_keys(uint64_t *keys, uint64_t *tmp, size_t n, unsigned low)
{
	enum { BITS = 12, BUCKETS = 1 << BITS };	/* two passes for frames below 2^24 */
	uint64_t max = 0;
	for (size_t i = 0; i < n; i++)
		max |= keys[i];
	uint64_t *a = keys, *b = tmp;
	for (unsigned shift = low; shift < 64 && (max >> shift); shift += BITS) {
		size_t count[BUCKETS] = { 0 };
		for (size_t i = 0; i < n; i++)
			count[a[i] >> shift & (BUCKETS - 1)]++;
		size_t sum = 0;
		for (size_t d = 0; d < BUCKETS; d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			b[count[a[i] >> shift & (BUCKETS - 1)]++] = a[i];
		uint64_t *t = a;
		a = b;
		b = t;
	}
	if (a != keys)
		memcpy(keys, a, n * sizeof *keys);
}

/*
 * out[idx] = entry of key's PFN, for the sorted keys: windows of frames at
 * most KP_GAP apart in one read each; a frame looked up by many pages (the
 * zero page, a shared library's page) is read once.
 */
struct join_job {
	int fd;
	const char *what;
	const uint64_t *keys;
	size_t nk;
	uint64_t *out, *win;
	int ret;
};

static void *join(void *arg)
{
	struct join_job *jb = arg;
	const uint64_t *keys = jb->keys;
	jb->ret = 0;
	for (size_t i = 0; i < jb->nk;) {
		uint64_t p0 = keys[i] >> WALK_IDX_BITS, last = p0;
		size_t j = i + 1;
		while (j < jb->nk) {
			uint64_t pj = keys[j] >> WALK_IDX_BITS;
			if (pj - last > KP_GAP || pj - p0 >= KP_WINDOW)
				break;
			last = pj;
			j++;
		}
		if (kread(jb->fd, p0, (size_t)(last - p0 + 1), jb->win, jb->what)) {
			jb->ret = -1;
			break;
		}
		for (size_t m = i; m < j; m++)
			jb->out[keys[m] & ((1u << WALK_IDX_BITS) - 1)] = jb->win[(keys[m] >> WALK_IDX_BITS) - p0];
		i = j;
	}
	return NULL;
}

/* join() over nk keys, split into runs of keys for the walk's threads. */
static int join_all(struct ml_pm_walk *wk, int fd, const char *what, const uint64_t *keys, size_t nk,
		    uint64_t *out)
{
	unsigned nt = nk < JOIN_MIN_KEYS ? 1 : wk->threads;
	struct join_job jb[JOIN_THREADS];
	pthread_t th[JOIN_THREADS];
	bool started[JOIN_THREADS] = { false };
	for (unsigned t = 0; t < nt; t++) {
		size_t lo = nk * t / nt, hi = nk * (t + 1) / nt;
		jb[t] = (struct join_job){ .fd = fd, .what = what, .keys = keys + lo, .nk = hi - lo, .out = out,
					   .win = wk->win[t] };
		if (t > 0 && pthread_create(&th[t], NULL, join, &jb[t]) == 0)
			started[t] = true;
		else if (t > 0)
			join(&jb[t]);	/* no thread to be had: this one does it */
	}
	join(&jb[0]);
	int ret = jb[0].ret;
	for (unsigned t = 1; t < nt; t++) {
		if (started[t])
			pthread_join(th[t], NULL);
		ret |= jb[t].ret;
	}
	return ret ? -1 : 0;
}

/* kpageflags and kpagecount of the first n words of the batch. */
static int kpage_batch(struct ml_pm_walk *wk, size_t n)
{
	size_t nk = 0, big = 0;
	for (size_t k = 0; k < n; k++) {
		uint64_t w = wk->w[k], pfn = w & ML_PM_PFN_MASK;
		if (!(w & ML_PM_PRESENT))
			continue;	/* its flags and count are never looked at */
		if (!pfn) {
			wk->kf[k] = wk->kc[k] = 0;
			continue;
		}
		if (pfn >> (64 - WALK_IDX_BITS))
			big++;	/* beyond what a key holds (64 PiB of RAM): looked up alone below */
		else
			wk->keys[nk++] = pfn << WALK_IDX_BITS | k;
	}
	/*
	 * By frame only (the page index below needs no order).  The flags array
	 * is the sort's scratch: the join fills in every present page's.
	 */
	ml_pm_sort_keys(wk->keys, wk->kf, nk, WALK_IDX_BITS);
	if (join_all(wk, wk->kp->flags_fd, "/proc/kpageflags", wk->keys, nk, wk->kf))
		return -1;
	/*
	 * A page pagemap calls exclusive is mapped once: its count is 1
	 * without asking (ml_pm_seg_count), and its entry is left untouched,
	 * so a process of private pages costs no counts array at all.
	 */
	size_t nc = 0;
	for (size_t m = 0; m < nk; m++)
		if (!(wk->w[wk->keys[m] & ((1u << WALK_IDX_BITS) - 1)] & ML_PM_EXCLUSIVE))
			wk->keys[nc++] = wk->keys[m];
	if (join_all(wk, wk->kp->count_fd, "/proc/kpagecount", wk->keys, nc, wk->kc))
		return -1;
	for (size_t k = 0; big && k < n; k++) {
		uint64_t w = wk->w[k], pfn = w & ML_PM_PFN_MASK;
		if ((w & ML_PM_PRESENT) && pfn >> (64 - WALK_IDX_BITS)) {
			if (kread(wk->kp->flags_fd, pfn, 1, &wk->kf[k], "/proc/kpageflags") ||
			    kread(wk->kp->count_fd, pfn, 1, &wk->kc[k], "/proc/kpagecount"))
				return -1;
			big--;
		}
	}
	return 0;
}

/*
 * A whole PMD-sized folio at PMD-aligned addresses and frames, every
 * page present in order: mapped by a PMD.  (Without PAGEMAP_SCAN nothing
 * says so directly; a THP whose PMD was split keeps its pages in order
 * only until one of them is unmapped, remapped or swapped.)
 */
static bool pmd_block(const uint64_t *w, const uint64_t *kf, uint64_t pmd)
{
	uint64_t pfn0 = w[0] & ML_PM_PFN_MASK;
	if (!(w[0] & ML_PM_PRESENT) || !pfn0 || pfn0 % pmd || !ML_KF(kf[0], COMPOUND_HEAD) ||
	    !(ML_KF(kf[0], THP) || ML_KF(kf[0], HUGE)))
		return false;
	for (uint64_t m = 1; m < pmd; m++)
		if (!(w[m] & ML_PM_PRESENT) || (w[m] & ML_PM_PFN_MASK) != pfn0 + m || !ML_KF(kf[m], COMPOUND_TAIL))
			return false;
	return true;
}

static void seg_info(struct ml_pm_walk *wk, const struct seg_q *s)
{
	const uint64_t *w = wk->w + s->off, *kf = wk->kf && !wk->kp_failed ? wk->kf + s->off : NULL;
	uint8_t *info = wk->info + s->off;
	struct ml_pm_run run = { .cat_known = s->cat_known, .cat = s->cat };
	for (uint64_t k = 0; k < s->n; k++)
		info[k] = (w[k] & ML_PM_PRESENT) && ml_pm_zero(wk->pm, &run, w[k], kf ? kf[k] : 0) ? ML_PMI_ZERO : 0;
	if (s->cat_known) {
		for (uint64_t k = 0; (s->cat & ML_PMC_HUGE) && k < s->n; k++)
			info[k] |= ML_PMI_PMD;
		return;
	}
	if (!kf)
		return;
	uint64_t pmd = ml_pmd_pages(wk->ps), first = s->addr / wk->ps;
	for (uint64_t k = (pmd - first % pmd) % pmd; k + pmd <= s->n; k += pmd)
		if (pmd_block(w + k, kf + k, pmd))
			for (uint64_t m = 0; m < pmd; m++)
				info[k + m] |= ML_PMI_PMD;
}

/* Gathers stretches until the batch of words is full, then looks their frames up. */
static int fill(struct ml_pm_walk *wk)
{
	size_t used = 0;
	wk->qn = wk->qi = 0;
	uint64_t pmd = ml_pmd_pages(wk->ps);
	while (wk->pi < wk->np && wk->qn < WALK_SEGS && used < WALK_PAGES) {
		const struct ml_piece *pc = &wk->p[wk->pi];
		uint64_t first = pc->start / wk->ps * wk->ps;
		uint64_t end = (pc->end + wk->ps - 1) / wk->ps * wk->ps;
		if (wk->pos < first || wk->pos >= end)
			wk->pos = first;
		size_t max = WALK_PAGES - used;
		uint64_t left = (end - wk->pos) / wk->ps;
		if (max < left) {
			/* A batch ends on a PMD boundary, so a huge page is seen whole. */
			uint64_t cut = (wk->pos / wk->ps + max) % pmd;
			if (cut < max)
				max -= (size_t)cut;
			else if (used)
				break;
		}
		struct ml_pm_run run;
		int r = ml_pagemap_next(wk->pm, wk->scan, wk->pos, end, wk->w + used, max, &run);
		if (r < 0)
			return -1;
		if (r == 0) {
			wk->gone = true;
			wk->gone_at = wk->pos;
			wk->pi = wk->np;
			break;
		}
		struct seg_q *s = &wk->q[wk->qn++];
		*s = (struct seg_q){ .piece = wk->pi, .addr = wk->pos, .n = (run.end - wk->pos) / wk->ps,
				     .off = used, .dense = run.dense, .cat_known = run.cat_known, .cat = run.cat,
				     .word = run.word };
		if (run.dense)
			used += (size_t)s->n;
		wk->pos = run.end;
		if (wk->pos >= end) {
			wk->pi++;
			wk->pos = 0;
		}
	}
	if (wk->kp && !wk->kp_failed && used && kpage_batch(wk, used)) {
		/* The pagemap columns stand on their own: keep going without. */
		ml_warn("the THP, sharing and KSM columns are left empty from here on");
		wk->kp_failed = true;
	}
	for (size_t i = 0; i < wk->qn; i++)
		if (wk->q[i].dense)
			seg_info(wk, &wk->q[i]);
	return 0;
}

int ml_pm_walk_next(struct ml_pm_walk *wk, struct ml_pm_seg *seg)
{
	if (wk->qi == wk->qn) {
		if (wk->pi >= wk->np)
			return 0;
		if (fill(wk))
			return -1;
		if (wk->qn == 0)
			return 0;
	}
	const struct seg_q *s = &wk->q[wk->qi++];
	bool kp = wk->kp && !wk->kp_failed;
	*seg = (struct ml_pm_seg){ .piece = s->piece, .addr = s->addr, .n = s->n, .dense = s->dense,
				   .word = s->word };
	if (s->dense) {
		seg->w = wk->w + s->off;
		seg->info = wk->info + s->off;
		seg->kf = kp ? wk->kf + s->off : NULL;
		seg->kc = kp ? wk->kc + s->off : NULL;
	}
	return 1;
}

/* ---- classification ---- */

void ml_pm_counts_add(struct ml_pm_counts *t, const struct ml_pm_counts *c)
{
	const uint64_t *a = (const uint64_t *)c;
	uint64_t *b = (uint64_t *)t;
	for (size_t i = 0; i < sizeof *c / sizeof(uint64_t); i++)
		b[i] += a[i];
}

enum ml_pm_state ml_pm_classify(uint64_t w, unsigned info, uint64_t kf, uint64_t kc, struct ml_pm_counts *c,
				bool kp)
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
	/* The zero page is no frame of the process's own: not resident (smaps agrees). */
	if (info & ML_PMI_ZERO) {
		c->zero++;
		return ML_ST_ZERO;
	}
	c->present++;
	if (w & ML_PM_EXCLUSIVE)
		c->exclusive++;
	bool file = w & ML_PM_FILE;
	if (file)
		c->file++;
	else
		c->anon++;
	enum ml_pm_state plain = file ? ML_ST_FILE : ML_ST_ANON;
	if (!kp)
		return plain;
	if (ML_KF(kf, KSM))
		c->ksm++;
	if (ML_KF(kf, LRU))
		ML_KF(kf, ACTIVE) ? c->active++ : c->inactive++;
	if (ML_KF(kf, DIRTY))
		c->dirty++;
	if (ML_KF(kf, SWAPCACHE))
		c->swapcache++;
	if (ML_KF(kf, UNEVICTABLE))
		c->unevictable++;
	if (ML_KF(kf, COMPOUND_HEAD))
		c->compound_head++;
	if (ML_KF(kf, COMPOUND_TAIL))
		c->compound_tail++;
	if (ML_KF(kf, MLOCKED))
		c->mlocked++;
	if (kc > 1)
		c->shared++;
	if (ML_KF(kf, HUGE)) {
		c->hugetlb++;
		return plain;
	}
	/* The kernel's THP flag marks every large folio: a PMD mapping is what makes one huge. */
	if (info & ML_PMI_PMD) {
		c->thp++;
		return ML_ST_THP;
	}
	if (ML_KF(kf, THP) || ML_KF(kf, COMPOUND_HEAD) || ML_KF(kf, COMPOUND_TAIL)) {
		c->large++;
		return ML_ST_LARGE;
	}
	return plain;
}
