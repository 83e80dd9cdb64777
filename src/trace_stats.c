/*
 * trace_stats: totals and per-stack counts of a trace in one pass (see
 * trace_stats.h).  Each stack's share of the peak is kept without
 * snapshots: a stack notes the global peak's epoch when it changes, so
 * its value at the last peak is the one it had just before its first
 * change after that peak.
 */
#include "config.h"
#include "trace_stats.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static struct ml_tsite *site(struct ml_tstats *s, uint32_t node)
{
	if (node >= s->nsite) {
		size_t n = s->nsite ? s->nsite : 1024;
		while (n <= node)
			n *= 2;
		s->site = ml_reallocarray(s->site, n, sizeof *s->site);
		memset(s->site + s->nsite, 0, (n - s->nsite) * sizeof *s->site);
		s->nsite = n;
	}
	return &s->site[node];
}

/* Before a stack's live bytes change: keep what it held at the last peak. */
static void touch(struct ml_tsite *x, uint64_t epoch)
{
	if (x->epoch != epoch) {
		x->peak = x->live;
		x->epoch = epoch;
	}
}

int ml_tstats_run(struct ml_trace *t, struct ml_tstats *s)
{
	memset(s, 0, sizeof *s);
	ml_trace_rewind(t);
	struct ml_tev e;
	uint64_t live = 0, epoch = 0, last_alloc = 0;
	int r;
	while ((r = ml_trace_next(t, &e)) > 0) {
		switch (e.type) {
		case ML_TEV_ALLOC: {
			struct ml_tsite *x = site(s, e.node);
			touch(x, epoch);
			x->calls++;
			x->bytes += e.size;
			x->live += e.size;
			s->calls++;
			s->bytes += e.size;
			live += e.size;
			last_alloc = e.seq;
			if (live > s->peak) {
				s->peak = live;
				s->peak_t = e.t;
				epoch++;	/* every stack's value now is its value at the peak */
			}
			break;
		}
		case ML_TEV_FREE: {
			s->frees++;
			if (e.unknown)
				break;
			struct ml_tsite *x = site(s, e.node);
			touch(x, epoch);
			x->live -= e.size;
			live -= e.size;
			if (e.seq == last_alloc && e.t - e.alloc_t <= ML_TEMPORARY_NS) {
				s->temporary++;
				x->temporary++;
			}
			break;
		}
		case ML_TEV_LEAK: {
			struct ml_tsite *x = site(s, e.node);
			touch(x, epoch);
			x->leaked += e.size;
			x->leak_count++;
			x->live -= e.size;
			live -= e.size;
			s->leaked += e.size;
			s->leaked_count++;
			break;
		}
		case ML_TEV_MMAP:
			s->mmap_calls++;
			s->mmap_bytes += e.size;
			s->mmap_live += e.size;
			if (s->mmap_live > s->mmap_peak)
				s->mmap_peak = s->mmap_live;
			break;
		case ML_TEV_MUNMAP:
			s->mmap_live -= e.size < s->mmap_live ? e.size : s->mmap_live;
			break;
		}
	}
	/* Stacks untouched since the last peak still hold what they held then. */
	for (size_t i = 0; i < s->nsite; i++)
		if (s->site[i].epoch != epoch)
			s->site[i].peak = s->site[i].live + s->site[i].leaked;
	/*
	 * A leak is released at the end; its bytes were live at the peak only
	 * if nothing changed since: touch() at the leak kept the right value.
	 */
	site(s, (uint32_t)ml_trace_nnodes(t));	/* one entry per node at least */
	s->duration = ml_trace_duration(t);
	ml_trace_counts(t, &s->counts);
	return r < 0 ? -1 : 0;
}

void ml_tstats_free(struct ml_tstats *s)
{
	free(s->site);
	s->site = NULL;
	s->nsite = 0;
}
