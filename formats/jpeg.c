/*
 * jpeg: JPEG output through libjpeg-turbo.  Baseline JPEG is written as
 * the rows arrive (libjpeg holds a band of 8 rows), so memory stays flat;
 * a progressive JPEG (--progressive) is built from the whole picture's
 * coefficients, which libjpeg keeps in memory (6 bytes a pixel at 4:4:4),
 * so its size is capped.  Chroma is not subsampled (4:4:4): a picture of
 * memory is detail at every pixel, not a photograph.  --quality 1-100
 * (default 90), --dpi in the JFIF header, the text pairs as a comment.
 * Sides stop at 65,500 pixels (libjpeg's JPEG_MAX_DIMENSION).
 *
 * libjpeg's errors end in error_exit, which would print and exit: here it
 * keeps the message as the reason and jumps back.
 */
#include "config.h"
#include "image.h"

#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
/* jpeglib.h needs FILE and size_t first */
#include <stdio.h>
#include <jpeglib.h>

/* A progressive JPEG's coefficients, held whole: at most this much. */
#define PROGRESSIVE_CAP ((uint64_t)256 << 20)
#define DEFAULT_QUALITY 90

struct jw {
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr em;
	jmp_buf jb;
	char msg[JMSG_LENGTH_MAX];
	FILE *f;
};

static void on_error(j_common_ptr c)
{
	struct jw *j = (struct jw *)c;	/* c is the first member */
	(*c->err->format_message)(c, j->msg);
	longjmp(j->jb, 1);
}

static void on_message(j_common_ptr c)
{
	(void)c;	/* warnings and traces: said nowhere */
}

static const char *jpeg_check(const struct ml_img_info *i)
{
	uint64_t px = (uint64_t)i->width * i->height;
	if (i->progressive && px * 6 > PROGRESSIVE_CAP)
		return ml_img_reason("a progressive JPEG is built in memory (6 bytes a pixel): %u x %u would need %llu MiB, over the %llu MiB cap; drop --progressive",
				     i->width, i->height, (unsigned long long)(px * 6 >> 20),
				     (unsigned long long)(PROGRESSIVE_CAP >> 20));
	return NULL;
}

static void jpeg_abort_w(void *w)
{
	struct jw *j = w;
	if (!j)
		return;
	jpeg_destroy_compress(&j->c);
	free(j);
}

/* The text pairs as one comment: "key: value" lines. */
static void comment(struct jw *j, const struct ml_img_info *i)
{
	size_t len = 0;
	for (unsigned k = 0; k < i->ntext; k++)
		len += strlen(i->text[2 * k]) + strlen(i->text[2 * k + 1]) + 3;
	if (!len)
		return;
	char *d = malloc(len + 1), *p = d;
	if (!d)
		return;
	for (unsigned k = 0; k < i->ntext; k++)
		p += sprintf(p, "%s: %s\n", i->text[2 * k], i->text[2 * k + 1]);
	size_t n = (size_t)(p - d);
	/* a marker holds 65,533 bytes */
	jpeg_write_marker(&j->c, JPEG_COM, (const JOCTET *)d, (unsigned)(n < 65533 ? n : 65533));
	free(d);
}

/* libjpeg's side of begin, under its error jump. */
static int start(struct jw *j, const struct ml_img_info *i)
{
	static const J_COLOR_SPACE spaces[] = {
		[ML_IMG_GRAY] = JCS_GRAYSCALE, [ML_IMG_RGB] = JCS_RGB, [ML_IMG_RGBA] = JCS_EXT_RGBX,
		[ML_IMG_BGR] = JCS_EXT_BGR, [ML_IMG_BGRX] = JCS_EXT_BGRX,
	};
	if (setjmp(j->jb))
		return -1;
	jpeg_create_compress(&j->c);
	jpeg_stdio_dest(&j->c, j->f);
	j->c.image_width = i->width;
	j->c.image_height = i->height;
	j->c.input_components = (int)ml_img_layout_bytes(i->layout);
	j->c.in_color_space = spaces[i->layout];
	jpeg_set_defaults(&j->c);
	jpeg_set_quality(&j->c, i->quality > 0 ? i->quality : DEFAULT_QUALITY, TRUE);
	for (int k = 0; k < j->c.num_components; k++)
		j->c.comp_info[k].h_samp_factor = j->c.comp_info[k].v_samp_factor = 1;
	if (i->progressive)
		jpeg_simple_progression(&j->c);
	if (i->dpi) {
		j->c.density_unit = 1;	/* dots per inch */
		j->c.X_density = j->c.Y_density = (UINT16)(i->dpi > 65535 ? 65535 : i->dpi);
	}
	jpeg_start_compress(&j->c, TRUE);
	comment(j, i);
	return 0;
}

static void *jpeg_begin_w(const struct ml_img_sink *s, const struct ml_img_info *i, const char **why)
{
	struct jw *j = calloc(1, sizeof *j);
	if (!j)
		return *why = strerror(ENOMEM), NULL;
	j->c.err = jpeg_std_error(&j->em);
	j->em.error_exit = on_error;
	j->em.output_message = on_message;
	j->f = s->f;
	if (start(j, i)) {
		*why = ml_img_reason("libjpeg: %s", j->msg);
		jpeg_abort_w(j);
		return NULL;
	}
	return j;
}

static int write_rows(struct jw *j, const uint8_t *rows, size_t stride, uint32_t n)
{
	JSAMPROW ptr[64];
	while (n) {
		uint32_t k = n < 64 ? n : 64;
		for (uint32_t y = 0; y < k; y++)
			ptr[y] = (JSAMPROW)(rows + (size_t)y * stride);
		if (jpeg_write_scanlines(&j->c, ptr, k) != k) {
			snprintf(j->msg, sizeof j->msg, "it took fewer rows than given");
			return -1;
		}
		rows += (size_t)k * stride;
		n -= k;
	}
	return 0;
}

static int jpeg_rows_w(void *w, const uint8_t *rows, size_t stride, uint32_t n, const char **why)
{
	struct jw *j = w;
	if (setjmp(j->jb) || write_rows(j, rows, stride, n)) {
		*why = ml_img_reason("libjpeg: %s", j->msg);
		return -1;
	}
	return 0;
}

static int finish(struct jw *j)
{
	if (setjmp(j->jb))
		return -1;
	jpeg_finish_compress(&j->c);
	return 0;
}

static int jpeg_end_w(void *w, const char **why)
{
	struct jw *j = w;
	int r = 0;
	errno = 0;
	if (finish(j)) {
		*why = ml_img_reason("libjpeg: %s", j->msg);
		r = -1;
	} else if (fflush(j->f)) {
		*why = strerror(errno ? errno : EIO);
		r = -1;
	}
	jpeg_abort_w(j);
	return r;
}

const struct ml_img_ops ml_jpeg_ops = {
	.layouts = 1u << ML_IMG_GRAY | 1u << ML_IMG_RGB | 1u << ML_IMG_RGBA | 1u << ML_IMG_BGR |
		   1u << ML_IMG_BGRX,
	.check = jpeg_check,
	.begin = jpeg_begin_w,
	.rows = jpeg_rows_w,
	.end = jpeg_end_w,
	.abort = jpeg_abort_w,
};
