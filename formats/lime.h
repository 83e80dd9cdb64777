/*
 * lime: the 32-byte range header of LiME (and AVML) physical memory dumps:
 * u32 magic, u32 version, u64 start, u64 end (inclusive), 8 reserved bytes,
 * all little-endian.
 */
#ifndef ML_LIME_H
#define ML_LIME_H

#include <stdint.h>

#define ML_LIME_MAGIC 0x4C694D45u	/* "EMiL" on disk */
#define ML_AVML_MAGIC 0x4C4D5641u	/* "AVML" on disk */
#define ML_LIME_HDR 32

struct ml_lime_hdr {
	uint32_t magic, version;
	uint64_t start, end;	/* end inclusive */
};

enum ml_lime_err {
	ML_LIME_OK = 0,
	ML_LIME_BAD_MAGIC,
	ML_LIME_AVML,		/* compressed AVML range: not supported */
	ML_LIME_BAD_VERSION,
	ML_LIME_BAD_RANGE,	/* end < start, or a length that overflows */
};

enum ml_lime_err ml_lime_parse(const unsigned char b[ML_LIME_HDR], struct ml_lime_hdr *h);
const char *ml_lime_strerror(enum ml_lime_err e);
/* Writes a header (for tests and for acquisition). */
void ml_lime_write(unsigned char b[ML_LIME_HDR], uint64_t start, uint64_t end_incl);

#endif
