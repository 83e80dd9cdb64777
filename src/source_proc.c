/*
 * source_proc: a live process through /proc.  Regions come from
 * /proc/PID/maps, parsed exactly as the kernel prints it; bytes come from
 * /proc/PID/mem in large preads, and pages the kernel will not give become
 * holes.  --freeze stops every thread with PTRACE_SEIZE + PTRACE_INTERRUPT
 * (which, unlike SIGSTOP, leaves nothing stopped if memlens dies).
 */
#include "config.h"
#include "source.h"
#include "util.h"
#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

/* Where a 64-bit kernel starts the path column (seq_pad in task_mmu.c). */
#define MAPS_PATH_COL 73

static const char *hexnum(const char *p, uint64_t *v, char stop)
{
	uint64_t x = 0;
	const char *s = p;
	for (; *p && *p != stop; p++) {
		int d;
		if (*p >= '0' && *p <= '9') d = *p - '0';
		else if (*p >= 'a' && *p <= 'f') d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F') d = *p - 'A' + 10;
		else return NULL;
		if (x >> 60)
			return NULL;
		x = x << 4 | (unsigned)d;
	}
	if (p == s || *p != stop)
		return NULL;
	*v = x;
	return p + 1;
}

static enum ml_kind kind_of_path(const char *path)
{
	if (!path)
		return ML_KIND_ANON;
	if (path[0] != '[')
		return ML_KIND_FILE;
	if (!strcmp(path, "[heap]"))
		return ML_KIND_HEAP;
	if (!strcmp(path, "[stack]") || !strncmp(path, "[stack:", 7))
		return ML_KIND_STACK;
	if (!strcmp(path, "[vdso]"))
		return ML_KIND_VDSO;
	if (!strncmp(path, "[vvar", 5))
		return ML_KIND_VVAR;
	if (!strcmp(path, "[vsyscall]"))
		return ML_KIND_VSYSCALL;
	if (!strncmp(path, "[anon:", 6) || !strncmp(path, "[anon_shmem:", 12))
		return ML_KIND_ANON;
	return ML_KIND_OTHER;
}

int ml_parse_maps_line(const char *line, struct ml_region *r)
{
	uint64_t start, end, off, maj, min, ino;
	const char *p = line;
	memset(r, 0, sizeof *r);
	if (!(p = hexnum(p, &start, '-')) || !(p = hexnum(p, &end, ' ')))
		return -1;
	if (strlen(p) < 5 || p[4] != ' ')
		return -1;
	static const char want[4][3] = { "r-", "w-", "x-", "ps" };
	for (int i = 0; i < 4; i++)
		if (p[i] != want[i][0] && p[i] != want[i][1])
			return -1;
	r->prot = (p[0] == 'r' ? ML_PROT_R : 0) | (p[1] == 'w' ? ML_PROT_W : 0) |
		  (p[2] == 'x' ? ML_PROT_X : 0) | (p[3] == 's' ? ML_PROT_SHARED : 0);
	p += 5;
	if (!(p = hexnum(p, &off, ' ')) || !(p = hexnum(p, &maj, ':')) ||
	    !(p = hexnum(p, &min, ' ')))
		return -1;
	char *q;
	errno = 0;
	ino = strtoull(p, &q, 10);
	if (errno || q == p || (*q && *q != ' ' && *q != '\n'))
		return -1;
	if (end <= start)
		return -1;

	size_t len = strcspn(line, "\n");
	size_t pos = (size_t)(q - line);
	const char *path = NULL;
	size_t plen = 0;
	if (pos < len) {
		/* Padding to the path column, or the one space seq_pad adds past it. */
		size_t i = pos;
		while (i < len && i < MAPS_PATH_COL && line[i] == ' ')
			i++;
		if (i == MAPS_PATH_COL && i < len)
			path = line + i;
		else if (i < len)
			path = line + pos + 1;
		if (path)
			plen = len - (size_t)(path - line);
	}
	r->start = start;
	r->end = end;
	r->file_offset = off;
	r->dev_major = (unsigned)maj;
	r->dev_minor = (unsigned)min;
	r->inode = ino;
	if (path && plen) {
		static const char del[] = " (deleted)";
		if (plen > sizeof del - 1 && !memcmp(path + plen - (sizeof del - 1), del, sizeof del - 1)) {
			plen -= sizeof del - 1;
			r->deleted = true;
		}
		r->path = ml_strndup(path, plen);
	}
	r->kind = kind_of_path(r->path);
	r->captured = end - start;
	return 0;
}

static void proc_error(int pid, const char *what, int e)
{
	if (e == ENOENT || e == ESRCH)
		ml_err("pid %d: no such process", pid);
	else if (e == EACCES || e == EPERM)
		ml_err("pid %d: cannot read %s: %s (run as root or check ptrace permissions)",
		       pid, what, strerror(e));
	else
		ml_err("pid %d: cannot read %s: %s", pid, what, strerror(e));
}

