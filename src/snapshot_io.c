/*
 * snapshot_io: the core's writes.  put() writes headers and notes where
 * they go; the data goes through a small pipeline — a writer thread
 * drains a ring of a few large buffers while the copy fills the next one
 * from the stopped process — so the target is stopped for about the
 * longer of reading and writing, not their sum.  Memory stays at
 * ML_SNAP_BUFS x ML_SNAP_BUF whatever the process's size.  The first
 * failed write (a full disk) stops the pipeline and is said once.
 */
#include "config.h"
#include "snapshot.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fail(struct ml_snap_writer *w, int e)
{
	if (!w->err) {
		w->err = e;
		ml_err("%s: write failed: %s", w->name, strerror(e));
	}
}

/* pwrite all of it; the errno of a failure, or 0. */
static int pwrite_all(int fd, const unsigned char *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t k = pwrite(fd, p, n, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? errno : EIO;
		p += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

int ml_snap_put(struct ml_snap_writer *w, const void *buf, size_t n, uint64_t off)
{
	if (w->err)
		return -1;
	int e = pwrite_all(w->fd, buf, n, off);
	if (e) {
		fail(w, e);
		return -1;
	}
	w->written += n;
	return 0;
}

static void *writer(void *arg)
{
	struct ml_snap_writer *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->count && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->count)
			break;
		struct ml_snap_item it = w->q[w->head];
		pthread_mutex_unlock(&w->mu);
		int e = w->werr ? 0 : pwrite_all(w->fd, w->bufs[w->head], it.len, it.off);
		pthread_mutex_lock(&w->mu);
		if (e && !w->werr)
			w->werr = e;
		w->head = (w->head + 1) % ML_SNAP_BUFS;
		w->count--;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int ml_snap_writer_start(struct ml_snap_writer *w, int fd, const char *name)
{
	memset(w, 0, sizeof *w);
	w->fd = fd;
	w->name = name;
	for (int i = 0; i < ML_SNAP_BUFS; i++)
		w->bufs[i] = ml_malloc(ML_SNAP_BUF);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	/* Signals belong to the main thread, the tracer that must let go (cleanup.c). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int r = pthread_create(&w->th, NULL, writer, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		ml_err("cannot start the writer thread: %s", strerror(r));
		return -1;
	}
	w->running = true;
	return 0;
}

/* Takes the writer's failure, if any, as ours. */
static int check(struct ml_snap_writer *w)
{
	if (w->werr)
		fail(w, w->werr);
	return w->err ? -1 : 0;
}

unsigned char *ml_snap_buf(struct ml_snap_writer *w)
{
	pthread_mutex_lock(&w->mu);
	while (w->count == ML_SNAP_BUFS)
		pthread_cond_wait(&w->cv, &w->mu);
	unsigned char *b = w->bufs[w->tail];
	pthread_mutex_unlock(&w->mu);
	return b;
}

int ml_snap_push(struct ml_snap_writer *w, size_t len, uint64_t off)
{
	pthread_mutex_lock(&w->mu);
	int r = check(w);
	if (!r) {
		w->q[w->tail] = (struct ml_snap_item){ len, off };
		w->tail = (w->tail + 1) % ML_SNAP_BUFS;
		w->count++;
		w->written += len;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return r;
}

int ml_snap_drain(struct ml_snap_writer *w)
{
	pthread_mutex_lock(&w->mu);
	while (w->count)
		pthread_cond_wait(&w->cv, &w->mu);
	int r = check(w);
	pthread_mutex_unlock(&w->mu);
	return r;
}

void ml_snap_writer_stop(struct ml_snap_writer *w)
{
	if (w->running) {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->th, NULL);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		w->running = false;
	}
	for (int i = 0; i < ML_SNAP_BUFS; i++)
		free(w->bufs[i]);
	memset(w->bufs, 0, sizeof w->bufs);
}
