/*
 * trace_sym: names for the addresses of a trace — function, file:line and
 * inlined frames — from the modules the record lists, read with libdw
 * (elfutils) after the program has gone.  A module whose build id no
 * longer matches the file on disk is not trusted: its frames keep their
 * address and module, with no function (one warning per module).
 */
#ifndef ML_TRACE_SYM_H
#define ML_TRACE_SYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace_read.h"

struct ml_frame {
	uint64_t address;	/* the return address as recorded */
	const char *module;	/* path, or NULL when in no known module */
	const char *function;	/* NULL when unknown */
	const char *file;	/* NULL when unknown */
	unsigned line;		/* 0 when unknown */
	bool inlined;		/* inlined into the frame after it */
};

struct ml_syms;

struct ml_syms *ml_syms_new(const struct ml_trace *t);
void ml_syms_free(struct ml_syms *s);
/*
 * The frames of one recorded address (an inlined call gives several,
 * innermost first): a pointer into the cache, n set.
 */
const struct ml_frame *ml_syms_frames(struct ml_syms *s, uint32_t image, uint64_t ip, size_t *n);

#endif
