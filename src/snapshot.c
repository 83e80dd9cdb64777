/*
 * snapshot: plans and writes the core.  The plan decides, mapping by
 * mapping, how much the kernel's coredump_filter rules would dump; the
 * layout then follows from it (headers, the data of each PT_LOAD back to
 * back from the first page boundary, the notes last, as gcore places
 * them), so the copy streams each mapping's bytes straight to their place.
 *
 * The copy walks pagemap (PAGEMAP_SCAN where the kernel has it): present
 * and swapped pages are read from the process (process_vm_readv, or large
 * preads of /proc/PID/mem where the mapping is not readable), pages of a
 * file the process does not hold are read from the file, never-touched
 * anonymous pages and the zero page are left as holes of the sparse file.
 * Every stretch becomes a run of the MEMLENS note, streamed after the
 * standard notes while the data is written; the headers are written last.
 */
#include "config.h"
#include "snapshot.h"
#include "mlnote.h"
#include "pagemap.h"
#include "util.h"

#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define COPY_BUF ML_SNAP_BUF
#define WORDS 4096			/* pagemap words per stretch */
#define RUNBUF (64 * 1024)
#define NT_FILE_LIMIT_DEFAULT (4u << 20)	/* CORE_FILE_NOTE_SIZE_DEFAULT */

double ml_snap_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- the plan: what the kernel's coredump_filter would dump ---- */

static bool anon_page(uint64_t w)
{
	if (w & ML_PM_GUARD)
		return false;
	return (w & (ML_PM_PRESENT | ML_PM_SWAPPED)) && !(w & ML_PM_FILE);
}

/*
 * Whether a private file mapping holds anonymous (copied-on-write) pages:
 * what the kernel's vma->anon_vma says, seen through pagemap.  1, 0, or -1
 * when the process went away.
 */
static int has_anon_pages(struct ml_pagemap *pm, bool scan, const struct ml_region *r, uint64_t *w,
			  uint64_t ps)
{
	for (uint64_t at = r->start; at < r->end;) {
		struct ml_pm_run run;
		int k = ml_pagemap_next(pm, scan, at, r->end, w, WORDS, &run);
		if (k <= 0)
			return -1;
		if (run.dense) {
			uint64_t n = (run.end - at) / ps;
			for (uint64_t i = 0; i < n; i++)
				if (anon_page(w[i]))
					return 1;
		}
		at = run.end;
	}
	return 0;
}

/* A shared mapping of a file with no links (shmem, memfd, deleted): "anonymous shared". */
static bool shared_anon(const struct ml_space *s, const struct ml_region *r)
{
	char mf[96];
	struct stat st;
	if (!ml_snap_file_backed(r))
		return true;
	snprintf(mf, sizeof mf, "/proc/%d/map_files/%llx-%llx", s->pid, (unsigned long long)r->start,
		 (unsigned long long)r->end);
	if (stat(mf, &st) == 0)
		return st.st_nlink == 0;
	return r->deleted;
}

/* The ELF-headers rule: an executable file, or one that starts with the ELF magic. */
static bool elf_header_page(struct ml_space *s, const struct ml_region *r)
{
	char mf[96];
	struct stat st;
	snprintf(mf, sizeof mf, "/proc/%d/map_files/%llx-%llx", s->pid, (unsigned long long)r->start,
		 (unsigned long long)r->end);
	if (stat(mf, &st) == 0 && (st.st_mode & 0111))
		return true;
	unsigned char m[SELFMAG];
	/* quietly: a process gone meanwhile is said once, by the caller */
	bool quiet = ml_quiet;
	ml_quiet = true;
	bool elf = ml_read_exact(s, r->start, SELFMAG, m) && !memcmp(m, ELFMAG, SELFMAG);
	ml_quiet = quiet;
	return elf;
}

/*
 * Bytes of r the kernel would dump under filter (fs/coredump.c,
 * vma_dump_size), with two differences said in memlens-snapshot(1): an
 * anonymous private mapping the program can reach is dumped whole even
 * before it was ever written (its pages are zero pages, holes of the
 * file); the kernel's vma->anon_vma is seen as pagemap's anonymous pages;
 * and what the
 * kernel cannot read through /proc ([vvar], [vsyscall]) is not dumped.
 * -1: the process went away.
 */
