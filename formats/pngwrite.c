/*
 * pngwrite: streaming PNG output through libpng, row by row.  libpng reports
 * errors by longjmp; each entry point sets its own jump target.
 */
#include "config.h"
#include "pngwrite.h"
#include "util.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

struct ml_png {
	png_structp png;
	png_infop info;
	uint32_t width, height, done;
	unsigned channels;
};

unsigned ml_png_channels(enum ml_png_color c)
{
	switch (c) {
	case ML_PNG_RGB: return 3;
	case ML_PNG_RGBA: return 4;
	default: return 1;
	}
}

static void on_error(png_structp png, png_const_charp msg)
{
	ml_err("PNG: %s", msg);
	png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	ml_warn("PNG: %s", msg);
}

struct ml_png *ml_png_begin(FILE *f, const struct ml_png_opts *o)
{
	static const int types[] = {
		[ML_PNG_GRAY] = PNG_COLOR_TYPE_GRAY, [ML_PNG_RGB] = PNG_COLOR_TYPE_RGB,
		[ML_PNG_RGBA] = PNG_COLOR_TYPE_RGBA, [ML_PNG_PALETTE] = PNG_COLOR_TYPE_PALETTE,
	};
	if (o->width == 0 || o->height == 0 || o->width > 0x7fffffff || o->height > 0x7fffffff) {
		ml_err("PNG: %u x %u is not a valid image size", o->width, o->height);
		return NULL;
	}
	struct ml_png *p = ml_calloc(1, sizeof *p);
	p->width = o->width;
	p->height = o->height;
	p->channels = ml_png_channels(o->color);
	p->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_error, on_warning);
	if (!p->png || !(p->info = png_create_info_struct(p->png))) {
		ml_err("PNG: out of memory");
		ml_png_abort(p);
		return NULL;
	}
	if (setjmp(png_jmpbuf(p->png))) {
		ml_png_abort(p);
		return NULL;
	}
	/* Giant images are the point: lift libpng's default 1M-pixel-a-side cap. */
	png_set_user_limits(p->png, 0x7fffffff, 0x7fffffff);
	png_init_io(p->png, f);
	png_set_IHDR(p->png, p->info, o->width, o->height, 8, types[o->color],
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (o->color == ML_PNG_PALETTE) {
		png_color pal[256];
		unsigned n = ML_MIN(o->npalette, 256u);
		for (unsigned i = 0; i < n; i++) {
			pal[i].red = o->palette[i][0];
			pal[i].green = o->palette[i][1];
			pal[i].blue = o->palette[i][2];
		}
		png_set_PLTE(p->png, p->info, pal, (int)n);
	}
	if (o->level >= 0)
		png_set_compression_level(p->png, ML_MIN(o->level, 9));
	if (o->dpi)
		png_set_pHYs(p->png, p->info, (png_uint_32)(o->dpi / 0.0254 + 0.5),
			     (png_uint_32)(o->dpi / 0.0254 + 0.5), PNG_RESOLUTION_METER);
	if (o->ntext) {
		png_text *t = ml_calloc(o->ntext, sizeof *t);
		for (unsigned i = 0; i < o->ntext; i++) {
			t[i].compression = PNG_TEXT_COMPRESSION_NONE;
			t[i].key = (png_charp)o->text[2 * i];
			t[i].text = (png_charp)o->text[2 * i + 1];
		}
		png_set_text(p->png, p->info, t, (int)o->ntext);
		free(t);
	}
	png_write_info(p->png, p->info);
	return p;
}

int ml_png_rows(struct ml_png *p, const uint8_t *rows, uint32_t nrows)
{
	if (setjmp(png_jmpbuf(p->png)))
		return -1;
	size_t stride = (size_t)p->width * p->channels;
	for (uint32_t i = 0; i < nrows && p->done < p->height; i++, p->done++)
		png_write_row(p->png, (png_const_bytep)(rows + i * stride));
	return 0;
}

int ml_png_end(struct ml_png *p)
{
	if (p->done != p->height) {
		ml_err("PNG: %u of %u rows written", p->done, p->height);
		ml_png_abort(p);
		return -1;
	}
	if (setjmp(png_jmpbuf(p->png))) {
		ml_png_abort(p);
		return -1;
	}
	png_write_end(p->png, NULL);
	ml_png_abort(p);
	return 0;
}

void ml_png_abort(struct ml_png *p)
{
	if (!p)
		return;
	png_destroy_write_struct(&p->png, &p->info);
	free(p);
}
