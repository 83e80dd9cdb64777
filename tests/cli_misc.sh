#!/bin/bash
# The command line, each claim against an oracle the test holds itself:
# help after every command, near misses named, --region typos named, -o -
# to a pipe (decoded by Pillow) but never to a terminal (a pty of our own),
# the regions table's zero address and plural, --strict deciding before
# any file is committed (also when the target exits mid-read), and a
# progress line that never leaves stale characters (replayed as a terminal).
. "$TESTS_SRCDIR/lib.sh"
PY=/usr/bin/python3
TERM_PY="$TESTS_SRCDIR/term.py"
head -c 65536 /dev/urandom >"$T/in"
start_specimen
PAT=0x$(spec_addr pattern 2)

# Help after every command, -h and --help alike, and `help CMD`.
for cmd in regions image sound pagemap heap hilbert; do
	"$MEMLENS" "$cmd" -h >"$T/h1" || fail "$cmd -h"
	"$MEMLENS" "$cmd" --help >"$T/h2" || fail "$cmd --help"
	"$MEMLENS" help "$cmd" >"$T/h3" || fail "help $cmd"
	cmp -s "$T/h1" "$T/h2" && cmp -s "$T/h1" "$T/h3" || fail "$cmd: -h, --help and help differ"
	grep -q "^Usage: memlens $cmd" "$T/h1" || fail "$cmd -h: no usage line"
done

# A mistyped command or option: one line with the nearest name, exit 2.
expect_error 2 - "$MEMLENS" imgae
grep -q "did you mean 'image'?" "$T/stderr" || fail "imgae: $(cat "$T/stderr")"
expect_error 2 - "$MEMLENS" regoins self
grep -q "did you mean 'regions'?" "$T/stderr" || fail "regoins: $(cat "$T/stderr")"
expect_error 2 - "$MEMLENS" heap self --chuncks
grep -q "did you mean '--chunks'?" "$T/stderr" || fail "--chuncks: $(cat "$T/stderr")"
expect_error 2 - "$MEMLENS" regions self --bpp 8
grep -q "option of image" "$T/stderr" || fail "--bpp on regions: $(cat "$T/stderr")"

# memlens cannot freeze itself: a usage error, not a ptrace failure
expect_error 2 - "$MEMLENS" regions self --freeze

# --region: a range typo is a usage error naming the bad part ...
expect_error 2 - "$MEMLENS" regions self --region 0x10+zz
grep -q "length 'zz'" "$T/stderr" || fail "0x10+zz: $(cat "$T/stderr")"
expect_error 2 - "$MEMLENS" regions self --region 0x7f+2X
grep -q "length '2X'" "$T/stderr" || fail "0x7f+2X: $(cat "$T/stderr")"
expect_error 2 - "$MEMLENS" regions self --region 0x1-
grep -q "end address is missing" "$T/stderr" || fail "0x1-: $(cat "$T/stderr")"
expect_error 2 - "$MEMLENS" regions self --region 0xg0-0x100
grep -q "start address '0xg0'" "$T/stderr" || fail "0xg0-: $(cat "$T/stderr")"
# ... a word that selects nothing says so, with the kinds /proc says are there
expect_error 1 - "$MEMLENS" regions "$SPEC_PID" --region hepa
grep -q "no region's kind or path contains 'hepa'" "$T/stderr" || fail "hepa: $(cat "$T/stderr")"
for k in heap stack vdso; do
	grep -q "\[$k\]" "/proc/$SPEC_PID/maps" || fail "the specimen has no [$k]"
	grep -q "kinds here: .*$k" "$T/stderr" || fail "hepa: kind $k not listed: $(cat "$T/stderr")"
done
# ... and beside words that do select, it is a warning (an error with --strict)
"$MEMLENS" regions "$SPEC_PID" --region heap --region hepa >/dev/null 2>"$T/err" || fail "heap+hepa failed"
grep -q "warning: .*'hepa'" "$T/err" || fail "heap+hepa: no warning: $(cat "$T/err")"
expect_error 1 - "$MEMLENS" regions "$SPEC_PID" --region heap --region hepa --strict --quiet

# -o - on a terminal: refused for every command that writes a file (our pty).
for cmdline in "image $T/in" "sound $T/in" "pagemap $T/in" "heap $SPEC_PID" "hilbert $T/in"; do
	"$PY" "$TERM_PY" run "$MEMLENS" $cmdline -o - >"$T/tty.out"
	[ "$(head -n 1 "$T/tty.out")" = 2 ] || fail "$cmdline -o - on a terminal: exit $(head -n 1 "$T/tty.out")"
	[ "$(tail -n +2 "$T/tty.out" | grep -c .)" -eq 1 ] &&
		grep -q "^memlens: ${cmdline%% *}: -o -: standard output is a terminal" "$T/tty.out" ||
		fail "$cmdline -o - on a terminal: $(cat "$T/tty.out")"
