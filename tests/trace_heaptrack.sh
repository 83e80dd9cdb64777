#!/bin/bash
# memlens trace against heaptrack (the oracle), on the same deterministic
# programs: one thread with realloc chains and aligned allocations, four
# threads, a dlopen'd library that allocates, and a fork (neither records
# the child by default).  Allocation calls, peak heap and leaked bytes must
# agree exactly, and the top 3 sites by calls and by peak must be the same
# functions and lines (trace_heaptrack.py reads heaptrack's own record).
. "$TESTS_SRCDIR/lib.sh"
for t in heaptrack heaptrack_print zstd /usr/bin/python3; do
	command -v "$t" >/dev/null || fail "$t is not installed (see .ci/packages.d/trace.txt)"
done
B=$(dirname "$MEMLENS")
PROG=$B/tests/trace_prog
LIB=$B/tests/.libs/trace_lib.so
[ -f "$LIB" ] || fail "$LIB was not built"
# The dtv ld.so callocs for each thread is sized by the libraries with TLS,
# which each tracer adds its own of: left out on both sides.
EXCLUDE="--exclude allocate_dtv --exclude _dl_allocate_tls"
for mode in single threads dlopen fork; do
	args=$mode
	[ "$mode" = dlopen ] && args="dlopen $LIB"
	rc=0
	heaptrack -o "$T/ht.$mode" "$PROG" $args >"$T/ht.out" 2>&1 || rc=$?
	[ -s "$T/ht.$mode.zst" ] || fail "heaptrack made no record for $mode: $(cat "$T/ht.out")"
	heaptrack_print -f "$T/ht.$mode.zst" >"$T/ht.$mode.txt" 2>/dev/null || fail "heaptrack_print $mode"
	rc=0
	"$MEMLENS" trace -o "$T/m.$mode.mltrace" -- "$PROG" $args >"$T/m.out" 2>"$T/m.err" || rc=$?
	[ "$rc" -eq 3 ] || fail "memlens trace $mode: exit $rc, the program's is 3: $(cat "$T/m.err")"
	[ ! -s "$T/m.err" ] || fail "memlens trace $mode said: $(cat "$T/m.err")"
	"$MEMLENS" trace-report --json --top 1000000 "$T/m.$mode.mltrace" >"$T/m.$mode.json" ||
		fail "trace-report $mode"
	/usr/bin/python3 "$TESTS_SRCDIR/trace_heaptrack.py" compare "$T/ht.$mode.zst" "$T/ht.$mode.txt" "$T/m.$mode.json" \
		$EXCLUDE || fail "memlens and heaptrack disagree on $mode"
done
