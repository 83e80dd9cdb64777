/*
 * sound: bytes as audio samples, written without changing a single sample
 * value.  WAV, RF64 and AU are written here: the bytes mapped onto the
 * container's own layout (8-bit sign, byte order) behind a header built
 * here -- for a pipe too, where libsndfile cannot write WAV, and with the
 * headers sox accepts without a warning (libsndfile's float WAV lacks
 * cbSize, its AU header is 24 bytes where Sun's is at least 28).  W64,
 * AIFF and CAF take the bytes through libsndfile's sf_write_raw; FLAC gets
 * the exact integer values; Ogg Vorbis, lossy by nature, normalised values.
 */
#include "config.h"
#include "sound.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static const struct ml_enc_info encs[] = {
	[ML_ENC_U8] = { "u8", 1, false, false, false, false, 0x80 },
	[ML_ENC_S8] = { "s8", 1, true, false, false, false, 0x00 },
	[ML_ENC_S16LE] = { "s16le", 2, true, false, false, false, 0x00 },
	[ML_ENC_S16BE] = { "s16be", 2, true, true, false, false, 0x00 },
	[ML_ENC_S24LE] = { "s24le", 3, true, false, false, false, 0x00 },
	[ML_ENC_S32LE] = { "s32le", 4, true, false, false, false, 0x00 },
	[ML_ENC_F32LE] = { "f32le", 4, true, false, true, false, 0x00 },
	/* G.711: 0xFF is mu-law +0, 0xD5 is A-law +0 (0x55 after the even-bit xor) */
	[ML_ENC_ULAW] = { "ulaw", 1, false, false, false, true, 0xFF },
	[ML_ENC_ALAW] = { "alaw", 1, false, false, false, true, 0xD5 },
};

const char ml_enc_names[] = "u8, s8, s16le, s16be, s24le, s32le, f32le, ulaw, alaw";

int ml_enc_parse(const char *name, enum ml_enc *out)
{
	for (size_t i = 0; i < sizeof encs / sizeof encs[0]; i++) {
		if (!strcmp(name, encs[i].name)) {
			*out = (enum ml_enc)i;
			return 0;
		}
	}
	return -1;
}

const struct ml_enc_info *ml_enc_get(enum ml_enc e)
{
	return &encs[e];
}

struct cont {
	const char *name;
	const char *exts;	/* space separated */
	int major;
	bool disk_big;		/* libsndfile's default byte order for it */
	bool u8_unsigned;	/* its 8-bit PCM is unsigned (RIFF family) */
	bool raw;		/* uncompressed: sf_write_raw is exact */
	bool lossless;
};

static const struct cont conts[] = {
	[ML_CONT_WAV] = { "WAV", "wav wave", SF_FORMAT_WAV, false, true, true, true },
	[ML_CONT_RF64] = { "RF64", "rf64", SF_FORMAT_RF64, false, true, true, true },
	[ML_CONT_W64] = { "W64", "w64", SF_FORMAT_W64, false, true, true, true },
	[ML_CONT_AIFF] = { "AIFF", "aiff aif aifc", SF_FORMAT_AIFF, true, false, true, true },
	[ML_CONT_AU] = { "AU", "au snd", SF_FORMAT_AU, true, false, true, true },
	[ML_CONT_CAF] = { "CAF", "caf", SF_FORMAT_CAF, true, false, true, true },
	[ML_CONT_FLAC] = { "FLAC", "flac", SF_FORMAT_FLAC, false, false, false, true },
	[ML_CONT_OGG] = { "Ogg Vorbis", "ogg oga", SF_FORMAT_OGG, false, false, false, false },
};

const char ml_container_exts[] = ".wav .rf64 .w64 .aiff/.aif/.aifc .au/.snd .caf .flac .ogg/.oga";

int ml_container_from_ext(const char *ext, enum ml_container *out)
{
	size_t n = strlen(ext);
	if (!n)
		return -1;
	for (size_t i = 0; i < sizeof conts / sizeof conts[0]; i++) {
		const char *p = conts[i].exts;
		while (*p) {
			size_t len = strcspn(p, " ");
			if (len == n && !strncmp(p, ext, n)) {
				*out = (enum ml_container)i;
				return 0;
			}
			p += len;
			p += strspn(p, " ");
		}
	}
	return -1;
}

const char *ml_container_name(enum ml_container c)
{
	return conts[c].name;
}

bool ml_container_lossless(enum ml_container c)
{
	return conts[c].lossless;
}

