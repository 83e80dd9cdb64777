/*
 * test_snapshot: the core writer's byte layouts against the C library's
 * own definitions of them (<elf.h>'s Elf64_Ehdr/Phdr/Shdr/Nhdr,
 * <sys/procfs.h>'s elf_prstatus and elf_prpsinfo), NT_FILE read back by
 * the core reader's decoder, the kernel's psargs and state rules, the
 * XSAVE layout note from a made-up CPUID, and the MEMLENS note encoded,
 * decoded and refused when hostile.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>

#include "elfcore.h"
#include "elfcore_write.h"
#include "mlnote.h"

static void ehdr_is_elf64(void **st)
{
	(void)st;
	unsigned char b[ML_EHDR_SIZE];
	Elf64_Ehdr e;
	ml_core_ehdr(b, 42, 0);
	memcpy(&e, b, sizeof e);
	assert_memory_equal(e.e_ident, ELFMAG, SELFMAG);
	assert_int_equal(e.e_ident[EI_CLASS], ELFCLASS64);
	assert_int_equal(e.e_ident[EI_DATA], ELFDATA2LSB);
	assert_int_equal(e.e_type, ET_CORE);
	assert_int_equal(e.e_machine, EM_X86_64);
	assert_int_equal(e.e_version, EV_CURRENT);
	assert_int_equal(e.e_phoff, sizeof(Elf64_Ehdr));
	assert_int_equal(e.e_ehsize, sizeof(Elf64_Ehdr));
	assert_int_equal(e.e_phentsize, sizeof(Elf64_Phdr));
	assert_int_equal(e.e_phnum, 42);
	assert_int_equal(e.e_shnum, 0);
	assert_int_equal(e.e_shoff, 0);
	assert_int_equal(ml_core_headers_size(42), sizeof(Elf64_Ehdr) + 42 * sizeof(Elf64_Phdr));
}

/* From PN_XNUM program headers on, the count moves to section 0's sh_info. */
static void ehdr_xnum(void **st)
{
	(void)st;
	uint64_t n = 70000;
	unsigned char b[ML_EHDR_SIZE], s[ML_SHDR_SIZE];
	Elf64_Ehdr e;
	Elf64_Shdr sh;
	uint64_t shoff = sizeof(Elf64_Ehdr) + n * sizeof(Elf64_Phdr);
	ml_core_ehdr(b, n, shoff);
	ml_core_shdr0(s, n);
	memcpy(&e, b, sizeof e);
	memcpy(&sh, s, sizeof sh);
	assert_int_equal(e.e_phnum, PN_XNUM);
	assert_int_equal(e.e_shoff, shoff);
	assert_int_equal(e.e_shnum, 1);
	assert_int_equal(e.e_shentsize, sizeof(Elf64_Shdr));
	assert_int_equal(sh.sh_info, n);
	assert_int_equal(sh.sh_type, SHT_NULL);
	assert_int_equal(ml_core_headers_size(n), shoff + sizeof(Elf64_Shdr));
}

static void phdr_fields(void **st)
{
	(void)st;
	unsigned char b[ML_PHDR_SIZE];
	Elf64_Phdr p;
	struct ml_phdr in = { PT_LOAD, PF_R | PF_W, 0x5000, 0x7f0000001000, 0x2000, 0x3000, 4096 };
	ml_core_phdr(b, &in);
	memcpy(&p, b, sizeof p);
	assert_int_equal(p.p_type, PT_LOAD);
	assert_int_equal(p.p_flags, PF_R | PF_W);
	assert_int_equal(p.p_offset, 0x5000);
	assert_int_equal(p.p_vaddr, 0x7f0000001000);
	assert_int_equal(p.p_paddr, 0);
	assert_int_equal(p.p_filesz, 0x2000);
	assert_int_equal(p.p_memsz, 0x3000);
	assert_int_equal(p.p_align, 4096);
}

