#!/usr/bin/env python3
"""corpus.py: writes the fuzz seed inputs that make-corpus.sh cannot take
straight from a real program: real cores trimmed to a few KiB, cores and
LiME files built from the formats' descriptions (32-bit and big-endian
cores, hostile note tables), and glibc heaps in the heap harness's input
format (see fuzz_heap.c), for every malloc layout from 2.26 to 2.41.

    corpus.py trim-core IN OUT [CAP]     cap every PT_LOAD's bytes at CAP
    corpus.py crafted DIR                 crafted cores and LiME files
    corpus.py heap-synthetic DIR          a healthy heap per glibc layout
    corpus.py heap-from-core CORE OUT     a real heap, from a gcore
    corpus.py core-regress DIR            the inputs of issue 19 defects 3, 4
    corpus.py heap-regress DIR            heaps that once crashed the walker
    corpus.py heap-to-core IN OUT         a heap harness input as a core file
"""
import os
import struct
import sys

PT_LOAD, PT_NOTE = 1, 4
NT_PRSTATUS, NT_PRPSINFO, NT_AUXV, NT_FILE = 1, 3, 6, 0x46494C45
AT_SYSINFO_EHDR = 33


# ---- ELF cores ----

class Elf:
    """The few fields of an ELF core this script reads or writes."""

    def __init__(self, cls, big):
        self.cls, self.big = cls, big
        self.e = '>' if big else '<'
        if cls == 64:
            self.ehdr = self.e + '16sHHIQQQIHHHHHH'
            self.phdr = self.e + 'IIQQQQQQ'
        else:
            self.ehdr = self.e + '16sHHIIIIIHHHHHH'
            self.phdr = self.e + 'IIIIIIII'
        self.ehsize = struct.calcsize(self.ehdr)
        self.phsize = struct.calcsize(self.phdr)

    def pack_phdr(self, p):
        if self.cls == 64:
            return struct.pack(self.phdr, p['type'], p['flags'], p['offset'], p['vaddr'],
                               p['paddr'], p['filesz'], p['memsz'], p['align'])
        return struct.pack(self.phdr, p['type'], p['offset'], p['vaddr'], p['paddr'],
                           p['filesz'], p['memsz'], p['flags'], p['align'])

    def unpack_phdr(self, b):
        v = struct.unpack(self.phdr, b)
        if self.cls == 64:
            k = ('type', 'flags', 'offset', 'vaddr', 'paddr', 'filesz', 'memsz', 'align')
        else:
            k = ('type', 'offset', 'vaddr', 'paddr', 'filesz', 'memsz', 'flags', 'align')
        return dict(zip(k, v))

    def word(self, v):
        return struct.pack(self.e + ('Q' if self.cls == 64 else 'I'), v)


def read_core(data):
    cls = 64 if data[4] == 2 else 32
    elf = Elf(cls, data[5] == 2)
    h = struct.unpack(elf.ehdr, data[:elf.ehsize])
    phoff, phentsize, phnum = h[5], h[9], h[10]
    phdrs = [elf.unpack_phdr(data[phoff + i * phentsize:phoff + i * phentsize + elf.phsize])
             for i in range(phnum)]
    return elf, h, phdrs


def write_core(elf, machine, segs):
    """segs: dicts with type, flags, vaddr, memsz, data (the file bytes)."""
    phoff = elf.ehsize
    off = phoff + len(segs) * elf.phsize
    body, phdrs = b'', []
    for s in segs:
        align = 4 if s['type'] == PT_NOTE else 16
        pad = -(off + len(body)) % align
        body += b'\0' * pad
        p = dict(type=s['type'], flags=s.get('flags', 0), offset=off + len(body),
                 vaddr=s.get('vaddr', 0), paddr=0, filesz=s.get('filesz', len(s['data'])),
                 memsz=s.get('memsz', 0), align=s.get('align', 0x1000 if s['type'] == PT_LOAD else 4))
        phdrs.append(p)
        body += s['data']
    ident = b'\x7fELF' + bytes([2 if elf.cls == 64 else 1, 2 if elf.big else 1, 1]) + b'\0' * 9
    hdr = struct.pack(elf.ehdr, ident, 4, machine, 1, 0, phoff, 0, 0, elf.ehsize, elf.phsize,
                      len(segs), 0, 0, 0)
    return hdr + b''.join(elf.pack_phdr(p) for p in phdrs) + body


