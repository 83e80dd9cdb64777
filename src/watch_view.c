/*
 * watch_view: the live view (see watch_view.h).  Keys arrive with the
 * terminal out of canonical mode and without echo; signals only set flags
 * (their handlers do nothing else), so the terminal is always restored by
 * the same code, on the way out of the loop.  A screen is built in memory
 * and written at once, so it never flickers half drawn.
 */
#include "config.h"
#include "watch_view.h"
#include "termwrap.h"
#include "unitmap.h"
#include "ansi.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define LABEL 20	/* "  %016x  " before each line of cells */

/* The colour of an age: this frame white, then yellow, orange, red, dark red, old violet. */
static const struct {
	uint32_t upto;		/* ages up to this one */
	const char *name;
	uint8_t rgb[3];
} ramp[] = {
	{ 0, "this frame", { 255, 255, 255 } },
	{ 1, "1 frame ago", { 255, 220, 0 } },
	{ 3, "2-3", { 255, 140, 0 } },
	{ 7, "4-7", { 220, 40, 0 } },
	{ 31, "8-31", { 140, 20, 20 } },
	{ ML_WATCH_NEVER - 1, "older", { 100, 60, 130 } },
	{ ML_WATCH_NEVER, "unchanged", { 70, 70, 70 } },
	{ ML_WATCH_ABSENT, "not resident", { 0, 0, 0 } },
};
#define NRAMP (sizeof ramp / sizeof ramp[0])

static volatile sig_atomic_t quit_flag, resize_flag;

static void on_quit(int sig)
{
	(void)sig;
	quit_flag = 1;
}

static void on_resize(int sig)
{
	(void)sig;
	resize_flag = 1;
}

struct ml_wview {
	struct termios saved;
	bool keys;		/* stdin is a terminal we set up */
	struct sigaction old[4];
	uint8_t ansi[NRAMP];
	char chars[NRAMP];
	uint32_t *ages;
	uint8_t *vals;
	size_t cap;
	/* the last frame drawn, to draw it again on a resize */
	const struct ml_watch *w;
	uint32_t frame;
	uint64_t pages;
	char title[512];
};

static const int sigs[4] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH };

struct ml_wview *ml_wview_start(void)
{
	struct ml_wview *v = ml_calloc(1, sizeof *v);
	for (size_t i = 0; i < NRAMP; i++) {
		v->ansi[i] = ml_ansi_256(ramp[i].rgb[0], ramp[i].rgb[1], ramp[i].rgb[2]);
		v->chars[i] = ' ';
	}
	quit_flag = resize_flag = 0;
	for (int i = 0; i < 4; i++) {
		struct sigaction sa = { .sa_handler = i == 3 ? on_resize : on_quit };
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, &v->old[i]);
	}
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &v->saved) == 0) {
		struct termios t = v->saved;
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		t.c_cc[VMIN] = 0;
		t.c_cc[VTIME] = 0;
		v->keys = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
	}
	/* The alternate screen, without a cursor. */
	fputs("\033[?1049h\033[?25l\033[H\033[2J", stdout);
	fflush(stdout);
	return v;
}

static uint8_t colour_of(uint32_t age)
{
	size_t i = 0;
	while (i + 1 < NRAMP && age > ramp[i].upto)
		i++;
	return (uint8_t)i;
}

static void terminal_size(unsigned *cols, unsigned *rows)
{
	struct winsize ws;
	*cols = ml_term_columns(STDOUT_FILENO);
	*rows = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row ? ws.ws_row : 24;
}

static void draw(struct ml_wview *v)
{
	unsigned cols, rows;
	terminal_size(&cols, &rows);
	size_t width = cols > LABEL + 8 ? cols - LABEL : 8;
	size_t lines = rows > 6 ? rows - 5 : 1;	/* the title, the legend (up to 3 lines), one spare */
	size_t cells = width * 2 * lines;
	uint64_t per = ML_MAX((v->pages + cells - 1) / cells, 1);
	size_t n = (size_t)ML_MIN((v->pages + per - 1) / per, (uint64_t)cells);
	if (n > v->cap) {
		v->cap = n;
		v->ages = ml_reallocarray(v->ages, n, sizeof *v->ages);
		v->vals = ml_reallocarray(v->vals, n, 1);
	}
	ml_watch_ages(v->w, v->frame, per, v->ages, n);
	for (size_t i = 0; i < n; i++)
		v->vals[i] = colour_of(v->ages[i]);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return;
	/* The screen cleared and drawn in one write, so it never shows half a frame. */
	fprintf(f, "\033[H\033[J%.*s\n", (int)ML_MIN((size_t)cols, strlen(v->title)), v->title);
	struct ml_tmap m;
	ml_tmap_init(&m, f, width, true, per * 4096, v->ansi, v->chars, NRAMP);
	for (size_t c = 0; c < n; c += 2 * width) {
		/* A section a line: its label is the address of its first page, wherever the pieces jump. */
		size_t e = (size_t)ML_MIN((uint64_t)(n - c), (uint64_t)(2 * width)) + c;
		ml_tmap_section(&m, ml_watch_page_addr(v->w, c * per));
		for (size_t i = c; i < e;) {
			size_t k = i + 1;
			while (k < e && v->vals[k] == v->vals[i])
				k++;
			ml_tmap_put(&m, v->vals[i], k - i);
			i = k;
		}
		ml_tmap_end(&m);
	}
	ml_tmap_free(&m);
	char lead[64];
	snprintf(lead, sizeof lead, "a cell is %llu page%s:", (unsigned long long)per, per == 1 ? "" : "s");
	struct ml_wrap wr;
	ml_wrap_start(&wr, f, cols, lead, "  ", 2);
	for (size_t i = 0; i < NRAMP; i++) {
		ml_wrap_item(&wr, 3 + (unsigned)strlen(ramp[i].name));	/* two blocks, a space */
		ml_ansi_swatch(f, v->ansi[i], ramp[i].name);
	}
	ml_wrap_text(&wr, "q quits");
	ml_wrap_end(&wr);
	fclose(f);
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
	free(buf);
}

void ml_wview_draw(struct ml_wview *v, const struct ml_watch *w, uint32_t frame, uint64_t pages, const char *title)
{
	v->w = w;
	v->frame = frame;
	v->pages = pages;
	snprintf(v->title, sizeof v->title, "%s", title);
	draw(v);
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int ml_wview_wait(struct ml_wview *v, uint64_t deadline)
{
	for (;;) {
		if (quit_flag)
			return 1;
		if (resize_flag) {
			resize_flag = 0;
			if (v->w)
				draw(v);
		}
		uint64_t t = now_ns();
		if (t >= deadline)
			return 0;
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		int ms = (int)ML_MIN((deadline - t + 999999) / 1000000, (uint64_t)1000);
		int r = poll(&p, v->keys ? 1 : 0, ms);
		if (r > 0 && v->keys) {
			char c;
			ssize_t k = read(STDIN_FILENO, &c, 1);
			if (k == 1 && (c == 'q' || c == 'Q' || c == 3))
				quit_flag = 1;
			else if (k == 0)
				v->keys = false;	/* end of input: no keys any more, the clock goes on */
		}
	}
}

int ml_wview_quit(const struct ml_wview *v)
{
	(void)v;
	return quit_flag != 0;
}

void ml_wview_end(struct ml_wview *v)
{
	if (!v)
		return;
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	if (v->keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &v->saved);
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &v->old[i], NULL);
	free(v->ages);
	free(v->vals);
	free(v);
}
