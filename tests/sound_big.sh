#!/bin/bash
# sound_big: a .wav past 4 GiB is written as RF64, to a file and through a
# pipe, and sox reads it back to the last byte.  Writes ~9 GiB of output,
# so it runs only with MEMLENS_BIG_TESTS=1 (skipped otherwise).
. "$TESTS_SRCDIR/lib.sh"
[ "${MEMLENS_BIG_TESTS:-0}" = 1 ] || skip "set MEMLENS_BIG_TESTS=1 to write 4+ GiB files"
need sox
size=$(( (4 << 30) + 12345 ))
truncate -s "$size" "$T/big.bin"
printf 'TAIL!' | dd of="$T/big.bin" bs=1 seek=$((size - 5)) conv=notrunc 2>/dev/null
"$MEMLENS" sound "$T/big.bin" -o "$T/big.wav" --quiet || fail "big .wav"
[ "$(head -c 4 "$T/big.wav")" = RF64 ] || fail "a .wav past 4 GiB is not RF64"
[ "$(soxi -s "$T/big.wav")" = "$size" ] || fail "RF64 sample count: $(soxi -s "$T/big.wav")"
[ "$(sox "$T/big.wav" -t raw - | tail -c 5)" = 'TAIL!' ] || fail "RF64 file: last bytes"
rm -f "$T/big.wav"
[ "$("$MEMLENS" sound "$T/big.bin" -o - --quiet | sox -t wav - -t raw - | tail -c 5)" = 'TAIL!' ] ||
	fail "RF64 through a pipe: last bytes"
# small .wav stays plain RIFF
head -c 1000 "$T/big.bin" >"$T/small.bin"
"$MEMLENS" sound "$T/small.bin" -o "$T/small.wav" --quiet
[ "$(head -c 4 "$T/small.wav")" = RIFF ] || fail "a small .wav is not RIFF"
exit 0
