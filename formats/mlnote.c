/*
 * mlnote: encoding and bounded decoding of the MEMLENS page-facts note
 * (layout in mlnote.h).  A hostile core can claim any count: runs are
 * checked against the bytes present before anyone walks them.
 */
#include "config.h"
#include "le.h"
#include "mlnote.h"

#include <string.h>

void ml_mlnote_hdr_encode(unsigned char out[ML_MLNOTE_HDR], const struct ml_mlnote_hdr *h)
{
	ml_put_le(out, h->version, 4);
	ml_put_le(out + 4, h->flags, 4);
	ml_put_le(out + 8, h->page_size, 8);
	ml_put_le(out + 16, h->time_ns, 8);
	ml_put_le(out + 24, h->stopped_ns, 8);
	ml_put_le(out + 32, h->nruns, 8);
}

void ml_mlrun_encode(unsigned char out[ML_MLNOTE_RUN], const struct ml_mlrun *r)
{
	ml_put_le(out, r->start, 8);
	ml_put_le(out + 8, r->end, 8);
	ml_put_le(out + 16, r->facts, 4);
	ml_put_le(out + 20, r->content, 4);
}

int ml_mlnote_hdr_decode(const void *desc, size_t len, struct ml_mlnote_hdr *h, const char **why)
{
	const unsigned char *p = desc;
	memset(h, 0, sizeof *h);
	if (len < ML_MLNOTE_HDR) {
		*why = "the note is shorter than its header";
		return -1;
	}
	h->version = (uint32_t)ml_get_le(p, 4);
	h->flags = (uint32_t)ml_get_le(p + 4, 4);
	h->page_size = ml_get_le(p + 8, 8);
	h->time_ns = ml_get_le(p + 16, 8);
	h->stopped_ns = ml_get_le(p + 24, 8);
	h->nruns = ml_get_le(p + 32, 8);
	if (h->version != ML_MLNOTE_VERSION) {
		*why = "a version of the note this memlens does not know";
		return -1;
	}
	if (h->page_size < 512 || h->page_size > ((uint64_t)1 << 30) || (h->page_size & (h->page_size - 1))) {
		*why = "its page size is not a power of two";
		return -1;
	}
	if (h->nruns > (len - ML_MLNOTE_HDR) / ML_MLNOTE_RUN) {
		*why = "it claims more runs than it holds";
		return -1;
	}
	return 0;
}

int ml_mlrun_decode(const void *desc, uint64_t i, struct ml_mlrun *r)
{
	const unsigned char *p = (const unsigned char *)desc + ML_MLNOTE_HDR + i * ML_MLNOTE_RUN;
	r->start = ml_get_le(p, 8);
	r->end = ml_get_le(p + 8, 8);
	r->facts = (uint32_t)ml_get_le(p + 16, 4);
	r->content = (uint32_t)ml_get_le(p + 20, 4);
	return r->end > r->start && r->content < ML_PC__COUNT ? 0 : -1;
}

const char *ml_pc_name(uint32_t c)
{
	static const char *const names[ML_PC__COUNT] = { "none", "memory", "file", "zero", "unreadable" };
	return c < ML_PC__COUNT ? names[c] : "unknown";
}
