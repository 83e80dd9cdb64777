/*
 * cmd_image: `memlens image` — the selected bytes as a BMP or PNG picture.
 * Bytes stream through in blocks into the picture pipeline (picture.h),
 * which turns them into rows, so memory stays flat whatever the dump size.  Holes
 * keep their place in the hole colour (or are skipped), and the rest of
 * the last row is unused canvas (the unused colour): no byte is ever
 * dropped.  An 8 bpp PNG carries an alpha channel only when a pass over the
 * selection's hole map finds that the picture will have a hole pixel.
 */
#include "config.h"
#include "commands.h"
#include "cli.h"
#include "json.h"
#include "output.h"
#include "picture.h"
#include "pixel.h"
#include "hilbert_entropy.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char cmd_image_help[] =
	"Usage: memlens image SOURCE -o OUT.png|OUT.bmp|- [OPTIONS]\n"
	"Draw the selected bytes as a picture: pixel i is bytes [i*B, i*B+B) of the\n"
	"selection (B = bpp/8), rows top to bottom, regions in address order.\n"
	"The format follows OUT's extension; -o - writes PNG to standard output.\n\n"
	"  -o, --output OUT      the picture to write (required)\n"
	ML_PIC_HELP_BPP("ignored unless --alpha;")
	ML_PIC_HELP_PALETTE(", entropy (each\n"
	"                        byte: Shannon entropy of the 256 bytes centred on it\n"
	"                        over 8 bits; black 0, red, orange, yellow, white 1)")
	ML_PIC_HELP_LAYOUT
	"  --alpha               32 bpp: the 4th byte is alpha (PNG)\n"
	"  --holes mark|skip     uncaptured bytes keep their place in magenta\n"
	"                        (default), or are left out\n"
	"  --bottom-up           BMP: store rows bottom-up (the picture is the same)\n"
	"  --map FILE.json       write which pixels each region covers\n\n";

/* image's own options (all of them the shared image options); -o and --map, like the source options, are cli.c's. */
const struct option cmd_image_opts[] = {
	ML_PIC_OPTIONS_IMAGE,
	{ NULL, 0, NULL, 0 },
};

#define BLOCK ((size_t)1 << 20)	/* bytes read at once */

struct job {
	struct ml_picopts opt;
	struct ml_pic pic;
	const char *out;
	const char *map;
	bool is_png;
	bool has_holes;		/* the picture has hole pixels (8 bpp PNG: decides ch) */
	uint64_t late_holes;	/* hole bytes a picture without hole colour met */

	/* --palette entropy: the filter and its output */
	struct ml_entropy *ent;
	uint8_t *eval, *ehole;

	/* progress */
	uint64_t done;
	struct timespec t0, last;
	bool progress;
};

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
	ml_progress(stderr, "memlens: image: %3.0f%% (%s of %s)", 100.0 * (double)j->done / (double)j->pic.bytes,
		    ml_human_size(j->done, a, sizeof a), ml_human_size(j->pic.bytes, b, sizeof b));
	j->last = now;
}

/* Entropy values with their hole flags, as runs of data and of holes. */
static int feed_runs(struct job *j, const uint8_t *val, const uint8_t *hole, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t k = i + 1;
		while (k < n && hole[k] == hole[i])
			k++;
		if (ml_pic_feed(&j->pic, hole[i] ? NULL : val + i, k - i, hole[i] ? ML_PX_HOLE : ML_PX_DATA))
			return -1;
		i = k;
	}
	return 0;
}

