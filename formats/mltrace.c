/*
 * mltrace: encoding and checking of the allocation record's headers
 * (see mltrace.h and doc/trace.md).  Shared by the preload library, which
 * writes records, and memlens, which reads them; every length read here
 * is checked against the bytes that are really there.
 */
#include "mltrace.h"

#include <string.h>

/* CRC-32C (Castagnoli, reflected 0x82F63B78), table-driven, 8 bits at a time. */
static uint32_t crc_table[256];
static int crc_ready;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[i] = c;
	}
	__atomic_store_n(&crc_ready, 1, __ATOMIC_RELEASE);
}

#if defined(__x86_64__)
/* SSE4.2's crc32 instruction computes CRC-32C itself, 8 bytes at a time. */
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = ~crc;
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
	}
	uint32_t c32 = (uint32_t)c;
	while (len--)
		c32 = __builtin_ia32_crc32qi(c32, *p++);
	return ~c32;
}
#endif

uint32_t mlt_crc32c(uint32_t crc, const void *buf, size_t len)
{
#if defined(__x86_64__)
	static int hw = -1;
	if (hw < 0) {
		__builtin_cpu_init();
		hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
	}
	if (hw)
		return crc_hw(crc, buf, len);
#endif
	return mlt_crc32c_sw(crc, buf, len);
}

uint32_t mlt_crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	if (!__atomic_load_n(&crc_ready, __ATOMIC_ACQUIRE))
		crc_init();	/* idempotent: two threads compute the same table */
	const uint8_t *p = buf;
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

void mlt_bh_put(uint8_t out[MLT_BLOCK_HEADER], const struct mlt_bh *h)
{
	out[0] = 'B';
	out[1] = h->type;
	out[2] = h->codec;
	out[3] = 0;
	mlt_put32(out + 4, h->stream);
	mlt_put32(out + 8, h->len);
	mlt_put32(out + 12, h->raw_len);
	mlt_put32(out + 16, h->crc);
	/* The header's own check: a flipped length must not send a reader astray. */
	mlt_put32(out + 20, mlt_crc32c(0, out, 20));
}

const char *mlt_bh_get(const uint8_t in[MLT_BLOCK_HEADER], struct mlt_bh *h)
{
	if (in[0] != 'B' || mlt_get32(in + 20) != mlt_crc32c(0, in, 20))
		return "damaged block header";
	h->type = in[1];
	h->codec = in[2];
	h->stream = mlt_get32(in + 4);
	h->len = mlt_get32(in + 8);
	h->raw_len = mlt_get32(in + 12);
	h->crc = mlt_get32(in + 16);
	if (h->len > MLT_MAX_BLOCK || h->raw_len > MLT_MAX_BLOCK)
		return "block larger than any writer makes";
	if (h->codec > MLT_ZSTD)
		return "unknown compression";
	if (h->codec == MLT_RAW && h->raw_len != h->len)
		return "raw block whose lengths differ";
	return NULL;
}

void mlt_file_header(uint8_t out[MLT_FILE_HEADER])
{
	memcpy(out, MLT_MAGIC, MLT_MAGIC_LEN);
	mlt_put16(out + 8, MLT_MAJOR);
	mlt_put16(out + 10, MLT_MINOR);
	mlt_put32(out + 12, 0);
}

const char *mlt_file_header_check(const uint8_t *in, size_t len, unsigned *major, unsigned *minor)
{
	if (len < MLT_FILE_HEADER || memcmp(in, MLT_MAGIC, MLT_MAGIC_LEN))
		return "not a memlens trace record";
	*major = mlt_get16(in + 8);
	*minor = mlt_get16(in + 10);
	if (*major != MLT_MAJOR)
		return "a record of another format version";
	return NULL;
}

const char *mlt_events_split(const uint8_t *p, size_t len, struct mlt_evhead *h, struct mlt_col col[MLT_NCOL])
{
	if (len < MLT_EVENTS_HEAD)
		return "events block shorter than its head";
	h->tid = mlt_get32(p);
	h->flags = mlt_get32(p + 4);
	h->t_first = mlt_get64(p + 8);
	h->lost = mlt_get64(p + 16);
	h->nev = mlt_get32(p + 24);
	size_t off = MLT_EVENTS_HEAD;
	for (int i = 0; i < MLT_NCOL; i++) {
		h->col_len[i] = mlt_get32(p + 28 + 4 * i);
		if (h->col_len[i] > len - off)
			return "events block columns longer than the block";
		col[i].p = p + off;
		col[i].end = p + off + h->col_len[i];
		col[i].bad = false;
		off += h->col_len[i];
	}
	if (off != len)
		return "events block columns shorter than the block";
	if (h->nev != h->col_len[MLT_C_KIND])
		return "events block count differs from its kinds";
	return NULL;
}

