/*
 * cmd_sound: `memlens sound SOURCE -o OUT` — the selected bytes played as
 * audio samples, memgaze's way by default (one byte, one unsigned 8-bit
 * sample, 8000 Hz, mono).  The bytes are streamed through a fixed buffer into
 * formats/sound.c, which writes them without changing any sample value; the
 * container follows OUT's extension.
 */
#include "config.h"
#include "commands.h"
#include "cli.h"
#include "output.h"
#include "sound.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char cmd_sound_help[] =
	"Usage: memlens sound SOURCE -o OUT [OPTIONS]\n"
	"Write the selected bytes as audio: the bytes are the samples, unscaled.\n"
	"The container follows OUT's extension: .wav (RF64 past 4 GiB), .rf64, .w64,\n"
	".aiff/.aif/.aifc, .au/.snd, .caf, .flac, .ogg/.oga (lossy); -o - writes WAV\n"
	"to standard output.\n\n"
	"  -o, --output OUT      the audio file to write (required)\n"
	"  --encoding ENC        how bytes become samples: u8 (default), s8, s16le,\n"
	"                        s16be, s24le, s32le, f32le, ulaw, alaw\n"
	"  --rate HZ             sample rate, 1 to 1000000 (default 8000)\n"
	"  --channels N          interleaved channels, 1 to 1024 (default 1)\n"
	"  --preset NAME         memgaze: u8, mono, 8000 Hz (the default);\n"
	"                        dump2wave: s16le, stereo, 44100 Hz; the options\n"
	"                        above override a preset\n"
	"  --holes skip|silence  bytes that could not be read are left out (default)\n"
	"                        or become silence in place\n"
	"  --seconds S           stop after S seconds of audio (decimal allowed)\n\n"
	"Lossless containers give back every byte: 8-bit signedness and byte order\n"
	"are mapped onto the container's, never scaled (see memlens-sound(1)).\n"
	"FLAC takes u8, s8, s16le, s16be and s24le only.  A last frame that the\n"
	"bytes do not fill is completed with silence (and said so on stderr).\n\n";

enum {
	OPT_RATE = ML_OPT_FIRST_CMD,
	OPT_ENCODING,
	OPT_CHANNELS,
	OPT_PRESET,
	OPT_HOLES,
	OPT_SECONDS,
};

/* sound's own options; -o and the source options are cli.c's. */
const struct option cmd_sound_opts[] = {
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "encoding", required_argument, NULL, OPT_ENCODING },
	{ "channels", required_argument, NULL, OPT_CHANNELS },
	{ "preset", required_argument, NULL, OPT_PRESET },
	{ "holes", required_argument, NULL, OPT_HOLES },
	{ "seconds", required_argument, NULL, OPT_SECONDS },
	{ NULL, 0, NULL, 0 },
};

#define RATE_MAX 1000000
#define CHANNELS_MAX 1024
#define SECONDS_MAX 1e9
#define OBUF_TARGET ((size_t)128 << 10)

struct sound_opts {
	const char *out;
	enum ml_enc enc;
	unsigned rate, channels;
	bool enc_set, rate_set, channels_set;
	bool silence;
	double seconds;		/* 0: no limit */
};

static int parse_seconds(const char *arg, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (end == arg || *end || errno || !isfinite(v) || v <= 0 || v > SECONDS_MAX)
		return -1;
	*out = v;
	return 0;
}

/* 1 handled, 0 not ours, -1 usage error printed. */
static int sound_option(struct sound_opts *so, int c, const char *arg)
{
	uint64_t v;
	switch (c) {
	case OPT_RATE:
		if (ml_parse_uint(arg, 1, RATE_MAX, &v)) {
			ml_usage_error("--rate %s: expected a sample rate from 1 to %d Hz", arg, RATE_MAX);
			return -1;
		}
		so->rate = (unsigned)v;
		so->rate_set = true;
		return 1;
	case OPT_ENCODING:
		if (ml_enc_parse(arg, &so->enc)) {
			ml_usage_error("--encoding %s: expected one of %s", arg, ml_enc_names);
			return -1;
		}
		so->enc_set = true;
		return 1;
	case OPT_CHANNELS:
		if (ml_parse_uint(arg, 1, CHANNELS_MAX, &v)) {
			ml_usage_error("--channels %s: expected a channel count from 1 to %d", arg,
				       CHANNELS_MAX);
			return -1;
		}
		so->channels = (unsigned)v;
		so->channels_set = true;
		return 1;
	case OPT_HOLES:
		if (!strcmp(arg, "skip"))
			so->silence = false;
		else if (!strcmp(arg, "silence"))
			so->silence = true;
		else {
			ml_usage_error("--holes %s: expected skip or silence", arg);
			return -1;
		}
		return 1;
	case OPT_SECONDS:
		if (parse_seconds(arg, &so->seconds)) {
			ml_usage_error("--seconds %s: expected a duration above 0 and up to 1e9", arg);
			return -1;
		}
		return 1;
	}
	return 0;
}

