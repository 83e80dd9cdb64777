/*
 * hilbert_map: a picture of labelled stretches of a space-filling curve —
 * the model `memlens hilbert` fills (one stretch per mapping, gap or
 * process), drawn as a PNG, described as JSON (--map), or wrapped in a
 * self-contained HTML page whose tooltips name what is under the pointer
 * (--html).  The curve is the generalized Hilbert curve (gilbert.h) on a
 * near-square rectangle of cells, or the classic one on a power-of-two
 * square.
 */
#ifndef ML_HILBERT_MAP_H
#define ML_HILBERT_MAP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The map's longer side is at most this many pixels; a cell is a square of pixels. */
#define ML_HMAP_PIXELS 1024

struct ml_hrun {
	uint64_t c0, c1;	/* cells [c0, c1) of the curve */
	char *tip;		/* tooltip text (untrusted parts included) */
	json_t *info;		/* the same, as fields, for --map */
};

/* One legend line: a swatch and what it means. */
struct ml_hlegend {
	uint8_t rgb[3];
	char *label;		/* untrusted parts included */
};

struct ml_hmap {
	bool gilbert;		/* the generalized curve; else the classic one */
	unsigned order;		/* classic: 2^order cells a side */
	uint32_t cols, rows;	/* cells across and down */
	uint32_t cellpx;	/* pixels a side per cell */
	uint8_t *rgb;		/* 3 bytes per cell, indexed by curve position */
	struct ml_hrun *runs;
	size_t nruns, cap;
	struct ml_hlegend *legend;	/* drawn under the map; "legend" in --map */
	size_t nlegend, legend_cap;
	char *title;		/* untrusted parts included */
	char *scale;		/* what a cell is */
	char *note;		/* how gaps and brightness are drawn */
};

/*
 * A map with room for `cells` cells, every cell `bg`: the classic curve's
 * smallest power-of-two square (at least 2 x 2), or gilbert's near-square
 * rectangle (ml_gilbert_shape).
 */
void ml_hmap_init(struct ml_hmap *m, bool gilbert, uint64_t cells, const uint8_t bg[3]);
/* Cells the map has. */
uint64_t ml_hmap_cells(const struct ml_hmap *m);
/* Adds a stretch; takes tip (allocated) and info. */
void ml_hmap_run(struct ml_hmap *m, uint64_t c0, uint64_t c1, char *tip, json_t *info);
void ml_hmap_set(struct ml_hmap *m, uint64_t cell, const uint8_t rgb[3]);
void ml_hmap_legend(struct ml_hmap *m, const uint8_t rgb[3], const char *label);
void ml_hmap_free(struct ml_hmap *m);

/* The PNG; -1 with *why. */
int ml_hmap_png(const struct ml_hmap *m, FILE *f, const char **why);
/* The --map JSON, opened by source (memlens(1)'s "source" object, taken); -1 on a write error. */
int ml_hmap_json(const struct ml_hmap *m, json_t *source, FILE *f);
/* The HTML page around png (the PNG's bytes); -1 on a write error. */
int ml_hmap_html(const struct ml_hmap *m, FILE *f, const uint8_t *png, size_t len);

/* "#rrggbb" */
void ml_hmap_hex(const uint8_t rgb[3], char out[8]);

#endif
