/*
 * trace_read: an mltrace record as one time-ordered stream of events (see
 * trace_read.h).  Pass 1 indexes blocks (every CRC checked, damage ends
 * the index); the merge keeps one decompressed block per thread stream
 * that is alive at the current time, ordered by a binary heap on the
 * next event's time.  At equal times frees go first: the recorder takes a
 * free's time before the real free and an allocation's after the real
 * allocation, so a reused address can only tie, never invert.
 */
#include "config.h"
#include "trace_read.h"
#include "mltrace.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

struct chunk {
	uint64_t off;		/* of the stored payload */
	uint32_t len, raw_len;
	uint8_t codec;
	uint32_t image;
	uint64_t t_first;	/* ns since the record began */
};

struct stream {
	uint32_t image, id;
	uint32_t *chunks;	/* in file order, which is time order */
	size_t n, cap;
};

struct cursor {
	size_t ci;		/* next chunk of the stream to load */
	uint8_t *raw;
	size_t raw_cap;
	struct mlt_evhead h;
	struct mlt_col col[MLT_NCOL];
	uint32_t left;		/* events left in the loaded chunk */
	uint64_t units;		/* time since the block's first, in its units */
	unsigned shift;
	struct mlt_pred pred;
	uint32_t *map;		/* local node id -> global */
	size_t nmap, capmap;
	bool loaded, done;
	struct ml_tev next;	/* the peeked event */
	bool has_next;
};

struct live {
	uint64_t addr;		/* 0: empty */
	uint64_t size, t, seq;
	uint32_t node, image, tid;
	bool displaced;		/* it pushed out a same-address block of a same-tick free */
};

struct ml_trace {
	int fd;
	char *path;
	char *damage;
	struct ml_timage *img;
	size_t nimg;
	struct ml_tmodule *mod;
	size_t nmod;
	struct chunk *ch;
	size_t nch;
	struct stream *st;
	size_t nst;
	uint64_t rec_t0, duration;
	uint32_t *order;	/* streams by their first block's time */
	uint32_t *sh;		/* (image, id) -> stream index + 1 */
	size_t sh_cap;
	size_t enter_pos;

	/* the pass */
	struct cursor *cur;	/* per stream */
	uint32_t *heap;		/* stream indices */
	size_t nheap;
	struct ml_tnode *node;
	size_t nnode, capnode;
	uint32_t *ntab;		/* trie hash: node ids, 0 empty */
	size_t ntab_cap;
	struct live *live;
	size_t live_cap, live_n;
	size_t leak_pos, flush_pos;
	bool *img_flushed;
	uint64_t seq;
	struct ml_tcounts counts;
	ZSTD_DCtx *z;
	bool broken;
};

/* ---- pass 1: the index ---- */

static void set_damage(struct ml_trace *t, uint64_t off, const char *why)
{
	if (t->damage)
		return;
	size_t l = strlen(why) + 64;
	t->damage = ml_malloc(l);
	snprintf(t->damage, l, "%s at byte %llu", why, (unsigned long long)off);
}

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static char *text_of(const char *p, size_t n, bool args)
{
	char *s = ml_malloc(n + 1);
	memcpy(s, p, n);
	s[n] = '\0';
	if (args) {
		/* arguments NUL-separated: one space each, the last NUL dropped */
		while (n && s[n - 1] == '\0')
			s[--n] = '\0';
		for (size_t i = 0; i < n; i++)
			if (!s[i])
				s[i] = ' ';
	}
	return s;
}

static uint64_t mix(uint64_t a, uint64_t b);

