/*
 * diff_halfmap: a line of half-block cells (see diff_halfmap.h).  The
 * buffers are the caller's values; only a line's worth of xterm colours is
 * held here, sized by the line.
 */
#include "config.h"
#include "diff_halfmap.h"
#include "ansi.h"
#include "util.h"

#include <inttypes.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

static uint8_t value(const struct ml_halfmap *m, uint8_t v)
{
	return v < m->nvalues ? v : 0;
}

void ml_halfmap_line(const struct ml_halfmap *m, uint64_t addr, uint64_t step, const uint8_t *vals, size_t n)
{
	size_t w = m->width;
	n = ML_MIN(n, 2 * w);
	fprintf(m->f, "  %016" PRIx64 "  ", addr);
	if (m->color) {
		size_t k = ML_MIN(w, n);
		uint8_t *top = ml_malloc(k + 1), *bot = ml_malloc(k + 1);
		for (size_t i = 0; i < k; i++) {
			top[i] = m->ansi[value(m, vals[i])];
			bot[i] = w + i < n ? m->ansi[value(m, vals[w + i])] : 0;
		}
		/* An odd last row: the bottom halves of its cells stay the terminal's own. */
		ml_ansi_halfblocks(m->f, top, n > w ? bot : NULL, k);
		fputs(m->eol, m->f);
		free(top);
		free(bot);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (i == w) {
			fputs(m->eol, m->f);
			fprintf(m->f, "  %016" PRIx64 "  ", addr + w * step);
		}
		fputc(m->chars[value(m, vals[i])], m->f);
	}
	fputs(m->eol, m->f);
}

unsigned ml_term_columns(int fd)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *c = getenv("COLUMNS");
	uint64_t v;
	if (c && !ml_parse_uint(c, 1, 10000, &v))
		return (unsigned)v;
	return 80;
}
