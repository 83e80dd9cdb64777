#!/bin/bash
# Pictures that read without their text chunks: `pagemap -o` and `heap -o`
# carry address labels and a drawn legend, `hilbert` its legend; text is
# DejaVu Sans Mono drawn by FreeType, or the built-in bitmap font when no
# font can be had.  The oracles: the process's own /proc/PID/maps (which
# address each section starts at), the picture's Legend text (which
# colours must have a swatch), and Pillow's own FreeType rendering of the
# same words in the same font, compared glyph for glyph with what memlens
# drew.
. "$TESTS_SRCDIR/lib.sh"
PY=/usr/bin/python3
$PY -c 'import PIL' 2>/dev/null || fail "Pillow (python3-pil, .ci/packages.d/image.txt) is not installed"
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf
[ -f "$FONT" ] || fail "$FONT (fonts-dejavu-core, .ci/packages.d/image.txt) is not installed"

# reader.py: reads a line of text drawn in a monospace font, a character
# cell at a time, by comparing each cell with Pillow's own FreeType
# rendering of every candidate character in the same font at the same size
# (shifted up to a pixel either way): the best match must be the character
# expected there.  Pillow places glyphs at fractional advances, memlens on
# whole pixels, so whole strings are not compared pixel for pixel.
cat >"$T/reader.py" <<'PY'
from PIL import Image, ImageDraw


def ink(im):
    return [p < 128 for p in im.convert('L').getdata()]


def read(line, x0, font, n, charset):
    """The n characters of `line` (an RGB strip, text dark on light) from x0."""
    adv = round(font.getlength('0'))
    h = line.size[1]
    cells = {}
    for c in charset:
        t = Image.new('L', (adv + 4, h), 255)
        ImageDraw.Draw(t).text((2, 0), c, fill=0, font=font, anchor='la')
        cells[c] = t
    out = ''
    for i in range(n):
        cell = line.crop((x0 + i * adv - 2, 0, x0 + i * adv + adv + 2, h))
        got = ink(cell)
        best, score = '?', -1.0
        for c, t in cells.items():
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    ref = ink(t.transform(t.size, Image.AFFINE, (1, 0, -dx, 0, 1, -dy), fillcolor=255))
                    inter = sum(a and b for a, b in zip(got, ref))
                    union = sum(a or b for a, b in zip(got, ref))
                    s = inter / union if union else (1.0 if not any(got) else 0.0)
                    if s > score:
                        best, score = c, s
        out += best
    return out
PY

# check.py PICTURE ADDRESS MODE: the first map row's label is ADDRESS (16
# hex digits), drawn as Pillow draws it (MODE freetype) or in two colours
# only (MODE builtin); every Legend colour has a swatch in the caption
# below the map; "not present" stays apart from the padding and separator.
cat >"$T/check.py" <<'PY'
import os, re, sys
from PIL import Image, ImageDraw, ImageFont
sys.path.insert(0, os.path.dirname(sys.argv[0]))
from reader import read
path, addr, mode, font = sys.argv[1:5]
im = Image.open(path)
rgb = im.convert('RGB')
box = dict(kv.split('=') for kv in im.info['Map'].split())
mx, my, mw, mh = (int(box[k]) for k in ('x', 'y', 'width', 'height'))
W, H = rgb.size
assert mx > 0 and mh < H, ('no margin or no caption', im.info['Map'], rgb.size)
legend = {}
for name, col in re.findall(r'(.+?)=#([0-9a-f]{6})(?:, |$)', im.info['Legend']):   # names may hold ", "
    legend[name] = tuple(int(col[i:i + 2], 16) for i in (0, 2, 4))
BG, INK = (0xf4, 0xf4, 0xf4), (0x10, 0x10, 0x10)

# The label of the first row, in the margin left of it: the line's own rows
# (the next label may start below), left of the tick that marks its row.
f12 = ImageFont.truetype(font, 12)
asc, desc = f12.getmetrics()
label = rgb.crop((0, my, mx - 8, my + asc + desc))
if mode == 'freetype':
    got = read(label, 4, f12, len(addr), '0123456789abcdef')
    assert got == addr, f'the label reads "{got}", not "{addr}"'
    print(f'label reads "{got}"')
