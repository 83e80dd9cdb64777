/*
 * source_proc: a live process through /proc.  Regions come from
 * /proc/PID/maps, parsed exactly as the kernel prints it.  Bytes are read
 * without changing the process: pages in memory (or swap) come from
 * /proc/PID/mem in large preads; pages it never touched are never read
 * there (that would map them in) but given as what they hold: zeros for
 * anonymous memory, the mapped file's bytes (through map_files) for file
 * and shared mappings (see livemap.h).  Pages the kernel will not give
 * become holes.  --freeze stops every thread with PTRACE_SEIZE +
 * PTRACE_INTERRUPT (which, unlike SIGSTOP, leaves nothing stopped if
 * memlens dies).  When the kernel refuses, the error says why: a kernel
 * thread, a zombie, a missing capability, Yama.
 */
#include "config.h"
#include "source_impl.h"
#include "livemap.h"
#include "util.h"
#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

/* What /proc/PID/stat says: the state letter, kernel thread or not, the name. */
struct proc_stat {
	char state;
	bool kthread;
	int ppid;
	char *comm;	/* untrusted */
};

#define PF_KTHREAD 0x00200000u	/* include/linux/sched.h: the flags field of stat */

/* 0, or -1 with errno set (ENOENT: no such process). */
static int proc_stat(int pid, struct proc_stat *st)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	char *text = ml_read_text(path, 4096, NULL);
	if (!text)
		return -1;
	/* The name may hold any byte, ')' too: it ends at the last ')'. */
	char *open = strchr(text, '('), *close = strrchr(text, ')');
	unsigned flags = 0;
	if (!open || !close || close < open ||
	    sscanf(close + 1, " %c %d %*d %*d %*d %*d %u", &st->state, &st->ppid, &flags) != 3) {
		free(text);
		errno = EINVAL;
		return -1;
	}
	st->kthread = flags & PF_KTHREAD;
	*close = '\0';
	st->comm = ml_escape(open + 1);
	free(text);
	return 0;
}

/* The number after "KEY:" in /proc/PID/status (or self), or -1. */
static long long status_field(const char *who, const char *key, int base)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%s/status", who);
	char *text = ml_read_text(path, 1 << 16, NULL);
	long long v = -1;
	size_t kl = strlen(key);
	for (char *line = text; line && *line;) {
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			char *end;
			errno = 0;
			unsigned long long x = strtoull(line + kl + 1, &end, base);
			if (!errno && end != line + kl + 1 && x <= (unsigned long long)LLONG_MAX)
				v = (long long)x;
			break;
		}
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	free(text);
	return v;
}

/* A small integer from a /proc or /sys file, or -1 (absent: no Yama). */
static long small_file_number(const char *path)
{
	char *text = ml_read_text(path, 64, NULL);
	uint64_t v;
	long r = -1;
	if (text) {
		text[strcspn(text, "\n")] = '\0';
		if (!ml_parse_uint(text, 0, 1 << 30, &v))
			r = (long)v;
		free(text);
	}
	return r;
}

/* True when memlens runs in the initial user namespace (its uid map is the identity). */
static bool initial_userns(void)
{
	char *map = ml_read_text("/proc/self/uid_map", 4096, NULL);
	if (!map)
		return true;
	unsigned long long a, b, n;
	char rest[2];
	bool init = sscanf(map, " %llu %llu %llu %1s", &a, &b, &n, rest) == 3 && a == 0 && b == 0 &&
		    n == 4294967295ull;
	free(map);
	return init;
}

#define CAP_SYS_PTRACE_BIT 19

