/*
 * procs: the --system walk over /proc shared by find and triage (procs.h).
 */
#include "config.h"
#include "procs.h"
#include "util.h"
#include "json.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void reason_add(struct ml_unreadable *u, const char *why, int pid)
{
	u->total++;
	for (size_t i = 0; i < u->count; i++)
		if (!strcmp(u->why[i], why)) {
			u->n[i]++;
			return;
		}
	u->why = ml_reallocarray(u->why, u->count + 1, sizeof *u->why);
	u->n = ml_reallocarray(u->n, u->count + 1, sizeof *u->n);
	u->pid = ml_reallocarray(u->pid, u->count + 1, sizeof *u->pid);
	u->why[u->count] = ml_strdup(why);
	u->n[u->count] = 1;
	u->pid[u->count++] = pid;
}

/* "pid 123: no such process" -> "no such process": one reason for many pids. */
static const char *strip_pid(const char *msg)
{
	if (!strncmp(msg, "pid ", 4)) {
		const char *c = strstr(msg, ": ");
		if (c)
			return c + 2;
	}
	return msg;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int ml_for_each_process(const struct ml_open_opts *oo, int (*cb)(void *ctx, struct ml_space *s),
			void *ctx, struct ml_unreadable *u)
{
	memset(u, 0, sizeof *u);
	DIR *d = opendir("/proc");
	if (!d) {
		ml_err("/proc: cannot list processes");
		return -1;
	}
	int self = (int)getpid(), *pids = NULL, ret = 0;
	size_t np = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		uint64_t pid;
		if (ml_parse_uint(e->d_name, 1, INT32_MAX, &pid) || (int)pid == self)
			continue;
		if (np == cap) {
			cap = cap ? cap * 2 : 256;
			pids = ml_reallocarray(pids, cap, sizeof *pids);
		}
		pids[np++] = (int)pid;
	}
	closedir(d);
	if (np > 1)
		qsort(pids, np, sizeof *pids, cmp_int);
	for (size_t i = 0; i < np && !ret; i++) {
		char name[32], why[512];
		snprintf(name, sizeof name, "%d", pids[i]);
		struct ml_space *s;
		ml_diag_capture(why, sizeof why);
		int r = ml_space_open(&s, name, oo);
		ml_diag_capture(NULL, 0);
		if (r) {
			/* A kernel thread is no failure: it has no user memory to read. */
			if (strstr(why, "kernel thread"))
				u->kernel++;
			else
				reason_add(u, strip_pid(why), pids[i]);
			continue;
		}
		if (s->n == 0) {
			u->kernel++;
			ml_space_close(s);
			continue;
		}
		u->done++;
		ret = cb(ctx, s);
		ml_space_close(s);
	}
	free(pids);
	return ret;
}

void ml_unreadable_free(struct ml_unreadable *u)
{
	for (size_t i = 0; i < u->count; i++)
		free(u->why[i]);
	free(u->why);
	free(u->n);
	free(u->pid);
	memset(u, 0, sizeof *u);
}

json_t *ml_json_unreadable(const struct ml_unreadable *u)
{
	json_t *a = json_array();
	for (size_t i = 0; i < u->count; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "reason", ml_json_str(u->why[i]));
		json_object_set_new(o, "processes", json_integer((json_int_t)u->n[i]));
		json_object_set_new(o, "example_pid", json_integer(u->pid[i]));
		json_array_append_new(a, o);
	}
	return a;
}

void ml_print_unreadable(FILE *f, const struct ml_unreadable *u)
{
	fprintf(f, "# %llu kernel thread%s skipped; %llu process%s unreadable\n", (unsigned long long)u->kernel,
		u->kernel == 1 ? "" : "s", (unsigned long long)u->total, u->total == 1 ? "" : "es");
	for (size_t i = 0; i < u->count; i++) {
		fprintf(f, "#   %llu: ", (unsigned long long)u->n[i]);
		ml_fputs_escaped(f, u->why[i]);
		fprintf(f, " (e.g. pid %d)\n", u->pid[i]);
	}
}
