/*
 * source: turns a SOURCE string into an address space.  Holds the table of
 * source kinds (each one file, source_*.c, behind source_impl.h).  Pids go
 * to the live kind; files are sniffed by content, each kind in the table's
 * order, unless --as names one; a source file must be a regular file or a
 * block device.  Also the shared read path: region lookup, then the kind's
 * read (file kinds share ml_file_read, pread of each region's captured
 * prefix).
 */
#include "config.h"
#include "source_impl.h"
#include "util.h"
#include "cleanup.h"
#include "json.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The registry: every kind, in the order files are sniffed.  Raw comes
 * last and takes whatever no other kind claimed.
 */
static const struct ml_source_kind *const kinds[] = {
	&ml_source_live,
	&ml_source_core,
	&ml_source_vmcore,
	&ml_source_lime,
	&ml_source_minidump,
	&ml_source_raw,
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* --as names the kinds of files: a pid is the only way to a live process. */
const struct ml_source_kind *ml_source_kind_named(const char *name)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (!(kinds[i]->caps & ML_CAP_LIVE) && !strcmp(kinds[i]->name, name))
			return kinds[i];
	return NULL;
}

const char *ml_source_kind_list(void)
{
	static char list[256];
	if (!list[0])
		for (size_t i = 0; i < NKINDS; i++)
			if (!(kinds[i]->caps & ML_CAP_LIVE))
				snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
					 !list[0] ? "" : i + 1 == NKINDS ? " or " : ", ", kinds[i]->name);
	return list;
}

const char *ml_source_kind_name(const struct ml_source_kind *k)
{
	return k ? k->name : "auto";
}

const char *ml_source_kind_what(const struct ml_source_kind *k)
{
	return k ? k->what : "a file of any kind";
}

unsigned ml_source_kind_caps(const struct ml_source_kind *k)
{
	return k ? k->caps : 0;
}

const char *ml_space_kind(const struct ml_space *s)
{
	return ml_source_kind_name(s->kind);
}

const char *ml_space_what(const struct ml_space *s)
{
	return ml_source_kind_what(s->kind);
}

int ml_source_pid(const char *src, int *pid)
{
	uint64_t v;
	if (!strcmp(src, "self")) {
		*pid = (int)getpid();
		return 1;
	}
	const char *num = !strncmp(src, "pid:", 4) ? src + 4 : src;
	for (const char *p = num; *p; p++)
		if (!isdigit((unsigned char)*p))
			return num == src ? 0 : -1;
	if (ml_parse_uint(num, 1, 0x7fffffff, &v))
		return -1;
	*pid = (int)v;
	return 1;
}

/* Sniffing by content: the first kind whose sniff claims the file's first bytes. */
static const struct ml_source_kind *sniff(int fd)
{
	unsigned char h[64];
	ssize_t n = pread(fd, h, sizeof h, 0);
	for (size_t i = 0; n > 0 && i < NKINDS; i++)
		if (kinds[i]->sniff && kinds[i]->sniff(h, (size_t)n))
			return kinds[i];
	return &ml_source_raw;
}

int ml_open_typed(const char *path, bool blk, struct stat *st)
{
	int p = open(path, O_PATH | O_CLOEXEC);
	if (p < 0)
		return -1;
	if (fstat(p, st)) {
		int e = errno;
		close(p);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st->st_mode) && !(blk && S_ISBLK(st->st_mode))) {
		close(p);
		errno = ENODEV;
		return -1;
	}
	char again[64];
	snprintf(again, sizeof again, "/proc/self/fd/%d", p);
	int fd = open(again, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT) {
		/* No /proc: open the name again, and make sure it is the same file. */
		struct stat again_st;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd >= 0 && (fstat(fd, &again_st) || again_st.st_dev != st->st_dev ||
				again_st.st_ino != st->st_ino)) {
			close(fd);
			fd = -1;
			errno = ESTALE;
		}
	}
	int e = errno;
	close(p);
	errno = e;
	return fd;
}

/* A source file is read at any offset: a regular file or a block device. */
static int open_source_file(const char *path, struct stat *st)
{
	int fd = ml_open_typed(path, true, st);
	if (fd >= 0)
		return fd;
	if (errno != ENODEV) {
		ml_err("%s: %s", path, strerror(errno));
		return -1;
	}
	ml_err("%s: is %s: a source must be a regular file or a block device", path,
	       S_ISDIR(st->st_mode) ? "a directory" : S_ISFIFO(st->st_mode) ? "a FIFO" :
	       S_ISSOCK(st->st_mode) ? "a socket" : S_ISCHR(st->st_mode) ? "a character device" :
	       "not a regular file");
	return -1;
}

static int open_file(struct ml_space *s, const char *path, const struct ml_open_opts *o)
{
	struct stat st;
	s->fd = open_source_file(path, &st);
	if (s->fd < 0)
		return -1;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	off_t end = lseek(s->fd, 0, SEEK_END);
	if (end < 0) {
		ml_err("%s: cannot find its size: %s", path, strerror(errno));
		return -1;
	}
	s->file_size = (uint64_t)end;
	s->kind = o->as ? o->as : sniff(s->fd);
	s->caps = s->kind->caps;
	return s->kind->open(s, o);
}

