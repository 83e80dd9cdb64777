/*
 * source: opening a SOURCE string (a pid, pid:N, self, or a file sniffed by
 * content as one of the kinds in source.c's table) as an address space,
 * and reading its bytes.  Commands ask what a source can do (ML_CAP_*),
 * never which kind it is; the kinds live behind source_impl.h.
 *
 * Reads never invent data: ml_space_read() answers with the longest prefix
 * of the request that is uniformly data or uniformly hole, so callers handle
 * runs and never mistake padding for memory.
 */
#ifndef ML_SOURCE_H
#define ML_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "region.h"

/* What a source can do or tell; a kind's table says which it has. */
enum {
	ML_CAP_LIVE = 1 << 0,	/* a running process: reads go through /proc and may race it */
	ML_CAP_THREADS = 1 << 1,	/* knows the process's threads */
	ML_CAP_PHYS = 1 << 2,	/* addresses are physical, regions are RAM ranges */
	ML_CAP_PAGEFACTS = 1 << 3,	/* pagemap's facts per page (live; a memlens snapshot's note) */
	ML_CAP_PROCESS = 1 << 4,	/* one process's virtual memory, with its mappings */
	ML_CAP_BASE = 1 << 5,	/* placed at --base: the file says nothing of addresses */
	ML_CAP_FLAT = 1 << 6,	/* the address space is the file itself, byte for byte */
};

struct ml_source_kind;

/* The kind of file --as NAME names, or NULL; the names --as takes, for usage lines. */
const struct ml_source_kind *ml_source_kind_named(const char *name);
const char *ml_source_kind_list(void);

struct ml_open_opts {
	const struct ml_source_kind *as;	/* NULL sniffs */
	uint64_t base;		/* raw: address of the first byte */
	bool freeze;		/* live: stop all threads while open */
};

struct ml_live;

struct ml_space {
	const struct ml_source_kind *kind;
	unsigned caps;		/* ML_CAP_*: the kind's, and what this source turned out to hold */
	char *name;		/* the SOURCE string as given */
	struct ml_region *r;	/* sorted by start, non-overlapping */
	size_t n;

	int pid;		/* live pid, or from the core's notes; 0 unknown */
	char *comm;		/* process name, NULL if unknown; untrusted */
	char *args;		/* core: NT_PRPSINFO psargs; untrusted */
	unsigned page_size;

	int fd;			/* the file, or /proc/PID/mem */
	uint64_t file_size;	/* file sources */
	dev_t dev;		/* file sources: to refuse overwriting the input */
	ino_t ino;

	/* core */
	bool truncated;
	uint64_t missing;	/* bytes the file should hold but does not */
	bool has_nt_file;
	unsigned nt_file_page_size;
	unsigned nthreads;	/* threads the file names (cores, minidumps) */
	/* a memlens snapshot's MEMLENS note: pagemap's facts per run of pages */
	bool has_pagefacts;
	uint32_t pagefacts_flags;	/* ML_MLN_* */
	uint64_t pagefacts_off;		/* file offset of its first run */
	uint64_t pagefacts_n;		/* runs */

	/* live */
	int *tids;		/* threads stopped by --freeze */
	size_t ntids;
	bool exited;		/* the process went away while being read */
	struct ml_live *live;	/* the read path's state (source_proc.c) */

	void *priv;		/* a kind's own state (source_impl.h) */
	char *info;		/* text the kind shows in `regions` (vmcore: VMCOREINFO); untrusted */
};

/* The source's kind, as --as names it ("live", "core" ...); "what" for messages ("an ELF core"). */
const char *ml_space_kind(const struct ml_space *s);
const char *ml_space_what(const struct ml_space *s);
/* The kind --as named: its name and how messages call it. */
const char *ml_source_kind_name(const struct ml_source_kind *k);
const char *ml_source_kind_what(const struct ml_source_kind *k);
unsigned ml_source_kind_caps(const struct ml_source_kind *k);
/* Adds the kind's own members to a JSON source object (json.c's ml_json_source). */
struct json_t;
void ml_space_describe(const struct ml_space *s, struct json_t *o);
/* True when the source has every capability in caps. */
static inline bool ml_space_can(const struct ml_space *s, unsigned caps)
{
	return (s->caps & caps) == caps;
}

