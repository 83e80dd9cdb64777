/*
 * ansi: xterm-256 half-block rendering, with runs of equal colours sharing
 * one escape sequence so large maps stay small.
 */
#include "config.h"
#include "ansi.h"

#include <string.h>
#include <unistd.h>

static unsigned cube(uint8_t v)
{
	return v < 48 ? 0 : v < 115 ? 1 : (unsigned)(v - 35) / 40;
}

uint8_t ml_ansi_256(uint8_t r, uint8_t g, uint8_t b)
{
	static const uint8_t lv[6] = { 0, 95, 135, 175, 215, 255 };
	unsigned cr = cube(r), cg = cube(g), cb = cube(b);
	int dr = r - lv[cr], dg = g - lv[cg], db = b - lv[cb];
	unsigned dc = (unsigned)(dr * dr + dg * dg + db * db);
	/* The gray ramp 232..255 is finer for near-gray colours. */
	unsigned avg = (r + g + b) / 3;
	unsigned gi = avg > 238 ? 23 : avg < 8 ? 0 : (avg - 8) / 10;
	int gv = (int)(8 + 10 * gi);
	unsigned dgv = (unsigned)((r - gv) * (r - gv) + (g - gv) * (g - gv) + (b - gv) * (b - gv));
	if (dgv < dc)
		return (uint8_t)(232 + gi);
	return (uint8_t)(16 + 36 * cr + 6 * cg + cb);
}

void ml_ansi_halfblocks(FILE *f, const uint8_t *top, const uint8_t *bottom, size_t n)
{
	int fg = -1, bg = -1;
	for (size_t i = 0; i < n; i++) {
		int t = top[i], b = bottom ? bottom[i] : 0;
		if (t != fg) {
			fprintf(f, "\033[38;5;%dm", t);
			fg = t;
		}
		if (b != bg) {
			fprintf(f, "\033[48;5;%dm", b);
			bg = b;
		}
		fputs("\u2580", f);
	}
	fputs("\033[0m", f);
}

void ml_ansi_swatch(FILE *f, uint8_t c, const char *text)
{
	fprintf(f, "\033[38;5;%um\u2588\u2588\033[0m %s", c, text);
}

int ml_ansi_want_color(const char *word, FILE *f)
{
	if (!word || !strcmp(word, "auto"))
		return isatty(fileno(f)) == 1;
	if (!strcmp(word, "always"))
		return 1;
	if (!strcmp(word, "never"))
		return 0;
	return -1;
}
