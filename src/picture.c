/*
 * picture: bytes with states → pixels → output rows, for `image`, `diff`
 * and `watch` (see picture.h).  Bytes arrive in stream order and fill one
 * full-size row at a time (a batch of 65536 pixels for a Hilbert curve);
 * a full row becomes display pixels (pixel.c's rules), which leave as a
 * row, join a thumbnail band (--scale/--fit: column sums of `scale` rows),
 * or take their place on the Hilbert canvas.  Memory is one row, one band
 * and, for Hilbert and frames, the picture itself (capped).
 */
#include "config.h"
#include "picture.h"
#include "hilbert.h"
#include "util.h"
#include "json.h"
#include "output.h"
#include "bmp.h"
#include "pngwrite.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_WIDTH (1u << 24)
#define HILBERT_BATCH 65536	/* pixels handed to the Hilbert canvas at once */

/*
 * Which state a pixel takes when its bytes differ: the higher rank wins.
 * Unused canvas is only ever set for whole pixels past the last byte.
 */
static const uint8_t rank[] = {
	[ML_PX_SAME] = 0, [ML_PX_DATA] = 1, [ML_PX_ADDED] = 2, [ML_PX_REMOVED] = 3,
	[ML_PX_HOLE] = 4, [ML_PX_UNUSED] = 5,
};

/* ---- options ---- */

void ml_picopts_init(struct ml_picopts *o)
{
	memset(o, 0, sizeof *o);
	o->fmt.bpp = 24;
	o->fmt.palette = ML_PAL_GRAY;
	o->width = 1024;
	o->scale = 1;
	o->level = -1;
}

static int parse_wxh(const char *s, uint64_t *w, uint64_t *h)
{
	const char *x = strchr(s, 'x');
	if (!x)
		return -1;
	char *a = ml_strndup(s, (size_t)(x - s));
	int r = ml_parse_uint(a, 1, MAX_WIDTH, w) || ml_parse_uint(x + 1, 1, UINT32_MAX, h);
	free(a);
	return r ? -1 : 0;
}

int ml_picopts_parse(struct ml_picopts *o, int code, const char *arg)
{
	uint64_t v;
	int p;
	switch (code) {
	case ML_PIC_BPP:
		if (ml_parse_uint(arg, 8, 32, &v) || v % 8)
			return ml_usage_error("--bpp %s: expected 8, 16, 24 or 32", arg), -1;
		o->fmt.bpp = (unsigned)v;
		return 1;
	case ML_PIC_WIDTH:
		if (!strcmp(arg, "square")) {
			o->square = true;
		} else if (ml_parse_uint(arg, 1, MAX_WIDTH, &o->width)) {
			return ml_usage_error("--width %s: expected 1 to %u, or square", arg, MAX_WIDTH), -1;
		} else {
			o->square = false;
		}
		o->width_set = true;
		return 1;
	case ML_PIC_LAYOUT:
		if (strcmp(arg, "rows") && strcmp(arg, "hilbert"))
			return ml_usage_error("--layout %s: expected rows or hilbert", arg), -1;
		o->hilbert = !strcmp(arg, "hilbert");
		return 1;
	case ML_PIC_ORDER:
		if (strcmp(arg, "rgb") && strcmp(arg, "bgr"))
			return ml_usage_error("--order %s: expected rgb or bgr", arg), -1;
		o->fmt.bgr = !strcmp(arg, "bgr");
		o->order_set = true;
		return 1;
	case ML_PIC_PALETTE:
		if ((p = ml_palette_parse(arg)) < 0)
			return ml_usage_error("--palette %s: expected gray, byteclass, cubehelix or entropy", arg), -1;
		o->fmt.palette = (enum ml_palette)p;
		return 1;
	case ML_PIC_ALPHA:
		o->fmt.alpha = true;
		return 1;
	case ML_PIC_HOLES:
		if (strcmp(arg, "mark") && strcmp(arg, "skip"))
			return ml_usage_error("--holes %s: expected mark or skip", arg), -1;
		o->skip = !strcmp(arg, "skip");
		return 1;
	case ML_PIC_BOTTOM_UP:
		o->bottom_up = true;
		return 1;
	case ML_PIC_SCALE:
		if (ml_parse_uint(arg, 1, 1u << 20, &o->scale))
			return ml_usage_error("--scale %s: expected 1 to 1048576", arg), -1;
		return 1;
	case ML_PIC_FIT:
		if (parse_wxh(arg, &o->fit_w, &o->fit_h))
			return ml_usage_error("--fit %s: expected WIDTHxHEIGHT, e.g. 2000x2000", arg), -1;
		return 1;
	case ML_PIC_DPI:
		if (ml_parse_uint(arg, 1, 100000, &v))
			return ml_usage_error("--dpi %s: expected 1 to 100000", arg), -1;
		o->dpi = (unsigned)v;
		return 1;
	case ML_PIC_LEVEL:
		if (ml_parse_uint(arg, 0, 9, &v))
			return ml_usage_error("--level %s: expected 0 to 9", arg), -1;
		o->level = (int)v;
		o->level_set = true;
		return 1;
	case ML_PIC_THREADS:
		if (ml_parse_uint(arg, 1, 256, &v))
			return ml_usage_error("--threads %s: expected 1 to 256", arg), -1;
		o->threads = (unsigned)v;
		return 1;
	}
	return 0;
}