static int64_t dump_size(struct ml_space *s, const struct ml_region *r, unsigned vmf, uint64_t filter,
			 struct ml_pagemap *pm, bool scan, uint64_t *w)
{
	int64_t whole = (int64_t)(r->end - r->start);
	if (r->kind == ML_KIND_VVAR || r->kind == ML_KIND_VSYSCALL)
		return 0;
	if (r->kind == ML_KIND_VDSO)
		return whole;
	if (vmf & ML_VMF_DONTDUMP)
		return 0;
	bool shared = (r->prot & ML_PROT_SHARED) || (vmf & ML_VMF_SHARED);
	if (vmf & ML_VMF_HUGETLB)
		return filter & (shared ? ML_CDF_HUGETLB_SHARED : ML_CDF_HUGETLB_PRIVATE) ? whole : 0;
	if (vmf & ML_VMF_IO)
		return 0;
	if (shared)
		return filter & (shared_anon(s, r) ? ML_CDF_ANON_SHARED : ML_CDF_FILE_SHARED) ? whole : 0;
	bool file = ml_snap_file_backed(r);
	if (filter & ML_CDF_ANON_PRIVATE) {
		/* Anonymous memory a program can reach: whole, its untouched pages as holes. */
		if (!file && (r->prot & (ML_PROT_R | ML_PROT_W | ML_PROT_X)))
			return whole;
		int a = has_anon_pages(pm, scan, r, w, s->page_size);
		if (a < 0)
			return -1;
		if (a)
			return whole;
	}
	if (!file)
		return 0;
	if (filter & ML_CDF_FILE_PRIVATE)
		return whole;
	if ((filter & ML_CDF_ELF_HEADERS) && r->file_offset == 0 && (r->prot & ML_PROT_R) &&
	    elf_header_page(s, r))
		return (int64_t)ML_MIN((uint64_t)s->page_size, r->end - r->start);
	return 0;
}

/* ---- notes ---- */

static void cpuid(unsigned leaf, unsigned sub, uint32_t out[4])
{
	unsigned a = 0, b = 0, c = 0, d = 0;
	__cpuid_count(leaf, sub, a, b, c, d);
	out[0] = a;
	out[1] = b;
	out[2] = c;
	out[3] = d;
}

static size_t nt_file_limit(void)
{
	char *t = ml_read_text("/proc/sys/kernel/core_file_note_size_limit", 64, NULL);
	uint64_t v;
	size_t lim = t && !ml_parse_uint(strtok(t, "\n"), 1, (uint64_t)1 << 30, &v) ? (size_t)v :
		     NT_FILE_LIMIT_DEFAULT;
	free(t);
	return lim;
}

static void thread_notes(struct ml_nbuf *b, const struct ml_snap_thread *t)
{
	if (t->has_fp)
		ml_nbuf_note(b, "CORE", ML_NT_PRFPREG, t->fp, ML_FPREGS_SIZE);
	if (t->xstate)
		ml_nbuf_note(b, "LINUX", ML_NT_X86_XSTATE, t->xstate, t->xstate_len);
}

static void ntfile(struct ml_nbuf *b, const struct ml_space *s)
{
	struct ml_ntfile_out *e = ml_calloc(s->n ? s->n : 1, sizeof *e);
	char **names = ml_calloc(s->n ? s->n : 1, sizeof *names);
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct ml_region *r = &s->r[i];
		if (!ml_snap_file_backed(r))
			continue;
		names[n] = ml_snap_map_name(s, r);
		if (!names[n])
			continue;
		e[n] = (struct ml_ntfile_out){ r->start, r->end, r->file_offset, names[n] };
		n++;
	}
	if (ml_ntfile_note(b, e, n, nt_file_limit()))
		ml_warn("pid %d: NT_FILE would exceed kernel.core_file_note_size_limit; left out as the kernel does",
			s->pid);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(e);
}

