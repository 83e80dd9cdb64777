/*
 * fuzz_minidump: Windows minidumps through ml_space_open (`--as
 * minidump`), the region list and reads checked against the file's bytes
 * (fuzz_check_space), then against a second, plain reading of the
 * MemoryList here: a range no other range overlaps, wholly inside the
 * file, reads back as the file's bytes at its rva.
 */
#include "config.h"
#include "fuzz.h"

#include <string.h>

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* MemoryList descriptor i of the stream at rva (count at rva), or false. */
static bool memdesc(const uint8_t *data, size_t size, uint64_t rva, uint64_t i, uint64_t d[3])
{
	uint64_t at = rva + 4 + 16 * i;
	if (at + 16 > size)
		return false;
	d[0] = le(data + at, 8);
	d[1] = le(data + at + 8, 4);
	d[2] = le(data + at + 12, 4);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ml_open_opts o = { .as = ml_source_kind_named("minidump") };
	struct ml_space *s;
	if (ml_space_open(&s, fuzz_file(data, size), &o))
		return 0;
	FUZZ_CHECK(!strcmp(ml_space_kind(s), "minidump") && s->file_size == size);
	fuzz_check_space(s, data, size);

	/* The one MemoryList, its ranges read plainly; only when no other stream holds memory. */
	uint64_t nstreams = le(data + 8, 4), dir = le(data + 12, 4), list = 0;
	int lists = 0, others = 0;
	for (uint64_t i = 0; i < nstreams && dir + 12 * (i + 1) <= size; i++) {
		uint64_t type = le(data + dir + 12 * i, 4);
		if (type == 5)
			lists++, list = le(data + dir + 12 * i + 8, 4);
		else if (type == 3 || type == 9)
			others++;
	}
	if (lists == 1 && !others && list + 4 <= size) {
		uint64_t n = le(data + list, 4), d[3], e[3];
		for (uint64_t i = 0; i < n && i < 16 && memdesc(data, size, list, i, d); i++) {
			bool alone = d[1] && d[0] + d[1] > d[0] && d[2] + d[1] <= size;
			for (uint64_t k = 0; alone && k < n && k < 4096 && memdesc(data, size, list, k, e); k++)
				if (k != i && e[1] && e[0] < d[0] + d[1] && d[0] < e[0] + e[1])
					alone = false;
			if (!alone)
				continue;
			uint8_t buf[64];
			size_t len = (size_t)(d[1] < sizeof buf ? d[1] : sizeof buf);
			FUZZ_CHECK(ml_read_exact(s, d[0], len, buf));
			FUZZ_CHECK(!memcmp(buf, data + d[2], len));
		}
	}
	ml_space_close(s);
	return 0;
}