/* Writes the --map JSON into o, which the caller commits with the picture. */
static int write_map(struct job *j, const struct ml_space *s, const struct ml_selection *sel,
		     struct ml_out *o)
{
	json_t *root = json_object(), *arr = json_array();
	json_object_set_new(root, "source", ml_json_source(s, NULL, NULL));
	ml_pic_map_head(&j->pic, root);
	uint64_t off = 0;
	for (size_t i = 0; i < sel->n; i++) {
		const struct ml_piece *p = &sel->p[i];
		const struct ml_region *r = &s->r[p->region];
		uint64_t len = p->end - p->start;
		if (j->opt.skip)
			len = ml_piece_captured(s, p);
		if (!len)
			continue;
		json_t *e = json_object();
		char perms[5];
		ml_perms_str(r->prot, perms);
		json_object_set_new(e, "start", ml_json_hex(p->start));
		json_object_set_new(e, "end", ml_json_hex(p->end));
		json_object_set_new(e, "kind", json_string(ml_kind_name(r->kind)));
		json_object_set_new(e, "perms", json_string(perms));
		json_object_set_new(e, "path", ml_json_str(r->path));
		ml_pic_map_place(&j->pic, e, off, len);
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
	int c;
	ml_cli_init(cli, argc, argv);
	while ((c = ml_cli_next(cli)) > 0)
		if (ml_picopts_parse(&j->opt, c, optarg) < 0)
			return -1;
	if (c < 0 || ml_cli_done(cli))
		return -1;
	j->out = cli->out;
	j->map = cli->map;
	return ml_picopts_check(&j->opt, j->out, false, j->map != NULL, &j->is_png);
}

/*
 * Whether a chunk of the stream is left out of the picture: a hole the
 * source announced (past what it captured) under --holes skip.  Holes met
 * inside captured bytes (a live page that would not read) keep their place.
 */
static bool left_out(const struct job *j, const struct ml_space *s, const struct ml_selection *sel,
		     const struct ml_chunk *c)
{
	return c->hole && j->opt.skip && c->addr >= ml_region_cap_end(&s->r[sel->p[c->piece].region]);
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
	for (uint64_t x = 0; x < j->pic.out_w; x++)
		if (h->cols[x] == SEEN_HOLE)
			h->found = true;
	memset(h->cols, 0, j->pic.out_w);
}

/* Marks the output columns of full-size columns [x0, x1) of the band. */
static void scan_cols(const struct job *j, struct holescan *h, uint64_t x0, uint64_t x1, uint8_t seen)
{
	for (uint64_t ox = x0 / j->pic.scale; ox <= (x1 - 1) / j->pic.scale; ox++)
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
	if (j->pic.o.hilbert ? j->pic.hshift == 0 : j->pic.scale == 1) {
		h->found |= hole;
	} else if (j->pic.o.hilbert) {
		uint64_t c0 = p0 >> j->pic.hshift, c1 = (p1 - 1) >> j->pic.hshift;
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
		uint64_t w = j->pic.width, band_px = j->pic.scale * w;
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
	bool reduced = j->pic.o.hilbert ? j->pic.hshift > 0 : j->pic.scale > 1;
	if (reduced && !j->pic.o.hilbert)
		h.cols = ml_calloc((size_t)j->pic.out_w, 1);
	struct ml_stream *st = ml_stream_new_holes(s, sel, BLOCK);
	ml_stream_long_holes(st);
	struct ml_chunk c;
	while (!h.found && ml_stream_next(st, &c))
		if (!left_out(j, s, sel, &c))
			scan_run(j, &h, c.len, c.hole);	/* 8 bpp: a byte is a pixel */
	ml_stream_free(st);
	if (reduced && j->pic.o.hilbert)
		h.found |= h.cell == SEEN_HOLE;
	else if (reduced)
		scan_band_end(j, &h);
	free(h.cols);
	return h.found;
}

/*
 * Width, height, thumbnail factor and channels; -1 after a diagnostic.
 * Only 8 bpp PNGs change channels with holes: only they need the first
 * pass (scan_holes) before the picture starts.
 */
static int plan(struct job *j, struct ml_space *s, const struct ml_selection *sel)
{
	uint64_t holes = sel->bytes - ml_selection_captured(s, sel);
	uint64_t bytes = j->opt.skip ? sel->bytes - holes : sel->bytes;
	if (!bytes) {
		ml_err("%s: nothing to draw: the selection has no %sbytes", s->name,
		       j->opt.skip ? "captured " : "");
		return -1;
	}
	ml_pic_init(&j->pic, &j->opt, j->out, j->is_png, ML_PX_DATA);
	if (ml_pic_plan(&j->pic, bytes))
		return -1;
	if (!j->is_png) {
		if (j->opt.fmt.bpp == 8 && j->pic.scale == 1 && holes && !j->opt.skip)
			ml_warn("an 8 bpp BMP has no spare colour: holes are drawn as a black and white checkerboard (use PNG or --bpp 24 to see them in magenta)");
		return 0;
	}
	j->has_holes = j->opt.fmt.bpp == 8 && scan_holes(j, s, sel);
	j->pic.ch = ml_display_channels(&j->opt.fmt, j->has_holes, j->pic.has_unused);
	return 0;
}

/* Starts the picture on f, with what a PNG's tEXt says about it. */
static int start(struct job *j, FILE *f, struct ml_space *s, const struct ml_selection *selection,
		 const struct ml_cli *cli)
{
	char bpp[8], width[24], first[24], sel[512];
	snprintf(bpp, sizeof bpp, "%u", j->opt.fmt.bpp);
	snprintf(width, sizeof width, "%llu", (unsigned long long)(j->opt.hilbert ?
		 j->pic.out_w << (j->pic.hshift / 2) : j->pic.width));
	snprintf(first, sizeof first, "0x%llx", (unsigned long long)selection->p[0].start);
	ml_pic_selection_text(cli, sel, sizeof sel);
	/* tEXt is Latin-1 without control bytes: keep the escaped ASCII form. */
	char *name = ml_escape(s->name);
	const char *text[] = {
		"Software", PACKAGE_STRING, "Source", name, "Selection", sel,
		"Bits per pixel", bpp, "Width", width, "First address", first,
		"Layout", j->opt.hilbert ? "hilbert" : "rows", "Palette", ml_palette_name(j->opt.fmt.palette),
	};
	int r = ml_pic_start(&j->pic, j->pic.ch, f, text, ML_ARRAY_SIZE(text) / 2);
	free(name);
	return r;
}

int cmd_image(int argc, char **argv)
{
	struct job j = { 0 };
	struct ml_cli cli = { 0 };
	struct ml_space *s = NULL;
	struct ml_selection sel = { 0 };
	struct ml_stream *st = NULL;
	struct ml_out out, map;
	bool out_open = false, map_open = false;
	int ret = ML_EXIT_USAGE;

	ml_picopts_init(&j.opt);
	ml_pic_init(&j.pic, &j.opt, NULL, false, ML_PX_DATA);
	if (parse_opts(&j, &cli, argc, argv))
		goto done;
	if ((ret = ml_cli_open(&cli, &s, &sel)))
		goto done;
	ret = ML_EXIT_FAIL;
	if (plan(&j, s, &sel))
		goto done;
	if (ml_out_open(&out, j.out, s))
		goto done;
	out_open = true;
	if (j.map) {
		if (ml_out_open(&map, j.map, s))
			goto done;
		map_open = true;
	}
	if (start(&j, out.f, s, &sel, &cli))
		goto done;
	if (j.opt.fmt.palette == ML_PAL_ENTROPY) {
		j.ent = ml_malloc(sizeof *j.ent);
		ml_entropy_init(j.ent);
		j.eval = ml_malloc(BLOCK);
		j.ehole = ml_malloc(BLOCK);
	}
	j.progress = ml_isatty(STDERR_FILENO) && !ml_quiet;
	clock_gettime(CLOCK_MONOTONIC, &j.t0);
	j.last = j.t0;

	st = ml_stream_new(s, &sel, BLOCK);
	if (!j.ent)	/* entropy windows take a block of values at a time */
		ml_stream_long_holes(st);
	struct ml_chunk c;
	uint64_t surprise_holes = 0;
	while (ml_stream_next(st, &c)) {
		if (left_out(&j, s, &sel, &c))
			continue;
		if (c.hole && j.opt.skip)
			surprise_holes += c.len;
		/* The first pass found no hole; the source changed since (a process exited). */
		if (c.hole && j.is_png && j.pic.ch == 1)
			j.late_holes += c.len;
		if (j.ent) {
			size_t n = ml_entropy_push(j.ent, c.hole ? NULL : c.data, c.len, j.eval, j.ehole);
			if (feed_runs(&j, j.eval, j.ehole, n))
				goto done;
		} else if (ml_pic_feed(&j.pic, c.hole ? NULL : c.data, c.len, c.hole ? ML_PX_HOLE : ML_PX_DATA)) {
			goto done;
		}
		j.done += c.len;
		progress(&j, false);
		if (ml_out_check(&out))	/* a full disk or a closed pipe: stop now */
			goto done;
	}
	if (j.ent && feed_runs(&j, j.eval, j.ehole, ml_entropy_finish(j.ent, j.eval, j.ehole)))
		goto done;
	progress(&j, true);
	if (ml_pic_finish(&j.pic))
		goto done;
	if (j.map && write_map(&j, s, &sel, &map))
		goto done;

	uint64_t holes = ml_stream_hole_bytes(st);
	if (holes) {
		char h[32];
		ml_warn("%s of the selection could not be read: %s", ml_human_size(holes, h, sizeof h),
			j.opt.skip ? (surprise_holes ? "skipped where known, the rest drawn in magenta"
						      : "left out (--holes skip)")
				   : "drawn in the hole colour");
	}
	if (j.late_holes) {
		char h[32];
		ml_warn("%s turned unreadable after the hole pass had found none: drawn black, as this gray PNG has no hole colour",
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
	ml_pic_free(&j.pic);
	if (out_open)
		ml_out_abort(&out);
	if (map_open)
		ml_out_abort(&map);
	ml_stream_free(st);
	free(j.ent);
	free(j.eval);
	free(j.ehole);
	ml_selection_free(&sel);
	ml_space_close(s);
	ml_cli_free(&cli);
	return ret;
}