def trim_core(src, dst, cap):
    """Keeps the headers and notes, at most cap bytes of each PT_LOAD."""
    data = open(src, 'rb').read()
    elf, h, phdrs = read_core(data)
    segs = []
    for p in phdrs:
        raw = data[p['offset']:p['offset'] + p['filesz']]
        if p['type'] == PT_LOAD:
            raw = raw[:cap]
        segs.append(dict(type=p['type'], flags=p['flags'], vaddr=p['vaddr'], memsz=p['memsz'],
                         data=raw, align=p['align']))
    open(dst, 'wb').write(write_core(elf, h[2], segs))


def note(elf, owner, ntype, desc):
    name = owner.encode() + b'\0'
    e = elf.e
    return (struct.pack(e + 'III', len(name), len(desc), ntype) + name + b'\0' * (-len(name) % 4)
            + desc + b'\0' * (-len(desc) % 4))


def nt_file(elf, page_size, entries, count=None):
    d = elf.word(len(entries) if count is None else count) + elf.word(page_size)
    for start, end, ofs, _ in entries:
        d += elf.word(start) + elf.word(end) + elf.word(ofs)
    return d + b''.join(path.encode() + b'\0' for _, _, _, path in entries)


def prstatus(pid, sp):
    d = bytearray(336)
    struct.pack_into('<I', d, 32, pid)
    struct.pack_into('<Q', d, 112 + 19 * 8, sp)
    return bytes(d)


def prpsinfo(pid, fname, args):
    d = bytearray(136)
    struct.pack_into('<I', d, 24, pid)
    d[40:40 + len(fname)] = fname.encode()
    d[56:56 + len(args)] = args.encode()
    return bytes(d)


def auxv(elf, pairs):
    return b''.join(elf.word(k) + elf.word(v) for k, v in pairs + [(0, 0)])


def small_core(elf, machine, notes, loads):
    segs = [dict(type=PT_NOTE, data=b''.join(notes))]
    for vaddr, memsz, flags, data in loads:
        segs.append(dict(type=PT_LOAD, flags=flags, vaddr=vaddr, memsz=memsz, data=data))
    return write_core(elf, machine, segs)


def crafted(d):
    """Cores the machine here does not write (32-bit, big-endian) and LiME files."""
    os.makedirs(f'{d}/core', exist_ok=True)
    os.makedirs(f'{d}/lime', exist_ok=True)
    # i386 (EM_386) little-endian: 4-byte NT_FILE words, the kernel's page size.
    e32 = Elf(32, False)
    files = [(0x8048000, 0x8049000, 0, '/bin/prog'), (0x8049000, 0x804b000, 1, '/bin/prog'),
             (0xf7d00000, 0xf7d20000, 0, '/lib/i386-linux-gnu/libc.so.6')]
    notes = [note(e32, 'CORE', NT_FILE, nt_file(e32, 4096, files)),
             note(e32, 'CORE', NT_AUXV, auxv(e32, [(AT_SYSINFO_EHDR, 0xf7f00000)]))]
    loads = [(0x8048000, 0x1000, 5, b'\x7fELF' + bytes(60)), (0x8049000, 0x2000, 6, bytes(range(256))),
             (0xf7f00000, 0x1000, 5, b''), (0xff800000, 0x21000, 6, bytes(128))]
    open(f'{d}/core/crafted-i386.core', 'wb').write(small_core(e32, 3, notes, loads))
    # s390x (EM_S390) big-endian 64-bit, gdb's page size 1.
    eb = Elf(64, True)
    files = [(0x1000000, 0x1002000, 0, '/usr/bin/prog'),
             (0x3ff80000000, 0x3ff80010000, 0x2000, '/usr/lib/s390x-linux-gnu/libc.so.6 (deleted)')]
    notes = [note(eb, 'CORE', NT_FILE, nt_file(eb, 1, files)),
             note(eb, 'CORE', NT_AUXV, auxv(eb, [(AT_SYSINFO_EHDR, 0x3ffffffc000)]))]
    loads = [(0x1000000, 0x2000, 5, bytes(200)), (0x3ffffffc000, 0x2000, 5, b'\x7fELF')]
    open(f'{d}/core/crafted-s390x.core', 'wb').write(small_core(eb, 22, notes, loads))
    # LiME: ranges laid out like a PC's RAM (/proc/iomem), a few bytes each,
    # the last one cut by the end of the file; an AVML header; one range
    # reaching the top of the address space.
    lime = b''
    for start, data in ((0x1000, b'\xf0' * 64), (0x100000, bytes(range(256))), (0x100000000, b'\0' * 32)):
        lime += struct.pack('<IIQQQ', 0x4C694D45, 1, start, start + len(data) - 1, 0) + data
    open(f'{d}/lime/ranges.lime', 'wb').write(lime)
    cut = struct.pack('<IIQQQ', 0x4C694D45, 1, 0x1000, 0x9efff, 0) + bytes(100)
    open(f'{d}/lime/truncated.lime', 'wb').write(cut)
    open(f'{d}/lime/avml.lime', 'wb').write(struct.pack('<IIQQQ', 0x4C4D5641, 2, 0, 0xfff, 0) + bytes(16))
    top = struct.pack('<IIQQQ', 0x4C694D45, 1, 0xfffffffffffff000, 0xfffffffffffffffe, 0) + bytes(64)
    open(f'{d}/lime/top.lime', 'wb').write(top)


