/*
 * fuzz_lime: LiME dumps through ml_space_open (`--as lime`), then the
 * regions against a second, plain reading of the same headers here: range
 * i starts at header i's start, ends after its inclusive end, and its
 * bytes follow that header in the file.
 */
#include "config.h"
#include "fuzz.h"

#include <string.h>
#include "lime.h"

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ml_open_opts o = { .as = ml_source_kind_named("lime") };
	struct ml_space *s;
	if (ml_space_open(&s, fuzz_file(data, size), &o))
		return 0;
	FUZZ_CHECK(!strcmp(ml_space_kind(s), "lime"));
	/* The headers as the format describes them: each one's range follows it. */
	uint64_t off = 0;
	size_t n = 0;
	while (off < size) {
		FUZZ_CHECK(size - off >= ML_LIME_HDR && n < s->n);
		uint64_t start = le64(data + off + 8), end = le64(data + off + 16);
		FUZZ_CHECK(end >= start && end != UINT64_MAX);
		const struct ml_region *r = NULL;
		for (size_t i = 0; i < s->n; i++)	/* regions are sorted; headers need not be */
			if (s->r[i].start == start)
				r = &s->r[i];
		FUZZ_CHECK(r && r->end == end + 1 && r->src_off == off + ML_LIME_HDR);
		FUZZ_CHECK(r->kind == ML_KIND_PHYS && r->file_offset == start);
		n++;
		uint64_t len = end - start + 1, left = size - off - ML_LIME_HDR;
		if (len > left) {
			FUZZ_CHECK(r->captured == left && s->truncated);
			break;
		}
		FUZZ_CHECK(r->captured == len);
		off += ML_LIME_HDR + len;
	}
	FUZZ_CHECK(n == s->n);
	fuzz_check_space(s, data, size);
	ml_space_close(s);
	return 0;
}
