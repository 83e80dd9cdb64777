#!/usr/bin/env python3
"""Rewrites a memlens trace record with every block stored raw (zstd
undone, CRCs recomputed), so that the fuzzer's mutations reach the event
columns instead of breaking a compressed stream.  Seeds for fuzz_trace:

  trace_raw.py IN.mltrace OUT
"""
import struct
import subprocess
import sys


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def main():
    src = open(sys.argv[1], "rb").read()
    out = bytearray(src[:16])
    off = 16
    while off + 24 <= len(src):
        magic, btype, codec, _, stream, length, raw_len, crc, hcrc = struct.unpack_from("<cBBBIIIII", src, off)
        payload = src[off + 24:off + 24 + length]
        if codec == 1:
            payload = subprocess.run(["zstd", "-dc"], input=payload, capture_output=True, check=True).stdout
        head = struct.pack("<cBBBIIII", b"B", btype, 0, 0, stream, len(payload), len(payload), crc32c(payload))
        out += head + struct.pack("<I", crc32c(head)) + payload
        off += 24 + length
    open(sys.argv[2], "wb").write(out)


if __name__ == "__main__":
    main()
