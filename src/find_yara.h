/*
 * find_yara: YARA rules over an address space, through libyara.
 *
 * Rules are compiled once.  A scan hands libyara the selection as memory
 * blocks whose bases are virtual addresses, so every offset YARA reports is
 * an address: one block per run of captured bytes inside a region (a hole
 * or a region boundary ends a block, as each mapping is its own block for
 * `yara PID`), cut into 16 MiB pieces that overlap by YARA's longest match
 * (YR_RE_SCAN_LIMIT); libyara keeps one match per address, so a match in an
 * overlap is counted once and memory stays flat.
 */
#ifndef ML_FIND_YARA_H
#define ML_FIND_YARA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "find.h"
#include "select.h"

struct ml_yara;

/*
 * Compiles a rules file, or every *.yar and *.yara file of a directory.
 * -1 with a diagnostic printed (file:line: message for compile errors).
 */
int ml_yara_load(struct ml_yara **out, const char *path);
void ml_yara_free(struct ml_yara *y);

/*
 * Scans the selection; cb gets one ML_FIND_YARA match per string match.
 * rule_cb (may be NULL) gets the name of each rule that matched, with or
 * without string matches.  *scanned and *holes: bytes given to YARA as
 * data, and bytes of the selection that were holes.  Returns 0, a non-zero value returned by a
 * callback, or -1 after a diagnostic.
 */
int ml_yara_scan(struct ml_yara *y, struct ml_space *s, const struct ml_selection *sel,
		 ml_find_cb cb, void (*rule_cb)(void *ctx, const char *rule), void *ctx,
		 uint64_t *scanned, uint64_t *holes);

#endif
