#!/usr/bin/env python3
"""Oracles for `memlens pagemap`, independent of memlens.

  pagemap_check.py smaps PID REPORT.json     counts agree with /proc/PID/smaps
  pagemap_check.py words PID OUT             save every pagemap word of PID's mappings
  pagemap_check.py same A.json B.json [keys-that-may-differ...]
"""
import json
import re
import struct
import sys

HDR = re.compile(r'^([0-9a-f]+)-([0-9a-f]+) (\S{4}) [0-9a-f]+ \S+ \d+\s*(.*)$')


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


def fail(msg):
    print('FAIL:', msg, file=sys.stderr)
    sys.exit(1)


def check_smaps(pid, report):
    sm = smaps(pid)
    rep = json.load(open(report))
    ps = rep['page_size']
    checked = 0
    for r in rep['regions']:
        s = sm.get(int(r['start'], 16))
        if s is None:
            fail(f"region {r['start']} not in smaps")
        if r['path'] == '[vsyscall]':
            continue
        if r['present'] * ps != s['Rss']:
            fail(f"{r['start']} {r['path']}: present {r['present']} pages != Rss {s['Rss']}")
        if r['swapped'] * ps != s.get('Swap', 0):
            fail(f"{r['start']}: swapped {r['swapped']} != Swap {s.get('Swap')}")
        if r['perms'][3] == 'p' and r['anon'] * ps != s['Anonymous']:
            fail(f"{r['start']} {r['path']}: anon {r['anon']} pages != Anonymous {s['Anonymous']}")
        checked += 1
    tot = rep['totals']
    for k in ('present', 'anon', 'file', 'swapped', 'guard'):
        if tot[k] != sum(r[k] for r in rep['regions']):
            fail(f'totals.{k} is not the sum of the regions')
    print(f'{checked} regions agree with smaps')


def words(pid, out):
    sm = smaps(pid)
    res = []
    with open(f'/proc/{pid}/pagemap', 'rb') as f:
        for start, s in sorted(sm.items()):
            if s['path'] == '[vsyscall]':
                continue
            n = (s['end'] - start) // 4096
            f.seek(start // 4096 * 8)
            data = f.read(n * 8)
            res.append([start, list(struct.unpack(f'<{len(data) // 8}Q', data))])
    json.dump(res, open(out, 'w'))


def same(a, b, *loose):
    ja, jb = json.load(open(a)), json.load(open(b))
    for k in loose:
        ja.pop(k, None)
        jb.pop(k, None)
    if ja != jb:
        fail(f'{a} and {b} differ')


if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'smaps':
        check_smaps(int(sys.argv[2]), sys.argv[3])
    elif cmd == 'words':
        words(int(sys.argv[2]), sys.argv[3])
    elif cmd == 'same':
        same(*sys.argv[2:])
