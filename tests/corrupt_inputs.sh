#!/bin/bash
# Hostile dumps: damaged copies of a gcore core (bytes changed in the ELF
# header, program headers and notes, or anywhere; some truncated), and a
# damaged LiME file, through every command that reads a file.  Each run
# must end by itself with status 0 or 1 — never a crash, a hang or, in the
# sanitizer build, a sanitizer report — and a failure must say why on a
# "memlens:" line.  The damage is seeded, so a failure reproduces.
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
