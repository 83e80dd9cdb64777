#!/bin/bash
# Benchmark: `memlens heap` on a process whose main heap holds 1,000,000
# chunks (heap_target with a bulk of small allocations): the terminal map,
# the PNG, the JSON counts and the JSON with every chunk; peak RSS.
# Target: the map of a 1,000,000-chunk heap in <= 0.5 s.
#   bench/heap.sh [BUILDDIR] [NCHUNKS]
set -euo pipefail
build=${1:-build}
n=${2:-1000000}
memlens=$build/memlens
target=$build/tests/heap_target
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
"$target" "$dir" "$n" >"$dir/out" 2>/dev/null &
pid=$!
while ! grep -q ready "$dir/out"; do
	kill -0 "$pid" 2>/dev/null || { echo "target failed" >&2; exit 1; }
	sleep 0.1
done
kill -STOP "$pid"
chunks=$("$memlens" heap "$pid" --json | python3 -c 'import json,sys; a=json.load(sys.stdin)["arenas"][0]; print(a["in_use"]["count"] + a["free"]["total"]["count"])')
echo "process $pid: main heap of $chunks chunks"
hyperfine -N -w 2 -r 10 --export-json "$dir/h.json" \
	"$memlens heap $pid --color always" \
	"$memlens heap $pid -o $dir/h.png" \
	"$memlens heap $pid --json" \
	"$memlens heap $pid --json --chunks" >/dev/null 2>&1
python3 - "$dir/h.json" "$dir" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))['results']:
    cmd = r['command'].split('memlens ', 1)[1].replace(sys.argv[2] + '/', '')
    print(f"{cmd:45s} {r['mean']*1000:9.1f} ms ±{r['stddev']*1000:6.1f}")
PY
for args in "--color always" "-o $dir/h.png" "--json --chunks"; do
	/usr/bin/time -f "peak RSS %M KiB: heap $args" "$memlens" heap "$pid" $args >/dev/null 2>"$dir/t" || true
	tail -1 "$dir/t" | sed "s|$dir/||"
done
