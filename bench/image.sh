#!/bin/bash
# Benchmark: `memlens image` against the tools people use today, in one
# run, on a realistic dump (shared libraries, zero pages, a core of the
# specimen, random bytes) of about SIZE MiB (default 1024):
#   cat (the floor for BMP), ImageMagick convert (size limits lifted by a
#   policy file), ffmpeg rawvideo -> png/bmp, Pillow; on a 192 MiB cached
#   slice: BMP at each depth against cat, PNG at the default width (1024)
#   and at 4096 against ffmpeg, TIFF against vips and ImageMagick, JPEG
#   against cjpeg.
# Prints wall time, peak RSS, output size and ratios.  Also the 8 GiB
# sparse-file RSS check, the Hilbert layout of a 16 MiB file, and what the
# hole pass costs an 8 bpp PNG of a live process (128 MiB).
#   bench/image.sh [BUILDDIR] [SIZE_MIB]
set -uo pipefail
build=${1:-build}
mib=${2:-1024}
memlens=$(cd "$build" && pwd)/memlens
W=4096
for t in ffmpeg convert hyperfine vips cjpeg; do
	command -v $t >/dev/null || apt-get install -y -qq ffmpeg imagemagick hyperfine libvips-tools libjpeg-turbo-progs >/dev/null
