#!/bin/bash
# A SOURCE file must be a regular file or a block device (issue 19, defect
# 7): a FIFO used to block in open() forever.  A FIFO, a socket, a
# character device and a directory are each refused at once, with one line
# naming what it is, and leave no output behind.  A block device is read
# like a file: a loop device over a file gives that file's bytes (the
# oracle is the file itself, read by od).
. "$TESTS_SRCDIR/lib.sh"
need_root
READ_AT=$(dirname "$MEMLENS")/tests/read_at

mkfifo "$T/fifo"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/sock" ||
	fail "cannot make a socket"
mkdir "$T/dir"
for src in fifo:FIFO sock:socket /dev/null:"character device" dir:directory; do
	path=${src%%:*}
	what=${src#*:}
	case $path in /*) ;; *) path=$T/$path ;; esac
	# timeout: a hang (exit 124) is the defect this guards against.
	expect_error 1 - timeout 10 "$MEMLENS" regions "$path"
	grep -q "^memlens: regions: $path: is a $what: a source must be a regular file or a block device$" \
		"$T/stderr" || fail "$path: $(cat "$T/stderr")"
	expect_error 1 "$T/out.png" timeout 10 "$MEMLENS" image "$path" -o "$T/out.png"
done
# Nothing was opened for reading on the way: a writer still finds no reader.
python3 - "$T/fifo" <<'PY' || fail "the FIFO was left open for reading"
import errno, os, sys
try:
    os.close(os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK))
except OSError as e:
    sys.exit(0 if e.errno == errno.ENXIO else 1)
sys.exit(1)
PY

# A block device: a loop device over 1 MiB of random bytes.
head -c 1048576 /dev/urandom >"$T/disk.img"
LOOP=$(losetup --find --show --read-only "$T/disk.img") || fail "losetup cannot make a loop device"
trap 'losetup -d "$LOOP" 2>/dev/null; cleanup' EXIT
"$MEMLENS" regions "$LOOP" --json >"$T/loop.json" 2>"$T/err" || fail "block device refused: $(cat "$T/err")"
python3 - "$T/loop.json" <<'PY' || fail "regions of the block device"
import json, sys
r = json.load(open(sys.argv[1]))['regions']
assert len(r) == 1 and r[0]['kind'] == 'raw' and r[0]['size'] == 1 << 20, r
PY
want=$(od -An -v -tx1 -j 0x12345 -N 64 "$T/disk.img" | tr -d ' \n')
got=$("$READ_AT" "$LOOP" 0x12345 64)
[ "$got" = "$want" ] || fail "bytes of the block device: $got, expected $want"
echo "source types OK"