int ml_picopts_next(struct ml_cli *cli, struct ml_picopts *o, int *given)
{
	int c, r;
	while ((c = ml_cli_next(cli)) > 0) {
		if ((r = ml_picopts_parse(o, c, optarg)) < 0)
			return -1;
		if (!r)
			return c;
		if (!*given)
			*given = c;
	}
	return c;
}

int ml_picopts_refuse(const struct option *opts, int code, const char *give)
{
	for (const struct option *o = opts; o->name; o++)
		if (o->val == code) {
			char name[32];
			snprintf(name, sizeof name, "--%s", o->name);
			return ml_cli_refuse(name, "it shapes the -o picture; give %s", give);
		}
	return ml_usage_error("an image option needs -o %s", give), -1;
}

int ml_picopts_check(struct ml_picopts *o, const char *out, bool png_only, bool map, bool *is_png)
{
	/* The extension names the format; "-", a device or a FIFO without one get PNG. */
	const char *ext = ml_path_ext(out);
	*is_png = false;
	if (!strcasecmp(ext, "png") || (!*ext && ml_out_is_stream(out)))
		*is_png = true;
	else if (png_only)
		return ml_usage_error("%s: %s writes PNG only (name it .png)", out, ml_cmd), -1;
	else if (strcasecmp(ext, "bmp"))
		return ml_usage_error("%s: unknown picture format (use .png or .bmp)", out), -1;
	if (o->fit_w && o->scale != 1)
		return ml_usage_error("--fit and --scale exclude each other"), -1;
	if (o->fmt.alpha && o->fmt.bpp != 32)
		return ml_usage_error("--alpha needs --bpp 32"), -1;
	if (o->fmt.palette != ML_PAL_GRAY && o->fmt.bpp != 8)
		return ml_usage_error("--palette needs --bpp 8"), -1;
	if (o->bottom_up && *is_png)
		return ml_cli_refuse("--bottom-up", "it orders BMP rows; %s is a PNG", out);
	if (!*is_png && o->level_set)
		return ml_cli_refuse("--level", "it is PNG's compression; %s is a BMP", out);
	if (!*is_png && o->threads)
		return ml_cli_refuse("--threads", "they compress PNG; %s is a BMP", out);
	if (o->order_set && o->fmt.bpp < 24)
		return ml_cli_refuse("--order", "it orders the bytes of 24 and 32 bpp pixels, not %u bpp",
				     o->fmt.bpp);
	if (o->hilbert) {
		if (!*is_png)
			return ml_usage_error("--layout hilbert writes PNG only"), -1;
		if (o->width_set)
			return ml_usage_error("--layout hilbert sets its own size: drop --width"), -1;
		if (o->scale != 1)
			return ml_usage_error("--layout hilbert shrinks by --fit, not --scale"), -1;
		if (map)
			return ml_usage_error("--map describes the rows layout only"), -1;
	}
	return 0;
}

