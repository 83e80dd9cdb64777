/*
 * deflate: ISA-L for the fast levels, zlib for stored data and the slow
 * levels.  A deflater keeps the library state between strips (ISA-L's
 * stream and level buffer are a few hundred KiB: allocated once per
 * strip slot, not once per strip).
 */
#include "config.h"
#include "deflate.h"
#include "image.h"

#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct ml_deflater {
	int level;
	struct isal_zstream *isal;
	uint8_t *lbuf;
	uint32_t lbuf_size;
};

struct ml_deflater *ml_deflater_new(int level)
{
	struct ml_deflater *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->level = level < 0 ? ML_DEFLATE_DEFAULT : level > ML_DEFLATE_MAX ? ML_DEFLATE_MAX : level;
	if (d->level >= 1 && d->level <= 3) {
		static const uint32_t sizes[] = { 0, ISAL_DEF_LVL1_DEFAULT, ISAL_DEF_LVL2_DEFAULT,
						  ISAL_DEF_LVL3_DEFAULT };
		d->lbuf_size = sizes[d->level];
		d->isal = malloc(sizeof *d->isal);
		d->lbuf = malloc(d->lbuf_size);
		if (!d->isal || !d->lbuf) {
			ml_deflater_free(d);
			return NULL;
		}
	}
	return d;
}

void ml_deflater_free(struct ml_deflater *d)
{
	if (!d)
		return;
	free(d->isal);
	free(d->lbuf);
	free(d);
}

size_t ml_deflate_bound(size_t n)
{
	/* stored blocks cost 5 bytes per 64 KiB; ISA-L's worst case stays under 1/8 more */
	return n + n / 8 + 5 * (n / 65535 + 1) + 1024;
}

static int isal(struct ml_deflater *d, int wrap, const uint8_t *dict, size_t dlen, const uint8_t *in, size_t n,
		bool last, uint8_t *out, size_t *outlen, const char **why)
{
	struct isal_zstream *z = d->isal;
	isal_deflate_init(z);
	z->level = (uint32_t)d->level;
	z->level_buf = d->lbuf;
	z->level_buf_size = d->lbuf_size;
	z->gzip_flag = (uint16_t)wrap;
	z->flush = last ? NO_FLUSH : SYNC_FLUSH;
	z->end_of_stream = last;
	if (dlen) {
		size_t k = dlen < 32768 ? dlen : 32768;
		if (isal_deflate_set_dict(z, (uint8_t *)dict + dlen - k, (uint32_t)k) != COMP_OK)
			return *why = "ISA-L refused the dictionary", -1;
	}
	z->next_in = (uint8_t *)in;
	z->avail_in = (uint32_t)n;
	z->next_out = out;
	size_t cap = ml_deflate_bound(n);
	z->avail_out = (uint32_t)(cap > UINT32_MAX ? UINT32_MAX : cap);
	int r = isal_deflate(z);
	if (r != COMP_OK || z->avail_in || (last && z->internal_state.state != ZSTATE_END)) {
		*why = ml_img_reason("compression failed (ISA-L error %d)", r);
		return -1;
	}
	*outlen = z->total_out;
	return 0;
}

static int zlib_deflate(int level, int wbits, const uint8_t *dict, size_t dlen, const uint8_t *in, size_t n,
			bool last, uint8_t *out, size_t *outlen, const char **why)
{
	z_stream z = { 0 };
	int e = deflateInit2(&z, level, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
	if (e == Z_OK && dlen) {
		size_t k = dlen < 32768 ? dlen : 32768;
		e = deflateSetDictionary(&z, dict + dlen - k, (uInt)k);
	}
	if (e != Z_OK) {
		deflateEnd(&z);
		*why = ml_img_reason("compression failed (zlib error %d)", e);
		return -1;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)ml_deflate_bound(n);
	e = deflate(&z, last ? Z_FINISH : Z_SYNC_FLUSH);
	bool ok = last ? e == Z_STREAM_END : e == Z_OK && z.avail_in == 0;
	*outlen = z.total_out;
	deflateEnd(&z);
	if (!ok) {
		*why = ml_img_reason("compression failed (zlib error %d)", e);
		return -1;
	}
	return 0;
}

int ml_deflate_raw(struct ml_deflater *d, bool stored, const uint8_t *dict, size_t dlen, const uint8_t *in,
		   size_t n, bool last, uint8_t *out, size_t *outlen, const char **why)
{
	if (stored || d->level == 0)
		return zlib_deflate(0, -15, NULL, 0, in, n, last, out, outlen, why);
	if (d->isal)
		return isal(d, IGZIP_DEFLATE, dict, dlen, in, n, last, out, outlen, why);
	return zlib_deflate(d->level, -15, dict, dlen, in, n, last, out, outlen, why);
}

int ml_deflate_zlib(struct ml_deflater *d, const uint8_t *in, size_t n, uint8_t *out, size_t *outlen,
		    const char **why)
{
	if (d->isal)
		return isal(d, IGZIP_ZLIB, NULL, 0, in, n, true, out, outlen, why);
	return zlib_deflate(d->level, 15, NULL, 0, in, n, true, out, outlen, why);
}

uint32_t ml_adler32(uint32_t a, const uint8_t *buf, size_t n)
{
	return isal_adler32(a, buf, n);
}
