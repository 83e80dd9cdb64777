/*
 * test_heap: the glibc heap walker on synthetic memory — a libc data
 * mapping holding main_arena, a main heap and a thread arena's heap built
 * word by word the way glibc lays them out, for every layout from 2.26 to
 * 2.41 (tcache counts u8/u16, safe-linking, have_fastchunks, heap_info
 * sizes) — and on corrupt ones: a chunk size that points past the heap,
 * cyclic tcache and bin lists, an arena list that loops.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap_glibc.h"
#include "util.h"

#define LIBC_RO 0x7f0000000000ull
#define LIBC_RW 0x7f0000010000ull
#define HEAP heap_base
#define HEAP_SIZE 0x21000ull
#define THEAP 0x7f1004000000ull	/* 64 MiB aligned */
#define MAXR 8

/* Where build() puts the main heap: PIE-like by default, low as in a static program when moved. */
static uint64_t heap_base = 0x555555559000ull;

struct syn {
	struct ml_region r[MAXR];
	uint8_t *mem[MAXR];	/* NULL: a region that reads as zeros, never allocated */
	size_t nr;
	uint64_t asked;		/* bytes the analysis read from regions without memory */
	struct ml_glibc_layout L;
	uint64_t A, T;			/* arenas */
	uint64_t c[16];			/* main heap chunks */
	uint64_t top, ttop, tc[4];	/* thread heap chunks */
};

/*
 * The layouts as glibc's sources give them (x86-64), written out here
 * rather than taken from the code under test: sizeof(struct malloc_state)
 * is 0x898 from 2.27 (have_fastchunks) and 0x890 in 2.26.
 */
static void facts(unsigned minor, struct ml_glibc_layout *L)
{
	memset(L, 0, sizeof *L);
	L->minor = minor;
	L->tcache_u16 = minor >= 30;
	L->safe_linking = minor >= 32;
	L->tcache_chunk = minor >= 30 ? 0x290 : 0x250;
	L->heap_info_size = minor >= 35 ? 48 : 32;
	if (minor >= 27) {
		L->fastbins = 0x10, L->top = 0x60, L->bins = 0x70;
		L->next = 0x870, L->system_mem = 0x888, L->state_size = 0x898;
	} else {
		L->fastbins = 0x08, L->top = 0x58, L->bins = 0x68;
		L->next = 0x868, L->system_mem = 0x880, L->state_size = 0x890;
	}
}

static size_t syn_read(void *ctx, uint64_t addr, size_t n, void *buf, bool *hole)
{
	struct syn *s = ctx;
	for (size_t i = 0; i < s->nr; i++) {
		if (addr >= s->r[i].start && addr < s->r[i].end) {
			uint64_t cap = s->r[i].start + s->r[i].captured;
			size_t k = (size_t)ML_MIN((uint64_t)n, (addr < cap ? cap : s->r[i].end) - addr);
			*hole = addr >= cap;
			if (*hole)
				return k;
			if (s->mem[i]) {
				memcpy(buf, s->mem[i] + (addr - s->r[i].start), k);
			} else {
				memset(buf, 0, k);
				s->asked += k;
			}
			return k;
		}
	}
	uint64_t next = UINT64_MAX;
	for (size_t i = 0; i < s->nr; i++)
		if (s->r[i].start > addr && s->r[i].start < next)
			next = s->r[i].start;
	*hole = true;
	return (size_t)ML_MIN((uint64_t)n, next - addr);
}

static uint8_t *at(struct syn *s, uint64_t addr)
{
	for (size_t i = 0; i < s->nr; i++)
		if (addr >= s->r[i].start && addr + 8 <= s->r[i].end)
			return s->mem[i] + (addr - s->r[i].start);
	fail_msg("synthetic address 0x%llx is outside the regions", (unsigned long long)addr);
	return NULL;
}

static void put(struct syn *s, uint64_t addr, uint64_t v)
{
	memcpy(at(s, addr), &v, 8);
}

static void region(struct syn *s, uint64_t start, uint64_t size, unsigned prot, enum ml_kind kind,
		   const char *path)
{
	assert_true(s->nr < MAXR);
	struct ml_region *r = &s->r[s->nr];
	memset(r, 0, sizeof *r);
	r->start = start;
	r->end = start + size;
	r->prot = prot;
	r->kind = kind;
	r->path = path ? strdup(path) : NULL;
	r->captured = size;
	s->mem[s->nr++] = calloc(1, size);
}

/* The regions in address order, as a source gives them. */
static void syn_sort(struct syn *s)
{
	for (size_t i = 1; i < s->nr; i++)
		for (size_t k = i; k > 0 && s->r[k].start < s->r[k - 1].start; k--) {
			struct ml_region tr = s->r[k];
			uint8_t *tm = s->mem[k];
			s->r[k] = s->r[k - 1];
			s->mem[k] = s->mem[k - 1];
			s->r[k - 1] = tr;
			s->mem[k - 1] = tm;
		}
}

