/*
 * heap_glibc: finding and walking glibc malloc's heaps in raw memory (see
 * heap_glibc.h).  Reads go through a small block cache so a walk of a
 * million chunks costs a few large reads, not a syscall per header.
 */
#include "config.h"
#include "heap_glibc.h"
#include "util.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINSIZE 0x20u
#define PREV_INUSE 1u
#define IS_MMAPPED 2u
#define NON_MAIN 4u
#define SIZE_BITS 7u
#define NBINS 128
#define NFASTBINS 10
#define TCACHE_BINS 64
#define HEAP_MAX ((uint64_t)64 << 20)	/* 2 * DEFAULT_MMAP_THRESHOLD_MAX on 64-bit */
#define MAX_HEAPS 4096			/* per arena */
#define MAX_ARENAS 4096
#define SCAN_MAX ((uint64_t)64 << 20)	/* largest writable mapping scanned for main_arena */
#define VERSION_SCAN_MAX ((uint64_t)64 << 20)	/* bytes of one mapping or file searched for the version */
#define VERSION_BUDGET ((uint64_t)256 << 20)	/* ... of all of them together */
#define MMAP_SCAN_MAX ((uint64_t)64 << 30)	/* anonymous memory searched for mmapped chunks */
#define MAX_MMAPPED (1u << 18)		/* mmapped chunks listed (glibc's default limit: 65536) */

/* ---- the block cache ---- */

#define CB_SHIFT 16
#define CB_SIZE ((size_t)1 << CB_SHIFT)
#define CB_SLOTS 64
#define CB_GRAN (CB_SIZE / 16)

struct ml_hcache {
	uint64_t tag[CB_SLOTS];
	bool used[CB_SLOTS];
	uint64_t valid[CB_SLOTS][CB_GRAN / 64];	/* one bit per 16-byte granule */
	uint8_t data[CB_SLOTS][CB_SIZE];
};

static void cache_load(struct ml_hmem *m, unsigned s, uint64_t blk)
{
	struct ml_hcache *c = m->cache;
	uint64_t base = blk << CB_SHIFT;
	size_t off = 0;
	memset(c->valid[s], 0, sizeof c->valid[s]);
	c->tag[s] = blk;
	c->used[s] = true;
	while (off < CB_SIZE) {
		bool hole = true;
		size_t k = m->read(m->ctx, base + off, CB_SIZE - off, c->data[s] + off, &hole);
		if (k == 0 || k > CB_SIZE - off)
			break;
		if (!hole) {
			/* Granules wholly inside this run of data. */
			for (size_t g = (off + 15) / 16; g < (off + k) / 16; g++)
				c->valid[s][g / 64] |= (uint64_t)1 << (g % 64);
		}
		off += k;
	}
}

/* Copies n bytes at addr; true only when every byte is data. */
static bool hread(struct ml_hmem *m, uint64_t addr, size_t n, void *buf)
{
	if (n && addr + n - 1 < addr)
		return false;
	uint8_t *out = buf;
	while (n) {
		uint64_t blk = addr >> CB_SHIFT;
		size_t o = (size_t)(addr & (CB_SIZE - 1)), k = ML_MIN(n, CB_SIZE - o);
		unsigned s = (unsigned)((blk ^ (blk >> 6)) % CB_SLOTS);
		if (!m->cache->used[s] || m->cache->tag[s] != blk)
			cache_load(m, s, blk);
		for (size_t g = o / 16; g <= (o + k - 1) / 16; g++)
			if (!(m->cache->valid[s][g / 64] >> (g % 64) & 1))
				return false;
		memcpy(out, m->cache->data[s] + o, k);
		out += k;
		addr += k;
		n -= k;
	}
	return true;
}

static bool rd64(struct ml_hmem *m, uint64_t addr, uint64_t *v)
{
	return hread(m, addr, 8, v);
}

/* Reads a span straight through (no cache), holes zeroed; data bytes read. */
static size_t read_span(struct ml_hmem *m, uint64_t addr, size_t n, uint8_t *buf)
{
	return ml_read_zeroed(m->read, m->ctx, addr, n, buf);
}