int ml_sound_layout(enum ml_container c, enum ml_enc e, struct ml_sound_layout *l,
		    const char **why)
{
	const struct cont *k = &conts[c];
	const struct ml_enc_info *ei = &encs[e];
	memset(l, 0, sizeof *l);
	l->disk_big = k->disk_big;
	if (c == ML_CONT_FLAC) {
		/* FLAC holds integers of 8..24 bits; given exactly, they decode exactly. */
		static const int sub[] = { 0, SF_FORMAT_PCM_S8, SF_FORMAT_PCM_16, SF_FORMAT_PCM_24 };
		if (ei->law || ei->is_float || ei->bytes > 3) {
			*why = "FLAC holds 8 to 24-bit integer samples only (use u8, s8, s16le, s16be or s24le, or another container)";
			return -1;
		}
		l->sf_format = SF_FORMAT_FLAC | sub[ei->bytes];
		l->as_int = true;
		return 0;
	}
	if (c == ML_CONT_OGG) {
		if (ei->law) {
			*why = "Ogg Vorbis cannot take ulaw/alaw bytes (use WAV, AU, AIFF, CAF, W64 or RF64)";
			return -1;
		}
		l->sf_format = SF_FORMAT_OGG | SF_FORMAT_VORBIS;
		l->as_int = !ei->is_float;
		l->as_float = ei->is_float;
		return 0;
	}
	int sub;
	if (ei->law)
		sub = e == ML_ENC_ULAW ? SF_FORMAT_ULAW : SF_FORMAT_ALAW;
	else if (ei->is_float)
		sub = SF_FORMAT_FLOAT;
	else if (ei->bytes == 1)
		sub = k->u8_unsigned ? SF_FORMAT_PCM_U8 : SF_FORMAT_PCM_S8;
	else
		sub = ei->bytes == 2 ? SF_FORMAT_PCM_16 : ei->bytes == 3 ? SF_FORMAT_PCM_24 : SF_FORMAT_PCM_32;
	l->sf_format = k->major | sub;
	l->flip_sign = ei->bytes == 1 && !ei->law && ei->is_signed == k->u8_unsigned;
	l->swap = ei->bytes > 1 && ei->big != k->disk_big;
	return 0;
}

void ml_sound_transform(const struct ml_sound_layout *l, unsigned bytes, uint8_t *buf, size_t n)
{
	if (l->flip_sign) {
		for (size_t i = 0; i < n; i++)
			buf[i] ^= 0x80;
	}
	if (!l->swap || bytes < 2)
		return;
	for (size_t i = 0; i + bytes <= n; i += bytes) {
		for (unsigned a = 0, b = bytes - 1; a < b; a++, b--) {
			uint8_t t = buf[i + a];
			buf[i + a] = buf[i + b];
			buf[i + b] = t;
		}
	}
}

int32_t ml_sound_int32(const struct ml_enc_info *ei, const uint8_t *p)
{
	uint32_t v;
	switch (ei->bytes) {
	case 1:
		v = (uint32_t)(ei->is_signed ? p[0] : (uint8_t)(p[0] ^ 0x80)) << 24;
		break;
	case 2:
		v = ei->big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16
			    : (uint32_t)p[1] << 24 | (uint32_t)p[0] << 16;
		break;
	case 3:
		v = (uint32_t)p[2] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 8;
		break;
	default:
		v = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
		break;
	}
	/* two's complement reinterpretation without implementation-defined casts */
	return v <= INT32_MAX ? (int32_t)v : -(int32_t)(~v) - 1;
}

int ml_sound_check(enum ml_container c, enum ml_enc e, unsigned channels, unsigned rate,
		   const char **why)
{
	struct ml_sound_layout l;
	if (ml_sound_layout(c, e, &l, why))
		return -1;
	if (c == ML_CONT_FLAC && channels > 8) {
		*why = "FLAC holds at most 8 channels";
		return -1;
	}
	if (c == ML_CONT_FLAC && rate > 655350) {
		*why = "FLAC holds sample rates up to 655350 Hz";
		return -1;
	}
	if (c == ML_CONT_OGG && channels > 255) {
		*why = "Ogg Vorbis holds at most 255 channels";
		return -1;
	}
	SF_INFO info = { .samplerate = (int)rate, .channels = (int)channels, .format = l.sf_format };
	if (!sf_format_check(&info)) {
		*why = "libsndfile cannot write this encoding in this container";
		return -1;
	}
	return 0;
}

/* ---- WAV / RF64 and AU headers, written here ---- */

static uint8_t *put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + 4;
}

static uint8_t *put32be(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
	return p + 4;
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + 8;
}

static uint8_t *put4cc(uint8_t *p, const char *s)
{
	memcpy(p, s, 4);
	return p + 4;
}