static void chunk(struct syn *s, uint64_t c, uint64_t size, unsigned flags)
{
	put(s, c + 8, size | flags);
}

static uint64_t bin_head(const struct syn *s, uint64_t arena, unsigned i)
{
	return arena + s->L.bins + 16 * (uint64_t)(i - 1) - 16;
}

static void init_arena(struct syn *s, uint64_t a, uint64_t top, uint64_t next, uint64_t sysmem)
{
	for (unsigned i = 1; i < 128; i++) {
		put(s, a + s->L.bins + 16 * (uint64_t)(i - 1), bin_head(s, a, i));
		put(s, a + s->L.bins + 16 * (uint64_t)(i - 1) + 8, bin_head(s, a, i));
	}
	put(s, a + s->L.top, top);
	put(s, a + s->L.next, next);
	put(s, a + s->L.next + 16, 1);	/* attached_threads */
	put(s, a + s->L.system_mem, sysmem);
}

/* One free chunk alone in bin i. */
static void bin_one(struct syn *s, uint64_t a, unsigned i, uint64_t c)
{
	uint64_t h = bin_head(s, a, i);
	put(s, a + s->L.bins + 16 * (uint64_t)(i - 1), c);
	put(s, a + s->L.bins + 16 * (uint64_t)(i - 1) + 8, c);
	put(s, c + 16, h);
	put(s, c + 24, h);
}

static uint64_t mangle(const struct syn *s, uint64_t pos, uint64_t p)
{
	return s->L.safe_linking ? ml_protect_ptr(pos, p) : p;
}

static void tcache_count(struct syn *s, uint64_t tcache, unsigned bin, unsigned n)
{
	if (s->L.tcache_u16) {
		uint16_t v = (uint16_t)n;
		memcpy(at(s, tcache + 16 + 2 * bin), &v, 2);
	} else {
		*at(s, tcache + 16 + bin) = (uint8_t)n;
	}
}

static uint64_t tcache_entries(const struct syn *s, uint64_t tcache)
{
	return tcache + 16 + (s->L.tcache_u16 ? 128 : 64);
}

/*
 * Main heap: tcache struct, then
 *  c1 used 0x30 | c2 tcache 0x30 | c3 used 0x20 | c4 fastbin 0x40 | c5 used
 *  | c6 unsorted 0x100 | c7 used | c8 small 0x90 | c9 used | c10 large 0x500
 *  | c11 used | c12 tcache 0x30 | top.
 * Thread arena: heap_info, malloc_state, tcache struct, tc0 used 0x50,
 * tc1 fastbin 0x20, tc2 used 0x20, top.
 */
static void build(struct syn *s, unsigned minor, const char *libc_name, const char *ro_text)
{
	memset(s, 0, sizeof *s);
	facts(minor, &s->L);
	region(s, LIBC_RO, 0x1000, ML_PROT_R, ML_KIND_FILE, libc_name);
	if (ro_text)
		memcpy(s->mem[0] + 0x200, ro_text, strlen(ro_text));
	region(s, LIBC_RW, 0x2000, ML_PROT_R | ML_PROT_W, ML_KIND_FILE, libc_name);
	region(s, THEAP, 0x21000, ML_PROT_R | ML_PROT_W, ML_KIND_ANON, NULL);
	region(s, HEAP, HEAP_SIZE, ML_PROT_R | ML_PROT_W, ML_KIND_HEAP, "[heap]");
	syn_sort(s);

	const struct ml_glibc_layout *L = &s->L;
	s->A = LIBC_RW + 0x120;
	s->T = THEAP + L->heap_info_size;
	uint64_t sizes[] = { 0x30, 0x30, 0x20, 0x40, 0x20, 0x100, 0x20, 0x90, 0x20, 0x500, 0x20, 0x30 };
	uint64_t c = HEAP;
	chunk(s, c, L->tcache_chunk, 1);
	c += L->tcache_chunk;
	for (unsigned i = 0; i < 12; i++) {
		s->c[i + 1] = c;
		chunk(s, c, sizes[i], 1);
		c += sizes[i];
	}
	s->top = c;
	chunk(s, s->top, HEAP + HEAP_SIZE - s->top, 1);
	/* Free in bins: the next chunk's PREV_INUSE is clear, its prev_size set. */
	for (unsigned i = 6; i <= 10; i += 2) {
		uint64_t n = s->c[i] + sizes[i - 1];
		chunk(s, n, sizes[i], 0);
		put(s, n, sizes[i - 1]);
	}
	init_arena(s, s->A, s->top, s->T, HEAP_SIZE);
	bin_one(s, s->A, 1, s->c[6]);
	bin_one(s, s->A, 0x90 >> 4, s->c[8]);
	bin_one(s, s->A, 48 + (0x500 >> 6), s->c[10]);
	/* fastbin index 2 (0x40): one chunk, its next a mangled NULL */
	put(s, s->A + L->fastbins + 16, s->c[4]);
	put(s, s->c[4] + 16, mangle(s, s->c[4] + 16, 0));
	/* tcache bin 1 (0x30): c2 then c12 */
	tcache_count(s, HEAP, 1, 2);
	put(s, tcache_entries(s, HEAP) + 8, s->c[2] + 16);
	put(s, s->c[2] + 16, mangle(s, s->c[2] + 16, s->c[12] + 16));
	put(s, s->c[12] + 16, mangle(s, s->c[12] + 16, 0));

	/* The thread arena's first heap. */
	put(s, THEAP, s->T);		/* ar_ptr */
	put(s, THEAP + 8, 0);		/* prev */
	put(s, THEAP + 16, 0x21000);	/* size */
	put(s, THEAP + 24, 0x21000);
	uint64_t t = (s->T + L->state_size + 15) & ~15ull;
	chunk(s, t, L->tcache_chunk, 5);
	s->tc[0] = t + L->tcache_chunk;
	chunk(s, s->tc[0], 0x50, 5);
	s->tc[1] = s->tc[0] + 0x50;
	chunk(s, s->tc[1], 0x20, 5);
	s->tc[2] = s->tc[1] + 0x20;
	chunk(s, s->tc[2], 0x20, 5);
	s->ttop = s->tc[2] + 0x20;
	chunk(s, s->ttop, THEAP + 0x21000 - s->ttop, 1);
	init_arena(s, s->T, s->ttop, s->A, 0x21000);
	put(s, s->T + L->fastbins, s->tc[1]);
	put(s, s->tc[1] + 16, mangle(s, s->tc[1] + 16, 0));
}

