/*
 * source_raw: any other file is one region at --base.  Nothing is read at
 * open, so an 8 GiB sparse file opens instantly.
 */
#include "config.h"
#include "source_impl.h"
#include "util.h"

static int open_raw(struct ml_space *s, const struct ml_open_opts *o)
{
	uint64_t base = o->base;
	if (s->file_size == 0)
		return 0;
	if (base + s->file_size - 1 < base) {
		ml_err("%s: --base 0x%llx puts the file past the top of the address space",
		       s->name, (unsigned long long)base);
		return -1;
	}
	s->r = ml_calloc(1, sizeof *s->r);
	s->n = 1;
	s->r[0].start = base;
	/* A file reaching the very top would need end = 2^64; stop one short. */
	s->r[0].end = base + s->file_size < base ? UINT64_MAX : base + s->file_size;
	s->r[0].prot = ML_PROT_R;
	s->r[0].kind = ML_KIND_RAW;
	s->r[0].captured = s->r[0].end - base;
	s->r[0].src_off = 0;
	return 0;
}

const struct ml_source_kind ml_source_raw = {
	.name = "raw",
	.what = "a raw file",
	.caps = ML_CAP_BASE | ML_CAP_FLAT,
	.open = open_raw,
};
