#!/bin/bash
# The picture formats the extension names, decoded by tools memlens did not
# write: Pillow (every format) and libtiff's tiffinfo.
#  - Lossless (TIFF at every compression, lossless WebP): every pixel by the
#    byte rule at each depth, order and width, and the same pixels as the
#    PNG (holes transparent magenta included).
#  - Lossy (JPEG, lossy WebP): within a stated PSNR of the PNG on the
#    specimen's pattern, better at a higher --quality.
#  - Each format's own fields: TIFF's compression, resolution, alpha,
#    text and BigTIFF past 4 GiB (classic below); JPEG's density, comment
#    and progression.
#  - Limits refused before any file exists, with the --fit that fits, and
#    that --fit then fitting; options that do not apply refused.
. "$TESTS_SRCDIR/lib.sh"
PY=/usr/bin/python3
$PY -c 'import PIL' 2>/dev/null || fail "Pillow (python3-pil, .ci/packages.d/image.txt) is not installed"
command -v tiffinfo >/dev/null || fail "tiffinfo (libtiff-tools, .ci/packages.d/image.txt) is not installed"
ORACLE="$TESTS_SRCDIR/image_oracle.py"
head -c 10001 /dev/urandom >"$T/in"

# Lossless: the byte rule, and the PNG's pixels.
for ext in tif webp; do
	for bpp in 8 16 24 32; do
		for order in rgb bgr; do
			ord=(--order $order)
			[ $bpp -lt 24 ] && { [ $order = bgr ] && continue; ord=(); }
			for width in 1 333 square; do
				out=$T/o-$bpp-$order-$width.$ext
				"$MEMLENS" image "$T/in" -o "$out" --bpp $bpp "${ord[@]}" --width $width ||
					fail "image --bpp $bpp --order $order --width $width -o .$ext"
				$PY "$ORACLE" check "$T/in" "$out" $bpp $order $width >/dev/null || exit 1
				"$MEMLENS" image "$T/in" -o "$T/ref.png" --bpp $bpp "${ord[@]}" --width $width || fail "png"
				$PY "$ORACLE" same "$T/ref.png" "$out" || exit 1
			done
		done
	done
done
for ext in tif webp; do
	"$MEMLENS" image "$T/in" -o "$T/p.$ext" --bpp 8 --palette byteclass --width 100 || fail "--palette .$ext"
	$PY "$ORACLE" check "$T/in" "$T/p.$ext" 8 rgb 100 --palette byteclass >/dev/null || exit 1
	"$MEMLENS" image "$T/in" -o "$T/a.$ext" --bpp 32 --alpha --width 50 || fail "--alpha .$ext"
	$PY "$ORACLE" check "$T/in" "$T/a.$ext" 32 rgb 50 --alpha >/dev/null || exit 1
done

# TIFF: every compression decodes to the same pixels; tiffinfo names it.
declare -A scheme=([deflate]=AdobeDeflate [zstd]=ZSTD [lzw]=LZW [none]=None)
for c in deflate zstd lzw none; do
	"$MEMLENS" image "$T/in" -o "$T/c.tif" --compress $c --width 64 || fail "--compress $c"
	$PY "$ORACLE" check "$T/in" "$T/c.tif" 24 rgb 64 >/dev/null || exit 1
	tiffinfo "$T/c.tif" >"$T/info" 2>&1 || fail "tiffinfo refused --compress $c: $(cat "$T/info")"
	grep -q "Compression Scheme: ${scheme[$c]}" "$T/info" || fail "--compress $c: $(cat "$T/info")"