static void syn_free(struct syn *s)
{
	for (size_t i = 0; i < s->nr; i++) {
		free(s->mem[i]);
		free(s->r[i].path);
	}
}

struct seen {
	uint64_t addr[64], size[64];
	enum ml_hbin bin[64];
	size_t n;
};

static int collect(void *ctx, const struct ml_hchunk *c)
{
	struct seen *v = ctx;
	assert_true(v->n < 64);
	v->addr[v->n] = c->addr;
	v->size[v->n] = c->size;
	v->bin[v->n++] = c->bin;
	return 0;
}

static enum ml_hbin bin_of(const struct seen *v, uint64_t addr)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->addr[i] == addr)
			return v->bin[i];
	fail_msg("chunk 0x%llx was not walked", (unsigned long long)addr);
	return ML_HB__COUNT;
}

static void analyse(struct syn *s, struct ml_hmem *m, struct ml_heapinfo *h, const char *version)
{
	*m = (struct ml_hmem){ .read = syn_read, .ctx = s, .r = s->r, .nr = s->nr };
	assert_int_equal(ml_heap_analyse(m, version, h), 0);
}

static void check_healthy(unsigned minor, const char *name, const char *ro, const char *version)
{
	struct syn s;
	struct ml_hmem m;
	struct ml_heapinfo h;
	build(&s, minor, name, ro);
	unsigned long w0 = ml_warnings;
	analyse(&s, &m, &h, version);
	assert_int_equal(ml_warnings, w0);
	assert_true(h.main_checked && h.main_ring);
	assert_int_equal(h.L.minor, minor);
	assert_int_equal(h.narenas, 2);
	const struct ml_harena *a = &h.arenas[0], *t = &h.arenas[1];
	assert_true(a->main);
	assert_int_equal(a->addr, s.A);
	assert_int_equal(a->top, s.top);
	assert_int_equal(a->nheaps, 1);
	assert_int_equal(a->heaps[0].start, HEAP);
	assert_int_equal(a->heaps[0].end, HEAP + HEAP_SIZE);
	assert_int_equal(a->tcache, HEAP);
	assert_int_equal(a->free[ML_HB_TCACHE].count, 2);
	assert_int_equal(a->free[ML_HB_TCACHE].bytes, 0x60);
	assert_int_equal(a->free[ML_HB_FASTBIN].count, 1);
	assert_int_equal(a->free[ML_HB_FASTBIN].bytes, 0x40);
	assert_int_equal(a->free[ML_HB_UNSORTED].bytes, 0x100);
	assert_int_equal(a->free[ML_HB_SMALL].bytes, 0x90);
	assert_int_equal(a->free[ML_HB_LARGE].bytes, 0x500);
	assert_int_equal(a->free[ML_HB_TOP].bytes, HEAP + HEAP_SIZE - s.top);
	assert_int_equal(a->free[ML_HB_FREE_UNLISTED].count, 0);
	assert_int_equal(a->in_use.count, 7);	/* tcache struct + 6 */
	assert_int_equal(a->largest_free, HEAP + HEAP_SIZE - s.top);
	/* Each thread's tcache: main's holds c2 and c12; the thread's is empty. */
	assert_int_equal(h.ntcaches, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct ml_htcache *tc = &h.tcaches[i];
		bool main_tc = tc->chunk == HEAP;
		assert_int_equal(tc->arena, main_tc ? 0 : 1);
		assert_int_equal(tc->entries.count, main_tc ? 2 : 0);
		assert_int_equal(tc->entries.bytes, main_tc ? 0x60 : 0);
	}

	struct seen v = { .n = 0 };
	assert_int_equal(ml_heap_walk(&m, &h, 0, 0, collect, &v), 0);
	assert_int_equal(v.n, 14);
	assert_int_equal(bin_of(&v, s.c[1]), ML_HB_NONE);
	assert_int_equal(bin_of(&v, s.c[2]), ML_HB_TCACHE);
	assert_int_equal(bin_of(&v, s.c[12]), ML_HB_TCACHE);
	assert_int_equal(bin_of(&v, s.c[4]), ML_HB_FASTBIN);
	assert_int_equal(bin_of(&v, s.c[6]), ML_HB_UNSORTED);
	assert_int_equal(bin_of(&v, s.c[8]), ML_HB_SMALL);
	assert_int_equal(bin_of(&v, s.c[10]), ML_HB_LARGE);
	assert_int_equal(bin_of(&v, s.top), ML_HB_TOP);

	assert_int_equal(t->addr, s.T);
	assert_int_equal(t->nheaps, 1);
	assert_int_equal(t->heaps[0].info, THEAP);
	assert_int_equal(t->heaps[0].start, (s.T + s.L.state_size + 15) & ~15ull);
	assert_int_equal(t->free[ML_HB_FASTBIN].count, 1);
	assert_int_equal(t->in_use.count, 3);
	v.n = 0;
	assert_int_equal(ml_heap_walk(&m, &h, 1, 0, collect, &v), 0);
	assert_int_equal(bin_of(&v, s.tc[1]), ML_HB_FASTBIN);
	assert_int_equal(bin_of(&v, s.ttop), ML_HB_TOP);
	ml_heap_free(&m, &h);
	syn_free(&s);
}