done
dir=$(mktemp -d /var/tmp/memlens-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
rows=$(( mib * 1024 * 1024 / (W * 3) ))
size=$(( rows * W * 3 ))

# The dump: libraries, zero pages, the specimen's core, random, repeated.
{
	for _ in $(seq $(( mib / 80 + 1 ))); do
		cat /usr/lib/x86_64-linux-gnu/*.so* 2>/dev/null | head -c $((64 << 20))
		head -c $((16 << 20)) /dev/zero
		[ -f "$build/samples/specimen.core" ] && cat "$build/samples/specimen.core"
		head -c $((8 << 20)) /dev/urandom
	done
} | head -c $size >"$dir/dump"
echo "dump: $size bytes = ${W}x${rows} RGB pixels"

mkdir -p "$dir/im"
cat >"$dir/im/policy.xml" <<'XML'
<policymap>
  <policy domain="resource" name="memory" value="16GiB"/>
  <policy domain="resource" name="map" value="16GiB"/>
  <policy domain="resource" name="width" value="1MP"/>
  <policy domain="resource" name="height" value="1MP"/>
  <policy domain="resource" name="area" value="4GP"/>
  <policy domain="resource" name="disk" value="64GiB"/>
</policymap>
XML

results=$dir/results
: >"$results"
run() {	# NAME OUTFILE CMD...
	local name=$1 out=$2
	shift 2
	sync
	if /usr/bin/time -f "%e %M" -o "$dir/t" "$@" >/dev/null 2>"$dir/err"; then
		read -r secs rss <"$dir/t"
		local bytes=0
		[ -f "$out" ] && bytes=$(stat -c %s "$out")
		echo "$name $secs $rss $bytes" >>"$results"
	else
		echo "$name FAILED $(tail -1 "$dir/err")" >>"$results"
	fi
	rm -f "$out"
}
run "cat" "$dir/o.raw" cat "$dir/dump" -o "$dir/o.raw"
run "cat" "$dir/o.raw" sh -c "cat '$dir/dump' >'$dir/o.raw'"
sed -i '1d' "$results"
run "memlens-bmp" "$dir/o.bmp" "$memlens" image "$dir/dump" --width $W -o "$dir/o.bmp"
run "memlens-png-2threads" "$dir/o.png" "$memlens" image "$dir/dump" --width $W -o "$dir/o.png" --threads 2
run "memlens-png-1thread" "$dir/o.png" "$memlens" image "$dir/dump" --width $W -o "$dir/o.png" --threads 1
run "ffmpeg-png" "$dir/o.png" ffmpeg -v error -y -f rawvideo -pix_fmt rgb24 -s ${W}x$rows -i "$dir/dump" -frames:v 1 "$dir/o.png"
run "pillow-png" "$dir/o.png" /usr/bin/python3 -c "
import sys; from PIL import Image
Image.MAX_IMAGE_PIXELS = None
Image.frombytes('RGB', ($W, $rows), open('$dir/dump', 'rb').read()).save('$dir/o.png')"
run "imagemagick-png" "$dir/o.png" env MAGICK_CONFIGURE_PATH="$dir/im" convert -size ${W}x$rows -depth 8 "rgb:$dir/dump" "$dir/o.png"

# ffmpeg refuses frames over about 268 megapixels: compare on the largest
# square it takes, 8192x8192 (192 MiB), cut from the same dump.
head -c $((8192 * 8192 * 3)) "$dir/dump" >"$dir/d8k"
run "memlens-png-8k-2threads" "$dir/o.png" "$memlens" image "$dir/d8k" --width 8192 -o "$dir/o.png" --threads 2
run "memlens-png-8k-1thread" "$dir/o.png" "$memlens" image "$dir/d8k" --width 8192 -o "$dir/o.png" --threads 1
run "ffmpeg-png-8k" "$dir/o.png" ffmpeg -v error -y -f rawvideo -pix_fmt rgb24 -s 8192x8192 -i "$dir/d8k" -frames:v 1 "$dir/o.png"
run "memlens-bmp-8k" "$dir/o.bmp" "$memlens" image "$dir/d8k" --width 8192 -o "$dir/o.bmp"
run "ffmpeg-bmp-8k" "$dir/o.bmp" ffmpeg -v error -y -f rawvideo -pix_fmt rgb24 -s 8192x8192 -i "$dir/d8k" -frames:v 1 "$dir/o.bmp"

# The same 192 MiB (cached) at every BMP depth against cat, the floor.
cat "$dir/d8k" >/dev/null
run "cat-192MiB" "$dir/o.raw" sh -c "cat '$dir/d8k' >'$dir/o.raw'"
run "memlens-bmp-8bpp" "$dir/o.bmp" "$memlens" image "$dir/d8k" --bpp 8 --width 16384 -o "$dir/o.bmp"
run "memlens-bmp-24bpp-rgb" "$dir/o.bmp" "$memlens" image "$dir/d8k" --bpp 24 --width 8192 -o "$dir/o.bmp"
run "memlens-bmp-24bpp-bgr" "$dir/o.bmp" "$memlens" image "$dir/d8k" --bpp 24 --order bgr --width 8192 -o "$dir/o.bmp"
run "memlens-bmp-32bpp" "$dir/o.bmp" "$memlens" image "$dir/d8k" --bpp 32 --width 4096 -o "$dir/o.bmp"
# PNG at the default width (1024: 65536 rows) and at 4096, against ffmpeg at each.
run "memlens-png-w1024" "$dir/o.png" "$memlens" image "$dir/d8k" -o "$dir/o.png"
run "ffmpeg-png-w1024" "$dir/o.png" ffmpeg -v error -y -f rawvideo -pix_fmt rgb24 -s 1024x65536 -i "$dir/d8k" -frames:v 1 "$dir/o.png"
run "memlens-png-w4096" "$dir/o.png" "$memlens" image "$dir/d8k" --width 4096 -o "$dir/o.png"
run "ffmpeg-png-w4096" "$dir/o.png" ffmpeg -v error -y -f rawvideo -pix_fmt rgb24 -s 4096x16384 -i "$dir/d8k" -frames:v 1 "$dir/o.png"
# TIFF (deflate) against vips and ImageMagick writing the same pixels.
run "memlens-tiff" "$dir/o.tif" "$memlens" image "$dir/d8k" --width 8192 -o "$dir/o.tif"
run "vips-tiff" "$dir/o.tif" vips rawload "$dir/d8k" "$dir/o.tif[compression=deflate]" 8192 8192 3
run "imagemagick-tiff" "$dir/o.tif" env MAGICK_CONFIGURE_PATH="$dir/im" convert -size 8192x8192 -depth 8 "rgb:$dir/d8k" -compress zip "$dir/o.tif"
# JPEG at quality 90 against cjpeg on the same pixels (a PPM of them).
{ printf 'P6\n8192 8192\n255\n'; cat "$dir/d8k"; } >"$dir/d8k.ppm"
run "memlens-jpeg" "$dir/o.jpg" "$memlens" image "$dir/d8k" --width 8192 -o "$dir/o.jpg"
run "cjpeg" "$dir/o.jpg" cjpeg -quality 90 -outfile "$dir/o.jpg" "$dir/d8k.ppm"
# cjpeg subsamples chroma (4:2:0) by default; memlens keeps it whole (4:4:4).
run "cjpeg-444" "$dir/o.jpg" cjpeg -quality 90 -sample 1x1 -outfile "$dir/o.jpg" "$dir/d8k.ppm"
rm -f "$dir/d8k" "$dir/d8k.ppm"

# Flat memory whatever the size: an 8 GiB sparse raw file to BMP-free PNG.
truncate -s 8G "$dir/sparse"
run "memlens-8GiB-sparse-png" "$dir/s.png" "$memlens" image "$dir/sparse" --width 16384 -o "$dir/s.png"
# Hilbert layout of 16 MiB (4096x4096 cells at 8 bpp), if the image command has it.
head -c $((16 << 20)) "$dir/dump" >"$dir/16m"
if "$memlens" image --help | grep -q -- '--layout'; then
	run "memlens-hilbert-16MiB" "$dir/h.png" "$memlens" image "$dir/16m" --layout hilbert --bpp 8 -o "$dir/h.png"
fi

# Live 8 bpp: a PNG's colour type needs the hole map first, and a live
# process tells holes only by being read, so memlens reads the selection
# twice there (files answer from metadata).  128 MiB of the dump (4096 x
# 32768: ffmpeg's frame limit is below 2^28 pixels) held in a process's
# anonymous memory, drawn at 8 bpp beside the same bytes from a file and
# ffmpeg's gray PNG of the file; and as 64x thumbnails, where compression
# is out of the way and reading is most of the time.
head -c $((128 << 20)) "$dir/dump" >"$dir/d128"
mkfifo "$dir/holder.fifo"
/usr/bin/python3 -c "
import ctypes, sys, time
b = bytearray(open(sys.argv[1], 'rb').read())
a = ctypes.addressof((ctypes.c_char * len(b)).from_buffer(b))
print(hex(a), hex(len(b)), flush=True)
time.sleep(3600)" "$dir/d128" >"$dir/holder.fifo" &
holder=$!
read -r haddr hlen <"$dir/holder.fifo"
live=("$memlens" image $holder --region "$haddr+$hlen" --bpp 8 --width 4096)
run "memlens-live-8bpp-png" "$dir/o.png" "${live[@]}" -o "$dir/o.png"
run "memlens-file-8bpp-png" "$dir/o.png" "$memlens" image "$dir/d128" --bpp 8 --width 4096 -o "$dir/o.png"
run "ffmpeg-gray-png" "$dir/o.png" ffmpeg -v error -y -f rawvideo -pix_fmt gray -s 4096x32768 -i "$dir/d128" -frames:v 1 "$dir/o.png"
run "memlens-live-8bpp-thumb" "$dir/o.png" "${live[@]}" --scale 64 -o "$dir/o.png"
run "memlens-file-8bpp-thumb" "$dir/o.png" "$memlens" image "$dir/d128" --bpp 8 --width 4096 --scale 64 -o "$dir/o.png"
kill $holder
rm -f "$dir/d128"

/usr/bin/python3 - "$results" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
ok = {r[0]: (float(r[1]), int(r[2]), int(r[3])) for r in rows if r[1] != 'FAILED'}
print(f"{'tool':26s} {'wall s':>8s} {'peak RSS MiB':>13s} {'output MiB':>11s}")
for r in rows:
    if r[1] == 'FAILED':
        print(f"{r[0]:26s} FAILED: {' '.join(r[2:])}")
        continue
    s, rss, b = ok[r[0]]
    print(f"{r[0]:26s} {s:8.2f} {rss/1024:13.1f} {b/2**20:11.1f}")
def ratio(a, b, what):
    if a in ok and b in ok and ok[b][0] > 0:
        print(f"{what}: {ok[a][0]/ok[b][0]:.2f}x")
print()
ratio('memlens-bmp', 'cat', 'memlens BMP time / cat')
ratio('ffmpeg-png-8k', 'memlens-png-8k-2threads', 'ffmpeg PNG time / memlens PNG (2 threads), 8192x8192')
ratio('memlens-png-8k-1thread', 'memlens-png-8k-2threads', 'memlens PNG 1 thread / 2 threads, 8192x8192')
ratio('ffmpeg-bmp-8k', 'memlens-bmp-8k', 'ffmpeg BMP time / memlens BMP, 8192x8192')
ratio('memlens-png-1thread', 'memlens-png-2threads', 'memlens PNG 1 thread / 2 threads')
ratio('pillow-png', 'memlens-png-2threads', 'Pillow PNG time / memlens PNG')
ratio('imagemagick-png', 'memlens-png-2threads', 'ImageMagick PNG time / memlens PNG')
ratio('memlens-live-8bpp-png', 'memlens-file-8bpp-png', 'live 8 bpp PNG (hole pass: two reads) / the same bytes from a file')
ratio('ffmpeg-gray-png', 'memlens-live-8bpp-png', 'ffmpeg gray PNG of the file / memlens live 8 bpp PNG')
ratio('memlens-live-8bpp-thumb', 'memlens-file-8bpp-thumb', 'live 8 bpp thumbnail (two reads) / from a file')
print()
for d in ('8bpp', '24bpp-rgb', '24bpp-bgr', '32bpp'):
    ratio('memlens-bmp-' + d, 'cat-192MiB', f'memlens BMP {d} time / cat, 192 MiB cached')
def size_ratio(a, b, what):
    if a in ok and b in ok and ok[b][2] > 0:
        print(f"{what}: {ok[a][2]/ok[b][2]:.3f}")
for w in ('1024', '4096'):
    ratio('memlens-png-w' + w, 'ffmpeg-png-w' + w, f'memlens PNG time / ffmpeg, {w} wide')
    size_ratio('memlens-png-w' + w, 'ffmpeg-png-w' + w, f'memlens PNG size / ffmpeg, {w} wide')
ratio('memlens-png-w1024', 'memlens-png-w4096', 'memlens PNG 1024 wide / 4096 wide (time)')
ratio('memlens-tiff', 'vips-tiff', 'memlens TIFF time / vips')
size_ratio('memlens-tiff', 'vips-tiff', 'memlens TIFF size / vips')
ratio('memlens-tiff', 'imagemagick-tiff', 'memlens TIFF time / ImageMagick')
size_ratio('memlens-tiff', 'imagemagick-tiff', 'memlens TIFF size / ImageMagick')
ratio('memlens-jpeg', 'cjpeg', 'memlens JPEG time / cjpeg (4:2:0)')
size_ratio('memlens-jpeg', 'cjpeg', 'memlens JPEG size / cjpeg (4:2:0)')
ratio('memlens-jpeg', 'cjpeg-444', 'memlens JPEG time / cjpeg -sample 1x1')
size_ratio('memlens-jpeg', 'cjpeg-444', 'memlens JPEG size / cjpeg -sample 1x1')
if 'memlens-live-8bpp-png' in ok and 'memlens-file-8bpp-png' in ok:
    print(f"live 8 bpp PNG size / file's: {ok['memlens-live-8bpp-png'][2]/ok['memlens-file-8bpp-png'][2]:.3f} (1: the same gray picture)")
if 'memlens-png-8k-2threads' in ok and 'ffmpeg-png-8k' in ok:
    print(f"memlens PNG size / ffmpeg PNG size, 8192x8192: {ok['memlens-png-8k-2threads'][2]/ok['ffmpeg-png-8k'][2]:.3f}")
PY
