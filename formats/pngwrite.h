/*
 * pngwrite: a streaming PNG writer.  Rows are pushed top to bottom and never
 * held whole, so memory stays flat for any image height.  Metadata (tEXt,
 * pHYs) and the palette are given up front.
 *
 * It is the PNG row of image.h's format table (ml_png_ops), which is how
 * commands write pictures; these entry points stay for code that writes
 * PNG only (APNG frames, maps held in memory).  Like every format it never
 * prints: a call that fails returns NULL or -1 and ml_png_error() says why.
 */
#ifndef ML_PNGWRITE_H
#define ML_PNGWRITE_H

#include <stdint.h>
#include <stdio.h>

enum ml_png_color { ML_PNG_GRAY, ML_PNG_RGB, ML_PNG_RGBA, ML_PNG_PALETTE };

struct ml_png_opts {
	uint32_t width, height;
	enum ml_png_color color;
	const uint8_t (*palette)[3];	/* ML_PNG_PALETTE: npalette RGB entries */
	unsigned npalette;
	int level;			/* zlib level 0-9; -1 default (2) */
	unsigned dpi;			/* 0: no pHYs chunk */
	const char *const *text;	/* key, value, key, value, ... */
	unsigned ntext;			/* number of pairs */
	unsigned threads;		/* 0: every core */
};

struct ml_png;

/* Bytes per pixel of a colour type. */
unsigned ml_png_channels(enum ml_png_color c);
/* Starts the image; NULL on failure (ml_png_error() says why). */
struct ml_png *ml_png_begin(FILE *f, const struct ml_png_opts *o);
/* Appends nrows rows of width × channels bytes each; -1 on failure. */
int ml_png_rows(struct ml_png *p, const uint8_t *rows, uint32_t nrows);
/* Ends the image (all rows must have been given); frees p; -1 on failure. */
int ml_png_end(struct ml_png *p);
/* Frees p after an error without finishing the file. */
void ml_png_abort(struct ml_png *p);
/*
 * Why the last call of this thread that failed failed ("libpng: ...",
 * "compression failed ..."): the reason a caller prints after the file's
 * name.  Valid until the next failure in the thread.
 */
const char *ml_png_error(void);

#endif