struct job {
	struct ml_sound *w;
	uint8_t *buf;
	size_t cap, fill;	/* cap: a whole number of frames */
	size_t frame;
	uint64_t written;	/* sample bytes handed to the writer */
	const char *out_name;
};

static int flush(struct job *j)
{
	const char *why;
	if (ml_sound_write(j->w, j->buf, j->fill, &why)) {
		ml_err("%s: write failed: %s", j->out_name, why);
		return -1;
	}
	j->written += j->fill;
	j->fill = 0;
	return 0;
}

/* Appends n bytes (or n silence bytes when data is NULL). */
static int put(struct job *j, const uint8_t *data, uint8_t silence, uint64_t n)
{
	while (n) {
		if (data && !j->fill && n >= j->cap && ml_sound_passthrough(j->w)) {
			/* whole buffers of bytes that need no change go straight out */
			size_t k = (size_t)(n / j->frame * j->frame);
			const char *why;
			if (ml_sound_write_const(j->w, data, k, &why)) {
				ml_err("%s: write failed: %s", j->out_name, why);
				return -1;
			}
			j->written += k;
			data += k;
			n -= k;
			continue;
		}
		size_t k = (size_t)ML_MIN((uint64_t)(j->cap - j->fill), n);
		if (data) {
			memcpy(j->buf + j->fill, data, k);
			data += k;
		} else {
			memset(j->buf + j->fill, silence, k);
		}
		j->fill += k;
		n -= k;
		if (j->fill == j->cap && flush(j))
			return -1;
	}
	return 0;
}

/* Says why silence was added at the end; not a warning: no data is missing. */
static void note_padding(uint64_t pad, uint64_t partial, uint64_t frame)
{
	if (ml_quiet || !pad)
		return;
	fprintf(stderr, "memlens: %s: added %llu byte(s) of silence at the end:",
		ml_cmd ? ml_cmd : "sound", (unsigned long long)pad);
	if (partial)
		fprintf(stderr, " the last %llu byte(s) of data did not fill a %llu-byte frame%s",
			(unsigned long long)partial, (unsigned long long)frame,
			pad > frame - partial ? ";" : "");
	if (pad > (partial ? frame - partial : 0))
		fprintf(stderr, " one silent frame keeps the AIFF sound data even");
	fputc('\n', stderr);
}

static int run(struct ml_cli *cli, const struct sound_opts *so, enum ml_container cont)
{
	struct ml_space *s;
	struct ml_selection sel;
	int ret = ml_cli_open(cli, &s, &sel);
	if (ret)
		return ret;
	ret = ML_EXIT_FAIL;
	const struct ml_enc_info *ei = ml_enc_get(so->enc);
	uint64_t frame = (uint64_t)ei->bytes * so->channels;
	uint64_t kh = sel.bytes - ml_selection_captured(s, &sel);
	uint64_t in = so->silence ? sel.bytes : sel.bytes - kh;
	uint64_t limit = UINT64_MAX;
	if (so->seconds > 0) {
		double frames = floor(so->seconds * so->rate);
		limit = frames * (double)frame >= 1.8e19 ? UINT64_MAX : (uint64_t)frames * frame;
	}
	uint64_t want = ML_MIN(in, limit);
	if (want == 0) {
		ml_err("%s: nothing to play: the selection is all holes (try --holes silence)",
		       cli->source);
		goto out;
	}
	if (want > UINT64_MAX - frame) {
		ml_err("%s: the selection is too large", cli->source);
		goto out;
	}
	uint64_t bound = (want + frame - 1) / frame * frame;

	struct ml_out o;
	if (ml_out_open(&o, so->out, s))
		goto out;
	/* libsndfile seeks back to fix sizes only where it can: a regular file */
	bool stream = !o.seekable;
	const char *why, *name = o.is_stdout ? "standard output" : so->out;
	struct job j = { .out_name = name };
	struct ml_stream *st = NULL;
	j.w = ml_sound_open(o.fd, cont, so->enc, so->channels, so->rate, bound, stream, &why);
	if (!j.w) {
		ml_err("%s: cannot write %s: %s", name, ml_container_name(cont), why);
		goto abort;
	}
	j.frame = (size_t)frame;
	j.cap = (size_t)(OBUF_TARGET / frame * frame);
	j.buf = ml_malloc(j.cap);
	st = ml_stream_new(s, &sel, OBUF_TARGET);
	ml_stream_long_holes(st);	/* put() takes any length */
	struct ml_chunk ch;
	uint64_t holes = 0, taken = 0;
	/* when all of the selection is played, holes after the last data still count */
	bool whole = limit >= in;
	while (ml_stream_next(st, &ch)) {
		if (taken >= want && !(whole && ch.hole))
			break;
		uint64_t k = ML_MIN((uint64_t)ch.len, want - taken);
		if (ch.hole && !so->silence) {
			holes += ch.len;
			continue;
		}
		if (ch.hole)
			holes += k;
		if (put(&j, ch.hole ? NULL : ch.data, ei->silence, k))
			goto abort;
		taken += k;
	}
	uint64_t pad = (frame - taken % frame) % frame;
	/* libsndfile counts AIFF's chunk pad byte as one more sample: make it ours, silent */
	if (cont == ML_CONT_AIFF && ((taken + pad) & 1))
		pad += frame;
	uint64_t tail = 0;
	if (stream && taken + pad < bound)	/* the header already promised bound bytes */
		tail = bound - taken - pad;
	if (put(&j, NULL, ei->silence, pad + tail) || flush(&j))
		goto abort;
	ml_stream_free(st);
	st = NULL;
	int err = ml_sound_close(j.w, &why);
	j.w = NULL;
	if (err) {
		ml_err("%s: write failed: %s", name, why);
		goto abort;
	}
	note_padding(pad, taken % frame, frame);
	if (holes) {
		char h[32];
		ml_warn("%s in holes (not captured or unreadable) %s", ml_human_size(holes, h, sizeof h),
			so->silence ? "written as silence" : "skipped");
	}
	if (tail)
		ml_warn("%llu byte(s) of silence appended: the WAV header sent to the pipe promised them",
			(unsigned long long)tail);
	/* Decided before the commit: a run that exits 1 leaves no file. */
	ret = ml_cli_finish(cli, holes || s->truncated || s->exited || tail);
	if (ret != ML_EXIT_OK)
		goto abort;
	if (ml_out_commit(&o))
		ret = ML_EXIT_FAIL;
	goto out_buf;
abort:
	if (j.w)
		ml_sound_close(j.w, &why);
	ml_stream_free(st);
	ml_out_abort(&o);
out_buf:
	free(j.buf);
out:
	ml_selection_free(&sel);
	ml_space_close(s);
	return ret;
}

