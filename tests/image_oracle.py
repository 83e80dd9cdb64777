#!/usr/bin/python3
"""Pillow oracle for `memlens image`: decodes what memlens wrote and checks
every pixel against the byte rule of README/doc/image.md, computed here
from the input bytes alone.

  image_oracle.py check INPUT OUT BPP ORDER WIDTH [--palette P] [--alpha]
  image_oracle.py thumb INPUT OUT BPP WIDTH SCALE
  image_oracle.py same A B            (two pictures decode to the same pixels)
  image_oracle.py psnr A B MIN_DB     (B is within MIN_DB of A: PSNR over R, G, B)

Lossless formats (PNG, TIFF, lossless WebP) are checked alike; a BMP's
8 bpp holes and unused canvas are its checkerboard.
"""
import math
import sys

from PIL import Image

HOLE = (255, 0, 255)
UNUSED = (0, 0, 176)      # the rest of the last row: no byte maps there


def palette(name):
    pal = []
    for i in range(256):
        if name == 'gray':
            pal.append((i, i, i))
        elif name == 'byteclass':
            if i == 0:
                pal.append((0, 0, 0))
            elif i == 255:
                pal.append((255, 255, 255))
            elif 0x20 <= i <= 0x7e or i in (9, 10, 13):
                pal.append((0x37, 0x7e, 0xb8))
            elif i < 0x20:
                pal.append((0x4d, 0xaf, 0x4a))
            else:
                pal.append((0xe4, 0x1a, 0x1c))
        elif name == 'cubehelix':
            # D. A. Green (2011): start 0.5, rotations -1.5, hue 1, gamma 1.
            lam = i / 255
            phi = 2 * math.pi * (0.5 / 3 - 1.5 * lam)
            a = lam * (1 - lam) / 2
            c = [lam + a * (-0.14861 * math.cos(phi) + 1.78277 * math.sin(phi)),
                 lam + a * (-0.29227 * math.cos(phi) - 0.90649 * math.sin(phi)),
                 lam + a * (1.97294 * math.cos(phi))]
            pal.append(tuple(round(min(1, max(0, v)) * 255) for v in c))
    return pal


