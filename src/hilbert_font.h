/*
 * hilbert_font: writing short labels into an RGB picture (map legends).
 */
#ifndef ML_HILBERT_FONT_H
#define ML_HILBERT_FONT_H

#include <stdint.h>

/* A glyph is 5×7 pixels; characters are ML_FONT_ADVANCE apart (times scale). */
#define ML_FONT_ADVANCE 6
#define ML_FONT_HEIGHT 7

/*
 * Draws up to maxchars characters of text at (x, y) (top-left) into a w×h
 * RGB buffer, each font pixel a scale×scale square; clipped to the buffer.
 * Returns the characters drawn.
 */
unsigned ml_font_draw(uint8_t *rgb, uint32_t w, uint32_t h, int x, int y, unsigned scale, const char *text,
		      unsigned maxchars, const uint8_t colour[3]);

#endif
