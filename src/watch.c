/*
 * watch: the page table of hashes and one frame's pass (see watch.h).
 * A frame first asks pagemap about every selected page and lists the
 * pages to read (runs of them), then — in --soft-dirty mode — clears the
 * soft-dirty bits at once, so the window in which a write could be
 * missed is the pagemap scan only, then reads the listed pages in long
 * preads and compares their hashes.
 */
#include "config.h"
#include "watch.h"
#include "pagemap.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <xxhash.h>

#define CHUNK 512		/* pages a chunk of the table covers */
#define BATCH 1024		/* pages read at once (4 MiB) */
#define IOVECS 1024		/* runs read at once (the kernel's IOV_MAX) */
#define WORDS 4096		/* pagemap words asked at once */

struct chunk {
	uint64_t hash[CHUNK];
	uint32_t when[CHUNK];	/* frame of the last change; ML_WATCH_NEVER */
	uint64_t known[CHUNK / 64];
};

/* A selected piece and the identity of its mapping: a mapping replaced is another piece. */
struct piece {
	uint64_t start, end;	/* the piece */
	uint64_t base;		/* its first page */
	uint64_t rstart, rend, inode, offset;
	unsigned prot, major, minor;
	enum ml_kind kind;
	bool fresh;		/* it appeared this frame: all its pages are new */
	struct chunk **dir;
	size_t ndir;
};

/* Pages to read: n pages from addr, in piece `piece`; file: pagemap calls them file pages. */
struct run {
	uint64_t addr;
	uint32_t n;
	uint32_t piece;
	bool file;
};

struct ml_watch {
	bool soft_dirty;
	bool no_vm_readv;	/* process_vm_readv was refused: /proc/PID/mem */
	uint64_t ps;
	struct piece *p;
	size_t n;
	struct ml_pagemap *pm;
	int pm_pid;
	uint64_t *words;
	uint8_t *buf, *buf2;	/* two batches: one read while the other is hashed */
	uint8_t *zero;		/* a page of zeros */
	uint64_t zero_hash;	/* its hash */
	struct run *runs;
	size_t nruns, caprun;
	/* the run of changed pages being gathered for the callback */
	uint64_t c_start, c_end;
};

struct ml_watch *ml_watch_new(bool soft_dirty)
{
	struct ml_watch *w = ml_calloc(1, sizeof *w);
	w->soft_dirty = soft_dirty;
	w->ps = (uint64_t)sysconf(_SC_PAGESIZE);
	w->words = ml_malloc(WORDS * sizeof *w->words);
	w->buf = ml_malloc(BATCH * (size_t)w->ps);
	w->buf2 = ml_malloc(BATCH * (size_t)w->ps);
	w->zero = ml_calloc(1, (size_t)w->ps);
	w->zero_hash = XXH3_64bits(w->zero, (size_t)w->ps);
	return w;
}

static void free_piece(struct piece *p)
{
	for (size_t i = 0; i < p->ndir; i++)
		free(p->dir[i]);
	free(p->dir);
	p->dir = NULL;
	p->ndir = 0;
}

void ml_watch_free(struct ml_watch *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		free_piece(&w->p[i]);
	free(w->p);
	ml_pagemap_close(w->pm);
	free(w->words);
	free(w->buf);
	free(w->buf2);
	free(w->zero);
	free(w->runs);
	free(w);
}

static bool same_mapping(const struct piece *a, const struct piece *b)
{
	return a->start == b->start && a->end == b->end && a->rstart == b->rstart && a->rend == b->rend &&
	       a->inode == b->inode && a->offset == b->offset && a->prot == b->prot && a->major == b->major &&
	       a->minor == b->minor && a->kind == b->kind;
}

static uint64_t known_pages(const struct piece *p)
{
	uint64_t n = 0;
	for (size_t i = 0; i < p->ndir; i++)
		for (size_t k = 0; p->dir[i] && k < CHUNK / 64; k++)
			n += (uint64_t)__builtin_popcountll(p->dir[i]->known[k]);
	return n;
}

/*
 * The pieces of this frame's selection, each carrying the table of the
 * same mapping last frame; pieces that went away are counted and freed.
 */