/* ---- geometry ---- */

void ml_pic_init(struct ml_pic *p, const struct ml_picopts *o, const char *out, bool is_png, uint8_t base)
{
	memset(p, 0, sizeof *p);
	p->o = *o;
	p->out = out;
	p->is_png = is_png;
	p->base = base;
	p->width = o->width;
	p->scale = o->scale;
}

/*
 * --layout hilbert: the curve of the smallest order that holds npix, shrunk
 * by 2^k to the largest square inside --fit; the canvas is held whole, so
 * its size is capped.
 */
static int plan_hilbert(struct ml_pic *p)
{
	p->horder = ml_hilbert_order_for(p->npix);
	if (p->horder > 16) {
		ml_err("%llu pixels need a Hilbert curve wider than 65536: select less",
		       (unsigned long long)p->npix);
		return -1;
	}
	unsigned k = 0;
	if (p->o.fit_w) {
		uint64_t box = ML_MIN(p->o.fit_w, p->o.fit_h);
		while (k < p->horder && ((uint64_t)1 << (p->horder - k)) > box)
			k++;
	}
	uint64_t side = (uint64_t)1 << (p->horder - k);
	p->hshift = 2 * k;
	p->width = HILBERT_BATCH;
	p->height = ML_DIV_UP(p->npix, p->width);
	p->out_w = p->out_h = side;
	p->has_unused = ((side * side - 1) << p->hshift) >= p->npix;
	p->ch = ml_display_channels(&p->o.fmt, false, p->has_unused);
	/* Refused here with the fewest channels it could have, before any pass over the bytes. */
	unsigned least = ml_display_channels(&p->o.fmt, false, false);
	if (side * side * least > ML_HCANVAS_CAP) {
		char a[32], b[32];
		ml_err("a %llux%llu picture needs %s in memory, over the %s cap of --layout hilbert: give --fit, e.g. --fit 4096x4096",
		       (unsigned long long)side, (unsigned long long)side,
		       ml_human_size(side * side * least, a, sizeof a), ml_human_size(ML_HCANVAS_CAP, b, sizeof b));
		return -1;
	}
	return 0;
}

int ml_pic_plan(struct ml_pic *p, uint64_t bytes)
{
	p->B = p->o.fmt.bpp / 8;
	p->bytes = bytes;
	p->npix = ML_DIV_UP(bytes, p->B);
	if (p->o.hilbert)
		return plan_hilbert(p);
	if (p->o.square) {
		uint64_t w = ML_MAX(ml_square_side(p->npix), 1);
		p->width = w;
		if (w > MAX_WIDTH) {
			ml_err("a square of %llu pixels a side is too wide; give --width", (unsigned long long)w);
			return -1;
		}
	}
	p->height = ML_DIV_UP(p->npix, p->width);
	if (p->o.fit_w) {
		uint64_t a = ML_DIV_UP(p->width, p->o.fit_w);
		uint64_t b = ML_DIV_UP(p->height, p->o.fit_h);
		p->scale = ML_MAX(ML_MAX(a, b), 1);
	}
	p->out_w = ML_DIV_UP(p->width, p->scale);
	p->out_h = ML_DIV_UP(p->height, p->scale);
	if (p->out_h > 0x7fffffff) {
		ml_err("the picture would be %llu rows high; give a larger --width or --scale",
		       (unsigned long long)p->out_h);
		return -1;
	}
	/* Unused: an output pixel none of whose pixels holds a byte (the last block's first is past the end). */
	uint64_t last_band = (p->out_h - 1) * p->scale * p->width;
	p->has_unused = last_band >= p->npix || (p->out_w - 1) * p->scale >= p->npix - last_band;
	p->ch = ml_display_channels(&p->o.fmt, false, p->has_unused);
	if (!p->is_png) {
		p->ch = ml_display_channels(&p->o.fmt, false, false);
		unsigned bpp = p->scale > 1 ? p->ch * 8 : p->o.fmt.bpp;
		uint64_t size = ml_bmp_size((uint32_t)ML_MIN(p->out_w, UINT32_MAX),
					    (uint32_t)ML_MIN(p->out_h, UINT32_MAX), bpp);
		if (!size || size > UINT32_MAX) {
			char h[32];
			ml_err("%s: a %llux%llu BMP would be %s; BMP cannot pass 4 GiB: write a .png",
			       p->out, (unsigned long long)p->out_w, (unsigned long long)p->out_h,
			       ml_human_size(size ? size : UINT64_MAX, h, sizeof h));
			return -1;
		}
	}
	return 0;
}

