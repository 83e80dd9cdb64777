/*
 * hilbert_map: a picture of labelled stretches of a Hilbert curve — the
 * model `memlens hilbert` fills (one stretch per mapping, gap or process),
 * drawn as a PNG, described as JSON (--map), or wrapped in a self-contained
 * HTML page whose tooltips name what is under the pointer (--html).
 */
#ifndef ML_HILBERT_MAP_H
#define ML_HILBERT_MAP_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* The picture is this many pixels a side; a cell is a square of pixels. */
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
	unsigned order;		/* 2^order cells a side */
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

/* A map of 2^order cells a side, every cell `bg`. */
void ml_hmap_init(struct ml_hmap *m, unsigned order, const uint8_t bg[3]);
/* Adds a stretch; takes tip (allocated) and info. */
void ml_hmap_run(struct ml_hmap *m, uint64_t c0, uint64_t c1, char *tip, json_t *info);
void ml_hmap_set(struct ml_hmap *m, uint64_t cell, const uint8_t rgb[3]);
void ml_hmap_legend(struct ml_hmap *m, const uint8_t rgb[3], const char *label);
void ml_hmap_free(struct ml_hmap *m);

/* The PNG; -1 after a diagnostic. */
int ml_hmap_png(const struct ml_hmap *m, FILE *f);
/* The --map JSON, opened by source (memlens(1)'s "source" object, taken); -1 on a write error. */
int ml_hmap_json(const struct ml_hmap *m, json_t *source, FILE *f);
/* The HTML page around png (the PNG's bytes); -1 on a write error. */
int ml_hmap_html(const struct ml_hmap *m, FILE *f, const uint8_t *png, size_t len);

/* "#rrggbb" */
void ml_hmap_hex(const uint8_t rgb[3], char out[8]);

#endif
