#!/bin/bash
# memlens snapshot --system in a pid namespace of its own (unshare), where
# /proc lists only what the test started: two targets and a strace that
# holds the second.  index.json names every process /proc listed (but
# memlens) with its pid and comm, the free target's core loads in gdb with
# its three threads, the traced one is listed as not copied, and nothing is
# left stopped.
. "$TESTS_SRCDIR/lib.sh"
. "$TESTS_SRCDIR/snapshot_lib.sh"
need_root
need unshare
need strace
need gdb
cat >"$T/inside.sh" <<'SH'
T=$1 TARGET=$2 MEMLENS=$3
"$TARGET" -m 4 -r 16 -t 2 >"$T/a.out" &
"$TARGET" -m 4 -r 16 -t 1 >"$T/b.out" &
for f in a b; do until grep -q ready "$T/$f.out"; do sleep 0.05; done; done
b=$(awk '/ready/ {print $2}' "$T/b.out")
strace -p "$b" -o /dev/null 2>/dev/null &
until [ "$(awk '/^TracerPid:/ {print $2}' /proc/$b/status)" != 0 ]; do sleep 0.05; done
for d in /proc/[0-9]*; do echo "${d#/proc/}"; done >"$T/pids"
"$MEMLENS" snapshot --system -o "$T/sys" --json >"$T/idx.json" 2>"$T/err"
echo $? >"$T/rc"
for p in $(cat "$T/pids"); do echo "$p $(awk '/^State:/ {print $2}' /proc/$p/status 2>/dev/null)"; done >"$T/states"
cat /proc/$(awk '/ready/ {print $2}' "$T/a.out")/comm >"$T/comm"
kill $(jobs -p) 2>/dev/null
SH
unshare --pid --fork --mount-proc bash "$T/inside.sh" "$T" "$TARGET" "$MEMLENS" || fail "the namespace run failed"
[ "$(cat "$T/rc")" = 0 ] || fail "--system exited $(cat "$T/rc"): $(cat "$T/err")"
a=$(awk '/ready/ {print $2}' "$T/a.out")
b=$(awk '/ready/ {print $2}' "$T/b.out")
/usr/bin/python3 - "$T" "$a" "$b" <<'PY' || fail "index.json"
import json, sys
T, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
idx = json.load(open(f'{T}/sys/index.json'))
assert idx == json.load(open(f'{T}/idx.json')), '--json and index.json differ'
pids = {int(p) for p in open(f'{T}/pids').read().split()}
listed = {c['pid']: c for c in idx['cores']}
# every process /proc listed, but memlens itself (started after the listing)
assert set(listed) == pids, f'index {sorted(listed)} vs /proc {sorted(pids)}'
comm = open(f'{T}/comm').read().strip()
assert listed[a].get('file') == f'core.{a}.{comm}', listed[a]
assert listed[a]['threads'] == 3 and listed[a]['frozen'], listed[a]
assert 'error' in listed[b], listed[b]
assert idx['cores_failed'] == 1 and idx['cores_written'] == len(pids) - 1, idx
for line in open(f'{T}/states'):
    p, *st = line.split()
    assert not st or st[0] not in ('t', 'T'), f'pid {p} left stopped: {st}'
PY
n=$(gdb -batch -nx -c "$T/sys/core.$a.$(cat "$T/comm")" "$TARGET" -ex 'info threads' 2>/dev/null |
	grep -cE '^[* ] +[0-9]+ +(Thread|LWP)')
[ "$n" -eq 3 ] || fail "gdb sees $n threads in the --system core of pid $a"
grep -q "traced by pid" "$T/err" || fail "the traced process's refusal is not said: $(cat "$T/err")"
echo "--system: $(ls "$T/sys" | wc -l) files"
