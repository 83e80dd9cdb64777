/*
 * source_core: ELF core files, as the kernel or gdb's gcore write them.
 * PT_LOAD segments become regions, NT_FILE names them,
 * NT_PRPSINFO/NT_PRSTATUS give the process and its threads' stacks, NT_AUXV
 * finds the vDSO.  A core with a VMCOREINFO note is a kernel's memory (a
 * kdump /proc/vmcore, /proc/kcore): its own kind, vmcore, with each PT_LOAD
 * placed at its physical address (p_paddr) as a phys region, segments with
 * no physical address (p_paddr all ones: vmalloc, modules) left out, and
 * the note's text kept for `regions` to show.  Segments that run past the end of a truncated
 * file keep their full size; the missing bytes are holes.
 */
#include "config.h"
#include "source_impl.h"
#include "util.h"
#include "elfcore.h"
#include "mlnote.h"
#include "json.h"

#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_NOTES_SIZE ((uint64_t)256 << 20)
#define AT_SYSINFO_EHDR_ 33
#define VSYSCALL_ADDR 0xffffffffff600000ull
/*
 * Where the kernel puts brk: one page past the end of the executable's
 * image, plus a random offset of up to 1 GiB on x86-64 (arch_randomize_brk;
 * 32 MiB for ia32): the heap starts at most this far past the image.
 */
#define BRK_RANDOM_SPAN (((uint64_t)1 << 30) + 4096)
/* Gaps between one executable's segments are below their alignment (2 MiB at most in practice). */
#define EXE_SEGMENT_GAP ((uint64_t)4 << 20)

struct core_notes {
	struct ml_ntfile nt;
	uint64_t *sps;		/* each thread's stack pointer */
	size_t nsps;
	uint64_t vdso;
	char *vmcoreinfo;	/* the VMCOREINFO note's text: a kernel's memory */
};

/* VMCOREINFO is a few KiB of KEY=VALUE lines; more is not the kernel's. */
#define MAX_VMCOREINFO ((size_t)64 << 10)

/* A memlens snapshot's MEMLENS note: its runs stay in the file, read when asked. */
static void pagefacts(struct ml_space *s, const GElf_Phdr *ph, const unsigned char *desc, size_t desc_off,
		      size_t len)
{
	struct ml_mlnote_hdr h;
	const char *why;
	if (ml_mlnote_hdr_decode(desc, len, &h, &why)) {
		ml_warn("%s: its MEMLENS note is ignored: %s", s->name, why);
		return;
	}
	s->has_pagefacts = true;
	s->pagefacts_flags = h.flags;
	s->pagefacts_off = ph->p_offset + desc_off + ML_MLNOTE_HDR;
	s->pagefacts_n = h.nruns;
}

int ml_core_pagefacts_run(struct ml_space *s, uint64_t i, struct ml_mlrun *r)
{
	unsigned char b[ML_MLNOTE_HDR + ML_MLNOTE_RUN];
	if (i >= s->pagefacts_n ||
	    pread(s->fd, b + ML_MLNOTE_HDR, ML_MLNOTE_RUN, (off_t)(s->pagefacts_off + i * ML_MLNOTE_RUN)) !=
		    ML_MLNOTE_RUN)
		return -1;
	return ml_mlrun_decode(b, 0, r);
}

