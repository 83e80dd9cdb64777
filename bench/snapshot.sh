#!/bin/bash
# Benchmark: `memlens snapshot` against gdb's gcore and Debian's procdump
# (Sysinternals ProcDump for Linux, which runs gcore) on one process with
# RES_MIB of written memory (default 2 GiB) and an untouched read-write
# reservation of RSV_MIB (default 64 GiB, one page of it written), in one
# run.  Targets (issue 13): memlens <= 0.25x gcore's wall time and <=
# procdump's; the target stopped <= 1 s per GiB dumped; the core's disk
# usage (du) <= 1.05x the bytes dumped.
#
# gcore and procdump write every byte of the reservation (64 GiB of zeros
# would fill this machine's disk), so both write to /dev/null: gcore
# through the very commands /usr/bin/gcore runs, procdump through a gcore
# of that kind first on its PATH.  That spares them the disk: it can only
# favour them.  memlens writes a real file in OUTDIR.
#   bench/snapshot.sh [BUILDDIR] [OUTDIR]
set -euo pipefail
build=${1:-build}
memlens=$(realpath "$build/memlens")
target=$(realpath "$build/tests/snapshot_target")
res_mib=${RES_MIB:-2048}
rsv_mib=${RSV_MIB:-65536}
command -v gdb >/dev/null || apt-get install -y -qq gdb >/dev/null
command -v procdump >/dev/null || apt-get install -y -qq procdump >/dev/null
dir=$(mktemp -d)
out=${2:-$dir}
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"; rm -f "$out/bench.core"' EXIT

"$target" -m "$res_mib" -r "$rsv_mib" -t 4 >"$dir/target.out" &
pid=$!
while ! grep -q ready "$dir/target.out"; do
	kill -0 $pid 2>/dev/null || { echo "target failed" >&2; exit 1; }
	sleep 0.1
done
echo "target $pid: $res_mib MiB written, $rsv_mib MiB untouched reservation, 5 threads"

# the gcore that writes to /dev/null, for gcore itself and under procdump
mkdir "$dir/bin"
cat >"$dir/bin/gcore" <<'EOF'
#!/bin/bash
# gcore [-o PREFIX] PID, as /usr/bin/gcore runs gdb, the core going to
# /dev/null; an empty PREFIX.PID is left for procdump, which waits for it.
pid=${!#}
prefix=core
[ "$1" = -o ] && prefix=$2
gdb </dev/null --nx --batch -ex "set pagination off" -ex "set height 0" -ex "set width 0" \
	-ex "attach $pid" -ex "gcore /dev/null" -ex detach -ex quit
rc=$?
: >"$prefix.$pid"
exit $rc
EOF
chmod +x "$dir/bin/gcore"

now() { date +%s.%N; }
sync
# memlens: three runs, the median; its own JSON says how long the target was stopped
for i in 1 2 3; do
	rm -f "$out/bench.core"
	sync
	t0=$(now)
	/usr/bin/time -f %M -o "$dir/rss.$i" "$memlens" snapshot "$pid" -o "$out/bench.core" --json >"$dir/m.$i.json"
	t1=$(now)
	echo "$t0 $t1" >"$dir/m.$i.time"
	du -B1 "$out/bench.core" | cut -f1 >"$dir/du.$i"
done
rm -f "$out/bench.core"
sync
t0=$(now)
"$dir/bin/gcore" -o "$dir/g" "$pid" >"$dir/gcore.log" 2>&1
t1=$(now)
echo "$t0 $t1" >"$dir/gcore.time"
mkdir "$dir/pd"
t0=$(now)
PATH=$dir/bin:$PATH procdump -p "$pid" -o "$dir/pd" >"$dir/procdump.log" 2>&1
t1=$(now)
echo "$t0 $t1" >"$dir/procdump.time"
grep -q "Core dump 0 generated" "$dir/procdump.log" || { echo "procdump failed:" >&2; cat "$dir/procdump.log" >&2; exit 1; }

python3 - "$dir" <<'PY'
import json, statistics, sys
d = sys.argv[1]
def wall(name):
    a, b = open(f'{d}/{name}.time').read().split()
    return float(b) - float(a)
runs = []
for i in (1, 2, 3):
    j = json.load(open(f'{d}/m.{i}.json'))['snapshot']
    runs.append(dict(wall=wall(f'm.{i}'), stopped=j['stopped_seconds'], dumped=j['bytes_dumped'],
                     written=j['bytes_written'], zero=j['bytes_zero'], du=int(open(f'{d}/du.{i}').read()),
                     rss=int(open(f'{d}/rss.{i}').read().split()[-1])))
m = sorted(runs, key=lambda r: r['wall'])[1]
g, p = wall('gcore'), wall('procdump')
gib = m['dumped'] / 2**30
walls = ', '.join('%.2f' % r['wall'] for r in runs)
print(f"memlens  wall {m['wall']:7.2f} s (runs {walls}), "
      f"stopped {m['stopped']:.2f} s, peak RSS {m['rss'] // 1024} MiB")
print(f"         dumped {m['dumped'] / 2**30:.2f} GiB, zero pages as holes {m['zero'] / 2**30:.1f} GiB, "
      f"du {m['du'] / 2**30:.2f} GiB")
print(f"gcore    wall {g:7.2f} s (to /dev/null; the target is stopped all along)")
print(f"procdump wall {p:7.2f} s (its gcore to /dev/null)")
checks = [
    ('memlens / gcore wall', m['wall'] / g, 0.25),
    ('memlens / procdump wall', m['wall'] / p, 1.0),
    ('stopped s per GiB dumped', m['stopped'] / gib, 1.0),
    ('du / bytes dumped', m['du'] / m['dumped'], 1.05),
]
for name, v, limit in checks:
    print(f"{name:28s} {v:6.3f}  (target <= {limit}) {'ok' if v <= limit else 'MISSED'}")
PY
