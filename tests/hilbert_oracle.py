#!/usr/bin/python3
"""Oracle for memlens's Hilbert pictures, with its own curve: Hamilton's
Gray-code recursion (the formulation scurve/binvis uses), point = (x, y),
y down.  It never asks memlens where a cell is.

  hilbert_oracle.py image INPUT OUT.png BPP [--fit SIDE] [--entropy]
      every cell of `memlens image --layout hilbert` against the bytes
  hilbert_oracle.py gimage INPUT OUT.png BPP [--fit W H]
      every cell of `memlens image --layout hilbert --curve gilbert`: the
      generalized curve by its published recursion (J. Cervený), here
  hilbert_oracle.py entropy-rows INPUT OUT.png WIDTH
      every pixel of `memlens image --palette entropy` (rows) against the bytes
  hilbert_oracle.py map PID MAP.json MAP.png SPECIMEN_OUT
      `memlens hilbert PID` against the process's own maps and smaps
  hilbert_oracle.py core MAP.json MAP.png CORE
      `memlens hilbert CORE` against the core's own PT_LOAD headers
  hilbert_oracle.py system MAP.json MAP.png PID COMM
      `memlens hilbert --system` holds PID (named COMM), in proportion
  hilbert_oracle.py point ORDER INDEX        print "x y"
  hilbert_oracle.py cell MAP.json INDEX     print "x y cols": where a map's cell is
"""
import json
import os
import re
import math
import sys

from PIL import Image

# The documented colours (doc/image.md, doc/hilbert.md): holes magenta,
# canvas no byte or mapping reaches navy, and how far apart they stay.
HOLE = (255, 0, 255)
UNUSED = (0, 0, 176)
APART = 100
# The entropy ramp's stops (doc/image.md): entropy / 8 bits -> colour.
ENTROPY_STOPS = [(0.0, (0, 0, 0)), (0.4, (150, 20, 0)), (0.7, (230, 120, 0)),
                 (0.9, (255, 220, 60)), (1.0, (255, 255, 255))]


def _gray(v):
    return v ^ (v >> 1)


def _lrot(v, i):
    i %= 2
    return ((v << i) | (v >> (2 - i))) & 3


def _trailing_ones(v):
    n = 0
    while v & 1:
        v >>= 1
        n += 1
    return n