uint64_t ml_core_pagefacts_find(struct ml_space *s, uint64_t addr)
{
	uint64_t lo = 0, hi = s->pagefacts_n;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		struct ml_mlrun r;
		if (ml_core_pagefacts_run(s, mid, &r) == 0 && r.end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void parse_notes(struct ml_space *s, Elf *e, const GElf_Phdr *ph, struct core_notes *cn,
			unsigned ws, bool big, bool x86_64)
{
	uint64_t size = ph->p_filesz;
	if (ph->p_offset >= s->file_size)
		return;
	size = ML_MIN(size, s->file_size - ph->p_offset);
	if (size > MAX_NOTES_SIZE) {
		ml_warn("%s: note segment of %llu bytes is too large; ignoring the rest",
			s->name, (unsigned long long)size);
		size = MAX_NOTES_SIZE;
	}
	Elf_Data *d = elf_getdata_rawchunk(e, (int64_t)ph->p_offset, size, ELF_T_NHDR);
	if (!d)
		return;
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;
	while (off < d->d_size && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		const char *name = (const char *)d->d_buf + name_off;
		const unsigned char *desc = (const unsigned char *)d->d_buf + desc_off;
		if (nh.n_namesz == sizeof ML_MLNOTE_OWNER && !memcmp(name, ML_MLNOTE_OWNER, sizeof ML_MLNOTE_OWNER) &&
		    nh.n_type == ML_NT_MEMLENS_PAGES && !s->has_pagefacts)
			pagefacts(s, ph, desc, desc_off, nh.n_descsz);
		if (nh.n_namesz == 11 && !memcmp(name, "VMCOREINFO", 11) && !cn->vmcoreinfo) {
			size_t n = ML_MIN((size_t)nh.n_descsz, MAX_VMCOREINFO);
			cn->vmcoreinfo = ml_strndup((const char *)desc, strnlen((const char *)desc, n));
			continue;
		}
		if (nh.n_namesz != 5 || memcmp(name, "CORE", 5))
			continue;
		switch (nh.n_type) {
		case ML_NT_FILE:
			if (!s->has_nt_file &&
			    ml_ntfile_decode(desc, nh.n_descsz, ws, big, &cn->nt) == 0) {
				s->has_nt_file = true;
				s->nt_file_page_size = (unsigned)ML_MIN(cn->nt.page_size, (uint64_t)UINT32_MAX);
				if (cn->nt.truncated)
					ml_warn("%s: NT_FILE note is cut short: %zu of %zu mappings named",
						s->name, cn->nt.n, cn->nt.declared);
			}
			break;
		case ML_NT_PRPSINFO: {
			char fname[17], args[81];
			int pid;
			if (ws == 8 && !ml_prpsinfo_decode(desc, nh.n_descsz, &pid, fname, args)) {
				s->pid = pid;
				free(s->comm);
				free(s->args);
				s->comm = ml_strdup(fname);
				s->args = ml_strdup(args);
			}
			break;
		}
		case ML_NT_PRSTATUS: {
			int pid;
			uint64_t sp;
			s->nthreads++;
			if (x86_64 &&
			    !ml_prstatus_decode(desc, nh.n_descsz, &pid, &sp)) {
				cn->sps = ml_reallocarray(cn->sps, cn->nsps + 1, sizeof *cn->sps);
				cn->sps[cn->nsps++] = sp;
			}
			break;
		}
		case ML_NT_AUXV:
			for (size_t i = 0; ws == 8 && i + 16 <= nh.n_descsz; i += 16) {
				uint64_t k, v;
				memcpy(&k, desc + i, 8);
				memcpy(&v, desc + i + 8, 8);
				if (k == AT_SYSINFO_EHDR_)
					cn->vdso = v;
			}
			break;
		}
	}
}

/* The NT_FILE entry covering addr, or NULL (entries are few; scan). */
static const struct ml_ntfile_entry *nt_lookup(const struct ml_ntfile *nt, uint64_t addr)
{
	for (size_t i = 0; i < nt->n; i++)
		if (addr >= nt->e[i].start && addr < nt->e[i].end)
			return &nt->e[i];
	return NULL;
}

static int cmp_entry_start(const void *x, const void *y)
{
	const struct ml_ntfile_entry *a = *(const struct ml_ntfile_entry *const *)x;
	const struct ml_ntfile_entry *b = *(const struct ml_ntfile_entry *const *)y;
	return a->start < b->start ? -1 : a->start > b->start;
}

/*
 * gcore writes no segment for file mappings it did not dump, yet NT_FILE
 * still lists them: add them as regions with nothing captured and
 * permissions unknown, so the core shows the whole mapped layout.
 *
 * The note is untrusted and the region list must stay sorted and disjoint
 * (source.h): entries are taken in address order, one that starts inside
 * a segment or inside an entry already taken is dropped, and one that
 * runs into the next segment is cut there.  Real cores never need either,
 * so drops are said once.
 */
static int add_unloaded_files(struct ml_space *s, const struct core_notes *cn)
{
	size_t nseg = s->n, extra = 0, dropped = 0;
	if (!cn->nt.n)
		return 0;
	const struct ml_ntfile_entry **e = ml_calloc(cn->nt.n, sizeof *e);
	for (size_t i = 0; i < cn->nt.n; i++)
		if (cn->nt.e[i].end > cn->nt.e[i].start && ml_regions_find(s->r, nseg, cn->nt.e[i].start) < 0)
			e[extra++] = &cn->nt.e[i];
	if (!extra) {
		free(e);
		return 0;
	}
	qsort(e, extra, sizeof *e, cmp_entry_start);
	s->r = ml_reallocarray(s->r, nseg + extra, sizeof *s->r);
	uint64_t taken_end = 0;	/* end of the last entry taken */
	for (size_t i = 0; i < extra; i++) {
		const struct ml_ntfile_entry *f = e[i];
		if (f->start < taken_end) {
			dropped++;
			continue;
		}
		size_t next = ml_regions_above(s->r, nseg, f->start);
		uint64_t end = next < nseg ? ML_MIN(f->end, s->r[next].start) : f->end;
		struct ml_region *r = &s->r[s->n++];
		memset(r, 0, sizeof *r);
		r->start = f->start;
		r->end = end;
		r->prot = ML_PROT_UNKNOWN;
		r->kind = ML_KIND_ANON;
		taken_end = end;
	}
	free(e);
	if (dropped)
		ml_warn("%s: NT_FILE lists %zu mapping%s overlapping others; ignored", s->name, dropped,
			dropped == 1 ? "" : "s");
	/* Sorts the entries in among the segments; by construction none overlap. */
	if (ml_regions_sort_check(s->r, s->n)) {
		ml_err("%s: internal error: NT_FILE regions overlap", s->name);
		return -1;
	}
	return 0;
}

/*
 * The end of the executable's image, whose first PT_LOAD is mapped at
 * base: from its ELF program headers when the core holds them (bss
 * included), 0 otherwise.  A 64-bit little-endian ELF only; every field
 * is checked, the headers being as hostile as the rest.
 */
static uint64_t image_end_phdrs(struct ml_space *s, uint64_t base)
{
	unsigned char eh[64], ph[56];
	if (!ml_read_exact(s, base, sizeof eh, eh) || memcmp(eh, ELFMAG, SELFMAG) || eh[EI_CLASS] != ELFCLASS64 ||
	    eh[EI_DATA] != ELFDATA2LSB)
		return 0;
	uint64_t phoff;
	uint16_t phentsize, phnum;
	memcpy(&phoff, eh + 32, 8);
	memcpy(&phentsize, eh + 54, 2);
	memcpy(&phnum, eh + 56, 2);
	if (phentsize != sizeof ph || !phnum || phnum > 256 || phoff > 4096)
		return 0;
	uint64_t lo = UINT64_MAX, hi = 0;
	for (unsigned i = 0; i < phnum; i++) {
		uint32_t type;
		uint64_t vaddr, memsz;
		if (!ml_read_exact(s, base + phoff + (uint64_t)i * sizeof ph, sizeof ph, ph))
			return 0;
		memcpy(&type, ph, 4);
		memcpy(&vaddr, ph + 16, 8);
		memcpy(&memsz, ph + 40, 8);
		if (type != PT_LOAD)
			continue;
		if (vaddr + memsz < vaddr)
			return 0;
		lo = ML_MIN(lo, vaddr & ~(uint64_t)4095);
		hi = ML_MAX(hi, vaddr + memsz);
	}
	/* base is where the lowest segment's page went: the load bias is base - lo. */
	if (lo == UINT64_MAX || lo > base || hi - lo > ((uint64_t)1 << 40) || base - lo + hi < base)
		return 0;
	return base - lo + hi;
}

/*
 * The end of the executable's image from NT_FILE alone: the run of its
 * mappings from base on, each starting within a segment gap of the last
 * (a high re-mapping of part of it, as node does for its text, is not in
 * the run), and the anonymous bss mapping right after the run.
 */
static uint64_t image_end_ntfile(const struct ml_space *s, const struct core_notes *cn, const char *exe,
				 uint64_t base)
{
	uint64_t end = base;
	for (bool more = true; more;) {
		more = false;
		for (size_t i = 0; i < cn->nt.n; i++) {
			const struct ml_ntfile_entry *f = &cn->nt.e[i];
			if (f->end > end && f->start >= base && f->start <= end + EXE_SEGMENT_GAP &&
			    !strcmp(f->path, exe)) {
				end = f->end;
				more = true;
			}
		}
	}
	long b = ml_space_find(s, end);
	if (b >= 0 && s->r[b].start == end && s->r[b].kind == ML_KIND_ANON)
		end = s->r[b].end;
	return end;
}

static bool holds_sp(const struct ml_region *r, const struct core_notes *cn)
{
	for (size_t t = 0; t < cn->nsps; t++)
		if (cn->sps[t] >= r->start && cn->sps[t] < r->end)
			return true;
	return false;
}

/*
 * Kinds a core does not record, inferred: files from NT_FILE; the heap as
 * the first anonymous read-write region that starts past the end of the
 * executable's image, within BRK_RANDOM_SPAN of it and holding no
 * thread's stack pointer; stacks from those pointers; the vDSO from the
 * auxiliary vector and [vvar] below it; [vsyscall] by its address.
 */
static void name_regions(struct ml_space *s, const struct core_notes *cn)
{
	static const char del[] = " (deleted)";
	const struct ml_ntfile_entry *exe = NULL;

	for (size_t i = 0; i < s->n; i++) {
		struct ml_region *r = &s->r[i];
		const struct ml_ntfile_entry *f = nt_lookup(&cn->nt, r->start);
		if (!f)
			continue;
		size_t len = strlen(f->path);
		r->kind = ML_KIND_FILE;
		if (len > sizeof del - 1 && !strcmp(f->path + len - (sizeof del - 1), del)) {
			r->deleted = true;
			len -= sizeof del - 1;
		}
		r->path = ml_strndup(f->path, len);
		r->file_offset = f->offset + (r->start - f->start);
	}
	/* The executable: the lowest mapping of a file from its offset 0 (its first PT_LOAD). */
	for (size_t i = 0; i < cn->nt.n; i++) {
		const struct ml_ntfile_entry *f = &cn->nt.e[i];
		if (f->offset == 0 && f->end > f->start && (!exe || f->start < exe->start))
			exe = f;
	}
	uint64_t exe_end = 0;
	if (exe) {
		exe_end = image_end_phdrs(s, exe->start);
		if (exe_end <= exe->start)
			exe_end = image_end_ntfile(s, cn, exe->path, exe->start);
	}
	for (size_t i = 0; exe_end && i < s->n; i++) {
		struct ml_region *r = &s->r[i];
		if (r->start < exe_end)
			continue;
		if (r->start - exe_end > BRK_RANDOM_SPAN)
			break;
		if (r->kind == ML_KIND_ANON && (r->prot & (ML_PROT_R | ML_PROT_W)) == (ML_PROT_R | ML_PROT_W) &&
		    !holds_sp(r, cn)) {
			r->kind = ML_KIND_HEAP;
			break;
		}
	}
	for (size_t t = 0; t < cn->nsps; t++) {
		long i = ml_space_find(s, cn->sps[t]);
		if (i >= 0 && s->r[i].kind == ML_KIND_ANON)
			s->r[i].kind = ML_KIND_STACK;
	}
	long v = cn->vdso ? ml_space_find(s, cn->vdso) : -1;
	if (v >= 0) {
		s->r[v].kind = ML_KIND_VDSO;
		/*
		 * [vvar] pages sit right below the vDSO; the kernel cannot read
		 * them and writes zeros, which are not data.
		 */
		for (long i = v - 1; i >= 0 && i >= v - 2; i--) {
			struct ml_region *r = &s->r[i];
			if (r->end != s->r[i + 1].start || r->kind != ML_KIND_ANON ||
			    (r->prot & (ML_PROT_W | ML_PROT_X)))
				break;
			r->kind = ML_KIND_VVAR;
			r->captured = 0;
		}
	}
	long g = ml_space_find(s, VSYSCALL_ADDR);
	if (g >= 0 && s->r[g].kind == ML_KIND_ANON)
		s->r[g].kind = ML_KIND_VSYSCALL;
}

/* The notes first: a VMCOREINFO note decides how the segments are placed. */
static int load_notes(struct ml_space *s, Elf *e, size_t nph, struct core_notes *cn,
		      unsigned ws, bool big, bool x86_64)
{
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph)) {
			ml_err("%s: program header %zu is unreadable: %s", s->name, i, elf_errmsg(-1));
			return -1;
		}
		if (ph.p_type == PT_NOTE)
			parse_notes(s, e, &ph, cn, ws, big, x86_64);
	}
	return 0;
}

