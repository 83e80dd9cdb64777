#!/bin/bash
# mmapped chunks anywhere inside anonymous mappings (issue 11 item 1): a
# python3 process holds buffers above malloc's mmap threshold next to
# pymalloc's own arenas, which the kernel merges into larger mappings.
# glibc's own counters, read by gdb with libc6-dbg's symbols
# (mp_.n_mmaps, mp_.mmapped_mem), must equal memlens' mmapped count and
# bytes, live and from a gdb core; /proc/PID/maps shows the case was
# met (a chunk that does not start its mapping).
. "$TESTS_SRCDIR/lib.sh"
. "$TESTS_SRCDIR/heap_lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || fail "Debian's python3 is needed (.ci/packages.d/heap.txt)"
need gdb
cat >"$T/hold.py" <<'PY'
import os, time
keep = []
for i in range(12):
    keep.append(bytearray(200000 + 50000 * i))     # above the mmap threshold: mmapped chunks
    keep.append([str(j) * 3 for j in range(20000)])  # small objects: pymalloc's arenas beside them
print("ready", os.getpid(), flush=True)
time.sleep(600)
PY
SPECIMEN_CMD="$PY $T/hold.py" start_specimen
kill -STOP "$SPEC_PID"

read -r n_mmaps mmapped_mem mp_addr < <(gdb_values -p "$SPEC_PID" -ex 'p mp_.n_mmaps' -ex 'p mp_.mmapped_mem' \
	-ex 'p/x (long)&mp_')
kill -STOP "$SPEC_PID"
[ -n "$mmapped_mem" ] || fail "gdb could not read mp_ (is libc6-dbg installed?)"
[ "$n_mmaps" -ge 10 ] || fail "gdb counts $n_mmaps mmapped chunks: the specimen did not set up"

check() {	# check JSON WHAT
	python3 - "$1" "$n_mmaps" "$mmapped_mem" "$2" "$mp_addr" <<'PY' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))
n, b, what, mp_addr = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5], 16)
mm = d["arenas"][0]["mmapped"]
if (mm["count"], mm["bytes"]) != (n, b):
    sys.exit("FAIL: %s: memlens mmapped %d chunks / %d bytes, glibc (gdb) %d / %d"
             % (what, mm["count"], mm["bytes"], n, b))
mp = d["glibc_mp"]
if not mp or (int(mp["address"], 16), mp["n_mmaps"], mp["mmapped_mem"]) != (mp_addr, n, b):
    sys.exit("FAIL: %s: memlens read mp_ as %s; gdb: at 0x%x, %d / %d" % (what, mp, mp_addr, n, b))
print("ok: %s: %d mmapped chunks, %d bytes, as gdb says" % (what, n, b))
PY
}

"$MEMLENS" heap "$SPEC_PID" --json --chunks >"$T/live.json" 2>"$T/live.err" || fail "heap: $(cat "$T/live.err")"
check "$T/live.json" live
# The case this is about: some chunk sits inside a mapping, not at its start.
python3 - "$T/live.json" "/proc/$SPEC_PID/maps" <<'PY' || fail "no mmapped chunk inside a merged mapping: the test did not exercise it"
import json, sys
d = json.load(open(sys.argv[1]))
starts = {int(l.split("-")[0], 16) for l in open(sys.argv[2])}
chunks = [int(c["chunk"], 16) for c in d["arenas"][0]["chunks"] if c["bin"] == "mmapped"]
inside = [c for c in chunks if c not in starts]
if not inside:
    sys.exit(1)
print("ok: %d of %d mmapped chunks do not start their mapping" % (len(inside), len(chunks)))
PY

gcore -o "$T/core" "$SPEC_PID" >/dev/null 2>&1 || fail "gcore"
kill -STOP "$SPEC_PID"
"$MEMLENS" heap "$T/core.$SPEC_PID" --json >"$T/core.json" 2>"$T/core.err" || fail "heap on a gcore: $(cat "$T/core.err")"
check "$T/core.json" "gdb core"
exit 0
