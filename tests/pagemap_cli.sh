#!/bin/bash
# Bad input to `memlens pagemap`: one line, the right exit code, no file.
. "$TESTS_SRCDIR/lib.sh"
O=$T/pm.png
expect_error 2 - "$MEMLENS" pagemap self --json --csv
expect_error 2 - "$MEMLENS" pagemap self --pages
expect_error 2 "$O" "$MEMLENS" pagemap self --json -o "$O"
expect_error 2 "$T/pm.bmp" "$MEMLENS" pagemap self -o "$T/pm.bmp"
expect_error 2 - "$MEMLENS" pagemap self --width 0
expect_error 2 - "$MEMLENS" pagemap self --color rainbow
expect_error 2 - "$MEMLENS" pagemap self --layout spiral
expect_error 2 - "$MEMLENS" pagemap --physical self
expect_error 2 - "$MEMLENS" pagemap
expect_error 1 - "$MEMLENS" pagemap 2147483646
expect_error 1 "$T/x/pm.png" "$MEMLENS" pagemap self -o "$T/x/pm.png"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$T"
	expect_error 1 - setpriv --reuid=nobody --regid=nogroup --clear-groups "$MEMLENS" pagemap --physical
	grep -q "needs root" "$T/stderr" || fail "--physical as nobody: $(cat "$T/stderr")"
	start_specimen
	expect_error 1 - setpriv --reuid=nobody --regid=nogroup --clear-groups "$MEMLENS" pagemap "$SPEC_PID"
fi
# A raw file: every page captured; a truncated LiME: the lost pages are holes.
head -c 10000 /dev/urandom >"$T/raw"
"$MEMLENS" pagemap "$T/raw" --json | python3 -c '
import json, sys; t = json.load(sys.stdin)["totals"]
assert t == {"pages": 3, "captured": 3, "holes": 0}, t' || fail "raw file pages"
echo "pagemap cli OK"
