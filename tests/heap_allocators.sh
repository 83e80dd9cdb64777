#!/bin/bash
# Other allocators (issue 11 item 3): with jemalloc or tcmalloc preloaded,
# glibc malloc never runs, which gdb confirms from glibc's own state
# (mp_.sbrk_base and mp_.n_mmaps zero, libc6-dbg's symbols); `memlens
# heap` must then fail (exit 1) in one line that names the allocator the
# test preloaded and says only glibc malloc is walked — live and from a
# kernel core.  A jemalloc process that also calls glibc's malloc by its
# own name (__libc_malloc) has a glibc heap: it is mapped, with a warning
# naming jemalloc (exit 1 under --strict) and the allocator in the JSON.
. "$TESTS_SRCDIR/lib.sh"
. "$TESTS_SRCDIR/heap_lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || fail "Debian's python3 is needed"
need gdb
LIB=/usr/lib/x86_64-linux-gnu
JE=$LIB/libjemalloc.so.2
TC=$LIB/libtcmalloc.so.4
[ -e $JE ] && [ -e $TC ] || fail "libjemalloc2 and libgoogle-perftools4 are needed (.ci/packages.d/heap.txt)"
cat >"$T/hold.py" <<'PY'
import ctypes, os, sys, time
keep = [bytearray(300000), [str(i) for i in range(50000)]]
if len(sys.argv) > 1:  # glibc's malloc called by its own name beside the preloaded one
    libc = ctypes.CDLL("libc.so.6")
    libc.__libc_malloc.restype = ctypes.c_void_p
    held = [libc.__libc_malloc(n) for n in (100, 5000, 200000)]
print("ready", os.getpid(), flush=True)
time.sleep(600)
PY

# glibc's own word on its heap: sbrk_base and n_mmaps.
glibc_state() {
	gdb_values -p "$1" -ex 'p (long)mp_.sbrk_base' -ex 'p mp_.n_mmaps'
	kill -STOP "$1"
}

for lib in $JE $TC; do
	case $lib in *jemalloc*) name=jemalloc ;; *) name=tcmalloc ;; esac
	LD_PRELOAD=$lib SPECIMEN_CMD="$PY $T/hold.py" start_specimen
	kill -STOP "$SPEC_PID"
	grep -q "$(basename "$lib")" "/proc/$SPEC_PID/maps" || fail "$lib is not mapped in the specimen"
	read -r sbrk nmm < <(glibc_state "$SPEC_PID")
	[ "$sbrk" = 0 ] && [ "$nmm" = 0 ] || fail "$name: gdb says glibc malloc ran (sbrk_base $sbrk, n_mmaps $nmm)"
	expect_error 1 - "$MEMLENS" heap "$SPEC_PID"
	grep -q "uses $name" "$T/stderr" && grep -q "only glibc malloc is walked" "$T/stderr" ||
		fail "$name: the error does not name the allocator: $(cat "$T/stderr")"
	expect_error 1 - "$MEMLENS" heap "$SPEC_PID" --json
	if [ $name = jemalloc ]; then
		# The same from a kernel core: NT_FILE names the library.
		start_in "$T/kc" env LD_PRELOAD=$lib $PY "$T/hold.py"
		dump_core "$T/kc"
		expect_error 1 - "$MEMLENS" heap "$CORE"
		grep -q "uses jemalloc" "$T/stderr" || fail "core: the error does not name jemalloc: $(cat "$T/stderr")"
		rm -rf "$T/kc"
	fi
	kill -KILL "$SPEC_PID"; wait "$SPEC_PID" 2>/dev/null; SPEC_PID=
done

# A glibc heap, and jemalloc too: the heap is mapped, with a warning.
LD_PRELOAD=$JE SPECIMEN_CMD="$PY $T/hold.py mix" start_specimen
kill -STOP "$SPEC_PID"
read -r sbrk nmm < <(glibc_state "$SPEC_PID")
[ "$sbrk" != 0 ] || fail "gdb says glibc malloc never ran in the mixed case"
"$MEMLENS" heap "$SPEC_PID" --json >"$T/both.json" 2>"$T/both.err" || fail "mixed case: exit $?: $(cat "$T/both.err")"
[ "$(grep -c . "$T/both.err")" -eq 1 ] && grep -q 'also uses jemalloc' "$T/both.err" ||
	fail "mixed case: expected one warning naming jemalloc: $(cat "$T/both.err")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["other_allocator"] == "jemalloc", d["other_allocator"]; assert d["arenas"][0]["heaps"]' "$T/both.json" ||
	fail "mixed case: JSON"
expect_error 1 - "$MEMLENS" heap "$SPEC_PID" --strict --quiet
exit 0
