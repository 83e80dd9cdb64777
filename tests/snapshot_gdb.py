#!/usr/bin/env python3
"""gdb as the oracle of `memlens snapshot`: gdb reads memlens's core and
gcore's core of the same stopped process and must see the same threads,
the same frames and the same registers; `x/64xb` at sampled addresses in
memlens's core must equal /proc/PID/mem now (the process is stopped).

  snapshot_gdb.py EXE MEMLENS_CORE GCORE_CORE PID ADDR...
"""
import re
import subprocess
import sys

EXE, MINE, THEIRS, PID = sys.argv[1:5]
ADDRS = [int(a, 16) for a in sys.argv[5:]]
REGS = ('rax rbx rcx rdx rsi rdi rbp rsp r8 r9 r10 r11 r12 r13 r14 r15 rip eflags '
        'cs ss ds es fs gs fs_base gs_base').split()
failures = []


def gdb(core, *cmds):
    args = ['gdb', '-batch', '-nx', '-c', core, EXE, '-ex', 'set pagination off', '-ex', 'set width 0']
    for c in cmds:
        args += ['-ex', c]
    p = subprocess.run(args, capture_output=True, text=True, timeout=300)
    return p.stdout


def threads(core):
    """{lwp: {'frames': [(pc, function)], 'regs': {name: value}}} from gdb."""
    out = gdb(core, 'info threads', 'thread apply all bt',
              'thread apply all info registers ' + ' '.join(REGS))
    res = {}
    cur = None
    for line in out.splitlines():
        m = re.match(r'^Thread \S+ \(Thread 0x[0-9a-f]+ \(LWP (\d+)\)\)', line) or \
            re.match(r'^Thread \S+ \(LWP (\d+)\)', line)
        if m:
            cur = res.setdefault(int(m.group(1)), {'frames': [], 'regs': {}})
            continue
        if cur is None:
            continue
        m = re.match(r'^#(\d+)\s+(?:(0x[0-9a-f]+) in )?(\S+) \(', line)
        if m:
            cur['frames'].append((m.group(2), m.group(3)))
            continue
        m = re.match(r'^(\w+)\s+(0x[0-9a-f]+|\[.*?\]|-?\d+)', line)
        if m and m.group(1) in REGS:
            cur['regs'][m.group(1)] = m.group(2)
    return res, out


mine, mine_out = threads(MINE)
theirs, theirs_out = threads(THEIRS)
if not mine:
    failures.append(f'gdb found no thread in memlens\'s core:\n{mine_out}')
if set(mine) != set(theirs):
    failures.append(f'threads differ: memlens {sorted(mine)}, gcore {sorted(theirs)}')
live = sorted(int(t) for t in __import__('os').listdir(f'/proc/{PID}/task'))
if sorted(mine) != live:
    failures.append(f'threads: memlens {sorted(mine)}, /proc/{PID}/task {live}')
for lwp in sorted(set(mine) & set(theirs)):
    a, b = mine[lwp], theirs[lwp]
    if a['frames'] != b['frames'] or len(a['frames']) < 2:
        failures.append(f'LWP {lwp}: frames differ or are too few:\n memlens {a["frames"]}\n gcore   {b["frames"]}')
    for r in REGS:
        if a['regs'].get(r) != b['regs'].get(r):
            failures.append(f'LWP {lwp}: {r} memlens {a["regs"].get(r)} gcore {b["regs"].get(r)}')
    if len(a['regs']) != len(REGS):
        failures.append(f'LWP {lwp}: gdb showed {len(a["regs"])} of {len(REGS)} registers')
# The program's own frames: every thread waits in wait_here, the workers under worker_a/b.
names = {lwp: [f for _, f in t['frames']] for lwp, t in mine.items()}
if int(PID) in names and not {'wait_here', 'main'} <= set(names[int(PID)]):
    failures.append(f'main thread frames: {names[int(PID)]}')
workers = [n for lwp, n in names.items() if lwp != int(PID)]
if sorted('worker_a' in n for n in workers) != sorted([True, False]) and len(workers) == 2:
    failures.append(f'worker frames: {workers}')

# x/64xb at each address against the live memory.
cmds = [f'x/64xb {a:#x}' for a in ADDRS]
out = gdb(MINE, *cmds)
seen = {}
for line in out.splitlines():
    m = re.match(r'^(0x[0-9a-f]+)(?: <[^>]*>)?:\s+(.*)$', line)
    if m:
        seen[int(m.group(1), 16)] = bytes(int(x, 16) for x in m.group(2).split())
with open(f'/proc/{PID}/mem', 'rb') as mem:
    for a in ADDRS:
        got = b''.join(seen.get(a + 8 * i, b'') for i in range(8))
        mem.seek(a)
        want = mem.read(64)
        if got != want:
            failures.append(f'x/64xb {a:#x}: gdb on memlens\'s core {got.hex()} /proc/{PID}/mem {want.hex()}')

for f in failures:
    print('FAIL:', f, file=sys.stderr)
print(f'{len(mine)} threads, {sum(len(t["frames"]) for t in mine.values())} frames, '
      f'{len(ADDRS)} addresses compared; {len(failures)} failures')
sys.exit(1 if failures else 0)
