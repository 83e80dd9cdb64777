#!/bin/bash
# `memlens heap` on corrupted cores of heap_target: a chunk size that
# points past the heap stops the walk at that chunk with a warning naming
# it; a tcache list made cyclic is cut with a warning; a main_arena whose
# top lies is still found or refused in one line; and 60 cores with random
# words in chunks and in main_arena never crash, hang or loop (a time
# limit catches loops).  Then issue 19's hostile inputs: the regression
# cores under tests/fuzz/regress/heap/ (made by heap_regress.py: a 196-byte
# core whose NT_FILE names a 16 EiB libc, a main_arena whose top is 0x10
# or lies in a region with no bytes) and a live process that maps a 1-byte
# file named libc.so.6 over 1 TiB, and its kernel core: each run ends
# within 10 s, by no signal, with exit 0 or with exit 1 and one
# `memlens: heap:` line saying why.
. "$TESTS_SRCDIR/lib.sh"
. "$TESTS_SRCDIR/heap_lib.sh"
need python3
need gcore
need timeout
TARGET=$(dirname "$MEMLENS")/tests/heap_target
SPECIMEN_CMD="$TARGET" start_specimen "$T"
kill -STOP "$SPEC_PID"
gcore -o "$T/core" "$SPEC_PID" >/dev/null 2>&1 || fail "gcore"
core=$T/core.$SPEC_PID
"$MEMLENS" heap "$core" --json --chunks >"$T/good.json" 2>/dev/null || fail "the clean core"
CORRUPT="$TESTS_SRCDIR/heap_corrupt.py"
q() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# A used chunk in the middle of the main heap (the target's record says used).
victim=$(awk '$3 == "used" && $4 == 0 { n++; if (n == 30) { print $1; exit } }' "$T/heap_target.rec")
chunk=$(printf '0x%x' $((victim - 16)))
python3 "$CORRUPT" size "$core" "$T/bad1" "$chunk" 0x7fff00000001
timeout 20 "$MEMLENS" heap "$T/bad1" --json >"$T/bad1.json" 2>"$T/bad1.err" || fail "broken size: exit $?: $(cat "$T/bad1.err")"
grep -q "broken chunk at $chunk" "$T/bad1.err" || fail "no warning naming $chunk: $(cat "$T/bad1.err")"
[ "$(q "$T/bad1.json" 'd["arenas"][0]["heaps"][0]["broken_at"]')" = "$chunk" ] || fail "broken_at is not $chunk"
[ "$(q "$T/bad1.json" 'd["arenas"][0]["address"]')" = "$(q "$T/good.json" 'd["arenas"][0]["address"]')" ] ||
	fail "main_arena not found once its heap is broken"
timeout 20 "$MEMLENS" heap "$T/bad1" --color never >/dev/null 2>&1 || fail "terminal map of a broken heap"
timeout 20 "$MEMLENS" heap "$T/bad1" -o "$T/bad1.png" 2>/dev/null || fail "picture of a broken heap"

# A cyclic tcache list: the second entry of the main tcache's fullest bin points back to the first.
read -r ent1 ent2 < <(python3 - "$T/good.json" "$T/heap_target.rec" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
a = d["arenas"][0]
tc = [c for c in a["chunks"] if c["bin"] == "tcache"]
by = {}
for c in tc:
    by.setdefault(c["size"], []).append(int(c["user"], 16))
# any two entries of one bin; which is first in the list does not matter for a loop
s = max(by, key=lambda k: len(by[k]))
print("0x%x 0x%x" % (by[s][0], by[s][1]))
PY
)
# safe-linking: stored = (pos >> 12) ^ target, pos is the entry itself
python3 "$CORRUPT" word "$core" "$T/bad2" "$ent2" $(( (ent2 >> 12) ^ ent1 ))
python3 "$CORRUPT" word "$T/bad2" "$T/bad2b" "$ent1" $(( (ent1 >> 12) ^ ent2 ))
timeout 20 "$MEMLENS" heap "$T/bad2b" --json --chunks >"$T/bad2.json" 2>"$T/bad2.err" || fail "cyclic tcache: $(cat "$T/bad2.err")"
grep -q "loops" "$T/bad2.err" || grep -q "counts" "$T/bad2.err" || fail "no warning for a cyclic tcache list: $(cat "$T/bad2.err")"

