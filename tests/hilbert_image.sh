#!/bin/bash
# `memlens image --layout hilbert`: every cell against an oracle that has
# its own Hilbert curve (tests/hilbert_oracle.py) and reads the picture with
# Pillow — counting bytes, 24 bpp, --fit averages, the entropy palette —
# and the in-memory cap.
. "$TESTS_SRCDIR/lib.sh"
PY=/usr/bin/python3
$PY -c 'import PIL' 2>/dev/null || fail "Pillow (python3-pil, .ci/packages.d/image.txt) is not installed"
O="$TESTS_SRCDIR/hilbert_oracle.py"

# Counting bytes: exactly 256x256 (gray, no alpha: mode L), and 5000 (a
# partial square: RGB, the rest of the curve unused).
$PY -c 'import sys; sys.stdout.buffer.write(bytes(i & 255 for i in range(65536)))' >"$T/c64k"
$PY -c 'import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(5000)))' >"$T/c5000"
for f in c64k c5000; do
	"$MEMLENS" image "$T/$f" --layout hilbert --bpp 8 --palette gray -o "$T/$f.png" || fail "$f"
	$PY "$O" image "$T/$f" "$T/$f.png" 8 || fail "$f: cells"
done
# The binvis corner facts, independent of any curve code: byte 0 top-left,
# the last byte of a full square bottom-left.
$PY - "$T/c64k.png" <<'PY' || fail "corners"
import sys
from PIL import Image
im = Image.open(sys.argv[1])
assert im.getpixel((0, 0)) == 0 and im.getpixel((0, 255)) == 255, (im.getpixel((0, 0)), im.getpixel((0, 255)))
PY

# 24 bpp with a partial last pixel; 32 bpp.
head -c 30001 /dev/urandom >"$T/r"
for bpp in 24 32; do
	"$MEMLENS" image "$T/r" --layout hilbert --bpp $bpp -o "$T/r$bpp.png" || fail "--bpp $bpp"
	$PY "$O" image "$T/r" "$T/r$bpp.png" $bpp || fail "--bpp $bpp: cells"
done

# --fit: 4x4 blocks of the curve are runs of 16 pixels.
"$MEMLENS" image "$T/c64k" --layout hilbert --bpp 8 --fit 64x100 -o "$T/fit.png" || fail "--fit"
$PY "$O" image "$T/c64k" "$T/fit.png" 8 --fit 64 || fail "--fit: cells"
"$MEMLENS" image "$T/r" --layout hilbert --bpp 24 --fit 20x20 -o "$T/fit24.png" || fail "--fit 24"
$PY "$O" image "$T/r" "$T/fit24.png" 24 --fit 20 || fail "--fit 24: cells"

# Entropy: low in a run, high in random bytes, each within rounding.
{ head -c 3000 /dev/zero; head -c 3000 /dev/urandom; $PY -c 'import sys; sys.stdout.buffer.write(bytes(i % 7 for i in range(3000)))'; } >"$T/mix"
"$MEMLENS" image "$T/mix" --layout hilbert --bpp 8 --palette entropy -o "$T/e.png" || fail "entropy"
$PY "$O" image "$T/mix" "$T/e.png" 8 --entropy || fail "entropy: cells"
# In the rows layout too: every pixel, and the unused end of the last row.
"$MEMLENS" image "$T/mix" --bpp 8 --palette entropy --width 100 -o "$T/er.png" || fail "entropy rows"
$PY "$O" entropy-rows "$T/mix" "$T/er.png" 100 || fail "entropy rows: pixels"

# Three things never look alike: random data under the entropy ramp, holes
# and unused canvas.  A LiME dump of 12,000 random bytes cut 2,000 short:
# 10,000 cells of data, 2,000 of holes, the rest of the 128x128 curve
# unused.  The hole pixels need alpha: RGBA, holes transparent magenta.
$PY - "$T/cut.lime" <<'PY'
import os, struct, sys
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IIQQ8x', 0x4C694D45, 1, 0x100000, 0x100000 + 12000 - 1))
    f.write(os.urandom(10000))
PY
"$MEMLENS" image "$T/cut.lime" --layout hilbert --bpp 8 --palette entropy -o "$T/three.png" 2>/dev/null ||
	fail "entropy with holes"
