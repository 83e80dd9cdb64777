/*
 * find: the matchers behind `memlens find` (see find.h for the semantics).
 *
 * Strings are a byte-at-a-time state machine over the stream itself, so a
 * run of any length costs no memory beyond its kept text.  Literals, hex
 * patterns and regular expressions share one sliding window: each scan
 * reports the matches that start in the part of the window no later byte
 * can change (all but the last ML_FIND_SPAN bytes), then slides, keeping
 * that tail plus a little left context for lookbehind.  Literals are found
 * through a 64 Ki-entry bitmap of their two-byte anchors, so the inner loop
 * is one load and one bit test per byte whatever the number of patterns.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "config.h"
#include "find.h"
#include "util.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* Left context kept before the first unsearched start, for lookbehind. */
#define LOOKBEHIND 256

struct lit {
	uint8_t *b;		/* pattern bytes (folded when icase) */
	uint8_t *mask;		/* 1 = fixed byte, 0 = any; NULL: all fixed */
	size_t len;
	size_t anchor;		/* offset of the two fixed bytes the scan keys on */
	bool icase;
	bool single;		/* only one fixed byte: keyed on it alone */
	enum ml_find_kind kind;
	enum ml_find_enc enc;
	size_t index;
};

struct rx {
	pcre2_code *code;
	pcre2_match_data *md;
	size_t next;		/* window offset where its next search starts */
	size_t index;
};

/* A run of printable characters in progress, for one encoding. */
struct run {
	bool on;
	uint64_t addr;
	uint64_t chars;
	size_t ntext;
	uint8_t *text;
	/* UTF-16: the byte waiting for its partner, at address q. */
	bool have_lo;
	uint8_t lo;
	uint64_t q;
};

struct ml_finder {
	ml_find_cb cb;
	void *ctx;

	/* strings */
	unsigned min;
	bool ascii, utf16;
	struct run ra, ru;

	/* literals and hex patterns, with their anchor tables */
	struct lit *lits;
	size_t nlits, ntext, nhex;
	uint64_t pair_bm[65536 / 64];
	uint32_t *pair_head;	/* 65536 chain heads, 1-based into chain[] */
	bool any_single;	/* some literal has no two adjacent fixed bytes */
	struct { uint32_t lit, next; } *chain;
	size_t nchain;
	size_t amin, amax;	/* smallest and largest pair anchor offset */
	/*
	 * The same pairs as nibble tables for a 32-bytes-at-a-time filter:
	 * each pair is in one of 8 buckets (a bit); a position is a candidate
	 * when both of its bytes' nibbles agree on some bucket.
	 */
	uint8_t nib[4][16];	/* first byte low/high, second byte low/high */
	bool tables_ready;

	struct rx *rx;
	size_t nrx;

	/* the window */
	uint8_t *w;
	size_t cap, wlen, done;
	uint64_t wbase;
	bool bol;
	uint8_t *dec;		/* UTF-16 text of a literal match, decoded */

	uint64_t last_end;	/* address after the last fed byte */
	bool fed;
};

static bool printable[256];
static uint8_t fold[256];

