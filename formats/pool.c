/*
 * pool: an ordered queue of jobs and the threads that run them.  Jobs live
 * in a ring in submission order; a worker takes the oldest one not started,
 * and ml_pool_take waits for the oldest one submitted, so results come
 * back in order whatever finishes first.
 */
#include "config.h"
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

enum { J_QUEUED, J_BUSY, J_DONE };

struct slot {
	void *job;
	int state;
};

struct ml_pool {
	void (*work)(void *job, void *ctx);
	void *ctx;
	unsigned nthreads;
	pthread_t *threads;
	pthread_mutex_t mu;
	pthread_cond_t queued, finished;
	bool stop;
	struct slot *ring;
	unsigned cap;
	unsigned long long head, tail;	/* [head, tail): submitted, not taken back */
};

static void *worker(void *arg)
{
	struct ml_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		unsigned long long k = p->head;
		while (k < p->tail && p->ring[k % p->cap].state != J_QUEUED)
			k++;
		if (k == p->tail) {
			if (p->stop)
				break;
			pthread_cond_wait(&p->queued, &p->mu);
			continue;
		}
		/* By sequence number, not address: the ring may grow meanwhile. */
		p->ring[k % p->cap].state = J_BUSY;
		void *job = p->ring[k % p->cap].job;
		pthread_mutex_unlock(&p->mu);
		p->work(job, p->ctx);
		pthread_mutex_lock(&p->mu);
		p->ring[k % p->cap].state = J_DONE;
		pthread_cond_broadcast(&p->finished);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct ml_pool *ml_pool_new(unsigned threads, void (*work)(void *job, void *ctx), void *ctx)
{
	struct ml_pool *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->work = work;
	p->ctx = ctx;
	p->cap = 16;
	p->ring = calloc(p->cap, sizeof *p->ring);
	if (!p->ring) {
		free(p);
		return NULL;
	}
	if (threads <= 1)
		return p;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->queued, NULL);
	pthread_cond_init(&p->finished, NULL);
	p->threads = calloc(threads, sizeof *p->threads);
	if (!p->threads) {
		ml_pool_free(p);
		return NULL;
	}
	for (unsigned i = 0; i < threads; i++) {
		int e = pthread_create(&p->threads[i], NULL, worker, p);
		if (e) {
			ml_pool_free(p);
			errno = e;
			return NULL;
		}
		p->nthreads = i + 1;
	}
	return p;
}

/* Doubles the ring, keeping each job at its sequence number. */
static void grow(struct ml_pool *p)
{
	unsigned cap = p->cap * 2;
	struct slot *r = calloc(cap, sizeof *r);
	if (!r)
		abort();	/* a few dozen bytes: nothing sensible is left to do */
	for (unsigned long long k = p->head; k < p->tail; k++)
		r[k % cap] = p->ring[k % p->cap];
	free(p->ring);
	p->ring = r;
	p->cap = cap;
}

void ml_pool_submit(struct ml_pool *p, void *job)
{
	if (!p->threads) {
		p->work(job, p->ctx);
		if (p->tail - p->head == p->cap)
			grow(p);
		p->ring[p->tail++ % p->cap] = (struct slot){ job, J_DONE };
		return;
	}
	pthread_mutex_lock(&p->mu);
	if (p->tail - p->head == p->cap)
		grow(p);
	p->ring[p->tail++ % p->cap] = (struct slot){ job, J_QUEUED };
	pthread_cond_signal(&p->queued);
	pthread_mutex_unlock(&p->mu);
}

unsigned ml_pool_pending(const struct ml_pool *p)
{
	return (unsigned)(p->tail - p->head);
}

void *ml_pool_take(struct ml_pool *p)
{
	if (p->head == p->tail)
		return NULL;
	if (!p->threads)
		return p->ring[p->head++ % p->cap].job;
	pthread_mutex_lock(&p->mu);
	while (p->ring[p->head % p->cap].state != J_DONE)
		pthread_cond_wait(&p->finished, &p->mu);
	void *job = p->ring[p->head % p->cap].job;
	p->head++;
	pthread_mutex_unlock(&p->mu);
	return job;
}

void ml_pool_free(struct ml_pool *p)
{
	if (!p)
		return;
	if (p->threads) {
		pthread_mutex_lock(&p->mu);
		p->stop = true;
		/* Queued jobs are dropped: no worker starts them. */
		for (unsigned long long k = p->head; k < p->tail; k++)
			if (p->ring[k % p->cap].state == J_QUEUED)
				p->ring[k % p->cap].state = J_DONE;
		pthread_cond_broadcast(&p->queued);
		pthread_mutex_unlock(&p->mu);
		for (unsigned i = 0; i < p->nthreads; i++)
			pthread_join(p->threads[i], NULL);
		free(p->threads);
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->queued);
		pthread_cond_destroy(&p->finished);
	}
	free(p->ring);
	free(p);
}
