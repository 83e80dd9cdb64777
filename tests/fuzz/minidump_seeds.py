#!/usr/bin/env python3
"""minidump_seeds.py OUTDIR: small minidumps for fuzz_minidump's seed corpus,
written here from the documented layouts (minidumpapiset.h; Breakpad's
Linux streams), not by memlens:
  linux.dmp    as lldb writes one: ThreadList, MiscInfo, LinuxProcStatus,
               LinuxCmdLine, LinuxMaps, MemoryList with the stack and a
               range that starts inside a mapping
  windows.dmp  as Windows writes a full dump: ModuleList, MemoryInfoList,
               Memory64List
  overlap.dmp  MemoryList ranges that overlap and one past the end of file
"""
import os
import struct
import sys

def build(streams):
    """streams: list of (type, bytes or callable(rva)->bytes)."""
    out = bytearray(32 + 12 * len(streams))
    dirents, rva = [], len(out)
    blobs = []
    for t, b in streams:
        data = b(rva) if callable(b) else b
        dirents.append((t, len(data), rva))
        blobs.append(data)
        rva += len(data)
    struct.pack_into('<IIIIIIQ', out, 0, 0x504d444d, 0xa793, len(streams), 32, 0, 0, 0)
    for i, (t, n, r) in enumerate(dirents):
        struct.pack_into('<III', out, 32 + 12 * i, t, n, r)
    return bytes(out) + b''.join(blobs)

def memlist(ranges):
    """ranges: [(start, bytes)]; the data follows the list."""
    def f(rva):
        head = struct.pack('<I', len(ranges))
        off = rva + 4 + 16 * len(ranges)
        descs, data = b'', b''
        for start, b in ranges:
            descs += struct.pack('<QII', start, len(b), off + len(data))
            data += b
        return head + descs + data
    return f

def pattern(n, seed):
    return bytes((i * 7 + seed) & 0xff for i in range(n))

def linux():
    maps = (b'555555554000-555555556000 r-xp 00000000 fe:00 12 /usr/bin/tiny\n'
            b'555555556000-555555558000 rw-p 00000000 00:00 0 [heap]\n'
            b'7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 [stack]\n')
    stack = pattern(0x100, 1)
    thread = struct.pack('<IIIIQQIIII', 42, 0, 0, 0, 0, 0x7fffffffef00, len(stack), 0, 0, 0)
    def threads(rva):
        # the stack's bytes follow the thread record
        t = bytearray(struct.pack('<I', 1) + thread)
        struct.pack_into('<I', t, 4 + 36, rva + len(t))
        return bytes(t) + stack
    return build([
        (3, threads),
        (15, struct.pack('<III', 12, 1, 42)),
        (0x47670004, b'Name:\ttiny\nPid:\t42\n'),
        (0x47670006, b'tiny\0arg\0'),
        (0x47670009, maps),
        (5, memlist([(0x7fffffffef00, stack), (0x555555557000, pattern(0x80, 3))])),
    ])

def windows():
    name = 'C:\\w\\tiny.exe'.encode('utf-16le')
    def modules(rva):
        m = bytearray(4 + 108)
        struct.pack_into('<IQI', m, 0, 1, 0x400000, 0x2000)
        struct.pack_into('<I', m, 4 + 20, rva + len(m))
        return bytes(m) + struct.pack('<I', len(name)) + name
    info = struct.pack('<IIQ', 16, 48, 3)
    for base, size, state, prot, typ in ((0x400000, 0x1000, 0x1000, 0x02, 0x1000000),
                                         (0x401000, 0x1000, 0x1000, 0x20, 0x1000000),
                                         (0x10000, 0x2000, 0x1000, 0x04, 0x20000)):
        info += struct.pack('<QQIIQIIII', base, base, prot, 0, size, state, prot, typ, 0)
    def mem64(rva):
        rs = [(0x400000, pattern(0x1000, 5)), (0x10000, pattern(0x800, 9))]
        head = struct.pack('<QQ', len(rs), rva + 16 + 16 * len(rs))
        return head + b''.join(struct.pack('<QQ', s, len(b)) for s, b in rs) + b''.join(b for _, b in rs)
    return build([(4, modules), (16, info), (9, mem64)])

def overlap():
    d = build([(5, memlist([(0x1000, pattern(0x100, 1)), (0x1080, pattern(0x100, 2)),
                            (0x1000, pattern(0x40, 3))]))])
    # a last descriptor whose bytes lie past the end of the file
    d = bytearray(d)
    return bytes(d[:-0x40])

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, f in (('linux.dmp', linux), ('windows.dmp', windows), ('overlap.dmp', overlap)):
    with open(os.path.join(out, name), 'wb') as fh:
        fh.write(f())
