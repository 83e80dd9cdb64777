#!/bin/bash
# sound_roundtrip: sox decodes what `memlens sound` wrote and must give back
# exactly the selected bytes (u8, s8, s16le, s16be, s24le, s32le, in WAV and
# the other lossless containers, FLAC included; float and G.711 compared as
# decoded values, since sox re-encodes those); soxi must report the rate,
# channels and encoding asked for; a --region selection (raw file with
# --base, and the specimen's "pattern" area of a live process) must give
# exactly that region's bytes; --seconds, padding, presets and -o - too.
. "$TESTS_SRCDIR/lib.sh"
. "$TESTS_SRCDIR/sound_lib.sh"

python3 -c "import random, sys; r = random.Random(7); sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(30001)))" >"$T/in.bin"
IN=$T/in.bin

soxenc() {
	case $1 in
	u8) echo "-e unsigned -b 8" ;;
	s8) echo "-e signed -b 8" ;;
	s16le) echo "-e signed -b 16 -L" ;;
	s16be) echo "-e signed -b 16 -B" ;;
	s24le) echo "-e signed -b 24 -L" ;;
	s32le) echo "-e signed -b 32 -L" ;;
	f32le) echo "-e float -b 32 -L" ;;
	ulaw) echo "-e mu-law -b 8" ;;
	alaw) echo "-e a-law -b 8" ;;
	esac
}
bytes_of() { case $1 in u8|s8|ulaw|alaw) echo 1 ;; s16*) echo 2 ;; s24*) echo 3 ;; *) echo 4 ;; esac; }

# expected ENC CHANNELS: the input padded with silence to a whole frame
expected() {
	fr=$(( $(bytes_of "$1") * $2 ))
	n=$(stat -c %s "$IN")
	pad=$(( (fr - n % fr) % fr ))
	sil=00; [ "$1" = u8 ] && sil=80
	cat "$IN"
	[ "$pad" -eq 0 ] || python3 -c "import sys; sys.stdout.buffer.write(bytes([0x$sil]) * $pad)"
}

# exact ENC EXT [CHANNELS]: sox OUT -t raw ENC - == the selected bytes
exact() {
	enc=$1 ext=$2 ch=${3:-1}
	out=$T/o.$ext
	rm -f "$out"
	"$MEMLENS" sound "$IN" -o "$out" --encoding "$enc" --channels "$ch" --quiet || fail "sound $enc $ext"
	# shellcheck disable=SC2046
	sox "$out" -t raw $(soxenc "$enc") "$T/back.raw" || fail "sox cannot read $enc $ext"
	expected "$enc" "$ch" >"$T/want.raw"
	if [ "$ext" = aiff ] && [ $(( $(stat -c %s "$T/want.raw") % 2 )) -eq 1 ]; then
		# memlens adds one silent frame to keep AIFF data even (said on stderr)
		python3 -c "import sys; sys.stdout.buffer.write(bytes([0x80 if '$enc' == 'u8' else 0]) * $(( $(bytes_of "$enc") * ch )))" >>"$T/want.raw"
	fi
	cmp -s "$T/back.raw" "$T/want.raw" || fail "$enc in .$ext ($ch ch): sox gives other bytes"
}

for enc in u8 s8 s16le s16be s24le s32le; do
	for ext in wav aiff au caf w64 rf64; do
		exact "$enc" "$ext"
	done
done
for enc in u8 s8 s16le s16be s24le; do exact "$enc" flac; done
exact s16le wav 3
exact s24le flac 2
exact u8 wav 5

