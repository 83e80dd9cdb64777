#!/bin/bash
# Hostile dumps: damaged copies of a gcore core (bytes changed in the ELF
# header, program headers and notes, or anywhere; some truncated), and a
# damaged LiME file, through every command that reads a file.  Each run
# must end by itself with status 0 or 1 — never a crash, a hang or, in the
# sanitizer build, a sanitizer report — and a failure must say why on a
# "memlens:" line.  The damage is seeded, so a failure reproduces.
# Then the core of issue 19 defect 3 (NT_FILE entries that overlap each
# other outside every PT_LOAD), against what its note and segments say.
. "$TESTS_SRCDIR/lib.sh"
need gcore
need python3
start_specimen
gcore -o "$T/g" "$SPEC_PID" >/dev/null 2>&1 || fail "gcore failed"
python3 - "$T/g.$SPEC_PID" "$T" <<'PY'
import random, struct, sys
base = open(sys.argv[1], 'rb').read()
rnd = random.Random(20261123)
for i in range(16):
    d = bytearray(base)
    for _ in range(rnd.choice([1, 4, 16, 64])):
        lim = min(len(d), 1 << 16) if rnd.random() < 0.8 else len(d)
        d[rnd.randrange(lim)] = rnd.randrange(256)
    if rnd.random() < 0.25:
        d = d[:rnd.randrange(64, len(d))]
    open(f'{sys.argv[2]}/c{i}.core', 'wb').write(d)
# LiME: a header of ranges (magic, version 1, start, end inclusive) with
# hostile starts, ends and sizes.
for i in range(6):
    out = bytearray()
    for _ in range(3):
        s = rnd.choice([0, 0x1000, rnd.randrange(1 << 64)])
        e = rnd.choice([s + 0xfff, s, max(s - 1, 0), rnd.randrange(1 << 64)])
        out += struct.pack('<IIQQQ', 0x4C694D45, 1, s, e, 0) + bytes(rnd.randrange(4096) & ~7)
    open(f'{sys.argv[2]}/l{i}.lime', 'wb').write(out)
PY
n=0
for f in "$T"/c*.core "$T"/l*.lime; do
	for cmd in "regions" "regions --json" "image -o $T/o.png" "image --bpp 8 -o $T/o.bmp" \
		"image --layout hilbert -o $T/o.png" "pagemap --json" "hilbert -o $T/h.png" \
		"heap --json" "sound -o $T/s.wav"; do
		set -- $cmd
		rc=0
		timeout 60 "$MEMLENS" "$1" "$f" "${@:2}" >/dev/null 2>"$T/err" || rc=$?
		[ "$rc" -le 1 ] || fail "$* $f: exit $rc: $(head -3 "$T/err")"
		! grep -q "Sanitizer\|runtime error" "$T/err" || fail "$* $f: $(grep -m3 "Sanitizer\|runtime error" "$T/err")"
		[ "$rc" -eq 0 ] || grep -q "^memlens: " "$T/err" || fail "$* $f: exit 1 without a reason"
		n=$((n + 1))
	done
done
echo "$n runs on damaged inputs: no crash, no hang"

# Defect 3: the note lists 0x1000-0x5000 twice, 0x2000-0x3000 and 0x4000-0x9000
# inside it (the last also across the segment at 0x8000), 0x10000-0x12000
# across the segment at 0x11000.  Expected, by the rule in source_core.c
# (address order, an entry starting inside one taken is dropped, an entry
# running into a segment is cut there): exactly these regions, one warning.
python3 "$TESTS_SRCDIR/fuzz/corpus.py" core-regress "$T/d3"
core=$T/d3/ntfile-overlap.core
"$MEMLENS" regions "$core" --json >"$T/d3.json" 2>"$T/d3.err" || fail "regions on $core: $(cat "$T/d3.err")"
[ "$(grep -c . "$T/d3.err")" -eq 1 ] && grep -q "^memlens: regions: warning: .*NT_FILE lists 3 mappings overlapping others" "$T/d3.err" ||
	fail "expected one warning about 3 overlapping NT_FILE entries, got: $(cat "$T/d3.err")"
python3 - "$T/d3.json" <<'PY' || fail "defect 3: wrong regions for $core"
import json, sys
r = json.load(open(sys.argv[1]))['regions']
got = [(int(x['start'], 16), int(x['end'], 16), x['path'], x['captured']) for x in r]
want = [(0x1000, 0x5000, '/bin/a', 0), (0x8000, 0x9000, '/bin/d', 4096),
        (0x10000, 0x11000, '/bin/e', 0), (0x11000, 0x12000, '/bin/e', 16)]
if got != want:
    sys.exit(f'got {got}')
PY
# A lookup inside the dropped entries finds the region that stays: 16 bytes
# at 0x2000 are a hole of /bin/a's region, 16 at 0x8000 the segment's bytes.
"$MEMLENS" image "$core" --region 0x8000+16 --bpp 8 -o "$T/d3.bmp" 2>/dev/null || fail "image of the segment at 0x8000"
/usr/bin/python3 -c "
import sys; from PIL import Image
im = Image.open(sys.argv[1]); px = list(im.getdata())
sys.exit(0 if len(px) >= 16 and all(p == ord('L') for p in px[:16]) else f'pixels {px[:16]}')" "$T/d3.bmp" ||
	fail "the segment at 0x8000 does not read as the bytes the core holds there"
echo "defect 3: NT_FILE overlaps dropped, regions sorted and disjoint"
