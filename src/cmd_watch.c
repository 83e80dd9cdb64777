/*
 * cmd_watch: `memlens watch SOURCE` — memory over time.  Every --every,
 * the source is opened afresh (a process's mappings change; --freeze then
 * stops it only while a frame is read), watch.c finds the pages that
 * changed, and each is shown: in a live terminal view, as a JSON line,
 * and with -o as a frame of a picture drawn by the picture pipeline in
 * frame mode — only the blocks of the picture holding changed pages are
 * read and drawn again, so a frame costs what changed.  Frames go into an
 * animated PNG (after the first, only the band of rows that changed) or
 * one PNG each.
 */
#include "config.h"
#include "commands.h"
#include "cli.h"
#include "json.h"
#include "output.h"
#include "picture.h"
#include "util.h"
#include "watch.h"
#include "watch_view.h"
#include "apng.h"
#include "pngwrite.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char cmd_watch_help[] =
	"Usage: memlens watch SOURCE [--every 1s] [--frames N | --for DURATION]\n"
	"                    [-o ANIM.png | -o DIR/%05d.png] [--json] [OPTIONS]\n"
	"Watch memory change: every --every, the pages of the selection that\n"
	"changed since the last frame.  On a terminal without -o: a live view of\n"
	"the pages coloured by how recently they changed (q or Ctrl-C quits); with\n"
	"-o: a picture a frame, drawn as `image` draws one.  By default a page has\n"
	"changed when the xxHash of its bytes has: only resident pages are read\n"
	"(pagemap says which), nothing is faulted in and the process is not\n"
	"touched.\n\n"
	"  --every DURATION      time between frames (default 1s; 500ms, 2s, 1m)\n"
	"  --frames N            stop after N frames\n"
	"  --for DURATION        stop after DURATION (frames: DURATION / --every)\n"
	"  --soft-dirty          read only the pages written since the last frame, by\n"
	"                        the kernel's soft-dirty bits: each frame writes 4 to\n"
	"                        /proc/PID/clear_refs, which CHANGES THE PROCESS's\n"
	"                        soft-dirty state (other tools, e.g. CRIU, use it);\n"
	"                        a page written while pagemap is read may be seen a\n"
	"                        frame late or, if never written again, not at all,\n"
	"                        unless --freeze holds the process still\n"
	"  --json                one JSON line a frame (a header line first): the\n"
	"                        changed page ranges and counts\n"
	"  -o, --output OUT      ANIM.png: an animated PNG (needs --frames or --for);\n"
	"                        a name with %d (e.g. frames/%05d.png): one PNG a\n"
	"                        frame; shaped by the image options:\n"
	ML_PIC_HELP_BPP("that is ignored;")
	ML_PIC_HELP_PALETTE("")
	ML_PIC_HELP_LAYOUT
	"\n";

enum { OPT_EVERY = ML_PIC__END, OPT_FRAMES, OPT_FOR, OPT_SOFT_DIRTY };

/* watch's own options; -o, --json and the source options are cli.c's. */
const struct option cmd_watch_opts[] = {
	ML_PIC_OPTIONS,
	{ "every", required_argument, NULL, OPT_EVERY },
	{ "frames", required_argument, NULL, OPT_FRAMES },
	{ "for", required_argument, NULL, OPT_FOR },
	{ "soft-dirty", no_argument, NULL, OPT_SOFT_DIRTY },
	{ NULL, 0, NULL, 0 },
};

#define NS 1000000000ull
#define READ_BLOCK ((size_t)1 << 20)

enum out_kind { OUT_VIEW, OUT_TEXT, OUT_APNG, OUT_FILES };

/* A run of changed bytes of this frame, in address order. */
struct span {
	uint64_t start, end;
};

struct job {
	struct ml_cli cli;
	struct ml_picopts opt;
	struct ml_pic pic;
	int pic_opt;
	bool soft_dirty;
	uint64_t every, duration;	/* ns */
	uint64_t frames;		/* 0: until stopped */
	enum out_kind kind;
	bool picture;

	struct ml_watch *w;
	struct ml_wview *view;
	struct ml_apng *apng;
	struct ml_out out;
	bool out_open;
	uint8_t *prev;			/* the last frame written (APNG: to find the band that changed) */
	uint8_t *buf;
	bool grew;			/* the selection outgrew the first frame's picture (said once) */

	struct span *sp;
	size_t nsp, capsp;
	uint64_t *off;			/* stream offset of each piece of this frame's selection */
	uint64_t t0;
};