def core_regress(d):
    """Issue 19 defects 3 and 4 as x86-64 cores."""
    os.makedirs(d, exist_ok=True)
    e = Elf(64, False)
    # Defect 3: NT_FILE entries outside every PT_LOAD that overlap each
    # other (0x1000-0x5000 twice, one inside another, one across a PT_LOAD).
    files = [(0x1000, 0x5000, 0, '/bin/a'), (0x1000, 0x5000, 0, '/bin/b'), (0x2000, 0x3000, 1, '/bin/c'),
             (0x4000, 0x9000, 4, '/bin/d'), (0x10000, 0x12000, 0, '/bin/e')]
    notes = [note(e, 'CORE', NT_FILE, nt_file(e, 4096, files)),
             note(e, 'CORE', NT_PRPSINFO, prpsinfo(7, 'overlap', 'overlap'))]
    loads = [(0x8000, 0x1000, 6, b'L' * 4096), (0x11000, 0x1000, 4, b'M' * 16)]
    open(f'{d}/ntfile-overlap.core', 'wb').write(small_core(e, 62, notes, loads))
    # Defect 4: an NT_FILE count of 2^64-1 in a short note.
    desc = nt_file(e, 4096, [(0x1000, 0x2000, 0, '/bin/x')], count=(1 << 64) - 1)
    notes = [note(e, 'CORE', NT_FILE, desc), note(e, 'CORE', NT_PRSTATUS, prstatus(7, 0x1800))]
    open(f'{d}/ntfile-count-max.core', 'wb').write(small_core(e, 62, notes, [(0x1000, 0x1000, 6, b'x' * 64)]))


# ---- the heap harness's input (fuzz_heap.c) ----
#
# u8 version (0 detect, k: glibc 2.(25+k)), u8 regions - 1, u16 zero, then
# per region: u64 start, u32 size, u32 captured, u8 prot, u8 kind, u8 path,
# u8 zero; then the captured bytes of each region in turn.

R, W, X = 1, 2, 4
ANON, FILE_, HEAP = 0, 1, 2
P_NONE, P_LIBC, P_LIBC_NAMED, P_HEAP, P_EXE = 0, 1, 2, 3, 4


def heap_input(version, regions):
    """regions: (start, size, prot, kind, path, bytes captured)."""
    out = struct.pack('<BBH', version, len(regions) - 1, 0)
    for start, size, prot, kind, path, data in regions:
        out += struct.pack('<QIIBBBB', start, size, len(data), prot, kind, path, 0)
    return out + b''.join(r[5] for r in regions)


class Mem:
    """A few regions of little-endian words, built as glibc would lay them out."""

    def __init__(self):
        self.r = {}

    def add(self, start, size):
        self.r[start] = bytearray(size)

    def put(self, addr, v, n=8):
        for s, b in self.r.items():
            if s <= addr < s + len(b):
                b[addr - s:addr - s + n] = v.to_bytes(n, 'little')
                return
        raise ValueError(hex(addr))


