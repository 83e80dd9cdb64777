#!/bin/bash
# `memlens heap` on corrupted cores of heap_target: a chunk size that
# points past the heap stops the walk at that chunk with a warning naming
# it; a tcache list made cyclic is cut with a warning; a main_arena whose
# top lies is still found or refused in one line; and 60 cores with random
# words in chunks and in main_arena never crash, hang or loop (a time
# limit catches loops).
. "$TESTS_SRCDIR/lib.sh"
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
exit 0
