/*
 * snapshot_proc: what a core says about the process besides its memory,
 * read where the kernel keeps it — /proc/PID/stat, status, cmdline, auxv,
 * coredump_filter and smaps; each stopped thread's registers through
 * PTRACE_GETREGSET (general, FP, XSAVE: the sizes the kernel reports).
 * Without --freeze nothing is traced: a blocked thread's stack and
 * instruction pointers come from /proc/PID/task/TID/syscall.  Everything
 * read here is parsed as hostile text.
 */
#include "config.h"
#include "snapshot.h"
#include "util.h"

#include <elf.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define XSTATE_MAX (64 * 1024)
#define PROC_TEXT_MAX (1 << 20)

/* The fields of /proc/.../stat a core needs (proc(5) numbering). */
struct pstat {
	char state;		/* 3 */
	long long ppid, pgrp, sid;	/* 4, 5, 6 */
	unsigned long long flags;	/* 9 */
	unsigned long long utime, stime, cutime, cstime;	/* 14-17, clock ticks */
	long long nice;		/* 19 */
};

static int read_pstat(const char *path, struct pstat *st)
{
	char *text = ml_read_text(path, 4096, NULL);
	if (!text)
		return -1;
	/* comm may hold spaces and ')': the fields start after the last ')'. */
	char *p = strrchr(text, ')');
	long long f[20] = { 0 };
	int n = 3;
	memset(st, 0, sizeof *st);
	if (!p || p[1] != ' ' || !p[2]) {
		free(text);
		return -1;
	}
	st->state = p[2];
	p += 3;
	while (n < 19 && *p == ' ') {
		char *e;
		errno = 0;
		long long v = strtoll(p + 1, &e, 10);
		if (e == p + 1 || errno)
			break;
		f[++n] = v;
		p = e;
	}
	free(text);
	if (n < 19)
		return -1;
	st->ppid = f[4];
	st->pgrp = f[5];
	st->sid = f[6];
	st->flags = (unsigned long long)f[9];
	st->utime = (unsigned long long)f[14];
	st->stime = (unsigned long long)f[15];
	st->cutime = (unsigned long long)f[16];
	st->cstime = (unsigned long long)f[17];
	st->nice = f[19];
	return 0;
}

/* The value after "Key:" in a status file, or NULL. */
static const char *status_field(const char *text, const char *key)
{
	size_t k = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, key, k) && l[k] == ':')
			return l + k + 1;
	return NULL;
}

static uint64_t status_hex(const char *text, const char *key)
{
	const char *v = status_field(text, key);
	return v ? strtoull(v, NULL, 16) : 0;
}

static long long status_num(const char *text, const char *key)
{
	const char *v = status_field(text, key);
	return v ? strtoll(v, NULL, 10) : 0;
}

static struct ml_timeval ticks_tv(unsigned long long t)
{
	static long hz;
	if (!hz)
		hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
	return (struct ml_timeval){ (int64_t)(t / (unsigned long long)hz),
				    (int64_t)(t % (unsigned long long)hz * 1000000ULL / (unsigned long long)hz) };
}

int ml_snap_precheck(int pid, char *state, int *tracer)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	char *text = ml_read_text(path, PROC_TEXT_MAX, NULL);
	if (!text) {
		if (errno == ENOENT || errno == ESRCH)
			ml_err("pid %d: no such process", pid);
		else
			ml_err("pid %d: cannot read %s: %s", pid, path, strerror(errno));
		return -1;
	}
	const char *st = status_field(text, "State");
	*state = 0;
	if (st) {
		st += strspn(st, " \t");
		*state = *st;
	}
	*tracer = (int)status_num(text, "TracerPid");
	free(text);
	return 0;
}

/* The general registers a blocked thread shows in /proc/PID/task/TID/syscall. */
static void syscall_regs(int pid, int tid, struct ml_prstatus *st)
{
	char path[96];
	snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", pid, tid);
	char *text = ml_read_text(path, 4096, NULL);
	if (!text)
		return;
	unsigned long long v[9];
	long long nr;
	/* "NR a1 a2 a3 a4 a5 a6 SP PC" in a system call, "-1 SP PC" when blocked outside one */
	int n = sscanf(text, "%lld %llx %llx %llx %llx %llx %llx %llx %llx", &nr, &v[0], &v[1], &v[2],
		       &v[3], &v[4], &v[5], &v[6], &v[7]);
	static const int argreg[6] = { ML_REG_RDI, 13 /* rsi */, 12 /* rdx */, 7 /* r10 */, 9 /* r8 */,
				       8 /* r9 */ };
	if (n == 9) {
		st->regs[ML_REG_ORIG_RAX] = (uint64_t)nr;
		for (int i = 0; i < 6; i++)
			st->regs[argreg[i]] = v[i];
		st->regs[ML_REG_RSP] = v[6];
		st->regs[ML_REG_RIP] = v[7];
	} else if (n == 3 && nr == -1) {
		st->regs[ML_REG_ORIG_RAX] = (uint64_t)-1;
		st->regs[ML_REG_RSP] = v[0];
		st->regs[ML_REG_RIP] = v[1];
	}
	st->regs[17] = 0x33;	/* cs and ss of 64-bit user code */
	st->regs[20] = 0x2b;
	free(text);
}

