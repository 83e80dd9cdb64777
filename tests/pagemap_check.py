#!/usr/bin/env python3
"""Oracles for `memlens pagemap`, independent of memlens: the kernel's own
files (/proc/PID/smaps, /proc/PID/pagemap, /proc/kpageflags, /proc/kpagecount,
/proc/meminfo, /proc/zoneinfo, /proc/iomem) read and decoded here.

  pagemap_check.py readmem PID               read every readable mapping through
                                             /proc/PID/mem, as gcore does (maps the
                                             zero page into untouched memory)
  pagemap_check.py smaps PID REPORT.json     counts agree with smaps and kpageflags
  pagemap_check.py words PID OUT             save every pagemap word of PID's mappings
  pagemap_check.py same A.json B.json [keys-that-may-differ...]
  pagemap_check.py csv PID WORDS SCAN.csv    per-page CSV against the saved words
  pagemap_check.py png PID WORDS PM.png WIDTH START-END...
                                             picture pixels against the page states
  pagemap_check.py physsnap OUT.json         class counts from kpageflags, and meminfo
  pagemap_check.py phys PHYS.json LINEAR.png HILBERT.png BEFORE.json MIDDLE.json AFTER.json PID
                                             --physical counts and pictures against
                                             kpageflags (snapshots around each run;
                                             the frames stopped PID holds exactly),
                                             meminfo and zoneinfo (numpy, Pillow)
"""
import json
import re
import struct
import sys

HDR = re.compile(r'^([0-9a-f]+)-([0-9a-f]+) (\S{4}) [0-9a-f]+ \S+ \d+\s*(.*)$')
PS = 4096
PFN = (1 << 55) - 1
# include/uapi/linux/kernel-page-flags.h
F = {n: 1 << b for n, b in (('LRU', 5), ('SLAB', 7), ('BUDDY', 10), ('MMAP', 11), ('ANON', 12),
                             ('HEAD', 15), ('TAIL', 16), ('HUGE', 17), ('NOPAGE', 20), ('THP', 22),
                             ('ZERO', 24), ('PGTABLE', 26), ('RESERVED', 32))}
AGING = 1 << 2 | 1 << 5 | 1 << 6 | 1 << 25
PMD_KEYS = ('AnonHugePages', 'ShmemPmdMapped', 'FilePmdMapped')


TARGET = None	# the pid being checked, to say so when it went away meanwhile


def fail(msg):
    import os
    if TARGET and not os.path.exists(f'/proc/{TARGET}/pagemap'):
        msg += f' (pid {TARGET} is gone: it was killed during the check, and its frames may be reused)'
    print('FAIL:', msg, file=sys.stderr)
    sys.exit(1)


def smaps(pid):
    out, cur = {}, None
    for line in open(f'/proc/{pid}/smaps'):
        m = HDR.match(line)
        if m:
            cur = out.setdefault(int(m.group(1), 16), {'end': int(m.group(2), 16),
                                                       'perms': m.group(3), 'path': m.group(4)})
            continue
        k, _, v = line.partition(':')
        if v.strip().endswith('kB'):
            cur[k] = int(v.split()[0]) * 1024
    return out