static void init_tables(void)
{
	for (int c = 0; c < 256; c++) {
		printable[c] = (c >= 0x20 && c <= 0x7e) || c == '\t';
		fold[c] = (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
}

struct ml_finder *ml_finder_new(ml_find_cb cb, void *ctx)
{
	static bool once;
	if (!once) {
		init_tables();
		once = true;
	}
	struct ml_finder *f = ml_calloc(1, sizeof *f);
	f->cb = cb;
	f->ctx = ctx;
	f->amin = SIZE_MAX;
	return f;
}

void ml_finder_free(struct ml_finder *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nlits; i++) {
		free(f->lits[i].b);
		free(f->lits[i].mask);
	}
	free(f->lits);
	for (size_t i = 0; i < f->nrx; i++) {
		pcre2_match_data_free(f->rx[i].md);
		pcre2_code_free(f->rx[i].code);
	}
	free(f->rx);
	free(f->pair_head);
	free(f->chain);
	free(f->w);
	free(f->dec);
	free(f->ra.text);
	free(f->ru.text);
	free(f);
}

/* ---- strings ---- */

void ml_finder_add_strings(struct ml_finder *f, unsigned min, bool ascii, bool utf16)
{
	f->min = min ? min : 1;
	f->ascii = ascii;
	f->utf16 = utf16;
	if (ascii && !f->ra.text)
		f->ra.text = ml_malloc(ML_FIND_TEXT_MAX);
	if (utf16 && !f->ru.text)
		f->ru.text = ml_malloc(ML_FIND_TEXT_MAX);
}

static int run_end(struct ml_finder *f, struct run *r, enum ml_find_enc enc)
{
	int ret = 0;
	if (r->on && r->chars >= f->min) {
		struct ml_find_match m = {
			.addr = r->addr,
			.len = enc == ML_ENC_UTF16LE ? r->chars * 2 : r->chars,
			.kind = ML_FIND_STRING,
			.enc = enc,
			.text = r->text,
			.ntext = r->ntext,
		};
		ret = f->cb(f->ctx, &m);
	}
	r->on = false;
	r->chars = 0;
	r->ntext = 0;
	return ret;
}

static void run_add(struct run *r, uint64_t addr, const uint8_t *c, size_t n)
{
	if (!r->on) {
		r->on = true;
		r->addr = addr;
	}
	r->chars += n;
	size_t k = ML_MIN(n, ML_FIND_TEXT_MAX - r->ntext);
	memcpy(r->text + r->ntext, c, k);
	r->ntext += k;
}

static int ascii_feed(struct ml_finder *f, uint64_t addr, const uint8_t *d, size_t n)
{
	struct run *r = &f->ra;
	size_t i = 0;
	while (i < n) {
		if (!r->on)
			while (i < n && !printable[d[i]])
				i++;
		size_t j = i;
		while (j < n && printable[d[j]])
			j++;
		/* Most runs are short and end here: no state, no copy. */
		if (!r->on && j < n && j - i < f->min) {
			i = j + 1;
			continue;
		}
		if (j > i)
			run_add(r, addr + i, d + i, j - i);
		if (j == n)
			break;
		int ret = run_end(f, r, ML_ENC_ASCII);
		if (ret)
			return ret;
		i = j + 1;
	}
	return 0;
}

/*
 * `strings -e l` reads 16-bit units; after a unit that is not a character
 * it starts again one byte later.  So: a unit at q is (lo, hi); a character
 * moves q by two, anything else ends the run and moves q by one.
 */
static int utf16_feed(struct ml_finder *f, uint64_t addr, const uint8_t *d, size_t n)
{
	struct run *r = &f->ru;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = d[i];
		if (!r->have_lo) {
			r->lo = c;
			r->q = addr + i;
			r->have_lo = true;
			continue;
		}
		if (c == 0 && printable[r->lo]) {
			run_add(r, r->q, &r->lo, 1);
			r->have_lo = false;
			continue;
		}
		if (r->on) {
			int ret = run_end(f, r, ML_ENC_UTF16LE);
			if (ret)
				return ret;
		}
		r->lo = c;
		r->q = addr + i;
	}
	return 0;
}

/* ---- literals and hex patterns ---- */

static size_t add_lit(struct ml_finder *f, const uint8_t *b, const uint8_t *mask, size_t len,
		      bool icase, enum ml_find_kind kind, enum ml_find_enc enc, size_t index)
{
	f->lits = ml_reallocarray(f->lits, f->nlits + 1, sizeof *f->lits);
	struct lit *l = &f->lits[f->nlits++];
	memset(l, 0, sizeof *l);
	l->b = ml_malloc(len);
	for (size_t i = 0; i < len; i++)
		l->b[i] = icase ? fold[b[i]] : b[i];
	if (mask) {
		l->mask = ml_malloc(len);
		memcpy(l->mask, mask, len);
	}
	l->len = len;
	l->icase = icase;
	l->kind = kind;
	l->enc = enc;
	l->index = index;
	f->tables_ready = false;
	return index;
}

