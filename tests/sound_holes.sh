#!/bin/bash
# sound_holes: holes are left out by default and become silence in place
# with --holes silence, are reported (exit 0, or 1 with --strict), and a
# selection that is all holes is an error.  The cores come from
# sound_mkcore.py, which also writes the bytes it put in them (the oracle).
. "$TESTS_SRCDIR/lib.sh"
. "$TESTS_SRCDIR/sound_lib.sh"

python3 "$TESTS_SRCDIR/sound_mkcore.py" "$T/c.core" "$T" || fail "mkcore"
A=$T/a.bin
B=$T/b.bin
sil() { python3 -c "import sys; sys.stdout.buffer.write(bytes([$1]) * $2)"; }

# skip (the default): only the captured bytes, in address order
"$MEMLENS" sound "$T/c.core" -o "$T/skip.wav" 2>"$T/err" || fail "skip run"
grep -q "4.0 KiB in holes.*skipped" "$T/err" || fail "holes not reported: $(cat "$T/err")"
sox "$T/skip.wav" -t raw "$T/skip.raw"
cat "$A" "$B" | cmp -s - "$T/skip.raw" || fail "--holes skip: other bytes"

# silence: the hole keeps its place, as the encoding's silence (u8: 0x80)
"$MEMLENS" sound "$T/c.core" -o "$T/sil.wav" --holes silence 2>"$T/err" || fail "silence run"
grep -q "written as silence" "$T/err" || fail "silence not reported: $(cat "$T/err")"
sox "$T/sil.wav" -t raw "$T/sil.raw"
{ cat "$A"; sil 0x80 4096; cat "$B"; } | cmp -s - "$T/sil.raw" || fail "--holes silence u8: other bytes"
# s16le and mu-law silence: 0x00 and 0xFF bytes
"$MEMLENS" sound "$T/c.core" -o "$T/sil16.flac" --holes silence --encoding s16le --quiet
sox "$T/sil16.flac" -t raw -e signed -b 16 -L "$T/sil16.raw"
{ cat "$A"; sil 0 4096; cat "$B"; } | cmp -s - "$T/sil16.raw" || fail "--holes silence s16le: other bytes"
"$MEMLENS" sound "$T/c.core" -o "$T/silu.wav" --holes silence --encoding ulaw --quiet
python3 - "$T/silu.wav" <<'PY' || fail "--holes silence ulaw: hole bytes are not 0xFF"
import sys
d = open(sys.argv[1], "rb").read()
i = d.index(b"data")
body = d[i + 8:]
sys.exit(0 if body[4096:8192] == b"\xff" * 4096 else 1)
PY

# --strict: the file is written but the run says it is incomplete
rc=0
"$MEMLENS" sound "$T/c.core" -o "$T/strict.wav" --strict 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "--strict with holes: exit $rc"
rc=0
"$MEMLENS" sound "$T/c.core" --region 0x20000+0x1000 -o "$T/clean.wav" --strict || rc=$?
[ "$rc" -eq 0 ] || fail "--strict without holes: exit $rc"

# a range inside the hole: all holes
expect_error 1 "$T/none.wav" "$MEMLENS" sound "$T/c.core" --region 0x11000+0x800 -o "$T/none.wav"
"$MEMLENS" sound "$T/c.core" --region 0x11000+0x800 -o "$T/some.wav" --holes silence --quiet
sox "$T/some.wav" -t raw "$T/some.raw"
sil 0x80 2048 | cmp -s - "$T/some.raw" || fail "all-hole range with --holes silence"
# a range that crosses from data into the hole
"$MEMLENS" sound "$T/c.core" --region 0x10f00-0x11100 -o "$T/x.wav" --holes silence --quiet
sox "$T/x.wav" -t raw "$T/x.raw"
{ tail -c 256 "$A"; sil 0x80 256; } | cmp -s - "$T/x.raw" || fail "range across data and hole"

# a truncated core: the missing tail of B is a hole too
python3 "$TESTS_SRCDIR/sound_mkcore.py" "$T/t.core" "$T" --truncate || fail "mkcore --truncate"
"$MEMLENS" sound "$T/t.core" -o "$T/t.wav" --quiet || fail "truncated core"
sox "$T/t.wav" -t raw "$T/t.raw"
{ cat "$A"; head -c 2048 "$B"; } | cmp -s - "$T/t.raw" || fail "truncated core, skip"
"$MEMLENS" sound "$T/t.core" -o "$T/t2.wav" --holes silence --quiet
sox "$T/t2.wav" -t raw "$T/t2.raw"
{ cat "$A"; sil 0x80 4096; head -c 2048 "$B"; sil 0x80 2048; } | cmp -s - "$T/t2.raw" ||
	fail "truncated core, silence"

# a truncated LiME dump: two physical ranges (the gap between them is not
# memory and is not selected), the second cut in half by the end of file
python3 - "$T" <<'PY' || fail "making the LiME dump"
import random, struct, sys
d = sys.argv[1]
r = random.Random(9)
a = bytes(r.randrange(256) for _ in range(4096))
b = bytes(r.randrange(256) for _ in range(4096))
hdr = lambda s, e: struct.pack("<IIQQ8s", 0x4C694D45, 1, s, e, bytes(8))
img = hdr(0x1000, 0x1FFF) + a + hdr(0x3000, 0x3FFF) + b
open(d + "/t.lime", "wb").write(img[:-2048])
open(d + "/la.bin", "wb").write(a)
open(d + "/lb.bin", "wb").write(b)
PY
"$MEMLENS" sound "$T/t.lime" -o "$T/l.wav" 2>"$T/err" || fail "LiME skip"
grep -q "2.0 KiB in holes.*skipped" "$T/err" || fail "LiME trailing hole not reported: $(cat "$T/err")"
sox "$T/l.wav" -t raw "$T/l.raw"
{ cat "$T/la.bin"; head -c 2048 "$T/lb.bin"; } | cmp -s - "$T/l.raw" || fail "LiME, skip"
"$MEMLENS" sound "$T/t.lime" -o "$T/l2.au" --holes silence --encoding s8 --quiet
sox "$T/l2.au" -t raw -e signed -b 8 "$T/l2.raw"
{ cat "$T/la.bin"; head -c 2048 "$T/lb.bin"; sil 0 2048; } | cmp -s - "$T/l2.raw" || fail "LiME, silence"

# -o - on a pipe: the header is sent before the holes are known; skip mode
# still gives exactly the captured bytes
"$MEMLENS" sound "$T/t.core" -o - --quiet | sox -t wav - -t raw "$T/tp.raw"
cmp -s "$T/t.raw" "$T/tp.raw" || fail "truncated core through a pipe"
sox_clean
exit 0