size_t ml_wav_header(uint8_t out[128], enum ml_enc e, unsigned channels, unsigned rate,
		     uint64_t data_bytes, enum ml_wav_form form)
{
	const struct ml_enc_info *ei = &encs[e];
	unsigned tag = ei->is_float ? 3 : e == ML_ENC_ULAW ? 7 : e == ML_ENC_ALAW ? 6 : 1;
	/*
	 * Non-PCM formats carry cbSize (a WAVEFORMATEX of 18 bytes) and a fact
	 * chunk: libsndfile writes float with a 16-byte fmt, and sox warns
	 * "wave header missing extended part of fmt chunk" on it.
	 */
	unsigned fmt_size = tag == 1 ? 16 : 18;
	bool fact = tag != 1;
	bool rf64 = form == ML_WAV_RF64 || (form == ML_WAV_AUTO && data_bytes > ML_WAV_MAX_DATA);
	bool room = rf64 || form == ML_WAV_ROOM;	/* ds64, or a JUNK chunk of its size */
	uint64_t frame = (uint64_t)ei->bytes * channels;
	uint64_t frames = data_bytes / frame;
	uint64_t riff = 4 + (room ? 8 + 28 : 0) + 8 + fmt_size + (fact ? 12 : 0) + 8 + data_bytes +
			(data_bytes & 1);
	uint8_t *p = out;
	p = put4cc(p, rf64 ? "RF64" : "RIFF");
	p = put32(p, rf64 ? UINT32_MAX : (uint32_t)riff);
	p = put4cc(p, "WAVE");
	if (rf64) {
		p = put4cc(p, "ds64");
		p = put32(p, 28);
		p = put64(p, riff);
		p = put64(p, data_bytes);
		p = put64(p, frames);
		p = put32(p, 0);
	} else if (room) {
		/* EBU Tech 3306: JUNK where ds64 goes, so a file can become RF64 in place */
		p = put4cc(p, "JUNK");
		p = put32(p, 28);
		memset(p, 0, 28);
		p += 28;
	}
	p = put4cc(p, "fmt ");
	p = put32(p, fmt_size);
	p = put16(p, tag);
	p = put16(p, channels);
	p = put32(p, rate);
	/* byte rate is 32-bit: 1024 channels of 32-bit at 1 MHz would wrap */
	p = put32(p, rate * frame > UINT32_MAX ? UINT32_MAX : (uint32_t)(rate * frame));
	p = put16(p, (unsigned)frame);
	p = put16(p, ei->bytes * 8);
	if (fmt_size == 18)
		p = put16(p, 0);
	if (fact) {
		p = put4cc(p, "fact");
		p = put32(p, 4);
		p = put32(p, frames > UINT32_MAX ? UINT32_MAX : (uint32_t)frames);
	}
	p = put4cc(p, "data");
	p = put32(p, rf64 ? UINT32_MAX : (uint32_t)data_bytes);
	return (size_t)(p - out);
}

size_t ml_au_header(uint8_t out[ML_AU_HEADER], enum ml_enc e, unsigned channels, unsigned rate,
		    uint64_t data_bytes)
{
	const struct ml_enc_info *ei = &encs[e];
	/* Sun's encoding numbers; AU's 8-bit PCM is signed (u8 is stored flipped) */
	uint32_t enc = ei->law ? (e == ML_ENC_ULAW ? 1 : 27) : ei->is_float ? 6 : 1 + ei->bytes;
	uint8_t *p = out;
	p = put4cc(p, ".snd");
	/*
	 * The header is 24 bytes of fields and an annotation of at least 4
	 * (Sun's audio_filehdr); libsndfile writes 24 and sox warns "header
	 * size 24 is too small".  Ours: 28, the annotation empty.
	 */
	p = put32be(p, ML_AU_HEADER);
	p = put32be(p, data_bytes < UINT32_MAX ? (uint32_t)data_bytes : UINT32_MAX);	/* ~0: unknown */
	p = put32be(p, enc);
	p = put32be(p, rate);
	p = put32be(p, channels);
	memset(p, 0, 4);
	return ML_AU_HEADER;
}

/* ---- the writer ---- */

#define ML_SND_SCRATCH 65536	/* samples converted per sf_write_int/float call */

