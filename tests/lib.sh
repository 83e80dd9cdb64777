# tests/lib.sh: sourced by the integration tests.  Gives a scratch
# directory, a running specimen to look at, and checks for the one-line
# error contract (`memlens: ...` on stderr, the right exit code, no output
# file left behind).  Exit 77 tells automake a test was skipped.

set -u
: "${MEMLENS:?run through make check}"
T=$(mktemp -d "${TMPDIR:-/tmp}/memlens-test.XXXXXX")
SPEC_PID=
cleanup() {
	if [ -n "$SPEC_PID" ]; then
		kill -KILL "$SPEC_PID" 2>/dev/null || true
		wait "$SPEC_PID" 2>/dev/null || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# A test that cannot run fails: CI installs what every test needs
# (.ci/packages.d) and runs as root, so nothing is ever skipped.
cannot_run() { fail "cannot run: $* (install it through .ci/packages.d)"; }
need() { command -v "$1" >/dev/null 2>&1 || cannot_run "$1 is not installed"; }
need_root() { [ "$(id -u)" -eq 0 ] || cannot_run "needs root"; }

# start_specimen [ARGS...]: runs the specimen (or $SPECIMEN_CMD) in the
# background, waits for its "ready" line; sets SPEC_PID and SPEC_OUT
# (its "NAME START END" lines).
start_specimen() {
	SPEC_OUT=$T/specimen.out
	local fifo
	fifo=$(mktemp -u "$T/specimen.XXXXXX")
	mkfifo "$fifo"
	${SPECIMEN_CMD:-$SPECIMEN} "$@" >"$fifo" &
	SPEC_PID=$!
	exec 9<"$fifo"
	rm -f "$fifo"
	: >"$SPEC_OUT"
	local line
	while IFS= read -r -t 20 line <&9; do
		echo "$line" >>"$SPEC_OUT"
		case $line in ready*) break ;; esac
	done
	grep -q '^ready' "$SPEC_OUT" || fail "specimen did not start"
}

# start_sleeper: runs `sleep 300` in the background and sets SLEEP_PID once
# it has exec'd (until then the child is still a copy of this shell).
start_sleeper() {
	sleep 300 &
	SLEEP_PID=$!
	local _
	for _ in $(seq 100); do
		[ "$(cat /proc/$SLEEP_PID/comm 2>/dev/null)" = sleep ] && return
		sleep 0.05
	done
	fail "sleep did not start"
}

# spec_addr NAME FIELD: the start (2) or end (3) address of a specimen area.
spec_addr() { awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$SPEC_OUT"; }

# expect_error CODE OUTFILE CMD...: CMD must exit CODE with exactly one
# stderr line starting "memlens: " (usage errors may add a "Try" line),
# and OUTFILE (or "-" for none) must not exist afterwards.
expect_error() {
	local code=$1 out=$2 rc=0
	shift 2
	"$@" >"$T/stdout" 2>"$T/stderr" || rc=$?
	[ "$rc" -eq "$code" ] || fail "exit $rc, expected $code: $* ($(cat "$T/stderr"))"
	local first
	first=$(sed "/^Try 'memlens/d" "$T/stderr")
	[ "$(printf '%s\n' "$first" | grep -c .)" -eq 1 ] || fail "expected one error line from $*, got: $(cat "$T/stderr")"
	case $first in "memlens: "*) ;; *) fail "error line lacks the memlens: prefix: $first" ;; esac
	if [ "$out" != - ]; then
		[ ! -e "$out" ] || fail "$* left $out behind"
		# no temporary file either
		local d
		d=$(dirname "$out")
		! ls -A "$d" 2>/dev/null | grep -q "^\.$(basename "$out")\." || fail "$* left a temporary file in $d"
	fi
}
