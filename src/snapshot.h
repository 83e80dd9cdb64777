/*
 * snapshot: a live process written as an ELF core (formats/elfcore_write.h)
 * that gdb, lldb and eu-stack load, with the MEMLENS page-facts note
 * (formats/mlnote.h).  snapshot.c plans and copies; snapshot_proc.c
 * gathers what the core says about the process and its threads from /proc
 * and ptrace.  cmd_snapshot.c is the command.
 *
 * The copy never faults a page into the target: pagemap says which pages
 * are there; never-touched anonymous pages become holes of the sparse
 * output, file pages the process does not hold are read from the file.
 */
#ifndef ML_SNAPSHOT_H
#define ML_SNAPSHOT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elfcore_write.h"
#include "output.h"
#include "source.h"

/* coredump_filter bits (Documentation/filesystems/proc.rst). */
enum {
	ML_CDF_ANON_PRIVATE = 1 << 0,
	ML_CDF_ANON_SHARED = 1 << 1,
	ML_CDF_FILE_PRIVATE = 1 << 2,
	ML_CDF_FILE_SHARED = 1 << 3,
	ML_CDF_ELF_HEADERS = 1 << 4,
	ML_CDF_HUGETLB_PRIVATE = 1 << 5,
	ML_CDF_HUGETLB_SHARED = 1 << 6,
	ML_CDF_DAX_PRIVATE = 1 << 7,
	ML_CDF_DAX_SHARED = 1 << 8,
	ML_CDF_ALL = 0x1ff,
	ML_CDF_DEFAULT = 0x33,	/* the kernel's default */
};

struct ml_snap_opts {
	bool own_filter;	/* --filter default: the process's /proc/PID/coredump_filter */
	uint64_t filter;	/* else these bits */
	bool freeze;		/* the source was opened with every thread stopped */
	char state;		/* its state letter before that (ml_snap_precheck) */
};

/* One thread's notes: NT_PRSTATUS and, when stopped, its FP and XSAVE state. */
struct ml_snap_thread {
	struct ml_prstatus st;
	unsigned char fp[ML_FPREGS_SIZE];
	bool has_fp;
	unsigned char *xstate;
	size_t xstate_len;
	bool regs_partial;	/* --no-freeze: only what /proc/TID/syscall shows */
};

/* What /proc says of the process as a whole (snapshot_proc.c). */
struct ml_snap_proc {
	struct ml_prpsinfo ps;
	struct ml_snap_thread *t;	/* the main thread first */
	size_t nt;
	unsigned char *auxv;
	size_t auxv_len;
	uint64_t filter;		/* /proc/PID/coredump_filter */
	bool filter_known;
	char state;			/* the state letter before memlens stopped it */
};

/* What one run did, for --json and index.json. */
struct ml_snap_result {
	uint64_t filter;
	bool frozen;
	unsigned threads;
	size_t regions, regions_dumped;
	uint64_t bytes_dumped;		/* memory copied into the core (from the process or its files) */
	uint64_t bytes_zero;		/* never-touched anonymous memory, holes of the file */
	uint64_t bytes_unreadable;	/* dumped ranges the kernel would not give: holes, not data */
	uint64_t bytes_file;		/* of bytes_dumped, read from mapped files */
	uint64_t bytes_written;		/* everything written: headers, notes, bytes_dumped */
	uint64_t file_size;		/* the core's apparent size */
	double stopped_s;		/* how long the threads were stopped */
	double elapsed_s;		/* from the stop (or the start) to the core written */
};

/*
 * Reads the state letter of pid (before stopping it) and who traces it:
 * 0 with *tracer set (0: nobody), or -1 after a diagnostic.
 */
int ml_snap_precheck(int pid, char *state, int *tracer);
/* Gathers the notes' facts; s is open (and frozen unless freeze is false).  -1 after a diagnostic. */
int ml_snap_proc_read(struct ml_space *s, bool frozen, struct ml_snap_proc *p);
void ml_snap_proc_free(struct ml_snap_proc *p);
/* VM_DONTDUMP, VM_IO, hugetlb, from /proc/PID/smaps's VmFlags (index by region). */
enum { ML_VMF_DONTDUMP = 1, ML_VMF_IO = 2, ML_VMF_HUGETLB = 4, ML_VMF_SHARED = 8 };
unsigned *ml_snap_vmflags(const struct ml_space *s);
/*
 * The kernel's name for the file a region maps, as NT_FILE spells it
 * (" (deleted)" included): /proc/PID/map_files's link, else the maps
 * path; NULL for none.  Allocated.
 */
char *ml_snap_map_name(const struct ml_space *s, const struct ml_region *r);
/* True when the region is backed by a file (vm_file: its inode is not 0). */
bool ml_snap_file_backed(const struct ml_region *r);

/*
 * Writes the core of s to the open output o (a regular file), s being
 * frozen when o->freeze; releases the threads as soon as the copy is done.
 * 0, or -1 after a diagnostic (o then aborted by the caller).
 */
int ml_snapshot_write(struct ml_space *s, struct ml_out *o, const struct ml_snap_opts *opt,
		      struct ml_snap_result *res, double t_frozen);

/*
 * The core's writes (snapshot_io.c): ml_snap_put() where they go, now;
 * the data through a ring of ML_SNAP_BUFS buffers a writer thread drains:
 * ml_snap_buf() waits for a free one, ml_snap_push() queues it filled.
 * Each returns -1 once a write failed (said once, naming the file).
 */
#define ML_SNAP_BUFS 3
#define ML_SNAP_BUF ((size_t)8 << 20)
struct ml_snap_item {
	size_t len;
	uint64_t off;
};
struct ml_snap_writer {
	int fd;
	const char *name;
	int err;		/* the failure said, main thread's */
	int werr;		/* the writer thread's first failure */
	uint64_t written;
	unsigned char *bufs[ML_SNAP_BUFS];
	struct ml_snap_item q[ML_SNAP_BUFS];
	int head, tail, count;
	bool stop, running;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};
int ml_snap_writer_start(struct ml_snap_writer *w, int fd, const char *name);
int ml_snap_put(struct ml_snap_writer *w, const void *buf, size_t n, uint64_t off);
unsigned char *ml_snap_buf(struct ml_snap_writer *w);
int ml_snap_push(struct ml_snap_writer *w, size_t len, uint64_t off);
/* Waits until every queued buffer is written. */
int ml_snap_drain(struct ml_snap_writer *w);
void ml_snap_writer_stop(struct ml_snap_writer *w);

/* Seconds on the monotonic clock. */
double ml_snap_now(void);

#endif
