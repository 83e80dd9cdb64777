/*
 * libmemlens-trace.so: the LD_PRELOAD half of `memlens trace`.  It wraps
 * the allocation functions (and mmap/munmap/mremap) of the traced program
 * and records each call — time, thread, address, size, call stack — in
 * the mltrace format (formats/mltrace.h, doc/trace.md).
 *
 * Its first rule is never to harm the program:
 * - No lock of ours is held while the program's code runs.  A thread
 *   appends to its own buffer; a full buffer is handed to a writer thread
 *   through a bounded queue, and only the writer thread compresses and
 *   writes.  Streaming (--to) never waits: when the queue is full the
 *   buffer is dropped and the next one says how many events were lost.
 * - A per-thread guard passes every call made while recording (dlsym's
 *   calloc at start-up, libunwind's and zstd's own allocations) straight
 *   to the real function.
 * - If the output fails (disk full, receiver gone, fd closed by the
 *   program) recording stops with one line on stderr and the program runs
 *   on; the writer thread blocks every signal, so a dead pipe is EPIPE,
 *   never SIGPIPE.
 * - errno is kept across everything we do.
 *
 * Stacks are unwound with libunwind and interned into a per-thread trie
 * (parent id, ip) -> id; a new node is written once, as a NODE event, so
 * an allocation costs a handful of bytes.  Modules (dl_iterate_phdr at
 * start, after each dlopen/dlclose, and when a stack meets an unknown
 * address) are recorded with their build ids so the addresses can be
 * resolved after the program has gone.
 *
 * Configuration comes from MEMLENS_TRACE (set by memlens trace):
 *   fd=N;ino=I;owner=PID;lossy=0|1;follow=0|1;pattern=PATH-WITH-%p
 * This library is its own small world: it links libunwind, zstd and
 * libdl, and of memlens only formats/mltrace.c.
 */
#define _GNU_SOURCE
#include "mltrace.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#define EXPORT __attribute__((visibility("default")))
#define TLS __attribute__((tls_model("initial-exec"))) __thread

#define MAX_DEPTH 128		/* frames kept, innermost first */
#define QUEUE_MAX 64		/* buffers waiting for the writer (4 MiB) */
#define IDLE_NS 100000000ull	/* a quiet thread's events leave within 100 ms */

/* ---- the real functions ---- */

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void *(*real_reallocarray)(void *, size_t, size_t);
static void (*real_free)(void *);
static void *(*real_memalign)(size_t, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_valloc)(size_t);
static void *(*real_pvalloc)(size_t);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_munmap)(void *, size_t);
static void *(*real_mremap)(void *, size_t, size_t, int, ...);
static void *(*real_dlopen)(const char *, int);
static int (*real_dlclose)(void *);
static int (*real_execve)(const char *, char *const[], char *const[]);
static int (*real_execvpe)(const char *, char *const[], char *const[]);
static int (*real_fexecve)(int, char *const[], char *const[]);
static void (*real__exit)(int) __attribute__((noreturn));

/*
 * dlsym may calloc before calloc is known: those few bytes come from here
 * and free() recognises them.
 */
static char boot_heap[16384] __attribute__((aligned(16)));
static size_t boot_used;
static _Atomic int resolving;

static void *boot_alloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n > sizeof boot_heap - boot_used)
		return NULL;
	void *p = boot_heap + boot_used;
	boot_used += n;
	return p;	/* static storage: already zero */
}

static bool is_boot(const void *p)
{
	return (const char *)p >= boot_heap && (const char *)p < boot_heap + sizeof boot_heap;
}

static void resolve(void)
{
	atomic_store(&resolving, 1);
#define R(name) real_##name = (__typeof__(real_##name))dlsym(RTLD_NEXT, #name)
	R(calloc);
	R(malloc);
	R(realloc);
	R(reallocarray);
	R(free);
	R(memalign);
	R(posix_memalign);
	R(aligned_alloc);
	R(valloc);
	R(pvalloc);
	R(mmap);
	R(munmap);
	R(mremap);
	R(dlopen);
	R(dlclose);
	R(execve);
	R(execvpe);
	R(fexecve);
	R(_exit);
#undef R
	atomic_store(&resolving, 0);
}

/* ---- state ---- */

enum { ST_UNINIT, ST_INIT, ST_ON, ST_OFF };
static _Atomic int state = ST_UNINIT;
static TLS int guard;		/* inside our own code: pass calls through */
static TLS struct tstate *me;