done
# Many strips (1 MiB each), compressed on two threads, then one: the same pixels.
head -c 5000000 /dev/urandom >"$T/big"
"$MEMLENS" image "$T/big" -o "$T/t2.tif" --threads 2 --width 1000 || fail "tif --threads 2"
"$MEMLENS" image "$T/big" -o "$T/t1.tif" --threads 1 --width 1000 --compress zstd || fail "tif --threads 1"
"$MEMLENS" image "$T/big" -o "$T/t.png" --width 1000 || fail "png"
$PY "$ORACLE" same "$T/t.png" "$T/t2.tif" || exit 1
$PY "$ORACLE" same "$T/t.png" "$T/t1.tif" || exit 1
[ "$(tiffinfo "$T/t2.tif" | grep -c 'Rows/Strip')" -ge 1 ] || fail "no strips"
# Print fields: resolution, alpha, the text pairs, classic TIFF below 4 GiB.
"$MEMLENS" image "$T/in" -o "$T/m.tif" --bpp 32 --alpha --dpi 300 --width 50 || fail "--dpi .tif"
tiffinfo "$T/m.tif" >"$T/info" 2>&1
grep -q "Resolution: 300, 300 pixels/inch" "$T/info" || fail "TIFF resolution: $(cat "$T/info")"
grep -q "Extra Samples: 1<unassoc-alpha>" "$T/info" || fail "TIFF alpha: $(cat "$T/info")"
grep -q "Software: memlens" "$T/info" || fail "TIFF Software: $(cat "$T/info")"
grep -q "Bits per pixel: 32" "$T/info" || fail "TIFF ImageDescription: $(cat "$T/info")"
$PY -c 'import sys; d=open(sys.argv[1],"rb").read(4); sys.exit(d != b"II*\0")' "$T/m.tif" || fail "a small TIFF is not classic"
# BigTIFF past 4 GiB: a sparse 4.5 GiB file at 8 bpp (zeros compress to a few MiB).
truncate -s 4608M "$T/sparse"
"$MEMLENS" image "$T/sparse" -o "$T/big.tif" --bpp 8 --width 65536 || fail "BigTIFF"
$PY -c 'import sys; d=open(sys.argv[1],"rb").read(4); sys.exit(d != b"II+\0")' "$T/big.tif" || fail "over 4 GiB is not BigTIFF"
tiffinfo "$T/big.tif" >"$T/info" 2>&1 || fail "tiffinfo refused the BigTIFF: $(cat "$T/info")"
grep -q "Image Width: 65536 Image Length: 73728" "$T/info" || fail "BigTIFF size: $(cat "$T/info")"
$PY - "$T/big.tif" <<'PY' || fail "Pillow on the BigTIFF"
import sys
from PIL import Image
Image.MAX_IMAGE_PIXELS = None
im = Image.open(sys.argv[1])
assert im.size == (65536, 73728) and im.mode == 'L', (im.size, im.mode)
# the last strip, read alone
assert im.crop((65530, 73720, 65536, 73728)).getextrema() == (0, 0)
PY
rm -f "$T/sparse" "$T/big.tif"

# Holes: a cut LiME dump at 8 bpp is gray with transparent magenta holes, alike in every lossless format.
$PY - "$T/d.lime" <<'PY'
import random, struct, sys
random.seed(5)
with open(sys.argv[1], 'wb') as f:
    for s, e in [(0x1000, 0x2fff), (0x10000, 0x10fff)]:
        f.write(struct.pack('<IIQQ8x', 0x4C694D45, 1, s, e))
        f.write(bytes(random.getrandbits(8) for _ in range(e - s + 1)))
PY
head -c -2048 "$T/d.lime" >"$T/cut.lime"
"$MEMLENS" image "$T/cut.lime" -o "$T/h.png" --bpp 8 --width 64 2>/dev/null || fail "holes png"
for ext in tif webp; do
	"$MEMLENS" image "$T/cut.lime" -o "$T/h.$ext" --bpp 8 --width 64 2>/dev/null || fail "holes .$ext"
	$PY "$ORACLE" same "$T/h.png" "$T/h.$ext" || exit 1
done
$PY - "$T/h.tif" <<'PY' || fail "TIFF holes"
import sys
from PIL import Image
im = Image.open(sys.argv[1])
assert im.mode == 'RGBA', im.mode
holes = [p for p in im.getdata() if p[3] == 0]
assert len(holes) == 2048 and set(holes) == {(255, 0, 255, 0)}, (len(holes), set(holes))
PY

