#!/bin/bash
# `memlens pagemap` of a stopped process with known mappings agrees with
# smaps (Rss, Anonymous, Swap) region by region; PAGEMAP_SCAN and pread
# agree; the report does not change the target; as nobody on its own
# process the counts are the same with the root-only columns null; cores
# count captured pages; --physical accounts for every frame.
. "$TESTS_SRCDIR/lib.sh"
need python3
CHECK="$TESTS_SRCDIR/pagemap_check.py"
TARGET=$(dirname "$MEMLENS")/tests/pm_target
chmod 755 "$T"
SPECIMEN_CMD="$TARGET" start_specimen "$T"
kill -STOP "$SPEC_PID"
python3 "$CHECK" words "$SPEC_PID" "$T/before.json" || fail "cannot read the target's pagemap"
"$MEMLENS" pagemap "$SPEC_PID" --json >"$T/scan.json" 2>"$T/err" || fail "pagemap --json: $(cat "$T/err")"
"$MEMLENS" pagemap "$SPEC_PID" --json --no-scan >"$T/pread.json" 2>"$T/err" || fail "pagemap --no-scan: $(cat "$T/err")"
python3 "$CHECK" words "$SPEC_PID" "$T/after.json" || fail "cannot read the target's pagemap again"
cmp -s "$T/before.json" "$T/after.json" || fail "the report changed the target's pagemap"
python3 "$CHECK" smaps "$SPEC_PID" "$T/scan.json" || exit 1
grep -q '"scan": true' "$T/scan.json" || echo "note: this kernel has no PAGEMAP_SCAN"
python3 "$CHECK" same "$T/scan.json" "$T/pread.json" scan || fail "PAGEMAP_SCAN and pread disagree"
# Page for page, too, over the target's own mappings (shared library pages
# change their map counts whenever another process maps them).
sel=()
for n in anon untouched private_file shared_anon guard thp; do
	sel+=(--region "$(spec_addr $n 2)-$(spec_addr $n 3)")
done
"$MEMLENS" pagemap "$SPEC_PID" --csv --pages "${sel[@]}" >"$T/scan.csv"
"$MEMLENS" pagemap "$SPEC_PID" --csv --pages --no-scan "${sel[@]}" >"$T/pread.csv"
[ "$(wc -l <"$T/scan.csv")" -gt 600 ] || fail "per-page CSV too short"
cmp -s "$T/scan.csv" "$T/pread.csv" || fail "per-page CSV differs between scan and pread"

# Each area as an address range (the kernel may merge neighbours into one
# mapping): the page states the target set up.
area() {	# NAME KEY...: prints the totals' values of KEYs for that area
	"$MEMLENS" pagemap "$SPEC_PID" --json --region "$(spec_addr $1 2)-$(spec_addr $1 3)" |
		python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(*[t[k] for k in sys.argv[1:]])' "${@:2}"
}
[ "$(area anon pages present anon)" = "64 16 16" ] || fail "anon area: $(area anon pages present anon)"
[ "$(area untouched pages present)" = "64 0" ] || fail "untouched area"
[ "$(area private_file present anon file)" = "16 4 12" ] || fail "private file: $(area private_file present anon file)"
[ "$(area shared_anon present file anon)" = "8 8 0" ] || fail "shared anon: $(area shared_anon present file anon)"
if ! grep -q noguard "$SPEC_OUT"; then
	[ "$(area guard guard swapped present)" = "1 0 7" ] || fail "guard: $(area guard guard swapped present)"
fi
grep -q '"kpageflags": true' "$T/scan.json" || fail "kpageflags not used as root"
thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)
if [[ $thp == *"[always]"* || $thp == *"[madvise]"* ]]; then
	[ "$(area thp thp)" = 512 ] || echo "note: no huge page was given to the THP area ($(area thp thp present))"
fi