static int getregset(int tid, unsigned type, void *buf, size_t *len)
{
	struct iovec iov = { buf, *len };
	if (ptrace(PTRACE_GETREGSET, tid, (void *)(uintptr_t)type, &iov))
		return -1;
	*len = iov.iov_len;
	return 0;
}

/*
 * One thread's prstatus, from its stat and status; its registers by ptrace
 * when frozen.  1 done, 0 the thread is gone, -1 after a diagnostic.
 */
static int read_thread(int pid, int tid, bool frozen, const struct pstat *group, struct ml_snap_thread *t)
{
	char path[96];
	struct pstat ts;
	memset(t, 0, sizeof *t);
	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
	if (read_pstat(path, &ts))
		return 0;
	snprintf(path, sizeof path, "/proc/%d/task/%d/status", pid, tid);
	char *status = ml_read_text(path, PROC_TEXT_MAX, NULL);
	if (!status)
		return 0;
	struct ml_prstatus *st = &t->st;
	st->pid = tid;
	st->ppid = (int)ts.ppid;
	st->pgrp = (int)ts.pgrp;
	st->sid = (int)ts.sid;
	st->sigpend = status_hex(status, "SigPnd");
	st->sighold = status_hex(status, "SigBlk");
	free(status);
	/* fill_prstatus: the leader's times are the whole group's. */
	const struct pstat *times = tid == pid ? group : &ts;
	st->utime = ticks_tv(times->utime);
	st->stime = ticks_tv(times->stime);
	st->cutime = ticks_tv(group->cutime);
	st->cstime = ticks_tv(group->cstime);
	if (!frozen) {
		t->regs_partial = true;
		syscall_regs(pid, tid, st);
		return 1;
	}
	size_t len = ML_USER_REGS_SIZE;
	if (getregset(tid, NT_PRSTATUS, st->regs, &len) || len != ML_USER_REGS_SIZE) {
		if (errno == ESRCH)
			return 0;
		ml_err("pid %d: thread %d: cannot read its registers: %s", pid, tid, strerror(errno));
		return -1;
	}
	len = ML_FPREGS_SIZE;
	if (getregset(tid, NT_PRFPREG, t->fp, &len) == 0 && len == ML_FPREGS_SIZE) {
		t->has_fp = true;
		st->fpvalid = 1;
	}
	unsigned char *x = ml_malloc(XSTATE_MAX);
	len = XSTATE_MAX;
	if (getregset(tid, NT_X86_XSTATE, x, &len) == 0 && len > 0) {
		t->xstate = ml_reallocarray(x, len, 1);
		t->xstate_len = len;
	} else {
		free(x);
	}
	return 1;
}

static bool listed(const int *tids, size_t n, int tid)
{
	for (size_t i = 0; i < n; i++)
		if (tids[i] == tid)
			return true;
	return false;
}

/* The threads to describe: the stopped ones, or (not frozen) those /proc lists now. */
static int *thread_list(const struct ml_space *s, bool frozen, size_t *n)
{
	*n = 0;
	if (frozen) {
		int *t = ml_calloc(s->ntids ? s->ntids : 1, sizeof *t);
		memcpy(t, s->tids, s->ntids * sizeof *t);
		*n = s->ntids;
		return t;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", s->pid);
	DIR *d = opendir(path);
	size_t cap = 16;
	int *t = ml_calloc(cap, sizeof *t);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		uint64_t tid;
		if (ml_parse_uint(de->d_name, 1, 0x7fffffff, &tid) || listed(t, *n, (int)tid))
			continue;
		if (*n == cap) {
			t = ml_reallocarray(t, cap * 2, sizeof *t);
			cap *= 2;
		}
		t[(*n)++] = (int)tid;
	}
	if (d)
		closedir(d);
	return t;
}