/* 2.30-2.41: u16 counts, safe-linking from 2.32, 48-byte heap_info from 2.35. */
static void test_modern_layouts(void **st)
{
	(void)st;
	for (unsigned minor = 30; minor <= 41; minor++) {
		char name[64];
		snprintf(name, sizeof name, "/lib/x86_64-linux-gnu/libc-2.%u.so", minor);
		check_healthy(minor, name, NULL, NULL);
	}
}

/* 2.26-2.29: u8 counts, no safe-linking; 2.26 has no have_fastchunks. */
static void test_old_layouts(void **st)
{
	(void)st;
	for (unsigned minor = 26; minor <= 29; minor++) {
		char name[64];
		snprintf(name, sizeof name, "/lib/libc-2.%u.so", minor);
		check_healthy(minor, name, NULL, NULL);
	}
}

/* The version from libc's own string when the name has none; or forced. */
static void test_version_sources(void **st)
{
	(void)st;
	check_healthy(33, "/usr/lib/x86_64-linux-gnu/libc.so.6",
		      "GNU C Library (GNU libc) stable release version 2.33.\n", NULL);
	check_healthy(28, "/usr/lib/libc.so.6", NULL, "2.28");
	unsigned minor = 0;
	assert_int_equal(ml_glibc_version_in("xx release version 2.41.", 24, &minor), 0);
	assert_int_equal(minor, 41);
	assert_int_equal(ml_glibc_version_in("libc-2.27.so", 12, &minor), 0);
	assert_int_equal(minor, 27);
	assert_int_equal(ml_glibc_version_in("GLIBC_2.2.5", 11, &minor), -1);
	assert_int_equal(ml_glibc_version_in("release version 2.", 18, &minor), -1);
	struct ml_glibc_layout L, F;
	for (unsigned mi = 26; mi <= 41; mi++) {
		assert_int_equal(ml_glibc_layout(mi, &L), 0);
		facts(mi, &F);
		assert_memory_equal(&L, &F, sizeof L);
	}
	assert_int_equal(ml_glibc_layout(25, &L), -1);
	assert_int_equal(ml_glibc_layout(42, &L), -1);
	assert_int_equal(ml_glibc_layout(36, &L), 0);
	/* main_arena's unsorted bin head sits at +0x60 from 2.27 on */
	assert_int_equal(L.bins - 16, 0x60);
	assert_int_equal(L.tcache_chunk, 0x290);
	assert_int_equal(ml_glibc_layout(26, &L), 0);
	assert_int_equal(L.tcache_chunk, 0x250);
	assert_int_equal(L.bins - 16, 0x58);
}

/* Without a name or string, the layout is read off the heap's shape. */
static void test_inferred(void **st)
{
	(void)st;
	static const unsigned want[][2] = { { 36, 36 }, { 33, 34 }, { 30, 30 }, { 28, 29 } };
	for (size_t i = 0; i < 4; i++) {
		struct syn s;
		struct ml_hmem m;
		struct ml_heapinfo h;
		build(&s, want[i][0], "/usr/lib/libc.so.6", NULL);
		analyse(&s, &m, &h, NULL);
		assert_string_equal(h.version, "");
		assert_int_equal(h.L.minor, want[i][1]);
		assert_int_equal(h.arenas[0].free[ML_HB_TCACHE].count, 2);
		assert_int_equal(h.arenas[0].free[ML_HB_FASTBIN].count, 1);
		ml_heap_free(&m, &h);
		syn_free(&s);
	}
}

