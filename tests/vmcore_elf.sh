#!/bin/bash
# ELF vmcores (a kdump kernel's /proc/vmcore saved to a file): a vmcore
# built here the way the kernel's crash kernel writes one — ET_CORE, one
# PT_NOTE with a VMCOREINFO note, PT_LOADs with a kernel virtual address in
# p_vaddr and the physical address in p_paddr, one with fewer file bytes
# than memory bytes, one without a physical address (p_paddr all ones, as
# /proc/kcore has for vmalloc) — is read by physical address.  The oracle
# is binutils' readelf: its program headers give the regions (p_paddr,
# p_memsz, p_filesz) and the bytes' file offsets, its notes dump the
# VMCOREINFO text that `regions` must show.
. "$TESTS_SRCDIR/lib.sh"
need python3
need readelf
READ_AT=$(dirname "$MEMLENS")/tests/read_at
python3 - "$T/vmcore" <<'PY'
import random, struct, sys
random.seed(16)
info = b'OSRELEASE=6.18.0-test\nPAGESIZE=4096\nSYMBOL(init_uts_ns)=ffffffff82a1b2c0\nNUMBER(phys_base)=0\nCRASHTIME=1764316800\n'
def note(name, typ, desc):
    n = name + b'\0'
    pad = lambda b: b + b'\0' * (-len(b) % 4)
    return struct.pack('<III', len(n), len(desc), typ) + pad(n) + pad(desc)
notes = note(b'VMCOREINFO', 0, info)
# (paddr, memsz, filesz); the last has no physical address.
segs = [(0x1000, 0x9f000, 0x9f000), (0x100000, 0x300000, 0x200000), (0x7ff00000, 0x10000, 0x10000),
        (0xffffffffffffffff, 0x2000, 0x2000)]
phoff, nph = 64, 1 + len(segs)
off = phoff + 56 * nph
ph = [struct.pack('<IIQQQQQQ', 4, 0, off, 0, 0, len(notes), 0, 0)]
data = notes
off += len(notes)
for paddr, memsz, filesz in segs:
    vaddr = 0xffff888000000000 + (paddr if paddr != 0xffffffffffffffff else 0x40000000)
    ph.append(struct.pack('<IIQQQQQQ', 1, 7, off, vaddr, paddr, filesz, memsz, 0))
    data += random.randbytes(filesz)
    off += filesz
eh = struct.pack('<4sBBBBB7sHHIQQQIHHHHHH', b'\x7fELF', 2, 1, 1, 0, 0, b'\0' * 7, 4, 62, 1, 0, phoff, 0, 0,
                 64, 56, nph, 64, 0, 0)
open(sys.argv[1], 'wb').write(eh + b''.join(ph) + data)
PY
readelf -lW "$T/vmcore" >"$T/ph.txt" || fail "readelf -l"
readelf -nW "$T/vmcore" >"$T/notes.txt" || fail "readelf -n"
"$MEMLENS" regions "$T/vmcore" --json >"$T/r.json" 2>"$T/r.err" || fail "regions of a vmcore: $(cat "$T/r.err")"
grep -q "1 segment without a physical address" "$T/r.err" || fail "the segment without a physical address was not said: $(cat "$T/r.err")"
"$MEMLENS" regions "$T/vmcore" >"$T/r.txt" 2>/dev/null || fail "regions (text) of a vmcore"
python3 - "$T" "$READ_AT" <<'PY' || fail "vmcore against readelf"
import json, subprocess, sys
T, read_at = sys.argv[1], sys.argv[2]
j = json.load(open(T + '/r.json'))
src = j['source']
assert src['kind'] == 'vmcore', src
# readelf's program headers: Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg Align
loads = []
for line in open(T + '/ph.txt'):
    f = line.split()
    if f and f[0] == 'LOAD':
        off, vaddr, paddr, filesz, memsz = (int(x, 16) for x in f[1:6])
        if paddr != 0xffffffffffffffff:
            loads.append((paddr, paddr + memsz, filesz, off, vaddr))
loads.sort()
got = [(int(r['start'], 16), int(r['end'], 16), r['captured'], r['kind'], r['file_offset']) for r in j['regions']]
assert got == [(s, e, fs, 'phys', s) for s, e, fs, _, _ in loads], (got, loads)
# VMCOREINFO: readelf's dump of the note (its description bytes) equals what memlens shows.
raw = open(T + '/vmcore', 'rb').read()
text = [l for l in open(T + '/notes.txt') if 'VMCOREINFO' in l]
assert text, 'readelf shows no VMCOREINFO note'
shown = [l[2:].rstrip('\n') for l in open(T + '/r.txt') if l.startswith('# ') and '=' in l and 'source' not in l]
want = src['vmcoreinfo'].rstrip('\n').split('\n')
assert shown == want and 'OSRELEASE=6.18.0-test' in want, (shown, want)
idx = raw.index(b'OSRELEASE=')
assert raw[idx:idx + len(src['vmcoreinfo'])].decode() == src['vmcoreinfo']
# Bytes by physical address: readelf's offsets, and holes past p_filesz.
args, want = [], []
for s, e, fs, off, _ in loads:
    for a in (s, s + fs // 2, s + fs - 16):
        args += ['%x' % a, '16']
        want.append(raw[off + a - s: off + a - s + 16].hex())
    if fs < e - s:
        args += ['%x' % (s + fs - 8), '16']
        want.append(raw[off + fs - 8: off + fs].hex() + '--' * 8)
out = subprocess.run([read_at, T + '/vmcore'] + args, capture_output=True, text=True, check=True).stdout.split()
assert out == want, (out, want)
print('vmcore: %d regions by physical address agree with readelf' % len(got))
PY
# --as vmcore reads a core by physical address even without the note; --base cannot apply.
expect_error 2 - "$MEMLENS" regions "$T/vmcore" --as vmcore --base 1000
exit 0
