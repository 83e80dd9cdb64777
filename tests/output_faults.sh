#!/bin/bash
# Outputs that fail or are not regular files, each checked on the file
# system itself: a full device, a full tmpfs, a read-only file system and
# an unwritable directory give one line naming the file and the reason and
# leave nothing; /dev/null and a FIFO are written in place and stay what
# they are; `hilbert --html` commits both files or neither; SIGINT and
# SIGTERM during a large PNG, and during --freeze, leave no file and the
# target running.
. "$TESTS_SRCDIR/lib.sh"
PY=/usr/bin/python3
need_root
head -c $((2 << 20)) /dev/urandom >"$T/in"
start_specimen

# one_line CODE FILE CMD...: exit CODE, exactly one stderr line, naming FILE.
one_line() {
	local code=$1 file=$2 rc=0
	shift 2
	"$@" >/dev/null 2>"$T/err" || rc=$?
	[ "$rc" -eq "$code" ] || fail "exit $rc, expected $code: $* ($(cat "$T/err"))"
	[ "$(grep -c . "$T/err")" -eq 1 ] || fail "not one line from $*: $(cat "$T/err")"
	grep -q "^memlens: [a-z]*: $file: " "$T/err" || fail "the line does not name $file: $(cat "$T/err")"
}
is_dev_null() {
	[ "$(stat -c '%F %t:%T' /dev/null)" = "character special file 1:3" ] || fail "/dev/null was replaced: $(stat /dev/null)"
}

# /dev/full: the reason, and the device left alone.
for cmdline in "image $T/in -o /dev/full" "sound $T/in -o /dev/full" "hilbert $T/in -o /dev/full" \
	"pagemap $T/in -o /dev/full" "heap $SPEC_PID -o /dev/full" \
	"image $T/in -o $T/ok.png --map /dev/full" "hilbert $T/in -o $T/ok.png --html /dev/full"; do
	one_line 1 /dev/full "$MEMLENS" $cmdline
	grep -q "No space left on device" "$T/err" || fail "$cmdline: $(cat "$T/err")"
	[ "$(stat -c %F /dev/full)" = "character special file" ] || fail "/dev/full was replaced"
	[ ! -e "$T/ok.png" ] || fail "$cmdline: the picture was committed though the other output failed"
done

# /dev/null: written in place, never replaced (as root a rename would replace it).
for cmdline in "image $T/in -o /dev/null" "sound $T/in -o /dev/null" "hilbert $T/in -o /dev/null" \
	"pagemap $T/in -o /dev/null" "heap $SPEC_PID -o /dev/null" \
	"image $T/in -o $T/n.png --map /dev/null" "hilbert $T/in -o $T/n.png --html /dev/null --map /dev/null"; do
	"$MEMLENS" $cmdline 2>"$T/err" || fail "$cmdline: $(cat "$T/err")"
	is_dev_null
done
ls -A /dev | grep -q '^\.null\.' && fail "a temporary file was left in /dev"

# A FIFO with a reader: the bytes arrive (Pillow decodes them), the FIFO stays a FIFO.
mkfifo "$T/fifo"
cat "$T/fifo" >"$T/from-fifo.png" &
reader=$!
"$MEMLENS" image "$T/in" -o "$T/fifo" --width 512 || fail "image into a FIFO"
wait "$reader"
"$MEMLENS" image "$T/in" -o "$T/file.png" --width 512 || fail "image into a file"
"$PY" -c '
import sys; from PIL import Image
a, b = Image.open(sys.argv[1]), Image.open(sys.argv[2])
assert a.size == b.size and a.tobytes() == b.tobytes()' "$T/from-fifo.png" "$T/file.png" || fail "FIFO bytes"
[ -p "$T/fifo" ] || fail "the FIFO was replaced"
mkfifo "$T/fifo.wav"
cat "$T/fifo.wav" >"$T/from-fifo.wav" &
reader=$!
"$MEMLENS" sound "$T/in" -o "$T/fifo.wav" || fail "sound into a FIFO"
wait "$reader"
sox -t wav "$T/from-fifo.wav" -t raw "$T/fifo.raw" && cmp -s "$T/fifo.raw" "$T/in" || fail "sound through a FIFO"

# A full tmpfs: one line with the reason, nothing left in it.
mkdir "$T/full"
mount -t tmpfs -o size=1m tmpfs "$T/full" || fail "cannot mount a tmpfs"
trap 'umount "$T/full" 2>/dev/null; umount "$T/ro" 2>/dev/null; cleanup' EXIT
for cmdline in "image $T/in -o $T/full/x.png --level 0" "image $T/in -o $T/full/x.bmp" \
	"sound $T/in -o $T/full/x.wav" "sound $T/in -o $T/full/x.flac"; do
	set -- $cmdline
	one_line 1 "$4" "$MEMLENS" $cmdline
	grep -q "No space left on device" "$T/err" || fail "$cmdline: $(cat "$T/err")"
	[ -z "$(ls -A "$T/full")" ] || fail "$cmdline left $(ls -A "$T/full")"