void ml_proc_denied_hint(int pid, char *buf, size_t len)
{
	long scope = small_file_number("/proc/sys/kernel/yama/ptrace_scope");
	long long capeff = status_field("self", "CapEff", 16);
	bool cap = capeff >= 0 && (capeff >> CAP_SYS_PTRACE_BIT & 1);
	uid_t me = geteuid();
	char who[32];
	snprintf(who, sizeof who, "%d", pid);
	long long owner = status_field(who, "Uid", 10);	/* its real uid (the first column) */
	struct stat pst;
	char file[64];
	snprintf(file, sizeof file, "/proc/%d/status", pid);
	/* The files in /proc/PID belong to root while it is not dumpable (proc(5)). */
	bool undumpable = owner > 0 && stat(file, &pst) == 0 && pst.st_uid == 0;

	if (scope == 3)
		snprintf(buf, len, "kernel.yama.ptrace_scope is 3: no process may read another's memory, "
			 "root included, until the next boot");
	else if (!initial_userns())
		snprintf(buf, len, "memlens runs in a user namespace: its capabilities do not reach "
			 "processes outside it");
	else if (cap)
		snprintf(buf, len, "memlens has CAP_SYS_PTRACE, so a security module (AppArmor, SELinux, "
			 "Landlock) or a seccomp or namespace boundary refused it");
	else if (me == 0)
		snprintf(buf, len, "running as root but without CAP_SYS_PTRACE (CapEff %016llx): give "
			 "memlens that capability", capeff < 0 ? 0ull : (unsigned long long)capeff);
	else if (undumpable)
		snprintf(buf, len, "pid %d is not dumpable (set-id, file capabilities, or "
			 "prctl(PR_SET_DUMPABLE, 0)): only CAP_SYS_PTRACE may read it: run as root", pid);
	else if (owner >= 0 && owner != (long long)me)
		snprintf(buf, len, "pid %d belongs to uid %lld: run as root or as that user", pid, owner);
	else if (scope == 2)
		snprintf(buf, len, "kernel.yama.ptrace_scope is 2: only CAP_SYS_PTRACE may read another "
			 "process: run as root");
	else if (scope == 1)
		snprintf(buf, len, "kernel.yama.ptrace_scope is 1: only a process's ancestors may read it: "
			 "run as root, or set the sysctl to 0");
	else
		snprintf(buf, len, "run as root or check ptrace permissions");
}

/* A thread of pid other than its main one, or 0. */
static int other_thread(int pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *d = opendir(path);
	struct dirent *de;
	uint64_t tid = 0;
	while (d && (de = readdir(d)))
		if (!ml_parse_uint(de->d_name, 1, 0x7fffffff, &tid) && (int)tid != pid)
			break;
	if (d)
		closedir(d);
	return tid && (int)tid != pid ? (int)tid : 0;
}

/*
 * Why a pid that does not answer has no memory to read: gone, a kernel
 * thread, or a zombie (whose other threads may live on).  Prints one line.
 */
static void proc_gone(int pid)
{
	struct proc_stat st;
	if (proc_stat(pid, &st)) {
		ml_err("pid %d: no such process", pid);
		return;
	}
	int other = other_thread(pid);
	if (st.kthread)
		ml_err("pid %d (%s) is a kernel thread: it has no user memory to read", pid, st.comm);
	else if ((st.state == 'Z' || st.state == 'X') && other)
		ml_err("pid %d (%s): its main thread has exited, its other threads live on: read one "
		       "of them, e.g. pid:%d", pid, st.comm, other);
	else if (st.state == 'Z' || st.state == 'X')
		ml_err("pid %d (%s) is a zombie: it has exited and has no memory left (its parent, "
		       "pid %d, has not reaped it yet)", pid, st.comm, st.ppid);
	else
		ml_err("pid %d (%s): its memory is gone (it is exiting or exec'ing)", pid, st.comm);
	free(st.comm);
}

/* Kernel threads and zombies have nothing to read or freeze: say so first. */
static int check_has_memory(int pid)
{
	struct proc_stat st;
	if (proc_stat(pid, &st)) {
		if (errno == ENOENT || errno == ESRCH) {
			ml_err("pid %d: no such process", pid);
			return -1;
		}
		return 0;	/* the reads that follow say what is wrong */
	}
	bool none = st.kthread || st.state == 'Z' || st.state == 'X';
	free(st.comm);
	if (none)
		proc_gone(pid);
	return none ? -1 : 0;
}

