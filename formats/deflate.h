/*
 * deflate: the compressor behind PNG's and TIFF's strips, one place that
 * knows which library compresses at which level.
 *
 *   level 0     stored (zlib at level 0: a copy in deflate's framing)
 *   levels 1-3  ISA-L's igzip at its levels 1-3: on bench/image.sh's dump
 *               about six times zlib's speed at level 2 for a file 1% larger
 *   levels 4-9  zlib at that level: smaller and slower
 *
 * libdeflate (faster than zlib, slower than ISA-L) is not among them: it
 * cannot leave a stream open for the next strip (every output ends with a
 * final block) nor start from a dictionary, which PNG's stitched strips
 * need.  doc/image.md has the measurements.
 */
#ifndef ML_DEFLATE_H
#define ML_DEFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The highest level and the default. */
#define ML_DEFLATE_MAX 9
#define ML_DEFLATE_DEFAULT 2

struct ml_deflater;

/* A compressor at a level (clamped to 0-9); NULL when out of memory. */
struct ml_deflater *ml_deflater_new(int level);
void ml_deflater_free(struct ml_deflater *d);

/* Room enough for the compressed form of n bytes, whatever they are. */
size_t ml_deflate_bound(size_t n);

/*
 * Raw deflate of in[0, n), primed with the dict bytes that precede it in
 * the stream (at most 32 KiB are used), ending on a sync flush (a byte
 * boundary, the stream left open) or, when last, with the final block.
 * out holds ml_deflate_bound(n) bytes.  Level 0 ignores d's level.  0 with
 * *outlen set, or -1 with *why.
 */
int ml_deflate_raw(struct ml_deflater *d, bool stored, const uint8_t *dict, size_t dlen, const uint8_t *in,
		   size_t n, bool last, uint8_t *out, size_t *outlen, const char **why);
/* A whole zlib stream of in[0, n): header, data, Adler-32 (a TIFF deflate strip). */
int ml_deflate_zlib(struct ml_deflater *d, const uint8_t *in, size_t n, uint8_t *out, size_t *outlen,
		    const char **why);

/* Adler-32 (zlib's checksum) of buf, continued from a. */
uint32_t ml_adler32(uint32_t a, const uint8_t *buf, size_t n);

#endif
