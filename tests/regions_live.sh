#!/bin/bash
# regions of a live, stopped specimen agree with /proc/PID/maps (start,
# end, perms, path, offset, kind), and bytes read through memlens equal
# /proc/PID/mem; --freeze stops and releases the threads.
. "$TESTS_SRCDIR/lib.sh"
need python3
start_specimen --files "$T"
kill -STOP "$SPEC_PID"
python3 "$TESTS_SRCDIR/check_regions.py" snapshot "$SPEC_PID" "$T/snap.json"
"$MEMLENS" regions "$SPEC_PID" --json >"$T/live.json" || fail "regions --json failed"
python3 "$TESTS_SRCDIR/check_regions.py" compare live "$T/snap.json" "$T/live.json" \
	"$(dirname "$MEMLENS")/tests/read_at" "$SPEC_PID" || exit 1

# pid:N and the table form name the odd paths.
"$MEMLENS" regions "pid:$SPEC_PID" >"$T/table" || fail "regions pid:N failed"
grep -q "with space.bin$" "$T/table" || fail "table lacks the path with a space"
grep -q "gone.bin (deleted)$" "$T/table" || fail "table lacks the deleted mark"
grep -q '^# 	*[0-9]* regions' "$T/table" || grep -q ' regions, ' "$T/table" || fail "no totals line"

# Selection: heap only, and a range cutting the pattern area.
"$MEMLENS" regions "$SPEC_PID" --region heap --json >"$T/heap.json"
python3 - "$T/heap.json" <<'PY' || fail "--region heap"
import json, sys
r = json.load(open(sys.argv[1]))['regions']
assert len(r) == 1 and r[0]['kind'] == 'heap' and r[0]['path'] == '[heap]', r
PY
ps=$(spec_addr pattern 2)
"$MEMLENS" regions "$SPEC_PID" --region "$ps+0x1800" --json >"$T/cut.json"
python3 - "$T/cut.json" "$ps" <<'PY' || fail "--region START+LEN"
import json, sys
r = json.load(open(sys.argv[1]))['regions']
s = int(sys.argv[2], 16)
assert len(r) == 1 and int(r[0]['start'], 16) == s and r[0]['size'] == 0x1800, r
PY

# --freeze: the process is traced while memlens reads, released after.
kill -CONT "$SPEC_PID"
"$MEMLENS" regions "$SPEC_PID" --freeze >/dev/null || fail "--freeze failed"
tracer=$(awk '/^TracerPid:/ {print $2}' "/proc/$SPEC_PID/status")
[ "$tracer" = 0 ] || fail "--freeze left the process traced by $tracer"
state=$(awk '/^State:/ {print $2}' "/proc/$SPEC_PID/status")
[ "$state" = S ] || fail "--freeze left the process in state $state"

# Killed while frozen: the threads are let go.  A table of thousands of
# mappings overfills a pipe nobody reads, so memlens blocks mid-job.
kill -KILL "$SPEC_PID"; wait "$SPEC_PID" 2>/dev/null
start_specimen --mappings 4000
mkfifo "$T/stuck"
"$MEMLENS" regions "$SPEC_PID" --freeze >"$T/stuck" &
ml=$!
exec 8<"$T/stuck"
for _ in $(seq 100); do
	tracer=$(awk '/^TracerPid:/ {print $2}' "/proc/$SPEC_PID/status")
	[ "$tracer" != 0 ] && break
	sleep 0.05
done
[ "$tracer" = "$ml" ] || fail "--freeze did not trace the process (tracer $tracer)"
kill -TERM "$ml"
wait "$ml" 2>/dev/null && fail "memlens survived SIGTERM"
exec 8<&-
tracer=$(awk '/^TracerPid:/ {print $2}' "/proc/$SPEC_PID/status")
[ "$tracer" = 0 ] || fail "after SIGTERM the process is still traced by $tracer"
state=$(awk '/^State:/ {print $2}' "/proc/$SPEC_PID/status")
[ "$state" = S ] || fail "after SIGTERM the process is left in state $state"
echo "live regions OK"
