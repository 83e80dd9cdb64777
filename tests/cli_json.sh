#!/bin/bash
# Every command's JSON against doc/memlens.schema.json (python3-jsonschema),
# "source" first and right by independent oracles (/proc, os.stat, the C
# library's confstr, gdb's core of a known pid); and the escaped form of
# untrusted text: a name holding the four characters \xff and one holding
# the byte 0xff come out different, and each decodes back to its bytes.
. "$TESTS_SRCDIR/lib.sh"
PY=/usr/bin/python3
SCHEMA="$TESTS_SRCDIR/../doc/memlens.schema.json"
CHECK="$PY $TESTS_SRCDIR/cli_json.py $SCHEMA"
head -c 40000 /dev/urandom >"$T/in.raw"
start_specimen
P=$SPEC_PID
live="kind=live path=null pid=$P name=comm:$P page_size=pagesize glibc=null"
raw="kind=raw path=$T/in.raw pid=null name=null page_size=pagesize glibc=null file_size=size:$T/in.raw"

"$MEMLENS" regions "$P" --json >"$T/a.json" && $CHECK "$T/a.json" regions $live || fail "regions live"
"$MEMLENS" regions "$T/in.raw" --json >"$T/a.json" && $CHECK "$T/a.json" regions $raw || fail "regions raw"
"$MEMLENS" pagemap "$P" --json >"$T/a.json" 2>/dev/null && $CHECK "$T/a.json" report $live || fail "pagemap live"
"$MEMLENS" pagemap "$T/in.raw" --json >"$T/a.json" && $CHECK "$T/a.json" report $raw || fail "pagemap raw"
"$MEMLENS" pagemap --physical --json >"$T/a.json" &&
	$CHECK "$T/a.json" report kind=physical path=null pid=null name=null page_size=pagesize || fail "pagemap --physical"
"$MEMLENS" heap "$P" --json >"$T/a.json" &&
	$CHECK "$T/a.json" report kind=live pid=$P name=comm:$P glibc=glibc || fail "heap live"
"$MEMLENS" heap "$P" --json --chunks >"$T/a.json" && $CHECK "$T/a.json" report kind=live glibc=glibc ||
	fail "heap --chunks"
"$MEMLENS" hilbert "$P" -o "$T/h.png" --map "$T/a.json" && $CHECK "$T/a.json" report $live || fail "hilbert live"
"$MEMLENS" hilbert "$T/in.raw" -o "$T/h.png" --map "$T/a.json" && $CHECK "$T/a.json" report $raw ||
	fail "hilbert raw"
"$MEMLENS" hilbert --system -o "$T/h.png" --map "$T/a.json" 2>/dev/null &&
	$CHECK "$T/a.json" report kind=system pid=null || fail "hilbert --system"
"$MEMLENS" image "$T/in.raw" -o "$T/i.png" --map "$T/a.json" && $CHECK "$T/a.json" report $raw || fail "image raw"
"$MEMLENS" image "$P" --region heap -o "$T/i.png" --map "$T/a.json" && $CHECK "$T/a.json" report $live ||
	fail "image live"
"$MEMLENS" find "$P" --strings --text specimen --hex 'de ad' --regex 'quick [a-z]+' --json >"$T/a.json" &&
	$CHECK "$T/a.json" find $live || fail "find live"
"$MEMLENS" find "$T/in.raw" --strings --min 3 --json >"$T/a.json" && $CHECK "$T/a.json" find $raw || fail "find raw"
"$MEMLENS" find --system --text specimen --json >"$T/a.json" && $CHECK "$T/a.json" find kind=system pid=null ||
	fail "find --system"
"$MEMLENS" triage "$P" --json >"$T/a.json" && $CHECK "$T/a.json" triage $live || fail "triage live"
"$MEMLENS" triage --system --json >"$T/a.json" && $CHECK "$T/a.json" triage kind=system pid=null || fail "triage --system"
# diff: the sources A and B first, then its own schema; a raw file against
# the live specimen, and a file against itself with a picture's --map.
"$MEMLENS" diff "$T/in.raw" "$P" --region 0-0x10000 --json >"$T/a.json" &&
	$CHECK "$T/a.json" diff a.kind=raw a.path="$T/in.raw" a.file_size=size:"$T/in.raw" b.kind=live b.pid=$P \
		b.name=comm:$P b.page_size=pagesize || fail "diff raw live"