/*
 * "1234", "pid:1234" or "self": 1 with *pid set; any other text names a
 * file: 0; "pid:abc", "0" or a number past the pid range: -1.
 */
int ml_source_pid(const char *src, int *pid);

/* Opens SOURCE; on failure prints one diagnostic and returns -1. */
int ml_space_open(struct ml_space **out, const char *source, const struct ml_open_opts *o);
void ml_space_close(struct ml_space *s);

/* "core.1234, pid 1234 (name)": the SOURCE as given and its process, escaped. */
void ml_fputs_source(FILE *f, const struct ml_space *s);

/* Index of the region containing addr, or -1. */
long ml_space_find(const struct ml_space *s, uint64_t addr);

/*
 * Reads the longest prefix of [addr, addr+n) that is all data (copied to
 * buf, *hole=false) or all hole (*hole=true, buf untouched).  Returns its
 * length, which is > 0 whenever n > 0.  Addresses between regions are holes.
 */
size_t ml_space_read(struct ml_space *s, uint64_t addr, size_t n, void *buf, bool *hole);

/*
 * The hole map: the run ml_space_read() would answer at addr, without the
 * bytes where the source can tell without reading them (file sources know
 * what they captured).  A live process tells only by reading: `scratch`
 * (n bytes) takes the bytes then.
 */
size_t ml_space_holes(struct ml_space *s, uint64_t addr, size_t n, void *scratch, bool *hole);

/*
 * The length of the run at addr (at most n) that the source knows holds
 * only zeros without reading it — a live process's never-touched private
 * anonymous pages — or 0.  For scanners that may skip what zeros cannot hold.
 */
size_t ml_space_zero_run(struct ml_space *s, uint64_t addr, size_t n);

/* Reads n bytes, holes zero-filled; returns how many were data. */
size_t ml_read_mem(struct ml_space *s, uint64_t addr, size_t n, void *buf);
/* True only when all n bytes at addr are data. */
bool ml_read_exact(struct ml_space *s, uint64_t addr, size_t n, void *buf);

/*
 * Opens path read-only, but only once fstat on an O_PATH descriptor has
 * shown a regular file (or, with blk, a block device): nothing else is
 * opened on the way (open blocks on a FIFO with no writer, and opening a
 * device can act on it: a tape rewinds, a watchdog arms).  -1 with errno;
 * ENODEV when the type was refused (st then says which type it was).
 */
int ml_open_typed(const char *path, bool blk, struct stat *st);

/*
 * The MEMLENS note of a core memlens snapshot wrote (formats/mlnote.h):
 * run i (0 ok, -1 unreadable or malformed), and the index of the first run
 * that ends above addr (pagefacts_n if none).  Read from the file as
 * asked: the note can be as large as the process's page tables.
 */
struct ml_mlrun;
int ml_core_pagefacts_run(struct ml_space *s, uint64_t i, struct ml_mlrun *r);
uint64_t ml_core_pagefacts_find(struct ml_space *s, uint64_t addr);
/* Lets a live source's threads run again and drops its read state (snapshot does it early). */
void ml_live_release(struct ml_space *s);
/*
 * After the kernel refused to let memlens read pid (EACCES/EPERM): what is
 * missing, as far as /proc tells (CAP_SYS_PTRACE, Yama's ptrace_scope, a
 * user namespace, a non-dumpable or foreign process), as a phrase for the
 * error line's parenthesis.
 */
void ml_proc_denied_hint(int pid, char *buf, size_t len);

/* Parses one /proc/PID/maps line into r (path allocated); -1 if malformed. */
int ml_parse_maps_line(const char *line, struct ml_region *r);

#endif
