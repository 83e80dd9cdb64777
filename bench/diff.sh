#!/bin/bash
# Benchmark: memlens diff of two raw dumps of GIB GiB (default 1) that
# differ in 1% of their pages (each such page rewritten with random
# bytes), against cmp(1) reading two identical GIB GiB files in full —
# the issue's yardstick — in one hyperfine run, all files in the page
# cache.  Also cmp -l on the differing pair (the tool one would reach for
# to list the differences; it prints every changed byte, counted by wc:
# cmp stops at the first difference when its output is /dev/null), and memlens's
# peak RSS.  Ratios are against `cmp` of the identical pair.
#   bench/diff.sh [BUILDDIR] [GIB]
set -euo pipefail
build=${1:-build}
gib=${2:-1}
memlens=$(cd "$build" && pwd)/memlens
command -v hyperfine >/dev/null || { echo "bench/diff.sh needs hyperfine" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/memlens-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
python3 - "$dir" "$gib" <<'PY'
import os, random, shutil, sys
d, gib = sys.argv[1], int(sys.argv[2])
size, ps = gib << 30, 4096
with open(f'{d}/a.raw', 'wb') as f:
    for _ in range(size >> 24):
        f.write(os.urandom(1 << 24))
shutil.copyfile(f'{d}/a.raw', f'{d}/b.raw')
shutil.copyfile(f'{d}/a.raw', f'{d}/same.raw')
random.seed(14)
pages = sorted(random.sample(range(size // ps), size // ps // 100))
with open(f'{d}/b.raw', 'r+b') as f:
    for p in pages:
        f.seek(p * ps)
        f.write(os.urandom(ps))
print(f'{gib} GiB dumps, {len(pages)} pages changed')
PY
cat "$dir"/*.raw >/dev/null
"$memlens" diff "$dir/a.raw" "$dir/b.raw" --json | python3 -c '
import json, sys
t = json.load(sys.stdin)["totals"]
print("memlens: %d pages, %d bytes changed in %d ranges" % (t["changed_pages"], t["changed_bytes"], t["changed_ranges"]))'
/usr/bin/time -f "memlens diff --json: peak RSS %M KiB" "$memlens" diff "$dir/a.raw" "$dir/b.raw" --json >/dev/null
hyperfine -i -w 1 -r "${RUNS:-5}" --export-json "$dir/h.json" \
	-n "cmp (identical files)" "cmp $dir/a.raw $dir/same.raw" \
	-n "memlens diff --json" "$memlens diff $dir/a.raw $dir/b.raw --json" \
	-n "memlens diff (summary)" "$memlens diff $dir/a.raw $dir/b.raw --color never" \
	-n "cmp -l | wc -l (differing)" "cmp -l $dir/a.raw $dir/b.raw | wc -l" >/dev/null
python3 - "$dir/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))['results']
base = r[0]['mean']
print(f'{"command":<28} {"mean":>9} {"user":>8} {"sys":>8}  vs cmp')
for x in r:
    print(f'{x["command"]:<28} {x["mean"]:8.3f}s {x["user"]:7.3f}s {x["system"]:7.3f}s  {x["mean"] / base:5.2f}x')
PY