static int load_segments(struct ml_space *s, Elf *e, size_t nph, bool phys)
{
	size_t nophys = 0;
	s->r = ml_calloc(nph ? nph : 1, sizeof *s->r);
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph)) {
			ml_err("%s: program header %zu is unreadable: %s", s->name, i, elf_errmsg(-1));
			return -1;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (phys && ph.p_paddr == UINT64_MAX) {
			nophys++;
			continue;
		}
		uint64_t at = phys ? ph.p_paddr : ph.p_vaddr;
		if (at + ph.p_memsz < at) {
			ml_warn("%s: segment %zu wraps past the top of memory; skipped", s->name, i);
			continue;
		}
		struct ml_region *r = &s->r[s->n++];
		r->start = at;
		r->end = at + ph.p_memsz;
		r->prot = (ph.p_flags & PF_R ? ML_PROT_R : 0) | (ph.p_flags & PF_W ? ML_PROT_W : 0) |
			  (ph.p_flags & PF_X ? ML_PROT_X : 0);
		r->kind = phys ? ML_KIND_PHYS : ML_KIND_ANON;
		r->file_offset = phys ? at : 0;	/* as LiME's phys regions: the physical address */
		r->src_off = ph.p_offset;
		uint64_t want = ML_MIN(ph.p_filesz, ph.p_memsz);
		uint64_t have = ph.p_offset >= s->file_size ? 0 :
				ML_MIN(want, s->file_size - ph.p_offset);
		r->captured = have;
		if (have < want) {
			s->truncated = true;
			s->missing += want - have;
		}
	}
	if (nophys)
		ml_warn("%s: %zu segment%s without a physical address (vmalloc, modules) left out", s->name,
			nophys, nophys == 1 ? "" : "s");
	return 0;
}