int ml_snap_proc_read(struct ml_space *s, bool frozen, struct ml_snap_proc *p)
{
	char path[64];
	int pid = s->pid;
	struct pstat group;
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (read_pstat(path, &group)) {
		ml_err("pid %d: cannot read %s: %s", pid, path, errno ? strerror(errno) : "malformed");
		return -1;
	}
	struct ml_prpsinfo *ps = &p->ps;
	ml_psinfo_state(ps, p->state ? p->state : group.state);
	ps->nice = (char)group.nice;
	ps->flag = group.flags;
	ps->pid = pid;
	ps->ppid = (int)group.ppid;
	ps->pgrp = (int)group.pgrp;
	ps->sid = (int)group.sid;
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	char *status = ml_read_text(path, PROC_TEXT_MAX, NULL);
	if (status) {
		ps->uid = (uint32_t)status_num(status, "Uid");
		ps->gid = (uint32_t)status_num(status, "Gid");
		free(status);
	}
	/* pr_fname is comm, not NUL-terminated when it fills all 16 bytes */
	if (s->comm)
		memcpy(ps->fname, s->comm, ML_MIN(strlen(s->comm), sizeof ps->fname));
	size_t len = 0;
	snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
	char *args = ml_read_text(path, 4096, &len);
	if (!args && errno == EFBIG) {
		/* only the first 79 bytes are kept: read those */
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		args = ml_calloc(1, 80);
		ssize_t k = fd >= 0 ? read(fd, args, 79) : -1;
		len = k > 0 ? (size_t)k : 0;
		if (fd >= 0)
			close(fd);
	}
	ml_psargs(ps->psargs, args ? args : "", args ? len : 0);
	free(args);

	snprintf(path, sizeof path, "/proc/%d/auxv", pid);
	p->auxv = (unsigned char *)ml_read_text(path, 64 * 1024, &p->auxv_len);
	if (!p->auxv)
		p->auxv_len = 0;
	snprintf(path, sizeof path, "/proc/%d/coredump_filter", pid);
	char *cf = ml_read_text(path, 64, NULL);
	if (cf && !ml_parse_addr(strtok(cf, "\n"), &p->filter))
		p->filter_known = true;
	free(cf);

	size_t n;
	int *tids = thread_list(s, frozen, &n);
	/* The kernel writes the dumping thread first; here the main thread is. */
	for (size_t i = 1; i < n; i++)
		if (tids[i] == pid) {
			tids[i] = tids[0];
			tids[0] = pid;
		}
	p->t = ml_calloc(n ? n : 1, sizeof *p->t);
	int ret = 0;
	for (size_t i = 0; i < n; i++) {
		int r = read_thread(pid, tids[i], frozen, &group, &p->t[p->nt]);
		if (r < 0) {
			ret = -1;
			break;
		}
		p->nt += (size_t)r;
	}
	free(tids);
	if (!ret && !p->nt) {
		ml_err("pid %d: no thread left to describe (it exited)", pid);
		ret = -1;
	}
	return ret;
}

void ml_snap_proc_free(struct ml_snap_proc *p)
{
	for (size_t i = 0; i < p->nt; i++)
		free(p->t[i].xstate);
	free(p->t);
	free(p->auxv);
	memset(p, 0, sizeof *p);
}

unsigned *ml_snap_vmflags(const struct ml_space *s)
{
	char path[64];
	unsigned *fl = ml_calloc(s->n ? s->n : 1, sizeof *fl);
	snprintf(path, sizeof path, "/proc/%d/smaps", s->pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return fl;
	char *line = NULL;
	size_t cap = 0;
	long cur = -1;
	while (getline(&line, &cap, f) > 0) {
		struct ml_region r;
		if (!strncmp(line, "VmFlags:", 8)) {
			if (cur < 0)
				continue;
			for (char *t = strtok(line + 8, " \n"); t; t = strtok(NULL, " \n")) {
				if (!strcmp(t, "dd")) fl[cur] |= ML_VMF_DONTDUMP;
				else if (!strcmp(t, "io")) fl[cur] |= ML_VMF_IO;
				else if (!strcmp(t, "ht")) fl[cur] |= ML_VMF_HUGETLB;
				else if (!strcmp(t, "sh")) fl[cur] |= ML_VMF_SHARED;
			}
		} else if (line[0] != ' ' && strchr(line, '-') && ml_parse_maps_line(line, &r) == 0) {
			long i = ml_regions_find(s->r, s->n, r.start);
			cur = i >= 0 && s->r[i].start == r.start ? i : -1;
			free(r.path);
		}
	}
	free(line);
	fclose(f);
	return fl;
}

bool ml_snap_file_backed(const struct ml_region *r)
{
	return r->inode != 0 || (r->path && r->path[0] == '/');
}

char *ml_snap_map_name(const struct ml_space *s, const struct ml_region *r)
{
	char mf[96], buf[4096 + 16];
	if (!ml_snap_file_backed(r))
		return NULL;
	snprintf(mf, sizeof mf, "/proc/%d/map_files/%llx-%llx", s->pid, (unsigned long long)r->start,
		 (unsigned long long)r->end);
	ssize_t k = readlink(mf, buf, sizeof buf - 1);
	if (k > 0) {
		buf[k] = '\0';
		return ml_strdup(buf);
	}
	if (!r->path)
		return NULL;
	size_t l = strlen(r->path) + 16;
	char *name = ml_malloc(l);
	snprintf(name, l, "%s%s", r->path, r->deleted ? " (deleted)" : "");
	return name;
}
