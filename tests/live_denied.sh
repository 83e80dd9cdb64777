#!/bin/bash
# When the kernel refuses, the error says what is missing (issue 11, item
# 24) instead of suggesting root to root.  The oracles are the kernel's:
# it must really refuse (or allow) each case, setpriv's process shows the
# capabilities it was left with in /proc/self/status, the files in
# /proc/PID turn to root when a process is not dumpable, and Yama's
# ptrace_scope is read from the sysctl file, whatever this machine has.
. "$TESTS_SRCDIR/lib.sh"
need_root
command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed"
# Copies another user can run, in a directory another user can enter.
chmod 755 "$T"
cp "$MEMLENS" "$(dirname "$MEMLENS")/tests/live_target" "$T/"
ML=$T/memlens
NOCAP="setpriv --inh-caps=-all --bounding-set=-sys_ptrace --"
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups --"
start_sleeper
root_pid=$SLEEP_PID
$NOBODY sleep 300 &
nobody_pid=$!
for _ in $(seq 100); do
	[ "$(cat "/proc/$nobody_pid/comm" 2>/dev/null)" = sleep ] && break
	sleep 0.05
done
[ "$(awk '/^Uid:/ {print $2}' "/proc/$nobody_pid/status")" = 65534 ] || fail "nobody's sleep"
trap 'kill -KILL "$nobody_pid" 2>/dev/null; kill -KILL "$root_pid" 2>/dev/null; cleanup' EXIT

# Root with CAP_SYS_PTRACE reads another user's process.
"$ML" regions "$nobody_pid" >/dev/null 2>"$T/err" || fail "root was refused: $(cat "$T/err")"

# Root without it is refused, and told so, with the mask it runs with.
capeff=$($NOCAP awk '/^CapEff:/ {print $2}' /proc/self/status)
(( (0x$capeff >> 19 & 1) == 0 )) || fail "setpriv left CAP_SYS_PTRACE in $capeff"
expect_error 1 - $NOCAP "$ML" regions "$nobody_pid"
# (maps may be readable where mem is not: the kernel checks them differently)
grep -Eqx "memlens: regions: pid $nobody_pid: cannot read its memory( map)?: Permission denied \(running as root but without CAP_SYS_PTRACE \(CapEff $capeff\): give memlens that capability\)" \
	"$T/stderr" || fail "root without CAP_SYS_PTRACE: $(cat "$T/stderr")"
expect_error 1 - $NOCAP "$ML" regions "$nobody_pid" --freeze
grep -qx "memlens: regions: pid $nobody_pid: cannot freeze thread $nobody_pid: Operation not permitted (running as root but without CAP_SYS_PTRACE (CapEff $capeff): give memlens that capability)" \
	"$T/stderr" || fail "--freeze without CAP_SYS_PTRACE: $(cat "$T/stderr")"

# Another user is refused root's process, and told whose it is.
expect_error 1 - $NOBODY "$ML" regions "$root_pid"
grep -qx "memlens: regions: pid $root_pid: cannot read its memory map: Permission denied (pid $root_pid belongs to uid 0: run as root or as that user)" \
	"$T/stderr" || fail "nobody reading root's process: $(cat "$T/stderr")"

# A process of the same user that made itself not dumpable.
mkdir -m 777 "$T/nb"
SPECIMEN_CMD="$NOBODY $T/live_target $T/nb undumpable" start_specimen
[ "$(stat -c %u "/proc/$SPEC_PID/status")" = 0 ] || fail "the kernel still shows the target as dumpable"
expect_error 1 - $NOBODY "$ML" regions "$SPEC_PID"
grep -q "(pid $SPEC_PID is not dumpable (set-id, file capabilities, or prctl(PR_SET_DUMPABLE, 0)): only CAP_SYS_PTRACE may read it: run as root)$" \
	"$T/stderr" || fail "not dumpable: $(cat "$T/stderr")"

# The same user's dumpable process that is not its child: Yama decides.
scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo none)
case $scope in
none | 0)
	$NOBODY "$ML" regions "$nobody_pid" >/dev/null 2>"$T/err" ||
		fail "Yama is $scope, yet nobody cannot read its own process: $(cat "$T/err")"
	;;
1 | 2)
	expect_error 1 - $NOBODY "$ML" regions "$nobody_pid"
	grep -q "(kernel.yama.ptrace_scope is $scope: " "$T/stderr" || fail "Yama $scope: $(cat "$T/stderr")"
	;;
*)
	fail "kernel.yama.ptrace_scope is $scope: live processes cannot be tested here"
	;;
esac
echo "live denied OK (yama: $scope)"