static void new_pieces(struct ml_watch *w, const struct ml_space *s, const struct ml_selection *sel, uint32_t frame,
		       struct ml_watch_stats *st)
{
	struct piece *np = ml_calloc(sel->n ? sel->n : 1, sizeof *np);
	size_t j = 0;
	st->layout = sel->n != w->n;
	for (size_t i = 0; i < sel->n; i++) {
		const struct ml_region *r = &s->r[sel->p[i].region];
		struct piece *q = &np[i];
		*q = (struct piece){
			.start = sel->p[i].start, .end = sel->p[i].end, .base = sel->p[i].start / w->ps * w->ps,
			.rstart = r->start, .rend = r->end, .inode = r->inode, .offset = r->file_offset,
			.prot = r->prot, .major = r->dev_major, .minor = r->dev_minor, .kind = r->kind,
		};
		st->pages += (q->end - q->base + w->ps - 1) / w->ps;
		while (j < w->n && w->p[j].start < q->start) {
			st->vanished += known_pages(&w->p[j]);
			free_piece(&w->p[j++]);
			st->layout = true;
		}
		if (j < w->n && same_mapping(&w->p[j], q)) {
			q->dir = w->p[j].dir;
			q->ndir = w->p[j].ndir;
			j++;
			continue;
		}
		if (j < w->n && w->p[j].start == q->start) {
			/* The same place, another mapping: what it held is gone. */
			st->vanished += known_pages(&w->p[j]);
			free_piece(&w->p[j++]);
		}
		st->layout = true;
		q->fresh = frame > 0;
		q->ndir = (size_t)(((q->end - q->base + w->ps - 1) / w->ps + CHUNK - 1) / CHUNK);
		q->dir = ml_calloc(q->ndir ? q->ndir : 1, sizeof *q->dir);
	}
	for (; j < w->n; j++) {
		st->vanished += known_pages(&w->p[j]);
		free_piece(&w->p[j]);
		st->layout = true;
	}
	free(w->p);
	w->p = np;
	w->n = sel->n;
}

static void add_run(struct ml_watch *w, uint64_t addr, uint32_t piece, bool file)
{
	struct run *l = w->nruns ? &w->runs[w->nruns - 1] : NULL;
	if (l && l->piece == piece && l->file == file && l->addr + (uint64_t)l->n * w->ps == addr && l->n < BATCH / 4) {
		l->n++;
		return;
	}
	if (w->nruns == w->caprun) {
		w->caprun = w->caprun ? 2 * w->caprun : 256;
		w->runs = ml_reallocarray(w->runs, w->caprun, sizeof *w->runs);
	}
	w->runs[w->nruns++] = (struct run){ addr, 1, piece, file };
}

/* The slot of page addr in piece p; its chunk is made on first use. */
static struct chunk *slot(struct piece *p, uint64_t ps, uint64_t addr, size_t *k)
{
	uint64_t i = (addr - p->base) / ps;
	struct chunk **c = &p->dir[i / CHUNK];
	if (!*c) {
		*c = ml_calloc(1, sizeof **c);
		for (size_t x = 0; x < CHUNK; x++)
			(*c)->when[x] = ML_WATCH_NEVER;
	}
	*k = (size_t)(i % CHUNK);
	return *c;
}

/* Phase 1, a live process: the pages to read, from pagemap. */
static int list_live(struct ml_watch *w, const struct ml_space *s, uint32_t frame, struct ml_watch_stats *st)
{
	if (!w->pm || w->pm_pid != s->pid) {
		ml_pagemap_close(w->pm);
		w->pm = ml_pagemap_open(s->pid);
		w->pm_pid = s->pid;
		if (!w->pm)
			return -1;
	}
	for (size_t i = 0; i < w->n; i++) {
		struct piece *p = &w->p[i];
		uint64_t end = (p->end + w->ps - 1) / w->ps * w->ps;
		for (uint64_t at = p->base; at < end;) {
			struct ml_pm_run run;
			int r = ml_pagemap_next(w->pm, true, at, end, w->words, WORDS, &run);
			if (r < 0)
				return -1;
			if (r == 0)
				return 0;	/* the process went away: the caller finds out on its next open */
			if (run.dense) {
				uint64_t n = (run.end - at) / w->ps;
				for (uint64_t k = 0; k < n; k++) {
					uint64_t word = w->words[k], addr = at + k * w->ps;
					if (!(word & ML_PM_PRESENT))
						continue;
					st->resident++;
					/*
					 * Not written since the last frame: unchanged, or, seen
					 * for the first time, what it held untouched.
					 */
					if (w->soft_dirty && frame > 0 && !p->fresh && !(word & ML_PM_SOFT_DIRTY))
						continue;
					add_run(w, addr, (uint32_t)i, (word & ML_PM_FILE) != 0);
				}
			}
			at = run.end;
		}
	}
	return 0;
}

