/*
 * diff_halfmap: one text line of a terminal map in allocmap's layout, for
 * `diff` (a map of changed pages per region) and `watch` (its live view):
 * two rows of cells, each cell a Unicode upper half block whose
 * foreground is the top row and background the bottom row, after the
 * address of the line's first cell; without colour, one character per
 * cell and one text line per row.  Written in the style of cmd_pagemap.c's
 * map until the shared half-block module (branch pagemap's unitmap) is on
 * main; it is meant to fold into that.
 */
#ifndef ML_DIFF_HALFMAP_H
#define ML_DIFF_HALFMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ml_halfmap {
	FILE *f;
	size_t width;		/* cells a row */
	bool color;
	const uint8_t *ansi;	/* per cell value: xterm-256 colour */
	const char *chars;	/* per cell value: the character without colour */
	unsigned nvalues;	/* values at or above are drawn as value 0 */
	const char *eol;	/* what ends a line: "\n", or "\033[K\r\n" to clear a redrawn screen's rest */
};

/*
 * Prints cells [0, n) of vals (n <= 2 × width) as one line (colour) or
 * two (characters), labelled with addr and addr + width × step.
 */
void ml_halfmap_line(const struct ml_halfmap *m, uint64_t addr, uint64_t step, const uint8_t *vals, size_t n);

/* Columns of the terminal on fd: TIOCGWINSZ, else $COLUMNS, else 80. */
unsigned ml_term_columns(int fd);

#endif
