#!/bin/bash
# trace-report's leaks against trace_prog's own ledger of intentional
# leaks: the single-threaded program (no library leaks: its output has no
# stdio buffer) must list exactly the ledger's sites, with their function,
# line, bytes and count; with exec, both images' leaks; a forked child
# recorded to its own file (-o %p) exactly its own.  In the threaded and
# dlopen runs the ledger's sites are all there, and anything else leaked
# was allocated by ld.so or libc, not by the program.
. "$TESTS_SRCDIR/lib.sh"
B=$(dirname "$MEMLENS")
PROG=$B/tests/trace_prog
LIB=$B/tests/.libs/trace_lib.so
CHECK="/usr/bin/python3 $TESTS_SRCDIR/trace_check.py"

leaks() {	# MODE EXACT ARGS...
	local mode=$1 exact=$2
	shift 2
	rm -f "$T/ledger"
	local rc=0
	TRACE_LEDGER=$T/ledger "$MEMLENS" trace -o "$T/$mode.mltrace" -- "$PROG" "$@" >/dev/null || rc=$?
	[ "$rc" -eq 3 ] || fail "$mode: exit $rc"
	"$MEMLENS" trace-report --json "$T/$mode.mltrace" >"$T/$mode.json" || fail "$mode: trace-report"
	$CHECK leaks "$T/$mode.json" "$T/ledger" "$exact" || fail "$mode: leaks differ from the ledger"
}
leaks single exact single
leaks exec exact exec
leaks threads subset threads
leaks dlopen subset dlopen "$LIB"

# fork with %p: the child's own record holds exactly the child's leaks.
rm -f "$T/ledger"
rc=0
TRACE_LEDGER=$T/ledger TRACE_CHILD_PID=$T/child "$MEMLENS" trace -o "$T/run.%p.mltrace" -- "$PROG" fork \
	>/dev/null || rc=$?
[ "$rc" -eq 3 ] || fail "fork: exit $rc"
child=$(cat "$T/child")
[ -f "$T/run.$child.mltrace" ] || fail "no record for the child $child: $(ls "$T")"
"$MEMLENS" trace-report --json "$T/run.$child.mltrace" >"$T/child.json" || fail "child report"
$CHECK leaks "$T/child.json" "$T/ledger" exact || fail "the child's leaks"
$CHECK field "$T/child.json" program.pid "$child" || fail "the child's record names another pid"
