/*
 * elfcore_write: the bytes of an x86-64 Linux ELF core — its header,
 * program headers, and the notes in the layouts the kernel writes
 * (fs/binfmt_elf.c, include/uapi/linux/elfcore.h): NT_PRSTATUS,
 * NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE, NT_FPREGSET, NT_X86_XSTATE,
 * NT_X86_XSAVE_LAYOUT.  Pure functions into caller buffers: no I/O, no
 * printing, so each layout is unit-tested against the byte offsets gdb,
 * lldb and eu-stack read.  src/snapshot*.c gathers the facts and writes
 * the file.
 */
#ifndef ML_ELFCORE_WRITE_H
#define ML_ELFCORE_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ML_NT_PRFPREG 2
#define ML_NT_SIGINFO 0x53494749
#define ML_NT_X86_XSTATE 0x202
#define ML_NT_X86_XSAVE_LAYOUT 0x205

#define ML_EHDR_SIZE 64
#define ML_PHDR_SIZE 56
#define ML_SHDR_SIZE 64
#define ML_PRSTATUS_SIZE 336
#define ML_PRPSINFO_SIZE 136
#define ML_SIGINFO_SIZE 128
#define ML_USER_REGS_SIZE 216	/* struct user_regs_struct: 27 longs */
#define ML_FPREGS_SIZE 512	/* struct user_fpregs_struct (FXSAVE) */
#define ML_PN_XNUM 0xffff

/* Indexes of registers in struct user_regs_struct (and so in pr_reg). */
enum { ML_REG_RDI = 14, ML_REG_ORIG_RAX = 15, ML_REG_RIP = 16, ML_REG_RSP = 19 };

/* A growing buffer of notes, each padded to 4 bytes as the kernel pads them. */
struct ml_nbuf {
	unsigned char *p;
	size_t len, cap;
};
/* Bytes one note takes: header, owner and description, each padded to 4. */
size_t ml_note_size(const char *owner, size_t descsz);
/* Appends a note; desc may be NULL for descsz zero bytes. */
void ml_nbuf_note(struct ml_nbuf *b, const char *owner, uint32_t type, const void *desc, size_t descsz);
/* Writes a note's 12-byte header and padded owner name; returns the bytes written. */
size_t ml_note_head(unsigned char *out, const char *owner, uint32_t type, uint32_t descsz);
void ml_nbuf_free(struct ml_nbuf *b);

/*
 * The ELF header of an x86-64 little-endian ET_CORE with phnum program
 * headers at offset 64.  From PN_XNUM headers on, e_phnum says PN_XNUM and
 * the count goes in the sh_info of one section header at shoff (which the
 * caller writes with ml_core_shdr0); shoff is ignored below that.
 */
void ml_core_ehdr(unsigned char out[ML_EHDR_SIZE], uint64_t phnum, uint64_t shoff);
void ml_core_shdr0(unsigned char out[ML_SHDR_SIZE], uint64_t phnum);
/* Where the program headers end: 64 + phnum * 56, plus the extra section header. */
uint64_t ml_core_headers_size(uint64_t phnum);

struct ml_phdr {
	uint32_t type, flags;	/* PT_*, PF_* */
	uint64_t offset, vaddr, filesz, memsz, align;
};
void ml_core_phdr(unsigned char out[ML_PHDR_SIZE], const struct ml_phdr *ph);

struct ml_timeval {
	int64_t sec, usec;
};

/* struct elf_prstatus (x86-64): what fill_prstatus() puts there. */
struct ml_prstatus {
	int signo, code, err;	/* pr_info */
	int cursig;
	uint64_t sigpend, sighold;
	int pid, ppid, pgrp, sid;
	struct ml_timeval utime, stime, cutime, cstime;
	uint64_t regs[ML_USER_REGS_SIZE / 8];
	int fpvalid;
};
void ml_prstatus_encode(unsigned char out[ML_PRSTATUS_SIZE], const struct ml_prstatus *p);

/* struct elf_prpsinfo (x86-64): what fill_psinfo() puts there. */
struct ml_prpsinfo {
	char state, sname, zomb, nice;
	uint64_t flag;
	uint32_t uid, gid;
	int pid, ppid, pgrp, sid;
	char fname[16];		/* not NUL-terminated when full */
	char psargs[80];	/* NUL-terminated */
};
void ml_prpsinfo_encode(unsigned char out[ML_PRPSINFO_SIZE], const struct ml_prpsinfo *p);
/*
 * pr_psargs the kernel's way: the argument block with NULs turned into
 * spaces, cut to 79 bytes, and NUL-terminated.
 */
void ml_psargs(char out[80], const char *args, size_t len);
/* pr_state / pr_sname from a /proc state letter, as fill_psinfo() numbers them. */
void ml_psinfo_state(struct ml_prpsinfo *p, char letter);

/* One NT_FILE entry: its range, its offset in the file in bytes, its path. */
struct ml_ntfile_out {
	uint64_t start, end, offset;
	const char *path;
};
/*
 * Appends an NT_FILE note with page_size 4096 (the kernel's unit: offsets
 * are written in pages).  Returns 0, or -1 (nothing appended) when it
 * would exceed max bytes, as the kernel drops the note past
 * core_file_note_size_limit.
 */
int ml_ntfile_note(struct ml_nbuf *b, const struct ml_ntfile_out *e, size_t n, size_t max);

/*
 * The NT_X86_XSAVE_LAYOUT description: one {type, size, offset, flags=0}
 * record of 4 u32 per extended feature (2 and up) in xfeatures, whose size
 * and standard-format offset come from cpuid(0xd, feature).  Returns the
 * bytes written (at most 16 * 62).
 */
typedef void (*ml_cpuid_fn)(unsigned leaf, unsigned sub, uint32_t out[4]);
size_t ml_xsave_layout(unsigned char *out, uint64_t xfeatures, ml_cpuid_fn cpuid);
/* The user xfeatures the kernel stores at byte 464 of an NT_X86_XSTATE buffer; 0 if too short. */
uint64_t ml_xstate_xfeatures(const unsigned char *xstate, size_t len);

#endif
