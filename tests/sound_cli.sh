#!/bin/bash
# sound_cli: every bad input to `memlens sound` gives one line on stderr,
# the right exit code (2 usage, 1 runtime) and no output file, temporary
# or final; --help documents every option.
. "$TESTS_SRCDIR/lib.sh"

head -c 10000 /dev/urandom >"$T/in.bin"
IN=$T/in.bin
O=$T/out.wav
e2() { expect_error 2 "$O" "$MEMLENS" sound "$IN" -o "$O" "$@"; }

# --rate: zero, absurd, not a number, negative, empty
for r in 0 1000001 99999999999999999999 abc -8000 "" 8k 44100.5; do e2 --rate "$r"; done
# --encoding: unknown names (names are case-sensitive, like sox's)
for enc in u16 s16 pcm U8 "" float mp3; do e2 --encoding "$enc"; done
# --channels: zero, absurd, not a number
for c in 0 1025 -1 two ""; do e2 --channels "$c"; done
# a channel count the container cannot hold (FLAC: 8 at most)
expect_error 2 "$T/o.flac" "$MEMLENS" sound "$IN" -o "$T/o.flac" --channels 9
# an encoding the container cannot hold
for enc in s32le f32le ulaw alaw; do
	expect_error 2 "$T/o.flac" "$MEMLENS" sound "$IN" -o "$T/o.flac" --encoding "$enc"
done
expect_error 2 "$T/o.ogg" "$MEMLENS" sound "$IN" -o "$T/o.ogg" --encoding ulaw
expect_error 2 "$T/o.flac" "$MEMLENS" sound "$IN" -o "$T/o.flac" --rate 700000
# --preset, --holes, --seconds
for p in "" memgazee dump2wav wav; do e2 --preset "$p"; done
for h in "" zero skipp; do e2 --holes "$h"; done
for s in 0 -1 abc "" 1e10 nan inf 0.00001; do e2 --seconds "$s"; done
# unknown option, missing argument, missing -o, missing SOURCE, extra operand
e2 --bogus
expect_error 2 "$O" "$MEMLENS" sound "$IN" -o "$O" --rate
expect_error 2 - "$MEMLENS" sound "$IN"
expect_error 2 - "$MEMLENS" sound -o "$O"
expect_error 2 "$O" "$MEMLENS" sound "$IN" extra -o "$O"
# an output type that is not audio, or no extension at all
expect_error 2 "$T/o.mp3" "$MEMLENS" sound "$IN" -o "$T/o.mp3"
expect_error 2 "$T/noext" "$MEMLENS" sound "$IN" -o "$T/noext"

# runtime: unwritable output, a directory, the input itself, a missing source
expect_error 1 "$T/nodir/o.wav" "$MEMLENS" sound "$IN" -o "$T/nodir/o.wav"
mkdir "$T/dir.wav"
expect_error 1 - "$MEMLENS" sound "$IN" -o "$T/dir.wav"
expect_error 1 - "$MEMLENS" sound "$IN" -o /proc/memlens-test.wav
cp "$IN" "$T/self.wav"
expect_error 1 - "$MEMLENS" sound "$T/self.wav" -o "$T/self.wav"
cmp -s "$IN" "$T/self.wav" || fail "the input was overwritten"
expect_error 1 "$O" "$MEMLENS" sound "$T/missing.bin" -o "$O"
expect_error 1 "$O" "$MEMLENS" sound "$IN" --region heap -o "$O"
# a full disk: no partial file left behind
if [ -w /dev/full ]; then
	rc=0
	"$MEMLENS" sound "$IN" -o - >/dev/full 2>"$T/err" || rc=$?
	[ "$rc" -eq 1 ] || fail "/dev/full: exit $rc"
	[ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "^memlens: sound: .*No space" "$T/err" ||
		fail "/dev/full: $(cat "$T/err")"
fi
# a full file system (a tiny tmpfs, when we may mount one): no file left
mkdir "$T/full"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=64k tmpfs "$T/full" 2>/dev/null; then
	trap 'umount "$T/full" 2>/dev/null; cleanup' EXIT
	head -c 200000 /dev/urandom >"$T/big.bin"
	for ext in wav flac aiff; do
		expect_error 1 "$T/full/o.$ext" "$MEMLENS" sound "$T/big.bin" -o "$T/full/o.$ext"
		[ -z "$(ls -A "$T/full")" ] || fail "disk full .$ext left $(ls -A "$T/full")"
	done
	umount "$T/full"
fi
# -o - on a terminal is refused (script(1) gives the command a pty)
if command -v script >/dev/null; then
	rc=0
	script -qec "'$MEMLENS' sound '$IN' -o -" /dev/null >"$T/tty.out" 2>&1 || rc=$?
	[ "$rc" -eq 2 ] || fail "-o - on a terminal: exit $rc"
	grep -q "^memlens: sound: -o -: standard output is a terminal" "$T/tty.out" ||
		fail "-o - on a terminal: $(cat "$T/tty.out")"
	[ "$(wc -c <"$T/tty.out")" -lt 300 ] || fail "-o - on a terminal wrote audio"
fi
# an existing output survives a failed run unchanged
echo keep >"$T/keep.wav"
expect_error 1 - "$MEMLENS" sound "$T/missing.bin" -o "$T/keep.wav"
[ "$(cat "$T/keep.wav")" = keep ] || fail "a failed run replaced the existing output"

# --help names every option
"$MEMLENS" sound --help >"$T/help" || fail "--help exit"
for o in --output --encoding --rate --channels --preset --holes --seconds --region --base \
	u8 s8 s16le s16be s24le s32le f32le ulaw alaw memgaze dump2wave skip silence; do
	grep -q -- "$o" "$T/help" || fail "--help does not mention $o"
done
exit 0
