#!/bin/bash
# Benchmark: reading a live process that holds a large untouched anonymous
# reservation (8 GiB by default, one page touched), and one whose 1 GiB
# is all in memory (the read path must stay as fast there), in one run:
#   dd of /proc/PID/mem      what one does by hand (or gdb's dump memory)
#   memlens sound  -o -      the read path, copy-bound (to /dev/null)
#   memlens image --fit      drawing it (a 1024x1024 thumbnail)
# each by this build and, given BASE (a commit, e.g. 112271c), by memlens
# as it was there.  Every run gets a fresh target, and for each the table
# gives the wall time, the reader's peak RSS and what the read did to the
# target: its pages present afterwards (pagemap) and its page tables
# (VmPTE).  Ratios are against dd.  A last row leaves a target alone as
# long as the slowest reader took: what it shows was done by someone else.
#   [BASE=COMMIT] bench/live.sh [BUILDDIR] [GIB]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
gib=${2:-8}
memlens=$(cd "$build" && pwd)/memlens
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
old=
if [ -n "${BASE:-}" ]; then
	echo "building memlens at $BASE ..."
	mkdir "$dir/base"
	git -C "$top" archive "$BASE" | tar -x -C "$dir/base"
	(cd "$dir/base" && ./autogen.sh && ./configure -q && make -s -j2 memlens) >/dev/null 2>&1
	old=$dir/base/memlens
fi
python3 - "$gib" "$dir" "$memlens" "$old" <<'PY'
import struct, subprocess, sys, time
gib, dir, new, old = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
size, touch = 0, 'one'

TARGET = '''
import mmap, ctypes, sys, time
size, touch = int(sys.argv[1]), sys.argv[2] == 'all'
m = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
for i in range(0, size if touch else 0, 4096):
    m[i] = 1
m[4096 * 7] = 1
print(ctypes.addressof(ctypes.c_char.from_buffer(m)), flush=True)
time.sleep(3600)
'''


def target():
    p = subprocess.Popen([sys.executable, '-c', TARGET, str(size), touch], stdout=subprocess.PIPE, text=True)
    return p, int(p.stdout.readline())


def evidence(pid, a):
    """Pages of the mapping present, and the page tables' size."""
    with open(f'/proc/{pid}/pagemap', 'rb') as f:
        f.seek(a // 4096 * 8)
        present, left = 0, size // 4096
        while left:
            n = min(left, 1 << 20)
            words = struct.unpack(f'{n}Q', f.read(n * 8))
            present += sum(w >> 63 for w in words)
            left -= n
    pte = next(l.split()[1] for l in open(f'/proc/{pid}/status') if l.startswith('VmPTE:'))
    return present, int(pte)


def run(argv_of):
    """Wall time, peak RSS (KiB, /usr/bin/time) and the target's state after."""
    p, a = target()
    try:
        argv = ['/usr/bin/time', '-f', '%M'] + argv_of(p.pid, a)
        t = time.perf_counter()
        r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t
        if r.returncode:
            raise SystemExit(f'{argv}: exit {r.returncode}: {r.stderr}')
        rss = int(r.stderr.split()[-1])
        present, pte = evidence(p.pid, a)
    finally:
        p.kill()
        p.wait()
    return wall, rss, present, pte


dd = lambda pid, a: ['dd', f'if=/proc/{pid}/mem', 'of=/dev/null', 'bs=1M', 'iflag=skip_bytes,count_bytes',
                     f'skip={a}', f'count={size}', 'status=none']
snd = lambda m: lambda pid, a: [m, 'sound', str(pid), '--region', f'{a:#x}+{size:#x}', '-o', '-']
img = lambda m: lambda pid, a: [m, 'image', str(pid), '--region', f'{a:#x}+{size:#x}', '--fit', '1024x1024',
                                '-o', f'{dir}/t.png']
runs = [('dd /proc/PID/mem', dd)]
for tag, m in (('before', old), ('after', new)):
    if m:
        runs += [(f'memlens sound ({tag})', snd(m)), (f'memlens image --fit ({tag})', img(m))]
for size, touch in ((gib << 30, 'one'), (1 << 30, 'all')):
    if touch == 'one':
        print(f'a process with {size >> 30} GiB of untouched anonymous memory ({size // 4096} pages, 1 touched)')
    else:
        print(f'\na process with {size >> 30} GiB of anonymous memory, every page touched')
    print(f"{'reader':30s} {'wall':>9s} {'vs dd':>7s} {'peak RSS':>10s} {'present after':>14s} {'VmPTE after':>12s}")
    base = longest = None
    for name, f in runs:
        wall, rss, present, pte = run(f)
        base = base or wall
        longest = max(longest or 0, wall)
        print(f'{name:30s} {wall:8.2f}s {wall / base:6.2f}x {rss:7d} KiB {present:14d} {pte:9d} kB')
    # The control: a target left alone as long as the longest reader took.
    # Anything else on the machine that reads other processes' memory
    # would show here (and in the rows above).
    _, _, present, pte = run(lambda pid, a: ['sleep', f'{longest:.2f}'])
    print(f'{"(control: nobody reads)":30s} {longest:8.2f}s {"":>7s} {"":>10s} {present:14d} {pte:9d} kB')
PY