"$MEMLENS" diff "$T/in.raw" "$T/in.raw" -o "$T/d.png" --map "$T/a.json" >/dev/null &&
	$CHECK "$T/a.json" diffmap a.kind=raw b.path="$T/in.raw" b.pid=null || fail "diff --map"
# watch: a header line with the source, then a line a frame.
"$MEMLENS" watch "$P" --region heap --frames 3 --every 50ms --json >"$T/a.json" &&
	$CHECK "$T/a.json" watch $live || fail "watch live"
"$MEMLENS" watch "$T/in.raw" --frames 2 --every 10ms --json >"$T/a.json" &&
	$CHECK "$T/a.json" watch $raw || fail "watch raw"
# A LiME file and a gdb core of the specimen (its pid and name are in the notes).
"$PY" - "$T/d.lime" <<'PY'
import os, struct, sys
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IIQQ8x', 0x4C694D45, 1, 0x1000, 0x2fff) + os.urandom(0x2000))
PY
"$MEMLENS" regions "$T/d.lime" --json >"$T/a.json" &&
	$CHECK "$T/a.json" regions kind=lime path="$T/d.lime" pid=null file_size=size:"$T/d.lime" || fail "regions lime"
gcore -o "$T/core" "$P" >/dev/null 2>&1 || fail "gcore failed"
"$MEMLENS" regions "$T/core.$P" --json >"$T/a.json" &&
	$CHECK "$T/a.json" regions kind=core path="$T/core.$P" pid=$P name=specimen nt_file_page_size=1 \
		file_size=size:"$T/core.$P" || fail "regions core"
"$MEMLENS" heap "$T/core.$P" --json >"$T/a.json" && $CHECK "$T/a.json" report kind=core pid=$P glibc=glibc ||
	fail "heap core"
"$MEMLENS" snapshot "$P" -o "$T/m.core" --json >"$T/a.json" && $CHECK "$T/a.json" snapshot $live ||
	fail "snapshot"
"$MEMLENS" regions "$T/m.core" --json >"$T/a.json" &&
	$CHECK "$T/a.json" regions kind=core path="$T/m.core" pid=$P name=specimen nt_file_page_size=4096 \
		file_size=size:"$T/m.core" || fail "regions of memlens's core"
# --system in a pid namespace of its own: bash (pid 1) and a sleep to copy
unshare --pid --fork --mount-proc bash -c 'sleep 60 & "$0" snapshot --system -o "$1" --json; r=$?; kill $!; exit $r' \
	"$MEMLENS" "$T/sys" >"$T/a.json" &&
	$CHECK "$T/a.json" snapshot_index kind=system path=null pid=null &&
	$CHECK "$T/sys/index.json" snapshot_index kind=system || fail "snapshot --system"

# Untrusted names: \xff as four characters, the byte 0xff, DEL, a backslash,
# a newline and U+202E.  Each JSON path decodes back to its exact bytes, so
# no two names share one; the table escapes them all.
"$PY" - "$T" "$MEMLENS" <<'PY' || fail "escaping of untrusted names"
import json, os, re, subprocess, sys
t, memlens = sys.argv[1], sys.argv[2]
names = [b'a\\xff', b'a\xff', b'del\x7f', b'back\\slash', b'new\nline', b'rlo\xe2\x80\xaeexe.gpj', b'caf\xc3\xa9']
def decode(s):
    out, i = bytearray(), 0
    while i < len(s):
        if s[i] == '\\' and s[i + 1] == '\\':
            out += b'\\'; i += 2
        elif s[i] == '\\' and s[i + 1] == 'x':
            out.append(int(s[i + 2:i + 4], 16)); i += 4
        else:
            out += s[i].encode(); i += 1
    return bytes(out)
seen = {}
for n in names:
    p = os.path.join(os.fsencode(t), n)
    open(p, 'wb').write(b'x' * 100)
    j = subprocess.run([memlens, 'regions', p, '--json'], check=True, capture_output=True).stdout
    path = json.loads(j)['source']['path']
    assert decode(path) == p, (n, path)
    assert path not in seen, (n, seen.get(path))
    seen[path] = n
    assert not re.search('[\x7f\x80-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]', path), path
    table = subprocess.run([memlens, 'regions', p], check=True, capture_output=True).stdout
    assert not re.search(rb'[\x00-\x09\x0b-\x1f\x7f]|\xe2\x80\xae|\xc2[\x80-\x9f]', table), table
assert len(seen) == len(names)
PY
echo "json OK"
