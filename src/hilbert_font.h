/*
 * hilbert_font: memlens's own 5×9 bitmap font of printable ASCII, the
 * fallback of text.h when no TrueType font can be had.
 */
#ifndef ML_HILBERT_FONT_H
#define ML_HILBERT_FONT_H

#include <stdint.h>

/* A glyph is 5 pixels wide and 9 rows tall: 7 above the baseline, 2 of descender. */
#define ML_FONT_WIDTH 5
#define ML_FONT_HEIGHT 9
#define ML_FONT_ASCENT 7

/* The rows of character c (printable ASCII; anything else is '?'): bit 4 is the leftmost pixel. */
const uint8_t *ml_font_glyph(unsigned c);

#endif
