#!/usr/bin/env python3
"""Oracles for tests/triage_plant.sh: the target says where it planted
each thing (triage_target.c); memlens must report each with exactly that
range, and nothing else at high severity.

planted JSON SPEC_OUT live|core   every planted finding, exact ranges
deleted JSON PID_MAPS             exe-deleted over the deleted copy's mappings
traced JSON TRACER_PID            ptraced naming the tracer
clean JSON                        nothing above info
system JSON PID                   --system holds PID with its wx finding
"""
import json
import sys


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def findings(path):
    doc = json.load(open(path))
    return doc['findings']


def rng(f):
    return (int(f['start'], 16), int(f['end'], 16)) if f['start'] else None


def planted(js, spec, kind):
    fs = findings(js)
    where = {}
    for line in open(spec):
        p = line.split()
        if len(p) == 3:
            where.setdefault(p[0], []).append((int(p[1], 16), int(p[2], 16)))
    want = [('wx', where['wx'][0]), ('anon-exec', where['wx'][0]), ('elf-in-anon', where['elf'][0]),
            ('code-modified', where['patch'][0]), ('preload-env', where['env'][0])]
    want += [('memfd-exec', m) for m in where['memfd']]
    got = {(f['id'], rng(f)) for f in fs}
    missing = [w for w in want if w not in got]
    if missing:
        fail('%s: planted findings not reported: %s\ngot: %s' % (kind, missing, sorted(got, key=str)))
    # Nothing else at high severity: every high finding is a planted one.
    extra = [(f['id'], rng(f), f['reason']) for f in fs
             if f['severity'] == 'high' and (f['id'], rng(f)) not in want]
    if extra:
        fail('%s: unexpected high findings: %s' % (kind, extra))
    for f in fs:
        if f['id'] in ('wx', 'anon-exec', 'memfd-exec', 'code-modified'):
            if not f['evidence'].get('disasm'):
                fail('%s: %s has no disassembly' % (kind, f['id']))
        if f['id'] == 'wx' and not f['evidence']['hex'].startswith('48 31 c0 b0 3c'):
            fail('%s: wx evidence is not the planted code: %s' % (kind, f['evidence']['hex']))
        if f['id'] == 'elf-in-anon' and not f['evidence']['ascii'].startswith('.ELF'):
            fail('%s: elf-in-anon evidence: %s' % (kind, f['evidence']))
        if f['id'] == 'preload-env' and not f['evidence']['variable'].startswith('LD_PRELOAD='):
            fail('%s: preload-env evidence: %s' % (kind, f['evidence']))


def deleted(js, maps):
    lo, hi = None, None
    for line in open(maps):
        if line.rstrip().endswith('(deleted)') and '/copy' in line:
            a, b = (int(x, 16) for x in line.split()[0].split('-'))
            lo = a if lo is None else min(lo, a)
            hi = b if hi is None else max(hi, b)
    if lo is None:
        fail('the copy was not mapped as deleted: %s' % open(maps).read())
    got = [rng(f) for f in findings(js) if f['id'] == 'exe-deleted']
    if got != [(lo, hi)]:
        fail('exe-deleted: %s, want %s' % (got, [(hex(lo), hex(hi))]))


def traced(js, tracer):
    fs = [f for f in findings(js) if f['id'] == 'ptraced']
    if len(fs) != 1 or fs[0]['evidence']['tracer_pid'] != int(tracer) or fs[0]['severity'] != 'medium':
        fail('ptraced: %s (tracer %s)' % (fs, tracer))


def clean(js):
    bad = [(f['id'], f['severity'], f['reason']) for f in findings(js) if f['severity'] != 'info']
    if bad:
        fail('findings above info on a clean process: %s' % bad)


def system(js, pid):
    doc = json.load(open(js))
    procs = [p for p in doc['processes'] if p['source'].get('pid') == int(pid)]
    if len(procs) != 1:
        fail('--system: pid %s appears %d times' % (pid, len(procs)))
    if not any(f['id'] == 'wx' for f in procs[0]['findings']):
        fail('--system: no wx finding for pid %s' % pid)
    t = doc['totals']
    if t['processes'] != len(doc['processes']) or t['findings'] != sum(len(p['findings']) for p in doc['processes']):
        fail('--system totals disagree with the processes listed: %s' % t)


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    {'planted': planted, 'deleted': deleted, 'traced': traced, 'clean': clean, 'system': system}[cmd](*a)


main()
