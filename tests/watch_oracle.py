#!/usr/bin/env python3
"""memlens watch against a process that knows each of its steps.

  watch_oracle.py MEMLENS TMPDIR TARGET

tests/watch_target advances one known step per SIGUSR1 and stops itself.
Two watchers run on it at once, every second, for N frames: one in the
default (hash) mode writing an animated PNG in rows, one with
--soft-dirty writing one PNG a frame on a shrunk Hilbert curve; both
print JSON lines.  While the target is stopped at step k — after both
watchers took frame k and before it moves on — the test takes `memlens
image` of the same selection with the same options, and reads the
area's bytes itself from /proc/PID/mem (every page there is resident:
the read faults nothing in).  Then:

- ffprobe says codec apng, the size, N frames; ffmpeg decodes frame k and
  its pixels equal image's at step k, and the bytes rule on the area's
  own bytes; the frames of the other watcher equal image's too;
- frame k>0 of the APNG is exactly the band of rows that differ between
  steps k-1 and k (fcTL parsed here);
- the changed pages each watcher reports for frame k are exactly the
  pages the target says step k changed, in both modes; soft-dirty reads
  only what was written, hash mode every resident page.

Soft-dirty bits exist only in kernels built with CONFIG_MEM_SOFT_DIRTY;
the test asks the kernel itself (a page of its own, written after its
own clear_refs, must read soft-dirty in pagemap).  Without them the
second watcher hashes too, and `--soft-dirty` must be refused in one
line; tests/test_watch runs both modes on any kernel with pagemap played
by the test.
"""
import json
import os
import struct
import subprocess
import sys
import time
import zlib

from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from watch_lib import kernel_soft_dirty, state, wait_stopped  # noqa: E402

MEMLENS, T, TARGET = sys.argv[1], sys.argv[2], sys.argv[3]
N = 6
WIDTH = 64
bad = []


def check(ok, msg):
    if not ok:
        bad.append(msg)
    return ok


SOFT = kernel_soft_dirty()
print(f'this kernel {"tracks" if SOFT else "does not track"} soft-dirty pages')
target = subprocess.Popen([TARGET], stdout=subprocess.PIPE, text=True)
pid = target.pid
said = {}
truth = {0: set()}


def read_step(k):
    pages = set()
    while True:
        line = target.stdout.readline()
        if not line:
            raise SystemExit(f'FAIL: the target ended before step {k}')
        w = line.split()
        if w[0] == 'step':
            assert int(w[1], 16) == k, line
            return pages
        if w[0] == 'changed':
            pages.add(int(w[1], 16))
        else:
            said[w[0]] = (int(w[1], 16), int(w[2], 16))


try:
    read_step(0)
    wait_stopped(pid)
    area, fresh = said['area'], said['fresh']
    sel = ['--region', f'{area[0]:x}-{area[1]:x}', '--region', f'{fresh[0]:x}-{fresh[1]:x}']
    rows = ['--width', str(WIDTH)]
    hil = ['--layout', 'hilbert', '--fit', '32x32']
    os.makedirs(f'{T}/fr', exist_ok=True)
    w1 = subprocess.Popen([MEMLENS, 'watch', str(pid), *sel, '--every', '1s', '--frames', str(N),
                           '-o', f'{T}/anim.png', *rows, '--json'], stdout=subprocess.PIPE, text=True)
    if not SOFT:
        p = subprocess.run([MEMLENS, 'watch', str(pid), *sel, '--soft-dirty', '--frames', '1', '--json'],
                           capture_output=True, text=True)
        check(p.returncode == 1 and p.stdout == '' and len(p.stderr.splitlines()) == 1 and
              p.stderr.startswith('memlens: watch: --soft-dirty: this kernel does not track soft-dirty pages'),
              f'--soft-dirty on a kernel without it: exit {p.returncode}, {p.stderr!r}')
    w2 = subprocess.Popen([MEMLENS, 'watch', str(pid), *sel, '--every', '1s', '--frames', str(N)] +
                          (['--soft-dirty'] if SOFT else []) +
                          ['-o', f'{T}/fr/%03d.png', *hil, '--json'], stdout=subprocess.PIPE, text=True)
    heads = [json.loads(w.stdout.readline()) for w in (w1, w2)]
    check([h['mode'] for h in heads] == ['hash', 'soft-dirty' if SOFT else 'hash'], f'modes {heads}')
    recs = {1: [], 2: []}
    area_bytes = []
    for k in range(N):
        for n, w in ((1, w1), (2, w2)):
            line = w.stdout.readline()
            if not line:
                raise SystemExit(f'FAIL: watcher {n} ended before frame {k}')
            recs[n].append(json.loads(line))
        # the target is stopped at step k: the references
        for name, opts in (('rows', rows), ('hil', hil)):
            p = subprocess.run([MEMLENS, 'image', str(pid), *sel, *opts, '-o', f'{T}/ref_{name}_{k}.png'],
                               capture_output=True, text=True)
            check(p.returncode == 0, f'image at step {k}: {p.stderr}')
        with open(f'/proc/{pid}/mem', 'rb') as m:
            m.seek(area[0])
            area_bytes.append(m.read(area[1] - area[0]))
        check(state(pid) in 'Tt', f'the target ran during frame {k}')
        if k + 1 < N:
            os.kill(pid, 10)    # SIGUSR1
            os.kill(pid, 18)    # SIGCONT
            truth[k + 1] = read_step(k + 1)
            wait_stopped(pid)
    for n, w in ((1, w1), (2, w2)):
        w.stdout.read()
        check(w.wait(timeout=30) == 0, f'watcher {n} exited {w.returncode}')
