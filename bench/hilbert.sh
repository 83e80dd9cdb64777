#!/bin/bash
# Benchmark: Hilbert pictures.  The issue's target: a 4096x4096 Hilbert
# content image of a 16 MiB file in <= 1 s (binvis, in Python, takes about
# five minutes for the same picture).  Measured with hyperfine for each
# 8 bpp palette, 24 bpp, --fit, and for `memlens hilbert` of a live process
# and of the whole machine.  Also peak RSS against the documented canvas.
#   bench/hilbert.sh [BUILDDIR]
set -uo pipefail
build=${1:-build}
memlens=$(cd "$build" && pwd)/memlens
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
dir=$(mktemp -d /var/tmp/memlens-hbench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
# 16 MiB of mixed content: code, zeros, text, random.
{
	cat /usr/lib/x86_64-linux-gnu/*.so* 2>/dev/null | head -c $((8 << 20))
	head -c $((2 << 20)) /dev/zero
	find /usr/share/doc -name '*.gz' -prune -o -type f -print 2>/dev/null | head -400 | xargs cat 2>/dev/null | head -c $((2 << 20))
	head -c $((4 << 20)) /dev/urandom
} | head -c $((16 << 20)) >"$dir/in"
truncate -s $((16 << 20)) "$dir/in"
echo "input: $(stat -c %s "$dir/in") bytes, $(nproc) cores"
hyperfine -w 1 -r 5 -N \
	-n "byteclass 4096^2" "$memlens image $dir/in --layout hilbert --bpp 8 --palette byteclass -o $dir/a.png" \
	-n "gray 4096^2" "$memlens image $dir/in --layout hilbert --bpp 8 --palette gray -o $dir/b.png" \
	-n "entropy 4096^2" "$memlens image $dir/in --layout hilbert --bpp 8 --palette entropy -o $dir/c.png" \
	-n "24 bpp 4096^2" "$memlens image $dir/in --layout hilbert --bpp 24 -o $dir/d.png" \
	-n "byteclass --fit 1024" "$memlens image $dir/in --layout hilbert --bpp 8 --palette byteclass --fit 1024x1024 -o $dir/e.png" \
	-n "hilbert self" "$memlens hilbert self -o $dir/f.png" \
	-n "hilbert --system" "$memlens hilbert --system -o $dir/g.png"
for p in byteclass entropy; do
	/usr/bin/time -f "peak RSS, $p 4096^2: %M KiB (canvas $((4096 * 4096 * 3 / 1024)) KiB)" \
		"$memlens" image "$dir/in" --layout hilbert --bpp 8 --palette $p -o "$dir/x.png"
done
