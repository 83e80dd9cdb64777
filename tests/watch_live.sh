#!/bin/bash
# memlens watch's live view in a pty (tests/watch_view.py): the cells of
# the pages the target changed take the legend's "this frame" colour, a
# frame later "1 frame ago"; q, Ctrl-C and SIGTERM each end it with the
# terminal given back (alternate screen left, cursor shown, ICANON and
# ECHO restored).  A process that exits ends the watch with a warning.
. "$TESTS_SRCDIR/lib.sh"
TARGET=$(dirname "$MEMLENS")/tests/watch_target
[ -x "$TARGET" ] || fail "tests/watch_target is not built"
timeout 120 /usr/bin/python3 "$TESTS_SRCDIR/watch_view.py" "$MEMLENS" "$TARGET" || fail "watch view"

start_sleeper
( sleep 0.5; kill "$SLEEP_PID" ) &
"$MEMLENS" watch "$SLEEP_PID" --every 0.2s --frames 50 --json >"$T/w.json" 2>"$T/err" || fail "watch of an exiting process: $(cat "$T/err")"
grep -q "went away after" "$T/err" || fail "no warning when the process went away: $(cat "$T/err")"
n=$(wc -l <"$T/w.json")
[ "$n" -ge 2 ] && [ "$n" -lt 50 ] || fail "watch of an exiting process: $n lines"
wait
echo "watch live OK"