/* ---- options ---- */

/* "1s", "500ms", "2", "0.25s", "1m", "1h" in ns; -1 when it is none. */
static int parse_duration(const char *s, uint64_t *ns)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !(v > 0) || !isfinite(v))
		return -1;
	double unit = !*end || !strcmp(end, "s") ? 1 : !strcmp(end, "ms") ? 1e-3 : !strcmp(end, "m") ? 60 :
		      !strcmp(end, "h") ? 3600 : -1;
	if (unit < 0 || v * unit > 1e7)
		return -1;
	*ns = (uint64_t)llround(v * unit * 1e9);
	return *ns ? 0 : -1;
}

/* OUT is a pattern for one file a frame: one %d (with flags and a width), %% for a percent sign. */
static int frame_pattern(const char *out, bool *is_pattern)
{
	int conv = 0;
	*is_pattern = false;
	for (const char *p = out; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '%') {
			p++;
			continue;
		}
		const char *q = p + 1;
		while (*q == '0' || *q == '-')
			q++;
		while (*q >= '0' && *q <= '9')
			q++;
		if (*q != 'd' || q - p > 6)
			return ml_usage_error("-o %s: a frame name takes one %%d (e.g. frames/%%05d.png), nothing else after %%",
					      out), -1;
		conv++;
		p = q;
	}
	if (conv > 1)
		return ml_usage_error("-o %s: one %%d at most", out), -1;
	*is_pattern = conv == 1;
	return 0;
}

static int parse_opts(struct job *j, int argc, char **argv)
{
	int c;
	uint64_t v;
	struct ml_cli *cli = &j->cli;
	ml_cli_init(cli, argc, argv);
	while ((c = ml_picopts_next(cli, &j->opt, &j->pic_opt)) > 0) {
		switch (c) {
		case OPT_EVERY:
			if (parse_duration(optarg, &j->every) || j->every < NS / 1000)
				return ml_usage_error("--every %s: expected a duration of 1ms or more (500ms, 2s, 1m)",
						      optarg), -1;
			break;
		case OPT_FRAMES:
			if (ml_parse_uint(optarg, 1, 1000000, &v))
				return ml_usage_error("--frames %s: expected 1 to 1000000", optarg), -1;
			j->frames = v;
			break;
		case OPT_FOR:
			if (parse_duration(optarg, &j->duration))
				return ml_usage_error("--for %s: expected a duration (10s, 1m)", optarg), -1;
			break;
		case OPT_SOFT_DIRTY:
			j->soft_dirty = true;
			break;
		}
	}
	if (c < 0 || ml_cli_done(cli))
		return -1;
	if (j->frames && j->duration)
		return ml_usage_error("--frames and --for exclude each other"), -1;
	if (j->duration)
		j->frames = ML_MAX((j->duration + j->every - 1) / j->every, 1);
	if (j->soft_dirty && !cli->live)
		return ml_cli_refuse("--soft-dirty", "it reads a live process's soft-dirty bits; %s is a file",
				     cli->source);
	if (!cli->out && j->pic_opt)
		return ml_picopts_refuse(cmd_watch_opts, j->pic_opt, "-o ANIM.png or -o DIR/%05d.png");
	if (cli->out) {
		bool pattern;
		if (frame_pattern(cli->out, &pattern))
			return -1;
		bool is_png;
		if (ml_picopts_check(&j->opt, cli->out, true, false, &is_png))
			return -1;
		if (j->opt.fmt.palette == ML_PAL_ENTROPY)
			return ml_usage_error("--palette entropy needs the bytes around each one: watch draws changed blocks alone; use gray, byteclass or cubehelix"), -1;
		j->kind = pattern ? OUT_FILES : OUT_APNG;
		j->picture = true;
		if (j->kind == OUT_APNG && !j->frames)
			return ml_usage_error("-o %s: an animated PNG says its frame count first: give --frames N or --for DURATION (or -o DIR/%%05d.png)",
					      cli->out), -1;
		if (j->kind == OUT_FILES && !strcmp(cli->out, "-"))
			return ml_usage_error("-o -: one file a frame cannot be standard output"), -1;
	} else {
		j->kind = !cli->json && ml_isatty(STDOUT_FILENO) ? OUT_VIEW : OUT_TEXT;
	}
	return 0;
}

/* ---- the frame's changed runs ---- */

