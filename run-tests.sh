#!/bin/bash
# Builds memlens in BUILD_DIR (default: build) with warnings as errors and
# runs the whole test suite.  Extra arguments go to configure, e.g.
#   ./run-tests.sh --enable-sanitizers
# Ends with a line "N passed, N failed" and exits non-zero on any failure.
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
build=${BUILD_DIR:-build}
cd "$top"
[ -x configure ] || ./autogen.sh >/dev/null
mkdir -p "$build"
cd "$build"
"$top/configure" -q --enable-werror "$@"
make -s -j"$(nproc)"
status=0
make -s -j"$(nproc)" check || status=$?
log=test-suite.log
pass=$(sed -n 's/^# PASS: *//p' "$log" | head -1)
fail=$(sed -n 's/^# FAIL: *//p' "$log" | head -1)
error=$(sed -n 's/^# ERROR: *//p' "$log" | head -1)
skip=$(sed -n 's/^# SKIP: *//p' "$log" | head -1)
if [ "$status" -ne 0 ]; then
	cat "$log" >&2
fi
echo "${pass:-0} passed, $(( ${fail:-0} + ${error:-0} )) failed, ${skip:-0} skipped"
exit "$status"