/* The notes before MEMLENS's, in the order the kernel writes them. */
static void standard_notes(struct ml_nbuf *b, const struct ml_space *s, const struct ml_snap_proc *p)
{
	unsigned char st[ML_PRSTATUS_SIZE], ps[ML_PRPSINFO_SIZE], si[ML_SIGINFO_SIZE] = { 0 };
	for (size_t i = 0; i < p->nt; i++) {
		ml_prstatus_encode(st, &p->t[i].st);
		ml_nbuf_note(b, "CORE", NT_PRSTATUS, st, sizeof st);
		if (i == 0) {
			ml_prpsinfo_encode(ps, &p->ps);
			ml_nbuf_note(b, "CORE", NT_PRPSINFO, ps, sizeof ps);
			/* No signal made this core: an empty siginfo, as pr_cursig is 0. */
			ml_nbuf_note(b, "CORE", ML_NT_SIGINFO, si, sizeof si);
			ml_nbuf_note(b, "CORE", NT_AUXV, p->auxv, p->auxv_len);
			ntfile(b, s);
		}
		thread_notes(b, &p->t[i]);
	}
	if (p->nt && p->t[0].xstate) {
		unsigned char lay[16 * 64];
		size_t n = ml_xsave_layout(lay, ml_xstate_xfeatures(p->t[0].xstate, p->t[0].xstate_len), cpuid);
		ml_nbuf_note(b, "LINUX", ML_NT_X86_XSAVE_LAYOUT, lay, n);
	}
}

/* ---- the copy ---- */

struct copy {
	struct ml_space *s;
	struct ml_pagemap *pm;
	bool scan;
	uint64_t *w;
	unsigned char *buf;
	struct ml_snap_writer *out;
	struct ml_snap_result *res;
	uint64_t ps;
	uint64_t zero_pfn;	/* 0: not known */
	bool warned;		/* the live read path's fallback was said */

	/* the region being copied */
	const struct ml_region *r;
	uint64_t dump_end, data_off;

	/* the MEMLENS runs, streamed to the file */
	unsigned char *rb;
	size_t rblen;
	uint64_t rboff, nruns;
	struct ml_mlrun last;
	bool have_last;
};

static int flush_runs(struct copy *c)
{
	if (!c->rblen)
		return 0;
	if (ml_snap_put(c->out, c->rb, c->rblen, c->rboff))
		return -1;
	c->rboff += c->rblen;
	c->rblen = 0;
	return 0;
}

static int end_run(struct copy *c)
{
	if (!c->have_last)
		return 0;
	if (c->rblen + ML_MLNOTE_RUN > RUNBUF && flush_runs(c))
		return -1;
	ml_mlrun_encode(c->rb + c->rblen, &c->last);
	c->rblen += ML_MLNOTE_RUN;
	c->nruns++;
	c->have_last = false;
	return 0;
}

/* Records [a, b) in the note, joined to the last run when it continues it. */
static int note_run(struct copy *c, uint64_t a, uint64_t b, uint32_t facts, uint32_t content)
{
	struct ml_mlrun *l = &c->last;
	if (content == ML_PC_ZERO)
		c->res->bytes_zero += b - a;
	else if (content == ML_PC_UNREADABLE)
		c->res->bytes_unreadable += b - a;
	if (c->have_last && l->end == a && l->facts == facts && l->content == content) {
		l->end = b;
		return 0;
	}
	if (end_run(c))
		return -1;
	*l = (struct ml_mlrun){ a, b, facts, content };
	c->have_last = true;
	return 0;
}

static bool gone(const struct copy *c)
{
	return kill(c->s->pid, 0) && errno == ESRCH;
}

