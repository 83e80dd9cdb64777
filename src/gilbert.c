/*
 * gilbert: the curve by its recursion.  A rectangle is a corner (x, y), a
 * major vector a and a minor vector b (each along one axis, signed); it
 * is cut in two along a when it is long (2|a| > 3|b|), else in three: up
 * along b, across along a, back down; halves are rounded so that no
 * piece gets an odd side where an even one can be had (that is what
 * keeps the steps between neighbours).  A rectangle one cell thick is a
 * straight run.  The walk keeps the recursion on an explicit stack, so a
 * cell costs constant time on average and no recursion depth is spent.
 */
#include "config.h"
#include "gilbert.h"

#include "util.h"

static int64_t sgn(int64_t v)
{
	return (v > 0) - (v < 0);
}

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/* Halving that rounds toward minus infinity, as the recursion wants for negative vectors. */
static int64_t half(int64_t v)
{
	return v >= 0 ? v / 2 : -((-v + 1) / 2);
}

/*
 * Sub-rectangle k (0, 1, 2) of f into *c; false when f has no such part.
 * f is more than one cell thick both ways.
 */
static bool part(const struct ml_gframe *f, int k, struct ml_gframe *c)
{
	int64_t w = abs64(f->ax + f->ay), h = abs64(f->bx + f->by);
	int64_t dax = sgn(f->ax), day = sgn(f->ay), dbx = sgn(f->bx), dby = sgn(f->by);
	int64_t ax2 = half(f->ax), ay2 = half(f->ay), bx2 = half(f->bx), by2 = half(f->by);
	int64_t w2 = abs64(ax2 + ay2), h2 = abs64(bx2 + by2);
	c->next = 0;
	if (2 * w > 3 * h) {
		if ((w2 % 2) && w > 2)
			ax2 += dax, ay2 += day;	/* an even first half */
		if (k == 0)
			*c = (struct ml_gframe){ f->x, f->y, ax2, ay2, f->bx, f->by, 0 };
		else if (k == 1)
			*c = (struct ml_gframe){ f->x + ax2, f->y + ay2, f->ax - ax2, f->ay - ay2, f->bx, f->by, 0 };
		return k < 2;
	}
	if ((h2 % 2) && h > 2)
		bx2 += dbx, by2 += dby;
	if (k == 0)
		*c = (struct ml_gframe){ f->x, f->y, bx2, by2, ax2, ay2, 0 };
	else if (k == 1)
		*c = (struct ml_gframe){ f->x + bx2, f->y + by2, f->ax, f->ay, f->bx - bx2, f->by - by2, 0 };
	else if (k == 2)
		*c = (struct ml_gframe){ f->x + (f->ax - dax) + (bx2 - dbx), f->y + (f->ay - day) + (by2 - dby),
					 -bx2, -by2, -(f->ax - ax2), -(f->ay - ay2), 0 };
	return k < 3;
}

static struct ml_gframe top_frame(uint32_t w, uint32_t h)
{
	if (w > h)
		return (struct ml_gframe){ 0, 0, w, 0, 0, h, 0 };
	return (struct ml_gframe){ 0, 0, 0, h, w, 0, 0 };
}

void ml_gilbert_start(struct ml_gilbert *g, uint32_t w, uint32_t h)
{
	g->top = 0;
	g->st[0] = top_frame(w, h);
	g->left = 0;
}

bool ml_gilbert_next(struct ml_gilbert *g, uint32_t *x, uint32_t *y)
{
	while (!g->left) {
		if (g->top < 0)
			return false;
		struct ml_gframe *f = &g->st[g->top];
		int64_t w = abs64(f->ax + f->ay), h = abs64(f->bx + f->by);
		if (h == 1 || w == 1) {
			/* a straight run along a (one row thick) or along b */
			g->x = f->x, g->y = f->y;
			g->dx = h == 1 ? sgn(f->ax) : sgn(f->bx);
			g->dy = h == 1 ? sgn(f->ay) : sgn(f->by);
			g->left = (uint64_t)(h == 1 ? w : h);
			g->top--;
			break;
		}
		struct ml_gframe c;
		if (!part(f, f->next++, &c)) {
			g->top--;
			continue;
		}
		g->st[++g->top] = c;
	}
	*x = (uint32_t)g->x;
	*y = (uint32_t)g->y;
	g->x += g->dx;
	g->y += g->dy;
	g->left--;
	return true;
}

/* Where p falls in f: its coordinates along a and b, and whether inside. */
static bool inside(const struct ml_gframe *f, int64_t px, int64_t py, int64_t *i, int64_t *j)
{
	int64_t w = abs64(f->ax + f->ay), h = abs64(f->bx + f->by);
	*i = (px - f->x) * sgn(f->ax) + (py - f->y) * sgn(f->ay);
	*j = (px - f->x) * sgn(f->bx) + (py - f->y) * sgn(f->by);
	return *i >= 0 && *i < w && *j >= 0 && *j < h;
}

static uint64_t cells(const struct ml_gframe *f)
{
	return (uint64_t)abs64(f->ax + f->ay) * (uint64_t)abs64(f->bx + f->by);
}

uint64_t ml_gilbert_xy2d(uint32_t w, uint32_t h, uint32_t x, uint32_t y)
{
	struct ml_gframe f = top_frame(w, h), c;
	uint64_t d = 0;
	for (;;) {
		int64_t fw = abs64(f.ax + f.ay), fh = abs64(f.bx + f.by), i, j;
		if (fh == 1 || fw == 1) {
			inside(&f, x, y, &i, &j);
			return d + (uint64_t)(fh == 1 ? i : j);
		}
		for (int k = 0; part(&f, k, &c); k++) {
			if (inside(&c, x, y, &i, &j))
				break;
			d += cells(&c);
		}
		f = c;
	}
}

void ml_gilbert_d2xy(uint32_t w, uint32_t h, uint64_t d, uint32_t *x, uint32_t *y)
{
	struct ml_gframe f = top_frame(w, h), c;
	for (;;) {
		int64_t fw = abs64(f.ax + f.ay), fh = abs64(f.bx + f.by);
		if (fh == 1 || fw == 1) {
			int64_t dx = fh == 1 ? sgn(f.ax) : sgn(f.bx), dy = fh == 1 ? sgn(f.ay) : sgn(f.by);
			*x = (uint32_t)(f.x + dx * (int64_t)d);
			*y = (uint32_t)(f.y + dy * (int64_t)d);
			return;
		}
		for (int k = 0; part(&f, k, &c); k++) {
			if (d < cells(&c))
				break;
			d -= cells(&c);
		}
		f = c;
	}
}

void ml_gilbert_shape(uint64_t n, uint32_t *w, uint32_t *h)
{
	uint64_t s = ml_square_side(n);
	*h = (uint32_t)(s ? s : 1);
	*w = (uint32_t)((n + *h - 1) / *h);
	if (!*w)
		*w = 1;
}
