#!/bin/bash
# memlens trace never changes what the program does: its output and exit
# status are the same with and without tracing (one thread, four, fork,
# exec, dlopen); --to streams to a --listen receiver on loopback; killing
# the receiver mid-run stops the recording with one line and the program
# still finishes with its normal output; a program killed by a signal gives
# 128+N and a record read up to its end with one warning; -o %p gives the
# forked child its own record, --no-follow does not; exec goes on tracing.
. "$TESTS_SRCDIR/lib.sh"
B=$(dirname "$MEMLENS")
PROG=$B/tests/trace_prog
LIB=$B/tests/.libs/trace_lib.so
CHECK="/usr/bin/python3 $TESTS_SRCDIR/trace_check.py"

for args in single threads fork exec "dlopen $LIB" "spin 100000"; do
	rc1=0; rc2=0
	"$PROG" $args >"$T/plain.out" 2>"$T/plain.err" || rc1=$?
	"$MEMLENS" trace -o "$T/r.mltrace" -- "$PROG" $args >"$T/traced.out" 2>"$T/traced.err" || rc2=$?
	[ "$rc1" -eq "$rc2" ] || fail "$args: exit $rc2 traced, $rc1 without"
	cmp -s "$T/plain.out" "$T/traced.out" || fail "$args: output differs under tracing"
	cmp -s "$T/plain.err" "$T/traced.err" || fail "$args: stderr differs: $(cat "$T/traced.err")"
	"$MEMLENS" trace-report "$T/r.mltrace" >/dev/null 2>"$T/rep.err" || fail "$args: report"
	[ ! -s "$T/rep.err" ] || fail "$args: report warned: $(cat "$T/rep.err")"
done

# exec: both images in one record, the second one marked.
"$MEMLENS" trace -o "$T/e.mltrace" -- "$PROG" exec >/dev/null || [ $? -eq 3 ] || fail "exec"
"$MEMLENS" trace-report --json "$T/e.mltrace" >"$T/e.json" || fail "exec report"
/usr/bin/python3 - "$T/e.json" <<'PY' || fail "exec: images"
import json, sys
d = json.load(open(sys.argv[1]))
im = d["program"]["images"]
assert len(im) == 2 and not im[0]["exec"] and im[1]["exec"] and im[0]["pid"] == im[1]["pid"], im
assert d["summary"]["calls"] >= 6000, d["summary"]
PY

# fork: with %p the child has its own record; --no-follow records the parent only.
rm -f "$T"/f.*
TRACE_CHILD_PID=$T/child "$MEMLENS" trace --no-follow -o "$T/f.%p.mltrace" -- "$PROG" fork >/dev/null ||
	[ $? -eq 3 ] || fail "--no-follow"
[ "$(ls "$T" | grep -c '^f\..*\.mltrace$')" -eq 1 ] || fail "--no-follow: $(ls "$T")"
[ ! -e "$T/f.$(cat "$T/child").mltrace" ] || fail "--no-follow recorded the child"
"$MEMLENS" trace-report --json "$T"/f.*.mltrace >"$T/p.json" || fail "--no-follow parent report"
/usr/bin/python3 - "$T/p.json" <<'PY' || fail "the parent's record holds the child's allocations"
import json, sys
d = json.load(open(sys.argv[1]))
calls = [s["calls"] for s in d["sites"]]
assert 300 not in calls and d["summary"]["calls"] < 10, d["summary"]
assert any(s["bytes"] == 4000 for s in d["sites"]), d["sites"]
PY

# A receiver on loopback: --to streams, --listen keeps the record.
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$MEMLENS" trace --listen "127.0.0.1:$port" -o "$T/net.mltrace" 2>"$T/listen.err" &
LPID=$!
for _ in $(seq 100); do grep -q listening "$T/listen.err" && break; sleep 0.05; done
rc=0
"$MEMLENS" trace --to "127.0.0.1:$port" -- "$PROG" spin 200000 >"$T/net.out" || rc=$?
[ "$rc" -eq 3 ] || fail "--to: exit $rc"
wait "$LPID" || fail "--listen: exit $?: $(cat "$T/listen.err")"
"$MEMLENS" trace-report --json "$T/net.mltrace" >"$T/net.json" || fail "report of the streamed record"
/usr/bin/python3 - "$T/net.json" <<'PY' || fail "streamed counts"
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
# 200000 mallocs by the program; lost events are counted, never silent
assert s["calls"] + s["lost_events"] >= 200000 and (s["lost_events"] or s["calls"] == 200000), s
PY