static int out_fd = -1;
static ino_t out_ino;
static dev_t out_dev;
static bool out_sock, lossy, follow;
static char pattern[PATH_MAX];
static uint64_t t0;
static uintptr_t self_lo, self_hi;
static pid_t my_pid;
static _Atomic uint32_t next_stream = 1;
static _Atomic uint64_t total_events, total_lost;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Event times are ticks: 4096 TSC cycles (about 1.5 us) where the kernel's
 * clock is the TSC itself (constant and synchronised across cores, so two
 * threads' times compare), else 1024 ns of CLOCK_MONOTONIC.  A tick is
 * coarse on purpose: most events of a thread share their tick with the one
 * before, so a time costs well under a bit; the order within a thread is
 * the stream's, and between threads a free is timed before the real free
 * and an allocation after the real one (trace_read.c puts same-tick events
 * of two threads in an order that never contradicts an address's reuse).
 */
static bool use_tsc;
static uint64_t tsc0;
static unsigned tick_shift = 10;
static uint32_t tick_ps = 1024000;

static inline uint64_t rdtsc(void)
{
#if defined(__x86_64__)
	return __builtin_ia32_rdtsc();
#else
	return 0;
#endif
}

static inline uint64_t now_ticks(void)
{
	if (use_tsc) {
		uint64_t c = rdtsc();
		return c > tsc0 ? (c - tsc0) >> tick_shift : 0;
	}
	uint64_t n = now_ns();
	return n > t0 ? (n - t0) >> tick_shift : 0;
}

/* t0 and tsc0 name the same moment. */
static void clock_rebase(void)
{
	tsc0 = rdtsc();
	t0 = now_ns();
}

/* Chooses the clock; with the TSC, measures its rate over 200 us. */
static void clock_init(void)
{
	clock_rebase();
#if defined(__x86_64__)
	char cs[32] = "";
	int fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t r = read(fd, cs, sizeof cs - 1);
		cs[r > 0 ? r : 0] = '\0';
		close(fd);
	}
	if (strcmp(cs, "tsc\n"))
		return;
	uint64_t c0 = rdtsc(), n0 = now_ns(), c1, n1;
	do {
		c1 = rdtsc();
		n1 = now_ns();
	} while (n1 - n0 < 200000);
	if (c1 <= c0)
		return;
	double ps = 4096.0 * 1000.0 * (double)(n1 - n0) / (double)(c1 - c0);
	if (ps < 1 || ps > 1e9)
		return;
	tsc0 = c0;
	t0 = n0;
	tick_shift = 12;
	tick_ps = (uint32_t)(ps + 0.5);
	use_tsc = true;
#endif
}

/* Our own memory comes from mmap, never from the program's heap. */
static void *map(size_t n)
{
	void *p = real_mmap ? real_mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
			    : mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void unmap(void *p, size_t n)
{
	if (p)
		(real_munmap ? real_munmap : munmap)(p, n);
}

/* One line on stderr, without stdio (whose locks the program may hold). */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w;
}

/* ---- buffers and the queue ---- */

/* Column capacities of an events buffer (64 KiB in all). */
/* Column capacities of an events buffer (256 KiB in all: zstd finds more in a larger block). */
static const uint32_t col_cap[MLT_NCOL] = { 32768, 65536, 65536, 32768, 32768, 32768 };
#define BUF_DATA 262144

struct buf {
	struct buf *next;
	uint8_t type;		/* MLT_B_* */
	uint32_t stream, tid, flags, nev;
	uint64_t t_first, lost;
	uint64_t last_u;	/* the last event's time in units of 2^shift ticks since t_first */
	uint8_t shift;
	uint32_t len;		/* non-events blocks: payload bytes in data */
	uint8_t *pos[MLT_NCOL], *end[MLT_NCOL];
	uint8_t data[BUF_DATA];
};

static uint8_t *col_base(struct buf *b, int c)
{
	uint32_t off = 0;
	for (int i = 0; i < c; i++)
		off += col_cap[i];
	return b->data + off;
}

static void buf_reset(struct buf *b)
{
	b->nev = 0;
	b->flags = 0;
	b->lost = 0;
	b->len = 0;
	for (int c = 0; c < MLT_NCOL; c++) {
		b->pos[c] = col_base(b, c);
		b->end[c] = b->pos[c] + col_cap[c];
	}
}

static pthread_mutex_t qm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_work = PTHREAD_COND_INITIALIZER, q_space = PTHREAD_COND_INITIALIZER;
static struct buf *q_head, *q_tail, *spare;
static unsigned q_len;
static bool writer_busy, writer_quit, writer_started;
static pthread_t writer_tid;
static _Atomic bool failed;	/* the output failed: record nothing more */

static struct buf *buf_get(void)
{
	struct buf *b;
	pthread_mutex_lock(&qm);
	b = spare;
	if (b)
		spare = b->next;
	pthread_mutex_unlock(&qm);
	if (!b)
		b = map(sizeof *b);
	if (b)
		buf_reset(b);
	return b;
}

static void start_writer(void);

/*
 * Queues b for the writer.  Returns false when it was dropped: the queue is
 * full and waiting is not allowed (streaming), or the output has failed.
 */
static bool enqueue(struct buf *b, bool may_wait)
{
	start_writer();
	pthread_mutex_lock(&qm);
	while (q_len >= QUEUE_MAX && may_wait && !lossy && !atomic_load(&failed) && writer_started)
		pthread_cond_wait(&q_space, &qm);
	if (q_len >= QUEUE_MAX || atomic_load(&failed) || !writer_started) {
		b->next = spare;
		spare = b;
		pthread_mutex_unlock(&qm);
		return false;
	}
	b->next = NULL;
	if (q_tail)
		q_tail->next = b;
	else
		q_head = b;
	q_tail = b;
	q_len++;
	pthread_cond_signal(&q_work);
	pthread_mutex_unlock(&qm);
	return true;
}

/* A small block (PROC, MODULE, END) made of one payload. */
static void emit_block(uint8_t type, const void *payload, uint32_t len)
{
	if (len > BUF_DATA)
		return;
	struct buf *b = buf_get();
	if (!b)
		return;
	b->type = type;
	b->stream = 0;
	memcpy(b->data, payload, len);
	b->len = len;
	enqueue(b, true);
}

/* ---- the writer thread ---- */

static ZSTD_CCtx *zctx;
static uint8_t *zbuf;
static size_t zcap;

static void fail(const char *what, int err)
{
	if (atomic_exchange(&failed, true))
		return;
	say("memlens trace: recording stopped: %s: %s; the program runs on", what, strerror(err));
}

/* The trace fd is still the one we were given (the program may close and reuse it). */
static bool fd_ours(void)
{
	struct stat st;
	return fstat(out_fd, &st) == 0 && st.st_ino == out_ino && st.st_dev == out_dev;
}

static int write_all(const uint8_t *h, size_t hl, const uint8_t *p, size_t pl)
{
	struct iovec v[2] = { { (void *)h, hl }, { (void *)p, pl } };
	int n = 2, i = 0;
	while (i < n) {
		ssize_t w;
		if (out_sock) {
			struct msghdr m = { .msg_iov = v + i, .msg_iovlen = (size_t)(n - i) };
			w = sendmsg(out_fd, &m, MSG_NOSIGNAL);
		} else {
			w = writev(out_fd, v + i, n - i);
		}
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (w == 0)
			return EIO;
		size_t left = (size_t)w;
		while (i < n && left >= v[i].iov_len)
			left -= v[i++].iov_len;
		if (i < n) {
			v[i].iov_base = (char *)v[i].iov_base + left;
			v[i].iov_len -= left;
		}
	}
	return 0;
}

static _Atomic int nthreads;
static long ncpus = 1;

/*
 * How hard to compress: with a core to spare (fewer allocating threads
 * than cores) and a short queue, level 9 costs the program nothing and
 * shrinks a record by a third; otherwise level 1 keeps up.  (Measured on
 * sqlite3: 1.25 MB at level 1, 0.77 MB at 9, the same wall time.)
 */
static int zstd_level(void)
{
	unsigned q = __atomic_load_n(&q_len, __ATOMIC_RELAXED);
	if (atomic_load(&nthreads) >= ncpus)
		return 1;
	return q <= 2 ? 9 : q <= 8 ? 3 : 1;
}

static void write_buf(struct buf *b)
{
	uint8_t head[MLT_BLOCK_HEADER];
	struct mlt_bh h = { .type = b->type, .codec = MLT_RAW, .stream = b->stream };
	const uint8_t *payload = b->data;
	uint32_t raw = b->len;
	static uint8_t ev[BUF_DATA + MLT_EVENTS_HEAD];	/* the writer's alone */
	if (b->type == MLT_B_EVENTS) {
		/* Head and columns back to back, then compressed. */
		struct mlt_evhead eh = { .tid = b->tid, .flags = b->flags, .nev = b->nev, .t_first = b->t_first,
					 .lost = b->lost };
		uint32_t off = MLT_EVENTS_HEAD;
		for (int c = 0; c < MLT_NCOL; c++) {
			uint32_t l = (uint32_t)(b->pos[c] - col_base(b, c));
			eh.col_len[c] = l;
			memcpy(ev + off, col_base(b, c), l);
			off += l;
		}
		mlt_evhead_put(ev, &eh);
		raw = off;
		payload = ev;
		size_t bound = ZSTD_compressBound(raw);
		if (!zctx)
			zctx = ZSTD_createCCtx();
		if (zcap < bound) {
			unmap(zbuf, zcap);
			zcap = bound;
			zbuf = map(zcap);
		}
		if (zctx && zbuf) {
			size_t z = ZSTD_compressCCtx(zctx, zbuf, zcap, ev, raw, zstd_level());
			if (!ZSTD_isError(z) && z < raw) {
				payload = zbuf;
				h.codec = MLT_ZSTD;
				h.len = (uint32_t)z;
			}
		}
	}
	if (h.codec == MLT_RAW)
		h.len = raw;
	h.raw_len = raw;
	h.crc = mlt_crc32c(0, payload, h.len);
	mlt_bh_put(head, &h);
	if (!fd_ours()) {
		fail("the trace output", EBADF);
		return;
	}
	int err = write_all(head, sizeof head, payload, h.len);
	if (err)
		fail(out_sock ? "the trace stream" : "the trace file", err);
}

static void idle_flush(void);

static void *writer(void *arg)
{
	(void)arg;
	guard = 1;	/* zstd's allocations are ours, not the program's */
	pthread_mutex_lock(&qm);
	for (;;) {
		while (!q_head && !writer_quit) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += IDLE_NS;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (pthread_cond_timedwait(&q_work, &qm, &ts) == ETIMEDOUT) {
				pthread_mutex_unlock(&qm);
				idle_flush();
				pthread_mutex_lock(&qm);
			}
		}
		if (!q_head)
			break;
		struct buf *b = q_head;
		q_head = b->next;
		if (!q_head)
			q_tail = NULL;
		writer_busy = true;
		pthread_mutex_unlock(&qm);
		if (!atomic_load(&failed))
			write_buf(b);
		pthread_mutex_lock(&qm);
		writer_busy = false;
		q_len--;
		b->next = spare;
		spare = b;
		pthread_cond_broadcast(&q_space);
	}
	pthread_mutex_unlock(&qm);
	return NULL;
}

