#!/bin/sh
# make-gallery.sh BUILDDIR OUTDIR: the pictures README opens with, drawn by
# memlens itself from the bundled specimen (samples/specimen.c), so they
# stay true to the program: `make gallery` runs it.
#   rows.png              the specimen's pattern area, rows at 24 bpp (a thumbnail)
#   hilbert-byteclass.png the same bytes on a Hilbert curve, byte classes
#   hilbert-entropy.png   the same bytes on a Hilbert curve, local entropy
#   map.png               the running specimen's address space (memlens hilbert)
#   pagemap.png           its pages by state (memlens pagemap -o)
#   heap.png              its glibc heap by chunk (memlens heap -o)
# Each is a PNG of at most 200 KB; a larger one fails the run.
set -eu
build=$1
out=$2
memlens=$build/memlens
specimen=$build/samples/specimen
mkdir -p "$out"
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# The pattern area, deterministic: the same bytes every run.
"$specimen" --raw "$tmp/specimen.raw" >/dev/null
"$memlens" image "$tmp/specimen.raw" -o "$out/rows.png" --bpp 24 --fit 512x512 --level 9
"$memlens" image "$tmp/specimen.raw" -o "$out/hilbert-byteclass.png" --bpp 8 --palette byteclass \
	--layout hilbert --fit 512x512 --level 9
"$memlens" image "$tmp/specimen.raw" -o "$out/hilbert-entropy.png" --bpp 8 --palette entropy \
	--layout hilbert --fit 512x512 --level 9

# The running specimen: its address space, pages and heap.
mkfifo "$tmp/fifo"
"$specimen" >"$tmp/fifo" &
pid=$!
while read -r name _; do
	[ "$name" = ready ] && break
done <"$tmp/fifo"
"$memlens" hilbert "$pid" -o "$out/map.png"
"$memlens" pagemap "$pid" -o "$out/pagemap.png" --width 64
"$memlens" heap "$pid" -o "$out/heap.png"

for f in rows hilbert-byteclass hilbert-entropy map pagemap heap; do
	size=$(wc -c <"$out/$f.png")
	if [ "$size" -gt 204800 ]; then
		echo "make-gallery.sh: $out/$f.png is $size bytes, over 200 KB" >&2
		exit 1
	fi
	echo "wrote $out/$f.png ($size bytes)"
done