# Lossy: JPEG and WebP against the PNG of the specimen's pattern (stripes, text, counters).
"$SPECIMEN" --raw "$T/spec.raw" >/dev/null || fail "specimen --raw"
head -c $((512 * 512 * 3)) "$T/spec.raw" >"$T/spec"
"$MEMLENS" image "$T/spec" -o "$T/s.png" --width 512 || fail "specimen png"
"$MEMLENS" image "$T/spec" -o "$T/q50.jpg" --width 512 --quality 50 || fail "jpg q50"
"$MEMLENS" image "$T/spec" -o "$T/q90.jpg" --width 512 || fail "jpg default"
"$MEMLENS" image "$T/spec" -o "$T/q100.jpg" --width 512 --quality 100 || fail "jpg q100"
$PY "$ORACLE" psnr "$T/s.png" "$T/q50.jpg" 18 || exit 1
$PY "$ORACLE" psnr "$T/s.png" "$T/q90.jpg" 28 || exit 1
$PY "$ORACLE" psnr "$T/s.png" "$T/q100.jpg" 45 || exit 1
"$MEMLENS" image "$T/spec" -o "$T/l.webp" --width 512 || fail "webp lossless"
$PY "$ORACLE" same "$T/s.png" "$T/l.webp" || exit 1
"$MEMLENS" image "$T/spec" -o "$T/q90.webp" --width 512 --quality 90 || fail "webp lossy"
$PY "$ORACLE" psnr "$T/s.png" "$T/q90.webp" 19 || exit 1
$PY - "$T/l.webp" "$T/q90.webp" <<'PY' || fail "WebP lossless/lossy"
import sys
from PIL import Image
a, b = Image.open(sys.argv[1]), Image.open(sys.argv[2])
assert a.format == b.format == 'WEBP'
# lossless (VP8L) and lossy (VP8) bitstreams
assert open(sys.argv[1], 'rb').read()[12:16] == b'VP8L', 'lossless is not VP8L'
assert open(sys.argv[2], 'rb').read()[12:16] in (b'VP8 ', b'VP8X'), 'lossy is not VP8'
PY
# JPEG fields: density from --dpi, the comment, progression.
"$MEMLENS" image "$T/spec" -o "$T/p.jpg" --width 512 --dpi 600 --progressive || fail "--progressive"
$PY - "$T/q90.jpg" "$T/p.jpg" <<'PY' || fail "JPEG fields"
import sys
from PIL import Image
base, prog = Image.open(sys.argv[1]), Image.open(sys.argv[2])
assert not base.info.get('progressive') and prog.info.get('progressive'), (base.info, prog.info)
assert prog.info['dpi'] == (600, 600), prog.info
assert b'Software: memlens' in prog.info.get('comment', b''), prog.info
assert b'Bits per pixel: 24' in base.info.get('comment', b''), base.info
PY
$PY "$ORACLE" psnr "$T/s.png" "$T/p.jpg" 28 || exit 1

# Limits: refused before anything is written, the --fit suggested, and that --fit works.
truncate -s 256M "$T/tall"
expect_error 1 "$T/tall.jpg" "$MEMLENS" image "$T/tall" --bpp 8 --width 1024 -o "$T/tall.jpg"
grep -q -- "--fit 65500x65500" "$T/stderr" || fail "JPEG limit: $(cat "$T/stderr")"
"$MEMLENS" image "$T/tall" --bpp 8 --width 1024 --fit 65500x65500 -o "$T/tall.jpg" || fail "--fit for JPEG"
$PY -c 'import sys; from PIL import Image; w, h = Image.open(sys.argv[1]).size; assert w <= 65500 and h <= 65500, (w, h)' "$T/tall.jpg" ||
	fail "--fit JPEG size"
rm -f "$T/tall.jpg"
expect_error 1 "$T/tall.webp" "$MEMLENS" image "$T/tall" --bpp 8 --width 1024 -o "$T/tall.webp"
grep -q -- "--fit 8192x8192" "$T/stderr" || fail "WebP limit: $(cat "$T/stderr")"
expect_error 1 "$T/wide.webp" "$MEMLENS" image "$T/tall" --bpp 8 --width 20000 -o "$T/wide.webp"
grep -q "16383" "$T/stderr" || fail "WebP side: $(cat "$T/stderr")"
expect_error 1 "$T/pbig.jpg" "$MEMLENS" image "$T/tall" --bpp 8 --width 16384 --progressive -o "$T/pbig.jpg"
grep -q "progressive" "$T/stderr" || fail "progressive cap: $(cat "$T/stderr")"
rm -f "$T/tall"
# TIFF seeks back to its header: a pipe is refused in one line, and nothing is left.
mkfifo "$T/fifo.tif"
cat "$T/fifo.tif" >/dev/null &
expect_error 1 - "$MEMLENS" image "$T/in" -o "$T/fifo.tif"
grep -q "not a pipe" "$T/stderr" || fail "TIFF to a FIFO: $(cat "$T/stderr")"
wait

# Options that do not apply to the format are refused (exit 2, no file).
for bad in "x.png --compress zstd" "x.tif --quality 80" "x.png --progressive" "x.jpg --level 3" \
	"x.jpg --alpha --bpp 32" "x.webp --threads 2" "x.tif --bottom-up" "x.webp --dpi 300" \
	"x.tif --compress gzip" "x.jpg --quality 0" "x.jpg --quality 101" "x.tif --compress lzw --level 5"; do
	set -- $bad
	out=$T/$1
	shift
	expect_error 2 "$out" "$MEMLENS" image "$T/in" -o "$out" "$@"
done
echo "image formats OK"
