/*
 * le: little-endian fields of file formats, written and read byte by byte
 * so that no layout depends on this machine's order or alignment.
 */
#ifndef ML_LE_H
#define ML_LE_H

#include <stdint.h>

/* Writes the n low bytes of v at p, least significant first. */
static inline void ml_put_le(unsigned char *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Reads n bytes at p, least significant first. */
static inline uint64_t ml_get_le(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

#endif
