#!/bin/bash
# Benchmark: `memlens pagemap` (as root: pagemap + kpageflags + kpagecount)
# against the kernel's own reader, tools/mm/page-types.c (tools/vm/ in older
# trees), built here from Debian's linux-source, on processes with 4 GiB
# present:
#   seq      4 GiB written in address order (frames mostly in runs)
#   scatter  4 GiB written in a scattered order (neighbouring pages on
#            distant frames, as in a long-running process)
#   zero     4 GiB only read: every page maps the zero page (a process
#            gcore has read, a chromium renderer)
# Target: memlens <= 0.5x page-types' time.  Then, as before, a process with
# a 256 GiB PROT_NONE reservation (full report in <= 50 ms) and PAGEMAP_SCAN
# vs pread on 1 GiB touched.  Times are hyperfine means (wall clock) with
# user+system beside them; ratios are of the same run.
#   bench/pagemap.sh [BUILDDIR [OLD_MEMLENS]]
# OLD_MEMLENS: another memlens binary (e.g. built from main) run alongside.
set -euo pipefail
build=${1:-build}
old=${2:-}
memlens=$build/memlens
target=$build/tests/pm_target
pt=$build/bench/page-types
[ "$(id -u)" -eq 0 ] || { echo "bench/pagemap.sh: run as root (kpageflags)" >&2; exit 1; }
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
dir=$(mktemp -d)
trap 'kill $(awk "/ready/ {print \$2}" "$dir"/*.out 2>/dev/null) 2>/dev/null; rm -rf "$dir"' EXIT

# page-types, from the newest linux-source tarball (bench only: no test needs it).
if [ ! -x "$pt" ]; then
	ls /usr/src/linux-source-*.tar.xz >/dev/null 2>&1 || apt-get install -y -qq linux-source >/dev/null
	src=$(ls /usr/src/linux-source-*.tar.xz | sort -V | tail -1)
	echo "building page-types from $src ..."
	tar -xJf "$src" -C "$dir" --wildcards '*/tools/mm/page-types.c' '*/tools/vm/page-types.c' \
		'*/tools/include/*' '*/tools/lib/api/*' '*/include/uapi/linux/magic.h' \
		'*/include/uapi/linux/kernel-page-flags.h' 2>/dev/null || true
	c=
	for f in "$dir"/*/tools/mm/page-types.c "$dir"/*/tools/vm/page-types.c; do
		[ -e "$f" ] && c=$f
	done
	[ -n "$c" ] || { echo "no page-types.c in $src" >&2; exit 1; }
	top=${c%/tools/*}
	mkdir -p "$(dirname "$pt")"
	gcc -O2 -w -I"$top/tools/include" -I"$top/tools/lib" -I"$top/tools/lib/api" -o "$pt" "$c" \
		"$top/tools/lib/api/fs/fs.c" "$top/tools/lib/api/debug.c"
	rm -rf "${dir:?}"/linux-*
fi

# start OUTFILE ARGS...: a target; prints its pid once it is ready.
start() {
	local out=$1
	shift
	: >"$out"
	"$target" "$dir" "$@" >"$out" 2>/dev/null &
	while ! grep -q ready "$out"; do
		kill -0 $! 2>/dev/null || { echo "target $* failed" >&2; exit 1; }
		sleep 0.2
	done
	awk '/ready/ {print $2}' "$out"
}

# report JSON NAME...: mean, user+system, and ratios to the first command.
report() {
	python3 - "$@" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))['results']
names = sys.argv[2:]
base = {n: r for n, r in zip(names, res)}
pt = base.get('page-types')
for n, r in zip(names, res):
    cpu = r['user'] + r['system']
    line = f"  {n:28s} {r['mean']*1000:8.1f} ms ±{r['stddev']*1000:6.1f}   cpu {cpu*1000:7.1f} ms"
    if pt and n != 'page-types':
        line += (f"   {r['mean'] / pt['mean']:.2f}x page-types"
                 f" (cpu {cpu / (pt['user'] + pt['system']):.2f}x)")
    print(line)
PY
}

echo "== memlens pagemap vs page-types, 4 GiB present ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
for mode in seq scatter zero; do
	pid=$(start "$dir/$mode.out" 0 4096 "$mode")
	cmds=("$memlens pagemap $pid --json" "$pt -p $pid")
	names=(memlens page-types)
	if [ -n "$old" ]; then
		cmds+=("$old pagemap $pid --json")
		names+=("old memlens")
	fi
	hyperfine -N -w 1 -r 8 --export-json "$dir/h.json" "${cmds[@]}" >/dev/null 2>&1
	echo "$mode: $(grep VmRSS /proc/$pid/status | tr -s " \t" " ")"
	report "$dir/h.json" "${names[@]}"
	/usr/bin/time -f "  peak RSS: memlens %M KiB" "$memlens" pagemap "$pid" --json >/dev/null 2>"$dir/t" || true
	tail -1 "$dir/t"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
done

echo "== a 256 GiB PROT_NONE reservation; PAGEMAP_SCAN vs pread"
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
report "$dir/h.json" "reservation, map" "reservation, --json" "reservation, --no-scan" \
	"1 GiB, --json" "1 GiB, --json --no-scan"
for args in "$big" "$big --json" "$big --json --no-scan" "$touched --json" "$touched --json --no-scan"; do
	/usr/bin/time -f "  peak RSS %M KiB: pagemap $args" "$memlens" pagemap $args >/dev/null 2>"$dir/t" || true
	tail -1 "$dir/t"
done