static void start_writer(void)
{
	if (__atomic_load_n(&writer_started, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&qm);
	if (!writer_started) {
		/* The writer blocks every signal: the program's handlers never run on it. */
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		writer_quit = false;
		if (pthread_create(&writer_tid, NULL, writer, NULL) == 0)
			__atomic_store_n(&writer_started, true, __ATOMIC_RELEASE);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	pthread_mutex_unlock(&qm);
}

/* Waits (at most limit_ms) until everything queued has been written. */
static void drain(unsigned limit_ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += limit_ms / 1000;
	ts.tv_nsec += (long)(limit_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&qm);
	while ((q_head || writer_busy) && writer_started && !atomic_load(&failed))
		if (pthread_cond_timedwait(&q_space, &qm, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&qm);
}

/* ---- threads: their buffers and tries ---- */

struct node {
	uint64_t ip;
	uint32_t parent, id;
};

#define SCACHE 4096	/* whole stacks cached per thread */
struct scache {
	uint64_t h;
	uint32_t leaf;
};

struct tstate {
	struct tstate *next;
	_Atomic int busy;	/* held while appending; the writer's idle flush trylocks it */
	uint32_t stream, tid;
	struct buf *b;
	uint64_t last_flush, lost;
	struct mlt_pred pred;		/* addresses are written against it (mltrace.h) */
	bool reset;
	/* the trie: open addressing on (parent, ip) */
	struct node *tab;
	uint32_t cap, used, next_id;
	/* the previous stack (outermost first) and its node ids: most stacks share it */
	struct scache sc[SCACHE];
	uint64_t prev_ip[MAX_DEPTH];
	uint32_t prev_id[MAX_DEPTH];
	unsigned prev_n;
};

static pthread_mutex_t tm = PTHREAD_MUTEX_INITIALIZER;
static struct tstate *threads;
static pthread_key_t tkey;

static void t_lock(struct tstate *t)
{
	while (atomic_exchange_explicit(&t->busy, 1, memory_order_acquire))
		sched_yield();
}

static bool t_trylock(struct tstate *t)
{
	return !atomic_exchange_explicit(&t->busy, 1, memory_order_acquire);
}

static void t_unlock(struct tstate *t)
{
	atomic_store_explicit(&t->busy, 0, memory_order_release);
}

static void trie_reset(struct tstate *t)
{
	if (t->tab)
		memset(t->tab, 0, t->cap * sizeof *t->tab);
	t->used = 0;
	t->next_id = 1;
	t->prev_n = 0;
	t->reset = true;
	memset(t->sc, 0, sizeof t->sc);
}

/*
 * A new block of the thread's: its time base, its addresses' prediction,
 * and its unit of time — coarse (2^MLT_COARSE ticks, ~100 us) while the
 * process has one allocating thread, since no other thread's events can
 * come between; a tick when there are more.
 */
static void buf_start(struct tstate *t, struct buf *b)
{
	b->t_first = t->last_flush = now_ticks();
	b->last_u = 0;
	b->shift = atomic_load(&nthreads) <= 1 ? MLT_COARSE : 0;
	mlt_pred_reset(&t->pred);
}

/* Hands the thread's buffer to the writer and starts a new one (caller holds t). */
static void t_flush(struct tstate *t, bool may_wait)
{
	struct buf *b = t->b;
	if (!b || !b->nev)
		return;
	struct buf *nb = buf_get();
	if (!nb)
		return;	/* keep appending to the old one: ensure_room drops it when full */
	b->type = MLT_B_EVENTS;
	b->stream = t->stream;
	b->tid = t->tid;
	b->lost = t->lost;
	if (t->reset)
		b->flags |= MLT_EV_RESET;
	b->flags |= (uint32_t)b->shift << MLT_EV_SHIFT_BIT;
	uint32_t n = b->nev;
	t->b = nb;
	t->last_flush = now_ticks();
	if (enqueue(b, may_wait)) {
		t->lost = 0;
		t->reset = false;
		atomic_fetch_add(&total_events, n);
	} else {
		/* Dropped: its nodes are gone too, so the trie starts afresh. */
		t->lost += n;
		atomic_fetch_add(&total_lost, n);
		trie_reset(t);
	}
	buf_start(t, t->b);
}

/* A second thread starts: blocks of coarse time (one thread's) end now, everyone's. */
static void flush_others(void)
{
	pthread_mutex_lock(&tm);
	for (struct tstate *o = threads; o; o = o->next) {
		t_lock(o);
		if (o->b && o->b->nev)
			t_flush(o, true);
		else if (o->b)
			buf_start(o, o->b);
		t_unlock(o);
	}
	pthread_mutex_unlock(&tm);
}

static void thread_end(void *p);

static struct tstate *thread_start(void)
{
	struct tstate *t = map(sizeof *t);
	if (!t)
		return NULL;
	t->stream = atomic_fetch_add(&next_stream, 1);
	t->tid = (uint32_t)syscall(SYS_gettid);
	t->cap = 4096;
	t->tab = map(t->cap * sizeof *t->tab);
	t->b = buf_get();
	if (!t->tab || !t->b) {
		unmap(t->tab, t->cap * sizeof *t->tab);
		unmap(t, sizeof *t);
		return NULL;
	}
	t->next_id = 1;
	if (atomic_fetch_add(&nthreads, 1) + 1 == 2)
		flush_others();
	buf_start(t, t->b);
	pthread_mutex_lock(&tm);
	t->next = threads;
	threads = t;
	pthread_mutex_unlock(&tm);
	pthread_setspecific(tkey, t);
	me = t;
	return t;
}

/* A thread exits: its events leave now. */
static void thread_end(void *p)
{
	struct tstate *t = p;
	guard++;
	t_lock(t);
	t_flush(t, true);
	pthread_mutex_lock(&tm);
	for (struct tstate **pp = &threads; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	pthread_mutex_unlock(&tm);
	atomic_fetch_sub(&nthreads, 1);
	me = NULL;
	/* The empty buffer goes back to the pool; the state goes away. */
	pthread_mutex_lock(&qm);
	t->b->next = spare;
	spare = t->b;
	pthread_mutex_unlock(&qm);
	unmap(t->tab, t->cap * sizeof *t->tab);
	unmap(t, sizeof *t);
	guard--;
}

static void idle_flush(void)
{
	uint64_t now = now_ticks();
	pthread_mutex_lock(&tm);
	for (struct tstate *t = threads; t; t = t->next) {
		if (!t_trylock(t))
			continue;
		if (t->b && t->b->nev && now - t->last_flush > IDLE_NS * 1000 / tick_ps)
			t_flush(t, false);
		t_unlock(t);
	}
	pthread_mutex_unlock(&tm);
}

/* Room for one event with d new stack nodes; flushes first when short. */
static void ensure_room(struct tstate *t, unsigned d)
{
	size_t need[MLT_NCOL] = { d + 2, 24, 24, 24, 8 * (d + 2), 11 * (d + 1) };
	for (int c = 0; c < MLT_NCOL; c++)
		if ((size_t)(t->b->end[c] - t->b->pos[c]) < need[c]) {
			t_flush(t, true);
			if (t->b->nev) {
				/* No buffer to be had: drop this one's events. */
				t->lost += t->b->nev;
				atomic_fetch_add(&total_lost, t->b->nev);
				buf_reset(t->b);
				trie_reset(t);
				buf_start(t, t->b);
			}
			return;
		}
}

static inline void put_kind(struct tstate *t, uint8_t k)
{
	*t->b->pos[MLT_C_KIND]++ = k;
	t->b->nev++;
}

static inline void put_v(struct tstate *t, int c, uint64_t v)
{
	t->b->pos[c] = mlt_put_varint(t->b->pos[c], v);
}

/* A time in the block's unit (a release may have been timed before its block started: clamped). */
static inline void put_time(struct tstate *t, uint64_t ticks)
{
	struct buf *b = t->b;
	uint64_t u = ticks > b->t_first ? (ticks - b->t_first) >> b->shift : 0;
	if (u < b->last_u)
		u = b->last_u;
	put_v(t, MLT_C_TIME, u - b->last_u);
	b->last_u = u;
}

/* Addresses against the thread's prediction (mltrace.h): mostly a small number. */
static inline void put_addr(struct tstate *t, uint64_t a)
{
	put_v(t, MLT_C_ADDR, mlt_pred_free_enc(&t->pred, a));
}

static inline void put_alloc_addr(struct tstate *t, uint64_t a, uint64_t size)
{
	put_v(t, MLT_C_ADDR, mlt_pred_alloc_enc(&t->pred, a, size));
}

static bool trie_grow(struct tstate *t)
{
	uint32_t ncap = t->cap * 2;
	struct node *nt = map(ncap * sizeof *nt);
	if (!nt)
		return false;
	for (uint32_t i = 0; i < t->cap; i++) {
		struct node *e = &t->tab[i];
		if (!e->id)
			continue;
		uint64_t h = (e->ip * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)e->parent * 0xC2B2AE3D27D4EB4Full);
		uint32_t j = (uint32_t)(h >> 32) & (ncap - 1);
		while (nt[j].id)
			j = (j + 1) & (ncap - 1);
		nt[j] = *e;
	}
	unmap(t->tab, t->cap * sizeof *t->tab);
	t->tab = nt;
	t->cap = ncap;
	return true;
}

static void note_ip(uint64_t ip);

/* The node of (parent, ip), written as a NODE event when new. */
static uint32_t intern(struct tstate *t, uint32_t parent, uint64_t ip)
{
	uint64_t h = (ip * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)parent * 0xC2B2AE3D27D4EB4Full);
	uint32_t j = (uint32_t)(h >> 32) & (t->cap - 1);
	for (;;) {
		struct node *e = &t->tab[j];
		if (!e->id)
			break;
		if (e->ip == ip && e->parent == parent)
			return e->id;
		j = (j + 1) & (t->cap - 1);
	}
	if ((t->used + 1) * 2 > t->cap) {
		if (!trie_grow(t))
			return parent;	/* out of memory: the stack ends here */
		return intern(t, parent, ip);
	}
	uint32_t id = t->next_id++;
	t->tab[j] = (struct node){ ip, parent, id };
	t->used++;
	put_kind(t, MLT_K_NODE);
	put_v(t, MLT_C_NODE, parent);
	put_v(t, MLT_C_IP, ip);
	note_ip(ip);
	return id;
}

/*
 * The current call stack, innermost first, without our own frames.
 * Returns the number of frames.
 */
static unsigned unwind(uint64_t *out)
{
	void *ips[MAX_DEPTH + 8];
	int n = unw_backtrace(ips, MAX_DEPTH + 8);
	unsigned k = 0, o = 0;
	while ((int)k < n && (uintptr_t)ips[k] >= self_lo && (uintptr_t)ips[k] < self_hi)
		k++;
	for (; (int)k < n && o < MAX_DEPTH; k++)
		out[o++] = (uint64_t)(uintptr_t)ips[k];
	return o;
}

static uint32_t stack_node_slow(struct tstate *t, const uint64_t *ips, unsigned n);

/*
 * The stack's leaf node.  First a cache of whole stacks (a 64-bit hash of
 * every address: one memory access instead of one per frame — the trie's
 * hash lookups missed the cache on deep stacks), then the outer frames the
 * previous stack shares, then the trie.
 */
static uint32_t stack_node(struct tstate *t, const uint64_t *ips, unsigned n)
{
	uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
	for (unsigned i = 0; i < n; i++) {
		h = (h ^ ips[i]) * 0xC2B2AE3D27D4EB4Full;
		h ^= h >> 29;
	}
	h |= 1;	/* 0 marks an empty entry */
	struct scache *sc = &t->sc[h & (SCACHE - 1)];
	if (sc->h == h)
		return sc->leaf;
	uint32_t leaf = stack_node_slow(t, ips, n);
	sc->h = h;
	sc->leaf = leaf;
	return leaf;
}

static uint32_t stack_node_slow(struct tstate *t, const uint64_t *ips, unsigned n)
{
	/* outermost first: ips[n-1] ... ips[0] */
	unsigned same = 0;
	while (same < n && same < t->prev_n && t->prev_ip[same] == ips[n - 1 - same])
		same++;
	uint32_t id = same ? t->prev_id[same - 1] : 0;
	for (unsigned i = same; i < n; i++) {
		uint64_t ip = ips[n - 1 - i];
		id = intern(t, id, ip);
		t->prev_ip[i] = ip;
		t->prev_id[i] = id;
	}
	t->prev_n = n;
	return id;
}

static struct tstate *cur(void)
{
	return me ? me : thread_start();
}

static bool on(void);

static void rec_alloc(uint8_t kind, const void *p, uint64_t size)
{
	struct tstate *t = cur();
	if (!t)
		return;
	uint64_t ips[MAX_DEPTH];
	unsigned n = unwind(ips);
	uint64_t ticks = now_ticks();
	t_lock(t);
	ensure_room(t, n);
	uint32_t node = stack_node(t, ips, n);
	put_kind(t, kind);
	put_time(t, ticks);
	put_alloc_addr(t, (uint64_t)(uintptr_t)p, size);
	put_v(t, MLT_C_SIZE, size);
	put_v(t, MLT_C_NODE, node);
	t_unlock(t);
}

/* A release, timed before the real call so that a reuse of the address is later. */
static void rec_free(uint8_t kind, const void *p, uint64_t ticks, uint64_t size, bool has_size)
{
	struct tstate *t = cur();
	if (!t)
		return;
	t_lock(t);
	ensure_room(t, 0);
	put_kind(t, kind);
	put_time(t, ticks);
	put_addr(t, (uint64_t)(uintptr_t)p);
	if (has_size)
		put_v(t, MLT_C_SIZE, size);
	t_unlock(t);
}

/* ---- modules ---- */

struct module {
	uint64_t bias, lo, hi;
	char *path;		/* in our own mapping */
	bool seen;
};
static pthread_mutex_t mm = PTHREAD_MUTEX_INITIALIZER;
static struct module *mods;
static size_t nmods, capmods;
static _Atomic uint64_t last_scan;

static void emit_module(const struct module *m, uint8_t op, const uint8_t *id, uint8_t id_len)
{
	uint8_t p[MLT_MODULE_FIXED + 255 + PATH_MAX];
	size_t pl = strlen(m->path);
	struct mlt_module rec = { .t_ns = now_ns() - t0, .bias = m->bias, .lo = m->lo, .hi = m->hi, .op = op,
				 .id_len = id_len, .build_id = id, .path = m->path,
				 .path_len = (uint32_t)(pl > PATH_MAX ? PATH_MAX : pl) };
	emit_block(MLT_B_MODULE, p, (uint32_t)mlt_module_put(p, &rec));
}

struct scan {
	struct module *found;
	uint8_t (*ids)[64];
	uint8_t *idlen;
	size_t n, cap;
};

static void build_id(const struct dl_phdr_info *info, uint8_t out[64], uint8_t *len)
{
	*len = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
		while (p + 12 <= end) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			size_t nsz = (nh->n_namesz + 3) & ~3u, dsz = (nh->n_descsz + 3) & ~3u;
			if (nsz > (size_t)(end - p) - 12 || dsz > (size_t)(end - p) - 12 - nsz)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(p + 12, "GNU", 4) &&
			    nh->n_descsz <= 64) {
				memcpy(out, p + 12 + nsz, nh->n_descsz);
				*len = (uint8_t)nh->n_descsz;
				return;
			}
			p += 12 + nsz + dsz;
		}
	}
}

