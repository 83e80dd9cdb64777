/*
 * hilbert: index <-> cell on a 2^order × 2^order Hilbert curve, oriented as
 * scurve/binvis.io draw it: index 0 at the top-left cell, y growing down,
 * the curve ending at the bottom-left cell.
 */
#ifndef ML_HILBERT_H
#define ML_HILBERT_H

#include <stdint.h>

#define ML_HILBERT_MAX_ORDER 31

void ml_hilbert_d2xy(unsigned order, uint64_t d, uint32_t *x, uint32_t *y);
uint64_t ml_hilbert_xy2d(unsigned order, uint32_t x, uint32_t y);

#endif
