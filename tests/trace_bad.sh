#!/bin/bash
# Bad input to memlens trace and trace-report: a static executable is
# refused before it runs; a program that is not there is exit 127 with one
# line; a record of another format version, a file that is no record, and
# an empty one are one clear line each (exit 1); a truncated or damaged
# record gives what was recorded before the damage and exactly one warning
# (checked against the full record's numbers); option misuse is exit 2.
. "$TESTS_SRCDIR/lib.sh"
B=$(dirname "$MEMLENS")
PROG=$B/tests/trace_prog

expect_error 1 "$T/s.mltrace" "$MEMLENS" trace -o "$T/s.mltrace" -- "$B/tests/trace_static" "$T/ran"
grep -q 'static executable' "$T/stderr" || fail "static: $(cat "$T/stderr")"
[ ! -e "$T/ran" ] || fail "the static program was run"
expect_error 127 "$T/n.mltrace" "$MEMLENS" trace -o "$T/n.mltrace" -- no-such-program-here
grep -q 'not found' "$T/stderr" || fail "not found: $(cat "$T/stderr")"
expect_error 127 "$T/n.mltrace" "$MEMLENS" trace -o "$T/n.mltrace" -- "$T/nothing/here"
printf 'plain text\n' >"$T/text"
chmod -x "$T/text"
expect_error 126 "$T/n.mltrace" "$MEMLENS" trace -o "$T/n.mltrace" -- "$T/text"

# usage errors
expect_error 2 - "$MEMLENS" trace -o "$T/x.mltrace"
expect_error 2 - "$MEMLENS" trace -- "$PROG" single
expect_error 2 - "$MEMLENS" trace -o "$T/x.mltrace" --to 127.0.0.1:1 -- "$PROG" single
expect_error 2 - "$MEMLENS" trace --no-follow -o "$T/x.mltrace" -- "$PROG" single
expect_error 2 - "$MEMLENS" trace --listen 99999 -o "$T/x.mltrace"
expect_error 2 - "$MEMLENS" trace --listen 4000 -o "$T/x.mltrace" -- "$PROG"
expect_error 2 - "$MEMLENS" trace-report
expect_error 2 - "$MEMLENS" trace-report "$T/a" "$T/b"
expect_error 2 - "$MEMLENS" trace-report --weight calls "$T/a"
expect_error 2 - "$MEMLENS" trace-report --tree --json "$T/a"
expect_error 2 - "$MEMLENS" trace-report --fit 100x100 "$T/a"
expect_error 2 - "$MEMLENS" trace-report -o "$T/h.bmp" "$T/a"

# Records that cannot be read at all.
"$MEMLENS" trace -o "$T/good.mltrace" -- "$PROG" single >/dev/null || [ $? -eq 3 ] || fail "trace"
/usr/bin/python3 - "$T/good.mltrace" "$T/v2.mltrace" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[8] = 2    # the major version
open(sys.argv[2], "wb").write(b)
PY
expect_error 1 - "$MEMLENS" trace-report "$T/v2.mltrace"
grep -q 'another format version (format 2\.0; this memlens reads 1\.x)' "$T/stderr" || fail "version: $(cat "$T/stderr")"
expect_error 1 - "$MEMLENS" trace-report "$T/text"
grep -q 'not a memlens trace record' "$T/stderr" || fail "not a record: $(cat "$T/stderr")"
: >"$T/empty"
expect_error 1 - "$MEMLENS" trace-report "$T/empty"
expect_error 1 - "$MEMLENS" trace-report "$T/missing"
expect_error 1 "$T/h.png" "$MEMLENS" trace-report "$T/text" -o "$T/h.png"

# Truncated and damaged: what came before, and one warning.
"$MEMLENS" trace-report --json "$T/good.mltrace" >"$T/good.json" || fail "report"
size=$(stat -c %s "$T/good.mltrace")
for cut in $((size - 1)) $((size / 2)) $((size / 3)) 200; do
	head -c "$cut" "$T/good.mltrace" >"$T/cut.mltrace"
	"$MEMLENS" trace-report --json "$T/cut.mltrace" >"$T/cut.json" 2>"$T/cut.err" || fail "cut at $cut: exit $?"
	[ "$(wc -l <"$T/cut.err")" -eq 1 ] && grep -q '^memlens: trace-report: warning: .*truncated' "$T/cut.err" ||
		fail "cut at $cut: expected one warning, got: $(cat "$T/cut.err")"
	/usr/bin/python3 - "$T/good.json" "$T/cut.json" <<'PY' || fail "cut at $cut: numbers"
import json, sys
a, b = (json.load(open(p))["summary"] for p in sys.argv[1:3])
assert b["calls"] <= a["calls"] and b["temporary"] <= a["temporary"], (a, b)
assert json.load(open(sys.argv[2]))["source"]["truncated"] is True
PY
done
# one flipped byte in each of three places
for at in $((size / 4)) $((size / 2)) $((size - 30)); do
	/usr/bin/python3 - "$T/good.mltrace" "$T/bad.mltrace" "$at" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[int(sys.argv[3])] ^= 0x40
open(sys.argv[2], "wb").write(b)
PY
	"$MEMLENS" trace-report "$T/bad.mltrace" >"$T/bad.out" 2>"$T/bad.err" || fail "damaged at $at: exit $?"
	[ "$(wc -l <"$T/bad.err")" -eq 1 ] && grep -q '^memlens: trace-report: warning: .*damaged' "$T/bad.err" ||
		fail "damaged at $at: expected one warning, got: $(cat "$T/bad.err")"
done
