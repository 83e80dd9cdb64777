/*
 * hilbert_entropy: the `entropy` palette's input.  Byte i becomes the
 * Shannon entropy of the ML_ENTROPY_WINDOW bytes centred on it
 * ([i-128, i+128), cut at the ends of the stream), in bits, divided by
 * log2(window) = 8 — so 0 is a run of one byte value and 255 is a window of
 * 256 distinct bytes — and scaled to 0..255.  Hole bytes are not counted
 * and stay holes.  Output lags input by half a window; finish drains it.
 */
#ifndef ML_HILBERT_ENTROPY_H
#define ML_HILBERT_ENTROPY_H

#include <stddef.h>
#include <stdint.h>

#define ML_ENTROPY_WINDOW 256

struct ml_entropy {
	uint32_t counts[256];
	uint32_t n;			/* data bytes in the window */
	int64_t s;			/* sum of c·log2(c), fixed point 2^-32 */
	int16_t ring[ML_ENTROPY_WINDOW];	/* byte value, or -1 for a hole */
	uint64_t pos;			/* positions taken in */
	uint64_t out;			/* positions given out */
};

void ml_entropy_init(struct ml_entropy *e);
/*
 * Takes len bytes (data, or holes when data is NULL); writes the values
 * (and hole flags) of the positions that became complete to val/hole,
 * which hold len entries.  Returns how many.
 */
size_t ml_entropy_push(struct ml_entropy *e, const uint8_t *data, size_t len, uint8_t *val, uint8_t *hole);
/* The last positions; val/hole hold ML_ENTROPY_WINDOW entries. */
size_t ml_entropy_finish(struct ml_entropy *e, uint8_t *val, uint8_t *hole);

#endif