/* Phase 1, a file: every captured page. */
static void list_file(struct ml_watch *w, const struct ml_space *s, struct ml_watch_stats *st)
{
	for (size_t i = 0; i < w->n; i++) {
		struct piece *p = &w->p[i];
		long ri = ml_regions_find(s->r, s->n, p->start);
		uint64_t cap = ri < 0 ? p->start : ML_MIN(ml_region_cap_end(&s->r[ri]), p->end);
		for (uint64_t at = p->base; at < cap; at += w->ps) {
			st->resident++;
			add_run(w, at, (uint32_t)i, true);
		}
	}
}

static int clear_soft_dirty(int pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/clear_refs", pid);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "4", 1) != 1) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (e == ENOENT || e == ESRCH)
			return 0;	/* gone: the next frame says so */
		ml_err("pid %d: cannot clear its soft-dirty bits (%s): %s%s", pid, path, strerror(e),
		       e == EACCES || e == EPERM ? " (run as root, or watch without --soft-dirty)" : "");
		return -1;
	}
	close(fd);
	return 0;
}

static void flush_changed(struct ml_watch *w, ml_watch_fn fn, void *ctx)
{
	if (w->c_end > w->c_start)
		fn(ctx, w->c_start, w->c_end);
	w->c_start = w->c_end = 0;
}

/* Page [a, b) of a piece changed. */
static void changed(struct ml_watch *w, uint64_t a, uint64_t b, ml_watch_fn fn, void *ctx)
{
	if (w->c_end != a || w->c_end == w->c_start)
		flush_changed(w, fn, ctx);
	if (w->c_end == w->c_start)
		w->c_start = a;
	w->c_end = b;
}

/* One page read: compare, remember. */
static void page(struct ml_watch *w, struct piece *p, uint64_t addr, const uint8_t *bytes, bool file,
		 uint32_t frame, ml_watch_fn fn, void *ctx, struct ml_watch_stats *st)
{
	uint64_t a = ML_MAX(addr, p->start), b = ML_MIN(addr + w->ps, p->end);
	const uint8_t *d = bytes + (a - addr);
	uint64_t h = XXH3_64bits(d, (size_t)(b - a));
	size_t k;
	struct chunk *c = slot(p, w->ps, addr, &k);
	bool known = c->known[k / 64] >> (k % 64) & 1, moved;
	if (known) {
		moved = c->hash[k] != h;
	} else if (frame == 0) {
		moved = false;
	} else if (p->fresh) {
		moved = true;
	} else if (p->kind == ML_KIND_FILE && file) {
		moved = false;	/* still the file's page: what it held untouched */
	} else if (p->kind == ML_KIND_FILE) {
		moved = true;	/* a private copy of a file page: written */
	} else {
		/* Anonymous memory seen for the first time: changed unless it still holds zeros. */
		moved = h != (b - a == w->ps ? w->zero_hash : XXH3_64bits(w->zero, (size_t)(b - a)));
	}
	c->hash[k] = h;
	c->known[k / 64] |= 1ull << (k % 64);
	if (moved) {
		c->when[k] = frame;
		st->changed++;
		changed(w, a, b, fn, ctx);
	}
}

/* A batch of listed pages being read (by the reader thread) or compared (by the frame). */
struct batch {
	uint8_t *buf;
	size_t first, last;	/* its runs */
	ssize_t got;		/* bytes process_vm_readv delivered, from the start */
	bool full;
};

/* The reader thread's side of a frame: batches in order into two buffers, taking turns. */
struct reader {
	struct ml_watch *w;
	int pid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch b[2];
	bool done;
};

/*
 * Reads the runs from i on, up to BATCH pages and IOVECS runs, into
 * buf: one process_vm_readv — one copy, where /proc/PID/mem copies twice;
 * pagemap has just called these pages present, so nothing is faulted in.
 * Returns the run after the last one taken.
 */
