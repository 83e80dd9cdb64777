/*
 * text: writing words into pictures (legends, address labels).  Text is
 * drawn with FreeType from DejaVu Sans Mono, anti-aliased; the font file
 * is found through fontconfig, else at the path configure found (with
 * --with-font=FILE); when neither gives one, memlens's own 5×9 bitmap font
 * (hilbert_font.h) draws instead, so a legend is always there.  The
 * environment variable MEMLENS_FONT names another font file, or
 * "builtin" for the bitmap font (the tests use both).
 *
 * The font is monospaced: a line of n characters is n advances wide, so
 * callers lay out by counting characters.  Untrusted text must come
 * escaped (ml_escape): what is drawn is what the PNG's text says.
 */
#ifndef ML_TEXT_H
#define ML_TEXT_H

#include <stdint.h>

struct ml_text_metrics {
	int advance;		/* pixels from one character to the next */
	int ascent;		/* from the top of a line to its baseline */
	int line;		/* from one line to the next */
};

/* The metrics at a size in pixels (the em square: 16 is a legend, 12 a label). */
void ml_text_metrics(unsigned px, struct ml_text_metrics *m);
/*
 * Draws up to maxchars characters (UTF-8) of text into a w × h RGB
 * picture, the line's top-left at (x, y), each pixel blended toward ink
 * by the glyph's coverage; clipped to the picture.  Returns the
 * characters drawn.
 */
unsigned ml_text_draw(uint8_t *rgb, uint32_t w, uint32_t h, int x, int y, unsigned px, const char *text,
		      unsigned maxchars, const uint8_t ink[3]);
/* What draws: "DejaVu Sans Mono (PATH)" style, or "built-in 5x9 bitmap font". */
const char *ml_text_font(void);

#endif