int cmd_sound(int argc, char **argv)
{
	struct ml_cli cli;
	struct sound_opts so = { .enc = ML_ENC_U8, .rate = 8000, .channels = 1 };
	const char *preset = "memgaze";
	int c, ret = ML_EXIT_USAGE;
	ml_cli_init(&cli, argc, argv);
	while ((c = ml_cli_next(&cli)) > 0) {
		if (c == OPT_PRESET) {
			if (strcmp(optarg, "memgaze") && strcmp(optarg, "dump2wave")) {
				ml_usage_error("--preset %s: expected memgaze or dump2wave", optarg);
				goto out;
			}
			preset = optarg;
			continue;
		}
		if (sound_option(&so, c, optarg) < 0)
			goto out;
	}
	if (c < 0 || ml_cli_done(&cli))
		goto out;
	so.out = cli.out;
	if (!strcmp(preset, "dump2wave")) {
		/* Dump2Wave's header: 44.1 kHz, 16-bit, stereo */
		if (!so.enc_set)
			so.enc = ML_ENC_S16LE;
		if (!so.rate_set)
			so.rate = 44100;
		if (!so.channels_set)
			so.channels = 2;
	}
	/* The extension names the container; "-", a device or a FIFO without one get WAV. */
	enum ml_container cont = ML_CONT_WAV;
	if (*ml_path_ext(so.out) || !ml_out_is_stream(so.out)) {
		const char *ext = ml_path_ext(so.out);
		char low[16];
		size_t n = strlen(ext);
		if (n >= sizeof low)
			n = sizeof low - 1;
		for (size_t i = 0; i < n; i++)
			low[i] = (char)(ext[i] >= 'A' && ext[i] <= 'Z' ? ext[i] - 'A' + 'a' : ext[i]);
		low[n] = 0;
		if (ml_container_from_ext(low, &cont)) {
			ml_usage_error("%s: unknown audio type '.%s': use %s, or - for WAV on stdout",
				       so.out, ext, ml_container_exts);
			goto out;
		}
	}
	if (so.seconds > 0 && floor(so.seconds * so.rate) < 1) {
		ml_usage_error("--seconds %g at %u Hz is less than one frame", so.seconds, so.rate);
		goto out;
	}
	const char *why;
	if (ml_sound_check(cont, so.enc, so.channels, so.rate, &why)) {
		ml_usage_error("%s with %s, %u channel(s), %u Hz: %s", ml_container_name(cont),
			       ml_enc_get(so.enc)->name, so.channels, so.rate, why);
		goto out;
	}
	ret = run(&cli, &so, cont);
out:
	ml_cli_free(&cli);
	return ret;
}