/* struct elf_prstatus as glibc declares it for this machine. */
static void prstatus_layout(void **st)
{
	(void)st;
	assert_int_equal(sizeof(struct elf_prstatus), ML_PRSTATUS_SIZE);
	assert_int_equal(sizeof(((struct elf_prstatus *)0)->pr_reg), ML_USER_REGS_SIZE);
	struct ml_prstatus in = { .signo = 11, .code = 1, .err = 0, .cursig = 11, .sigpend = 0x100,
				  .sighold = 0x2000, .pid = 1234, .ppid = 1, .pgrp = 1230, .sid = 1200,
				  .utime = { 5, 250000 }, .stime = { 1, 10 }, .cutime = { 2, 20 },
				  .cstime = { 3, 30 }, .fpvalid = 1 };
	for (int i = 0; i < 27; i++)
		in.regs[i] = 0x1111111111111111ull * (uint64_t)(i % 15 + 1);
	unsigned char b[ML_PRSTATUS_SIZE];
	struct elf_prstatus p;
	ml_prstatus_encode(b, &in);
	memcpy(&p, b, sizeof p);
	assert_int_equal(p.pr_info.si_signo, 11);
	assert_int_equal(p.pr_info.si_code, 1);
	assert_int_equal(p.pr_cursig, 11);
	assert_int_equal(p.pr_sigpend, 0x100);
	assert_int_equal(p.pr_sighold, 0x2000);
	assert_int_equal(p.pr_pid, 1234);
	assert_int_equal(p.pr_ppid, 1);
	assert_int_equal(p.pr_pgrp, 1230);
	assert_int_equal(p.pr_sid, 1200);
	assert_int_equal(p.pr_utime.tv_sec, 5);
	assert_int_equal(p.pr_utime.tv_usec, 250000);
	assert_int_equal(p.pr_cstime.tv_usec, 30);
	for (int i = 0; i < 27; i++)
		assert_int_equal(p.pr_reg[i], in.regs[i]);
	assert_int_equal(p.pr_fpvalid, 1);
	/* and the core reader finds the pid and the stack pointer where it looks */
	int pid;
	uint64_t sp;
	assert_int_equal(ml_prstatus_decode(b, sizeof b, &pid, &sp), 0);
	assert_int_equal(pid, 1234);
	assert_int_equal(sp, in.regs[ML_REG_RSP]);
}

static void prpsinfo_layout(void **st)
{
	(void)st;
	assert_int_equal(sizeof(struct elf_prpsinfo), ML_PRPSINFO_SIZE);
	struct ml_prpsinfo in = { .nice = -5, .flag = 0x400100, .uid = 1000, .gid = 100, .pid = 77,
				  .ppid = 7, .pgrp = 70, .sid = 60 };
	ml_psinfo_state(&in, 'S');
	memcpy(in.fname, "sixteen-chars-xx", 16);
	ml_psargs(in.psargs, "./prog\0-x\0arg\0", 14);
	unsigned char b[ML_PRPSINFO_SIZE];
	struct elf_prpsinfo p;
	ml_prpsinfo_encode(b, &in);
	memcpy(&p, b, sizeof p);
	assert_int_equal(p.pr_state, 1);
	assert_int_equal(p.pr_sname, 'S');
	assert_int_equal(p.pr_zomb, 0);
	assert_int_equal(p.pr_nice, -5);
	assert_int_equal(p.pr_flag, 0x400100);
	assert_int_equal(p.pr_uid, 1000);
	assert_int_equal(p.pr_gid, 100);
	assert_int_equal(p.pr_pid, 77);
	assert_int_equal(p.pr_ppid, 7);
	assert_int_equal(p.pr_pgrp, 70);
	assert_int_equal(p.pr_sid, 60);
	assert_memory_equal(p.pr_fname, "sixteen-chars-xx", 16);
	/* fill_psinfo: every NUL of the argument block becomes a space, the last one too */
	assert_string_equal(p.pr_psargs, "./prog -x arg ");
	int pid;
	char fname[17], args[81];
	assert_int_equal(ml_prpsinfo_decode(b, sizeof b, &pid, fname, args), 0);
	assert_int_equal(pid, 77);
	assert_string_equal(fname, "sixteen-chars-xx");
}

static void psargs_cut(void **st)
{
	(void)st;
	char big[200], out[80];
	memset(big, 'a', sizeof big);
	ml_psargs(out, big, sizeof big);
	assert_int_equal(strlen(out), 79);	/* ELF_PRARGSZ - 1 */
	ml_psargs(out, "", 0);
	assert_string_equal(out, "");
}

static void state_letters(void **st)
{
	(void)st;
	struct ml_prpsinfo p;
	const char *l = "RSDTZW";
	for (int i = 0; l[i]; i++) {
		ml_psinfo_state(&p, l[i]);
		assert_int_equal(p.state, i);
		assert_int_equal(p.sname, l[i]);
		assert_int_equal(p.zomb, l[i] == 'Z');
	}
	ml_psinfo_state(&p, 'I');
	assert_int_equal(p.sname, '.');
}