size_t ml_finder_add_text(struct ml_finder *f, const char *text, size_t len, bool icase,
			  bool ascii, bool utf16)
{
	size_t index = f->ntext++;
	if (ascii)
		add_lit(f, (const uint8_t *)text, NULL, len, icase, ML_FIND_TEXT, ML_ENC_ASCII, index);
	if (utf16) {
		uint8_t *u = ml_calloc(len ? len * 2 : 1, 1);
		for (size_t i = 0; i < len; i++)
			u[2 * i] = (uint8_t)text[i];
		add_lit(f, u, NULL, len * 2, icase, ML_FIND_TEXT, ML_ENC_UTF16LE, index);
		free(u);
	}
	return index;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int ml_finder_add_hex(struct ml_finder *f, const char *spec, size_t *index, const char **why)
{
	size_t cap = strlen(spec) / 2 + 1, n = 0, fixed = 0;
	uint8_t *b = ml_malloc(cap), *mask = ml_malloc(cap);
	for (const char *p = spec; *p;) {
		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		if (p[0] == '?' && p[1] == '?') {
			b[n] = 0;
			mask[n++] = 0;
		} else {
			int hi = hexval(p[0]), lo = hi < 0 ? -1 : hexval(p[1]);
			if (hi < 0 || lo < 0) {
				*why = "expected pairs of hex digits or ??, optionally separated by spaces";
				goto bad;
			}
			b[n] = (uint8_t)(hi << 4 | lo);
			mask[n++] = 1;
			fixed++;
		}
		p += 2;
	}
	if (!fixed) {
		*why = n ? "a pattern of only ?? matches everywhere" : "the pattern is empty";
		goto bad;
	}
	if (n > ML_FIND_SPAN) {
		*why = "the pattern is longer than 64 KiB";
		goto bad;
	}
	*index = add_lit(f, b, mask, n, false, ML_FIND_HEX, ML_ENC_NONE, f->nhex++);
	free(b);
	free(mask);
	return 0;
bad:
	free(b);
	free(mask);
	return -1;
}

static bool fixed_at(const struct lit *l, size_t i)
{
	return !l->mask || l->mask[i];
}

static void chain_add(struct ml_finder *f, uint32_t *head, uint32_t lit)
{
	f->chain = ml_reallocarray(f->chain, f->nchain + 1, sizeof *f->chain);
	f->chain[f->nchain].lit = lit;
	f->chain[f->nchain].next = *head;
	*head = (uint32_t)++f->nchain;
}

/* Each literal is keyed on its first two adjacent fixed bytes (all case forms). */
static void build_tables(struct ml_finder *f)
{
	free(f->chain);
	f->chain = NULL;
	f->nchain = 0;
	free(f->pair_head);
	f->pair_head = ml_calloc(65536, sizeof *f->pair_head);
	memset(f->pair_bm, 0, sizeof f->pair_bm);
	f->any_single = false;
	f->amin = SIZE_MAX;
	f->amax = 0;
	memset(f->nib, 0, sizeof f->nib);
	unsigned npairs = 0;
	for (size_t k = 0; k < f->nlits; k++) {
		struct lit *l = &f->lits[k];
		size_t j = 0;
		while (j + 1 < l->len && !(fixed_at(l, j) && fixed_at(l, j + 1)))
			j++;
		if (j + 1 >= l->len) {
			/* No fixed pair: found with memchr on its first fixed byte. */
			for (j = 0; !fixed_at(l, j); j++)
				;
			l->single = true;
			l->anchor = j;
			f->any_single = true;
			continue;
		}
		l->anchor = j;
		f->amin = ML_MIN(f->amin, j);
		f->amax = ML_MAX(f->amax, j);
		uint8_t a = l->b[j], b = l->b[j + 1];
		uint8_t as[2] = { a, a }, bs[2] = { b, b };
		if (l->icase) {
			if (a >= 'a' && a <= 'z')
				as[1] = (uint8_t)(a - 32);
			if (b >= 'a' && b <= 'z')
				bs[1] = (uint8_t)(b - 32);
		}
		for (int x = 0; x < 2; x++)
			for (int y = 0; y < 2; y++) {
				if ((x && as[1] == as[0]) || (y && bs[1] == bs[0]))
					continue;
				unsigned h = as[x] | (unsigned)bs[y] << 8;
				if (!(f->pair_bm[h / 64] >> (h % 64) & 1)) {
					uint8_t bit = (uint8_t)(1u << (npairs++ % 8));
					f->nib[0][as[x] & 15] |= bit;
					f->nib[1][as[x] >> 4] |= bit;
					f->nib[2][bs[y] & 15] |= bit;
					f->nib[3][bs[y] >> 4] |= bit;
				}
				f->pair_bm[h / 64] |= (uint64_t)1 << (h % 64);
				chain_add(f, &f->pair_head[h], (uint32_t)k);
			}
	}
	f->tables_ready = true;
}

static bool lit_at(const struct lit *l, const uint8_t *p)
{
	if (!l->mask && !l->icase)
		return !memcmp(p, l->b, l->len);
	for (size_t i = 0; i < l->len; i++) {
		if (l->mask && !l->mask[i])
			continue;
		uint8_t c = l->icase ? fold[p[i]] : p[i];
		if (c != l->b[i])
			return false;
	}
	return true;
}

static int lit_report(struct ml_finder *f, const struct lit *l, size_t start)
{
	const uint8_t *p = f->w + start;
	struct ml_find_match m = {
		.addr = f->wbase + start,
		.len = l->len,
		.kind = l->kind,
		.enc = l->enc,
		.pattern = l->index,
		.raw = p,
		.nraw = l->len,
	};
	if (l->kind == ML_FIND_TEXT) {
		if (l->enc == ML_ENC_UTF16LE) {
			if (!f->dec)
				f->dec = ml_malloc(ML_FIND_SPAN / 2 + 1);
			for (size_t i = 0; i < l->len / 2; i++)
				f->dec[i] = p[2 * i];
			m.text = f->dec;
			m.ntext = l->len / 2;
		} else {
			m.text = p;
			m.ntext = l->len;
		}
	}
	return f->cb(f->ctx, &m);
}

/* Checks the literals of one chain for a start at `start`. */
static int chain_check(struct ml_finder *f, uint32_t c, size_t anchor_pos, size_t lo, size_t hi)
{
	for (; c; c = f->chain[c - 1].next) {
		const struct lit *l = &f->lits[f->chain[c - 1].lit];
		if (anchor_pos < l->anchor)
			continue;
		size_t start = anchor_pos - l->anchor;
		if (start < lo || start >= hi || start + l->len > f->wlen)
			continue;
		if (lit_at(l, f->w + start)) {
			int ret = lit_report(f, l, start);
			if (ret)
				return ret;
		}
	}
	return 0;
}

#if defined(__x86_64__)
/*
 * Pair anchors at positions [i, to), 32 at a time while 33 bytes remain:
 * the nibble filter, then the exact bitmap, then the chains.  Returns the
 * first position not examined; *ret gets a callback's stop value.
 */
__attribute__((target("avx2")))
static size_t pairs_avx2(struct ml_finder *f, size_t i, size_t to, size_t lo, size_t hi, int *ret)
{
	const uint8_t *w = f->w;
	const __m256i t0 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)f->nib[0]));
	const __m256i t1 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)f->nib[1]));
	const __m256i t2 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)f->nib[2]));
	const __m256i t3 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)f->nib[3]));
	const __m256i low = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
	for (; i < to && i + 33 <= f->wlen; i += 32) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(w + i));
		__m256i y = _mm256_loadu_si256((const __m256i *)(w + i + 1));
		__m256i a = _mm256_and_si256(_mm256_shuffle_epi8(t0, _mm256_and_si256(x, low)),
					     _mm256_shuffle_epi8(t1, _mm256_and_si256(_mm256_srli_epi16(x, 4), low)));
		__m256i b = _mm256_and_si256(_mm256_shuffle_epi8(t2, _mm256_and_si256(y, low)),
					     _mm256_shuffle_epi8(t3, _mm256_and_si256(_mm256_srli_epi16(y, 4), low)));
		uint32_t m = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(a, b), zero));
		while (m) {
			size_t p = i + (size_t)__builtin_ctz(m);
			m &= m - 1;
			if (p >= to)
				return to;
			unsigned h = w[p] | (unsigned)w[p + 1] << 8;
			if (f->pair_bm[h / 64] >> (h % 64) & 1 &&
			    (*ret = chain_check(f, f->pair_head[h], p, lo, hi)))
				return p;
		}
	}
	return i;
}
#endif

