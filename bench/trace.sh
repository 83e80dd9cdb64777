#!/bin/bash
# Benchmark: memlens trace against heaptrack, in one run, on two programs:
#  - pairs: 10 M malloc/free pairs over 4 threads (random sizes 16-527);
#  - sqlite3: the sqlite3 shell on an in-memory database running a
#    generated workload (100,000 inserts in a transaction, an index, 300
#    range queries, a GROUP BY).
# For each: the wall time untraced, under heaptrack and under memlens trace
# (median of 3), the overhead (traced / untraced - 1) and the record sizes,
# as ratios memlens / heaptrack.  Targets: overhead <= 0.5x heaptrack's,
# record <= heaptrack's.  Then trace-report of the pairs record (10 M
# allocations and 10 M frees: 20 M events): wall time and peak RSS
# (targets, for 10 M events: <= 2 s, <= 256 MiB).
#   bench/trace.sh [BUILDDIR] [PAIRS]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
pairs=${2:-10000000}
memlens=$build/memlens
for t in heaptrack sqlite3 hyperfine gcc; do
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

# LABEL 'COMMAND LINE' (quoted as hyperfine splits it): three runs of each
# way, then the record sizes
bench() {
	local label=$1 cmd=$2
	hyperfine -N -w 1 -r 3 --export-json "$dir/$label.json" \
		-n plain "$cmd" \
		-n heaptrack "heaptrack -o $dir/$label.ht $cmd" \
		-n memlens "$memlens trace -o $dir/$label.mltrace -- $cmd" >"$dir/hyperfine.log" 2>&1 ||
		{ cat "$dir/hyperfine.log" >&2; exit 1; }
	python3 - "$dir/$label.json" "$dir/$label.ht.zst" "$dir/$label.mltrace" "$label" <<'PY'
import json, os, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
plain, ht, ml = (res[k]["median"] for k in ("plain", "heaptrack", "memlens"))
oh_ht, oh_ml = ht / plain - 1, ml / plain - 1
s_ht, s_ml = os.path.getsize(sys.argv[2]), os.path.getsize(sys.argv[3])
print(f"{sys.argv[4]}: untraced {plain:.3f} s, heaptrack {ht:.3f} s (overhead {oh_ht:.2f}x), "
      f"memlens {ml:.3f} s (overhead {oh_ml:.2f}x)")
print(f"  overhead memlens / heaptrack: {oh_ml / oh_ht:.2f} (target <= 0.5)")
print(f"  record: heaptrack {s_ht / 1e6:.1f} MB, memlens {s_ml / 1e6:.1f} MB: ratio {s_ml / s_ht:.2f} (target <= 1)")
PY
}
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
bench pairs "$dir/pairs $pairs"
bench sqlite3 "sqlite3 :memory: '.read $dir/work.sql'"

"$memlens" trace-report --json "$dir/pairs.mltrace" >"$dir/r.json"
/usr/bin/time -f "%e %M" -o "$dir/time" "$memlens" trace-report "$dir/pairs.mltrace" >/dev/null
read -r secs rss <"$dir/time"
events=$(python3 -c 'import json,sys; s = json.load(open(sys.argv[1]))["summary"]; print(s["calls"] + s["frees"])' "$dir/r.json")
echo "trace-report of $events events (the pairs record): $secs s (target for 10 M events: <= 2 s), peak RSS $((rss / 1024)) MiB (target <= 256)"
