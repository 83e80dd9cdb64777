/*
 * find_yara: compiles YARA rules and runs them over a selection as memory
 * blocks at virtual addresses (see find_yara.h for the block layout).
 *
 * libyara walks the blocks more than once: once to scan, and again from the
 * first block whenever a condition reads an integer at an address.  So the
 * block list comes from the region metadata alone (first/next never read),
 * and fetch_data reads on demand into one buffer.  Bytes a block turns out
 * not to hold (an unreadable page, a truncated core) are given to YARA as
 * zeros, and any string match touching them is dropped: a hole is never
 * evidence.
 */
#include "config.h"
#include "find_yara.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yara.h>

#define CHUNK ((size_t)16 << 20)
#define OVERLAP ((size_t)YR_RE_SCAN_LIMIT)
/* Unexpected holes remembered to drop matches on them; more: all dropped. */
#define MAX_HOLES 4096

struct ml_yara {
	YR_RULES *rules;
};

struct hole {
	uint64_t start, end;
};

struct scan {
	struct ml_space *s;
	const struct ml_selection *sel;
	YR_MEMORY_BLOCK block;
	size_t piece;		/* block's piece; sel->n when done */
	uint64_t next;		/* base of the next block in that piece */
	uint8_t *buf;
	struct hole *holes;
	size_t nholes;
	bool holes_overflow;
	uint64_t hole_bytes;
	ml_find_cb cb;
	void (*rule_cb)(void *ctx, const char *rule);
	void *ctx;
	int stop;		/* a callback's non-zero return */
	bool too_many;
};

static int compile_errors;
static const char *rules_path;

static void compiler_cb(int level, const char *file, int line, const YR_RULE *rule,
			const char *msg, void *user)
{
	(void)rule;
	(void)user;
	const char *f = file ? file : rules_path;
	char *ef = ml_escape(f);
	if (level == YARA_ERROR_LEVEL_ERROR) {
		compile_errors++;
		ml_err("%s:%d: %s", ef, line, msg);
	} else {
		ml_warn("%s:%d: %s", ef, line, msg);
	}
	free(ef);
}

static int add_file(YR_COMPILER *c, const char *path)
{
	FILE *fp = fopen(path, "re");
	if (!fp) {
		char *e = ml_escape(path);
		ml_err("%s: %s", e, strerror(errno));
		free(e);
		return -1;
	}
	rules_path = path;
	int n = yr_compiler_add_file(c, fp, NULL, path);
	fclose(fp);
	return n ? -1 : 0;
}

static int is_rules_name(const char *n)
{
	size_t l = strlen(n);
	return n[0] != '.' && ((l > 4 && !strcmp(n + l - 4, ".yar")) ||
			       (l > 5 && !strcmp(n + l - 5, ".yara")));
}

static int add_dir(YR_COMPILER *c, const char *path)
{
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort), ret = 0, added = 0;
	if (n < 0) {
		char *e = ml_escape(path);
		ml_err("%s: %s", e, strerror(errno));
		free(e);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (!ret && is_rules_name(names[i]->d_name)) {
			size_t l = strlen(path) + strlen(names[i]->d_name) + 2;
			char *p = ml_malloc(l);
			snprintf(p, l, "%s/%s", path, names[i]->d_name);
			struct stat st;
			if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
				ret = add_file(c, p);
				added++;
			}
			free(p);
		}
		free(names[i]);
	}
	free(names);
	if (!ret && !added) {
		char *e = ml_escape(path);
		ml_err("%s: no .yar or .yara files in this directory", e);
		free(e);
		return -1;
	}
	return ret;
}

int ml_yara_load(struct ml_yara **out, const char *path)
{
	struct stat st;
	if (stat(path, &st)) {
		char *e = ml_escape(path);
		ml_err("%s: %s", e, strerror(errno));
		free(e);
		return -1;
	}
	if (yr_initialize() != ERROR_SUCCESS) {
		ml_err("libyara failed to initialise");
		return -1;
	}
	YR_COMPILER *c;
	if (yr_compiler_create(&c) != ERROR_SUCCESS) {
		ml_err("libyara: cannot create a compiler");
		yr_finalize();
		return -1;
	}
	compile_errors = 0;
	yr_compiler_set_callback(c, compiler_cb, NULL);
	int r = S_ISDIR(st.st_mode) ? add_dir(c, path) : add_file(c, path);
	YR_RULES *rules = NULL;
	if (!r && !compile_errors && yr_compiler_get_rules(c, &rules) != ERROR_SUCCESS) {
		ml_err("%s: libyara cannot build the rules", path);
		r = -1;
	}
	yr_compiler_destroy(c);
	if (r || compile_errors || !rules) {
		yr_finalize();
		return -1;
	}
	*out = ml_calloc(1, sizeof **out);
	(*out)->rules = rules;
	return 0;
}

