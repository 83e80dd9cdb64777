/*
 * elfcore_write: byte layouts of an x86-64 core's headers and notes,
 * written little-endian field by field at the offsets of the kernel's
 * structures, so the result does not depend on this compiler's padding.
 */
#include "config.h"
#include "le.h"
#include "elfcore_write.h"
#include "util.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

size_t ml_note_size(const char *owner, size_t descsz)
{
	return 12 + pad4(strlen(owner) + 1) + pad4(descsz);
}

size_t ml_note_head(unsigned char *out, const char *owner, uint32_t type, uint32_t descsz)
{
	size_t namesz = strlen(owner) + 1;
	ml_put_le(out, (uint32_t)namesz, 4);
	ml_put_le(out + 4, descsz, 4);
	ml_put_le(out + 8, type, 4);
	memset(out + 12, 0, pad4(namesz));
	memcpy(out + 12, owner, namesz);
	return 12 + pad4(namesz);
}

void ml_nbuf_note(struct ml_nbuf *b, const char *owner, uint32_t type, const void *desc, size_t descsz)
{
	size_t need = ml_note_size(owner, descsz);
	if (b->cap - b->len < need) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap - b->len < need)
			cap *= 2;
		b->p = ml_reallocarray(b->p, cap, 1);
		b->cap = cap;
	}
	unsigned char *o = b->p + b->len;
	size_t h = ml_note_head(o, owner, type, (uint32_t)descsz);
	memset(o + h, 0, pad4(descsz));
	if (desc)
		memcpy(o + h, desc, descsz);
	b->len += need;
}

