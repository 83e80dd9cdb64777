#!/bin/bash
# run.sh: runs the libFuzzer harnesses one after another, each for a fixed
# number of executions (or seconds) over its seed corpus and its regress
# inputs, and prints per harness the executions, libFuzzer's final coverage
# (cov: edges, ft: features) and the outcome.  Fails when any harness
# crashes, breaks a check, trips a sanitizer, takes over 1 s on an input or
# over 256 MiB.  `make fuzz-smoke` and `make fuzz-long` call it.
#   run.sh [--runs N | --time SECONDS] BUILDDIR SRCDIR [HARNESS...]
# New inputs and crash files go to BUILDDIR/fuzz-work/<harness>/; the
# checked-in corpora are only read.  A crash is reproduced without
# libFuzzer by BUILDDIR/tests/fuzz/replay_<harness> FILE.
# libFuzzer's timeout is wall-clock time: on a machine busy with other work
# an input of milliseconds can pass 1 s, so a timeout's input is run again
# and its time shown beside the failure.  FUZZ_TIMEOUT=S changes the limit.
set -uo pipefail
limit=(-runs=20000)
case ${1:-} in
--runs) limit=(-runs="$2"); shift 2 ;;
--time) limit=(-max_total_time="$2"); shift 2 ;;
esac
[ $# -ge 2 ] || { echo "usage: run.sh [--runs N | --time S] BUILDDIR SRCDIR [HARNESS...]" >&2; exit 2; }
build=$1 src=$2
shift 2
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(core lime maps spec heap trace minidump)
declare -A maxlen=([core]=65536 [lime]=8192 [maps]=4096 [spec]=512 [heap]=65536 [minidump]=65536)
# ASan keeps freed memory in a 256 MiB quarantine by default, which alone
# would pass the RSS limit over a long run; 32 MiB still catches reuse.
export ASAN_OPTIONS="quarantine_size_mb=32:${ASAN_OPTIONS:-}"
status=0
printf '%-6s %10s %8s %8s %8s  %s\n' harness execs seconds cov ft result
for h in "${harnesses[@]}"; do
	bin=$build/tests/fuzz/fuzz_$h
	work=$build/fuzz-work/$h
	mkdir -p "$work/corpus" "$work/crashes"
	[ -x "$bin" ] || { echo "$bin is not built (make fuzz)" >&2; exit 2; }
	seeds=("$src/tests/fuzz/corpus/$h")
	[ -d "$src/tests/fuzz/regress/$h" ] && seeds+=("$src/tests/fuzz/regress/$h")
	log=$work/log
	# -close_fd_mask=3: memlens's one-line errors stay quiet; libFuzzer and
	# the sanitizers still report through their own copy of stderr.
	"$bin" "${limit[@]}" -timeout="${FUZZ_TIMEOUT:-1}" -rss_limit_mb=256 -malloc_limit_mb=256 \
		-max_len="${maxlen[$h]:-65536}" -dict="$src/tests/fuzz/dict/$h.dict" \
		-close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$work/crashes/" \
		"$work/corpus" "${seeds[@]}" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")	# stopped early: the last count
	cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
	if [ "$rc" -eq 0 ]; then
		result=ok
	else
		status=1
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		why=$(grep -m1 -E 'ERROR: (AddressSanitizer|libFuzzer)|runtime error|fuzz check failed|deadly signal' "$log")
		result="FAILED (exit $rc): ${why:-see $log}${art:+; input $art}"
		case $art in */timeout-*)
			again=$("$bin" "$art" 2>&1 | sed -n 's/^Executed .* in \([0-9]*\) ms$/\1/p')
			result="$result; run again alone: ${again:-?} ms" ;;
		esac
	fi
	printf '%-6s %10s %8s %8s %8s  %s\n' "$h" "${execs:-?}" "${secs:-?}" "${cov:-?}" "${ft:-?}" "$result"
done
exit $status