/* ---- writers ---- */

static int open_writer(struct ml_pic *p, FILE *f, const char *const *text, unsigned ntext)
{
	if (!p->is_png) {
		unsigned bpp = p->scale > 1 ? (p->ch == 1 ? 8 : p->ch * 8) : p->o.fmt.bpp;
		const uint8_t (*pal)[3] = bpp == 8 ? ml_palette_rgb(p->scale > 1 ? ML_PAL_GRAY : p->o.fmt.palette)
						   : NULL;
		const char *why;
		p->bmp = ml_bmp_begin(f, (uint32_t)p->out_w, (uint32_t)p->out_h, bpp, pal, p->o.bottom_up,
				      p->o.dpi, &why);
		if (!p->bmp)
			ml_err("%s: %s", p->out, why);
		return p->bmp ? 0 : -1;
	}
	struct ml_png_opts o = {
		.width = (uint32_t)p->out_w,
		.height = (uint32_t)p->out_h,
		.color = p->ch == 1 ? ML_PNG_GRAY : p->ch == 3 ? ML_PNG_RGB : ML_PNG_RGBA,
		.level = p->o.level,
		.dpi = p->o.dpi,
		.text = text,
		.ntext = ntext,
		.threads = p->o.threads,
	};
	p->png = ml_png_begin(f, &o);
	if (!p->png)
		ml_err("%s: %s", p->out, ml_png_error());
	return p->png ? 0 : -1;
}

