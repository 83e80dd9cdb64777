/*
 * trace_sym: symbols of recorded addresses with libdw.  One Dwfl per
 * process image, each module reported at its recorded load bias, so the
 * recorded addresses are looked up as they were at run time; debug files
 * are found the standard way (build id under /usr/lib/debug, .gnu_debuglink).
 * Return addresses point after the call: the call itself is at ip - 1.
 */
#include "config.h"
#include "trace_sym.h"
#include "util.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	uint32_t image;
	uint64_t ip;
	struct ml_frame *f;
	size_t n;
	bool used;
};

struct ml_syms {
	const struct ml_trace *t;
	Dwfl **dwfl;		/* per image, made on first use */
	bool *mismatch;		/* per module: its file changed since recording */
	bool *warned;
	struct entry *tab;
	size_t cap, n;
	char **strs;		/* strings the frames point to */
	size_t nstrs;
};

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

struct ml_syms *ml_syms_new(const struct ml_trace *t)
{
	struct ml_syms *s = ml_calloc(1, sizeof *s);
	s->t = t;
	s->dwfl = ml_calloc(ml_trace_nimages(t) + 1, sizeof *s->dwfl);
	s->mismatch = ml_calloc(ml_trace_nmodules(t) + 1, sizeof *s->mismatch);
	s->warned = ml_calloc(ml_trace_nmodules(t) + 1, sizeof *s->warned);
	s->cap = 1024;
	s->tab = ml_calloc(s->cap, sizeof *s->tab);
	return s;
}

void ml_syms_free(struct ml_syms *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < ml_trace_nimages(s->t); i++)
		if (s->dwfl[i])
			dwfl_end(s->dwfl[i]);
	for (size_t i = 0; i < s->cap; i++)
		free(s->tab[i].f);
	for (size_t i = 0; i < s->nstrs; i++)
		free(s->strs[i]);
	free(s->strs);
	free(s->tab);
	free(s->dwfl);
	free(s->mismatch);
	free(s->warned);
	free(s);
}

static const char *keep(struct ml_syms *s, const char *str)
{
	if (!str)
		return NULL;
	s->strs = ml_reallocarray(s->strs, s->nstrs + 1, sizeof *s->strs);
	return s->strs[s->nstrs++] = ml_strdup(str);
}

/* The module of ip in an image at the time: the latest loaded that covers it. */
static long module_of(const struct ml_syms *s, uint32_t image, uint64_t ip)
{
	long best = -1;
	for (size_t i = 0; i < ml_trace_nmodules(s->t); i++) {
		const struct ml_tmodule *m = ml_trace_module(s->t, i);
		if (m->image == image && ip >= m->lo && ip < m->hi)
			best = (long)i;
	}
	return best;
}

static Dwfl *dwfl_of(struct ml_syms *s, uint32_t image)
{
	if (s->dwfl[image])
		return s->dwfl[image];
	Dwfl *d = dwfl_begin(&callbacks);
	if (!d)
		return NULL;
	dwfl_report_begin(d);
	for (size_t i = 0; i < ml_trace_nmodules(s->t); i++) {
		const struct ml_tmodule *m = ml_trace_module(s->t, i);
		if (m->image != image || m->path[0] != '/')
			continue;	/* the vdso and nameless objects have no file */
		Dwfl_Module *dm = dwfl_report_elf(d, m->path, m->path, -1, m->bias, false);
		if (!dm)
			continue;
		const unsigned char *bits;
		GElf_Addr vaddr;
		int len = dwfl_module_build_id(dm, &bits, &vaddr);
		if (m->id_len && (len != m->id_len || memcmp(bits, m->build_id, m->id_len)))
			s->mismatch[i] = true;
	}
	dwfl_report_end(d, NULL, NULL);
	s->dwfl[image] = d;
	return d;
}

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *n = dwarf_diename(die);
	if (!n) {
		/* an inlined instance names its abstract origin */
		if (dwarf_attr_integrate(die, DW_AT_name, &a))
			n = dwarf_formstring(&a);
	}
	return n;
}

/*
 * The compile unit that covers pc.  elfutils 0.188 (Debian 12) finds it
 * through .debug_aranges, which clang does not write: then each unit is
 * asked whether its ranges hold pc.
 */
static Dwarf_Die *cu_of(Dwfl_Module *dm, Dwarf_Addr pc, Dwarf_Addr *bias)
{
	Dwarf_Die *cu = dwfl_module_addrdie(dm, pc, bias);
	if (cu)
		return cu;
	for (cu = dwfl_module_nextcu(dm, NULL, bias); cu; cu = dwfl_module_nextcu(dm, cu, bias))
		if (dwarf_haspc(cu, pc - *bias) > 0)
			return cu;
	return NULL;
}

