#!/bin/bash
# Cores of a stopped specimen — one by gdb's gcore, one by the kernel —
# list the regions of /proc/PID/maps and give back its bytes; a core cut
# to half its size still lists every region, the lost part as holes.
. "$TESTS_SRCDIR/lib.sh"
need python3
need gcore
need_root
READ_AT=$(dirname "$MEMLENS")/tests/read_at
CHECK="$TESTS_SRCDIR/check_regions.py"
cd "$T"
ulimit -c unlimited || fail "cannot raise the core size limit"
start_specimen --files "$T"
kill -STOP "$SPEC_PID"
python3 "$CHECK" snapshot "$SPEC_PID" "$T/snap.json"

# check_half CORE JSON: the core cut to half its size still lists every
# segment's region (gcore keeps its notes at the end, so regions known only
# from NT_FILE may go), exit 0 with one warning, captured bytes as the
# program headers say, and the lost bytes read as holes.
check_half() {
	local core=$1 json=$2 size
	size=$(stat -c %s "$core")
	cp "$core" "$T/half"
	truncate -s $((size / 2)) "$T/half"
	"$MEMLENS" regions "$T/half" --json >"$T/half.json" 2>"$T/half.err" || fail "truncated core: exit $?"
	grep -q "truncated" "$T/half.err" || fail "no warning for the truncated core"
	[ "$(grep -c . "$T/half.err")" -eq 1 ] || fail "more than one warning: $(cat "$T/half.err")"
	python3 - "$json" "$T/half.json" "$T/half" <<'PY' || fail "truncated core regions"
import json, struct, sys
full = json.load(open(sys.argv[1]))['regions']
half = json.load(open(sys.argv[2]))['regions']
key = lambda rs: [(r['start'], r['end']) for r in rs if r['perms'] != '????']
assert key(full) == key(half), (key(full), key(half))
# Oracle: captured = what of each PT_LOAD's p_filesz lies inside the file.
data = open(sys.argv[3], 'rb').read()
phoff, = struct.unpack_from('<Q', data, 0x20)
phentsize, phnum = struct.unpack_from('<HH', data, 0x36)
want = {}
for i in range(phnum):
    p_type, p_flags, off, vaddr, paddr, filesz, memsz, align = \
        struct.unpack_from('<IIQQQQQQ', data, phoff + i * phentsize)
    if p_type == 1 and memsz:
        want[vaddr] = max(0, min(filesz, len(data) - off))
for r in half:
    a = int(r['start'], 16)
    if r['kind'] == 'vvar':
        continue          # the kernel's zeros there are not data
    assert r['captured'] == want.get(a, 0), (r['start'], r['captured'], want.get(a))
assert sum(r['captured'] for r in half) < sum(r['captured'] for r in full)
PY
	local addr
	# The first lost byte of the last region the cut reached.
	addr=$(python3 -c '
import json, sys
rs = [r for r in json.load(open(sys.argv[1]))["regions"]
      if r["perms"] != "????" and r["kind"] != "vvar" and r["captured"] < r["size"]]
print("%x" % (int(rs[-1]["start"], 16) + rs[-1]["captured"]))' "$T/half.json")
	"$READ_AT" "$T/half" "$addr" 16 | grep -q -- '^--------------------------------$' || fail "lost bytes at $addr are not holes"
}

gcore -o "$T/g" "$SPEC_PID" >/dev/null 2>&1 || fail "gcore failed"
G=$T/g.$SPEC_PID
"$MEMLENS" regions "$G" --json >"$T/g.json" || fail "regions of the gcore core failed"
python3 "$CHECK" compare gcore "$T/snap.json" "$T/g.json" "$READ_AT" "$G" || exit 1
python3 - "$T/g.json" "$SPEC_PID" <<'PY' || fail "gcore source fields"
import json, sys
s = json.load(open(sys.argv[1]))['source']
assert s['pid'] == int(sys.argv[2]) and s['name'] == 'specimen', s
assert s['nt_file_page_size'] == 1, s     # gdb's convention
PY

check_half "$G" "$T/g.json"

# The kernel's own core (needs a plain core_pattern).
pattern=$(cat /proc/sys/kernel/core_pattern)
case $pattern in
"|"*) echo "core_pattern is a pipe ($pattern): kernel core part skipped"; exit 0 ;;
esac
pid=$SPEC_PID
kill -CONT "$pid"
kill -SEGV "$pid"
wait "$pid" 2>/dev/null
SPEC_PID=
K=$(ls -t "$T"/core* 2>/dev/null | head -1)
[ -n "$K" ] || fail "the kernel wrote no core (core_pattern: $pattern)"
"$MEMLENS" regions "$K" --json >"$T/k.json" || fail "regions of the kernel core failed"
python3 "$CHECK" compare kcore "$T/snap.json" "$T/k.json" "$READ_AT" "$K" || exit 1
check_half "$K" "$T/k.json"
python3 - "$T/k.json" <<'PY' || fail "kernel core source fields"
import json, sys
s = json.load(open(sys.argv[1]))['source']
assert s['nt_file_page_size'] == 4096, s     # the kernel's convention
PY
echo "core regions OK"