def point(order, h):
    e = d = 0
    p = [0, 0]
    for i in range(order):
        w = (h >> (2 * (order - i - 1))) & 3
        l = _lrot(_gray(w), d + 1) ^ e
        for j in range(2):
            if (l >> (1 - j)) & 1:
                p[j] |= 1 << (order - i - 1)
        e ^= _lrot(_gray(2 * ((w - 1) // 2)) if w else 0, d + 1)
        dw = 0 if w == 0 else (_trailing_ones(w) if w % 2 else _trailing_ones(w - 1)) % 2
        d = (d + dw + 1) % 2
    return p[0], p[1]


def gilbert_cells(w, h):
    """The generalized Hilbert curve on w x h, as the cells in curve order:
    the published recursion (J. Cervený, gilbert2d), in memlens's
    orientation (doc/hilbert.md): along x when wider than tall, else
    along y, from the top-left cell."""
    out = []
    sys.setrecursionlimit(10000)

    def sgn(v):
        return (v > 0) - (v < 0)

    def gen(x, y, ax, ay, bx, by):
        w_ = abs(ax + ay)
        h_ = abs(bx + by)
        dax, day, dbx, dby = sgn(ax), sgn(ay), sgn(bx), sgn(by)
        if h_ == 1:
            for _ in range(w_):
                out.append((x, y))
                x, y = x + dax, y + day
            return
        if w_ == 1:
            for _ in range(h_):
                out.append((x, y))
                x, y = x + dbx, y + dby
            return
        ax2, ay2, bx2, by2 = ax // 2, ay // 2, bx // 2, by // 2
        w2, h2 = abs(ax2 + ay2), abs(bx2 + by2)
        if 2 * w_ > 3 * h_:
            if w2 % 2 and w_ > 2:
                ax2, ay2 = ax2 + dax, ay2 + day
            gen(x, y, ax2, ay2, bx, by)
            gen(x + ax2, y + ay2, ax - ax2, ay - ay2, bx, by)
        else:
            if h2 % 2 and h_ > 2:
                bx2, by2 = bx2 + dbx, by2 + dby
            gen(x, y, bx2, by2, ax2, ay2)
            gen(x + bx2, y + by2, ax, ay, bx - bx2, by - by2)
            gen(x + (ax - dax) + (bx2 - dbx), y + (ay - day) + (by2 - dby), -bx2, -by2, -(ax - ax2), -(ay - ay2))

    if w > h:
        gen(0, 0, w, 0, 0, h)
    else:
        gen(0, 0, 0, h, w, 0)
    return out


def gilbert_shape(n):
    """doc/image.md: h the side of the smallest square holding n, w the columns of that height needed."""
    h = math.isqrt(n)
    if h * h < n:
        h += 1
    return -(-n // h), h


def check_gimage(args):
    inp, out, bpp = args[0], args[1], int(args[2])
    data = open(inp, 'rb').read()
    B = bpp // 8
    npix = (len(data) + B - 1) // B
    if '--fit' in args:
        bw, bh = int(args[args.index('--fit') + 1]), int(args[args.index('--fit') + 2])
        W = math.ceil(math.sqrt(npix * bw / bh))
        H = -(-npix // W)
        N = max(-(-W // bw), -(-H // bh), 1)
    else:
        (W, H), N = gilbert_shape(npix), 1
    cells = gilbert_cells(W, H)
    assert len(cells) == W * H and len(set(cells)) == W * H, 'the oracle curve is not a tour'
    ow, oh = -(-W // N), -(-H // N)
    im = Image.open(out)
    assert im.size == (ow, oh), (im.size, (ow, oh), (W, H, N))
    if bpp == 8:
        want_mode = 'L' if npix == W * H else 'RGB'
        assert im.mode == want_mode, (im.mode, want_mode)
    px = im.load()

    def raw(i):
        r = data[i * B:i * B + B].ljust(B, b'\0')
        return (r[0],) * 3 if B == 1 else tuple(r[:3])

    bad = Misses()
    sums = {}
    for i, (x, y) in enumerate(cells):
        if i >= npix:
            continue
        acc = sums.setdefault((x // N, y // N), [0, 0, 0, 0])
        v = raw(i)
        for k in range(3):
            acc[k] += v[k]
        acc[3] += 1
    for oy in range(oh):
        for ox in range(ow):
            got = px[ox, oy]
            got = (got,) * 3 if not isinstance(got, tuple) else got[:3]
            acc = sums.get((ox, oy))
            want = UNUSED if not acc else tuple((acc[k] + acc[3] // 2) // acc[3] for k in range(3))
            if got != want:
                bad.add(f'({ox},{oy}): {got}, expected {want}')
    return bad.verdict('cells', f'ok: {npix} pixels on a {W}x{H} gilbert curve, shrunk {N}x')


def order_for(n):
    o = 0
    while (1 << (2 * o)) < n:
        o += 1
    return o


def entropy_values(data, window=256):
    """Byte i: entropy of data[i-128:i+128] / log2(window), as 0..255."""
    out = []
    half = window // 2
    for i in range(len(data)):
        w = data[max(0, i - half):i + half]
        n = len(w)
        if n < 2:
            out.append(0)
            continue
        counts = {}
        for b in w:
            counts[b] = counts.get(b, 0) + 1
        h = -sum(c / n * math.log2(c / n) for c in counts.values())
        out.append(min(255, max(0, round(h / math.log2(window) * 255))))
    return out


def entropy_rgb(v):
    e = v / 255
    for (e0, c0), (e1, c1) in zip(ENTROPY_STOPS, ENTROPY_STOPS[1:]):
        if e <= e1:
            t = (e - e0) / (e1 - e0)
            return tuple(math.floor(a + (b - a) * t + 0.5) for a, b in zip(c0, c1))
    return ENTROPY_STOPS[-1][1]


def dist(a, b):
    return math.dist(a[:3], b[:3])


class Misses:
    """Counts the cells or pixels that differ and prints the first few."""

    def __init__(self):
        self.n = 0

    def add(self, msg):
        self.n += 1
        if self.n < 5:
            print(msg, file=sys.stderr)

    def verdict(self, what, ok):
        if self.n:
            print(f'FAIL: {self.n} {what} differ', file=sys.stderr)
            return 1
        print(ok)
        return 0


def check_image(args):
    inp, out, bpp = args[0], args[1], int(args[2])
    fit = int(args[args.index('--fit') + 1]) if '--fit' in args else None
    ent = '--entropy' in args
    data = open(inp, 'rb').read()
    B = bpp // 8
    npix = (len(data) + B - 1) // B
    order = order_for(npix)
    side = 1 << order
    im = Image.open(out)
    px = im.load()
    if ent:
        vals = entropy_values(data)
    if fit is None:
        assert im.size == (side, side), (im.size, side)
        # no holes in a file: gray only when no cell is left unused, never an alpha channel
        if bpp == 8 and not ent:
            want_mode = 'L' if npix == side * side else 'RGB'
            assert im.mode == want_mode, (im.mode, want_mode)
        bad = Misses()
        for i in range(npix):
            x, y = point(order, i)
            got = px[x, y]
            if ent:
                want = entropy_rgb(vals[i])
                if isinstance(got, tuple):
                    got = got[:3]
                if max(abs(a - b) for a, b in zip(got, want)) > 3:
                    bad.add(f'cell {i} at ({x},{y}): {got}, expected about {want}')
                continue
            raw = data[i * B:i * B + B].ljust(B, b'\0')
            if B == 1:
                want = raw[0]
                if isinstance(got, tuple):
                    want = (raw[0],) * 3 + ((255,) if len(got) == 4 else ())
            else:
                want = tuple(raw[:3])
                if isinstance(got, tuple) and len(got) == 4:
                    want += (255,)
            if got != want:
                bad.add(f'byte/pixel {i} at ({x},{y}): {got}, expected {want}')
        # cells past the end: the unused colour, opaque
        for i in range(npix, side * side):
            x, y = point(order, i)
            got = px[x, y]
            if not (isinstance(got, tuple) and got[:3] == UNUSED and (len(got) == 3 or got[3] == 255)):
                bad.add(f'empty cell {i} at ({x},{y}) is {got}, not the unused {UNUSED}')
        return bad.verdict('cells', f'ok: {npix} pixels on a {side}x{side} curve')
    # --fit: the largest power-of-two square <= fit; each cell averages 4^k pixels
    k = 0
    while (side >> k) > fit:
        k += 1
    oside = side >> k
    assert im.size == (oside, oside), (im.size, oside)
    per = 1 << (2 * k)
    bad = Misses()
    for c in range(oside * oside):
        x, y = point(order - k, c)
        got = px[x, y]
        vals = [data[i * B:i * B + B].ljust(B, b'\0') for i in range(c * per, min(npix, (c + 1) * per))]
        if not vals:
            if not (isinstance(got, tuple) and got[:3] == UNUSED):
                bad.add(f'empty cell {c} at ({x},{y}) is {got}, not the unused {UNUSED}')
            continue
        n = len(vals)
        if B == 1:
            want = (sum(v[0] for v in vals) + n // 2) // n
            got = got if not isinstance(got, tuple) else got[0]
        else:
            want = tuple((sum(v[ch] for v in vals) + n // 2) // n for ch in range(3))
            got = got[:3]
        if got != want:
            bad.add(f'cell {c} at ({x},{y}): {got}, expected {want}')
    return bad.verdict('averaged cells', f'ok: {oside}x{oside} cells of {per} pixels')


def check_entropy_rows(args):
    """`image --palette entropy` in the rows layout: pixel i (row-major,
    WIDTH a row) is the ramp's colour of byte i's entropy; the rest of the
    last row is the unused colour."""
    inp, out, width = args[0], args[1], int(args[2])
    data = open(inp, 'rb').read()
    vals = entropy_values(data)
    im = Image.open(out)
    height = -(-len(data) // width)
    assert im.size == (width, height), (im.size, width, height)
    assert im.mode == 'RGB', im.mode
    px = list(im.getdata())
    bad = Misses()
    for i, got in enumerate(px):
        want = entropy_rgb(vals[i]) if i < len(data) else UNUSED
        if max(abs(a - b) for a, b in zip(got, want)) > (3 if i < len(data) else 0):
            bad.add(f'pixel {i} ({i % width},{i // width}): {got}, expected about {want}')
    return bad.verdict('pixels', f'ok: {len(data)} entropy pixels in rows of {width}')


_curves = {}


def map_xy(m, c):
    """Where cell c of map m is, by the curve the map names, drawn by this
    oracle's own code; a gilbert map's shape must be the documented one
    for the cells it has."""
    if m.get('curve', 'hilbert') == 'hilbert':
        assert m['cols'] == m['rows'] == 1 << m['order'], m
        return point(m['order'], c)
    key = (m['cols'], m['rows'])
    if key not in _curves:
        used = m['runs'][-1]['last_cell'] + 1 if m['runs'] else 1
        assert m['cols'] * m['rows'] >= used and m['cols'] <= m['rows'], key
        _curves[key] = gilbert_cells(*key)
    return _curves[key][c]


def map_cells(m):
    return m['cols'] * m['rows']


def cell_pixel(px, m, c):
    """The colour at the centre of curve cell c."""
    x, y = map_xy(m, c)
    k = m['cell_pixels']
    return px[x * k + k // 2, y * k + k // 2][:3]


def own_kind(path):
    """The kind of a maps line, by this oracle's own rules."""
    if path == '':
        return 'anon'
    if path == '[heap]':
        return 'heap'
    if path == '[stack]' or path.startswith('[stack:'):
        return 'stack'
    if path == '[vdso]':
        return 'vdso'
    if path.startswith('[vvar'):
        return 'vvar'
    if path == '[vsyscall]':
        return 'vsyscall'
    if path.startswith('[') and path.endswith(']'):
        return 'other'
    return 'file'


def hexrgb(h):
    return tuple(int(h[i:i + 2], 16) for i in (1, 3, 5))


def is_shade(got, bright):
    """got == bright * (0.3 + 0.7 f) for some f in [0, 1], within rounding."""
    for f in range(0, 1001):
        want = [math.floor(b * (0.3 + 0.7 * f / 1000) + 0.5) for b in bright]
        if all(abs(a - b) <= 1 for a, b in zip(got, want)):
            return True
    return False


def check_legend(m, im):
    """Every legend colour is drawn below the map, as a swatch."""
    top = m['map_pixels']
    assert im.size == (m['width'], m['height']) and m['height'] > top, (im.size, m)
    seen = set(im.crop((0, top, im.size[0], im.size[1])).getdata())
    missing = [e for e in m['legend'] if hexrgb(e['colour']) not in seen]
    for e in missing:
        print(f"legend colour {e['colour']} ({e['label']}) is not in the picture's legend", file=sys.stderr)
    return len(missing)


def check_unused_apart(m):
    """The unused colour is in the legend, and no shade of any mapping's
    colour (30% to 100% of it), nor the gap white, comes within APART of it."""
    legend = {e['label']: hexrgb(e['colour']) for e in m['legend']}
    if legend.get('unused end of the curve') != UNUSED:
        print(f"legend: unused is {legend.get('unused end of the curve')}, not {UNUSED}", file=sys.stderr)
        return 1
    bad = 0
    for label, rgb in legend.items():
        if '(bright' not in label and not label.startswith('unmapped gap'):
            continue
        for f in range(0, 101):
            shade = tuple(v * (0.3 + 0.7 * f / 100) for v in rgb) if '(bright' in label else rgb
            if dist(shade, UNUSED) < APART:
                print(f'{label}: shade {shade} is within {APART} of the unused colour', file=sys.stderr)
                bad += 1
                break
    return bad


def check_map(args):
    pid, mfile, pfile, specout = args
    m = json.load(open(mfile))
    px = Image.open(pfile).convert('RGB').load()
    ps = os.sysconf('SC_PAGE_SIZE')
    maps = []
    for line in open(f'/proc/{pid}/maps'):
        f = line.rstrip('\n').split(None, 5)
        a, b = (int(v, 16) for v in f[0].split('-'))
        maps.append((a, b, f[5] if len(f) > 5 else ''))
    rss, cur = {}, None
    for line in open(f'/proc/{pid}/smaps'):
        mm = re.match(r'^([0-9a-f]+)-([0-9a-f]+) ', line)
        if mm:
            cur = (int(mm[1], 16), int(mm[2], 16))
        elif line.startswith('Rss:'):
            rss[cur] = int(line.split()[1]) * 1024
    bright = {}
    for e in m['legend']:
        mm = re.match(r'^(\w+) \(bright', e['label'])
        if mm:
            bright[mm[1]] = hexrgb(e['colour'])
    runs = m['runs']
    # Stretches tile the curve from cell 0 in order, without overlap.
    c = 0
    for r in runs:
        assert r['first_cell'] == c, (r, c)
        c = r['last_cell'] + 1
    used = c
    # One stretch per maps line, a gap stretch exactly between non-adjacent ones.
    want = []
    for i, (a, b, path) in enumerate(maps):
        if i and a != maps[i - 1][1]:
            want.append(('gap', maps[i - 1][1], a))
        want.append((own_kind(path), a, b))
    got = [(r['kind'], int(r['start'], 16), int(r['end'], 16)) for r in runs]
    if got != want:
        for g, w in zip(got, want):
            if g != w:
                print(f'stretch {g}, expected {w}', file=sys.stderr)
                break
        print(f'FAIL: {len(got)} stretches, expected {len(want)}', file=sys.stderr)
        return 1
    bad = 0
    for r, (kind, a, b) in zip(runs, want):
        cells = range(r['first_cell'], r['last_cell'] + 1)
        if kind == 'gap':
            if any(cell_pixel(px, m, c) != (255, 255, 255) for c in cells):
                print(f'gap {a:x}-{b:x} is not white', file=sys.stderr)
                bad += 1
            continue
        res = r['resident'] * ps
        if res != rss[(a, b)]:
            print(f'{a:x}-{b:x}: {res} bytes resident, smaps says {rss[(a, b)]}', file=sys.stderr)
            bad += 1
        for c in cells:
            p = cell_pixel(px, m, c)
            full = tuple(bright[kind])
            dim = tuple(math.floor(v * 0.3 + 0.5) for v in full)  # C's lround
            if rss[(a, b)] == 0 and p != dim:
                print(f'{kind} {a:x}-{b:x} not resident but cell {c} is {p}, not {dim}', file=sys.stderr)
                bad += 1
            elif rss[(a, b)] == b - a and p != full:
                print(f'{kind} {a:x}-{b:x} resident but cell {c} is {p}, not {full}', file=sys.stderr)
                bad += 1
            elif not is_shade(p, full):
                print(f'{kind} {a:x}-{b:x}: cell {c} is {p}, no shade of {full}', file=sys.stderr)
                bad += 1
    if m.get('curve') == 'gilbert':
        # the near-square rectangle for the cells used (doc/hilbert.md)
        assert (m['cols'], m['rows']) == gilbert_shape(used), (m['cols'], m['rows'], used)
    for c in range(used, map_cells(m)):
        if cell_pixel(px, m, c) != UNUSED:
            print(f'unused cell {c} is {cell_pixel(px, m, c)}, not {UNUSED}', file=sys.stderr)
            bad += 1
            break
    bad += check_unused_apart(m)
    if check_legend(m, Image.open(pfile).convert('RGB')):
        bad += 1
    # The specimen's own areas.
    spec = {}
    for line in open(specout):
        f = line.split()
        if len(f) == 3:
            spec[f[0]] = (int(f[1], 16), int(f[2], 16))
    def run_at(addr):
        return next(r for r in runs if int(r['start'], 16) <= addr < int(r['end'], 16))
    pa = spec['pattern']
    r = run_at(pa[0])
    # the pattern's mapping, or the run the kernel merged it into (an adjacent
    # anonymous mapping with the same permissions joins it in maps as well)
    vmas = [tuple(int(x, 16) for x in l.split()[0].split('-')) for l in open(f'/proc/{pid}/maps')]
    vma = next(v for v in vmas if v[0] <= pa[0] < v[1])
    assert pa[1] <= vma[1], (vma, pa)
    assert (r['kind'], int(r['start'], 16), int(r['end'], 16)) == ('anon', vma[0], vma[1]), (r, vma)
    # its first page was written: its cell is bright
    per = -(-r['pages'] // (r['last_cell'] - r['first_cell'] + 1))    # pages a cell
    c0 = r['first_cell'] + (pa[0] - vma[0]) // ps // per
    assert cell_pixel(px, m, c0) == tuple(bright['anon']), 'pattern start not bright'
    assert run_at(spec['heapblocks'][0])['kind'] == 'heap'
    if 'spaced' in spec:
        r = run_at(spec['spaced'][0])
        assert r['kind'] == 'file' and r['path'].endswith('with space.bin'), r
    if bad:
        print(f'FAIL: {bad} problems', file=sys.stderr)
        return 1
    print(f'ok: {len(maps)} mappings, {used} cells')
    return 0


def check_core(args):
    import struct
    mfile, pfile, core = args
    m = json.load(open(mfile))
    px = Image.open(pfile).convert('RGB').load()
    ps = os.sysconf('SC_PAGE_SIZE')
    raw = open(core, 'rb').read(1 << 20)
    phoff, = struct.unpack_from('<Q', raw, 0x20)
    phentsize, phnum = struct.unpack_from('<HH', raw, 0x36)
    loads = []
    for i in range(phnum):
        t, _, _, vaddr, _, filesz, memsz = struct.unpack_from('<IIQQQQQ', raw, phoff + i * phentsize)
        if t == 1 and memsz:
            loads.append((vaddr, vaddr + memsz, filesz))
    bright = {}
    for e in m['legend']:
        mm = re.match(r'^(\w+) \(bright', e['label'])
        if mm:
            bright[mm[1]] = hexrgb(e['colour'])
    runs = {int(r['start'], 16): r for r in m['runs'] if r['kind'] != 'gap'}
    bad = 0
    for a, b, filesz in loads:
        r = runs.get(a)
        if not r or int(r['end'], 16) != b:
            print(f'PT_LOAD {a:x}-{b:x} has no stretch', file=sys.stderr)
            bad += 1
            continue
        if r['captured'] != (filesz + ps - 1) // ps:
            print(f"{a:x}: {r['captured']} pages captured, PT_LOAD has {filesz} bytes", file=sys.stderr)
            bad += 1
        full = bright[r['kind']]
        dim = tuple(math.floor(v * 0.3 + 0.5) for v in full)
        want = dim if filesz == 0 else full if filesz == b - a else None
        for c in range(r['first_cell'], r['last_cell'] + 1):
            p = cell_pixel(px, m, c)
            if (want and p != want) or not is_shade(p, full):
                print(f'{a:x}: cell {c} is {p}, expected {want or "a shade of " + str(full)}', file=sys.stderr)
                bad += 1
    if bad or not loads:
        return 1
    print(f'ok: {len(loads)} PT_LOAD segments')
    return 0


def check_system(args):
    mfile, pfile, pid, comm = args
    pid = int(pid)
    m = json.load(open(mfile))
    px = Image.open(pfile).convert('RGB').load()
    runs = m['runs']
    cells = map_cells(m)
    c = 0
    for r in runs:
        assert r['first_cell'] == c, (r, c)
        c = r['last_cell'] + 1
    assert c <= cells
    if check_legend(m, Image.open(pfile).convert('RGB')):
        return 1
    pids = [r['pid'] for r in runs]
    assert pids == sorted(pids), 'not in pid order'
    mine = [r for r in runs if r['pid'] == pid]
    assert len(mine) == 1, f'pid {pid} missing'
    assert mine[0]['comm'] == comm, mine[0]
    total = sum(r['size'] for r in runs)
    spare = cells - len(runs)
    bad = 0
    for r in runs:
        n = r['last_cell'] - r['first_cell'] + 1
        share = 1 + r['size'] / total * spare
        if abs(n - share) > 1.01:
            print(f"pid {r['pid']}: {n} cells, its share is {share:.1f}", file=sys.stderr)
            bad += 1
        colour = hexrgb(r['colour'])
        for k in (r['first_cell'], r['last_cell']):
            if cell_pixel(px, m, k) != colour:
                print(f"pid {r['pid']}: cell {k} is {cell_pixel(px, m, k)}, not {colour}", file=sys.stderr)
                bad += 1
    if bad:
        return 1
    print(f'ok: {len(runs)} processes')
    return 0


def main():
    if sys.argv[1] == 'image':
        return check_image(sys.argv[2:])
    if sys.argv[1] == 'gimage':
        return check_gimage(sys.argv[2:])
    if sys.argv[1] == 'entropy-rows':
        return check_entropy_rows(sys.argv[2:])
    if sys.argv[1] == 'map':
        return check_map(sys.argv[2:])
    if sys.argv[1] == 'core':
        return check_core(sys.argv[2:])
    if sys.argv[1] == 'system':
        return check_system(sys.argv[2:])
    if sys.argv[1] == 'cell':
        m = json.load(open(sys.argv[2]))
        print(*map_xy(m, int(sys.argv[3])), m['cols'])
        return 0
    if sys.argv[1] == 'point':
        print(*point(int(sys.argv[2]), int(sys.argv[3])))
        return 0
    return 2


if __name__ == '__main__':
    sys.exit(main())
