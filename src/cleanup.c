/*
 * cleanup: signal-safe undo of temporary files and ptrace stops.  Only
 * async-signal-safe calls (unlink, ptrace, signal, raise) happen in the
 * handler; the state it reads is published before it can be needed.
 */
#include "config.h"
#include "cleanup.h"

#include <signal.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <unistd.h>

static const char *volatile tmp_path;
static const int *volatile tracees;
static volatile unsigned long ntracees;

static void on_signal(int sig)
{
	const char *p = tmp_path;
	if (p)
		unlink(p);
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
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		sigaddset(&sa.sa_mask, sigs[i]);
	}
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
	/* A closed pipe on -o - is an error we report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
}

void ml_cleanup_tmpfile(const char *path)
{
	tmp_path = path;
}

void ml_cleanup_tracees(const int *tids, unsigned long n)
{
	/* Publish in an order the handler can never misread. */
	ntracees = 0;
	tracees = tids;
	ntracees = n;
}