void ml_yara_free(struct ml_yara *y)
{
	if (!y)
		return;
	yr_rules_destroy(y->rules);
	yr_finalize();
	free(y);
}

/* ---- blocks ---- */

/* The captured end of the current piece. */
static uint64_t piece_cap_end(const struct scan *sc)
{
	const struct ml_piece *p = &sc->sel->p[sc->piece];
	return p->start + ml_piece_captured(sc->s, p);
}

/* Positions sc->piece/sc->next on the next block start, if any. */
static YR_MEMORY_BLOCK *block_here(struct scan *sc)
{
	while (sc->piece < sc->sel->n) {
		uint64_t end = piece_cap_end(sc);
		if (sc->next < end) {
			sc->block.base = sc->next;
			sc->block.size = (size_t)ML_MIN((uint64_t)(CHUNK + OVERLAP), end - sc->next);
			/* The block after this one, unless this one reaches the end. */
			sc->next = sc->block.base + sc->block.size < end ? sc->next + CHUNK : end;
			return &sc->block;
		}
		if (++sc->piece < sc->sel->n)
			sc->next = sc->sel->p[sc->piece].start;
	}
	return NULL;
}

static YR_MEMORY_BLOCK *it_first(YR_MEMORY_BLOCK_ITERATOR *it)
{
	struct scan *sc = it->context;
	sc->piece = 0;
	sc->next = sc->sel->n ? sc->sel->p[0].start : 0;
	return block_here(sc);
}

static YR_MEMORY_BLOCK *it_next(YR_MEMORY_BLOCK_ITERATOR *it)
{
	return block_here(it->context);
}

static uint64_t it_file_size(YR_MEMORY_BLOCK_ITERATOR *it)
{
	struct scan *sc = it->context;
	return sc->s->file_size;
}

static void note_hole(struct scan *sc, uint64_t a, uint64_t b)
{
	for (size_t i = 0; i < sc->nholes; i++)
		if (sc->holes[i].start == a && sc->holes[i].end == b)
			return;		/* seen on an earlier fetch */
	sc->hole_bytes += b - a;
	if (sc->nholes == MAX_HOLES) {
		sc->holes_overflow = true;
		return;
	}
	sc->holes = ml_reallocarray(sc->holes, sc->nholes + 1, sizeof *sc->holes);
	sc->holes[sc->nholes++] = (struct hole){ a, b };
}

static const uint8_t *fetch(YR_MEMORY_BLOCK *b)
{
	struct scan *sc = b->context;
	size_t off = 0;
	while (off < b->size) {
		bool hole;
		size_t k = ml_space_read(sc->s, b->base + off, b->size - off, sc->buf + off, &hole);
		if (hole) {
			memset(sc->buf + off, 0, k);
			note_hole(sc, b->base + off, b->base + off + k);
		}
		off += k;
	}
	return sc->buf;
}

static bool on_hole(const struct scan *sc, uint64_t a, uint64_t len)
{
	if (sc->holes_overflow && sc->nholes)
		return true;
	for (size_t i = 0; i < sc->nholes; i++)
		if (a < sc->holes[i].end && a + len > sc->holes[i].start)
			return true;
	return false;
}

/* ---- matches ---- */

