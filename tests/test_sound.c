/*
 * test_sound: the header math and byte mapping of formats/sound.c — the
 * encodings table, extension → container, each container's on-disk layout,
 * the sign/byte-order transform, exact integer values for FLAC, and the
 * WAV/RF64 header written for pipes (checked field by field against the
 * RIFF/RF64 specifications).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>
#include <unistd.h>
#include <sndfile.h>

#include "sound.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void test_enc_parse(void **state)
{
	(void)state;
	enum ml_enc e;
	assert_int_equal(ml_enc_parse("u8", &e), 0);
	assert_int_equal(e, ML_ENC_U8);
	assert_int_equal(ml_enc_parse("s24le", &e), 0);
	assert_int_equal(ml_enc_get(e)->bytes, 3);
	assert_int_equal(ml_enc_parse("alaw", &e), 0);
	assert_int_equal(ml_enc_get(e)->silence, 0xD5);
	assert_int_equal(ml_enc_get(ML_ENC_ULAW)->silence, 0xFF);
	assert_int_equal(ml_enc_get(ML_ENC_U8)->silence, 0x80);
	assert_int_equal(ml_enc_parse("U8", &e), -1);
	assert_int_equal(ml_enc_parse("s16", &e), -1);
	assert_int_equal(ml_enc_parse("", &e), -1);
}

static void test_ext(void **state)
{
	(void)state;
	enum ml_container c;
	assert_int_equal(ml_container_from_ext("wav", &c), 0);
	assert_int_equal(c, ML_CONT_WAV);
	assert_int_equal(ml_container_from_ext("aif", &c), 0);
	assert_int_equal(c, ML_CONT_AIFF);
	assert_int_equal(ml_container_from_ext("snd", &c), 0);
	assert_int_equal(c, ML_CONT_AU);
	assert_int_equal(ml_container_from_ext("oga", &c), 0);
	assert_int_equal(c, ML_CONT_OGG);
	assert_false(ml_container_lossless(ML_CONT_OGG));
	assert_int_equal(ml_container_from_ext("mp3", &c), -1);
	assert_int_equal(ml_container_from_ext("wa", &c), -1);
	assert_int_equal(ml_container_from_ext("", &c), -1);
}

static void test_layout(void **state)
{
	(void)state;
	struct ml_sound_layout l;
	const char *why;
	/* WAV 8-bit is unsigned: u8 passes, s8 flips */
	assert_int_equal(ml_sound_layout(ML_CONT_WAV, ML_ENC_U8, &l, &why), 0);
	assert_int_equal(l.sf_format, SF_FORMAT_WAV | SF_FORMAT_PCM_U8);
	assert_false(l.flip_sign);
	assert_int_equal(ml_sound_layout(ML_CONT_WAV, ML_ENC_S8, &l, &why), 0);
	assert_true(l.flip_sign);
	/* AU 8-bit is signed: u8 flips */
	assert_int_equal(ml_sound_layout(ML_CONT_AU, ML_ENC_U8, &l, &why), 0);
	assert_int_equal(l.sf_format, SF_FORMAT_AU | SF_FORMAT_PCM_S8);
	assert_true(l.flip_sign);
	/* byte order: WAV little, AIFF big */
	assert_int_equal(ml_sound_layout(ML_CONT_WAV, ML_ENC_S16BE, &l, &why), 0);
	assert_true(l.swap);
	assert_int_equal(ml_sound_layout(ML_CONT_AIFF, ML_ENC_S16BE, &l, &why), 0);
	assert_false(l.swap);
	assert_int_equal(ml_sound_layout(ML_CONT_AIFF, ML_ENC_S24LE, &l, &why), 0);
	assert_true(l.swap);
	/* companded bytes never flip or swap */
	assert_int_equal(ml_sound_layout(ML_CONT_AU, ML_ENC_ULAW, &l, &why), 0);
	assert_false(l.flip_sign);
	assert_false(l.swap);
	/* FLAC: exact integers up to 24 bits only */
	assert_int_equal(ml_sound_layout(ML_CONT_FLAC, ML_ENC_S24LE, &l, &why), 0);
	assert_true(l.as_int);
	assert_int_equal(ml_sound_layout(ML_CONT_FLAC, ML_ENC_S32LE, &l, &why), -1);
	assert_int_equal(ml_sound_layout(ML_CONT_FLAC, ML_ENC_F32LE, &l, &why), -1);
	assert_int_equal(ml_sound_layout(ML_CONT_FLAC, ML_ENC_ULAW, &l, &why), -1);
	assert_int_equal(ml_sound_layout(ML_CONT_OGG, ML_ENC_ALAW, &l, &why), -1);
	assert_int_equal(ml_sound_check(ML_CONT_FLAC, ML_ENC_U8, 9, 8000, &why), -1);
	assert_int_equal(ml_sound_check(ML_CONT_FLAC, ML_ENC_U8, 8, 8000, &why), 0);
	assert_int_equal(ml_sound_check(ML_CONT_WAV, ML_ENC_F32LE, 2, 44100, &why), 0);
}

