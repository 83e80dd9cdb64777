#!/bin/bash
# `memlens pagemap` of a stopped process with known mappings, after its
# memory was read through /proc/PID/mem as gcore reads it (so untouched
# pages map the zero page), agrees with smaps (Rss, Anonymous, Swap,
# AnonHugePages + ShmemPmdMapped + FilePmdMapped) region by region and with
# kpageflags read by the test (zero-page and large-folio pages); PAGEMAP_SCAN
# and pread agree; the per-page CSV and the picture agree with pagemap words
# saved before memlens ran; the report does not change the target; as
# nobody on its own process the counts are the same with the root-only
# columns null; hilbert's residency leaves zero pages out; cores count
# captured pages; --physical agrees with kpageflags, meminfo and zoneinfo,
# counts and pictures.
. "$TESTS_SRCDIR/lib.sh"
need python3
PY=/usr/bin/python3	# Debian's, with Pillow and numpy (.ci/packages.d/pagemap.txt)
CHECK="$TESTS_SRCDIR/pagemap_check.py"
TARGET=$(dirname "$MEMLENS")/tests/pm_target
chmod 755 "$T"
SPECIMEN_CMD="$TARGET" start_specimen "$T"
$PY "$CHECK" readmem "$SPEC_PID" || fail "cannot read the target's memory"
kill -STOP "$SPEC_PID"
$PY "$CHECK" words "$SPEC_PID" "$T/before.json" || fail "cannot read the target's pagemap"
"$MEMLENS" pagemap "$SPEC_PID" --json >"$T/scan.json" 2>"$T/err" || fail "pagemap --json: $(cat "$T/err")"
"$MEMLENS" pagemap "$SPEC_PID" --json --no-scan >"$T/pread.json" 2>"$T/err" || fail "pagemap --no-scan: $(cat "$T/err")"
$PY "$CHECK" words "$SPEC_PID" "$T/after.json" || fail "cannot read the target's pagemap again"
$PY "$CHECK" untouched "$T/before.json" "$T/after.json" || fail "the report changed the target's pagemap"
$PY "$CHECK" smaps "$SPEC_PID" "$T/scan.json" || exit 1
$PY "$CHECK" smaps "$SPEC_PID" "$T/pread.json" || exit 1
grep -q '"scan": true' "$T/scan.json" || echo "note: this kernel has no PAGEMAP_SCAN"
$PY "$CHECK" same "$T/scan.json" "$T/pread.json" scan || fail "PAGEMAP_SCAN and pread disagree"

# Page for page, over the target's own mappings (shared library pages
# change their map counts whenever another process maps them): the CSV
# against the words saved before memlens ran and the frames' flags.
sel=()
areas=(anon untouched private_file shared_anon guard thp hugezero split_thp)
for n in "${areas[@]}"; do
	sel+=(--region "$(spec_addr $n 2)-$(spec_addr $n 3)")
done
"$MEMLENS" pagemap "$SPEC_PID" --csv --pages "${sel[@]}" >"$T/scan.csv"
"$MEMLENS" pagemap "$SPEC_PID" --csv --pages --no-scan "${sel[@]}" >"$T/pread.csv"
[ "$(wc -l <"$T/scan.csv")" -gt 1600 ] || fail "per-page CSV too short"
$PY "$CHECK" csv "$SPEC_PID" "$T/before.json" "$T/scan.csv" || exit 1
$PY "$CHECK" csv "$SPEC_PID" "$T/before.json" "$T/pread.csv" || fail "per-page CSV without PAGEMAP_SCAN"

# Each area as an address range (the kernel may merge neighbours into one
# mapping): the page states the target set up.
area() {	# NAME KEY...: prints the totals' values of KEYs for that area
	"$MEMLENS" pagemap "$SPEC_PID" --json --region "$(spec_addr $1 2)-$(spec_addr $1 3)" |
		python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(*[t[k] for k in sys.argv[1:]])' "${@:2}"
}
# Read through /proc/PID/mem: what was never written maps the zero page, which is not present.
[ "$(area anon pages present anon zero_page)" = "64 16 16 48" ] || fail "anon area: $(area anon pages present anon zero_page)"
[ "$(area untouched pages present zero_page)" = "64 0 64" ] || fail "untouched area: $(area untouched pages present zero_page)"
[ "$(area private_file present anon file)" = "16 4 12" ] || fail "private file: $(area private_file present anon file)"
# Shared memory has no zero page: reading a hole allocates a page of its own.
[ "$(area shared_anon present file anon zero_page)" = "16 16 0 0" ] || fail "shared anon: $(area shared_anon present file anon zero_page)"
if ! grep -q noguard "$SPEC_OUT"; then
	[ "$(area guard guard swapped present)" = "1 0 7" ] || fail "guard: $(area guard guard swapped present)"
