/*
 * mlnote: encoding and bounded decoding of the MEMLENS page-facts note
 * (layout in mlnote.h).  A hostile core can claim any count: runs are
 * checked against the bytes present before anyone walks them.
 */
#include "config.h"
#include "mlnote.h"

#include <string.h>

static void le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

void ml_mlnote_hdr_encode(unsigned char out[ML_MLNOTE_HDR], const struct ml_mlnote_hdr *h)
{
	le32(out, h->version);
	le32(out + 4, h->flags);
	le64(out + 8, h->page_size);
	le64(out + 16, h->time_ns);
	le64(out + 24, h->stopped_ns);
	le64(out + 32, h->nruns);
}

void ml_mlrun_encode(unsigned char out[ML_MLNOTE_RUN], const struct ml_mlrun *r)
{
	le64(out, r->start);
	le64(out + 8, r->end);
	le32(out + 16, r->facts);
	le32(out + 20, r->content);
}

int ml_mlnote_hdr_decode(const void *desc, size_t len, struct ml_mlnote_hdr *h, const char **why)
{
	const unsigned char *p = desc;
	memset(h, 0, sizeof *h);
	if (len < ML_MLNOTE_HDR) {
		*why = "the note is shorter than its header";
		return -1;
	}
	h->version = rd32(p);
	h->flags = rd32(p + 4);
	h->page_size = rd64(p + 8);
	h->time_ns = rd64(p + 16);
	h->stopped_ns = rd64(p + 24);
	h->nruns = rd64(p + 32);
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
	r->start = rd64(p);
	r->end = rd64(p + 8);
	r->facts = rd32(p + 16);
	r->content = rd32(p + 20);
	return r->end > r->start && r->content < ML_PC__COUNT ? 0 : -1;
}

const char *ml_pc_name(uint32_t c)
{
	static const char *const names[ML_PC__COUNT] = { "none", "memory", "file", "zero", "unreadable" };
	return c < ML_PC__COUNT ? names[c] : "unknown";
}
