/*
 * bmp: streaming BMP output — BITMAPFILEHEADER + BITMAPINFOHEADER (BI_RGB),
 * rows padded to 4 bytes, top-down (negative height) unless asked for
 * bottom-up, in which case each row is placed at its offset with a seek.
 * A BMP's size fields are 32-bit: over 4 GiB it cannot exist, and
 * ml_bmp_size() lets callers refuse before writing anything.  Failures
 * come back as a reason in *why (static text); nothing here prints.
 */
#ifndef ML_BMP_H
#define ML_BMP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct ml_bmp;

/* Total file size of such a BMP, or 0 if it cannot be a BMP at all. */
uint64_t ml_bmp_size(uint32_t width, uint32_t height, unsigned bpp);

/*
 * bpp 8 takes a 256-entry RGB palette (NULL: gray); 16 is X1R5G5B5, 24
 * B,G,R, 32 B,G,R,X.  Rows passed to ml_bmp_row are width × bpp/8 bytes,
 * unpadded, top row first.  NULL or -1 with *why on failure.
 */
struct ml_bmp *ml_bmp_begin(FILE *f, uint32_t width, uint32_t height, unsigned bpp,
			    const uint8_t (*palette)[3], bool bottom_up, unsigned dpi, const char **why);
int ml_bmp_row(struct ml_bmp *b, const uint8_t *row, const char **why);
/* Checks every row was given; frees b; -1 with *why on error. */
int ml_bmp_end(struct ml_bmp *b, const char **why);
/* Frees b after an error, saying nothing more. */
void ml_bmp_abort(struct ml_bmp *b);

#endif
