/*
 * cmd_image: `memlens image` — the selected bytes as a picture, in the
 * format OUT's extension names (formats/image.c's table: PNG, BMP, TIFF,
 * JPEG, WebP).  Bytes stream through in blocks and leave as rows: full-size
 * rows are made straight from the blocks (rowpack.c), and rows whose bytes
 * are the file's own go from the input to the output by copy_file_range; a
 * thumbnail keeps one band of column sums; so memory stays flat whatever
 * the dump size.  Holes
 * keep their place in the hole colour (or are skipped), and the rest of
 * the last row is unused canvas (the unused colour): no byte is ever
 * dropped.  An 8 bpp picture (but BMP, whose palette has no room) carries
 * an alpha channel only when a pass over the selection's hole map finds
 * that the picture will have a hole pixel.
 */
#include "config.h"
#include "commands.h"
#include "cli.h"
#include "json.h"
#include "output.h"
#include "pixel.h"
#include "hilbert.h"
#include "hilbert_canvas.h"
#include "hilbert_entropy.h"
#include "gilbert.h"
#include "util.h"
#include "image.h"
#include "rowpack.h"
#include "picture.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

const char cmd_image_help[] =
	"Usage: memlens image SOURCE -o OUT.png|.bmp|.tif|.jpg|.webp|- [OPTIONS]\n"
	"Draw the selected bytes as a picture: pixel i is bytes [i*B, i*B+B) of the\n"
	"selection (B = bpp/8), rows top to bottom, regions in address order.\n"
	"The format follows OUT's extension: PNG, BMP, TIFF (.tif, .tiff), JPEG\n"
	"(.jpg, .jpeg) or WebP; -o - writes PNG to standard output.\n\n"
	"  -o, --output OUT      the picture to write (required)\n"
	"  --bpp 8|16|24|32      bits per pixel (default 24): 24 = R,G,B bytes;\n"
	"                        32 = R,G,B + a 4th byte ignored unless --alpha;\n"
	"                        16 = X1R5G5B5 little-endian; 8 = palette index\n"
	"  --width N|square      pixels per row.  Default 1024, or, when that would\n"
	"                        make the picture over 16 times taller than wide,\n"
	"                        the square's width (said on stderr).  square: a\n"
	"                        W x W picture, the smallest that holds everything\n"
	"                        (rows past the last byte are unused canvas)\n"
	"  --order rgb|bgr       byte order of 24/32 bpp pixels (bgr: Dump2Picture)\n"
	"  --palette NAME        8 bpp colours: gray (default), byteclass (binvis.io:\n"
	"                        0x00 black, control green, printable blue, high red,\n"
	"                        0xFF white), cubehelix (perceptual), entropy (each\n"
	"                        byte: Shannon entropy of the 256 bytes centred on it\n"
	"                        over 8 bits; black 0, red, orange, yellow, white 1)\n"
	"  --layout rows|hilbert rows (default), or pixel i at cell i of a Hilbert\n"
	"                        curve, held in memory up to 256 MiB (beyond that\n"
	"                        give --fit)\n"
	"  --curve hilbert|gilbert\n"
	"                        hilbert (default): the classic curve on the\n"
	"                        smallest power-of-two square that holds the\n"
	"                        selection (binvis: start top-left, y down, end\n"
	"                        bottom-left; the rest navy); gilbert: the\n"
	"                        generalized curve on a near-square rectangle with\n"
	"                        less than a column unused (taller: ends\n"
	"                        bottom-left; wider, as --fit's box may make it:\n"
	"                        top-right)\n"
	"  --alpha               32 bpp: the 4th byte is alpha (PNG, TIFF, WebP)\n"
	"  --holes mark|skip     uncaptured bytes keep their place in magenta\n"
	"                        (default), or are left out\n"
	"  --bottom-up           BMP: store rows bottom-up (the picture is the same)\n"
	"  --scale N             thumbnail: average each N x N block of pixels\n"
	"  --fit WxH             thumbnail that fits in W x H: without --width, rows\n"
	"                        as wide as give the box's shape, shrunk by the\n"
	"                        smallest N that fits (1 GiB into 1000x1000: about\n"
	"                        1000 x 1000); with --width, that row shape shrunk\n"
	"                        to fit (its size said on stderr).  hilbert: the\n"
	"                        largest power-of-two square that fits, each cell\n"
	"                        the average of its 2^k x 2^k block\n"
	"  --dpi N               record N dots per inch (PNG pHYs, BMP header, TIFF\n"
	"                        resolution, JPEG JFIF), for printing at a size\n"
	"  --level 0-9           compression: PNG and TIFF deflate (0 stored, 1-3\n"
	"                        ISA-L, default 2; 4-9 zlib, smaller and slower),\n"
	"                        TIFF zstd (default 3), WebP lossless effort (default 1)\n"
	"  --threads N           PNG and TIFF compression threads (default: every core)\n"
	"  --compress deflate|zstd|lzw|none\n"
	"                        TIFF strip compression (default deflate)\n"
	"  --quality 1-100       JPEG quality (default 90); WebP: lossy at this quality\n"
	"                        (WebP is lossless without it)\n"
	"  --progressive         JPEG: progressive (built in memory: 6 bytes a pixel,\n"
	"                        up to 256 MiB)\n"
	"  --map FILE.json       write which pixels each region covers\n\n";

enum {
	OPT_BPP = ML_OPT_FIRST_CMD, OPT_WIDTH, OPT_ORDER, OPT_PALETTE, OPT_ALPHA,
	OPT_HOLES, OPT_BOTTOM_UP, OPT_SCALE, OPT_FIT, OPT_DPI, OPT_LEVEL, OPT_THREADS,
	OPT_LAYOUT, OPT_COMPRESS, OPT_QUALITY, OPT_PROGRESSIVE, OPT_CURVE,
};

/* image's own options; -o and --map, like the source options, are cli.c's. */
const struct option cmd_image_opts[] = {
	{ "bpp", required_argument, NULL, OPT_BPP },
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ "order", required_argument, NULL, OPT_ORDER },
	{ "palette", required_argument, NULL, OPT_PALETTE },
	{ "alpha", no_argument, NULL, OPT_ALPHA },
	{ "holes", required_argument, NULL, OPT_HOLES },
	{ "bottom-up", no_argument, NULL, OPT_BOTTOM_UP },
	{ "scale", required_argument, NULL, OPT_SCALE },
	{ "fit", required_argument, NULL, OPT_FIT },
	{ "dpi", required_argument, NULL, OPT_DPI },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "compress", required_argument, NULL, OPT_COMPRESS },
	{ "quality", required_argument, NULL, OPT_QUALITY },
	{ "progressive", no_argument, NULL, OPT_PROGRESSIVE },
	{ "curve", required_argument, NULL, OPT_CURVE },
	{ NULL, 0, NULL, 0 },
};

#define MAX_WIDTH (1u << 24)
#define BLOCK ((size_t)1 << 20)	/* bytes read at once */

