#!/usr/bin/env python3
"""The oracle side of the tracer tests: heaptrack's own record, read back.

heaptrack (KDE, Debian 1.4) writes a zstd-compressed text file whose lines
are its events, after heaptrack_interpret resolved them:
  s LEN TEXT          a string (1-based index)
  i IP MODULE [FUNCTION FILE LINE ...]   an instruction pointer (1-based)
  t IP_INDEX PARENT   a trace (1-based; parent 0 is the root)
  a SIZE TRACE        an allocation info (0-based): size and trace
  + INFO / - INFO     an allocation / its release, by allocation info
  c TIME              a timestamp
All numbers are hex.  This script counts what heaptrack counts: calls
(every '+'), the heap (sum of live sizes) and its peak, and the bytes never
released.  heaptrack's preload library links libstdc++, whose start-up
allocates a 72,704-byte emergency pool (freed again at exit): that
allocation is heaptrack's own, not the traced C program's, and is left out
when the program itself does not use libstdc++ (--drop-libstdcxx).

Allocations whose stack passes through a function named with --exclude
are left out too (and the same ones from memlens's report): the dtv that
ld.so callocs for each new thread is sized by the number of libraries with
TLS, which each tracer's own libraries change.

Usage:
  trace_heaptrack.py FILE.zst [--drop-libstdcxx] [--exclude FN]...
      heaptrack's numbers as JSON: {"calls", "peak", "leaked", "leaked_count"}
  trace_heaptrack.py compare FILE.zst PRINT.txt OURS.json [--exclude FN]...
      asserts that memlens's trace-report --json (OURS.json, every site)
      agrees exactly with heaptrack on calls, peak and leaked bytes, that
      heaptrack_print's summary (PRINT.txt) is heaptrack's record rounded,
      and that the top 3 sites by calls and by peak are the same
      (function and line of the allocating frame, and the call counts).
"""
import re
import json
import subprocess
import sys


def excluded_names(argv):
    return [argv[i + 1] for i, a in enumerate(argv) if a == "--exclude"]


def heaptrack_numbers(path, drop, exclude):
    text = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout.decode("utf-8", "replace")
    strings = [None]
    ips = [None]       # (module string index)
    traces = [None]    # (ip index, parent)
    infos = []         # (size, trace)
    live = peak = calls = 0
    count = {}
    dropped = set()
    for line in text.splitlines():
        if not line:
            continue
        tag, rest = line[0], line[2:]
        if tag == "s":
            n, _, s = rest.partition(" ")
            strings.append(s)
        elif tag == "i":
            f = rest.split()
            names = [strings[int(x, 16)] for x in f[2::3] if int(x, 16) < len(strings)]
            ips.append((int(f[1], 16), names))
        elif tag == "t":
            f = rest.split()
            traces.append((int(f[0], 16), int(f[1], 16)))
        elif tag == "a":
            f = rest.split()
            idx = len(infos)
            size, trace = int(f[0], 16), int(f[1], 16)
            infos.append((size, trace))
            if drop and trace and "libstdc++" in (strings[ips[traces[trace][0]][0]] or ""):
                dropped.add(idx)
            t = trace
            while t and exclude:
                if any(n and any(e in n for e in exclude) for n in ips[traces[t][0]][1]):
                    dropped.add(idx)
                    break
                t = traces[t][1]
        elif tag == "+":
            idx = int(rest, 16)
            if idx in dropped:
                continue
            calls += 1
            live += infos[idx][0]
            count[idx] = count.get(idx, 0) + 1
            peak = max(peak, live)
        elif tag == "-":
            idx = int(rest, 16)
            if idx in dropped:
                continue
            live -= infos[idx][0]
            count[idx] -= 1
    return {"calls": calls, "peak": peak, "leaked": live, "leaked_count": sum(count.values()),
            "all_calls": calls + sum(1 for line in text.splitlines() if line.startswith("+ ") and int(line[2:], 16) in dropped)}