static void proc_error(int pid, const char *what, int e)
{
	char hint[256];
	if (e == ENOENT || e == ESRCH) {
		proc_gone(pid);
	} else if (e == EACCES || e == EPERM) {
		ml_proc_denied_hint(pid, hint, sizeof hint);
		ml_err("pid %d: cannot read %s: %s (%s)", pid, what, strerror(e), hint);
	} else {
		ml_err("pid %d: cannot read %s: %s", pid, what, strerror(e));
	}
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

/* A thread that is exiting cannot be seized, and need not be. */
static bool thread_ending(int tid)
{
	struct proc_stat st;
	if (proc_stat(tid, &st))
		return true;
	bool ending = st.state == 'Z' || st.state == 'X';
	free(st.comm);
	return ending;
}

static void freeze_error(int pid, int tid, int e)
{
	char who[32], hint[256];
	snprintf(who, sizeof who, "%d", tid);
	long long tracer = status_field(who, "TracerPid", 10);
	if (e == EPERM && tracer > 0)
		snprintf(hint, sizeof hint, "it is already traced by pid %lld; only one tracer at a time",
			 tracer);
	else if (e == EPERM || e == EACCES)
		ml_proc_denied_hint(tid, hint, sizeof hint);
	else
		hint[0] = '\0';
	ml_err("pid %d: cannot freeze thread %d: %s%s%s%s", pid, tid, strerror(e),
	       *hint ? " (" : "", hint, *hint ? ")" : "");
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
				int e = errno;
				if (e == ESRCH || (e == EPERM && thread_ending((int)tid)))
					continue;	/* the thread ended meanwhile */
				closedir(d);
				freeze_error(pid, (int)tid, e);
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

/*
 * What reading needs besides the mem file: the page classes (livemap),
 * the mapped file of the last file mapping read from, memlens's own vdso
 * when it is the target's too, and which warnings were given.
 */
struct ml_live {
	struct ml_livemap *map;
	uint64_t f_start, f_end;	/* the mapping f_fd was opened for */
	int f_fd;			/* -1: none (or it could not be opened) */
	int f_err;			/* why f_start-f_end's file would not open; 0 */
	uint64_t f_size;
	int vdso_state;			/* 0 not checked, 1 own vdso usable, -1 not */
	const unsigned char *vdso;
	bool warned_fallback, warned_gone;
};

void ml_live_release(struct ml_space *s)
{
	for (size_t i = 0; i < s->ntids; i++)
		ptrace(PTRACE_DETACH, s->tids[i], NULL, NULL);
	ml_cleanup_tracees(NULL, 0);
	s->ntids = 0;
	if (s->live) {
		ml_livemap_close(s->live->map);
		if (s->live->f_fd >= 0)
			close(s->live->f_fd);
		free(s->live);
		s->live = NULL;
	}
}

static int open_live(struct ml_space *s, const struct ml_open_opts *o)
{
	char path[64];
	int pid = s->pid;
	if (check_has_memory(pid))
		return -1;
	if (o->freeze && freeze(s, pid))
		return -1;
	if (read_maps(s, pid))
		return -1;
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0) {
		proc_error(pid, "its memory", errno);
		return -1;
	}
	s->live = ml_calloc(1, sizeof *s->live);
	s->live->f_fd = -1;
	/* Reads ask pagemap first: without it they would fault pages in. */
	if (!(s->live->map = ml_livemap_open(pid)))
		return -1;
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

static void went_away(struct ml_space *s)
{
	if (!s->exited)
		ml_warn("pid %d exited (or exec'd) while being read; the rest is holes", s->pid);
	s->exited = true;
}

/*
 * Present or swapped pages [addr, addr+n), through /proc/PID/mem: the
 * data read, or (*hole) how far the unreadable part reaches, found by
 * probing page by page (these pages are in memory: probing faults none).
 */
static size_t mem_read(struct ml_space *s, uint64_t addr, size_t n, void *buf, bool *hole)
{
	uint64_t ps = s->page_size;
	size_t got = 0;
	*hole = false;
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
		/* mem reads 0 bytes only once the address space is gone. */
		if (k == 0 && addr <= (uint64_t)INT64_MAX) {
			went_away(s);
			*hole = true;
			return n;
		}
		uint64_t next = (addr | (ps - 1)) + 1;
		size_t len = (size_t)ML_MIN((uint64_t)n, next - addr);
		unsigned char probe;
		while (len < n && mem_pread(s->fd, &probe, 1, addr + len) != 1)
			len = (size_t)ML_MIN((uint64_t)n, (uint64_t)len + ps);
		*hole = true;
		return len;
	}
	return got;
}

/*
 * The vdso is the kernel's: every 64-bit process maps the same pages.
 * When the target's auxv names this mapping as its 64-bit vdso and it is
 * as long as memlens's own, memlens's copy gives the bytes of its pages
 * that the target never touched.
 */
static bool own_vdso(struct ml_space *s, const struct ml_region *r)
{
	struct ml_live *L = s->live;
	if (L->vdso_state)
		return L->vdso_state > 0;
	L->vdso_state = -1;
	uint64_t mine = getauxval(AT_SYSINFO_EHDR), len = r->end - r->start;
	char path[64];
	size_t n = 0;
	snprintf(path, sizeof path, "/proc/%d/auxv", s->pid);
	char *auxv = ml_read_text(path, 1 << 16, &n);
	bool named = false;
	for (size_t i = 0; auxv && i + 16 <= n; i += 16) {
		uint64_t kv[2];
		memcpy(kv, auxv + i, sizeof kv);
		if (kv[0] == AT_SYSINFO_EHDR && kv[1] == r->start)
			named = true;
	}
	free(auxv);
	char *maps = named && mine ? ml_read_text("/proc/self/maps", (size_t)1 << 30, NULL) : NULL;
	for (char *line = maps; line && *line;) {
		struct ml_region m;
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!ml_parse_maps_line(line, &m)) {
			if (m.start == mine && m.kind == ML_KIND_VDSO && m.end - m.start == len) {
				L->vdso = (const unsigned char *)(uintptr_t)mine;
				L->vdso_state = 1;
			}
			free(m.path);
		}
		line = nl ? nl + 1 : NULL;
	}
	free(maps);
	return L->vdso_state > 0;
}

