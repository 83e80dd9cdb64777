/*
 * apng: animated PNG assembled the way apngasm does it — from complete
 * PNGs, one a frame — but streamed: each frame's PNG (pngwrite.h, every
 * core compressing) goes to a FILE of our own (fopencookie) whose writes
 * are parsed chunk by chunk, and only the payload of its IDAT chunks
 * comes through, re-chunked on the real output as IDAT (frame 0) or fdAT
 * (later frames: a sequence number, then the same payload).  Memory is
 * the frame writer's strips and nothing more.
 */
#include "config.h"
#include "apng.h"
#include "util.h"

#include <png.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum { DISPOSE_NONE = 0, BLEND_SOURCE = 0 };

struct ml_apng {
	png_structp png;
	png_infop info;
	FILE *f;
	struct ml_png_opts o;	/* size, colour, compression of each frame */
	uint32_t nframes, plays, done, seq;
	long actl_at;		/* file offset of acTL, to rewrite its count; -1 if unknown */
	const char *why;	/* the first failure */
	png_text *text;		/* the header's tEXt entries */

	/* the frame PNG being passed through */
	bool first;		/* frame 0: its data goes out as IDAT */
	int state;		/* what the next input bytes are: SIG, HEAD, DATA, CRC */
	uint8_t head[8];
	size_t have;		/* bytes of head (or of the signature / CRC) gathered */
	uint32_t left;		/* bytes of the current chunk's data still to come */
	bool pass;		/* the current chunk is an IDAT: pass its data on */
	bool broken;		/* a write to the output failed */
};

enum { S_SIG, S_HEAD, S_DATA, S_CRC };

