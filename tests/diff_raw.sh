#!/bin/bash
# memlens diff against a byte oracle: raw and LiME dumps made by
# tests/diff_oracle.py, whose every changed range, count, mapping and
# picture pixel it works out itself with numpy (granules 1 to 1 MiB,
# changes at block and page edges, added, removed and unknown bytes,
# --strict), plus the errors of a diff that cannot run.
. "$TESTS_SRCDIR/lib.sh"
/usr/bin/python3 "$TESTS_SRCDIR/diff_oracle.py" "$MEMLENS" "$T" || fail "diff oracle"

head -c 8192 /dev/urandom >"$T/x.raw"
expect_error 2 - "$MEMLENS" diff "$T/x.raw"
expect_error 2 - "$MEMLENS" diff "$T/x.raw" "$T/x.raw" "$T/x.raw"
expect_error 2 - "$MEMLENS" diff "$T/x.raw" "$T/x.raw" --granule 3
expect_error 2 - "$MEMLENS" diff "$T/x.raw" "$T/x.raw" --bpp 8
expect_error 2 - "$MEMLENS" diff "$T/x.raw" "$T/x.raw" --map "$T/m.json"
expect_error 2 "$T/d.bmp" "$MEMLENS" diff "$T/x.raw" "$T/x.raw" -o "$T/d.bmp"
expect_error 2 "$T/d.png" "$MEMLENS" diff "$T/x.raw" "$T/x.raw" -o "$T/d.png" --bpp 8 --palette entropy
expect_error 1 - "$MEMLENS" diff "$T/x.raw" "$T/nonexistent"
cp "$T/x.raw" "$T/y.png"
# neither input is overwritten
expect_error 1 - "$MEMLENS" diff "$T/x.raw" "$T/y.png" -o "$T/y.png"
cmp -s "$T/x.raw" "$T/y.png" || fail "diff wrote over its input"
expect_error 1 - "$MEMLENS" diff "$T/x.raw" "$T/y.png" --region heap
echo "diff raw OK"