# Random words: in chunks of every arena, and in main_arena.
ma=$(q "$T/good.json" 'd["arenas"][0]["address"]')
warned=0
for seed in $(seq 1 40); do
	python3 "$CORRUPT" chunks "$core" "$T/n" "$T/good.json" "$seed" 4
	rc=0
	timeout 20 "$MEMLENS" heap "$T/n" --json --chunks >/dev/null 2>"$T/n.err" || rc=$?
	[ $rc -le 1 ] || fail "heap noise seed $seed: exit $rc: $(tail -3 "$T/n.err")"
	[ -s "$T/n.err" ] && warned=$((warned + 1))
done
# Four bad words in chunks nearly always show; not one warning in 40 would be blindness.
[ $warned -ge 20 ] || fail "only $warned of 40 corrupted cores drew a warning"
for seed in $(seq 1 20); do
	python3 "$CORRUPT" noise "$core" "$T/n" "$ma" $((ma + 0x898)) "$seed" 3
	rc=0
	timeout 20 "$MEMLENS" heap "$T/n" -o "$T/n.png" 2>"$T/n.err" || rc=$?
	[ $rc -le 1 ] || fail "arena noise seed $seed: exit $rc: $(tail -3 "$T/n.err")"
	if [ $rc -eq 1 ]; then
		[ "$(grep -c . "$T/n.err")" -ge 1 ] || fail "arena noise seed $seed: failed without a word"
	fi
done

# bounded FILE-OR-PID WANT: one run, 10 s at most, exit WANT (0, or 1 with one
# line; "0|1": either, as the header says of the regression cores).
bounded() {
	local rc=0
	timeout 10 "$MEMLENS" heap "$1" >"$T/b.out" 2>"$T/b.err" || rc=$?
	[ $rc -ne 124 ] || fail "heap $1: still running after 10 s"
	[ $rc -le 1 ] || fail "heap $1: exit $rc (a signal?): $(tail -3 "$T/b.err")"
	[ "$2" = "0|1" ] || [ $rc -eq "$2" ] || fail "heap $1: exit $rc, expected $2: $(cat "$T/b.err")"
	if [ $rc -eq 1 ]; then
		[ "$(grep -c . "$T/b.err")" -eq 1 ] && grep -q '^memlens: heap: ' "$T/b.err" ||
			fail "heap $1: expected one 'memlens: heap:' line, got: $(cat "$T/b.err")"
	fi
}
n=0
# Only the cores: the other files there are fuzz_heap's synthetic address
# spaces (replayed by tests/fuzz/check-regress.sh), raw to memlens.
for f in "$TESTS_SRCDIR"/fuzz/regress/heap/*.core; do
	[ -f "$f" ] || continue
	bounded "$f" "0|1"
	n=$((n + 1))
done
[ $n -ge 3 ] || fail "only $n regression inputs under $TESTS_SRCDIR/fuzz/regress/heap"

kill -KILL "$SPEC_PID"; wait "$SPEC_PID" 2>/dev/null; SPEC_PID=
printf x >"$T/libc.so.6"
cat >"$T/bigmap.py" <<'PY'
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
fd = os.open(sys.argv[1], os.O_RDONLY)
p = libc.mmap(None, 1 << 40, 1, 2 | 0x4000, fd, 0)   # PROT_READ, MAP_PRIVATE | MAP_NORESERVE
if p in (None, ctypes.c_void_p(-1).value):
    sys.exit("mmap: errno %d" % ctypes.get_errno())
print("ready", os.getpid(), flush=True)
time.sleep(600)
PY
start_in "$T/kc" /usr/bin/python3 "$T/bigmap.py" "$T/libc.so.6"
grep -q "$T/libc.so.6" "/proc/$KPID/maps" || fail "the 1 TiB libc.so.6 mapping is missing"
kill -STOP "$KPID"
bounded "$KPID" 0
dump_core "$T/kc"
bounded "$CORE" 0
exit 0
