#!/bin/bash
# sound_big: a .wav past 4 GiB is written as RF64, to a file and through a
# pipe, and sox reads every sample back: exactly as many as bytes, the
# last five the input's last five.  The input is a sparse file (no disk);
# each output is 4 GiB while it exists (one at a time).  It runs in CI:
# about a minute here, because sox reads through a pipe with a 1 MiB
# buffer and skips with `trim` (given the seekable file it scans it in
# 4 KiB reads, three times slower).
. "$TESTS_SRCDIR/lib.sh"
. "$TESTS_SRCDIR/sound_lib.sh"
size=$(( (4 << 30) + 12345 ))
truncate -s "$size" "$T/big.bin"
printf 'TAIL!' | dd of="$T/big.bin" bs=1 seek=$((size - 5)) conv=notrunc 2>/dev/null
# sox SOURCE-ARGS...: the samples from the fifth-last on, as raw bytes
last5() { sox --buffer 1048576 "$@" -t raw - trim $((size - 5))s; }

"$MEMLENS" sound "$T/big.bin" -o "$T/big.wav" --quiet || fail "big .wav"
[ "$(head -c 4 "$T/big.wav")" = RF64 ] || fail "a .wav past 4 GiB is not RF64"
# soxi reads the header (its first MiB through a pipe: on the whole file it scans every byte)
[ "$(head -c 1048576 "$T/big.wav" | soxi -s -)" = "$size" ] || fail "RF64 sample count (soxi)"
[ "$(cat "$T/big.wav" | last5 -t wav -)" = 'TAIL!' ] || fail "RF64 file: sox's last samples"
rm -f "$T/big.wav"
[ "$("$MEMLENS" sound "$T/big.bin" -o - --quiet | last5 -t wav -)" = 'TAIL!' ] ||
	fail "RF64 through a pipe: sox's last samples"

# a small .wav stays plain RIFF
head -c 1000 "$T/big.bin" >"$T/small.bin"
"$MEMLENS" sound "$T/small.bin" -o "$T/small.wav" --quiet
[ "$(head -c 4 "$T/small.wav")" = RIFF ] || fail "a small .wav is not RIFF"
[ "$(soxi -s "$T/small.wav")" = 1000 ] || fail "small .wav: sample count"
sox_clean
exit 0