static void test_demangle(void **st)
{
	(void)st;
	uint64_t pos = 0x55555555a2c0ull, ptr = 0x55555555a310ull;
	uint64_t stored = ml_protect_ptr(pos, ptr);
	assert_int_equal(stored, (pos >> 12) ^ ptr);
	assert_int_equal(ml_reveal_ptr(pos, stored), ptr);
	assert_int_equal(ml_protect_ptr(pos, 0), pos >> 12);	/* a list end */
}

/* A size that points past the heap: the walk stops there, named, and the arena is still found. */
static void test_size_past_heap(void **st)
{
	(void)st;
	for (unsigned minor = 28; minor <= 36; minor += 8) {
		struct syn s;
		struct ml_hmem m;
		struct ml_heapinfo h;
		char name[64];
		snprintf(name, sizeof name, "/lib/libc-2.%u.so", minor);
		build(&s, minor, name, NULL);
		chunk(&s, s.c[5], 0x100000, 1);
		unsigned long w0 = ml_warnings;
		analyse(&s, &m, &h, NULL);
		assert_true(ml_warnings > w0);
		assert_int_equal(h.arenas[0].addr, s.A);
		assert_true(h.arenas[0].heaps[0].broken);
		assert_false(h.main_checked);
		assert_int_equal(h.arenas[0].heaps[0].walk_end, s.c[5]);
		struct seen v = { .n = 0 };
		ml_heap_walk(&m, &h, 0, 0, collect, &v);
		assert_int_equal(v.n, 5);	/* tcache struct, c1..c4 */
		assert_int_equal(v.addr[4], s.c[4]);
		ml_heap_free(&m, &h);
		syn_free(&s);
	}
}

/* Cyclic tcache and bin lists end; each chunk is listed once. */
static void test_cyclic_lists(void **st)
{
	(void)st;
	for (unsigned minor = 29; minor <= 33; minor += 4) {
		struct syn s;
		struct ml_hmem m;
		struct ml_heapinfo h;
		char name[64];
		snprintf(name, sizeof name, "/lib/libc-2.%u.so", minor);
		build(&s, minor, name, NULL);
		/* tcache: c12 points back to c2 */
		put(&s, s.c[12] + 16, mangle(&s, s.c[12] + 16, s.c[2] + 16));
		/* small bin: c8's fd points to itself, never back to the head */
		put(&s, s.c[8] + 16, s.c[8]);
		/* fastbin: c4 points to itself */
		put(&s, s.c[4] + 16, mangle(&s, s.c[4] + 16, s.c[4]));
		unsigned long w0 = ml_warnings;
		analyse(&s, &m, &h, NULL);
		assert_true(ml_warnings >= w0 + 3);
		assert_int_equal(h.arenas[0].free[ML_HB_TCACHE].count, 2);
		assert_int_equal(h.arenas[0].free[ML_HB_FASTBIN].count, 1);
		assert_int_equal(h.arenas[0].free[ML_HB_SMALL].count, 1);
		for (size_t i = 1; i < h.nfree; i++)
			assert_true(h.freel[i].chunk > h.freel[i - 1].chunk);
		ml_heap_free(&m, &h);
		syn_free(&s);
	}
}

/* A thread arena whose next does not lead back to main_arena; a heap_info that lies. */
static void test_bad_arena_list(void **st)
{
	(void)st;
	struct syn s;
	struct ml_hmem m;
	struct ml_heapinfo h;
	build(&s, 36, "/lib/libc-2.36.so", NULL);
	put(&s, s.T + s.L.next, s.T);	/* loops on itself */
	put(&s, THEAP, 0x1234);		/* ar_ptr of someone else */
	unsigned long w0 = ml_warnings;
	analyse(&s, &m, &h, NULL);
	/* main's ring no longer closes: still found, through the walk check */
	assert_true(ml_warnings > w0);
	assert_int_equal(h.arenas[0].addr, s.A);
	assert_true(h.narenas <= 2);
	if (h.narenas == 2)
		assert_int_equal(h.arenas[1].nheaps, 0);
	ml_heap_free(&m, &h);
	syn_free(&s);
}

/* Before the first malloc: main_arena is its static initializer; no heap, no error. */
static void test_pristine(void **st)
{
	(void)st;
	struct syn s;
	memset(&s, 0, sizeof s);
	facts(36, &s.L);
	region(&s, LIBC_RW, 0x2000, ML_PROT_R | ML_PROT_W, ML_KIND_FILE, "/lib/libc-2.36.so");
	uint64_t a = LIBC_RW + 0x440;
	put(&s, a + s.L.next, a);
	put(&s, a + s.L.next + 16, 1);
	put(&s, LIBC_RW + 0x10, LIBC_RW + 0x1000);	/* other data around it */
	struct ml_hmem m;
	struct ml_heapinfo h;
	analyse(&s, &m, &h, NULL);
	assert_int_equal(h.narenas, 1);
	assert_int_equal(h.arenas[0].addr, a);
	assert_int_equal(h.arenas[0].nheaps, 0);
	ml_heap_free(&m, &h);
	syn_free(&s);
}

