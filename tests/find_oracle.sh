#!/bin/bash
# memlens find against tools it did not write: GNU strings (ASCII and
# UTF-16LE), grep -obaP for regular expressions, Python's own search for
# literal and hex patterns, the yara CLI on a stopped process; matches
# across read blocks and across adjacent regions found once, holes ending
# them; every bad input one clear line.
. "$TESTS_SRCDIR/lib.sh"
need python3
need strings
need yara
need gcore
need_root
CHECK="$TESTS_SRCDIR/find_check.py"
cd "$T"

# A 13 MiB raw file: real program bytes, random bytes, and planted ASCII and
# UTF-16 text across every 4 MiB read block and the search window's edges.
python3 "$CHECK" make-raw "$T/raw.bin" || fail "making the raw file"

for min in 4 9; do
	"$MEMLENS" find raw.bin --strings --min $min --jsonl >s.jsonl || fail "find --strings --min $min"
	strings -a -t x -n $min raw.bin >s.txt
	python3 "$CHECK" strings s.jsonl s.txt || fail "--strings --min $min differs from strings -a -t x -n $min"
	"$MEMLENS" find raw.bin --strings --min $min --encoding utf16le --jsonl >u.jsonl || fail "utf16le"
	strings -a -t x -n $min -e l raw.bin >u.txt
	python3 "$CHECK" strings u.jsonl u.txt || fail "--encoding utf16le --min $min differs from strings -e l"
	"$MEMLENS" find raw.bin --strings --min $min --encoding all --jsonl >a.jsonl || fail "all"
	cat s.txt u.txt >a.txt
	python3 "$CHECK" strings a.jsonl a.txt || fail "--encoding all --min $min differs from both strings runs"
done

# Regular expressions: the same (offset, text) set as grep -obaP.
for re in 'MLSPAN-[0-9]+-[A-Z]+' '[a-z]{7,}' 'GLIBC_[0-9.]+' '(?<=MLSPAN-)[0-9]{3}'; do
	"$MEMLENS" find raw.bin --regex "$re" --jsonl >r.jsonl || fail "find --regex $re"
	rc=0
	LC_ALL=C grep -obaP "$re" raw.bin >r.txt || rc=$?
	[ "$rc" -le 1 ] || fail "grep -P '$re' failed"
	python3 "$CHECK" grep r.jsonl r.txt || fail "--regex '$re' differs from grep -obaP"
done
"$MEMLENS" find raw.bin --regex 'mlspan-[0-9]+' -i --jsonl >r.jsonl || fail "find --regex -i"
LC_ALL=C grep -obaiP 'mlspan-[0-9]+' raw.bin >r.txt
python3 "$CHECK" grep r.jsonl r.txt || fail "--regex -i differs from grep -obaiP"

# Literals (ASCII + UTF-16LE, overlapping, -i) and hex with wildcards.
"$MEMLENS" find raw.bin --text MLSPAN --text ELF --text 'aaaa' --jsonl >t.jsonl || fail "find --text"
python3 "$CHECK" text t.jsonl raw.bin 0 MLSPAN ELF aaaa || fail "--text"
"$MEMLENS" find raw.bin --text mlSpan -i --encoding ascii --jsonl >t.jsonl || fail "find --text -i"
python3 "$CHECK" text t.jsonl raw.bin 1 mlSpan || fail "--text -i"
"$MEMLENS" find raw.bin --hex '7f 45 4c 46' --hex '4d??53??41' --hex '?? 00 00 00 00 00 00 00 01' --jsonl >h.jsonl ||
	fail "find --hex"
python3 "$CHECK" hex h.jsonl raw.bin '7f 45 4c 46' '4d??53??41' '?? 00 00 00 00 00 00 00 01' || fail "--hex"

# Adjacent regions are one text; a gap between regions ends every match.
python3 "$CHECK" make-lime "$T/seam.lime" || fail "making the LiME file"
"$MEMLENS" find seam.lime --strings --text SEAMTEXT --text 'XYZGAP' --jsonl >l.jsonl || fail "find on LiME"
python3 "$CHECK" lime l.jsonl || fail "matches across adjacent regions and gaps"