/* The stream of (image, id): a hash of stream indices + 1, so a hostile record of many streams stays linear. */
static uint32_t stream_of(struct ml_trace *t, uint32_t image, uint32_t id)
{
	if ((t->nst + 1) * 2 > t->sh_cap) {
		size_t nc = t->sh_cap ? t->sh_cap * 2 : 64;
		uint32_t *nt = ml_calloc(nc, sizeof *nt);
		for (size_t i = 0; i < t->nst; i++) {
			size_t j = mix(t->st[i].image, t->st[i].id) & (nc - 1);
			while (nt[j])
				j = (j + 1) & (nc - 1);
			nt[j] = (uint32_t)i + 1;
		}
		free(t->sh);
		t->sh = nt;
		t->sh_cap = nc;
	}
	size_t j = mix(image, id) & (t->sh_cap - 1);
	for (; t->sh[j]; j = (j + 1) & (t->sh_cap - 1)) {
		const struct stream *x = &t->st[t->sh[j] - 1];
		if (x->image == image && x->id == id)
			return t->sh[j] - 1;
	}
	t->st = ml_reallocarray(t->st, t->nst + 1, sizeof *t->st);
	t->st[t->nst] = (struct stream){ .image = image, .id = id };
	t->sh[j] = (uint32_t)++t->nst;
	return (uint32_t)t->nst - 1;
}

/* The first bytes of a payload, decompressed as far as needed. */
static int peek_payload(struct ml_trace *t, const uint8_t *p, const struct mlt_bh *h, uint8_t *out, size_t want)
{
	if (h->codec == MLT_RAW) {
		if (h->len < want)
			return -1;
		memcpy(out, p, want);
		return 0;
	}
	ZSTD_DCtx_reset(t->z, ZSTD_reset_session_only);
	ZSTD_inBuffer in = { p, h->len, 0 };
	ZSTD_outBuffer o = { out, want, 0 };
	while (o.pos < want) {
		size_t r = ZSTD_decompressStream(t->z, &o, &in);
		if (ZSTD_isError(r) || (r == 0 && o.pos < want) || (in.pos == in.size && o.pos < want && r))
			return -1;
	}
	return 0;
}

static uint64_t ticks_ns(const struct ml_timage *im, uint64_t ticks)
{
	/* 64-bit when it fits (always, for a run shorter than a few days): no 128-bit division per event */
	if (ticks < UINT64_MAX / 1000000000u)
		return ticks * im->tick_ps / 1000;
	unsigned __int128 ps = (unsigned __int128)ticks * im->tick_ps;
	ps /= 1000;
	return ps > UINT64_MAX / 2 ? UINT64_MAX / 2 : (uint64_t)ps;
}

