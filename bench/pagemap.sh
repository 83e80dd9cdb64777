#!/bin/bash
# Benchmark: `memlens pagemap` on a process with a 256 GiB PROT_NONE
# reservation plus ordinary mappings (allocmap/pagealloc needs 1.9 s and
# 611 MB for that, by its author's account), and PAGEMAP_SCAN vs pread on
# a process with 1 GiB of touched memory.  Targets: full report in
# <= 50 ms and <= 16 MiB peak RSS.
#   bench/pagemap.sh [BUILDDIR]
set -euo pipefail
build=${1:-build}
memlens=$build/memlens
target=$build/tests/pm_target
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
dir=$(mktemp -d)
# start() runs in a command substitution, so the targets are found again
# by their "ready PID" lines.
trap 'kill $(awk "/ready/ {print \$2}" "$dir"/*.out 2>/dev/null) 2>/dev/null; rm -rf "$dir"' EXIT
start() {	# OUTFILE ARGS...
	local out=$1
	shift
	"$target" "$dir" "$@" >"$out" 2>/dev/null &
	while ! grep -q ready "$out"; do
		kill -0 $! 2>/dev/null || { echo "target $* failed" >&2; exit 1; }
		sleep 0.1
	done
	awk '/ready/ {print $2}' "$out"
}
big=$(start "$dir/big.out" 256)
touched=$(start "$dir/touched.out" 0 1024)
echo "process $big: $(wc -l </proc/$big/maps) mappings incl. a 256 GiB PROT_NONE reservation"
echo "process $touched: 1 GiB touched"
hyperfine -N -w 2 -r 10 --export-json "$dir/h.json" \
	"$memlens pagemap $big" \
	"$memlens pagemap $big --json" \
	"$memlens pagemap $big --json --no-scan" \
	"$memlens pagemap $touched --json" \
	"$memlens pagemap $touched --json --no-scan" >/dev/null 2>&1
python3 - "$dir/h.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))['results']:
    cmd = r['command'].split('memlens ', 1)[1]
    print(f"{cmd:50s} {r['mean']*1000:9.1f} ms ±{r['stddev']*1000:6.1f}")
PY
for args in "$big" "$big --json" "$big --json --no-scan" "$touched --json" "$touched --json --no-scan"; do
	/usr/bin/time -f "peak RSS %M KiB: pagemap $args" "$memlens" pagemap $args >/dev/null 2>"$dir/t" || true
	tail -1 "$dir/t"
done