def print_sections(path):
    """heaptrack_print's summary and its top sites: (count, function, line)."""
    text = open(path, encoding="utf-8", errors="replace").read()
    summary = {}
    m = re.search(r"calls to allocation functions: (\d+)", text)
    summary["calls"] = int(m.group(1))
    for key, pat in (("peak", r"peak heap memory consumption: (\S+)"), ("leaked", r"total memory leaked: (\S+)")):
        summary[key] = re.search(pat, text).group(1)

    def section(title, head):
        part = text.split(title, 1)[1]
        out = []
        for m in re.finditer(head + r" from\n(\S.*)\n  at (.*):(\d+)\n", part):
            out.append((m.group(1), m.group(2), m.group(3), m.group(4)))
            if len(out) == 3:
                break
        return out
    calls = section("MOST CALLS TO ALLOCATION FUNCTIONS", r"(\d+) calls to allocation functions with .* peak consumption")
    peaks = section("PEAK MEMORY CONSUMERS", r"(\S+) peak memory consumed over \d+ calls")
    return summary, calls, peaks


def rounded(n):
    """heaptrack's rendering of a byte count: 4.10K, 72.70K, 12.34M, 100B."""
    for unit, div in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= div:
            return "%.2f%s" % (n / div, unit)
    return "%dB" % n


def ours(path, exclude):
    d = json.load(open(path))
    s = d["summary"]
    got = {"calls": s["calls"], "peak": s["peak"], "leaked": s["leaked"], "leaked_count": s["leaked_count"]}
    sites = []
    for site in d["sites"]:
        names = [f["function"] or "" for f in site["stack"]]
        if exclude and any(any(e in n for e in exclude) for n in names):
            got["calls"] -= site["calls"]
            got["peak"] -= site["peak"]
            got["leaked"] -= site["leaked"]
            continue
        sites.append(site)
    for leak in d["leaks"]:
        names = [f["function"] or "" for f in leak["stack"]]
        if exclude and any(any(e in n for e in exclude) for n in names):
            got["leaked_count"] -= leak["count"]
    return got, sites


def frame_key(site):
    f = site["stack"][0]
    return (f["function"], str(f["line"]))


def compare(argv):
    ht_path, print_path, ours_path = argv[:3]
    exclude = excluded_names(argv)
    ht = heaptrack_numbers(ht_path, True, exclude)
    summary, ht_calls, ht_peaks = print_sections(print_path)
    # heaptrack_print must be heaptrack's own record, rounded (this reader is right).
    assert summary["calls"] == ht["all_calls"], ("heaptrack_print calls", summary["calls"], ht["all_calls"])
    me, sites = ours(ours_path, exclude)
    for k in ("calls", "peak", "leaked", "leaked_count"):
        assert me[k] == ht[k], ("%s: memlens %d, heaptrack %d" % (k, me[k], ht[k]))
    # heaptrack_print merges the stacks that allocate at the same place: so do we, here.
    merged = {}
    for x in sites:
        m = merged.setdefault(frame_key(x), {"calls": 0, "peak": 0})
        m["calls"] += x["calls"]
        m["peak"] += x["peak"]
    by_calls = sorted(merged.items(), key=lambda kv: -kv[1]["calls"])[:3]
    want = [(fn, line, int(n)) for n, fn, _, line in ht_calls]
    got = [(k[0], k[1], v["calls"]) for k, v in by_calls]
    assert got == want, ("top 3 by calls", got, want)
    by_peak = sorted(merged.items(), key=lambda kv: -kv[1]["peak"])[:3]
    want = [(fn, line, amount) for amount, fn, _, line in ht_peaks]
    got = [(k[0], k[1], rounded(v["peak"])) for k, v in by_peak]
    assert got == want, ("top 3 by peak", got, want)
    print("agree: calls %d, peak %d, leaked %d in %d blocks; top 3 by calls %s; by peak %s" % (
        me["calls"], me["peak"], me["leaked"], me["leaked_count"],
        [k[0] for k, _ in by_calls], [k[0] for k, _ in by_peak]))


def main():
    if sys.argv[1] == "compare":
        compare(sys.argv[2:])
        return
    r = heaptrack_numbers(sys.argv[1], "--drop-libstdcxx" in sys.argv, excluded_names(sys.argv))
    json.dump(r, sys.stdout)
    print()


if __name__ == "__main__":
    main()
