#!/bin/bash
# memlens diff against a process that knows what it changed: diff_target
# changes known bytes, maps a region, unmaps one and makes a page
# read-only between two gcores (gdb's cores; a live process as B too).
# The diff must name exactly those byte ranges in the area, those three
# mapping changes, and elsewhere only what the process's own stack and C
# library bookkeeping changed, which the test bounds: at most 64 KiB, in
# the stack, anonymous read-write memory or a library's writable data.
. "$TESTS_SRCDIR/lib.sh"
need gcore
PY=/usr/bin/python3
TARGET=$(dirname "$MEMLENS")/tests/diff_target
[ -x "$TARGET" ] || fail "tests/diff_target is not built"

mkfifo "$T/in" "$T/out"
"$TARGET" <"$T/in" >"$T/out" &
PID=$!
exec 7>"$T/in" 8<"$T/out"
trap 'exec 7>&-; kill -KILL $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$T"' EXIT
: >"$T/said"
read_until() {
	local line
	while IFS= read -r -t 30 line <&8; do
		echo "$line" >>"$T/said"
		[ "$line" = "$1" ] && return 0
	done
	fail "diff_target did not say $1"
}
read_until ready
gcore -o "$T/core1" "$PID" >/dev/null 2>&1 || fail "gcore failed"
echo step >&7
read_until done
gcore -o "$T/core2" "$PID" >/dev/null 2>&1 || fail "gcore failed"

"$MEMLENS" diff "$T/core1.$PID" "$T/core2.$PID" --json >"$T/cores.json" 2>"$T/err" ||
	fail "diff of the cores: $(cat "$T/err")"
# B live: the target waits in read(2); --freeze holds it still while it is read.
"$MEMLENS" diff "$T/core1.$PID" "$PID" --freeze --json >"$T/live.json" 2>"$T/err" ||
	fail "diff of core and live process: $(cat "$T/err")"
# --granule 4096 over the area: whole pages.
area=$(awk '$1 == "area" { print $2 "-" $3 }' "$T/said")
"$MEMLENS" diff "$T/core1.$PID" "$T/core2.$PID" --json --granule 4K --region "$area" >"$T/pages.json" ||
	fail "diff --granule 4K --region"

"$PY" - "$T" <<'PY' || fail "diff does not match what the target changed"
import json, sys
t = sys.argv[1]
said = [l.split() for l in open(f'{t}/said')]
area = next((int(a, 16), int(b, 16)) for k, a, b in (l for l in said if len(l) == 3) if k == 'area')
gone = next((int(a, 16), int(b, 16)) for k, a, b in (l for l in said if len(l) == 3) if k == 'gone')
ro = next((int(a, 16), int(b, 16)) for k, a, b in (l for l in said if len(l) == 3) if k == 'ro')
fresh = next((int(a, 16), int(b, 16)) for k, a, b in (l for l in said if len(l) == 3) if k == 'added')
changed = sorted((int(a, 16), int(b, 16)) for k, a, b in (l for l in said if len(l) == 3) if k == 'changed')
# the target's flips of adjacent bytes are one range to diff: merge them
known = []
for s, e in changed:
    if known and known[-1][1] >= s:
        known[-1] = (known[-1][0], max(known[-1][1], e))
    else:
        known.append((s, e))
bad = []

def inside(r, box):
    return box[0] <= r[0] and r[1] <= box[1]

def check(name, doc, live):
    rs = [(int(c['start'], 16), int(c['end'], 16), c['bytes'], c['region']) for c in doc['changed']]
    got = [(s, e) for s, e, n, _ in rs if inside((s, e), area)]
    if got != known:
        bad.append(f'{name}: ranges in the area {[(hex(s), hex(e)) for s, e in got]}, '
                   f'the target changed {[(hex(s), hex(e)) for s, e in known]}')
    for s, e, n, _ in rs:
        if inside((s, e), area) and n != e - s:
            bad.append(f'{name}: range {hex(s)}-{hex(e)} counts {n} bytes')
    # everything else: the process's own bookkeeping, bounded
    other = [(s, e, n, r) for s, e, n, r in rs if not inside((s, e), area)]
    total = sum(n for _, _, n, _ in other)
    if total > 65536:
        bad.append(f'{name}: {total} bytes changed outside the area')
    for s, e, n, r in other:
        ok = r['kind'] in ('stack', 'anon', 'heap') or (r['kind'] == 'file' and 'w' in r['perms'])
        if not ok or inside((s, e), fresh) or inside((s, e), ro):
            bad.append(f'{name}: unexpected change {hex(s)}-{hex(e)} in {r}')
    if live:
        return
    # mappings: the fresh region added, the unmapped one removed, the page made read-only
    def span(r):
        return (int(r['start'], 16), int(r['end'], 16))
    added = [span(r) for r in doc['added']]
    removed = [span(r) for r in doc['removed']]
    if added != [fresh]:
        bad.append(f'{name}: added {added}, expected {[fresh]}')
    if removed != [gone]:
        bad.append(f'{name}: removed {removed}, expected {[gone]}')
    perms = [(span(m['b']), m['changes']) for m in doc['mapping_changes'] if 'perms' in m['changes']]
    if perms != [(ro, ['perms'])] or doc['mapping_changes'][[span(m['b']) for m in doc['mapping_changes']].index(ro)]['a']['perms'] != 'rw-p':
        bad.append(f'{name}: perms changes {perms}, expected {ro} rw-p -> r--p')
    for m in doc['mapping_changes']:
        if span(m['b']) != ro and m['b']['kind'] != 'stack':
            bad.append(f'{name}: unexpected mapping change {m}')
    t = doc['totals']
    if t['changed_bytes'] != sum(n for _, _, n, _ in rs) or t['changed_ranges'] != len(rs):
        bad.append(f'{name}: totals {t} disagree with the ranges')
    if t['added_bytes'] < fresh[1] - fresh[0] or t['removed_bytes'] < gone[1] - gone[0]:
        bad.append(f'{name}: totals {t}')

check('two cores', json.load(open(f'{t}/cores.json')), False)
check('core and live', json.load(open(f'{t}/live.json')), True)
# pages: every page the target touched in the area, merged where adjacent
pages = json.load(open(f'{t}/pages.json'))
want = []
for s, e in known:
    s, e = s // 4096 * 4096, (e + 4095) // 4096 * 4096
    if want and want[-1][1] >= s:
        want[-1] = (want[-1][0], max(want[-1][1], e))
    else:
        want.append((s, e))
got = [(int(c['start'], 16), int(c['end'], 16)) for c in pages['changed']]
if got != want:
    bad.append(f'--granule 4K: {got}, expected {want}')
if pages['totals']['changed_pages'] != sum((e - s) // 4096 for s, e in want):
    bad.append(f'--granule 4K: changed_pages {pages["totals"]["changed_pages"]}')
for b in bad:
    print('FAIL:', b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
echo "diff gcore OK"