static void on_changed(void *ctx, uint64_t start, uint64_t end)
{
	struct job *j = ctx;
	if (j->nsp && j->sp[j->nsp - 1].end == start) {
		j->sp[j->nsp - 1].end = end;
		return;
	}
	if (j->nsp == j->capsp) {
		j->capsp = j->capsp ? 2 * j->capsp : 64;
		j->sp = ml_reallocarray(j->sp, j->capsp, sizeof *j->sp);
	}
	j->sp[j->nsp++] = (struct span){ start, end };
}

/* ---- pictures ---- */

/* Feeds stream bytes [from, to) of the selection (offsets from set_offsets) to the picture. */
static int feed_stream(struct job *j, struct ml_space *s, const struct ml_selection *sel, uint64_t from, uint64_t to)
{
	size_t i = 0;
	while (i + 1 < sel->n && j->off[i + 1] <= from)
		i++;
	while (from < to && i < sel->n) {
		const struct ml_piece *p = &sel->p[i];
		uint64_t addr = p->start + (from - j->off[i]);
		uint64_t stop = ML_MIN(p->end, addr + (to - from));
		while (addr < stop) {
			bool hole;
			size_t got = ml_space_read(s, addr, (size_t)ML_MIN(stop - addr, (uint64_t)READ_BLOCK), j->buf, &hole);
			if (ml_pic_feed(&j->pic, hole ? NULL : j->buf, got, hole ? ML_PX_HOLE : ML_PX_DATA))
				return -1;
			addr += got;
			from += got;
		}
		i++;
	}
	return 0;
}

static void set_offsets(struct job *j, const struct ml_selection *sel)
{
	j->off = ml_reallocarray(j->off, sel->n + 1, sizeof *j->off);
	j->off[0] = 0;
	for (size_t i = 0; i < sel->n; i++)
		j->off[i + 1] = j->off[i] + (sel->p[i].end - sel->p[i].start);
}

/* The stream offset of address a, which lies in the selection. */
static uint64_t offset_of(const struct job *j, const struct ml_selection *sel, uint64_t a)
{
	size_t lo = 0, hi = sel->n;
	while (lo + 1 < hi) {
		size_t mid = (lo + hi) / 2;
		if (sel->p[mid].start <= a)
			lo = mid;
		else
			hi = mid;
	}
	return j->off[lo] + (ML_MAX(a, sel->p[lo].start) - sel->p[lo].start);
}

/* The whole picture drawn anew (frame 0, or the selection's pieces moved). */
static int draw_all(struct job *j, struct ml_space *s, const struct ml_selection *sel)
{
	uint64_t bytes = j->off[sel->n];
	if (bytes > j->pic.bytes && !j->grew) {
		ml_warn("the selection grew past the first frame's picture (%llu bytes): the rest is not drawn",
			(unsigned long long)j->pic.bytes);
		j->grew = true;
	}
	ml_pic_blank(&j->pic);
	ml_pic_seek(&j->pic, 0);
	if (feed_stream(j, s, sel, 0, ML_MIN(bytes, j->pic.bytes)))
		return -1;
	return ml_pic_tail(&j->pic);
}

/* Only the blocks of the picture that hold changed bytes, each read and drawn again. */
static int draw_changed(struct job *j, struct ml_space *s, const struct ml_selection *sel)
{
	uint64_t block = ml_pic_block(&j->pic), B = j->pic.B, npix = j->pic.npix;
	uint64_t b0 = 0, b1 = 0;	/* the range of blocks being gathered, in pixels */
	for (size_t i = 0; i <= j->nsp; i++) {
		uint64_t p0 = 0, p1 = 0;
		if (i < j->nsp) {
			uint64_t o0 = offset_of(j, sel, j->sp[i].start), o1 = offset_of(j, sel, j->sp[i].end - 1) + 1;
			p0 = o0 / B / block * block;
			p1 = ML_MIN(((o1 + B - 1) / B + block - 1) / block * block, npix);
			if (p0 >= npix)
				continue;
			if (b1 > b0 && p0 <= b1) {
				b1 = ML_MAX(b1, p1);
				continue;
			}
		}
		if (b1 > b0) {
			ml_pic_seek(&j->pic, b0);
			if (feed_stream(j, s, sel, b0 * B, ML_MIN(b1 * B, j->pic.bytes)))
				return -1;
			if (b1 >= npix ? ml_pic_tail(&j->pic) : (ml_pic_flush(&j->pic), 0))
				return -1;
		}
		b0 = p0;
		b1 = p1;
	}
	return 0;
}