done
"$PY" "$TERM_PY" run "$MEMLENS" hilbert "$T/in" -o "$T/h.png" --map - >"$T/tty.out"
[ "$(head -n 1 "$T/tty.out")" = 2 ] || fail "--map - on a terminal accepted"
# ... to a pipe: the same bytes as the file (Pillow decodes both), JSON and HTML too.
"$MEMLENS" image "$T/in" -o "$T/f.png" --width 64 || fail "image to a file"
"$MEMLENS" image "$T/in" -o - --width 64 | cat >"$T/p.png" || fail "image -o - | cat"
"$PY" -c '
import sys; from PIL import Image
a, b = Image.open(sys.argv[1]), Image.open(sys.argv[2])
assert a.size == b.size == (64, 342) and list(a.getdata()) == list(b.getdata())' "$T/f.png" "$T/p.png" ||
	fail "image -o - differs from the file"
for cmdline in "heap $SPEC_PID" "pagemap $T/in" "hilbert $T/in"; do
	"$MEMLENS" $cmdline -o - 2>/dev/null | "$PY" -c '
import io, sys; from PIL import Image; Image.open(io.BytesIO(sys.stdin.buffer.read())).load()' ||
		fail "$cmdline -o - | PIL"
done
"$MEMLENS" sound "$T/in" -o - | sox -t wav - -t raw "$T/s.raw" || fail "sound -o - | sox"
cmp -s "$T/s.raw" "$T/in" || fail "sound -o -: other samples than the bytes"
"$MEMLENS" hilbert "$T/in" -o "$T/h.png" --map - | "$PY" -c '
import json, sys; j = json.load(sys.stdin); assert j["source"]["path"] == sys.argv[1], j["source"]' "$T/in" ||
	fail "hilbert --map -"
"$MEMLENS" hilbert "$T/in" -o "$T/h.png" --html - | grep -q '^<!DOCTYPE html>' || fail "hilbert --html -"
"$MEMLENS" image "$T/in" -o "$T/m.png" --map - | "$PY" -c 'import json, sys; json.load(sys.stdin)' ||
	fail "image --map -"
expect_error 2 - "$MEMLENS" hilbert "$T/in" -o - --map -
expect_error 2 - "$MEMLENS" pagemap --physical -o - --json

# regions: address 0 as 0x0000000000000000, offset 0x0, and "1 region".
"$MEMLENS" regions "$T/in" >"$T/table" || fail "regions raw"
sed -n 3p "$T/table" | grep -q '^0x0000000000000000 0x0000000000010000 ' || fail "zero address: $(sed -n 3p "$T/table")"
sed -n 3p "$T/table" | grep -Eq ' 0x0  $' || fail "zero offset: $(sed -n 3p "$T/table")"
grep -q '^# 1 region, 64.0 KiB, 64.0 KiB captured' "$T/table" || fail "one region: $(tail -n 1 "$T/table")"
"$MEMLENS" regions "$SPEC_PID" --region heap --region stack | grep -q '^# 2 regions,' || fail "two regions"

# --strict: [vvar] cannot be read through /proc/PID/mem (the kernel says so).
"$PY" - "$SPEC_PID" <<'PY' && vvar=1 || vvar=0
import re, sys
m = [l for l in open(f'/proc/{sys.argv[1]}/maps') if l.rstrip().endswith('[vvar]')]
a = int(m[0].split('-')[0], 16)
with open(f'/proc/{sys.argv[1]}/mem', 'rb', buffering=0) as f:
    f.seek(a)
    try:
        f.read(1)
        sys.exit(1)
    except OSError:
        pass
PY
[ "$vvar" = 1 ] || fail "the kernel let us read [vvar]: the --strict oracle is gone"
"$MEMLENS" regions "$SPEC_PID" --region vvar >/dev/null || fail "regions vvar"
expect_error 1 - "$MEMLENS" regions "$SPEC_PID" --region vvar --strict
grep -q "incomplete result (--strict)" "$T/stderr" || fail "vvar --strict: $(cat "$T/stderr")"

# --strict with holes: the run exits 1 and leaves no file, temporary or final.
"$PY" - "$T/cut.lime" <<'PY'
import os, struct, sys
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IIQQ8x', 0x4C694D45, 1, 0x1000, 0x2fff) + os.urandom(0x1000))
PY
expect_error 1 "$T/strict.png" "$MEMLENS" image "$T/cut.lime" -o "$T/strict.png" --strict --quiet
expect_error 1 "$T/strict.wav" "$MEMLENS" sound "$T/cut.lime" -o "$T/strict.wav" --strict --quiet
expect_error 1 "$T/strict.png" "$MEMLENS" image "$T/cut.lime" -o "$T/strict.png" --map "$T/strict.json" --strict --quiet
[ ! -e "$T/strict.json" ] || fail "--strict left the --map file"
"$MEMLENS" sound "$T/cut.lime" -o "$T/lax.wav" --quiet && [ -s "$T/lax.wav" ] || fail "without --strict: no file"