/*
 * A memlens snapshot's unreadable runs (guard pages, pages the kernel
 * refused): the core holds zeros there to keep one PT_LOAD per mapping,
 * but they are holes, not data, and read back as such.  Kept sorted and
 * merged; a note naming more than UNREADABLE_MAX of them is hostile or
 * absurd, and the rest read as the zeros the core holds, with a warning.
 */
#define UNREADABLE_MAX ((size_t)1 << 20)

struct core_priv {
	uint64_t (*un)[2];	/* [start, end) */
	size_t nun;
};

static int cmp_range(const void *x, const void *y)
{
	const uint64_t *a = x, *b = y;
	return (a[0] > b[0]) - (a[0] < b[0]);
}

static void load_unreadable(struct ml_space *s)
{
	struct core_priv *p = ml_calloc(1, sizeof *p);
	size_t cap = 0;
	struct ml_mlrun run;
	enum { BATCH = 4096 };	/* runs read at once */
	unsigned char *b = ml_malloc(ML_MLNOTE_HDR + (size_t)BATCH * ML_MLNOTE_RUN);
	uint64_t have = 0, first = 0;
	for (uint64_t i = 0; i < s->pagefacts_n; i++) {
		if (i >= first + have) {
			first = i;
			size_t want = (size_t)ML_MIN((uint64_t)BATCH, s->pagefacts_n - i) * ML_MLNOTE_RUN;
			ssize_t got = pread(s->fd, b + ML_MLNOTE_HDR, want,
					    (off_t)(s->pagefacts_off + i * ML_MLNOTE_RUN));
			if (got < ML_MLNOTE_RUN)
				break;	/* cut by the end of the file: pagemap CORE says so */
			have = (uint64_t)got / ML_MLNOTE_RUN;
		}
		if (ml_mlrun_decode(b, i - first, &run) || run.content != ML_PC_UNREADABLE || run.end <= run.start)
			continue;
		if (p->nun == UNREADABLE_MAX) {
			ml_warn("%s: its MEMLENS note names more than %zu unreadable runs: the rest read as the zeros the core holds",
				s->name, UNREADABLE_MAX);
			break;
		}
		if (p->nun == cap) {
			cap = cap ? 2 * cap : 64;
			p->un = ml_reallocarray(p->un, cap, sizeof *p->un);
		}
		p->un[p->nun][0] = run.start;
		p->un[p->nun][1] = run.end;
		p->nun++;
	}
	free(b);
	if (p->nun > 1)
		qsort(p->un, p->nun, sizeof *p->un, cmp_range);
	size_t k = 0;	/* merged: overlapping or touching runs become one */
	for (size_t i = 0; i < p->nun; i++) {
		if (k && p->un[i][0] <= p->un[k - 1][1]) {
			p->un[k - 1][1] = ML_MAX(p->un[k - 1][1], p->un[i][1]);
			continue;
		}
		p->un[k][0] = p->un[i][0];
		p->un[k][1] = p->un[i][1];
		k++;
	}
	p->nun = k;
	s->priv = p;
}

