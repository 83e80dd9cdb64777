#!/bin/bash
# Static glibc programs (issue 11 item 2): `gcc -static -pthread`
# binaries map no libc; main_arena is in the executable.  gdb, with the
# binary's own symbols, is the oracle: main_arena's address, glibc's
# mmapped-chunk counters and mp_'s own address (memlens finds mp_ without
# symbols) and every thread's tcache (its counts[]),
# with the offsets of those structures read off libc6-dbg's types.  memlens
# must agree on all of them, with no warning: per thread (thread_tcaches),
# in total (the arenas' free.tcache), and for mmapped chunks, live and from
# a gdb core.  With glibc's version string in the binary the version comes
# from it; without, the layout is guessed (safe-linking told by aligned
# pointers) and must still be 2.36's.
. "$TESTS_SRCDIR/lib.sh"
. "$TESTS_SRCDIR/heap_lib.sh"
need gdb
need gcore
LIBC=$(gcc -print-file-name=libc.so.6)
# Layout facts from glibc's own debug info (libc6-dbg), not from memlens.
read -r NMMAPS_OFF MMEM_OFF NCOUNTS COUNTSZ < <(gdb_values \
	-ex 'p (long)&((struct malloc_par *)0)->n_mmaps' \
	-ex 'p (long)&((struct malloc_par *)0)->mmapped_mem' \
	-ex 'p sizeof(((struct tcache_perthread_struct *)0)->counts) / sizeof(((struct tcache_perthread_struct *)0)->counts[0])' \
	-ex 'p sizeof(((struct tcache_perthread_struct *)0)->counts[0])' "$LIBC")
[ -n "$COUNTSZ" ] || fail "no malloc_par/tcache types in $LIBC's debug info (is libc6-dbg installed?)"
GLIBC=$(ldd --version | awk 'NR == 1 { print $NF }')

oracle() {	# oracle PID OUT
	gdb -batch -nx -p "$1" -ex "set \$ncounts = $NCOUNTS" -ex "set \$countsz = $COUNTSZ" \
		-ex "set \$nmmaps_off = $NMMAPS_OFF" -ex "set \$mmem_off = $MMEM_OFF" \
		-x "$TESTS_SRCDIR/heap_gdb.py" 2>/dev/null | grep -E '^(main_arena|mmapped|mp|tcache) ' >"$2"
	kill -STOP "$1"
	[ "$(grep -c '^tcache ' "$2")" -eq 4 ] || fail "gdb saw $(grep -c '^tcache ' "$2") tcaches, not 4: $(cat "$2")"
}

compare() {	# compare ORACLE JSON WHAT VERSION
	python3 - "$@" <<'PY' || exit 1
import json, sys
oracle, doc, what, version = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4]
o = {"tcache": []}
for line in open(oracle):
    f = line.split()
    if f[0] == "tcache":
        o["tcache"].append((int(f[1], 16), int(f[2]), int(f[3])))
    else:
        o[f[0]] = [int(x, 0) for x in f[1:]]
def bad(msg):
    sys.exit("FAIL: %s: %s" % (what, msg))
if doc["warnings"]:
    bad("%d warnings" % doc["warnings"])
if version != "-" and doc["glibc"] != version:
    bad("glibc %s (%s), the binary says %s" % (doc["glibc"], doc["glibc_from"], version))
# Guessed: safe-linking (2.32+) must be told right, which is what went wrong.
minor = lambda v: int(v.split(".")[1])
if version == "-" and (doc["glibc"] is not None or (minor(doc["layout"]) >= 32) != (minor(sys.argv[5]) >= 32)):
    bad("expected a guessed layout like %s's, got glibc %s layout %s" % (sys.argv[5], doc["glibc"], doc["layout"]))
if int(doc["arenas"][0]["address"], 16) != o["main_arena"][0]:
    bad("main_arena 0x%x, gdb says 0x%x" % (int(doc["arenas"][0]["address"], 16), o["main_arena"][0]))
mm = doc["arenas"][0]["mmapped"]
if [mm["count"], mm["bytes"]] != o["mmapped"]:
    bad("mmapped %s, gdb (mp_) %s" % (mm, o["mmapped"]))
mp = doc["glibc_mp"]
if not mp or [int(mp["address"], 16), mp["n_mmaps"], mp["mmapped_mem"]] != o["mp"] + o["mmapped"]:
    bad("mp_ as memlens found it: %s; gdb: at 0x%x, %s" % (mp, o["mp"][0], o["mmapped"]))
# Non-empty ones on both sides: an empty tcache struct that is not its
# arena's first chunk is all zeros, like any zeroed allocation of its size
# (the main thread's, in clang's build of this program).
mine = sorted((int(t["address"], 16) + 16, t["count"], t["bytes"]) for t in doc["thread_tcaches"] if t["count"])
theirs = sorted(t for t in o["tcache"] if t[1])
if mine != theirs:
    bad("per-thread tcache (user address, count, bytes): memlens %s, gdb %s" % (mine, theirs))
tot = [sum(a["free"]["tcache"][k] for a in doc["arenas"]) for k in ("count", "bytes")]
want = [sum(t[1] for t in o["tcache"]), sum(t[2] for t in o["tcache"])]
if tot != want:
    bad("tcache total %s, gdb %s" % (tot, want))
print("ok: %s: main_arena, %d tcaches (%d chunks, %d bytes), %d mmapped chunks, glibc %s (%s)" %
      (what, len(mine), want[0], want[1], mm["count"], doc["glibc"], doc["glibc_from"]))
PY
}

for prog in heap_static heap_static_banner; do
	SPECIMEN_CMD=$(dirname "$MEMLENS")/tests/$prog start_specimen
	kill -STOP "$SPEC_PID"
	version=-
	[ $prog = heap_static_banner ] && version=$GLIBC
	oracle "$SPEC_PID" "$T/$prog.gdb"
	"$MEMLENS" heap "$SPEC_PID" --json >"$T/$prog.json" 2>"$T/$prog.err" || fail "$prog: $(cat "$T/$prog.err")"
	compare "$T/$prog.gdb" "$T/$prog.json" "$prog live" $version "$GLIBC"
	gcore -o "$T/core" "$SPEC_PID" >/dev/null 2>&1 || fail "gcore"
	kill -STOP "$SPEC_PID"
	"$MEMLENS" heap "$T/core.$SPEC_PID" --json >"$T/$prog.core.json" 2>"$T/$prog.err" ||
		fail "$prog core: $(cat "$T/$prog.err")"
	compare "$T/$prog.gdb" "$T/$prog.core.json" "$prog gdb core" $version "$GLIBC"
	kill -KILL "$SPEC_PID"
	wait "$SPEC_PID" 2>/dev/null
	SPEC_PID=
	rm -f "$T"/core.*
done
exit 0