/* pread of /proc/PID/mem: it reads what process_vm_readv cannot (PROT_NONE, FOLL_FORCE). */
static ssize_t mem_read(struct copy *c, void *buf, size_t n, uint64_t addr)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = pread(c->s->fd, (char *)buf + got, n - got, (off_t)(addr + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

static ssize_t vm_read(struct copy *c, void *buf, size_t n, uint64_t addr)
{
	if (!(c->r->prot & ML_PROT_R))
		return mem_read(c, buf, n, addr);
	struct iovec l = { buf, n }, r = { (void *)(uintptr_t)addr, n };
	ssize_t k;
	while ((k = process_vm_readv(c->s->pid, &l, 1, &r, 1, 0)) < 0 && errno == EINTR)
		;
	if (k < 0 && errno == ESRCH)
		return -1;
	if (k < (ssize_t)n) {
		/* Partly unreadable this way: /proc/PID/mem tries the rest. */
		size_t have = k > 0 ? (size_t)k : 0;
		ssize_t m = mem_read(c, (char *)buf + have, n - have, addr + have);
		return (ssize_t)have + (m > 0 ? m : 0);
	}
	return k;
}

/* Queues the n bytes read for a into the current buffer. */
static int store(struct copy *c, uint64_t a, size_t n)
{
	c->res->bytes_dumped += n;
	return ml_snap_push(c->out, n, c->data_off + (a - c->r->start));
}

/*
 * Copies [a, b) from the process, whose pages pagemap says are there;
 * what cannot be read becomes unreadable runs.
 */
static int copy_memory(struct copy *c, uint64_t a, uint64_t b, uint32_t facts)
{
	while (a < b) {
		size_t n = (size_t)ML_MIN(b - a, (uint64_t)COPY_BUF);
		c->buf = ml_snap_buf(c->out);
		ssize_t k = vm_read(c, c->buf, n, a);
		if (k < 0 || (k == 0 && gone(c))) {
			ml_err("pid %d exited during the snapshot", c->s->pid);
			return -1;
		}
		size_t got = (size_t)k & ~(size_t)(c->ps - 1);
		if (got) {
			if (store(c, a, got) || note_run(c, a, a + got, facts, ML_PC_MEMORY))
				return -1;
			a += got;
			continue;
		}
		/* The page at a is not readable: a hole that is not data. */
		if (note_run(c, a, a + c->ps, facts, ML_PC_UNREADABLE))
			return -1;
		a += c->ps;
	}
	return 0;
}

/*
 * Pages the process does not hold (a file's, the vDSO's): the live
 * source's read path gives their bytes without touching the process —
 * from the mapped file, or memlens's own vDSO — and calls holes what the
 * process could not read either (past the end of the file).
 */
/*
 * The live read path, its warnings held back: a process that exits is an
 * error here (no core), not "the rest is holes"; what else it would say
 * is said once, in the snapshot's own words.  -1 after the error.
 */
static int live_read(struct copy *c, uint64_t a, size_t n, void *buf, bool *hole, size_t *got)
{
	bool quiet = ml_quiet;
	unsigned long w = ml_warnings;
	ml_quiet = true;
	*got = ml_space_read(c->s, a, n, buf, hole);
	ml_quiet = quiet;
	if (c->s->exited) {
		ml_err("pid %d exited during the snapshot", c->s->pid);
		return -1;
	}
	if (ml_warnings != w && !c->warned) {
		ml_warn("pid %d: some pages it does not hold were read through /proc/%d/mem (their file could not "
			"be opened), or their mapping changed during the copy", c->s->pid, c->s->pid);
		c->warned = true;
	}
	return 0;
}

static int copy_file(struct copy *c, uint64_t a, uint64_t b, uint32_t facts)
{
	while (a < b) {
		size_t n = (size_t)ML_MIN(b - a, (uint64_t)COPY_BUF), k;
		bool hole;
		c->buf = ml_snap_buf(c->out);
		if (live_read(c, a, n, c->buf, &hole, &k))
			return -1;
		if (hole) {
			if (note_run(c, a, a + k, facts, ML_PC_UNREADABLE))
				return -1;
		} else {
			if (store(c, a, k) || note_run(c, a, a + k, facts, ML_PC_FILE))
				return -1;
			c->res->bytes_file += k;
		}
		a += k;
	}
	return 0;
}

/* One stretch of pages with the same facts and source. */
static int segment(struct copy *c, uint64_t a, uint64_t b, uint32_t facts, uint32_t content)
{
	switch (content) {
	case ML_PC_MEMORY: return copy_memory(c, a, b, facts);
	case ML_PC_FILE: return copy_file(c, a, b, facts);
	default: return note_run(c, a, b, facts, content);
	}
}

static uint32_t classify(const struct copy *c, uint64_t addr, uint64_t w, uint32_t *facts)
{
	bool zero = c->zero_pfn && (w & ML_PM_PRESENT) && (w & ML_PM_PFN_MASK) == c->zero_pfn;
	*facts = ml_pf_from_word(w, zero);
	if (addr >= c->dump_end)
		return ML_PC_NONE;
	if (w & ML_PM_GUARD)
		return ML_PC_UNREADABLE;
	if (zero)
		return ML_PC_ZERO;
	if (w & (ML_PM_PRESENT | ML_PM_SWAPPED))
		return ML_PC_MEMORY;
	if (ml_snap_file_backed(c->r) || c->r->kind == ML_KIND_VDSO)
		return ML_PC_FILE;
	/* Untouched anonymous memory is zero pages; other special mappings' are filled on access. */
	switch (c->r->kind) {
	case ML_KIND_ANON: case ML_KIND_HEAP: case ML_KIND_STACK: return ML_PC_ZERO;
	default: return ML_PC_MEMORY;
	}
}

static int copy_region(struct copy *c, const struct ml_region *r, uint64_t filesz, uint64_t off)
{
	c->r = r;
	c->dump_end = r->start + filesz;
	c->data_off = off;
	int ret = 0;
	for (uint64_t at = r->start; at < r->end && !ret;) {
		uint64_t lim = at < c->dump_end ? c->dump_end : r->end;
		struct ml_pm_run run;
		int k = ml_pagemap_next(c->pm, c->scan, at, lim, c->w, WORDS, &run);
		if (k == 0) {
			ml_err("pid %d exited during the snapshot", c->s->pid);
			ret = -1;
		} else if (k < 0) {
			ret = -1;
		} else if (!run.dense) {
			uint32_t facts;
			uint32_t content = classify(c, at, run.word, &facts);
			ret = segment(c, at, run.end, facts, content);
			at = run.end;
		} else {
			uint64_t n = (run.end - at) / c->ps;
			for (uint64_t i = 0; i < n && !ret;) {
				uint32_t facts, f2;
				uint32_t content = classify(c, at + i * c->ps, c->w[i], &facts);
				uint64_t j = i + 1;
				while (j < n && classify(c, at + j * c->ps, c->w[j], &f2) == content && f2 == facts)
					j++;
				ret = segment(c, at + i * c->ps, at + j * c->ps, facts, content);
				i = j;
			}
			at = run.end;
		}
	}
	return ret;
}

/* The frame of the shared zero page, learnt from a page of our own (0 without CAP_SYS_ADMIN). */
static uint64_t zero_pfn(uint64_t ps)
{
	void *p = mmap(NULL, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	(void)*(volatile const char *)p;	/* a read fault maps the zero page */
	uint64_t w = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, &w, 8, (off_t)((uintptr_t)p / ps * 8)) != 8)
			w = 0;
		close(fd);
	}
	munmap(p, ps);
	return (w & ML_PM_PRESENT) ? w & ML_PM_PFN_MASK : 0;
}