def geometry(nbytes, bpp, width):
    B = bpp // 8
    npix = -(-nbytes // B)
    if width == 'square':                  # W x W, rows past the last byte unused
        w = math.isqrt(npix)
        if w * w < npix:
            w += 1
        return B, npix, w, w
    w = int(width)
    return B, npix, w, -(-npix // w)


def expected(data, bpp, order, width, pal='gray', alpha=False, fmt='png'):
    """Returns (w, h, list of pixels as tuples, None past the last byte)."""
    B, npix, w, h = geometry(len(data), bpp, width)
    p = palette(pal)
    out = []
    for i in range(w * h):
        if i >= npix:
            out.append(None)
            continue
        px = data[i * B:i * B + B]
        px = px + bytes(B - len(px))      # a last partial pixel keeps its bytes
        if bpp == 8:
            out.append((px[0],) if pal == 'gray' else p[px[0]])
        elif bpp == 16:
            v = px[0] | px[1] << 8
            out.append(tuple((v >> s) & 31 for s in (10, 5, 0)))   # 5-bit channels
        else:
            r, g, b = (px[2], px[1], px[0]) if order == 'bgr' else (px[0], px[1], px[2])
            out.append((r, g, b, px[3]) if alpha else (r, g, b))
    return w, h, out


def fail(msg):
    print('FAIL:', msg, file=sys.stderr)
    sys.exit(1)


def check(inp, outp, bpp, order, width, pal='gray', alpha=False):
    data = open(inp, 'rb').read()
    bpp = int(bpp)
    fmt = 'bmp' if outp.endswith('.bmp') else 'png'      # png, tif, webp: the same rules
    w, h, exp = expected(data, bpp, order, width, pal, alpha, fmt)
    im = Image.open(outp)
    if im.size != (w, h):
        fail(f'{outp}: size {im.size} != {(w, h)}')
    # A file has no holes: an 8 bpp gray PNG stays gray unless the last row
    # is partial (its unused end needs a colour), and never gets alpha.
    # (WebP has no gray pictures: it decodes as RGB.)
    if fmt == 'png' and bpp == 8 and pal == 'gray' and not outp.endswith('.webp'):
        want_mode = 'L' if len(exp) == len(data) else 'RGB'
        if im.mode != want_mode:
            fail(f'{outp}: mode {im.mode}, expected {want_mode}')
    if im.mode == 'P':
        im = im.convert('RGB')
    px = list(im.getdata())
    for i, (got, want) in enumerate(zip(px, exp)):
        x, y = i % w, i // w
        if not isinstance(got, tuple):
            got = (got,)
        if want is None:
            if fmt == 'bmp' and bpp == 8:
                ok = got[0] == (255 if (x + y) & 1 else 0)     # checkerboard
            elif len(got) == 4:
                ok = got == UNUSED + (255,)
            elif bpp == 16:
                ok = tuple(c >> 3 for c in got) == tuple(c >> 3 for c in UNUSED)
            else:
                ok = got[:3] == UNUSED
        elif bpp == 16:
            ok = tuple(c >> 3 for c in got[:3]) == want and len(got) == 3
        elif len(got) == 4 and len(want) == 1:                # gray with an alpha channel
            ok = got == (want[0],) * 3 + (255,)
        elif len(got) == 4 and len(want) == 3:
            ok = got == want + (255,)
        elif len(got) == 3 and len(want) == 1:
            ok = got == want * 3
        else:
            ok = got == want
        if not ok:
            fail(f'{outp} ({bpp} bpp {order} width {width}): pixel ({x},{y}) is {got}, expected {want or "unused"}')
    print(f'{outp}: {len(px)} pixels OK')


def thumb(inp, outp, bpp, width, scale):
    data = open(inp, 'rb').read()
    bpp, scale = int(bpp), int(scale)
    w, h, exp = expected(data, bpp, 'rgb', width)
    ow, oh = -(-w // scale), -(-h // scale)
    im = Image.open(outp).convert('RGBA')
    if im.size != (ow, oh):
        fail(f'thumbnail size {im.size} != {(ow, oh)}')
    got = im.load()
    for oy in range(oh):
        for ox in range(ow):
            acc, n = [0, 0, 0], 0
            for y in range(oy * scale, min(h, oy * scale + scale)):
                for x in range(ox * scale, min(w, ox * scale + scale)):
                    p = exp[y * w + x]
                    if p is None:
                        continue
                    if len(p) == 1:
                        p = p * 3
                    acc = [a + c for a, c in zip(acc, p)]
                    n += 1
            if n == 0 and outp.endswith('.bmp') and bpp == 8:
                want = (255,) * 3 if (ox + oy) & 1 else (0,) * 3   # no spare palette entry
            else:
                want = UNUSED if n == 0 else tuple((a + n // 2) // n for a in acc)
            if got[ox, oy][:3] != want:
                fail(f'thumbnail pixel ({ox},{oy}) is {got[ox, oy]}, box average {want}')
    print(f'{outp}: {ow}x{oh} thumbnail OK')


def same(a, b):
    ia, ib = Image.open(a), Image.open(b)
    if ia.size != ib.size or list(ia.convert('RGBA').getdata()) != list(ib.convert('RGBA').getdata()):
        fail(f'{a} and {b} differ')


def psnr(a, b, min_db):
    """Peak signal-to-noise ratio of B against A over R, G and B, in dB."""
    ia, ib = Image.open(a).convert('RGB'), Image.open(b).convert('RGB')
    if ia.size != ib.size:
        fail(f'{a} is {ia.size}, {b} is {ib.size}')
    se = n = 0
    for pa, pb in zip(ia.getdata(), ib.getdata()):
        se += (pa[0] - pb[0]) ** 2 + (pa[1] - pb[1]) ** 2 + (pa[2] - pb[2]) ** 2
        n += 3
    db = float('inf') if se == 0 else 10 * math.log10(255 ** 2 * n / se)
    print(f'{b}: PSNR {db:.2f} dB against {a}')
    if db < float(min_db):
        fail(f'{b}: PSNR {db:.2f} dB, under {min_db} dB')


if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'check':
        pal = args[args.index('--palette') + 1] if '--palette' in args else 'gray'
        check(*args[:5], pal=pal, alpha='--alpha' in args)
    elif cmd == 'thumb':
        thumb(*args)
    elif cmd == 'same':
        same(*args)
    elif cmd == 'psnr':
        psnr(*args)