struct ml_sound {
	SNDFILE *sf;		/* libsndfile's containers; NULL for WAV, RF64, AU */
	int fd;
	enum ml_container c;	/* WAV, RF64 or AU, written here */
	enum ml_wav_form form;	/* WAV: as planned at open */
	bool stream;		/* fd cannot seek: the header promises the length */
	off_t start;		/* where the header is, to rewrite it at close */
	unsigned rate;
	uint64_t declared, written;
	uint8_t hdr[128];	/* stream mode: sent with the first samples, because */
	size_t hdr_len;		/* readers that sniff a pipe want more than a header */
	struct ml_sound_layout l;
	const struct ml_enc_info *ei;
	enum ml_enc e;
	unsigned channels;
	void *scratch;		/* int32_t or float, ML_SND_SCRATCH samples */
};

size_t ml_sound_frame(const struct ml_sound *w)
{
	return (size_t)w->ei->bytes * w->channels;
}

/* Writes a then b (either may be empty) in as few system calls as the pipe allows. */
static int write_all2(int fd, const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	while (na + nb) {
		struct iovec v[2] = { { (void *)a, na }, { (void *)b, nb } };
		ssize_t k = na ? writev(fd, v, 2) : write(fd, b, nb);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		size_t u = (size_t)k;
		size_t ua = u < na ? u : na;
		/* either may be NULL when empty: no arithmetic on it then */
		if (ua)
			a += ua;
		na -= ua;
		if (u > ua)
			b += u - ua;
		nb -= u - ua;
	}
	return 0;
}

/* The header of w's own container for data_bytes of samples. */
static size_t own_header(const struct ml_sound *w, uint8_t out[128], uint64_t data_bytes)
{
	if (w->c == ML_CONT_AU)
		return ml_au_header(out, w->e, w->channels, w->rate, data_bytes);
	return ml_wav_header(out, w->e, w->channels, w->rate, data_bytes, w->form);
}