static int read_maps(struct ml_space *s, int pid)
{
	char path[64];
	size_t len;
	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	char *text = ml_read_text(path, (size_t)1 << 30, &len);
	if (!text) {
		proc_error(pid, "its memory map", errno);
		return -1;
	}
	size_t cap = 64;
	s->r = ml_calloc(cap, sizeof *s->r);
	for (char *line = text; *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (*line) {
			if (s->n == cap) {
				s->r = ml_reallocarray(s->r, cap * 2, sizeof *s->r);
				cap *= 2;
			}
			struct ml_region *r = &s->r[s->n];
			if (ml_parse_maps_line(line, r)) {
				char *e = ml_escape(line);
				ml_warn("pid %d: skipping a maps line memlens cannot parse: %s", pid, e);
				free(e);
			} else {
				/* The kernel will not hand these out through mem. */
				if (r->kind == ML_KIND_VVAR || r->kind == ML_KIND_VSYSCALL)
					r->captured = 0;
				s->n++;
			}
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	free(text);
	if (ml_regions_sort_check(s->r, s->n)) {
		ml_err("pid %d: its memory map changed while being read; try --freeze", pid);
		return -1;
	}
	return 0;
}

static bool have_tid(const struct ml_space *s, int tid)
{
	for (size_t i = 0; i < s->ntids; i++)
		if (s->tids[i] == tid)
			return true;
	return false;
}

/* Stops every thread; repeats the listing until no new thread appears. */
static int freeze(struct ml_space *s, int pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	size_t cap = 16;
	s->tids = ml_calloc(cap, sizeof *s->tids);
	for (int round = 0; round < 100; round++) {
		DIR *d = opendir(path);
		bool added = false;
		if (!d) {
			proc_error(pid, "its threads", errno);
			return -1;
		}
		struct dirent *de;
		while ((de = readdir(d))) {
			uint64_t tid;
			if (ml_parse_uint(de->d_name, 1, 0x7fffffff, &tid) || have_tid(s, (int)tid))
				continue;
			if (ptrace(PTRACE_SEIZE, (pid_t)tid, NULL, NULL)) {
				if (errno == ESRCH)
					continue;	/* the thread ended meanwhile */
				int e = errno;
				closedir(d);
				ml_err("pid %d: cannot freeze thread %d: %s (run as root or check ptrace permissions)",
				       pid, (int)tid, strerror(e));
				return -1;
			}
			if (s->ntids == cap) {
				int *t = ml_calloc(cap * 2, sizeof *t);
				memcpy(t, s->tids, cap * sizeof *t);
				/* Keep the handler's view valid while swapping arrays. */
				ml_cleanup_tracees(t, s->ntids);
				free(s->tids);
				s->tids = t;
				cap *= 2;
			}
			s->tids[s->ntids++] = (int)tid;
			ml_cleanup_tracees(s->tids, s->ntids);
			if (ptrace(PTRACE_INTERRUPT, (pid_t)tid, NULL, NULL) == 0) {
				int st;
				while (waitpid((pid_t)tid, &st, __WALL) < 0 && errno == EINTR)
					;
			}
			added = true;
		}
		closedir(d);
		if (!added)
			return 0;
	}
	ml_err("pid %d: threads keep appearing; cannot freeze it", pid);
	return -1;
}

void ml_live_release(struct ml_space *s)
{
	for (size_t i = 0; i < s->ntids; i++)
		ptrace(PTRACE_DETACH, s->tids[i], NULL, NULL);
	ml_cleanup_tracees(NULL, 0);
	s->ntids = 0;
}

int ml_open_live(struct ml_space *s, int pid, bool do_freeze)
{
	char path[64];
	s->pid = pid;
	if (do_freeze && freeze(s, pid))
		return -1;
	if (read_maps(s, pid))
		return -1;
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0) {
		proc_error(pid, "its memory", errno);
		return -1;
	}
	snprintf(path, sizeof path, "/proc/%d/comm", pid);
	char *comm = ml_read_text(path, 4096, NULL);
	if (comm) {
		comm[strcspn(comm, "\n")] = '\0';
		s->comm = comm;
	}
	return 0;
}

/* pread cannot take offsets at or above 2^63 (vsyscall); lseek can. */
static ssize_t mem_pread(int fd, void *buf, size_t n, uint64_t addr)
{
	if (addr <= (uint64_t)INT64_MAX)
		return pread(fd, buf, n, (off_t)addr);
	if (lseek(fd, (off_t)addr, SEEK_SET) == (off_t)-1 && errno)
		return -1;
	return read(fd, buf, n);
}

size_t ml_live_read(struct ml_space *s, const struct ml_region *r, uint64_t addr,
		    size_t n, void *buf, bool *hole)
{
	uint64_t ps = s->page_size;
	if (s->exited || r->captured == 0) {
		*hole = true;
		return n;
	}
	size_t got = 0;
	while (got < n) {
		ssize_t k = mem_pread(s->fd, (char *)buf + got, n - got, addr + got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k > 0) {
			got += (size_t)k;
			continue;
		}
		if (got)
			break;
		if (k == 0 && addr <= (uint64_t)INT64_MAX) {
			/* mem reads 0 bytes once the process's mm is gone. */
			if (kill(s->pid, 0) && errno == ESRCH) {
				ml_warn("pid %d exited while being read; the rest is holes", s->pid);
				s->exited = true;
			}
		}
		/* Unreadable here: find where readable pages start again. */
		uint64_t next = (addr | (ps - 1)) + 1;
		size_t len = (size_t)ML_MIN((uint64_t)n, next - addr);
		unsigned char probe;
		while (!s->exited && len < n &&
		       mem_pread(s->fd, &probe, 1, addr + len) != 1)
			len = (size_t)ML_MIN((uint64_t)n, (uint64_t)len + ps);
		*hole = true;
		return s->exited ? n : len;
	}
	*hole = false;
	return got;
}
