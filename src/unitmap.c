/*
 * unitmap: one unit, one pixel — the half-block terminal map and the
 * sectioned palette PNG that `pagemap` and `heap` draw, written once.
 * Every buffer is sized here from the width, so no caller's clamp far
 * away protects it.
 */
#include "config.h"
#include "unitmap.h"
#include "ansi.h"
#include "pngwrite.h"
#include "util.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- terminal ---- */

void ml_tmap_init(struct ml_tmap *m, FILE *f, size_t width, bool color, uint64_t unit, const uint8_t *ansi,
		  const char *chars, unsigned nvalues)
{
	*m = (struct ml_tmap){ .f = f, .width = width ? width : 1, .color = color, .unit = unit, .ansi = ansi,
			       .chars = chars, .nvalues = nvalues, .last = -1 };
	m->line = ml_malloc(2 * m->width);
	m->top = ml_malloc(m->width);
	m->bot = ml_malloc(m->width);
}

void ml_tmap_free(struct ml_tmap *m)
{
	free(m->line);
	free(m->top);
	free(m->bot);
	m->line = m->top = m->bot = NULL;
}

void ml_tmap_section(struct ml_tmap *m, uint64_t addr)
{
	m->addr = addr;
	m->fill = 0;
	m->last = -1;
	m->folded = 0;
}

static void print_fold(struct ml_tmap *m)
{
	if (!m->folded)
		return;
	char hb[32];
	fprintf(m->f, "  %16s  ... %" PRIu64 " more line%s like the one above (%s) ...\n", "", m->folded,
		m->folded == 1 ? "" : "s", ml_human_size(m->folded * 2 * m->width * m->unit, hb, sizeof hb));
	m->folded = 0;
}

static uint8_t value(const struct ml_tmap *m, uint8_t v)
{
	return v < m->nvalues ? v : 0;
}

/* Prints the line being filled (fill units) or folds it; starts the next. */
static void flush(struct ml_tmap *m)
{
	size_t w = m->width, n = m->fill;
	if (!n)
		return;
	int u = m->line[0];
	for (size_t i = 1; i < n && u >= 0; i++)
		if (m->line[i] != u)
			u = -1;
	if (n == 2 * w && u >= 0 && u == m->last) {
		m->folded++;
	} else {
		print_fold(m);
		m->last = n == 2 * w ? u : -1;
		if (m->color) {
			size_t k = ML_MIN(w, n);
			for (size_t i = 0; i < k; i++) {
				m->top[i] = m->ansi[value(m, m->line[i])];
				m->bot[i] = w + i < n ? m->ansi[value(m, m->line[w + i])] : 0;
			}
			fprintf(m->f, "  %016" PRIx64 "  ", m->addr);
			ml_ansi_halfblocks(m->f, m->top, m->bot, k);
			fputc('\n', m->f);
		} else {
			for (size_t r = 0; r < 2 && r * w < n; r++) {
				fprintf(m->f, "  %016" PRIx64 "  ", m->addr + r * w * m->unit);
				for (size_t i = r * w; i < ML_MIN((r + 1) * w, n); i++)
					fputc(m->chars[value(m, m->line[i])], m->f);
				fputc('\n', m->f);
			}
		}
	}
	m->addr += 2 * w * m->unit;
	m->fill = 0;
}

void ml_tmap_put(struct ml_tmap *m, uint8_t v, uint64_t n)
{
	uint64_t line = 2 * m->width;
	while (n) {
		if (!m->fill && n >= line && m->last == v) {
			/* Whole lines like the last one printed: counted, not drawn. */
			uint64_t k = n / line;
			m->folded += k;
			m->addr += k * line * m->unit;
			n -= k * line;
			continue;
		}
		size_t take = (size_t)ML_MIN(n, line - m->fill);
		memset(m->line + m->fill, v, take);
		m->fill += take;
		n -= take;
		if (m->fill == line)
			flush(m);
	}
}

void ml_tmap_end(struct ml_tmap *m)
{
	flush(m);
	print_fold(m);
	m->last = -1;
}