/* Literal matches starting in [lo, hi) of the window. */
static int lits_scan(struct ml_finder *f, size_t lo, size_t hi)
{
	if (!f->nlits || lo >= hi)
		return 0;
	if (!f->tables_ready)
		build_tables(f);
	const uint8_t *w = f->w;
	if (f->amin != SIZE_MAX) {
		size_t from = lo + f->amin, to = ML_MIN(hi + f->amax, f->wlen - 1);
		size_t i = from;
#if defined(__x86_64__)
		static int avx2 = -1;
		if (avx2 < 0)
			avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
		if (avx2) {
			int ret = 0;
			i = pairs_avx2(f, i, to, lo, hi, &ret);
			if (ret)
				return ret;
		}
#endif
		for (; i < to; i++) {
			unsigned h = w[i] | (unsigned)w[i + 1] << 8;
			if (!(f->pair_bm[h / 64] >> (h % 64) & 1))
				continue;
			int ret = chain_check(f, f->pair_head[h], i, lo, hi);
			if (ret)
				return ret;
		}
	}
	if (f->any_single) {
		for (size_t k = 0; k < f->nlits; k++) {
			const struct lit *l = &f->lits[k];
			if (!l->single)
				continue;
			uint8_t c = l->b[l->anchor];
			for (size_t s = lo; s < hi && s + l->len <= f->wlen;) {
				size_t a = s + l->anchor;
				const uint8_t *p = memchr(w + a, c, ML_MIN(hi - s, f->wlen - a));
				if (!p)
					break;
				s = (size_t)(p - w) - l->anchor;
				if (s >= hi || s + l->len > f->wlen)
					break;
				if (lit_at(l, w + s)) {
					int ret = lit_report(f, l, s);
					if (ret)
						return ret;
				}
				s++;
			}
		}
	}
	return 0;
}

