/*
 * minidump: the records of a Windows minidump (MDMP) that memlens reads,
 * decoded from bytes already read, each checked against the size it came
 * in.  Layouts from Microsoft's minidumpapiset.h (MINIDUMP_HEADER,
 * MINIDUMP_DIRECTORY, MINIDUMP_MEMORY_LIST, MINIDUMP_MEMORY64_LIST,
 * MINIDUMP_MEMORY_INFO_LIST, MINIDUMP_THREAD_LIST, MINIDUMP_MODULE_LIST)
 * and Breakpad's Linux streams (minidump_format.h), all little-endian.
 * No I/O and no printing here: src/source_minidump.c reads the file and
 * says what went wrong with the reason these return.
 */
#ifndef ML_MINIDUMP_H
#define ML_MINIDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ML_MD_SIGNATURE 0x504d444du	/* "MDMP" */
#define ML_MD_VERSION 0xa793u		/* low 16 bits of Version */
#define ML_MD_HEADER 32
#define ML_MD_DIRENT 12

enum {
	ML_MD_THREAD_LIST = 3,
	ML_MD_MODULE_LIST = 4,
	ML_MD_MEMORY_LIST = 5,
	ML_MD_MEMORY64_LIST = 9,
	ML_MD_MISC_INFO = 15,
	ML_MD_MEMORY_INFO_LIST = 16,
	ML_MD_LINUX_PROC_STATUS = 0x47670004,	/* /proc/PID/status text */
	ML_MD_LINUX_CMD_LINE = 0x47670006,	/* /proc/PID/cmdline bytes */
	ML_MD_LINUX_MAPS = 0x47670009,		/* /proc/PID/maps text */
};

/* Fixed record sizes on disk. */
#define ML_MD_MEMDESC 16	/* MINIDUMP_MEMORY_DESCRIPTOR: u64 start, u32 size, u32 rva */
#define ML_MD_MEMDESC64 16	/* MINIDUMP_MEMORY_DESCRIPTOR64: u64 start, u64 size */
#define ML_MD_THREAD 48		/* MINIDUMP_THREAD */
#define ML_MD_MODULE 108	/* MINIDUMP_MODULE */
#define ML_MD_MEMINFO 48	/* MINIDUMP_MEMORY_INFO */

struct ml_md_header {
	uint32_t nstreams;
	uint32_t dir_rva;
};

struct ml_md_dirent {
	uint32_t type, size, rva;
};

/* One memory range: its bytes are [off, off + size) of the file. */
struct ml_md_range {
	uint64_t start, size, off;
};

struct ml_md_thread {
	uint32_t tid;
	struct ml_md_range stack;
};

struct ml_md_module {
	uint64_t base;
	uint32_t size;
	uint32_t name_rva;	/* MINIDUMP_STRING: u32 byte length, UTF-16LE */
};

struct ml_md_meminfo {
	uint64_t base, size;
	uint32_t state, protect, type;
};

enum {
	ML_MD_MEM_COMMIT = 0x1000,
	ML_MD_MEM_RESERVE = 0x2000,
	ML_MD_MEM_FREE = 0x10000,
	ML_MD_MEM_PRIVATE = 0x20000,
	ML_MD_MEM_MAPPED = 0x40000,
	ML_MD_MEM_IMAGE = 0x1000000,
};

/* Reasons, for "MDMP: <reason>"; NULL means the bytes decoded. */
const char *ml_md_header(const unsigned char b[ML_MD_HEADER], uint64_t file_size, struct ml_md_header *h);
void ml_md_dirent(const unsigned char b[ML_MD_DIRENT], struct ml_md_dirent *d);
/*
 * A list stream's count, checked against the stream's size: *count
 * records of rec bytes after a head of head bytes.  MemoryList, ThreadList
 * and ModuleList have a u32 count (head 4); Memory64List a u64 count and a
 * u64 base rva (head 16, *base set); MemoryInfoList its own header size
 * and entry size (read from the head; *base unused).
 */
const char *ml_md_list(const unsigned char *head, size_t head_len, uint32_t type, uint64_t stream_size,
		       uint64_t *count, uint64_t *base, uint64_t *first, uint64_t *rec);
void ml_md_memdesc(const unsigned char b[ML_MD_MEMDESC], struct ml_md_range *r);
void ml_md_memdesc64(const unsigned char b[ML_MD_MEMDESC64], uint64_t off, struct ml_md_range *r);
void ml_md_thread(const unsigned char b[ML_MD_THREAD], struct ml_md_thread *t);
void ml_md_module(const unsigned char b[ML_MD_MODULE], struct ml_md_module *m);
void ml_md_meminfo(const unsigned char b[ML_MD_MEMINFO], struct ml_md_meminfo *m);
/* A Windows page protection (PAGE_*) as ML_MD_R|W|X; ok false for one it does not know. */
enum { ML_MD_R = 1, ML_MD_W = 2, ML_MD_X = 4 };
unsigned ml_md_prot(uint32_t protect, bool *ok);
/*
 * UTF-16LE (n bytes) to UTF-8 in out (cap bytes, NUL-terminated, cut at a
 * whole character); unpaired surrogates become U+FFFD.
 */
void ml_md_utf16(const unsigned char *in, size_t n, char *out, size_t cap);

#endif