static int index_block(struct ml_trace *t, const struct mlt_bh *h, const uint8_t *p, uint64_t off)
{
	const char *why = NULL;
	switch (h->type) {
	case MLT_B_PROC: {
		struct mlt_proc pr;
		if (h->codec != MLT_RAW || (why = mlt_proc_get(p, h->len, &pr)))
			break;
		if (!t->nimg)
			t->rec_t0 = pr.t0_ns;
		t->img = ml_reallocarray(t->img, t->nimg + 1, sizeof *t->img);
		struct ml_timage *im = &t->img[t->nimg];
		*im = (struct ml_timage){ .pid = pr.pid, .ppid = pr.ppid, .flags = pr.flags, .t0_ns = pr.t0_ns,
					  .realtime_ns = pr.realtime_ns, .tick_ps = pr.tick_ps };
		im->start = pr.t0_ns > t->rec_t0 ? pr.t0_ns - t->rec_t0 : 0;
		im->exe = text_of(pr.exe, pr.exe_len, false);
		im->cmdline = text_of(pr.cmdline, pr.cmdline_len, true);
		/* An image of the same pid after the last one ended: an exec. */
		im->exec = (pr.flags & MLT_PROC_EXEC) ||
			   (t->nimg && t->img[t->nimg - 1].pid == pr.pid && !(pr.flags & MLT_PROC_FORK));
		t->nimg++;
		return 0;
	}
	case MLT_B_MODULE: {
		struct mlt_module m;
		if (!t->nimg)
			why = "module before any process";
		else if (h->codec != MLT_RAW || (why = mlt_module_get(p, h->len, &m)))
			break;
		if (why)
			break;
		uint32_t im = (uint32_t)t->nimg - 1;
		if (m.op == MLT_MOD_UNLOAD) {
			for (size_t i = t->nmod; i-- > 0;)
				if (t->mod[i].image == im && t->mod[i].bias == m.bias && t->mod[i].lo == m.lo &&
				    t->mod[i].t_unload == UINT64_MAX) {
					t->mod[i].t_unload = m.t_ns;
					break;
				}
			return 0;
		}
		t->mod = ml_reallocarray(t->mod, t->nmod + 1, sizeof *t->mod);
		struct ml_tmodule *md = &t->mod[t->nmod++];
		*md = (struct ml_tmodule){ .image = im, .t_load = m.t_ns, .t_unload = UINT64_MAX, .bias = m.bias,
					   .lo = m.lo, .hi = m.hi, .id_len = m.id_len };
		memcpy(md->build_id, m.build_id, m.id_len > 64 ? 64 : m.id_len);
		md->path = text_of(m.path, m.path_len, false);
		return 0;
	}
	case MLT_B_EVENTS: {
		if (!t->nimg) {
			why = "events before any process";
			break;
		}
		uint8_t head[MLT_EVENTS_HEAD];
		if (h->raw_len > MLT_MAX_EVENTS) {
			why = "events block larger than any recorder makes";
			break;
		}
		if (peek_payload(t, p, h, head, sizeof head)) {
			why = "undecodable events block";
			break;
		}
		uint32_t im = (uint32_t)t->nimg - 1;
		const struct ml_timage *I = &t->img[im];
		uint64_t tf = I->start + ticks_ns(I, mlt_get64(head + 8));
		t->ch = ml_reallocarray(t->ch, t->nch + 1, sizeof *t->ch);
		t->ch[t->nch] = (struct chunk){ off + MLT_BLOCK_HEADER, h->len, h->raw_len, h->codec, im, tf };
		uint32_t si = stream_of(t, im, h->stream);
		struct stream *s = &t->st[si];
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 8;
			s->chunks = ml_reallocarray(s->chunks, s->cap, sizeof *s->chunks);
		}
		s->chunks[s->n++] = (uint32_t)t->nch++;
		if (tf > t->duration)
			t->duration = tf;
		return 0;
	}
	case MLT_B_END: {
		struct mlt_end e;
		if (!t->nimg || h->codec != MLT_RAW || (why = mlt_end_get(p, h->len, &e))) {
			why = why ? why : "end block before any process";
			break;
		}
		struct ml_timage *im = &t->img[t->nimg - 1];
		im->ended = true;
		im->end_t = im->start + (e.t_ns < UINT64_MAX / 2 ? e.t_ns : UINT64_MAX / 2);
		im->recorded = e.events;
		im->lost = e.lost;
		if (im->end_t > t->duration)
			t->duration = im->end_t;
		return 0;
	}
	default:
		return 0;	/* a block of a later minor version: skipped */
	}
	set_damage(t, off, why ? why : "damaged block");
	return -1;
}

static int cmp_first(const void *a, const void *b, void *arg)
{
	const struct ml_trace *t = arg;
	uint64_t x = t->ch[t->st[*(const uint32_t *)a].chunks[0]].t_first;
	uint64_t y = t->ch[t->st[*(const uint32_t *)b].chunks[0]].t_first;
	return (x > y) - (x < y);
}

