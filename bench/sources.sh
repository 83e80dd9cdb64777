#!/bin/bash
# Benchmark of the file sources of issue 16, in one run, as ratios.
# Minidump: a process whose main stack holds 256 MiB of data is written as
# a minidump by lldb-14 (the stack style keeps every thread's stack); then
# reading those 256 MiB out of the dump is timed three ways:
#   cat FILE >/dev/null                      the floor: the bytes off the disk cache
#   lldb-14 -c FILE -o 'memory read --binary --outfile OUT ...'   the debugger's read
#   memlens image FILE --region stack -o OUT.bmp --bpp 8          memlens's
# and memlens's peak RSS is printed (memory stays flat).
#   bench/sources.sh [BUILDDIR]
set -euo pipefail
build=${1:-build}
memlens=$(realpath "$build/memlens")
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
command -v lldb-14 >/dev/null || apt-get install -y -qq lldb-14 >/dev/null
t=$(mktemp -d)
pid=
trap '[ -z "$pid" ] || kill $pid 2>/dev/null; rm -rf "$t"' EXIT
MB=${MB:-256}
cat >"$t/bigstack.c" <<'C'
#include <alloca.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	size_t n = (size_t)atol(argv[1]) << 20;
	volatile unsigned char *p = alloca(n);
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 2654435761u >> 13);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
C
gcc -O1 -o "$t/bigstack" "$t/bigstack.c"
(ulimit -s unlimited; exec "$t/bigstack" "$MB" >"$t/out") &
pid=$!
while ! grep -q ready "$t/out" 2>/dev/null; do sleep 0.1; done
lldb-14 -b -p "$pid" -o "process save-core --plugin-name=minidump --style=stack $t/s.dmp" \
	-o "process detach" >/dev/null 2>&1
kill $pid
pid=
read -r start end < <("$memlens" regions "$t/s.dmp" --json | python3 -c '
import json, sys
r = [r for r in json.load(sys.stdin)["regions"] if r["path"] == "[stack]" and r["captured"]][0]
print(int(r["start"], 16), int(r["start"], 16) + r["captured"])')
size=$((end - start))
printf 'minidump %s: %d MiB file, [stack] %d MiB\n' "$t/s.dmp" $(( $(stat -c %s "$t/s.dmp") >> 20 )) $((size >> 20))
hyperfine -N -w 1 -r 5 --export-json "$t/h.json" \
	"cat $t/s.dmp" \
	"lldb-14 -b -c $t/s.dmp -o 'memory read --force --binary --outfile $t/lldb.bin -c $size $(printf 0x%x "$start")'" \
	"$memlens image $t/s.dmp --region stack -o $t/m.bmp --bpp 8 --width 4096" >/dev/null
cmp -n "$size" "$t/lldb.bin" <(tail -c "$size" "$t/m.bmp") >/dev/null && echo "lldb's bytes and memlens's pixels agree" ||
	echo "note: lldb's bytes and the BMP's pixel rows differ (padding or order): compare by hand"
python3 - "$t/h.json" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))['results']
floor, lldb = res[0]['mean'], res[1]['mean']
for v, name in zip(res, ('cat (floor)', 'lldb-14 memory read', 'memlens image .bmp')):
    print(f"{name:24s} {v['mean']:7.3f} s ±{v['stddev']:5.3f}  {v['mean']/floor:6.2f}x cat  {v['mean']/lldb:5.2f}x lldb")
PY
/usr/bin/time -f "memlens image of the minidump's stack: peak RSS %M KiB" \
	"$memlens" image "$t/s.dmp" --region stack -o "$t/m2.bmp" --bpp 8 --width 4096
