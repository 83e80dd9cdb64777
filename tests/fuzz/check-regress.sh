#!/bin/bash
# Replays what the fuzzers found (and every seed) without libFuzzer:
# 1. each harness (tests/fuzz/replay_<harness>, built like any test) over
#    its corpus and its regress inputs: no broken check, no sanitizer report;
# 2. every file under tests/fuzz/regress/, whoever put it there, through
#    the memlens commands that read a file — regions, image, pagemap,
#    hilbert, heap, sound (a trace/ record through trace-report) — and every line of a spec/ file as a --region of
#    regions and image.  Each run must end within its time limit with
#    status 0 or 1 (2 for a spec the parser refuses), say why on stderr in
#    `memlens: ` lines only, leave no output file when it fails, and never
#    trip a sanitizer.
# maps/ inputs have no way into the binary (maps text comes from /proc):
# their harness replay is their test.
# MEMLENS_REPLAY_DIRS="DIR..." sends other inputs through part 2 instead,
# e.g. what a long fuzz run grew: BUILDDIR/fuzz-work/core/corpus (a path
# containing /spec/ or /maps/ is treated as above).
. "$TESTS_SRCDIR/lib.sh"
fuzz=$TESTS_SRCDIR/fuzz
# (Named check-regress.sh: a regress.sh beside regress/ let make's built-in
# `%: %.sh` rule write a file over the directory's name in `make dist`.)
[ -n "$(find "$fuzz/regress" -type f -print -quit)" ] || fail "no regression inputs under $fuzz/regress"
replay=$(dirname "$MEMLENS")/tests/fuzz
LIMIT=${MEMLENS_FUZZ_LIMIT:-60}
runs=0

sanitizer_free() {
	! grep -q "Sanitizer\|runtime error\|fuzz check failed" "$1" || fail "$2: $(grep -m3 "Sanitizer\|runtime error\|fuzz check failed" "$1")"
}

for h in core lime maps spec heap trace minidump; do
	dirs=("$fuzz/corpus/$h")
	[ -d "$fuzz/regress/$h" ] && dirs+=("$fuzz/regress/$h")
	rc=0
	timeout "$LIMIT" "$replay/replay_$h" "${dirs[@]}" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 0 ] || fail "replay_$h: exit $rc: $(tail -5 "$T/err")"
	sanitizer_free "$T/err" "replay_$h"
	echo "replay_$h: $(cat "$T/out")"
done

# run ALLOWED_MAX CMD ARGS...: one memlens run on a hostile input.
run() {
	local max=$1 rc=0 out=
	shift
	for a in "$@"; do case $a in "$T"/out.*) out=$a ;; esac; done
	rm -f "$T"/out.*
	timeout "$LIMIT" "$MEMLENS" "$@" >/dev/null 2>"$T/err" || rc=$?
	[ "$rc" -ne 124 ] || fail "memlens $*: still running after ${LIMIT}s"
	[ "$rc" -le "$max" ] || fail "memlens $*: exit $rc: $(head -3 "$T/err")"
	sanitizer_free "$T/err" "memlens $*"
	! grep -qv "^memlens: " "$T/err" || fail "memlens $*: stderr line without the memlens: prefix: $(grep -m1 -v "^memlens: " "$T/err")"
	if [ "$rc" -ne 0 ]; then
		grep -qv "^memlens: [a-z]*: warning: " "$T/err" || fail "memlens $*: exit $rc without a reason"
		[ -z "$out" ] || [ ! -e "$out" ] || fail "memlens $*: exit $rc left $out behind"
	fi
	runs=$((runs + 1))
}

seed_core=$fuzz/corpus/core/kernel-tiny-dyn-0x33.core
while IFS= read -r -d '' f; do
	case $f in
	*/maps/*) continue ;;
	*/trace/*)	# records: trace-report reads them
		run 1 trace-report "$f" --json
		run 1 trace-report "$f" -o "$T/out.png"
		continue ;;
	*/spec/*)
		while IFS= read -r spec; do
			run 2 regions "$seed_core" --region "$spec"
			run 2 image "$seed_core" --region "$spec" -o "$T/out.png"
		done <"$f"
		continue ;;
	esac
	run 1 regions "$f"
	run 1 regions "$f" --json
	run 1 image "$f" -o "$T/out.png"
	run 1 image "$f" --bpp 8 -o "$T/out.bmp"
	run 1 image "$f" --layout hilbert -o "$T/out.png"
	run 1 pagemap "$f" --json
	run 1 hilbert "$f" -o "$T/out.png"
	run 1 heap "$f" --json
	run 1 sound "$f" -o "$T/out.wav"
done < <(find ${MEMLENS_REPLAY_DIRS:-"$fuzz/regress"} -type f ! -name '.*' -print0 | sort -z)
echo "$runs memlens runs on ${MEMLENS_REPLAY_DIRS:-regress} inputs: no crash, no hang, every failure explained"