/* ---- regular expressions ---- */

int ml_finder_add_regex(struct ml_finder *f, const char *re, bool icase, size_t *index,
			char *err, size_t errlen)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
				      icase ? PCRE2_CASELESS : 0, &code, &off, NULL);
	if (!c) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof msg);
		snprintf(err, errlen, "at offset %zu: %s", (size_t)off, (const char *)msg);
		return -1;
	}
	/* Without JIT (no executable memory allowed) the interpreter still works. */
	(void)pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
	f->rx = ml_reallocarray(f->rx, f->nrx + 1, sizeof *f->rx);
	struct rx *r = &f->rx[f->nrx];
	r->code = c;
	r->md = pcre2_match_data_create_from_pattern(c, NULL);
	r->next = 0;
	r->index = f->nrx++;
	*index = r->index;
	return 0;
}

static int rx_scan(struct ml_finder *f, struct rx *r, size_t hi, bool final)
{
	uint32_t opts = (f->bol ? 0 : PCRE2_NOTBOL) | (final ? 0 : PCRE2_NOTEOL);
	size_t pos = r->next;
	while (pos < hi) {
		int rc = pcre2_match(r->code, f->w, f->wlen, pos, opts, r->md, NULL);
		if (rc < 0) {
			pos = hi;
			break;
		}
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
		size_t s = ov[0], e = ov[1];
		if (s >= hi) {
			pos = hi;
			break;
		}
		if (e > s) {
			struct ml_find_match m = {
				.addr = f->wbase + s,
				.len = e - s,
				.kind = ML_FIND_REGEX,
				.pattern = r->index,
				.text = f->w + s,
				.ntext = e - s,
				.raw = f->w + s,
				.nraw = e - s,
			};
			int ret = f->cb(f->ctx, &m);
			if (ret)
				return ret;
			pos = e;
		} else {
			pos = s + 1;
		}
	}
	r->next = pos;
	return 0;
}