/* ---- the whole core ---- */

static uint32_t pflags(unsigned prot)
{
	return (prot & ML_PROT_R ? PF_R : 0) | (prot & ML_PROT_W ? PF_W : 0) | (prot & ML_PROT_X ? PF_X : 0);
}

static int write_headers(struct ml_snap_writer *w, const struct ml_space *s, const uint64_t *filesz,
			 const uint64_t *offs, uint64_t notes_off, uint64_t notes_len)
{
	uint64_t phnum = s->n + 1;
	size_t size = (size_t)ml_core_headers_size(phnum);
	unsigned char *h = ml_calloc(1, size);
	ml_core_ehdr(h, phnum, ML_EHDR_SIZE + phnum * ML_PHDR_SIZE);
	struct ml_phdr note = { .type = PT_NOTE, .offset = notes_off, .filesz = notes_len, .align = 4 };
	ml_core_phdr(h + ML_EHDR_SIZE, &note);
	for (size_t i = 0; i < s->n; i++) {
		const struct ml_region *r = &s->r[i];
		struct ml_phdr ph = { .type = PT_LOAD, .flags = pflags(r->prot), .offset = offs[i],
				      .vaddr = r->start, .filesz = filesz[i], .memsz = r->end - r->start,
				      .align = s->page_size };
		ml_core_phdr(h + ML_EHDR_SIZE + (i + 1) * ML_PHDR_SIZE, &ph);
	}
	if (phnum >= ML_PN_XNUM)
		ml_core_shdr0(h + ML_EHDR_SIZE + phnum * ML_PHDR_SIZE, phnum);
	int r = ml_snap_put(w, h, size, 0);
	free(h);
	return r;
}

static uint64_t realtime_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

int ml_snapshot_write(struct ml_space *s, struct ml_out *o, const struct ml_snap_opts *opt,
		      struct ml_snap_result *res, double t_frozen)
{
	struct ml_snap_writer w = { 0 };
	struct ml_snap_proc p = { 0 };
	struct ml_nbuf notes = { 0 };
	struct copy c = { .s = s, .out = &w, .res = res, .ps = s->page_size };
	uint64_t *filesz = ml_calloc(s->n ? s->n : 1, sizeof *filesz);
	uint64_t *offs = ml_calloc(s->n ? s->n : 1, sizeof *offs);
	unsigned *vmf = NULL;
	uint64_t time_ns = realtime_ns();
	int ret = -1;

