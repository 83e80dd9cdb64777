#!/bin/bash
# `memlens hilbert`: a stopped specimen's map against the process's own
# /proc/PID/maps and smaps read by the oracle (every mapping one stretch of
# its kind's colour, gaps white, the unused end navy and far from every
# shade, residency = smaps Rss, the specimen's areas where it says they
# are); its core against the PT_LOAD headers; a raw file (all captured); a
# 16 EiB LiME range's legend; --system holding a process this test
# started; usage errors.
. "$TESTS_SRCDIR/lib.sh"
PY=/usr/bin/python3
$PY -c 'import PIL' 2>/dev/null || fail "Pillow (python3-pil, .ci/packages.d/image.txt) is not installed"
O="$TESTS_SRCDIR/hilbert_oracle.py"

start_specimen --files "$T"
kill -STOP "$SPEC_PID"
"$MEMLENS" hilbert "$SPEC_PID" -o "$T/m.png" --map "$T/m.json" --html "$T/m.html" || fail "hilbert PID"
$PY "$O" map "$SPEC_PID" "$T/m.json" "$T/m.png" "$SPEC_OUT" || fail "hilbert PID: the map"
# The classic curve on request: the same checks on its power-of-two square.
"$MEMLENS" hilbert "$SPEC_PID" --curve hilbert -o "$T/k.png" --map "$T/k.json" || fail "hilbert --curve hilbert"
$PY "$O" map "$SPEC_PID" "$T/k.json" "$T/k.png" "$SPEC_OUT" || fail "hilbert --curve hilbert: the map"
$PY - "$T/m.json" "$T/k.json" <<'PY' || fail "curves"
import json, sys
g, k = (json.load(open(f)) for f in sys.argv[1:])
used = g['runs'][-1]['last_cell'] + 1
assert g['curve'] == 'gilbert' and k['curve'] == 'hilbert', (g['curve'], k['curve'])
# gilbert: less than a column unused; the classic square: what is left of 4^order
assert g['cols'] * g['rows'] - used < g['rows'], (g['cols'], g['rows'], used)
assert k['cols'] == k['rows'] == 1 << k['order'] and k['cols'] ** 2 >= used, (k['order'], used)
PY
grep -q "<script type=\"application/json\" id=\"data\">" "$T/m.html" || fail "no data in the page"

# A core of the same process (gdb's gcore): shades follow the core's own
# PT_LOAD headers (file size 0: dim; whole: bright).
command -v gcore >/dev/null 2>&1 || fail "gcore (gdb, .ci/packages.d/foundation.txt) is not installed"
gcore -o "$T/core" "$SPEC_PID" >/dev/null 2>&1 || fail "gcore"
"$MEMLENS" hilbert "$T/core.$SPEC_PID" -o "$T/c.png" --map "$T/c.json" || fail "hilbert CORE"
$PY "$O" core "$T/c.json" "$T/c.png" "$T/core.$SPEC_PID" || fail "hilbert CORE: the map"

# A raw file: one region, every cell captured (bright raw).
head -c 100000 /dev/urandom >"$T/raw.bin"
"$MEMLENS" hilbert "$T/raw.bin" -o "$T/r.png" --map "$T/r.json" || fail "hilbert raw"
$PY - "$T/r.json" "$T/r.png" <<'PY' || fail "raw map"
import json, sys
import os
sys.path.insert(0, os.environ['TESTS_SRCDIR'])
import hilbert_oracle as h
from PIL import Image
m = json.load(open(sys.argv[1]))
px = Image.open(sys.argv[2]).convert('RGB').load()
(r,) = m['runs']
assert r['kind'] == 'raw' and r['pages'] == 25 and r['captured'] == 25, r
bright = [h.hexrgb(e['colour']) for e in m['legend'] if e['label'].startswith('raw (bright')][0]
for c in range(r['first_cell'], r['last_cell'] + 1):
    assert h.cell_pixel(px, m, c) == bright, c
PY

# A LiME range 0..2^64-2 (tests/fuzz/regress/lime/): the cell grows to
# 2^32 pages (it said "1 pages" when the count was a 32-bit shift, and
# UBSan stopped the run).  The expected unit comes from the LiME header
# alone: the fewest pages per cell, a power of two, that fit 2^20 cells.
L="$TESTS_SRCDIR/fuzz/regress/lime/range-16eib-hilbert-shift.lime"
"$MEMLENS" hilbert "$L" -o "$T/l.png" --map "$T/l.json" 2>/dev/null || fail "hilbert of a 16 EiB range"
$PY - "$L" "$T/l.json" "$T/l.png" <<'PY' || fail "16 EiB range: the legend's unit"
import json, struct, sys
from PIL import Image
magic, version, start, end = struct.unpack_from('<IIQQ', open(sys.argv[1], 'rb').read(32))
assert magic == 0x4C694D45 and (start, end) == (0, 2**64 - 2), (hex(magic), start, end)
length, ps, shift = end - start + 1, 4096, 0
while -(-length // (ps << shift)) > 1 << 20:
    shift += 1
cells = -(-length // (ps << shift))
want = f'One cell = {(ps << shift) / 2**40:.1f} TiB ({1 << shift} pages of {ps} bytes); {cells} cells on a 1024x1024 curve.'
m = json.load(open(sys.argv[2]))
assert m['scale'] == want, (m['scale'], want)
assert Image.open(sys.argv[3]).info['Scale'] == want
PY

# --system: a process this test started, by pid and name.
start_sleeper
"$MEMLENS" hilbert --system -o "$T/s.png" --map "$T/s.json" 2>"$T/err" || fail "--system"
$PY "$O" system "$T/s.json" "$T/s.png" "$SLEEP_PID" sleep || fail "--system: the map"
$PY "$O" system "$T/s.json" "$T/s.png" "$$" bash || fail "--system: this shell"
"$MEMLENS" hilbert --system --by rss -o "$T/s2.png" --map "$T/s2.json" 2>"$T/err" || fail "--system --by rss"
$PY "$O" system "$T/s2.json" "$T/s2.png" "$SLEEP_PID" sleep || fail "--by rss: the map"
kill "$SLEEP_PID"

# Usage errors.
expect_error 2 "$T/x.png" "$MEMLENS" hilbert -o "$T/x.png"
expect_error 2 "$T/x.png" "$MEMLENS" hilbert --system self -o "$T/x.png"
expect_error 2 "$T/x.png" "$MEMLENS" hilbert self --by rss -o "$T/x.png"
expect_error 2 "$T/x.png" "$MEMLENS" hilbert self --curve peano -o "$T/x.png"
expect_error 2 "$T/x.bmp" "$MEMLENS" hilbert self -o "$T/x.bmp"
expect_error 2 - "$MEMLENS" hilbert self
expect_error 1 "$T/x.png" "$MEMLENS" hilbert 999999999 -o "$T/x.png"
echo ok
