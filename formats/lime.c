/*
 * lime: parsing and writing LiME range headers, checked field by field.
 */
#include "config.h"
#include "lime.h"

#include <string.h>

static uint64_t le(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

enum ml_lime_err ml_lime_parse(const unsigned char b[ML_LIME_HDR], struct ml_lime_hdr *h)
{
	h->magic = (uint32_t)le(b, 4);
	h->version = (uint32_t)le(b + 4, 4);
	h->start = le(b + 8, 8);
	h->end = le(b + 16, 8);
	if (h->magic == ML_AVML_MAGIC)
		return ML_LIME_AVML;
	if (h->magic != ML_LIME_MAGIC)
		return ML_LIME_BAD_MAGIC;
	if (h->version != 1)
		return ML_LIME_BAD_VERSION;
	/* end is inclusive, so end == UINT64_MAX would make the length wrap. */
	if (h->end < h->start || h->end == UINT64_MAX)
		return ML_LIME_BAD_RANGE;
	return ML_LIME_OK;
}

const char *ml_lime_strerror(enum ml_lime_err e)
{
	switch (e) {
	case ML_LIME_OK: return "no error";
	case ML_LIME_BAD_MAGIC: return "bad magic (not a LiME range header)";
	case ML_LIME_AVML: return "AVML compressed range (snappy) is not supported; convert it to LiME with `avml-convert`";
	case ML_LIME_BAD_VERSION: return "unsupported LiME version (only 1 exists)";
	case ML_LIME_BAD_RANGE: return "range end lies before its start";
	}
	return "?";
}

void ml_lime_write(unsigned char b[ML_LIME_HDR], uint64_t start, uint64_t end_incl)
{
	uint64_t f[3] = { (uint64_t)1 << 32 | ML_LIME_MAGIC, start, end_incl };
	memset(b, 0, ML_LIME_HDR);
	for (unsigned w = 0; w < 3; w++)
		for (unsigned i = 0; i < 8; i++)
			b[w * 8 + i] = (unsigned char)(f[w] >> (8 * i));
}
