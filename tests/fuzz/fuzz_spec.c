/*
 * fuzz_spec: `--region` specs through ml_spec_parse, then ml_select and
 * ml_stream over a small fixed address space (a region of every kind, one
 * at address 0 and one ending at the top, some partly captured) whose
 * file bytes are a known function of the address.  Each input line is one
 * spec.  Checked: the pieces are exactly the union this file computes on
 * its own from the specs, and the stream gives each byte's known value,
 * holes exactly where a region stops being captured.
 */
#include "config.h"
#include "fuzz.h"
#include "select.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_SPECS 8
#define BLOCK 512

static const struct {
	uint64_t start, end, captured;
	unsigned prot;
	enum ml_kind kind;
	const char *path;
} layout[] = {
	{ 0x0, 0x1000, 0x1000, ML_PROT_R, ML_KIND_RAW, NULL },
	{ 0x400000, 0x402000, 0x2000, ML_PROT_R | ML_PROT_X, ML_KIND_FILE, "/usr/bin/prog" },
	{ 0x402000, 0x403000, 0x800, ML_PROT_R | ML_PROT_W, ML_KIND_FILE, "/usr/bin/prog" },
	{ 0x100000000000, 0x100000001000, 0x1000, ML_PROT_R, ML_KIND_PHYS, NULL },
	{ 0x200000000000, 0x200000001000, 0x1000, ML_PROT_R | ML_PROT_X, ML_KIND_OTHER, "[uprobes]" },
	{ 0x555555559000, 0x55555555b000, 0x2000, ML_PROT_R | ML_PROT_W, ML_KIND_HEAP, "[heap]" },
	{ 0x7f0000000000, 0x7f0000002000, 0, ML_PROT_R | ML_PROT_X, ML_KIND_FILE,
	  "/usr/lib/x86_64-linux-gnu/libc.so.6" },
	{ 0x7f0000002000, 0x7f0000003000, 0x1000, ML_PROT_R | ML_PROT_W, ML_KIND_ANON, NULL },
	{ 0x7ffc00000000, 0x7ffc00003000, 0x1000, ML_PROT_R | ML_PROT_W, ML_KIND_STACK, "[stack]" },
	{ 0x7ffc00010000, 0x7ffc00014000, 0x4000, ML_PROT_R, ML_KIND_VVAR, "[vvar]" },
	{ 0x7ffc00014000, 0x7ffc00016000, 0x2000, ML_PROT_R | ML_PROT_X, ML_KIND_VDSO, "[vdso]" },
	{ 0xffffffffff600000, 0xffffffffff601000, 0x1000, ML_PROT_X, ML_KIND_VSYSCALL, "[vsyscall]" },
	{ 0xfffffffffffff000, 0xffffffffffffffff, 0xfff, ML_PROT_R | ML_PROT_SHARED, ML_KIND_ANON,
	  "/dev/zero (deleted)" },
};
#define NREG ML_ARRAY_SIZE(layout)

static struct ml_space space;
static struct ml_region regions[NREG];

/* The byte the space holds at addr (where captured). */
static uint8_t byte_at(uint64_t a)
{
	return (uint8_t)((a >> 12) * 31 + (a & 0xfff) * 7 + (a >> 40));
}