static int scan_cb(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *user)
{
	struct scan *sc = user;
	if (msg == CALLBACK_MSG_TOO_MANY_MATCHES) {
		if (!sc->too_many) {
			const YR_STRING *st = data;
			ml_warn("YARA string %s has more than %d matches; the rest are not reported",
				st->identifier, YR_MAX_STRING_MATCHES);
		}
		sc->too_many = true;
		return CALLBACK_CONTINUE;
	}
	if (msg != CALLBACK_MSG_RULE_MATCHING)
		return CALLBACK_CONTINUE;
	YR_RULE *rule = data;
	if (sc->rule_cb)
		sc->rule_cb(sc->ctx, rule->identifier);
	YR_STRING *st;
	yr_rule_strings_foreach(rule, st) {
		/* libyara 4.2 hands out YR_MATCH records from its notebook at
		 * unaligned addresses; read each through an aligned copy rather
		 * than through the pointer (UBSan rightly objects). */
		const void *next = ctx->matches[st->idx].head;
		while (next) {
			YR_MATCH m;
			memcpy(&m, next, sizeof m);
			next = m.next;
			if (m.is_private)
				continue;
			uint64_t addr = (uint64_t)(m.base + (uint64_t)m.offset);
			if (on_hole(sc, addr, (uint64_t)m.match_length))
				continue;
			struct ml_find_match fm = {
				.addr = addr,
				.len = (uint64_t)m.match_length,
				.kind = ML_FIND_YARA,
				.raw = m.data,
				.nraw = (size_t)m.data_length,
				.rule = rule->identifier,
				.id = st->identifier,
			};
			int r = sc->cb(sc->ctx, &fm);
			if (r) {
				sc->stop = r;
				return CALLBACK_ABORT;
			}
		}
	}
	return CALLBACK_CONTINUE;
}

static const char *yara_error(int e)
{
	switch (e) {
	case ERROR_INSUFFICIENT_MEMORY: return "out of memory";
	case ERROR_SCAN_TIMEOUT: return "timed out";
	case ERROR_TOO_MANY_SCAN_THREADS: return "too many scan threads";
	case ERROR_COULD_NOT_MAP_FILE: return "could not read memory";
	default: return "scan failed";
	}
}

int ml_yara_scan(struct ml_yara *y, struct ml_space *s, const struct ml_selection *sel,
		 ml_find_cb cb, void (*rule_cb)(void *ctx, const char *rule), void *ctx,
		 uint64_t *scanned, uint64_t *holes)
{
	struct scan sc = {
		.s = s,
		.sel = sel,
		.cb = cb,
		.rule_cb = rule_cb,
		.ctx = ctx,
	};
	sc.block.context = &sc;
	sc.block.fetch_data = fetch;
	sc.buf = ml_malloc(CHUNK + OVERLAP);
	YR_MEMORY_BLOCK_ITERATOR it = {
		.context = &sc,
		.first = it_first,
		.next = it_next,
		/* filesize means something only for a raw file read whole. */
		.file_size = ml_space_can(s, ML_CAP_FLAT) && sel->n == 1 && sel->p[0].start == s->r[0].start &&
			     sel->p[0].end == s->r[0].end ? it_file_size : NULL,
	};
	YR_SCANNER *scanner;
	int ret = 0;
	if (yr_scanner_create(y->rules, &scanner) != ERROR_SUCCESS) {
		ml_err("libyara: cannot create a scanner");
		free(sc.buf);
		return -1;
	}
	yr_scanner_set_callback(scanner, scan_cb, &sc);
	/* As `yara PID` does: modules read headers the way a loader mapped them. */
	if (ml_space_can(s, ML_CAP_PROCESS))
		yr_scanner_set_flags(scanner, SCAN_FLAGS_PROCESS_MEMORY);
	int e = yr_scanner_scan_mem_blocks(scanner, &it);
	if (sc.stop) {
		ret = sc.stop;
	} else if (e != ERROR_SUCCESS && e != ERROR_CALLBACK_ERROR) {
		ml_err("YARA: %s (libyara error %d)", yara_error(e), e);
		ret = -1;
	}
	uint64_t cap = 0, all = 0;
	for (size_t i = 0; i < sel->n; i++) {
		cap += ml_piece_captured(s, &sel->p[i]);
		all += sel->p[i].end - sel->p[i].start;
	}
	*scanned = cap - ML_MIN(cap, sc.hole_bytes);
	*holes = all - *scanned;
	if (sc.hole_bytes) {
		char h[32];
		ml_warn("%s in holes were scanned as zeros; YARA matches touching them are not reported",
			ml_human_size(sc.hole_bytes, h, sizeof h));
	}
	yr_scanner_destroy(scanner);
	free(sc.holes);
	free(sc.buf);
	return ret;
}
