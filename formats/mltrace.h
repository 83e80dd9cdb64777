/*
 * mltrace: the allocation record that `memlens trace` writes and
 * `memlens trace-report` reads (doc/trace.md describes it byte by byte).
 * The preload library (tracer/) writes it and memlens reads it, so this
 * file is the one place that knows the layout: constants, the block
 * header, varints and the CRC.  It knows nothing of the CLI and never
 * prints: readers get a reason back.
 *
 * A record is a 16-byte file header, then blocks.  Each block has a
 * 24-byte header (type, codec, stream, stored and raw length, CRC-32C of
 * the stored bytes) so a damaged or truncated record is read up to the
 * damage.  Events travel in per-thread EVENTS blocks whose payload is six
 * columns (kinds, times, addresses, sizes, node ids, instruction
 * pointers), zstd-compressed: columns compress far better than rows.
 */
#ifndef ML_MLTRACE_H
#define ML_MLTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MLT_MAGIC "mltrace\0"
#define MLT_MAGIC_LEN 8
#define MLT_MAJOR 1		/* a reader refuses another major */
#define MLT_MINOR 0		/* minors only add: a reader skips what it does not know */
#define MLT_FILE_HEADER 16	/* magic, u16 major, u16 minor, u32 reserved */
#define MLT_BLOCK_HEADER 24
/* No block may be larger: a hostile length is refused before any allocation. */
#define MLT_MAX_BLOCK ((uint32_t)4 << 20)

enum mlt_block {
	MLT_B_PROC = 1,		/* a process image starts (first, fork child, after exec) */
	MLT_B_MODULE = 2,	/* a module loaded or unloaded */
	MLT_B_EVENTS = 3,	/* one thread's events */
	MLT_B_END = 4,		/* the image ended normally (exit or exec) */
};

enum mlt_codec { MLT_RAW = 0, MLT_ZSTD = 1 };

/* Flags of a PROC block. */
enum { MLT_PROC_EXEC = 1, MLT_PROC_FORK = 2 };

/* Event kinds: the first column of an EVENTS block, one byte an event. */
enum mlt_kind {
	MLT_K_NODE = 0x01,	/* N: parent id, I: ip; the next id of the stream's trie */
	/* Allocations: T dt, A address, S size, N node (0: no stack). */
	MLT_K_MALLOC = 0x10,
	MLT_K_CALLOC,
	MLT_K_REALLOC,		/* the new block of a realloc (its old one: MLT_K_REFREE) */
	MLT_K_REALLOCARRAY,
	MLT_K_MEMALIGN,
	MLT_K_POSIX_MEMALIGN,
	MLT_K_ALIGNED_ALLOC,
	MLT_K_VALLOC,
	MLT_K_PVALLOC,
	MLT_K_ALLOC_LAST = MLT_K_PVALLOC,
	MLT_K_FREE = 0x20,	/* T, A */
	MLT_K_REFREE = 0x21,	/* T, A: the old block of a realloc, released */
	MLT_K_MMAP = 0x30,	/* T, A, S, N */
	MLT_K_MUNMAP = 0x31,	/* T, A, S */
	MLT_K_MREMAP = 0x32,	/* T, A, S, N: the new range of an mremap (old: MUNMAP before) */
};

/* The columns of an EVENTS block, in payload order. */
enum { MLT_C_KIND, MLT_C_TIME, MLT_C_ADDR, MLT_C_SIZE, MLT_C_NODE, MLT_C_IP, MLT_NCOL };

/*
 * EVENTS payload (after decompression): u32 tid, u32 flags, u64 first
 * time (ticks since the image's t0), u64 events lost just before this
 * block, u32 events, u32 column length × 6, then the columns.
 */
#define MLT_EVENTS_HEAD (4 + 4 + 8 + 8 + 4 + 4 * MLT_NCOL)
/* An events block's payload is at most this (the recorder's are 64 KiB): a reader holds one per thread. */
#define MLT_MAX_EVENTS ((uint32_t)1 << 20)
enum { MLT_EV_RESET = 1 };	/* the stream's trie starts afresh (events were lost) */
/*
 * Flags bits 8-15: the block's unit of time is 2^shift ticks (times are
 * t_first + units × 2^shift).  The recorder uses MLT_COARSE while the
 * process has one thread, 0 otherwise.
 */
#define MLT_EV_SHIFT_BIT 8
#define MLT_EV_SHIFT(flags) (((flags) >> MLT_EV_SHIFT_BIT) & 0xff)
#define MLT_COARSE 6

/* Little-endian helpers. */
static inline void mlt_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void mlt_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline void mlt_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t mlt_get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t mlt_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t mlt_get64(const uint8_t *p) { return mlt_get32(p) | (uint64_t)mlt_get32(p + 4) << 32; }

#include <string.h>