struct ml_trace *ml_trace_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		char *e = ml_escape(path);
		ml_err("%s: %s", e, strerror(errno));
		free(e);
		return NULL;
	}
	struct stat st;
	uint8_t fh[MLT_FILE_HEADER];
	unsigned major = 0, minor = 0;
	const char *why = NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (read_at(fd, fh, sizeof fh, 0))
		why = "not a memlens trace record (too short)";
	else
		why = mlt_file_header_check(fh, sizeof fh, &major, &minor);
	if (why) {
		char *e = ml_escape(path);
		if (major && major != MLT_MAJOR)
			ml_err("%s: %s (format %u.%u; this memlens reads %u.x): record it again with this memlens",
			       e, why, major, minor, MLT_MAJOR);
		else
			ml_err("%s: %s", e, why);
		free(e);
		close(fd);
		return NULL;
	}
	struct ml_trace *t = ml_calloc(1, sizeof *t);
	t->fd = fd;
	t->path = ml_strdup(path);
	t->z = ZSTD_createDCtx();
	uint8_t *buf = ml_malloc(MLT_MAX_BLOCK);
	uint64_t off = MLT_FILE_HEADER, size = (uint64_t)st.st_size;
	while (off < size) {
		uint8_t bh[MLT_BLOCK_HEADER];
		struct mlt_bh h;
		if (size - off < MLT_BLOCK_HEADER) {
			set_damage(t, off, "truncated block header");
			break;
		}
		if (read_at(fd, bh, sizeof bh, off)) {
			set_damage(t, off, "unreadable");
			break;
		}
		if ((why = mlt_bh_get(bh, &h))) {
			set_damage(t, off, why);
			break;
		}
		if (size - off - MLT_BLOCK_HEADER < h.len) {
			set_damage(t, off, "truncated block (the program was killed, the stream was cut, or the record is truncated)");
			break;
		}
		if (read_at(fd, buf, h.len, off + MLT_BLOCK_HEADER)) {
			set_damage(t, off, "unreadable");
			break;
		}
		if (mlt_crc32c(0, buf, h.len) != h.crc) {
			set_damage(t, off, "damaged block (CRC mismatch)");
			break;
		}
		if (index_block(t, &h, buf, off))
			break;
		off += MLT_BLOCK_HEADER + h.len;
	}
	free(buf);
	if (!t->nimg) {
		char *e = ml_escape(path);
		ml_err("%s: no process in the record%s%s", e, t->damage ? ": " : "", t->damage ? t->damage : "");
		free(e);
		ml_trace_close(t);
		return NULL;
	}
	if (!t->damage && !t->img[t->nimg - 1].ended)
		set_damage(t, size, "record ends without an end block (the program was killed, the stream was cut, or the record is truncated)");
	t->order = ml_malloc((t->nst ? t->nst : 1) * sizeof *t->order);
	for (size_t i = 0; i < t->nst; i++)
		t->order[i] = (uint32_t)i;
	qsort_r(t->order, t->nst, sizeof *t->order, cmp_first, t);
	ml_trace_rewind(t);
	return t;
}

static void pass_free(struct ml_trace *t)
{
	for (size_t i = 0; t->cur && i < t->nst; i++) {
		free(t->cur[i].raw);
		free(t->cur[i].map);
	}
	free(t->cur);
	t->cur = NULL;
	free(t->heap);
	t->heap = NULL;
	free(t->live);
	t->live = NULL;
	free(t->img_flushed);
	t->img_flushed = NULL;
}

void ml_trace_close(struct ml_trace *t)
{
	if (!t)
		return;
	pass_free(t);
	for (size_t i = 0; i < t->nimg; i++) {
		free(t->img[i].exe);
		free(t->img[i].cmdline);
	}
	for (size_t i = 0; i < t->nmod; i++)
		free(t->mod[i].path);
	for (size_t i = 0; i < t->nst; i++)
		free(t->st[i].chunks);
	free(t->img);
	free(t->mod);
	free(t->ch);
	free(t->st);
	free(t->node);
	free(t->ntab);
	free(t->order);
	free(t->sh);
	free(t->damage);
	free(t->path);
	ZSTD_freeDCtx(t->z);
	close(t->fd);
	free(t);
}

