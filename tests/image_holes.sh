#!/bin/bash
# Holes keep their place in magenta or are skipped; the --map sidecar
# traces pixels back to regions; a region selection draws exactly its bytes.
. "$TESTS_SRCDIR/lib.sh"
PY=/usr/bin/python3
$PY -c 'import PIL' 2>/dev/null || fail "Pillow (python3-pil, .ci/packages.d/image.txt) is not installed"
# A LiME dump of three ranges, the last cut short by 0x1000 bytes.
$PY - "$T/d.lime" <<'PY'
import random, struct, sys
random.seed(3)
with open(sys.argv[1], 'wb') as f:
    for s, e in [(0x1000, 0x1fff), (0x10000, 0x10fff), (0x20000, 0x21fff)]:
        f.write(struct.pack('<IIQQ8x', 0x4C694D45, 1, s, e))
        f.write(bytes(random.getrandbits(8) for _ in range(e - s + 1)))
PY
head -c -4096 "$T/d.lime" >"$T/cut.lime"
"$MEMLENS" image "$T/cut.lime" -o "$T/mark.png" --width 64 --map "$T/map.json" 2>"$T/err" || fail "holes mark"
grep -q "could not be read" "$T/err" || fail "no warning about holes: $(cat "$T/err")"
"$MEMLENS" image "$T/cut.lime" -o "$T/skip.png" --width 64 --holes skip 2>/dev/null || fail "holes skip"
"$MEMLENS" image "$T/cut.lime" -o "$T/strict.png" --strict 2>/dev/null && fail "--strict accepted holes"
[ ! -e "$T/strict.png" ] || fail "--strict exited 1 but left $T/strict.png"
$PY - "$T/cut.lime" "$T/mark.png" "$T/skip.png" "$T/map.json" <<'PY' || fail "hole pixels"
import json, struct, sys
from PIL import Image
raw = open(sys.argv[1], 'rb').read()
data, off = [], 0
while off < len(raw):
    _, _, s, e = struct.unpack_from('<IIQQ', raw, off)
    n = e - s + 1
    chunk = raw[off + 32: off + 32 + n]
    data.append((chunk, n))
    off += 32 + n
