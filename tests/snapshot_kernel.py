#!/usr/bin/env python3
"""The kernel as the oracle of `memlens snapshot`: the same stopped
process dumped by memlens and then by the kernel itself (a fatal signal
with `ulimit -c unlimited`) under the same coredump_filter.  Both cores
are parsed here from the ELF specification, not by memlens:

- the notes come in the same order with the same owners, types and sizes
  (MEMLENS's own note aside), NT_FILE and NT_AUXV are byte for byte the
  kernel's, NT_PRPSINFO and each NT_PRSTATUS agree on the process and the
  thread, and on the registers a signal does not change;
- the same mappings, with the same permissions; each dumped as much as the
  kernel dumped, but for the differences memlens-snapshot(1) states
  ([vvar] and [vsyscall] are not dumped; readable anonymous memory never
  written is dumped as holes); the bytes both dumped are equal, but for
  each thread's struct rseq, which the kernel rewrites as it schedules;
- memlens's core is sparse: its blocks on disk are at most 1.05 times the
  bytes it says it copied, plus its headers and notes.

  snapshot_kernel.py MEMLENS_CORE KERNEL_CORE SUMMARY.json MAPS
"""
import json
import os
import struct
import sys

MINE, KERNEL, SUMMARY, MAPS = sys.argv[1:5]
failures = []


def parse(path):
    with open(path, 'rb') as f:
        eh = f.read(64)
        assert eh[:4] == b'\x7fELF' and eh[4] == 2 and eh[5] == 1, path
        e_type, e_machine = struct.unpack_from('<HH', eh, 16)
        assert e_type == 4 and e_machine == 62, (path, e_type, e_machine)
        phoff, = struct.unpack_from('<Q', eh, 32)
        phnum, = struct.unpack_from('<H', eh, 56)
        f.seek(phoff)
        raw = f.read(56 * phnum)
        loads, notes = [], []
        for i in range(phnum):
            t, fl, off, va, pa, fs, ms, al = struct.unpack_from('<IIQQQQQQ', raw, 56 * i)
            if t == 1:
                loads.append(dict(flags=fl, off=off, va=va, filesz=fs, memsz=ms))
            elif t == 4:
                f.seek(off)
                data = f.read(fs)
                at = 0
                while at + 12 <= len(data):
                    nsz, dsz, typ = struct.unpack_from('<III', data, at)
                    name = data[at + 12:at + 12 + nsz].rstrip(b'\0').decode()
                    d0 = at + 12 + ((nsz + 3) & ~3)
                    notes.append((name, typ, data[d0:d0 + dsz]))
                    at = d0 + ((dsz + 3) & ~3)
    return loads, notes


def read(path, load, a, n):
    with open(path, 'rb') as f:
        f.seek(load['off'] + a - load['va'])
        return f.read(n)


mine_loads, mine_notes = parse(MINE)
k_loads, k_notes = parse(KERNEL)
summary = json.load(open(SUMMARY))['snapshot']

# 1. notes
mn = [(n, t, len(d)) for n, t, d in mine_notes if n != 'MEMLENS']
kn = [(n, t, len(d)) for n, t, d in k_notes]
if mn != kn:
    failures.append(f'notes differ:\n memlens {mn}\n kernel  {kn}')
if sum(1 for n, *_ in mine_notes if n == 'MEMLENS') != 1:
    failures.append('memlens\'s core does not hold exactly one MEMLENS note')


def first(notes, typ):
    return [d for n, t, d in notes if t == typ and n == 'CORE']


for typ, name in ((0x46494c45, 'NT_FILE'), (6, 'NT_AUXV')):
    a, b = first(mine_notes, typ), first(k_notes, typ)
    if a != b:
        failures.append(f'{name} differs from the kernel\'s')
a, b = first(mine_notes, 3)[0], first(k_notes, 3)[0]
# prpsinfo: nice, flag (PF_* bits other than the dumping ones), uid, gid, pid, ppid, pgrp, sid, fname, psargs
for name, off, size in (('nice', 3, 1), ('uid', 16, 4), ('gid', 20, 4), ('pid', 24, 4), ('ppid', 28, 4),
                        ('pgrp', 32, 4), ('sid', 36, 4), ('fname', 40, 16), ('psargs', 56, 80)):
    if a[off:off + size] != b[off:off + size]:
        failures.append(f'NT_PRPSINFO {name}: memlens {a[off:off + size]!r} kernel {b[off:off + size]!r}')
REG = ['r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi',
       'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs']
# A fatal signal with no handler takes the thread out of its system call: the
# registers that says (rax, orig_rax, rcx, r11) may differ; no other.
SAME = [r for r in REG if r not in ('rax', 'orig_rax', 'rcx', 'r11')]


def threads(notes):
    res = {}
    for d in first(notes, 1):
        pid, ppid, pgrp, sid = struct.unpack_from('<iiii', d, 32)
        regs = dict(zip(REG, struct.unpack_from('<27Q', d, 112)))
        res[pid] = (ppid, pgrp, sid, regs, struct.unpack_from('<Q', d, 24)[0])
    return res


mt, kt = threads(mine_notes), threads(k_notes)
if sorted(mt) != sorted(kt):
    failures.append(f'threads: memlens {sorted(mt)} kernel {sorted(kt)}')