finally:
    target.kill()
    target.wait()

# 1. the changed pages of each frame, both modes, against the target's word
ps = os.sysconf('SC_PAGE_SIZE')
for n in (1, 2):
    for k, r in enumerate(recs[n]):
        got = set()
        for s, e in r['changed']:
            got.update(range(int(s, 16) // ps * ps, int(e, 16), ps))
        check(r['frame'] == k and got == truth[k],
              f'watcher {n} frame {k}: changed {sorted(map(hex, got))}, the target changed {sorted(map(hex, truth[k]))}')
        check(r['changed_pages'] == len(truth[k]), f'watcher {n} frame {k}: changed_pages {r["changed_pages"]}')
    check(all(r['read_pages'] == r['resident_pages'] for r in recs[1]), 'hash mode did not read every resident page')
for k in range(1, N if SOFT else 1):
    # soft-dirty reads the pages written in the step (a bound: the step's pages, its same-bytes page, the zero page)
    check(recs[2][k]['read_pages'] <= len(truth[k]) + 2,
          f'soft-dirty frame {k} read {recs[2][k]["read_pages"]} pages for {len(truth[k])} changed')

# 2. ffprobe and ffmpeg read the animation
p = subprocess.run(['ffprobe', '-v', 'error', '-count_frames', '-show_entries',
                    'stream=codec_name,width,height,nb_read_frames', '-of', 'json', f'{T}/anim.png'],
                   capture_output=True, text=True)
info = json.loads(p.stdout)['streams'][0] if p.returncode == 0 else {}
ref0 = Image.open(f'{T}/ref_rows_0.png')
check(info.get('codec_name') == 'apng' and info.get('width') == ref0.size[0] and
      info.get('height') == ref0.size[1] and int(info.get('nb_read_frames', 0)) == N,
      f'ffprobe: {info} {p.stderr}, expected apng {ref0.size} with {N} frames')
os.makedirs(f'{T}/dec', exist_ok=True)
p = subprocess.run(['ffmpeg', '-v', 'error', '-i', f'{T}/anim.png', '-vsync', 'passthrough', '-pix_fmt', 'rgb24',
                    f'{T}/dec/%03d.png'], capture_output=True, text=True)
check(p.returncode == 0, f'ffmpeg: {p.stderr}')


def rgb(path):
    return Image.open(path).convert('RGB').tobytes()


for k in range(N):
    dec = f'{T}/dec/{k + 1:03d}.png'
    if not check(os.path.exists(dec), f'ffmpeg gave no frame {k}'):
        continue
    got, want = rgb(dec), rgb(f'{T}/ref_rows_{k}.png')
    check(got == want, f'APNG frame {k} differs from memlens image at step {k}')
    # the bytes rule, on the area's own bytes: pixel i is bytes 3i..3i+2
    b = area_bytes[k]
    check(got[:len(b) // 3 * 3] == b[:len(b) // 3 * 3], f'APNG frame {k}: the area is not its bytes as R,G,B')
    fr = f'{T}/fr/{k:03d}.png'
    if check(os.path.exists(fr), f'no frame file {fr}'):
        check(rgb(fr) == rgb(f'{T}/ref_hil_{k}.png'), f'frame file {k} (hilbert, --fit) differs from image')

# 3. each frame after the first is the band of rows that changed
data = open(f'{T}/anim.png', 'rb').read()
bands, pos = [], 8
while pos < len(data):
    n, typ = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    check(zlib.crc32(data[pos + 4:pos + 8 + n]) == struct.unpack('>I', data[pos + 8 + n:pos + 12 + n])[0],
          f'bad CRC in {typ}')
    if typ == b'fcTL':
        seq, w, h, x, y, dn, dd, dispose, blend = struct.unpack('>IIIIIHHBB', body)
        bands.append((y, h, x, w, dn, dd))
    pos += 12 + n
check(len(bands) == N, f'{len(bands)} fcTL chunks')
row = WIDTH * 3
for k in range(1, min(N, len(bands))):
    a, b = rgb(f'{T}/ref_rows_{k - 1}.png'), rgb(f'{T}/ref_rows_{k}.png')
    diff = [y for y in range(len(a) // row) if a[y * row:(y + 1) * row] != b[y * row:(y + 1) * row]]
    want = (diff[0], diff[-1] + 1 - diff[0]) if diff else (0, 1)
    y, h, x, w, dn, dd = bands[k]
    check((y, h) == want and x == 0 and w == WIDTH, f'frame {k}: band rows {y}+{h}, changed rows {want}')
    check(dn * 1000 // dd == 1000, f'frame {k}: delay {dn}/{dd}')

for b in bad:
    print('FAIL:', b, file=sys.stderr)
print(f'watch oracle: {N} frames, {len(bad)} failures')
sys.exit(1 if bad else 0)