static int scan_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct scan *s = arg;
	if (s->n == s->cap)
		return 1;
	uint64_t lo = UINT64_MAX, hi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uint64_t a = info->dlpi_addr + ph->p_vaddr;
		lo = a < lo ? a : lo;
		hi = a + ph->p_memsz > hi ? a + ph->p_memsz : hi;
	}
	if (lo >= hi)
		return 0;
	struct module *m = &s->found[s->n];
	m->bias = info->dlpi_addr;
	m->lo = lo;
	m->hi = hi;
	m->path = (char *)(info->dlpi_name ? info->dlpi_name : "");
	build_id(info, s->ids[s->n], &s->idlen[s->n]);
	s->n++;
	return 0;
}

static char exe_path[PATH_MAX];

static char *dup_path(const char *s)
{
	size_t l = strlen(s);
	char *p = map(l + 1);
	if (p)
		memcpy(p, s, l + 1);
	return p;
}

/*
 * Compares the loaded modules with those known: new ones are recorded as
 * loaded, missing ones as unloaded.
 */
static void scan_modules(void)
{
	enum { CAP = 1024 };
	struct scan s = { .cap = CAP };
	s.found = map(CAP * sizeof *s.found);
	s.ids = map(CAP * 64);
	s.idlen = map(CAP);
	if (!s.found || !s.ids || !s.idlen)
		goto out;
	/* dl_iterate_phdr takes the loader's lock: never while holding ours. */
	dl_iterate_phdr(scan_cb, &s);
	pthread_mutex_lock(&mm);
	for (size_t k = 0; k < nmods; k++)
		mods[k].seen = false;
	for (size_t i = 0; i < s.n; i++) {
		struct module *f = &s.found[i];
		const char *name = f->path[0] ? f->path : exe_path;
		size_t k;
		for (k = 0; k < nmods; k++)
			if (mods[k].bias == f->bias && mods[k].lo == f->lo && !strcmp(mods[k].path, name))
				break;
		if (k < nmods) {
			mods[k].seen = true;
			continue;
		}
		if (nmods == capmods) {
			size_t nc = capmods ? capmods * 2 : 64;
			struct module *nm = map(nc * sizeof *nm);
			if (!nm)
				continue;
			if (mods)
				memcpy(nm, mods, nmods * sizeof *nm);
			unmap(mods, capmods * sizeof *mods);
			mods = nm;
			capmods = nc;
		}
		struct module *m = &mods[nmods];
		*m = *f;
		m->path = dup_path(name);
		if (!m->path)
			continue;
		m->seen = true;
		nmods++;
		emit_module(m, MLT_MOD_LOAD, s.ids[i], s.idlen[i]);
	}
	for (size_t k = 0; k < nmods;) {
		if (mods[k].seen) {
			k++;
			continue;
		}
		emit_module(&mods[k], MLT_MOD_UNLOAD, NULL, 0);
		unmap(mods[k].path, strlen(mods[k].path) + 1);
		mods[k] = mods[--nmods];
	}
	pthread_mutex_unlock(&mm);
out:
	unmap(s.found, CAP * sizeof *s.found);
	unmap(s.ids, CAP * 64);
	unmap(s.idlen, CAP);
	atomic_store(&last_scan, now_ns());
}

