/*
 * termwrap: terminal reports that fit the terminal.  A line of items (a
 * legend, a list of counts) breaks between items, never inside one, at the
 * terminal's width: TIOCGWINSZ on the output, else $COLUMNS, else 80.
 */
#ifndef ML_TERMWRAP_H
#define ML_TERMWRAP_H

#include <stdio.h>

/* Columns to fit a report written to fd in. */
unsigned ml_term_columns(int fd);

struct ml_wrap {
	FILE *f;
	unsigned width, col, indent;
	const char *sep;
	unsigned sep_cols;
};
/*
 * Starts a line: prints lead (ASCII), then items separated by sep (ASCII);
 * a line that breaks goes on after `indent` spaces.  width: columns to
 * fit (from ml_term_columns).
 */
void ml_wrap_start(struct ml_wrap *w, FILE *f, unsigned width, const char *lead, const char *sep,
		   unsigned indent);
/*
 * Makes room for an item `cols` columns wide (a separator, or a new line
 * when it would not fit); the caller then prints it.
 */
void ml_wrap_item(struct ml_wrap *w, unsigned cols);
/* An item of plain ASCII text, printf-style. */
void ml_wrap_text(struct ml_wrap *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ends the line. */
void ml_wrap_end(struct ml_wrap *w);

#endif