if first(mine_notes, 1) and first(k_notes, 1) and \
        struct.unpack_from('<i', first(mine_notes, 1)[0], 32) != struct.unpack_from('<i', first(k_notes, 1)[0], 32):
    failures.append('the first NT_PRSTATUS is not the same thread')
for tid in sorted(set(mt) & set(kt)):
    a, b = mt[tid], kt[tid]
    if a[:3] != b[:3]:
        failures.append(f'thread {tid}: ppid/pgrp/sid {a[:3]} vs kernel {b[:3]}')
    for r in SAME:
        if a[3][r] != b[3][r]:
            failures.append(f'thread {tid}: {r} {a[3][r]:#x} vs kernel {b[3][r]:#x}')
    if a[4] != b[4]:
        failures.append(f'thread {tid}: signals held {a[4]:#x} vs kernel {b[4]:#x}')
lay_m = [d for n, t, d in mine_notes if t == 0x205]
lay_k = [d for n, t, d in k_notes if t == 0x205]
if lay_m != lay_k:
    failures.append('NT_X86_XSAVE_LAYOUT differs from the kernel\'s')

# 2. mappings, what was dumped, and the bytes
maps = {}
for line in open(MAPS):
    f = line.split(None, 5)
    s, e = (int(x, 16) for x in f[0].split('-'))
    maps[s] = (e, f[1], f[5].strip() if len(f) > 5 else '')
km = {l['va']: l for l in k_loads}
mm = {l['va']: l for l in mine_loads}
if sorted(mm) != sorted(km):
    failures.append(f'mappings differ: only memlens {[hex(a) for a in set(mm) - set(km)]}, '
                    f'only kernel {[hex(a) for a in set(km) - set(mm)]}')
if sorted(mm) != sorted(maps):
    failures.append('memlens\'s mappings are not /proc/PID/maps\'s')
diffs = {'vvar/vsyscall': 0, 'untouched anonymous': 0, 'rseq bytes': 0}
# Each thread's struct rseq (glibc puts it at the thread pointer plus
# __rseq_offset) is written by the kernel whenever the thread is scheduled:
# its cpu and concurrency ids may change between the two dumps, and nothing
# else may.  The offset is this C library's, the target's too.
try:
    import ctypes
    RSEQ = ctypes.c_long.in_dll(ctypes.CDLL(None), '__rseq_offset').value
except (ValueError, OSError):
    RSEQ = None
rseq = [(t[3]['fs_base'] + RSEQ, t[3]['fs_base'] + RSEQ + 32) for t in mt.values()] if RSEQ else []


def in_rseq(addr):
    return any(a <= addr < b for a, b in rseq)

compared = 0
for va in sorted(set(mm) & set(km)):
    a, b = mm[va], km[va]
    end, perms, path = maps.get(va, (0, '----', ''))
    if a['memsz'] != b['memsz'] or a['flags'] != b['flags']:
        failures.append(f'{va:#x}: size/flags {a["memsz"]:#x}/{a["flags"]} vs kernel {b["memsz"]:#x}/{b["flags"]}')
    if a['filesz'] != b['filesz']:
        if path.startswith('[vvar') or path == '[vsyscall]':
            if a['filesz'] == 0:
                diffs['vvar/vsyscall'] += 1
                continue
        elif (not path or path.startswith('[anon') or path in ('[heap]', '[stack]')) and b['filesz'] == 0 \
                and a['filesz'] == a['memsz'] and perms[:3] != '---':
            diffs['untouched anonymous'] += 1
            continue
        failures.append(f'{va:#x} {perms} {path}: memlens dumped {a["filesz"]:#x}, the kernel {b["filesz"]:#x}')
        continue
    n = min(a['filesz'], b['filesz'])
    step = 1 << 20
    for at in range(0, n, step):
        x = read(MINE, a, va + at, min(step, n - at))
        y = read(KERNEL, b, va + at, min(step, n - at))
        if x != y:
            bad = [i for i in range(len(x)) if x[i] != y[i]]
            outside = [i for i in bad if not in_rseq(va + at + i)]
            diffs['rseq bytes'] += len(bad) - len(outside)
            if outside:
                failures.append(f'{va:#x} {path}: bytes differ at {va + at + outside[0]:#x}')
                break
    compared += n

# 3. sparse
blocks = os.stat(MINE).st_blocks * 512
headers = sum(len(d) for _, _, d in mine_notes) + 4096 + 56 * (len(mine_loads) + 1)
if blocks > 1.05 * summary['bytes_dumped'] + headers + 65536:
    failures.append(f'the core takes {blocks} bytes on disk for {summary["bytes_dumped"]} copied')
if summary['bytes_zero'] < 200 << 20:
    failures.append(f'bytes_zero {summary["bytes_zero"]}: the untouched reservation is not counted as holes')

for f in failures:
    print('FAIL:', f, file=sys.stderr)
print(f'{len(mm)} mappings, {len(mn)} notes, {compared} bytes equal to the kernel\'s; '
      f'documented differences {diffs}; {blocks} bytes on disk; {len(failures)} failures')
sys.exit(1 if failures else 0)