int ml_pic_start(struct ml_pic *p, unsigned ch, FILE *f, const char *const *text, unsigned ntext)
{
	p->ch = ch;
	if (!f && !p->o.hilbert && p->out_w * p->out_h * ch > ML_HCANVAS_CAP) {
		char a[32], b[32];
		ml_err("a %llux%llu frame needs %s in memory, over the %s cap: give --fit, e.g. --fit 1024x1024",
		       (unsigned long long)p->out_w, (unsigned long long)p->out_h,
		       ml_human_size(p->out_w * p->out_h * ch, a, sizeof a), ml_human_size(ML_HCANVAS_CAP, b, sizeof b));
		return -1;
	}
	if (p->o.hilbert) {
		uint64_t side = p->out_w;
		if (side * side * ch > ML_HCANVAS_CAP) {
			char a[32], b[32];
			ml_err("a %llux%llu picture needs %s in memory, over the %s cap of --layout hilbert: give --fit, e.g. --fit 4096x4096",
			       (unsigned long long)side, (unsigned long long)side,
			       ml_human_size(side * side * ch, a, sizeof a), ml_human_size(ML_HCANVAS_CAP, b, sizeof b));
			return -1;
		}
		uint8_t fill[4], hole[4];
		ml_display_colour(ML_PX_UNUSED, ch, fill);
		ml_display_colour(ML_PX_HOLE, ch, hole);
		unsigned k = p->hshift / 2;
		if (ml_hcanvas_init(&p->hc, p->horder - k, k, ch, fill, hole)) {
			ml_err("a %llux%llu picture does not fit in memory: give --fit, e.g. --fit 4096x4096",
			       (unsigned long long)side, (unsigned long long)side);
			return -1;
		}
		if (!f)
			p->frame = p->hc.px;
	} else if (!f) {
		p->frame = ml_malloc((size_t)(p->out_w * p->out_h * ch));
		ml_pic_blank(p);	/* rows not drawn yet are unused canvas */
	}
	if (f && open_writer(p, f, text, ntext))
		return -1;
	size_t rowbytes = (size_t)p->width * p->B;
	unsigned disp_ch = ML_MAX(p->ch, p->B);
	p->raw = ml_malloc(rowbytes);
	p->state = ml_malloc((size_t)p->width);
	memset(p->state, p->base, (size_t)p->width);
	p->disp = ml_malloc((size_t)p->width * disp_ch);
	if (p->scale > 1) {
		p->outrow = ml_malloc((size_t)p->out_w * p->ch);
		p->sum = ml_calloc((size_t)p->out_w * p->ch, sizeof *p->sum);
		p->count = ml_calloc((size_t)p->out_w, sizeof *p->count);
		p->bandhole = ml_calloc((size_t)p->out_w, 1);
	}
	p->y0 = p->out_h;
	p->y1 = 0;
	return 0;
}

static void drawn(struct ml_pic *p, uint64_t y0, uint64_t y1)
{
	p->y0 = ML_MIN(p->y0, y0);
	p->y1 = ML_MAX(p->y1, y1);
}

static int write_out_row(struct ml_pic *p, const uint8_t *row)
{
	uint64_t y = p->out_rows++;
	if (p->frame) {
		if (y < p->out_h) {
			memcpy(p->frame + y * p->out_w * p->ch, row, (size_t)(p->out_w * p->ch));
			drawn(p, y, y + 1);
		}
		return 0;
	}
	if (p->png) {
		if (ml_png_rows(p->png, row, 1)) {
			ml_err("%s: %s", p->out, ml_png_error());
			return -1;
		}
		return 0;
	}
	const char *why;
	if (ml_bmp_row(p->bmp, row, &why)) {
		ml_err("%s: %s", p->out, why);
		return -1;
	}
	return 0;
}

/* Averages the band of up to `scale` rows into one output row. */
static int flush_band(struct ml_pic *p)
{
	for (uint64_t x = 0; x < p->out_w; x++) {
		uint8_t *o = p->outrow + x * p->ch;
		uint32_t c = p->count[x];
		if (!c && p->ch == 1)
			o[0] = p->bmp ? ml_bmp_checker(x, p->out_rows) : 0;
		else if (!c)
			ml_display_colour(p->bandhole[x] ? ML_PX_HOLE : ML_PX_UNUSED, p->ch, o);
		else
			for (unsigned k = 0; k < p->ch; k++)
				o[k] = (uint8_t)((p->sum[x * p->ch + k] + c / 2) / c);
	}
	/* BMP wants B,G,R(,A). */
	if (p->bmp && p->ch >= 3)
		for (uint64_t x = 0; x < p->out_w; x++) {
			uint8_t t = p->outrow[x * p->ch];
			p->outrow[x * p->ch] = p->outrow[x * p->ch + 2];
			p->outrow[x * p->ch + 2] = t;
		}
	memset(p->sum, 0, p->out_w * p->ch * sizeof *p->sum);
	memset(p->count, 0, p->out_w * sizeof *p->count);
	memset(p->bandhole, 0, p->out_w);
	p->band_rows = 0;
	return write_out_row(p, p->outrow);
}