static void test_transform(void **state)
{
	(void)state;
	struct ml_sound_layout l;
	const char *why;
	uint8_t b[6] = { 0x00, 0x7F, 0x80, 0xFF, 0x12, 0x34 };
	assert_int_equal(ml_sound_layout(ML_CONT_WAV, ML_ENC_S8, &l, &why), 0);
	ml_sound_transform(&l, 1, b, 4);
	assert_memory_equal(b, ((uint8_t[]){ 0x80, 0xFF, 0x00, 0x7F }), 4);
	uint8_t c[6] = { 1, 2, 3, 4, 5, 6 };
	assert_int_equal(ml_sound_layout(ML_CONT_AIFF, ML_ENC_S24LE, &l, &why), 0);
	ml_sound_transform(&l, 3, c, 6);
	assert_memory_equal(c, ((uint8_t[]){ 3, 2, 1, 6, 5, 4 }), 6);
	uint8_t d[4] = { 1, 2, 3, 4 };
	assert_int_equal(ml_sound_layout(ML_CONT_WAV, ML_ENC_S16LE, &l, &why), 0);
	ml_sound_transform(&l, 2, d, 4);
	assert_memory_equal(d, ((uint8_t[]){ 1, 2, 3, 4 }), 4);
}

static void test_int32(void **state)
{
	(void)state;
	/* libsndfile's FLAC writer keeps the top bits: value << (32 - bits) */
	assert_int_equal(ml_sound_int32(ml_enc_get(ML_ENC_U8), (uint8_t[]){ 0x80 }), 0);
	assert_int_equal(ml_sound_int32(ml_enc_get(ML_ENC_U8), (uint8_t[]){ 0x00 }), INT32_MIN);
	assert_int_equal(ml_sound_int32(ml_enc_get(ML_ENC_U8), (uint8_t[]){ 0xFF }), 127 << 24);
	assert_int_equal(ml_sound_int32(ml_enc_get(ML_ENC_S8), (uint8_t[]){ 0xFF }), -1 * (1 << 24));
	assert_int_equal(ml_sound_int32(ml_enc_get(ML_ENC_S16LE), (uint8_t[]){ 0x01, 0x80 }),
			 (int32_t)-32767 * 65536);
	assert_int_equal(ml_sound_int32(ml_enc_get(ML_ENC_S16BE), (uint8_t[]){ 0x01, 0x80 }),
			 0x0180 << 16);
	assert_int_equal(ml_sound_int32(ml_enc_get(ML_ENC_S24LE), (uint8_t[]){ 0xFF, 0xFF, 0xFF }),
			 -256);
	assert_int_equal(ml_sound_int32(ml_enc_get(ML_ENC_S24LE), (uint8_t[]){ 0x56, 0x34, 0x12 }),
			 0x123456 << 8);
	assert_int_equal(ml_sound_int32(ml_enc_get(ML_ENC_S32LE), (uint8_t[]){ 0, 0, 0, 0x80 }),
			 INT32_MIN);
}

