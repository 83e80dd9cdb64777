#!/usr/bin/env python3
"""Oracle checks for `memlens regions --json` against /proc/PID/maps and
/proc/PID/mem, written independently of memlens.

  check_regions.py maps-snapshot MAPS MEMJSON PID   save maps + sample bytes
  check_regions.py compare KIND SNAPSHOT REGIONS.json READ_AT SOURCE
      KIND: live | gcore | kcore
"""
import json
import os
import re
import subprocess
import sys

LINE = re.compile(r'^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) \S+ (\d+)\s*(.*)$')


def parse_maps(text):
    out = []
    for line in text.splitlines():
        m = LINE.match(line)
        assert m, f"unparsable maps line {line!r}"
        path = m.group(6) or None
        deleted = False
        if path and path.endswith(' (deleted)'):
            path, deleted = path[:-len(' (deleted)')], True
        out.append(dict(start=int(m.group(1), 16), end=int(m.group(2), 16),
                        perms=m.group(3), offset=int(m.group(4), 16),
                        path=path, deleted=deleted))
    return out


def snapshot(pid, out):
    with open(f'/proc/{pid}/maps') as f:
        maps = parse_maps(f.read())
    samples = []
    with open(f'/proc/{pid}/mem', 'rb', buffering=0) as mem:
        for r in maps:
            if r['path'] in ('[vvar]', '[vvar_vclock]', '[vsyscall]'):
                continue
            size = r['end'] - r['start']
            for addr in (r['start'], r['start'] + size // 2 - 8, r['end'] - 16):
                try:
                    mem.seek(addr)
                    data = mem.read(16)
                except OSError:
                    continue
                if len(data) == 16:
                    samples.append([addr, data.hex()])
    with open(out, 'w') as f:
        json.dump(dict(maps=maps, samples=samples), f)


def fail(msg):
    print('FAIL:', msg, file=sys.stderr)
    sys.exit(1)


def compare(kind, snap_path, regions_path, read_at, source):
    snap = json.load(open(snap_path))
    maps = {r['start']: r for r in snap['maps']}
    got = json.load(open(regions_path))
    regs = got['regions']
    want_src = {'live': 'live', 'gcore': 'core', 'kcore': 'core'}[kind]
    if got['source']['kind'] != want_src:
        fail(f"source kind {got['source']['kind']} != {want_src}")
    seen = set()
    for r in regs:
        start, end = int(r['start'], 16), int(r['end'], 16)
        if r['size'] != end - start:
            fail(f"size of {r['start']} is {r['size']}, not end-start")
        m = maps.get(start)
        if m is None:
            fail(f"{kind}: region {r['start']}-{r['end']} is not in /proc/PID/maps")
        if m['end'] != end:
            fail(f"{kind}: region {r['start']} ends at {r['end']}, maps says {m['end']:#x}")
        perms = r['perms']
        if kind == 'live' and perms != m['perms']:
            fail(f"live perms {perms} != {m['perms']} at {r['start']}")
        # A core records r/w/x but not private/shared; gcore skips some
        # file mappings (perms unknown, "????") and rounds vsyscall to r-x.
        if kind != 'live' and perms != '????' and m['path'] != '[vsyscall]':
            if perms[:3] != m['perms'][:3]:
                fail(f"{kind} perms {perms} != {m['perms']} at {r['start']}")
        mp = m['path']
        if mp and mp.startswith('/'):
            if r['path'] != mp:
                fail(f"{kind} path {r['path']!r} != {mp!r} at {r['start']}")
            if bool(r.get('deleted')) != m['deleted']:
                fail(f"{kind} deleted flag differs at {r['start']}")
            if r['file_offset'] != m['offset']:
                fail(f"{kind} file offset {r['file_offset']:#x} != {m['offset']:#x}")
        elif kind == 'live' and r['path'] != mp:
            fail(f"live path {r['path']!r} != {mp!r}")
        expect_kind = {'[heap]': 'heap', '[stack]': 'stack', '[vdso]': 'vdso',
                       '[vvar]': 'vvar', '[vvar_vclock]': 'vvar',
                       '[vsyscall]': 'vsyscall'}.get(mp)
        if expect_kind is None:
            expect_kind = 'file' if mp and mp.startswith('/') else 'anon'
        if r['kind'] != expect_kind:
            fail(f"{kind}: kind {r['kind']} != {expect_kind} at {r['start']} ({mp})")
        seen.add(start)
    # Every mapping must be there, except what a core cannot know about.
    for start, m in maps.items():
        if start in seen:
            continue
        if kind == 'gcore' and m['path'] in ('[vvar]', '[vvar_vclock]'):
            continue
        fail(f"{kind}: mapping {start:#x}-{m['end']:#x} {m['path']} missing")
    # Bytes: through memlens's reader, at the sampled addresses.
    cap = {int(r['start'], 16): r for r in regs}
    args = []
    want = []
    for addr, hexdata in snap['samples']:
        r = next((c for s0, c in cap.items() if s0 <= addr < int(c['end'], 16)), None)
        if r is None or addr + 16 > int(r['start'], 16) + r['captured']:
            continue
        args += [f'{addr:x}', '16']
        want.append((addr, hexdata))
    if len(want) < 3 * 5:
        fail(f"{kind}: only {len(want)} byte samples to check")
    out = subprocess.run([read_at, source] + args, check=True, capture_output=True,
                         text=True).stdout.split()
    # zip() would stop at the shorter list: a reader that printed fewer
    # lines than asked for must fail, not pass on what it did print.
    if len(out) != len(want):
        fail(f"{kind}: read_at printed {len(out)} samples for {len(want)} asked")
    for (addr, hexdata), line in zip(want, out):
        if line != hexdata:
            fail(f"{kind}: bytes at {addr:#x}: memlens {line} != /proc/PID/mem {hexdata}")
    print(f"{kind}: {len(regs)} regions and {len(want)} byte samples agree")


if __name__ == '__main__':
    if sys.argv[1] == 'snapshot':
        snapshot(int(sys.argv[2]), sys.argv[3])
    elif sys.argv[1] == 'compare':
        compare(*sys.argv[2:7])
    else:
        sys.exit('usage')
