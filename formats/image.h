/*
 * image: the one interface every picture writer of memlens answers, and
 * the table of formats keyed by extension.
 *
 * A picture is begun with its geometry, the layout of the rows it will be
 * given and its metadata (ml_img_begin), fed rows top to bottom in any
 * number of calls (ml_img_rows), and ended (ml_img_end) or abandoned
 * (ml_img_abort).  Writers stream: a format that can be written row by
 * row (PNG, BMP, TIFF, baseline JPEG) holds a bounded number of rows
 * whatever the height; one whose library cannot (WebP, progressive JPEG)
 * says so through its limits, checked before anything is written
 * (ml_img_check).
 *
 * Nothing in formats/ prints.  Every failure comes back as a reason
 * (*why: static text, or this thread's reason buffer, valid until the
 * next failure in the thread), which the command prints as
 * `memlens: CMD: FILE: reason`.
 *
 * A new format is one file (formats/NAME.c, its begin/rows/end/abort and
 * what it takes) and one row of the table in image.c.
 */
#ifndef ML_IMAGE_H
#define ML_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * How a row given to ml_img_rows is laid out, pixel after pixel.  Every
 * format takes every layout: what a format does not take as it is
 * (ml_img_takes) is converted row by row here, so callers that care about
 * speed ask first and hand over what needs no conversion.
 */
enum ml_img_layout {
	ML_IMG_GRAY,		/* 1 byte: a gray level */
	ML_IMG_PALETTE,		/* 1 byte: an index into info.palette */
	ML_IMG_RGB,		/* 3 bytes: R, G, B */
	ML_IMG_RGBA,		/* 4 bytes: R, G, B, alpha (0 transparent) */
	ML_IMG_BGR,		/* 3 bytes: B, G, R (BMP's own order) */
	ML_IMG_BGRX,		/* 4 bytes: B, G, R and a byte that is not drawn */
	ML_IMG_RGB555,		/* 2 bytes: X1R5G5B5 little-endian */
	ML_IMG__LAYOUTS
};

/* TIFF's --compress; the default is deflate. */
enum ml_img_compress {
	ML_IMG_COMPRESS_DEFAULT,
	ML_IMG_COMPRESS_NONE,
	ML_IMG_COMPRESS_DEFLATE,
	ML_IMG_COMPRESS_LZW,
	ML_IMG_COMPRESS_ZSTD,
};

/* Where the picture goes. */
struct ml_img_sink {
	FILE *f;
	int fd;			/* f's descriptor for copy_file_range, or -1 */
	bool seekable;		/* a regular file: a writer may seek back (TIFF, bottom-up BMP) */
};

/* What a picture is: the same for every format; each reads what applies to it. */
struct ml_img_info {
	uint32_t width, height;
	enum ml_img_layout layout;
	const uint8_t (*palette)[3];	/* ML_IMG_PALETTE: npalette RGB entries */
	unsigned npalette;
	unsigned dpi;			/* 0: not recorded */
	const char *const *text;	/* key, value, key, value, ... (PNG tEXt, TIFF, JPEG comment) */
	unsigned ntext;			/* pairs */

	int level;			/* PNG, TIFF deflate/zstd: compression level; -1 default */
	unsigned threads;		/* compression threads (PNG, TIFF); 0: every core */
	int quality;			/* JPEG, lossy WebP: 1-100; 0 default */
	bool lossy;			/* WebP: lossy at quality (default lossless) */
	bool progressive;		/* JPEG */
	enum ml_img_compress compress;	/* TIFF */
	bool bottom_up;			/* BMP: rows stored bottom-up */
};

struct ml_img_ops;

/* One row of the format table. */
struct ml_img_format {
	const char *name;		/* "PNG" */
	const char *ext;		/* the extension written by default: "png" */
	const char *const *exts;	/* every extension that names it, NULL-terminated */
	uint32_t max_side;		/* the format's largest width and height */
	const struct ml_img_ops *ops;
};