/* A new stack address outside every known module: a library loaded behind our back? */
static void note_ip(uint64_t ip)
{
	bool known = false;
	pthread_mutex_lock(&mm);
	for (size_t k = 0; k < nmods && !known; k++)
		known = ip >= mods[k].lo && ip < mods[k].hi;
	pthread_mutex_unlock(&mm);
	/* At most one scan every 10 ms: JIT code is in no module at all. */
	if (!known && now_ns() - atomic_load(&last_scan) > 10000000)
		scan_modules();
}

/* ---- start, stop, fork, exec ---- */

static bool on(void)
{
	return atomic_load_explicit(&state, memory_order_acquire) == ST_ON && !atomic_load(&failed);
}

static void emit_proc(uint32_t flags)
{
	static uint8_t p[MLT_PROC_FIXED + PATH_MAX + 65536];
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	size_t el = strlen(exe_path), cl = 0;
	memcpy(p + MLT_PROC_FIXED, exe_path, el);
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t r;
		while (cl < 65536 && (r = read(fd, p + MLT_PROC_FIXED + el + cl, 65536 - cl)) > 0)
			cl += (size_t)r;
		close(fd);
	}
	struct mlt_proc pr = { .t0_ns = t0, .realtime_ns = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec,
			       .pid = (uint32_t)getpid(), .ppid = (uint32_t)getppid(), .tick_ps = tick_ps,
			       .flags = flags, .exe_len = (uint32_t)el, .cmdline_len = (uint32_t)cl };
	mlt_proc_put(p, &pr);
	emit_block(MLT_B_PROC, p, (uint32_t)(MLT_PROC_FIXED + el + cl));
}