int ml_space_open(struct ml_space **out, const char *source, const struct ml_open_opts *o)
{
	struct ml_space *s = ml_calloc(1, sizeof *s);
	int pid = 0, r;
	s->name = ml_strdup(source);
	s->fd = -1;
	s->page_size = (unsigned)sysconf(_SC_PAGESIZE);

	int isp = ml_source_pid(source, &pid);
	if (isp < 0) {
		ml_err("%s: not a valid pid", source);
		r = -1;
	} else if (isp > 0) {
		if (o->as) {
			ml_err("%s: --as %s needs a file, not a pid", source, o->as->name);
			r = -1;
		} else {
			s->kind = &ml_source_live;
			s->caps = s->kind->caps;
			s->pid = pid;
			r = s->kind->open(s, o);
		}
	} else {
		r = open_file(s, source, o);
	}
	if (r) {
		ml_space_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

void ml_space_close(struct ml_space *s)
{
	if (!s)
		return;
	if (s->kind && s->kind->close)
		s->kind->close(s);
	if (s->fd >= 0)
		close(s->fd);
	ml_regions_free(s->r, s->n);
	free(s->name);
	free(s->comm);
	free(s->args);
	free(s->info);
	free(s->tids);
	free(s);
}

long ml_space_find(const struct ml_space *s, uint64_t addr)
{
	return ml_regions_find(s->r, s->n, addr);
}

/* Bytes from addr to the next region start (or to the top). */
static uint64_t gap_len(const struct ml_space *s, uint64_t addr)
{
	size_t i = ml_regions_above(s->r, s->n, addr);
	return i < s->n ? s->r[i].start - addr : UINT64_MAX - addr + 1;
}

size_t ml_file_read(struct ml_space *s, const struct ml_region *r, uint64_t addr,
		    size_t n, void *buf, bool *hole)
{
	uint64_t off = addr - r->start;
	uint64_t cap_end = ml_region_cap_end(r);
	if (addr >= cap_end) {
		*hole = true;
		return (size_t)ML_MIN((uint64_t)n, r->end - addr);
	}
	n = (size_t)ML_MIN((uint64_t)n, cap_end - addr);
	if (!buf) {
		/* ml_space_holes: captured bytes are data */
		*hole = false;
		return n;
	}
	size_t got = 0;
	while (got < n) {
		ssize_t k = pread(s->fd, (char *)buf + got, n - got,
				  (off_t)(r->src_off + off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (got)
				break;
			/* The file shrank or failed under us: a hole, said once. */
			if (!s->truncated)
				ml_warn("%s: read failed at file offset 0x%llx: %s; treating the rest as holes",
					s->name, (unsigned long long)(r->src_off + off),
					k < 0 ? strerror(errno) : "unexpected end of file");
			s->truncated = true;
			*hole = true;
			return n;
		}
		got += (size_t)k;
	}
	*hole = false;
	return got;
}

/* ml_space_read(); buf NULL asks a file source for the run only. */
static size_t read_run(struct ml_space *s, uint64_t addr, size_t n, void *buf, bool *hole)
{
	if (!n)
		return 0;
	long i = ml_space_find(s, addr);
	if (i < 0) {
		*hole = true;
		uint64_t g = gap_len(s, addr);
		return g == 0 || g > n ? n : (size_t)g;
	}
	const struct ml_region *r = &s->r[i];
	n = (size_t)ML_MIN((uint64_t)n, r->end - addr);
	return s->kind->read ? s->kind->read(s, r, addr, n, buf, hole)
			     : ml_file_read(s, r, addr, n, buf, hole);
}

size_t ml_space_read(struct ml_space *s, uint64_t addr, size_t n, void *buf, bool *hole)
{
	return read_run(s, addr, n, buf, hole);
}

size_t ml_space_holes(struct ml_space *s, uint64_t addr, size_t n, void *scratch, bool *hole)
{
	return read_run(s, addr, n, ml_space_can(s, ML_CAP_LIVE) ? scratch : NULL, hole);
}

static size_t space_read(void *ctx, uint64_t addr, size_t n, void *buf, bool *hole)
{
	return ml_space_read(ctx, addr, n, buf, hole);
}

void ml_describe_process(const struct ml_space *s, json_t *o)
{
	json_object_set_new(o, "args", ml_json_str(s->args));
	json_object_set_new(o, "threads", json_integer(s->nthreads));
}

void ml_space_describe(const struct ml_space *s, json_t *o)
{
	if (s->kind && s->kind->describe)
		s->kind->describe(s, o);
}

size_t ml_space_zero_run(struct ml_space *s, uint64_t addr, size_t n)
{
	long i = ml_space_find(s, addr);
	if (i < 0 || !n || !s->kind->zero_run)
		return 0;
	const struct ml_region *r = &s->r[i];
	return s->kind->zero_run(s, r, addr, (size_t)ML_MIN((uint64_t)n, r->end - addr));
}

size_t ml_read_mem(struct ml_space *s, uint64_t addr, size_t n, void *buf)
{
	return ml_read_zeroed(space_read, s, addr, n, buf);
}

bool ml_read_exact(struct ml_space *s, uint64_t addr, size_t n, void *buf)
{
	if (n && addr + n - 1 < addr)
		return false;
	return ml_read_mem(s, addr, n, buf) == n;
}

void ml_fputs_source(FILE *f, const struct ml_space *s)
{
	ml_fputs_escaped(f, s->name);
	if (s->pid)
		fprintf(f, ", pid %d", s->pid);
	if (s->comm) {
		fputs(" (", f);
		ml_fputs_escaped(f, s->comm);
		fputc(')', f);
	}
}
