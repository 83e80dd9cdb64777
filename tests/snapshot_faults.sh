#!/bin/bash
# Faults of `memlens snapshot`, each with exit 1, one line on stderr, no
# core and no temporary file left, and the target running again (state S,
# traced by nobody): the target killed mid-copy, a full disk (a small
# tmpfs), SIGINT and SIGTERM to memlens mid-copy, a pid that does not exist,
# and a target held by another tracer (strace), which --no-freeze copies
# running.
. "$TESTS_SRCDIR/lib.sh"
. "$TESTS_SRCDIR/snapshot_lib.sh"
need_root
need strace
need gdb

SMALL=$T/small
umount_small() { mountpoint -q "$SMALL" && umount "$SMALL"; return 0; }
trap 'umount_small; cleanup' EXIT

# running_free PID: the target runs again (sleeping in pause), traced by nobody.
running_free() {
	wait_state "$1" RS
	[ "$(tracer "$1")" = 0 ] || fail "pid $1 is still traced by $(tracer "$1")"
}

# mid_copy OUT CMD...: starts CMD in the background, returns once the
# temporary file of OUT holds data (memlens is copying); sets BG.
mid_copy() {
	local out=$1 _ f
	shift
	"$@" >"$T/bg.out" 2>"$T/bg.err" &
	BG=$!
	for _ in $(seq 2000); do
		for f in "$(dirname "$out")"/."$(basename "$out")".*; do
			[ -s "$f" ] && return 0
		done
		kill -0 "$BG" 2>/dev/null || return 1
		sleep 0.005
	done
	return 1
}

# caught RC: memlens exited RC; with one line on stderr when it chose to.
one_line() {
	[ "$(grep -c . "$T/bg.err")" -eq 1 ] || fail "expected one line on stderr, got: $(cat "$T/bg.err")"
	grep -q '^memlens: snapshot: ' "$T/bg.err" || fail "no memlens: prefix: $(cat "$T/bg.err")"
}
no_file() {
	[ ! -e "$1" ] || fail "$1 was left behind"
	! ls -A "$(dirname "$1")" | grep -q "^\.$(basename "$1")\." || fail "a temporary file of $1 was left behind"
}

# 1. a pid that does not exist
expect_error 1 "$T/none.core" "$MEMLENS" snapshot 2147483 -o "$T/none.core"

# 2. the target killed mid-copy: pid vanishing
tries=0
while :; do
	tries=$((tries + 1))
	start_target -m 1024 -r 0 -t 1
	if mid_copy "$T/k.core" "$MEMLENS" snapshot "$SPEC_PID" -o "$T/k.core"; then
		kill -KILL "$SPEC_PID"
		rc=0
		wait "$BG" || rc=$?
		wait "$SPEC_PID" 2>/dev/null
		SPEC_PID=
		[ "$rc" -eq 1 ] || fail "target killed mid-copy: exit $rc ($(cat "$T/bg.err"))"
		one_line
		grep -q 'exited' "$T/bg.err" || fail "the line does not say the process exited: $(cat "$T/bg.err")"
		no_file "$T/k.core"
		break
	fi
	wait "$BG"
	kill -KILL "$SPEC_PID"; wait "$SPEC_PID" 2>/dev/null; SPEC_PID=
	rm -f "$T/k.core"
	[ "$tries" -lt 3 ] || fail "memlens finished before the target could be killed, three times"
done

# 3. disk full: a 16 MiB tmpfs for a 64 MiB process
mkdir "$SMALL"
mount -t tmpfs -o size=16m memlens-test "$SMALL" || fail "cannot mount a tmpfs"
start_target -m 64 -r 0 -t 2
expect_error 1 "$SMALL/c.core" "$MEMLENS" snapshot "$SPEC_PID" -o "$SMALL/c.core"
grep -q 'No space left on device' "$T/stderr" || fail "disk full not said: $(cat "$T/stderr")"
[ -z "$(ls -A "$SMALL")" ] || fail "the full disk keeps $(ls -A "$SMALL")"
running_free "$SPEC_PID"
umount_small

# 4. SIGINT and SIGTERM to memlens mid-copy (env gives the background job its signals back)
for sig in INT TERM; do
	kill -KILL "$SPEC_PID"; wait "$SPEC_PID" 2>/dev/null; SPEC_PID=
	start_target -m 1024 -r 0 -t 2
	mid_copy "$T/s.core" env --default-signal=INT,TERM "$MEMLENS" snapshot "$SPEC_PID" -o "$T/s.core" ||
		fail "memlens finished before SIG$sig could be sent"
	kill -"$sig" "$BG"
	rc=0
	wait "$BG" || rc=$?
	[ "$rc" -eq $((128 + $(kill -l "$sig"))) ] || fail "SIG$sig: memlens exited $rc, not by the signal"
	running_free "$SPEC_PID"
	no_file "$T/s.core"
done

# 5. another tracer holds the target: a clear refusal, and --no-freeze copies it running
strace -p "$SPEC_PID" -o /dev/null &
STRACE=$!
for _ in $(seq 100); do [ "$(tracer "$SPEC_PID")" != 0 ] && break; sleep 0.05; done
[ "$(tracer "$SPEC_PID")" != 0 ] || fail "strace did not attach"
expect_error 1 "$T/t.core" "$MEMLENS" snapshot "$SPEC_PID" -o "$T/t.core"
grep -q "traced by pid $STRACE (strace)" "$T/stderr" || fail "the refusal does not name the tracer: $(cat "$T/stderr")"
"$MEMLENS" snapshot "$SPEC_PID" -o "$T/t.core" --no-freeze --json >"$T/t.json" || fail "--no-freeze under strace failed"
[ "$(tracer "$SPEC_PID")" = "$STRACE" ] || fail "memlens changed who traces the target"
/usr/bin/python3 - "$T/t.json" <<'PY' || fail "--no-freeze summary"
import json, sys
s = json.load(open(sys.argv[1]))['snapshot']
assert s['frozen'] is False and s['stopped_seconds'] == 0 and s['threads'] == 3, s
PY
n=$(gdb -batch -nx -c "$T/t.core" "$TARGET" -ex 'info threads' 2>/dev/null | grep -cE '^[* ] +[0-9]+ +(Thread|LWP)')
[ "$n" -eq 3 ] || fail "gdb sees $n threads in the --no-freeze core"
kill "$STRACE"; wait "$STRACE" 2>/dev/null
echo "faults: vanished pid, disk full, SIGINT, SIGTERM, another tracer"
