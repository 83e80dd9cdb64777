#!/bin/bash
# The pictures of `memlens heap` on heap_target: Pillow decodes the PNG and
# every granule of every recorded chunk has its kind's colour from the
# PNG's legend; the terminal map's cells agree with the record; the usage
# errors are one line each and leave no file behind.
. "$TESTS_SRCDIR/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] && $PY -c 'import PIL' 2>/dev/null || cannot_run "Debian python3 with Pillow"
TARGET=$(dirname "$MEMLENS")/tests/heap_target
SPECIMEN_CMD="$TARGET" start_specimen "$T"
kill -STOP "$SPEC_PID"
"$MEMLENS" heap "$SPEC_PID" --json --chunks >"$T/c.json" 2>/dev/null || fail "--json --chunks"
"$MEMLENS" heap "$SPEC_PID" -o "$T/h.png" 2>"$T/err" || fail "-o: $(cat "$T/err")"
$PY "$TESTS_SRCDIR/heap_render.py" png "$T/heap_target.rec" "$T/c.json" "$T/h.png" || fail "png"
"$MEMLENS" heap "$SPEC_PID" --color never >"$T/map.txt" 2>/dev/null || fail "terminal map"
$PY "$TESTS_SRCDIR/heap_render.py" term "$T/heap_target.rec" "$T/c.json" "$T/map.txt" || fail "terminal map"
grep -q '^legend: ' "$T/map.txt" || fail "no legend"
"$MEMLENS" heap "$SPEC_PID" --color always >"$T/color.txt" 2>/dev/null || fail "colour map"
grep -q $'\e\\[38;5;255m' "$T/color.txt" || fail "no full-gray cells in the colour map"
grep -q '▀' "$T/color.txt" || fail "no half blocks"

expect_error 2 "$T/x.txt" "$MEMLENS" heap "$SPEC_PID" -o "$T/x.txt"
expect_error 2 - "$MEMLENS" heap "$SPEC_PID" --chunks
expect_error 2 "$T/y.png" "$MEMLENS" heap "$SPEC_PID" --json -o "$T/y.png"
expect_error 2 - "$MEMLENS" heap "$SPEC_PID" --glibc 2.99
expect_error 2 - "$MEMLENS" heap "$SPEC_PID" --color sometimes
expect_error 1 - "$MEMLENS" heap 999999999
head -c 65536 /dev/urandom >"$T/noise.bin"
expect_error 1 - "$MEMLENS" heap "$T/noise.bin" --quiet
exit 0
