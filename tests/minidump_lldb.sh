#!/bin/bash
# Minidumps as lldb writes them, against the process they were taken from.
# lldb-14 attaches to the specimen (threads, heap, stacks), writes a
# minidump (`process save-core --plugin-name=minidump --style=stack`: the
# style lldb-14 can write for a Linux process; full and modified-memory
# fail there), and while the process is still stopped a helper run through
# lldb's `platform shell` saves /proc/PID/maps, /proc/PID/task and the
# bytes of every readable mapping from /proc/PID/mem.  Then:
#  - `memlens regions --json` of the dump lists exactly the maps lines
#    (pieces of one mapping joined: a mapping is cut where held bytes
#    start), with the pid, name, arguments and thread count of the process;
#  - every captured byte equals the process's memory at that moment
#    (read through memlens's source layer by read_at), and `memlens image`
#    of the main stack decodes (Pillow) to those bytes;
#  - lldb reading the same dump (`memory read --binary`) gives the same
#    bytes at the start, middle and end of each captured range.
. "$TESTS_SRCDIR/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || cannot_run "Debian python3"
need lldb-14
READ_AT=$(dirname "$MEMLENS")/tests/read_at
start_specimen

cat >"$T/snap.py" <<'PY'
import os, sys
pid, out = sys.argv[1], sys.argv[2]
maps = open('/proc/%s/maps' % pid).read()
open(os.path.join(out, 'maps'), 'w').write(maps)
open(os.path.join(out, 'tasks'), 'w').write('\n'.join(os.listdir('/proc/%s/task' % pid)))
mem = os.open('/proc/%s/mem' % pid, os.O_RDONLY)
for line in maps.splitlines():
    rng, perms = line.split()[:2]
    s, e = (int(x, 16) for x in rng.split('-'))
    if perms[0] != 'r' or e - s > 64 << 20 or s >= 1 << 63:
        continue
    try:
        data = os.pread(mem, e - s, s)
    except OSError:
        continue
    open(os.path.join(out, 'mem-%x' % s), 'wb').write(data)
PY
mkdir "$T/snap"
timeout 120 lldb-14 -b -p "$SPEC_PID" \
	-o "process save-core --plugin-name=minidump --style=stack $T/s.dmp" \
	-o "platform shell $PY $T/snap.py $SPEC_PID $T/snap" \
	-o "process detach" >"$T/lldb.out" 2>&1 || fail "lldb-14 could not save a minidump: $(tail -3 "$T/lldb.out")"
[ -s "$T/s.dmp" ] && [ -s "$T/snap/maps" ] || fail "lldb wrote no minidump or the helper saw nothing: $(tail -5 "$T/lldb.out")"

"$MEMLENS" regions "$T/s.dmp" --json >"$T/r.json" 2>"$T/r.err" || fail "regions of the minidump: $(cat "$T/r.err")"
[ ! -s "$T/r.err" ] || fail "regions of a clean minidump warned: $(cat "$T/r.err")"
"$MEMLENS" image "$T/s.dmp" --region stack -o "$T/stack.png" --bpp 8 --width 4096 2>"$T/i.err" ||
	fail "image of the minidump's stack: $(cat "$T/i.err")"

$PY - "$T" "$SPEC_PID" "$READ_AT" <<'PY' || fail "minidump against the process"
import json, os, subprocess, sys
from PIL import Image
T, pid, read_at = sys.argv[1], int(sys.argv[2]), sys.argv[3]
j = json.load(open(T + '/r.json'))
src = j['source']
comm = open('/proc/%d/comm' % pid).read().strip()
args = open('/proc/%d/cmdline' % pid, 'rb').read().rstrip(b'\0').replace(b'\0', b' ').decode()
tasks = open(T + '/snap/tasks').read().split()
assert src['kind'] == 'minidump' and src['pid'] == pid and src['name'] == comm, src
assert src['args'] == args and src['threads'] == len(tasks), (src, args, tasks)

# The maps lines; memlens's regions cover each one exactly, cut only where
# the bytes the dump holds start or end.
want = []
for line in open(T + '/snap/maps'):
    f = line.split(None, 5)
    s, e = (int(x, 16) for x in f[0].split('-'))
    want.append((s, e, f[1], int(f[2], 16), f[5].strip() if len(f) > 5 else None))
