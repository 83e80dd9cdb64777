/*
 * fuzz_heap: the glibc heap walker (ml_heap_analyse, ml_heap_walk) over a
 * synthetic address space read through struct ml_hmem's callback, for
 * every layout from glibc 2.26 to 2.41 and for version detection.  The
 * input (written by corpus.py, which builds healthy heaps of each layout
 * and takes real ones from gcore):
 *
 *   u8 version: 0 detects, k forces glibc 2.(25 + k) (taken mod 17)
 *   u8 regions - 1 (mod 8), u16 unused
 *   per region, 20 bytes: u64 start, u32 size, u32 captured, u8 prot,
 *     u8 kind, u8 path (an index into paths[]), u8 unused
 *   the captured bytes of each region in turn; what the input lacks, and
 *   everything past `captured`, is a hole.
 *
 * Regions are kept to 64 KiB each (the walker scans writable libc data
 * word by word for main_arena: three 256 KiB regions took 72 ms under
 * ASan, too close to the 1 s limit on a busy machine; real libc data is
 * about 60 KiB) and made sorted and disjoint, as every source promises.  Paths point nowhere on disk, so runs do not depend on
 * the machine.  Checked: every chunk a walk reports lies in its heap, in
 * address order, and the free list is sorted without duplicates.
 */
#include "config.h"
#include "fuzz.h"
#include "heap_glibc.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REGIONS 8
#define MAX_SIZE ((uint64_t)64 << 10)
#define HDR 4
#define REC 20

static const char *const paths[] = {
	NULL,
	"/fuzz/lib/x86_64-linux-gnu/libc.so.6",
	"/fuzz/lib/libc-2.27.so",
	"[heap]",
	"/fuzz/bin/tiny",
	"[stack]",
	"/fuzz/lib/ld-linux-x86-64.so.2",
};

struct synmem {
	struct ml_region r[MAX_REGIONS];
	const uint8_t *bytes[MAX_REGIONS];
	size_t n;
};

/* Answers like ml_space_read: the longest uniform prefix, data or hole. */
static size_t syn_read(void *ctx, uint64_t addr, size_t n, void *buf, bool *hole)
{
	const struct synmem *m = ctx;
	long i = ml_regions_find(m->r, m->n, addr);
	if (i < 0) {
		size_t k = ml_regions_above(m->r, m->n, addr);
		uint64_t gap = k < m->n ? m->r[k].start - addr : UINT64_MAX - addr + 1;
		*hole = true;
		return gap == 0 || gap > n ? n : (size_t)gap;
	}
	const struct ml_region *r = &m->r[i];
	uint64_t cap_end = ml_region_cap_end(r);
	if (addr >= cap_end) {
		*hole = true;
		return (size_t)ML_MIN((uint64_t)n, r->end - addr);
	}
	size_t k = (size_t)ML_MIN((uint64_t)n, cap_end - addr);
	memcpy(buf, m->bytes[i] + (addr - r->start), k);
	*hole = false;
	return k;
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static int cmp_region(const void *x, const void *y)
{
	const struct ml_region *a = x, *b = y;
	return a->start < b->start ? -1 : a->start > b->start;
}

/* Builds the space from the input; false when there is not even a header. */
static bool build(struct synmem *m, const uint8_t *data, size_t size)
{
	memset(m, 0, sizeof *m);
	if (size < HDR)
		return false;
	size_t want = data[1] % MAX_REGIONS + 1;
	size_t off = HDR + want * REC;
	if (size < off)
		return false;
	struct {
		struct ml_region r;
		const uint8_t *b;
	} t[MAX_REGIONS];
	size_t n = 0;
	for (size_t i = 0; i < want; i++) {
		const uint8_t *rec = data + HDR + i * REC;
		uint64_t start = le(rec, 8), len = ML_MIN(le(rec + 8, 4), MAX_SIZE);
		uint64_t cap = ML_MIN(ML_MIN(le(rec + 12, 4), len), (uint64_t)(size - off));
		const uint8_t *bytes = data + off;
		off += (size_t)cap;
		if (!len || start + len < start)
			continue;
		t[n].r = (struct ml_region){ .start = start, .end = start + len, .captured = cap,
					     .prot = rec[16] & 0x1f,
					     .kind = (enum ml_kind)(rec[17] % ML_KIND__COUNT),
					     .path = (char *)paths[rec[18] % ML_ARRAY_SIZE(paths)] };
		t[n++].b = bytes;
	}
	/* Sorted, and a region overlapping the one before it dropped. */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && cmp_region(&t[k].r, &t[k - 1].r) < 0; k--) {
			__typeof__(t[0]) x = t[k];
			t[k] = t[k - 1];
			t[k - 1] = x;
		}
	for (size_t i = 0; i < n; i++) {
		if (m->n && t[i].r.start < m->r[m->n - 1].end)
			continue;
		m->r[m->n] = t[i].r;
		m->bytes[m->n++] = t[i].b;
	}
	return true;
}

struct walkcheck {
	const struct ml_hheap *heap;
	uint64_t next;		/* the lowest address the next chunk may have */
	size_t chunks;
};

static int check_chunk(void *ctx, const struct ml_hchunk *c)
{
	struct walkcheck *w = ctx;
	FUZZ_CHECK(c->addr >= w->next && c->addr >= w->heap->start);
	FUZZ_CHECK(c->size > 0 || c->bin == ML_HB_TOP);
	FUZZ_CHECK(c->addr + c->size >= c->addr && c->addr + c->size <= w->heap->end);
	FUZZ_CHECK((unsigned)c->bin < ML_HB__COUNT);
	w->next = c->addr + c->size;
	w->chunks++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct synmem mem;
	if (!build(&mem, data, size))
		return 0;
	char version[8];
	unsigned v = data[0] % 17;
	snprintf(version, sizeof version, "2.%u", 25 + v);
	struct ml_hmem m = { .read = syn_read, .ctx = &mem, .r = mem.r, .nr = mem.n };
	struct ml_heapinfo h;
	if (ml_heap_analyse(&m, v ? version : NULL, &h) == 0) {
		FUZZ_CHECK(h.narenas == 0 || h.arenas[0].main);
		for (size_t i = 1; i < h.nfree; i++)
			FUZZ_CHECK(h.freel[i - 1].chunk < h.freel[i].chunk);
		for (size_t a = 0; a < h.narenas; a++) {
			for (size_t k = 0; k < h.arenas[a].nheaps; k++) {
				const struct ml_hheap *hp = &h.arenas[a].heaps[k];
				FUZZ_CHECK(hp->start <= hp->end);
				FUZZ_CHECK(hp->walk_end >= hp->start && hp->walk_end <= hp->end);
				struct walkcheck w = { .heap = hp, .next = hp->start };
				ml_heap_walk(&m, &h, a, k, check_chunk, &w);
			}
		}
	}
	ml_heap_free(&m, &h);
	return 0;
}
