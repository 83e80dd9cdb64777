#!/usr/bin/env python3
"""Checks one memlens JSON document against doc/memlens.schema.json and
its "source" object against what the test knows independently.

  cli_json.py SCHEMA FILE WHAT [key=value ...]
     WHAT: report (any command), or regions, find, triage, snapshot,
     snapshot_index (also that document's own schema), diff or diffmap
     (diff --json, diff --map: sources "a" and "b" first, also their own
     schema), watch (JSON lines: a header, then frames)
     key=value: expected source fields (a.key, b.key for diff); values: int, null, str, or
     'comm:PID' (= /proc/PID/comm), 'pagesize', 'glibc' (this C library's
     version, from confstr), 'size:PATH' (os.stat)
"""
import json
import os
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
text = open(sys.argv[2], 'rb').read()
if sys.argv[3] == 'watch':
    # one JSON document a line: the header (source first), then a record a frame
    lines = text.splitlines()
    for i, line in enumerate(lines[1:], 1):
        rec = json.loads(line, object_pairs_hook=lambda pairs: pairs)
        assert rec[0][0] == 'frame', f'{sys.argv[2]}: line {i + 1} does not start with "frame"'
        r = {k: v for k, v in rec}
        jsonschema.Draft202012Validator(schema).validate(r)
        jsonschema.Draft202012Validator({'$schema': schema['$schema'], '$defs': schema['$defs'],
                                         '$ref': '#/$defs/watch_frame'}).validate(r)
        assert r['frame'] == i - 1, f'{sys.argv[2]}: line {i + 1} is frame {r["frame"]}'
    text = lines[0]
doc = json.loads(text, object_pairs_hook=lambda pairs: pairs)


def plain(x):
    if isinstance(x, list) and x and all(isinstance(p, tuple) and len(p) == 2 for p in x):
        return {k: plain(v) for k, v in x}
    if isinstance(x, list):
        return [plain(v) for v in x]
    return x


two = sys.argv[3] in ('diff', 'diffmap')
if two:
    assert isinstance(doc, list) and len(doc) > 1 and doc[0][0] == 'a' and doc[1][0] == 'b', \
        f'{sys.argv[2]}: "a" and "b" are not the first members'
else:
    assert isinstance(doc, list) and doc and doc[0][0] == 'source', f'{sys.argv[2]}: "source" is not the first member'
d = plain(doc)
jsonschema.Draft202012Validator(schema).validate(d)
own = {'regions': 'regions_report', 'find': 'find_report', 'triage': 'triage_report',
       'snapshot': 'snapshot_report', 'snapshot_index': 'snapshot_index', 'diff': 'diff_report',
       'diffmap': 'diff_map', 'watch': 'watch_header'}.get(sys.argv[3])
if own:
    sub = {'$schema': schema['$schema'], '$defs': schema['$defs'], '$ref': f'#/$defs/{own}'}
    jsonschema.Draft202012Validator(sub).validate(d)

for kv in sys.argv[4:]:
    k, v = kv.split('=', 1)
    src = d['source'] if not two else d[k.split('.')[0]]
    k = k.split('.', 1)[1] if two else k
    if v == 'null':
        want = None
    elif v.isdigit():
        want = int(v)
    elif v.startswith('comm:'):
        want = open(f'/proc/{v[5:]}/comm').read().rstrip('\n')
    elif v == 'pagesize':
        want = os.sysconf('SC_PAGE_SIZE')
    elif v == 'glibc':
        want = os.confstr('CS_GNU_LIBC_VERSION').split()[1]
    elif v.startswith('size:'):
        want = os.stat(v[5:]).st_size
    else:
        want = v
    assert src.get(k, 'absent') == want, f'{sys.argv[2]}: source.{k} is {src.get(k, "absent")!r}, not {want!r}'
print(f'{sys.argv[2]}: valid, ' + (f'sources {d["a"]["kind"]}, {d["b"]["kind"]}' if two else f'source {d["source"]["kind"]}'))