static size_t read_batch(struct ml_watch *w, int pid, size_t i, uint8_t *buf, ssize_t *got)
{
	struct iovec local[IOVECS], remote[IOVECS];
	size_t niov = 0, pages = 0;
	while (i < w->nruns && niov < IOVECS && pages + w->runs[i].n <= BATCH) {
		local[niov] = (struct iovec){ buf + pages * w->ps, (size_t)w->runs[i].n * (size_t)w->ps };
		remote[niov] = (struct iovec){ (void *)(uintptr_t)w->runs[i].addr, local[niov].iov_len };
		pages += w->runs[i].n;
		niov++;
		i++;
	}
	*got = -1;
	if (!w->no_vm_readv) {
		*got = process_vm_readv(pid, local, niov, remote, niov, 0);
		if (*got < 0 && (errno == ENOSYS || errno == EPERM))
			w->no_vm_readv = true;	/* refused: /proc/PID/mem, a page at a time */
	}
	if (*got < 0)
		*got = 0;
	return i;
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	size_t i = 0;
	for (unsigned n = 0; i < rd->w->nruns; n++) {
		struct batch *b = &rd->b[n % 2];
		pthread_mutex_lock(&rd->mu);
		while (b->full)
			pthread_cond_wait(&rd->cv, &rd->mu);
		pthread_mutex_unlock(&rd->mu);
		b->first = i;
		i = read_batch(rd->w, rd->pid, i, b->buf, &b->got);
		b->last = i;
		pthread_mutex_lock(&rd->mu);
		b->full = true;
		pthread_cond_broadcast(&rd->cv);
		pthread_mutex_unlock(&rd->mu);
	}
	pthread_mutex_lock(&rd->mu);
	rd->done = true;
	pthread_cond_broadcast(&rd->cv);
	pthread_mutex_unlock(&rd->mu);
	return NULL;
}

/* The pages of a batch read: compared; one that did not come is read alone, or skipped. */
static void take_batch(struct ml_watch *w, struct ml_space *s, const struct batch *b, uint32_t frame,
		       ml_watch_fn fn, void *ctx, struct ml_watch_stats *st)
{
	size_t off = 0;
	for (size_t r = b->first; r < b->last; r++) {
		const struct run *run = &w->runs[r];
		for (uint32_t k = 0; k < run->n; k++, off += w->ps) {
			uint64_t addr = run->addr + (uint64_t)k * w->ps;
			if (off + w->ps > (size_t)b->got &&
			    pread(s->fd, b->buf + off, (size_t)w->ps, (off_t)addr) != (ssize_t)w->ps)
				continue;
			st->read++;
			page(w, &w->p[run->piece], addr, b->buf + off, run->file, frame, fn, ctx, st);
		}
	}
}

/*
 * Phase 2, a live process: one thread reads the next batch while this one
 * hashes the last, so a frame takes about as long as the reading alone.
 */
static void read_live(struct ml_watch *w, struct ml_space *s, uint32_t frame, ml_watch_fn fn, void *ctx,
		      struct ml_watch_stats *st)
{
	struct reader rd = { .w = w, .pid = s->pid };
	rd.b[0].buf = w->buf;
	rd.b[1].buf = w->buf2;
	pthread_mutex_init(&rd.mu, NULL);
	pthread_cond_init(&rd.cv, NULL);
	pthread_t t;
	bool threaded = w->nruns > 0 && pthread_create(&t, NULL, reader_main, &rd) == 0;
	if (!threaded) {
		/* No thread: read and hash in turn. */
		for (size_t i = 0; i < w->nruns;) {
			struct batch *b = &rd.b[0];
			b->first = i;
			i = b->last = read_batch(w, s->pid, i, b->buf, &b->got);
			take_batch(w, s, b, frame, fn, ctx, st);
		}
	}
	for (unsigned n = 0; threaded; n++) {
		struct batch *b = &rd.b[n % 2];
		pthread_mutex_lock(&rd.mu);
		while (!b->full && !rd.done)
			pthread_cond_wait(&rd.cv, &rd.mu);
		bool have = b->full;
		pthread_mutex_unlock(&rd.mu);
		if (!have)
			break;
		take_batch(w, s, b, frame, fn, ctx, st);
		pthread_mutex_lock(&rd.mu);
		b->full = false;
		pthread_cond_broadcast(&rd.cv);
		pthread_mutex_unlock(&rd.mu);
	}
	if (threaded)
		pthread_join(t, NULL);
	pthread_mutex_destroy(&rd.mu);
	pthread_cond_destroy(&rd.cv);
}