/* Notes: 4-byte padding of owner and description, as <elf.h>'s Elf64_Nhdr is read. */
static void note_padding(void **st)
{
	(void)st;
	struct ml_nbuf b = { 0 };
	ml_nbuf_note(&b, "CORE", 6, "abcdef", 6);
	ml_nbuf_note(&b, "MEMLENS", 7, NULL, 0);
	assert_int_equal(b.len, ml_note_size("CORE", 6) + ml_note_size("MEMLENS", 0));
	assert_int_equal(ml_note_size("CORE", 6), 12 + 8 + 8);
	Elf64_Nhdr n;
	memcpy(&n, b.p, sizeof n);
	assert_int_equal(n.n_namesz, 5);
	assert_int_equal(n.n_descsz, 6);
	assert_int_equal(n.n_type, 6);
	assert_string_equal((char *)b.p + 12, "CORE");
	assert_memory_equal(b.p + 20, "abcdef\0\0", 8);
	memcpy(&n, b.p + 28, sizeof n);
	assert_int_equal(n.n_namesz, 8);
	assert_int_equal(n.n_descsz, 0);
	assert_string_equal((char *)b.p + 40, "MEMLENS");
	ml_nbuf_free(&b);
}

/* NT_FILE written in the kernel's page units reads back through the core reader. */
static void ntfile_roundtrip(void **st)
{
	(void)st;
	struct ml_ntfile_out e[2] = {
		{ 0x400000, 0x401000, 0, "/bin/x" },
		{ 0x7f0000000000, 0x7f0000003000, 0x5000, "/tmp/odd name (deleted)" },
	};
	struct ml_nbuf b = { 0 };
	assert_int_equal(ml_ntfile_note(&b, e, 2, 1 << 20), 0);
	size_t desc = 12 + 8;	/* header, "CORE\0" padded */
	uint64_t psz;
	memcpy(&psz, b.p + desc + 8, 8);
	assert_int_equal(psz, 4096);
	struct ml_ntfile f;
	Elf64_Nhdr n;
	memcpy(&n, b.p, sizeof n);
	assert_int_equal(n.n_type, NT_FILE);
	assert_int_equal(ml_ntfile_decode(b.p + desc, n.n_descsz, 8, false, &f), 0);
	assert_int_equal(f.n, 2);
	assert_false(f.truncated);
	assert_int_equal(f.e[1].start, 0x7f0000000000);
	assert_int_equal(f.e[1].end, 0x7f0000003000);
	assert_int_equal(f.e[1].offset, 0x5000);
	assert_string_equal(f.e[1].path, "/tmp/odd name (deleted)");
	ml_ntfile_free(&f);
	/* past the size limit it is left out whole, as the kernel leaves it out */
	size_t before = b.len;
	assert_int_equal(ml_ntfile_note(&b, e, 2, 64), -1);
	assert_int_equal(b.len, before);
	ml_nbuf_free(&b);
}

/* A made-up CPUID: feature i is 64*i bytes at offset 1000+i. */
static void fake_cpuid(unsigned leaf, unsigned sub, uint32_t out[4])
{
	assert_int_equal(leaf, 0xd);
	out[0] = 64 * sub;
	out[1] = 1000 + sub;
	out[2] = 2;
	out[3] = 0;
}

static void xsave_layout(void **st)
{
	(void)st;
	unsigned char x[600] = { 0 }, out[16 * 64];
	x[464] = 0xe7;	/* x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM */
	x[465] = 0x02;	/* and PKRU (9) */
	uint64_t f = ml_xstate_xfeatures(x, sizeof x);
	assert_int_equal(f, 0x2e7);
	assert_int_equal(ml_xstate_xfeatures(x, 400), 0);
	size_t n = ml_xsave_layout(out, f, fake_cpuid);
	assert_int_equal(n, 5 * 16);	/* 2, 5, 6, 7, 9: the legacy x87 and SSE are not listed */
	static const uint32_t types[] = { 2, 5, 6, 7, 9 };
	for (int i = 0; i < 5; i++) {
		uint32_t r[4];
		memcpy(r, out + 16 * i, 16);
		assert_int_equal(r[0], types[i]);
		assert_int_equal(r[1], 64 * types[i]);
		assert_int_equal(r[2], 1000 + types[i]);
		assert_int_equal(r[3], 0);
	}
}

