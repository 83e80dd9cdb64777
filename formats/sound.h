/*
 * sound: writing bytes as audio samples, losslessly, through libsndfile.
 *
 * The caller owns the meaning of the bytes (an encoding: u8, s16le, ...);
 * this module knows each container's on-disk sample representation and
 * maps the bytes onto it exactly: raw writes with at most a sign flip
 * (8-bit) or a byte swap where the container stores the same values
 * differently, exact integer values for FLAC.  WAV, RF64 and AU headers
 * are its own (to a file or a pipe, which libsndfile cannot write WAV to);
 * the other containers go through libsndfile.  It knows nothing of the
 * CLI.
 */
#ifndef ML_SOUND_H
#define ML_SOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ml_enc {
	ML_ENC_U8,
	ML_ENC_S8,
	ML_ENC_S16LE,
	ML_ENC_S16BE,
	ML_ENC_S24LE,
	ML_ENC_S32LE,
	ML_ENC_F32LE,
	ML_ENC_ULAW,
	ML_ENC_ALAW,
};

struct ml_enc_info {
	const char *name;
	unsigned bytes;		/* bytes per sample */
	bool is_signed;		/* integer PCM: two's complement */
	bool big;		/* multi-byte: most significant byte first */
	bool is_float;
	bool law;		/* G.711 companded byte */
	uint8_t silence;	/* the byte that decodes to 0 */
};

enum ml_container {
	ML_CONT_WAV,		/* becomes RF64 when the data may pass 4 GiB */
	ML_CONT_RF64,
	ML_CONT_W64,
	ML_CONT_AIFF,
	ML_CONT_AU,
	ML_CONT_CAF,
	ML_CONT_FLAC,
	ML_CONT_OGG,		/* Vorbis: lossy */
};

/* Parses an encoding name; -1 when unknown. */
int ml_enc_parse(const char *name, enum ml_enc *out);
const struct ml_enc_info *ml_enc_get(enum ml_enc e);
/* The list of names for messages: "u8, s8, ...". */
extern const char ml_enc_names[];

/* Container for a lowercase file extension; -1 when none fits. */
int ml_container_from_ext(const char *ext, enum ml_container *out);
const char *ml_container_name(enum ml_container c);
extern const char ml_container_exts[];
bool ml_container_lossless(enum ml_container c);

/* Largest WAV data chunk before RF64 is needed (header room included). */
#define ML_WAV_MAX_DATA (UINT64_C(0xFFFFFFFF) - 4096)
/* An AU header: 24 bytes of fields and a 4-byte (empty) annotation. */
#define ML_AU_HEADER 28

/*
 * Which WAV header: RIFF, or RF64 (with a ds64 chunk) past ML_WAV_MAX_DATA
 * (AUTO); always RIFF; RIFF with a JUNK chunk of ds64's size, so the file
 * can become RF64 in place (ROOM); always RF64.
 */
enum ml_wav_form { ML_WAV_AUTO, ML_WAV_RIFF, ML_WAV_ROOM, ML_WAV_RF64 };

struct ml_sound;

/*
 * Checks that container c can hold encoding e with this rate and channel
 * count; 0, or -1 with *why set to a static sentence.
 */
int ml_sound_check(enum ml_container c, enum ml_enc e, unsigned channels, unsigned rate,
		   const char **why);

/*
 * Opens a writer on fd.  max_bytes: an upper bound of the sample bytes that
 * will be written (a .wav that may pass ML_WAV_MAX_DATA keeps room for a
 * ds64 chunk and becomes RF64 at close only if it did).  stream: fd cannot
 * seek (a pipe): only WAV, with its header written up front and declaring
 * exactly max_bytes, so the caller must write exactly that many.
 * Returns NULL with *why (static or libsndfile's text) on failure.
 */
struct ml_sound *ml_sound_open(int fd, enum ml_container c, enum ml_enc e, unsigned channels,
			       unsigned rate, uint64_t max_bytes, bool stream, const char **why);
/* The frame size in bytes (sample bytes x channels). */
size_t ml_sound_frame(const struct ml_sound *w);
/*
 * Writes n bytes (a whole number of frames) of samples in the encoding's
 * byte layout.  buf is used as scratch space and clobbered.  0, or -1
 * with *why.
 */
int ml_sound_write(struct ml_sound *w, uint8_t *buf, size_t n, const char **why);
/*
 * True when ml_sound_write leaves the bytes as they are (no sign flip, no
 * swap, no conversion): then ml_sound_write_const may take them directly.
 */
bool ml_sound_passthrough(const struct ml_sound *w);
int ml_sound_write_const(struct ml_sound *w, const uint8_t *buf, size_t n, const char **why);
/* Finishes the file (header sizes) and frees w; 0, or -1 with *why. */
int ml_sound_close(struct ml_sound *w, const char **why);

/*
 * Helpers exposed for the unit tests: the container's on-disk layout for
 * an encoding, and the byte transform into it.
 */
struct ml_sound_layout {
	int sf_format;		/* libsndfile major | subtype | endian */
	bool flip_sign;		/* 8-bit: xor 0x80 (signed <-> unsigned) */
	bool swap;		/* reverse the bytes of each sample */
	bool as_int;		/* write exact int values (sf_write_int) */
	bool as_float;		/* lossy float path (sf_write_float) */
	bool disk_big;		/* the container stores multi-byte samples big-endian */
};
int ml_sound_layout(enum ml_container c, enum ml_enc e, struct ml_sound_layout *out,
		    const char **why);
void ml_sound_transform(const struct ml_sound_layout *l, unsigned bytes, uint8_t *buf, size_t n);
/* Sample value of one encoded integer sample, scaled to 32 bits. */
int32_t ml_sound_int32(const struct ml_enc_info *ei, const uint8_t *p);
/* Builds a WAV header of that form for data_bytes of samples; returns its length (<= 128). */
size_t ml_wav_header(uint8_t out[128], enum ml_enc e, unsigned channels, unsigned rate,
		     uint64_t data_bytes, enum ml_wav_form form);
/* Builds a big-endian AU header (data size ~0, "unknown", from 4 GiB up); returns 28. */
size_t ml_au_header(uint8_t out[ML_AU_HEADER], enum ml_enc e, unsigned channels, unsigned rate,
		    uint64_t data_bytes);

#endif
