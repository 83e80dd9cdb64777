/*
 * elfcore: decoding of ELF core notes from plain bytes — NT_FILE's mapping
 * table, NT_PRPSINFO's process name and NT_PRSTATUS's pid and stack
 * pointer.  Pure functions over untrusted buffers, so they are unit-tested
 * on byte arrays and never trust a count or an offset.
 */
#ifndef ML_ELFCORE_H
#define ML_ELFCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ML_NT_PRSTATUS 1
#define ML_NT_PRPSINFO 3
#define ML_NT_AUXV 6
#define ML_NT_FILE 0x46494c45

struct ml_ntfile_entry {
	uint64_t start, end;
	uint64_t offset;	/* in bytes: file_ofs × page_size */
	char *path;		/* as written, " (deleted)" included */
};

struct ml_ntfile {
	uint64_t page_size;	/* 4096 from the kernel, 1 from gdb */
	size_t n;		/* entries decoded (with paths) */
	size_t declared;	/* the note's own count */
	bool truncated;		/* fewer paths or entries than declared */
	struct ml_ntfile_entry *e;
};

/*
 * Decodes an NT_FILE descriptor whose longs are `wordsize` (4 or 8) bytes,
 * little-endian unless big.  Returns 0 (possibly truncated, see the flag)
 * or -1 when not even the header is sound.
 */
int ml_ntfile_decode(const void *desc, size_t len, unsigned wordsize, bool big,
		     struct ml_ntfile *out);
void ml_ntfile_free(struct ml_ntfile *f);

/* x86-64 (and other LP64 Linux) layouts of prpsinfo and prstatus. */
int ml_prpsinfo_decode(const void *desc, size_t len, int *pid, char fname[17], char args[81]);
int ml_prstatus_decode(const void *desc, size_t len, int *pid, uint64_t *sp);

#endif
