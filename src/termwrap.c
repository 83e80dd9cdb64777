/*
 * termwrap: line breaking between the items of a terminal report, so a
 * legend or a row of totals never breaks inside a word at the edge.
 */
#include "config.h"
#include "termwrap.h"
#include "util.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

unsigned ml_term_columns(int fd)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *c = getenv("COLUMNS");
	uint64_t v;
	if (c && !ml_parse_uint(c, 1, 65535, &v))
		return (unsigned)v;
	return 80;
}

void ml_wrap_start(struct ml_wrap *w, FILE *f, unsigned width, const char *lead, const char *sep,
		   unsigned indent)
{
	*w = (struct ml_wrap){ .f = f, .width = width, .indent = indent, .sep = sep,
			       .sep_cols = (unsigned)strlen(sep), .col = (unsigned)strlen(lead) };
	fputs(lead, f);
}

void ml_wrap_item(struct ml_wrap *w, unsigned cols)
{
	/* An item that does not fit starts a new line, unless it would start one anyway. */
	if (w->col > w->indent && w->col + w->sep_cols + cols > w->width) {
		fprintf(w->f, "\n%*s", (int)w->indent, "");
		w->col = w->indent;
	} else {
		fputs(w->sep, w->f);
		w->col += w->sep_cols;
	}
	w->col += cols;
}

void ml_wrap_text(struct ml_wrap *w, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	ml_wrap_item(w, (unsigned)ML_MIN((size_t)n, sizeof buf - 1));
	fputs(buf, w->f);
}

void ml_wrap_end(struct ml_wrap *w)
{
	fputc('\n', w->f);
	w->col = 0;
}