static void picture_text(const struct job *j, char *bpp, char *width, char *sel, const char **text, size_t *n)
{
	snprintf(bpp, 8, "%u", j->opt.fmt.bpp);
	snprintf(width, 24, "%llu", (unsigned long long)(j->opt.hilbert ? j->pic.out_w << (j->pic.hshift / 2)
									   : j->pic.width));
	ml_pic_selection_text(&j->cli, sel, 512);
	const char *t[] = {
		"Software", PACKAGE_STRING, "Selection", sel, "Bits per pixel", bpp, "Width", width,
		"Layout", j->opt.hilbert ? "hilbert" : "rows", "Palette", ml_palette_name(j->opt.fmt.palette),
	};
	memcpy(text, t, sizeof t);
	*n = ML_ARRAY_SIZE(t) / 2;
}

static struct ml_png_opts png_opts(const struct job *j)
{
	return (struct ml_png_opts){
		.width = (uint32_t)j->pic.out_w,
		.height = (uint32_t)j->pic.out_h,
		.color = ML_PNG_RGB,
		.level = j->opt.level,
		.dpi = j->opt.dpi,
		.threads = j->opt.threads,
	};
}

/* Plans the picture from frame 0's selection and opens the animation. */
static int start_picture(struct job *j, struct ml_space *s, const struct ml_selection *sel)
{
	ml_pic_init(&j->pic, &j->opt, j->cli.out, true, ML_PX_DATA);
	if (ml_pic_plan(&j->pic, sel->bytes) || ml_pic_start(&j->pic, 3, NULL, NULL, 0))
		return -1;
	j->buf = ml_malloc(READ_BLOCK);
	if (j->kind != OUT_APNG)
		return 0;
	if (ml_out_open(&j->out, j->cli.out, s))
		return -1;
	j->out_open = true;
	j->prev = ml_malloc((size_t)(j->pic.out_w * j->pic.out_h * 3));
	char bpp[8], width[24], seltext[512];
	const char *text[16];
	size_t ntext;
	picture_text(j, bpp, width, seltext, text, &ntext);
	char *name = ml_escape(s->name);
	text[2 * ntext] = "Source";
	text[2 * ntext + 1] = name;
	struct ml_png_opts o = png_opts(j);
	o.text = text;
	o.ntext = (unsigned)ntext + 1;
	const char *why;
	j->apng = ml_apng_begin(j->out.f, &o, (uint32_t)j->frames, 0, &why);
	free(name);
	if (!j->apng) {
		ml_err("%s: %s", j->cli.out, why);
		return -1;
	}
	return 0;
}

/* The frame's delay in the APNG's terms: milliseconds, or seconds past 65 s. */
static void delay(const struct job *j, uint16_t *num, uint16_t *den)
{
	uint64_t ms = j->every / 1000000;
	if (ms <= 65535) {
		*num = (uint16_t)ML_MAX(ms, 1);
		*den = 1000;
	} else {
		*num = (uint16_t)ML_MIN(j->every / NS, 65535);
		*den = 1;
	}
}

/* Frame k out: the band of rows that differ from the last frame (APNG), or the whole frame (one file). */
static int emit_frame(struct job *j, uint64_t k, const struct ml_space *s)
{
	size_t row = (size_t)j->pic.out_w * 3;
	const uint8_t *frame = j->pic.frame;
	if (j->kind == OUT_APNG) {
		uint64_t y0 = 0, y1 = j->pic.out_h;
		if (k > 0) {
			/* Only rows drawn again can differ; of those, the first and last that do. */
			y0 = j->pic.y0, y1 = ML_MIN(j->pic.y1, j->pic.out_h);
			while (y0 < y1 && !memcmp(frame + y0 * row, j->prev + y0 * row, row))
				y0++;
			while (y1 > y0 && !memcmp(frame + (y1 - 1) * row, j->prev + (y1 - 1) * row, row))
				y1--;
			if (y0 >= y1)
				y0 = 0, y1 = 1;	/* nothing changed: a frame must still have a row */
		}
		uint16_t num, den;
		delay(j, &num, &den);
		const char *why;
		if (ml_apng_frame(j->apng, (uint32_t)y0, (uint32_t)(y1 - y0), frame + y0 * row, num, den, &why)) {
			ml_err("%s: frame %llu: %s", j->cli.out, (unsigned long long)k, why);
			return -1;
		}
		memcpy(j->prev + y0 * row, frame + y0 * row, (size_t)(y1 - y0) * row);
		ml_pic_clear_drawn(&j->pic);
		return ml_out_check(&j->out);
	}
	ml_pic_clear_drawn(&j->pic);
	if (j->kind != OUT_FILES)
		return 0;
	char path[4096];
	/* The pattern was checked: one %d conversion at most. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	int len = snprintf(path, sizeof path, j->cli.out, (int)k);
#pragma GCC diagnostic pop
	if (len < 0 || (size_t)len >= sizeof path) {
		ml_err("%s: frame %llu: the name is too long", j->cli.out, (unsigned long long)k);
		return -1;
	}
	struct ml_out o;
	if (ml_out_open(&o, path, s))
		return -1;
	char bpp[8], width[24], seltext[512];
	const char *text[16];
	size_t ntext;
	picture_text(j, bpp, width, seltext, text, &ntext);
	struct ml_png_opts po = png_opts(j);
	po.text = text;
	po.ntext = (unsigned)ntext;
	struct ml_png *png = ml_png_begin(o.f, &po);
	if (!png || ml_png_rows(png, frame, (uint32_t)j->pic.out_h)) {
		ml_err("%s: %s", path, ml_png_error());
		ml_png_abort(png);
		ml_out_abort(&o);
		return -1;
	}
	if (ml_png_end(png)) {	/* frees png */
		ml_err("%s: %s", path, ml_png_error());
		ml_out_abort(&o);
		return -1;
	}
	return ml_out_commit(&o);
}