const char *mlt_proc_get(const uint8_t *p, size_t len, struct mlt_proc *pr)
{
	if (len < MLT_PROC_FIXED)
		return "process block too short";
	pr->t0_ns = mlt_get64(p);
	pr->realtime_ns = mlt_get64(p + 8);
	pr->pid = mlt_get32(p + 16);
	pr->ppid = mlt_get32(p + 20);
	pr->tick_ps = mlt_get32(p + 24);
	pr->flags = mlt_get32(p + 28);
	pr->exe_len = mlt_get32(p + 32);
	pr->cmdline_len = mlt_get32(p + 36);
	if (!pr->tick_ps || pr->tick_ps > 1000000000)
		return "process block with an impossible clock tick";
	if (pr->exe_len > len - MLT_PROC_FIXED || pr->cmdline_len != len - MLT_PROC_FIXED - pr->exe_len)
		return "process block names longer than the block";
	pr->exe = (const char *)p + MLT_PROC_FIXED;
	pr->cmdline = pr->exe + pr->exe_len;
	return NULL;
}

const char *mlt_module_get(const uint8_t *p, size_t len, struct mlt_module *m)
{
	if (len < MLT_MODULE_FIXED)
		return "module block too short";
	m->t_ns = mlt_get64(p);
	m->bias = mlt_get64(p + 8);
	m->lo = mlt_get64(p + 16);
	m->hi = mlt_get64(p + 24);
	m->op = p[32];
	m->id_len = p[33];
	m->path_len = mlt_get16(p + 34);
	if (m->op != MLT_MOD_LOAD && m->op != MLT_MOD_UNLOAD)
		return "module block of an unknown kind";
	if (m->lo > m->hi)
		return "module block with an inverted range";
	if ((size_t)m->id_len + m->path_len != len - MLT_MODULE_FIXED)
		return "module block names longer than the block";
	m->build_id = p + MLT_MODULE_FIXED;
	m->path = (const char *)m->build_id + m->id_len;
	return NULL;
}

void mlt_evhead_put(uint8_t *p, const struct mlt_evhead *h)
{
	mlt_put32(p, h->tid);
	mlt_put32(p + 4, h->flags);
	mlt_put64(p + 8, h->t_first);
	mlt_put64(p + 16, h->lost);
	mlt_put32(p + 24, h->nev);
	for (int i = 0; i < MLT_NCOL; i++)
		mlt_put32(p + 28 + 4 * i, h->col_len[i]);
}

void mlt_proc_put(uint8_t *p, const struct mlt_proc *pr)
{
	mlt_put64(p, pr->t0_ns);
	mlt_put64(p + 8, pr->realtime_ns);
	mlt_put32(p + 16, pr->pid);
	mlt_put32(p + 20, pr->ppid);
	mlt_put32(p + 24, pr->tick_ps);
	mlt_put32(p + 28, pr->flags);
	mlt_put32(p + 32, pr->exe_len);
	mlt_put32(p + 36, pr->cmdline_len);
}

size_t mlt_module_put(uint8_t *p, const struct mlt_module *m)
{
	uint32_t pl = m->path_len > 65535 ? 65535 : m->path_len;
	mlt_put64(p, m->t_ns);
	mlt_put64(p + 8, m->bias);
	mlt_put64(p + 16, m->lo);
	mlt_put64(p + 24, m->hi);
	p[32] = m->op;
	p[33] = m->id_len;
	mlt_put16(p + 34, (uint16_t)pl);
	if (m->id_len)
		memcpy(p + MLT_MODULE_FIXED, m->build_id, m->id_len);
	memcpy(p + MLT_MODULE_FIXED + m->id_len, m->path, pl);
	return MLT_MODULE_FIXED + m->id_len + pl;
}

void mlt_end_put(uint8_t p[MLT_END_LEN], const struct mlt_end *e)
{
	mlt_put64(p, e->t_ns);
	mlt_put64(p + 8, e->events);
	mlt_put64(p + 16, e->lost);
}

const char *mlt_end_get(const uint8_t *p, size_t len, struct mlt_end *e)
{
	if (len < MLT_END_LEN)
		return "end block too short";
	e->t_ns = mlt_get64(p);
	e->events = mlt_get64(p + 8);
	e->lost = mlt_get64(p + 16);
	return NULL;
}
