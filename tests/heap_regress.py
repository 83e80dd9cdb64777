#!/usr/bin/python3
"""heap_regress: writes the hostile cores of issue 19 that once crashed or
hung `memlens heap`, into DIR (tests/fuzz/regress/heap/ holds the
results; this script says how they were made).

  heap_regress.py DIR

- nt_file_16eib.core (196 bytes): no memory at all, one NT_FILE entry for
  a file named like libc spanning 0x1000 to 0xfffffffffffff000.  The
  version search read it in 1 MiB steps: effectively forever.
- top_0x10_libc7.core: libc's writable data (NT_FILE calls the library
  libc.so.7, a version no machine has) holds a malloc_state whose bins are
  empty rings, whose next points to itself and whose top is 0x10.  It was
  accepted as main_arena, its heap could not be found, and inferring the
  layout then read heaps[0] of an arena with none: SIGSEGV.
- top_in_holes.core: the same arena with its top inside a heap region the
  core has no bytes of (p_filesz 0): the same SIGSEGV.
"""
import os
import struct
import sys

LIBC_RW = 0x7f0000010000
HEAP = 0x555555559000


def note(name, ntype, desc):
    n = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(n), len(desc), ntype) + pad(n) + pad(desc)


def nt_file(entries):
    """entries: (start, end, page_offset, path)."""
    d = struct.pack("<QQ", len(entries), 4096)
    for s, e, o, _ in entries:
        d += struct.pack("<QQQ", s, e, o)
    for *_, p in entries:
        d += p.encode() + b"\0"
    return note("CORE", 0x46494C45, d)


def core(notes, loads):
    """loads: (vaddr, memsz, data or None for no bytes, flags)."""
    phnum = 1 + len(loads)
    off = 64 + 56 * phnum
    ph = struct.pack("<IIQQQQQQ", 4, 4, off, 0, 0, len(notes), 0, 4)
    body = notes
    off += len(notes)
    for vaddr, memsz, data, flags in loads:
        fsz = len(data) if data else 0
        ph += struct.pack("<IIQQQQQQ", 1, flags, off, vaddr, 0, fsz, memsz, 4096)
        body += data or b""
        off += fsz
    eh = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    eh += struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56, phnum, 0, 0, 0)
    return eh + ph + body


def arena(top):
    """glibc 2.27+ malloc_state at LIBC_RW + 0x120 in a 0x2000-byte page pair."""
    mem = bytearray(0x2000)
    a = LIBC_RW + 0x120
    put = lambda addr, v: struct.pack_into("<Q", mem, addr - LIBC_RW, v)
    for i in range(1, 128):
        head = a + 0x70 + 16 * (i - 1) - 16
        put(a + 0x70 + 16 * (i - 1), head)
        put(a + 0x70 + 16 * (i - 1) + 8, head)
    put(a + 0x60, top)		# top
    put(a + 0x870, a)		# next: itself
    put(a + 0x880, 1)		# attached_threads
    put(a + 0x888, 0x21000)	# system_mem
    return bytes(mem)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    cores = {
        "nt_file_16eib.core": core(nt_file([(0x1000, 0xfffffffffffff000, 0, "/lib/libc.so.6")]), []),
        "top_0x10_libc7.core": core(
            nt_file([(LIBC_RW - 0x10000, LIBC_RW, 0, "/lib/x86_64-linux-gnu/libc.so.7"),
                     (LIBC_RW, LIBC_RW + 0x2000, 0x10, "/lib/x86_64-linux-gnu/libc.so.7")]),
            [(LIBC_RW, 0x2000, arena(0x10), 6)]),
        "top_in_holes.core": core(
            nt_file([(LIBC_RW, LIBC_RW + 0x2000, 0x10, "/lib/x86_64-linux-gnu/libc.so.7")]),
            [(HEAP, 0x21000, None, 6), (LIBC_RW, 0x2000, arena(HEAP + 0x20000), 6)]),
    }
    for name, data in cores.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


main()
