#!/bin/bash
# trace-report's outputs, each against an oracle: the heatmap read by
# Pillow (size from --fit, legend, axis labels, and the program's own
# timeline: a 32 MiB block live only in the second half lights most rows
# only on the right); the --html page (its picture is -o's, its numbers
# the JSON's); --folded weights adding up to the summary's totals; --tree
# holding the program's sites; --json valid against doc/memlens.schema.json.
. "$TESTS_SRCDIR/lib.sh"
B=$(dirname "$MEMLENS")
PROG=$B/tests/trace_prog
CHECK="/usr/bin/python3 $TESTS_SRCDIR/trace_check.py"
SCHEMA="$TESTS_SRCDIR/../doc/memlens.schema.json"

"$MEMLENS" trace -o "$T/h.mltrace" -- "$PROG" heat >/dev/null || [ $? -eq 3 ] || fail "trace heat"
"$MEMLENS" trace-report "$T/h.mltrace" -o "$T/h.png" --fit 900x560 >/dev/null || fail "heatmap"
$CHECK timeline "$T/h.png" 900 560 || fail "heatmap against the program's timeline"
"$MEMLENS" trace-report "$T/h.mltrace" -o "$T/d.png" >/dev/null || fail "default heatmap"
$CHECK heatmap "$T/d.png" 1200 700 >/dev/null || fail "default size"

"$MEMLENS" trace -o "$T/s.mltrace" -- "$PROG" single >/dev/null || [ $? -eq 3 ] || fail "trace single"
"$MEMLENS" trace-report --json "$T/s.mltrace" >"$T/s.json" || fail "json"
$CHECK schema "$SCHEMA" "$T/s.json" || fail "schema"
/usr/bin/python3 "$TESTS_SRCDIR/cli_json.py" "$SCHEMA" "$T/s.json" report kind=trace path="$T/s.mltrace" \
	name=trace_prog file_size=size:"$T/s.mltrace" >/dev/null || fail "source object"
"$MEMLENS" trace-report "$T/s.mltrace" -o "$T/s.png" --html "$T/s.html" >/dev/null || fail "html"
$CHECK html "$T/s.html" "$T/s.png" "$T/s.json" || fail "html page"
for w in bytes calls leaked; do
	"$MEMLENS" trace-report --folded --weight $w "$T/s.mltrace" >"$T/f.$w" || fail "folded $w"
	$CHECK folded "$T/f.$w" "$T/s.json" $w || fail "folded $w"
done
grep -q ';site_a 300000$' "$T/f.bytes" || fail "site_a's bytes in the folded stacks"
grep -q ';site_a 3000$' "$T/f.calls" || fail "site_a's calls in the folded stacks"
"$MEMLENS" trace-report --tree "$T/s.mltrace" >"$T/tree" || fail "tree"
grep -q '^ *293.0 KiB 3000 calls site_a (trace_prog.c:[0-9]*)$' "$T/tree" || fail "site_a in the tree: $(cat "$T/tree")"
grep -q '^allocation calls: 6073 ' "$T/tree" || fail "the tree's summary"
# the text report: the sites by calls, in order
"$MEMLENS" trace-report "$T/s.mltrace" >"$T/text" || fail "text"
sed -n '/^Top allocation sites by calls/,/^$/p' "$T/text" | awk '/^  [0-9]+\./ { getline; print $1 }' | head -3 |
	paste -sd, | grep -qx 'site_a,site_b,site_c' || fail "sites by calls: $(cat "$T/text")"
# --html - and -o - on pipes
"$MEMLENS" trace-report "$T/s.mltrace" -o - | /usr/bin/python3 -c 'import sys, io; from PIL import Image; Image.open(io.BytesIO(sys.stdin.buffer.read())).verify()' ||
	fail "-o - is not a PNG"
