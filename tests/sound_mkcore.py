#!/usr/bin/env python3
"""sound_mkcore.py CORE DIR [--truncate]: writes a minimal x86-64 ELF core
with two PT_LOAD segments and, in DIR, the bytes the core holds, as the
oracle for `memlens sound` hole handling:
  A: vaddr 0x10000, memsz 0x2000, filesz 0x1000 -> 0x1000 data, 0x1000 hole
  B: vaddr 0x20000, memsz 0x1000, filesz 0x1000 -> data (or, with
     --truncate, only its first 0x800 bytes are in the file: the rest is a
     hole of a truncated core)
DIR/a.bin and DIR/b.bin get the data bytes of A and B (b.bin is the whole
0x1000; the test cuts it itself)."""
import random
import struct
import sys

core, outdir = sys.argv[1], sys.argv[2]
truncate = "--truncate" in sys.argv[3:]
rng = random.Random(4)
a = bytes(rng.randrange(256) for _ in range(0x1000))
b = bytes(rng.randrange(256) for _ in range(0x1000))
ehsize, phentsize, phnum = 64, 56, 2
data_off = 0x1000
segs = [(0x10000, 0x2000, a), (0x20000, 0x1000, b)]
eh = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
eh += struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, ehsize, 0, 0, ehsize, phentsize, phnum, 0, 0, 0)
ph = b""
off = data_off
for vaddr, memsz, data in segs:
    ph += struct.pack("<IIQQQQQQ", 1, 6, off, vaddr, 0, len(data), memsz, 0x1000)
    off += len(data)
img = bytearray(eh + ph)
img += bytes(data_off - len(img))
for _, _, data in segs:
    img += data
if truncate:
    img = img[: len(img) - 0x800]
open(core, "wb").write(img)
open(outdir + "/a.bin", "wb").write(a)
open(outdir + "/b.bin", "wb").write(b)