const char *ml_trace_damage(const struct ml_trace *t) { return t->damage; }
size_t ml_trace_nimages(const struct ml_trace *t) { return t->nimg; }
const struct ml_timage *ml_trace_image(const struct ml_trace *t, size_t i) { return &t->img[i]; }
size_t ml_trace_nmodules(const struct ml_trace *t) { return t->nmod; }
const struct ml_tmodule *ml_trace_module(const struct ml_trace *t, size_t i) { return &t->mod[i]; }
uint64_t ml_trace_duration(const struct ml_trace *t) { return t->duration; }
size_t ml_trace_nnodes(const struct ml_trace *t) { return t->nnode; }
const struct ml_tnode *ml_trace_node(const struct ml_trace *t, uint32_t id) { return &t->node[id]; }
void ml_trace_counts(const struct ml_trace *t, struct ml_tcounts *c)
{
	*c = t->counts;
	/* An END block counts every event its image lost; blocks only those before a block that arrived. */
	uint64_t end_lost = 0;
	for (size_t i = 0; i < t->nimg; i++)
		end_lost += t->img[i].lost;
	if (end_lost > c->lost)
		c->lost = end_lost;
}

/* ---- the global stack trie ---- */

static uint64_t mix(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;
	return h ^ (h >> 29);
}

static uint32_t node_get(struct ml_trace *t, uint32_t image, uint32_t parent, uint64_t ip)
{
	if ((t->nnode + 1) * 2 > t->ntab_cap) {
		size_t nc = t->ntab_cap ? t->ntab_cap * 2 : 4096;
		uint32_t *nt = ml_calloc(nc, sizeof *nt);
		for (size_t i = 0; i < t->ntab_cap; i++) {
			uint32_t id = t->ntab[i];
			if (!id)
				continue;
			size_t j = mix(t->node[id].ip, (uint64_t)t->node[id].parent << 32 | t->node[id].image) & (nc - 1);
			while (nt[j])
				j = (j + 1) & (nc - 1);
			nt[j] = id;
		}
		free(t->ntab);
		t->ntab = nt;
		t->ntab_cap = nc;
	}
	size_t j = mix(ip, (uint64_t)parent << 32 | image) & (t->ntab_cap - 1);
	for (;;) {
		uint32_t id = t->ntab[j];
		if (!id)
			break;
		const struct ml_tnode *n = &t->node[id];
		if (n->ip == ip && n->parent == parent && n->image == image)
			return id;
		j = (j + 1) & (t->ntab_cap - 1);
	}
	if (t->nnode >= UINT32_MAX - 1)
		return parent;
	if (t->nnode == t->capnode) {
		t->capnode = t->capnode * 2;
		t->node = ml_reallocarray(t->node, t->capnode, sizeof *t->node);
	}
	uint32_t id = (uint32_t)t->nnode++;
	t->node[id] = (struct ml_tnode){ ip, parent, image };
	t->ntab[j] = id;
	return id;
}

/* ---- the live allocations: linear probing with backward-shift deletion ---- */

static size_t live_slot(const struct ml_trace *t, uint32_t image, uint64_t addr)
{
	size_t j = mix(addr, image) & (t->live_cap - 1);
	while (t->live[j].addr && (t->live[j].addr != addr || t->live[j].image != image))
		j = (j + 1) & (t->live_cap - 1);
	return j;
}

static void live_grow(struct ml_trace *t)
{
	size_t oc = t->live_cap, nc = oc * 2;
	struct live *old = t->live;
	t->live = ml_calloc(nc, sizeof *t->live);
	t->live_cap = nc;
	for (size_t i = 0; i < oc; i++)
		if (old[i].addr)
			t->live[live_slot(t, old[i].image, old[i].addr)] = old[i];
	free(old);
}

static void live_del(struct ml_trace *t, size_t j)
{
	size_t m = t->live_cap - 1;
	t->live[j].addr = 0;
	t->live_n--;
	for (size_t k = (j + 1) & m; t->live[k].addr; k = (k + 1) & m) {
		size_t home = mix(t->live[k].addr, t->live[k].image) & m;
		/* Move k into the hole j unless its home lies cyclically in (j, k]. */
		if (((k - home) & m) >= ((k - j) & m)) {
			t->live[j] = t->live[k];
			t->live[k].addr = 0;
			j = k;
		}
	}
}

/* ---- the merge ---- */