def pagemap_words(pid, start, end):
    with open(f'/proc/{pid}/pagemap', 'rb') as f:
        f.seek(start // PS * 8)
        data = f.read((end - start) // PS * 8)
    return list(struct.unpack(f'<{len(data) // 8}Q', data))


class KPage:
    """kpageflags / kpagecount of single frames."""

    def __init__(self):
        self.flags = open('/proc/kpageflags', 'rb')
        self.counts = open('/proc/kpagecount', 'rb')

    def _get(self, f, pfn):
        f.seek(pfn * 8)
        return struct.unpack('<Q', f.read(8))[0]

    def flag(self, pfn):
        return self._get(self.flags, pfn)

    def count(self, pfn):
        return self._get(self.counts, pfn)


def page_state(w, kflags, pmd_region):
    """The state the man page gives a page, from its word and frame flags."""
    if w >> 58 & 1:
        return 'guard'
    if w >> 62 & 1:
        return 'swap'
    if not w >> 63:
        return 'none'
    if kflags & F['ZERO']:
        return 'zero_page'
    if kflags & (F['THP'] | F['HEAD'] | F['TAIL']) and not kflags & F['HUGE']:
        return 'thp' if pmd_region else 'large_folio'
    return 'file' if w >> 61 & 1 else 'anon'


def region_pmd(s, words, kp):
    """Whether the THP-flagged pages of a VMA are all PMD-mapped (True), none are (False), or some (None)."""
    large = sum(1 for w in words if w >> 63 and kp.flag(w & PFN) & (F['THP'] | F['HEAD'] | F['TAIL'])
                and not kp.flag(w & PFN) & (F['HUGE'] | F['ZERO']))
    pmd = sum(s.get(k, 0) for k in PMD_KEYS) // PS
    if pmd == 0:
        return False
    return True if pmd == large else None


def readmem(pid):
    """Reads all readable mappings through /proc/PID/mem, as gcore does."""
    n = 0
    with open(f'/proc/{pid}/mem', 'rb', buffering=0) as mem:
        for start, s in sorted(smaps(pid).items()):
            if s['perms'][0] != 'r' or s['path'] in ('[vvar]', '[vvar_vclock]', '[vsyscall]'):
                continue
            for a in range(start, s['end'], 1 << 20):
                try:
                    mem.seek(a)
                    n += len(mem.read(min(1 << 20, s['end'] - a)))
                except OSError:
                    pass
    print(f'read {n} bytes through /proc/{pid}/mem')


def check_smaps(pid, report):
    sm = smaps(pid)
    rep = json.load(open(report))
    ps = rep['page_size']
    kp = KPage() if rep.get('kpageflags') else None
    checked = zero_total = large_total = 0
    for r in rep['regions']:
        s = sm.get(int(r['start'], 16))
        if s is None:
            fail(f"region {r['start']} not in smaps")
        if r['path'] == '[vsyscall]':
            continue
        where = f"{r['start']} {r['path']}"
        if r['present'] * ps != s['Rss']:
            fail(f"{where}: present {r['present']} pages != Rss {s['Rss']}")
        if r['swapped'] * ps != s.get('Swap', 0):
            fail(f"{where}: swapped {r['swapped']} != Swap {s.get('Swap')}")
        if r['perms'][3] == 'p' and r['anon'] * ps != s['Anonymous']:
            fail(f"{where}: anon {r['anon']} pages != Anonymous {s['Anonymous']}")
        if r['thp'] is not None and r['thp'] * ps != sum(s.get(k, 0) for k in PMD_KEYS):
            fail(f"{where}: thp {r['thp']} pages != {'+'.join(PMD_KEYS)} "
                 f"{[s.get(k, 0) for k in PMD_KEYS]}")
        if kp:
            # Zero-page and large-folio pages from the kernel's words and flags, read here.
            words = pagemap_words(pid, int(r['start'], 16), int(r['end'], 16))
            present = [w & PFN for w in words if w >> 63]
            flags = [kp.flag(p) for p in present]
            zero = sum(1 for f in flags if f & F['ZERO'])
            large = sum(1 for f in flags if f & (F['THP'] | F['HEAD'] | F['TAIL'])
                        and not f & (F['HUGE'] | F['ZERO']))
            large -= sum(s.get(k, 0) for k in PMD_KEYS) // ps
            if r['zero_page'] != zero:
                fail(f"{where}: zero_page {r['zero_page']} != {zero} pages with ZERO_PAGE in kpageflags")
            # A shared library's page-cache folios may be split meanwhile: only private regions are exact.
            if r['large_folio'] != large and (r['path'] is None or r['perms'][3] == 'p' and r['anon'] == r['present']):
                fail(f"{where}: large_folio {r['large_folio']} != {large} (THP-flagged pages less PMD-mapped)")
            zero_total += zero
            large_total += max(large, 0)
        checked += 1
    tot = rep['totals']
    for k in ('present', 'anon', 'file', 'swapped', 'guard', 'zero_page', 'thp', 'large_folio'):
        if tot[k] is not None and tot[k] != sum(r[k] for r in rep['regions']):
            fail(f'totals.{k} is not the sum of the regions')
    print(f'{checked} regions agree with smaps' + (f' and kpageflags ({zero_total} zero-page, '
                                                    f'{large_total} large-folio pages)' if kp else ''))


def words(pid, out):
    sm = smaps(pid)
    res = []
    for start, s in sorted(sm.items()):
        if s['path'] == '[vsyscall]':
            continue
        res.append([start, pagemap_words(pid, start, s['end'])])
    json.dump(res, open(out, 'w'))


def untouched(before, after):
    """The report read no memory: no page may have become present or
    swapped.  Pages may leave (the kernel's own reclaim, DAMON here) and a
    page's other bits may age meanwhile; those are not the report's doing."""
    a, b = json.load(open(before)), json.load(open(after))
    if [r[0] for r in a] != [r[0] for r in b]:
        fail('the mappings changed')
    for (start, wa), (_, wb) in zip(a, b):
        for i, (x, y) in enumerate(zip(wa, wb)):
            if (y >> 63 & 1 and not x >> 63 & 1) or (y >> 62 & 1 and not x >> 62 & 1):
                fail(f'page {i} of the mapping at {start:#x} became present or swapped')


# Counts of a shared file's pages that other processes change by mapping it
# or by page aging, between two runs.
VOLATILE = ('exclusive', 'shared', 'active', 'inactive')


def same(a, b, *loose):
    ja, jb = json.load(open(a)), json.load(open(b))
    for k in loose:
        ja.pop(k, None)
        jb.pop(k, None)
    for j in (ja, jb):
        for r in j['regions'] + [j['totals']]:
            if r.get('path') is not None or r is j['totals']:
                for k in VOLATILE:
                    r.pop(k, None)
    if ja != jb:
        for ra, rb in zip(ja['regions'], jb['regions']):
            if ra != rb:
                print(ra, rb, file=sys.stderr)
        fail(f'{a} and {b} differ')


def saved_words(path):
    """address -> word, from a `words` dump."""
    out = {}
    for start, ws in json.load(open(path)):
        for i, w in enumerate(ws):
            out[start + i * PS] = w
    return out


def expected_states(pid, wmap, addrs):
    """The state of each address, from the saved words, kpageflags and smaps."""
    kp = KPage()
    sm = sorted(smaps(pid).items())
    pmd_of = {}
    out = {}
    for a in addrs:
        vma = next((st for st, s in sm if st <= a < s['end']), None)
        if vma is None:
            fail(f'0x{a:x} is in no mapping')
        if vma not in pmd_of:
            s = dict(sm)[vma]
            pmd_of[vma] = region_pmd(s, [wmap[x] for x in range(vma, s['end'], PS) if x in wmap], kp)
        w = wmap[a]
        kf = kp.flag(w & PFN) if w >> 63 and w & PFN else 0
        out[a] = (page_state(w, kf, pmd_of[vma]), pmd_of[vma] is None)
    return out


def check_csv(pid, words_path, csv_path):
    """Every row of `--csv --pages` against the word saved before memlens ran, and the frame's flags."""
    wmap = saved_words(words_path)
    kp = KPage()
    lines = open(csv_path).read().splitlines()
    head = lines[0].split(',')
    want = ['address', 'present', 'swapped', 'file', 'exclusive', 'soft_dirty', 'uffd_wp', 'guard', 'pfn',
            'swap_type', 'swap_offset', 'kpageflags', 'kpagecount', 'state']
    if head != want:
        fail(f'CSV header {head}')
    rows = [dict(zip(head, ln.split(','))) for ln in lines[1:]]
    states = expected_states(pid, wmap, [int(r['address'], 16) for r in rows])
    kinds = {}
    for r in rows:
        a = int(r['address'], 16)
        w = wmap.get(a)
        if w is None:
            fail(f'0x{a:x}: not in the saved pagemap')
        guard, swapped, present = w >> 58 & 1, (w >> 62 & 1) and not w >> 58 & 1, w >> 63
        exp = {'present': present, 'swapped': int(swapped), 'file': w >> 61 & 1, 'exclusive': w >> 56 & 1,
               'soft_dirty': w >> 55 & 1, 'uffd_wp': w >> 57 & 1, 'guard': guard}
        for k, v in exp.items():
            if int(r[k]) != v:
                fail(f'0x{a:x}: {k} {r[k]}, the saved word 0x{w:x} says {v}')
        pfn = w & PFN if present else 0
        if (int(r['pfn'], 16) if r['pfn'] else 0) != pfn:
            fail(f"0x{a:x}: pfn {r['pfn']}, the saved word says 0x{pfn:x}")
        if swapped and (int(r['swap_type']) != w & 31 or int(r['swap_offset'], 16) != (w & PFN) >> 5):
            fail(f'0x{a:x}: swap entry')
        if pfn:
            # Page aging (REFERENCED, LRU, ACTIVE, IDLE) goes on while the target is stopped.
            if int(r['kpageflags'], 16) & ~AGING != kp.flag(pfn) & ~AGING:
                fail(f"0x{a:x}: kpageflags {r['kpageflags']} != 0x{kp.flag(pfn):x}")
            if int(r['kpagecount']) != kp.count(pfn):
                fail(f"0x{a:x}: kpagecount {r['kpagecount']} != {kp.count(pfn)}")
        st, ambiguous = states[a]
        if not ambiguous and r['state'] != st:
            fail(f"0x{a:x}: state {r['state']}, expected {st} (word 0x{w:x})")
        kinds[r['state']] = kinds.get(r['state'], 0) + 1
    print(f'{len(rows)} CSV rows agree with the saved pagemap and kpageflags: {kinds}')


def legend_of(im):
    """colour -> name, from "name=#rrggbb, name=#rrggbb" (names may hold ", ")."""
    out = {}
    for name, col in re.findall(r'(.+?)=#([0-9a-f]{6})(?:, |$)', im.info['Legend']):
        out[tuple(int(col[i:i + 2], 16) for i in (0, 2, 4))] = name
    return out


STATE_NAMES = {'none': 'not present', 'anon': 'present, anonymous', 'file': 'present, file or shared',
               'thp': 'transparent huge page (PMD-mapped)', 'large_folio': 'large folio (mapped by PTEs)',
               'zero_page': 'the zero page (read, never written)', 'swap': 'swapped out',
               'guard': 'guard (MADV_GUARD_INSTALL)'}


def map_box(im):
    """Where the map lies in the picture (its "Map" text: x= y= width= height=); labels and a caption around it."""
    f = dict(kv.split('=') for kv in im.info['Map'].split())
    x, y, w, h = (int(f[k]) for k in ('x', 'y', 'width', 'height'))
    if x + w > im.size[0] or y + h > im.size[1]:
        fail(f'the map {im.info["Map"]} is outside the {im.size} picture')
    return x, y, w, h


def check_png(pid, words_path, png, width, ranges):
    """One pixel per page, each range from a new row, then padding and a separator row."""
    from PIL import Image
    im = Image.open(png)
    legend = legend_of(im)
    x0, y0, w, h = map_box(im)
    rgb = im.convert('RGB').crop((x0, y0, x0 + w, y0 + h))
    px = rgb.load()
    if w != width:
        fail(f'picture is {w} wide, expected {width}')
    wmap = saved_words(words_path)
    # The selection rule: the union of the ranges, in address order, cut at mapping boundaries.
    spans = sorted(tuple(int(x, 16) for x in rg.split('-')) for rg in ranges)
    union = []
    for a, b in spans:
        if union and a <= union[-1][1]:
            union[-1][1] = max(union[-1][1], b)
        else:
            union.append([a, b])
    pieces = []
    for st, sm in sorted(smaps(pid).items()):
        for a, b in union:
            lo, hi = max(a, st), min(b, sm['end'])
            if lo < hi:
                pieces.append((lo, hi))
    y = n = 0
    for a, b in pieces:
        pages = list(range(a, b, PS))
        states = expected_states(pid, wmap, pages)
        for i, addr in enumerate(pages):
            got = legend.get(px[i % w, y + i // w])
            st, ambiguous = states[addr]
            if not ambiguous and got != STATE_NAMES[st]:
                fail(f'pixel ({i % w},{y + i // w}) for 0x{addr:x}: {got}, expected {STATE_NAMES[st]}')
            n += 1
        y += -(-len(pages) // w)
        for x in range(len(pages) % w or w, w):
            if legend.get(px[x, y - 1]) != 'unused':
                fail(f'padding ({x},{y - 1}) is {px[x, y - 1]}, not the unused colour')
        if any(legend.get(px[x, y]) != 'separator' for x in range(w)):
            fail(f'row {y} should separate the regions')
        y += 1
    if y != h:
        fail(f'picture is {h} rows, the layout gives {y}')
    print(f'{n} pixels have their pages\' states')


# ---- physical memory (numpy: 2^24 frames in a few vector passes) ----

CLASSES = ['free', 'anonymous', 'anon_thp', 'file_cache', 'file_thp', 'slab', 'page_table', 'hugetlb',
           'zero_page', 'reserved', 'no_flags', 'other']


def phys_classes(arr):
    """The class of each frame by the man page's rules, as indices into CLASSES."""
    import numpy as np

    def has(bit):
        return (arr & np.uint64(F[bit])) != 0
    head, tail = has('HEAD'), has('TAIL')
    # A folio: a head and the tails that follow it.  PMD-sized: PS/8 frames.
    starts = head | ~tail
    gid = np.cumsum(starts) - 1
    sizes = np.bincount(gid)
    pmd = ((sizes == PS // 8) & head[np.flatnonzero(starts)])[gid] & (head | tail)
    thp = has('THP') & pmd
    filelike = has('LRU') | has('MMAP') | has('THP')
    conds = [has('BUDDY'), has('NOPAGE'), has('ZERO'), has('SLAB'), has('PGTABLE'), has('HUGE'),
             has('ANON') & thp, has('ANON'), filelike & thp, filelike, arr == 0, has('RESERVED')]
    names = ['free', 'other', 'zero_page', 'slab', 'page_table', 'hugetlb', 'anon_thp', 'anonymous',
             'file_thp', 'file_cache', 'no_flags', 'reserved']
    return np.select(conds, [CLASSES.index(n) for n in names], CLASSES.index('other')).astype(np.uint8)


def ram_ranges():
    out = []
    for line in open('/proc/iomem'):
        if not line.startswith(' ') and 'System RAM' in line:
            a, b = line.split(' : ')[0].split('-')
            out.append((int(a, 16) // PS, int(b, 16) // PS - int(a, 16) // PS + 1))
    return out


def all_classes():
    import numpy as np
    parts = []
    with open('/proc/kpageflags', 'rb') as f:
        for first, n in ram_ranges():
            f.seek(first * 8)
            parts.append(phys_classes(np.frombuffer(f.read(n * 8), dtype='<u8')))
    return np.concatenate(parts)


def meminfo():
    m = {ln.split(':')[0]: int(ln.split()[1]) * 1024 // PS for ln in open('/proc/meminfo') if ln.split()[-1] == 'kB'}
    zfree = managed = 0
    for ln in open('/proc/zoneinfo'):
        p = ln.split()
        if p[:1] == ['nr_free_pages']:
            zfree += int(p[1])
        elif p[:1] == ['managed']:
            managed += int(p[1])
    m['zone_free'], m['managed'] = zfree, managed
    return m


def phys_snapshot(out):
    """Class counts from kpageflags, and the meminfo figures, now."""
    import numpy as np
    m = meminfo()
    cl = all_classes()
    m2 = meminfo()
    counts = np.bincount(cl, minlength=len(CLASSES))
    json.dump({'counts': dict(zip(CLASSES, map(int, counts))), 'meminfo': [m, m2]}, open(out, 'w'))
    np.save(out + '.npy', cl)


def hilbert_d2xy(order, d):
    """The classic quadrant walk, x and y exchanged at the end so that index 0
    is top-left and the curve ends bottom-left (binvis), for a vector of indices."""
    import numpy as np
    x = np.zeros_like(d)
    y = np.zeros_like(d)
    t = d.copy()
    s = 1
    while s < (1 << order):
        rx = (t // 2) & 1
        ry = (t ^ rx) & 1
        swap = ry == 0
        flip = swap & (rx == 1)
        x = np.where(flip, s - 1 - x, x)
        y = np.where(flip, s - 1 - y, y)
        x, y = np.where(swap, y, x), np.where(swap, x, y)
        x = x + s * rx
        y = y + s * ry
        t //= 4
        s *= 2
    return y, x


def held_frames(pid):
    """Frames a stopped process holds (its present pages): no other process can change them."""
    import numpy as np
    pfns = []
    for start, s in sorted(smaps(pid).items()):
        if s['path'] == '[vsyscall]':
            continue
        w = np.array(pagemap_words(pid, start, s['end']), dtype=np.uint64)
        w = w[(w >> np.uint64(63)) == 1] & np.uint64(PFN)
        pfns.append(w[w != 0])
    return np.unique(np.concatenate(pfns))


def frame_index(pfns):
    """Index of each frame in the concatenated System RAM ranges (-1 outside)."""
    import numpy as np
    idx = np.full(len(pfns), -1, dtype=np.int64)
    base = 0
    for first, n in ram_ranges():
        inside = (pfns >= first) & (pfns < first + n)
        idx[inside] = base + (pfns[inside].astype(np.int64) - first)
        base += n
    return idx


def check_phys(report, linear, hilbert, before, middle, after, holder):
    """The report and the linear picture (one run) against the frames' classes read here just
    before and after it, the Hilbert picture (the next run) against those after it and after
    that; the frames a stopped process holds exactly; the counts against meminfo and zoneinfo."""
    import numpy as np
    from PIL import Image
    j = json.load(open(report))
    c = j['counts']
    ram = sum(n for _, n in ram_ranges())
    if not j['pages'] == ram == sum(c.values()):
        fail(f"pages {j['pages']}, System RAM {ram}, sum of classes {sum(c.values())}")
    if sorted(c) != sorted(CLASSES):
        fail(f'classes {sorted(c)}')
    snaps = [json.load(open(p)) for p in (before, middle, after)]
    ms = snaps[0]['meminfo'] + snaps[1]['meminfo']

    def near(name, got, fn, tol=ram // 100):
        vals = [fn(m) for m in ms]
        lo, hi = min(vals), max(vals)
        tol += hi - lo
        if not lo - tol <= got <= hi + tol:
            fail(f'{name}: {got} pages, /proc says {lo}..{hi}')
        print(f'{name}: {got} pages, /proc says {lo}..{hi}')
    # MemFree counts the zones' free pages; a kernel that counts memory it has
    # not handed to its zones (MemTotal above their managed pages) as free
    # too (seen on a Firecracker guest) has that part in no free list.
    near('free (BUDDY) vs MemFree', c['free'], lambda m: m['MemFree'] - max(0, m['MemTotal'] - m['managed']))
    near("free (BUDDY) vs the zones' nr_free_pages", c['free'], lambda m: m['zone_free'])
    # Huge pages come and go 512 frames at a time: a tenth and two of them.
    near('anon_thp vs AnonHugePages', c['anon_thp'], lambda m: m['AnonHugePages'],
         max(m['AnonHugePages'] for m in ms) // 10 + 2 * PS // 8)
    near('file_thp vs FileHugePages+ShmemHugePages', c['file_thp'], lambda m: m['FileHugePages'] + m['ShmemHugePages'],
         max(m['FileHugePages'] + m['ShmemHugePages'] for m in ms) // 10 + 2 * PS // 8)
    near('file_cache+file_thp vs Cached+Buffers', c['file_cache'] + c['file_thp'], lambda m: m['Cached'] + m['Buffers'])
    cls = [np.load(p + '.npy') for p in (before, middle, after)]
    if len(set(map(len, cls))) != 1:
        fail('System RAM changed size while the test ran')
    held = frame_index(held_frames(int(holder)))
    held = held[held >= 0]
    if any((c[held] != cls[0][held]).any() for c in cls):
        fail(f'the frames pid {holder} holds changed class while it was stopped')
    if not len(held):
        fail(f'pid {holder} holds no frame of System RAM')
    result = {}
    for path, layout, (want, want2) in ((linear, 'linear', cls[0:2]), (hilbert, 'hilbert', cls[1:3])):
        im = Image.open(path)
        if im.info.get('Layout') != layout or im.mode != 'P':
            fail(f'{path}: layout {im.info.get("Layout")}, mode {im.mode}')
        legend = legend_of(im)
        pal = im.getpalette()
        names = [legend.get(tuple(pal[3 * i:3 * i + 3])) for i in range(len(pal) // 3)]
        if set(CLASSES) - set(names) or 'unused' not in names:
            fail(f'{path}: legend {names}')
        to_class = np.array([CLASSES.index(n) if n in CLASSES else 255 for n in names] + [255] * 256, dtype=np.uint8)
        x0, y0, w, h = map_box(im)
        data = np.frombuffer(im.crop((x0, y0, x0 + w, y0 + h)).tobytes(), dtype=np.uint8)
        if im.info['Scale'] != f'one cell = 1 page(s) of {PS} bytes':
            print(f'note: {im.info["Scale"]}: cells are not compared one to one')
            continue
        if layout == 'linear':
            pos = np.arange(len(want))
        else:
            if w != h or w & (w - 1):
                fail(f'{path}: {w}x{h} is no Hilbert square')
            x, y = hilbert_d2xy(w.bit_length() - 1, np.arange(len(want), dtype=np.int64))
            pos = y * w + x
        got = to_class[data[pos]]
        rest = np.ones(w * h, dtype=bool)
        rest[pos] = False
        if rest.any() and set(names[i] for i in np.unique(data[rest])) != {'unused'}:
            fail(f'{path}: canvas no frame maps to is not (only) the unused colour')
        if layout == 'linear':
            # The same pass drew the cells and counted the classes: they agree exactly.
            counts = np.bincount(got[got != 255], minlength=len(CLASSES))
            for i, k in enumerate(CLASSES):
                if int(counts[i]) != c[k]:
                    fail(f'{path}: {int(counts[i])} cells of {k}, the report of the same run counts {c[k]}')
        same = int(((got == want) | (got == want2)).sum())
        churn = int((want != want2).sum())
        if len(want) - same > 2 * churn + len(want) // 1000:
            fail(f"{path}: only {same} of {len(want)} cells have their frame's class "
                 f"({churn} frames changed class while memlens ran)")
        # The stopped process's frames, exactly: its THP, its anonymous and
        # page-cache pages, the zero page.
        bad = held[got[held] != want[held]]
        if len(bad):
            i = int(bad[0])
            fail(f'{path}: {len(bad)} of the {len(held)} frames pid {holder} holds are drawn in another class, '
                 f'e.g. frame #{i}: {names[data[pos[i]]]}, its flags say {CLASSES[want[i]]}')
        # Other frames change hands all the time, and a folio freed and taken
        # again between two reads is in its class at both: of the frames in a
        # class before and after, most must be drawn in it (a class drawn
        # wrong would have none).
        # Huge pages change hands 512 frames at a time (a THP freed and
        # another one made in its place between two reads): judged only
        # where there are enough of them for a few to move without deciding.
        for i, k in enumerate(CLASSES):
            stable = (want == i) & (want2 == i)
            n = int(stable.sum())
            agree = int((got[stable] == i).sum())
            least = 16 * (2 << 20) // PS if k.endswith('_thp') else 64
            if n >= least and agree < n // 2:
                fail(f'{path}: {agree} of the {n} frames that stayed {k} are drawn as {k}')
        result[layout] = f'{same} of {len(want)} ({churn} changed class meanwhile), all {len(held)} held'
    print(f'pictures: cells with the class of their frame as read here: {result}')


if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd in ('readmem', 'smaps', 'words', 'csv', 'png'):
        TARGET = int(sys.argv[2])
    if cmd == 'readmem':
        readmem(int(sys.argv[2]))
    elif cmd == 'smaps':
        check_smaps(int(sys.argv[2]), sys.argv[3])
    elif cmd == 'words':
        words(int(sys.argv[2]), sys.argv[3])
    elif cmd == 'same':
        same(*sys.argv[2:])
    elif cmd == 'untouched':
        untouched(*sys.argv[2:4])
    elif cmd == 'csv':
        check_csv(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif cmd == 'png':
        check_png(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6:])
    elif cmd == 'physsnap':
        phys_snapshot(sys.argv[2])
    elif cmd == 'phys':
        check_phys(*sys.argv[2:9])
    else:
        fail(f'unknown command {cmd}')
