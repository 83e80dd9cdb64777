#!/usr/bin/env python3
"""Oracles for tests/find_oracle.sh.

make-raw FILE            a 13 MiB file of program bytes, random bytes and
                         planted text across every read-block edge
strings JSONL TXT        memlens's (address, text) set == `strings -t x` output
grep JSONL TXT           memlens's (address, text) set == `grep -obaP` output
text JSONL FILE ICASE P.. every occurrence of each P (ASCII and UTF-16LE),
                         found here with bytes.find, == memlens's
hex JSONL FILE PAT..     every occurrence of each hex pattern (?? any byte),
                         found here with re, == memlens's
make-lime FILE / lime JSONL
                         adjacent ranges and a gap, with known contents
yara YARA_TXT JSON SPEC  `yara -s` output == memlens's (rule, id, address)
                         set, and the target's planted addresses are in it
"""
import json
import random
import re
import struct
import sys

MiB = 1 << 20


def unescape(t):
    """memlens's escaped form (memlens(1)) back to the bytes, as latin-1 text."""
    out, i = bytearray(), 0
    b = t.encode('utf-8')
    while i < len(b):
        if b[i] != 0x5c:
            out.append(b[i])
            i += 1
            continue
        c = b[i + 1:i + 2]
        if c == b'x':
            out.append(int(b[i + 2:i + 4], 16))
            i += 4
        else:
            out += {b'\\': b'\\', b'n': b'\n', b't': b'\t', b'r': b'\r'}[c]
            i += 2
    return out.decode('latin-1')


def load(path):
    ms = [json.loads(line) for line in open(path) if line.strip()]
    for m in ms:
        if 'text' in m:
            m['text'] = unescape(m['text'])
    return ms


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def same(mine, theirs, what):
    if mine != theirs:
        a, b = sorted(mine - theirs), sorted(theirs - mine)
        fail('%s: %d vs %d; only memlens: %s; only oracle: %s'
             % (what, len(mine), len(theirs), a[:5], b[:5]))


def make_raw(path):
    rnd = random.Random(20261128)
    data = bytearray()
    for exe in ('/usr/bin/gdb', '/usr/bin/python3', '/bin/bash', '/usr/bin/perl'):
        try:
            data += open(exe, 'rb').read()[:2 * MiB]
        except OSError:
            pass
    data = data[:4 * MiB]
    data += bytes(rnd.getrandbits(8) for _ in range(13 * MiB - len(data)))
    data += b'a' * 37  # an overlapping-literal run at the very end
    edges = []
    for k in range(1, 4):
        for base in (k * 4 * MiB, k * (4 * MiB + 64 * 1024), k * (4 * MiB - 256)):
            edges += [base + d for d in (-37, -6, -1, 0, 1, 5)]
    for i, e in enumerate(edges):
        s = b'MLSPAN-%03d-%s' % (i, bytes(rnd.choice(b'ABCDEFGHIJ') for _ in range(rnd.randrange(1, 30))))
        if i % 3 == 1:
            s = b''.join(bytes([c, 0]) for c in s)
        if i % 5 == 2:
            s = s.lower()
        data[e:e + len(s)] = s
    open(path, 'wb').write(data)


def strings_cmp(jsonl, txt):
    mine = {(int(m['address'], 16), m['text']) for m in load(jsonl)}
    theirs = set()
    for line in open(txt, 'rb'):
        line = line.rstrip(b'\n').lstrip(b' ')
        off, _, t = line.partition(b' ')
        theirs.add((int(off, 16), t.decode('latin-1')))
    same(mine, theirs, 'strings')


def grep_cmp(jsonl, txt):
    mine = {(int(m['address'], 16), m['text']) for m in load(jsonl)}
    theirs = set()
    for line in open(txt, 'rb'):
        off, _, t = line.rstrip(b'\n').partition(b':')
        theirs.add((int(off), t.decode('latin-1')))
    same(mine, theirs, 'regex')


def find_all(data, pat):
    out, i = [], data.find(pat)
    while i >= 0:
        out.append(i)
        i = data.find(pat, i + 1)
    return out