/* Phase 2, a file: each listed page, or its part in the piece, through the source. */
static void read_file(struct ml_watch *w, struct ml_space *s, uint32_t frame, ml_watch_fn fn, void *ctx,
		      struct ml_watch_stats *st)
{
	for (size_t i = 0; i < w->nruns; i++) {
		const struct run *r = &w->runs[i];
		struct piece *p = &w->p[r->piece];
		for (uint32_t k = 0; k < r->n; k++) {
			/* A piece may start or end inside a page: only its part is read and hashed. */
			uint64_t pg = r->addr + (uint64_t)k * w->ps, a = ML_MAX(pg, p->start), b = ML_MIN(pg + w->ps, p->end);
			if (ml_read_exact(s, a, (size_t)(b - a), w->buf + (a - pg))) {
				st->read++;
				page(w, p, pg, w->buf, r->file, frame, fn, ctx, st);
			}
		}
	}
}

int ml_watch_frame(struct ml_watch *w, struct ml_space *s, const struct ml_selection *sel, uint32_t frame,
		   ml_watch_fn fn, void *ctx, struct ml_watch_stats *st)
{
	memset(st, 0, sizeof *st);
	new_pieces(w, s, sel, frame, st);
	w->nruns = 0;
	bool live = ml_space_can(s, ML_CAP_LIVE);
	if (live && list_live(w, s, frame, st))
		return -1;
	if (!live)
		list_file(w, s, st);
	if (live && w->soft_dirty && clear_soft_dirty(s->pid))
		return -1;
	if (live)
		read_live(w, s, frame, fn, ctx, st);
	else
		read_file(w, s, frame, fn, ctx, st);
	flush_changed(w, fn, ctx);
	return 0;
}

uint32_t ml_watch_age(const struct ml_watch *w, uint64_t addr, uint32_t frame)
{
	size_t lo = 0, hi = w->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (w->p[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == w->n || addr < w->p[lo].start)
		return ML_WATCH_ABSENT;
	const struct piece *p = &w->p[lo];
	uint64_t i = (addr / w->ps * w->ps - p->base) / w->ps;
	const struct chunk *c = p->dir[i / CHUNK];
	if (!c || !(c->known[(i % CHUNK) / 64] >> (i % 64) & 1))
		return ML_WATCH_ABSENT;
	uint32_t when = c->when[i % CHUNK];
	return when == ML_WATCH_NEVER ? ML_WATCH_NEVER : frame - when;
}

void ml_watch_ages(const struct ml_watch *w, uint32_t frame, uint64_t per, uint32_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = ML_WATCH_ABSENT;
	uint64_t idx = 0;	/* selected pages before the current one */
	for (size_t i = 0; i < w->n; i++) {
		const struct piece *p = &w->p[i];
		uint64_t pages = (p->end - p->base + w->ps - 1) / w->ps;
		for (uint64_t k = 0; k < pages; k++) {
			const struct chunk *c = p->dir[k / CHUNK];
			if (!c) {
				k += CHUNK - 1 - k % CHUNK;	/* a chunk never made: nothing resident there */
				continue;
			}
			if (!(c->known[(k % CHUNK) / 64] >> (k % 64) & 1))
				continue;
			uint32_t when = c->when[k % CHUNK];
			uint32_t age = when == ML_WATCH_NEVER ? ML_WATCH_NEVER : frame - when;
			uint64_t cell = (idx + k) / per;
			if (cell < n && age < out[cell])
				out[cell] = age;
		}
		idx += pages;
	}
}

uint64_t ml_watch_page_addr(const struct ml_watch *w, uint64_t idx)
{
	for (size_t i = 0; i < w->n; i++) {
		uint64_t pages = (w->p[i].end - w->p[i].base + w->ps - 1) / w->ps;
		if (idx < pages)
			return w->p[i].base + idx * w->ps;
		idx -= pages;
	}
	return 0;
}

int ml_soft_dirty_supported(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	volatile uint8_t *pg = mmap(NULL, (size_t)ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pg == MAP_FAILED)
		return -1;
	pg[0] = 1;
	int r = -1;
	if (clear_soft_dirty((int)getpid()) == 0) {
		pg[0] = 2;	/* written after the clear: soft-dirty, where the kernel tracks it */
		uint64_t word = 0;
		int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && pread(fd, &word, sizeof word, (off_t)((uintptr_t)pg / (uintptr_t)ps * 8)) == sizeof word)
			r = (word & ML_PM_PRESENT) && (word & ML_PM_SOFT_DIRTY) ? 1 : 0;
		if (fd >= 0)
			close(fd);
	}
	munmap((void *)pg, (size_t)ps);
	return r;
}
