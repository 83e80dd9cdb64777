"""heap_gdb: glibc's own view of a process's heap, printed by gdb with the
program's symbols (a static binary has them; a dynamic one needs
libc6-dbg).  Run inside gdb:

  gdb -batch -nx -p PID -ex 'set $ncounts = N' -ex 'set $countsz = S' \
      -ex 'set $nmmaps_off = A' -ex 'set $mmem_off = B' -x heap_gdb.py

Prints
  main_arena ADDR
  mmapped N_MMAPS MMAPPED_MEM
  mp ADDR
  tcache ADDR COUNT BYTES      (one line per thread whose tcache is set)
where a tcache's COUNT is the sum of its counts[] and BYTES that of
counts[i] * (i * 16 + 32), the chunk size of bin i (glibc's tidx2usize).
The layout numbers come from the caller, read off libc6-dbg's types, as
a static binary's symbols carry no types.
"""
import gdb


def num(expr):
    return int(gdb.parse_and_eval(expr))


inf = gdb.selected_inferior()
print("main_arena 0x%x" % num("(long)&main_arena"))
print("mmapped %d %d" % (num("*(int *)((char *)&mp_ + $nmmaps_off)"),
                         num("*(long *)((char *)&mp_ + $mmem_off)")))
print("mp 0x%x" % num("(long)&mp_"))
n, sz = num("$ncounts"), num("$countsz")
for th in inf.threads():
    th.switch()
    tc = num("(long)tcache")
    if not tc:
        continue
    raw = bytes(inf.read_memory(tc, n * sz))
    counts = [int.from_bytes(raw[i * sz:(i + 1) * sz], "little") for i in range(n)]
    print("tcache 0x%x %d %d" % (tc, sum(counts), sum(c * (i * 16 + 32) for i, c in enumerate(counts))))