/* ---- PNG ---- */

struct ml_upng {
	struct ml_png *png;
	uint64_t width, fill;
	uint32_t rows, height;
	uint8_t pad, sep;
	uint8_t *row;
};

uint64_t ml_upng_rows(uint64_t width, uint64_t lead, uint64_t n)
{
	return (lead + n + width - 1) / width + 1;
}

struct ml_upng *ml_upng_begin(FILE *f, uint32_t width, uint32_t height, const uint8_t (*pal)[3], unsigned npal,
			      uint8_t pad, uint8_t sep, const char *const *text, unsigned ntext)
{
	struct ml_png_opts po = { .width = width, .height = height, .color = ML_PNG_PALETTE, .palette = pal,
				  .npalette = npal, .level = -1, .text = text, .ntext = ntext };
	struct ml_png *png = ml_png_begin(f, &po);
	if (!png) {
		ml_err("PNG: %s", ml_png_error());
		return NULL;
	}
	struct ml_upng *u = ml_calloc(1, sizeof *u);
	u->png = png;
	u->width = width;
	u->height = height;
	u->pad = pad;
	u->sep = sep;
	u->row = ml_malloc(width);
	return u;
}

static int put_row(struct ml_upng *u)
{
	if (u->rows >= u->height) {
		ml_err("internal error: the picture has more rows than the %" PRIu32 " announced", u->height);
		return -1;
	}
	u->rows++;
	u->fill = 0;
	if (ml_png_rows(u->png, u->row, 1)) {
		ml_err("PNG: %s", ml_png_error());
		return -1;
	}
	return 0;
}

int ml_upng_put(struct ml_upng *u, uint8_t v, uint64_t n)
{
	while (n) {
		uint64_t take = ML_MIN(n, u->width - u->fill);
		memset(u->row + u->fill, v, (size_t)take);
		u->fill += take;
		n -= take;
		if (u->fill == u->width && put_row(u))
			return -1;
	}
	return 0;
}

int ml_upng_section(struct ml_upng *u, uint64_t lead)
{
	if (u->fill) {
		memset(u->row + u->fill, u->pad, (size_t)(u->width - u->fill));
		if (put_row(u))
			return -1;
	}
	return ml_upng_put(u, u->pad, lead);
}

int ml_upng_end_section(struct ml_upng *u)
{
	if (u->fill) {
		memset(u->row + u->fill, u->pad, (size_t)(u->width - u->fill));
		if (put_row(u))
			return -1;
	}
	memset(u->row, u->sep, (size_t)u->width);
	return put_row(u);
}

int ml_upng_end(struct ml_upng *u)
{
	if (u->rows != u->height) {
		ml_err("internal error: the picture has %" PRIu32 " rows of the %" PRIu32 " announced", u->rows,
		       u->height);
		ml_upng_abort(u);
		return -1;
	}
	int r = ml_png_end(u->png);	/* frees the writer, whatever it returns */
	if (r)
		ml_err("PNG: %s", ml_png_error());
	u->png = NULL;
	ml_upng_abort(u);
	return r;
}

void ml_upng_abort(struct ml_upng *u)
{
	if (!u)
		return;
	ml_png_abort(u->png);
	free(u->row);
	free(u);
}

/* ---- legend text ---- */

void ml_legend_add(struct ml_legend *l, const char *name, const uint8_t rgb[3])
{
	size_t need = l->len + strlen(name) + 16;
	if (need > l->cap) {
		l->cap = ML_MAX(need, 2 * l->cap);
		l->text = ml_reallocarray(l->text, l->cap, 1);
	}
	l->len += (size_t)snprintf(l->text + l->len, l->cap - l->len, "%s%s=#%02x%02x%02x", l->len ? ", " : "",
				   name, rgb[0], rgb[1], rgb[2]);
}

void ml_legend_free(struct ml_legend *l)
{
	free(l->text);
	*l = (struct ml_legend){ 0 };
}
