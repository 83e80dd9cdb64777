#!/bin/bash
# The multi-core PNG path end to end: pictures of several compression
# strips (about 1 MiB of rows each), written with 1, 2 and 3 threads, with
# holes that start before, end after, start exactly on and end exactly on
# strip boundaries, decoded by Pillow and compared with every byte of the
# core (the test writes the core, and reads its bytes and holes back from
# the core's own program headers).  24 bpp (holes magenta) and 8 bpp
# (RGBA: holes transparent magenta), the unused end of the last row, and
# a thumbnail of it all.
. "$TESTS_SRCDIR/lib.sh"
PY=/usr/bin/python3
$PY -c 'import PIL' 2>/dev/null || fail "Pillow (python3-pil, .ci/packages.d/image.txt) is not installed"

# The core: PT_LOAD segments laid end to end in the byte stream, each
# ending in a hole (p_filesz < p_memsz) placed around a strip boundary of
# the pictures below: 1024 pixels a row, 24 bpp rows of 3072 bytes (341 a
# strip) and 8 bpp RGBA rows of 4096 (255 a strip).
$PY - "$T/c.core" <<'PY'
import os, random, struct, sys
rnd = random.Random(11)
STRIP = 1 << 20
b24 = [k * (STRIP // 3073) * 3072 for k in range(1, 7)]        # stream offsets of 24 bpp strip starts
b8 = [k * (STRIP // 4097) * 1024 for k in range(1, 8)]         # 8 bpp: a byte is a pixel
holes = []
for i, b in enumerate(sorted(set(b24 + b8))):
    # around, from, and up to the boundary, in turn
    a, e = [(b - 0x1800, b + 0x2800), (b, b + 0x3000), (b - 0x2000, b)][i % 3]
    if holes and a < holes[-1][1] + 0x1000:
        continue
    holes.append((a, e))
total = holes[-1][1] + 0x6123                                   # data after the last hole, a partial row
segs, pos, vaddr = [], 0, 0x10000000
for a, e in holes + [(total, total)]:
    segs.append((vaddr, e - pos, a - pos))                      # (address, memsz, filesz)
    vaddr += ((e - pos + 0xfff) & ~0xfff) + 0x100000             # gaps between segments are not selected
    pos = e

def block(n):
    k = rnd.randrange(4)
    if k == 0:
        return os.urandom(n)
    if k == 1:
        return bytes(n)
    if k == 2:
        return (b'memlens strips ' * (n // 15 + 1))[:n]
    return bytes((i // 7) & 0xff for i in range(n))

data = []
for _, memsz, filesz in segs:
    d = b''
    while len(d) < filesz:
        d += block(min(0x10000, filesz - len(d)))
    data.append(d)
phnum = len(segs)
off = (64 + 56 * phnum + 0xfff) & ~0xfff
eh = b'\x7fELF' + bytes([2, 1, 1, 0]) + bytes(8)
eh += struct.pack('<HHIQQQIHHHHHH', 4, 62, 1, 0, 64, 0, 0, 64, 56, phnum, 0, 0, 0)
ph, o = b'', off
for (va, memsz, filesz), d in zip(segs, data):
    ph += struct.pack('<IIQQQQQQ', 1, 6, o, va, 0, filesz, memsz, 0x1000)
    o += filesz
img = bytearray(eh + ph)
img += bytes(off - len(img))
for d in data:
    img += d
open(sys.argv[1], 'wb').write(img)
PY

for t in 1 2 3; do
	"$MEMLENS" image "$T/c.core" --width 1024 --threads $t -o "$T/s24-$t.png" 2>/dev/null || fail "24 bpp, $t threads"
	"$MEMLENS" image "$T/c.core" --width 1024 --bpp 8 --threads $t -o "$T/s8-$t.png" 2>/dev/null ||
		fail "8 bpp, $t threads"
done
# A thumbnail through the same writer: each pixel the mean of the data in
# its 2x2 block, magenta where a block is all holes.
"$MEMLENS" image "$T/c.core" --width 1024 --scale 2 --threads 3 -o "$T/th.png" 2>/dev/null || fail "thumbnail"

$PY - "$T/c.core" "$T" <<'PY' || fail "pixels"
import struct, sys
from PIL import Image
raw, d = open(sys.argv[1], 'rb').read(), sys.argv[2]
# The stream and its holes, from the core's own program headers.
phoff, = struct.unpack_from('<Q', raw, 0x20)
phnum, = struct.unpack_from('<H', raw, 0x38)
stream, holes = bytearray(), []
for i in range(phnum):
    _, _, off, _, _, filesz, memsz, _ = struct.unpack_from('<IIQQQQQQ', raw, phoff + 56 * i)
    stream += raw[off:off + filesz]
    if memsz > filesz:
        holes.append((len(stream), len(stream) + memsz - filesz))
    stream += bytes(memsz - filesz)
W = 1024
HOLE, UNUSED = (255, 0, 255), (0, 0, 176)

def expected(bpp):
    B = bpp // 8
    npix = -(-len(stream) // B)
    rows = -(-npix // W)
    if bpp == 8:
        want = bytearray(4 * rows * W)
        for k in range(3):
            want[k:4 * npix:4] = stream
        want[3:4 * npix:4] = b'\xff' * npix
    else:
        want = bytearray(stream.ljust(3 * npix, b'\0')) + bytearray(3 * (rows * W - npix))
    ch = 4 if bpp == 8 else 3
    for i in range(npix, rows * W):                         # the unused end of the last row
        want[i * ch:i * ch + ch] = bytes(UNUSED + (255,))[:ch]
    for a, e in holes:                                      # a pixel with any hole byte is a hole
        for i in range(a // B, -(-e // B)):
            want[i * ch:i * ch + ch] = bytes(HOLE + (0,))[:ch]
    return rows, bytes(want)

for bpp, mode in ((24, 'RGB'), (8, 'RGBA')):
    rows, want = expected(bpp)
    for t in (1, 2, 3):
        out = f'{d}/s{bpp}-{t}.png'
        im = Image.open(out)
        assert im.size == (W, rows) and im.mode == mode, (out, im.size, im.mode)
        got = im.tobytes()
        if got != want:
            ch = len(mode)
            i = next(k for k in range(len(want)) if got[k] != want[k]) // ch
            sys.exit(f'{out}: pixel {i} (row {i // W}, column {i % W}) is {tuple(got[i * ch:i * ch + ch])}, '
                     f'expected {tuple(want[i * ch:i * ch + ch])}')
        print(f'{out}: {rows} rows, {len(holes)} holes across strip boundaries, every pixel right')

rows, want = expected(24)
npix = -(-len(stream) // 3)
S = 2
im = Image.open(f'{d}/th.png')
ow, oh = W // S, -(-rows // S)
assert im.size == (ow, oh) and im.mode == 'RGB', (im.size, im.mode)
px = im.load()
hole_px = set()
for a, e in holes:
    hole_px.update(range(a // 3, -(-e // 3)))
only_holes = 0
for oy in range(oh):
    for ox in range(ow):
        acc, n, nh = [0, 0, 0], 0, 0
        for y in range(oy * S, min(rows, oy * S + S)):
            for i in range(y * W + ox * S, y * W + ox * S + S):
                if i >= npix:
                    continue
                if i in hole_px:
                    nh += 1
                    continue
                acc[0] += want[3 * i]; acc[1] += want[3 * i + 1]; acc[2] += want[3 * i + 2]
                n += 1
        exp = tuple((a + n // 2) // n for a in acc) if n else HOLE if nh else UNUSED
        only_holes += not n and nh > 0
        if px[ox, oy] != exp:
            sys.exit(f'thumbnail pixel ({ox},{oy}) is {px[ox, oy]}, expected {exp}')
assert only_holes, 'no block of holes only'
print(f'thumbnail {ow}x{oh}: every block right, {only_holes} of holes only')
PY

# Ten strips at each compressor: stored (--level 0), ISA-L (1, and the
# default 2), zlib (6): Pillow gives back every byte, whatever compressed
# the strips and however they were stitched.
$PY - "$T/mix" <<'PY'
import random, sys
rnd = random.Random(7)
out = bytearray()
while len(out) < 10 * 1024 * 3072:
    k = rnd.randrange(4)
    n = rnd.randrange(1000, 200000)
    if k == 0:
        out += bytes(n)
    elif k == 1:
        out += rnd.randbytes(n)
    elif k == 2:
        out += (b'memlens strips %d ' % n) * (n // 20)
    else:
        out += bytes((i * 3 + n) & 255 for i in range(n))
open(sys.argv[1], 'wb').write(out[:10 * 1024 * 3072])
PY
for lv in 0 1 2 6; do
	"$MEMLENS" image "$T/mix" --width 1024 --level $lv --threads 2 -o "$T/l$lv.png" || fail "--level $lv"
done
$PY - "$T/mix" "$T"/l{0,1,2,6}.png <<'PY' || fail "levels"
import sys
from PIL import Image
data = open(sys.argv[1], 'rb').read()
sizes = []
for f in sys.argv[2:]:
    im = Image.open(f)
    assert im.size == (1024, 10240) and im.mode == 'RGB', (f, im.size, im.mode)
    if im.tobytes() != data:
        sys.exit(f'{f}: the pixels are not the bytes')
    sizes.append(len(open(f, 'rb').read()))
# stored is the largest; zlib 6 no larger than ISA-L 1
assert sizes[0] > max(sizes[1:]) and sizes[3] <= sizes[1], sizes
print('levels 0, 1, 2, 6: every byte back; sizes', sizes)
PY
echo "image strips OK"