static void test_wav_header(void **state)
{
	(void)state;
	uint8_t h[128];
	size_t n = ml_wav_header(h, ML_ENC_S16LE, 2, 44100, 1001, ML_WAV_AUTO);
	assert_int_equal(n, 44);
	assert_memory_equal(h, "RIFF", 4);
	/* odd data: the pad byte counts in the RIFF size */
	assert_int_equal(le32(h + 4), 36 + 1001 + 1);
	assert_memory_equal(h + 8, "WAVEfmt ", 8);
	assert_int_equal(le32(h + 16), 16);
	assert_int_equal(le16(h + 20), 1);
	assert_int_equal(le16(h + 22), 2);
	assert_int_equal(le32(h + 24), 44100);
	assert_int_equal(le32(h + 28), 44100 * 4);
	assert_int_equal(le16(h + 32), 4);
	assert_int_equal(le16(h + 34), 16);
	assert_memory_equal(h + 36, "data", 4);
	assert_int_equal(le32(h + 40), 1001);

	/* non-PCM: fmt of 18 bytes and a fact chunk with the frame count */
	n = ml_wav_header(h, ML_ENC_F32LE, 1, 8000, 400, ML_WAV_RIFF);
	assert_int_equal(n, 58);
	assert_int_equal(le32(h + 16), 18);
	assert_int_equal(le16(h + 20), 3);
	assert_memory_equal(h + 38, "fact", 4);
	assert_int_equal(le32(h + 46), 100);
	assert_int_equal(le32(h + 54), 400);
	n = ml_wav_header(h, ML_ENC_ULAW, 1, 8000, 10, ML_WAV_AUTO);
	assert_int_equal(le16(h + 20), 7);
	n = ml_wav_header(h, ML_ENC_ALAW, 1, 8000, 10, ML_WAV_AUTO);
	assert_int_equal(le16(h + 20), 6);

	/* past 4 GiB: RF64 with a ds64 chunk holding the real sizes */
	uint64_t big = UINT64_C(5) << 30;
	n = ml_wav_header(h, ML_ENC_U8, 1, 8000, big, ML_WAV_AUTO);
	assert_int_equal(n, 44 + 36);
	assert_memory_equal(h, "RF64", 4);
	assert_int_equal(le32(h + 4), UINT32_MAX);
	assert_memory_equal(h + 12, "ds64", 4);
	assert_int_equal(le32(h + 16), 28);
	assert_int_equal(le64(h + 20), 4 + 36 + 24 + 8 + big);
	assert_int_equal(le64(h + 28), big);
	assert_int_equal(le64(h + 36), big);
	assert_memory_equal(h + n - 8, "data", 4);
	assert_int_equal(le32(h + n - 4), UINT32_MAX);

	/* room for ds64: a JUNK chunk of its size, so RIFF and RF64 headers are the same length */
	size_t n2 = ml_wav_header(h, ML_ENC_U8, 1, 8000, 1000, ML_WAV_ROOM);
	assert_int_equal(n2, n);
	assert_memory_equal(h, "RIFF", 4);
	assert_int_equal(le32(h + 4), 4 + 36 + 24 + 8 + 1000);
	assert_memory_equal(h + 12, "JUNK", 4);
	assert_int_equal(le32(h + 16), 28);
	assert_memory_equal(h + 48, "fmt ", 4);
	assert_int_equal(le32(h + n - 4), 1000);
	/* RF64 asked for, however small */
	n2 = ml_wav_header(h, ML_ENC_F32LE, 2, 8000, 800, ML_WAV_RF64);
	assert_memory_equal(h, "RF64", 4);
	assert_int_equal(le64(h + 28), 800);
	assert_int_equal(le64(h + 36), 100);
	assert_int_equal(n2, 12 + 36 + 8 + 18 + 12 + 8);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Sun's header: six big-endian words and an annotation, 28 bytes in all. */
static void test_au_header(void **state)
{
	(void)state;
	uint8_t h[ML_AU_HEADER];
	static const struct { enum ml_enc e; uint32_t code; } codes[] = {
		{ ML_ENC_ULAW, 1 }, { ML_ENC_U8, 2 }, { ML_ENC_S8, 2 }, { ML_ENC_S16LE, 3 },
		{ ML_ENC_S16BE, 3 }, { ML_ENC_S24LE, 4 }, { ML_ENC_S32LE, 5 }, { ML_ENC_F32LE, 6 },
		{ ML_ENC_ALAW, 27 },
	};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		assert_int_equal(ml_au_header(h, codes[i].e, 3, 44100, 12345), 28);
		assert_memory_equal(h, ".snd", 4);
		assert_int_equal(be32(h + 4), 28);
		assert_int_equal(be32(h + 8), 12345);
		assert_int_equal(be32(h + 12), codes[i].code);
		assert_int_equal(be32(h + 16), 44100);
		assert_int_equal(be32(h + 20), 3);
		assert_int_equal(be32(h + 24), 0);
	}
	/* 4 GiB and up: the size is "unknown" (~0) and readers go to the end of the file */
	ml_au_header(h, ML_ENC_U8, 1, 8000, UINT64_C(5) << 30);
	assert_int_equal(be32(h + 8), UINT32_MAX);
}

