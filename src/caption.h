/*
 * caption: the legend drawn under a picture — a few lines of text
 * (title, scale, how to read it), wrapped at the picture's width, then a
 * swatch and a label for each colour, in two columns where they fit.
 * `hilbert`, `pagemap` and `heap` pictures carry one; the same words are
 * in the PNG's text chunks for programs.  Text is escaped here
 * (ml_escape: paths and process names are untrusted) and drawn by text.h.
 */
#ifndef ML_CAPTION_H
#define ML_CAPTION_H

#include <stddef.h>
#include <stdint.h>

struct ml_caption_item {
	uint8_t rgb[3];
	const char *label;
};

struct ml_caption {
	const char *lines[4];		/* paragraphs, each wrapped; unused ones NULL */
	const struct ml_caption_item *items;
	size_t nitems;
};

/* The caption's background and ink. */
extern const uint8_t ml_caption_bg[3], ml_caption_ink[3];

/*
 * For palette pictures: the 16 levels from background to ink that text
 * needs go at pal[first..first+15] (level 0 the background); RGB drawn by
 * the caption or text.h becomes palette indices: an exact colour of
 * pal[0..npal), else the nearest ink level.
 */
#define ML_CAPTION_SHADES 16
void ml_caption_shades(uint8_t (*pal)[3], unsigned first);
void ml_caption_index(const uint8_t *rgb, size_t n, const uint8_t (*pal)[3], unsigned npal, unsigned first,
		      uint8_t *out);

/* Its height in pixels at width w. */
uint32_t ml_caption_height(const struct ml_caption *c, uint32_t w);
/* Draws it into a w × h RGB picture (h from ml_caption_height). */
void ml_caption_draw(const struct ml_caption *c, uint8_t *rgb, uint32_t w, uint32_t h);

#endif
