/*
 * cleanup: what must be undone if memlens is interrupted — temporary
 * output files to remove, threads stopped by --freeze to let go.  A SIGINT,
 * SIGTERM or SIGHUP handler undoes both, then dies of the same signal.
 * Signals ignored when memlens started (nohup, a background job) stay
 * ignored.
 */
#ifndef ML_CLEANUP_H
#define ML_CLEANUP_H

void ml_cleanup_init(void);
/* Temporary outputs (a few at a time); the string is kept until removed.  -1 when full. */
int ml_cleanup_add_tmp(const char *path);
void ml_cleanup_del_tmp(const char *path);
/* Threads to detach on a signal; NULL/0 clears.  The array is kept. */
void ml_cleanup_tracees(const int *tids, unsigned long n);

#endif
