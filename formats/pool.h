/*
 * pool: worker threads that process jobs handed over in order and give
 * them back in the same order — what PNG and TIFF need to compress strips
 * on every core and still write them one after the other (pigz's way).
 * The caller owns the jobs (its strips) and decides how many are alive at
 * once; the pool only queues, runs and returns them.  With one thread a
 * job runs at submission, in the caller's thread.
 */
#ifndef ML_POOL_H
#define ML_POOL_H

#include <stdbool.h>

struct ml_pool;

/* work(job, ctx) runs on a worker; NULL (and errno) when no thread could start. */
struct ml_pool *ml_pool_new(unsigned threads, void (*work)(void *job, void *ctx), void *ctx);
/* Queues job after the ones before it. */
void ml_pool_submit(struct ml_pool *p, void *job);
/* Jobs submitted and not yet taken back. */
unsigned ml_pool_pending(const struct ml_pool *p);
/* Waits for the oldest job submitted and gives it back; NULL when none is pending. */
void *ml_pool_take(struct ml_pool *p);
/* Stops the workers (a job running finishes; queued ones are dropped) and frees p. */
void ml_pool_free(struct ml_pool *p);

#endif
