#!/usr/bin/python3
"""live_check: oracles for the live-source tests, written apart from memlens.

  live_check.py snap PID OUT.json
      per mapping of /proc/PID/maps: pages present, swapped, and mapped to
      the zero page, read from the kernel's pagemap and kpageflags (root).
  live_check.py same BEFORE.json AFTER.json WHAT
      fails, naming the mappings, when a page became present, swapped or
      mapped to the zero page between the two snapshots, or the mappings
      differ.  Pages that left (the kernel's own reclaim: DAMON runs here)
      are no change a reader could have made and are not counted.
  live_check.py image TARGET.out PICTURE NAME
      PICTURE (24 bpp, rgb order, holes marked) of the area NAME of
      tests/live_target must show exactly what the target put there:
      its pattern, zeros where it touched nothing, the file's bytes for a
      file mapping, and the hole colour where the process has no bytes.
  live_check.py bytes TARGET.out NAME
      the expected bytes of NAME, with holes as 0x80 (silence), on stdout.
  live_check.py mem PID START END PICTURE
      PICTURE (24 bpp, rgb) must show the bytes /proc/PID/mem gives for
      [START, END) now (a read that faults pages in: run it last).

The target's own record (its "NAME START END SEED" lines) says where each
area is; the rules below are the ones tests/live_target.c fills them with.
"""
import json
import struct
import sys

PS = 4096
ZERO_PAGE_FLAG = 1 << 24        # kpageflags KPF_ZERO_PAGE
PRESENT, SWAPPED, GUARD = 1 << 63, 1 << 62, 1 << 58
PFN_MASK = (1 << 55) - 1