/* Is st the file maps listed for r (same inode on the same device)? */
static bool same_file(const struct ml_region *r, const struct stat *st)
{
	return st->st_ino == r->inode && major(st->st_dev) == r->dev_major &&
	       minor(st->st_dev) == r->dev_minor;
}

/* r's file through a descriptor the process still holds (a memfd, a deleted file). */
static int open_by_fd(int pid, const struct ml_region *r, struct stat *st)
{
	char dir[64], path[64 + sizeof ((struct dirent *)0)->d_name];
	snprintf(dir, sizeof dir, "/proc/%d/fd", pid);
	DIR *d = opendir(dir);
	struct dirent *de;
	int fd = -1;
	while (d && fd < 0 && (de = readdir(d))) {
		uint64_t n;
		struct stat peek;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		/* stat follows the link without opening what it leads to. */
		if (ml_parse_uint(de->d_name, 0, INT_MAX, &n) || stat(path, &peek) ||
		    !S_ISREG(peek.st_mode) || !same_file(r, &peek))
			continue;
		fd = ml_open_typed(path, false, st);
		if (fd >= 0 && !same_file(r, st)) {
			close(fd);
			fd = -1;
		}
	}
	if (d)
		closedir(d);
	return fd;
}

/*
 * The file mapped at r, for reading its pages that are not in memory:
 * through /proc/PID/map_files (the very file, even deleted; needs
 * CAP_SYS_ADMIN), else by its path when that still names the same inode,
 * else through a descriptor of the process.  -1 with errno (map_files's)
 * when none opens.
 */