/* The output rows that Hilbert cells [c0, c1) lie on, block by aligned block. */
static void drawn_cells(struct ml_pic *p, uint64_t c0, uint64_t c1)
{
	unsigned order = p->horder - p->hshift / 2;
	while (c0 < c1) {
		unsigned m = 0;
		while (m < order && !(c0 & (((uint64_t)4 << (2 * m)) - 1)) && c0 + ((uint64_t)4 << (2 * m)) <= c1)
			m++;
		uint32_t x, y;
		ml_hilbert_d2xy(order, c0, &x, &y);
		uint64_t side = (uint64_t)1 << m, top = y & ~(side - 1);
		drawn(p, top, top + side);
		c0 += side * side;
	}
}

/* The first n pixels of the batch to the Hilbert canvas, those inside the picture. */
static void hilbert_put(struct ml_pic *p, uint64_t n)
{
	n = p->first < p->npix ? ML_MIN(n, p->npix - p->first) : 0;
	ml_pixels_to_display(&p->o.fmt, p->raw, p->state, (size_t)n, p->ch, p->disp);
	ml_hcanvas_put(&p->hc, p->disp, p->state, (size_t)n);
	if (p->frame && n)
		drawn_cells(p, p->first >> p->hshift, ((p->first + n - 1) >> p->hshift) + 1);
}

/* One full-size row of raw pixels (raw + state) is ready. */
static int emit_row(struct ml_pic *p)
{
	uint64_t w = p->width;
	int r = 0;
	if (p->o.hilbert) {
		hilbert_put(p, w);	/* a batch of pixels, not a row */
	} else if (p->scale == 1) {
		if (p->bmp)
			ml_pixels_to_bmp(&p->o.fmt, p->raw, p->state, w, 0, p->first / w, p->disp);
		else
			ml_pixels_to_display(&p->o.fmt, p->raw, p->state, w, p->ch, p->disp);
		r = write_out_row(p, p->disp);
	} else {
		ml_pixels_to_display(&p->o.fmt, p->raw, p->state, w, p->ch, p->disp);
		for (uint64_t x = 0; x < w; x++) {
			uint64_t ox = x / p->scale;
			if (!ml_px_coloured(p->state[x])) {
				p->bandhole[ox] |= p->state[x] == ML_PX_HOLE;
				continue;
			}
			for (unsigned k = 0; k < p->ch; k++)
				p->sum[ox * p->ch + k] += p->disp[x * p->ch + k];
			p->count[ox]++;
		}
		if (++p->band_rows == p->scale)
			r = flush_band(p);
	}
	p->first += w;
	p->fill = 0;
	memset(p->state, p->base, w);
	return r;
}

/* Pixels [a, b] of the row being filled take state s where it ranks higher. */
static void mark(struct ml_pic *p, size_t a, size_t b, uint8_t s)
{
	for (size_t i = a; i <= b; i++)
		if (rank[s] > rank[p->state[i]])
			p->state[i] = s;
}

/*
 * Whole rows of holes in one step where rows only accumulate (Hilbert
 * cells, reduced bands): a hostile dump's EiB of uncaptured memory costs
 * what its output does.  Returns the bytes taken (whole rows only).
 */
static int hole_rows(struct ml_pic *p, size_t len, size_t *taken)
{
	size_t rowbytes = (size_t)p->width * p->B;
	uint64_t rows = len / rowbytes;
	*taken = 0;
	if (p->fill || !rows || p->frame || (!p->o.hilbert && p->scale == 1))
		return 0;
	if (p->o.hilbert) {
		uint64_t n = p->first < p->npix ? ML_MIN(rows * p->width, p->npix - p->first) : 0;
		ml_hcanvas_put_holes(&p->hc, n);
		p->first += rows * p->width;
	} else {
		for (uint64_t r = rows; r;) {
			uint64_t t = ML_MIN(r, p->scale - p->band_rows);
			memset(p->bandhole, 1, (size_t)p->out_w);
			p->band_rows += t;
			p->first += t * p->width;
			r -= t;
			if (p->band_rows == p->scale && flush_band(p))
				return -1;
		}
	}
	*taken = (size_t)(rows * rowbytes);
	return 0;
}

