#!/bin/bash
# Sizes that open: the default width, --width square, --fit with and
# without --width; sizes read back by Pillow, pixels checked by the byte
# rule (image_oracle.py) where they are small enough to check.
#  - No --width: 1024 a row unless that is more than 16 times taller than
#    wide; then the square's width, and one line on stderr says so (not a
#    warning: --strict passes).  The edge is exact: 16 MiB of 8 bpp pixels
#    is 1024 x 16384 (16 times: kept); one byte more becomes 4097 wide.
#  - --width square: W x W, the rows past the last byte unused canvas.
#  - --fit WxH without --width fills the box with its shape (1 GiB into
#    1000x1000 is about 1000 x 1000, not a strip); with --width it keeps
#    the rows and says the size it made.
. "$TESTS_SRCDIR/lib.sh"
PY=/usr/bin/python3
ORACLE="$TESTS_SRCDIR/image_oracle.py"
size() { $PY -c 'import sys; from PIL import Image; Image.MAX_IMAGE_PIXELS = None; print("%dx%d" % Image.open(sys.argv[1]).size)' "$1"; }

truncate -s 16M "$T/edge"
"$MEMLENS" image "$T/edge" --bpp 8 --strict -o "$T/edge.png" 2>"$T/err" || fail "16 MiB at 8 bpp"
[ "$(size "$T/edge.png")" = 1024x16384 ] || fail "16 times taller is kept: $(size "$T/edge.png")"
[ ! -s "$T/err" ] || fail "a note at the edge: $(cat "$T/err")"
truncate -s $((16 * 1048576 + 1)) "$T/edge"
"$MEMLENS" image "$T/edge" --bpp 8 --strict -o "$T/edge.png" 2>"$T/err" || fail "16 MiB + 1 at 8 bpp (--strict)"
[ "$(size "$T/edge.png")" = 4097x4096 ] || fail "past 16 times: $(size "$T/edge.png")"
[ "$(grep -c . "$T/err")" -eq 1 ] && grep -q "memlens: image: .*16385 rows.*4097 pixels a row" "$T/err" ||
	fail "the note: $(cat "$T/err")"
"$MEMLENS" image "$T/edge" --bpp 8 --quiet -o "$T/edge.png" 2>"$T/err" && [ ! -s "$T/err" ] || fail "--quiet keeps the note"
"$MEMLENS" image "$T/edge" --bpp 8 --width 1024 -o "$T/edge.bmp" 2>"$T/err" || fail "--width 1024"
[ "$(size "$T/edge.bmp")" = 1024x16385 ] && [ ! -s "$T/err" ] || fail "--width is kept: $(size "$T/edge.bmp")"
rm -f "$T/edge"*

# --width square: a square, checked pixel for pixel (10,001 bytes at 24 bpp: 3,334 pixels in 58 x 58).
head -c 10001 /dev/urandom >"$T/in"
for ext in png bmp tif; do
	"$MEMLENS" image "$T/in" --width square -o "$T/sq.$ext" || fail "--width square .$ext"
	[ "$(size "$T/sq.$ext")" = 58x58 ] || fail "square .$ext: $(size "$T/sq.$ext")"
	$PY "$ORACLE" check "$T/in" "$T/sq.$ext" 24 rgb square >/dev/null || exit 1
done
"$MEMLENS" image "$T/in" --width square --bpp 8 -o "$T/sq8.bmp" || fail "8 bpp square BMP"
$PY "$ORACLE" check "$T/in" "$T/sq8.bmp" 8 rgb square >/dev/null || exit 1

# --fit without --width: the box's shape, each pixel the average of its block
# (58 pixels a row for a square box, 3 x 3 blocks into 20 x 20).
"$MEMLENS" image "$T/in" --fit 20x20 -o "$T/fit.png" 2>"$T/err" || fail "--fit 20x20"
[ "$(size "$T/fit.png")" = 20x20 ] || fail "--fit 20x20: $(size "$T/fit.png")"
$PY "$ORACLE" thumb "$T/in" "$T/fit.png" 24 58 3 >/dev/null || exit 1
[ ! -s "$T/err" ] || fail "--fit without --width said: $(cat "$T/err")"
# 256 MiB into 1000x1000 and into 1600x900: the box filled, its shape kept.
truncate -s 256M "$T/g"
"$MEMLENS" image "$T/g" --fit 1000x1000 -o "$T/g.png" || fail "--fit 1000x1000"
$PY - "$(size "$T/g.png")" 1000 1000 <<'PY' || fail "--fit 1000x1000 gave $(size "$T/g.png")"
import sys
w, h = map(int, sys.argv[1].split('x'))
bw, bh = int(sys.argv[2]), int(sys.argv[3])
assert w <= bw and h <= bh and w >= 0.9 * bw and h >= 0.9 * bh, (w, h)
PY
"$MEMLENS" image "$T/g" --fit 1600x900 -o "$T/g.png" || fail "--fit 1600x900"
$PY - "$(size "$T/g.png")" 1600 900 <<'PY' || fail "--fit 1600x900 gave $(size "$T/g.png")"
import sys
w, h = map(int, sys.argv[1].split('x'))
bw, bh = int(sys.argv[2]), int(sys.argv[3])
assert w <= bw and h <= bh and w >= 0.9 * bw and h >= 0.9 * bh, (w, h)
PY
# --fit with --width: the rows kept, the size said (and true).
"$MEMLENS" image "$T/g" --fit 4000x4000 --width 1024 -o "$T/g.png" 2>"$T/err" || fail "--fit with --width"
said=$(sed -n 's/.* to \([0-9]*\) x \([0-9]*\) .*/\1x\2/p' "$T/err")
[ -n "$said" ] && [ "$said" = "$(size "$T/g.png")" ] || fail "--fit with --width said '$(cat "$T/err")', made $(size "$T/g.png")"
echo "image sizes OK"