/* The format an extension names (case does not matter), or NULL. */
const struct ml_img_format *ml_img_format_for(const char *ext);
/* The format by name ("PNG", "TIFF", ...), or NULL. */
const struct ml_img_format *ml_img_format_named(const char *name);
/* ".png, .bmp, .tif, .jpg or .webp": the extensions memlens writes, for messages. */
const char *ml_img_extensions(void);

/* Bytes per pixel of a layout. */
unsigned ml_img_layout_bytes(enum ml_img_layout l);
/* Whether the format takes a layout as it is (no conversion, no copy). */
bool ml_img_takes(const struct ml_img_format *f, enum ml_img_layout l);
/* Whether the format keeps an alpha channel (RGBA pictures stay transparent). */
bool ml_img_has_alpha(const struct ml_img_format *f);
/* Whether the format loses detail (its pixels are not the bytes'). */
bool ml_img_lossy(const struct ml_img_format *f, const struct ml_img_info *i);

/*
 * Whether such a picture can be written at all (sides, file size, memory
 * held): NULL if it can, else the reason, before anything is opened.
 */
const char *ml_img_check(const struct ml_img_format *f, const struct ml_img_info *i);

struct ml_img;
/* Starts the picture (the header goes out); NULL with *why. */
struct ml_img *ml_img_begin(const struct ml_img_format *f, const struct ml_img_sink *s,
			    const struct ml_img_info *i, const char **why);
/*
 * The row stride at which ml_img_rows passes rows to the file without a
 * copy (BMP: rows padded to 4 bytes; the padding must be zeros); others
 * take any stride of at least the row's bytes.
 */
size_t ml_img_stride(const struct ml_img *m);
/*
 * The next n rows, each width × ml_img_layout_bytes(layout) bytes, stride
 * bytes apart.  -1 with *why.  Rows past the height are ignored.
 */
int ml_img_rows(struct ml_img *m, const uint8_t *rows, size_t stride, uint32_t n, const char **why);
/*
 * The next rows straight from a file: nrows rows whose bytes, exactly as
 * this picture stores them, are at offset off of fd (copy_file_range: no
 * byte passes through memlens).  Sets *done to the rows copied: all, or
 * fewer (none when the writer or the descriptors cannot, or the input
 * ended), which the caller then gives through ml_img_rows.  -1 with *why
 * when the output failed.
 */
int ml_img_copy_rows(struct ml_img *m, int fd, uint64_t off, uint32_t nrows, uint32_t *done, const char **why);
/* Whether the layout given is what the file stores, byte for byte (ml_img_copy_rows may copy). */
bool ml_img_raw_rows(const struct ml_img *m);
/* Rows given so far. */
uint32_t ml_img_done(const struct ml_img *m);
/* Ends the picture (every row given) and frees m; -1 with *why. */
int ml_img_end(struct ml_img *m, const char **why);
/* Frees m without finishing the file (NULL is fine). */
void ml_img_abort(struct ml_img *m);

/*
 * For writers: formats the reason into this thread's buffer and returns
 * it (valid until the next call in the thread).
 */
const char *ml_img_reason(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last reason set in this thread ("" if none). */
const char *ml_img_last_reason(void);

/* What a format file provides (image.c's table points at one each). */
struct ml_img_ops {
	unsigned layouts;		/* bit per layout taken as it is */
	bool alpha;			/* keeps RGBA's alpha */
	/* Refuses what the format cannot hold (sides checked already); NULL or a reason. */
	const char *(*check)(const struct ml_img_info *i);
	void *(*begin)(const struct ml_img_sink *s, const struct ml_img_info *i, const char **why);
	size_t (*stride)(void *w);	/* NULL: any */
	int (*rows)(void *w, const uint8_t *rows, size_t stride, uint32_t n, const char **why);
	/* NULL when the format cannot; see ml_img_copy_rows. */
	int (*copy)(void *w, int fd, uint64_t off, uint32_t nrows, uint32_t *done, const char **why);
	bool (*raw)(void *w);		/* NULL: never */
	int (*end)(void *w, const char **why);
	void (*abort)(void *w);
};

extern const struct ml_img_ops ml_png_ops, ml_bmp_ops, ml_tiff_ops, ml_jpeg_ops, ml_webp_ops;

#endif
