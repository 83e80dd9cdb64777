/*
 * watch_view: `memlens watch`'s live terminal view.  The selected pages,
 * in selection order, fill the screen as half-block cells (several pages
 * a cell when they do not fit), each coloured by how recently one of its
 * pages changed; a title line says what is watched and how it went, a
 * legend line closes it.  The screen is the terminal's alternate one,
 * redrawn in place each frame and on a resize; q, Ctrl-C, SIGTERM or
 * SIGHUP end it, and the terminal is given back as it was.
 */
#ifndef ML_WATCH_VIEW_H
#define ML_WATCH_VIEW_H

#include <stdint.h>

#include "watch.h"

struct ml_wview;

/* Takes over the terminal on standard output (keys from standard input when it is one). */
struct ml_wview *ml_wview_start(void);
/* Draws frame `frame`: title is the first line; pages the number of selected pages. */
void ml_wview_draw(struct ml_wview *v, const struct ml_watch *w, uint32_t frame, uint64_t pages, const char *title);
/*
 * Waits for the monotonic clock to reach deadline (ns), redrawing on a
 * resize: 1 when asked to quit, else 0.
 */
int ml_wview_wait(struct ml_wview *v, uint64_t deadline);
/* Whether a quit (q, a signal) has been asked for. */
int ml_wview_quit(const struct ml_wview *v);
/* Gives the terminal back and frees v. */
void ml_wview_end(struct ml_wview *v);

#endif
