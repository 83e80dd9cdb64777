#!/usr/bin/env python3
"""The byte oracle of `memlens diff`: raw and LiME dumps made here, their
differences worked out here byte by byte (numpy), and memlens's JSON, map
and picture held to them.

  diff_oracle.py MEMLENS TMPDIR

What it knows independently: which addresses each dump holds and which of
those bytes it captured (a truncated LiME file loses its tail), so for
every address of the union: equal, changed, unknown (a hole in either),
added (only B), removed (only A).  Changed ranges are the changed bytes
merged into aligned granules inside one region pair; pictures follow the
documented rules (doc/diff.md, doc/image.md): pixel i is bytes
[i*B, i*B+B) of the union, a pixel takes the strongest state of its bytes
(hole > removed > added > changed > unchanged), changed pixels are B's
bytes, the others legend colours.
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hilbert_oracle import point, order_for  # noqa: E402

MEMLENS, T = sys.argv[1], sys.argv[2]
SAME, CHANGED, UNKNOWN, ADDED, REMOVED = 'same', 'changed', 'unknown', 'added', 'removed'
COLOUR = {SAME: (105, 105, 105), ADDED: (0, 200, 0), REMOVED: (220, 0, 0), UNKNOWN: (255, 0, 255)}
UNUSED = (0, 0, 176)
RANK = {SAME: 0, CHANGED: 1, ADDED: 2, REMOVED: 3, UNKNOWN: 4}
failures = []


def check(ok, msg):
    if not ok:
        failures.append(msg)
    return ok


class Dump:
    """An address space as the test built it: regions [start, end), each
    with its bytes and how many of them were captured."""

    def __init__(self):
        self.regions = []     # (start, end, bytes, captured)

    def add(self, start, data, captured=None):
        self.regions.append((start, start + len(data), bytes(data),
                             len(data) if captured is None else captured))

    def write_raw(self, path):
        assert len(self.regions) == 1
        open(path, 'wb').write(self.regions[0][2])

    def write_lime(self, path):
        with open(path, 'wb') as f:
            for s, e, d, c in self.regions:
                f.write(struct.pack('<IIQQ8x', 0x4C694D45, 1, s, e - 1) + d)
            # a capture cut short: the last region keeps only its first `captured` bytes
            s, e, d, c = self.regions[-1]
            f.truncate(f.tell() - (len(d) - c))


def expect(a, b, granule):
    """Per byte of [lo, hi): the state; then ranges and totals as memlens should say."""
    lo = min(r[0] for r in a.regions + b.regions)
    hi = max(r[1] for r in a.regions + b.regions)
    n = hi - lo
    va, vb = np.zeros(n, np.uint8), np.zeros(n, np.uint8)
    ina, inb = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    capa, capb = np.zeros(n, bool), np.zeros(n, bool)
    for d, v, reg, cap in ((a, va, ina, capa), (b, vb, inb, capb)):
        for k, (s, e, data, c) in enumerate(d.regions):
            v[s - lo:e - lo] = np.frombuffer(data, np.uint8)
            reg[s - lo:e - lo] = k
            cap[s - lo:s - lo + c] = True
    both = (ina >= 0) & (inb >= 0)
    known = both & capa & capb
    changed = known & (va != vb)
    st = {
        'pages': len(set(((np.nonzero(changed)[0] + lo) // 4096).tolist())),
        'compared': int(known.sum()), 'changed': int(changed.sum()),
        'unknown': int((both & ~known).sum()), 'added': int(((inb >= 0) & (ina < 0)).sum()),
        'removed': int(((ina >= 0) & (inb < 0)).sum()),
    }
    # ranges: changed bytes by granule, never across a region pair
    ranges = []
    idx = np.nonzero(changed)[0]
    cur = None
    for i in idx:
        addr = lo + int(i)
        pair = (int(ina[i]), int(inb[i]))
        rs, re_ = b.regions[pair[1]][0], b.regions[pair[1]][1]
        ps, pe = max(rs, a.regions[pair[0]][0]), min(re_, a.regions[pair[0]][1])
        gs, ge = max(addr // granule * granule, ps), min(addr // granule * granule + granule, pe)
        if cur and cur[3] == pair and gs <= cur[1]:
            cur[1] = max(cur[1], ge)
            cur[2] += 1
        else:
            if cur:
                ranges.append(tuple(cur[:3]))
            cur = [gs, ge, 1, pair]
    if cur:
        ranges.append(tuple(cur[:3]))
    # the state of each byte of the union, in address order, with B's byte
    union = (ina >= 0) | (inb >= 0)
    state = np.full(n, 0, np.uint8)     # 0 same, 1 changed, 2 added, 3 removed, 4 unknown
    state[changed] = 1
    state[(inb >= 0) & (ina < 0)] = 2
    state[(ina >= 0) & (inb < 0)] = 3
    state[both & ~known] = 4
    st['changed_at'] = np.nonzero(changed)[0] + lo
    return st, ranges, state[union], vb[union]


NAMES = [SAME, CHANGED, ADDED, REMOVED, UNKNOWN]


def pixels(state, vals, bpp):
    """Expected (RGB, state) of each full-size pixel of the union stream."""
    B = bpp // 8
    npix = (len(state) + B - 1) // B
    out = []
    for p in range(npix):
        s = NAMES[int(state[p * B:p * B + B].max())]
        if s != CHANGED:
            out.append((COLOUR[s], s))
            continue
        raw = bytes(vals[p * B:p * B + B]).ljust(B, b'\0')
        out.append(((raw[0],) * 3 if B == 1 else tuple(raw[:3]), s))
    return out


def run(args, **kw):
    return subprocess.run([MEMLENS] + args, capture_output=True, text=True, **kw)


def diff_json(fa, fb, extra):
    p = run(['diff', fa, fb, '--json'] + extra)
    check(p.returncode == 0, f'diff {fa} {fb} {extra}: exit {p.returncode}: {p.stderr}')
    return json.loads(p.stdout) if p.returncode == 0 else None


def compare(name, a, b, fa, fb, granule, extra=()):
    st, ranges, _, _ = expect(a, b, granule)
    d = diff_json(fa, fb, ['--granule', str(granule)] + list(extra))
    if not d:
        return
    t = d['totals']
    check(t['changed_pages'] == st['pages'], f'{name}: changed_pages {t["changed_pages"]}, expected {st["pages"]}')
    for k in ('changed', 'compared', 'unknown', 'added', 'removed'):
        check(t[k + '_bytes'] == st[k], f'{name} granule {granule}: {k}_bytes {t[k + "_bytes"]}, expected {st[k]}')
    got = [(int(r['start'], 16), int(r['end'], 16), r['bytes']) for r in d['changed']]
    if check(got == ranges, f'{name} granule {granule}: {len(got)} ranges, expected {len(ranges)}'):
        return
    for g, w in zip(got, ranges):
        if g != w:
            failures.append(f'{name}: first difference: memlens {tuple(map(hex, g[:2]))}+{g[2]}, '
                            f'expected {tuple(map(hex, w[:2]))}+{w[2]}')
            break


def check_picture(name, a, b, fa, fb, bpp, width, extra=(), scale=1, hilbert=False):
    _, _, state, vals = expect(a, b, 1)
    out = os.path.join(T, f'{name}.png')
    args = ['diff', fa, fb, '-o', out, '--bpp', str(bpp)] + list(extra)
    args += ['--layout', 'hilbert'] if hilbert else ['--width', str(width)]
    if scale > 1:
        args += ['--scale', str(scale)]
    p = run(args)
    if not check(p.returncode == 0, f'{" ".join(args)}: exit {p.returncode}: {p.stderr}'):
        return
    im = Image.open(out).convert('RGB')
    px = im.load()
    want = pixels(state, vals, bpp)
    bad = []
    if hilbert:
        order = order_for(len(want))
        check(im.size == (1 << order, 1 << order), f'{name}: size {im.size}, order {order}')
        for i, (w, _) in enumerate(want):
            x, y = point(order, i)
            if px[x, y] != w:
                bad.append(f'pixel {i} at ({x},{y}): {px[x, y]}, expected {w}')
        for i in range(len(want), 1 << (2 * order)):
            x, y = point(order, i)
            if px[x, y] != UNUSED:
                bad.append(f'unused cell {i}: {px[x, y]}')
    else:
        h = (len(want) + width - 1) // width
        ow, oh = (width + scale - 1) // scale, (h + scale - 1) // scale
        check(im.size == (ow, oh), f'{name}: size {im.size}, expected {(ow, oh)}')
        for oy in range(oh):
            for ox in range(ow):
                cells = [want[y * width + x] for y in range(oy * scale, min(h, oy * scale + scale))
                         for x in range(ox * scale, min(width, ox * scale + scale)) if y * width + x < len(want)]
                # holes and unused canvas are left out of an average, as in image
                col = [c for c, s in cells if s != UNKNOWN]
                if col:
                    w = tuple((sum(c[k] for c in col) + len(col) // 2) // len(col) for k in range(3))
                else:
                    w = COLOUR[UNKNOWN] if cells else UNUSED
                if px[ox, oy] != w:
                    bad.append(f'({ox},{oy}): {px[ox, oy]}, expected {w}')
    check(not bad, f'{name}: {len(bad)} pixels wrong, first {bad[:3]}')


rng = np.random.default_rng(14)


def rand(n):
    return bytearray(rng.integers(0, 256, n, dtype=np.uint8).tobytes())


# 1. Two raw dumps: changes at the edges of memlens's 1 MiB blocks and of
# pages, single bytes, runs, equal bytes inside a changed run, the last
# byte; B is longer (its tail is added).
base = rand(3 << 20)
newer = bytearray(base) + rand(5000)
for off, n in ((0, 1), (4095, 2), (100, 9), (1 << 20, 1), ((1 << 20) - 3, 6), ((2 << 20) + 7, 4096 * 3 + 5),
               (len(base) - 1, 1), (777777, 300)):
    newer[off:off + n] = bytes(x ^ 0x5a for x in newer[off:off + n])
newer[777777 + 100] = base[777777 + 100]    # an equal byte splits that run (granule 1)
A, B = Dump(), Dump()
A.add(0x10000, base)
B.add(0x10000, newer)
fa, fb = os.path.join(T, 'a.raw'), os.path.join(T, 'b.raw')
A.write_raw(fa)
B.write_raw(fb)
for g in (1, 2, 16, 4096, 1 << 20):
    compare('raw', A, B, fa, fb, g, ['--base', '10000'])
# the same files the other way round: the tail is removed
compare('raw reversed', B, A, fb, fa, 1, ['--base', '10000'])
# identical dumps: nothing changed
d = diff_json(fa, fa, ['--base', '10000'])
if d:
    check(d['changed'] == [] and d['totals']['changed_bytes'] == 0 and
          d['totals']['compared_bytes'] == len(base), f'a dump against itself: {d["totals"]}')

# 2. LiME dumps: a range only A has (removed), one B grew into (added and
# resized), and B cut short inside what both have (unknown bytes).
la, lb = Dump(), Dump()
r1, r2 = rand(0x2000), rand(0x3000)
la.add(0x1000, r1)
la.add(0x5000, r2)
r1b = bytearray(r1)
r1b[0x10:0x20] = rand(16)
r2b = bytearray(r2[0x1000:]) + rand(0x1000)
r2b[0x100] ^= 1
lb.add(0x1000, r1b)
lb.add(0x6000, r2b, captured=0x1800)
fla, flb = os.path.join(T, 'a.lime'), os.path.join(T, 'b.lime')
la.write_lime(fla)
lb.write_lime(flb)
for g in (1, 8):
    compare('lime', la, lb, fla, flb, g)
d = diff_json(fla, flb, [])
if d:
    check(len(d['mapping_changes']) == 1 and d['mapping_changes'][0]['changes'] == ['size'],
          f'lime: mapping changes {d["mapping_changes"]}')
    check(d['added'] == [] and d['removed'] == [], f'lime: added {d["added"]}, removed {d["removed"]}')
p = run(['diff', fla, flb, '--strict', '--json'])
check(p.returncode == 1 and 'unknown' in p.stderr, f'--strict with unknown bytes: exit {p.returncode}, {p.stderr}')
# a region only one side has is listed as added / removed
lc = Dump()
lc.add(0x1000, r1)
lc.add(0x20000, rand(0x1000))
flc = os.path.join(T, 'c.lime')
lc.write_lime(flc)
d = diff_json(fla, flc, [])
if d:
    check([r['start'] for r in d['added']] == ['0x20000'] and [r['start'] for r in d['removed']] == ['0x5000'],
          f'added {d["added"]}, removed {d["removed"]}')
    check(d['totals']['added_bytes'] == 0x1000 and d['totals']['removed_bytes'] == 0x3000, f'{d["totals"]}')

# 3. Pictures against the pixel rules: rows at full size and shrunk,
# 8 and 24 bpp, a Hilbert curve; added, removed, unknown and unused.
small_a, small_b = Dump(), Dump()
sa = rand(20000)
sb = bytearray(sa) + rand(3001)
sb[50:60] = rand(10)
sb[9000:9100] = rand(100)
small_a.add(0, sa)
small_b.add(0, sb)
fsa, fsb = os.path.join(T, 'sa.raw'), os.path.join(T, 'sb.raw')
small_a.write_raw(fsa)
small_b.write_raw(fsb)
check_picture('rows24', small_a, small_b, fsa, fsb, 24, 64)
check_picture('rows8', small_a, small_b, fsa, fsb, 8, 200)
check_picture('rows24s3', small_a, small_b, fsa, fsb, 24, 64, scale=3)
check_picture('removed', small_b, small_a, fsb, fsa, 24, 50)
check_picture('hilbert', small_a, small_b, fsa, fsb, 24, 0, hilbert=True)
check_picture('lime', la, lb, fla, flb, 24, 128)
check_picture('lime8s2', la, lb, fla, flb, 8, 128, scale=2)

# 4. The terminal summary: its page count, and its map cell by cell (a
# cell is as many pages as the line above the map says).
st, _, _, _ = expect(A, B, 1)
p = run(['diff', fa, fb, '--base', '10000', '--color', 'never'], env=dict(os.environ, COLUMNS='100'))
if check(p.returncode == 0, f'summary: exit {p.returncode}: {p.stderr}'):
    lines = p.stdout.splitlines()
    want = f'changed in {st["pages"]} pages'
    check(any(want in l for l in lines), f'summary lacks "{want}": {lines[:6]}')
    cellline = [l for l in lines if 'map: a cell is' in l]
    if check(len(cellline) == 1, f'summary: map header {cellline}'):
        ppc = int(cellline[0].split('(')[1].split()[0])
        first = 0x10000 // 4096
        pages = (0x10000 + len(base) + 4095) // 4096 - first
        ncells = (pages + ppc - 1) // ppc
        hot = set(((st['changed_at'] // 4096 - first) // ppc).tolist())
        want_cells = ''.join('#' if c in hot else '.' for c in range(ncells))
        maplines = [l for l in lines if l.startswith('  0000')]
        got_cells = ''.join(l.split()[1] for l in maplines)
        check(got_cells == want_cells, f'summary map: {got_cells[:80]}... expected {want_cells[:80]}...')
        check(all(len(l.split()[1]) == 100 - 20 for l in maplines[:-1]), 'summary map: rows not 80 cells wide')

for f in failures:
    print('FAIL:', f, file=sys.stderr)
print(f'diff oracle: {len(failures)} failures')
sys.exit(1 if failures else 0)