/* Signed deltas as varints: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ... */
static inline uint64_t mlt_zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t mlt_unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/*
 * Addresses are written against a prediction that writer and reader make
 * alike, per thread, from the events before (reset at every block):
 * - an allocation against its size class's next address: the last block
 *   released of that class still unused (a stack of the last MLT_STACK, as
 *   glibc's tcache hands them back), else the end of the class's last
 *   fresh block (blocks cut one after the other from fresh memory).
 *   Classes: glibc's chunk size (request + 8, rounded up to 16, at least
 *   32) up to 1 KiB, then one.
 * - a release as how far back among the thread's last MLT_RING
 *   allocations its block was made (value 2 × age, 0 the latest), else
 *   against the previous address (value 2 × zigzag + 1).
 * Every varint of the address column is one of these values.
 */
#define MLT_CLASSES 67
#define MLT_RING 256	/* a power of two */
#define MLT_STACK 7
static inline unsigned mlt_class(uint64_t size) { return size < 1024 ? (unsigned)((size + 23) >> 4) : 66; }
static inline uint64_t mlt_chunk(uint64_t size) { return size + 23 < 32 ? 32 : (size + 23) & ~(uint64_t)15; }

struct mlt_pred {
	uint64_t bump[MLT_CLASSES];	/* the end of the class's last fresh block */
	uint64_t stack[MLT_CLASSES][MLT_STACK];	/* released blocks, the latest last */
	uint8_t depth[MLT_CLASSES];
	uint64_t last;			/* the previous address of any event */
	uint64_t ring[MLT_RING];	/* the last allocations' addresses (0: none or released) */
	uint8_t ring_cls[MLT_RING];
	uint32_t head;			/* allocations so far: ring[(head - 1) % MLT_RING] is the latest */
};

static inline void mlt_pred_reset(struct mlt_pred *p) { memset(p, 0, sizeof *p); }

static inline uint64_t mlt_pred_next(const struct mlt_pred *p, unsigned k)
{
	return p->depth[k] ? p->stack[k][p->depth[k] - 1] : p->bump[k];
}

static inline void mlt_pred_alloc(struct mlt_pred *p, uint64_t a, uint64_t size)
{
	unsigned k = mlt_class(size);
	unsigned i = p->depth[k];
	while (i > 0 && p->stack[k][i - 1] != a)
		i--;
	if (i) {
		/* a released block given back: out of the stack */
		memmove(&p->stack[k][i - 1], &p->stack[k][i], (p->depth[k] - i) * sizeof p->stack[k][0]);
		p->depth[k]--;
	} else {
		p->bump[k] = a + mlt_chunk(size);
	}
	p->last = a;
	p->ring[p->head % MLT_RING] = a;
	p->ring_cls[p->head % MLT_RING] = (uint8_t)k;
	p->head++;
}

/* Column value of an allocation at a (then noted). */
static inline uint64_t mlt_pred_alloc_enc(struct mlt_pred *p, uint64_t a, uint64_t size)
{
	uint64_t v = mlt_zigzag((int64_t)(a - mlt_pred_next(p, mlt_class(size))));
	mlt_pred_alloc(p, a, size);
	return v;
}

static inline uint64_t mlt_pred_alloc_dec(struct mlt_pred *p, uint64_t v, uint64_t size)
{
	uint64_t a = mlt_pred_next(p, mlt_class(size)) + (uint64_t)mlt_unzigzag(v);
	mlt_pred_alloc(p, a, size);
	return a;
}

/* The release of ring slot s: first in line for its class, and no longer held. */
static inline uint64_t mlt_pred_take(struct mlt_pred *p, uint32_t s)
{
	uint64_t a = p->ring[s];
	unsigned k = p->ring_cls[s];
	if (p->depth[k] == MLT_STACK) {
		memmove(&p->stack[k][0], &p->stack[k][1], (MLT_STACK - 1) * sizeof p->stack[k][0]);
		p->depth[k]--;
	}
	p->stack[k][p->depth[k]++] = a;
	p->last = a;
	p->ring[s] = 0;
	return a;
}

static inline uint64_t mlt_pred_free_enc(struct mlt_pred *p, uint64_t a)
{
	uint32_t n = p->head < MLT_RING ? p->head : MLT_RING;
	for (uint32_t age = 0; a && age < n; age++) {
		uint32_t s = (p->head - 1 - age) % MLT_RING;
		if (p->ring[s] == a) {
			mlt_pred_take(p, s);
			return 2 * (uint64_t)age;
		}
	}
	uint64_t v = 2 * mlt_zigzag((int64_t)(a - p->last)) + 1;
	p->last = a;
	return v;
}

