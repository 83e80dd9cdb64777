/*
 * apng: an animated PNG, written as it goes.  The header (signature,
 * IHDR, tEXt) and every chunk are written through libpng's chunk API; the
 * animation's chunks (acTL, fcTL, fdAT) are the APNG specification's.
 * Each frame's pixels are compressed by the PNG writer of pngwrite.h, as a
 * PNG of their own whose IDAT stream is passed through: as IDAT for the
 * first frame, as fdAT (with a sequence number) for the others.  A frame
 * after the first may be a band of whole rows, drawn over the frame
 * before (dispose none, blend source), so a frame costs what changed.
 * Nothing here prints: failures come back as a reason.
 */
#ifndef ML_APNG_H
#define ML_APNG_H

#include <stdint.h>
#include <stdio.h>

#include "pngwrite.h"

struct ml_apng;

/*
 * Starts an animation of nframes frames (o: size, colour type, level,
 * threads, tEXt; no palette), played `plays` times (0: for ever).  NULL
 * with *why on failure.
 */
struct ml_apng *ml_apng_begin(FILE *f, const struct ml_png_opts *o, uint32_t nframes, uint32_t plays,
			      const char **why);
/*
 * The next frame: rows [y, y + h) of the full width (rows: h rows of
 * width × channels bytes), shown for delay_num / delay_den seconds.  The
 * first frame must be whole (y 0, h the height).  -1 with *why.
 */
int ml_apng_frame(struct ml_apng *a, uint32_t y, uint32_t h, const uint8_t *rows, uint16_t delay_num,
		  uint16_t delay_den, const char **why);
/*
 * Ends the animation and frees a.  Fewer frames than announced: acTL is
 * rewritten with the count written, when f can seek back (else -1).  -1
 * with *why on failure.
 */
int ml_apng_end(struct ml_apng *a, const char **why);
/* Frees a after an error. */
void ml_apng_abort(struct ml_apng *a);

#endif
