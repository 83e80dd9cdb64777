/*
 * diff: spans, mapping pairs and the byte comparison of two captures (see
 * diff.h).  The bytes of A and B come through two ml_streams over the same
 * spans, consumed in step: each run handed on is the overlap of A's
 * current chunk and B's, so a hole on either side (a chunk marked hole)
 * makes the run UNKNOWN whatever the other side holds.  Equal stretches
 * are found a page at a time with memcmp, then narrowed a word at a time.
 */
#include "config.h"
#include "diff.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK ((size_t)1 << 20)	/* bytes read from each side at once */

/* ---- spans ---- */

static void push_span(struct ml_diff_span **v, size_t *n, size_t *cap, uint64_t s, uint64_t e, long ra, long rb)
{
	if (*n && (*v)[*n - 1].end == s && (*v)[*n - 1].ra == ra && (*v)[*n - 1].rb == rb) {
		(*v)[*n - 1].end = e;
		return;
	}
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = ml_reallocarray(*v, *cap, sizeof **v);
	}
	(*v)[(*n)++] = (struct ml_diff_span){ s, e, ra, rb };
}

size_t ml_diff_spans(const struct ml_selection *sa, const struct ml_selection *sb, struct ml_diff_span **out)
{
	struct ml_diff_span *v = NULL;
	size_t n = 0, cap = 0, i = 0, j = 0;
	uint64_t pos = 0;
	while (i < sa->n || j < sb->n) {
		const struct ml_piece *pa = i < sa->n ? &sa->p[i] : NULL, *pb = j < sb->n ? &sb->p[j] : NULL;
		uint64_t as = pa ? ML_MAX(pa->start, pos) : UINT64_MAX;
		uint64_t bs = pb ? ML_MAX(pb->start, pos) : UINT64_MAX;
		uint64_t s = ML_MIN(as, bs);
		bool ina = pa && as == s, inb = pb && bs == s;
		uint64_t e = UINT64_MAX;
		e = ML_MIN(e, ina ? pa->end : as);
		e = ML_MIN(e, inb ? pb->end : bs);
		push_span(&v, &n, &cap, s, e, ina ? (long)pa->region : -1, inb ? (long)pb->region : -1);
		pos = e;
		if (pa && pa->end <= pos)
			i++;
		if (pb && pb->end <= pos)
			j++;
	}
	*out = v;
	return n;
}

/* ---- mappings ---- */

/* The regions a selection touches, in address order, each once. */
static size_t touched(const struct ml_selection *sel, long **out)
{
	long *v = ml_calloc(sel->n ? sel->n : 1, sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < sel->n; i++)
		if (!n || v[n - 1] != (long)sel->p[i].region)
			v[n++] = (long)sel->p[i].region;
	*out = v;
	return n;
}

static bool same_text(const char *x, const char *y)
{
	return x == y || (x && y && !strcmp(x, y));
}

static unsigned compare_regions(const struct ml_region *x, const struct ml_region *y)
{
	unsigned what = 0;
	/* gdb's cores do not say the permissions of what they left out: unknown is no change. */
	if (!((x->prot | y->prot) & ML_PROT_UNKNOWN) && x->prot != y->prot)
		what |= ML_DIFF_PERMS;
	/*
	 * Sources name pseudo mappings differently (a core's vDSO has no
	 * "[vdso]"): a path missing on one side of a non-file mapping is no change.
	 */
	bool named = x->kind == ML_KIND_FILE || y->kind == ML_KIND_FILE || (x->path && y->path);
	if (named && (!same_text(x->path, y->path) || x->deleted != y->deleted))
		what |= ML_DIFF_PATH;
	if (x->start != y->start || x->end != y->end)
		what |= ML_DIFF_SIZE;
	/* The same file offset at the same address, in modular arithmetic. */
	if (x->kind == ML_KIND_FILE && y->kind == ML_KIND_FILE && x->file_offset - x->start != y->file_offset - y->start)
		what |= ML_DIFF_OFFSET;
	return what;
}

static void push_map(struct ml_diff_map **v, size_t *n, size_t *cap, long ra, long rb, unsigned what)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = ml_reallocarray(*v, *cap, sizeof **v);
	}
	(*v)[(*n)++] = (struct ml_diff_map){ ra, rb, what };
}

size_t ml_diff_maps(const struct ml_space *a, const struct ml_selection *sa, const struct ml_space *b,
		    const struct ml_selection *sb, struct ml_diff_map **out)
{
	long *ia, *ib;
	size_t na = touched(sa, &ia), nb = touched(sb, &ib);
	struct ml_diff_map *v = NULL;
	size_t n = 0, cap = 0, i = 0, j = 0;
	bool ova = false, ovb = false;	/* A's and B's current region met the other side */
	while (i < na || j < nb) {
		const struct ml_region *x = i < na ? &a->r[ia[i]] : NULL, *y = j < nb ? &b->r[ib[j]] : NULL;
		if (!y || (x && x->end <= y->start)) {
			if (!ova)
				push_map(&v, &n, &cap, ia[i], -1, 0);
			i++, ova = false;
		} else if (!x || y->end <= x->start) {
			if (!ovb)
				push_map(&v, &n, &cap, -1, ib[j], 0);
			j++, ovb = false;
		} else {
			push_map(&v, &n, &cap, ia[i], ib[j], compare_regions(x, y));
			ova = ovb = true;
			if (x->end <= y->end)
				i++, ova = false;
			if (y->end <= x->end)
				j++, ovb = false;
		}
	}
	free(ia);
	free(ib);
	*out = v;
	return n;
}