/* ---- reports ---- */

static void json_header(const struct job *j, const struct ml_space *s)
{
	json_t *o = json_object();
	char sel[512];
	ml_pic_selection_text(&j->cli, sel, sizeof sel);
	json_object_set_new(o, "source", ml_json_source(s, NULL, NULL));
	json_object_set_new(o, "mode", json_string(j->soft_dirty ? "soft-dirty" : "hash"));
	json_object_set_new(o, "every", json_real((double)j->every / 1e9));
	json_object_set_new(o, "frames", j->frames ? json_integer((json_int_t)j->frames) : json_null());
	json_object_set_new(o, "selection", json_string(sel));
	json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
	json_decref(o);
	putchar('\n');
	fflush(stdout);
}

static void json_frame(const struct job *j, uint64_t k, double t, const struct ml_watch_stats *st)
{
	json_t *o = json_object(), *a = json_array();
	json_object_set_new(o, "frame", json_integer((json_int_t)k));
	json_object_set_new(o, "time", json_real(round(t * 1000) / 1000));
	json_object_set_new(o, "pages", json_integer((json_int_t)st->pages));
	json_object_set_new(o, "resident_pages", json_integer((json_int_t)st->resident));
	json_object_set_new(o, "read_pages", json_integer((json_int_t)st->read));
	json_object_set_new(o, "changed_pages", json_integer((json_int_t)st->changed));
	json_object_set_new(o, "vanished_pages", json_integer((json_int_t)st->vanished));
	json_object_set_new(o, "layout_changed", json_boolean(k > 0 && st->layout));
	for (size_t i = 0; i < j->nsp; i++) {
		json_t *r = json_array();
		json_array_append_new(r, ml_json_hex(j->sp[i].start));
		json_array_append_new(r, ml_json_hex(j->sp[i].end));
		json_array_append_new(a, r);
	}
	json_object_set_new(o, "changed", a);
	json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
	json_decref(o);
	putchar('\n');
	fflush(stdout);
}

static void title(const struct job *j, const struct ml_space *s, uint64_t k, const struct ml_watch_stats *st,
		  char *buf, size_t len)
{
	char h1[32], e[32];
	char *name = ml_escape(s->comm ? s->comm : s->name);
	snprintf(e, sizeof e, "%.3g s", (double)j->every / 1e9);
	snprintf(buf, len, "memlens watch %s (%s): frame %llu, every %s, %s: %llu pages changed (%s) of %llu resident, %llu selected",
		 s->name, name, (unsigned long long)k, e, j->soft_dirty ? "soft-dirty" : "hash",
		 (unsigned long long)st->changed, ml_human_size(st->changed * s->page_size, h1, sizeof h1),
		 (unsigned long long)st->resident, (unsigned long long)st->pages);
	free(name);
}

/* ---- the loop ---- */

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * NS + (uint64_t)t.tv_nsec;
}

