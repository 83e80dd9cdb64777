#!/usr/bin/env python3
"""Checks one memlens JSON document against doc/memlens.schema.json and
its "source" object against what the test knows independently.

  cli_json.py SCHEMA FILE WHAT [key=value ...]
     WHAT: report (any command), or regions, find, triage, snapshot,
     snapshot_index (also that document's own schema)
     key=value: expected source fields; values: int, null, str, or
     'comm:PID' (= /proc/PID/comm), 'pagesize', 'glibc' (this C library's
     version, from confstr), 'size:PATH' (os.stat)
"""
import json
import os
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
text = open(sys.argv[2], 'rb').read()
doc = json.loads(text, object_pairs_hook=lambda pairs: pairs)


def plain(x):
    if isinstance(x, list) and x and all(isinstance(p, tuple) and len(p) == 2 for p in x):
        return {k: plain(v) for k, v in x}
    if isinstance(x, list):
        return [plain(v) for v in x]
    return x


assert isinstance(doc, list) and doc and doc[0][0] == 'source', f'{sys.argv[2]}: "source" is not the first member'
d = plain(doc)
jsonschema.Draft202012Validator(schema).validate(d)
# some documents have a schema of their own too
ref = {'regions': 'regions_report', 'find': 'find_report', 'triage': 'triage_report',
       'snapshot': 'snapshot_report', 'snapshot_index': 'snapshot_index'}
if sys.argv[3] in ref:
    sub = {'$schema': schema['$schema'], '$defs': schema['$defs'], '$ref': '#/$defs/' + ref[sys.argv[3]]}
    jsonschema.Draft202012Validator(sub).validate(d)

src = d['source']
for kv in sys.argv[4:]:
    k, v = kv.split('=', 1)
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
print(f'{sys.argv[2]}: valid, source {src["kind"]}')
