#!/bin/bash
# memlens watch against a process that advances one known step per
# SIGUSR1 and stops itself: the animated PNG decoded by ffprobe/ffmpeg
# equals `memlens image` of the stopped target frame by frame (and the
# bytes themselves), each later frame is the band of rows that changed,
# the one-PNG-a-frame output on a shrunk Hilbert curve equals image too,
# and the changed pages of each frame, in hash and (where the kernel has
# it) soft-dirty mode, are the ones the target changed
# (tests/watch_oracle.py).  Then watch's usage errors.
. "$TESTS_SRCDIR/lib.sh"
need ffprobe
need ffmpeg
TARGET=$(dirname "$MEMLENS")/tests/watch_target
[ -x "$TARGET" ] || fail "tests/watch_target is not built"
/usr/bin/python3 "$TESTS_SRCDIR/watch_oracle.py" "$MEMLENS" "$T" "$TARGET" || fail "watch oracle"

head -c 8192 /dev/urandom >"$T/x.raw"
expect_error 2 "$T/a.png" "$MEMLENS" watch self -o "$T/a.png"
expect_error 2 - "$MEMLENS" watch self --frames 2 --for 3s
expect_error 2 - "$MEMLENS" watch self --every 0s --frames 1
expect_error 2 - "$MEMLENS" watch self --every soon --frames 1
expect_error 2 - "$MEMLENS" watch self --bpp 8 --frames 1
expect_error 2 - "$MEMLENS" watch "$T/x.raw" --soft-dirty --frames 1
expect_error 2 - "$MEMLENS" watch self --frames 1 -o "$T/f%d%d.png"
expect_error 2 - "$MEMLENS" watch self --frames 1 -o "$T/f%s.png"
expect_error 2 "$T/a.bmp" "$MEMLENS" watch self --frames 1 -o "$T/a.bmp"
# a file source: frames of its captured pages, and a JSON line each
"$MEMLENS" watch "$T/x.raw" --frames 2 --every 10ms --json >"$T/w.json" || fail "watch a file"
[ "$(wc -l <"$T/w.json")" -eq 3 ] || fail "watch a file: $(cat "$T/w.json")"
echo "watch OK"