# A target that exits while sound reads it: --strict leaves no WAV.  memlens
# is stopped once its temporary file exists, the target killed, memlens let go.
big_target() {
	rm -f "$T/big.addr"	# not the previous target's address
	"$PY" -c '
import ctypes, mmap, os, time
m = mmap.mmap(-1, 1 << 30)
m.write(os.urandom(1 << 20) * 1024)
print(hex(ctypes.addressof(ctypes.c_char.from_buffer(m))), flush=True)
time.sleep(600)' >"$T/big.addr" &
	big=$!
	for _ in $(seq 400); do [ -s "$T/big.addr" ] && break; sleep 0.05; done
	[ -s "$T/big.addr" ] || fail "the 1 GiB target did not start"
	region="$(cat "$T/big.addr")+1G"
}
mkdir "$T/mid"
big_target
"$MEMLENS" sound "$big" --region "$region" -o "$T/mid/o.wav" --strict 2>"$T/mid.err" &
ml=$!
for _ in $(seq 1000); do ls -A "$T/mid" | grep -q . && break; sleep 0.002; done
kill -STOP "$ml"
kill -KILL "$big"; wait "$big" 2>/dev/null
kill -CONT "$ml"
rc=0; wait "$ml" || rc=$?
[ "$rc" -eq 1 ] || fail "target gone mid-read with --strict: exit $rc ($(cat "$T/mid.err"))"
grep -Eq "exited( \(or exec.d\))? while being read" "$T/mid.err" || fail "no word of the exit: $(cat "$T/mid.err")"
[ -z "$(ls -A "$T/mid")" ] || fail "--strict left $(ls -A "$T/mid")"
# without --strict the partial result is written, and said to be partial
big_target
"$MEMLENS" sound "$big" --region "$region" -o "$T/mid/o.wav" 2>"$T/mid.err" &
ml=$!
for _ in $(seq 1000); do ls -A "$T/mid" | grep -q . && break; sleep 0.002; done
kill -STOP "$ml"
kill -KILL "$big"; wait "$big" 2>/dev/null
kill -CONT "$ml"
wait "$ml" || fail "target gone mid-read without --strict: $(cat "$T/mid.err")"
grep -Eq "exited( \(or exec.d\))? while being read" "$T/mid.err" || fail "no word of the exit: $(cat "$T/mid.err")"
[ -s "$T/mid/o.wav" ] || fail "without --strict nothing was written"

# The progress line, replayed as a terminal: every update ends by erasing
# the rest of the line, and nothing of it stays on the screen afterwards
# (--width: without it the size note would be a line of its own).
truncate -s 3G "$T/sparse"
"$PY" "$TERM_PY" run "$MEMLENS" image "$T/sparse" -o "$T/thumb.png" --scale 64 --width 32768 >"$T/prog.out"
[ "$(head -n 1 "$T/prog.out")" = 0 ] || fail "image with progress: $(head -c 300 "$T/prog.out")"
tail -n +2 "$T/prog.out" >"$T/prog.bytes"
grep -q 'memlens: image: .*%' "$T/prog.bytes" || fail "no progress line shown on a terminal"
"$PY" - "$T/prog.bytes" <<'PY' || fail "a progress update does not clear to the end of the line"
import re, sys
d = open(sys.argv[1], 'rb').read()
updates = re.findall(rb'\rmemlens: image: [^\r\n\x1b]*(\x1b\[K)?', d)
assert updates and all(u == b'\x1b[K' for u in updates), updates
PY
"$PY" "$TERM_PY" screen "$T/prog.bytes" | grep -q . && fail "the progress line left: $("$PY" "$TERM_PY" screen "$T/prog.bytes")"
# The quickstart picture: the specimen's pattern area drawn from its start
# shows the gradient as the specimen designs it (red = x/4, green =
# y*255/341, blue 128 on 1024-pixel rows), every pixel of it.
"$SPECIMEN" --raw "$T/pattern.raw" >/dev/null || fail "specimen --raw"
"$MEMLENS" image "$T/pattern.raw" -o "$T/pattern.png" || fail "image of the pattern area"
"$PY" - "$T/pattern.png" <<'PY' || fail "the quickstart gradient is not drawn as designed"
import sys
from PIL import Image
px = Image.open(sys.argv[1]).convert('RGB').load()
first = next(y for y in range(400) if px[0, y] == (0, 0, 128) and px[1023, y] == (255, 0, 128))
bad = [(x, y) for y in range(340) for x in range(1024)
       if px[x, first + y] != (x // 4, y * 255 // 341, 128)]
assert not bad, f'gradient from row {first}: {len(bad)} pixels off, first {bad[:3]}'
PY
bash -n "$TESTS_SRCDIR/../quickstart.sh" || fail "quickstart.sh does not parse"
echo "cli misc OK"