/* Fills frames for pc: inlined ones from the DWARF scopes, then the function itself. */
static size_t resolve(struct ml_syms *s, Dwfl_Module *dm, uint64_t ip, const char *modpath, struct ml_frame **out)
{
	uint64_t pc = ip - 1;
	struct ml_frame *f = NULL;
	size_t n = 0;
	const char *file = NULL;
	int line = 0;
	Dwarf_Addr bias;
	Dwarf_Die *cu = cu_of(dm, pc, &bias);
	/* Line tables only where a unit covers pc: outside (crt1's _start) the nearest line is wrong. */
	Dwfl_Line *ln = cu ? dwfl_module_getsrc(dm, pc) : NULL;
	Dwarf_Line *dl;
	if (ln) {
		file = dwfl_lineinfo(ln, NULL, &line, NULL, NULL, NULL);
	} else if (cu && (dl = dwarf_getsrc_die(cu, pc - bias)) != NULL) {	/* the same, without aranges */
		file = dwarf_linesrc(dl, NULL, NULL);
		dwarf_lineno(dl, &line);
	}
	Dwarf_Die *scopes = NULL;
	int ns = cu ? dwarf_getscopes(cu, pc - bias, &scopes) : 0;
	for (int i = 0; i < ns; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
			continue;
		f = ml_reallocarray(f, n + 1, sizeof *f);
		f[n] = (struct ml_frame){ ip, modpath, keep(s, die_name(&scopes[i])), keep(s, file),
					  (unsigned)(line > 0 ? line : 0), tag == DW_TAG_inlined_subroutine };
		n++;
		if (tag == DW_TAG_subprogram || n >= 64)
			break;
		/* the next frame out is at this inlined call's site */
		Dwarf_Attribute a;
		Dwarf_Word w;
		file = NULL;
		line = 0;
		if (dwarf_attr(&scopes[i], DW_AT_call_line, &a) && !dwarf_formudata(&a, &w))
			line = (int)w;
		if (dwarf_attr(&scopes[i], DW_AT_call_file, &a) && !dwarf_formudata(&a, &w)) {
			Dwarf_Files *files;
			size_t nf;
			if (!dwarf_getsrcfiles(cu, &files, &nf) && w < nf)
				file = dwarf_filesrc(files, w, NULL, NULL);
		}
		/*
		 * The scopes past an inlined instance are its abstract origin's;
		 * the caller's are found from the instance itself.
		 */
		Dwarf_Die *outer = NULL;
		int no = dwarf_getscopes_die(&scopes[i], &outer);
		free(scopes);
		scopes = outer;
		ns = no;
		i = 0;	/* outer[0] is the instance itself: go on from outer[1] */
	}
	free(scopes);
	if (!n) {
		/*
		 * No DWARF function here: the ELF symbol only.  A line table's
		 * nearest row would belong to some other function (crt1's _start).
		 */
		GElf_Off off;
		GElf_Sym sym;
		const char *name = dwfl_module_addrinfo(dm, pc, &off, &sym, NULL, NULL, NULL);
		f = ml_malloc(sizeof *f);
		f[0] = (struct ml_frame){ ip, modpath, keep(s, name), NULL, 0, false };
		n = 1;
	} else if (!f[n - 1].function) {
		GElf_Off off;
		GElf_Sym sym;
		f[n - 1].function = keep(s, dwfl_module_addrinfo(dm, pc, &off, &sym, NULL, NULL, NULL));
	}
	*out = f;
	return n;
}

const struct ml_frame *ml_syms_frames(struct ml_syms *s, uint32_t image, uint64_t ip, size_t *n)
{
	if ((s->n + 1) * 2 > s->cap) {
		size_t oc = s->cap;
		struct entry *old = s->tab;
		s->cap *= 2;
		s->tab = ml_calloc(s->cap, sizeof *s->tab);
		for (size_t i = 0; i < oc; i++)
			if (old[i].used) {
				size_t j = (old[i].ip * 0x9E3779B97F4A7C15ull ^ old[i].image) & (s->cap - 1);
				while (s->tab[j].used)
					j = (j + 1) & (s->cap - 1);
				s->tab[j] = old[i];
			}
		free(old);
	}
	size_t j = (ip * 0x9E3779B97F4A7C15ull ^ image) & (s->cap - 1);
	while (s->tab[j].used) {
		if (s->tab[j].ip == ip && s->tab[j].image == image) {
			*n = s->tab[j].n;
			return s->tab[j].f;
		}
		j = (j + 1) & (s->cap - 1);
	}
	struct entry *e = &s->tab[j];
	e->used = true;
	e->image = image;
	e->ip = ip;
	s->n++;
	long mi = module_of(s, image, ip);
	const char *modpath = mi >= 0 ? ml_trace_module(s->t, (size_t)mi)->path : NULL;
	Dwfl *d = mi >= 0 ? dwfl_of(s, image) : NULL;
	Dwfl_Module *dm = d ? dwfl_addrmodule(d, ip - 1) : NULL;
	if (dm && !s->mismatch[mi]) {
		e->n = resolve(s, dm, ip, modpath, &e->f);
	} else {
		if (mi >= 0 && s->mismatch[mi] && !s->warned[mi]) {
			s->warned[mi] = true;
			char *p = ml_escape(modpath);
			ml_warn("%s: its build id differs from the recorded one (changed since the run): not symbolised", p);
			free(p);
		}
		e->f = ml_malloc(sizeof *e->f);
		e->f[0] = (struct ml_frame){ ip, modpath, NULL, NULL, 0, false };
		e->n = 1;
	}
	*n = e->n;
	return e->f;
}