/* Nothing that looks like glibc: a clean failure. */
static void test_no_glibc(void **st)
{
	(void)st;
	struct syn s;
	memset(&s, 0, sizeof s);
	region(&s, LIBC_RW, 0x2000, ML_PROT_R | ML_PROT_W, ML_KIND_FILE, "/lib/libc-2.36.so");
	for (uint64_t a = LIBC_RW; a < LIBC_RW + 0x2000; a += 8)
		put(&s, a, a * 0x9e3779b97f4a7c15ull);
	struct ml_hmem m = { .read = syn_read, .ctx = &s, .r = s.r, .nr = s.nr };
	struct ml_heapinfo h;
	assert_int_equal(ml_heap_analyse(&m, NULL, &h), -1);
	ml_heap_free(&m, &h);
	syn_free(&s);
}

/* --glibc and the analysis accept exactly "2.26" to "2.41". */
static void test_version_parse(void **st)
{
	(void)st;
	static const char *const bad[] = { "", "2", "2.", "2.25", "2.42", "2.36x", "2.36.1", "3.36", "2.0x1a",
					   " 2.36", "2.-36", "2.1000" };
	unsigned minor = 0;
	for (unsigned mi = 26; mi <= 41; mi++) {
		char v[8];
		snprintf(v, sizeof v, "2.%u", mi);
		assert_int_equal(ml_glibc_version_parse(v, &minor), 0);
		assert_int_equal(minor, mi);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(ml_glibc_version_parse(bad[i], &minor), -1);
		struct ml_hmem m = { 0 };
		struct ml_heapinfo h;
		assert_int_equal(ml_heap_analyse(&m, bad[i], &h), -1);
		ml_heap_free(&m, &h);
	}
}

/* A static program: no libc mapped; the version is in the executable's read-only data. */
static void test_static_version(void **st)
{
	(void)st;
	check_healthy(36, "/usr/local/bin/prog",
		      "GNU C Library (Debian GLIBC 2.36-9) stable release version 2.36.\n", NULL);
	struct syn s;
	struct ml_hmem m;
	struct ml_heapinfo h;
	build(&s, 33, "/usr/local/bin/prog", "GNU C Library (GNU libc) stable release version 2.33.\n");
	analyse(&s, &m, &h, NULL);
	assert_string_equal(h.version, "2.33");
	assert_non_null(strstr(h.version_from, "executable"));
	ml_heap_free(&m, &h);
	syn_free(&s);
}

/*
 * A heap low in memory, as a static non-PIE program's brk: a mangled next
 * ((pos >> 12) ^ ptr, pos >> 12 small) read plain still lands in the heap,
 * but not aligned.  The layout must come out safe-linked (issue 11 item 2).
 */
static void test_inferred_low_heap(void **st)
{
	(void)st;
	heap_base = 0x7139000ull;
	for (unsigned minor = 32; minor <= 36; minor += 4) {
		struct syn s;
		struct ml_hmem m;
		struct ml_heapinfo h;
		build(&s, minor, "/usr/local/bin/prog", NULL);
		/* the plain reading of c2's next is inside the heap, misaligned */
		uint64_t nx;
		memcpy(&nx, at(&s, s.c[2] + 16), 8);
		assert_true(nx - 16 >= HEAP && nx - 16 < HEAP + HEAP_SIZE && (nx & 15));
		unsigned long w0 = ml_warnings;
		analyse(&s, &m, &h, NULL);
		assert_int_equal(ml_warnings, w0);
		assert_true(h.L.safe_linking);
		assert_int_equal(h.arenas[0].free[ML_HB_TCACHE].count, 2);
		assert_int_equal(h.arenas[0].free[ML_HB_FASTBIN].count, 1);
		ml_heap_free(&m, &h);
		syn_free(&s);
	}
	heap_base = 0x555555559000ull;
}

/*
 * Issue 19: main_arena accepted, then no heap (its top 0x10, or in a
 * region of holes) with no version known: no crash, main without heaps.
 */
static void test_main_without_heap(void **st)
{
	(void)st;
	for (int k = 0; k < 2; k++) {
		struct syn s;
		struct ml_hmem m;
		struct ml_heapinfo h;
		build(&s, 36, "/lib/x86_64-linux-gnu/libc.so.7", NULL);
		if (k == 0) {
			put(&s, s.A + s.L.top, 0x10);
		} else {
			for (size_t i = 0; i < s.nr; i++)
				if (s.r[i].start == HEAP)
					s.r[i].captured = 0;	/* the heap region: all holes */
		}
		analyse(&s, &m, &h, NULL);
		assert_int_equal(h.arenas[0].addr, s.A);
		assert_int_equal(h.arenas[0].nheaps, 0);
		ml_heap_free(&m, &h);
		syn_free(&s);
	}
}