static void mlnote_roundtrip(void **st)
{
	(void)st;
	unsigned char d[ML_MLNOTE_HDR + 3 * ML_MLNOTE_RUN];
	struct ml_mlnote_hdr h = { ML_MLNOTE_VERSION, ML_MLN_FROZEN | ML_MLN_SCAN, 4096, 1700000000000000000ull,
				   12345, 3 };
	ml_mlnote_hdr_encode(d, &h);
	struct ml_mlrun runs[3] = {
		{ 0x1000, 0x3000, ml_pf_from_word(0x8100000000001234ull, false), ML_PC_MEMORY },
		{ 0x3000, 0x100003000, 0, ML_PC_ZERO },
		{ 0x100003000, 0x100004000, ml_pf_from_word(0x8000000000000000ull, true), ML_PC_ZERO },
	};
	for (int i = 0; i < 3; i++)
		ml_mlrun_encode(d + ML_MLNOTE_HDR + i * ML_MLNOTE_RUN, &runs[i]);
	struct ml_mlnote_hdr g;
	const char *why;
	assert_int_equal(ml_mlnote_hdr_decode(d, sizeof d, &g, &why), 0);
	assert_memory_equal(&g, &h, sizeof g);
	for (int i = 0; i < 3; i++) {
		struct ml_mlrun r;
		assert_int_equal(ml_mlrun_decode(d, (uint64_t)i, &r), 0);
		assert_memory_equal(&r, &runs[i], sizeof r);
	}
	/* present + exclusive survive; the PFN does not */
	assert_int_equal(ml_pf_to_word(runs[0].facts), 0x8100000000000000ull);
	assert_int_equal(runs[2].facts & ML_PF_ZERO, ML_PF_ZERO);
	assert_string_equal(ml_pc_name(ML_PC_ZERO), "zero");
}

static void mlnote_hostile(void **st)
{
	(void)st;
	unsigned char d[ML_MLNOTE_HDR + ML_MLNOTE_RUN];
	struct ml_mlnote_hdr h = { ML_MLNOTE_VERSION, 0, 4096, 0, 0, 2 }, g;
	const char *why = NULL;
	ml_mlnote_hdr_encode(d, &h);
	assert_int_equal(ml_mlnote_hdr_decode(d, sizeof d, &g, &why), -1);	/* two runs claimed, one held */
	assert_non_null(why);
	h.nruns = UINT64_MAX;
	ml_mlnote_hdr_encode(d, &h);
	assert_int_equal(ml_mlnote_hdr_decode(d, sizeof d, &g, &why), -1);
	h.nruns = 1;
	h.page_size = 3000;
	ml_mlnote_hdr_encode(d, &h);
	assert_int_equal(ml_mlnote_hdr_decode(d, sizeof d, &g, &why), -1);
	h.page_size = 4096;
	h.version = 2;
	ml_mlnote_hdr_encode(d, &h);
	assert_int_equal(ml_mlnote_hdr_decode(d, sizeof d, &g, &why), -1);
	assert_int_equal(ml_mlnote_hdr_decode(d, ML_MLNOTE_HDR - 1, &g, &why), -1);
	/* runs that are empty or name an unknown source are refused */
	struct ml_mlrun r = { 0x2000, 0x2000, 0, ML_PC_MEMORY }, o;
	ml_mlrun_encode(d + ML_MLNOTE_HDR, &r);
	assert_int_equal(ml_mlrun_decode(d, 0, &o), -1);
	r.end = 0x3000;
	r.content = 99;
	ml_mlrun_encode(d + ML_MLNOTE_HDR, &r);
	assert_int_equal(ml_mlrun_decode(d, 0, &o), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ehdr_is_elf64),   cmocka_unit_test(ehdr_xnum),
		cmocka_unit_test(phdr_fields),     cmocka_unit_test(prstatus_layout),
		cmocka_unit_test(prpsinfo_layout), cmocka_unit_test(psargs_cut),
		cmocka_unit_test(state_letters),   cmocka_unit_test(note_padding),
		cmocka_unit_test(ntfile_roundtrip), cmocka_unit_test(xsave_layout),
		cmocka_unit_test(mlnote_roundtrip), cmocka_unit_test(mlnote_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
