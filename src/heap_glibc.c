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

static int parse_minor(const char *p, const char *end, unsigned *minor)
{
	unsigned v = 0, d = 0;
	while (p < end && *p >= '0' && *p <= '9' && d < 3) {
		v = v * 10 + (unsigned)(*p++ - '0');
		d++;
	}
	if (!d || (p < end && *p >= '0' && *p <= '9'))
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
			if (!parse_minor(f + kl, end, minor))
				return 0;
			p = f + 1;
		}
	}
	return -1;
}

static bool is_libc_path(const char *path)
{
	if (!path)
		return false;
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	if (!strncmp(b, "libc.so", 7) && (b[7] == '\0' || b[7] == '.'))
		return true;
	return !strncmp(b, "libc-", 5) && b[5] >= '0' && b[5] <= '9';
}

/* "2.NN" from libc's name, else from its read-only mappings. */
static int find_version(struct ml_hmem *m, unsigned *minor, const char **from)
{
	for (size_t i = 0; i < m->nr; i++) {
		if (!is_libc_path(m->r[i].path))
			continue;
		const char *b = strrchr(m->r[i].path, '/');
		b = b ? b + 1 : m->r[i].path;
		if (!ml_glibc_version_in(b, strlen(b), minor)) {
			*from = "libc file name";
			return 0;
		}
	}
	const size_t blk = (size_t)1 << 20, over = 64;
	uint8_t *buf = ml_malloc(blk);
	int ret = -1;
	for (size_t i = 0; i < m->nr && ret; i++) {
		const struct ml_region *r = &m->r[i];
		if (!is_libc_path(r->path) || ((r->prot & ML_PROT_W) && !(r->prot & ML_PROT_UNKNOWN)))
			continue;
		/* Blocks overlap by `over` bytes so a string across two is found. */
		for (uint64_t a = r->start; a < r->end && ret; a += blk - over) {
			size_t n = (size_t)ML_MIN((uint64_t)blk, r->end - a);
			if (read_span(m, a, n, buf) && !ml_glibc_version_in((const char *)buf, n, minor)) {
				*from = "libc's version string";
				ret = 0;
			}
			if (n < blk)
				break;
		}
	}
	/*
	 * Cores rarely hold libc's read-only data.  The file it was mapped
	 * from still may: trusted only when its first page equals the one
	 * the core captured.
	 */
	for (size_t i = 0; i < m->nr && ret; i++) {
		const struct ml_region *r = &m->r[i];
		if (!is_libc_path(r->path) || r->file_offset != 0 || r->captured < 4096)
			continue;
		int fd = open(r->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		struct stat st;
		if (fd < 0)
			continue;
		uint8_t page[4096];
		if (!fstat(fd, &st) && S_ISREG(st.st_mode) && pread(fd, buf, 4096, 0) == 4096 &&
		    read_span(m, r->start, 4096, page) == 4096 && !memcmp(buf, page, 4096)) {
			for (off_t o = 0; o < st.st_size && ret; o += (off_t)(blk - over)) {
				ssize_t n = pread(fd, buf, blk, o);
				if (n <= 0)
					break;
				if (!ml_glibc_version_in((const char *)buf, (size_t)n, minor)) {
					*from = "the mapped libc file (its first page matches)";
					ret = 0;
				}
			}
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

static size_t scan_candidates(struct ml_hmem *m, const struct ml_glibc_layout *forced,
			      struct cand **out)
{
	size_t n = 0;
	*out = NULL;
	bool have_libc = false;
	for (size_t i = 0; i < m->nr; i++)
		if (is_libc_path(m->r[i].path))
			have_libc = true;
	for (size_t i = 0; i < m->nr; i++) {
		const struct ml_region *r = &m->r[i];
		bool w = (r->prot & (ML_PROT_W | ML_PROT_UNKNOWN)) != 0;
		bool ok;
		if (have_libc)
			ok = is_libc_path(r->path) ||
			     (i > 0 && is_libc_path(m->r[i - 1].path) && !r->path && m->r[i - 1].end == r->start);
		else
			ok = r->path || (i > 0 && m->r[i - 1].path && !r->path && m->r[i - 1].end == r->start);
		if (!w || !ok || r->kind == ML_KIND_HEAP || r->end - r->start > SCAN_MAX)
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
	for (size_t i = 0; i < m->nr; i++) {
		const struct ml_region *r = &m->r[i];
		if (!is_libc_path(r->path) || !(r->prot & (ML_PROT_W | ML_PROT_UNKNOWN)) ||
		    r->end - r->start > SCAN_MAX)
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
	h->tcaches[h->ntcaches++] = tcache;
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
						known |= h->tcaches[t] == c;
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

static void find_mmapped(struct ml_hmem *m, struct ml_heapinfo *h)
{
	for (size_t i = 0; i < m->nr; i++) {
		const struct ml_region *r = &m->r[i];
		if (r->path || r->kind != ML_KIND_ANON ||
		    (r->prot & (ML_PROT_R | ML_PROT_W | ML_PROT_UNKNOWN)) == ML_PROT_R || r->end - r->start < 0x1000)
			continue;
		bool heap = false;
		for (size_t k = 0; k < h->narenas && !heap; k++)
			for (size_t j = 0; j < h->arenas[k].nheaps; j++)
				if (h->arenas[k].heaps[j].start < r->end && h->arenas[k].heaps[j].end > r->start)
					heap = true;
		if (heap)
			continue;
		uint64_t c = r->start;
		for (unsigned steps = 0; c + 16 <= r->end && steps < (1u << 20); steps++) {
			uint64_t w[2];
			if (!hread(m, c, sizeof w, w))
				break;
			uint64_t s = w[1] & ~(uint64_t)SIZE_BITS;
			if (w[0] != 0 || (w[1] & SIZE_BITS) != IS_MMAPPED || s < 0x1000 || (s & 0xfff) ||
			    s > r->end - c)
				break;
			h->mmapped = ml_reallocarray(h->mmapped, h->nmmapped + 1, sizeof *h->mmapped);
			h->mmapped_size = ml_reallocarray(h->mmapped_size, h->nmmapped + 1, sizeof *h->mmapped_size);
			h->mmapped[h->nmmapped] = c;
			h->mmapped_size[h->nmmapped++] = s;
			c += s;
		}
	}
}

/* ---- putting it together ---- */

/* Which family the memory says, when no version string was found. */
static void infer_layout(struct ml_hmem *m, struct ml_heapinfo *h, unsigned variant)
{
	unsigned minor = variant == 26 ? 26 : 36;
	struct ml_harena *a = &h->arenas[0];
	uint64_t sz;
	if (a->nheaps && rd64(m, a->heaps[0].start + 8, &sz)) {
		sz &= ~(uint64_t)SIZE_BITS;
		if (sz == 0x250 && minor != 26)
			minor = 29;
	}
	if (minor >= 30 && a->nheaps) {
		/* Safe-linking: a stored list end is pos >> 12, never 0. */
		uint64_t tc = a->heaps[0].start + 16, e[TCACHE_BINS];
		bool mangled = true, decided = false;
		if (hread(m, tc + 2 * TCACHE_BINS, sizeof e, e)) {
			for (unsigned i = 0; i < TCACHE_BINS && !decided; i++) {
				uint64_t nx;
				if (!e[i] || !rd64(m, e[i], &nx))
					continue;
				if (nx == 0 || in_heaps(h, nx - 16, NULL)) {
					mangled = false;
					decided = true;
				} else if (in_heaps(h, ml_reveal_ptr(e[i], nx) - 16, NULL) || ml_reveal_ptr(e[i], nx) == 0) {
					decided = true;
				}
			}
		}
		if (!mangled)
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
		if (strncmp(version, "2.", 2) || parse_minor(version + 2, version + strlen(version), &minor) ||
		    ml_glibc_layout(minor, &h->L)) {
			ml_err("glibc %s: only 2.26 to 2.41 are understood", version);
			return -1;
		}
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
		ml_err("no glibc main_arena found in libc's writable data (not a glibc process, or its libc data was not captured)");
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
		ml_err("no main_arena candidate has a top chunk that ends a heap walk");
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
	for (size_t i = 0; i < h->nmmapped; i++) {
		h->arenas[0].mmapped.count++;
		h->arenas[0].mmapped.bytes += h->mmapped_size[i];
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
	memset(h, 0, sizeof *h);
	if (m) {
		free(m->cache);
		m->cache = NULL;
	}
}