# YARA: the yara CLI on a stopped process is the oracle for find --yara on
# that pid and on its gcore (coredump_filter 0x3f: file mappings dumped too).
cc -O0 -o "$T/find_target" "$TESTS_SRCDIR/find_target.c" || fail "building find_target"
SPECIMEN_CMD=$T/find_target start_specimen
echo 0x3f >/proc/$SPEC_PID/coredump_filter
kill -STOP "$SPEC_PID"
cat >rules.yar <<'EOF'
rule heap_markers { strings: $h = /MLFIND-HEAP-[0-9]-deadbeef/ condition: $h }
rule wide_marker { strings: $w = "MLFIND-WIDE-MARKER" wide condition: $w }
rule hex_marker { strings: $x = { de ad 13 37 ?? fe ba be } condition: $x }
rule stack_marker { strings: $s = "MLFIND-STACK-7f3a" condition: $s and #s >= 1 }
rule libc_banner { strings: $l = "GNU C Library" condition: $l }
rule never { strings: $n = "MLFIND-NOT-PLANTED-ANYWHERE" condition: $n }
EOF
yara -s rules.yar "$SPEC_PID" >yara.txt || fail "yara -s on the target"
gcore -o "$T/core" "$SPEC_PID" >/dev/null 2>&1 || fail "gcore"
"$MEMLENS" find "$SPEC_PID" --yara rules.yar --json >live.json || fail "find --yara on the pid"
"$MEMLENS" find "$T/core.$SPEC_PID" --yara rules.yar --json >core.json || fail "find --yara on the core"
python3 "$CHECK" yara yara.txt live.json "$SPEC_OUT" || fail "find --yara PID differs from yara -s PID"
python3 "$CHECK" yara yara.txt core.json "$SPEC_OUT" || fail "find --yara CORE differs from yara -s PID"
# A directory of rules files is one rule set.
mkdir rules.d && cp rules.yar rules.d/a.yar && echo 'rule extra { strings: $e = "MLFIND-WIDE" wide condition: $e }' >rules.d/b.yara
"$MEMLENS" find "$SPEC_PID" --yara rules.d --jsonl >dir.jsonl || fail "find --yara DIR"
grep -q '"rule":"extra"' dir.jsonl || fail "the second file of the rules directory was not used"
# The marker across two adjacent mappings: one match, at its address.
seam=$(spec_addr seam 2)
for src in "$SPEC_PID" "$T/core.$SPEC_PID"; do
	"$MEMLENS" find "$src" --text MLFIND-SEAM-ACROSS-TWO-MAPPINGS --encoding ascii --jsonl >seam.jsonl ||
		fail "find --text on $src"
	python3 - "$seam" seam.jsonl <<'PY' || fail "the seam marker of $src"
import json, sys
ms = [json.loads(l) for l in open(sys.argv[2])]
# Exactly once at the seam; any other copy is the literal in the executable.
at = [int(m['address'], 16) for m in ms]
assert at.count(int(sys.argv[1], 16)) == 1, (sys.argv[1], ms)
assert all(m['region']['kind'] == 'file' for m in ms if int(m['address'], 16) != int(sys.argv[1], 16)), ms
PY
done

# --system: every process; the target's seam marker under its own pid.
"$MEMLENS" find --system --text MLFIND-SEAM-ACROSS-TWO-MAPPINGS --encoding ascii --jsonl >sys.jsonl ||
	fail "find --system"
python3 - "$seam" "$SPEC_PID" sys.jsonl <<'PY' || fail "find --system lacks the target's marker"
import json, sys
seam, pid = int(sys.argv[1], 16), int(sys.argv[2])
ms = [json.loads(l) for l in open(sys.argv[3])]
mine = [m for m in ms if m['source']['pid'] == pid]
assert [int(m['address'], 16) for m in mine].count(seam) == 1, mine
# memlens looks at no process of its own; every other hit is a copy of the text elsewhere
assert all(m['source']['kind'] == 'live' for m in ms), ms
PY

# Bad input: one line each, the right exit status.
expect_error 2 - "$MEMLENS" find raw.bin
expect_error 2 - "$MEMLENS" find raw.bin --regex 'a(b'
grep -q "offset" "$T/stderr" || fail "a bad regex does not name its offset"
expect_error 2 - "$MEMLENS" find raw.bin --hex 'de ad zz'
expect_error 2 - "$MEMLENS" find raw.bin --hex '?? ??'
expect_error 2 - "$MEMLENS" find raw.bin --strings --min 0
expect_error 2 - "$MEMLENS" find raw.bin --strings --encoding utf8
expect_error 2 - "$MEMLENS" find --system raw.bin --strings
expect_error 2 - "$MEMLENS" find raw.bin --strings --json --jsonl
expect_error 1 - "$MEMLENS" find raw.bin --yara "$T/no-such-rules.yar"
printf 'rule broken {\n  strings: $a = "xyzzy-plugh"\n  condition: $b\n}\n' >bad.yar
expect_error 1 - "$MEMLENS" find raw.bin --yara bad.yar
grep -Eq "bad.yar:[0-9]+: undefined string" "$T/stderr" || fail "a YARA compile error does not name file:line: $(cat "$T/stderr")"
mkdir empty.d
expect_error 1 - "$MEMLENS" find raw.bin --yara empty.d
"$MEMLENS" find raw.bin --strings --limit 3 --jsonl >lim.jsonl || fail "--limit"
[ "$(wc -l <lim.jsonl)" -eq 3 ] || fail "--limit 3 printed $(wc -l <lim.jsonl) matches"
exit 0