void ml_trace_rewind(struct ml_trace *t)
{
	pass_free(t);
	t->broken = false;
	memset(&t->counts, 0, sizeof t->counts);
	t->seq = 0;
	t->leak_pos = 0;
	t->flush_pos = 0;
	t->enter_pos = 0;
	t->cur = ml_calloc(t->nst ? t->nst : 1, sizeof *t->cur);
	t->heap = ml_malloc((t->nst ? t->nst : 1) * sizeof *t->heap);
	t->nheap = 0;
	t->live_cap = 1024;
	t->live = ml_calloc(t->live_cap, sizeof *t->live);
	t->live_n = 0;
	t->img_flushed = ml_calloc(t->nimg, sizeof *t->img_flushed);
	/* Node 0: no stack.  The trie survives rewinds: ids stay the same. */
	if (!t->node) {
		t->capnode = 1024;
		t->node = ml_malloc(t->capnode * sizeof *t->node);
		t->node[0] = (struct ml_tnode){ 0, 0, 0 };
		t->nnode = 1;
	}
}

static bool load_chunk(struct ml_trace *t, struct stream *s, struct cursor *c)
{
	while (c->ci < s->n) {
		const struct chunk *k = &t->ch[s->chunks[c->ci++]];
		if (c->raw_cap < k->raw_len) {
			free(c->raw);
			c->raw_cap = k->raw_len;
			c->raw = ml_malloc(c->raw_cap);
		}
		uint8_t *stored = k->codec == MLT_RAW ? c->raw : ml_malloc(k->len ? k->len : 1);
		const char *why = NULL;
		if (read_at(t->fd, stored, k->len, k->off))
			why = "unreadable events block";
		else if (k->codec == MLT_ZSTD) {
			size_t r = ZSTD_decompressDCtx(t->z, c->raw, k->raw_len, stored, k->len);
			if (ZSTD_isError(r) || r != k->raw_len)
				why = "undecodable events block";
		}
		if (stored != c->raw)
			free(stored);
		if (!why)
			why = mlt_events_split(c->raw, k->raw_len, &c->h, c->col);
		if (why) {
			if (!t->damage)
				set_damage(t, k->off - MLT_BLOCK_HEADER, why);
			t->broken = true;
			continue;	/* the stream goes on with its next block */
		}
		if (c->h.flags & MLT_EV_RESET)
			c->nmap = 0;
		c->left = c->h.nev;
		c->units = 0;
		c->shift = MLT_EV_SHIFT(c->h.flags);
		if (c->shift > 32 || c->h.t_first > UINT64_MAX / 4) {
			if (!t->damage)
				set_damage(t, k->off - MLT_BLOCK_HEADER, "events block with an impossible time");
			t->broken = true;
			continue;
		}
		mlt_pred_reset(&c->pred);
		t->counts.lost += c->h.lost;
		c->loaded = true;
		return true;
	}
	c->loaded = false;
	c->done = true;
	return false;
}

static uint32_t local_node(struct cursor *c, uint64_t id)
{
	return id && id <= c->nmap ? c->map[id - 1] : 0;
}