fi
grep -q '"kpageflags": true' "$T/scan.json" || fail "kpageflags not used as root"
thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)
zp=$(cat /sys/kernel/mm/transparent_hugepage/use_zero_page 2>/dev/null || echo 1)
if [[ $thp == *"[always]"* || $thp == *"[madvise]"* ]]; then
	[ "$(area thp thp large_folio)" = "512 0" ] || echo "note: no huge page was given to the THP area ($(area thp thp present))"
	# The split huge page: its folio is large, no PMD maps it (old memlens called these 511 "thp").
	[ "$(area split_thp present thp)" = "511 0" ] || fail "split THP: $(area split_thp present thp large_folio)"
	[ "$zp" = 0 ] || [ "$(area hugezero present zero_page thp)" = "0 512 0" ] ||
		fail "huge zero page: $(area hugezero present zero_page thp)"
fi
grep -q '"large_folio": [1-9]' "$T/scan.json" || echo "note: no large folio in the target (THP off?)"

# The picture of the target's areas, pixel by pixel against the saved words.
"$MEMLENS" pagemap "$SPEC_PID" -o "$T/areas.png" --width 64 "${sel[@]}" || fail "pagemap -o"
ranges=()
for n in "${areas[@]}"; do ranges+=("$(spec_addr $n 2)-$(spec_addr $n 3)"); done
$PY "$CHECK" png "$SPEC_PID" "$T/before.json" "$T/areas.png" 64 "${ranges[@]}" || fail "pagemap picture"

# hilbert's residency: Rss, so not the zero pages (its JSON map's "resident" per mapping).
"$MEMLENS" hilbert "$SPEC_PID" -o "$T/h.png" --map "$T/h.json" --region "$(spec_addr untouched 2)-$(spec_addr untouched 3)" \
	--region "$(spec_addr anon 2)-$(spec_addr anon 3)" 2>"$T/err" || fail "hilbert: $(cat "$T/err")"
$PY - "$T/h.json" <<'PY' || fail "hilbert counts zero pages as resident"
import json, sys
def runs(o):
    if isinstance(o, dict):
        if 'resident' in o:
            yield o
        for v in o.values():
            yield from runs(v)
    elif isinstance(o, list):
        for v in o:
            yield from runs(v)
res = [(r['resident'], r['pages']) for r in runs(json.load(open(sys.argv[1])))]
# 16 written pages; the other 112 were only read (the zero page).
assert sum(r for r, _ in res) == 16 and sum(p for _, p in res) == 128, res
PY

# As nobody, on its own process: the same counts, root-only columns null.
kill -KILL "$SPEC_PID"; wait "$SPEC_PID" 2>/dev/null
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	NB="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	mkdir -m 777 "$T/nb"
	SPECIMEN_CMD="$NB $TARGET" start_specimen "$T/nb"
	$PY "$CHECK" readmem "$SPEC_PID" >/dev/null || fail "cannot read nobody's target"
	kill -STOP "$SPEC_PID"
	"$MEMLENS" pagemap "$SPEC_PID" --json >"$T/root.json" || fail "root run"
	$NB "$MEMLENS" pagemap "$SPEC_PID" --json >"$T/nobody.json" 2>"$T/nobody.err" || fail "nobody run: $(cat "$T/nobody.err")"
	grep -q "PFNs are hidden\|needs root" "$T/nobody.err" || fail "nobody: no line saying why columns are null"
	$PY - "$T/root.json" "$T/nobody.json" <<'PY' || fail "root and nobody disagree"
import json, sys
r, n = (json.load(open(f)) for f in sys.argv[1:])
common = ['pages', 'present', 'swapped', 'file', 'anon', 'soft_dirty', 'guard']
# PAGEMAP_SCAN tells zero-page mappings apart without root.
if n['scan']:
    common.append('zero_page')
