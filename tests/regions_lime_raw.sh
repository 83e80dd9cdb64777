#!/bin/bash
# LiME and raw sources: a LiME file with three ranges made here reads back
# exactly, a truncated one reads as holes, a raw file sits at --base, and
# an 8 GiB sparse raw file opens without reading it.
. "$TESTS_SRCDIR/lib.sh"
need python3
READ_AT=$(dirname "$MEMLENS")/tests/read_at
python3 - "$T/three.lime" <<'PY'
import random, struct, sys
random.seed(7)
ranges = [(0x1000, 0x2fff), (0x100000, 0x100fff), (0x7fff0000, 0x7fff7fff)]
with open(sys.argv[1], 'wb') as f:
    for s, e in ranges:
        f.write(struct.pack('<IIQQ8x', 0x4C694D45, 1, s, e))
        f.write(bytes(random.getrandbits(8) for _ in range(e - s + 1)))
PY
"$MEMLENS" regions "$T/three.lime" --json >"$T/lime.json" || fail "regions of LiME"
python3 - "$T/lime.json" "$T/three.lime" "$READ_AT" <<'PY' || fail "LiME contents"
import json, struct, subprocess, sys
j = json.load(open(sys.argv[1]))
assert j['source']['kind'] == 'lime', j['source']
got = [(int(r['start'], 16), int(r['end'], 16), r['kind'], r['captured']) for r in j['regions']]
want = [(0x1000, 0x3000, 'phys', 0x2000), (0x100000, 0x101000, 'phys', 0x1000),
        (0x7fff0000, 0x7fff8000, 'phys', 0x8000)]
assert got == want, got
data = open(sys.argv[2], 'rb').read()
off = 0
args, expect = [], []
while off < len(data):
    magic, ver, s, e = struct.unpack_from('<IIQQ', data, off)
    n = e - s + 1
    for a in (s, s + n // 3, e - 15):
        args += ['%x' % a, '16']
        expect.append(data[off + 32 + a - s: off + 32 + a - s + 16].hex())
    off += 32 + n
out = subprocess.run([sys.argv[3], sys.argv[2]] + args, capture_output=True, text=True,
                     check=True).stdout.split()
assert out == expect, (out, expect)
# A read across the gap between ranges: data, then holes.
out = subprocess.run([sys.argv[3], sys.argv[2], '2ff8', '16'], capture_output=True,
                     text=True, check=True).stdout.split()
assert out[0][:16] == data[32 + 0x1ff8: 32 + 0x2000].hex() and out[0][16:] == '-' * 16, out
PY

# Truncated in the last range: listed whole, the rest holes, one warning.
head -c $(( $(stat -c %s "$T/three.lime") - 0x1000 )) "$T/three.lime" >"$T/cut.lime"
"$MEMLENS" regions "$T/cut.lime" --json >"$T/cut.json" 2>"$T/cut.err" || fail "truncated LiME failed"
grep -q truncated "$T/cut.err" || fail "no warning for a truncated LiME"
python3 -c "
import json; r = json.load(open('$T/cut.json'))['regions']
assert len(r) == 3 and r[2]['size'] == 0x8000 and r[2]['captured'] == 0x7000, r" || fail "truncated LiME regions"
"$READ_AT" "$T/cut.lime" 7fff7ff0 16 2>/dev/null | grep -q -- '^-*$' || fail "lost LiME bytes are not holes"

# Raw at --base, bytes at the right addresses.
head -c 65536 /dev/urandom >"$T/blob"
"$MEMLENS" regions "$T/blob" --base 0x400000 --json >"$T/raw.json" || fail "raw --base"
python3 -c "
import json; j = json.load(open('$T/raw.json')); r = j['regions']
assert j['source']['kind'] == 'raw' and len(r) == 1, j
assert r[0]['start'] == '0x400000' and r[0]['end'] == '0x410000' and r[0]['captured'] == 65536, r" || fail "raw region"
want=$(od -An -tx1 -j 4096 -N 16 "$T/blob" | tr -d ' \n')
got=$("$READ_AT" --base 400000 "$T/blob" 401000 16)
[ "$want" = "$got" ] || fail "raw bytes: $got != $want"
# --as raw wins over sniffing: the LiME file as one raw region.
"$MEMLENS" regions "$T/three.lime" --as raw --json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["source"]["kind"] == "raw" and [r["kind"] for r in j["regions"]] == ["raw"], j' || fail "--as raw"

# An 8 GiB sparse file: opening it reads nothing (RSS stays tiny).
truncate -s 8G "$T/sparse"
/usr/bin/env time -f '%M' -o "$T/rss" "$MEMLENS" regions "$T/sparse" >"$T/sparse.out" 2>/dev/null ||
	"$MEMLENS" regions "$T/sparse" >"$T/sparse.out" || fail "sparse raw"
grep -q "8.0 GiB" "$T/sparse.out" || fail "sparse size: $(cat "$T/sparse.out")"
if [ -s "$T/rss" ]; then
	[ "$(cat "$T/rss")" -lt 65536 ] || fail "8 GiB sparse file: peak RSS $(cat "$T/rss") KiB"
fi
echo "lime/raw OK"
