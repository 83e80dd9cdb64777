#!/bin/bash
# bench/sound.sh [MEMLENS] [SIZE_MIB]: `memlens sound` against the tools
# people use today on the same dump, in one run: sox and ffmpeg turning a
# raw dump into an 8 kHz unsigned 8-bit mono WAV (memgaze's sound), and cat
# as the copy-bound floor.  Prints wall time and peak RSS (/usr/bin/time -v)
# and the ratios to memlens.  Needs sox, ffmpeg and GNU time: on Debian
#   apt-get install -y sox ffmpeg time
# The dump is SIZE_MIB (default 1024) of random bytes in a scratch directory
# (BENCH_DIR, default /tmp); it is read once before timing so every tool
# starts from the page cache.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ML=${1:-$top/build/memlens}
SIZE=${2:-1024}
for t in sox ffmpeg /usr/bin/time; do
	command -v "$t" >/dev/null || { echo "bench/sound.sh: $t is not installed (apt-get install -y sox ffmpeg time)" >&2; exit 1; }
done
[ -x "$ML" ] || { echo "bench/sound.sh: $ML is not built" >&2; exit 1; }
D=$(mktemp -d "${BENCH_DIR:-/tmp}/memlens-bench-sound.XXXXXX")
trap 'rm -rf "$D"' EXIT
DUMP=$D/dump.bin
head -c $((SIZE * 1048576)) /dev/urandom >"$DUMP"
cat "$DUMP" >/dev/null

# run NAME CMD...: one timed run; prints and records wall seconds and RSS
declare -A WALL RSS
run() {
	local name=$1
	shift
	rm -f "$D/out.wav"
	sync	# the previous output's writeback must not land on this run
	/usr/bin/time -v -o "$D/time.txt" "$@" >/dev/null 2>"$D/err.txt" || {
		echo "$name failed: $(tail -3 "$D/err.txt")" >&2
		exit 1
	}
	local w r
	w=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$D/time.txt")
	r=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$D/time.txt")
	WALL[$name]=$w
	RSS[$name]=$r
	printf '%-10s %8.2f s %10d KiB\n' "$name" "$w" "$r"
}

echo "# ${SIZE} MiB dump -> 8000 Hz u8 mono WAV, $(nproc) cores"
printf '%-10s %10s %14s\n' tool wall peak-RSS
run warm-up "$ML" sound "$DUMP" -o "$D/out.wav" --quiet
run memlens "$ML" sound "$DUMP" -o "$D/out.wav" --quiet
# the three WAVs must hold the same samples: check memlens against sox once
sox "$D/out.wav" -t raw - | cmp -s - "$DUMP" || { echo "memlens output differs from the dump" >&2; exit 1; }
run sox sox -t raw -e unsigned -b 8 -r 8000 -c 1 "$DUMP" "$D/out.wav"
run ffmpeg ffmpeg -nostdin -loglevel error -y -f u8 -ar 8000 -ac 1 -i "$DUMP" -c:a pcm_u8 "$D/out.wav"
run cat sh -c "cat '$DUMP' >'$D/out.wav'"
echo "# ratios: tool / memlens (the warm-up run is not counted); time > 1 means memlens is faster"
best=${WALL[memlens]}
for t in sox ffmpeg cat; do
	awk -v t="$t" -v w="${WALL[$t]}" -v m="$best" -v r="${RSS[$t]}" -v mr="${RSS[memlens]}" \
		'BEGIN { printf "%-8s time x%.2f   peak RSS x%.2f\n", t, (m > 0 ? w / m : 0), (mr > 0 ? r / mr : 0) }'
done
