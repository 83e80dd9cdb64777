/*
 * caption: laying out the legend block (greedy word wrap, swatch columns)
 * and drawing it with text.c.
 */
#include "config.h"
#include "caption.h"
#include "text.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PX 16		/* text size */
#define MARGIN 12
#define SWATCH 16
#define GAP 8		/* between a swatch and its label */

const uint8_t ml_caption_bg[3] = { 0xf4, 0xf4, 0xf4 }, ml_caption_ink[3] = { 0x10, 0x10, 0x10 };

void ml_caption_shades(uint8_t (*pal)[3], unsigned first)
{
	for (int k = 0; k < ML_CAPTION_SHADES; k++)
		for (int c = 0; c < 3; c++)
			pal[first + k][c] = (uint8_t)(ml_caption_bg[c] + (ml_caption_ink[c] - ml_caption_bg[c]) * k /
							       (ML_CAPTION_SHADES - 1));
}

void ml_caption_index(const uint8_t *rgb, size_t n, const uint8_t (*pal)[3], unsigned npal, unsigned first,
		      uint8_t *out)
{
	int bg = ml_caption_bg[0], ink = ml_caption_ink[0];
	for (size_t i = 0; i < n; i++, rgb += 3) {
		int k = -1;
		for (unsigned p = 0; p < npal && k < 0; p++)
			if (!memcmp(pal[p], rgb, 3))
				k = (int)p;
		if (k < 0) {
			/* text: a blend of background and ink, a gray */
			int level = ((bg - rgb[0]) * (ML_CAPTION_SHADES - 1) + (bg - ink) / 2) / (bg - ink);
			k = (int)first + ML_MAX(0, ML_MIN(ML_CAPTION_SHADES - 1, level));
		}
		out[i] = (uint8_t)k;
	}
}

/* Characters of a UTF-8 string (continuation bytes do not count). */
static size_t chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* Bytes of the first k characters of s. */
static size_t prefix(const char *s, size_t k)
{
	size_t i = 0;
	while (s[i] && k) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		k--;
	}
	return i;
}

/* Greedy word wrap into lines of at most maxc characters; drawn at y0 when rgb is set.  Returns the lines. */
static unsigned wrap(const char *text, unsigned maxc, uint8_t *rgb, uint32_t w, uint32_t h, int y0, int line)
{
	unsigned lines = 0;
	char *esc = ml_escape(text ? text : "");
	const char *p = esc;
	while (*p) {
		size_t len = strlen(p), take = len;
		if (chars(p, len) > maxc) {
			size_t lim = prefix(p, maxc);
			take = lim;
			while (take > 0 && p[take] != ' ')
				take--;
			if (!take)
				take = lim;
		}
		if (rgb) {
			char *l = ml_strndup(p, take);
			ml_text_draw(rgb, w, h, MARGIN, y0 + (int)lines * line, PX, l, maxc, ml_caption_ink);
			free(l);
		}
		lines++;
		p += take;
		while (*p == ' ')
			p++;
	}
	free(esc);
	return lines;
}

struct layout {
	unsigned maxc, cols, labelc;
	int line, row;		/* text line, swatch row heights */
	uint32_t colw;
};

static void lay(const struct ml_caption *c, uint32_t w, struct layout *l)
{
	struct ml_text_metrics m;
	ml_text_metrics(PX, &m);
	uint32_t inner = w > 2 * MARGIN ? w - 2 * MARGIN : 1;
	l->maxc = ML_MAX(1u, inner / (unsigned)m.advance);
	l->line = m.line;
	l->row = ML_MAX(m.line, SWATCH + 4);
	/* Two columns when each holds 30 characters of label. */
	l->cols = inner / 2 >= (uint32_t)(SWATCH + GAP + 30 * m.advance) && c->nitems > 1 ? 2 : 1;
	l->colw = inner / l->cols;
	l->labelc = l->colw > SWATCH + GAP ? (l->colw - SWATCH - GAP) / (unsigned)m.advance : 1;
}

uint32_t ml_caption_height(const struct ml_caption *c, uint32_t w)
{
	struct layout l;
	lay(c, w, &l);
	unsigned lines = 0;
	for (int i = 0; i < 4; i++)
		if (c->lines[i])
			lines += wrap(c->lines[i], l.maxc, NULL, 0, 0, 0, 0);
	size_t rows = (c->nitems + l.cols - 1) / l.cols;
	return (uint32_t)(2 * MARGIN + lines * (unsigned)l.line + (lines && rows ? l.line / 2 : 0) +
			  rows * (size_t)l.row);
}

void ml_caption_draw(const struct ml_caption *c, uint8_t *rgb, uint32_t w, uint32_t h)
{
	struct layout l;
	lay(c, w, &l);
	for (size_t i = 0; i < (size_t)w * h; i++)
		memcpy(rgb + i * 3, ml_caption_bg, 3);
	int y = MARGIN;
	unsigned lines = 0;
	for (int i = 0; i < 4; i++)
		if (c->lines[i]) {
			unsigned n = wrap(c->lines[i], l.maxc, rgb, w, h, y, l.line);
			y += (int)n * l.line;
			lines += n;
		}
	if (lines && c->nitems)
		y += l.line / 2;
	for (size_t i = 0; i < c->nitems; i++) {
		const struct ml_caption_item *e = &c->items[i];
		int x = MARGIN + (int)((i % l.cols) * l.colw), yy = y + (int)(i / l.cols) * l.row;
		int top = yy + (l.row - SWATCH) / 2;
		/* A swatch with a dark frame, so black and white swatches show. */
		for (int dy = 0; dy < SWATCH; dy++)
			for (int dx = 0; dx < SWATCH; dx++) {
				long px = x + dx, py = top + dy;
				if (px < 0 || py < 0 || px >= (long)w || py >= (long)h)
					continue;
				bool frame = !dx || !dy || dx == SWATCH - 1 || dy == SWATCH - 1;
				memcpy(rgb + ((size_t)py * w + (size_t)px) * 3, frame ? ml_caption_ink : e->rgb, 3);
			}
		char *label = ml_escape(e->label ? e->label : "");
		ml_text_draw(rgb, w, h, x + SWATCH + GAP, yy + (l.row - l.line) / 2, PX, label, l.labelc, ml_caption_ink);
		free(label);
	}
}
