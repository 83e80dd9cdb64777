/*
 * test_trace: unit tests of the record format (formats/mltrace.c) and of
 * its reader (src/trace_read.c): varints, CRC-32C against the published
 * check value, headers that refuse damage and hostile lengths, and records
 * built here by hand — two threads whose events must come back in time
 * order, a free matched to its allocation, a leak, a truncated tail.
 */
#include "config.h"
#include "mltrace.h"
#include "trace_read.h"
#include "trace_stats.h"
#include "util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static void varints(void **state)
{
	(void)state;
	uint64_t vals[] = { 0, 1, 127, 128, 300, 1ull << 35, UINT64_MAX };
	for (size_t i = 0; i < ML_ARRAY_SIZE(vals); i++) {
		uint8_t buf[16];
		uint8_t *e = mlt_put_varint(buf, vals[i]);
		assert_true(e - buf <= 10);
		struct mlt_col c = { buf, e, false };
		assert_int_equal(mlt_col_varint(&c), vals[i]);
		assert_false(c.bad);
		assert_ptr_equal(c.p, e);
		/* cut short: flagged, never read past the end */
		struct mlt_col d = { buf, e - 1, false };
		mlt_col_varint(&d);
		assert_true(d.bad);
	}
	int64_t s[] = { 0, -1, 1, INT64_MIN, INT64_MAX, -123456789 };
	for (size_t i = 0; i < ML_ARRAY_SIZE(s); i++)
		assert_int_equal(mlt_unzigzag(mlt_zigzag(s[i])), s[i]);
	/* over-long: eleven continuation bytes */
	uint8_t bad[11];
	memset(bad, 0xff, sizeof bad);
	struct mlt_col c = { bad, bad + sizeof bad, false };
	mlt_col_varint(&c);
	assert_true(c.bad);
}

/* The address prediction: the values glibc-like patterns give, and a round trip. */
static void prediction(void **state)
{
	(void)state;
	struct mlt_pred e, d;
	mlt_pred_reset(&e);
	mlt_pred_reset(&d);
	/* fresh blocks cut one after another: 100 bytes is a 112-byte chunk */
	assert_int_equal(mlt_pred_alloc_enc(&e, 0x10000, 100), mlt_zigzag(0x10000));
	assert_int_equal(mlt_pred_alloc_enc(&e, 0x10070, 100), 0);
	/* the latest block freed: age 0 */
	assert_int_equal(mlt_pred_free_enc(&e, 0x10070), 0);
	/* the freed block comes back first for its class */
	assert_int_equal(mlt_pred_alloc_enc(&e, 0x10070, 97), 0);
	assert_int_equal(mlt_pred_free_enc(&e, 0x10000), 2 * 2);	/* allocated two allocations ago */
	/* an address never allocated here: against the previous one, odd */
	assert_int_equal(mlt_pred_free_enc(&e, 0x10000 + 48), 2 * mlt_zigzag(48) + 1);
	/* round trip of a mixed sequence */
	mlt_pred_reset(&e);
	uint64_t vals[64], addr[64], size[64];
	bool is_free[64];
	uint64_t live[64];
	size_t nl = 0;
	unsigned x = 7;
	for (int i = 0; i < 64; i++) {
		x = x * 1103515245u + 12345u;
		is_free[i] = nl && (x >> 20) % 3 == 0;
		if (is_free[i]) {
			size_t k = (x >> 8) % nl;
			addr[i] = live[k];
			live[k] = live[--nl];
			vals[i] = mlt_pred_free_enc(&e, addr[i]);
		} else {
			size[i] = 16 + (x >> 16) % 2000;
			addr[i] = 0x7f0000000000ull + (x & 0xfffff0);
			live[nl++] = addr[i];
			vals[i] = mlt_pred_alloc_enc(&e, addr[i], size[i]);
		}
	}
	for (int i = 0; i < 64; i++) {
		bool bad = false;
		uint64_t a = is_free[i] ? mlt_pred_free_dec(&d, vals[i], &bad) : mlt_pred_alloc_dec(&d, vals[i], size[i]);
		assert_false(bad);
		assert_int_equal(a, addr[i]);
	}
	/* an index past the list is damage, not a read past it */
	bool bad = false;
	mlt_pred_reset(&d);
	mlt_pred_free_dec(&d, 2 * 5, &bad);
	assert_true(bad);
}

