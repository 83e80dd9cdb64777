/*
 * select: the selection language shared by every command that reads bytes.
 * `--region SPEC` (repeatable): heap, stack, anon, file, exec, vdso, vvar,
 * vsyscall, phys, raw, a path substring (path:TEXT forces one), or an
 * address range START-END / START+LEN.  Several specs select their union;
 * regions come out in address order and a range cuts the regions it meets.
 * Also the byte stream over a selection: runs of data or holes in blocks.
 */
#ifndef ML_SELECT_H
#define ML_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "source.h"

enum ml_spec_type { ML_SPEC_KIND, ML_SPEC_EXEC, ML_SPEC_PATH, ML_SPEC_RANGE };

struct ml_spec {
	enum ml_spec_type type;
	enum ml_kind kind;	/* ML_SPEC_KIND */
	char *text;		/* ML_SPEC_PATH */
	uint64_t start, end;	/* ML_SPEC_RANGE: [start, end) */
};

/*
 * Parses one SPEC; on error returns -1 and sets *why (valid until the next
 * call), which names the part that did not parse.  A spec that starts like
 * an address or a range (0x..., a digit, or hex digits before '-' or '+')
 * must be a well-formed range; other words are kinds or path substrings.
 */
int ml_spec_parse(const char *arg, struct ml_spec *out, const char **why);
void ml_spec_free(struct ml_spec *s);
/* The --region word for regions of kind k, or NULL when there is none. */
const char *ml_spec_kind_word(enum ml_kind k);

/* One selected piece: [start, end) inside region `region`. */
struct ml_piece {
	uint64_t start, end;
	size_t region;
};

struct ml_selection {
	struct ml_piece *p;
	size_t n;
	uint64_t bytes;		/* sum of piece sizes */
};

/* With no specs, everything is selected.  Never fails. */
void ml_select(const struct ml_space *s, const struct ml_spec *specs, size_t nspecs,
	       struct ml_selection *out);
void ml_selection_free(struct ml_selection *sel);
/* Captured bytes of one piece (what the source holds, not its holes). */
uint64_t ml_piece_captured(const struct ml_space *s, const struct ml_piece *p);
/* Captured bytes of the whole selection: sel->bytes less the holes the source announces. */
uint64_t ml_selection_captured(const struct ml_space *s, const struct ml_selection *sel);

/* A run of the selected stream: all data, or all hole. */
struct ml_chunk {
	uint64_t addr;
	size_t len;
	bool hole;
	bool zero;		/* data known to be zeros, not read (ml_stream_skip_zeros) */
	const uint8_t *data;	/* valid until the next call; NULL for holes and zero runs */
	size_t piece;		/* index into the selection */
	uint64_t offset;	/* position of addr in the selected byte stream */
};

struct ml_stream;
/* block: the largest run returned at once (and the buffer size). */
struct ml_stream *ml_stream_new(struct ml_space *s, const struct ml_selection *sel, size_t block);
/*
 * The same runs of data and holes, without the bytes (c->data is NULL):
 * the selection's hole map, from ml_space_holes().
 */
/*
 * From now on, runs the source knows to be zeros without reading them (a
 * live process's untouched anonymous pages) come as chunks with zero set
 * and no data, as long as they are: for scanners to whom zeros say nothing.
 */
void ml_stream_skip_zeros(struct ml_stream *st);
/*
 * From now on, a hole a file source knows (a core's or dump's uncaptured
 * range) comes as one chunk however long, not a block at a time: for
 * consumers that handle a hole run in one step, so a hostile region that
 * claims EiB of uncaptured memory costs one call, not 2^40.  A live
 * process's holes still come a block at a time (only reading tells).
 */
void ml_stream_long_holes(struct ml_stream *st);
struct ml_stream *ml_stream_new_holes(struct ml_space *s, const struct ml_selection *sel, size_t block);
/* 1 with a chunk, 0 at the end. */
int ml_stream_next(struct ml_stream *st, struct ml_chunk *c);
uint64_t ml_stream_hole_bytes(const struct ml_stream *st);
void ml_stream_free(struct ml_stream *st);

#endif
