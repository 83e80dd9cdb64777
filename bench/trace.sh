#!/bin/bash
# Benchmark: memlens trace against heaptrack, in one run, on two programs:
#  - pairs: 10 M malloc/free pairs over 4 threads (random sizes 16-527);
#  - sqlite3: the sqlite3 shell on an in-memory database running a
#    generated workload (100,000 inserts in a transaction, an index, 300
#    range queries, a GROUP BY).
# For each: the wall time untraced, under heaptrack and under memlens trace
# (median of 5 interleaved runs), the overhead (traced / untraced - 1) and
# the record sizes, as ratios memlens / heaptrack; the same overhead ratio
# on CPU time too, which a shared machine's load disturbs less.  Targets: overhead <= 0.5x heaptrack's,
# record <= heaptrack's.  Then trace-report of the pairs record (10 M
# allocations and 10 M frees: 20 M events): wall time and peak RSS
# (targets, for 10 M events: <= 2 s, <= 256 MiB).
#   bench/trace.sh [BUILDDIR] [PAIRS] [RUNS]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
pairs=${2:-10000000}
runs=${3:-5}
memlens=$build/memlens
for t in heaptrack sqlite3 gcc; do
	command -v "$t" >/dev/null || { echo "bench/trace.sh needs $t (apt-get install $t)" >&2; exit 1; }
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

cat >"$dir/pairs.c" <<'C'
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
static long per_thread;
static void *volatile escape;
static void *work(void *arg)
{
	unsigned s = (unsigned)(long)arg * 2654435761u + 1;
	for (long i = 0; i < per_thread; i++) {
		s = s * 1103515245u + 12345u;
		char *p = malloc(16 + (s >> 16) % 512);
		escape = p;
		p[0] = 1;
		free(p);
	}
	return NULL;
}
int main(int argc, char **argv)
{
	per_thread = atol(argv[1]) / 4;
	pthread_t t[4];
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, work, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("%ld pairs\n", per_thread * 4);
	return 0;
}
C
gcc -O2 -g -o "$dir/pairs" "$dir/pairs.c" -lpthread
python3 - "$dir/work.sql" <<'PY'
import random, sys
r = random.Random(1)
with open(sys.argv[1], "w") as f:
    f.write("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL, blob TEXT);\nBEGIN;\n")
    for i in range(100000):
        f.write("INSERT INTO t(name, v, blob) VALUES('n%d', %f, '%s');\n" % (r.randrange(10**6), r.random(), "x" * r.randrange(10, 200)))
    f.write("COMMIT;\nCREATE INDEX ti ON t(name);\n")
    for i in range(300):
        a = r.randrange(10**6)
        f.write("SELECT count(*), avg(v), max(length(blob)) FROM t WHERE name BETWEEN 'n%d' AND 'n%d';\n" % (a, a + 5000))
    f.write("SELECT substr(name, 1, 3), count(*) FROM t GROUP BY 1 ORDER BY 2 DESC LIMIT 5;\n")
PY

# LABEL COMMAND...: runs of the three ways in turn (plain, heaptrack,
# memlens; interleaved, so that the load of a shared machine falls on all
# three alike), wall time and CPU time (user + system of the whole process
# tree) each; medians.  Then the record sizes.
bench() {
	local label=$1
	shift
	python3 - "$dir" "$label" "$memlens" "$runs" "$@" <<'PY'
import os, resource, statistics, subprocess, sys, time
d, label, memlens, runs, cmd = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
ways = {
    "plain": cmd,
    "heaptrack": ["heaptrack", "-o", f"{d}/{label}.ht"] + cmd,
    "memlens": [memlens, "trace", "-o", f"{d}/{label}.mltrace", "--"] + cmd,
}
wall = {k: [] for k in ways}
cpu = {k: [] for k in ways}
for r in range(runs + 1):
    for k, argv in ways.items():
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        w = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if r:   # the first round warms the caches
            wall[k].append(w)
            cpu[k].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
m = {k: statistics.median(v) for k, v in wall.items()}
c = {k: statistics.median(v) for k, v in cpu.items()}
oh = {k: m[k] / m["plain"] - 1 for k in ("heaptrack", "memlens")}
ohc = {k: c[k] / c["plain"] - 1 for k in ("heaptrack", "memlens")}
s_ht, s_ml = os.path.getsize(f"{d}/{label}.ht.zst"), os.path.getsize(f"{d}/{label}.mltrace")
print(f"{label}: wall (median of {runs}) untraced {m['plain']:.3f} s, heaptrack {m['heaptrack']:.3f} s "
      f"(overhead {oh['heaptrack']:.2f}x), memlens {m['memlens']:.3f} s (overhead {oh['memlens']:.2f}x)")
print(f"  overhead memlens / heaptrack, wall: {oh['memlens'] / oh['heaptrack']:.2f} (target <= 0.5); "
      f"CPU time: {ohc['memlens'] / ohc['heaptrack']:.2f} (untraced {c['plain']:.2f} s, heaptrack "
      f"{c['heaptrack']:.2f} s, memlens {c['memlens']:.2f} s)")
print(f"  record: heaptrack {s_ht / 1e6:.2f} MB, memlens {s_ml / 1e6:.2f} MB: ratio {s_ml / s_ht:.2f} (target <= 1)")
PY
}
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
bench pairs "$dir/pairs" "$pairs"
bench sqlite3 sqlite3 :memory: ".read $dir/work.sql"

"$memlens" trace-report --json "$dir/pairs.mltrace" >"$dir/r.json"
/usr/bin/time -f "%e %M" -o "$dir/time" "$memlens" trace-report "$dir/pairs.mltrace" >/dev/null
read -r secs rss <"$dir/time"
events=$(python3 -c 'import json,sys; s = json.load(open(sys.argv[1]))["summary"]; print(s["calls"] + s["frees"])' "$dir/r.json")
echo "trace-report of $events events (the pairs record): $secs s (target for 10 M events: <= 2 s), peak RSS $((rss / 1024)) MiB (target <= 256)"