static void crc(void **state)
{
	(void)state;
	/* The CRC-32C check value of "123456789" (RFC 3720, B.4). */
	assert_int_equal(mlt_crc32c(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(mlt_crc32c_sw(0, "123456789", 9), 0xE3069283u);
	uint8_t buf[1000];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (size_t n = 0; n < sizeof buf; n += 37)
		assert_int_equal(mlt_crc32c(0, buf, n), mlt_crc32c_sw(0, buf, n));
}

static void headers(void **state)
{
	(void)state;
	struct mlt_bh h = { MLT_B_EVENTS, MLT_ZSTD, 7, 100, 300, 0xdeadbeef }, g;
	uint8_t b[MLT_BLOCK_HEADER];
	mlt_bh_put(b, &h);
	assert_null(mlt_bh_get(b, &g));
	assert_int_equal(g.stream, 7);
	assert_int_equal(g.len, 100);
	assert_int_equal(g.raw_len, 300);
	/* every single flipped bit is caught */
	for (size_t i = 0; i < sizeof b * 8; i++) {
		b[i / 8] ^= (uint8_t)(1 << (i % 8));
		assert_non_null(mlt_bh_get(b, &g));
		b[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	/* a hostile length is refused even with a right check */
	h.len = MLT_MAX_BLOCK + 1;
	mlt_bh_put(b, &h);
	assert_non_null(mlt_bh_get(b, &g));
	uint8_t f[MLT_FILE_HEADER];
	unsigned ma, mi;
	mlt_file_header(f);
	assert_null(mlt_file_header_check(f, sizeof f, &ma, &mi));
	assert_int_equal(ma, MLT_MAJOR);
	f[8] = MLT_MAJOR + 1;
	assert_string_equal(mlt_file_header_check(f, sizeof f, &ma, &mi), "a record of another format version");
	assert_non_null(mlt_file_header_check(f, 10, &ma, &mi));
}

static void hostile_payloads(void **state)
{
	(void)state;
	uint8_t p[MLT_EVENTS_HEAD + 8] = { 0 };
	struct mlt_evhead h;
	struct mlt_col col[MLT_NCOL];
	mlt_put32(p + 24, 3);
	mlt_put32(p + 28, 3);		/* kinds: 3 bytes */
	mlt_put32(p + 32, 0xfffffff0u);	/* times: far past the end */
	assert_non_null(mlt_events_split(p, sizeof p, &h, col));
	mlt_put32(p + 32, 5);
	assert_null(mlt_events_split(p, sizeof p, &h, col));
	mlt_put32(p + 24, 4);		/* count disagrees with the kinds */
	assert_non_null(mlt_events_split(p, sizeof p, &h, col));
	assert_non_null(mlt_events_split(p, 10, &h, col));

	uint8_t m[MLT_MODULE_FIXED + 4] = { 0 };
	struct mlt_module mod;
	m[32] = MLT_MOD_LOAD;
	m[33] = 2;
	mlt_put16(m + 34, 2);
	assert_null(mlt_module_get(m, sizeof m, &mod));
	mlt_put16(m + 34, 60000);
	assert_non_null(mlt_module_get(m, sizeof m, &mod));
	mlt_put16(m + 34, 2);
	mlt_put64(m + 16, 10);	/* lo > hi */
	assert_non_null(mlt_module_get(m, sizeof m, &mod));

	uint8_t pr[MLT_PROC_FIXED + 3] = { 0 };
	struct mlt_proc proc;
	mlt_put32(pr + 24, 1000);
	mlt_put32(pr + 32, 2);
	mlt_put32(pr + 36, 1);
	assert_null(mlt_proc_get(pr, sizeof pr, &proc));
	mlt_put32(pr + 32, 0xffffffffu);
	assert_non_null(mlt_proc_get(pr, sizeof pr, &proc));
	mlt_put32(pr + 32, 2);
	mlt_put32(pr + 24, 0);	/* no tick */
	assert_non_null(mlt_proc_get(pr, sizeof pr, &proc));
}

/* ---- records built by hand ---- */

struct evbuf {
	uint8_t col[MLT_NCOL][4096];
	size_t len[MLT_NCOL];
	uint32_t nev;
	uint64_t last_t;
	struct mlt_pred pred;
};

static void put(struct evbuf *b, int c, uint64_t v)
{
	b->len[c] = (size_t)(mlt_put_varint(b->col[c] + b->len[c], v) - b->col[c]);
}

static void ev_node(struct evbuf *b, uint64_t parent, uint64_t ip)
{
	b->col[MLT_C_KIND][b->len[MLT_C_KIND]++] = MLT_K_NODE;
	b->nev++;
	put(b, MLT_C_NODE, parent);
	put(b, MLT_C_IP, ip);
}

static void ev_alloc(struct evbuf *b, uint64_t t, uint64_t a, uint64_t size, uint64_t node)
{
	b->col[MLT_C_KIND][b->len[MLT_C_KIND]++] = MLT_K_MALLOC;
	b->nev++;
	put(b, MLT_C_TIME, t - b->last_t);
	b->last_t = t;
	put(b, MLT_C_ADDR, mlt_pred_alloc_enc(&b->pred, a, size));
	put(b, MLT_C_SIZE, size);
	put(b, MLT_C_NODE, node);
}

static void ev_free(struct evbuf *b, uint64_t t, uint64_t a)
{
	b->col[MLT_C_KIND][b->len[MLT_C_KIND]++] = MLT_K_FREE;
	b->nev++;
	put(b, MLT_C_TIME, t - b->last_t);
	b->last_t = t;
	put(b, MLT_C_ADDR, mlt_pred_free_enc(&b->pred, a));
}

static void block(FILE *f, uint8_t type, uint32_t stream, const uint8_t *p, uint32_t len)
{
	struct mlt_bh h = { type, MLT_RAW, stream, len, len, mlt_crc32c(0, p, len) };
	uint8_t b[MLT_BLOCK_HEADER];
	mlt_bh_put(b, &h);
	fwrite(b, 1, sizeof b, f);
	fwrite(p, 1, len, f);
}

static void events(FILE *f, uint32_t stream, uint32_t tid, const struct evbuf *b)
{
	uint8_t p[MLT_EVENTS_HEAD + MLT_NCOL * 4096];
	struct mlt_evhead h = { .tid = tid, .nev = b->nev };
	size_t off = MLT_EVENTS_HEAD;
	for (int c = 0; c < MLT_NCOL; c++) {
		h.col_len[c] = (uint32_t)b->len[c];
		memcpy(p + off, b->col[c], b->len[c]);
		off += b->len[c];
	}
	mlt_evhead_put(p, &h);
	block(f, MLT_B_EVENTS, stream, p, (uint32_t)off);
}

/*
 * Thread 1 allocates A (t=10) and B (t=30), frees A at t=50; thread 2
 * allocates C at t=20, and at t=50 — the same tick as thread 1's free —
 * gets A's address again.  One tick is 1000 ps = 1 ns here.
 */
static size_t make_record(const char *path, bool end)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	uint8_t fh[MLT_FILE_HEADER];
	mlt_file_header(fh);
	fwrite(fh, 1, sizeof fh, f);
	uint8_t pr[MLT_PROC_FIXED + 4];
	struct mlt_proc proc = { .t0_ns = 1000000, .pid = 42, .tick_ps = 1000, .exe_len = 4 };
	mlt_proc_put(pr, &proc);
	memcpy(pr + MLT_PROC_FIXED, "prog", 4);
	block(f, MLT_B_PROC, 0, pr, sizeof pr);
	struct evbuf *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
	ev_node(a, 0, 0x401000);
	ev_alloc(a, 10, 0x1000, 100, 1);
	ev_alloc(a, 30, 0x2000, 200, 1);
	ev_free(a, 50, 0x1000);
	ev_node(b, 0, 0x402000);
	ev_alloc(b, 20, 0x3000, 300, 1);
	ev_alloc(b, 50, 0x1000, 400, 1);
	ev_free(b, 60, 0x3000);
	events(f, 1, 101, a);
	events(f, 2, 102, b);
	if (end) {
		uint8_t e[MLT_END_LEN];
		struct mlt_end fin = { 100, 8, 0 };
		mlt_end_put(e, &fin);
		block(f, MLT_B_END, 0, e, sizeof e);
	}
	free(a);
	free(b);
	long n = ftell(f);
	fclose(f);
	return (size_t)n;
}

static void read_back(void **state)
{
	(void)state;
	char path[] = "/tmp/test_trace.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	make_record(path, true);
	struct ml_trace *t = ml_trace_open(path);
	assert_non_null(t);
	assert_null(ml_trace_damage(t));
	assert_int_equal(ml_trace_nimages(t), 1);
	assert_string_equal(ml_trace_image(t, 0)->exe, "prog");
	struct ml_tev e;
	/* time order across threads; at t=50 thread 1's free before thread 2's reuse */
	struct { enum ml_tev_type type; uint64_t t, addr, size; } want[] = {
		{ ML_TEV_ALLOC, 10, 0x1000, 100 }, { ML_TEV_ALLOC, 20, 0x3000, 300 },
		{ ML_TEV_ALLOC, 30, 0x2000, 200 }, { ML_TEV_FREE, 50, 0x1000, 100 },
		{ ML_TEV_ALLOC, 50, 0x1000, 400 }, { ML_TEV_FREE, 60, 0x3000, 300 },
	};
	for (size_t i = 0; i < ML_ARRAY_SIZE(want); i++) {
		assert_int_equal(ml_trace_next(t, &e), 1);
		assert_int_equal(e.type, want[i].type);
		assert_int_equal(e.t, want[i].t);
		assert_int_equal(e.addr, want[i].addr);
		assert_int_equal(e.size, want[i].size);
	}
	/* then the leaks: B and the second block at 0x1000 */
	uint64_t leaked = 0;
	int n = 0;
	while (ml_trace_next(t, &e) == 1) {
		assert_int_equal(e.type, ML_TEV_LEAK);
		leaked += e.size;
		n++;
	}
	assert_int_equal(n, 2);
	assert_int_equal(leaked, 600);
	/* the stacks: one node per thread's frame */
	assert_int_equal(ml_trace_node(t, 1)->ip, 0x401000);
	struct ml_tstats st;
	assert_int_equal(ml_tstats_run(t, &st), 0);
	assert_int_equal(st.calls, 4);
	assert_int_equal(st.peak, 200 + 300 + 400);	/* at t=50: A was freed first */
	assert_int_equal(st.peak_t, 50);
	assert_int_equal(st.leaked, 600);
	ml_tstats_free(&st);
	ml_trace_close(t);

	/* Truncated inside the last events block: what came before is read, with one reason. */
	size_t full = make_record(path, false);
	assert_int_equal(truncate(path, (off_t)full - 5), 0);
	t = ml_trace_open(path);
	assert_non_null(t);
	assert_non_null(strstr(ml_trace_damage(t), "truncated"));
	assert_int_equal(ml_tstats_run(t, &st), 0);
	assert_int_equal(st.calls, 2);	/* thread 1's */
	ml_tstats_free(&st);
	ml_trace_close(t);
	unlink(path);
}

int main(void)
{
	ml_cmd = "trace-report";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(varints),	  cmocka_unit_test(prediction), cmocka_unit_test(crc),
		cmocka_unit_test(headers),
		cmocka_unit_test(hostile_payloads), cmocka_unit_test(read_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
