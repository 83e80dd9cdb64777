/*
 * picture: the picture pipeline that `image`, `diff` and `watch` share, so
 * that one set of rules draws all three.  It holds the image options (one
 * option table, one parser, one set of checks), the geometry (rows of
 * --width pixels or a Hilbert curve, shrunk by --scale or --fit), and the
 * path from bytes to output rows: pixel i takes bytes [i·B, i·B+B) of the
 * stream; each run of bytes comes with a state (enum ml_px), and a pixel
 * takes the strongest state of its bytes (a hole beats a removed byte, a
 * removed an added one, an added a changed one, a changed an unchanged
 * one); a thumbnail cell is the average of its coloured pixels.  Output
 * rows go to a PNG or BMP writer, streamed, or into a frame held in memory
 * (`watch`), where any whole block of the picture can be drawn again.
 */
#ifndef ML_PICTURE_H
#define ML_PICTURE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "hilbert_canvas.h"
#include "pixel.h"

/* The image options as given. */
struct ml_picopts {
	struct ml_pixfmt fmt;
	bool square, hilbert, width_set, skip, bottom_up;
	bool order_set, level_set;
	uint64_t width;		/* --width; 1024 by default */
	uint64_t scale;		/* --scale; 1 by default */
	uint64_t fit_w, fit_h;	/* --fit; 0 when not given */
	unsigned dpi, threads;
	int level;		/* -1: the writer's default */
};

/* Option codes of the image options; a command's own start at ML_PIC__END. */
enum {
	ML_PIC_BPP = ML_OPT_FIRST_CMD, ML_PIC_WIDTH, ML_PIC_ORDER, ML_PIC_PALETTE, ML_PIC_LAYOUT,
	ML_PIC_SCALE, ML_PIC_FIT, ML_PIC_DPI, ML_PIC_LEVEL, ML_PIC_THREADS,
	ML_PIC_ALPHA, ML_PIC_HOLES, ML_PIC_BOTTOM_UP,
	ML_PIC__END
};

/* The image options every picture command takes, for its option table... */
#define ML_PIC_OPTIONS                                                   \
	{ "bpp", required_argument, NULL, ML_PIC_BPP },                  \
	{ "width", required_argument, NULL, ML_PIC_WIDTH },              \
	{ "order", required_argument, NULL, ML_PIC_ORDER },              \
	{ "palette", required_argument, NULL, ML_PIC_PALETTE },          \
	{ "layout", required_argument, NULL, ML_PIC_LAYOUT },            \
	{ "scale", required_argument, NULL, ML_PIC_SCALE },              \
	{ "fit", required_argument, NULL, ML_PIC_FIT },                  \
	{ "dpi", required_argument, NULL, ML_PIC_DPI },                  \
	{ "level", required_argument, NULL, ML_PIC_LEVEL },              \
	{ "threads", required_argument, NULL, ML_PIC_THREADS }
/* ... and the ones only `image` takes: alpha, holes left out, BMP rows. */
#define ML_PIC_OPTIONS_IMAGE                                             \
	ML_PIC_OPTIONS,                                                  \
	{ "alpha", no_argument, NULL, ML_PIC_ALPHA },                    \
	{ "holes", required_argument, NULL, ML_PIC_HOLES },              \
	{ "bottom-up", no_argument, NULL, ML_PIC_BOTTOM_UP }

/*
 * Their help: --bpp (with what a 4th byte means), --width and --order,
 * --palette (with what more a command offers), then --layout, --scale,
 * --fit, --dpi, --level and --threads.
 */
#define ML_PIC_HELP_BPP(fourth)                                                         \
	"  --bpp 8|16|24|32      bits per pixel (default 24): 24 = R,G,B bytes;\n"        \
	"                        32 = R,G,B + a 4th byte " fourth "\n"                      \
	"                        16 = X1R5G5B5 little-endian; 8 = palette index\n"         \
	"  --width N|square      pixels per row (default 1024); square: the smallest\n"   \
	"                        square that holds everything\n"                          \
	"  --order rgb|bgr       byte order of 24/32 bpp pixels (bgr: Dump2Picture)\n"
#define ML_PIC_HELP_PALETTE(more)                                                       \
	"  --palette NAME        8 bpp colours: gray (default), byteclass (binvis.io:\n"   \
	"                        0x00 black, control green, printable blue, high red,\n"   \
	"                        0xFF white), cubehelix (perceptual)" more "\n"
#define ML_PIC_HELP_LAYOUT                                                              \
	"  --layout rows|hilbert rows (default), or pixel i at cell i of a Hilbert\n"     \
	"                        curve (binvis orientation: start top-left, y down,\n"     \
	"                        end bottom-left) on the smallest power-of-two square\n"   \
	"                        that holds the selection (the rest navy); PNG only;\n"    \
	"                        held in memory up to 256 MiB, beyond that give --fit\n"   \
	"  --scale N             thumbnail: average each N x N block of pixels\n"         \
	"  --fit WxH             thumbnail: the smallest N that fits in W x H (hilbert:\n"\
	"                        the largest power-of-two square that fits, each cell\n"   \
	"                        the average of its 2^k x 2^k block)\n"                    \
	"  --dpi N               record N dots per inch (PNG pHYs, BMP header)\n"         \
	"  --level 0-9           PNG compression level (default 2)\n"                     \
	"  --threads N           PNG compression threads (default: every core)\n"

void ml_picopts_init(struct ml_picopts *o);
/*
 * Takes one option code of ML_PIC_*: 1, or -1 after a usage error
 * (printed); 0 when code is not an image option.
 */
