#!/usr/bin/python3
"""live_faults: faults a live read must survive (issue 19), on cue.

  live_faults.py MEMLENS LIVE_TARGET DIR

memlens writes the "fault" area of tests/live_target as sound to a pipe
this script holds: after 64 KiB it is blocked a few hundred KiB into the
area's first 16 MiB quarter.  Then the target, told on its stdin, unmaps
the middle half (one quarter it had filled, one it never touched) or
exits; the rest of the sound shows what memlens made of it.  The oracle
is the target's own record (its "NAME START END SEED" lines, the pattern
rule in live_check.py, its "done" after munmap) and the kernel's maps.
Holes are kept as silence (0x80), so every byte keeps its place.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_check  # noqa: E402

MEMLENS, TARGET, DIR = sys.argv[1:4]
SILENCE = 0x80


def start_target(tag):
    p = subprocess.Popen([TARGET, DIR], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True, bufsize=1)
    out = os.path.join(DIR, f'{tag}.out')
    with open(out, 'w') as f:
        for line in p.stdout:
            f.write(line)
            if line.startswith('ready'):
                break
    return p, live_check.areas(out)


def expect(tgt, name):
    return b''.join(b'\x80' * n if d is None else d for n, d in live_check.expected(tgt, name))


def wav_data(b):
    assert b[:4] == b'RIFF' and b[8:12] == b'WAVE', b[:16]
    off = 12
    while off + 8 <= len(b):
        cid, size = b[off:off + 4], int.from_bytes(b[off + 4:off + 8], 'little')
        if cid == b'data':
            return b[off + 8:]
        off += 8 + size + (size & 1)
    raise AssertionError('no data chunk')


def first_diff(a, b):
    n = min(len(a), len(b))
    lo, hi = 0, n          # a[:lo] == b[:lo]; find the first differing index
    if a[:n] == b[:n]:
        return n
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def sound(pid, area, *extra):
    a, b, _ = area
    return subprocess.Popen([MEMLENS, 'sound', str(pid), '--region', f'{a:#x}-{b:#x}',
                             '--holes', 'silence', *extra, '-o', '-'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def warnings_only(err):
    lines = err.decode(errors='replace').splitlines()
    bad = [l for l in lines if not l.startswith('memlens: sound: warning: ')]
    assert not bad, f'not a warning: {bad}'
    return lines


def unmapped_mid_read():
    tgt_p, tgt = start_target('unmap')
    pid = tgt_p.pid
    m = sound(pid, tgt['fault'])
    head = m.stdout.read(65536)
    tgt_p.stdin.write('unmap_mid\n')
    tgt_p.stdin.flush()
    assert tgt_p.stdout.readline() == 'done\n', 'the target did not unmap'
    q1, q3 = tgt['fault_q1'], tgt['fault_q3']
    maps = [tuple(int(x, 16) for x in l.split()[0].split('-')) for l in open(f'/proc/{pid}/maps')]
    assert not any(s < q3[0] and e > q1[0] for s, e in maps), 'the kernel still maps the middle'
    rest, err = m.communicate()
    tgt_p.kill()
    tgt_p.wait()
    assert m.returncode == 0, (m.returncode, err)
    got = wav_data(head + rest)
    want = (expect(tgt, 'fault_q0') + bytes([SILENCE]) * (q3[0] - q1[0]) + expect(tgt, 'fault_q3'))
    assert len(got) == len(want), (len(got), len(want))
    at = first_diff(got, want)
    assert at == len(want), f'unmapped mid-read: byte {at:#x} is {got[at]:#x}, expected {want[at]:#x}'
    lines = warnings_only(err)
    assert any('went away or changed while being read: holes' in l for l in lines), lines
    print('unmapped mid-read: the filled quarters intact, the unmapped half silence; ' + ' / '.join(lines))


def exited_mid_read():
    tgt_p, tgt = start_target('exit')
    m = sound(tgt_p.pid, tgt['fault'])
    head = m.stdout.read(65536)
    tgt_p.stdin.write('exit\n')
    tgt_p.stdin.flush()
    assert tgt_p.wait() == 0
    rest, err = m.communicate()
    assert m.returncode == 0, (m.returncode, err)
    got = wav_data(head + rest)
    a, b, _ = tgt['fault']
    data = expect(tgt, 'fault_q0')
    assert len(got) == b - a, (len(got), b - a)
    cut = first_diff(got, data)
    # What was read before the exit is the target's; the rest is holes.
    assert 65536 - 64 <= cut < len(data), f'the data ends at {cut:#x}'
    assert got[cut:] == bytes([SILENCE]) * (len(got) - cut), 'after the exit: not all holes'
    lines = warnings_only(err)
    assert any('exited (or exec\'d) while being read' in l for l in lines), lines
    print(f'exited mid-read: {cut:#x} bytes read before the exit, the rest silence; ' + ' / '.join(lines))


def unreadable_pages():
    tgt_p, tgt = start_target('guard')
    m = sound(tgt_p.pid, tgt['guard'])
    out, err = m.communicate()
    assert m.returncode == 0, (m.returncode, err)
    got, want = wav_data(out), expect(tgt, 'guard')
    at = first_diff(got, want)
    assert at == len(want) == len(got), f'guard area: byte {at:#x}'
    lines = warnings_only(err)
    if 'guard_hole' in tgt:
        assert any('8.0 KiB' in l for l in lines), lines
    strict = sound(tgt_p.pid, tgt['guard'], '--strict')
    _, err = strict.communicate()
    tgt_p.kill()
    tgt_p.wait()
    if 'guard_hole' in tgt:
        assert strict.returncode == 1, ('--strict', strict.returncode, err)
    print('guard pages mid-mapping: holes in place' if 'guard_hole' in tgt else
          'no MADV_GUARD_INSTALL here: the area reads whole')


unmapped_mid_read()
exited_mid_read()
unreadable_pages()
