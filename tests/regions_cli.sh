#!/bin/bash
# The command line: help and version, usage errors (exit 2), and every bad
# input of the foundation (exit 1) as exactly one `memlens: ...` line.
. "$TESTS_SRCDIR/lib.sh"

"$MEMLENS" --help | grep -q '^  regions ' || fail "--help does not list regions"
"$MEMLENS" --version | grep -Eq '^memlens [0-9]+\.[0-9]+' || fail "--version"
diff <("$MEMLENS" help regions) <("$MEMLENS" regions --help) >/dev/null || fail "help regions != regions --help"
"$MEMLENS" help regions | grep -q -- '--region SPEC' || fail "regions help lacks the selection options"
for cmd in image sound pagemap heap hilbert; do
	"$MEMLENS" help "$cmd" >/dev/null || fail "help $cmd"
done

# No command: the usage on stderr, exit 2.  A word that is no command or
# option: one line (with the nearest command when there is one), exit 2.
rc=0
"$MEMLENS" >"$T/stdout" 2>"$T/stderr" || rc=$?
[ "$rc" -eq 2 ] && grep -q '^Usage: memlens' "$T/stderr" && [ ! -s "$T/stdout" ] || fail "no command: exit $rc"
expect_error 2 - "$MEMLENS" frobnicate
grep -q "^memlens: unknown command 'frobnicate'" "$T/stderr" || fail "unknown command not named"
expect_error 2 - "$MEMLENS" --frobnicate
expect_error 2 - "$MEMLENS" help frobnicate
expect_error 2 - "$MEMLENS" regions
expect_error 2 - "$MEMLENS" regions self --bogus
expect_error 2 - "$MEMLENS" regions self --region
expect_error 2 - "$MEMLENS" regions self --region ''
expect_error 2 - "$MEMLENS" regions self --region 0x2000-0x1000
expect_error 2 - "$MEMLENS" regions self --as elf
expect_error 2 - "$MEMLENS" regions self --base zz
expect_error 2 - "$MEMLENS" regions self self

expect_error 1 - "$MEMLENS" regions "$T/missing"
grep -q "No such file" "$T/stderr" || fail "missing file: $(cat "$T/stderr")"
expect_error 1 - "$MEMLENS" regions 2147483646
grep -q "no such process" "$T/stderr" || fail "bad pid: $(cat "$T/stderr")"
expect_error 2 - "$MEMLENS" regions pid:0
expect_error 2 - "$MEMLENS" regions pid:abc
grep -q "pid:abc: not a valid pid" "$T/stderr" || fail "pid:abc: $(cat "$T/stderr")"
: >"$T/empty"
expect_error 1 - "$MEMLENS" regions "$T/empty" --as core
grep -q "empty" "$T/stderr" || fail "empty core: $(cat "$T/stderr")"
expect_error 1 - "$MEMLENS" regions "$MEMLENS" --as core
grep -q "not a core" "$T/stderr" || fail "ELF non-core: $(cat "$T/stderr")"
expect_error 1 - "$MEMLENS" regions "$T"
expect_error 1 - "$MEMLENS" regions "$T/empty" --region heap
grep -q "no heap region" "$T/stderr" || fail "empty selection: $(cat "$T/stderr")"

# LiME: garbage first header, and a good range followed by garbage.
printf 'EMiL\002\000\000\000garbage-garbage-garbage!' >"$T/bad.lime"
expect_error 1 - "$MEMLENS" regions "$T/bad.lime"
grep -q "file offset 0x0:" "$T/stderr" || fail "LiME error names no offset: $(cat "$T/stderr")"
python3 - "$T/bad2.lime" <<'PY'
import struct, sys
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IIQQ8x', 0x4C694D45, 1, 0x1000, 0x1fff) + b'\xaa' * 0x1000)
    f.write(b'X' * 32)
PY
expect_error 1 - "$MEMLENS" regions "$T/bad2.lime"
grep -q "file offset 0x1020: bad magic" "$T/stderr" || fail "second LiME header: $(cat "$T/stderr")"

# Another user's process: run as nobody against a root-owned specimen.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	start_specimen
	chmod 755 "$T"
	expect_error 1 - setpriv --reuid=nobody --regid=nogroup --clear-groups "$MEMLENS" regions "$SPEC_PID"
	grep -q "Permission denied (pid $SPEC_PID belongs to uid 0: run as root" "$T/stderr" ||
		fail "nobody: $(cat "$T/stderr")"
else
	echo "not root: the other-user check is skipped"
fi

# Untrusted text never reaches the terminal raw.
ln -s "$MEMLENS" "$T/$(printf 'evil\033[2Jname')"
rc=0
"$MEMLENS" regions "$T/$(printf 'evil\033[2Jname')" >"$T/out" 2>&1 || rc=$?
[ "$rc" -le 1 ] || fail "regions of an escape-named file: exit $rc"
! grep -q "$(printf '\033')" "$T/out" || fail "an escape byte reached the output"
# A full disk is an error with its reason; a reader that stops early
# (`| head`) ends the report quietly, with exit status 1 like cat's 141.
for cmd in "regions self" "regions self --json" "pagemap self --color never" "pagemap self --json"; do
	rc=0
	$MEMLENS $cmd >/dev/full 2>"$T/err" || rc=$?
	[ "$rc" -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "No space left on device" "$T/err" ||
		fail "$cmd >/dev/full: exit $rc, $(cat "$T/err")"
	mkfifo "$T/pipe"
	head -c 1 "$T/pipe" >/dev/null &
	reader=$!
	rc=0
	$MEMLENS $cmd >"$T/pipe" 2>"$T/err" || rc=$?
	wait "$reader"
	# 0 when it all fitted in the pipe before the reader left, else 1: never a signal
	[ "$rc" -le 1 ] || fail "$cmd | head: exit $rc"
	rm "$T/pipe"
	[ ! -s "$T/err" ] || fail "$cmd | head: $(cat "$T/err")"
done
echo "cli OK"
