/*
 * fuzz_common: what every harness links — LLVMFuzzerInitialize (quiet
 * warnings, then the harness's fuzz_setup), the memfd the file harnesses
 * open their input through, and the checks of an opened source against
 * the bytes of its own file (see fuzz.h).
 */
#include "config.h"
#include "fuzz.h"
#include "select.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PROBE 4096			/* bytes read at each place probed */
#define READ_BUDGET ((size_t)1 << 20)	/* bytes read per input, at most */
#define STREAM_CHUNKS 64		/* chunks pulled through ml_stream */

void fuzz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
	abort();
}

__attribute__((weak)) void fuzz_setup(void)
{
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ml_cmd = "fuzz";
	ml_quiet = true;
	fuzz_setup();
	return 0;
}

const char *fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("memlens-fuzz", MFD_CLOEXEC);
		if (fd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	size_t done = 0;
	if (ftruncate(fd, 0))
		abort();
	while (done < size) {
		ssize_t k = pwrite(fd, data + done, size - done, (off_t)done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			abort();
		done += (size_t)k;
	}
	return path;
}

/* The bytes from addr to the next region's start, or to the top. */
static uint64_t gap_to_next(const struct ml_space *s, uint64_t addr)
{
	size_t i = ml_regions_above(s->r, s->n, addr);
	return i < s->n ? s->r[i].start - addr : UINT64_MAX - addr + 1;
}

/*
 * Reads [addr, addr + len) piece by piece and checks each answer against
 * the region list and the file: data exactly below a region's captured
 * end, and then the file's own bytes at the region's offset.
 */
static void probe(struct ml_space *s, const uint8_t *data, size_t size, uint64_t addr, size_t len,
		  size_t *budget)
{
	static uint8_t buf[PROBE];
	len = ML_MIN(len, ML_MIN(*budget, sizeof buf));
	*budget -= len;
	while (len) {
		bool hole = false;
		size_t k = ml_space_read(s, addr, len, buf, &hole);
		FUZZ_CHECK(k > 0 && k <= len);
		long i = ml_space_find(s, addr);
		if (i < 0) {
			uint64_t g = gap_to_next(s, addr);
			FUZZ_CHECK(hole);
			FUZZ_CHECK(g == 0 || k <= g);
		} else {
			const struct ml_region *r = &s->r[i];
			uint64_t cap_end = ml_region_cap_end(r);
			FUZZ_CHECK(hole == (addr >= cap_end));
			FUZZ_CHECK(k <= (hole ? r->end : cap_end) - addr);
			if (!hole) {
				uint64_t off = r->src_off + (addr - r->start);
				FUZZ_CHECK(off <= size && k <= size - off);
				FUZZ_CHECK(!memcmp(buf, data + off, k));
			}
		}
		if (addr + k < addr)
			break;
		addr += k;
		len -= k;
	}
}

void fuzz_check_space(struct ml_space *s, const uint8_t *data, size_t size)
{
	uint64_t total = 0;
	FUZZ_CHECK(s->n == 0 || s->r);
	for (size_t i = 0; i < s->n; i++) {
		const struct ml_region *r = &s->r[i];
		FUZZ_CHECK(r->start < r->end);
		FUZZ_CHECK(i == 0 || r->start >= s->r[i - 1].end);
		FUZZ_CHECK((unsigned)r->kind < ML_KIND__COUNT);
		FUZZ_CHECK(r->captured <= r->end - r->start);
		if (r->captured)
			FUZZ_CHECK(r->src_off <= size && r->captured <= size - r->src_off);
		FUZZ_CHECK(!r->path || strlen(r->path) < size + 4096);
		FUZZ_CHECK(ml_space_find(s, r->start) == (long)i);
		FUZZ_CHECK(ml_space_find(s, r->end - 1) == (long)i);
		total += r->end - r->start;
	}
	FUZZ_CHECK(!s->comm || strlen(s->comm) <= 16);

	/* Every region's ends, its captured end and the gap after it. */
	size_t budget = READ_BUDGET;
	for (size_t i = 0; i < s->n && budget; i++) {
		const struct ml_region *r = &s->r[i];
		uint64_t len = r->end - r->start, cap_end = ml_region_cap_end(r);
		size_t head = (size_t)ML_MIN(len, (uint64_t)PROBE);
		probe(s, data, size, r->start, head, &budget);
		probe(s, data, size, r->end - head, head, &budget);
		if (cap_end > r->start && cap_end < r->end)
			probe(s, data, size, cap_end - 1, 2, &budget);
		if (r->end && ml_space_find(s, r->end) < 0)
			probe(s, data, size, r->end, PROBE, &budget);
	}
	uint8_t word[16];
	for (size_t i = 1; i < s->n && i < 64; i++)
		(void)ml_read_exact(s, s->r[i].start - 8, sizeof word, word);

	/* Everything selected, as commands do without --region. */
	struct ml_selection sel;
	ml_select(s, NULL, 0, &sel);
	FUZZ_CHECK(sel.n == s->n && sel.bytes == total);
	for (size_t i = 0; i < sel.n; i++)
		FUZZ_CHECK(ml_piece_captured(s, &sel.p[i]) == s->r[i].captured);
	struct ml_stream *st = ml_stream_new(s, &sel, PROBE);
	struct ml_chunk c;
	uint64_t offset = 0;
	for (unsigned k = 0; k < STREAM_CHUNKS && ml_stream_next(st, &c); k++) {
		FUZZ_CHECK(c.len > 0 && c.len <= PROBE && c.offset == offset);
		FUZZ_CHECK(c.piece < sel.n && c.addr >= sel.p[c.piece].start && c.len <= sel.p[c.piece].end - c.addr);
		offset += c.len;
	}
	ml_stream_free(st);
	ml_selection_free(&sel);
}
