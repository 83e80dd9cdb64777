/*
 * unitmap: one unit, one pixel — the half-block terminal map and the
 * sectioned palette PNG that `pagemap` and `heap` draw, written once.
 * Every buffer is sized here from the width, so no caller's clamp far
 * away protects it.
 */
#include "config.h"
#include "unitmap.h"
#include "ansi.h"
#include "image.h"
#include "text.h"
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

#define LABEL_PX 12		/* address labels */
#define LABEL_EVERY 64		/* rows between labels inside a long section, at least */
#define TICK 6			/* the mark pointing from a label to its row */
#define MIN_WIDTH 560		/* the picture is at least this wide, for the caption */
#define SHADES ML_CAPTION_SHADES	/* ink levels of anti-aliased text, background included */

struct ml_upng {
	struct ml_img *img;
	const char *name;
	uint64_t width, fill, unit;
	uint32_t rows, height;	/* map rows written, announced */
	uint8_t pad, sep;
	uint8_t *row;		/* the whole picture row: margin, map, right padding */
	uint32_t mw, pw;	/* margin and picture width in pixels */
	uint8_t shade0;		/* palette index of the background; the ink levels follow */
	uint64_t row_addr;	/* address of the first unit of the row being filled */
	/* the label being drawn down the margin */
	uint8_t *label;		/* mw × line palette indices */
	int line;
	uint32_t label_row;	/* the map row it started at */
	bool labelling;
	uint32_t last_label;	/* the map row of the last label (UINT32_MAX: none) */
	bool new_section;
	/* the caption, drawn at the end */
	uint8_t *cap;		/* pw × cap_h palette indices */
	uint32_t cap_h;
	uint8_t (*pal)[3];
	unsigned npal;
};

uint64_t ml_upng_rows(uint64_t width, uint64_t lead, uint64_t n)
{
	return (lead + n + width - 1) / width + 1;
}

static void quantize(const struct ml_upng *u, const uint8_t *rgb, size_t n, uint8_t *out)
{
	ml_caption_index(rgb, n, (const uint8_t (*)[3])u->pal, u->npal, u->shade0, out);
}

/* Draws the label of the row about to be written into u->label. */
static void start_label(struct ml_upng *u)
{
	uint8_t *rgb = ml_malloc((size_t)u->mw * u->line * 3);
	for (size_t i = 0; i < (size_t)u->mw * u->line; i++)
		memcpy(rgb + i * 3, ml_caption_bg, 3);
	char text[24];
	snprintf(text, sizeof text, "%016" PRIx64, u->row_addr);
	ml_text_draw(rgb, u->mw, (uint32_t)u->line, 4, 0, LABEL_PX, text, 16, ml_caption_ink);
	quantize(u, rgb, (size_t)u->mw * u->line, u->label);
	free(rgb);
	u->labelling = true;
	u->label_row = u->rows;
	u->last_label = u->rows;
}

struct ml_upng *ml_upng_begin(FILE *f, const char *name, uint32_t width, uint32_t rows, uint64_t unit,
			      const uint8_t (*pal)[3], unsigned npal, uint8_t pad, uint8_t sep,
			      const struct ml_caption *cap, const char *const *text, unsigned ntext)
{
	struct ml_text_metrics lm;
	ml_text_metrics(LABEL_PX, &lm);
	struct ml_upng *u = ml_calloc(1, sizeof *u);
	u->name = name;
	u->width = width;
	u->unit = unit;
	u->height = rows;
	u->pad = pad;
	u->sep = sep;
	u->line = lm.line;
	u->mw = 4 + 16 * (uint32_t)lm.advance + 4 + TICK;
	u->pw = ML_MAX(u->mw + width, (uint32_t)MIN_WIDTH);
	u->last_label = UINT32_MAX;
	/* The caller's colours, the background, then the ink levels. */
	u->npal = ML_MIN(npal, 200u);
	u->shade0 = (uint8_t)u->npal;
	u->pal = ml_calloc(u->npal + SHADES, 3);
	memcpy(u->pal, pal, (size_t)u->npal * 3);
	ml_caption_shades(u->pal, u->shade0);
	u->cap_h = ml_caption_height(cap, u->pw);
	uint8_t *rgb = ml_malloc((size_t)u->pw * u->cap_h * 3);
	ml_caption_draw(cap, rgb, u->pw, u->cap_h);
	u->cap = ml_malloc((size_t)u->pw * u->cap_h);
	quantize(u, rgb, (size_t)u->pw * u->cap_h, u->cap);
	free(rgb);
	u->label = ml_malloc((size_t)u->mw * u->line);
	u->row = ml_malloc(u->pw);

	char where[96];
	snprintf(where, sizeof where, "x=%u y=0 width=%u height=%u", u->mw, width, rows);
	const char **t = ml_calloc(2 * ntext + 2, sizeof *t);
	if (ntext)	/* text may be NULL then */
		memcpy(t, text, 2 * ntext * sizeof *t);
	t[2 * ntext] = "Map";
	t[2 * ntext + 1] = where;
	struct ml_img_info i = { .width = u->pw, .height = rows + u->cap_h, .layout = ML_IMG_PALETTE,
				 .palette = (const uint8_t (*)[3])u->pal, .npalette = u->npal + SHADES, .level = -1,
				 .text = t, .ntext = ntext + 1 };
	struct ml_img_sink sink = { f, -1, false };
	const char *why;
	u->img = ml_img_begin(ml_img_format_named("PNG"), &sink, &i, &why);
	free(t);
	if (!u->img) {
		ml_err("%s: %s", name, why);
		ml_upng_abort(u);
		return NULL;
	}
	return u;
}