def layout(minor):
    """malloc_state offsets (x86-64): 2.27 added have_fastchunks."""
    if minor >= 27:
        L = dict(fastbins=0x10, top=0x60, bins=0x70, next=0x870, system_mem=0x888, state=0x898)
    else:
        L = dict(fastbins=0x08, top=0x58, bins=0x68, next=0x868, system_mem=0x880, state=0x890)
    L.update(u16=minor >= 30, safe=minor >= 32, tcache=0x290 if minor >= 30 else 0x250,
             info=48 if minor >= 35 else 32)
    return L


def synthetic_heap(minor, detect, text=None, top_at=None, two_heaps=False, top_size=None):
    """detect: no forced version; text: libc's version string in its
    read-only data (by default when detecting); two_heaps: the thread
    arena grew a second heap, its first one closed by fenceposts."""
    text = detect if text is None else text
    LIBC_RO, LIBC_RW, HEAP_AT, THEAP = 0x7f0000000000, 0x7f0000010000, 0x555555559000, 0x7f1004000000
    L = layout(minor)
    m = Mem()
    m.add(LIBC_RO, 0x400)
    m.add(LIBC_RW, 0x1000)
    m.add(HEAP_AT, 0x1000)
    m.add(THEAP, 0x1000)
    THEAP2 = THEAP + (64 << 20)
    if two_heaps:
        m.add(THEAP2, 0x1000)
    if text:
        text = f'GNU C Library (Debian GLIBC 2.{minor}-1) stable release version 2.{minor}.\n'.encode()
        m.r[LIBC_RO][0x100:0x100 + len(text)] = text

    def mangle(pos, p):
        return (pos >> 12) ^ p if L['safe'] else p

    def chunk(c, size, flags):
        m.put(c + 8, size | flags)

    def head(a, i):
        return a + L['bins'] + 16 * (i - 1) - 16

    def arena(a, top, nxt, sysmem):
        for i in range(1, 128):
            m.put(a + L['bins'] + 16 * (i - 1), head(a, i))
            m.put(a + L['bins'] + 16 * (i - 1) + 8, head(a, i))
        m.put(a + L['top'], top)
        m.put(a + L['next'], nxt)
        m.put(a + L['next'] + 16, 1)
        m.put(a + L['system_mem'], sysmem)

    def bin_one(a, i, c):
        m.put(a + L['bins'] + 16 * (i - 1), c)
        m.put(a + L['bins'] + 16 * (i - 1) + 8, c)
        m.put(c + 16, head(a, i))
        m.put(c + 24, head(a, i))

    A, T = LIBC_RW + 0x120, THEAP + L['info']
    sizes = [0x30, 0x30, 0x20, 0x40, 0x20, 0x100, 0x20, 0x90, 0x20, 0x500, 0x20, 0x30]
    c, cs = HEAP_AT, {}
    chunk(c, L['tcache'], 1)
    c += L['tcache']
    for i, s in enumerate(sizes, 1):
        cs[i] = c
        chunk(c, s, 1)
        c += s
    top = c
    # The heap is larger than what is captured.
    chunk(top, HEAP_AT + 0x21000 - top if top_size is None else top_size, 1)
    for i in (6, 8, 10):
        n = cs[i] + sizes[i - 1]
        chunk(n, sizes[i], 0)
        m.put(n, sizes[i - 1])
    arena(A, top if top_at is None else top_at, T, 0x21000)
    bin_one(A, 1, cs[6])
    bin_one(A, 0x90 >> 4, cs[8])
    bin_one(A, 48 + (0x500 >> 6), cs[10])
    m.put(A + L['fastbins'] + 16, cs[4])
    m.put(cs[4] + 16, mangle(cs[4] + 16, 0))
    counts = HEAP_AT + 16
    entries = counts + (128 if L['u16'] else 64)
    m.put(counts + (2 if L['u16'] else 1), 2, 2 if L['u16'] else 1)
    m.put(entries + 8, cs[2] + 16)
    m.put(cs[2] + 16, mangle(cs[2] + 16, cs[12] + 16))
    m.put(cs[12] + 16, mangle(cs[12] + 16, 0))
    # The thread arena: heap_info, malloc_state, tcache, three chunks, top.
    m.put(THEAP, T)
    m.put(THEAP + 16, 0x21000)
    m.put(THEAP + 24, 0x21000)
    t = (T + L['state'] + 15) & ~15
    chunk(t, L['tcache'], 5)
    tc0 = t + L['tcache']
    chunk(tc0, 0x50, 5)
    chunk(tc0 + 0x50, 0x20, 5)
    chunk(tc0 + 0x70, 0x20, 5)
    ttop = tc0 + 0x90
    if two_heaps:
        # The first heap, grown no further (size 0x1000): what was its top
        # is an in-use chunk, then two fenceposts (0x10, then 0) close it.
        m.put(THEAP + 16, 0x1000)
        m.put(THEAP + 24, 0x1000)
        chunk(ttop, THEAP + 0x1000 - 0x20 - ttop, 1)
        chunk(THEAP + 0x1000 - 0x20, 0x10, 1)
        chunk(THEAP + 0x1000 - 0x10, 0, 1)
        # The second: heap_info (ar_ptr, prev), one chunk in use, top.
        m.put(THEAP2, T)
        m.put(THEAP2 + 8, THEAP)
        m.put(THEAP2 + 16, 0x21000)
        m.put(THEAP2 + 24, 0x21000)
        c2 = THEAP2 + L['info']
        chunk(c2, 0x40, 5)
        ttop = c2 + 0x40
        chunk(ttop, THEAP2 + 0x21000 - ttop, 1)
    else:
        chunk(ttop, THEAP + 0x21000 - ttop, 1)
    arena(T, ttop, A, 0x21000)
    m.put(T + L['fastbins'], tc0 + 0x50)
    m.put(tc0 + 0x50 + 16, mangle(tc0 + 0x50 + 16, 0))
    regions = [(LIBC_RO, 0x1000, R, FILE_, P_LIBC, bytes(m.r[LIBC_RO])),
               (LIBC_RW, 0x1000, R | W, FILE_, P_LIBC, bytes(m.r[LIBC_RW])),
               (HEAP_AT, 0x21000, R | W, HEAP, P_HEAP, bytes(m.r[HEAP_AT])),
               (THEAP, 0x21000, R | W, ANON, P_NONE, bytes(m.r[THEAP]))]
    if two_heaps:
        regions.append((THEAP2, 0x21000, R | W, ANON, P_NONE, bytes(m.r[THEAP2])))
    return heap_input(0 if detect else minor - 25, regions)


