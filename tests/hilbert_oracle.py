#!/usr/bin/python3
"""Oracle for memlens's Hilbert pictures, with its own curve: Hamilton's
Gray-code recursion (the formulation scurve/binvis uses), point = (x, y),
y down.  It never asks memlens where a cell is.

  hilbert_oracle.py image INPUT OUT.png BPP [--fit SIDE] [--entropy]
      every cell of `memlens image --layout hilbert` against the bytes
  hilbert_oracle.py point ORDER INDEX        print "x y"
"""
import math
import sys

from PIL import Image


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
    t = e - 0.5
    r = (4 * t - 4 * t * t) ** 4 if e > 0.5 else 0
    g = ((e - 0.75) / 0.25) ** 2 if e > 0.75 else 0
    return tuple(round(min(1, max(0, c)) * 255) for c in (r, g, e * e))


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
        bad = 0
        for i in range(npix):
            x, y = point(order, i)
            got = px[x, y]
            if ent:
                want = entropy_rgb(vals[i])
                if isinstance(got, tuple):
                    got = got[:3]
                if max(abs(a - b) for a, b in zip(got, want)) > 3:
                    bad += 1
                    if bad < 5:
                        print(f'cell {i} at ({x},{y}): {got}, expected about {want}', file=sys.stderr)
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
                bad += 1
                if bad < 5:
                    print(f'byte/pixel {i} at ({x},{y}): {got}, expected {want}', file=sys.stderr)
        # cells past the end: the hole colour, or transparent
        for i in range(npix, side * side):
            x, y = point(order, i)
            got = px[x, y]
            if not ((isinstance(got, tuple) and len(got) == 4 and got[3] == 0) or got == (255, 0, 255)):
                bad += 1
                if bad < 5:
                    print(f'empty cell {i} at ({x},{y}) is {got}', file=sys.stderr)
        if bad:
            print(f'FAIL: {bad} cells differ', file=sys.stderr)
            return 1
        print(f'ok: {npix} pixels on a {side}x{side} curve')
        return 0
    # --fit: the largest power-of-two square <= fit; each cell averages 4^k pixels
    k = 0
    while (side >> k) > fit:
        k += 1
    oside = side >> k
    assert im.size == (oside, oside), (im.size, oside)
    per = 1 << (2 * k)
    bad = 0
    for c in range(oside * oside):
        x, y = point(order - k, c)
        got = px[x, y]
        vals = [data[i * B:i * B + B].ljust(B, b'\0') for i in range(c * per, min(npix, (c + 1) * per))]
        if not vals:
            continue
        n = len(vals)
        if B == 1:
            want = (sum(v[0] for v in vals) + n // 2) // n
            got = got if not isinstance(got, tuple) else got[0]
        else:
            want = tuple((sum(v[ch] for v in vals) + n // 2) // n for ch in range(3))
            got = got[:3]
        if got != want:
            bad += 1
            if bad < 5:
                print(f'cell {c} at ({x},{y}): {got}, expected {want}', file=sys.stderr)
    if bad:
        print(f'FAIL: {bad} averaged cells differ', file=sys.stderr)
        return 1
    print(f'ok: {oside}x{oside} cells of {per} pixels')
    return 0


def main():
    if sys.argv[1] == 'image':
        return check_image(sys.argv[2:])
    if sys.argv[1] == 'point':
        print(*point(int(sys.argv[2]), int(sys.argv[3])))
        return 0
    return 2


if __name__ == '__main__':
    sys.exit(main())
