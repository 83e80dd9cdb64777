#!/bin/bash
# `memlens hilbert --html` in headless Chromium (tests/hilbert_cdp.py over
# the DevTools protocol): hovering a known cell shows that mapping's range,
# kind and resident pages as the specimen and smaps know them; a gap says
# so; --system names this test's process; a file whose name is markup stays
# text (no extra element, no script run).
. "$TESTS_SRCDIR/lib.sh"
PY=/usr/bin/python3
$PY -c 'import PIL, websocket' 2>/dev/null || fail "python3-pil or python3-websocket (.ci/packages.d/hilbert.txt) is not installed"
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || fail "chromium (.ci/packages.d/hilbert.txt) is not installed"
O="$TESTS_SRCDIR/hilbert_oracle.py"
CDP="$TESTS_SRCDIR/hilbert_cdp.py"

start_specimen
kill -STOP "$SPEC_PID"
"$MEMLENS" hilbert "$SPEC_PID" -o "$T/m.png" --map "$T/m.json" --html "$T/m.html" || fail "hilbert --html"
# The cells to hover: the middle of the specimen's pattern area, and the
# first gap; their positions from the oracle's own curve.
read -r pc gc <<<"$($PY - "$T/m.json" "$(spec_addr pattern 2)" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
a = int(sys.argv[2], 16)
r = next(r for r in m['runs'] if r['kind'] != 'gap' and int(r['start'], 16) == a)
g = next(r for r in m['runs'] if r['kind'] == 'gap')
print((r['first_cell'] + r['last_cell']) // 2, g['first_cell'])
PY
)"
out=$(timeout 120 $PY "$CDP" "$T/m.html" $($PY "$O" cell "$T/m.json" $pc) $($PY "$O" cell "$T/m.json" $gc)) ||
	fail "chromium did not run the page"
start=$(spec_addr pattern 2)
end=$(spec_addr pattern 3)
rss_pages=$(awk -v s="$start-$end" '$1 == s { f = 1; next } f && /^Rss:/ { print $2 / 4; exit }' "/proc/$SPEC_PID/smaps")
[ "$(getconf PAGESIZE)" = 4096 ] || cannot_run "a machine with 4 KiB pages (the Rss arithmetic assumes them)"
$PY - "$out" "$start" "$end" "$rss_pages" <<'PY' || fail "tooltips"
import json, sys
o = json.loads(sys.argv[1])
start, end, rss = sys.argv[2], sys.argv[3], int(sys.argv[4])
pat, gap = o['hovers']
assert pat['visible'], o
want = f'0x{start}-0x{end} rw-p anon'
assert pat['tip'].startswith(want), (pat['tip'], want)
pages = (int(end, 16) - int(start, 16)) // 4096
assert f'{rss} of {pages} pages resident' in pat['tip'], (pat['tip'], rss, pages)
assert gap['tip'].startswith('unmapped gap 0x'), gap
assert o['images'] == 1 and not o['pwned'], o
PY

# --curve hilbert: the classic curve's page finds the same mapping.
"$MEMLENS" hilbert "$SPEC_PID" --curve hilbert -o "$T/k.png" --map "$T/k.json" --html "$T/k.html" || fail "--curve hilbert --html"
kc=$($PY - "$T/k.json" "$(spec_addr pattern 2)" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
a = int(sys.argv[2], 16)
r = next(r for r in m['runs'] if r['kind'] != 'gap' and int(r['start'], 16) == a)
assert m['curve'] == 'hilbert' and m['cols'] == 1 << m['order'], m['curve']
print((r['first_cell'] + r['last_cell']) // 2)
PY
)
out=$(timeout 120 $PY "$CDP" "$T/k.html" $($PY "$O" cell "$T/k.json" $kc)) || fail "chromium, --curve hilbert"
$PY -c '
import json, sys
o = json.loads(sys.argv[1])
assert o["hovers"][0]["tip"].startswith("0x%s-0x%s rw-p anon" % (sys.argv[2], sys.argv[3])), o' "$out" "$start" "$end" ||
	fail "--curve hilbert tooltip"

# --system: the hover names this test's sleep by pid and command.
start_sleeper
"$MEMLENS" hilbert --system -o "$T/s.png" --map "$T/s.json" --html "$T/s.html" 2>/dev/null || fail "--system --html"
c=$($PY -c '
import json, sys
m = json.load(open(sys.argv[1]))
print(next(r for r in m["runs"] if r["pid"] == int(sys.argv[2]))["first_cell"])' "$T/s.json" "$SLEEP_PID")
out=$(timeout 120 $PY "$CDP" "$T/s.html" $($PY "$O" cell "$T/s.json" $c)) || fail "chromium --system"
kill "$SLEEP_PID"
$PY -c '
import json, sys
o = json.loads(sys.argv[1])
tip = o["hovers"][0]["tip"]
assert tip.startswith("pid %s sleep\n" % sys.argv[2]), tip' "$out" "$SLEEP_PID" || fail "--system tooltip"

# Markup in a file name is text: in the title (a raw file of that name) and
# in a tooltip (a process that maps it).
name='<img src=x onerror="window.pwned=1">&amp;.bin'
head -c 50000 /dev/urandom >"$T/$name"
"$MEMLENS" hilbert "$T/$name" -o "$T/h.png" --html "$T/h.html" || fail "hostile name"
out=$(timeout 120 $PY "$CDP" "$T/h.html" 0 0 2) || fail "chromium, hostile name"
$PY -c '
import json, sys
o = json.loads(sys.argv[1])
assert o["images"] == 1 and not o["pwned"], o
assert sys.argv[2] in o["h1"], (o["h1"], sys.argv[2])' "$out" "$T/$name" || fail "markup in the title was not escaped"
mkfifo "$T/mapper"
$PY -c '
import mmap, os, signal, sys
f = open(sys.argv[1], "rb")
m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
print("ready", flush=True)
signal.pause()' "$T/$name" >"$T/mapper" &
MAP_PID=$!
read -r _ <"$T/mapper"
"$MEMLENS" hilbert "$MAP_PID" -o "$T/p.png" --map "$T/p.json" --html "$T/p.html" || fail "hostile path"
c=$($PY -c '
import json, sys
m = json.load(open(sys.argv[1]))
print(next(r for r in m["runs"] if (r.get("path") or "").endswith(sys.argv[2]))["first_cell"])' "$T/p.json" "$name")
out=$(timeout 120 $PY "$CDP" "$T/p.html" $($PY "$O" cell "$T/p.json" $c)) || fail "chromium, hostile path"
kill "$MAP_PID"
$PY -c '
import json, sys
o = json.loads(sys.argv[1])
assert o["images"] == 1 and not o["pwned"], o
tip = o["hovers"][0]["tip"]
assert (" file " + sys.argv[2] + "\n") in tip, tip' "$out" "$T/$name" || fail "markup in a path was not escaped"
echo ok
