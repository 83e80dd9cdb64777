/*
 * source_minidump: Windows minidumps (MDMP), as Windows tools, Breakpad
 * and lldb (`process save-core --plugin-name=minidump`) write them.
 *
 * Regions come from what the file says of the address space, best first:
 * Breakpad's LinuxMaps stream (the process's /proc/PID/maps text), else
 * MemoryInfoList (committed ranges with protection and type; module names
 * as paths), else the memory ranges themselves.  Bytes come from
 * MemoryList and Memory64List and the threads' stacks.  A mapping whose
 * bytes the dump holds only in part is split where the held bytes start,
 * so that each region's captured bytes are its prefix (region.h); bytes
 * the dump holds outside every mapping it describes become regions of
 * their own.  Counts are checked against their stream's size, ranges
 * against the file's; what lies past the end of a truncated file reads as
 * holes, with one warning.
 */
#include "config.h"
#include "source_impl.h"
#include "util.h"
#include "minidump.h"
#include "le.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Text streams (maps, status, cmdline) are read in blocks of this size. */
#define BLOCK 65536
/* A maps line longer than this is not one the kernel wrote. */
#define MAX_LINE 8192

struct md {
	struct ml_md_dirent dir[6];	/* the streams used, by index below */
	bool have[6];
	struct ml_md_range *rg;		/* memory ranges, then sorted */
	size_t nrg, caprg;
	uint64_t *stacks;		/* each thread's stack start */
	size_t nstacks;
	bool warned_overlap;
};

enum { S_THREADS, S_MODULES, S_MEMORY, S_MEMORY64, S_MEMINFO, S_MAPS };

static int stream_index(uint32_t type)
{
	switch (type) {
	case ML_MD_THREAD_LIST: return S_THREADS;
	case ML_MD_MODULE_LIST: return S_MODULES;
	case ML_MD_MEMORY_LIST: return S_MEMORY;
	case ML_MD_MEMORY64_LIST: return S_MEMORY64;
	case ML_MD_MEMORY_INFO_LIST: return S_MEMINFO;
	case ML_MD_LINUX_MAPS: return S_MAPS;
	}
	return -1;
}

