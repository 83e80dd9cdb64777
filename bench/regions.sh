#!/bin/bash
# Benchmark: `memlens regions` on a process with 10,000+ mappings, against
# `cat /proc/PID/maps` (the floor: the kernel formatting the same lines)
# and `pmap -x`, in one run.  Target: under 50 ms.
#   bench/regions.sh [BUILDDIR]
set -euo pipefail
build=${1:-build}
memlens=$build/memlens
spec=$build/samples/specimen
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
out=$(mktemp)
"$spec" --mappings 10000 >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT
while ! grep -q ready "$out"; do sleep 0.1; done
n=$(wc -l </proc/$pid/maps)
echo "process $pid has $n mappings"
hyperfine -N -w 3 -r 30 --export-json "$out.json" \
	"cat /proc/$pid/maps" \
	"$memlens regions $pid" \
	"$memlens regions $pid --json" \
	"pmap -x $pid" >/dev/null
python3 - "$out.json" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))['results']
floor = res[0]['mean']
for v in res:
    name = ' '.join(w.split('/')[-1] if '/' in w and 'proc' not in w else w for w in v['command'].split())
    print(f"{name:40s} {v['mean']*1000:8.2f} ms ±{v['stddev']*1000:5.2f}  {v['mean']/floor:5.2f}x cat")
PY
for args in "" "--json"; do
	/usr/bin/time -f "memlens regions $args: peak RSS %M KiB" "$memlens" regions $pid $args >/dev/null
done
rm -f "$out.json"
