/*
 * source_impl: the private side of the source table, for the files that
 * implement a kind (source_*.c) and nothing else.  Each kind is one file
 * that fills one struct ml_source_kind; source.c holds the registry (the
 * order kinds are sniffed in) and the shared read path.  Commands see only
 * source.h: a kind's name and its capability flags, never the kind itself.
 *
 * Adding a kind: one file with its table, one row in source.c's registry,
 * its tests.
 */
#ifndef ML_SOURCE_IMPL_H
#define ML_SOURCE_IMPL_H

#include <jansson.h>

#include "source.h"

struct ml_source_kind {
	const char *name;	/* --as, `regions`'s header, JSON source.kind */
	const char *what;	/* for messages: "an ELF core" */
	unsigned caps;		/* ML_CAP_* this kind always has */
	/*
	 * Whether the file's first bytes (n of them, n may be short) are this
	 * kind's; NULL: never sniffed (live; raw, which takes what is left).
	 */
	bool (*sniff)(const unsigned char *head, size_t n);
	/*
	 * Fills s->r/s->n (sorted, disjoint) from s->fd (file kinds: open,
	 * typed and sized by source.c) or s->pid (live).  On failure prints
	 * one diagnostic and returns -1; close still runs.
	 */
	int (*open)(struct ml_space *s, const struct ml_open_opts *o);
	/*
	 * Bytes [addr, addr+n) of region r (n does not pass r->end): the
	 * longest prefix that is all data or all hole, as ml_space_read().
	 * buf NULL asks for the run only (kinds without ML_CAP_LIVE know their
	 * holes without reading).  NULL: ml_file_read (captured prefix of each
	 * region at r->src_off in the file).
	 */
	size_t (*read)(struct ml_space *s, const struct ml_region *r, uint64_t addr, size_t n,
		       void *buf, bool *hole);
	/* Optional: ml_space_zero_run() within r. */
	size_t (*zero_run)(struct ml_space *s, const struct ml_region *r, uint64_t addr, size_t n);
	/* Optional: the kind's own members of the JSON source object. */
	void (*describe)(const struct ml_space *s, json_t *o);
	/* Optional: releases what open took beyond fd, regions and names. */
	void (*close)(struct ml_space *s);
};

extern const struct ml_source_kind ml_source_live, ml_source_core, ml_source_lime,
	ml_source_minidump, ml_source_vmcore, ml_source_raw;

/* describe for a file of one process: its arguments and thread count (cores, minidumps). */
void ml_describe_process(const struct ml_space *s, json_t *o);

/* The pread path of file kinds: r's captured prefix lies at r->src_off. */
size_t ml_file_read(struct ml_space *s, const struct ml_region *r, uint64_t addr, size_t n,
		    void *buf, bool *hole);

#endif