static int write_row(struct ml_upng *u, const uint8_t *row)
{
	const char *why;
	if (ml_img_rows(u->img, row, u->pw, 1, &why)) {
		ml_err("%s: %s", u->name, why);
		return -1;
	}
	return 0;
}

/* The map row in u->row is complete: its margin, then out. */
static int put_row(struct ml_upng *u)
{
	if (u->rows >= u->height) {
		ml_err("internal error: the picture has more rows than the %" PRIu32 " announced", u->height);
		return -1;
	}
	/*
	 * A label at a section's first row, and down long sections; never
	 * over one still being drawn, nor where the map ends before it does.
	 */
	bool done = u->labelling && u->rows - u->label_row >= (uint32_t)u->line;
	if (done)
		u->labelling = false;
	if (!u->labelling && u->height - u->rows >= (uint32_t)u->line &&
	    (u->new_section || u->last_label == UINT32_MAX ||
	     u->rows - u->last_label >= ML_MAX((uint32_t)LABEL_EVERY, 2u * (uint32_t)u->line)))
		start_label(u);
	u->new_section = false;
	if (u->labelling) {
		memcpy(u->row, u->label + (size_t)(u->rows - u->label_row) * u->mw, u->mw);
		if (u->rows == u->label_row)
			memset(u->row + u->mw - TICK, u->shade0 + SHADES - 1, TICK);
	} else {
		memset(u->row, u->shade0, u->mw);
	}
	memset(u->row + u->mw + u->width, u->shade0, u->pw - u->mw - u->width);
	u->rows++;
	u->fill = 0;
	u->row_addr += u->width * u->unit;
	return write_row(u, u->row);
}

int ml_upng_put(struct ml_upng *u, uint8_t v, uint64_t n)
{
	uint8_t *map = u->row + u->mw;
	while (n) {
		uint64_t take = ML_MIN(n, u->width - u->fill);
		memset(map + u->fill, v, (size_t)take);
		u->fill += take;
		n -= take;
		if (u->fill == u->width && put_row(u))
			return -1;
	}
	return 0;
}

int ml_upng_section(struct ml_upng *u, uint64_t addr, uint64_t lead)
{
	if (u->fill) {
		memset(u->row + u->mw + u->fill, u->pad, (size_t)(u->width - u->fill));
		if (put_row(u))
			return -1;
	}
	u->row_addr = addr - lead * u->unit;
	u->new_section = true;
	return ml_upng_put(u, u->pad, lead);
}

int ml_upng_end_section(struct ml_upng *u)
{
	if (u->fill) {
		memset(u->row + u->mw + u->fill, u->pad, (size_t)(u->width - u->fill));
		if (put_row(u))
			return -1;
	}
	memset(u->row + u->mw, u->sep, (size_t)u->width);
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
	int r = 0;
	for (uint32_t y = 0; y < u->cap_h && !r; y++)
		r = write_row(u, u->cap + (size_t)y * u->pw);
	const char *why;
	struct ml_img *img = u->img;
	u->img = NULL;
	if (r) {
		ml_img_abort(img);
	} else if (ml_img_end(img, &why)) {
		ml_err("%s: %s", u->name, why);
		r = -1;
	}
	ml_upng_abort(u);
	return r;
}

void ml_upng_abort(struct ml_upng *u)
{
	if (!u)
		return;
	ml_img_abort(u->img);
	free(u->row);
	free(u->label);
	free(u->cap);
	free(u->pal);
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
