/*
 * select: parsing of --region specs, resolving them against an address
 * space, and streaming the selected bytes in blocks with holes marked.
 */
#include "config.h"
#include "select.h"
#include "util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	enum ml_kind kind;
} kind_words[] = {
	{ "heap", ML_KIND_HEAP }, { "stack", ML_KIND_STACK }, { "anon", ML_KIND_ANON },
	{ "file", ML_KIND_FILE }, { "vdso", ML_KIND_VDSO }, { "vvar", ML_KIND_VVAR },
	{ "vsyscall", ML_KIND_VSYSCALL }, { "phys", ML_KIND_PHYS }, { "raw", ML_KIND_RAW },
};

/* Room for a reason that names the part of a spec that did not parse. */
static char why_buf[256];

__attribute__((format(printf, 2, 3)))
static int bad(const char **why, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof why_buf, fmt, ap);
	va_end(ap);
	*why = why_buf;
	return -1;
}

static bool all_hex(const char *s, size_t n)
{
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
	}
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * Does arg start like an address or a range?  It does when it starts with
 * 0x or a decimal digit, or when the text before its first '-' or '+' is
 * hex digits (7f00a000-7f00c000).  Such a spec must parse as a range: a
 * typo is a usage error, not a search for a path nobody has.
 */
static bool looks_like_range(const char *arg)
{
	if (isdigit((unsigned char)arg[0]))
		return true;
	const char *op = strpbrk(arg, "-+");
	return op && op > arg && all_hex(arg, (size_t)(op - arg));
}

/* "A-B" or "A+LEN" with hex A, B (0x optional) and LEN (or decimal+K/M/G). */
static int parse_range(const char *arg, struct ml_spec *out, const char **why)
{
	const char *op = strpbrk(arg, "-+");
	if (!op) {
		if (ml_parse_addr(arg, &out->start))
			return bad(why, "'%s' is not a hex address (for a path containing it, write path:TEXT)", arg);
		return bad(why, "'%s' is one address, not a range: write START-END or START+LEN", arg);
	}
	char *a = ml_strndup(arg, (size_t)(op - arg));
	uint64_t start, x;
	int r = ml_parse_addr(a, &start);
	if (r)
		bad(why, "the start address '%s' is not hex", a);
	free(a);
	if (r)
		return -1;
	const char *rest = op + 1;
	if (!*rest)
		return bad(why, "the %s is missing", *op == '-' ? "end address" : "length");
	if (*op == '-') {
		if (ml_parse_addr(rest, &x))
			return bad(why, "the end address '%s' is not hex", rest);
		if (x <= start) {
			*why = "the range ends before it starts";
			return -1;
		}
		out->end = x;
	} else {
		/* Plain digits are hex, like addresses; a K/M/G/T suffix means a size. */
		size_t n = strlen(rest);
		bool sized = strchr("kKmMgGtT", rest[n - 1]) != NULL;
		if (sized ? ml_parse_size(rest, &x) : ml_parse_addr(rest, &x))
			return bad(why, "the length '%s' is not a hex number or a size like 4K, 2M or 1G", rest);
		if (x == 0) {
			*why = "the range is empty";
			return -1;
		}
		if (start + x < start) {
			*why = "the range runs past the top of the address space";
			return -1;
		}
		out->end = start + x;
	}
	out->type = ML_SPEC_RANGE;
	out->start = start;
	return 0;
}

int ml_spec_parse(const char *arg, struct ml_spec *out, const char **why)
{
	memset(out, 0, sizeof *out);
	*why = "empty selection";
	if (!arg || !*arg)
		return -1;
	for (size_t i = 0; i < ML_ARRAY_SIZE(kind_words); i++)
		if (!strcmp(arg, kind_words[i].name)) {
			out->type = ML_SPEC_KIND;
			out->kind = kind_words[i].kind;
			return 0;
		}
	if (!strcmp(arg, "exec")) {
		out->type = ML_SPEC_EXEC;
		return 0;
	}
	if (!strncmp(arg, "path:", 5)) {
		if (!arg[5]) {
			*why = "path: needs the text to look for";
			return -1;
		}
		out->type = ML_SPEC_PATH;
		out->text = ml_strdup(arg + 5);
		return 0;
	}
	if (looks_like_range(arg))
		return parse_range(arg, out, why);
	out->type = ML_SPEC_PATH;
	out->text = ml_strdup(arg);
	return 0;
}

const char *ml_spec_kind_word(enum ml_kind k)
{
	for (size_t i = 0; i < ML_ARRAY_SIZE(kind_words); i++)
		if (kind_words[i].kind == k)
			return kind_words[i].name;
	return NULL;
}

void ml_spec_free(struct ml_spec *s)
{
	free(s->text);
	s->text = NULL;
}

static bool whole_match(const struct ml_region *r, const struct ml_spec *sp)
{
	switch (sp->type) {
	case ML_SPEC_KIND: return r->kind == sp->kind;
	case ML_SPEC_EXEC: return r->prot & ML_PROT_X;
	case ML_SPEC_PATH: return r->path && strstr(r->path, sp->text);
	default: return false;
	}
}

static void add_piece(struct ml_selection *o, size_t *cap, uint64_t a, uint64_t b, size_t region)
{
	/* Ranges may overlap each other: merge with the previous piece. */
	if (o->n && o->p[o->n - 1].region == region && a <= o->p[o->n - 1].end) {
		struct ml_piece *l = &o->p[o->n - 1];
		if (b > l->end) {
			o->bytes += b - l->end;
			l->end = b;
		}
		return;
	}
	if (o->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		o->p = ml_reallocarray(o->p, *cap, sizeof *o->p);
	}
	o->p[o->n++] = (struct ml_piece){ a, b, region };
	o->bytes += b - a;
}

