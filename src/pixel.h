/*
 * pixel: how bytes become pixels.  Pixel i takes bytes [i·B, i·B+B) of the
 * selected stream (B = bpp/8).  24 bpp: byte 0 red, 1 green, 2 blue (or
 * reversed with --order bgr); 32 bpp: the same plus a 4th byte that is
 * ignored unless --alpha; 16 bpp: X1R5G5B5 little-endian; 8 bpp: an index
 * into a palette (gray, byteclass, cubehelix, entropy).  Besides data, a
 * pixel can be a hole (bytes the source could not deliver: magenta) or
 * unused canvas (no byte maps there: navy); the palettes keep clear of both.
 */
#ifndef ML_PIXEL_H
#define ML_PIXEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image.h"

/*
 * ML_PAL_ENTROPY colours an entropy value 0..255 (hilbert_entropy.h), not a
 * byte: black for none, then dark red, orange, yellow (random data, about
 * 0.88 of the maximum) and white, linear between those five stops.
 */
enum ml_palette { ML_PAL_GRAY, ML_PAL_BYTECLASS, ML_PAL_CUBEHELIX, ML_PAL_ENTROPY, ML_PAL__COUNT };

struct ml_pixfmt {
	unsigned bpp;		/* 8, 16, 24, 32 */
	bool bgr;		/* --order bgr */
	bool alpha;		/* 32 bpp: keep the 4th byte as alpha */
	enum ml_palette palette;	/* 8 bpp */
};

/* The hole colour: magenta, fully transparent where there is alpha. */
#define ML_HOLE_R 255
#define ML_HOLE_G 0
#define ML_HOLE_B 255

/*
 * The "unused" colour: canvas that no byte, page or mapping maps to (the
 * end of the last row, the unfilled end of a Hilbert square, the space
 * beside a physical map); always opaque.  Navy #0000B0: one definition for
 * every picture.
 */
#define ML_UNUSED_R 0
#define ML_UNUSED_G 0
#define ML_UNUSED_B 176

/*
 * How far apart (Euclidean distance of 0-255 RGB) the hole colour, the
 * unused colour and every entry of the entropy ramp stay from one another;
 * the unused colour keeps the same distance from every shade of
 * `memlens hilbert`'s mapping colours.  Tested in test_pixel and on the
 * pictures.
 */
#define ML_COLOUR_APART 100

/*
 * The legend colours of `memlens diff` (and its pictures): bytes equal in
 * both captures are dim gray, regions only the second capture has are
 * green, regions only the first has are red; changed bytes are drawn in
 * the second capture's own colours.  Each keeps ML_COLOUR_APART from the
 * hole and unused colours (test_pixel).
 */
#define ML_SAME_R 105
#define ML_SAME_G 105
#define ML_SAME_B 105
#define ML_ADDED_R 0
#define ML_ADDED_G 200
#define ML_ADDED_B 0
#define ML_REMOVED_R 220
#define ML_REMOVED_G 0
#define ML_REMOVED_B 0

/*
 * What a pixel shows: bytes, a hole, canvas no byte maps to, or (diff) one
 * of the legend colours above.
 */
enum ml_px {
	ML_PX_DATA = 0, ML_PX_HOLE = 1, ML_PX_UNUSED = 2,
	ML_PX_SAME = 3, ML_PX_ADDED = 4, ML_PX_REMOVED = 5,
};

/* Whether a pixel has a colour of its own that a thumbnail averages (data or a legend colour). */
static inline bool ml_px_coloured(unsigned s)
{
	return s == ML_PX_DATA || s >= ML_PX_SAME;
}

/* Looks a palette up by name; -1 if unknown. */
int ml_palette_parse(const char *name);
const char *ml_palette_name(enum ml_palette p);
/* The 256 RGB entries of a palette. */
const uint8_t (*ml_palette_rgb(enum ml_palette p))[3];

/*
 * Display channels of a PNG in format f: 1 (8 bpp gray), 3 (RGB), or 4
 * (RGBA: 32 bpp with alpha, or 8 bpp with hole pixels, which are then
 * transparent).  8 bpp gray becomes RGB when only unused pixels need a
 * colour of their own.
 */
unsigned ml_display_channels(const struct ml_pixfmt *f, bool has_holes, bool has_unused);

/*
 * The display pixel (ch channels) of a hole, of unused canvas or of a
 * legend colour.  With one channel none has a colour: 0 (callers choose
 * more channels when the picture has such pixels).
 */
void ml_display_colour(enum ml_px what, unsigned ch, uint8_t *out);

/*
 * Converts n pixels of raw bytes to display pixels (ch channels, from
 * ml_display_channels).  state[i] (enum ml_px) says what pixel i is.
 */
void ml_pixels_to_display(const struct ml_pixfmt *f, const uint8_t *raw, const uint8_t *state,
			  size_t n, unsigned ch, uint8_t *out);
/*
 * Converts n pixels of raw bytes to BMP pixel bytes at the same depth
 * (8: index, 16: X1R5G5B5, 24: B,G,R, 32: B,G,R,X).  For 8 bpp, holes and
 * unused pixels become a black/white checkerboard keyed on (x0 + i + y):
 * a BMP palette has no spare colour.
 */
void ml_pixels_to_bmp(const struct ml_pixfmt *f, const uint8_t *raw, const uint8_t *state,
		      size_t n, uint64_t x0, uint64_t y, uint8_t *out);
/* The 8 bpp BMP checkerboard value at (x, y). */
uint8_t ml_bmp_checker(uint64_t x, uint64_t y);

/*
 * Full-size rows, the fast way: whole pixels of data go from the bytes to
 * a writer's layout (image.h) in one pass, with no per-pixel state.
 *
 * ml_pixel_layout: the layout full-size rows of f take in the image format
 * fmt with ch display channels (ml_display_channels): what fmt takes as it
 * is and needs the least work — BMP gets its own depths (palette indices,
 * X1R5G5B5, B,G,R, B,G,R,X), PNG and the others gray, RGB or RGBA, and
 * bytes already in a layout the format takes stay as they are.
 */
enum ml_img_layout ml_pixel_layout(const struct ml_pixfmt *f, unsigned ch, const struct ml_img_format *fmt);
/* Converts n whole pixels of raw bytes (all data) into out. */
typedef void (*ml_pixconv)(const uint8_t *raw, size_t n, uint8_t *out, const uint8_t (*pal)[3]);
/*
 * The conversion from f's bytes to layout l; *same is set when it is a
 * copy (the layout is the bytes).
 */
ml_pixconv ml_pixconv_for(const struct ml_pixfmt *f, enum ml_img_layout l, bool *same);
/*
 * A hole or unused pixel in layout l (ml_img_layout_bytes(l) bytes): the
 * hole colour (transparent with alpha), the unused colour (opaque).  Gray
 * and palette layouts have no spare value: 0 (an 8 bpp BMP draws the
 * checkerboard instead, ml_bmp_checker).
 */
void ml_layout_colour(enum ml_px what, enum ml_img_layout l, uint8_t out[4]);

#endif
