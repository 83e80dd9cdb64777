#!/bin/bash
# gdb, eu-stack and lldb read memlens's core of a stopped process: gdb sees
# the threads, frames and registers it sees in gcore's core of the same
# process, and x/64xb at sampled addresses (the pattern, a thread's stack,
# a file page the process never touched, shared memory) equals
# /proc/PID/mem; eu-stack and lldb list the same threads and frames.  The
# snapshot faults nothing in: smaps' Rss is the same before and after, and
# the process is left stopped as it was, traced by nobody.
. "$TESTS_SRCDIR/lib.sh"
. "$TESTS_SRCDIR/snapshot_lib.sh"
need_root
need gdb
need gcore
need eu-stack
need lldb-14
head -c 16384 /dev/urandom >"$T/f1"
head -c 4096 /dev/urandom >"$T/f2"
start_target -m 8 -r 64 -t 2 -f "$T/f1" -F "$T/f2"
pid=$SPEC_PID
wait_idle "$pid"
kill -STOP "$pid"
wait_state "$pid" T
before=$(rss "$pid")
"$MEMLENS" snapshot "$pid" -o "$T/m.core" >"$T/summary" || fail "memlens snapshot failed"
after=$(rss "$pid")
[ "$before" = "$after" ] || fail "Rss went from $before to $after kB: memlens faulted pages in"
[ "$(state "$pid")" = T ] || fail "the target is $(state "$pid") after the snapshot, not stopped as it was"
[ "$(tracer "$pid")" = 0 ] || fail "the target is still traced by $(tracer "$pid")"
gcore -o "$T/g" "$pid" >/dev/null 2>&1 || fail "gcore failed"

sp=$(gdb -batch -nx -c "$T/m.core" "$TARGET" -ex 'p/x $sp' 2>/dev/null | sed -n 's/^\$1 = //p')
[ -n "$sp" ] || fail "gdb shows no stack pointer"
res=0x$(spec_addr resident 2)
/usr/bin/python3 "$TESTS_SRCDIR/snapshot_gdb.py" "$TARGET" "$T/m.core" "$T/g.$pid" "$pid" \
	"$res" "$(printf '%x' $((res + 1048576 + 8)))" "$sp" "$(spec_addr file 2)" \
	"$(printf '%x' $((0x$(spec_addr file 2) + 4096 * 3)))" "$(spec_addr shared 2)" \
	"$(spec_addr fileeof 2)" || fail "gdb disagrees"

# eu-stack and lldb: the same threads, each with the frames gdb names.
eu-stack --core "$T/m.core" --executable "$TARGET" >"$T/eu" 2>"$T/eu.err" || fail "eu-stack failed: $(cat "$T/eu.err")"
timeout 120 lldb-14 -b -c "$T/m.core" "$TARGET" -o 'thread list' -o 'bt all' >"$T/lldb" 2>&1 || fail "lldb failed: $(tail -5 "$T/lldb")"
gdb -batch -nx -c "$T/m.core" "$TARGET" -ex 'thread apply all bt' >"$T/gdb" 2>/dev/null
/usr/bin/python3 - "$T" "$pid" <<'PY' || fail "eu-stack or lldb disagree with gdb"
import re, sys, os
T, pid = sys.argv[1], sys.argv[2]
tids = sorted(int(t) for t in os.listdir(f'/proc/{pid}/task'))
def by_thread(text, head, frame):
    res, cur = {}, None
    for line in text.splitlines():
        m = re.search(head, line)
        if m:
            cur = res.setdefault(int(m.group(1)), [])
            continue
        m = re.search(frame, line)
        if m and cur is not None:
            cur.append(m.group(1))
    return res
gdb = by_thread(open(f'{T}/gdb').read(), r'^Thread \S+ \(.*LWP (\d+)\)', r'^#\d+\s+(?:0x[0-9a-f]+ in )?(\w+)')
eu = by_thread(open(f'{T}/eu').read(), r'^TID (\d+):', r'^#\d+\s+0x[0-9a-f]+\s+(\w+)')
lldb_text = open(f'{T}/lldb').read()
# lldb's thread list maps its thread numbers to tids; bt all names threads by number
index = {int(n): int(t) for n, t in re.findall(r'thread #(\d+): tid = (\d+)', lldb_text)}
by_index = by_thread(lldb_text.split('(lldb) bt all')[-1], r'^\*? *thread #(\d+),',
                     r'frame #\d+: 0x[0-9a-f]+ [^`\s]+`(\w+)')
lldb = {index.get(n, -n): f for n, f in by_index.items()}
listed = sorted(index.values())
bad = []
if sorted(gdb) != tids: bad.append(f'gdb threads {sorted(gdb)} != {tids}')
if sorted(eu) != tids: bad.append(f'eu-stack threads {sorted(eu)} != {tids}')
if listed != tids: bad.append(f'lldb thread list {listed} != {tids}')
norm = lambda f: f.lstrip('_').replace('libc_', '').replace('_impl', '')
for t in tids:
    g = [norm(f) for f in gdb.get(t, [])]
    for name, other in (('eu-stack', eu), ('lldb', lldb)):
        o = [norm(f) for f in other.get(t, [])]
        # the program's own frames must be there, in gdb's order
        mine = [f for f in g if f in ('wait_here', 'worker_a', 'worker_b', 'main')]
        if [f for f in o if f in mine] != mine or not mine:
            bad.append(f'{name} thread {t}: {o} vs gdb {g}')
for b in bad: print('FAIL:', b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
kill -CONT "$pid"
echo "gdb, eu-stack and lldb agree"