static int mapped_file(struct ml_space *s, const struct ml_region *r, const struct ml_lm_run *run)
{
	struct ml_live *L = s->live;
	uint64_t a = run->vma_known ? run->vma_start : r->start;
	uint64_t b = run->vma_known ? run->vma_end : r->end;
	if (L->f_start == a && L->f_end == b && (L->f_fd >= 0 || L->f_err)) {
		errno = L->f_err;
		return L->f_fd;
	}
	if (L->f_fd >= 0)
		close(L->f_fd);
	L->f_fd = -1;
	L->f_start = a;
	L->f_end = b;
	char path[96];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, s->pid, a, b);
	int fd = ml_open_typed(path, false, &st);
	int e = errno;
	if (fd < 0 && r->path && r->path[0] == '/' && !r->deleted) {
		fd = ml_open_typed(r->path, false, &st);
		if (fd >= 0 && !same_file(r, &st)) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0 && r->inode)
		fd = open_by_fd(s->pid, r, &st);
	if (fd < 0) {
		L->f_err = e ? e : ENOENT;
		errno = L->f_err;
		return -1;
	}
	L->f_err = 0;
	L->f_fd = fd;
	L->f_size = (uint64_t)st.st_size;
	return fd;
}

/*
 * Untouched pages of a file mapping hold the file's bytes: those up to
 * its end, zeros from there to the end of that page, and past that page
 * nothing (the process would get SIGBUS): holes.
 */