void ml_nbuf_free(struct ml_nbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

uint64_t ml_core_headers_size(uint64_t phnum)
{
	return ML_EHDR_SIZE + phnum * ML_PHDR_SIZE + (phnum >= ML_PN_XNUM ? ML_SHDR_SIZE : 0);
}

void ml_core_ehdr(unsigned char out[ML_EHDR_SIZE], uint64_t phnum, uint64_t shoff)
{
	bool xnum = phnum >= ML_PN_XNUM;
	memset(out, 0, ML_EHDR_SIZE);
	memcpy(out, ELFMAG, SELFMAG);
	out[EI_CLASS] = ELFCLASS64;
	out[EI_DATA] = ELFDATA2LSB;
	out[EI_VERSION] = EV_CURRENT;
	out[EI_OSABI] = ELFOSABI_NONE;
	ml_put_le(out + 16, ET_CORE, 2);
	ml_put_le(out + 18, EM_X86_64, 2);
	ml_put_le(out + 20, EV_CURRENT, 4);
	ml_put_le(out + 32, ML_EHDR_SIZE, 8);		/* e_phoff */
	ml_put_le(out + 40, xnum ? shoff : 0, 8);	/* e_shoff */
	ml_put_le(out + 52, ML_EHDR_SIZE, 2);		/* e_ehsize */
	ml_put_le(out + 54, ML_PHDR_SIZE, 2);
	ml_put_le(out + 56, xnum ? ML_PN_XNUM : (uint16_t)phnum, 2);
	ml_put_le(out + 58, xnum ? ML_SHDR_SIZE : 0, 2);
	ml_put_le(out + 60, xnum ? 1 : 0, 2);		/* e_shnum */
}

void ml_core_shdr0(unsigned char out[ML_SHDR_SIZE], uint64_t phnum)
{
	memset(out, 0, ML_SHDR_SIZE);
	ml_put_le(out + 44, (uint32_t)phnum, 4);	/* sh_info: the real e_phnum */
}

void ml_core_phdr(unsigned char out[ML_PHDR_SIZE], const struct ml_phdr *ph)
{
	ml_put_le(out, ph->type, 4);
	ml_put_le(out + 4, ph->flags, 4);
	ml_put_le(out + 8, ph->offset, 8);
	ml_put_le(out + 16, ph->vaddr, 8);
	ml_put_le(out + 24, 0, 8);	/* p_paddr */
	ml_put_le(out + 32, ph->filesz, 8);
	ml_put_le(out + 40, ph->memsz, 8);
	ml_put_le(out + 48, ph->align, 8);
}

static void timeval(unsigned char *p, const struct ml_timeval *t)
{
	ml_put_le(p, (uint64_t)t->sec, 8);
	ml_put_le(p + 8, (uint64_t)t->usec, 8);
}

void ml_prstatus_encode(unsigned char out[ML_PRSTATUS_SIZE], const struct ml_prstatus *p)
{
	memset(out, 0, ML_PRSTATUS_SIZE);
	ml_put_le(out, (uint32_t)p->signo, 4);
	ml_put_le(out + 4, (uint32_t)p->code, 4);
	ml_put_le(out + 8, (uint32_t)p->err, 4);
	ml_put_le(out + 12, (uint16_t)p->cursig, 2);
	ml_put_le(out + 16, p->sigpend, 8);
	ml_put_le(out + 24, p->sighold, 8);
	ml_put_le(out + 32, (uint32_t)p->pid, 4);
	ml_put_le(out + 36, (uint32_t)p->ppid, 4);
	ml_put_le(out + 40, (uint32_t)p->pgrp, 4);
	ml_put_le(out + 44, (uint32_t)p->sid, 4);
	timeval(out + 48, &p->utime);
	timeval(out + 64, &p->stime);
	timeval(out + 80, &p->cutime);
	timeval(out + 96, &p->cstime);
	for (size_t i = 0; i < ML_ARRAY_SIZE(p->regs); i++)
		ml_put_le(out + 112 + 8 * i, p->regs[i], 8);
	ml_put_le(out + 328, (uint32_t)p->fpvalid, 4);
}

void ml_prpsinfo_encode(unsigned char out[ML_PRPSINFO_SIZE], const struct ml_prpsinfo *p)
{
	memset(out, 0, ML_PRPSINFO_SIZE);
	out[0] = (unsigned char)p->state;
	out[1] = (unsigned char)p->sname;
	out[2] = (unsigned char)p->zomb;
	out[3] = (unsigned char)p->nice;
	ml_put_le(out + 8, p->flag, 8);
	ml_put_le(out + 16, p->uid, 4);
	ml_put_le(out + 20, p->gid, 4);
	ml_put_le(out + 24, (uint32_t)p->pid, 4);
	ml_put_le(out + 28, (uint32_t)p->ppid, 4);
	ml_put_le(out + 32, (uint32_t)p->pgrp, 4);
	ml_put_le(out + 36, (uint32_t)p->sid, 4);
	memcpy(out + 40, p->fname, 16);
	memcpy(out + 56, p->psargs, 80);
	out[135] = 0;
}

void ml_psargs(char out[80], const char *args, size_t len)
{
	len = ML_MIN(len, (size_t)79);
	memset(out, 0, 80);
	memcpy(out, args, len);
	for (size_t i = 0; i < len; i++)
		if (!out[i])
			out[i] = ' ';
}

void ml_psinfo_state(struct ml_prpsinfo *p, char letter)
{
	/* fill_psinfo: state i is the lowest bit of __state plus one, named "RSDTZW"[i]. */
	static const char names[] = "RSDTZW";
	const char *at = letter ? strchr(names, letter) : NULL;
	p->state = at ? (char)(at - names) : 0;
	p->sname = at ? letter : '.';
	p->zomb = p->sname == 'Z';
}

int ml_ntfile_note(struct ml_nbuf *b, const struct ml_ntfile_out *e, size_t n, size_t max)
{
	const uint64_t page = 4096;
	size_t size = 16 + n * 24;
	for (size_t i = 0; i < n; i++) {
		size += strlen(e[i].path) + 1;
		if (size > max)
			return -1;
	}
	if (ml_note_size("CORE", size) > max)
		return -1;
	unsigned char *d = ml_malloc(size);
	ml_put_le(d, n, 8);
	ml_put_le(d + 8, page, 8);
	size_t at = 16 + n * 24;
	for (size_t i = 0; i < n; i++) {
		ml_put_le(d + 16 + i * 24, e[i].start, 8);
		ml_put_le(d + 24 + i * 24, e[i].end, 8);
		ml_put_le(d + 32 + i * 24, e[i].offset / page, 8);
		size_t l = strlen(e[i].path) + 1;
		memcpy(d + at, e[i].path, l);
		at += l;
	}
	ml_nbuf_note(b, "CORE", NT_FILE, d, size);
	free(d);
	return 0;
}

uint64_t ml_xstate_xfeatures(const unsigned char *x, size_t len)
{
	return len < 472 ? 0 : ml_get_le(x + 464, 8);
}

size_t ml_xsave_layout(unsigned char *out, uint64_t xfeatures, ml_cpuid_fn cpuid)
{
	size_t n = 0;
	for (unsigned i = 2; i < 64; i++) {
		if (!(xfeatures >> i & 1))
			continue;
		uint32_t r[4];
		cpuid(0xd, i, r);
		ml_put_le(out + n, i, 4);
		ml_put_le(out + n + 4, r[0], 4);	/* eax: size */
		ml_put_le(out + n + 8, r[1], 4);	/* ebx: offset in the standard format */
		ml_put_le(out + n + 12, 0, 4);		/* flags: reserved, 0 */
		n += 16;
	}
	return n;
}