stream = b''.join(c for c, _ in data)
total = sum(n for _, n in data)
mark = list(Image.open(sys.argv[2]).convert('RGB').getdata())
npix = -(-total // 3)
for i in range(npix):
    b = i * 3
    if b + 3 <= len(stream):
        want = tuple(stream[b:b + 3])
    elif b >= len(stream):
        want = (255, 0, 255)
    else:
        continue        # a pixel straddling the cut: hole colour, data kept is tested below
    assert mark[i] == want, (i, mark[i], want)
assert mark[npix - 1] == (255, 0, 255)
# past the last byte the row is unused canvas, not a hole
assert len(mark) > npix and all(p == (0, 0, 176) for p in mark[npix:]), set(mark[npix:])
skip = list(Image.open(sys.argv[3]).convert('RGB').getdata())
nskip = -(-len(stream) // 3)
assert all(skip[i] == tuple(stream[i * 3:i * 3 + 3]) for i in range(len(stream) // 3))
assert len(skip) >= nskip and len(skip) < nskip + 64
m = json.load(open(sys.argv[4]))
assert m['width'] == 64 and m['bpp'] == 24
starts = [(r['start'], r['first_pixel'], r['first_row'], r['first_col']) for r in m['regions']]
assert starts == [('0x1000', 0, 0, 0), ('0x10000', 0x1000 // 3, (0x1000 // 3) // 64, (0x1000 // 3) % 64),
                  ('0x20000', 0x2000 // 3, (0x2000 // 3) // 64, (0x2000 // 3) % 64)], starts
PY
# A selection draws exactly its bytes: the specimen's pattern area, live.
start_specimen
ps=$(spec_addr pattern 2)
"$MEMLENS" image "$SPEC_PID" --region "$ps+0x30000" -o "$T/live.bmp" --order bgr --width 1024 ||
	fail "live --region"
"$SPECIMEN" --raw "$T/pattern.raw"
off=$(od -An -tu4 -j10 -N4 "$T/live.bmp" | tr -d ' ')
cmp <(tail -c +$((off + 1)) "$T/live.bmp") <(head -c $((0x30000)) "$T/pattern.raw") ||
	fail "live pixels differ from the specimen's bytes"
# An 8 bpp PNG has an alpha channel only when it has a hole pixel: live
# and without holes it is gray (mode L, every byte the specimen's); with
# the [vvar] pages, which /proc/PID/mem refuses (the oracle's own read says
# so), it is RGBA and exactly those pixels are transparent magenta.
"$MEMLENS" image "$SPEC_PID" --region "$ps+0x30000" --bpp 8 --width 1024 -o "$T/live8.png" ||
	fail "live 8 bpp"
"$MEMLENS" image "$SPEC_PID" --region vdso --region vvar --bpp 8 --width 1024 -o "$T/vv.png" 2>"$T/err" ||
	fail "live 8 bpp with holes"
grep -q "could not be read" "$T/err" || fail "no warning about the vvar holes: $(cat "$T/err")"
$PY - "$T/live8.png" "$T/pattern.raw" "$T/vv.png" "$SPEC_PID" <<'PY' || fail "live 8 bpp: modes and pixels"
import os, sys
from PIL import Image
im = Image.open(sys.argv[1])
assert im.mode == 'L' and im.size == (1024, 0x30000 // 1024), (im.mode, im.size)
assert im.tobytes() == open(sys.argv[2], 'rb').read()[:0x30000], 'live gray pixels differ'
pid = sys.argv[4]
want, holes = b'', []
fd = os.open(f'/proc/{pid}/mem', os.O_RDONLY)
for line in open(f'/proc/{pid}/maps'):
    f = line.split()
    if len(f) < 6 or not (f[5] == '[vdso]' or f[5].startswith('[vvar')):
        continue
    a, b = (int(v, 16) for v in f[0].split('-'))
    try:
        want += os.pread(fd, b - a, a)
    except OSError:
        holes.append((len(want), len(want) + b - a))
        want += bytes(b - a)
im = Image.open(sys.argv[3])
assert im.mode == 'RGBA' and im.size[0] * im.size[1] == len(want), (im.mode, im.size, len(want))
assert holes, 'the oracle read every page: no hole to check'
px = im.getdata()
for i, p in enumerate(px):
    hole = any(a <= i < b for a, b in holes)
    exp = (255, 0, 255, 0) if hole else (want[i],) * 3 + (255,)
    assert p == exp, (i, p, exp)
PY
# Reduced 8 bpp pictures have a hole pixel only where a whole block is
# holes.  The core (tests/sound_mkcore.py) holds 4096 bytes of data, a
# 4096-byte hole, 4096 bytes of data.  64 wide: --scale 128 averages 128
# rows, so both blocks hold data: gray (L); --scale 3 has blocks of holes
# only: RGBA.  On the Hilbert curve (16384 cells): --fit 2x2 cells of 4096
# pixels are data, holes, data, unused; --fit 1x1 is one cell with data.
/usr/bin/python3 "$TESTS_SRCDIR/sound_mkcore.py" "$T/h.core" "$T" || fail "mkcore"
"$MEMLENS" image "$T/h.core" --bpp 8 --width 64 --scale 128 -o "$T/r128.png" 2>/dev/null || fail "--scale 128"
"$MEMLENS" image "$T/h.core" --bpp 8 --width 64 --scale 3 -o "$T/r3.png" 2>/dev/null || fail "--scale 3"
"$MEMLENS" image "$T/h.core" --bpp 8 --layout hilbert --fit 2x2 -o "$T/h2.png" 2>/dev/null || fail "--fit 2x2"
"$MEMLENS" image "$T/h.core" --bpp 8 --layout hilbert --fit 1x1 -o "$T/h1.png" 2>/dev/null || fail "--fit 1x1"
$PY - "$T" "$TESTS_SRCDIR" <<'PY' || fail "reduced 8 bpp pictures: modes and blocks"
import sys
from PIL import Image
sys.path.insert(0, sys.argv[2])
import hilbert_oracle as h
d = sys.argv[1]
a, b = open(d + '/a.bin', 'rb').read(), open(d + '/b.bin', 'rb').read()
mean = lambda v: (sum(v) + len(v) // 2) // len(v)
im = Image.open(d + '/r128.png')
assert im.mode == 'L' and im.size == (1, 2), (im.mode, im.size)
assert list(im.getdata()) == [mean(a), mean(b)], (list(im.getdata()), mean(a), mean(b))
im = Image.open(d + '/r3.png')
assert im.mode == 'RGBA' and im.size == (22, 64), (im.mode, im.size)
px = im.load()
# rows 66..125 are holes only (full-size rows 64..127 are the hole), and column 21 holds one pixel a row
assert all(px[x, y] == h.HOLE + (0,) for x in range(22) for y in range(22, 42)), 'blocks of holes'
assert all(px[x, 10][3] == 255 and px[x, 10][:3] != h.HOLE for x in range(22)), 'a block of data'
im = Image.open(d + '/h2.png')
assert im.mode == 'RGBA' and im.size == (2, 2), (im.mode, im.size)
cells = [im.getpixel(h.point(1, c)) for c in range(4)]
assert cells == [(mean(a),) * 3 + (255,), h.HOLE + (0,), (mean(b),) * 3 + (255,), h.UNUSED + (255,)], cells
im = Image.open(d + '/h1.png')
assert im.mode == 'L' and list(im.getdata()) == [mean(a + b)], (im.mode, list(im.getdata()))
PY
echo "image holes OK"