	memset(res, 0, sizeof *res);
	res->frozen = opt->freeze;
	res->regions = s->n;
	/* memlens stopped it: the core records the state it had before. */
	p.state = opt->state;
	if (ml_snap_proc_read(s, opt->freeze, &p))
		goto out;
	res->threads = (unsigned)p.nt;
	res->filter = opt->own_filter ? (p.filter_known ? p.filter : ML_CDF_DEFAULT) : opt->filter;
	/* ELF headers of mapped files always: debuggers find build ids in them. */
	res->filter |= ML_CDF_ELF_HEADERS;
	c.pm = ml_pagemap_open(s->pid);
	if (!c.pm)
		goto out;
	c.scan = ml_pagemap_has_scan(c.pm);
	c.w = ml_calloc(WORDS, sizeof *c.w);
	c.zero_pfn = zero_pfn(c.ps);
	vmf = ml_snap_vmflags(s);

	/* The plan and the layout. */
	uint64_t at = (ml_core_headers_size(s->n + 1) + c.ps - 1) & ~(c.ps - 1);
	for (size_t i = 0; i < s->n; i++) {
		int64_t d = dump_size(s, &s->r[i], vmf[i], res->filter, c.pm, c.scan, c.w);
		if (d < 0 || s->exited) {
			ml_err("pid %d exited during the snapshot", s->pid);
			goto out;
		}
		filesz[i] = (uint64_t)d;
		offs[i] = at;
		at += filesz[i];
		res->regions_dumped += filesz[i] > 0;
	}
	uint64_t notes_off = at;
	standard_notes(&notes, s, &p);
	size_t mlhead = ml_note_size(ML_MLNOTE_OWNER, 0);
	c.rb = ml_malloc(RUNBUF);
	c.rboff = notes_off + notes.len + mlhead + ML_MLNOTE_HDR;
	if (ml_snap_writer_start(&w, o->fd, o->path))
		goto out;

	for (size_t i = 0; i < s->n; i++)
		if (copy_region(&c, &s->r[i], filesz[i], offs[i]))
			goto out;
	if (end_run(&c) || flush_runs(&c) || ml_snap_drain(&w))
		goto out;
	/* Everything is copied: let the process go before the rest is written. */
	double stopped = opt->freeze ? ml_snap_now() - t_frozen : 0;
	if (opt->freeze)
		ml_live_release(s);
	res->stopped_s = stopped;

	struct ml_mlnote_hdr mh = {
		.version = ML_MLNOTE_VERSION,
		.flags = (opt->freeze ? ML_MLN_FROZEN : 0) | (c.zero_pfn ? ML_MLN_ZERO_KNOWN : 0) |
			 (c.scan ? ML_MLN_SCAN : 0),
		.page_size = c.ps, .time_ns = time_ns, .stopped_ns = (uint64_t)(stopped * 1e9),
		.nruns = c.nruns,
	};
	uint64_t desc = ML_MLNOTE_HDR + c.nruns * ML_MLNOTE_RUN;
	unsigned char mhb[64];
	size_t hl = ml_note_head(mhb, ML_MLNOTE_OWNER, ML_NT_MEMLENS_PAGES, (uint32_t)desc);
	ml_mlnote_hdr_encode(mhb + hl, &mh);
	if (desc > UINT32_MAX) {
		ml_err("pid %d: %llu page runs do not fit in one note", s->pid, (unsigned long long)c.nruns);
		goto out;
	}
	if (ml_snap_put(&w, notes.p, notes.len, notes_off) ||
	    ml_snap_put(&w, mhb, hl + ML_MLNOTE_HDR, notes_off + notes.len) ||
	    write_headers(&w, s, filesz, offs, notes_off, notes.len + hl + desc))
		goto out;
	res->file_size = notes_off + notes.len + hl + desc;
	res->bytes_written = w.written;
	res->elapsed_s = ml_snap_now() - t_frozen;
	ret = 0;
out:
	ml_snap_writer_stop(&w);
	if (c.pm)
		ml_pagemap_close(c.pm);
	free(c.w);
	free(c.rb);
	free(vmf);
	free(filesz);
	free(offs);
	ml_nbuf_free(&notes);
	ml_snap_proc_free(&p);
	return ret;
}
