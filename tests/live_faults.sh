#!/bin/bash
# Faults a live read must survive (issue 19): the target unmaps part of a
# mapping or exits while memlens is reading it, and pages in the middle of
# a mapping are unreadable (guard pages): a partial result and a warning,
# never a crash or zeros passed off as memory.  live_faults.py sets each
# fault off on cue and checks the bytes against the target's own record.
. "$TESTS_SRCDIR/lib.sh"
need_root
/usr/bin/python3 "$TESTS_SRCDIR/live_faults.py" "$MEMLENS" "$(dirname "$MEMLENS")/tests/live_target" "$T" ||
	fail "live faults"
echo "live faults OK"
