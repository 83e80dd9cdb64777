/*
 * cleanup: signal-safe undo of temporary files and ptrace stops.  Only
 * async-signal-safe calls (unlink, ptrace, tgkill, signal, raise) happen in
 * the handler; the state it reads is published before it can be needed.
 * A signal caught by another thread (PNG compression) is handed to the
 * main thread, the ptrace tracer, so the detach can work.
 */
#include "config.h"
#include "cleanup.h"

#include <signal.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_TMP 8

static const char *volatile tmp_paths[MAX_TMP];
static const int *volatile tracees;
static volatile unsigned long ntracees;
static pid_t main_tid;

static void on_signal(int sig)
{
	if ((pid_t)syscall(SYS_gettid) != main_tid) {
		syscall(SYS_tgkill, getpid(), main_tid, sig);
		return;
	}
	for (int i = 0; i < MAX_TMP; i++) {
		const char *p = tmp_paths[i];
		if (p)
			unlink(p);
	}
	const int *t = tracees;
	unsigned long n = ntracees;
	if (t)
		for (unsigned long i = 0; i < n; i++)
			ptrace(PTRACE_DETACH, t[i], NULL, NULL);
	signal(sig, SIG_DFL);
	raise(sig);
}

void ml_cleanup_init(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on_signal }, old;
	main_tid = (pid_t)syscall(SYS_gettid);
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		/* nohup and background jobs ignore these: keep it that way */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
	/* A closed pipe on -o - is an error we report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
}

int ml_cleanup_add_tmp(const char *path)
{
	for (int i = 0; i < MAX_TMP; i++)
		if (!tmp_paths[i]) {
			tmp_paths[i] = path;
			return 0;
		}
	return -1;
}

void ml_cleanup_del_tmp(const char *path)
{
	for (int i = 0; i < MAX_TMP; i++)
		if (tmp_paths[i] == path)
			tmp_paths[i] = NULL;
}

void ml_cleanup_tracees(const int *tids, unsigned long n)
{
	/* Publish in an order the handler can never misread. */
	ntracees = 0;
	tracees = tids;
	ntracees = n;
}