def heap_synthetic(d):
    os.makedirs(d, exist_ok=True)
    for minor in range(26, 42):
        open(f'{d}/synthetic-2.{minor}', 'wb').write(synthetic_heap(minor, False))
    for minor in (26, 29, 31, 36, 41):
        open(f'{d}/synthetic-detect-2.{minor}', 'wb').write(synthetic_heap(minor, True))
    for minor in (29, 36):
        open(f'{d}/synthetic-two-heaps-2.{minor}', 'wb').write(synthetic_heap(minor, False, two_heaps=True))


def heap_regress(d):
    """Heaps that once broke `memlens heap` (issue 19 defect 1, a hang)."""
    os.makedirs(d, exist_ok=True)
    # main_arena's top is 0x10: no heap, and no version to say the layout.
    open(f'{d}/main-arena-top-0x10', 'wb').write(synthetic_heap(36, True, text=False, top_at=0x10))
    heap_to_core(f'{d}/main-arena-top-0x10', f'{d}/main-arena-top-0x10.core')
    # A top chunk of 32 PiB: `memlens heap`'s map drew it cell by cell.
    open(f'{d}/top-size-32PiB', 'wb').write(synthetic_heap(36, False, top_size=0x7f0000000000 << 3))
    heap_to_core(f'{d}/top-size-32PiB', f'{d}/top-size-32PiB.core')


# fuzz_heap.c's paths[], by index.
HEAP_PATHS = [None, '/fuzz/lib/x86_64-linux-gnu/libc.so.6', '/fuzz/lib/libc-2.27.so', '[heap]',
              '/fuzz/bin/tiny', '[stack]', '/fuzz/lib/ld-linux-x86-64.so.2']


