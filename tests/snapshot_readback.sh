#!/bin/bash
# memlens reads its own cores back as it reads the live process at that
# moment (the process stopped with SIGSTOP for both):
# - pagemap CORE gives, region by region, the classes pagemap PID gives
#   (present, swapped, file, anon, exclusive, soft-dirty, uffd-wp, guard),
#   from the MEMLENS note; and the counts the target knows of itself: its
#   8 MiB written, one page of the reservation, one guard page;
# - heap CORE --json --chunks gives the chunks heap PID gives (the specimen);
# - image CORE --region pattern draws, by Pillow, the pixels of image PID.
. "$TESTS_SRCDIR/lib.sh"
. "$TESTS_SRCDIR/snapshot_lib.sh"
need_root
PY=/usr/bin/python3

head -c 16384 /dev/urandom >"$T/f1"
head -c 4096 /dev/urandom >"$T/f2"
start_target -m 8 -r 64 -t 2 -f "$T/f1" -F "$T/f2"
wait_idle "$SPEC_PID"
kill -STOP "$SPEC_PID"
wait_state "$SPEC_PID" T
"$MEMLENS" snapshot "$SPEC_PID" -o "$T/t.core" >/dev/null || fail "snapshot of the target failed"
"$MEMLENS" pagemap "$SPEC_PID" --json >"$T/live.json" 2>/dev/null || fail "pagemap of the target failed"
"$MEMLENS" pagemap "$T/t.core" --json >"$T/core.json" || fail "pagemap of the core failed"
"$PY" - "$T" "0x$(spec_addr resident 2)" "0x$(spec_addr reserve 2)" "0x$(spec_addr guarded 2)" <<'PY' ||
import json, sys
T = sys.argv[1]
resident, reserve, guarded = (int(a, 16) for a in sys.argv[2:5])
live, core = json.load(open(f'{T}/live.json')), json.load(open(f'{T}/core.json'))
keys = ('pages', 'present', 'swapped', 'file', 'anon', 'exclusive', 'soft_dirty', 'uffd_wp', 'guard')
bad = []
if len(live['regions']) != len(core['regions']):
    bad.append(f"{len(live['regions'])} live regions, {len(core['regions'])} in the core")
for l, c in zip(live['regions'], core['regions']):
    # A file page's exclusivity is the whole machine's: it changes as other
    # processes map or drop the same page of libc while this one is stopped.
    ks = [k for k in keys if k != 'exclusive' or l['file'] == 0]
    if l['start'] != c['start'] or any(l[k] != c[k] for k in ks):
        bad.append(f"{l['start']} {l['path']}: live {[l[k] for k in keys]} core {[c[k] for k in keys]}")
by = {int(c['start'], 16): c for c in core['regions']}
if by.get(resident, {}).get('present') != 8 * 256:
    bad.append(f'the 8 MiB written: {by.get(resident)}')
if by.get(reserve, {}).get('present') != 1:
    bad.append(f'the reservation\'s one written page: {by.get(reserve)}')
if by.get(guarded, {}).get('guard') != 1:
    bad.append(f'the guard page: {by.get(guarded)}')
for b in bad: print('FAIL:', b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
	fail "pagemap of the core differs from the live process's"
kill -KILL "$SPEC_PID"; wait "$SPEC_PID" 2>/dev/null; SPEC_PID=

start_specimen
kill -STOP "$SPEC_PID"
wait_state "$SPEC_PID" T
"$MEMLENS" snapshot "$SPEC_PID" -o "$T/s.core" >/dev/null || fail "snapshot of the specimen failed"
"$MEMLENS" heap "$SPEC_PID" --json --chunks >"$T/hl.json" || fail "heap of the specimen failed"
"$MEMLENS" heap "$T/s.core" --json --chunks >"$T/hc.json" || fail "heap of its core failed"
"$PY" - "$T/hl.json" "$T/hc.json" <<'PY' || fail "heap of the core differs from the live heap"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
# where the glibc version was read differs by source (the live libc file, or
# the core's memory); the version itself and everything found must not
froms = a.pop('glibc_from', None), b.pop('glibc_from', None)
for d in (a, b):
    d.pop('source')
if a != b:
    diff = [k for k in set(a) | set(b) if a.get(k) != b.get(k)]
    print('FAIL: heap differs in', diff, file=sys.stderr)
    sys.exit(1)
print(f'heap: the same document ({len(json.dumps(a))} bytes); glibc version from {froms[0]!r} / {froms[1]!r}')
PY
pat="0x$(spec_addr pattern 2)-0x$(spec_addr pattern 3)"
"$MEMLENS" image "$SPEC_PID" --region "$pat" -o "$T/l.png" || fail "image of the specimen failed"
"$MEMLENS" image "$T/s.core" --region "$pat" -o "$T/c.png" || fail "image of its core failed"
"$PY" - "$T/l.png" "$T/c.png" <<'PY' || fail "the pictures differ"
import sys
from PIL import Image
a, b = (Image.open(p) for p in sys.argv[1:3])
assert a.size == b.size and a.mode == b.mode, (a.size, b.size, a.mode, b.mode)
assert a.tobytes() == b.tobytes(), 'pixels differ'
print(f'image: {a.size[0]}x{a.size[1]} pixels equal')
PY
kill -CONT "$SPEC_PID"