struct job {
	struct ml_pixfmt fmt;
	const char *out;
	const char *map;
	const struct ml_img_format *ifmt;	/* OUT's format */
	bool is_bmp;		/* its 8 bpp pictures are palette indices, holes a checkerboard */
	bool square, skip, bottom_up;
	bool hilbert, width_set;	/* --layout hilbert; --width given */
	bool gilbert, curve_set;	/* --curve gilbert: the generalized curve */
	uint64_t width;
	uint64_t scale;
	uint64_t fit_w, fit_h;
	unsigned dpi, threads;
	int level, quality;
	bool progressive;
	enum ml_img_compress compress;

	/* derived */
	unsigned B, ch;		/* bytes per pixel; display channels */
	bool has_holes, has_unused;	/* the picture has such pixels (8 bpp PNG: decides ch) */
	uint64_t bytes, npix, height, out_w, out_h;

	/* the writer; full-size rows go through the rowpack (fast) */
	struct ml_img *img;
	struct ml_rowpack rp;
	bool fast;
	enum ml_img_layout layout;	/* of the rows given to img */

	/* row assembly */
	uint8_t *raw, *state, *disp, *outrow;	/* state: enum ml_px per pixel */
	size_t fill;		/* bytes in raw */
	uint64_t row;		/* full-size rows emitted */
	uint64_t *sum;		/* thumbnail band: per output column and channel */
	uint32_t *count;	/* data pixels per output column */
	uint8_t *bandhole;	/* the column's block has hole pixels */
	uint64_t band_rows;
	uint64_t out_rows;
	uint64_t late_holes;	/* hole bytes a picture without hole colour met */

	/* --layout hilbert: the picture, held whole */
	struct ml_hcanvas hc;
	unsigned horder;	/* order of the full-size curve */
	unsigned hshift;	/* 2k: full-size pixels per output cell = 1 << hshift */
	/* --palette entropy: the filter and its output */
	struct ml_entropy *ent;
	uint8_t *eval, *ehole;

	char note[320];		/* what was chosen for the user, said once the plan holds */

	/* progress */
	uint64_t done;
	struct timespec t0, last;
	bool progress;
};

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

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void progress(struct job *j, bool final)
{
	if (!j->progress)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (final) {
		ml_progress_end(stderr);
		return;
	}
	if (elapsed(&j->t0, &now) < 1.0 || elapsed(&j->last, &now) < 0.25)
		return;
	char a[32], b[32];
	ml_progress(stderr, "memlens: image: %3.0f%% (%s of %s)", 100.0 * (double)j->done / (double)j->bytes,
		    ml_human_size(j->done, a, sizeof a), ml_human_size(j->bytes, b, sizeof b));
	j->last = now;
}

static int write_out_row(struct job *j, const uint8_t *row)
{
	const char *why;
	j->out_rows++;
	if (ml_img_rows(j->img, row, (size_t)j->out_w * j->ch, 1, &why)) {
		ml_err("%s: %s", j->out, why);
		return -1;
	}
	return 0;
}

/* Averages the band of up to `scale` rows into one output row. */
static int flush_band(struct job *j)
{
	for (uint64_t x = 0; x < j->out_w; x++) {
		uint8_t *o = j->outrow + x * j->ch;
		uint32_t c = j->count[x];
		if (!c && j->ch == 1)
			o[0] = j->is_bmp ? ml_bmp_checker(x, j->out_rows) : 0;
		else if (!c)
			ml_display_colour(j->bandhole[x] ? ML_PX_HOLE : ML_PX_UNUSED, j->ch, o);
		else
			for (unsigned k = 0; k < j->ch; k++)
				o[k] = (uint8_t)((j->sum[x * j->ch + k] + c / 2) / c);
	}
	memset(j->sum, 0, j->out_w * j->ch * sizeof *j->sum);
	memset(j->count, 0, j->out_w * sizeof *j->count);
	memset(j->bandhole, 0, j->out_w);
	j->band_rows = 0;
	return write_out_row(j, j->outrow);
}

/* One full-size row of raw pixels (raw + state) is ready. */
static int emit_row(struct job *j)
{
	uint64_t w = j->width;
	int r = 0;
	if (j->hilbert) {
		/* A batch of pixels, not a row: place those inside the selection. */
		uint64_t first = j->row * w, n = first < j->npix ? ML_MIN(w, j->npix - first) : 0;
		ml_pixels_to_display(&j->fmt, j->raw, j->state, (size_t)n, j->ch, j->disp);
		ml_hcanvas_put(&j->hc, j->disp, j->state, (size_t)n);
	} else {
		ml_pixels_to_display(&j->fmt, j->raw, j->state, w, j->ch, j->disp);
		for (uint64_t x = 0; x < w; x++) {
			uint64_t ox = x / j->scale;
			if (j->state[x] != ML_PX_DATA) {
				j->bandhole[ox] |= j->state[x] == ML_PX_HOLE;
				continue;
			}
			for (unsigned k = 0; k < j->ch; k++)
				j->sum[ox * j->ch + k] += j->disp[x * j->ch + k];
			j->count[ox]++;
		}
		if (++j->band_rows == j->scale)
			r = flush_band(j);
	}
	j->row++;
	j->fill = 0;
	memset(j->state, ML_PX_DATA, w);
	return r;
}

/*
 * Whole rows of holes in one step where the rows only accumulate (Hilbert
 * cells, reduced bands): a hostile dump's EiB of uncaptured memory costs
 * what its output does.  Returns the bytes taken (whole rows).
 */
static int hole_rows(struct job *j, size_t len, size_t *taken)
{
	size_t rowbytes = (size_t)j->width * j->B;
	uint64_t rows = len / rowbytes;
	*taken = 0;
	if (j->fill || !rows || (!j->hilbert && j->scale == 1))
		return 0;
	if (j->hilbert) {
		uint64_t first = j->row * j->width;
		uint64_t n = first < j->npix ? ML_MIN(rows * j->width, j->npix - first) : 0;
		ml_hcanvas_put_holes(&j->hc, n);
		j->row += rows;
	} else {
		for (uint64_t r = rows; r;) {
			uint64_t t = ML_MIN(r, j->scale - j->band_rows);
			memset(j->bandhole, 1, (size_t)j->out_w);
			j->band_rows += t;
			j->row += t;
			r -= t;
			if (j->band_rows == j->scale && flush_band(j))
				return -1;
		}
	}
	*taken = (size_t)(rows * rowbytes);
	return 0;
}

