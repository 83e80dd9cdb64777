/*
 * hilbert: the classic iterative quadrant walk (rotate, then offset), with
 * x and y exchanged at the end so the curve starts top-left and ends
 * bottom-left as in binvis.  Checked point for point against Hamilton's
 * Gray-code recursion (scurve's hilbert.py) in tests/test_hilbert.c.
 */
#include "config.h"
#include "hilbert.h"

static void rot(uint32_t n, uint32_t *x, uint32_t *y, uint32_t rx, uint32_t ry)
{
	if (ry == 0) {
		if (rx == 1) {
			*x = n - 1 - *x;
			*y = n - 1 - *y;
		}
		uint32_t t = *x;
		*x = *y;
		*y = t;
	}
}

void ml_hilbert_d2xy(unsigned order, uint64_t d, uint32_t *x, uint32_t *y)
{
	uint32_t px = 0, py = 0;
	uint64_t t = d;
	for (uint64_t s = 1; s < ((uint64_t)1 << order); s *= 2) {
		uint32_t rx = (uint32_t)(1 & (t / 2));
		uint32_t ry = (uint32_t)(1 & (t ^ rx));
		rot((uint32_t)s, &px, &py, rx, ry);
		px += (uint32_t)s * rx;
		py += (uint32_t)s * ry;
		t /= 4;
	}
	*x = py;
	*y = px;
}

uint64_t ml_hilbert_xy2d(unsigned order, uint32_t x, uint32_t y)
{
	uint32_t px = y, py = x;
	uint64_t d = 0;
	for (uint64_t s = (uint64_t)1 << order >> 1; s > 0; s /= 2) {
		uint32_t rx = (px & s) > 0;
		uint32_t ry = (py & s) > 0;
		d += s * s * ((3 * rx) ^ ry);
		rot((uint32_t)(1ull << order), &px, &py, rx, ry);
	}
	return d;
}
