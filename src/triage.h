/*
 * triage: what looks wrong in an address space — executable memory that no
 * file backs, writable code, code mapped from memfds, deleted or temporary
 * files, executable images in anonymous memory, code that differs from its
 * file on disk, loader environment variables, a tracer, a deleted
 * executable, near-random anonymous memory, and YARA matches.
 *
 * Each finding has a stable id, a severity, a range (or none, for facts
 * about the process), the region, a one-line reason and evidence: the first
 * bytes, a disassembly for executable findings, and what else proves it.
 * The ids, severities and evidence fields are documented and versioned in
 * memlens-triage(1): collectors rely on them.
 */
#ifndef ML_TRIAGE_H
#define ML_TRIAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "source.h"

/* Bumped when an id, a severity or an evidence field changes meaning. */
#define ML_TRIAGE_SCHEMA 1

enum ml_sev { ML_SEV_INFO, ML_SEV_LOW, ML_SEV_MEDIUM, ML_SEV_HIGH };

struct ml_finding {
	const char *id;
	enum ml_sev sev;
	bool has_range;
	uint64_t start, end;
	long region;		/* index into the space's regions, or -1 */
	char *reason;		/* one line; may quote untrusted text (escape it to print) */
	json_t *evidence;	/* object: hex, ascii, disasm, and per-id fields */
};

struct ml_yara;

struct ml_triage_opts {
	struct ml_yara *yara;	/* NULL: no YARA findings */
	/* high-entropy: pages (4 KiB) at or above this many bits per byte ... */
	double entropy_bits;
	/* ... in a stretch of at least this many bytes */
	uint64_t entropy_min;
};

/* Called for each finding; the finding and its strings are freed after. */
typedef void (*ml_finding_cb)(void *ctx, const struct ml_finding *f);

/*
 * Runs every check on the space (live extras — environment, tracer,
 * executable — from /proc when it is a live process).  Returns 0, or -1
 * after a diagnostic when the space could not be read at all.
 */
int ml_triage(struct ml_space *s, const struct ml_triage_opts *o, ml_finding_cb cb, void *ctx);

const char *ml_sev_name(enum ml_sev s);

#endif
