#!/bin/bash
# Benchmark: memlens watch on a process holding GIB GiB (default 4) all
# resident, which rewrites a byte in 1% of its pages every second — the
# issue's case — in one run:
#   dd of /proc/PID/mem        reading the resident memory once: the
#                              yardstick of the default (hash) mode
#   memlens watch (hash)       per frame: wall and CPU time
#   memlens watch --soft-dirty per frame CPU (the issue: at most 100 ms);
#                              only where the kernel has soft-dirty bits
#   memlens watch -o anim.png  per frame, a 1024x1024 Hilbert thumbnail
#                              redrawn where pages changed
# Per-frame costs are (run of 1+N frames - run of 1 frame) / N with
# frames back to back (--every 1ms), so start-up and the first look
# cancel out; CPU is the children's rusage.  Ratios are against dd.
#   bench/watch.sh [BUILDDIR] [GIB] [N]
set -euo pipefail
build=${1:-build}
gib=${2:-4}
frames=${3:-10}
memlens=$(cd "$build" && pwd)/memlens
dir=$(mktemp -d "${TMPDIR:-/tmp}/memlens-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
python3 - "$memlens" "$gib" "$frames" "$dir" "$(cd "$(dirname "$0")/../tests" && pwd)" <<'PY'
import os, resource, subprocess, sys, time
memlens, gib, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sys.path.insert(0, sys.argv[5])
from watch_lib import kernel_soft_dirty  # the kernel, asked directly

TARGET = '''
import ctypes, mmap, random, sys, time
size = int(sys.argv[1])
m = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
chunk = bytes(range(256)) * 65536
for off in range(0, size, len(chunk)):
    m[off:off + len(chunk)] = chunk
print(ctypes.addressof(ctypes.c_char.from_buffer(m)), flush=True)
pages = size // 4096
while True:
    t = time.monotonic()
    for p in random.sample(range(pages), pages // 100):
        m[p * 4096 + 7] = (m[p * 4096 + 7] + 1) & 255
    time.sleep(max(0, 1 - (time.monotonic() - t)))
'''
size = gib << 30
t = subprocess.Popen([sys.executable, '-c', TARGET, str(size)], stdout=subprocess.PIPE, text=True)
addr = int(t.stdout.readline())
pid = t.pid
region = ['--region', f'{addr:x}+{size:x}']


def timed(argv):
    """Wall and CPU (user + system) seconds of one run, and its peak RSS (KiB)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    w = time.perf_counter()
    p = subprocess.run(['/usr/bin/time', '-f', '%M'] + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    w = time.perf_counter() - w
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        raise SystemExit(f'{argv}: exit {p.returncode}: {p.stderr}')
    return w, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), int(p.stderr.split()[-1])


def best(argv, runs=3):
    return min((timed(argv) for _ in range(runs)), key=lambda x: x[0])


def per_frame(extra):
    one = best([memlens, 'watch', str(pid), *region, '--every', '1ms', '--frames', '1', *extra])
    many = best([memlens, 'watch', str(pid), *region, '--every', '1ms', '--frames', str(n + 1), *extra])
    return (many[0] - one[0]) / n, (many[1] - one[1]) / n, many[2]


try:
    rows = []
    dd = best(['dd', f'if=/proc/{pid}/mem', 'of=/dev/null', 'bs=1M', 'iflag=skip_bytes,count_bytes',
               f'skip={addr}', f'count={size}'])
    rows.append(('dd of /proc/PID/mem (once)', dd[0], dd[1], dd[2]))
    h = per_frame([])
    rows.append(('watch, hash (a frame)', h[0], h[1], h[2]))
    if kernel_soft_dirty():
        s = per_frame(['--soft-dirty'])
        rows.append(('watch --soft-dirty (a frame)', s[0], s[1], s[2]))
    else:
        rows.append(('watch --soft-dirty', None, None, None))
    a = per_frame(['-o', f'{d}/a.png', '--layout', 'hilbert', '--fit', '1024x1024'])
    rows.append(('watch -o anim.png (a frame)', a[0], a[1], a[2]))
finally:
    t.kill()
    t.wait()
print(f'{gib} GiB resident, 1% of its pages written a second; {n} frames back to back')
print(f'{"":<30} {"wall":>9} {"cpu":>9} {"vs dd":>7} {"peak RSS":>10}')
for name, wall, cpu, rss in rows:
    if wall is None:
        print(f'{name:<30} n/a: this kernel has no soft-dirty bits (CONFIG_MEM_SOFT_DIRTY)')
        continue
    print(f'{name:<30} {wall * 1000:7.0f}ms {cpu * 1000:7.0f}ms {wall / rows[0][1]:6.2f}x'
          + (f' {rss // 1024:7d} MiB' if rss else ''))
PY