assert len(r['regions']) == len(n['regions'])
for a, b in zip(r['regions'], n['regions']):
    assert [a[k] for k in common] == [b[k] for k in common], (a, b)
    # Whether a shared library page is mapped elsewhere changes from moment
    # to moment; a private anonymous page's exclusivity does not.
    if a['path'] is None:
        assert a['exclusive'] == b['exclusive'], (a, b)
    assert b['thp'] is None and b['shared'] is None and b['large_folio'] is None and a['thp'] is not None
assert n['kpageflags'] is False
PY
	kill -KILL "$SPEC_PID"; wait "$SPEC_PID" 2>/dev/null; SPEC_PID=
fi

# A larger process: 1 GiB written in scattered order (reads shared between
# threads, frames looked up in windows by several threads) and 3000 small
# mappings (more stretches than one batch holds): the same oracle.
kill -KILL "$SPEC_PID" 2>/dev/null; wait "$SPEC_PID" 2>/dev/null
SPECIMEN_CMD="$TARGET" start_specimen "$T" 0 1024 scatter 3000
kill -STOP "$SPEC_PID"
for mode in "" --no-scan; do
	"$MEMLENS" pagemap "$SPEC_PID" --json $mode >"$T/big.json" 2>"$T/err" || fail "big pagemap $mode: $(cat "$T/err")"
	$PY "$CHECK" smaps "$SPEC_PID" "$T/big.json" || fail "big process $mode"
done
kill -KILL "$SPEC_PID"; wait "$SPEC_PID" 2>/dev/null; SPEC_PID=

# The terminal map without colour.
start_specimen
"$MEMLENS" pagemap "$SPEC_PID" --region heap --color never >"$T/map.txt" || fail "map"
grep -q '^legend:' "$T/map.txt" || fail "map has no legend"
! grep -q $'\033' "$T/map.txt" || fail "colour escapes with --color never"

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
assert len(pm['regions']) == len(rg['regions'])
for p, r in zip(pm['regions'], rg['regions']):
    want = -(-r['captured'] // 4096)
    assert p['captured'] == want and p['holes'] == p['pages'] - want, (p, r)
assert pm['totals']['holes'] > 0
PY
fi

# Physical memory (root): every frame of System RAM counted once; both
# pictures cell by cell against the classes the test derives from kpageflags
# read just before and after each run (the report's counts are the linear
# picture's cells); free against MemFree and the zones, THP against
# AnonHugePages/FileHugePages, the page cache against Cached.
# Other processes (parallel tests, builds) change frames while it runs: a
# try that meets a burst of churn beyond the oracle's allowance is repeated,
# at most three times.
if [ "$(id -u)" -eq 0 ] && [ -r /proc/kpageflags ]; then
	# A stopped target holds frames no other process can change: a THP,
	# anonymous and page-cache pages, the zero page.
	kill -KILL "$SPEC_PID" 2>/dev/null; wait "$SPEC_PID" 2>/dev/null
	SPECIMEN_CMD="$TARGET" start_specimen "$T"
	kill -STOP "$SPEC_PID"
	ok=
	for try in 1 2 3; do
		$PY "$CHECK" physsnap "$T/before-phys.json" || fail "reading kpageflags"
		"$MEMLENS" pagemap --physical --json -o "$T/phys-linear.png" --layout linear >"$T/phys.json" || fail "--physical"
		$PY "$CHECK" physsnap "$T/middle-phys.json" || fail "reading kpageflags"
		"$MEMLENS" pagemap --physical -o "$T/phys-hilbert.png" >"$T/phys.txt" || fail "--physical -o"
		$PY "$CHECK" physsnap "$T/after-phys.json" || fail "reading kpageflags"
		if $PY "$CHECK" phys "$T/phys.json" "$T/phys-linear.png" "$T/phys-hilbert.png" "$T/before-phys.json" \
			"$T/middle-phys.json" "$T/after-phys.json" "$SPEC_PID"; then
			ok=1
			break
		fi
		echo "note: --physical try $try disagreed; again"
	done
	[ -n "$ok" ] || fail "--physical disagrees with kpageflags/meminfo three times"
	grep -q '^  no_flags ' "$T/phys.txt" || fail "--physical text has no no_flags line"
fi
echo "pagemap OK"