static size_t read_core(struct ml_space *s, const struct ml_region *r, uint64_t addr, size_t n, void *buf,
			bool *hole)
{
	const struct core_priv *p = s->priv;
	if (p && p->nun) {
		size_t lo = 0, hi = p->nun;	/* the first run that ends after addr */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (p->un[mid][1] <= addr)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < p->nun && p->un[lo][0] <= addr) {
			*hole = true;
			return (size_t)ML_MIN((uint64_t)n, p->un[lo][1] - addr);
		}
		if (lo < p->nun && p->un[lo][0] - addr < n)
			n = (size_t)(p->un[lo][0] - addr);
	}
	return ml_file_read(s, r, addr, n, buf, hole);
}

static void close_core(struct ml_space *s)
{
	struct core_priv *p = s->priv;
	if (p)
		free(p->un);
	free(p);
	s->priv = NULL;
}

static int open_core(struct ml_space *s, const struct ml_open_opts *o)
{
	(void)o;
	struct core_notes cn = { 0 };
	int ret = -1;
	size_t nph;
	GElf_Ehdr eh;

	elf_version(EV_CURRENT);
	/* ELF_C_READ, not mmap: a truncated core must not raise SIGBUS. */
	Elf *e = elf_begin(s->fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
		ml_err("%s: not an ELF core file%s", s->name,
		       s->file_size == 0 ? " (the file is empty)" : "");
		goto out;
	}
	if (eh.e_type != ET_CORE) {
		ml_err("%s: an ELF file, but not a core (e_type %u)", s->name, (unsigned)eh.e_type);
		goto out;
	}
	if (elf_getphdrnum(e, &nph)) {
		ml_err("%s: core has no readable program headers: %s", s->name, elf_errmsg(-1));
		goto out;
	}
	unsigned ws = eh.e_ident[EI_CLASS] == ELFCLASS64 ? 8 : 4;
	bool big = eh.e_ident[EI_DATA] == ELFDATA2MSB;
	if (load_notes(s, e, nph, &cn, ws, big, ws == 8 && eh.e_machine == EM_X86_64))
		goto out;
	/* A kernel's memory (or --as vmcore): by physical address, nothing of a process to name. */
	bool phys = cn.vmcoreinfo || o->as == &ml_source_vmcore;
	if (load_segments(s, e, nph, phys))
		goto out;
	if (ml_regions_sort_check(s->r, s->n)) {
		ml_err("%s: %s has overlapping or empty segments%s", s->name, phys ? "vmcore" : "core",
		       phys ? " (by physical address)" : "");
		goto out;
	}
	if (phys) {
		s->kind = &ml_source_vmcore;
		s->caps = s->kind->caps;
		s->info = cn.vmcoreinfo;
		cn.vmcoreinfo = NULL;
		if (s->truncated)
			ml_warn("%s: vmcore is truncated: %llu bytes of captured memory are missing and read as holes",
				s->name, (unsigned long long)s->missing);
		ret = 0;
		goto out;
	}
	if (add_unloaded_files(s, &cn))
		goto out;
	name_regions(s, &cn);
	if (s->has_pagefacts) {
		s->caps |= ML_CAP_PAGEFACTS;
		load_unreadable(s);
	}
	if (s->truncated)
		ml_warn("%s: core is truncated: %llu bytes of captured memory are missing and read as holes",
			s->name, (unsigned long long)s->missing);
	ret = 0;
out:
	ml_ntfile_free(&cn.nt);
	free(cn.sps);
	free(cn.vmcoreinfo);
	if (e)
		elf_end(e);
	return ret;
}

