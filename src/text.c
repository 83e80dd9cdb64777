/*
 * text: FreeType glyphs, or the bitmap font's, blended into RGB pictures.
 * The font is looked for once (pthread_once: any thread may draw first)
 * and kept for the life of the process.
 */
#include "config.h"
#include "text.h"
#include "hilbert_font.h"

#include <fontconfig/fontconfig.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAMILY "DejaVu Sans Mono"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static FT_Library lib;
static FT_Face face;		/* NULL: the bitmap font */
static char name[600] = "built-in 5x9 bitmap font";

static bool open_face(const char *path)
{
	if (!lib && FT_Init_FreeType(&lib))
		return false;
	FT_Face f;
	if (FT_New_Face(lib, path, 0, &f))
		return false;
	if (!FT_IS_SCALABLE(f)) {
		FT_Done_Face(f);
		return false;
	}
	face = f;
	snprintf(name, sizeof name, "%s %s (%s)", f->family_name ? f->family_name : "?",
		 f->style_name ? f->style_name : "", path);
	return true;
}

/* The file fontconfig has for DejaVu Sans Mono, or NULL (it would offer another family). */
static char *fontconfig_path(void)
{
	char *path = NULL;
	FcConfig *cfg = FcInitLoadConfigAndFonts();
	FcPattern *pat = cfg ? FcNameParse((const FcChar8 *)FAMILY ":style=Book") : NULL;
	if (!pat) {
		if (cfg)
			FcConfigDestroy(cfg);
		return NULL;
	}
	FcConfigSubstitute(cfg, pat, FcMatchPattern);
	FcDefaultSubstitute(pat);
	FcResult r;
	FcPattern *m = FcFontMatch(cfg, pat, &r);
	FcChar8 *file, *family;
	if (m && FcPatternGetString(m, FC_FILE, 0, &file) == FcResultMatch &&
	    FcPatternGetString(m, FC_FAMILY, 0, &family) == FcResultMatch && !strcmp((char *)family, FAMILY))
		path = strdup((const char *)file);
	if (m)
		FcPatternDestroy(m);
	FcPatternDestroy(pat);
	FcConfigDestroy(cfg);
	return path;
}

static void load(void)
{
	const char *env = getenv("MEMLENS_FONT");
	if (env && *env) {
		if (strcmp(env, "builtin") && !open_face(env))
			snprintf(name, sizeof name, "built-in 5x9 bitmap font (MEMLENS_FONT=%.500s did not load)", env);
		return;
	}
	char *path = fontconfig_path();
	bool ok = path && open_face(path);
	free(path);
	if (!ok)
		open_face(ML_FONT_PATH);
}

const char *ml_text_font(void)
{
	pthread_once(&once, load);
	return name;
}

/* The bitmap font's scale at a size: 5x9 glyphs doubled from 16 pixels up. */
static int bitmap_scale(unsigned px)
{
	return px >= 16 ? (int)px / 8 : 1;
}

void ml_text_metrics(unsigned px, struct ml_text_metrics *m)
{
	pthread_once(&once, load);
	if (!face) {
		int s = bitmap_scale(px);
		m->advance = (ML_FONT_WIDTH + 1) * s;
		m->ascent = (ML_FONT_ASCENT + 1) * s;
		m->line = (ML_FONT_HEIGHT + 3) * s;
		return;
	}
	FT_Set_Pixel_Sizes(face, 0, px);
	m->ascent = (int)((face->size->metrics.ascender + 63) >> 6);
	m->line = (int)((face->size->metrics.height + 63) >> 6);
	m->advance = (int)px * 6 / 10;
	if (!FT_Load_Char(face, 'M', FT_LOAD_DEFAULT))
		m->advance = (int)((face->glyph->advance.x + 32) >> 6);
}

/* The next code point of s (invalid UTF-8: U+FFFD, one byte); its length in *n. */
static unsigned next_cp(const unsigned char *s, int *n)
{
	unsigned c = s[0];
	int len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
	if (!len) {
		*n = 1;
		return 0xfffd;
	}
	unsigned cp = len == 1 ? c : c & (0x7f >> len);
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*n = 1;
			return 0xfffd;
		}
		cp = cp << 6 | (s[i] & 0x3f);
	}
	*n = len;
	return cp;
}

static void blend(uint8_t *rgb, uint32_t w, uint32_t h, long x, long y, unsigned a, const uint8_t ink[3])
{
	if (x < 0 || y < 0 || x >= (long)w || y >= (long)h || !a)
		return;
	uint8_t *p = rgb + ((size_t)y * w + (size_t)x) * 3;
	for (int k = 0; k < 3; k++)
		p[k] = (uint8_t)((p[k] * (255 - a) + ink[k] * a + 127) / 255);
}

unsigned ml_text_draw(uint8_t *rgb, uint32_t w, uint32_t h, int x, int y, unsigned px, const char *text,
		      unsigned maxchars, const uint8_t ink[3])
{
	struct ml_text_metrics m;
	ml_text_metrics(px, &m);
	unsigned n = 0;
	const unsigned char *s = (const unsigned char *)text;
	for (int len; *s && n < maxchars; s += len, n++) {
		unsigned cp = next_cp(s, &len);
		long pen = x + (long)n * m.advance;
		if (cp < 0x20 || cp == 0x7f)
			cp = '?';
		if (!face) {
			int sc = bitmap_scale(px);
			const uint8_t *g = ml_font_glyph(cp < 0x80 ? cp : '?');
			for (int row = 0; row < ML_FONT_HEIGHT; row++)
				for (int col = 0; col < ML_FONT_WIDTH; col++)
					if (g[row] >> (ML_FONT_WIDTH - 1 - col) & 1)
						for (int dy = 0; dy < sc; dy++)
							for (int dx = 0; dx < sc; dx++)
								blend(rgb, w, h, pen + col * sc + dx, y + sc + row * sc + dy,
								      255, ink);
			continue;
		}
		if (FT_Load_Char(face, cp, FT_LOAD_RENDER | FT_LOAD_TARGET_NORMAL))
			continue;
		const FT_GlyphSlot gs = face->glyph;
		const FT_Bitmap *b = &gs->bitmap;
		if (b->pixel_mode != FT_PIXEL_MODE_GRAY)
			continue;
		long gx = pen + gs->bitmap_left, gy = (long)y + m.ascent - gs->bitmap_top;
		for (unsigned r = 0; r < b->rows; r++)
			for (unsigned c = 0; c < b->width; c++)
				blend(rgb, w, h, gx + (long)c, gy + (long)r, b->buffer[(long)r * b->pitch + (long)c], ink);
	}
	return n;
}