int ml_picopts_parse(struct ml_picopts *o, int code, const char *arg);
/*
 * The next of a command's own options that is not an image option, as
 * ml_cli_next gives it (0 after the last, -1 after a usage error); image
 * options are taken into o on the way, the first one's code kept in
 * *given (for commands that draw only with -o).
 */
int ml_picopts_next(struct ml_cli *cli, struct ml_picopts *o, int *given);
/* Refuses image option `code` (named from opts) given without -o: "give ..."; -1. */
int ml_picopts_refuse(const struct option *opts, int code, const char *give);
/*
 * After the options: checks they fit together and fit OUT, whose
 * extension names the format (png or bmp; "-", a device or a FIFO get
 * PNG); png_only refuses BMP.  map: --map was given.  Sets *is_png.  0, or
 * -1 after a usage error.
 */
int ml_picopts_check(struct ml_picopts *o, const char *out, bool png_only, bool map, bool *is_png);

/* The pipeline: one picture, or one frame drawn again and again. */
struct ml_pic {
	struct ml_picopts o;
	const char *out;	/* OUT, for messages */
	bool is_png;
	uint8_t base;		/* the state a pixel starts in: ML_PX_DATA, or ML_PX_SAME (diff) */

	/* geometry (ml_pic_plan) */
	unsigned B, ch;		/* bytes per pixel; display channels */
	bool has_unused;	/* some output pixel holds no byte */
	uint64_t bytes, npix;	/* the stream */
	uint64_t width, height;	/* full-size pixels a row (hilbert: a batch), rows */
	uint64_t scale;		/* rows: full-size pixels a side of an output pixel */
	uint64_t out_w, out_h;
	unsigned horder;	/* hilbert: order of the full-size curve */
	unsigned hshift;	/* hilbert: 2k, full-size pixels per output cell = 1 << hshift */

	/* where rows go: a writer, or the frame */
	struct ml_png *png;
	struct ml_bmp *bmp;
	uint8_t *frame;		/* frame mode: out_w × out_h × ch */
	uint64_t y0, y1;	/* frame mode: output rows drawn since ml_pic_clear_drawn, [y0, y1) */

	/* row assembly */
	uint8_t *raw, *state, *disp, *outrow;
	size_t fill;		/* bytes in raw */
	uint64_t first;		/* full-size pixel index of raw's first pixel */
	uint64_t *sum;		/* thumbnail band: per output column and channel */
	uint32_t *count;	/* coloured pixels per output column */
	uint8_t *bandhole;	/* the column's block has hole pixels */
	uint64_t band_rows;
	uint64_t out_rows;	/* output rows written (frame mode: the next row's index) */
	struct ml_hcanvas hc;	/* --layout hilbert: the picture, held whole */
};

/* Sets the options and the base state (ML_PX_DATA for a plain picture). */
void ml_pic_init(struct ml_pic *p, const struct ml_picopts *o, const char *out, bool is_png, uint8_t base);
/*
 * The geometry of a picture of `bytes` bytes: width, height, --fit's
 * scale, the Hilbert order; refuses sizes no picture can have and a
 * Hilbert canvas over its cap even at the fewest channels.  Sets ch to the
 * channels a picture without holes would have.  -1 after a diagnostic.
 */
int ml_pic_plan(struct ml_pic *p, uint64_t bytes);
/*
 * Starts drawing with ch channels (1, 3 or 4): into a PNG or BMP on f
 * (text: ntext key/value pairs for PNG tEXt), or, with f NULL, into the
 * frame (PNG geometry, rows or hilbert).  -1 after a diagnostic.
 */
int ml_pic_start(struct ml_pic *p, unsigned ch, FILE *f, const char *const *text, unsigned ntext);
/*
 * The next len bytes of the stream, all in one state (enum ml_px): data
 * (NULL: zeros, as holes and legend colours need no bytes).  -1 after a
 * diagnostic (a writer failed).
 */
int ml_pic_feed(struct ml_pic *p, const uint8_t *data, size_t len, uint8_t state);
/*
 * The end of the stream: the last partial row is unused canvas past its
 * last byte, a partial thumbnail block or Hilbert cell is completed.
 */
int ml_pic_tail(struct ml_pic *p);
/* ml_pic_tail, then the whole picture out and the writer ended.  -1 after a diagnostic. */
int ml_pic_finish(struct ml_pic *p);
/* Frees everything; a writer still open is abandoned. */
void ml_pic_free(struct ml_pic *p);

/*
 * Frame mode: pixels per block, the smallest part of the picture that can
 * be drawn again on its own (rows: a band of `scale` full rows; hilbert:
 * one output cell).  ml_pic_seek continues drawing at a block's first
 * pixel; the blocks drawn since are wholly redrawn when they are fed in
 * full (or to the end of the stream, then ml_pic_tail).
 */
uint64_t ml_pic_block(const struct ml_pic *p);
void ml_pic_seek(struct ml_pic *p, uint64_t pixel);
/* After blocks fed in full (not to the end: that is ml_pic_tail): draws what is still gathered. */
void ml_pic_flush(struct ml_pic *p);
/* Frame mode: every pixel back to unused canvas (before drawing a frame anew). */
void ml_pic_blank(struct ml_pic *p);
/* The output rows drawn since the last call are [y0, y1): forgets them. */
void ml_pic_clear_drawn(struct ml_pic *p);

/* The selection as --region words ("all" without one), for a PNG's tEXt. */
void ml_pic_selection_text(const struct ml_cli *cli, char *buf, size_t len);

/* --map: the picture's fields, and one stretch's (len bytes at stream offset off). */
void ml_pic_map_head(const struct ml_pic *p, json_t *root);
void ml_pic_map_place(const struct ml_pic *p, json_t *e, uint64_t off, uint64_t len);

#endif