/* Decodes the stream's next timed event into c->next (NODE events are taken on the way). */
static bool peek(struct ml_trace *t, uint32_t si)
{
	struct stream *s = &t->st[si];
	struct cursor *c = &t->cur[si];
	if (c->has_next)
		return true;
	for (;;) {
		if (c->done)
			return false;
		if (!c->loaded || !c->left) {
			if (!load_chunk(t, s, c))
				return false;
			continue;
		}
		const struct ml_timage *im = &t->img[s->image];
		uint8_t k = *c->col[MLT_C_KIND].p++;
		c->left--;
		t->counts.events++;
		if (k == MLT_K_NODE) {
			uint32_t parent = local_node(c, mlt_col_varint(&c->col[MLT_C_NODE]));
			uint64_t ip = mlt_col_varint(&c->col[MLT_C_IP]);
			if (c->nmap == c->capmap) {
				c->capmap = c->capmap ? c->capmap * 2 : 256;
				c->map = ml_reallocarray(c->map, c->capmap, sizeof *c->map);
			}
			c->map[c->nmap++] = node_get(t, s->image, parent, ip);
		} else {
			struct ml_tev *e = &c->next;
			memset(e, 0, sizeof *e);
			e->kind = k;
			e->image = s->image;
			e->tid = c->h.tid;
			uint64_t du = mlt_col_varint(&c->col[MLT_C_TIME]);
			c->units = du > (UINT64_MAX >> 34) - c->units ? UINT64_MAX >> 34 : c->units + du;
			e->t = im->start + ticks_ns(im, c->h.t_first + (c->units << c->shift));
			uint64_t av = mlt_col_varint(&c->col[MLT_C_ADDR]);
			if ((k >= MLT_K_MALLOC && k <= MLT_K_ALLOC_LAST) || k == MLT_K_MMAP || k == MLT_K_MREMAP) {
				e->size = mlt_col_varint(&c->col[MLT_C_SIZE]);
				e->node = local_node(c, mlt_col_varint(&c->col[MLT_C_NODE]));
				e->addr = mlt_pred_alloc_dec(&c->pred, av, e->size);
			} else {
				e->addr = mlt_pred_free_dec(&c->pred, av, &c->col[MLT_C_ADDR].bad);
			}
			if ((k >= MLT_K_MALLOC && k <= MLT_K_ALLOC_LAST) || k == MLT_K_MMAP || k == MLT_K_MREMAP) {
				e->type = k == MLT_K_MMAP || k == MLT_K_MREMAP ? ML_TEV_MMAP : ML_TEV_ALLOC;
			} else if (k == MLT_K_FREE || k == MLT_K_REFREE) {
				e->type = ML_TEV_FREE;
			} else if (k == MLT_K_MUNMAP) {
				e->size = mlt_col_varint(&c->col[MLT_C_SIZE]);
				e->type = ML_TEV_MUNMAP;
			} else {
				c->col[0].bad = true;	/* an unknown kind: its fields cannot be skipped */
			}
			c->has_next = true;
		}
		for (int i = 0; i < MLT_NCOL; i++)
			if (c->col[i].bad) {
				if (!t->damage)
					set_damage(t, t->ch[s->chunks[c->ci - 1]].off - MLT_BLOCK_HEADER,
						   "events block with broken columns");
				t->broken = true;
				c->has_next = false;
				c->left = 0;	/* the rest of this block is lost */
				break;
			}
		if (c->has_next)
			return true;
	}
}

/* Heap order: time, then frees before allocations, then stream. */
static bool before(struct ml_trace *t, uint32_t a, uint32_t b)
{
	const struct ml_tev *x = &t->cur[a].next, *y = &t->cur[b].next;
	if (x->t != y->t)
		return x->t < y->t;
	bool fx = x->type == ML_TEV_FREE || x->type == ML_TEV_MUNMAP;
	bool fy = y->type == ML_TEV_FREE || y->type == ML_TEV_MUNMAP;
	if (fx != fy)
		return fx;
	return a < b;
}

static void sift_up(struct ml_trace *t, size_t i)
{
	while (i) {
		size_t p = (i - 1) / 2;
		if (!before(t, t->heap[i], t->heap[p]))
			break;
		uint32_t x = t->heap[i];
		t->heap[i] = t->heap[p];
		t->heap[p] = x;
		i = p;
	}
}

static void sift_down(struct ml_trace *t, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < t->nheap && before(t, t->heap[l], t->heap[m]))
			m = l;
		if (r < t->nheap && before(t, t->heap[r], t->heap[m]))
			m = r;
		if (m == i)
			return;
		uint32_t x = t->heap[i];
		t->heap[i] = t->heap[m];
		t->heap[m] = x;
		i = m;
	}
}

/*
 * Streams enter the heap in order of their first block's time, so only
 * the threads alive at the current time hold a decompressed block.
 */
static size_t next_stream_to_enter(struct ml_trace *t)
{
	if (t->enter_pos >= t->nst)
		return (size_t)-1;
	uint32_t si = t->order[t->enter_pos];
	uint64_t tf = t->ch[t->st[si].chunks[0]].t_first;
	if (t->nheap && tf > t->cur[t->heap[0]].next.t)
		return (size_t)-1;
	t->enter_pos++;
	return si;
}

