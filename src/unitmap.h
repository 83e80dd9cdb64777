/*
 * unitmap: the two pictures in which one unit (a page; a heap cell of
 * granules; a granule) is one pixel, shared by `pagemap` and `heap`.
 *  - ml_tmap, on a terminal, in allocmap's layout: Unicode upper half
 *    blocks, two rows of units per text line, each line labelled with its
 *    address; a full line identical and uniform like the one printed
 *    before it folds into one "... N more lines like the one above ..."
 *    line, so a 256 GiB reservation costs one line (and no loop per unit).
 *    Without colour, one character per unit and one text line per row.
 *  - ml_upng, a palette PNG streamed row by row: each section (a region,
 *    a heap) starts on a new row, after `lead` units of the unused colour,
 *    and ends padded with the unused colour and followed by a separator
 *    row; address labels on the left and a caption below make it read
 *    without the PNG's text.
 * Both own their buffers, sized from the width they are given.
 * ml_legend builds the "name=#rrggbb, ..." text a PNG carries in tEXt.
 */
#ifndef ML_UNITMAP_H
#define ML_UNITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "caption.h"

/* ---- terminal ---- */

struct ml_tmap {
	FILE *f;
	size_t width;		/* units per row, two rows a line */
	bool color;
	uint64_t unit;		/* bytes per unit, for the address labels */
	const uint8_t *ansi;	/* per unit value: xterm-256 colour */
	const char *chars;	/* per unit value: character without colour */
	unsigned nvalues;
	uint8_t *line, *top, *bot;
	size_t fill;
	uint64_t addr;		/* address of the line being filled */
	int last;		/* value of the last printed line if full and uniform, else -1 */
	uint64_t folded;
};

/*
 * width: units per row (at least 1); ansi and chars: nvalues entries, kept
 * by reference.  Values at or above nvalues are drawn as value 0.
 */
void ml_tmap_init(struct ml_tmap *m, FILE *f, size_t width, bool color, uint64_t unit, const uint8_t *ansi,
		  const char *chars, unsigned nvalues);
/* A new section starting at addr (after ml_tmap_end of the last one). */
void ml_tmap_section(struct ml_tmap *m, uint64_t addr);
/* n units of value v; whole lines of them fold without a loop per unit. */
void ml_tmap_put(struct ml_tmap *m, uint8_t v, uint64_t n);
/* Ends the section: the partial line, then what is still folded. */
void ml_tmap_end(struct ml_tmap *m);
void ml_tmap_free(struct ml_tmap *m);

/* ---- PNG ---- */

/*
 * The picture: on the left a margin of address labels (the hex address of
 * the row's first unit, at each section's first row and then every few
 * rows, each with a tick at its row), the map (width units a row, one
 * pixel each), and below them a caption (caption.h) naming every colour.
 * The PNG's text chunks say the same for programs: "Legend" (name=#rrggbb,
 * ...), and "Map", where the map lies: "x=X y=Y width=W height=H".
 */
struct ml_upng;
/* Rows of a section: lead units of padding, n units, the separator row. */
uint64_t ml_upng_rows(uint64_t width, uint64_t lead, uint64_t n);
/*
 * Starts a palette PNG whose map is width × rows units of unit bytes each.
 * pal: npal colours (at most 200), the caller's values; pad and sep: the
 * indices of the unused colour and of the separator row.  cap: the words
 * of the caption (its items' colours are drawn as given).  text: ntext
 * key/value pairs for tEXt.  name: the file, for messages.  NULL after a
 * diagnostic.
 */
struct ml_upng *ml_upng_begin(FILE *f, const char *name, uint32_t width, uint32_t rows, uint64_t unit,
			      const uint8_t (*pal)[3], unsigned npal, uint8_t pad, uint8_t sep,
			      const struct ml_caption *cap, const char *const *text, unsigned ntext);
/* Starts a section at addr: a new row, lead units of padding first (the row's first unit is addr - lead units). */
int ml_upng_section(struct ml_upng *u, uint64_t addr, uint64_t lead);
/* n units of palette index v.  -1 after a diagnostic. */
int ml_upng_put(struct ml_upng *u, uint8_t v, uint64_t n);
/* Ends a section: the last row padded, then a separator row. */
int ml_upng_end_section(struct ml_upng *u);
/* Finishes the image (every announced row given, then the caption) and frees u; -1 after a diagnostic. */
int ml_upng_end(struct ml_upng *u);
/* Frees u after an error (NULL is fine). */
void ml_upng_abort(struct ml_upng *u);

/* ---- legend text ---- */

struct ml_legend {
	char *text;	/* "name=#rrggbb, name=#rrggbb" */
	size_t len, cap;
};
void ml_legend_add(struct ml_legend *l, const char *name, const uint8_t rgb[3]);
void ml_legend_free(struct ml_legend *l);

#endif