/*
 * Streaming, at the end: when the queue is full the oldest event buffers
 * give way (counted as lost), so that the END block, which carries the
 * count of every event lost, is the next thing sent.
 */
static void make_room_for_end(void)
{
	pthread_mutex_lock(&qm);
	while (lossy && q_len >= QUEUE_MAX - 1 && q_head) {
		struct buf *b = q_head;
		q_head = b->next;
		if (!q_head)
			q_tail = NULL;
		q_len--;
		if (b->type == MLT_B_EVENTS) {
			atomic_fetch_add(&total_lost, b->nev);
			atomic_fetch_sub(&total_events, b->nev);
		}
		b->next = spare;
		spare = b;
	}
	pthread_mutex_unlock(&qm);
}

static void emit_end(void)
{
	make_room_for_end();
	uint8_t p[MLT_END_LEN];
	struct mlt_end e = { now_ns() - t0, atomic_load(&total_events), atomic_load(&total_lost) };
	mlt_end_put(p, &e);
	emit_block(MLT_B_END, p, sizeof p);
}

/* Every thread's buffered events to the writer, then wait for them to be written. */
static void flush_all(unsigned limit_ms)
{
	pthread_mutex_lock(&tm);
	for (struct tstate *t = threads; t; t = t->next) {
		t_lock(t);
		t_flush(t, true);
		t_unlock(t);
	}
	pthread_mutex_unlock(&tm);
	drain(limit_ms);
}

static void pattern_name(char *out, size_t len, pid_t pid)
{
	size_t o = 0;
	for (const char *p = pattern; *p && o + 1 < len; p++) {
		if (p[0] == '%' && p[1] == 'p') {
			o += (size_t)snprintf(out + o, len - o, "%d", (int)pid);
			p++;
			if (o >= len)
				o = len - 1;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

/*
 * Makes fd `want` this process's own record, named by the pattern: a new
 * file (a fork or spawn child), or the one a previous image of this process
 * (before exec) was writing.  Returns the PROC flags to record.
 */
static int own_file(int want, bool append, uint32_t *flags)
{
	char name[PATH_MAX];
	pattern_name(name, sizeof name, getpid());
	int fd = open(name, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
	if (fd < 0) {
		say("memlens trace: %s: %s; process %d is not recorded", name, strerror(errno), (int)getpid());
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_size == 0) {
		uint8_t h[MLT_FILE_HEADER];
		mlt_file_header(h);
		if (write(fd, h, sizeof h) != (ssize_t)sizeof h) {
			close(fd);
			return -1;
		}
	} else if (append) {
		*flags |= MLT_PROC_EXEC;
	}
	if (want >= 0 && fd != want) {
		if (dup2(fd, want) < 0) {
			close(fd);
			return -1;
		}
		close(fd);
		fd = want;
	}
	fcntl(fd, F_SETFD, 0);	/* kept across exec: the next image goes on writing */
	return fd;
}

static bool fd_is_name(int fd, pid_t pid)
{
	char link[64], target[PATH_MAX], name[PATH_MAX];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t l = readlink(link, target, sizeof target - 1);
	if (l < 0)
		return false;
	target[l] = '\0';
	pattern_name(name, sizeof name, pid);
	char real[PATH_MAX];
	return !strcmp(target, name) || (realpath(name, real) && !strcmp(target, real));
}

static bool parse_env(int *fd, unsigned long *ino, long *owner)
{
	const char *e = getenv("MEMLENS_TRACE");
	if (!e)
		return false;
	*fd = -1;
	*ino = 0;
	*owner = 0;
	while (*e) {
		const char *semi = strchr(e, ';');
		if (!strncmp(e, "pattern=", 8)) {
			/* last: a pattern may hold ';' */
			snprintf(pattern, sizeof pattern, "%s", e + 8);
			break;
		}
		if (!strncmp(e, "fd=", 3))
			*fd = atoi(e + 3);
		else if (!strncmp(e, "ino=", 4))
			*ino = strtoul(e + 4, NULL, 10);
		else if (!strncmp(e, "owner=", 6))
			*owner = atol(e + 6);
		else if (!strncmp(e, "lossy=", 6))
			lossy = e[6] == '1';
		else if (!strncmp(e, "follow=", 7))
			follow = e[7] == '1';
		if (!semi)
			break;
		e = semi + 1;
	}
	return true;
}

static void at_prepare(void);
static void at_parent(void);
static void at_child(void);

static void init(void)
{
	int fd;
	unsigned long ino;
	long owner;
	uint32_t flags = 0;
	guard++;
	if (!parse_env(&fd, &ino, &owner))
		goto off;
	my_pid = getpid();
	ssize_t l = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
	exe_path[l > 0 ? l : 0] = '\0';
	struct stat st;
	bool mine = owner == my_pid;
	bool trace_fd = fd >= 0 && fstat(fd, &st) == 0 && (unsigned long)st.st_ino == ino;
	if (!pattern[0]) {
		if (!mine || !trace_fd) {
			if (trace_fd)
				close(fd);	/* a child that is not followed keeps no record open */
			goto off;
		}
		/* Ours from memlens trace, or from this process's image before exec. */
		out_fd = fd;
		off_t at = lseek(fd, 0, SEEK_CUR);
		if (at > MLT_FILE_HEADER)
			flags |= MLT_PROC_EXEC;
	} else if (!mine && !follow) {
		goto off;
	} else if (fd >= 0 && fd_is_name(fd, my_pid)) {
		out_fd = own_file(fd, true, &flags);	/* an exec'd image: the same file goes on */
	} else if (fd >= 0 && !mine && owner > 0 && fd_is_name(fd, (pid_t)owner)) {
		out_fd = own_file(fd, false, &flags);	/* spawned: its parent's fd, replaced */
	} else {
		/* The first image: take the agreed fd number, unless the program uses it. */
		out_fd = own_file(fd >= 0 && fcntl(fd, F_GETFD) < 0 ? fd : -1, false, &flags);
	}
	if (!mine)
		flags |= MLT_PROC_FORK;
	if (out_fd < 0 || fstat(out_fd, &st))
		goto off;
	out_ino = st.st_ino;
	out_dev = st.st_dev;
	out_sock = S_ISSOCK(st.st_mode);
	clock_init();
	/* Our own frames are skipped in every stack. */
	Dl_info di;
	struct link_map *lm;
	if (dladdr1((void *)init, &di, (void **)&lm, RTLD_DL_LINKMAP)) {
		const ElfW(Ehdr) *eh = di.dli_fbase;
		const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)eh + eh->e_phoff);
		uintptr_t lo = UINTPTR_MAX, hi = 0;
		for (int i = 0; i < eh->e_phnum; i++)
			if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) {
				uintptr_t a = lm->l_addr + ph[i].p_vaddr;
				lo = a < lo ? a : lo;
				hi = a + ph[i].p_memsz > hi ? a + ph[i].p_memsz : hi;
			}
		self_lo = lo;
		self_hi = hi;
	}
	unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpus < 1)
		ncpus = 1;
	pthread_key_create(&tkey, thread_end);
	pthread_atfork(at_prepare, at_parent, at_child);
	emit_proc(flags);
	scan_modules();
	atomic_store(&state, ST_ON);
	guard--;
	return;
off:
	atomic_store(&state, ST_OFF);
	guard--;
}

