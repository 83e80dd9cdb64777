#!/bin/bash
# Reading a live process must not change it (issue 11, item 27).  The
# oracle is the kernel: live_check.py reads the target's pagemap and
# kpageflags itself and counts, per mapping, the pages present, swapped
# and mapped to the zero page.  Those counts must be the same before and
# after each command that reads the process (regions, image, sound,
# hilbert, heap, find, triage, snapshot, diff, watch).  And the bytes memlens gives
# for pages the target never touched must be what they hold: zeros for
# anonymous memory, the file's bytes for a private file mapping (zeros
# after its end, holes in the pages past it), the page cache of a memfd
# the target filled with write(), a deleted file's bytes — and holes for
# guard pages.  live_target says where each area is and what it put there.
. "$TESTS_SRCDIR/lib.sh"
need_root
PY=/usr/bin/python3
$PY -c 'import PIL' 2>/dev/null || fail "Pillow (Debian python3-pil) is needed"
CHECK="$PY $TESTS_SRCDIR/live_check.py"
SPECIMEN_CMD="$(dirname "$MEMLENS")/tests/live_target $T" start_specimen
# Stopped, the target changes nothing itself between two snapshots.
kill -STOP "$SPEC_PID"
$CHECK snap "$SPEC_PID" "$T/before.json" || fail "pagemap snapshot"

# ran WHAT CMD...: CMD succeeds and leaves the target's pagemap as it was.
ran() {
	local what=$1
	shift
	"$@" >/dev/null 2>"$T/err" || fail "$what failed: $(cat "$T/err")"
	$CHECK snap "$SPEC_PID" "$T/after.json" || fail "pagemap snapshot"
	$CHECK same "$T/before.json" "$T/after.json" "$what" || fail "$what changed the evidence"
}
ran regions "$MEMLENS" regions "$SPEC_PID"
ran image "$MEMLENS" image "$SPEC_PID" -o -
ran sound "$MEMLENS" sound "$SPEC_PID" -o -
ran hilbert "$MEMLENS" hilbert "$SPEC_PID" -o "$T/map.png"
ran heap "$MEMLENS" heap "$SPEC_PID" -o "$T/heap.png"
ran "regions --freeze" "$MEMLENS" regions "$SPEC_PID" --freeze
ran "sound --freeze" "$MEMLENS" sound "$SPEC_PID" --freeze -o -
# and every command that reads bytes, added since
printf 'rule r { strings: $a = "memlens" condition: $a }\n' >"$T/r.yar"
ran "find --strings" "$MEMLENS" find "$SPEC_PID" --strings --min 8
ran "find --hex --yara" "$MEMLENS" find "$SPEC_PID" --hex 'de ad ?? ef' --yara "$T/r.yar"
ran triage "$MEMLENS" triage "$SPEC_PID"
ran "snapshot --filter all" "$MEMLENS" snapshot "$SPEC_PID" --filter all -o "$T/snap.core"
ran "diff of the snapshot and the process" "$MEMLENS" diff "$T/snap.core" "$SPEC_PID"
ran "watch --json" "$MEMLENS" watch "$SPEC_PID" --frames 2 --every 10ms --json

# The bytes of the areas, as 24 bpp pictures (pixel i = bytes 3i..3i+2).
for name in anon_untouched anon_mixed file_private memfd_shared shared_anon deleted_private guard; do
	range=$(awk -v n="$name" '$1 == n { print "0x" $2 "-0x" $3 }' "$SPEC_OUT")
	[ -n "$range" ] || fail "the target did not say where $name is"
	ran "image of $name" "$MEMLENS" image "$SPEC_PID" --region "$range" --bpp 24 --width 1024 \
		-o "$T/$name.bmp"
	$CHECK image "$SPEC_OUT" "$T/$name.bmp" "$name" || fail "the bytes of $name"
done
grep -q '^guard_hole' "$SPEC_OUT" || echo "note: this kernel has no MADV_GUARD_INSTALL"
# The snapshot taken above holds the same bytes, and reads back the guard
# pages as holes (its MEMLENS note calls them unreadable; the core keeps
# zeros there for one PT_LOAD per mapping).
for name in anon_untouched anon_mixed file_private memfd_shared shared_anon deleted_private guard; do
	range=$(awk -v n="$name" '$1 == n { print "0x" $2 "-0x" $3 }' "$SPEC_OUT")
	"$MEMLENS" image "$T/snap.core" --region "$range" --bpp 24 --width 1024 -o "$T/core_$name.bmp" \
		2>"$T/err" || fail "image of $name from the snapshot: $(cat "$T/err")"
	$CHECK image "$SPEC_OUT" "$T/core_$name.bmp" "$name" || fail "the bytes of $name in the snapshot"
done

# The vDSO's untouched pages come from memlens's own copy of the kernel's
# vDSO; the target's own bytes, read at the end through mem, must agree.
vdso=$(awk '$6 == "[vdso]" { print $1 }' "/proc/$SPEC_PID/maps")
[ -n "$vdso" ] || fail "the target has no [vdso]"
ran "image of [vdso]" "$MEMLENS" image "$SPEC_PID" --region vdso --bpp 24 --width 1024 -o "$T/vdso.bmp"

# Without CAP_SYS_ADMIN, /proc/PID/map_files is closed: a file is opened by
# its path (same inode), a memfd through the descriptor the target holds,
# silently; a deleted file the target closed can only be read through mem,
# which maps its pages in: one warning says so, and the bytes are right.
NOADMIN="setpriv --inh-caps=-all --bounding-set=-sys_admin,-checkpoint_restore --"
for name in file_private memfd_shared; do
	range=$(awk -v n="$name" '$1 == n { print "0x" $2 "-0x" $3 }' "$SPEC_OUT")
	ran "without CAP_SYS_ADMIN: image of $name" $NOADMIN "$MEMLENS" image "$SPEC_PID" --region "$range" \
		--bpp 24 --width 1024 -o "$T/$name.bmp"
	grep -q "read through /proc" "$T/err" && fail "$name: $(cat "$T/err")"
	$CHECK image "$SPEC_OUT" "$T/$name.bmp" "$name" || fail "the bytes of $name without CAP_SYS_ADMIN"
done
range=$(awk '$1 == "deleted_private" { print "0x" $2 "-0x" $3 }' "$SPEC_OUT")
$NOADMIN "$MEMLENS" image "$SPEC_PID" --region "$range" --bpp 24 --width 1024 -o "$T/del.bmp" 2>"$T/err" ||
	fail "deleted file without CAP_SYS_ADMIN: $(cat "$T/err")"
[ "$(grep -c "its file cannot be opened: /proc/PID/map_files needs CAP_SYS_ADMIN.*read through /proc/$SPEC_PID/mem, which maps them into the process$" "$T/err")" = 1 ] ||
	fail "deleted file without CAP_SYS_ADMIN: $(cat "$T/err")"
$CHECK image "$SPEC_OUT" "$T/del.bmp" deleted_private || fail "the bytes of the deleted file through mem"
# Last, as it maps pages in: the vDSO's bytes as the target has them.
$CHECK mem "$SPEC_PID" "${vdso%-*}" "${vdso#*-}" "$T/vdso.bmp" || fail "the bytes of [vdso]"
echo "live evidence OK"
