#!/bin/bash
# memlens triage on a process that planted each finding by construction
# (tests/triage_target.c says where): every one reported with exactly its
# range, live and from its gcore; a deleted executable, a tracer, clean
# controls that produce nothing above info, --system, and bad input.
. "$TESTS_SRCDIR/lib.sh"
need python3
need gcore
need cc
need_root
CHECK="$TESTS_SRCDIR/triage_check.py"
cd "$T"
printf 'int payload_fn(int x) { return x * 3 + 1; }\n' >p.c
cc -shared -fPIC -o p.so p.c || fail "building the payload"
cc -O0 -o triage_target "$TESTS_SRCDIR/triage_target.c" -ldl || fail "building triage_target"

SPECIMEN_CMD="env LD_PRELOAD=$T/p.so $T/triage_target" start_specimen "$T/p.so"
echo 0x3f >/proc/$SPEC_PID/coredump_filter	# gcore dumps file mappings too
"$MEMLENS" triage "$SPEC_PID" --json >live.json || fail "triage of the live target"
python3 "$CHECK" planted live.json "$SPEC_OUT" live || fail "live findings"
gcore -o "$T/core" "$SPEC_PID" >/dev/null 2>&1 || fail "gcore"
"$MEMLENS" triage "$T/core.$SPEC_PID" --json >core.json || fail "triage of the core"
python3 "$CHECK" planted core.json "$SPEC_OUT" core || fail "core findings"
# JSON lines: one self-contained finding per line.
"$MEMLENS" triage "$SPEC_PID" --jsonl >live.jsonl || fail "--jsonl"
python3 - live.json live.jsonl <<'PY' || fail "--jsonl disagrees with --json"
import json, sys
a = json.load(open(sys.argv[1]))['findings']
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b), (len(a), len(b))
for x, y in zip(a, b):
    assert y['schema'] == 1 and y['source']['kind'] == 'live', y
    del y['schema'], y['source']
    assert x == y, (x, y)
PY

# A tracer: the test attaches with ptrace and holds on.
python3 - "$SPEC_PID" >tracer.out <<'PY' &
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
pid = int(sys.argv[1])
if libc.ptrace(16, pid, None, None) != 0:   # PTRACE_ATTACH
    print('attach failed', ctypes.get_errno(), flush=True)
    sys.exit(1)
os.waitpid(pid, 0)
print('attached', flush=True)
time.sleep(120)
PY
TRACER=$!
for _ in $(seq 100); do grep -q . tracer.out && break; sleep 0.05; done
grep -q attached tracer.out || fail "could not attach a tracer: $(cat tracer.out)"
"$MEMLENS" triage "$SPEC_PID" --json >traced.json || fail "triage of the traced target"
python3 "$CHECK" traced traced.json "$TRACER" || fail "ptraced"
kill "$TRACER"
wait "$TRACER" 2>/dev/null
kill -CONT "$SPEC_PID"

# The --system view holds the target, with its findings.
"$MEMLENS" triage --system --json >system.json || fail "triage --system"
python3 "$CHECK" system system.json "$SPEC_PID" || fail "--system"
"$MEMLENS" triage --system >system.txt || fail "triage --system (table)"
grep -q "^# pid $SPEC_PID (triage_target): " system.txt || fail "--system table lacks the target"
grep -Eq '^# [0-9]+ processes triaged' system.txt || fail "--system has no summary"

# A copy of the target, run and then deleted.
cp triage_target copy
./copy "$T/p.so" >copy.out &
COPY=$!
for _ in $(seq 100); do grep -q '^ready' copy.out && break; sleep 0.05; done
rm copy
cp /proc/$COPY/maps copy.maps
"$MEMLENS" triage "$COPY" --json >deleted.json || fail "triage of the deleted copy"
python3 "$CHECK" deleted deleted.json copy.maps || fail "exe-deleted (live)"
echo 0x3f >/proc/$COPY/coredump_filter
gcore -o "$T/copycore" "$COPY" >/dev/null 2>&1 || fail "gcore of the copy"
"$MEMLENS" triage "$T/copycore.$COPY" --json >deleted-core.json || fail "triage of the copy's core"
python3 "$CHECK" deleted deleted-core.json copy.maps || fail "exe-deleted (core)"
kill -KILL "$COPY"
wait "$COPY" 2>/dev/null

# Clean controls, with a clean environment: nothing above info.
env -i /usr/bin/sleep 300 &
C1=$!
env -i python3 -c 'import time; time.sleep(300)' &
C2=$!
sleep 0.5
for c in $C1 $C2; do
	"$MEMLENS" triage "$c" --json >clean.json || fail "triage of control $c"
	python3 "$CHECK" clean clean.json || fail "control $c ($(cat /proc/$c/comm))"
done
kill $C1 $C2

# Bad input: one line each.
expect_error 2 - "$MEMLENS" triage --system "$SPEC_PID"
expect_error 2 - "$MEMLENS" triage "$SPEC_PID" --severity urgent
expect_error 2 - "$MEMLENS" triage --system --region heap
expect_error 1 - "$MEMLENS" triage "$SPEC_PID" --yara "$T/none.yar"
expect_error 1 - "$MEMLENS" triage 999999999
exit 0
