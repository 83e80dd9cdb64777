#!/usr/bin/python3
"""heap_corrupt: writes corrupted copies of an ELF core, patching memory at
virtual addresses through the core's own program headers.

  heap_corrupt.py size CORE OUT ADDR VALUE     the 8 bytes at ADDR+8 (a chunk's size) := VALUE
  heap_corrupt.py word CORE OUT ADDR VALUE     the 8 bytes at ADDR := VALUE
  heap_corrupt.py noise CORE OUT START END SEED N
                                               N random words in [START, END) := random
  heap_corrupt.py chunks CORE OUT JSON SEED N  N random chunks of memlens' JSON get a random
                                               size, fd or bk (or tcache next)
"""
import json
import random
import shutil
import struct
import sys


def loads(data):
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    out = []
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 1:
            out.append((p_vaddr, p_offset, p_filesz))
    return out


def offset(segs, addr):
    for vaddr, off, size in segs:
        if vaddr <= addr and addr + 8 <= vaddr + size:
            return off + addr - vaddr
    sys.exit("address 0x%x is not in the core" % addr)


def main():
    mode, core, out = sys.argv[1:4]
    shutil.copyfile(core, out)
    with open(out, "r+b") as f:
        data = bytearray(f.read())
        segs = loads(data)
        if mode in ("size", "word"):
            addr, value = int(sys.argv[4], 0), int(sys.argv[5], 0)
            o = offset(segs, addr + (8 if mode == "size" else 0))
            struct.pack_into("<Q", data, o, value & (2**64 - 1))
        elif mode == "chunks":
            doc = json.load(open(sys.argv[4]))
            seed, n = int(sys.argv[5]), int(sys.argv[6])
            rng = random.Random(seed)
            chunks = [int(c["chunk"], 16) for a in doc["arenas"] for c in a["chunks"] if c["bin"] != "mmapped"]
            for _ in range(n):
                c = rng.choice(chunks)
                a = c + rng.choice([8, 8, 16, 24])
                other = rng.choice(chunks)
                v = rng.choice([rng.getrandbits(64), rng.getrandbits(16) << 4 | 1, other, other + 16,
                                ((a >> 12) ^ (other + 16)), c, c + 16, ((a >> 12) ^ (c + 16)), 0, 0x11])
                struct.pack_into("<Q", data, offset(segs, a), v & (2**64 - 1))
        else:
            start, end, seed, n = (int(x, 0) for x in sys.argv[4:8])
            rng = random.Random(seed)
            for _ in range(n):
                a = start + rng.randrange((end - start) // 8) * 8
                v = rng.choice([rng.getrandbits(64), rng.getrandbits(12), a + rng.randrange(-4096, 4096) * 16,
                                0, 0x21, 0x31 | (rng.getrandbits(20) << 4)])
                struct.pack_into("<Q", data, offset(segs, a), v & (2**64 - 1))
        f.seek(0)
        f.write(data)


main()