struct ml_sound *ml_sound_open(int fd, enum ml_container c, enum ml_enc e, unsigned channels,
			       unsigned rate, uint64_t max_bytes, bool stream, const char **why)
{
	if (ml_sound_check(c, e, channels, rate, why))
		return NULL;
	if (stream && c != ML_CONT_WAV) {
		*why = "only WAV can be streamed to a pipe";
		return NULL;
	}
	struct ml_sound *w = calloc(1, sizeof *w);
	if (!w) {
		*why = strerror(ENOMEM);
		return NULL;
	}
	w->ei = &encs[e];
	w->e = e;
	w->c = c;
	w->channels = channels;
	w->rate = rate;
	w->fd = fd;
	w->stream = stream;
	w->declared = max_bytes;
	if (ml_sound_layout(c, e, &w->l, why))
		goto fail;
	if (c == ML_CONT_WAV || c == ML_CONT_RF64 || c == ML_CONT_AU) {
		/*
		 * Written here: a pipe gets a header that declares max_bytes (the
		 * caller writes exactly that many); a file gets one now and the
		 * real one at close.  A .wav that may pass 4 GiB keeps room to
		 * become RF64 then (RIFF with a JUNK chunk if it stays small).
		 */
		w->form = c == ML_CONT_RF64 ? ML_WAV_RF64 : stream ? ML_WAV_AUTO
			: max_bytes > ML_WAV_MAX_DATA ? ML_WAV_ROOM : ML_WAV_RIFF;
		w->hdr_len = own_header(w, w->hdr, max_bytes);
		if (stream)
			return w;
		w->start = lseek(fd, 0, SEEK_CUR);
		if (w->start < 0 || write_all2(fd, w->hdr, w->hdr_len, NULL, 0)) {
			*why = strerror(errno ? errno : EIO);
			goto fail;
		}
		w->hdr_len = 0;
		return w;
	}
	if (w->l.as_int || w->l.as_float) {
		w->scratch = malloc(ML_SND_SCRATCH * 4);
		if (!w->scratch) {
			*why = strerror(ENOMEM);
			goto fail;
		}
	}
	SF_INFO info = { .samplerate = (int)rate, .channels = (int)channels, .format = w->l.sf_format };
	w->sf = sf_open_fd(fd, SFM_WRITE, &info, SF_FALSE);
	if (!w->sf) {
		*why = sf_strerror(NULL);
		goto fail;
	}
	/* A PEAK chunk would be computed from sf_write_float data, which raw writes bypass. */
	sf_command(w->sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
	if (!w->l.as_int && !w->l.as_float && w->ei->bytes > 1) {
		/* Confirm libsndfile's byte order is the one the layout assumed. */
		bool host_big = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
		bool swaps = sf_command(w->sf, SFC_RAW_DATA_NEEDS_ENDSWAP, NULL, 0) == SF_TRUE;
		if (swaps != (w->l.disk_big != host_big)) {
			*why = "libsndfile chose an unexpected byte order for this container";
			sf_close(w->sf);
			goto fail;
		}
	}
	return w;
fail:
	free(w->scratch);
	free(w);
	return NULL;
}

static int write_int(struct ml_sound *w, const uint8_t *buf, size_t n, const char **why)
{
	unsigned b = w->ei->bytes;
	size_t per = (ML_SND_SCRATCH / w->channels) * w->channels;	/* whole frames */
	size_t total = n / b;
	for (size_t done = 0; done < total;) {
		size_t k = (per < total - done ? per : total - done);
		if (w->l.as_float) {
			float *f = w->scratch;
			for (size_t i = 0; i < k; i++) {
				const uint8_t *p = buf + (done + i) * b;
				uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
					     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
				float v;
				memcpy(&v, &u, sizeof v);
				/* lossy container: keep the encoder in its domain */
				if (!isfinite(v))
					v = 0;
				f[i] = v > 1 ? 1 : v < -1 ? -1 : v;
			}
			if (sf_write_float(w->sf, f, (sf_count_t)k) != (sf_count_t)k)
				goto err;
		} else {
			int32_t *s = w->scratch;
			for (size_t i = 0; i < k; i++)
				s[i] = ml_sound_int32(w->ei, buf + (done + i) * b);
			if (sf_write_int(w->sf, s, (sf_count_t)k) != (sf_count_t)k)
				goto err;
		}
		done += k;
	}
	return 0;
err:
	*why = sf_strerror(w->sf);
	return -1;
}

int ml_sound_write(struct ml_sound *w, uint8_t *buf, size_t n, const char **why)
{
	if (n % ml_sound_frame(w)) {
		*why = "write of a partial frame";
		return -1;
	}
	if (!n)
		return 0;
	if (!w->sf) {
		/* A RIFF without room cannot grow past what its header can say. */
		if ((w->stream || w->form == ML_WAV_RIFF) && n > w->declared - w->written) {
			*why = "more data than the header declares";
			return -1;
		}
		ml_sound_transform(&w->l, w->ei->bytes, buf, n);
		errno = 0;
		if (write_all2(w->fd, w->hdr, w->hdr_len, buf, n)) {
			*why = strerror(errno ? errno : EIO);
			return -1;
		}
		w->hdr_len = 0;
		w->written += n;
		return 0;
	}
	if (w->l.as_int || w->l.as_float)
		return write_int(w, buf, n, why);
	ml_sound_transform(&w->l, w->ei->bytes, buf, n);
	if (sf_write_raw(w->sf, buf, (sf_count_t)n) != (sf_count_t)n) {
		*why = sf_strerror(w->sf);
		return -1;
	}
	return 0;
}

bool ml_sound_passthrough(const struct ml_sound *w)
{
	return !w->l.as_int && !w->l.as_float && !w->l.flip_sign && !w->l.swap;
}

int ml_sound_write_const(struct ml_sound *w, const uint8_t *buf, size_t n, const char **why)
{
	if (!ml_sound_passthrough(w)) {
		*why = "this layout needs a writable buffer";
		return -1;
	}
	/* passthrough: ml_sound_write only reads buf */
	return ml_sound_write(w, (uint8_t *)(uintptr_t)buf, n, why);
}

int ml_sound_close(struct ml_sound *w, const char **why)
{
	int ret = 0;
	/* RIFF chunks are even: an odd data chunk is followed by a pad byte (AU has none). */
	static const uint8_t pad[1] = { 0 };
	size_t npad = w->c == ML_CONT_AU ? 0 : (size_t)(w->written & 1);
	errno = 0;
	if (w->stream) {
		if (w->written != w->declared) {
			*why = "the data does not match the length the WAV header declared";
			ret = -1;
		} else if (write_all2(w->fd, w->hdr, w->hdr_len, pad, npad)) {
			*why = strerror(errno ? errno : EIO);
			ret = -1;
		}
	} else if (!w->sf) {
		/* The header again, with the length that was written. */
		if (w->form == ML_WAV_ROOM && w->written > ML_WAV_MAX_DATA)
			w->form = ML_WAV_RF64;
		uint8_t h[128];
		size_t n = own_header(w, h, w->written);
		if (write_all2(w->fd, NULL, 0, pad, npad) || pwrite(w->fd, h, n, w->start) != (ssize_t)n) {
			*why = strerror(errno ? errno : EIO);
			ret = -1;
		}
	} else {
		int err = sf_close(w->sf);
		if (err) {
			*why = sf_error_number(err);
			ret = -1;
		}
	}
	free(w->scratch);
	free(w);
	return ret;
}