def heap_to_core(src, dst):
    """A heap harness input as an x86-64 core `memlens heap` reads: a PT_LOAD
    per region (its captured bytes as p_filesz), NT_FILE naming the regions
    with file paths.  The forced version, if any, is not carried over."""
    d = open(src, 'rb').read()
    n = d[1] % 8 + 1
    off = 4 + 20 * n
    e = Elf(64, False)
    loads, files = [], []
    for i in range(n):
        start, size, cap, prot, kind, path, _ = struct.unpack_from('<QIIBBBB', d, 4 + 20 * i)
        size = min(size, 64 << 10)	# fuzz_heap.c's MAX_SIZE
        cap = min(cap, size, len(d) - off)
        data = d[off:off + cap]
        off += cap
        if not size or start + size > 1 << 64:
            continue
        flags = (4 if prot & R else 0) | (2 if prot & W else 0) | (1 if prot & X else 0)
        loads.append((start, size, flags, data))
        p = HEAP_PATHS[path % len(HEAP_PATHS)]
        if p and not p.startswith('['):
            files.append((start, start + size, 0, p))
    loads.sort()
    files.sort()
    notes = [note(e, 'CORE', NT_FILE, nt_file(e, 4096, files))] if files else []
    notes.append(note(e, 'CORE', NT_PRPSINFO, prpsinfo(1, 'heap', 'heap')))
    open(dst, 'wb').write(small_core(e, 62, notes, loads))


def heap_from_core(core, dst, keep=0x2000):
    """libc's writable mappings (or, static, the executable's), the heap and
    the thread heaps of a gcore, each cut to its first `keep` bytes."""
    data = open(core, 'rb').read()
    elf, h, phdrs = read_core(data)
    files = []
    for p in phdrs:
        if p['type'] != PT_NOTE:
            continue
        nd = data[p['offset']:p['offset'] + p['filesz']]
        o = 0
        while o + 12 <= len(nd):
            nsz, dsz, typ = struct.unpack_from('<III', nd, o)
            name = nd[o + 12:o + 12 + nsz].rstrip(b'\0')
            do = o + 12 + nsz + (-nsz % 4)
            if name == b'CORE' and typ == NT_FILE:
                desc = nd[do:do + dsz]
                count, psz = struct.unpack_from('<QQ', desc, 0)
                names = desc[16 + 24 * count:].split(b'\0')
                for i in range(count):
                    s, e, ofs = struct.unpack_from('<QQQ', desc, 16 + 24 * i)
                    files.append((s, e, names[i].decode()))
            o = do + dsz + (-dsz % 4)
    exe = min(files)[2]

    def path_of(a):
        for s, e, name in files:
            if s <= a < e:
                return name
        return None

    exe_end = max(e for s, e, name in files if name == exe)
    loads = sorted((p for p in phdrs if p['type'] == PT_LOAD), key=lambda p: p['vaddr'])
    regions, brk = [], False
    for i, p in enumerate(loads):
        path = path_of(p['vaddr'])
        prev = path_of(loads[i - 1]['vaddr']) if i else None
        libc = path and '/libc.so' in path
        after_libc = (not path and prev and '/libc.so' in prev
                      and loads[i - 1]['vaddr'] + loads[i - 1]['memsz'] == p['vaddr'])
        # The brk heap: the first anonymous region above the executable's end
        # (as memlens's core reader labels it); thread heaps: 64 MiB aligned.
        heap = not path and not brk and exe_end < p['vaddr'] < exe_end + (1 << 30)
        theap = not path and p['vaddr'] % (64 << 20) == 0
        if not p['flags'] & 2 or not (libc or after_libc or path == exe or heap or theap):
            continue
        brk |= heap
        cap = min(p['filesz'], 0x4000 if path else 0x2000 if (heap or theap) else 0x1000)
        if heap:
            kind, pid = HEAP, P_HEAP
        elif path:
            kind, pid = FILE_, P_LIBC if libc else P_EXE
        else:
            kind, pid = ANON, P_NONE
        # Writable data the walker scans for main_arena word by word costs
        # fuzzing time: such regions end where their captured bytes do.
        size = p['memsz'] if (heap or theap) else cap
        regions.append((p['vaddr'], min(size, 0xffffffff), R | W, kind, pid,
                        data[p['offset']:p['offset'] + cap]))
    open(dst, 'wb').write(heap_input(0, regions[:8]))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'trim-core':
        trim_core(args[0], args[1], int(args[2], 0) if len(args) > 2 else 256)
    elif cmd == 'crafted':
        crafted(args[0])
    elif cmd == 'heap-synthetic':
        heap_synthetic(args[0])
    elif cmd == 'heap-from-core':
        heap_from_core(args[0], args[1])
    elif cmd == 'heap-to-core':
        heap_to_core(args[0], args[1])
    elif cmd == 'heap-regress':
        heap_regress(args[0])
    elif cmd == 'core-regress':
        core_regress(args[0])
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