# Float and G.711: sox re-encodes them (clips floats, folds mu-law -0 into
# +0), so compare the values sox decodes from our file with the values it
# decodes from the raw input.  Float input is real audio, samples in
# (-1, 1): random bytes as floats are mostly out of range (or NaN), and
# sox would rightly warn that it clipped them.  (Not CAF for f32le: sox
# 14.4 misreads CAF float data; formats/sound.c writes it as raw bytes like
# the others.)
python3 -c "import random, struct, sys; r = random.Random(8); sys.stdout.buffer.write(b''.join(struct.pack('<f', r.uniform(-0.99, 0.99)) for _ in range(7500)))" >"$T/float.bin"
for enc in f32le ulaw alaw; do
	for ext in wav au rf64; do
		src=$IN
		[ "$enc" = f32le ] && src=$T/float.bin
		"$MEMLENS" sound "$src" -o "$T/v.$ext" --encoding "$enc" --quiet || fail "sound $enc $ext"
		IN=$src expected "$enc" 1 >"$T/want.raw"
		# shellcheck disable=SC2046
		sox -t raw -r 8000 -c 1 $(soxenc "$enc") "$T/want.raw" -t raw -e signed -b 32 "$T/a.s32"
		sox "$T/v.$ext" -t raw -e signed -b 32 "$T/b.s32"
		cmp -s "$T/a.s32" "$T/b.s32" || fail "$enc in .$ext: decoded values differ"
	done
done
# ...and the WAV data chunk itself holds the bytes unchanged
for enc in f32le ulaw alaw; do
	"$MEMLENS" sound "$IN" -o "$T/d.wav" --encoding "$enc" --quiet
	expected "$enc" 1 >"$T/want.raw"
	python3 - "$T/d.wav" "$T/want.raw" "$enc" <<'PY' || fail "$enc: WAV data chunk is not the input"
import sys
d = open(sys.argv[1], "rb").read()
i = 12
while i + 8 <= len(d):
    cid, n = d[i:i + 4], int.from_bytes(d[i + 4:i + 8], "little")
    if cid == b"data":
        break
    i += 8 + n + (n & 1)
body = d[i + 8:i + 8 + n]
src = open(sys.argv[2], "rb").read()
sys.exit(0 if body == src else 1)
PY
done

# soxi reports what was asked
check_soxi() {
	f=$1 rate=$2 ch=$3 bits=$4 encword=$5
	[ "$(soxi -r "$f")" = "$rate" ] || fail "$f: rate $(soxi -r "$f"), expected $rate"
	[ "$(soxi -c "$f")" = "$ch" ] || fail "$f: channels $(soxi -c "$f"), expected $ch"
	[ "$(soxi -b "$f")" = "$bits" ] || fail "$f: bits $(soxi -b "$f"), expected $bits"
	soxi -e "$f" | grep -q "$encword" || fail "$f: encoding $(soxi -e "$f"), expected $encword"
}
"$MEMLENS" sound "$IN" -o "$T/m.wav" --quiet
check_soxi "$T/m.wav" 8000 1 8 "Unsigned Integer"
[ "$(soxi -s "$T/m.wav")" = 30001 ] || fail "memgaze default: one sample per byte"
"$MEMLENS" sound "$IN" -o "$T/d2w.wav" --preset dump2wave --quiet
check_soxi "$T/d2w.wav" 44100 2 16 "Signed Integer"
"$MEMLENS" sound "$IN" -o "$T/ov.wav" --preset dump2wave --rate 22050 --channels 1 --encoding s24le --quiet
check_soxi "$T/ov.wav" 22050 1 24 "Signed Integer"
"$MEMLENS" sound "$IN" -o "$T/f.au" --encoding f32le --rate 96000 --channels 4 --quiet
check_soxi "$T/f.au" 96000 4 32 "Floating Point"
"$MEMLENS" sound "$IN" -o "$T/u.wav" --encoding ulaw --rate 11025 --quiet
check_soxi "$T/u.wav" 11025 1 8 "u-law"
"$MEMLENS" sound "$IN" -o "$T/a.caf" --encoding alaw --channels 2 --quiet
check_soxi "$T/a.caf" 8000 2 8 "A-law"
"$MEMLENS" sound "$IN" -o "$T/x.flac" --encoding s16be --rate 48000 --channels 2 --quiet
check_soxi "$T/x.flac" 48000 2 16 "FLAC"

# Ogg Vorbis: lossy, but the length and format are what was asked
"$MEMLENS" sound "$IN" -o "$T/v.ogg" --quiet || fail "ogg"
soxi -e "$T/v.ogg" | grep -q Vorbis || fail "ogg: not Vorbis"
[ "$(soxi -s "$T/v.ogg")" = 30001 ] || fail "ogg: $(soxi -s "$T/v.ogg") samples"

