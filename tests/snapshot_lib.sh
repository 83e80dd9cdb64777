# tests/snapshot_lib.sh: sourced by the snapshot tests after lib.sh.
# start_target ARGS...: runs tests/snapshot_target (which knows its own
# memory) like the specimen: sets SPEC_PID and SPEC_OUT, spec_addr reads it.
TARGET=$(dirname "$MEMLENS")/tests/snapshot_target
[ -x "$TARGET" ] || fail "$TARGET is not built"
start_target() { SPECIMEN_CMD=$TARGET start_specimen "$@"; }

# state PID: the one-letter state of a process (R, S, T, t, Z...).
state() { awk '/^State:/ { print $2 }' "/proc/$1/status"; }
tracer() { awk '/^TracerPid:/ { print $2 }' "/proc/$1/status"; }
# rss PID: the process's resident kilobytes, summed over smaps.
rss() { awk '/^Rss:/ { s += $2 } END { print s }' "/proc/$1/smaps"; }
# wait_state PID LETTERS: until the state is one of LETTERS (5 s).
wait_state() {
	local _
	for _ in $(seq 100); do
		case $(state "$1") in ["$2"]) return 0 ;; esac
		sleep 0.05
	done
	fail "pid $1 never reached state $2 (it is $(state "$1"))"
}
# wait_idle PID: until every thread of the target waits in pause() (system
# call 34), so its memory and registers hold still between two dumps (10 s).
wait_idle() {
	local _ t nr all
	for _ in $(seq 200); do
		all=1
		for t in /proc/"$1"/task/*; do
			nr=x
			read -r nr _ <"$t/syscall" 2>/dev/null
			[ "$nr" = 34 ] || all=0
		done
		[ "$all" = 1 ] && return 0
		sleep 0.05
	done
	fail "the threads of pid $1 never all waited in pause()"
}
