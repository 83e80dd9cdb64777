#!/bin/bash
# Which region a core calls the heap (issue 11 item 9).  Cores do not say;
# memlens infers it past the end of the executable's image.  The oracle is
# the live process's own [heap] line, saved before the core was made: the
# core must label exactly that region heap, and label the region each
# thread's stack pointer is in a stack.  Specimens: heap_exehigh, which
# maps its own executable again high up with a thread's stack right above
# (gdb core and kernel core), and node, which re-maps part of its text high
# (kernel core; node's gdb core is a GiB) — each also with the
# executable's ELF header zeroed, so the image comes from NT_FILE alone.
# heap_exehigh has a second thread's stack between its image and [heap].
# `memlens heap` on the gdb core finds its main heap in that same region.
. "$TESTS_SRCDIR/lib.sh"
. "$TESTS_SRCDIR/heap_lib.sh"
need gcore
need node

# check CORE MAPS WHAT: the regions labelled heap are exactly the [heap] line of MAPS.
check() {
	"$MEMLENS" regions "$1" --json >"$T/regions.json" 2>"$T/regions.err" || fail "$3: regions: $(cat "$T/regions.err")"
	python3 - "$T/regions.json" "$2" "$3" <<'PY' || exit 1
import json, sys
doc, maps, what = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
want = [tuple(int(x, 16) for x in l.split()[0].split("-")) for l in open(maps) if l.rstrip().endswith("[heap]")]
have = [(int(r["start"], 16), int(r["end"], 16)) for r in doc["regions"] if r["kind"] == "heap"]
if have != want:
    sys.exit("FAIL: %s: heap labelled on %s, the process's [heap] was %s" %
             (what, [tuple(map(hex, h)) for h in have], [tuple(map(hex, w)) for w in want]))
print("ok: %s: heap %s as /proc/PID/maps said" % (what, [tuple(map(hex, w)) for w in want]))
PY
}

kernel_core() {	# kernel_core DIR CMD...: a kernel core of CMD (CORE) and its maps (DIR/maps)
	local dir=$1
	shift
	start_in "$dir" "$@"
	cp "/proc/$KPID/maps" "$dir/maps"
	dump_core "$dir"
}

EXEHIGH=$(dirname "$MEMLENS")/tests/heap_exehigh
SPECIMEN_CMD=$EXEHIGH start_specimen
kill -STOP "$SPEC_PID"
cp "/proc/$SPEC_PID/maps" "$T/maps"
[ "$(grep -c heap_exehigh "$T/maps")" -ge 5 ] || fail "heap_exehigh did not map itself high"
gcore -o "$T/core" "$SPEC_PID" >/dev/null 2>&1 || fail "gcore"
kill -KILL "$SPEC_PID"; wait "$SPEC_PID" 2>/dev/null; SPEC_PID=
check "$T/core.$(awk '/ready/ { print $2 }' "$SPEC_OUT")" "$T/maps" "heap_exehigh, gdb core"
# The threads' stacks (1 MiB above the high copy; 64 KiB past the image) are stacks.
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
size = lambda r: int(r["end"], 16) - int(r["start"], 16)
st = [r for r in d["regions"] if size(r) in (1 << 20, 64 << 10) and r["perms"].startswith("rw") and r["kind"] != "file"]
assert len(st) == 2 and all(r["kind"] == "stack" for r in st), st
' "$T/regions.json" || fail "the threads' stacks are not labelled stack"
# Without its ELF headers (zeroed in a copy), the image is read off NT_FILE.
exe=$(awk '/heap_exehigh/ { split($1, a, "-"); print "0x" a[1]; exit }' "$T/maps")
python3 "$TESTS_SRCDIR/heap_corrupt.py" word "$T"/core.* "$T/nohdr" "$exe" 0
check "$T/nohdr" "$T/maps" "heap_exehigh, gdb core without ELF headers"
rm -f "$T/nohdr"
"$MEMLENS" heap "$T"/core.* --json >"$T/heap.json" 2>"$T/heap.err" || fail "heap on the gdb core: $(cat "$T/heap.err")"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
heap = [l.split()[0].split("-") for l in open(sys.argv[2]) if l.rstrip().endswith("[heap]")][0]
h = d["arenas"][0]["heaps"][0]
assert (h["start"], h["end"]) == tuple("0x%x" % int(x, 16) for x in heap), (h, heap)
' "$T/heap.json" "$T/maps" || fail "memlens heap: the main heap is not the [heap] region"
rm -f "$T"/core.*

kernel_core "$T/k1" "$EXEHIGH"
check "$CORE" "$T/k1/maps" "heap_exehigh, kernel core"
rm -rf "$T/k1"

cat >"$T/idle.js" <<'JS'
const keep = [];
for (let i = 0; i < 100000; i++) keep.push({ i, s: "x" + i });
console.log("ready", process.pid);
setInterval(() => {}, 100000);
JS
kernel_core "$T/k2" node "$T/idle.js"
grep -q '\[heap\]' "$T/k2/maps" || fail "node has no [heap] line"
check "$CORE" "$T/k2/maps" "node, kernel core"
exe=$(awk '/\/node$/ { split($1, a, "-"); print "0x" a[1]; exit }' "$T/k2/maps")
python3 "$TESTS_SRCDIR/heap_corrupt.py" word "$CORE" "$T/k2/nohdr" "$exe" 0
check "$T/k2/nohdr" "$T/k2/maps" "node, kernel core without ELF headers"
exit 0