static void on_error(png_structp png, png_const_charp msg)
{
	struct ml_apng *a = png_get_error_ptr(png);
	if (a && !a->why)
		a->why = msg && strstr(msg, "Write Error") ? "write failed" : "libpng refused a chunk";
	png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The libpng chunk calls, each under its own setjmp: 0, or -1 after a failure. */
static int chunk(struct ml_apng *a, const char *type, const uint8_t *data, size_t len)
{
	if (setjmp(png_jmpbuf(a->png)))
		return a->broken = true, -1;
	png_write_chunk(a->png, (png_const_bytep)type, data, len);
	return 0;
}

static int chunk_start(struct ml_apng *a, const char *type, uint32_t len)
{
	if (setjmp(png_jmpbuf(a->png)))
		return a->broken = true, -1;
	png_write_chunk_start(a->png, (png_const_bytep)type, len);
	return 0;
}

static int chunk_data(struct ml_apng *a, const uint8_t *data, size_t len)
{
	if (setjmp(png_jmpbuf(a->png)))
		return a->broken = true, -1;
	png_write_chunk_data(a->png, data, len);
	return 0;
}

static int chunk_end(struct ml_apng *a)
{
	if (setjmp(png_jmpbuf(a->png)))
		return a->broken = true, -1;
	png_write_chunk_end(a->png);
	return 0;
}

/* A chunk header of the frame PNG is complete: pass an IDAT's data on, skip the rest. */
static int chunk_head(struct ml_apng *a)
{
	a->left = be32(a->head);
	a->pass = !memcmp(a->head + 4, "IDAT", 4);
	if (!a->pass)
		return 0;
	if (a->first)
		return chunk_start(a, "IDAT", a->left);
	uint8_t seq[4];
	png_save_uint_32(seq, a->seq++);
	if (chunk_start(a, "fdAT", a->left + 4))
		return -1;
	return chunk_data(a, seq, 4);
}

/* The frame PNG's bytes, as pngwrite writes them. */
static ssize_t frame_write(void *cookie, const char *buf, size_t n)
{
	struct ml_apng *a = cookie;
	const uint8_t *p = (const uint8_t *)buf;
	size_t rest = n;
	if (a->broken)
		return -1;
	while (rest) {
		size_t k;
		switch (a->state) {
		case S_SIG:	/* the 8-byte signature */
		case S_CRC:	/* a chunk's 4-byte CRC: ours is libpng's */
			k = ML_MIN(rest, (size_t)(a->state == S_SIG ? 8 : 4) - a->have);
			a->have += k;
			if (a->have == (a->state == S_SIG ? 8u : 4u)) {
				if (a->state == S_CRC && a->pass && chunk_end(a))
					return -1;
				a->state = S_HEAD;
				a->have = 0;
			}
			break;
		case S_HEAD:
			k = ML_MIN(rest, 8 - a->have);
			memcpy(a->head + a->have, p, k);
			a->have += k;
			if (a->have == 8) {
				if (chunk_head(a))
					return -1;
				a->have = 0;
				a->state = a->left ? S_DATA : S_CRC;
			}
			break;
		default:
			k = ML_MIN(rest, (size_t)a->left);
			if (a->pass && chunk_data(a, p, k))
				return -1;
			a->left -= (uint32_t)k;
			if (!a->left)
				a->state = S_CRC;
		}
		p += k;
		rest -= k;
	}
	return (ssize_t)n;
}

/* Signature, IHDR, pHYs, tEXt and acTL: 0, or -1 with a->why. */
static int write_header(struct ml_apng *a, const struct ml_png_opts *o, int type)
{
	/* The texts are the struct's, so that a longjmp cannot lose them. */
	if (o->ntext && !(a->text = calloc(o->ntext, sizeof *a->text))) {
		a->why = "out of memory";
		return -1;
	}
	if (setjmp(png_jmpbuf(a->png))) {
		if (!a->why)
			a->why = "libpng failed";
		return -1;
	}
	png_set_user_limits(a->png, 0x7fffffff, 0x7fffffff);
	png_init_io(a->png, a->f);
	png_set_IHDR(a->png, a->info, o->width, o->height, 8, type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	if (o->dpi)
		png_set_pHYs(a->png, a->info, (png_uint_32)(o->dpi / 0.0254 + 0.5), (png_uint_32)(o->dpi / 0.0254 + 0.5),
			     PNG_RESOLUTION_METER);
	for (unsigned i = 0; i < o->ntext; i++) {
		a->text[i].compression = PNG_TEXT_COMPRESSION_NONE;
		a->text[i].key = (png_charp)o->text[2 * i];
		a->text[i].text = (png_charp)o->text[2 * i + 1];
	}
	if (o->ntext)
		png_set_text(a->png, a->info, a->text, (int)o->ntext);
	png_write_info(a->png, a->info);
	png_write_flush(a->png);
	a->actl_at = ftell(a->f);
	uint8_t actl[8];
	png_save_uint_32(actl, a->nframes);
	png_save_uint_32(actl + 4, a->plays);
	if (chunk(a, "acTL", actl, sizeof actl)) {
		if (!a->why)
			a->why = "write failed";
		return -1;
	}
	return 0;
}

struct ml_apng *ml_apng_begin(FILE *f, const struct ml_png_opts *o, uint32_t nframes, uint32_t plays,
			      const char **why)
{
	static const int types[] = {
		[ML_PNG_GRAY] = PNG_COLOR_TYPE_GRAY, [ML_PNG_RGB] = PNG_COLOR_TYPE_RGB,
		[ML_PNG_RGBA] = PNG_COLOR_TYPE_RGBA, [ML_PNG_PALETTE] = PNG_COLOR_TYPE_PALETTE,
	};
	if (!nframes || o->color == ML_PNG_PALETTE || !o->width || !o->height || o->width > 0x7fffffff ||
	    o->height > 0x7fffffff) {
		*why = "an animation needs frames, a size, and no palette";
		return NULL;
	}
	struct ml_apng *a = calloc(1, sizeof *a);
	if (!a) {
		*why = "out of memory";
		return NULL;
	}
	a->f = f;
	a->o = *o;
	a->nframes = nframes;
	a->plays = plays;
	a->actl_at = -1;
	a->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, a, on_error, on_warning);
	if (!a->png || !(a->info = png_create_info_struct(a->png))) {
		*why = "out of memory";
		ml_apng_abort(a);
		return NULL;
	}
	if (write_header(a, o, types[o->color])) {
		*why = a->why;
		ml_apng_abort(a);
		return NULL;
	}
	return a;
}

int ml_apng_frame(struct ml_apng *a, uint32_t y, uint32_t h, const uint8_t *rows, uint16_t delay_num,
		  uint16_t delay_den, const char **why)
{
	if (a->done == a->nframes || !h || y > a->o.height || h > a->o.height - y || (!a->done && h != a->o.height)) {
		*why = a->done == a->nframes ? "more frames than announced" : "a frame outside the picture";
		return -1;
	}
	uint8_t fctl[26];
	png_save_uint_32(fctl, a->seq++);
	png_save_uint_32(fctl + 4, a->o.width);
	png_save_uint_32(fctl + 8, h);
	png_save_uint_32(fctl + 12, 0);
	png_save_uint_32(fctl + 16, y);
	png_save_uint_16(fctl + 20, delay_num);
	png_save_uint_16(fctl + 22, delay_den);
	fctl[24] = DISPOSE_NONE;
	fctl[25] = BLEND_SOURCE;
	if (chunk(a, "fcTL", fctl, sizeof fctl)) {
		*why = a->why ? a->why : "write failed";
		return -1;
	}
	static const cookie_io_functions_t io = { .write = frame_write };
	FILE *pipe = fopencookie(a, "w", io);
	if (!pipe) {
		*why = "out of memory";
		return -1;
	}
	a->first = a->done == 0;
	a->state = S_SIG;
	a->have = 0;
	struct ml_png_opts o = a->o;
	o.height = h;
	o.text = NULL;
	o.ntext = 0;
	o.dpi = 0;
	struct ml_png *p = ml_png_begin(pipe, &o);
	int r = p ? ml_png_rows(p, rows, h) : -1;
	if (p && r)
		ml_png_abort(p);
	else if (p)
		r = ml_png_end(p);
	const char *png_why = r ? ml_png_error() : NULL;	/* the PNG writer's reason, if it failed */
	if (fclose(pipe) || a->broken)
		r = -1;
	if (r) {
		*why = a->why ? a->why : png_why ? png_why : "the frame could not be written";
		return -1;
	}
	a->done++;
	return 0;
}

int ml_apng_end(struct ml_apng *a, const char **why)
{
	int r = 0;
	if (!a->done) {
		*why = "no frame was written";
		r = -1;
	} else if (a->done < a->nframes) {
		/* Fewer frames than announced: acTL says so, or the file would lie. */
		uint8_t buf[12], crc[4];
		memcpy(buf, "acTL", 4);
		png_save_uint_32(buf + 4, a->done);
		png_save_uint_32(buf + 8, a->plays);
		png_save_uint_32(crc, (png_uint_32)crc32(crc32(0, NULL, 0), buf, sizeof buf));
		long end = ftell(a->f);
		if (a->actl_at < 0 || end < 0 || fseek(a->f, a->actl_at + 8, SEEK_SET)) {
			*why = "fewer frames than announced, and the output cannot be rewritten";
			r = -1;
		} else if (fwrite(buf + 4, 1, 8, a->f) != 8 || fwrite(crc, 1, 4, a->f) != 4 ||
			   fseek(a->f, end, SEEK_SET)) {
			*why = "write failed";
			r = -1;
		}
	}
	if (!r && chunk(a, "IEND", NULL, 0)) {
		*why = a->why ? a->why : "write failed";
		r = -1;
	}
	if (!r && fflush(a->f)) {
		*why = "write failed";
		r = -1;
	}
	ml_apng_abort(a);
	return r;
}

void ml_apng_abort(struct ml_apng *a)
{
	if (!a)
		return;
	if (a->png)
		png_destroy_write_struct(&a->png, &a->info);
	free(a->text);
	free(a);
}