# As nobody, on its own process: the same counts, root-only columns null.
kill -KILL "$SPEC_PID"; wait "$SPEC_PID" 2>/dev/null
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	NB="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	mkdir -m 777 "$T/nb"
	SPECIMEN_CMD="$NB $TARGET" start_specimen "$T/nb"
	kill -STOP "$SPEC_PID"
	"$MEMLENS" pagemap "$SPEC_PID" --json >"$T/root.json" || fail "root run"
	$NB "$MEMLENS" pagemap "$SPEC_PID" --json >"$T/nobody.json" 2>"$T/nobody.err" || fail "nobody run: $(cat "$T/nobody.err")"
	grep -q "PFNs are hidden\|needs root" "$T/nobody.err" || fail "nobody: no line saying why columns are null"
	python3 - "$T/root.json" "$T/nobody.json" <<'PY' || fail "root and nobody disagree"
import json, sys
r, n = (json.load(open(f)) for f in sys.argv[1:])
common = ['pages', 'present', 'swapped', 'file', 'anon', 'soft_dirty', 'guard']
for a, b in zip(r['regions'], n['regions']):
    assert [a[k] for k in common] == [b[k] for k in common], (a, b)
    # Whether a shared library page is mapped elsewhere changes from moment
    # to moment; a private anonymous page's exclusivity does not.
    if a['path'] is None:
        assert a['exclusive'] == b['exclusive'], (a, b)
    assert b['thp'] is None and b['shared'] is None and a['thp'] is not None
assert n['kpageflags'] is False
PY
	kill -KILL "$SPEC_PID"; wait "$SPEC_PID" 2>/dev/null; SPEC_PID=
fi

# The terminal map without colour, and the picture.
start_specimen
"$MEMLENS" pagemap "$SPEC_PID" --region heap --color never >"$T/map.txt" || fail "map"
grep -q '^legend:' "$T/map.txt" || fail "map has no legend"
! grep -q $'\033' "$T/map.txt" || fail "colour escapes with --color never"
"$MEMLENS" pagemap "$SPEC_PID" -o "$T/pm.png" --width 64 || fail "pagemap -o"
/usr/bin/python3 - "$T/pm.png" <<'PY' || fail "pagemap picture"
import sys
from PIL import Image
im = Image.open(sys.argv[1])
assert im.size[0] == 64 and 'Legend' in im.info, (im.size, im.info)
PY

# A core: captured pages and holes, from the program headers' oracle.
if command -v gcore >/dev/null && [ "$(id -u)" -eq 0 ]; then
	gcore -o "$T/c" "$SPEC_PID" >/dev/null 2>&1 || fail gcore
	size=$(stat -c %s "$T/c.$SPEC_PID")
	truncate -s $((size / 2)) "$T/c.$SPEC_PID"
	"$MEMLENS" pagemap "$T/c.$SPEC_PID" --json >"$T/core.json" || fail "pagemap of a core"
	"$MEMLENS" regions "$T/c.$SPEC_PID" --json >"$T/creg.json"
	python3 - "$T/core.json" "$T/creg.json" <<'PY' || fail "core captured pages"
import json, sys
pm, rg = (json.load(open(f)) for f in sys.argv[1:])
for p, r in zip(pm['regions'], rg['regions']):
    want = -(-r['captured'] // 4096)
    assert p['captured'] == want and p['holes'] == p['pages'] - want, (p, r)
assert pm['totals']['holes'] > 0
PY
fi

# Physical memory (root): every frame of System RAM counted once.
if [ "$(id -u)" -eq 0 ] && [ -r /proc/kpageflags ]; then
	"$MEMLENS" pagemap --physical --json -o "$T/phys.png" >"$T/phys.json" || fail "--physical"
	python3 - "$T/phys.json" <<'PY' || fail "--physical counts"
import json, sys
j = json.load(open(sys.argv[1]))
ram = 0
for line in open('/proc/iomem'):
    if not line.startswith(' ') and 'System RAM' in line:
        a, b = line.split(' : ')[0].split('-')
        ram += int(b, 16) // 4096 - int(a, 16) // 4096 + 1
assert j['pages'] == ram == sum(j['counts'].values()), (j['pages'], ram)
assert j['counts']['anonymous'] > 0 and j['counts']['file_cache'] > 0
PY
	[ -s "$T/phys.png" ] || fail "--physical picture"
fi
echo "pagemap OK"
