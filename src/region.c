/*
 * region: names and helpers for the region model shared by all sources.
 */
#include "config.h"
#include "region.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[ML_KIND__COUNT] = {
	[ML_KIND_ANON] = "anon",
	[ML_KIND_FILE] = "file",
	[ML_KIND_HEAP] = "heap",
	[ML_KIND_STACK] = "stack",
	[ML_KIND_VDSO] = "vdso",
	[ML_KIND_VVAR] = "vvar",
	[ML_KIND_VSYSCALL] = "vsyscall",
	[ML_KIND_PHYS] = "phys",
	[ML_KIND_RAW] = "raw",
	[ML_KIND_OTHER] = "other",
};

const char *ml_kind_name(enum ml_kind k)
{
	return (unsigned)k < ML_KIND__COUNT ? kind_names[k] : "?";
}

void ml_perms_str(unsigned prot, char out[5])
{
	if (prot & ML_PROT_UNKNOWN) {
		memcpy(out, "????", 5);
		return;
	}
	out[0] = prot & ML_PROT_R ? 'r' : '-';
	out[1] = prot & ML_PROT_W ? 'w' : '-';
	out[2] = prot & ML_PROT_X ? 'x' : '-';
	out[3] = prot & ML_PROT_SHARED ? 's' : 'p';
	out[4] = '\0';
}

uint64_t ml_region_cap_end(const struct ml_region *r)
{
	return r->captured < r->end - r->start ? r->start + r->captured : r->end;
}

uint64_t ml_region_captured_in(const struct ml_region *r, uint64_t a, uint64_t b)
{
	uint64_t cap_end = ml_region_cap_end(r);
	return cap_end > a ? (cap_end < b ? cap_end : b) - a : 0;
}

long ml_regions_find(const struct ml_region *r, size_t n, uint64_t addr)
{
	size_t i = ml_regions_above(r, n, addr);
	return i > 0 && addr < r[i - 1].end ? (long)(i - 1) : -1;
}

size_t ml_regions_above(const struct ml_region *r, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t ml_read_zeroed(ml_read_fn read, void *ctx, uint64_t addr, size_t n, void *buf)
{
	size_t off = 0, data = 0;
	while (off < n) {
		bool hole = true;
		size_t k = read(ctx, addr + off, n - off, (char *)buf + off, &hole);
		if (k == 0 || k > n - off)
			break;
		if (hole)
			memset((char *)buf + off, 0, k);
		else
			data += k;
		off += k;
		if (addr + off < addr)	/* wrapped past the top */
			break;
	}
	if (off < n)
		memset((char *)buf + off, 0, n - off);
	return data;
}

static int cmp_start(const void *a, const void *b)
{
	const struct ml_region *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

int ml_regions_sort_check(struct ml_region *r, unsigned long n)
{
	if (n > 1)
		qsort(r, n, sizeof *r, cmp_start);
	for (unsigned long i = 0; i < n; i++) {
		if (r[i].end <= r[i].start)
			return -1;
		if (i && r[i].start < r[i - 1].end)
			return -1;
	}
	return 0;
}

void ml_regions_free(struct ml_region *r, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		free(r[i].path);
	free(r);
}