static void leak_of(struct ml_trace *t, const struct live *l, struct ml_tev *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->type = ML_TEV_LEAK;
	ev->image = l->image;
	ev->tid = l->tid;
	ev->addr = l->addr;
	ev->size = l->size;
	ev->node = l->node;
	ev->alloc_t = l->t;
	ev->seq = l->seq;
	ev->t = t->duration;
}

/*
 * Leaks of images replaced by exec come out when the next image starts,
 * one per call, the table scanned once (a deletion may pull a later entry
 * back into the slot just left: it is looked at again).
 */
static bool flush_image(struct ml_trace *t, uint32_t image, struct ml_tev *ev)
{
	for (; t->flush_pos < t->live_cap; t->flush_pos++) {
		size_t j = t->flush_pos;
		if (t->live[j].addr && t->live[j].image == image) {
			leak_of(t, &t->live[j], ev);
			ev->t = t->img[image].end_t;
			live_del(t, j);
			return true;
		}
	}
	t->flush_pos = 0;
	t->img_flushed[image] = true;
	return false;
}

int ml_trace_next(struct ml_trace *t, struct ml_tev *ev)
{
	for (;;) {
		/* Let in the streams whose first block starts before the heap's head. */
		size_t si;
		while ((si = next_stream_to_enter(t)) != (size_t)-1) {
			if (peek(t, (uint32_t)si)) {
				t->heap[t->nheap++] = (uint32_t)si;
				sift_up(t, t->nheap - 1);
			}
		}
		if (!t->nheap) {
			/* The end: every block never freed is a leak. */
			while (t->leak_pos < t->live_cap) {
				struct live *l = &t->live[t->leak_pos++];
				if (l->addr) {
					leak_of(t, l, ev);
					return 1;
				}
			}
			return t->broken ? (t->broken = false, -1) : 0;
		}
		uint32_t s = t->heap[0];
		struct cursor *c = &t->cur[s];
		struct ml_tev e = c->next;
		uint32_t im = e.image;
		if (im && t->img[im].exec && !t->img_flushed[im - 1] && flush_image(t, im - 1, ev))
			return 1;
		c->has_next = false;
		if (peek(t, s)) {
			sift_down(t, 0);
		} else {
			t->heap[0] = t->heap[--t->nheap];
			if (t->nheap)
				sift_down(t, 0);
		}
		*ev = e;
		switch (e.type) {
		case ML_TEV_ALLOC: {
			if ((t->live_n + 1) * 2 > t->live_cap)
				live_grow(t);
			size_t j = live_slot(t, e.image, e.addr);
			bool displaced = false;
			if (t->live[j].addr) {
				/* Two threads' events in one tick, put in the wrong order: the old block was freed. */
				t->counts.reordered++;
				displaced = true;
				live_del(t, j);
				j = live_slot(t, e.image, e.addr);
			}
			ev->seq = ++t->seq;
			t->live[j] = (struct live){ e.addr ? e.addr : 0, e.size, e.t, ev->seq, e.node, e.image, e.tid,
						    displaced };
			if (!e.addr) {
				t->live[j].addr = 0;	/* address 0 is no block */
				break;
			}
			t->live_n++;
			return 1;
		}
		case ML_TEV_FREE: {
			size_t j = live_slot(t, e.image, e.addr);
			struct live *l = &t->live[j];
			if (!l->addr) {
				ev->unknown = true;
				t->counts.unknown_frees++;
				return 1;
			}
			if (l->displaced && e.t <= l->t) {
				l->displaced = false;	/* the free of the block it pushed out */
				continue;
			}
			ev->size = l->size;
			ev->node = l->node;
			ev->alloc_t = l->t;
			ev->seq = l->seq;
			live_del(t, j);
			return 1;
		}
		default:
			return 1;
		}
	}
}