static void sleep_until(uint64_t deadline)
{
	struct timespec t = { (time_t)(deadline / NS), (long)(deadline % NS) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

/* One frame: 1 when the source went away (after a warning), -1 after an error, else 0. */
static int frame(struct job *j, uint64_t k, struct ml_space *s, struct ml_selection *sel)
{
	struct ml_watch_stats st;
	j->nsp = 0;
	if (ml_watch_frame(j->w, s, sel, (uint32_t)k, on_changed, j, &st))
		return -1;
	double t = (double)(now_ns() - j->t0) / 1e9;
	if (j->picture) {
		set_offsets(j, sel);
		int r = k == 0 || st.layout ? draw_all(j, s, sel) : draw_changed(j, s, sel);
		if (r || emit_frame(j, k, s))
			return -1;
	}
	if (j->cli.json) {
		json_frame(j, k, t, &st);
	} else if (j->kind == OUT_VIEW) {
		char buf[512];
		title(j, s, k, &st, buf, sizeof buf);
		ml_wview_draw(j->view, j->w, (uint32_t)k, st.pages, buf);
	} else if (j->kind == OUT_TEXT) {
		char h[32];
		printf("frame %llu at %.3f s: %llu pages changed (%s) in %zu range%s; %llu resident of %llu selected, %llu read\n",
		       (unsigned long long)k, t, (unsigned long long)st.changed,
		       ml_human_size(st.changed * s->page_size, h, sizeof h), j->nsp, j->nsp == 1 ? "" : "s",
		       (unsigned long long)st.resident, (unsigned long long)st.pages, (unsigned long long)st.read);
		fflush(stdout);
	}
	return 0;
}

int cmd_watch(int argc, char **argv)
{
	struct job j = { .every = NS };
	struct ml_space *s = NULL;
	struct ml_selection sel = { 0 };
	int ret = ML_EXIT_USAGE;
	uint64_t k = 0;

	ml_picopts_init(&j.opt);
	if (parse_opts(&j, argc, argv))
		goto done;
	if ((ret = ml_cli_open(&j.cli, &s, &sel)))
		goto done;
	ret = ML_EXIT_FAIL;
	if (j.soft_dirty && ml_soft_dirty_supported() != 1) {
		ml_err("--soft-dirty: this kernel does not track soft-dirty pages (it was built without CONFIG_MEM_SOFT_DIRTY): watch without it, which hashes the resident pages");
		goto done;
	}
	j.w = ml_watch_new(j.soft_dirty);
	if (j.picture && start_picture(&j, s, &sel))
		goto done;
	if (j.cli.json)
		json_header(&j, s);
	if (j.kind == OUT_VIEW)
		j.view = ml_wview_start();
	j.t0 = now_ns();
	bool gone = false;
	for (k = 0; !j.frames || k < j.frames; k++) {
		if (k > 0) {
			uint64_t at = j.t0 + k * j.every;
			if (j.view ? ml_wview_wait(j.view, at) : (sleep_until(at), 0))
				break;
			/* A new look at the source: its mappings may have changed. */
			int pid;
			if (j.cli.live && ml_source_pid(j.cli.source, &pid) > 0 && kill(pid, 0) && errno == ESRCH) {
				gone = true;
				break;
			}
			if (ml_space_open(&s, j.cli.source, &j.cli.open)) {
				s = NULL;
				gone = true;
				break;
			}
			ml_select(s, j.cli.specs, j.cli.nspecs, &sel);
		}
		int r = frame(&j, k, s, &sel);
		ml_selection_free(&sel);
		ml_space_close(s);
		s = NULL;
		if (r)
			goto done;
		if (j.view && ml_wview_quit(j.view))
			break;
	}
	ml_wview_end(j.view);
	j.view = NULL;
	if (gone)
		ml_warn("%s went away after %llu frame%s", j.cli.source, (unsigned long long)k, k == 1 ? "" : "s");
	if (j.apng) {
		const char *why;
		int r = ml_apng_end(j.apng, &why);
		j.apng = NULL;
		if (r) {
			ml_err("%s: %s", j.cli.out, why);
			goto done;
		}
	}
	if (ml_stdout_done())
		goto done;
	ret = ml_cli_finish(&j.cli, gone);
	if (ret == ML_EXIT_OK && j.out_open) {
		j.out_open = false;
		if (ml_out_commit(&j.out))
			ret = ML_EXIT_FAIL;
	}
done:
	ml_wview_end(j.view);
	ml_apng_abort(j.apng);
	if (j.out_open)
		ml_out_abort(&j.out);
	ml_pic_free(&j.pic);
	ml_watch_free(j.w);
	free(j.prev);
	free(j.buf);
	free(j.sp);
	free(j.off);
	ml_selection_free(&sel);
	ml_space_close(s);
	ml_cli_free(&j.cli);
	return ret;
}
