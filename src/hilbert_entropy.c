/*
 * hilbert_entropy: a sliding-window entropy kept in O(1) per byte.  With
 * counts c_k over n bytes, H = log2(n) - (Σ c_k·log2 c_k) / n; the sum is
 * updated as one count moves, in integer fixed point so that millions of
 * additions and removals never drift.
 */
#include "config.h"
#include "hilbert_entropy.h"

#include <math.h>
#include <string.h>

#define HALF (ML_ENTROPY_WINDOW / 2)
#define FIX 4294967296.0

static int64_t clog_tab[ML_ENTROPY_WINDOW + 1];	/* c·log2(c) in fixed point */
static int built;

static void build(void)
{
	for (unsigned c = 1; c <= ML_ENTROPY_WINDOW; c++)
		clog_tab[c] = (int64_t)llround(c * log2((double)c) * FIX);
	built = 1;
}

void ml_entropy_init(struct ml_entropy *e)
{
	memset(e, 0, sizeof *e);
	if (!built)
		build();
}

static void add(struct ml_entropy *e, int v)
{
	if (v < 0)
		return;
	uint32_t c = e->counts[v]++;
	e->s += clog_tab[c + 1] - clog_tab[c];
	e->n++;
}

static void drop(struct ml_entropy *e, int v)
{
	if (v < 0)
		return;
	uint32_t c = e->counts[v]--;
	e->s += clog_tab[c - 1] - clog_tab[c];
	e->n--;
}

/* The value of position e->out, whose window is now complete. */
static void emit(struct ml_entropy *e, uint8_t *val, uint8_t *hole)
{
	int self = e->ring[e->out % ML_ENTROPY_WINDOW];
	*hole = self < 0;
	*val = 0;
	if (self >= 0 && e->n > 1) {
		double h = log2((double)e->n) - ((double)e->s / FIX) / e->n;
		double v = h / log2((double)ML_ENTROPY_WINDOW) * 255.0;
		*val = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lround(v));
	}
	e->out++;
}

size_t ml_entropy_push(struct ml_entropy *e, const uint8_t *data, size_t len, uint8_t *val, uint8_t *hole)
{
	size_t k = 0;
	for (size_t i = 0; i < len; i++) {
		/* Position p enters; p - WINDOW leaves; then p - HALF + 1 is centred. */
		uint64_t p = e->pos++;
		int16_t *slot = &e->ring[p % ML_ENTROPY_WINDOW];
		if (p >= ML_ENTROPY_WINDOW)
			drop(e, *slot);
		*slot = data ? data[i] : -1;
		add(e, *slot);
		if (p + 1 >= HALF)
			emit(e, val + k, hole + k), k++;
	}
	return k;
}

size_t ml_entropy_finish(struct ml_entropy *e, uint8_t *val, uint8_t *hole)
{
	size_t k = 0;
	while (e->out < e->pos) {
		/* The window of out is [out - HALF, pos): position out - HALF - 1 leaves. */
		if (e->out > HALF) {
			uint64_t gone = e->out - HALF - 1;
			if (gone + ML_ENTROPY_WINDOW >= e->pos)
				drop(e, e->ring[gone % ML_ENTROPY_WINDOW]);
		}
		emit(e, val + k, hole + k), k++;
	}
	return k;
}