/* ELF, e_type ET_CORE (offset 16 in both classes, in the file's byte order). */
static bool sniff_core(const unsigned char *h, size_t n)
{
	if (n < 18 || memcmp(h, "\177ELF", 4))
		return false;
	unsigned type = h[5] == 2 ? (h[16] << 8 | h[17]) : (h[17] << 8 | h[16]);
	return type == 4;
}

static void describe_core(const struct ml_space *s, json_t *o)
{
	ml_describe_process(s, o);
	json_object_set_new(o, "nt_file_page_size",
			    s->has_nt_file ? json_integer(s->nt_file_page_size) : json_null());
}

const struct ml_source_kind ml_source_core = {
	.name = "core",
	.what = "an ELF core",
	.caps = ML_CAP_THREADS | ML_CAP_PROCESS,
	.sniff = sniff_core,
	.open = open_core,
	.read = read_core,
	.describe = describe_core,
	.close = close_core,
};

static void describe_vmcore(const struct ml_space *s, json_t *o)
{
	json_object_set_new(o, "vmcoreinfo", ml_json_str(s->info));
}

/* Sniffed as a core; open_core tells it by its VMCOREINFO note. */
const struct ml_source_kind ml_source_vmcore = {
	.name = "vmcore",
	.what = "an ELF vmcore",
	.caps = ML_CAP_PHYS,
	.open = open_core,
	.describe = describe_vmcore,
};