def text_cmp(jsonl, path, icase, pats):
    data = open(path, 'rb').read()
    icase = icase == '1'
    hay = data.lower() if icase else data
    theirs = set()
    ascii_only = icase  # the -i run is --encoding ascii
    for p in pats:
        forms = [(p.encode(), 'ascii')]
        if not ascii_only:
            forms.append((b''.join(bytes([c, 0]) for c in p.encode()), 'utf16le'))
        for f, enc in forms:
            for i in find_all(hay, f.lower() if icase else f):
                theirs.add((i, len(f), enc, p))
    mine = {(int(m['address'], 16), m['length'], m['encoding'], m['pattern']) for m in load(jsonl)}
    same(mine, theirs, 'text')


def hex_cmp(jsonl, path, pats):
    data = open(path, 'rb').read()
    theirs = set()
    for p in pats:
        toks = re.findall(r'\?\?|[0-9a-fA-F]{2}', p)
        rx = b''.join(b'.' if t == '??' else re.escape(bytes([int(t, 16)])) for t in toks)
        for m in re.finditer(b'(?=' + rx + b')', data, re.S):
            theirs.add((m.start(), len(toks), p))
    mine = {(int(m['address'], 16), m['length'], m['pattern']) for m in load(jsonl)}
    same(mine, theirs, 'hex')


LIME = [(0x10000, 0x10fff), (0x11000, 0x11fff), (0x13000, 0x13fff)]


def make_lime(path):
    body = {r: bytearray(r[1] - r[0] + 1) for r in LIME}
    seam = b'SEAMTEXT-CROSSES'
    body[LIME[0]][-6:] = seam[:6]
    body[LIME[1]][:len(seam) - 6] = seam[6:]
    left = b'GAPLEFT-XYZ'
    body[LIME[1]][-len(left):] = left
    right = b'GAPRIGHT-ABC'
    body[LIME[2]][:len(right)] = right
    with open(path, 'wb') as f:
        for r in LIME:
            f.write(struct.pack('<IIQQ8x', 0x4C694D45, 1, r[0], r[1]))
            f.write(body[r])


def lime_cmp(jsonl):
    ms = load(jsonl)
    strings = {(int(m['address'], 16), m['text']) for m in ms if m['kind'] == 'string'}
    same(strings, {(0x10ffa, 'SEAMTEXT-CROSSES'), (0x12000 - 11, 'GAPLEFT-XYZ'),
                   (0x13000, 'GAPRIGHT-ABC')}, 'strings across adjacent ranges and a gap')
    texts = {(int(m['address'], 16), m['pattern'], m['encoding']) for m in ms if m['kind'] == 'text'}
    same(texts, {(0x10ffa, 'SEAMTEXT', 'ascii')}, 'text across adjacent ranges and a gap')


def yara_cmp(txt, js, spec):
    theirs, rule = set(), None
    for line in open(txt, encoding='latin-1'):
        line = line.rstrip('\n')
        if line.startswith('0x'):
            off, sid, _ = line.split(':', 2)
            theirs.add((rule, sid, int(off, 16)))
        elif line:
            rule = line.split()[0]
    doc = json.load(open(js))
    mine = {(m['rule'], m['id'], int(m['address'], 16)) for m in doc['matches']}
    same(mine, theirs, 'yara')
    planted = {}
    for line in open(spec):
        f = line.split()
        if len(f) == 2 and f[0] != 'ready':
            planted[f[0]] = int(f[1], 16)
    want = [('heap_markers', '$h', planted['heap%d' % i]) for i in range(8)]
    want += [('wide_marker', '$w', planted['wide']), ('hex_marker', '$x', planted['hex']),
             ('stack_marker', '$s', planted['stack'])]
    missing = [w for w in want if w not in mine]
    if missing:
        fail('planted markers not found: %s' % missing)
    rules = set(doc['totals'].get('yara_rules', []))
    if rules != {'heap_markers', 'wide_marker', 'hex_marker', 'stack_marker', 'libc_banner'}:
        fail('rules that matched: %s' % sorted(rules))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'make-raw':
        make_raw(args[0])
    elif cmd == 'strings':
        strings_cmp(*args)
    elif cmd == 'grep':
        grep_cmp(*args)
    elif cmd == 'text':
        text_cmp(args[0], args[1], args[2], args[3:])
    elif cmd == 'hex':
        hex_cmp(args[0], args[1], args[2:])
    elif cmd == 'make-lime':
        make_lime(args[0])
    elif cmd == 'lime':
        lime_cmp(args[0])
    elif cmd == 'yara':
        yara_cmp(*args)
    else:
        fail('unknown command ' + cmd)


main()