else:
    cols = set(label.getdata())
    assert cols <= {BG, INK} and INK in cols, f'the bitmap font draws in two colours, not {cols}'
    print(f'label drawn in two colours (bitmap font)')

# Every Legend colour has a swatch (a 10x10 block of it) in the caption.
cap = rgb.crop((0, my + mh, W, H))
px = cap.load()
cw, ch = cap.size
for name, c in legend.items():
    found = any(all(px[x + i, y + j] == c for i in range(10) for j in range(10))
                for y in range(0, ch - 10) for x in range(0, min(cw - 10, 60)) if px[x, y] == c)
    assert found, f'no swatch for "{name}" {c} in the caption'
print(f'{len(legend)} swatches in the caption')

def apart(a, b):
    return sum((x - y) ** 2 for x, y in zip(a, b)) ** 0.5
if 'not present' in legend:
    for other in ('unused', 'separator'):
        assert apart(legend['not present'], legend[other]) >= 100, (other, legend)
PY

start_specimen
kill -STOP "$SPEC_PID"
first=$(awk -F- 'NR == 1 { printf "%016s", $1 }' "/proc/$SPEC_PID/maps" | tr ' ' 0)
"$MEMLENS" pagemap "$SPEC_PID" -o "$T/pm.png" --width 128 || fail "pagemap -o"
$PY "$T/check.py" "$T/pm.png" "$first" freetype "$FONT" || fail "pagemap picture"
# The heap: its section's first row starts at the [heap] mapping (a whole 4 KiB row).
heap=$(awk '$6 == "[heap]" { split($1, a, "-"); printf "%016s", a[1] }' "/proc/$SPEC_PID/maps" | tr ' ' 0)
[ -n "$heap" ] || fail "the specimen has no [heap]"
"$MEMLENS" heap "$SPEC_PID" -o "$T/heap.png" 2>/dev/null || fail "heap -o"
$PY "$T/check.py" "$T/heap.png" "$heap" freetype "$FONT" || fail "heap picture"

# Without the font: the bitmap font, whether asked for or the file is missing.
MEMLENS_FONT=builtin "$MEMLENS" pagemap "$SPEC_PID" -o "$T/pb.png" --width 128 || fail "pagemap, builtin font"
$PY "$T/check.py" "$T/pb.png" "$first" builtin "$FONT" || fail "pagemap picture, builtin font"
MEMLENS_FONT=$T/no-such.ttf "$MEMLENS" heap "$SPEC_PID" -o "$T/hb.png" 2>/dev/null || fail "heap, missing font"
$PY "$T/check.py" "$T/hb.png" "$heap" builtin "$FONT" || fail "heap picture, missing font"

# hilbert's caption: its first line is the title, as Pillow draws it at 16 pixels.
"$MEMLENS" hilbert "$SPEC_PID" -o "$T/h.png" --map "$T/h.json" || fail "hilbert"
T=$T $PY - "$T/h.png" "$T/h.json" "$FONT" <<'PY' || fail "hilbert caption"
import json, os, sys
from PIL import Image, ImageFont
sys.path.insert(0, os.environ['T'])
from reader import read
im = Image.open(sys.argv[1]).convert('RGB')
m = json.load(open(sys.argv[2]))
title = m['title'][:40]
f16 = ImageFont.truetype(sys.argv[3], 16)
asc, desc = f16.getmetrics()
top = m['map_pixels'] + 12
line = im.crop((0, top, im.size[0], top + asc + desc))
charset = sorted(set(title) | set('0123456789abcdefghijklmnopqrstuvwxyz:[]()/ ._-'))
got = read(line, 12, f16, len(title), charset)
assert got == title, f'the caption reads "{got}", not "{title}"'
print(f'hilbert caption reads "{got}"')
PY
echo "picture legends OK"