/* Appends len bytes (data, or hole when data is NULL) to the rows. */
static int feed(struct job *j, const uint8_t *data, size_t len)
{
	if (j->fast) {
		if (ml_rowpack_feed(&j->rp, data, len)) {
			ml_err("%s: %s", j->out, j->rp.why);
			return -1;
		}
		return 0;
	}
	size_t rowbytes = (size_t)j->width * j->B;
	while (len) {
		if (!data && !j->fill) {
			size_t taken;
			if (hole_rows(j, len, &taken))
				return -1;
			len -= taken;
			if (!len)
				break;
		}
		size_t n = ML_MIN(len, rowbytes - j->fill);
		if (data) {
			memcpy(j->raw + j->fill, data, n);
			data += n;
		} else {
			memset(j->raw + j->fill, 0, n);
			memset(j->state + j->fill / j->B, ML_PX_HOLE,
			       (j->fill + n - 1) / j->B - j->fill / j->B + 1);
		}
		j->fill += n;
		len -= n;
		if (j->fill == rowbytes && emit_row(j))
			return -1;
	}
	return 0;
}

/* Entropy values with their hole flags, as runs of data and of holes. */
static int feed_runs(struct job *j, const uint8_t *val, const uint8_t *hole, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t k = i + 1;
		while (k < n && hole[k] == hole[i])
			k++;
		if (feed(j, hole[i] ? NULL : val + i, k - i))
			return -1;
		i = k;
	}
	return 0;
}

/* The last partial row: a partial pixel keeps its bytes, the rest is unused canvas. */
static int finish_rows(struct job *j)
{
	if (j->fast) {
		if (ml_rowpack_finish(&j->rp, j->height)) {
			ml_err("%s: %s", j->out, j->rp.why);
			return -1;
		}
		j->out_rows = j->rp.y;
	} else if (j->fill) {
		size_t rowbytes = (size_t)j->width * j->B;
		size_t first_empty = (j->fill + j->B - 1) / j->B;
		memset(j->raw + j->fill, 0, rowbytes - j->fill);
		memset(j->state + first_empty, ML_PX_UNUSED, j->width - first_empty);
		if (emit_row(j))
			return -1;
	}
	/* Rows past the last byte (--width square): unused canvas. */
	while (!j->fast && !j->hilbert && j->row < j->height) {
		memset(j->state, ML_PX_UNUSED, j->width);
		if (emit_row(j))
			return -1;
	}
	if (j->hilbert) {
		ml_hcanvas_flush(&j->hc);
		for (uint32_t y = 0; y < j->hc.h; y++)
			if (write_out_row(j, j->hc.px + (size_t)y * j->hc.w * j->ch))
				return -1;
	} else if (j->scale > 1 && j->band_rows && flush_band(j)) {
		return -1;
	}
	if (j->out_rows != j->out_h) {
		ml_err("internal error: %llu of %llu rows drawn", (unsigned long long)j->out_rows,
		       (unsigned long long)j->out_h);
		return -1;
	}
	return 0;
}

