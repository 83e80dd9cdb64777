#!/bin/bash
# Bad input to `memlens image`: each is one line on stderr, the right exit
# code, and no output file (nor a temporary one) left behind.
. "$TESTS_SRCDIR/lib.sh"
head -c 4096 /dev/urandom >"$T/in"
O=$T/out.png
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --width 0
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --width -5
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --width 99999999999
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --width wide
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --bpp 12
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --bpp 64
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --order gbr
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --palette rainbow --bpp 8
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --palette byteclass
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --alpha
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --holes maybe
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --scale 0
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --fit 100
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --fit 0x10
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --fit 10x10 --scale 2
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --level 10
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --threads 0
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --dpi 0
expect_error 2 "$O" "$MEMLENS" image "$T/in" -o "$O" --bottom-up
expect_error 2 - "$MEMLENS" image "$T/in"
expect_error 2 "$T/out.gif" "$MEMLENS" image "$T/in" -o "$T/out.gif"
grep -q "unknown picture format" "$T/stderr" || fail "unknown extension: $(cat "$T/stderr")"
expect_error 2 "$T/out" "$MEMLENS" image "$T/in" -o "$T/out"
expect_error 1 - "$MEMLENS" image "$T/in" -o "$T/no/such/dir/x.png"
mkdir "$T/ro" && chmod 555 "$T/ro"
if [ "$(id -u)" -ne 0 ]; then
	expect_error 1 "$T/ro/x.png" "$MEMLENS" image "$T/in" -o "$T/ro/x.png"
else
	expect_error 1 "$T/ro/x.png" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$MEMLENS" image /dev/zero --as raw -o "$T/ro/x.png" 2>/dev/null ||
		expect_error 1 - "$MEMLENS" image "$T/in" -o /proc/x.png
fi
expect_error 1 "$T/missing.png" "$MEMLENS" image "$T/missing" -o "$T/missing.png"
expect_error 1 "$T/in.png" "$MEMLENS" image "$T/in" -o "$T/in.png" --region heap
: >"$T/empty"
expect_error 1 "$T/e.png" "$MEMLENS" image "$T/empty" -o "$T/e.png"
grep -q "nothing to draw" "$T/stderr" || fail "empty input: $(cat "$T/stderr")"
# The input is never the output.
cp "$T/in" "$T/self.png"
expect_error 1 - "$MEMLENS" image "$T/self.png" -o "$T/self.png"
cmp -s "$T/in" "$T/self.png" || fail "the input was overwritten"
# A BMP over 4 GiB is refused before anything is written (sparse input).
truncate -s 5G "$T/sparse"
expect_error 1 "$T/big.bmp" "$MEMLENS" image "$T/sparse" -o "$T/big.bmp"
grep -q "4 GiB" "$T/stderr" || fail "big BMP: $(cat "$T/stderr")"
# A disk that fills up: no partial file.
if [ "$(id -u)" -eq 0 ] && mkdir "$T/tiny" && mount -t tmpfs -o size=64k tmpfs "$T/tiny" 2>/dev/null; then
	head -c 1000000 /dev/urandom >"$T/rand"
	trap 'umount "$T/tiny" 2>/dev/null; cleanup' EXIT
	expect_error 1 "$T/tiny/x.bmp" "$MEMLENS" image "$T/rand" -o "$T/tiny/x.bmp"
	[ -z "$(ls -A "$T/tiny")" ] || fail "disk full left $(ls -A "$T/tiny")"
	expect_error 1 "$T/tiny/x.png" "$MEMLENS" image "$T/rand" -o "$T/tiny/x.png" --level 0
	[ -z "$(ls -A "$T/tiny")" ] || fail "disk full left $(ls -A "$T/tiny")"
fi
echo "image cli OK"