static int cmp_range(const void *x, const void *y)
{
	const struct ml_spec *a = *(const struct ml_spec *const *)x;
	const struct ml_spec *b = *(const struct ml_spec *const *)y;
	return a->start < b->start ? -1 : a->start > b->start;
}

void ml_select(const struct ml_space *s, const struct ml_spec *specs, size_t nspecs,
	       struct ml_selection *out)
{
	size_t cap = 0, nr = 0;
	memset(out, 0, sizeof *out);
	const struct ml_spec **ranges = ml_calloc(nspecs ? nspecs : 1, sizeof *ranges);
	for (size_t k = 0; k < nspecs; k++) {
		if (specs[k].type == ML_SPEC_RANGE)
			ranges[nr++] = &specs[k];
	}
	if (nr > 1)
		qsort(ranges, nr, sizeof *ranges, cmp_range);
	for (size_t i = 0; i < s->n; i++) {
		const struct ml_region *r = &s->r[i];
		bool whole = nspecs == 0;
		for (size_t k = 0; !whole && k < nspecs; k++)
			whole = whole_match(r, &specs[k]);
		if (whole) {
			add_piece(out, &cap, r->start, r->end, i);
			continue;
		}
		for (size_t k = 0; k < nr; k++) {
			uint64_t a = ML_MAX(r->start, ranges[k]->start);
			uint64_t b = ML_MIN(r->end, ranges[k]->end);
			if (a < b)
				add_piece(out, &cap, a, b, i);
		}
	}
	free(ranges);
}

uint64_t ml_piece_captured(const struct ml_space *s, const struct ml_piece *p)
{
	return ml_region_captured_in(&s->r[p->region], p->start, p->end);
}

uint64_t ml_selection_captured(const struct ml_space *s, const struct ml_selection *sel)
{
	uint64_t c = 0;
	for (size_t i = 0; i < sel->n; i++)
		c += ml_piece_captured(s, &sel->p[i]);
	return c;
}

void ml_selection_free(struct ml_selection *sel)
{
	free(sel->p);
	memset(sel, 0, sizeof *sel);
}

struct ml_stream {
	struct ml_space *s;
	const struct ml_selection *sel;
	size_t piece;
	uint64_t pos;		/* next address inside the current piece */
	uint64_t offset;	/* bytes of the stream already returned */
	uint64_t holes;
	uint8_t *buf;
	size_t block;
	bool holes_only;	/* ml_stream_new_holes: the runs without the bytes */
	bool skip_zeros;	/* ml_stream_skip_zeros */
	bool long_holes;	/* ml_stream_long_holes */
};

struct ml_stream *ml_stream_new(struct ml_space *s, const struct ml_selection *sel, size_t block)
{
	struct ml_stream *st = ml_calloc(1, sizeof *st);
	st->s = s;
	st->sel = sel;
	st->block = block ? block : (size_t)1 << 20;
	st->buf = ml_malloc(st->block);
	st->pos = sel->n ? sel->p[0].start : 0;
	return st;
}

struct ml_stream *ml_stream_new_holes(struct ml_space *s, const struct ml_selection *sel, size_t block)
{
	struct ml_stream *st = ml_stream_new(s, sel, block);
	st->holes_only = true;
	return st;
}

void ml_stream_skip_zeros(struct ml_stream *st)
{
	st->skip_zeros = true;
}

int ml_stream_next(struct ml_stream *st, struct ml_chunk *c)
{
	while (st->piece < st->sel->n && st->pos >= st->sel->p[st->piece].end) {
		if (++st->piece < st->sel->n)
			st->pos = st->sel->p[st->piece].start;
	}
	if (st->piece >= st->sel->n)
		return 0;
	const struct ml_piece *p = &st->sel->p[st->piece];
	size_t z = st->skip_zeros ? ml_space_zero_run(st->s, st->pos, p->end - st->pos) : 0;
	if (z) {
		*c = (struct ml_chunk){ .addr = st->pos, .len = z, .zero = true, .piece = st->piece,
					.offset = st->offset };
		st->pos += z;
		st->offset += z;
		return 1;
	}
	size_t want = (size_t)ML_MIN((uint64_t)st->block, p->end - st->pos);
	bool hole;
	size_t got = st->holes_only ? ml_space_holes(st->s, st->pos, want, st->buf, &hole)
				    : ml_space_read(st->s, st->pos, want, st->buf, &hole);
	/* A file source answers holes without reading: extend the run to its end. */
	if (hole && st->long_holes && got == want && !ml_space_can(st->s, ML_CAP_LIVE)) {
		while (got < SIZE_MAX && p->end - st->pos > got) {
			bool h2;
			size_t g = ml_space_holes(st->s, st->pos + got,
						  (size_t)ML_MIN(p->end - st->pos - got, (uint64_t)(SIZE_MAX - got)),
						  NULL, &h2);
			if (!g || !h2)
				break;
			got += g;
		}
	}
	c->addr = st->pos;
	c->len = got;
	c->hole = hole;
	c->zero = false;
	c->data = hole || st->holes_only ? NULL : st->buf;
	c->piece = st->piece;
	c->offset = st->offset;
	st->pos += got;
	st->offset += got;
	if (hole)
		st->holes += got;
	return 1;
}

void ml_stream_long_holes(struct ml_stream *st)
{
	st->long_holes = true;
}

uint64_t ml_stream_hole_bytes(const struct ml_stream *st)
{
	return st->holes;
}

void ml_stream_free(struct ml_stream *st)
{
	if (!st)
		return;
	free(st->buf);
	free(st);
}