/* Writes the --map JSON into o, which the caller commits with the picture. */
static int write_map(struct job *j, const struct ml_space *s, const struct ml_selection *sel,
		     struct ml_out *o)
{
	json_t *root = json_object(), *arr = json_array();
	json_object_set_new(root, "source", ml_json_source(s, NULL, NULL));
	json_object_set_new(root, "bpp", json_integer(j->fmt.bpp));
	json_object_set_new(root, "width", json_integer((json_int_t)j->out_w));
	json_object_set_new(root, "height", json_integer((json_int_t)j->out_h));
	json_object_set_new(root, "scale", json_integer((json_int_t)j->scale));
	json_object_set_new(root, "full_width", json_integer((json_int_t)j->width));
	json_object_set_new(root, "holes", json_string(j->skip ? "skip" : "mark"));
	uint64_t off = 0;
	for (size_t i = 0; i < sel->n; i++) {
		const struct ml_piece *p = &sel->p[i];
		const struct ml_region *r = &s->r[p->region];
		uint64_t len = p->end - p->start;
		if (j->skip)
			len = ml_piece_captured(s, p);
		if (!len)
			continue;
		uint64_t p0 = off / j->B, p1 = (off + len - 1) / j->B;
		json_t *e = json_object();
		char perms[5];
		ml_perms_str(r->prot, perms);
		json_object_set_new(e, "start", ml_json_hex(p->start));
		json_object_set_new(e, "end", ml_json_hex(p->end));
		json_object_set_new(e, "kind", json_string(ml_kind_name(r->kind)));
		json_object_set_new(e, "perms", json_string(perms));
		json_object_set_new(e, "path", ml_json_str(r->path));
		json_object_set_new(e, "stream_offset", json_integer((json_int_t)off));
		json_object_set_new(e, "first_pixel", json_integer((json_int_t)p0));
		json_object_set_new(e, "last_pixel", json_integer((json_int_t)p1));
		json_object_set_new(e, "first_row", json_integer((json_int_t)(p0 / j->width / j->scale)));
		json_object_set_new(e, "first_col", json_integer((json_int_t)(p0 % j->width / j->scale)));
		json_object_set_new(e, "last_row", json_integer((json_int_t)(p1 / j->width / j->scale)));
		json_object_set_new(e, "last_col", json_integer((json_int_t)(p1 % j->width / j->scale)));
		json_array_append_new(arr, e);
		off += len;
	}
	json_object_set_new(root, "regions", arr);
	if (ml_json_print(root, o->f)) {
		ml_err("%s: write failed: %s", j->map, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

static int parse_opts(struct job *j, struct ml_cli *cli, int argc, char **argv)
{
	uint64_t v;
	int c, p;
	bool order_set = false, level_set = false, quality_set = false, compress_set = false;
	ml_cli_init(cli, argc, argv);
	while ((c = ml_cli_next(cli)) > 0) {
		switch (c) {
		case OPT_BPP:
			if (ml_parse_uint(optarg, 8, 32, &v) || v % 8)
				return ml_usage_error("--bpp %s: expected 8, 16, 24 or 32", optarg), -1;
			j->fmt.bpp = (unsigned)v;
			break;
		case OPT_WIDTH:
			if (!strcmp(optarg, "square")) {
				j->square = true;
			} else if (ml_parse_uint(optarg, 1, MAX_WIDTH, &j->width)) {
				return ml_usage_error("--width %s: expected 1 to %u, or square", optarg,
						      MAX_WIDTH), -1;
			} else {
				j->square = false;
			}
			j->width_set = true;
			break;
		case OPT_LAYOUT:
			if (strcmp(optarg, "rows") && strcmp(optarg, "hilbert"))
				return ml_usage_error("--layout %s: expected rows or hilbert", optarg), -1;
			j->hilbert = !strcmp(optarg, "hilbert");
			break;
		case OPT_ORDER:
			if (strcmp(optarg, "rgb") && strcmp(optarg, "bgr"))
				return ml_usage_error("--order %s: expected rgb or bgr", optarg), -1;
			j->fmt.bgr = !strcmp(optarg, "bgr");
			order_set = true;
			break;
		case OPT_PALETTE:
			if ((p = ml_palette_parse(optarg)) < 0)
				return ml_usage_error("--palette %s: expected gray, byteclass, cubehelix or entropy",
						      optarg), -1;
			j->fmt.palette = (enum ml_palette)p;
			break;
		case OPT_ALPHA:
			j->fmt.alpha = true;
			break;
		case OPT_HOLES:
			if (strcmp(optarg, "mark") && strcmp(optarg, "skip"))
				return ml_usage_error("--holes %s: expected mark or skip", optarg), -1;
			j->skip = !strcmp(optarg, "skip");
			break;
		case OPT_BOTTOM_UP:
			j->bottom_up = true;
			break;
		case OPT_SCALE:
			if (ml_parse_uint(optarg, 1, 1u << 20, &j->scale))
				return ml_usage_error("--scale %s: expected 1 to 1048576", optarg), -1;
			break;
		case OPT_FIT:
			if (parse_wxh(optarg, &j->fit_w, &j->fit_h))
				return ml_usage_error("--fit %s: expected WIDTHxHEIGHT, e.g. 2000x2000", optarg), -1;
			break;
		case OPT_DPI:
			if (ml_parse_uint(optarg, 1, 100000, &v))
				return ml_usage_error("--dpi %s: expected 1 to 100000", optarg), -1;
			j->dpi = (unsigned)v;
			break;
		case OPT_LEVEL:
			if (ml_parse_uint(optarg, 0, 9, &v))
				return ml_usage_error("--level %s: expected 0 to 9", optarg), -1;
			j->level = (int)v;
			level_set = true;
			break;
		case OPT_THREADS:
			if (ml_parse_uint(optarg, 1, 256, &v))
				return ml_usage_error("--threads %s: expected 1 to 256", optarg), -1;
			j->threads = (unsigned)v;
			break;
		case OPT_COMPRESS: {
			static const char *const names[] = { [ML_IMG_COMPRESS_NONE] = "none",
				[ML_IMG_COMPRESS_DEFLATE] = "deflate", [ML_IMG_COMPRESS_LZW] = "lzw",
				[ML_IMG_COMPRESS_ZSTD] = "zstd" };
			j->compress = ML_IMG_COMPRESS_DEFAULT;
			for (int k = ML_IMG_COMPRESS_NONE; k <= ML_IMG_COMPRESS_ZSTD; k++)
				if (!strcmp(optarg, names[k]))
					j->compress = (enum ml_img_compress)k;
			if (j->compress == ML_IMG_COMPRESS_DEFAULT)
				return ml_usage_error("--compress %s: expected deflate, zstd, lzw or none", optarg), -1;
			compress_set = true;
			break;
		}
		case OPT_QUALITY:
			if (ml_parse_uint(optarg, 1, 100, &v))
				return ml_usage_error("--quality %s: expected 1 to 100", optarg), -1;
			j->quality = (int)v;
			quality_set = true;
			break;
		case OPT_PROGRESSIVE:
			j->progressive = true;
			break;
		case OPT_CURVE:
			if (strcmp(optarg, "hilbert") && strcmp(optarg, "gilbert"))
				return ml_usage_error("--curve %s: expected hilbert or gilbert", optarg), -1;
			j->gilbert = !strcmp(optarg, "gilbert");
			j->curve_set = true;
			break;
		}
	}
	if (c < 0 || ml_cli_done(cli))
		return -1;
	j->out = cli->out;
	j->map = cli->map;
	/* The extension names the format; "-", a device or a FIFO without one get PNG. */
	const char *ext = ml_path_ext(j->out);
	j->ifmt = !*ext && ml_out_is_stream(j->out) ? ml_img_format_named("PNG") : ml_img_format_for(ext);
	if (!j->ifmt)
		return ml_usage_error("%s: unknown picture format (use %s)", j->out, ml_img_extensions()), -1;
	const char *name = j->ifmt->name;
	bool is_png = !strcmp(name, "PNG"), is_tiff = !strcmp(name, "TIFF"), is_jpeg = !strcmp(name, "JPEG");
	bool is_webp = !strcmp(name, "WebP");
	j->is_bmp = !strcmp(name, "BMP");
	if (j->fit_w && j->scale != 1)
		return ml_usage_error("--fit and --scale exclude each other"), -1;
	if (j->fmt.alpha && j->fmt.bpp != 32)
		return ml_usage_error("--alpha needs --bpp 32"), -1;
	if (j->fmt.alpha && !ml_img_has_alpha(j->ifmt) && !j->is_bmp)
		return ml_cli_refuse("--alpha", "a %s has no alpha channel (%s)", name, j->out);
	if (j->fmt.palette != ML_PAL_GRAY && j->fmt.bpp != 8)
		return ml_usage_error("--palette needs --bpp 8"), -1;
	if (j->bottom_up && !j->is_bmp)
		return ml_cli_refuse("--bottom-up", "it orders BMP rows; %s is a %s", j->out, name);
	if (level_set && !is_png && !is_tiff && !is_webp)
		return ml_cli_refuse("--level", "it is PNG's, TIFF's and WebP's compression; %s is a %s", j->out, name);
	if (level_set && is_webp && quality_set)
		return ml_cli_refuse("--level", "it is lossless WebP's effort; --quality makes a lossy WebP");
	if (level_set && is_tiff && (j->compress == ML_IMG_COMPRESS_LZW || j->compress == ML_IMG_COMPRESS_NONE))
		return ml_cli_refuse("--level", "--compress lzw and none have no levels");
	if (j->threads && !is_png && !is_tiff)
		return ml_cli_refuse("--threads", "they compress PNG and TIFF; %s is a %s", j->out, name);
	if (compress_set && !is_tiff)
		return ml_cli_refuse("--compress", "it compresses TIFF strips; %s is a %s", j->out, name);
	if (quality_set && !is_jpeg && !is_webp)
		return ml_cli_refuse("--quality", "it is JPEG's and WebP's; %s is a %s", j->out, name);
	if (j->progressive && !is_jpeg)
		return ml_cli_refuse("--progressive", "it is JPEG's; %s is a %s", j->out, name);
	if (j->dpi && is_webp)
		return ml_cli_refuse("--dpi", "a WebP has no resolution field");
	if (order_set && j->fmt.bpp < 24)
		return ml_cli_refuse("--order", "it orders the bytes of 24 and 32 bpp pixels, not %u bpp",
				     j->fmt.bpp);
	if (j->curve_set && !j->hilbert)
		return ml_cli_refuse("--curve", "it chooses the curve of --layout hilbert");
	if (j->hilbert) {
		if (j->width_set)
			return ml_usage_error("--layout hilbert sets its own size: drop --width"), -1;
		if (j->scale != 1)
			return ml_usage_error("--layout hilbert shrinks by --fit, not --scale"), -1;
		if (j->map)
			return ml_usage_error("--map describes the rows layout only"), -1;
	}
	return 0;
}

/*
 * Whether a chunk of the stream is left out of the picture: a hole the
 * source announced (past what it captured) under --holes skip.  Holes met
 * inside captured bytes (a live page that would not read) keep their place.
 */
static bool left_out(const struct job *j, const struct ml_space *s, const struct ml_selection *sel,
		     const struct ml_chunk *c)
{
	return c->hole && j->skip && c->addr >= ml_region_cap_end(&s->r[sel->p[c->piece].region]);
}

/*
 * The first pass of an 8 bpp PNG: will the picture have a hole pixel?
 * Its colour type (gray, or gray with alpha) is written before the first
 * row, so the selection's hole map is read first, through the same read
 * path and the same rules as the pixels.  File sources (cores, LiME, raw)
 * answer from what they captured without reading a byte; a live process
 * can only tell by reading (/proc/PID/mem fails on what it cannot give),
 * so there this pass reads the bytes once more (bench/image.sh measures
 * the cost).  It stops at the first hole pixel.  A reduced picture has a
 * hole pixel only where a whole block (--scale N x N, or 4^k cells of
 * --layout hilbert --fit) is holes without data.
 */
struct holescan {
	uint64_t pos;		/* pixels so far */
	uint64_t block;		/* the band (rows) or output cell (hilbert) being gathered */
	uint8_t *cols;		/* rows: per output column of the band, SEEN_* */
	uint8_t cell;		/* hilbert: SEEN_* of the cell */
	bool found;
};

enum { SEEN_DATA = 1, SEEN_HOLE = 2 };

static void scan_band_end(const struct job *j, struct holescan *h)
{
	for (uint64_t x = 0; x < j->out_w; x++)
		if (h->cols[x] == SEEN_HOLE)
			h->found = true;
	memset(h->cols, 0, j->out_w);
}

/* Marks the output columns of full-size columns [x0, x1) of the band. */
static void scan_cols(const struct job *j, struct holescan *h, uint64_t x0, uint64_t x1, uint8_t seen)
{
	for (uint64_t ox = x0 / j->scale; ox <= (x1 - 1) / j->scale; ox++)
		h->cols[ox] |= seen;
}

/* n pixels of data or of holes, next in the stream. */
static void scan_run(const struct job *j, struct holescan *h, uint64_t n, bool hole)
{
	uint64_t p0 = h->pos, p1 = h->pos + n;
	uint8_t seen = hole ? SEEN_HOLE : SEEN_DATA;
	h->pos = p1;
	if (!n)
		return;
	if (j->hilbert ? j->hshift == 0 : j->scale == 1) {
		h->found |= hole;
	} else if (j->hilbert) {
		uint64_t c0 = p0 >> j->hshift, c1 = (p1 - 1) >> j->hshift;
		if (c0 != h->block) {
			h->found |= h->cell == SEEN_HOLE;
			h->block = c0, h->cell = 0;
		}
		h->cell |= seen;
		if (c1 != c0) {
			/* cells after the first lie inside this run up to the last */
			h->found |= h->cell == SEEN_HOLE || (hole && c1 > c0 + 1);
			h->block = c1, h->cell = seen;
		}
	} else {
		uint64_t w = j->width, band_px = j->scale * w;
		while (p0 < p1) {
			uint64_t band = p0 / band_px, e = ML_MIN(p1, (band + 1) * band_px);
			if (band != h->block) {
				scan_band_end(j, h);
				h->block = band;
			}
			uint64_t x0 = p0 % w, x1 = x0 + (e - p0);
			if (e - p0 >= w) {
				scan_cols(j, h, 0, w, seen);
			} else if (x1 <= w) {
				scan_cols(j, h, x0, x1, seen);
			} else {
				scan_cols(j, h, x0, w, seen);
				scan_cols(j, h, 0, x1 - w, seen);
			}
			p0 = e;
		}
	}
}

static bool scan_holes(const struct job *j, struct ml_space *s, const struct ml_selection *sel)
{
	struct holescan h = { 0 };
	bool reduced = j->hilbert ? j->hshift > 0 : j->scale > 1;
	if (reduced && !j->hilbert)
		h.cols = ml_calloc((size_t)j->out_w, 1);
	struct ml_stream *st = ml_stream_new_holes(s, sel, BLOCK);
	ml_stream_long_holes(st);
	struct ml_chunk c;
	while (!h.found && ml_stream_next(st, &c))
		if (!left_out(j, s, sel, &c))
			scan_run(j, &h, c.len, c.hole);	/* 8 bpp: a byte is a pixel */
	ml_stream_free(st);
	if (reduced && j->hilbert)
		h.found |= h.cell == SEEN_HOLE;
	else if (reduced)
		scan_band_end(j, &h);
	free(h.cols);
	return h.found;
}

/* The picture as its writer sees it: geometry, the rows' layout, the format's options. */
static struct ml_img_info img_info(const struct job *j)
{
	return (struct ml_img_info){
		.width = (uint32_t)ML_MIN(j->out_w, UINT32_MAX),
		.height = (uint32_t)ML_MIN(j->out_h, UINT32_MAX),
		.layout = j->layout,
		.palette = j->layout == ML_IMG_PALETTE ? ml_palette_rgb(j->fmt.palette) : NULL,
		.npalette = j->layout == ML_IMG_PALETTE ? 256 : 0,
		.dpi = j->dpi,
		.level = j->level,
		.threads = j->threads,
		.quality = j->quality,
		.lossy = j->quality > 0 && !strcmp(j->ifmt->name, "WebP"),
		.progressive = j->progressive,
		.compress = j->compress,
		.bottom_up = j->bottom_up,
	};
}

/*
 * The rows' layout for the channels decided so far, and whether the format
 * can hold such a picture at all: refused before any output exists, with
 * the --fit that would make one it can hold.
 */
static int check_writer(struct job *j)
{
	if (j->fast)
		j->layout = ml_pixel_layout(&j->fmt, j->ch, j->ifmt);
	else
		j->layout = j->ch == 1 ? ML_IMG_GRAY : j->ch == 3 ? ML_IMG_RGB : ML_IMG_RGBA;
	struct ml_img_info i = img_info(j);
	const char *why = ml_img_check(j->ifmt, &i);
	if (!why)
		return 0;
	/* JPEG's and WebP's limits are sides and pixels: a thumbnail fits them. */
	uint32_t box = !strcmp(j->ifmt->name, "JPEG") ? j->ifmt->max_side :
		       !strcmp(j->ifmt->name, "WebP") ? 8192 : 0;
	if (box && !j->progressive)
		ml_err("%s: %s: give --fit %ux%u, or write a .png or .tif", j->out, why, box, box);
	else
		ml_err("%s: %s", j->out, why);
	return -1;
}

/*
 * --layout hilbert: the curve of the smallest order that holds npix, shrunk
 * by 2^k to the largest square inside --fit; the canvas is held whole, so
 * its size is capped.
 */
/*
 * --layout hilbert --curve gilbert: the generalized curve on a near-square
 * rectangle that holds npix (less than a column unused), or with --fit on
 * a rectangle of the box's shape shrunk by the smallest N that fits; the
 * canvas is held whole (sums for every output pixel when shrunk).  For an
 * 8 bpp picture the hole pass counts any hole: a shrunk gilbert block is
 * not a run of the stream, so whether one is only holes is not known
 * before drawing (the picture may get alpha it does not need).
 */
static int plan_gilbert(struct job *j, struct ml_space *s, const struct ml_selection *sel)
{
	uint32_t fw, fh, n = 1;
	if (j->npix > ((uint64_t)1 << 62)) {
		ml_err("%llu pixels are too many for one curve: select less", (unsigned long long)j->npix);
		return -1;
	}
	if (j->fit_w) {
		long double a = (long double)j->fit_w / (long double)j->fit_h;
		long double w = ceill(sqrtl((long double)j->npix * a));
		uint64_t W = w < 1 ? 1 : (uint64_t)w, H = ML_DIV_UP(j->npix, W);
		uint64_t N = ML_MAX(ML_MAX(ML_DIV_UP(W, j->fit_w), ML_DIV_UP(H, j->fit_h)), 1);
		if (W > UINT32_MAX || H > UINT32_MAX || N > ML_HCANVAS_MAX_N) {
			ml_err("%llu pixels are too many to shrink into --fit %llux%llu on one curve: select less or give a larger box",
			       (unsigned long long)j->npix, (unsigned long long)j->fit_w, (unsigned long long)j->fit_h);
			return -1;
		}
		fw = (uint32_t)W, fh = (uint32_t)H, n = (uint32_t)N;
	} else {
		if (j->npix > (uint64_t)UINT32_MAX * UINT32_MAX / 2) {
			ml_err("%llu pixels are too many for one curve: give --fit", (unsigned long long)j->npix);
			return -1;
		}
		ml_gilbert_shape(j->npix, &fw, &fh);
	}
	j->hshift = 0;	/* the hole pass: any hole counts */
	j->width = 65536;
	j->height = ML_DIV_UP(j->npix, j->width);
	j->out_w = (fw + (uint64_t)n - 1) / n;
	j->out_h = (fh + (uint64_t)n - 1) / n;
	unsigned ch = ml_display_channels(&j->fmt, false, false);
	for (int pass = 0; pass < 2; pass++) {
		if (pass) {
			j->has_unused = (uint64_t)fw * fh > j->npix;
			j->has_holes = j->fmt.bpp == 8 && scan_holes(j, s, sel);
			ch = j->ch = ml_display_channels(&j->fmt, j->has_holes, j->has_unused);
		}
		uint64_t need = ml_hcanvas_gilbert_bytes(fw, fh, n, ch);
		if (need > ML_HCANVAS_CAP) {
			char a[32], b[32];
			ml_err("a %llux%llu picture needs %s in memory, over the %s cap of --layout hilbert: give --fit, e.g. --fit 4096x4096",
			       (unsigned long long)j->out_w, (unsigned long long)j->out_h, ml_human_size(need, a, sizeof a),
			       ml_human_size(ML_HCANVAS_CAP, b, sizeof b));
			return -1;
		}
	}
	if (check_writer(j))
		return -1;
	uint8_t fill[4], hole[4];
	ml_display_colour(ML_PX_UNUSED, j->ch, fill);
	ml_display_colour(ML_PX_HOLE, j->ch, hole);
	if (ml_hcanvas_init_gilbert(&j->hc, fw, fh, n, j->ch, fill, hole)) {
		ml_err("a %llux%llu picture does not fit in memory: give --fit, e.g. --fit 4096x4096",
		       (unsigned long long)j->out_w, (unsigned long long)j->out_h);
		return -1;
	}
	return 0;
}

static int plan_hilbert(struct job *j, struct ml_space *s, const struct ml_selection *sel)
{
	if (j->gilbert)
		return plan_gilbert(j, s, sel);
	j->horder = ml_hilbert_order_for(j->npix);
	if (j->horder > 16) {
		ml_err("%llu pixels need a Hilbert curve wider than 65536: select less",
		       (unsigned long long)j->npix);
		return -1;
	}
	unsigned k = 0;
	if (j->fit_w) {
		uint64_t box = ML_MIN(j->fit_w, j->fit_h);
		while (k < j->horder && ((uint64_t)1 << (j->horder - k)) > box)
			k++;
	}
	uint64_t side = (uint64_t)1 << (j->horder - k);
	j->hshift = 2 * k;
	j->width = 65536;	/* pixels per batch handed to the canvas */
	j->height = ML_DIV_UP(j->npix, j->width);
	j->out_w = j->out_h = side;
	/* Refuse an oversized canvas before the hole pass, with the fewest channels it could have. */
	unsigned ch = ml_display_channels(&j->fmt, false, false);
	for (int pass = 0; pass < 2; pass++) {
		if (pass) {
			j->has_unused = ((side * side - 1) << j->hshift) >= j->npix;
			j->has_holes = j->fmt.bpp == 8 && scan_holes(j, s, sel);
			ch = j->ch = ml_display_channels(&j->fmt, j->has_holes, j->has_unused);
		}
		if (side * side * ch > ML_HCANVAS_CAP) {
			char a[32], b[32];
			ml_err("a %llux%llu picture needs %s in memory, over the %s cap of --layout hilbert: give --fit, e.g. --fit 4096x4096",
			       (unsigned long long)side, (unsigned long long)side,
			       ml_human_size(side * side * ch, a, sizeof a), ml_human_size(ML_HCANVAS_CAP, b, sizeof b));
			return -1;
		}
	}
	if (check_writer(j))
		return -1;
	uint8_t fill[4], hole[4];
	ml_display_colour(ML_PX_UNUSED, j->ch, fill);
	ml_display_colour(ML_PX_HOLE, j->ch, hole);
	if (ml_hcanvas_init(&j->hc, j->horder - k, k, j->ch, fill, hole)) {
		ml_err("a %llux%llu picture does not fit in memory: give --fit, e.g. --fit 4096x4096",
		       (unsigned long long)side, (unsigned long long)side);
		return -1;
	}
	return 0;
}

/*
 * The rows' shape: pixels a row, rows, and --fit's shrink factor.
 *  - --width N: N.  --width square: the smallest square that holds the
 *    selection (its last rows unused canvas when the pixels run out).
 *  - Neither: 1024, unless the picture would then be more than 16 times
 *    taller than wide (few programs open a 1024 x 700,000 strip): then
 *    the square's side, said in one line.
 *  - --fit WxH without --width: the width that gives the box's aspect, so
 *    the picture fills the box; with --width, that row shape shrunk until
 *    it fits, its size said in one line.
 */
static int plan_size(struct job *j)
{
	char h[32];
	if (j->fit_w && !j->width_set) {
		long double a = (long double)j->fit_w / (long double)j->fit_h;
		long double w = ceill(sqrtl((long double)j->npix * a));
		j->width = w < 1 ? 1 : w > MAX_WIDTH ? MAX_WIDTH : (uint64_t)w;
	} else if (j->square) {
		j->width = ML_MAX(ml_square_side(j->npix), 1);
	} else if (!j->width_set && ML_DIV_UP(j->npix, j->width) > 16 * j->width) {
		uint64_t w0 = j->width, tall = ML_DIV_UP(j->npix, w0);
		j->width = ML_MAX(ml_square_side(j->npix), 1);
		snprintf(j->note, sizeof j->note,
			 "%s at %llu pixels a row would be %llu rows, over 16 times taller than wide: drawn %llu pixels a row instead, about a square (--width chooses)",
			 ml_human_size(j->bytes, h, sizeof h), (unsigned long long)w0, (unsigned long long)tall,
			 (unsigned long long)j->width);
	}
	if (j->width > MAX_WIDTH) {
		ml_err("a square of %llu pixels a side is too wide; give --width", (unsigned long long)j->width);
		return -1;
	}
	j->height = j->square ? j->width : ML_DIV_UP(j->npix, j->width);
	if (j->fit_w) {
		uint64_t a = ML_DIV_UP(j->width, j->fit_w);
		uint64_t b = ML_DIV_UP(j->height, j->fit_h);
		j->scale = ML_MAX(ML_MAX(a, b), 1);
	}
	j->out_w = ML_DIV_UP(j->width, j->scale);
	j->out_h = ML_DIV_UP(j->height, j->scale);
	if (j->fit_w && j->width_set)
		snprintf(j->note, sizeof j->note,
			 "--fit %llux%llu at --width %llu: %llu x %llu pixels shrunk %llu times to %llu x %llu (without --width the picture takes the box's shape)",
			 (unsigned long long)j->fit_w, (unsigned long long)j->fit_h, (unsigned long long)j->width,
			 (unsigned long long)j->width, (unsigned long long)j->height, (unsigned long long)j->scale,
			 (unsigned long long)j->out_w, (unsigned long long)j->out_h);
	return 0;
}

/* Width, height, thumbnail factor and output format; -1 after a diagnostic. */
static int plan(struct job *j, struct ml_space *s, const struct ml_selection *sel)
{
	uint64_t holes = sel->bytes - ml_selection_captured(s, sel);
	j->B = j->fmt.bpp / 8;
	j->bytes = j->skip ? sel->bytes - holes : sel->bytes;
	if (!j->bytes) {
		ml_err("%s: nothing to draw: the selection has no %sbytes", s->name,
		       j->skip ? "captured " : "");
		return -1;
	}
	j->npix = ML_DIV_UP(j->bytes, j->B);
	if (j->hilbert)
		return plan_hilbert(j, s, sel);
	if (plan_size(j))
		return -1;
	if (j->out_h > 0x7fffffff) {
		ml_err("the picture would be %llu rows high; give a larger --width or --scale",
		       (unsigned long long)j->out_h);
		return -1;
	}
	/* Unused: an output pixel none of whose pixels holds a byte (the last block's first is past the end). */
	uint64_t last_band = (j->out_h - 1) * j->scale * j->width;
	j->has_unused = last_band >= j->npix || (j->out_w - 1) * j->scale >= j->npix - last_band;
	j->fast = j->scale == 1;
	if (j->is_bmp) {
		/* A BMP's depth is the bytes': no alpha to decide, so no first pass. */
		j->ch = ml_display_channels(&j->fmt, false, false);
		if (check_writer(j))
			return -1;
		if (j->fmt.bpp == 8 && j->scale == 1 && holes && !j->skip)
			ml_warn("an 8 bpp BMP has no spare colour: holes are drawn as a black and white checkerboard (use PNG or --bpp 24 to see them in magenta)");
		return 0;
	}
	/* Refused sizes are said before the first pass reads anything. */
	j->ch = ml_display_channels(&j->fmt, false, false);
	if (check_writer(j))
		return -1;
	/* Only 8 bpp pictures change channels with holes: only they need the first pass. */
	j->has_holes = j->fmt.bpp == 8 && scan_holes(j, s, sel);
	j->ch = ml_display_channels(&j->fmt, j->has_holes, j->has_unused);
	return check_writer(j);
}

static int open_writer(struct job *j, const struct ml_out *out, struct ml_space *s,
		       const struct ml_selection *selection, const struct ml_cli *cli)
{
	char bpp[8], width[24], first[24], sel[512];
	snprintf(bpp, sizeof bpp, "%u", j->fmt.bpp);
	snprintf(width, sizeof width, "%llu", (unsigned long long)j->width);
	snprintf(first, sizeof first, "0x%llx", (unsigned long long)selection->p[0].start);
	ml_pic_selection_text(cli, sel, sizeof sel);
	/* tEXt is Latin-1 without control bytes: keep the escaped ASCII form. */
	char *name = ml_escape(s->name);
	const char *text[] = {
		"Software", PACKAGE_STRING, "Source", name, "Selection", sel,
		"Bits per pixel", bpp, "Width", width, "First address", first,
		"Layout", !j->hilbert ? "rows" : j->gilbert ? "gilbert" : "hilbert",
		"Palette", ml_palette_name(j->fmt.palette),
	};
	if (j->hilbert && j->gilbert)
		snprintf(width, sizeof width, "%u", j->hc.fw);
	else if (j->hilbert)
		snprintf(width, sizeof width, "%llu", (unsigned long long)j->out_w << (j->hc.shift / 2));
	struct ml_img_info i = img_info(j);
	i.text = text;
	i.ntext = ML_ARRAY_SIZE(text) / 2;
	struct ml_img_sink sink = { out->f, out->fd, out->seekable };
	const char *why;
	j->img = ml_img_begin(j->ifmt, &sink, &i, &why);
	free(name);
	if (!j->img) {
		ml_err("%s: %s", j->out, why);
		return -1;
	}
	if (j->fast && ml_rowpack_init(&j->rp, j->img, &j->fmt, j->layout, j->width)) {
		ml_err("internal error: %u bpp pixels cannot become %s rows", j->fmt.bpp, j->ifmt->name);
		return -1;
	}
	return 0;
}

/*
 * Dump2Picture's layout, whole rows of a file: when the picture's rows are
 * the bytes as they lie in the input (BMP: B,G,R rows a multiple of 4
 * bytes, X1R5G5B5, gray indices; no hole, no conversion), the rows of the
 * first piece go from the input file to the output by copy_file_range and
 * never pass through memory.  Returns the bytes of the selection so
 * drawn (0 when this does not apply), or -1 after a diagnostic; the
 * caller streams the rest.
 */
static int64_t copy_rows(struct job *j, struct ml_space *s, const struct ml_selection *sel, struct ml_out *out)
{
	if (!j->fast || !j->rp.same || j->ent || ml_space_can(s, ML_CAP_LIVE) || s->fd < 0 || !ml_img_raw_rows(j->img))
		return 0;
	const struct ml_piece *p = &sel->p[0];
	const struct ml_region *r = &s->r[p->region];
	if (p->start >= ml_region_cap_end(r))
		return 0;
	uint64_t avail = ML_MIN(p->end, ml_region_cap_end(r)) - p->start;
	size_t rowbytes = (size_t)j->width * j->B;
	uint64_t rows = avail / rowbytes, copied = 0;
	/* In steps of about 64 MiB: progress, and a full disk noticed early. */
	uint64_t step = ML_MAX((uint64_t)1, ((uint64_t)64 << 20) / rowbytes);
	while (copied < rows) {
		uint32_t want = (uint32_t)ML_MIN(rows - copied, step), done;
		const char *why;
		uint64_t off = r->src_off + (p->start - r->start) + copied * rowbytes;
		if (ml_img_copy_rows(j->img, s->fd, off, want, &done, &why)) {
			ml_err("%s: %s", j->out, why);
			return -1;
		}
		copied += done;
		ml_rowpack_skip(&j->rp, done);
		j->done += (uint64_t)done * rowbytes;
		progress(j, false);
		if (done < want || ml_out_check(out))
			break;
	}
	if (out->err)
		return ml_out_check(out), -1;
	return (int64_t)(copied * rowbytes);
}

int cmd_image(int argc, char **argv)
{
	struct job j = {
		.fmt = { .bpp = 24, .palette = ML_PAL_GRAY },
		.width = 1024,
		.scale = 1,
		.level = -1,
	};
	struct ml_cli cli = { 0 };
	struct ml_space *s = NULL;
	struct ml_selection sel = { 0 }, rest = { 0 };
	struct ml_stream *st = NULL;
	struct ml_out out, map;
	bool out_open = false, map_open = false;
	int ret = ML_EXIT_USAGE;

	if (parse_opts(&j, &cli, argc, argv))
		goto done;
	if ((ret = ml_cli_open(&cli, &s, &sel)))
		goto done;
	ret = ML_EXIT_FAIL;
	if (plan(&j, s, &sel))
		goto done;
	if (j.note[0])
		ml_note("%s", j.note);
	if (ml_out_open(&out, j.out, s))
		goto done;
	out_open = true;
	if (j.map) {
		if (ml_out_open(&map, j.map, s))
			goto done;
		map_open = true;
	}
	if (open_writer(&j, &out, s, &sel, &cli))
		goto done;

	size_t rowbytes = (size_t)j.width * j.B;
	unsigned disp_ch = ML_MAX(j.ch, j.B);
	if (!j.fast) {
		j.raw = ml_malloc(rowbytes);
		j.state = ml_calloc(j.width, 1);
		j.disp = ml_malloc((size_t)j.width * disp_ch);
	}
	if (j.scale > 1) {
		j.outrow = ml_malloc((size_t)j.out_w * j.ch);
		j.sum = ml_calloc((size_t)j.out_w * j.ch, sizeof *j.sum);
		j.count = ml_calloc((size_t)j.out_w, sizeof *j.count);
		j.bandhole = ml_calloc((size_t)j.out_w, 1);
	}
	if (j.fmt.palette == ML_PAL_ENTROPY) {
		j.ent = ml_malloc(sizeof *j.ent);
		ml_entropy_init(j.ent);
		j.eval = ml_malloc(BLOCK);
		j.ehole = ml_malloc(BLOCK);
	}
	j.progress = ml_isatty(STDERR_FILENO) && !ml_quiet;
	clock_gettime(CLOCK_MONOTONIC, &j.t0);
	j.last = j.t0;

	/* Whole rows straight from the input file where they can; the rest streamed. */
	int64_t copied = copy_rows(&j, s, &sel, &out);
	if (copied < 0)
		goto done;
	rest.n = sel.n;
	rest.bytes = sel.bytes - (uint64_t)copied;
	rest.p = ml_malloc(sel.n * sizeof *rest.p);
	memcpy(rest.p, sel.p, sel.n * sizeof *rest.p);
	rest.p[0].start += (uint64_t)copied;
	st = ml_stream_new(s, &rest, BLOCK);
	if (!j.ent)	/* entropy windows take a block of values at a time */
		ml_stream_long_holes(st);
	struct ml_chunk c;
	uint64_t surprise_holes = 0;
	while (ml_stream_next(st, &c)) {
		if (left_out(&j, s, &rest, &c))
			continue;
		if (c.hole && j.skip)
			surprise_holes += c.len;
		/* The first pass found no hole; the source changed since (a process exited). */
		if (c.hole && !j.is_bmp && j.ch == 1)
			j.late_holes += c.len;
		if (j.ent) {
			size_t n = ml_entropy_push(j.ent, c.hole ? NULL : c.data, c.len, j.eval, j.ehole);
			if (feed_runs(&j, j.eval, j.ehole, n))
				goto done;
		} else if (feed(&j, c.hole ? NULL : c.data, c.len)) {
			goto done;
		}
		j.done += c.len;
		progress(&j, false);
		if (ml_out_check(&out))	/* a full disk or a closed pipe: stop now */
			goto done;
	}
	if (j.ent && feed_runs(&j, j.eval, j.ehole, ml_entropy_finish(j.ent, j.eval, j.ehole)))
		goto done;
	if (finish_rows(&j))
		goto done;
	progress(&j, true);
	const char *why = NULL;
	struct ml_img *img = j.img;
	j.img = NULL;
	if (ml_img_end(img, &why)) {
		ml_err("%s: %s", j.out, why);
		goto done;
	}
	if (j.map && write_map(&j, s, &sel, &map))
		goto done;

	uint64_t holes = ml_stream_hole_bytes(st);
	if (holes) {
		char h[32];
		ml_warn("%s of the selection could not be read: %s", ml_human_size(holes, h, sizeof h),
			j.skip ? (surprise_holes ? "skipped where known, the rest drawn in magenta"
						  : "left out (--holes skip)")
			       : "drawn in the hole colour");
	}
	if (j.late_holes) {
		char h[32];
		ml_warn("%s turned unreadable after the hole pass had found none: drawn black, as this gray picture has no hole colour",
			ml_human_size(j.late_holes, h, sizeof h));
	}
	/* The exit status is decided before anything is committed: 1 leaves no file. */
	ret = ml_cli_finish(&cli, holes != 0);
	if (ret == ML_EXIT_OK) {
		struct ml_out *outs[] = { &out, &map };
		if (ml_out_commit_all(outs, map_open ? 2 : 1))
			ret = ML_EXIT_FAIL;
		out_open = map_open = false;
	}
done:
	ml_img_abort(j.img);
	ml_rowpack_free(&j.rp);
	free(rest.p);
	if (out_open)
		ml_out_abort(&out);
	if (map_open)
		ml_out_abort(&map);
	ml_stream_free(st);
	free(j.raw);
	free(j.state);
	free(j.bandhole);
	free(j.disp);
	free(j.outrow);
	free(j.sum);
	free(j.count);
	free(j.ent);
	free(j.eval);
	free(j.ehole);
	ml_hcanvas_free(&j.hc);
	ml_selection_free(&sel);
	ml_space_close(s);
	ml_cli_free(&cli);
	return ret;
}
