#!/bin/bash
# make-corpus.sh: regenerates the seed corpora under tests/fuzz/corpus/ from
# real inputs made on this machine — kernel and gdb cores of tiny.c (static
# and dynamic), trimmed to a few KiB; /proc/PID/maps lines; the heaps of a
# gcore — plus the inputs corpus.py builds from the formats' descriptions.
# Run as root (kernel cores, gcore); needs gcc, gdb and python3.  The
# environment of the cored programs is emptied so no local detail is
# committed with the cores.
#   tests/fuzz/make-corpus.sh [OUTDIR]      (default: tests/fuzz/corpus)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/corpus}")
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$out"/{core,lime,maps,spec,heap}
cd "$tmp"
gcc -O1 -pthread -o tiny-dyn "$here/tiny.c"
gcc -static -O1 -pthread -o tiny-static "$here/tiny.c"

# Kernel cores: with coredump_filter 0x10 only the ELF headers of file
# mappings are dumped; with the default 0x33 the anonymous memory too.
for prog in tiny-static tiny-dyn; do
	for filter in 0x10 0x33; do
		rm -f core
		env -i bash -c "ulimit -c unlimited; echo $filter >/proc/self/coredump_filter; exec ./$prog crash" \
			2>/dev/null || true
		[ -s core ] || { echo "no kernel core from $prog (core_pattern must be 'core')" >&2; exit 1; }
		python3 "$here/corpus.py" trim-core core "$out/core/kernel-$prog-$filter.core" 256
	done
done

# gcore, and the live maps, of each program while it waits.
start() {
	env -i "./$1" >"$1.out" &
	pids+=($!)
	for _ in $(seq 100); do grep -q ready "$1.out" 2>/dev/null && return; sleep 0.05; done
	echo "$1 did not start" >&2
	exit 1
}
for prog in tiny-static tiny-dyn; do
	start "$prog"
	pid=${pids[-1]}
	gcore -o "g-$prog" "$pid" >/dev/null 2>&1
	python3 "$here/corpus.py" trim-core "g-$prog.$pid" "$out/core/gcore-$prog.core" 256
	python3 "$here/corpus.py" heap-from-core "g-$prog.$pid" "$out/heap/gcore-$prog"
	cp "/proc/$pid/maps" "$out/maps/$prog.maps"
	kill -KILL "$pid"
done
# Single lines the kernel prints for other kinds of mapping (seen here).
printf '%s\n' \
	'7f2a1c000000-7f2a1c021000 rw-p 00000000 00:00 0 ' \
	'7ffd4b2c1000-7ffd4b2e2000 rw-p 00000000 00:00 0                          [stack]' \
	'7f9d3c5fe000-7f9d3c600000 rw-s 00000000 00:01 4097                       /memfd:shared (deleted)' \
	'7f9d3c600000-7f9d3c601000 rw-s 00000000 00:01 32770                      /SYSV00000000 (deleted)' \
	'7f3e8a000000-7f3e8a200000 rw-p 00000000 00:00 0                          [anon:name with spaces]' \
	'7f3e8a200000-7f3e8a201000 r--p 00002000 fd:01 1835046                    /tmp/a path with spaces' \
	'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]' \
	'7ffd4b3f1000-7ffd4b3f5000 r--p 00000000 00:00 0                          [vvar]' \
	'7ffd4b3f5000-7ffd4b3f7000 r-xp 00000000 00:00 0                          [vdso]' \
	'7ffd4b3f0000-7ffd4b3f1000 r--p 00000000 00:00 0                          [vvar_vclock]' \
	| { i=0; while IFS= read -r l; do printf '%s\n' "$l" >"$out/maps/line$i"; i=$((i + 1)); done; }

# --region specs as the man pages show them, one per line.
i=0
for s in heap stack anon file exec vdso vvar vsyscall phys raw libc path:libc path:/usr/lib \
	0x1000-0x2000 1000-2000 0x7f0000000000+64M 0x1000+0x800 0+1K 0x7ffc00000000+4G \
	ffffffffff600000-ffffffffff601000 0x0-0xffffffffffffffff 'heap
stack
0x1000+16'; do
	printf '%s\n' "$s" >"$out/spec/spec$i"
	i=$((i + 1))
done

python3 "$here/corpus.py" crafted "$out"
python3 "$here/corpus.py" heap-synthetic "$out/heap"
du -sh "$out"
