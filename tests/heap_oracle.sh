#!/bin/bash
# `memlens heap --json --chunks` on heap_target, live and from a gdb core:
# every pointer the target recorded is classified as the target knows it
# (used, mmapped, tcache, fastbin, unsorted, small, large) and the free
# totals agree with the target's own malloc_info (see heap_check.py).
. "$TESTS_SRCDIR/lib.sh"
need python3
CHECK="$TESTS_SRCDIR/heap_check.py"
TARGET=$(dirname "$MEMLENS")/tests/heap_target
SPECIMEN_CMD="$TARGET" start_specimen "$T"
kill -STOP "$SPEC_PID"

"$MEMLENS" heap "$SPEC_PID" --json --chunks >"$T/live.json" 2>"$T/live.err" || fail "heap --json --chunks: $(cat "$T/live.err")"
[ ! -s "$T/live.err" ] || fail "warnings on a healthy heap: $(cat "$T/live.err")"
python3 "$CHECK" "$T/heap_target.rec" "$T/heap_target.xml" "$T/live.json" || fail "live"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["glibc"] == sys.argv[2], d["glibc"]' \
	"$T/live.json" "$(ldd --version | awk 'NR==1 { print $NF }')" || fail "glibc version"

# Counts without --chunks are the same.
"$MEMLENS" heap "$SPEC_PID" --json >"$T/counts.json" 2>/dev/null || fail "heap --json"
python3 - "$T/live.json" "$T/counts.json" <<'PY' || fail "--json and --json --chunks disagree"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for x, y in zip(a["arenas"], b["arenas"]):
    x.pop("chunks")
    assert x == y, (x, y)
PY

if command -v gcore >/dev/null; then
	gcore -o "$T/core" "$SPEC_PID" >/dev/null 2>&1 || fail "gcore"
	kill -STOP "$SPEC_PID" 2>/dev/null
	"$MEMLENS" heap "$T/core.$SPEC_PID" --json --chunks >"$T/core.json" 2>"$T/core.err" ||
		fail "heap on a gcore: $(cat "$T/core.err")"
	python3 "$CHECK" "$T/heap_target.rec" "$T/heap_target.xml" "$T/core.json" || fail "gcore"
else
	echo "note: no gdb, the core half is skipped"
fi

# A kernel core of the same kind of process.
kill -KILL "$SPEC_PID"; wait "$SPEC_PID" 2>/dev/null; SPEC_PID=
mkdir "$T/kc"
(
	cd "$T/kc" || exit 1
	ulimit -c unlimited || exit 1
	SPECIMEN_CMD="$TARGET" start_specimen "$T/kc"
	kill -ABRT "$SPEC_PID"
	wait "$SPEC_PID" 2>/dev/null
	SPEC_PID=
	exit 0
) || fail "cannot make kernel cores"
core=$(ls "$T/kc"/core* 2>/dev/null | head -1)
if [ -n "$core" ]; then
	"$MEMLENS" heap "$core" --json --chunks >"$T/kcore.json" 2>"$T/kcore.err" ||
		fail "heap on a kernel core: $(cat "$T/kcore.err")"
	python3 "$CHECK" "$T/kc/heap_target.rec" "$T/kc/heap_target.xml" "$T/kcore.json" || fail "kernel core"
else
	echo "note: no kernel core was written (core_pattern: $(cat /proc/sys/kernel/core_pattern))"
fi