int ml_pic_feed(struct ml_pic *p, const uint8_t *data, size_t len, uint8_t state)
{
	size_t rowbytes = (size_t)p->width * p->B;
	while (len) {
		if (!data && state == ML_PX_HOLE && !p->fill) {
			size_t taken;
			if (hole_rows(p, len, &taken))
				return -1;
			len -= taken;
			if (!len)
				break;
		}
		size_t n = ML_MIN(len, rowbytes - p->fill);
		if (data) {
			memcpy(p->raw + p->fill, data, n);
			data += n;
		} else {
			memset(p->raw + p->fill, 0, n);
		}
		if (state != p->base)
			mark(p, p->fill / p->B, (p->fill + n - 1) / p->B, state);
		p->fill += n;
		len -= n;
		if (p->fill == rowbytes && emit_row(p))
			return -1;
	}
	return 0;
}

int ml_pic_tail(struct ml_pic *p)
{
	if (p->fill) {
		/* A partial pixel keeps its bytes; the rest of the row is unused canvas. */
		size_t rowbytes = (size_t)p->width * p->B;
		size_t first_empty = (p->fill + p->B - 1) / p->B;
		memset(p->raw + p->fill, 0, rowbytes - p->fill);
		memset(p->state + first_empty, ML_PX_UNUSED, p->width - first_empty);
		if (emit_row(p))
			return -1;
	}
	if (p->o.hilbert) {
		uint64_t before = p->hc.next;
		ml_hcanvas_flush(&p->hc);
		if (p->frame && before)
			drawn_cells(p, (before - 1) >> p->hshift, ((before - 1) >> p->hshift) + 1);
	} else if (p->scale > 1 && p->band_rows && flush_band(p)) {
		return -1;
	}
	return 0;
}

int ml_pic_finish(struct ml_pic *p)
{
	if (ml_pic_tail(p))
		return -1;
	if (p->frame)
		return 0;
	if (p->o.hilbert)
		for (uint32_t y = 0; y < p->hc.side; y++)
			if (write_out_row(p, p->hc.px + (size_t)y * p->hc.side * p->ch))
				return -1;
	if (p->out_rows != p->out_h) {
		ml_err("internal error: %llu of %llu rows drawn", (unsigned long long)p->out_rows,
		       (unsigned long long)p->out_h);
		return -1;
	}
	const char *why = NULL;
	int r = p->png ? ml_png_end(p->png) : ml_bmp_end(p->bmp, &why);
	if (r && p->png)
		why = ml_png_error();
	p->png = NULL;
	p->bmp = NULL;
	if (r && why)
		ml_err("%s: %s", p->out, why);
	return r ? -1 : 0;
}

void ml_pic_free(struct ml_pic *p)
{
	if (p->png)
		ml_png_abort(p->png);
	ml_bmp_abort(p->bmp);
	p->png = NULL;
	p->bmp = NULL;
	if (p->frame != p->hc.px)
		free(p->frame);
	p->frame = NULL;
	ml_hcanvas_free(&p->hc);
	free(p->raw);
	free(p->state);
	free(p->disp);
	free(p->outrow);
	free(p->sum);
	free(p->count);
	free(p->bandhole);
	p->raw = p->state = p->disp = p->outrow = p->bandhole = NULL;
	p->sum = NULL;
	p->count = NULL;
}

/* ---- frames ---- */

uint64_t ml_pic_block(const struct ml_pic *p)
{
	return p->o.hilbert ? (uint64_t)1 << p->hshift : p->width * p->scale;
}

void ml_pic_flush(struct ml_pic *p)
{
	if (!p->o.hilbert || p->fill < p->B)
		return;
	uint64_t n = p->fill / p->B;
	hilbert_put(p, n);
	/* A whole block was given: its last cell is complete. */
	p->first += n;
	p->fill = 0;
	memset(p->state, p->base, (size_t)p->width);
}