pieces = j['regions']
k = 0
for s, e, perms, off, path in want:
    assert k < len(pieces) and int(pieces[k]['start'], 16) == s, ('no region starts at 0x%x' % s, pieces[k:k+1])
    prev = None
    while k < len(pieces) and int(pieces[k]['start'], 16) < e:
        r = pieces[k]
        rs, re_ = int(r['start'], 16), int(r['end'], 16)
        assert (r['perms'], r['path']) == (perms, path), (r, perms, path)
        assert r['file_offset'] == off + (rs - s), (r, off)
        if prev is not None:
            assert int(prev['end'], 16) == rs, (prev, r)
            cut_ok = r['captured'] > 0 or prev['captured'] == int(prev['end'], 16) - int(prev['start'], 16)
            assert cut_ok, ('a mapping cut where no held bytes start or end', prev, r)
        prev = r
        k += 1
    assert prev is not None and int(prev['end'], 16) == e, ('mapping 0x%x-0x%x not covered' % (s, e), prev)
assert k == len(pieces), ('regions beyond the maps lines', pieces[k:])
got = want
kinds = {r['path']: r['kind'] for r in pieces if r['path'] in ('[stack]', '[heap]', '[vdso]')}
assert kinds.get('[stack]') == 'stack' and kinds.get('[heap]', 'heap') == 'heap', kinds

# Every captured byte against /proc/PID/mem at that moment.
captured = [(int(r['start'], 16), r['captured']) for r in pieces if r['captured']]
assert captured, 'the minidump holds no bytes'
stack_cap = 0
for s, n in captured:
    base = max(b for b, *_ in want if b <= s)
    mem = open(T + '/snap/mem-%x' % base, 'rb').read()[s - base:s - base + n]
    assert len(mem) == n, (hex(s), n, len(mem))
    reqs = []
    for a in range(s, s + n, 1 << 20):
        reqs += ['%x' % a, str(min(1 << 20, s + n - a))]
    out = subprocess.run([read_at, T + '/s.dmp'] + reqs, capture_output=True, text=True,
                         check=True).stdout.split()
    assert ''.join(out) == mem.hex(), 'bytes at 0x%x differ from the process' % s
    # lldb reading the same file: start, middle and end of the range.
    for a in sorted({s, s + n // 2 // 16 * 16, s + n - 256}):
        k = min(256, s + n - a)
        binf = T + '/lldb-%x.bin' % a
        subprocess.run(['timeout', '60', 'lldb-14', '-b', '-c', T + '/s.dmp', '-o',
                        'memory read --force --binary --outfile %s -c %d 0x%x' % (binf, k, a)],
                        capture_output=True, check=True)
        assert open(binf, 'rb').read() == mem[a - s:a - s + k], 'lldb reads 0x%x differently' % a
    if any(r['path'] == '[stack]' and int(r['start'], 16) == s for r in pieces):
        stack_cap = (s, n, mem)
assert stack_cap, 'the main stack holds no bytes'
# image of the stack: pixel i is byte i of the stack's captured bytes (8 bpp gray).
s, n, mem = stack_cap
im = Image.open(T + '/stack.png')
px = bytes(v if isinstance(v, int) else v[0] for v in im.getdata())
assert px[:n] == mem, 'the stack image differs from the process memory'
print('minidump: %d regions, %d captured ranges, %d bytes checked' % (len(got), len(captured),
      sum(n for _, n in captured)))
PY

# --as names it.  Truncated copies: a partial result with a warning, or
# (lldb writes the stream directory last) one error line; never silence.
"$MEMLENS" regions "$T/s.dmp" --as minidump >/dev/null || fail "--as minidump"
size=$(stat -c %s "$T/s.dmp")
for keep in 40 $((size / 3)) $((size * 2 / 3)) $((size - 1)); do
	head -c "$keep" "$T/s.dmp" >"$T/cut.dmp"
	rc=0
	"$MEMLENS" regions "$T/cut.dmp" >/dev/null 2>"$T/cut.err" || rc=$?
	case $rc in
	0) grep -q '^memlens: regions: warning: ' "$T/cut.err" || fail "$keep bytes: exit 0 without a warning" ;;
	1) [ "$(grep -c . "$T/cut.err")" -eq 1 ] && grep -q '^memlens: regions: ' "$T/cut.err" ||
		fail "$keep bytes: expected one error line: $(cat "$T/cut.err")" ;;
	*) fail "$keep bytes: exit $rc: $(cat "$T/cut.err")" ;;
	esac
done
exit 0
