/*
 * trace_heat: the fragmentation heatmap of a trace — x time, y the heap's
 * addresses (every range allocations touched, the gaps between them folded
 * to a grey line), colour the log of the bytes live in each cell at its
 * fullest moment — drawn as an RGB picture with title, axis labels and a
 * colour legend, ready for the PNG writer.
 */
#ifndef ML_TRACE_HEAT_H
#define ML_TRACE_HEAT_H

#include <stdint.h>
#include "trace_read.h"

struct ml_heat {
	uint32_t w, h;		/* the whole picture */
	uint8_t *rgb;		/* w × h × 3 */
	uint64_t max_cell;	/* bytes in the fullest cell */
	size_t nseg;		/* address ranges shown */
};

/* Two passes over t; 0, or -1 after a diagnostic. */
int ml_heat_build(struct ml_trace *t, uint32_t w, uint32_t h, const char *title, struct ml_heat *out);
void ml_heat_free(struct ml_heat *m);

#endif