const char *ml_diff_what(unsigned what, char *buf, size_t len)
{
	static const char *const words[] = { "perms", "path", "size", "offset" };
	size_t o = 0;
	buf[0] = '\0';
	for (unsigned k = 0; k < ML_ARRAY_SIZE(words) && o < len; k++)
		if (what & (1u << k))
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", words[k]);
	return buf;
}

/* ---- bytes ---- */

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

/* Bytes at the start of x and y that are equal. */
static size_t same_len(const uint8_t *x, const uint8_t *y, size_t n)
{
	size_t i = 0;
	while (n - i >= 4096 && !memcmp(x + i, y + i, 4096))
		i += 4096;
	for (; n - i >= 8; i += 8) {
		uint64_t v = load64(x + i) ^ load64(y + i);
		if (v) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return i + (size_t)__builtin_ctzll(v) / 8;
#else
			break;
#endif
		}
	}
	while (i < n && x[i] == y[i])
		i++;
	return i;
}

/* Bytes at the start of x and y that all differ. */
static size_t diff_len(const uint8_t *x, const uint8_t *y, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	size_t i = 0;
	for (; n - i >= 8; i += 8) {
		uint64_t v = load64(x + i) ^ load64(y + i);
		if ((v - ones) & ~v & highs)	/* some byte of v is zero: an equal byte */
			break;
	}
	while (i < n && x[i] != y[i])
		i++;
	return i;
}

int ml_diff_compare(const uint8_t *x, const uint8_t *y, size_t n, uint64_t addr, const struct ml_diff_span *sp,
		    ml_diff_fn fn, void *ctx)
{
	size_t i = 0;
	int r;
	while (i < n) {
		size_t e = i + same_len(x + i, y + i, n - i);
		if (e > i && (r = fn(ctx, sp, addr + i, e - i, ML_DIFF_SAME, y + i)))
			return r;
		if (e == n)
			break;
		size_t d = e + diff_len(x + e, y + e, n - e);
		if ((r = fn(ctx, sp, addr + e, d - e, ML_DIFF_CHANGED, y + e)))
			return r;
		i = d;
	}
	return 0;
}

/* One side's stream and the unread rest of its current chunk. */
struct side {
	struct ml_stream *st;
	struct ml_chunk c;
	size_t used;		/* bytes of c already handed on */
};

/* Makes sure the side has bytes at hand: 0, or -1 when its stream ended early. */
static int refill(struct side *s)
{
	if (s->used < s->c.len)
		return 0;
	s->used = 0;
	return ml_stream_next(s->st, &s->c) ? 0 : -1;
}

int ml_diff_bytes(struct ml_space *a, struct ml_space *b, const struct ml_diff_span *sp, size_t n,
		  ml_diff_fn fn, void *ctx)
{
	/* The spans both sides have, as a selection of each. */
	struct ml_selection sa = { 0 }, sb = { 0 };
	sa.p = ml_calloc(n ? n : 1, sizeof *sa.p);
	sb.p = ml_calloc(n ? n : 1, sizeof *sb.p);
	for (size_t i = 0; i < n; i++) {
		if (sp[i].ra < 0 || sp[i].rb < 0)
			continue;
		sa.p[sa.n++] = (struct ml_piece){ sp[i].start, sp[i].end, (size_t)sp[i].ra };
		sb.p[sb.n++] = (struct ml_piece){ sp[i].start, sp[i].end, (size_t)sp[i].rb };
		sa.bytes += sp[i].end - sp[i].start;
	}
	sb.bytes = sa.bytes;
	struct side x = { .st = ml_stream_new(a, &sa, BLOCK) }, y = { .st = ml_stream_new(b, &sb, BLOCK) };
	int r = 0;
	for (size_t i = 0; i < n && !r; i++) {
		const struct ml_diff_span *s = &sp[i];
		if (s->ra < 0 || s->rb < 0) {
			/* Spans can pass what a size_t holds on 32-bit machines: runs of at most 1 GiB. */
			for (uint64_t at = s->start; at < s->end && !r; at += (size_t)1 << 30)
				r = fn(ctx, s, at, (size_t)ML_MIN(s->end - at, (uint64_t)1 << 30),
				       s->ra < 0 ? ML_DIFF_ADDED : ML_DIFF_REMOVED, NULL);
			continue;
		}
		for (uint64_t at = s->start; at < s->end && !r;) {
			if (refill(&x) || refill(&y) || x.c.addr + x.used != at || y.c.addr + y.used != at) {
				/* Both streams cover exactly these spans: this would be memlens's own bug. */
				ml_err("internal error: the two reads parted at 0x%llx", (unsigned long long)at);
				r = -1;
				break;
			}
			size_t k = ML_MIN(x.c.len - x.used, y.c.len - y.used);
			k = (size_t)ML_MIN((uint64_t)k, s->end - at);
			if (x.c.hole || y.c.hole)
				r = fn(ctx, s, at, k, ML_DIFF_UNKNOWN, NULL);
			else
				r = ml_diff_compare(x.c.data + x.used, y.c.data + y.used, k, at, s, fn, ctx);
			x.used += k;
			y.used += k;
			at += k;
		}
	}
	ml_stream_free(x.st);
	ml_stream_free(y.st);
	ml_selection_free(&sa);
	ml_selection_free(&sb);
	return r;
}