done
# hilbert --html: the page cannot be written, so the picture is not committed either
head -c $((1024 * 1024 - 40960)) /dev/zero >"$T/full/filler"
one_line 1 "$T/full/map.html" "$MEMLENS" hilbert "$SPEC_PID" -o "$T/map.png" --html "$T/full/map.html"
[ ! -e "$T/map.png" ] || fail "hilbert committed the PNG though the HTML failed"
[ "$(ls -A "$T/full")" = filler ] || fail "hilbert left $(ls -A "$T/full")"
rm "$T/full/filler"
"$MEMLENS" hilbert "$SPEC_PID" -o "$T/map.png" --html "$T/full/map.html" || fail "hilbert --html with room"
[ -s "$T/map.png" ] && [ -s "$T/full/map.html" ] || fail "hilbert --html with room: a file is missing"

# A read-only file system, and a directory nobody may write.
mkdir "$T/ro"
mount -t tmpfs -o size=1m tmpfs "$T/ro" && mount -o remount,ro "$T/ro" || fail "cannot mount a read-only tmpfs"
one_line 1 "$T/ro/x.png" "$MEMLENS" image "$T/in" -o "$T/ro/x.png"
grep -q "Read-only file system" "$T/err" || fail "read-only: $(cat "$T/err")"
mkdir "$T/locked"
chmod 555 "$T/locked"
chmod 755 "$T"
one_line 1 "$T/locked/x.wav" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$MEMLENS" sound "$T/in" -o "$T/locked/x.wav"
grep -q "Permission denied" "$T/err" || fail "unwritable directory: $(cat "$T/err")"
[ -z "$(ls -A "$T/locked")" ] || fail "the unwritable directory got $(ls -A "$T/locked")"

# Signals during a large PNG: no file, no temporary.  (A background job
# ignores SIGINT; env gives memlens the default back, as a terminal would.)
head -c $((256 << 20)) /dev/urandom >"$T/big"
mkdir "$T/sig"
for sig in INT TERM; do
	env --default-signal=INT "$MEMLENS" image "$T/big" -o "$T/sig/big.png" --level 9 &
	ml=$!
	for _ in $(seq 400); do ls -A "$T/sig" | grep -q . && break; sleep 0.01; done
	ls -A "$T/sig" | grep -q '^\.big\.png\.' || fail "SIG$sig: no temporary file to begin with"
	sleep 0.3
	kill -"$sig" "$ml"
	rc=0; wait "$ml" || rc=$?
	[ "$rc" -eq $((128 + $(kill -l "$sig"))) ] || fail "SIG$sig during a PNG: exit $rc"
	[ -z "$(ls -A "$T/sig")" ] || fail "SIG$sig during a PNG left $(ls -A "$T/sig")"
done

# Signals during --freeze: the target is let go and runs on.
"$PY" -c '
import ctypes, mmap, os, time
m = mmap.mmap(-1, 256 << 20)
m.write(os.urandom(256 << 20))
print(hex(ctypes.addressof(ctypes.c_char.from_buffer(m))), flush=True)
while True:
    time.sleep(0.01)' >"$T/frz.addr" &
frz=$!
for _ in $(seq 400); do [ -s "$T/frz.addr" ] && break; sleep 0.05; done
[ -s "$T/frz.addr" ] || fail "the --freeze target did not start"
for sig in TERM INT; do
	env --default-signal=INT "$MEMLENS" image "$frz" --freeze --region "$(cat "$T/frz.addr")+256M" \
		-o "$T/sig/frz.png" --level 9 &
	ml=$!
	for _ in $(seq 400); do
		[ "$(awk '/^TracerPid:/ {print $2}' "/proc/$frz/status")" = "$ml" ] && ls -A "$T/sig" | grep -q . && break
		sleep 0.01
	done
	[ "$(awk '/^TracerPid:/ {print $2}' "/proc/$frz/status")" = "$ml" ] || fail "--freeze did not trace the target"
	sleep 0.3
	kill -"$sig" "$ml"
	rc=0; wait "$ml" || rc=$?
	[ "$rc" -eq $((128 + $(kill -l "$sig"))) ] || fail "SIG$sig during --freeze: exit $rc"
	[ -z "$(ls -A "$T/sig")" ] || fail "SIG$sig during --freeze left $(ls -A "$T/sig")"
	for _ in $(seq 100); do
		[ "$(awk '/^TracerPid:/ {print $2}' "/proc/$frz/status")" = 0 ] && break
		sleep 0.01
	done
	[ "$(awk '/^TracerPid:/ {print $2}' "/proc/$frz/status")" = 0 ] || fail "SIG$sig: the target is still traced"
	# running again: it wakes every 10 ms, so its context switches go on
	state=$(awk '{print $3}' "/proc/$frz/stat")
	case $state in t|T) fail "SIG$sig: the target is left stopped ($state)" ;; esac
	c0=$(awk '/^voluntary_ctxt_switches:/ {print $2}' "/proc/$frz/status")
	sleep 0.3
	c1=$(awk '/^voluntary_ctxt_switches:/ {print $2}' "/proc/$frz/status")
	[ "$c1" -gt $((c0 + 5)) ] || fail "SIG$sig: the target does not run ($c0 -> $c1 switches)"
done
kill -KILL "$frz"; wait "$frz" 2>/dev/null
echo "output faults OK"