# padding is said on stderr; the trailing byte of an odd s16le input is silence
"$MEMLENS" sound "$IN" -o "$T/p.wav" --encoding s16le 2>"$T/err" || fail "padding run"
grep -q "added 1 byte(s) of silence" "$T/err" || fail "padding not reported: $(cat "$T/err")"
"$MEMLENS" sound "$IN" -o "$T/p.wav" --encoding s16le --quiet 2>"$T/err"
[ ! -s "$T/err" ] || fail "--quiet still printed: $(cat "$T/err")"

# --seconds: exactly rate x seconds frames
"$MEMLENS" sound "$IN" -o "$T/s.wav" --seconds 0.5 --quiet
[ "$(soxi -s "$T/s.wav")" = 4000 ] || fail "--seconds 0.5 at 8000 Hz: $(soxi -s "$T/s.wav") samples"
sox "$T/s.wav" -t raw - >"$T/s.raw"
head -c 4000 "$IN" | cmp -s - "$T/s.raw" || fail "--seconds: not the first 4000 bytes"
"$MEMLENS" sound "$IN" -o "$T/s2.wav" --seconds 1 --preset dump2wave --quiet
[ "$(soxi -s "$T/s2.wav")" = 7501 ] || fail "--seconds 1 dump2wave: the input (7500.25 frames) is shorter: $(soxi -s "$T/s2.wav")"

# -o -: WAV on a pipe, read by sox from the pipe
"$MEMLENS" sound "$IN" -o - | sox -t wav - -t raw "$T/pipe.raw" || fail "-o - | sox"
cmp -s "$T/pipe.raw" "$IN" || fail "-o - through a pipe: other bytes"
"$MEMLENS" sound "$IN" -o - --encoding s24le --channels 2 --quiet | sox - -t raw -e signed -b 24 "$T/pipe24.raw"
expected s24le 2 >"$T/want.raw"
cmp -s "$T/pipe24.raw" "$T/want.raw" || fail "-o - s24le stereo through a pipe"
# -o - to a regular file goes through libsndfile
"$MEMLENS" sound "$IN" -o - --quiet >"$T/stdout.wav"
sox "$T/stdout.wav" -t raw - | cmp -s - "$IN" || fail "-o - > file"

# --region on a raw file with --base: exactly that range's bytes
"$MEMLENS" sound "$IN" --base 0x400000 --region 0x400100+0x1000 -o "$T/r.flac" --quiet || fail "raw --region"
sox "$T/r.flac" -t raw -e unsigned -b 8 "$T/r.raw"
tail -c +257 "$IN" | head -c 4096 | cmp -s - "$T/r.raw" || fail "--region 0x400100+0x1000: other bytes"
# a range running past the end of the file is cut at the end
"$MEMLENS" sound "$IN" --base 0x400000 --region 0x407000-0x500000 -o "$T/r2.wav" --quiet
sox "$T/r2.wav" -t raw "$T/r2.raw"
tail -c +28673 "$IN" | cmp -s - "$T/r2.raw" || fail "--region past the end of a raw file"

# --region on a live process: the specimen's pattern area, whose bytes the
# specimen itself writes out with --raw
"$SPECIMEN" --raw "$T/pattern.bin" || fail "specimen --raw"
start_specimen
s=$(spec_addr pattern 2)
e=$(spec_addr pattern 3)
"$MEMLENS" sound "$SPEC_PID" --region "0x$s-0x$e" -o "$T/live.wav" --quiet || fail "live --region"
sox "$T/live.wav" -t raw "$T/live.raw"
cmp -s "$T/live.raw" "$T/pattern.bin" || fail "live pattern area: other bytes than the specimen wrote"
"$MEMLENS" sound "$SPEC_PID" --region "0x$s+0x100" -o "$T/live16.wav" --encoding s16be --quiet
sox "$T/live16.wav" -t raw -e signed -b 16 -B "$T/live16.raw"
head -c 256 "$T/pattern.bin" | cmp -s - "$T/live16.raw" || fail "live s16be region"
sox_clean
exit 0
