/*
 * source_lime: LiME physical-memory dumps — a 32-byte header before each
 * range.  Each range becomes a region of kind phys; a range cut short by
 * the end of the file keeps its size and the rest reads as holes.
 */
#include "config.h"
#include "source_impl.h"
#include "util.h"
#include "lime.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static int open_lime(struct ml_space *s, const struct ml_open_opts *o)
{
	(void)o;
	uint64_t off = 0;
	size_t cap = 8;
	s->r = ml_calloc(cap, sizeof *s->r);
	while (off < s->file_size) {
		unsigned char b[ML_LIME_HDR];
		struct ml_lime_hdr h;
		if (s->file_size - off < ML_LIME_HDR) {
			ml_err("%s: corrupt LiME header at file offset 0x%llx: only %llu bytes left",
			       s->name, (unsigned long long)off,
			       (unsigned long long)(s->file_size - off));
			return -1;
		}
		if (pread(s->fd, b, sizeof b, (off_t)off) != (ssize_t)sizeof b) {
			ml_err("%s: cannot read at file offset 0x%llx: %s", s->name,
			       (unsigned long long)off, strerror(errno));
			return -1;
		}
		enum ml_lime_err le = ml_lime_parse(b, &h);
		if (le) {
			ml_err("%s: corrupt LiME header at file offset 0x%llx: %s", s->name,
			       (unsigned long long)off, ml_lime_strerror(le));
			return -1;
		}
		uint64_t len = h.end - h.start + 1;
		uint64_t data = off + ML_LIME_HDR;
		if (s->n == cap) {
			s->r = ml_reallocarray(s->r, cap * 2, sizeof *s->r);
			cap *= 2;
		}
		struct ml_region *r = &s->r[s->n++];
		memset(r, 0, sizeof *r);
		r->start = h.start;
		r->end = h.end + 1;
		r->prot = ML_PROT_R | ML_PROT_W | ML_PROT_X;
		r->kind = ML_KIND_PHYS;
		r->src_off = data;
		r->file_offset = h.start;
		r->captured = ML_MIN(len, s->file_size - data);
		if (r->captured < len) {
			s->truncated = true;
			s->missing += len - r->captured;
			break;
		}
		off = data + len;
	}
	if (ml_regions_sort_check(s->r, s->n)) {
		ml_err("%s: LiME ranges overlap", s->name);
		return -1;
	}
	if (s->truncated)
		ml_warn("%s: dump is truncated: %llu bytes of the last range are missing and read as holes",
			s->name, (unsigned long long)s->missing);
	return 0;
}

/* LiME's magic, or AVML's (refused with a reason by ml_lime_parse until AVML is read). */
static bool sniff_lime(const unsigned char *h, size_t n)
{
	return n >= 4 && (!memcmp(h, "EMiL", 4) || !memcmp(h, "AVML", 4));
}

const struct ml_source_kind ml_source_lime = {
	.name = "lime",
	.what = "a LiME dump",
	.caps = ML_CAP_PHYS,
	.sniff = sniff_lime,
	.open = open_lime,
};
