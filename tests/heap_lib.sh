# tests/heap_lib.sh: sourced by the heap tests after lib.sh.  glibc's own
# numbers as gdb prints them, and kernel cores of a program run for the
# purpose (in its own directory, core dumps on, killed by SIGABRT).

KPID=
trap '[ -z "$KPID" ] || kill -KILL "$KPID" 2>/dev/null; cleanup' EXIT

# gdb_values GDB-ARGS...: the values of gdb's "$N = V" lines, on one line.
gdb_values() {
	gdb -batch -nx "$@" 2>/dev/null | awk '/^\$[0-9]+ = / { printf "%s ", $3 } END { print "" }'
}

# start_in DIR CMD...: runs CMD in DIR, core dumps on, until it prints
# "ready"; sets KPID.
start_in() {
	local dir=$1 _
	shift
	mkdir -p "$dir"
	(cd "$dir" && ulimit -c unlimited && exec "$@" >"$dir/out") &
	KPID=$!
	for _ in $(seq 200); do grep -q ready "$dir/out" 2>/dev/null && break; sleep 0.05; done
	grep -q ready "$dir/out" || fail "$* did not start"
}

# dump_core DIR: aborts KPID (started in DIR) and sets CORE to its kernel core.
dump_core() {
	kill -CONT "$KPID"
	kill -ABRT "$KPID"
	wait "$KPID" 2>/dev/null
	KPID=
	CORE=$(ls "$1"/core* 2>/dev/null | head -1)
	[ -n "$CORE" ] || fail "no kernel core (core_pattern: $(cat /proc/sys/kernel/core_pattern))"
}
