#!/bin/bash
# A pid with no memory says what it is (issue 19, defect 9) instead of "no
# such process" or "Operation not permitted (run as root ...)": a kernel
# thread has no user memory, a zombie has none left, and a process whose
# main thread exited while others run is read through one of those.  The
# oracles are the kernel's own words: the PF_KTHREAD flag and name in
# /proc/PID/stat, the state and parent in /proc/PID/status, the threads in
# /proc/PID/task and the mappings in /proc/TID/maps.
. "$TESTS_SRCDIR/lib.sh"
need_root

# A kernel thread: kthreadd is pid 2 (the first with PF_KTHREAD, if not).
kt=$(python3 - <<'PY'
import os
for p in sorted(int(d) for d in os.listdir('/proc') if d.isdigit()):
    try:
        stat = open(f'/proc/{p}/stat').read()
    except OSError:
        continue
    flags = int(stat[stat.rindex(')') + 2:].split()[6])
    if flags & 0x00200000:          # PF_KTHREAD
        print(p)
        break
PY
)
[ -n "$kt" ] || fail "no kernel thread is visible in /proc"
name=$(cat "/proc/$kt/comm")
want="memlens: regions: pid $kt ($name) is a kernel thread: it has no user memory to read"
expect_error 1 - "$MEMLENS" regions "$kt"
[ "$(cat "$T/stderr")" = "$want" ] || fail "kernel thread: $(cat "$T/stderr")"
expect_error 1 - "$MEMLENS" regions "$kt" --freeze
[ "$(cat "$T/stderr")" = "$want" ] || fail "kernel thread, --freeze: $(cat "$T/stderr")"
expect_error 1 "$T/kt.png" "$MEMLENS" image "$kt" -o "$T/kt.png"
grep -q "is a kernel thread" "$T/stderr" || fail "image of a kernel thread: $(cat "$T/stderr")"

# A zombie: the child exits and its parent, now sleep, never reaps it.
(sleep 0.1 & exec sleep 300) &
parent=$!
zombie=
for _ in $(seq 100); do
	zombie=$(ps -o pid= --ppid "$parent" | tr -d ' ')
	[ -n "$zombie" ] && [ "$(awk '/^State:/ {print $2}' "/proc/$zombie/status")" = Z ] && break
	sleep 0.05
done
[ "$(awk '/^State:/ {print $2}' "/proc/$zombie/status")" = Z ] || fail "no zombie was made"
[ "$(awk '/^PPid:/ {print $2}' "/proc/$zombie/status")" = "$parent" ] || fail "the zombie's parent"
want="memlens: sound: pid $zombie (sleep) is a zombie: it has exited and has no memory left (its parent, pid $parent, has not reaped it yet)"
expect_error 1 "$T/z.wav" "$MEMLENS" sound "$zombie" -o "$T/z.wav"
[ "$(cat "$T/stderr")" = "$want" ] || fail "zombie: $(cat "$T/stderr")"
expect_error 1 "$T/z.wav" "$MEMLENS" sound "$zombie" --freeze -o "$T/z.wav"
[ "$(cat "$T/stderr")" = "$want" ] || fail "zombie, --freeze: $(cat "$T/stderr")"
kill "$parent"
wait "$parent" 2>/dev/null

# A zombie main thread whose other thread lives on: read through that one.
SPECIMEN_CMD="$(dirname "$MEMLENS")/tests/live_target $T leader_exit" start_specimen
for _ in $(seq 100); do
	[ "$(awk '/^State:/ {print $2}' "/proc/$SPEC_PID/status")" = Z ] && break
	sleep 0.05
done
tid=$(ls "/proc/$SPEC_PID/task" | grep -vx "$SPEC_PID")
[ -n "$tid" ] || fail "the target's second thread is missing"
expect_error 1 - "$MEMLENS" regions "$SPEC_PID" --freeze
grep -qx "memlens: regions: pid $SPEC_PID (live_target): its main thread has exited, its other threads live on: read one of them, e.g. pid:$tid" \
	"$T/stderr" || fail "zombie leader: $(cat "$T/stderr")"
"$MEMLENS" regions "pid:$tid" --json >"$T/t.json" 2>"$T/err" || fail "pid:$tid: $(cat "$T/err")"
python3 - "$T/t.json" "/proc/$tid/maps" <<'PY' || fail "regions through the live thread"
import json, sys
got = [(int(r['start'], 16), int(r['end'], 16)) for r in json.load(open(sys.argv[1]))['regions']]
want = [tuple(int(x, 16) for x in l.split()[0].split('-')) for l in open(sys.argv[2])]
assert got == want, (len(got), len(want))
PY
echo "live gone OK"