/*
 * Issue 19: libc-named mappings that are huge cost a bounded read: one of
 * 1 TiB with nothing captured is not read; one of 1 TiB that reads as
 * zeros is read 64 MiB deep at most; one of 1 TiB named libc.so.6 on disk
 * that does not exist is not opened.
 */
static void test_version_bounded(void **st)
{
	(void)st;
	struct syn s;
	struct ml_hmem m;
	struct ml_heapinfo h;
	build(&s, 36, "/nonexistent/libc.so.6", NULL);
	assert_true(s.nr + 2 <= MAXR);
	for (int i = 0; i < 2; i++) {
		struct ml_region *r = &s.r[s.nr];
		memset(r, 0, sizeof *r);
		r->start = (uint64_t)(i + 1) << 44;
		r->end = r->start + ((uint64_t)1 << 40);
		r->prot = ML_PROT_R;
		r->kind = ML_KIND_FILE;
		r->path = strdup("/nonexistent/libc.so.6");
		r->captured = i ? r->end - r->start : 0;
		s.mem[s.nr++] = NULL;
	}
	syn_sort(&s);
	analyse(&s, &m, &h, NULL);
	assert_true(s.asked > 0 && s.asked <= ((uint64_t)64 << 20) + 65536);	/* blocks overlap by 64 bytes */
	assert_string_equal(h.version, "");
	assert_int_equal(h.arenas[0].addr, s.A);
	ml_heap_free(&m, &h);
	syn_free(&s);
}

/*
 * glibc's mp_ at addr, as glibc lays it out from 2.35 (hp: huge page
 * fields, a 4-byte hole before mmapped_mem) or before: sbrk_base, the
 * tcache tunables after it, n_mmaps and mmapped_mem before.
 */
static void put_mp(struct syn *s, uint64_t addr, bool hp, uint64_t sbrk, int32_t n, uint64_t mem)
{
	uint64_t sb = addr + (hp ? 96 : 72);
	int32_t ints[4] = { n, 65536, n, 0 };	/* n_mmaps, n_mmaps_max, max_n_mmaps, no_dyn_threshold */
	put(s, addr, 128 << 10);		/* trim_threshold, top_pad, mmap_threshold, arena_test */
	put(s, addr + 8, 128 << 10);
	put(s, addr + 16, 128 << 10);
	put(s, addr + 24, 8);
	memcpy(at(s, sb - (hp ? 36 : 32)), ints, sizeof ints);
	put(s, sb - 16, mem);
	put(s, sb - 8, mem);
	put(s, sb, sbrk);
	put(s, sb + 8, 64);
	put(s, sb + 16, 1032);
	put(s, sb + 24, 7);
}

/*
 * mmapped chunks anywhere in an anonymous mapping (issue 11 item 1): after
 * unrelated pages, back to back, memalign'd (glibc's mapping header left
 * at the start, the chunk pad bytes on, pad in prev_size), and headers
 * that must not count: PREV_INUSE set, a size not whole pages, a size past
 * the mapping.  Above it, 64 MiB of zeros.  mp_: -1 none; else glibc's
 * count of chunks (4 is right).
 */
