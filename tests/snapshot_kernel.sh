#!/bin/bash
# The kernel's own core as the oracle (snapshot_kernel.py): a target is
# snapshot by memlens, then dumped by the kernel (SIGABRT, ulimit -c
# unlimited) under the same coredump_filter — the default 0x33, and 0x3f
# (file-backed private mappings too) — and the notes, the mappings, what was
# dumped and the bytes must agree.  memlens regions reads the core back as
# the live maps: the same start, end, permissions, offset and path, and the
# untouched reservation counted as captured (zero pages are data).
. "$TESTS_SRCDIR/lib.sh"
. "$TESTS_SRCDIR/snapshot_lib.sh"
need_root
pattern=$(cat /proc/sys/kernel/core_pattern)
case $pattern in
/* | \|*) fail "kernel.core_pattern is '$pattern': this test needs the kernel to write a core in the process's directory" ;;
esac
head -c 16384 /dev/urandom >"$T/f1"
head -c 4096 /dev/urandom >"$T/f2"
ulimit -c unlimited
cd "$T" || fail "no $T"

for filter in 0x33 0x3f; do
	rm -rf "$T/k" && mkdir "$T/k" && cd "$T/k" || fail "no $T/k"
	start_target -m 16 -r 256 -t 2 -f "$T/f1" -F "$T/f2"
	pid=$SPEC_PID
	wait_idle "$pid"
	echo "$filter" >"/proc/$pid/coredump_filter"
	cp "/proc/$pid/maps" "$T/maps"
	"$MEMLENS" snapshot "$pid" -o "$T/m.core" --json >"$T/summary.json" || fail "memlens snapshot failed"
	"$MEMLENS" regions "$T/m.core" --json >"$T/regions.json" || fail "memlens regions on the core failed"
	kill -ABRT "$pid"
	wait "$pid" 2>/dev/null
	SPEC_PID=
	kcore=$(ls "$T"/k/core* 2>/dev/null | head -1)
	[ -n "$kcore" ] || fail "the kernel wrote no core (core_pattern '$pattern')"
	/usr/bin/python3 "$TESTS_SRCDIR/snapshot_kernel.py" "$T/m.core" "$kcore" "$T/summary.json" "$T/maps" ||
		fail "memlens's core disagrees with the kernel's (coredump_filter $filter)"
	/usr/bin/python3 - "$T/regions.json" "$T/maps" "0x$(spec_addr reserve 2)" <<'PY' || fail "regions of the core are not the live maps"
import json, sys
regions = json.load(open(sys.argv[1]))['regions']
maps = []
for line in open(sys.argv[2]):
    f = line.split(None, 5)
    s, e = (int(x, 16) for x in f[0].split('-'))
    maps.append((s, e, f[1][:3], int(f[2], 16), f[5].strip() if len(f) > 5 else ''))
got = [(int(r['start'], 16), int(r['end'], 16), r['perms'][:3], r['file_offset'], r['path'] or '')
       for r in regions]
bad = []
for m, g in zip(maps, got):
    file = m[4].startswith('/')
    want = (m[0], m[1], m[2], m[3] if file else g[3], m[4].replace(' (deleted)', '') if file else g[4])
    if want != g:
        bad.append(f'live {m} core {g}')
if len(maps) != len(got):
    bad.append(f'{len(maps)} live mappings, {len(got)} regions in the core')
rsv = int(sys.argv[3], 16)
r = [r for r in regions if int(r['start'], 16) == rsv]
if not r or r[0]['captured'] != r[0]['size']:
    bad.append(f'the untouched reservation is not all captured: {r}')
for b in bad: print('FAIL:', b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
	cd "$T" || fail "no $T"
done
echo "the kernel's cores agree"