/* Called by every wrapper: starts us on the first call. */
static inline bool tracing(void)
{
	if (guard)
		return false;
	int s = atomic_load_explicit(&state, memory_order_acquire);
	if (s == ST_ON)
		return !atomic_load_explicit(&failed, memory_order_relaxed);
	if (s == ST_UNINIT) {
		int expect = ST_UNINIT;
		if (atomic_compare_exchange_strong(&state, &expect, ST_INIT))
			init();
		return on();
	}
	return false;	/* off, or another thread is starting us: not recorded */
}

/* The program ends: everything it did reaches the record. */
static void finish(void)
{
	if (atomic_load(&state) != ST_ON || getpid() != my_pid)
		return;
	guard++;
	flush_all(lossy ? 2000 : 60000);
	emit_end();
	drain(lossy ? 2000 : 60000);
	atomic_store(&state, ST_OFF);
	guard--;
}

/*
 * Started at load time too (not only by the first allocation), so that a
 * program that never allocates still has its process and modules recorded.
 */
__attribute__((constructor)) static void trace_start(void)
{
	if (!real_malloc && !atomic_load(&resolving))
		resolve();
	(void)tracing();
}

__attribute__((destructor)) static void trace_fini(void)
{
	finish();
}

static void at_prepare(void)
{
	if (atomic_load(&state) != ST_ON)
		return;
	pthread_mutex_lock(&tm);
	pthread_mutex_lock(&mm);
	pthread_mutex_lock(&qm);
}

static void at_parent(void)
{
	if (atomic_load(&state) != ST_ON)
		return;
	pthread_mutex_unlock(&qm);
	pthread_mutex_unlock(&mm);
	pthread_mutex_unlock(&tm);
}

/*
 * In the child only this thread is left, and no writer: with a pattern it
 * records to its own file from a fresh start, else it records nothing.
 */
static void at_child(void)
{
	if (atomic_load(&state) != ST_ON)
		return;
	guard++;
	pthread_mutex_init(&qm, NULL);
	pthread_mutex_init(&mm, NULL);
	pthread_mutex_init(&tm, NULL);
	pthread_cond_init(&q_work, NULL);
	pthread_cond_init(&q_space, NULL);
	q_head = q_tail = NULL;
	q_len = 0;
	writer_started = writer_busy = writer_quit = false;
	zctx = NULL;	/* the parent's context is left behind, not freed twice */
	zbuf = NULL;
	zcap = 0;
	threads = me;
	if (me) {
		me->next = NULL;
		me->busy = 0;
		me->lost = 0;
		buf_reset(me->b);
		trie_reset(me);
		me->reset = false;
		me->tid = (uint32_t)syscall(SYS_gettid);
	}
	my_pid = getpid();
	uint32_t flags = MLT_PROC_FORK;
	int fd = follow && pattern[0] ? own_file(out_fd, false, &flags) : -1;
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		if (out_fd >= 0)
			close(out_fd);	/* the parent's record is not ours to write */
		out_fd = -1;
		atomic_store(&state, ST_OFF);
		guard--;
		return;
	}
	out_fd = fd;
	out_ino = st.st_ino;
	out_dev = st.st_dev;
	out_sock = false;
	atomic_store(&total_events, 0);
	atomic_store(&total_lost, 0);
	clock_rebase();
	atomic_store(&nthreads, me ? 1 : 0);
	if (me)
		buf_start(me, me->b);
	emit_proc(flags);
	pthread_mutex_lock(&mm);
	for (size_t k = 0; k < nmods; k++)
		unmap(mods[k].path, strlen(mods[k].path) + 1);
	nmods = 0;
	pthread_mutex_unlock(&mm);
	scan_modules();
	guard--;
}

/* Before an exec: what this image recorded is written; the next image goes on. */
static void before_exec(void)
{
	if (atomic_load(&state) != ST_ON || getpid() != my_pid)
		return;	/* not ours, or a vfork child sharing our memory: touch nothing */
	guard++;
	flush_all(lossy ? 2000 : 60000);
	emit_end();
	drain(lossy ? 2000 : 60000);
	guard--;
}

/* ---- the wrappers ---- */