def snap(pid):
    regions = []
    with open(f'/proc/{pid}/pagemap', 'rb') as pm, open('/proc/kpageflags', 'rb') as kf:
        for line in open(f'/proc/{pid}/maps'):
            f = line.split()
            a, b = (int(x, 16) for x in f[0].split('-'))
            name = f[5] if len(f) > 5 else ''
            if a >= 1 << 63:          # [vsyscall]: no pagemap words up there
                continue
            pm.seek(a // PS * 8)
            raw = pm.read((b - a) // PS * 8)
            words = struct.unpack(f'{len(raw) // 8}Q', raw)
            present, swapped, zero = [], [], []
            for i, w in enumerate(words):
                if w & GUARD:
                    continue
                if w & SWAPPED:
                    swapped.append(i)
                if w & PRESENT:
                    present.append(i)
                    pfn = w & PFN_MASK
                    if pfn:
                        kf.seek(pfn * 8)
                        if struct.unpack('Q', kf.read(8))[0] & ZERO_PAGE_FLAG:
                            zero.append(i)
            regions.append({'range': f[0], 'name': name, 'pages': len(words),
                            'present': present, 'swapped': swapped, 'zero_page': zero})
    return regions


def areas(path):
    out = {}
    for line in open(path):
        f = line.split()
        if len(f) == 4 and f[0] != 'file':
            out[f[0]] = (int(f[1], 16), int(f[2], 16), int(f[3]))
        elif len(f) == 3 and f[0] == 'file':
            out['file'] = (f[1], int(f[2]))
    return out


def pattern_page(p, seed):
    k = (7 * p + seed) % 256
    return (bytes(range(k, 256)) + bytes(range(0, k))) * (PS // 256)


def file_page(p):
    row = bytes(ord('a') + (j + p) % 26 for j in range(26))
    return (row * (PS // 26 + 2))[:PS]


def expected(tgt, name):
    """[(length, bytes or None for a hole)] of area NAME, in address order."""
    a, b, seed = tgt[name]
    pages = (b - a) // PS
    if name in ('anon_untouched', 'fault_q2'):
        return [(b - a, bytes(b - a))]
    if name == 'anon_mixed':
        return [(PS, pattern_page(p, seed) if p % 2 == 0 else bytes(PS)) for p in range(pages)]
    if name in ('memfd_shared',) or name.startswith('fault_q'):
        first = (a - tgt['fault'][0]) // PS if name.startswith('fault_q') else 0
        return [(PS, pattern_page(first + p, seed)) for p in range(pages)]
    if name == 'shared_anon':
        return [(PS, pattern_page(0, seed))] + [(PS, bytes(PS))] * (pages - 1)
    if name == 'deleted_private':
        return [(PS, file_page(p)) for p in range(pages)]
    if name == 'file_private':
        size = tgt['file'][1]
        eof_page_end = -(-size // PS) * PS
        out = []
        for p in range(pages):
            if p * PS >= eof_page_end:
                out.append((PS, None))             # past the file's last page: SIGBUS
            else:
                keep = max(0, min(PS, size - p * PS))
                out.append((PS, file_page(p)[:keep] + bytes(PS - keep)))
        return out
    if name == 'guard':
        holes = tgt.get('guard_hole')
        out = []
        for p in range(pages):
            at = a + p * PS
            hole = holes and holes[0] <= at < holes[1]
            out.append((PS, None if hole else pattern_page(p, seed)))
        return out
    raise SystemExit(f'no rule for area {name}')


def merged(segs):
    """Adjacent segments of the same kind joined: [(offset, length, bytes|None)]."""
    out, off = [], 0
    for n, data in segs:
        if out and (out[-1][2] is None) == (data is None):
            out[-1][1] += n
            if data is not None:
                out[-1][2].append(data)
        else:
            out.append([off, n, None if data is None else [data]])
        off += n
    return [(o, n, None if d is None else b''.join(d)) for o, n, d in out]


def check_image(tgt, picture, name):
    from PIL import Image
    img = Image.open(picture).convert('RGB').tobytes()
    magenta = b'\xff\x00\xff'
    for off, n, data in merged(expected(tgt, name)):
        # Pixels wholly inside the segment; a pixel straddling two is not judged.
        i0, i1 = -(-off // 3), (off + n) // 3
        got = img[3 * i0:3 * i1]
        if data is None:
            want = magenta * (i1 - i0)
        else:
            want = data[3 * i0 - off:3 * i1 - off]
        if got != want:
            bad = next(i for i in range(len(want)) if got[i:i + 1] != want[i:i + 1])
            raise SystemExit(f'{name}: byte {3 * i0 + bad:#x} of the picture is '
                             f'{got[bad:bad + 3].hex()}, expected {want[bad:bad + 3].hex()} '
                             f'({"hole" if data is None else "data"} segment at {off:#x}+{n:#x})')


def main():
    cmd = sys.argv[1]
    if cmd == 'snap':
        json.dump(snap(int(sys.argv[2])), open(sys.argv[3], 'w'), indent=0)
    elif cmd == 'same':
        a, b = (json.load(open(p)) for p in sys.argv[2:4])
        diff = []
        if [(x['range'], x['name']) for x in a] != [(y['range'], y['name']) for y in b]:
            diff.append(f'mappings before: {[x["range"] for x in a]}, after: {[y["range"] for y in b]}')
        for x, y in zip(a, b):
            for k in ('present', 'swapped', 'zero_page'):
                new = sorted(set(y[k]) - set(x[k]))
                if new:
                    diff.append(f"{x['range']} {x['name']}: {len(new)} page(s) newly {k} "
                                f"(first at page {new[0]}; {len(x[k])} -> {len(y[k])})")
        if diff:
            raise SystemExit(f'{sys.argv[4]} changed the target\'s pagemap:\n  ' + '\n  '.join(diff))
    elif cmd == 'image':
        tgt = areas(sys.argv[2])
        check_image(tgt, sys.argv[3], sys.argv[4])
    elif cmd == 'mem':
        from PIL import Image
        a, b = int(sys.argv[3], 16), int(sys.argv[4], 16)
        with open(f'/proc/{sys.argv[2]}/mem', 'rb') as f:
            f.seek(a)
            want = f.read(b - a)
        n = (b - a) // 3 * 3
        got = Image.open(sys.argv[5]).convert('RGB').tobytes()[:n]
        if got != want[:n]:
            at = next(i for i in range(n) if got[i] != want[i])
            raise SystemExit(f'byte {at:#x} of {a:#x}-{b:#x} is {got[at]:#x}, /proc/PID/mem says {want[at]:#x}')
    elif cmd == 'bytes':
        tgt = areas(sys.argv[2])
        for n, data in expected(tgt, sys.argv[3]):
            sys.stdout.buffer.write(b'\x80' * n if data is None else data)
    else:
        raise SystemExit(__doc__)


if __name__ == '__main__':
    main()