static void mmapped_case(unsigned minor, int mp_count, unsigned long want_warnings, bool zeros_read)
{
	const uint64_t M = 0x7f2000000000ull, MS = 0x40000, Z = 0x7f3000000000ull, ZS = (uint64_t)64 << 20;
	struct syn s;
	struct ml_hmem m;
	struct ml_heapinfo h;
	char version[8];
	build(&s, minor, "/lib/libc.so.6", NULL);
	region(&s, M, MS, ML_PROT_R | ML_PROT_W, ML_KIND_ANON, NULL);
	struct ml_region *z = &s.r[s.nr];
	memset(z, 0, sizeof *z);
	z->start = Z;
	z->end = Z + ZS;
	z->captured = ZS;
	z->prot = ML_PROT_R | ML_PROT_W;
	s.mem[s.nr++] = NULL;
	for (uint64_t a = M; a < M + 0x2000; a += 8)
		put(&s, a, 0x5a5a5a5a5a5a5a5aull);			/* someone else's pages */
	put(&s, M + 0x2000 + 8, 0x3000 | 2);				/* a chunk: 0x2000-0x5000 */
	put(&s, M + 0x5000 + 8, 0x5000 | 2);				/* memalign(64): header ... */
	put(&s, M + 0x5030, 0x30);					/* ... and the chunk */
	put(&s, M + 0x5030 + 8, (0x5000 - 0x30) | 2);
	put(&s, M + 0xa000 + 8, 0x8000 | 2);				/* memalign(16 KiB) */
	uint64_t c3 = ((M + 0xa000 + 16 + 0x3fff) & ~0x3fffull) - 16;
	put(&s, c3, c3 - (M + 0xa000));
	put(&s, c3 + 8, (M + 0x12000 - c3) | 2);
	put(&s, M + 0x12000 + 8, 0x1000 | 3);				/* PREV_INUSE: not one */
	put(&s, M + 0x13000 + 8, 0x1010 | 2);				/* not whole pages */
	put(&s, M + 0x14000 + 8, 0x100000 | 2);				/* past the mapping */
	put(&s, M + 0x20000 + 8, (MS - 0x20000) | 2);			/* the last, to the end */
	const uint64_t total = 0x3000 + 0x5000 + 0x8000 + MS - 0x20000;
	if (mp_count >= 0)
		put_mp(&s, LIBC_RW + 0x20, minor >= 35, HEAP, mp_count, mp_count ? total : 0);
	syn_sort(&s);
	snprintf(version, sizeof version, "2.%u", minor);
	unsigned long w0 = ml_warnings;
	analyse(&s, &m, &h, version);
	assert_int_equal(ml_warnings - w0, want_warnings);
	assert_int_equal(h.mp, mp_count >= 0 ? LIBC_RW + 0x20 : 0);
	assert_int_equal(h.mp_n_mmaps, mp_count >= 0 ? (uint64_t)mp_count : 0);
	assert_true(zeros_read ? s.asked >= ZS : s.asked == 0);
	if (mp_count == 0) {	/* glibc has none: nothing is searched, nothing found */
		assert_int_equal(h.nmmapped, 0);
	} else {
		static const uint64_t want[][3] = {
			{ 0x2000, 0x3000, 0 }, { 0x5030, 0x4fd0, 0x30 }, { 0, 0, 0 }, { 0x20000, MS - 0x20000, 0 },
		};
		assert_int_equal(h.nmmapped, 4);
		for (size_t i = 0; i < 4; i++) {
			uint64_t c = i == 2 ? c3 : M + want[i][0];
			uint64_t size = i == 2 ? M + 0x12000 - c3 : want[i][1];
			uint64_t pad = i == 2 ? c3 - (M + 0xa000) : want[i][2];
			assert_int_equal(h.mmapped[i], c);
			assert_int_equal(h.mmapped_size[i], size);
			assert_int_equal(h.mmapped_pad[i], pad);
		}
		assert_int_equal(h.arenas[0].mmapped.count, 4);
		assert_int_equal(h.arenas[0].mmapped.bytes, total);
	}
	ml_heap_free(&m, &h);
	syn_free(&s);
}

/*
 * The scan; with glibc's count (mp_, both layouts) it stops once all are
 * found (the zeros above are not read), skips the search when glibc has
 * none, and warns when it finds fewer than glibc counts.
 */
static void test_mmapped_scan(void **st)
{
	(void)st;
	mmapped_case(36, -1, 0, true);
	mmapped_case(36, 4, 0, false);
	mmapped_case(30, 4, 0, false);
	mmapped_case(36, 0, 0, false);
	mmapped_case(36, 5, 1, true);
}

/* Other allocators by their library, Chromium by its executable. */
static void test_other_allocator(void **st)
{
	(void)st;
	struct ml_region r[3];
	memset(r, 0, sizeof r);
	r[0].path = (char *)"/usr/bin/python3.11";
	r[1].path = (char *)"/usr/lib/x86_64-linux-gnu/libc.so.6";
	r[2].path = (char *)"/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
	const char *path;
	assert_string_equal(ml_other_allocator(r, 3, &path), "jemalloc");
	assert_string_equal(path, r[2].path);
	r[2].path = (char *)"/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.5.10";
	assert_string_equal(ml_other_allocator(r, 3, &path), "tcmalloc");
	assert_null(ml_other_allocator(r, 2, &path));
	r[0].path = (char *)"/usr/lib/chromium/chromium";
	assert_non_null(strstr(ml_other_allocator(r, 2, &path), "PartitionAlloc"));
	char note[256];
	assert_non_null(strstr(ml_other_allocator_note(r, 2, note, sizeof note), "only glibc malloc is walked"));
	r[0].path = (char *)"/usr/bin/jemalloc-tool";	/* not a library */
	assert_string_equal(ml_other_allocator_note(r, 2, note, sizeof note), "");
}

int main(void)
{
	ml_quiet = true;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modern_layouts),
		cmocka_unit_test(test_old_layouts),
		cmocka_unit_test(test_version_sources),
		cmocka_unit_test(test_inferred),
		cmocka_unit_test(test_demangle),
		cmocka_unit_test(test_size_past_heap),
		cmocka_unit_test(test_cyclic_lists),
		cmocka_unit_test(test_bad_arena_list),
		cmocka_unit_test(test_pristine),
		cmocka_unit_test(test_no_glibc),
		cmocka_unit_test(test_version_parse),
		cmocka_unit_test(test_static_version),
		cmocka_unit_test(test_inferred_low_heap),
		cmocka_unit_test(test_main_without_heap),
		cmocka_unit_test(test_version_bounded),
		cmocka_unit_test(test_mmapped_scan),
		cmocka_unit_test(test_other_allocator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
