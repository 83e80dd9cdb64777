#!/bin/bash
# bench/triage.sh [MEMLENS]: `memlens triage` on the two jobs the issue
# sets targets for, in one run, beside `yara` reading the same memory:
#   a process with 1 GiB of touched memory (a quarter random, a quarter
#   text, the rest zeros), without YARA          target <= 2 s
#   --system with about 100 processes             target <= 5 s
# yara scans the same process with one rule as the baseline of reading a
# process's memory with the tool responders use.  Needs GNU time and yara:
#   apt-get install -y time yara
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ML=${1:-$top/build/memlens}
for t in yara /usr/bin/time python3; do
	command -v "$t" >/dev/null || { echo "bench/triage.sh: $t is not installed (apt-get install -y time yara)" >&2; exit 1; }
done
[ -x "$ML" ] || { echo "bench/triage.sh: $ML is not built" >&2; exit 1; }
D=$(mktemp -d "${BENCH_DIR:-/tmp}/memlens-bench-triage.XXXXXX")
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$D"' EXIT

python3 - >"$D/big.out" <<'PY' &
import mmap, os, sys, time
m = mmap.mmap(-1, 1 << 30)
q = 1 << 28
m[0:q] = os.urandom(q)
text = (b'the quick brown fox jumps over the lazy dog 0123456789 ' * 20000)[:1 << 20]
for i in range(256):
    m[q + i * (1 << 20):q + (i + 1) * (1 << 20)] = text
for off in range(2 * q, 4 * q, 4096):   # touched zeros
    m[off] = 0
print('ready', flush=True)
time.sleep(3600)
PY
BIG=$!
pids+=("$BIG")
for _ in $(seq 600); do grep -q ready "$D/big.out" 2>/dev/null && break; sleep 0.1; done
for _ in $(seq 100); do sleep 3600 & pids+=("$!"); done
echo 'rule one { strings: $a = "memlens-bench-not-there" condition: $a }' >"$D/one.yar"

declare -A WALL RSS
run() {
	local name=$1
	shift
	/usr/bin/time -v -o "$D/time.txt" "$@" >"$D/out.txt" 2>"$D/err.txt" || {
		echo "$name failed: $(tail -3 "$D/err.txt")" >&2
		exit 1
	}
	WALL[$name]=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$D/time.txt")
	RSS[$name]=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$D/time.txt")
	printf '%-28s %8.2f s %10d KiB\n' "$name" "${WALL[$name]}" "${RSS[$name]}"
}
nproc_now=$(ls /proc | grep -c '^[0-9]')
echo "# 1 GiB process (pid $BIG), $nproc_now processes, $(nproc) cores"
run warm-up "$ML" triage "$BIG"
run "memlens triage PID" "$ML" triage "$BIG"
run "yara -s (1 rule) PID" yara -s "$D/one.yar" "$BIG"
run "memlens triage --system" "$ML" triage --system
grep '^# [0-9]* processes' "$D/out.txt"
awk -v m="${WALL[memlens triage PID]}" 'BEGIN { printf "triage of a 1 GiB process    %.2f s  (target <= 2)\n", m }'
awk -v m="${WALL[memlens triage --system]}" 'BEGIN { printf "triage --system              %.2f s  (target <= 5)\n", m }'
awk -v m="${WALL[memlens triage PID]}" -v y="${WALL[yara -s (1 rule) PID]}" \
	'BEGIN { printf "yara / memlens triage        time x%.2f (> 1: memlens is faster)\n", y / m }'