# The receiver killed mid-run: one line, and the program runs on to its normal end.
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$MEMLENS" trace --listen "127.0.0.1:$port" -o "$T/dead.mltrace" 2>"$T/listen.err" &
LPID=$!
for _ in $(seq 100); do grep -q listening "$T/listen.err" && break; sleep 0.05; done
"$PROG" spin 10000000 >"$T/want.out" || [ $? -eq 3 ] || fail "spin"
"$MEMLENS" trace --to "127.0.0.1:$port" -- "$PROG" spin 10000000 >"$T/got.out" 2>"$T/got.err" &
TPID=$!
sleep 0.5
kill -KILL "$LPID"
wait "$LPID" 2>/dev/null
rc=0
wait "$TPID" || rc=$?
[ "$rc" -eq 3 ] || fail "with the receiver gone: exit $rc, not the program's 3"
cmp -s "$T/want.out" "$T/got.out" || fail "with the receiver gone the output changed: $(cat "$T/got.out")"
[ "$(grep -c 'recording stopped' "$T/got.err")" -eq 1 ] || fail "expected one line: $(cat "$T/got.err")"
[ ! -e "$T/dead.mltrace" ] || fail "a killed receiver left its record"

# A program killed by a signal: 128+9, and its record is read up to there with one warning.
"$MEMLENS" trace -o "$T/k.mltrace" -- "$PROG" spin 100000000 >/dev/null 2>"$T/k.err" &
TPID=$!
sleep 0.5
child=$(pgrep -P "$TPID") || fail "no program to kill"
kill -KILL "$child"
rc=0
wait "$TPID" || rc=$?
[ "$rc" -eq 137 ] || fail "killed program: exit $rc, not 137"
"$MEMLENS" trace-report "$T/k.mltrace" >"$T/k.out" 2>"$T/k.rep" || fail "report of a killed program's record"
[ "$(grep -c '^memlens: trace-report: warning' "$T/k.rep")" -eq 1 ] || fail "expected one warning: $(cat "$T/k.rep")"
grep -q 'allocation calls: [1-9]' "$T/k.out" || fail "nothing read from the killed program's record"

# A receiver that cannot keep up: the program is never made to wait (it
# ends with its normal output); what could not be sent is dropped, and
# trace-report says the record is short — lost events counted when their
# count arrived, else a stream that ends early — in one warning.
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
/usr/bin/python3 - "$port" "$T/slow.mltrace" <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)   # a small window, set before the connection
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
open(sys.argv[2] + ".ready", "w").close()
c, _ = s.accept()
with open(sys.argv[2], "wb") as f:
    while True:
        b = c.recv(4096)
        if not b:
            break
        f.write(b)
        time.sleep(0.01)    # about 400 KB/s: far slower than the program allocates
PY
RPID=$!
for _ in $(seq 100); do [ -e "$T/slow.mltrace.ready" ] && break; sleep 0.05; done
rc=0
"$MEMLENS" trace --to "127.0.0.1:$port" -- "$PROG" spin 10000000 >"$T/slow.out" 2>"$T/slow.err" || rc=$?
[ "$rc" -eq 3 ] || fail "slow receiver: exit $rc: $(cat "$T/slow.err")"
grep -q '^spin: 10000000 ' "$T/slow.out" || fail "slow receiver: output $(cat "$T/slow.out")"
wait "$RPID"
"$MEMLENS" trace-report --json "$T/slow.mltrace" >"$T/slow.json" 2>"$T/slow.rep" || fail "slow record's report"
# Short, and said so: events lost (counted when their count arrived), the
# stream cut early, or both (lost markers, then a block cut at exit); no
# other warning.
nw=$(grep -c '^memlens: trace-report: warning: ' "$T/slow.rep")
[ "$nw" -ge 1 ] && [ "$nw" -le 2 ] &&
	[ "$(grep -Ec 'events were lost|truncated|the stream was cut' "$T/slow.rep")" -eq "$nw" ] ||
	fail "expected a warning of a short record: $(cat "$T/slow.rep")"
/usr/bin/python3 - "$T/slow.json" <<'PY' || fail "the short record's numbers"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
assert s["calls"] < 10000000, s
assert s["lost_events"] > 0 or d["source"]["truncated"], d["source"]
PY

# A full disk: recording stops with one line, the program runs on to its end.
mkdir "$T/small"
trap 'umount "$T/small" 2>/dev/null; cleanup' EXIT
mount -t tmpfs -o size=64k tmpfs "$T/small" || fail "mount tmpfs"
rc=0
"$MEMLENS" trace -o "$T/small/r.mltrace" -- "$PROG" spin 2000000 >"$T/full.out" 2>"$T/full.err" || rc=$?
umount "$T/small"
[ "$rc" -eq 3 ] || fail "full disk: exit $rc: $(cat "$T/full.err")"
grep -q '^spin: 2000000 ' "$T/full.out" || fail "full disk: output $(cat "$T/full.out")"
[ "$(grep -c 'recording stopped: .*No space left on device; the program runs on' "$T/full.err")" -eq 1 ] ||
	fail "full disk: expected one line, got: $(cat "$T/full.err")"
