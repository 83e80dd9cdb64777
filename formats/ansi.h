/*
 * ansi: terminal pictures in the allocmap style — Unicode upper half
 * blocks (U+2580), foreground = top pixel, background = bottom pixel, so
 * one text line shows two rows of pixels.  Colours are xterm-256.
 */
#ifndef ML_ANSI_H
#define ML_ANSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Nearest xterm-256 colour index of an RGB colour. */
uint8_t ml_ansi_256(uint8_t r, uint8_t g, uint8_t b);
/*
 * Writes n cells: top[i] over bottom[i] (xterm-256 indices; bottom may be
 * NULL for an odd last row), then resets the colour.  No newline.
 */
void ml_ansi_halfblocks(FILE *f, const uint8_t *top, const uint8_t *bottom, size_t n);
/* A legend swatch: a full block in colour c followed by text. */
void ml_ansi_swatch(FILE *f, uint8_t c, const char *text);
/* --color auto|always|never resolved against a stream; -1 for a bad word. */
int ml_ansi_want_color(const char *word, FILE *f);

#endif