/* The released address; *bad set for an age that names no held block (a damaged column). */
static inline uint64_t mlt_pred_free_dec(struct mlt_pred *p, uint64_t v, bool *bad)
{
	if (!(v & 1)) {
		uint64_t age = v / 2;
		uint32_t s = (uint32_t)((p->head - 1 - age) % MLT_RING);
		if (age >= MLT_RING || age >= p->head || !p->ring[s]) {
			*bad = true;
			return 0;
		}
		return mlt_pred_take(p, s);
	}
	p->last += (uint64_t)mlt_unzigzag(v / 2);
	return p->last;
}

/* LEB128 varints: 1 byte below 128, at most 10. */
static inline uint8_t *mlt_put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* A bounded reader over one column. */
struct mlt_col {
	const uint8_t *p, *end;
	bool bad;		/* ran off the end or met an over-long varint */
};
static inline uint64_t mlt_col_varint(struct mlt_col *c)
{
	uint64_t v = 0;
	for (unsigned s = 0; s < 64; s += 7) {
		if (c->p >= c->end) {
			c->bad = true;
			return 0;
		}
		uint8_t b = *c->p++;
		v |= (uint64_t)(b & 0x7f) << s;
		if (!(b & 0x80))
			return v;
	}
	c->bad = true;
	return 0;
}

/* CRC-32C (Castagnoli): SSE4.2 where the processor has it, else a table (_sw). */
uint32_t mlt_crc32c(uint32_t crc, const void *buf, size_t len);
uint32_t mlt_crc32c_sw(uint32_t crc, const void *buf, size_t len);

/* A block header, as stored. */
struct mlt_bh {
	uint8_t type, codec;
	uint32_t stream;
	uint32_t len;		/* stored payload bytes */
	uint32_t raw_len;	/* after decompression (len when raw) */
	uint32_t crc;		/* CRC-32C of the stored payload */
};
void mlt_bh_put(uint8_t out[MLT_BLOCK_HEADER], const struct mlt_bh *h);
/* Decodes and checks a block header: NULL, or why it cannot be one. */
const char *mlt_bh_get(const uint8_t in[MLT_BLOCK_HEADER], struct mlt_bh *h);
void mlt_file_header(uint8_t out[MLT_FILE_HEADER]);
/* Checks a file header: NULL, or why the file cannot be read (not a record, another version). */
const char *mlt_file_header_check(const uint8_t *in, size_t len, unsigned *major, unsigned *minor);

/* The events head of an EVENTS payload. */
struct mlt_evhead {
	uint32_t tid, flags, nev;
	uint64_t t_first, lost;
	uint32_t col_len[MLT_NCOL];
};
/*
 * Splits an EVENTS payload into its head and columns: NULL, or why the
 * payload is damaged (lengths that do not add up).
 */
const char *mlt_events_split(const uint8_t *p, size_t len, struct mlt_evhead *h, struct mlt_col col[MLT_NCOL]);
/* Writes the head (MLT_EVENTS_HEAD bytes); the columns follow it, in order. */
void mlt_evhead_put(uint8_t *p, const struct mlt_evhead *h);

/* A PROC block's fields; strings point into the payload (not NUL-terminated). */
struct mlt_proc {
	uint64_t t0_ns, realtime_ns;
	uint32_t pid, ppid, tick_ps, flags;	/* tick_ps: picoseconds per event tick */
	const char *exe, *cmdline;
	uint32_t exe_len, cmdline_len;
};
#define MLT_PROC_FIXED (8 + 8 + 4 * 4 + 4 + 4)
const char *mlt_proc_get(const uint8_t *p, size_t len, struct mlt_proc *pr);
/* Writes the fixed part; exe_len bytes of exe and cmdline_len of cmdline follow it (the caller's). */
void mlt_proc_put(uint8_t *p, const struct mlt_proc *pr);

/* A MODULE block's fields. */
struct mlt_module {
	uint64_t t_ns;		/* since the image's t0 */
	uint64_t bias, lo, hi;	/* load bias and the range of its PT_LOAD segments */
	uint8_t op;		/* 1 loaded, 2 unloaded */
	uint8_t id_len;
	const uint8_t *build_id;
	const char *path;
	uint32_t path_len;
};
enum { MLT_MOD_LOAD = 1, MLT_MOD_UNLOAD = 2 };
#define MLT_MODULE_FIXED (8 + 8 + 8 + 8 + 1 + 1 + 2)
const char *mlt_module_get(const uint8_t *p, size_t len, struct mlt_module *m);
/* Writes the whole block payload; returns its length (path cut to 65535 bytes). */
size_t mlt_module_put(uint8_t *p, const struct mlt_module *m);

/* END block: u64 time (ns since t0), u64 events recorded, u64 events lost. */
#define MLT_END_LEN 24
struct mlt_end {
	uint64_t t_ns, events, lost;
};
void mlt_end_put(uint8_t p[MLT_END_LEN], const struct mlt_end *e);
const char *mlt_end_get(const uint8_t *p, size_t len, struct mlt_end *e);

#endif
