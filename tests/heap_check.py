#!/usr/bin/python3
"""heap_check: compare `memlens heap --json --chunks` with what heap_target
knows about its own heap (its record of every pointer it allocated and
freed) and with glibc's malloc_info.

  heap_check.py REC XML JSON

- every recorded pointer is a chunk of the JSON, in the right arena, with
  the recorded chunk size, state (used/free) and bin (tcache, fastbin,
  unsorted, small, large, mmapped, or null for in use);
- per arena, malloc_info's "fast" total equals the fastbin counts and its
  "rest" total equals the bins plus the top chunk (malloc_info counts
  tcache chunks as in use, so tcache is compared only with the record);
- malloc_info's mmap total equals the mmapped chunks found, and glibc's
  own counters (mp_) as memlens found them without symbols;
- nothing is free but in no list, and no warning was given;
- each thread's tcache (thread_tcaches in the JSON) holds as many chunks
  and bytes as that thread freed into it (REC's .tcache file), and the
  main thread's and the first thread's tcache structs live in their own
  arenas;
- at least one mmapped chunk is not at the start of its mapping (the
  target made sure of one: memalign, a merged mapping), so that case was
  exercised.
"""
import json
import sys
import xml.etree.ElementTree as ET


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    rec_path, xml_path, json_path = sys.argv[1:4]
    recs = []
    with open(rec_path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            p, size, expect, arena = line.split()
            recs.append((int(p, 16), int(size), expect, int(arena)))
    if len(recs) < 100:
        fail("the record is too short (%d lines)" % len(recs))
    with open(json_path) as f:
        doc = json.load(f)
    if doc.get("warnings"):
        fail("memlens gave %d warning(s)" % doc["warnings"])
    if not doc.get("main_arena_checked") or not doc.get("main_arena_ring"):
        fail("main_arena was not cross-checked by the walk and its ring")
    arenas = doc["arenas"]
    by_user = {}
    for ai, a in enumerate(arenas):
        for c in a["chunks"]:
            u = int(c["user"], 16)
            if u in by_user:
                fail("chunk user pointer 0x%x listed twice" % u)
            by_user[u] = (ai, c)
        if a["free"]["unlisted"]["count"]:
            fail("arena %s: %d chunk(s) free but in no list" % (a["address"], a["free"]["unlisted"]["count"]))
    kinds = {}
    thread_arena = None
    for p, size, expect, arena in recs:
        if p not in by_user:
            fail("recorded pointer 0x%x (%s, size %d) is not a chunk memlens found" % (p, expect, size))
        ai, c = by_user[p]
        want_state = "used" if expect in ("used", "mmapped") else "free"
        want_bin = None if expect == "used" else expect
        if c["state"] != want_state or c["bin"] != want_bin:
            fail("0x%x: memlens says %s/%s, the target knows %s/%s" % (p, c["state"], c["bin"], want_state, want_bin))
        if c["size"] != size:
            fail("0x%x: memlens says size %d, the target knows %d" % (p, c["size"], size))
        if expect != "mmapped" and arena >= 0:
            if arena == 0 and ai != 0:
                fail("0x%x: main-arena chunk found in arena %d" % (p, ai))
            if arena == 1:
                if ai == 0:
                    fail("0x%x: the thread's chunk found in the main arena" % p)
                if thread_arena is None:
                    thread_arena = ai
                elif thread_arena != ai:
                    fail("0x%x: the thread's chunks are in two arenas" % p)
        kinds[expect] = kinds.get(expect, 0) + 1
    for k in ("used", "mmapped", "tcache", "fastbin", "unsorted", "small", "large"):
        if not kinds.get(k):
            fail("the record has no %s chunk: the target did not set up its heap" % k)

    root = ET.parse(xml_path).getroot()
    heaps = root.findall("heap")
    if len(heaps) != len(arenas):
        fail("malloc_info has %d heaps, memlens %d arenas" % (len(heaps), len(arenas)))
    for h, a in zip(heaps, arenas):
        tot = {t.get("type"): t for t in h.findall("total")}
        fast = (int(tot["fast"].get("count")), int(tot["fast"].get("size")))
        rest = (int(tot["rest"].get("count")), int(tot["rest"].get("size")))
        fr = a["free"]
        mine_fast = (fr["fastbin"]["count"], fr["fastbin"]["bytes"])
        # malloc_info sums the bins' sizes with their flag bits (it reads
        # chunksize_nomask), and free() writes a binned chunk's head as
        # size | PREV_INUSE (its neighbour before it is never free in a
        # bin: they would have coalesced).
        flags = 1
        mine_rest = (fr["bins"]["count"] + fr["top"]["count"],
                     fr["bins"]["bytes"] + flags * fr["bins"]["count"] + fr["top"]["bytes"])
        if fast != mine_fast:
            fail("heap %s: malloc_info fast %s, memlens fastbins %s" % (h.get("nr"), fast, mine_fast))
        if rest != mine_rest:
            fail("heap %s: malloc_info rest %s, memlens bins+top %s" % (h.get("nr"), rest, mine_rest))
        cur = h.find("system[@type='current']")
        if cur is not None and int(cur.get("size")) != a["system_mem"]:
            fail("heap %s: malloc_info system %s, memlens %d" % (h.get("nr"), cur.get("size"), a["system_mem"]))
    tot = {t.get("type"): t for t in root.findall("total")}
    mm = (int(tot["mmap"].get("count")), int(tot["mmap"].get("size")))
    mine = (arenas[0]["mmapped"]["count"], arenas[0]["mmapped"]["bytes"])
    if mm != mine:
        fail("malloc_info mmap %s, memlens mmapped %s" % (mm, mine))
    mp = doc["glibc_mp"]
    if not mp or (mp["n_mmaps"], mp["mmapped_mem"]) != mm:
        fail("glibc's mp_ counters as memlens read them: %s; malloc_info says %s" % (mp, mm))
    # Per-thread tcache: what each thread freed into its own tcache.
    want = []
    for line in open(rec_path[:-len(".rec")] + ".tcache"):
        if line.startswith("#") or not line.strip():
            continue
        t, arena, count, nbytes = (int(x) for x in line.split())
        want.append((count, nbytes, arena))
    have = [(t["count"], t["bytes"], t["arena"]) for t in doc["thread_tcaches"] if t["count"]]
    if sorted(c[:2] for c in have) != sorted(w[:2] for w in want if w[0]):
        fail("per-thread tcache (count, bytes): memlens %s, the target %s" %
             (sorted(c[:2] for c in have), sorted(w[:2] for w in want if w[0])))
    for count, nbytes, arena in want:
        if arena < 0 or not count:
            continue
        at = [h[2] for h in have if h[:2] == (count, nbytes)]
        expect_arena = arenas[0]["address"] if arena == 0 else arenas[thread_arena]["address"]
        if at != [expect_arena]:
            fail("thread of arena %d: its tcache struct is in %s, not %s" % (arena, at, expect_arena))
    bounds = [int(c["chunk"], 16) for c in arenas[0]["chunks"] if c["bin"] == "mmapped"]
    if all(c % 4096 == 0 for c in bounds):
        fail("every mmapped chunk starts a page: the memalign'd ones were not found")

    print("ok: %d recorded pointers (%s), %d arenas" % (
        len(recs), ", ".join("%s %d" % kv for kv in sorted(kinds.items())), len(arenas)))


main()