/* ---- the window ---- */

/*
 * Reports every match that starts before `limit` (all of the window when
 * final), then slides the window so that only what later bytes may still
 * extend is kept.
 */
static int window_scan(struct ml_finder *f, bool final)
{
	size_t limit = final ? f->wlen : (f->wlen > ML_FIND_SPAN ? f->wlen - ML_FIND_SPAN : 0);
	int ret = lits_scan(f, f->done, limit);
	for (size_t i = 0; !ret && i < f->nrx; i++)
		ret = rx_scan(f, &f->rx[i], limit, final);
	if (ret)
		return ret;
	f->done = limit;
	if (final) {
		f->wlen = 0;
		f->done = 0;
		for (size_t i = 0; i < f->nrx; i++)
			f->rx[i].next = 0;
		return 0;
	}
	size_t cut = limit > LOOKBEHIND ? limit - LOOKBEHIND : 0;
	if (cut) {
		memmove(f->w, f->w + cut, f->wlen - cut);
		f->wlen -= cut;
		f->wbase += cut;
		f->done -= cut;
		for (size_t i = 0; i < f->nrx; i++)
			f->rx[i].next = f->rx[i].next > cut ? f->rx[i].next - cut : 0;
		f->bol = false;
	}
	return 0;
}

static int window_feed(struct ml_finder *f, uint64_t addr, const uint8_t *d, size_t n)
{
	if (!f->w) {
		f->cap = ML_FIND_BLOCK + ML_FIND_SPAN;
		f->w = ml_malloc(f->cap);
	}
	if (!f->wlen) {
		f->wbase = addr;
		f->bol = true;
		f->done = 0;
	}
	while (n) {
		size_t k = ML_MIN(n, f->cap - f->wlen);
		memcpy(f->w + f->wlen, d, k);
		f->wlen += k;
		d += k;
		n -= k;
		if (f->wlen == f->cap) {
			int ret = window_scan(f, false);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int ml_finder_break(struct ml_finder *f)
{
	int ret = 0;
	if (f->ascii)
		ret = run_end(f, &f->ra, ML_ENC_ASCII);
	if (!ret && f->utf16) {
		ret = run_end(f, &f->ru, ML_ENC_UTF16LE);
		f->ru.have_lo = false;
	}
	if (!ret && f->wlen)
		ret = window_scan(f, true);
	f->fed = false;
	return ret;
}

int ml_finder_feed(struct ml_finder *f, uint64_t addr, const uint8_t *data, size_t len)
{
	int ret;
	if (!len)
		return 0;
	if (f->fed && addr != f->last_end && (ret = ml_finder_break(f)))
		return ret;
	f->fed = true;
	f->last_end = addr + len;
	if (f->ascii && (ret = ascii_feed(f, addr, data, len)))
		return ret;
	if (f->utf16 && (ret = utf16_feed(f, addr, data, len)))
		return ret;
	if ((f->nlits || f->nrx) && (ret = window_feed(f, addr, data, len)))
		return ret;
	return 0;
}