#define ENSURE_REAL(fn)                 \
	do {                            \
		if (!real_##fn)         \
			resolve();      \
	} while (0)

EXPORT void *malloc(size_t n)
{
	if (!real_malloc) {
		if (atomic_load(&resolving))
			return boot_alloc(n);
		resolve();
	}
	if (!tracing())
		return real_malloc(n);
	int e = errno;
	guard++;
	void *p = real_malloc(n);
	int e2 = errno;
	if (p)
		rec_alloc(MLT_K_MALLOC, p, n);
	guard--;
	errno = p ? e : e2;
	return p;
}

EXPORT void *calloc(size_t n, size_t m)
{
	if (!real_calloc) {
		if (atomic_load(&resolving))
			return n && m > SIZE_MAX / n ? NULL : boot_alloc(n * m);
		resolve();
	}
	if (!tracing())
		return real_calloc(n, m);
	int e = errno;
	guard++;
	void *p = real_calloc(n, m);
	int e2 = errno;
	if (p)
		rec_alloc(MLT_K_CALLOC, p, (uint64_t)n * m);
	guard--;
	errno = p ? e : e2;
	return p;
}

EXPORT void free(void *p)
{
	if (!p || is_boot(p))
		return;
	ENSURE_REAL(free);
	if (!tracing()) {
		real_free(p);
		return;
	}
	int e = errno;
	guard++;
	uint64_t t = now_ticks();
	real_free(p);
	rec_free(MLT_K_FREE, p, t, 0, false);
	guard--;
	errno = e;
}

/* realloc's old block is released before the new one exists (as far as any other thread can tell). */
static void *do_realloc(void *p, size_t n, size_t m, bool array)
{
	if (is_boot(p)) {
		/* From the start-up heap: copy out (its size is unknown; bounded by the heap). */
		size_t want = array ? (m && n > SIZE_MAX / m ? SIZE_MAX : n * m) : n;
		void *q = malloc(want);
		if (q)
			memcpy(q, p, (size_t)(boot_heap + sizeof boot_heap - (char *)p) < want ? (size_t)(boot_heap + sizeof boot_heap - (char *)p) : want);
		return q;
	}
	if (array)
		ENSURE_REAL(reallocarray);
	else
		ENSURE_REAL(realloc);
	if (!tracing())
		return array ? real_reallocarray(p, n, m) : real_realloc(p, n);
	int e = errno;
	guard++;
	uint64_t t = now_ticks();
	void *q = array ? real_reallocarray(p, n, m) : real_realloc(p, n);
	int e2 = errno;
	uint64_t size = array ? (uint64_t)n * m : n;
	if (q) {
		if (p)
			rec_free(MLT_K_REFREE, p, t, 0, false);
		rec_alloc(array ? MLT_K_REALLOCARRAY : MLT_K_REALLOC, q, size);
	} else if (p && size == 0) {
		rec_free(MLT_K_FREE, p, t, 0, false);	/* realloc(p, 0) freed p */
	}
	guard--;
	errno = q ? e : e2;
	return q;
}

EXPORT void *realloc(void *p, size_t n)
{
	return do_realloc(p, n, 0, false);
}

EXPORT void *reallocarray(void *p, size_t n, size_t m)
{
	return do_realloc(p, n, m, true);
}

#define ALIGNED(name, kind, call, size)                          \
	EXPORT void *name(size_t a, size_t n)                     \
	{                                                         \
		ENSURE_REAL(name);                                \
		if (!tracing())                                   \
			return call;                              \
		int e = errno;                                    \
		guard++;                                          \
		void *p = call;                                   \
		int e2 = errno;                                   \
		if (p)                                            \
			rec_alloc(kind, p, size);                 \
		guard--;                                          \
		errno = p ? e : e2;                               \
		return p;                                         \
	}
ALIGNED(memalign, MLT_K_MEMALIGN, real_memalign(a, n), n)
ALIGNED(aligned_alloc, MLT_K_ALIGNED_ALLOC, real_aligned_alloc(a, n), n)

#define PAGED(name, kind)                                         \
	EXPORT void *name(size_t n)                               \
	{                                                         \
		ENSURE_REAL(name);                                \
		if (!tracing())                                   \
			return real_##name(n);                    \
		int e = errno;                                    \
		guard++;                                          \
		void *p = real_##name(n);                         \
		int e2 = errno;                                   \
		if (p)                                            \
			rec_alloc(kind, p, n);                    \
		guard--;                                          \
		errno = p ? e : e2;                               \
		return p;                                         \
	}
PAGED(valloc, MLT_K_VALLOC)
PAGED(pvalloc, MLT_K_PVALLOC)

EXPORT int posix_memalign(void **out, size_t a, size_t n)
{
	ENSURE_REAL(posix_memalign);
	if (!tracing())
		return real_posix_memalign(out, a, n);
	int e = errno;
	guard++;
	int r = real_posix_memalign(out, a, n);
	if (!r)
		rec_alloc(MLT_K_POSIX_MEMALIGN, *out, n);
	guard--;
	errno = e;
	return r;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	ENSURE_REAL(mmap);
	if (!tracing())
		return real_mmap(addr, len, prot, flags, fd, off);
	int e = errno;
	guard++;
	void *p = real_mmap(addr, len, prot, flags, fd, off);
	int e2 = errno;
	if (p != MAP_FAILED)
		rec_alloc(MLT_K_MMAP, p, len);
	guard--;
	errno = p != MAP_FAILED ? e : e2;
	return p;
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

EXPORT int munmap(void *addr, size_t len)
{
	ENSURE_REAL(munmap);
	if (!tracing())
		return real_munmap(addr, len);
	int e = errno;
	guard++;
	uint64_t t = now_ticks();
	int r = real_munmap(addr, len);
	int e2 = errno;
	if (!r)
		rec_free(MLT_K_MUNMAP, addr, t, len, true);
	guard--;
	errno = r ? e2 : e;
	return r;
}

EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *want = NULL;
	if (flags & MREMAP_FIXED) {
		va_list ap;
		va_start(ap, flags);
		want = va_arg(ap, void *);
		va_end(ap);
	}
	ENSURE_REAL(mremap);
	if (!tracing())
		return real_mremap(old, old_len, new_len, flags, want);
	int e = errno;
	guard++;
	uint64_t t = now_ticks();
	void *p = real_mremap(old, old_len, new_len, flags, want);
	int e2 = errno;
	if (p != MAP_FAILED) {
		rec_free(MLT_K_MUNMAP, old, t, old_len, true);
		rec_alloc(MLT_K_MREMAP, p, new_len);
	}
	guard--;
	errno = p != MAP_FAILED ? e : e2;
	return p;
}

EXPORT void *dlopen(const char *file, int mode)
{
	ENSURE_REAL(dlopen);
	void *h = real_dlopen(file, mode);
	if (h && !guard && atomic_load(&state) == ST_ON) {
		int e = errno;
		guard++;
		scan_modules();
		guard--;
		errno = e;
	}
	return h;
}

EXPORT int dlclose(void *h)
{
	ENSURE_REAL(dlclose);
	int r = real_dlclose(h);
	if (!guard && atomic_load(&state) == ST_ON) {
		int e = errno;
		guard++;
		scan_modules();
		guard--;
		errno = e;
	}
	return r;
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	ENSURE_REAL(execve);
	before_exec();
	return real_execve(path, argv, envp);
}

EXPORT int execv(const char *path, char *const argv[])
{
	ENSURE_REAL(execve);
	before_exec();
	return real_execve(path, argv, environ);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	ENSURE_REAL(execvpe);
	before_exec();
	return real_execvpe(file, argv, envp);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	ENSURE_REAL(execvpe);
	before_exec();
	return real_execvpe(file, argv, environ);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	ENSURE_REAL(fexecve);
	before_exec();
	return real_fexecve(fd, argv, envp);
}

/* execl, execle, execlp: their arguments into an array (on the stack: no allocation). */
#define COLLECT_ARGS(arg0, last)                                      \
	va_list ap;                                                   \
	size_t argc = 1;                                              \
	va_start(ap, arg0);                                           \
	while (va_arg(ap, char *))                                    \
		argc++;                                               \
	va_end(ap);                                                   \
	char **argv = __builtin_alloca((argc + 1) * sizeof *argv);    \
	argv[0] = (char *)arg0;                                       \
	va_start(ap, arg0);                                           \
	for (size_t i = 1; i <= argc; i++)                            \
		argv[i] = va_arg(ap, char *);                         \
	last;                                                         \
	va_end(ap)

EXPORT int execl(const char *path, const char *arg, ...)
{
	COLLECT_ARGS(arg, (void)0);
	return execv(path, argv);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	COLLECT_ARGS(arg, (void)0);
	return execvp(file, argv);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	char **envp;
	COLLECT_ARGS(arg, envp = va_arg(ap, char **));
	return execve(path, argv, envp);
}

/* _exit skips destructors: what was recorded is written first. */
EXPORT void _exit(int status)
{
	finish();
	ENSURE_REAL(_exit);
	if (real__exit)
		real__exit(status);
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

EXPORT void _Exit(int status)
{
	_exit(status);
}