static size_t file_bytes(struct ml_space *s, const struct ml_region *r, const struct ml_lm_run *run,
			 int fd, uint64_t addr, size_t n, void *buf, bool *hole)
{
	uint64_t base = run->vma_known ? run->vma_offset + (addr - run->vma_start)
				       : r->file_offset + (addr - r->start);
	uint64_t pg = run->vma_known && run->vma_page_size > s->page_size ? run->vma_page_size
									  : s->page_size;
	uint64_t size = s->live->f_size;
	uint64_t eof_page = size > UINT64_MAX - pg ? UINT64_MAX : (size + pg - 1) / pg * pg;
	*hole = true;
	if (base >= eof_page || base > (uint64_t)INT64_MAX - n)
		return n;
	size_t want = (size_t)ML_MIN((uint64_t)n, eof_page - base);
	size_t data = base < size ? (size_t)ML_MIN((uint64_t)want, size - base) : 0, got = 0;
	while (got < data) {
		ssize_t k = pread(fd, (char *)buf + got, data - got, (off_t)(base + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && got == 0)	/* an I/O error: the process would get SIGBUS too */
			return (size_t)ML_MIN((uint64_t)n, pg - base % pg);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	if (got < data) {
		/* The file shrank: its new end is where the data ends. */
		s->live->f_size = base + got;
		want = (size_t)ML_MIN((uint64_t)want, (base + got + pg - 1) / pg * pg - base);
		if (!want)
			return n;
	}
	memset((char *)buf + got, 0, want - got);
	*hole = false;
	return want;
}

/* Anonymous private memory: its untouched pages are zeros by definition. */
static bool private_anon(const struct ml_region *r)
{
	if (r->prot & ML_PROT_SHARED || r->inode)
		return false;
	return !r->path || r->kind == ML_KIND_HEAP || r->kind == ML_KIND_STACK ||
	       !strncmp(r->path, "[anon:", 6);
}

/*
 * Pages the process never touched, without touching them: zeros for
 * private anonymous memory, the mapped file's bytes for a file or shared
 * mapping (shmem and memfd pages come from their page cache this way),
 * memlens's own copy for the vdso.  Only where none of that works are
 * they read through mem, as before, with one warning.
 */
static size_t untouched_read(struct ml_space *s, const struct ml_region *r, const struct ml_lm_run *run,
			     uint64_t addr, size_t n, void *buf, bool *hole)
{
	*hole = false;
	if (private_anon(r)) {
		memset(buf, 0, n);
		return n;
	}
	if (r->kind == ML_KIND_VDSO && own_vdso(s, r)) {
		memcpy(buf, s->live->vdso + (addr - r->start), n);
		return n;
	}
	int fd = mapped_file(s, r, run);
	if (fd >= 0)
		return file_bytes(s, r, run, fd, addr, n, buf, hole);
	const char *why = r->kind == ML_KIND_VDSO ? "it is not memlens's own vdso" :
			  !r->path || r->path[0] != '/' ? "no file holds its bytes" :
			  errno == EPERM || errno == EACCES ?
			  "its file cannot be opened: /proc/PID/map_files needs CAP_SYS_ADMIN, and no "
			  "path or descriptor of the process leads to it" : strerror(errno);
	if (!s->live->warned_fallback) {
		char *p = ml_escape(r->path ? r->path : "");
		ml_warn("pid %d: 0x%" PRIx64 "-0x%" PRIx64 " %s%s: %s; its pages not in memory are read "
			"through /proc/%d/mem, which maps them into the process", s->pid, r->start, r->end,
			p, r->deleted ? " (deleted)" : "", why, s->pid);
		free(p);
		s->live->warned_fallback = true;
	}
	return mem_read(s, addr, n, buf, hole);
}

static size_t live_zero_run(struct ml_space *s, const struct ml_region *r, uint64_t addr, size_t n)
{
	if (s->exited || r->captured == 0 || !private_anon(r) || !n)
		return 0;
	struct ml_lm_run run;
	ml_livemap_run(s->live->map, r, addr, addr + n, &run);
	return run.cls == ML_LM_UNTOUCHED || run.cls == ML_LM_ZERO ? (size_t)(run.end - addr) : 0;
}

static size_t live_read(struct ml_space *s, const struct ml_region *r, uint64_t addr,
			size_t n, void *buf, bool *hole)
{
	if (s->exited || r->captured == 0) {
		*hole = true;
		return n;
	}
	size_t got = 0;
	while (got < n) {
		struct ml_lm_run run;
		uint64_t at = addr + got;
		ml_livemap_run(s->live->map, r, at, addr + n, &run);
		size_t len = (size_t)(run.end - at), k;
		bool h = true;
		switch (run.cls) {
		case ML_LM_MEM:
			k = mem_read(s, at, len, (char *)buf + got, &h);
			break;
		case ML_LM_UNTOUCHED:
			k = untouched_read(s, r, &run, at, len, (char *)buf + got, &h);
			break;
		case ML_LM_ZERO:	/* the zero page: what mem would copy, without copying */
			memset((char *)buf + got, 0, len);
			k = len;
			h = false;
			break;
		case ML_LM_EXITED:
			went_away(s);
			k = n - got;
			break;
		case ML_LM_GONE:
			if (!s->live->warned_gone)
				ml_warn("pid %d: part of the mapping at 0x%" PRIx64 "-0x%" PRIx64 " (from "
					"0x%" PRIx64 ") went away or changed while being read: holes",
					s->pid, r->start, r->end, at);
			s->live->warned_gone = true;
			k = len;
			break;
		default:	/* guard pages, or pages pagemap could not describe */
			k = len;
			break;
		}
		if (s->exited)
			h = true, k = n - got;
		if (h) {
			if (got)
				break;
			*hole = true;
			return k;
		}
		got += k;
	}
	*hole = false;
	return got;
}

const struct ml_source_kind ml_source_live = {
	.name = "live",
	.what = "a live process",
	.caps = ML_CAP_LIVE | ML_CAP_THREADS | ML_CAP_PAGEFACTS | ML_CAP_PROCESS,
	.open = open_live,
	.read = live_read,
	.zero_run = live_zero_run,
	.close = ml_live_release,
};