void ml_pic_seek(struct ml_pic *p, uint64_t pixel)
{
	p->first = pixel;
	p->fill = 0;
	memset(p->state, p->base, (size_t)p->width);
	if (p->o.hilbert) {
		p->hc.next = pixel;
		memset(p->hc.sum, 0, sizeof p->hc.sum);
		p->hc.count = 0;
		p->hc.holes = false;
		return;
	}
	p->out_rows = pixel / p->width / p->scale;
	p->band_rows = 0;
	if (p->scale > 1) {
		memset(p->sum, 0, p->out_w * p->ch * sizeof *p->sum);
		memset(p->count, 0, p->out_w * sizeof *p->count);
		memset(p->bandhole, 0, p->out_w);
	}
}

void ml_pic_blank(struct ml_pic *p)
{
	uint8_t fill[4];
	ml_display_colour(ML_PX_UNUSED, p->ch, fill);
	for (uint64_t i = 0; i < p->out_w * p->out_h; i++)
		memcpy(p->frame + i * p->ch, fill, p->ch);
	drawn(p, 0, p->out_h);
}

void ml_pic_clear_drawn(struct ml_pic *p)
{
	p->y0 = p->out_h;
	p->y1 = 0;
}

/* The selection as --region words, for the PNG's tEXt. */
void ml_pic_selection_text(const struct ml_cli *cli, char *buf, size_t len)
{
	size_t o = 0;
	if (!cli->nspecs)
		snprintf(buf, len, "all");
	for (size_t i = 0; i < cli->nspecs && o + 1 < len; i++) {
		const struct ml_spec *sp = &cli->specs[i];
		const char *sep = i ? " " : "";
		int n;
		switch (sp->type) {
		case ML_SPEC_KIND: n = snprintf(buf + o, len - o, "%s%s", sep, ml_kind_name(sp->kind)); break;
		case ML_SPEC_EXEC: n = snprintf(buf + o, len - o, "%sexec", sep); break;
		case ML_SPEC_PATH: n = snprintf(buf + o, len - o, "%spath:%s", sep, sp->text); break;
		default:
			n = snprintf(buf + o, len - o, "%s0x%llx-0x%llx", sep,
				     (unsigned long long)sp->start, (unsigned long long)sp->end);
		}
		o += n > 0 ? (size_t)n : 0;
	}
}

/* ---- --map ---- */

void ml_pic_map_head(const struct ml_pic *p, json_t *root)
{
	json_object_set_new(root, "bpp", json_integer(p->o.fmt.bpp));
	json_object_set_new(root, "width", json_integer((json_int_t)p->out_w));
	json_object_set_new(root, "height", json_integer((json_int_t)p->out_h));
	json_object_set_new(root, "scale", json_integer((json_int_t)p->scale));
	json_object_set_new(root, "full_width", json_integer((json_int_t)p->width));
	json_object_set_new(root, "holes", json_string(p->o.skip ? "skip" : "mark"));
}

void ml_pic_map_place(const struct ml_pic *p, json_t *e, uint64_t off, uint64_t len)
{
	uint64_t p0 = off / p->B, p1 = (off + len - 1) / p->B;
	json_object_set_new(e, "stream_offset", json_integer((json_int_t)off));
	json_object_set_new(e, "first_pixel", json_integer((json_int_t)p0));
	json_object_set_new(e, "last_pixel", json_integer((json_int_t)p1));
	json_object_set_new(e, "first_row", json_integer((json_int_t)(p0 / p->width / p->scale)));
	json_object_set_new(e, "first_col", json_integer((json_int_t)(p0 % p->width / p->scale)));
	json_object_set_new(e, "last_row", json_integer((json_int_t)(p1 / p->width / p->scale)));
	json_object_set_new(e, "last_col", json_integer((json_int_t)(p1 % p->width / p->scale)));
}