void fuzz_setup(void)
{
	int fd = memfd_create("memlens-fuzz-space", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	uint64_t off = 0;
	for (size_t i = 0; i < NREG; i++) {
		struct ml_region *r = &regions[i];
		*r = (struct ml_region){ .start = layout[i].start, .end = layout[i].end,
					 .captured = layout[i].captured, .prot = layout[i].prot,
					 .kind = layout[i].kind, .src_off = off,
					 .path = layout[i].path ? ml_strdup(layout[i].path) : NULL };
		for (uint64_t a = r->start; a < r->start + r->captured; a++) {
			uint8_t b = byte_at(a);
			if (pwrite(fd, &b, 1, (off_t)(off + (a - r->start))) != 1)
				abort();
		}
		off += r->captured;
	}
	space = (struct ml_space){ .kind = ml_source_kind_named("raw"), .caps = ML_CAP_BASE | ML_CAP_FLAT, .name = (char *)"fuzz space", .r = regions,
				   .n = NREG, .fd = fd, .file_size = off, .page_size = 4096 };
}

static bool whole(const struct ml_region *r, const struct ml_spec *sp)
{
	switch (sp->type) {
	case ML_SPEC_KIND: return r->kind == sp->kind;
	case ML_SPEC_EXEC: return (r->prot & ML_PROT_X) != 0;
	case ML_SPEC_PATH: return r->path && strstr(r->path, sp->text);
	default: return false;
	}
}

/* The pieces region i should give: [a, b) pairs, merged, in order. */
static size_t expect(size_t i, const struct ml_spec *specs, size_t n, uint64_t (*iv)[2])
{
	const struct ml_region *r = &regions[i];
	size_t k = 0;
	bool all = n == 0;	/* no spec: everything */
	for (size_t s = 0; s < n; s++)
		all |= whole(r, &specs[s]);
	if (all) {
		iv[0][0] = r->start, iv[0][1] = r->end;
		return 1;
	}
	for (size_t s = 0; s < n; s++) {
		if (specs[s].type != ML_SPEC_RANGE)
			continue;
		uint64_t a = ML_MAX(r->start, specs[s].start), b = ML_MIN(r->end, specs[s].end);
		if (a < b)
			iv[k][0] = a, iv[k][1] = b, k++;
	}
	/* insertion sort by start, then merge what touches */
	for (size_t x = 1; x < k; x++)
		for (size_t y = x; y > 0 && iv[y][0] < iv[y - 1][0]; y--) {
			uint64_t t0 = iv[y][0], t1 = iv[y][1];
			iv[y][0] = iv[y - 1][0], iv[y][1] = iv[y - 1][1];
			iv[y - 1][0] = t0, iv[y - 1][1] = t1;
		}
	size_t m = 0;
	for (size_t x = 0; x < k; x++) {
		if (m && iv[x][0] <= iv[m - 1][1]) {
			iv[m - 1][1] = ML_MAX(iv[m - 1][1], iv[x][1]);
			continue;
		}
		iv[m][0] = iv[x][0], iv[m][1] = iv[x][1];
		m++;
	}
	return m;
}

static void check_selection(const struct ml_spec *specs, size_t n, const struct ml_selection *sel)
{
	size_t p = 0;
	uint64_t bytes = 0;
	for (size_t i = 0; i < NREG; i++) {
		uint64_t iv[MAX_SPECS + 1][2];
		size_t m = expect(i, specs, n, iv);
		for (size_t x = 0; x < m; x++, p++) {
			FUZZ_CHECK(p < sel->n);
			FUZZ_CHECK(sel->p[p].region == i && sel->p[p].start == iv[x][0] && sel->p[p].end == iv[x][1]);
			bytes += iv[x][1] - iv[x][0];
		}
	}
	FUZZ_CHECK(p == sel->n && bytes == sel->bytes);
}

static void check_stream(const struct ml_selection *sel)
{
	struct ml_stream *st = ml_stream_new(&space, sel, BLOCK);
	struct ml_chunk c;
	uint64_t offset = 0, holes = 0;
	while (ml_stream_next(st, &c)) {
		FUZZ_CHECK(c.len > 0 && c.len <= BLOCK && c.offset == offset && c.piece < sel->n);
		const struct ml_piece *pc = &sel->p[c.piece];
		FUZZ_CHECK(c.addr >= pc->start && c.len <= pc->end - c.addr);
		const struct ml_region *r = &regions[pc->region];
		uint64_t cap_end = ml_region_cap_end(r);
		FUZZ_CHECK(c.hole == (c.addr >= cap_end));
		if (c.hole) {
			holes += c.len;
		} else {
			FUZZ_CHECK(c.len <= cap_end - c.addr);
			for (size_t k = 0; k < c.len; k++)
				FUZZ_CHECK(c.data[k] == byte_at(c.addr + k));
		}
		offset += c.len;
	}
	FUZZ_CHECK(offset == sel->bytes && holes == ml_stream_hole_bytes(st));
	ml_stream_free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ml_spec specs[MAX_SPECS];
	size_t n = 0;
	char *text = ml_strndup((const char *)data, size);
	char *p = text;
	while (*p && n < MAX_SPECS) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		const char *why = NULL;
		if (ml_spec_parse(p, &specs[n], &why) == 0) {
			FUZZ_CHECK(specs[n].type != ML_SPEC_RANGE || specs[n].start < specs[n].end);
			FUZZ_CHECK(specs[n].type != ML_SPEC_PATH || specs[n].text);
			n++;
		} else {
			FUZZ_CHECK(why && *why);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	struct ml_selection sel;
	ml_select(&space, specs, n, &sel);
	check_selection(specs, n, &sel);
	check_stream(&sel);
	ml_selection_free(&sel);
	for (size_t i = 0; i < n; i++)
		ml_spec_free(&specs[i]);
	free(text);
	return 0;
}