/*
 * A .wav that might pass 4 GiB but stays small: the writer kept room for
 * ds64 (a JUNK chunk) and closes it as a plain RIFF whose data is what
 * was written; the bytes follow the header unchanged.
 */
static void test_writer_room(void **state)
{
	(void)state;
	FILE *f = tmpfile();
	int fd = fileno(f);
	const char *why = NULL;
	struct ml_sound *w = ml_sound_open(fd, ML_CONT_WAV, ML_ENC_U8, 1, 8000, UINT64_C(5) << 30, false, &why);
	assert_non_null(w);
	uint8_t buf[1001];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 7);
	assert_int_equal(ml_sound_write(w, buf, sizeof buf, &why), 0);
	assert_int_equal(ml_sound_close(w, &why), 0);
	uint8_t h[80 + 1001 + 1];
	assert_int_equal(pread(fd, h, sizeof h, 0), (ssize_t)sizeof h);	/* and not a byte more */
	assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)sizeof h);
	assert_memory_equal(h, "RIFF", 4);
	assert_int_equal(le32(h + 4), sizeof h - 8);
	assert_memory_equal(h + 12, "JUNK", 4);
	assert_memory_equal(h + 48, "fmt ", 4);
	assert_memory_equal(h + 72, "data", 4);
	assert_int_equal(le32(h + 76), 1001);
	for (size_t i = 0; i < sizeof buf; i++)
		assert_int_equal(h[80 + i], (uint8_t)(i * 7));
	assert_int_equal(h[80 + 1001], 0);	/* the pad byte of an odd chunk */
	fclose(f);

	/* AU: a 28-byte header, then the samples big-endian, the size filled in at close */
	f = tmpfile();
	fd = fileno(f);
	w = ml_sound_open(fd, ML_CONT_AU, ML_ENC_S16LE, 1, 8000, 1000, false, &why);
	assert_non_null(w);
	uint8_t s16[4] = { 0x01, 0x02, 0x03, 0x04 };
	assert_int_equal(ml_sound_write(w, s16, 4, &why), 0);
	assert_int_equal(ml_sound_close(w, &why), 0);
	uint8_t a[32];
	assert_int_equal(pread(fd, a, sizeof a, 0), 32);
	assert_int_equal(lseek(fd, 0, SEEK_END), 32);
	assert_int_equal(a[11], 4);	/* data size, big-endian */
	assert_memory_equal(a + 28, ((uint8_t[]){ 0x02, 0x01, 0x04, 0x03 }), 4);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enc_parse),  cmocka_unit_test(test_ext),
		cmocka_unit_test(test_layout),     cmocka_unit_test(test_transform),
		cmocka_unit_test(test_int32),      cmocka_unit_test(test_wav_header),
		cmocka_unit_test(test_au_header), cmocka_unit_test(test_writer_room),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
