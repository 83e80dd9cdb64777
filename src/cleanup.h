/*
 * cleanup: what must be undone if memlens is interrupted — a temporary
 * output file to remove, threads stopped by --freeze to let go.  A SIGINT,
 * SIGTERM or SIGHUP handler undoes both, then dies of the same signal.
 */
#ifndef ML_CLEANUP_H
#define ML_CLEANUP_H

void ml_cleanup_init(void);
/* At most one temporary output at a time; NULL clears. The string is kept. */
void ml_cleanup_tmpfile(const char *path);
/* Threads to detach on a signal; NULL/0 clears.  The array is kept. */
void ml_cleanup_tracees(const int *tids, unsigned long n);

#endif