$PY - "$T/three.png" "$O" <<'PY' || fail "random, hole and unused colours"
import sys
sys.path.insert(0, sys.argv[2].rsplit('/', 1)[0])
import hilbert_oracle as h
from PIL import Image
im = Image.open(sys.argv[1])
assert im.mode == 'RGBA' and im.size == (128, 128), (im.mode, im.size)
px = im.load()
cells = [px[h.point(7, i)] for i in range(128 * 128)]
# random data, away from both ends of the stream's entropy window
data = cells[200:9800]
holes, unused = cells[10000:12000], cells[12000:]
assert all(c == h.HOLE + (0,) for c in holes), set(holes)
assert all(c == h.UNUSED + (255,) for c in unused), set(unused)
assert all(c[3] == 255 for c in data)
near = [c for c in data if h.dist(c, h.HOLE) < h.APART or h.dist(c, h.UNUSED) < h.APART]
assert not near, near[:5]
assert h.dist(h.HOLE, h.UNUSED) >= h.APART
print('ok: random data', sorted(set(data))[len(set(data)) // 2], 'hole', h.HOLE, 'unused', h.UNUSED)
PY

# The cap: 300 MiB of gray needs a 32768² canvas (1 GiB).
truncate -s 300M "$T/sparse"
expect_error 1 "$T/big.png" "$MEMLENS" image "$T/sparse" --layout hilbert --bpp 8 -o "$T/big.png"
grep -q -- "--fit" "$T/stderr" || fail "the cap error does not suggest --fit"
"$MEMLENS" image "$T/sparse" --layout hilbert --bpp 8 --fit 128x128 -o "$T/small.png" || fail "--fit past the cap"
$PY -c 'import sys; from PIL import Image; assert Image.open(sys.argv[1]).size == (128, 128)' "$T/small.png" || fail "--fit size"

# --curve gilbert: pixel i of bytes that count their own index (24 bpp:
# i as three bytes) sits where the published recursion, run in the oracle,
# puts cell i: 6 pixels (2x3, a shape that has no path between its end
# corners), 1000 (32x32, 24 cells unused), 3334 (58x58); 8 bpp gray;
# --fit boxes wider and square (each output pixel the average of its
# block of the full-size curve).
$PY -c 'import sys; sys.stdout.buffer.write(b"".join(i.to_bytes(3, "big") for i in range(3334)))' >"$T/idx"
for n in 6 1000 3334; do
	head -c $((n * 3)) "$T/idx" >"$T/idx$n"
	"$MEMLENS" image "$T/idx$n" --layout hilbert --curve gilbert -o "$T/g$n.png" || fail "gilbert $n"
	$PY "$O" gimage "$T/idx$n" "$T/g$n.png" 24 || fail "gilbert $n: cells"
done
head -c 100000 /dev/urandom >"$T/r100k"
"$MEMLENS" image "$T/r100k" --layout hilbert --curve gilbert --bpp 8 -o "$T/g8.png" || fail "gilbert 8 bpp"
$PY "$O" gimage "$T/r100k" "$T/g8.png" 8 || fail "gilbert 8 bpp: cells"
"$MEMLENS" image "$T/r100k" --layout hilbert --curve gilbert --fit 50x30 -o "$T/gf.png" || fail "gilbert --fit 50x30"
$PY "$O" gimage "$T/r100k" "$T/gf.png" 24 --fit 50 30 || fail "gilbert --fit 50x30: cells"
"$MEMLENS" image "$T/r100k" --layout hilbert --curve gilbert --bpp 8 --fit 40x40 -o "$T/gf8.tif" || fail "gilbert --fit 40x40"
$PY "$O" gimage "$T/r100k" "$T/gf8.tif" 8 --fit 40 40 || fail "gilbert --fit 40x40: cells"
# The classic curve's picture of 1000 pixels is 32x32 too; of 3334, 64x64 with most of it navy.
"$MEMLENS" image "$T/idx3334" --layout hilbert -o "$T/h3334.png" || fail "hilbert 3334"
$PY -c 'import sys; from PIL import Image; assert Image.open(sys.argv[1]).size == (64, 64)' "$T/h3334.png" || fail "hilbert 3334 size"

# Every format draws the same curve (the writer interface): BMP and TIFF decode to the PNG's pixels.
"$MEMLENS" image "$T/r" --layout hilbert -o "$T/h.png" || fail "hilbert PNG"
for ext in bmp tif; do
	"$MEMLENS" image "$T/r" --layout hilbert -o "$T/h.$ext" || fail "hilbert .$ext"
	$PY "$TESTS_SRCDIR/image_oracle.py" same "$T/h.png" "$T/h.$ext" || fail "hilbert .$ext differs from the PNG"
done

# Usage errors.
expect_error 2 "$T/x.png" "$MEMLENS" image "$T/r" --layout hilbert --width 10 -o "$T/x.png"
expect_error 2 "$T/x.png" "$MEMLENS" image "$T/r" --layout spiral -o "$T/x.png"
expect_error 2 "$T/x.png" "$MEMLENS" image "$T/r" --curve gilbert -o "$T/x.png"
expect_error 2 "$T/x.png" "$MEMLENS" image "$T/r" --layout hilbert --curve peano -o "$T/x.png"
echo ok
