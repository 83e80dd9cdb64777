#!/bin/bash
# Every pixel of every depth, order, format and width equals the byte rule,
# as Pillow decodes it; palettes, --alpha, --bottom-up, Dump2Picture's raw
# BMP layout, thumbnails against a box average, and 1 vs 2 threads.
. "$TESTS_SRCDIR/lib.sh"
PY=/usr/bin/python3
$PY -c 'import PIL' 2>/dev/null || fail "Pillow (python3-pil, .ci/packages.d/image.txt) is not installed"
ORACLE="$TESTS_SRCDIR/image_oracle.py"
# 10,001 bytes: no depth divides it, so the last pixel and row are partial.
head -c 10001 /dev/urandom >"$T/in"
head -c 3000000 /dev/urandom >"$T/big"
for fmt in png bmp; do
	for bpp in 8 16 24 32; do
		for order in rgb bgr; do
			# --order is for 24 and 32 bpp: 8 and 16 bpp refuse it
			ord=(--order $order)
			[ $bpp -lt 24 ] && { [ $order = bgr ] && continue; ord=(); }
			for width in 1 7 333 1024 square; do
				out=$T/o-$bpp-$order-$width.$fmt
				"$MEMLENS" image "$T/in" -o "$out" --bpp $bpp "${ord[@]}" --width $width ||
					fail "image --bpp $bpp --order $order --width $width -o .$fmt"
				$PY "$ORACLE" check "$T/in" "$out" $bpp $order $width >/dev/null || exit 1
			done
		done
	done
done
for pal in byteclass cubehelix gray; do
	for fmt in png bmp; do
		"$MEMLENS" image "$T/in" -o "$T/p.$fmt" --bpp 8 --palette $pal --width 100 || fail "--palette $pal"
		$PY "$ORACLE" check "$T/in" "$T/p.$fmt" 8 rgb 100 --palette $pal >/dev/null || exit 1
	done
done
"$MEMLENS" image "$T/in" -o "$T/a.png" --bpp 32 --alpha --width 50 || fail "--alpha"
$PY "$ORACLE" check "$T/in" "$T/a.png" 32 rgb 50 --alpha >/dev/null || exit 1

# --bottom-up changes only the storage order.
"$MEMLENS" image "$T/in" -o "$T/td.bmp" --width 333 || fail "top-down BMP"
"$MEMLENS" image "$T/in" -o "$T/bu.bmp" --width 333 --bottom-up || fail "--bottom-up"
$PY "$ORACLE" same "$T/td.bmp" "$T/bu.bmp" || exit 1
$PY - "$T/td.bmp" "$T/bu.bmp" <<'PY' || fail "BMP height signs"
import struct, sys
h = [struct.unpack_from('<i', open(f, 'rb').read(), 22)[0] for f in sys.argv[1:]]
assert h[0] < 0 < h[1] and -h[0] == h[1], h
PY

# Dump2Picture: --order bgr with rows a multiple of 4 bytes: the pixel
# array is exactly the raw bytes (24 bpp at width 4k, 32 bpp, 16 bpp even),
# copied file to file; from 1 MiB of pixels the array starts at 4 KiB.
for spec in "24 1024 10" "32 333 10" "16 512 10" "24 1024 400" "8 4096 300"; do
	set -- $spec
	n=$(( $2 * $1 / 8 * $3 ))
	head -c $n "$T/big" >"$T/d2p"
	ord=(--order bgr)
	[ $1 -lt 24 ] && ord=()	# 16 bpp has no byte order to choose
	"$MEMLENS" image "$T/d2p" -o "$T/d2p.bmp" --bpp $1 "${ord[@]}" --width $2 || fail "dump2picture $spec"
	off=$(od -An -tu4 -j10 -N4 "$T/d2p.bmp" | tr -d ' ')
	[ $n -lt 1048576 ] || [ "$off" -eq 4096 ] || fail "a large BMP's pixels start at $off, not 4096 ($spec)"
	cmp <(tail -c +$((off + 1)) "$T/d2p.bmp") "$T/d2p" || fail "BMP pixels are not the raw bytes ($spec)"
done

# Thumbnails are box averages; --fit picks the smallest factor that fits
# (61x55 pixels into 20x20: 61/3 > 20, so 4).
"$MEMLENS" image "$T/in" -o "$T/th.png" --width 61 --scale 4 || fail "--scale"
$PY "$ORACLE" thumb "$T/in" "$T/th.png" 24 61 4 >/dev/null || exit 1
"$MEMLENS" image "$T/in" -o "$T/fit.png" --width 61 --fit 20x20 || fail "--fit"
$PY "$ORACLE" thumb "$T/in" "$T/fit.png" 24 61 4 >/dev/null || exit 1
"$MEMLENS" image "$T/in" -o "$T/th8.bmp" --bpp 8 --width 100 --scale 3 || fail "8 bpp BMP thumbnail"
$PY "$ORACLE" thumb "$T/in" "$T/th8.bmp" 8 100 3 >/dev/null || exit 1

# Threads: the same pixels whatever the count; PNG on stdout; metadata.
"$MEMLENS" image "$T/big" -o "$T/t1.png" --threads 1 || fail "--threads 1"
"$MEMLENS" image "$T/big" -o "$T/t2.png" --threads 2 || fail "--threads 2"
$PY "$ORACLE" same "$T/t1.png" "$T/t2.png" || exit 1
"$MEMLENS" image "$T/big" -o - --threads 2 >"$T/stdout.png" || fail "-o -"
$PY "$ORACLE" same "$T/t1.png" "$T/stdout.png" || exit 1
"$MEMLENS" image "$T/in" -o "$T/m.png" --dpi 300 --base 0x7f0000 || fail "--dpi"
$PY - "$T/m.png" <<'PY' || fail "PNG metadata"
import sys
from PIL import Image
im = Image.open(sys.argv[1])
assert round(im.info['dpi'][0]) == 300, im.info
assert im.info['Bits per pixel'] == '24' and im.info['Width'] == '1024', im.info
assert im.info['First address'] == '0x7f0000' and im.info['Selection'] == 'all', im.info
PY
echo "image pixels OK"