/* n bytes at off; -1 (said once by the caller) when the file does not hold them. */
static int file_at(struct ml_space *s, uint64_t off, size_t n, void *buf)
{
	size_t got = 0;
	if (off > s->file_size || n > s->file_size - off)
		return -1;
	while (got < n) {
		ssize_t k = pread(s->fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

/* A stream's bytes must lie in the file; one that does not is left out with a warning. */
static bool stream_ok(struct ml_space *s, const struct ml_md_dirent *d, const char *what)
{
	if ((uint64_t)d->rva + d->size <= s->file_size)
		return true;
	ml_warn("%s: the %s stream lies past the end of the file: left out", s->name, what);
	s->truncated = true;
	return false;
}

static void add_range(struct md *m, const struct ml_md_range *r)
{
	if (!r->size)
		return;
	if (m->nrg == m->caprg) {
		m->caprg = m->caprg ? m->caprg * 2 : 16;
		m->rg = ml_reallocarray(m->rg, m->caprg, sizeof *m->rg);
	}
	m->rg[m->nrg++] = *r;
}

/*
 * Reads the records of list stream d, rec bytes each, in blocks, and
 * hands each to fn with ctx (state starts as Memory64List's BaseRva).  Returns the count, or -1 after a diagnostic.
 */
typedef void (*on_record)(void *ctx, const unsigned char *b, uint64_t *state);

static int64_t read_list(struct ml_space *s, const struct ml_md_dirent *d, const char *what, on_record fn,
			 void *ctx)
{
	unsigned char head[16] = { 0 };
	uint64_t count, base = 0, first, rec, size = d->size;
	/* A list cut by the end of the file: the records it still holds (the data may be gone). */
	if ((uint64_t)d->rva + size > s->file_size) {
		size = d->rva < s->file_size ? s->file_size - d->rva : 0;
		ml_warn("%s: the %s stream is cut by the end of the file: the records it still holds are used",
			s->name, what);
		s->truncated = true;
	}
	size_t hl = size < sizeof head ? (size_t)size : sizeof head;
	if (file_at(s, d->rva, hl, head)) {
		ml_err("%s: cannot read the %s stream", s->name, what);
		return -1;
	}
	if (size < d->size && size < 16)
		return 0;	/* not even the list's head is left */
	const char *why = ml_md_list(head, hl, d->type, d->size, &count, &base, &first, &rec);
	if (why) {
		ml_err("%s: corrupt minidump: %s", s->name, why);
		return -1;
	}
	if (size < d->size)
		count = size < first ? 0 : ML_MIN(count, (size - first) / rec);
	unsigned char *b = ml_malloc(BLOCK);
	uint64_t per = BLOCK / rec, state = base;
	for (uint64_t i = 0; i < count; i += per) {
		uint64_t k = count - i < per ? count - i : per;
		if (file_at(s, d->rva + first + i * rec, (size_t)(k * rec), b)) {
			free(b);
			ml_err("%s: cannot read the %s stream", s->name, what);
			return -1;
		}
		for (uint64_t j = 0; j < k; j++)
			fn(ctx, b + j * rec, &state);
	}
	free(b);
	return (int64_t)count;
}

static void on_memdesc(void *m, const unsigned char *b, uint64_t *st)
{
	(void)st;
	struct ml_md_range r;
	ml_md_memdesc(b, &r);
	add_range(m, &r);
}

/* Memory64List: the data of range i follows range i-1's, from BaseRva on. */
static void on_memdesc64(void *m, const unsigned char *b, uint64_t *off)
{
	struct ml_md_range r;
	ml_md_memdesc64(b, *off, &r);
	add_range(m, &r);
	*off = *off + r.size < *off ? UINT64_MAX : *off + r.size;
}

static void on_thread(void *ctx, const unsigned char *b, uint64_t *st)
{
	(void)st;
	struct md *m = ctx;
	struct ml_md_thread t;
	ml_md_thread(b, &t);
	add_range(m, &t.stack);
	m->stacks = ml_reallocarray(m->stacks, m->nstacks + 1, sizeof *m->stacks);
	m->stacks[m->nstacks++] = t.stack.start;
}

static int cmp_range(const void *x, const void *y)
{
	const struct ml_md_range *a = x, *b = y;
	return a->start < b->start ? -1 : a->start > b->start ? 1 : a->size < b->size ? 1 : a->size > b->size ? -1 : 0;
}

/*
 * Sorted, disjoint, inside the address space, and clamped to the file:
 * a range that wraps is dropped, one that overlaps an earlier one is cut
 * to what is new (a thread's stack is often also in MemoryList), bytes
 * past the end of the file are holes.
 */
static void settle_ranges(struct ml_space *s, struct md *m)
{
	size_t k = 0;
	bool wrapped = false;
	for (size_t i = 0; i < m->nrg; i++) {
		struct ml_md_range r = m->rg[i];
		if (r.start + r.size < r.start || r.off + r.size < r.off) {
			wrapped = true;
			continue;
		}
		m->rg[k++] = r;
	}
	m->nrg = k;
	if (wrapped)
		ml_warn("%s: a memory range runs past the top of the address space or of the file: left out",
			s->name);
	if (m->nrg)
		qsort(m->rg, m->nrg, sizeof *m->rg, cmp_range);
	k = 0;
	uint64_t top = 0;
	bool partial = false;
	for (size_t i = 0; i < m->nrg; i++) {
		struct ml_md_range r = m->rg[i];
		if (k && r.start < top) {
			if (r.start + r.size <= top)
				continue;	/* wholly inside an earlier one (a stack listed twice) */
			partial = true;
			r.off += top - r.start;
			r.size -= top - r.start;
			r.start = top;
		}
		m->rg[k++] = r;
		top = r.start + r.size;
	}
	m->nrg = k;
	if (partial)
		ml_warn("%s: memory ranges overlap: each byte is read from the first range that holds it",
			s->name);
}

/* Regions from the LinuxMaps text, line by line, in blocks. */
static int maps_regions(struct ml_space *s, const struct ml_md_dirent *d, struct ml_region **out, size_t *nout)
{
	char *line = ml_malloc(MAX_LINE + 1), *b = ml_malloc(BLOCK);
	size_t ll = 0, n = 0, cap = 0, bad = 0;
	bool toolong = false;
	struct ml_region *r = NULL;
	for (uint64_t pos = 0; pos <= d->size;) {
		size_t k = (size_t)ML_MIN((uint64_t)BLOCK, d->size - pos);
		if (k && file_at(s, d->rva + pos, k, b)) {
			ml_err("%s: cannot read the LinuxMaps stream", s->name);
			ml_regions_free(r, n);
			free(line), free(b);
			return -1;
		}
		bool last = pos + k == d->size;
		for (size_t i = 0; i <= k; i++) {
			bool end = i == k ? last : b[i] == '\n';
			if (i < k && !end) {
				if (ll < MAX_LINE)
					line[ll++] = b[i];
				else
					toolong = true;
				continue;
			}
			if (!end)
				break;
			line[ll] = '\0';
			if (ll && !toolong) {
				if (n == cap) {
					cap = cap ? cap * 2 : 64;
					r = ml_reallocarray(r, cap, sizeof *r);
				}
				if (ml_parse_maps_line(line, &r[n]) == 0)
					n++;
				else
					bad++;
			} else if (toolong) {
				bad++;
			}
			ll = 0;
			toolong = false;
			if (i == k)
				break;
		}
		if (last)
			break;
		pos += k;
	}
	free(line), free(b);
	if (bad)
		ml_warn("%s: %zu line%s of the LinuxMaps stream %s not maps lines: left out", s->name, bad,
			bad == 1 ? "" : "s", bad == 1 ? "is" : "are");
	for (size_t i = 0; i < n; i++)
		r[i].captured = 0;
	*out = r;
	*nout = n;
	return 0;
}

/* Module names (UTF-16) as paths of the regions they cover, from MemoryInfoList. */
static void name_modules(struct ml_space *s, const struct ml_md_dirent *d, struct ml_region *r, size_t n)
{
	unsigned char head[4], b[ML_MD_MODULE];
	uint64_t count, base = 0, first, rec;
	if (!stream_ok(s, d, "ModuleList") || d->size < 4 || file_at(s, d->rva, 4, head) ||
	    ml_md_list(head, 4, d->type, d->size, &count, &base, &first, &rec))
		return;
	char *name = ml_malloc(4 * 1024 + 1);
	unsigned char *u16 = ml_malloc(2048);
	for (uint64_t i = 0; i < count; i++) {
		struct ml_md_module m;
		unsigned char lb[4];
		if (file_at(s, d->rva + first + i * rec, sizeof b, b))
			break;
		ml_md_module(b, &m);
		if (file_at(s, m.name_rva, 4, lb))
			continue;
		uint64_t len = ml_get_le(lb, 4);
		len = len < 2048 ? len : 2048;
		if (file_at(s, (uint64_t)m.name_rva + 4, (size_t)len, u16))
			continue;
		ml_md_utf16(u16, (size_t)len, name, 4 * 1024 + 1);
		uint64_t mend = m.base + m.size < m.base ? UINT64_MAX : m.base + m.size;
		size_t j = ml_regions_above(r, n, m.base);
		if (j > 0 && r[j - 1].end > m.base)
			j--;
		for (; j < n && r[j].start < mend; j++) {
			struct ml_region *x = &r[j];
			if (!x->path) {
				x->path = ml_strdup(name);
				x->kind = ML_KIND_FILE;
				x->file_offset = x->start - m.base;
			}
		}
	}
	free(name), free(u16);
}

/* Regions from MemoryInfoList: committed entries only. */
struct meminfo_acc {
	struct ml_region *r;
	size_t n, cap;
	size_t unknown;
};

static void on_meminfo(void *ctx, const unsigned char *b, uint64_t *st)
{
	(void)st;
	struct ml_md_meminfo e;
	struct meminfo_acc *a = ctx;
	ml_md_meminfo(b, &e);
	if (e.state != ML_MD_MEM_COMMIT || !e.size || e.base + e.size < e.base)
		return;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->r = ml_reallocarray(a->r, a->cap, sizeof *a->r);
	}
	bool ok;
	struct ml_region *r = &a->r[a->n++];
	memset(r, 0, sizeof *r);
	r->start = e.base;
	r->end = e.base + e.size;
	unsigned p = ml_md_prot(e.protect, &ok);
	r->prot = ok ? (p & ML_MD_R ? ML_PROT_R : 0) | (p & ML_MD_W ? ML_PROT_W : 0) | (p & ML_MD_X ? ML_PROT_X : 0)
		     : ML_PROT_UNKNOWN;
	if (!ok)
		a->unknown++;
	r->kind = e.type == ML_MD_MEM_IMAGE || e.type == ML_MD_MEM_MAPPED ? ML_KIND_FILE : ML_KIND_ANON;
}

static int meminfo_regions(struct ml_space *s, struct md *m, struct ml_region **out, size_t *nout)
{
	struct meminfo_acc a = { 0 };
	int64_t c = read_list(s, &m->dir[S_MEMINFO], "MemoryInfoList", on_meminfo, &a);
	if (c < 0) {
		ml_regions_free(a.r, a.n);
		return -1;
	}
	if (a.unknown)
		ml_warn("%s: %zu MemoryInfoList entr%s an unknown protection: shown as ????", s->name, a.unknown,
			a.unknown == 1 ? "y has" : "ies have");
	*out = a.r;
	*nout = a.n;
	return 0;
}

/* Adds a region for each part of a memory range that no described region covers. */
static void add_uncovered(struct md *m, struct ml_region **r, size_t *n)
{
	size_t n0 = *n;
	for (size_t i = 0; i < m->nrg; i++) {
		uint64_t c = m->rg[i].start, end = m->rg[i].start + m->rg[i].size;
		while (c < end) {
			long j = ml_regions_find(*r, n0, c);
			if (j >= 0) {
				c = (*r)[j].end;
				continue;
			}
			size_t up = ml_regions_above(*r, n0, c);
			uint64_t e = up < n0 && (*r)[up].start < end ? (*r)[up].start : end;
			*r = ml_reallocarray(*r, *n + 1, sizeof **r);
			struct ml_region *x = &(*r)[(*n)++];
			memset(x, 0, sizeof *x);
			x->start = c;
			x->end = e;
			x->prot = ML_PROT_UNKNOWN;
			x->kind = ML_KIND_ANON;
			c = e;
		}
	}
}

/*
 * Cuts the described regions where the held bytes start and end, so that
 * each piece's bytes are a prefix held at one place in the file.
 */
static void merge(struct ml_space *s, struct md *m, const struct ml_region *b, size_t nb)
{
	size_t cap = nb + 2 * m->nrg + 1, n = 0, j = 0;
	struct ml_region *o = ml_calloc(cap, sizeof *o);
	for (size_t i = 0; i < nb; i++) {
		uint64_t c = b[i].start;
		while (c < b[i].end) {
			while (j < m->nrg && m->rg[j].start + m->rg[j].size <= c)
				j++;
			struct ml_region *x = &o[n++];
			*x = b[i];
			x->path = b[i].path ? ml_strdup(b[i].path) : NULL;
			x->start = c;
			x->file_offset = b[i].file_offset + (c - b[i].start);
			if (j < m->nrg && m->rg[j].start <= c) {
				const struct ml_md_range *g = &m->rg[j];
				uint64_t gend = g->start + g->size, e = ML_MIN(gend, b[i].end);
				x->end = e < b[i].end && j + 1 < m->nrg ? ML_MIN(b[i].end, m->rg[j + 1].start) : b[i].end;
				x->captured = e - c;
				x->src_off = g->off + (c - g->start);
			} else {
				x->end = j < m->nrg ? ML_MIN(m->rg[j].start, b[i].end) : b[i].end;
				x->captured = 0;
			}
			/* Bytes past the end of the file: the prefix the file holds. */
			if (x->captured && x->src_off + x->captured > s->file_size) {
				uint64_t have = x->src_off < s->file_size ? s->file_size - x->src_off : 0;
				s->missing += x->captured - have;
				s->truncated = true;
				x->captured = have;
			}
			c = x->end;
			if (n == cap) {
				cap *= 2;
				o = ml_reallocarray(o, cap, sizeof *o);
			}
		}
	}
	s->r = o;
	s->n = n;
}

/* Threads' stacks: the anonymous regions that hold a stack's start. */
static void mark_stacks(struct ml_space *s, const struct md *m)
{
	for (size_t i = 0; i < m->nstacks; i++) {
		long j = ml_regions_find(s->r, s->n, m->stacks[i]);
		if (j >= 0 && s->r[j].kind == ML_KIND_ANON)
			s->r[j].kind = ML_KIND_STACK;
	}
}

/* Up to max bytes of a stream, NUL-terminated; NULL when it cannot be read. */
static char *stream_text(struct ml_space *s, const struct ml_md_dirent *d, size_t max, size_t *len)
{
	if ((uint64_t)d->rva + d->size > s->file_size)
		return NULL;
	size_t n = d->size < max ? d->size : max;
	char *t = ml_malloc(n + 1);
	if (file_at(s, d->rva, n, t)) {
		free(t);
		return NULL;
	}
	t[n] = '\0';
	*len = n;
	return t;
}

/* The process: pid from MiscInfo, name from LinuxProcStatus, args from LinuxCmdLine. */
static void process_facts(struct ml_space *s, const struct ml_md_dirent *misc, const struct ml_md_dirent *status,
			  const struct ml_md_dirent *cmdline)
{
	unsigned char b[12];
	size_t len;
	if (misc && misc->size >= 12 && file_at(s, misc->rva, 12, b) == 0 && (ml_get_le(b + 4, 4) & 1)) {
		uint32_t pid = (uint32_t)ml_get_le(b + 8, 4);
		if (pid > 0 && pid <= 0x7fffffff)
			s->pid = (int)pid;
	}
	char *t = status ? stream_text(s, status, 4096, &len) : NULL;
	if (t) {
		char *p = strstr(t, "Name:\t");
		if (p && (p == t || p[-1] == '\n')) {
			p += 6;
			/* The kernel's comm is at most 15 bytes: a longer one was not written by it. */
			s->comm = ml_strndup(p, ML_MIN(strcspn(p, "\n"), (size_t)16));
		}
		free(t);
	}
	t = cmdline ? stream_text(s, cmdline, 4096, &len) : NULL;
	if (t) {
		while (len && !t[len - 1])
			len--;
		for (size_t i = 0; i < len; i++)
			if (!t[i])
				t[i] = ' ';
		t[len] = '\0';
		s->args = t;
	}
}

static int open_minidump(struct ml_space *s, const struct ml_open_opts *o)
{
	(void)o;
	unsigned char hb[ML_MD_HEADER], db[ML_MD_DIRENT];
	struct ml_md_header h;
	struct md m = { 0 };
	struct ml_md_dirent misc = { 0 }, status = { 0 }, cmdline = { 0 };
	bool have_misc = false, have_status = false, have_cmdline = false;
	struct ml_region *base = NULL;
	size_t nbase = 0;
	int ret = -1;
	const char *why;

	if (file_at(s, 0, sizeof hb, hb)) {
		ml_err("%s: not a minidump: shorter than its %d-byte header", s->name, ML_MD_HEADER);
		return -1;
	}
	if ((why = ml_md_header(hb, s->file_size, &h))) {
		ml_err("%s: not a readable minidump: %s", s->name, why);
		return -1;
	}
	for (uint32_t i = 0; i < h.nstreams; i++) {
		struct ml_md_dirent d;
		if (file_at(s, h.dir_rva + (uint64_t)i * ML_MD_DIRENT, sizeof db, db)) {
			ml_err("%s: cannot read the minidump's stream directory", s->name);
			return -1;
		}
		ml_md_dirent(db, &d);
		int k = stream_index(d.type);
		if (k >= 0 && !m.have[k]) {
			m.dir[k] = d;
			m.have[k] = true;
		}
		if (d.type == ML_MD_MISC_INFO && !have_misc)
			misc = d, have_misc = true;
		if (d.type == ML_MD_LINUX_PROC_STATUS && !have_status)
			status = d, have_status = true;
		if (d.type == ML_MD_LINUX_CMD_LINE && !have_cmdline)
			cmdline = d, have_cmdline = true;
	}
	int64_t nt = 0;
	if ((m.have[S_MEMORY] && read_list(s, &m.dir[S_MEMORY], "MemoryList", on_memdesc, &m) < 0) ||
	    (m.have[S_MEMORY64] && read_list(s, &m.dir[S_MEMORY64], "Memory64List", on_memdesc64, &m) < 0) ||
	    (m.have[S_THREADS] && (nt = read_list(s, &m.dir[S_THREADS], "ThreadList", on_thread, &m)) < 0))
		goto out;
	s->nthreads = (unsigned)ML_MIN((uint64_t)nt, (uint64_t)UINT32_MAX);
	settle_ranges(s, &m);

	if (m.have[S_MAPS] && stream_ok(s, &m.dir[S_MAPS], "LinuxMaps")) {
		if (maps_regions(s, &m.dir[S_MAPS], &base, &nbase))
			goto out;
	} else if (m.have[S_MEMINFO]) {
		if (meminfo_regions(s, &m, &base, &nbase))
			goto out;
	}
	if (ml_regions_sort_check(base, nbase)) {
		ml_warn("%s: the minidump's %s describes overlapping regions: only its memory ranges are used",
			s->name, m.have[S_MAPS] ? "LinuxMaps stream" : "MemoryInfoList");
		ml_regions_free(base, nbase);
		base = NULL;
		nbase = 0;
	}
	if (!m.have[S_MAPS] && m.have[S_MODULES])
		name_modules(s, &m.dir[S_MODULES], base, nbase);
	add_uncovered(&m, &base, &nbase);
	if (ml_regions_sort_check(base, nbase)) {
		ml_err("%s: corrupt minidump: its regions overlap", s->name);
		goto out;
	}
	merge(s, &m, base, nbase);
	mark_stacks(s, &m);
	process_facts(s, have_misc ? &misc : NULL, have_status ? &status : NULL, have_cmdline ? &cmdline : NULL);
	if (s->truncated && s->missing)
		ml_warn("%s: minidump is truncated: %llu bytes of captured memory are missing and read as holes",
			s->name, (unsigned long long)s->missing);
	ret = 0;
out:
	ml_regions_free(base, nbase);
	free(m.rg);
	free(m.stacks);
	return ret;
}

static bool sniff_minidump(const unsigned char *h, size_t n)
{
	return n >= 8 && !memcmp(h, "MDMP", 4) && h[4] == 0x93 && h[5] == 0xa7;
}

const struct ml_source_kind ml_source_minidump = {
	.name = "minidump",
	.what = "a minidump",
	.caps = ML_CAP_THREADS | ML_CAP_PROCESS,
	.sniff = sniff_minidump,
	.open = open_minidump,
	.describe = ml_describe_process,
};