/* A whole region into a new buffer (holes zeroed); NULL when nothing of it reads. */
static uint8_t *read_region(struct ml_hmem *m, const struct ml_region *r, size_t *len)
{
	*len = (size_t)(r->end - r->start);
	uint8_t *buf = ml_malloc(*len);
	if (!read_span(m, r->start, *len, buf)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static const struct ml_region *region_of(const struct ml_hmem *m, uint64_t addr)
{
	long i = ml_regions_find(m->r, m->nr, addr);
	return i < 0 ? NULL : &m->r[i];
}

/* ---- versions and layouts ---- */

int ml_glibc_layout(unsigned minor, struct ml_glibc_layout *l)
{
	if (minor < 26 || minor > 41)
		return -1;
	memset(l, 0, sizeof *l);
	l->minor = minor;
	l->tcache_u16 = minor >= 30;
	l->safe_linking = minor >= 32;
	l->tcache_chunk = minor >= 30 ? 0x290 : 0x250;
	l->heap_info_size = minor >= 35 ? 48 : 32;
	/* mutex, flags, (have_fastchunks + pad from 2.27), fastbinsY[10], top, ... */
	l->fastbins = minor >= 27 ? 0x10 : 0x08;
	l->top = l->fastbins + NFASTBINS * 8;
	l->bins = l->top + 16;
	l->next = l->bins + (NBINS * 2 - 2) * 8 + 16;	/* after binmap[4] */
	l->system_mem = l->next + 24;			/* next_free, attached_threads */
	l->state_size = l->system_mem + 16;		/* max_system_mem */
	return 0;
}

const char *ml_hbin_name(enum ml_hbin b)
{
	static const char *const n[ML_HB__COUNT] = {
		[ML_HB_NONE] = NULL, [ML_HB_TCACHE] = "tcache", [ML_HB_FASTBIN] = "fastbin",
		[ML_HB_UNSORTED] = "unsorted", [ML_HB_SMALL] = "small", [ML_HB_LARGE] = "large",
		[ML_HB_TOP] = "top", [ML_HB_MMAPPED] = "mmapped", [ML_HB_FREE_UNLISTED] = NULL,
	};
	return (unsigned)b < ML_HB__COUNT ? n[b] : NULL;
}

static const char *parse_minor(const char *p, const char *end, unsigned *minor)
{
	unsigned v = 0, d = 0;
	while (p < end && *p >= '0' && *p <= '9' && d < 3) {
		v = v * 10 + (unsigned)(*p++ - '0');
		d++;
	}
	if (!d || (p < end && *p >= '0' && *p <= '9'))
		return NULL;
	*minor = v;
	return p;
}

int ml_glibc_version_parse(const char *s, unsigned *minor)
{
	struct ml_glibc_layout L;
	size_t n = strlen(s);
	unsigned v;
	if (strncmp(s, "2.", 2) || parse_minor(s + 2, s + n, &v) != s + n || ml_glibc_layout(v, &L))
		return -1;
	*minor = v;
	return 0;
}

int ml_glibc_version_in(const char *text, size_t n, unsigned *minor)
{
	static const char *const keys[] = { "release version 2.", "libc-2.", "GLIBC 2." };
	for (size_t k = 0; k < ML_ARRAY_SIZE(keys); k++) {
		size_t kl = strlen(keys[k]);
		const char *p = text, *end = text + n;
		while (p < end) {
			const char *f = memmem(p, (size_t)(end - p), keys[k], kl);
			if (!f)
				break;
			if (parse_minor(f + kl, end, minor))
				return 0;
			p = f + 1;
		}
	}
	return -1;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

static bool is_libc_path(const char *path)
{
	if (!path)
		return false;
	const char *b = base_name(path);
	if (!strncmp(b, "libc.so", 7) && (b[7] == '\0' || b[7] == '.'))
		return true;
	return !strncmp(b, "libc-", 5) && b[5] >= '0' && b[5] <= '9';
}

static bool has_libc(const struct ml_hmem *m)
{
	for (size_t i = 0; i < m->nr; i++)
		if (is_libc_path(m->r[i].path))
			return true;
	return false;
}

/* The executable: the lowest mapping of a file at offset 0 (not a [pseudo] path). */
static const char *exe_path(const struct ml_region *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].path && r[i].path[0] == '/' && r[i].file_offset == 0)
			return r[i].path;
	return NULL;
}

/*
 * The file glibc's own bytes come from: libc, or for a static program,
 * which maps no libc, the executable (exe non-NULL).
 */
static bool glibc_file(const struct ml_region *r, const char *exe)
{
	return exe ? r->path && !strcmp(r->path, exe) : is_libc_path(r->path);
}

static bool writable(const struct ml_region *r)
{
	return (r->prot & (ML_PROT_W | ML_PROT_UNKNOWN)) != 0;
}

/*
 * Finds the version string in up to `limit` bytes from `get` (memory or a
 * file), in 1 MiB blocks that overlap by 64 bytes so a string across two
 * is found; *budget bounds all searches together.
 */
typedef size_t (*vget_fn)(void *ctx, uint64_t off, size_t n, uint8_t *buf);

static int version_scan(vget_fn get, void *ctx, uint64_t limit, uint8_t *buf, uint64_t *budget, unsigned *minor)
{
	const size_t blk = (size_t)1 << 20, over = 64;
	for (uint64_t o = 0; o < limit && *budget; o += blk - over) {
		size_t want = (size_t)ML_MIN((uint64_t)blk, limit - o), n;
		*budget -= ML_MIN(*budget, (uint64_t)want);
		n = get(ctx, o, want, buf);
		if (n && !ml_glibc_version_in((const char *)buf, n, minor))
			return 0;
		if (n < want || want < blk)
			break;
	}
	return -1;
}

struct vmem {
	struct ml_hmem *m;
	uint64_t start;
};

/* Holes read as zeros, which hold no version: only a file ends early. */
static size_t vget_mem(void *ctx, uint64_t off, size_t n, uint8_t *buf)
{
	struct vmem *v = ctx;
	read_span(v->m, v->start + off, n, buf);
	return n;
}

static size_t vget_file(void *ctx, uint64_t off, size_t n, uint8_t *buf)
{
	ssize_t k = pread(*(int *)ctx, buf, n, (off_t)off);
	return k > 0 ? (size_t)k : 0;
}

/* A regular file, opened without side effects (no FIFO wait, no terminal); -1 otherwise. */
static int open_regular(const char *path, struct stat *st)
{
	if (stat(path, st) || !S_ISREG(st->st_mode))
		return -1;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, st) || !S_ISREG(st->st_mode))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * "2.NN" from libc's name, else from glibc's version string ("GNU C
 * Library ... release version 2.NN") in the read-only mappings of libc or,
 * for a static program, of the executable, else in that file on disk when
 * its first page equals the one captured.  Hostile sources cannot make
 * this long: only captured bytes are read, at most VERSION_SCAN_MAX of
 * each mapping or file and VERSION_BUDGET in all; the first answer ends it.
 */
static int find_version(struct ml_hmem *m, unsigned *minor, const char **from)
{
	const char *exe = has_libc(m) ? NULL : exe_path(m->r, m->nr);
	for (size_t i = 0; !exe && i < m->nr; i++) {
		if (!is_libc_path(m->r[i].path))
			continue;
		const char *b = base_name(m->r[i].path);
		if (!ml_glibc_version_in(b, strlen(b), minor)) {
			*from = "libc file name";
			return 0;
		}
	}
	uint8_t *buf = ml_malloc((size_t)1 << 20);
	uint64_t budget = VERSION_BUDGET;
	int ret = -1;
	for (size_t i = 0; i < m->nr && ret && budget; i++) {
		const struct ml_region *r = &m->r[i];
		if (!glibc_file(r, exe) || (r->prot & ML_PROT_W))
			continue;
		struct vmem v = { m, r->start };
		uint64_t n = ML_MIN(ml_region_cap_end(r) - r->start, VERSION_SCAN_MAX);
		if (!version_scan(vget_mem, &v, n, buf, &budget, minor)) {
			*from = exe ? "the executable's glibc version string" : "libc's version string";
			ret = 0;
		}
	}
	/*
	 * Cores rarely hold read-only file data.  The file it was mapped from
	 * still may: trusted only when its first page equals the one the core
	 * captured.
	 */
	for (size_t i = 0; i < m->nr && ret && budget; i++) {
		const struct ml_region *r = &m->r[i];
		uint8_t page[4096];
		struct stat st;
		if (!glibc_file(r, exe) || r->file_offset != 0 || ml_region_captured_in(r, r->start, r->end) < 4096)
			continue;
		int fd = open_regular(r->path, &st);
		if (fd < 0)
			continue;
		if (pread(fd, buf, 4096, 0) == 4096 && read_span(m, r->start, 4096, page) == 4096 &&
		    !memcmp(buf, page, 4096) &&
		    !version_scan(vget_file, &fd, ML_MIN((uint64_t)st.st_size, VERSION_SCAN_MAX), buf, &budget, minor)) {
			*from = exe ? "the executable file (its first page matches)" :
				      "the mapped libc file (its first page matches)";
			ret = 0;
		}
		close(fd);
	}
	free(buf);
	return ret;
}

/* ---- finding main_arena ---- */

struct cand {
	uint64_t addr;
	unsigned minor_variant;	/* 26 or 27: where fastbinsY starts */
	unsigned empty;
	unsigned bad;		/* damaged bin heads */
};

/*
 * The shape of a malloc_state at w (the words at addr): every bin an empty
 * ring (fd == bk == the bin's own head) or two aligned non-null pointers,
 * fastbins null or aligned, top and next plausible.  Returns the number of
 * empty bins, or -1; *nbad: how many heads are damaged (at most 4).
 */
static int state_shape(const uint64_t *w, uint64_t addr, const struct ml_glibc_layout *L, unsigned *nbad)
{
	int empty = 0, bad = 0;
	for (unsigned i = 0; i < NBINS - 1; i++) {
		uint64_t fd = w[L->bins / 8 + 2 * i], bk = w[L->bins / 8 + 2 * i + 1];
		uint64_t head = addr + L->bins + 16 * i - 16;
		if (fd == head && bk == head) {
			empty++;
			continue;
		}
		if (!fd || !bk || (fd & 15) || (bk & 15) || fd == head || bk == head)
			bad++;
	}
	for (unsigned i = 0; i < NFASTBINS; i++)
		if (w[L->fastbins / 8 + i] & 15)
			bad++;
	/* A few damaged heads are corruption to report, not a reason to miss the arena. */
	if (bad > 4)
		return -1;
	if (nbad)
		*nbad = (unsigned)bad;
	uint64_t top = w[L->top / 8], next = w[L->next / 8];
	if (!top || (top & 15) || !next || (next & 7))
		return -1;
	if (empty < 8)
		return -1;
	return empty;
}

/*
 * Where main_arena can be: libc's writable data and the anonymous mapping
 * right after it (the rest of its .bss); with no libc mapped (a static
 * program), any file's writable data and the anonymous mapping after it.
 * Paths, not kinds: a core's heap label is a guess.
 */
static bool arena_home(const struct ml_hmem *m, size_t i, bool libc)
{
	const struct ml_region *r = &m->r[i], *p = i ? &m->r[i - 1] : NULL;
	bool file = libc ? is_libc_path(r->path) : r->path && r->path[0] == '/';
	bool after = p && !r->path && p->end == r->start &&
		     (libc ? is_libc_path(p->path) : p->path && p->path[0] == '/');
	return writable(r) && (file || after) && r->end - r->start <= SCAN_MAX;
}

static size_t scan_candidates(struct ml_hmem *m, const struct ml_glibc_layout *forced,
			      struct cand **out)
{
	size_t n = 0;
	*out = NULL;
	bool libc = has_libc(m);
	for (size_t i = 0; i < m->nr; i++) {
		const struct ml_region *r = &m->r[i];
		if (!arena_home(m, i, libc))
			continue;
		size_t len;
		uint8_t *buf = read_region(m, r, &len);
		if (!buf)
			continue;
		for (unsigned v = 26; v <= 27; v++) {
			struct ml_glibc_layout L;
			if (forced) {
				if ((forced->minor >= 27) != (v == 27))
					continue;
				L = *forced;
			} else {
				ml_glibc_layout(v == 26 ? 26 : 36, &L);
			}
			for (size_t o = 0; o + L.state_size <= len; o += 8) {
				unsigned bad = 0;
				int e = state_shape((const uint64_t *)(buf + o), r->start + o, &L, &bad);
				if (e < 0)
					continue;
				*out = ml_reallocarray(*out, n + 1, sizeof **out);
				(*out)[n++] = (struct cand){ r->start + o, v, (unsigned)e, bad };
			}
		}
		free(buf);
	}
	return n;
}

/*
 * Before the first malloc, main_arena is still its static initializer:
 * zero bins and top, `next` pointing at itself, one attached thread.
 */
static bool pristine_arena(struct ml_hmem *m, const struct ml_glibc_layout *L, struct ml_heapinfo *h)
{
	bool libc = has_libc(m);
	for (size_t i = 0; i < m->nr; i++) {
		const struct ml_region *r = &m->r[i];
		if (!arena_home(m, i, libc))
			continue;
		size_t len;
		uint8_t *buf = read_region(m, r, &len);
		if (!buf)
			continue;
		for (size_t o = 0; o + L->state_size <= len; o += 8) {
			const uint64_t *w = (const uint64_t *)(buf + o);
			if (w[L->next / 8] != r->start + o || w[L->next / 8 + 2] != 1 || w[L->top / 8])
				continue;
			bool zero = true;
			for (unsigned k = L->fastbins / 8; k < L->next / 8 && zero; k++)
				zero = w[k] == 0;
			if (!zero)
				continue;
			h->arenas = ml_calloc(1, sizeof *h->arenas);
			h->narenas = 1;
			h->arenas[0].addr = r->start + o;
			h->arenas[0].main = true;
			free(buf);
			return true;
		}
		free(buf);
	}
	return false;
}

/* ---- the arena model ---- */

/* main_arena's `next` list is a ring through every arena back to itself. */
static bool ring_ok(struct ml_hmem *m, uint64_t addr, const struct ml_glibc_layout *L)
{
	uint64_t p = addr;
	for (unsigned steps = 0; steps < MAX_ARENAS; steps++) {
		if (!rd64(m, p + L->next, &p) || !p || (p & 7))
			return false;
		if (p == addr)
			return true;
	}
	return false;
}

static bool read_state(struct ml_hmem *m, uint64_t a, const struct ml_glibc_layout *L, uint64_t *w)
{
	return hread(m, a, L->state_size, w);
}

static bool in_heaps(const struct ml_heapinfo *h, uint64_t addr, size_t *arena)
{
	for (size_t i = 0; i < h->narenas; i++)
		for (size_t k = 0; k < h->arenas[i].nheaps; k++)
			if (addr >= h->arenas[i].heaps[k].start && addr < h->arenas[i].heaps[k].end) {
				if (arena)
					*arena = i;
				return true;
			}
	return false;
}

/*
 * A quiet walk from start: true when it lands exactly on top.  Used to
 * settle where the main heap starts and to cross-check main_arena.
 */
static bool walk_reaches(struct ml_hmem *m, uint64_t start, uint64_t top)
{
	uint64_t c = start;
	while (c < top) {
		uint64_t sz;
		if (!rd64(m, c + 8, &sz))
			return false;
		sz &= ~(uint64_t)SIZE_BITS;
		if (sz < MINSIZE || (sz & 15) || c + sz > top || c + sz < c)
			return false;
		c += sz;
	}
	return c == top;
}

static void hwarn(struct ml_heapinfo *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void hwarn(struct ml_heapinfo *h, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	h->warnings++;
	ml_warn("%s", buf);
}

static void add_heap(struct ml_harena *a, uint64_t start, uint64_t end, uint64_t info)
{
	a->heaps = ml_reallocarray(a->heaps, a->nheaps + 1, sizeof *a->heaps);
	a->heaps[a->nheaps++] = (struct ml_hheap){ .start = start, .end = end, .info = info, .walk_end = end };
}

static int cmp_heap(const void *x, const void *y)
{
	const struct ml_hheap *a = x, *b = y;
	return a->start < b->start ? -1 : a->start > b->start;
}

/* Main heap: where the chunk walk that ends at top begins. */
static bool main_heap(struct ml_hmem *m, struct ml_heapinfo *h, struct ml_harena *a, bool quiet)
{
	uint64_t tsz;
	if (!rd64(m, a->top + 8, &tsz))
		return false;
	tsz &= ~(uint64_t)SIZE_BITS;
	uint64_t end = a->top + tsz;
	if (end < a->top)
		return false;
	a->top_size = tsz;
	const struct ml_region *r = region_of(m, a->top);
	/*
	 * A top chunk cannot run past its mapping (and the mappings adjacent
	 * to it): a hostile size would make the heap, and every map drawn of
	 * it, petabytes long.
	 */
	if (r) {
		uint64_t map_end = r->end;
		for (const struct ml_region *n = r + 1; n < m->r + m->nr && n->start == map_end; n++)
			map_end = n->end;
		if (end > map_end) {
			if (!quiet)
				hwarn(h, "main_arena 0x%" PRIx64 ": top 0x%" PRIx64 " size 0x%" PRIx64
				      " runs past its mapping's end 0x%" PRIx64 "; heap cut there",
				      a->addr, a->top, tsz, map_end);
			end = map_end;
		}
	}
	uint64_t cands[2] = { 0, 0 };
	if (a->system_mem && a->system_mem <= end)
		cands[0] = (end - a->system_mem + 15) & ~(uint64_t)15;
	if (r)
		cands[1] = (r->start + 15) & ~(uint64_t)15;
	for (int i = 0; i < 2; i++) {
		if (!cands[i] || cands[i] > a->top)
			continue;
		if (r && cands[i] < r->start)
			continue;
		if (walk_reaches(m, cands[i], a->top)) {
			add_heap(a, cands[i], end, 0);
			return true;
		}
	}
	if (quiet)
		return false;
	/* Corrupt or foreign: keep the heap the top lies in and let the walk say where it breaks. */
	uint64_t s = cands[1] ? cands[1] : cands[0];
	if (!s)
		return false;
	hwarn(h, "main_arena 0x%" PRIx64 ": no clean chunk walk from 0x%" PRIx64 " reaches its top 0x%" PRIx64,
	      a->addr, s, a->top);
	add_heap(a, s, end, 0);
	return true;
}

/* Thread arena: its heaps through heap_info, newest (top's) back by prev. */
static void thread_heaps(struct ml_hmem *m, struct ml_heapinfo *h, struct ml_harena *a)
{
	const struct ml_glibc_layout *L = &h->L;
	uint64_t hi = a->top & ~(HEAP_MAX - 1), tsz = 0;
	if (rd64(m, a->top + 8, &tsz))
		a->top_size = tsz & ~(uint64_t)SIZE_BITS;
	for (unsigned steps = 0; hi && steps < MAX_HEAPS; steps++) {
		uint64_t w[4];
		if (!hread(m, hi, sizeof w, w)) {
			hwarn(h, "arena 0x%" PRIx64 ": heap_info at 0x%" PRIx64 " is unreadable", a->addr, hi);
			break;
		}
		uint64_t ar = w[0], prev = w[1], size = w[2];
		if (ar != a->addr || size < 0x1000 || size > HEAP_MAX || (prev & (HEAP_MAX - 1))) {
			hwarn(h, "arena 0x%" PRIx64 ": heap_info at 0x%" PRIx64 " does not belong to it (ar_ptr 0x%" PRIx64
			      ", size 0x%" PRIx64 ")", a->addr, hi, ar, size);
			break;
		}
		bool seen = false;
		for (size_t k = 0; k < a->nheaps; k++)
			seen |= a->heaps[k].info == hi;
		if (seen) {
			hwarn(h, "arena 0x%" PRIx64 ": heap_info list loops at 0x%" PRIx64, a->addr, hi);
			break;
		}
		uint64_t start = hi + L->heap_info_size;
		if (a->addr >= hi && a->addr < hi + size)	/* the first heap holds the arena itself */
			start = (a->addr + L->state_size + 15) & ~(uint64_t)15;
		add_heap(a, start, hi + size, hi);
		hi = prev;
	}
	if (a->top_size && a->nheaps && a->top + a->top_size != a->heaps[0].end)
		hwarn(h, "arena 0x%" PRIx64 ": top 0x%" PRIx64 " + 0x%" PRIx64 " does not end its heap at 0x%" PRIx64,
		      a->addr, a->top, a->top_size, a->heaps[0].end);
	if (a->nheaps > 1)
		qsort(a->heaps, a->nheaps, sizeof *a->heaps, cmp_heap);
}

/* ---- free lists ---- */

struct listwalk {
	uint64_t tortoise, power, lam, steps, max;
	uint64_t *budget;	/* shared by every list: a chunk is in one list at most */
};

/* Brent's cycle check plus a hard bound; false when the list must stop. */
static bool lw_step(struct listwalk *w, uint64_t p)
{
	if (++w->steps > w->max || !*w->budget)
		return false;
	--*w->budget;
	if (p == w->tortoise)
		return false;
	if (w->lam == w->power) {
		w->tortoise = p;
		w->power *= 2;
		w->lam = 0;
	}
	w->lam++;
	return true;
}

static void lw_init(struct listwalk *w, uint64_t max, uint64_t *budget)
{
	*w = (struct listwalk){ .tortoise = UINT64_MAX, .power = 1, .lam = 0, .steps = 0, .max = max,
				.budget = budget };
}

static void add_free(struct ml_heapinfo *h, size_t *cap, uint64_t chunk, enum ml_hbin bin)
{
	if (h->nfree == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		h->freel = ml_reallocarray(h->freel, *cap, sizeof *h->freel);
	}
	h->freel[h->nfree++] = (struct ml_hfree){ chunk, (uint8_t)bin };
}

/* A list node: inside a heap, aligned, readable, the size the list wants (0: any). */
static bool node_ok(struct ml_hmem *m, struct ml_heapinfo *h, uint64_t chunk, uint64_t want,
		    const char *what, uint64_t *size)
{
	uint64_t sz;
	if ((chunk & 15) || !in_heaps(h, chunk, NULL)) {
		hwarn(h, "%s: 0x%" PRIx64 " is not a chunk of any heap; list cut there", what, chunk);
		return false;
	}
	if (!rd64(m, chunk + 8, &sz)) {
		hwarn(h, "%s: chunk 0x%" PRIx64 " is unreadable; list cut there", what, chunk);
		return false;
	}
	sz &= ~(uint64_t)SIZE_BITS;
	if ((want && sz != want) || sz < MINSIZE || (sz & 15)) {
		hwarn(h, "%s: chunk 0x%" PRIx64 " has size 0x%" PRIx64 "%s; list cut there", what, chunk, sz,
		      want ? " (not the bin's size)" : "");
		return false;
	}
	*size = sz;
	return true;
}

static uint64_t list_bound(const struct ml_heapinfo *h)
{
	uint64_t bytes = 0;
	for (size_t i = 0; i < h->narenas; i++)
		for (size_t k = 0; k < h->arenas[i].nheaps; k++)
			bytes += h->arenas[i].heaps[k].end - h->arenas[i].heaps[k].start;
	return bytes / MINSIZE + 2;
}

/* Reads a tcache_perthread_struct's counts and heads; false if unreadable. */
static bool tcache_read(struct ml_hmem *m, const struct ml_glibc_layout *L, uint64_t chunk,
			uint16_t counts[TCACHE_BINS], uint64_t entries[TCACHE_BINS])
{
	uint64_t tc = chunk + 16;
	size_t clen = L->tcache_u16 ? 2 * TCACHE_BINS : TCACHE_BINS;
	uint8_t cb[2 * TCACHE_BINS];
	if (!hread(m, tc, clen, cb) || !hread(m, tc + clen, TCACHE_BINS * 8, entries))
		return false;
	for (unsigned i = 0; i < TCACHE_BINS; i++)
		counts[i] = L->tcache_u16 ? (uint16_t)(cb[2 * i] | cb[2 * i + 1] << 8) : cb[i];
	return true;
}

static void tcache_lists(struct ml_hmem *m, struct ml_heapinfo *h, uint64_t tcache, size_t *cap)
{
	const struct ml_glibc_layout *L = &h->L;
	uint16_t counts[TCACHE_BINS];
	uint64_t entries[TCACHE_BINS];
	if (!tcache_read(m, L, tcache, counts, entries)) {
		hwarn(h, "tcache 0x%" PRIx64 " is unreadable", tcache);
		return;
	}
	h->tcaches = ml_reallocarray(h->tcaches, h->ntcaches + 1, sizeof *h->tcaches);
	struct ml_htcache *t = &h->tcaches[h->ntcaches++];
	*t = (struct ml_htcache){ .chunk = tcache, .arena = SIZE_MAX };
	in_heaps(h, tcache, &t->arena);
	uint64_t bound = list_bound(h);
	for (unsigned i = 0; i < TCACHE_BINS; i++) {
		uint64_t want = MINSIZE + 16 * (uint64_t)i, e = entries[i], n = 0, sz;
		char what[96];
		snprintf(what, sizeof what, "tcache 0x%" PRIx64 " bin %u", tcache, i);
		struct listwalk w;
		lw_init(&w, bound, &h->list_budget);
		while (e) {
			if (!lw_step(&w, e)) {
				hwarn(h, "%s: the list loops or runs too long at 0x%" PRIx64 "; cut there", what, e);
				break;
			}
			if (!node_ok(m, h, e - 16, want, what, &sz))
				break;
			add_free(h, cap, e - 16, ML_HB_TCACHE);
			n++;
			t->entries.count++;
			t->entries.bytes += sz;
			uint64_t nx;
			if (!rd64(m, e, &nx))
				break;
			e = L->safe_linking ? ml_reveal_ptr(e, nx) : nx;
		}
		if (n != counts[i] && !h->warnings)
			hwarn(h, "%s: counts %u chunks but its list has %" PRIu64, what, counts[i], n);
	}
}

static void arena_lists(struct ml_hmem *m, struct ml_heapinfo *h, struct ml_harena *a, const uint64_t *w,
			size_t *cap)
{
	const struct ml_glibc_layout *L = &h->L;
	uint64_t bound = list_bound(h), sz;
	char what[96];
	for (unsigned i = 0; i < NFASTBINS; i++) {
		uint64_t p = w[L->fastbins / 8 + i];
		struct listwalk lw;
		lw_init(&lw, bound, &h->list_budget);
		snprintf(what, sizeof what, "arena 0x%" PRIx64 " fastbin %u", a->addr, i);
		while (p) {
			if (!lw_step(&lw, p)) {
				hwarn(h, "%s: the list loops or runs too long at 0x%" PRIx64 "; cut there", what, p);
				break;
			}
			if (!node_ok(m, h, p, MINSIZE + 16 * (uint64_t)i, what, &sz))
				break;
			add_free(h, cap, p, ML_HB_FASTBIN);
			uint64_t nx;
			if (!rd64(m, p + 16, &nx))
				break;
			p = L->safe_linking ? ml_reveal_ptr(p + 16, nx) : nx;
		}
	}
	for (unsigned i = 1; i < NBINS; i++) {
		uint64_t head = a->addr + L->bins + 16 * (uint64_t)(i - 1) - 16;
		uint64_t p = w[L->bins / 8 + 2 * (i - 1)], prev = head;
		enum ml_hbin kind = i == 1 ? ML_HB_UNSORTED : i < 64 ? ML_HB_SMALL : ML_HB_LARGE;
		struct listwalk lw;
		lw_init(&lw, bound, &h->list_budget);
		snprintf(what, sizeof what, "arena 0x%" PRIx64 " bin %u", a->addr, i);
		while (p != head) {
			if (!lw_step(&lw, p)) {
				hwarn(h, "%s: the list loops or runs too long at 0x%" PRIx64 "; cut there", what, p);
				break;
			}
			if (!node_ok(m, h, p, 0, what, &sz))
				break;
			uint64_t fb[2];
			if (!hread(m, p + 16, sizeof fb, fb))
				break;
			if (fb[1] != prev) {
				hwarn(h, "%s: chunk 0x%" PRIx64 " has bk 0x%" PRIx64 ", not 0x%" PRIx64 "; list cut there",
				      what, p, fb[1], prev);
				break;
			}
			add_free(h, cap, p, kind);
			prev = p;
			p = fb[0];
		}
	}
}

/*
 * An in-use chunk that is a thread's tcache: every head null exactly when
 * its count is 0, every non-null head an aligned chunk of a heap with its
 * bin's size, and at least one such head (an empty one frees nothing).
 */
static bool tcache_plausible(struct ml_hmem *m, const struct ml_heapinfo *h, uint64_t chunk)
{
	uint16_t counts[TCACHE_BINS];
	uint64_t entries[TCACHE_BINS];
	unsigned used = 0;
	if (!tcache_read(m, &h->L, chunk, counts, entries))
		return false;
	for (unsigned i = 0; i < TCACHE_BINS; i++) {
		uint64_t sz;
		if (!entries[i] != !counts[i])
			return false;
		if (!entries[i])
			continue;
		if ((entries[i] & 15) || !in_heaps(h, entries[i] - 16, NULL) || !rd64(m, entries[i] - 8, &sz) ||
		    (sz & ~(uint64_t)SIZE_BITS) != MINSIZE + 16 * (uint64_t)i)
			return false;
		used++;
	}
	return used > 0;
}

/*
 * Threads that share an arena (more threads than arenas) have their
 * tcache somewhere in its heap, not first: a quiet walk looks at every
 * in-use chunk of the tcache struct's size.
 */
static void more_tcaches(struct ml_hmem *m, struct ml_heapinfo *h, size_t *cap)
{
	const uint64_t want = h->L.tcache_chunk;
	for (size_t i = 0; i < h->narenas; i++) {
		struct ml_harena *a = &h->arenas[i];
		for (size_t k = 0; k < a->nheaps; k++) {
			uint64_t c = a->heaps[k].start, end = a->heaps[k].end, sz;
			if (!rd64(m, c + 8, &sz))
				continue;
			while (c < end && c != a->top) {
				uint64_t s = sz & ~(uint64_t)SIZE_BITS, nsz;
				if (s < MINSIZE || (s & 15) || c + s > end || c + s < c || !rd64(m, c + s + 8, &nsz))
					break;
				if (s == want && (nsz & PREV_INUSE) && c != a->tcache) {
					bool known = false;
					for (size_t t = 0; t < h->ntcaches; t++)
						known |= h->tcaches[t].chunk == c;
					if (!known && tcache_plausible(m, h, c))
						tcache_lists(m, h, c, cap);
				}
				c += s;
				sz = nsz;
			}
		}
	}
}

static int cmp_free(const void *x, const void *y)
{
	const struct ml_hfree *a = x, *b = y;
	return a->chunk < b->chunk ? -1 : a->chunk > b->chunk;
}

/* ---- the walk ---- */

static size_t free_lower(const struct ml_heapinfo *h, uint64_t addr)
{
	size_t lo = 0, hi = h->nfree;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->freel[mid].chunk < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Walks one heap.  validate: the first pass, which decides where the walk
 * stops and says why; later passes stop there silently.
 */
static int walk_heap(struct ml_hmem *m, struct ml_heapinfo *h, struct ml_harena *a, struct ml_hheap *hp,
		     bool validate, ml_hchunk_cb cb, void *ctx)
{
	uint64_t c = hp->start, end = validate ? hp->end : hp->walk_end;
	size_t fi = free_lower(h, c);
	uint64_t sz;
	bool have = rd64(m, c + 8, &sz);
	while (c < end) {
		struct ml_hchunk ch = { .addr = c };
		if (!have) {
			if (validate) {
				hwarn(h, "heap 0x%" PRIx64 "-0x%" PRIx64 ": chunk 0x%" PRIx64 " is unreadable; walk stopped",
				      hp->start, hp->end, c);
				hp->broken = true;
			}
			break;
		}
		uint64_t s = sz & ~(uint64_t)SIZE_BITS;
		if (c == a->top) {
			ch.size = s;
			ch.bin = ML_HB_TOP;
			if (validate && c + s != hp->end)
				hwarn(h, "heap 0x%" PRIx64 "-0x%" PRIx64 ": top 0x%" PRIx64 " size 0x%" PRIx64
				      " does not end the heap", hp->start, hp->end, c, s);
			if (c + s > end || c + s < c)
				ch.size = end - c;
			int r = cb ? cb(ctx, &ch) : 0;
			c += ch.size;
			if (r)
				return r;
			break;
		}
		if (s == 16 && validate) {
			/* Fenceposts close a heap that is no longer the arena's top one. */
			uint64_t z;
			if (rd64(m, c + 24, &z) && (z & ~(uint64_t)SIZE_BITS) == 0)
				break;
		}
		if (s < MINSIZE || (s & 15) || c + s > end || c + s < c) {
			if (validate) {
				hwarn(h, "heap 0x%" PRIx64 "-0x%" PRIx64 ": broken chunk at 0x%" PRIx64 ": size 0x%" PRIx64
				      "%s; walk stopped", hp->start, hp->end, c, sz,
				      c + s > end || c + s < c ? " runs past the heap end" : " is impossible");
				hp->broken = true;
			}
			break;
		}
		uint64_t n = c + s, nsz = 0;
		bool nhave = n < end || n == a->top ? rd64(m, n + 8, &nsz) : false;
		while (fi < h->nfree && h->freel[fi].chunk < c)
			fi++;
		ch.size = s;
		if (fi < h->nfree && h->freel[fi].chunk == c)
			ch.bin = (enum ml_hbin)h->freel[fi].bin;
		else if (nhave && !(nsz & PREV_INUSE))
			ch.bin = ML_HB_FREE_UNLISTED;
		else
			ch.bin = ML_HB_NONE;
		int r = cb ? cb(ctx, &ch) : 0;
		if (r)
			return r;
		c = n;
		sz = nsz;
		have = nhave;
		if (n >= end)
			break;
	}
	if (validate)
		hp->walk_end = c < hp->end ? c : hp->end;
	return 0;
}

struct statctx {
	struct ml_harena *a;
	uint64_t unlisted;
	uint64_t first_unlisted;
};

static int stat_cb(void *ctx, const struct ml_hchunk *c)
{
	struct statctx *s = ctx;
	struct ml_harena *a = s->a;
	if (c->bin == ML_HB_NONE) {
		a->in_use.count++;
		a->in_use.bytes += c->size;
		return 0;
	}
	if (c->bin == ML_HB_FREE_UNLISTED && !s->unlisted++)
		s->first_unlisted = c->addr;
	a->free[c->bin].count++;
	a->free[c->bin].bytes += c->size;
	if (c->size > a->largest_free)
		a->largest_free = c->size;
	return 0;
}

int ml_heap_walk(struct ml_hmem *m, const struct ml_heapinfo *h, size_t arena, size_t heap,
		 ml_hchunk_cb cb, void *ctx)
{
	if (arena >= h->narenas || heap >= h->arenas[arena].nheaps)
		return 0;
	struct ml_harena *a = &h->arenas[arena];
	return walk_heap(m, (struct ml_heapinfo *)h, a, &a->heaps[heap], false, cb, ctx);
}

/* ---- mmapped chunks ---- */

#define PAGE 4096u

/*
 * An mmapped chunk at c whose mapping starts pad bytes before it and is
 * map bytes long (0: any length inside [c - pad, hi)): prev_size is the
 * pad, the size bits IS_MMAPPED alone, pad + size whole pages.
 */
static bool mmapped_at(struct ml_hmem *m, uint64_t c, uint64_t pad, uint64_t map, uint64_t hi, uint64_t *size)
{
	uint64_t w[2];
	if (c + 16 > hi || c + 16 < c || !hread(m, c, sizeof w, w) || w[0] != pad)
		return false;
	uint64_t s = w[1] & ~(uint64_t)SIZE_BITS;
	if ((w[1] & SIZE_BITS) != IS_MMAPPED || s < MINSIZE || (s & 15) || ((pad + s) & (PAGE - 1)) ||
	    s > hi - c || (map && pad + s != map))
		return false;
	*size = s;
	return true;
}

/* False once MAX_MMAPPED are listed: hostile memory can look like a chunk on every page. */
static bool add_mmapped(struct ml_heapinfo *h, uint64_t c, uint64_t size, uint64_t pad)
{
	size_t n = h->nmmapped;
	if (n == MAX_MMAPPED) {
		h->mmapped_cut = true;
		return false;
	}
	if (n >= 16 && !(n & (n - 1))) {	/* capacity doubles at each power of two */
		h->mmapped = ml_reallocarray(h->mmapped, 2 * n, sizeof *h->mmapped);
		h->mmapped_size = ml_reallocarray(h->mmapped_size, 2 * n, sizeof *h->mmapped_size);
		h->mmapped_pad = ml_reallocarray(h->mmapped_pad, 2 * n, sizeof *h->mmapped_pad);
	} else if (!n) {
		h->mmapped = ml_reallocarray(NULL, 16, sizeof *h->mmapped);
		h->mmapped_size = ml_reallocarray(NULL, 16, sizeof *h->mmapped_size);
		h->mmapped_pad = ml_reallocarray(NULL, 16, sizeof *h->mmapped_pad);
	}
	h->mmapped[h->nmmapped] = c;
	h->mmapped_size[h->nmmapped] = size;
	h->mmapped_pad[h->nmmapped++] = pad;
	return true;
}

/*
 * memalign's chunk inside the mapping [b, b + map): glibc leaves the
 * mapping's own header at b and moves the chunk on so that chunk + 16 is
 * aligned, keeping the pad in prev_size.  For alignments 32 to 2048 the
 * pad is 0x30 to 0x7f0; for a page or more the chunk sits 16 bytes before
 * the first boundary of that alignment past b + 16.  0 when none.
 */
static uint64_t memaligned(struct ml_hmem *m, uint64_t b, uint64_t map, uint64_t *size)
{
	static const uint64_t pads[] = { 0x30, 0x70, 0xf0, 0x1f0, 0x3f0, 0x7f0 };
	for (size_t i = 0; i < ML_ARRAY_SIZE(pads); i++)
		if (mmapped_at(m, b + pads[i], pads[i], map, b + map, size))
			return b + pads[i];
	for (uint64_t al = PAGE; al && al < map; al <<= 1) {
		uint64_t c = ((b + 16 + al - 1) & ~(al - 1)) - 16;
		if (c - b >= map)
			break;
		if (mmapped_at(m, c, c - b, map, b + map, size))
			return c;
	}
	return 0;
}

/*
 * glibc's own count of its mmapped chunks, without symbols: mp_ (struct
 * malloc_par) lies in the writable data that holds main_arena.  Its
 * sbrk_base is where the main heap starts (rounded up to 16); the tcache
 * tunables follow it (bins <= 64, max bytes <= 1032, count <= 65535);
 * before it, mmap_threshold (<= 32 MiB), n_mmaps, n_mmaps_max,
 * max_n_mmaps, no_dyn_threshold, mmapped_mem and max_mmapped_mem, 4 bytes
 * further back from 2.35 on (its huge page fields leave a hole).  Taken
 * only when exactly one place fits every check and its counts agree with
 * themselves (n_mmaps <= max_n_mmaps, mmapped_mem whole pages, at most
 * max_mmapped_mem, zero exactly when n_mmaps is).
 */
static void find_mp(struct ml_hmem *m, struct ml_heapinfo *h)
{
	if (!h->narenas || !h->arenas[0].nheaps)
		return;
	const uint64_t heap = h->arenas[0].heaps[0].start;
	const struct ml_region *r = region_of(m, h->arenas[0].addr);
	size_t len, hits = 0;
	uint8_t *buf;
	if (!r || r->end - r->start > SCAN_MAX || !(buf = read_region(m, r, &len)))
		return;
	/* Where n_mmaps and the struct start, back from sbrk_base: 2.35+, older. */
	static const unsigned back[2][2] = { { 36, 96 }, { 32, 72 } };
	for (size_t o = 96; o + 32 <= len; o += 8) {
		uint64_t w[4], mm[2], thr;
		int32_t n[4];
		memcpy(w, buf + o, sizeof w);	/* sbrk_base, tcache_bins, tcache_max_bytes, tcache_count */
		if (w[0] > heap || heap - w[0] > 15 || w[1] > 64 || w[2] > 1032 || w[3] > 65535)
			continue;
		memcpy(mm, buf + o - 16, sizeof mm);	/* mmapped_mem, max_mmapped_mem */
		for (unsigned v = 0; v < 2; v++) {
			if (h->version[0] && (h->L.minor >= 35) != (v == 0))
				continue;
			memcpy(n, buf + o - back[v][0], sizeof n);
			memcpy(&thr, buf + o - back[v][1] + 16, sizeof thr);
			if (n[0] < 0 || n[0] > n[2] || (n[3] != 0 && n[3] != 1) || (mm[0] & (PAGE - 1)) || mm[0] > mm[1] ||
			    !n[0] != !mm[0] || mm[0] < (uint64_t)n[0] * PAGE || thr > (HEAP_MAX >> 1))
				continue;
			hits++;
			h->mp = r->start + o - back[v][1];
			h->mp_n_mmaps = (uint64_t)n[0];
			h->mp_mmapped_mem = mm[0];
		}
	}
	free(buf);
	if (hits != 1)
		h->mp = h->mp_n_mmaps = h->mp_mmapped_mem = 0;
}

/* Done when mp_ says every chunk is found. */
static bool mmapped_all(const struct ml_heapinfo *h)
{
	return h->mp && h->nmmapped >= h->mp_n_mmaps;
}

/*
 * Every page of [lo, hi) may begin a chunk's mapping: the kernel merges
 * neighbouring anonymous mappings, so a chunk can sit anywhere in one
 * (next to a pymalloc arena, say).  A mapping's header: prev_size 0, the
 * size IS_MMAPPED alone, whole pages inside [lo, hi); its chunk is that
 * header's, or memalign's inside it.  A mapping found is skipped whole.
 * *budget: bytes of pages left to look at.
 */
static void scan_mmapped(struct ml_hmem *m, struct ml_heapinfo *h, uint64_t lo, uint64_t hi, uint64_t *budget)
{
	for (uint64_t p = lo; p < hi && hi - p >= 16;) {
		uint64_t map, s, c;
		if (mmapped_all(h))
			return;
		if (!*budget || h->mmapped_cut) {
			h->mmapped_cut = true;
			return;
		}
		*budget -= ML_MIN(*budget, (uint64_t)PAGE);
		if (!mmapped_at(m, p, 0, 0, hi, &map)) {
			p += PAGE;
			continue;
		}
		if ((c = memaligned(m, p, map, &s)) ? !add_mmapped(h, c, s, c - p) : !add_mmapped(h, p, map, 0))
			return;
		p += map;
	}
}

static int cmp_u64(const void *x, const void *y)
{
	const uint64_t *a = x, *b = y;
	return *a < *b ? -1 : *a > *b;
}

/*
 * mmapped chunks: searched for in every readable, writable, private
 * anonymous mapping (glibc maps them MAP_PRIVATE; those a core calls heap
 * or stack included: that is a guess), less the arenas' heaps (a thread
 * heap's heap_info included).  Every page is looked at, about 0.45 s a GiB
 * of such memory outside the heaps, live, on this kind of machine — but
 * once mp_ is found, the search ends when it has found as many chunks as
 * glibc counts (none: no search), and a difference is a warning.
 */
static void find_mmapped(struct ml_hmem *m, struct ml_heapinfo *h)
{
	size_t nx = 0;
	uint64_t *ex = NULL, budget = MMAP_SCAN_MAX;
	find_mp(m, h);
	for (size_t i = 0; i < h->narenas; i++)
		for (size_t k = 0; k < h->arenas[i].nheaps; k++) {
			const struct ml_hheap *hp = &h->arenas[i].heaps[k];
			ex = ml_reallocarray(ex, nx + 1, 2 * sizeof *ex);
			ex[2 * nx] = hp->info ? hp->info : hp->start;
			ex[2 * nx++ + 1] = hp->end;
		}
	if (nx > 1)
		qsort(ex, nx, 2 * sizeof *ex, cmp_u64);
	for (size_t i = 0; i < m->nr && !mmapped_all(h); i++) {
		const struct ml_region *r = &m->r[i];
		bool anon = r->kind == ML_KIND_ANON || ((r->kind == ML_KIND_HEAP || r->kind == ML_KIND_STACK) && !r->path);
		if (!anon || (r->path && r->path[0] == '/') || !(r->prot & (ML_PROT_R | ML_PROT_UNKNOWN)) ||
		    !writable(r) || (r->prot & ML_PROT_SHARED) || (r->start & (PAGE - 1)))
			continue;
		/* The pieces of the region between heaps. */
		uint64_t lo = r->start, hi = ml_region_cap_end(r);
		for (size_t k = 0; k <= nx && lo < hi; k++) {
			uint64_t end = k < nx ? ML_MIN(hi, ex[2 * k]) : hi;
			if (k < nx && ex[2 * k + 1] <= lo)
				continue;
			if (end > lo)
				scan_mmapped(m, h, lo, end, &budget);
			if (k < nx)
				lo = ML_MAX(lo, (ex[2 * k + 1] + PAGE - 1) & ~(uint64_t)(PAGE - 1));
		}
	}
	free(ex);
	if (h->mmapped_cut)
		hwarn(h, "mmapped chunks: the search stopped after %zu chunks in %" PRIu64 " MiB of anonymous memory "
		      "(its limits are %u chunks, %" PRIu64 " MiB); any beyond are not counted", h->nmmapped,
		      (MMAP_SCAN_MAX - budget) >> 20, MAX_MMAPPED, MMAP_SCAN_MAX >> 20);
	uint64_t bytes = 0;
	for (size_t i = 0; i < h->nmmapped; i++)
		bytes += h->mmapped_size[i] + h->mmapped_pad[i];
	if (h->mp && (h->nmmapped != h->mp_n_mmaps || bytes != h->mp_mmapped_mem))
		hwarn(h, "mmapped chunks: glibc counts %" PRIu64 " of %" PRIu64 " bytes (mp_ at 0x%" PRIx64 "), "
		      "%zu of %" PRIu64 " bytes were found", h->mp_n_mmaps, h->mp_mmapped_mem, h->mp, h->nmmapped, bytes);
}

/* ---- other allocators ---- */

const char *ml_other_allocator(const struct ml_region *r, size_t n, const char **path)
{
	/* Library name prefixes (libjemalloc.so.2, libtcmalloc_minimal.so.4 ...). */
	static const struct {
		const char *prefix, *name;
	} libs[] = {
		{ "libjemalloc", "jemalloc" },
		{ "libtcmalloc", "tcmalloc" },
		{ "libmimalloc", "mimalloc" },
		{ "libtbbmalloc", "TBB malloc" },
		{ "libsnmalloc", "snmalloc" },
		{ "libhoard", "Hoard" },
		{ "librpmalloc", "rpmalloc" },
	};
	/* Executables that link PartitionAlloc in and route malloc to it. */
	static const char *const chromium[] = { "chrome", "chromium", "chromium-browser", "chrome_crashpad_handler",
						"msedge", "brave", "electron" };
	for (size_t i = 0; i < n; i++) {
		if (!r[i].path)
			continue;
		const char *b = base_name(r[i].path);
		for (size_t k = 0; k < ML_ARRAY_SIZE(libs); k++)
			if (!strncmp(b, libs[k].prefix, strlen(libs[k].prefix)) && strstr(b, ".so")) {
				*path = r[i].path;
				return libs[k].name;
			}
	}
	const char *exe = exe_path(r, n);
	for (size_t k = 0; exe && k < ML_ARRAY_SIZE(chromium); k++)
		if (!strcmp(base_name(exe), chromium[k])) {
			*path = exe;
			return "Chromium's PartitionAlloc";
		}
	*path = NULL;
	return NULL;
}

const char *ml_other_allocator_note(const struct ml_region *r, size_t n, char *buf, size_t len)
{
	const char *path, *name = ml_other_allocator(r, n, &path);
	buf[0] = '\0';
	if (name) {
		char *p = ml_escape(path);
		snprintf(buf, len, "; the process uses %s (%s), and only glibc malloc is walked", name, p);
		free(p);
	}
	return buf;
}

/* ---- putting it together ---- */

/*
 * The first chunk glibc put in a heap, where the tcache struct is: the
 * main heap's start, else the chunk after a thread arena's malloc_state.
 * 0 when no arena has a heap (a main_arena whose top is unreadable).
 */
static uint64_t first_chunk(const struct ml_heapinfo *h)
{
	for (size_t i = 0; i < h->narenas; i++) {
		const struct ml_harena *a = &h->arenas[i];
		uint64_t own = (a->addr + h->L.state_size + 15) & ~(uint64_t)15;
		for (size_t k = 0; k < a->nheaps; k++)
			if (a->main || a->heaps[k].start == own)
				return a->heaps[k].start;
	}
	return 0;
}

/*
 * Safe-linking, told by a vote of the tcache heads' next fields: stored
 * plain, a next is 0 or an aligned chunk's user pointer in a heap; stored
 * mangled (2.32+), the same holds once revealed.  Every decoded pointer
 * must be 16-byte aligned: a mangled list end (pos >> 12) or a mangled
 * pointer read plain lands in the heap more often than one would think,
 * but rarely aligned.  True when the plain reading wins.
 */
static bool tcache_plain(struct ml_hmem *m, const struct ml_heapinfo *h, uint64_t tcache)
{
	uint64_t e[TCACHE_BINS];
	unsigned plain = 0, mangled = 0;
	if (!hread(m, tcache + 16 + 2 * TCACHE_BINS, sizeof e, e))
		return false;
	for (unsigned i = 0; i < TCACHE_BINS; i++) {
		uint64_t nx, d;
		if (!e[i] || (e[i] & 15) || !in_heaps(h, e[i] - 16, NULL) || !rd64(m, e[i], &nx))
			continue;
		d = ml_reveal_ptr(e[i], nx);
		bool p_ok = !nx || (!(nx & 15) && in_heaps(h, nx - 16, NULL));
		bool m_ok = !d || (!(d & 15) && in_heaps(h, d - 16, NULL));
		plain += p_ok && !m_ok;
		mangled += m_ok && !p_ok;
	}
	return plain > mangled;
}

/* Which family the memory says, when no version string was found. */
static void infer_layout(struct ml_hmem *m, struct ml_heapinfo *h, unsigned variant)
{
	unsigned minor = variant == 26 ? 26 : 36;
	uint64_t tc = first_chunk(h), sz;
	if (tc && rd64(m, tc + 8, &sz) && (sz & ~(uint64_t)SIZE_BITS) == 0x250 && minor != 26)
		minor = 29;
	if (minor >= 30) {
		if (tc && tcache_plain(m, h, tc))
			minor = 30;
		else if (h->narenas > 1) {
			uint64_t hi = h->arenas[1].addr & ~(HEAP_MAX - 1);
			if (h->arenas[1].addr == hi + 32)
				minor = 34;
		}
	}
	ml_glibc_layout(minor, &h->L);
	h->version_from = "guessed from the heap's shape";
}

int ml_heap_analyse(struct ml_hmem *m, const char *version, struct ml_heapinfo *h)
{
	memset(h, 0, sizeof *h);
	if (!m->cache)
		m->cache = ml_calloc(1, sizeof *m->cache);
	unsigned minor = 0;
	bool known = false;
	h->version_from = "unknown";
	if (version) {
		if (ml_glibc_version_parse(version, &minor)) {
			ml_err("glibc %s: only 2.26 to 2.41 are understood", version);
			return -1;
		}
		ml_glibc_layout(minor, &h->L);
		known = true;
		h->version_from = "given";
	} else if (!find_version(m, &minor, &h->version_from)) {
		if (ml_glibc_layout(minor, &h->L)) {
			ml_err("glibc 2.%u: only 2.26 to 2.41 are understood", minor);
			return -1;
		}
		known = true;
	}
	if (known)
		snprintf(h->version, sizeof h->version, "2.%u", minor);

	struct cand *c = NULL;
	size_t nc = scan_candidates(m, known ? &h->L : NULL, &c);
	if (!nc && (known || (ml_glibc_layout(36, &h->L), 1)) && pristine_arena(m, &h->L, h)) {
		free(c);
		return 0;
	}
	if (!nc) {
		char note[PATH_MAX + 128];
		ml_err("no glibc main_arena found in libc's writable data (not a glibc process, or its libc data was "
		       "not captured)%s", ml_other_allocator_note(m->r, m->nr, note, sizeof note));
		free(c);
		return -1;
	}
	/*
	 * The best candidate: its `next` ring closes and its top ends a clean
	 * walk of the heap it lies in; failing that (corruption), a clean walk
	 * alone; failing that, a closed ring alone, the walk to say where the
	 * heap breaks.  The 2.27+ shape is tried first: read 8 bytes further
	 * on, a 2.26 arena looks the same but for its ring.
	 */
	size_t best = nc;
	struct ml_glibc_layout L;
	/* Fewest damaged heads first: an arena read 4 bins off has 4. */
	for (unsigned bad = 0; bad <= 4 && best == nc; bad++) {
		for (int pass = 0; pass < 3 && best == nc; pass++) {
			for (unsigned variant = 27; variant >= 26 && best == nc; variant--) {
				for (size_t i = 0; i < nc && best == nc; i++) {
					if (c[i].minor_variant != variant || c[i].bad != bad)
						continue;
					if (known)
						L = h->L;
					else
						ml_glibc_layout(variant == 26 ? 26 : 36, &L);
					uint64_t w[0x900 / 8];
					if (!read_state(m, c[i].addr, &L, w))
						continue;
					if (pass != 1 && !ring_ok(m, c[i].addr, &L))
						continue;
					struct ml_harena a = { .addr = c[i].addr, .main = true, .top = w[L.top / 8],
							       .system_mem = w[L.system_mem / 8] };
					if (a.top == c[i].addr + L.bins - 16) {
						if (pass == 2)
							best = i;	/* malloc never ran: top is still the unsorted bin */
						continue;
					}
					h->L = L;
					if (pass == 2 || main_heap(m, h, &a, true)) {
						best = i;
						h->main_checked = pass < 2;
						h->main_ring = pass != 1;
					}
					free(a.heaps);
				}
			}
		}
	}
	if (best == nc) {
		char note[PATH_MAX + 128];
		ml_err("no main_arena candidate has a top chunk that ends a heap walk%s",
		       ml_other_allocator_note(m->r, m->nr, note, sizeof note));
		free(c);
		return -1;
	}
	unsigned variant = c[best].minor_variant;
	uint64_t main_addr = c[best].addr;
	free(c);
	if (!known)
		ml_glibc_layout(variant == 26 ? 26 : 36, &h->L);
	L = h->L;

	/* The arenas, main first, in `next` order. */
	size_t cap = 0;
	uint64_t a_addr = main_addr;
	uint64_t (*words)[0x900 / 8] = NULL;
	for (unsigned steps = 0; steps < MAX_ARENAS; steps++) {
		words = ml_reallocarray(words, h->narenas + 1, sizeof *words);
		if (!read_state(m, a_addr, &L, words[h->narenas]) ||
		    (steps && state_shape(words[h->narenas], a_addr, &L, NULL) < 0)) {
			hwarn(h, "arena 0x%" PRIx64 " (from the next list) is unreadable or not an arena; list cut there",
			      a_addr);
			break;
		}
		uint64_t *w = words[h->narenas];
		h->arenas = ml_reallocarray(h->arenas, h->narenas + 1, sizeof *h->arenas);
		struct ml_harena *a = &h->arenas[h->narenas++];
		*a = (struct ml_harena){ .addr = a_addr, .main = steps == 0, .top = w[L.top / 8],
					 .system_mem = w[L.system_mem / 8] };
		if (a->top == a->addr + L.bins - 16) {
			a->top = 0;	/* no heap yet */
		} else if (a->main) {
			main_heap(m, h, a, false);
		} else {
			thread_heaps(m, h, a);
		}
		uint64_t nx = w[L.next / 8];
		if (nx == main_addr)
			break;
		bool seen = false;
		for (size_t k = 0; k < h->narenas; k++)
			seen |= h->arenas[k].addr == nx;
		if (seen) {
			hwarn(h, "arena 0x%" PRIx64 ": its next 0x%" PRIx64 " loops back without reaching main_arena",
			      a_addr, nx);
			break;
		}
		a_addr = nx;
	}
	if (!known)
		infer_layout(m, h, variant);
	L = h->L;

	/* All lists together hold each chunk once at most. */
	h->list_budget = 2 * list_bound(h) + 1024;
	/* tcache: the first chunk of each arena's first heap. */
	for (size_t i = 0; i < h->narenas; i++) {
		struct ml_harena *a = &h->arenas[i];
		uint64_t sz;
		for (size_t k = 0; k < a->nheaps; k++) {
			uint64_t s = a->heaps[k].start;
			if ((a->main || a->heaps[k].info + L.heap_info_size != s) && rd64(m, s + 8, &sz) &&
			    (sz & ~(uint64_t)SIZE_BITS) == L.tcache_chunk && (sz & PREV_INUSE))
				a->tcache = s;
			if (a->main)
				break;
		}
		if (a->tcache)
			tcache_lists(m, h, a->tcache, &cap);
	}
	more_tcaches(m, h, &cap);
	for (size_t i = 0; i < h->narenas; i++)
		arena_lists(m, h, &h->arenas[i], words[i], &cap);
	free(words);
	if (h->nfree > 1)
		qsort(h->freel, h->nfree, sizeof *h->freel, cmp_free);
	for (size_t i = 1; i < h->nfree; i++) {
		if (h->freel[i].chunk == h->freel[i - 1].chunk) {
			hwarn(h, "chunk 0x%" PRIx64 " is in two free lists (%s and %s): a double free or corruption",
			      h->freel[i].chunk, ml_hbin_name(h->freel[i - 1].bin), ml_hbin_name(h->freel[i].bin));
			memmove(&h->freel[i], &h->freel[i + 1], (h->nfree - i - 1) * sizeof *h->freel);
			h->nfree--;
			i--;
		}
	}

	for (size_t i = 0; i < h->narenas; i++) {
		struct ml_harena *a = &h->arenas[i];
		struct statctx s = { .a = a };
		for (size_t k = 0; k < a->nheaps; k++)
			walk_heap(m, h, a, &a->heaps[k], true, stat_cb, &s);
		if (s.unlisted)
			hwarn(h, "arena 0x%" PRIx64 ": %" PRIu64 " chunk(s) look free but are in no list (first 0x%" PRIx64 ")",
			      a->addr, s.unlisted, s.first_unlisted);
	}
	find_mmapped(m, h);
	/* Bytes as glibc counts them (mp_.mmapped_mem): whole mappings, pad included. */
	for (size_t i = 0; i < h->nmmapped; i++) {
		h->arenas[0].mmapped.count++;
		h->arenas[0].mmapped.bytes += h->mmapped_size[i] + h->mmapped_pad[i];
	}
	return 0;
}

void ml_heap_free(struct ml_hmem *m, struct ml_heapinfo *h)
{
	for (size_t i = 0; i < h->narenas; i++)
		free(h->arenas[i].heaps);
	free(h->arenas);
	free(h->freel);
	free(h->tcaches);
	free(h->mmapped);
	free(h->mmapped_size);
	free(h->mmapped_pad);
	memset(h, 0, sizeof *h);
	if (m) {
		free(m->cache);
		m->cache = NULL;
	}
}
