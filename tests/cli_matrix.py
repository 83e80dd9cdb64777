#!/usr/bin/env python3
"""Every command x every option of memlens, against a table written here
from the man pages and issue 11 item 18 (not from memlens's code):

- an option a command takes is accepted (exit 0, or 1 where the table says
  the run itself may fail, never 2);
- every other option is refused: exit 2 and exactly one stderr line,
  "memlens: CMD: ...", that names the option;
- `memlens CMD --help` lists exactly the options the table says it takes.

  cli_matrix.py MEMLENS TMPDIR PID PATTERN_START
"""
import os
import re
import subprocess
import sys

MEMLENS, T, PID, PAT = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
RAW = os.path.join(T, 'in.raw')
with open(RAW, 'wb') as f:
    f.write(os.urandom(65536))
LIVE_SEL = ['--region', f'{PAT}+64K']   # a small live selection: fast runs

# A value for every option memlens has, valid wherever the option applies.
VALUE = {
    '--as': 'raw', '--base': '1000', '--region': 'raw', '--output': None, '--map': None,
    '--html': None, '--bpp': '24', '--width': '16', '--order': 'bgr', '--palette': 'gray',
    '--holes': 'skip', '--scale': '2', '--fit': '100x100', '--dpi': '72', '--level': '1',
    '--threads': '1', '--layout': 'hilbert', '--rate': '8000', '--encoding': 'u8',
    '--channels': '1', '--preset': 'memgaze', '--seconds': '1', '--color': 'never',
    '--glibc': '2.36', '--by': 'rss', '--compress': 'zstd', '--quality': '80', '--curve': 'gilbert',
    '--filter': 'anon', '--granule': '16', '--every': '10ms', '--frames': '2', '--for': '30ms',
    '--to': '127.0.0.1:1', '--listen': '192.0.2.1:4000', '--top': '5', '--weight': 'calls',
}
VALUE['--fit'] = '300x300'     # large enough for trace-report's heatmap too
FLAGS = ['--freeze', '--strict', '--quiet', '--json', '--alpha', '--bottom-up', '--csv',
         '--pages', '--no-scan', '--physical', '--chunks', '--system', '--progressive', '--no-freeze',
         '--soft-dirty', '--no-follow', '--tree', '--folded']
ALL = sorted(set(VALUE) | set(FLAGS))


def out(name):
    return os.path.join(T, name)


# What each command takes.  Each option: (source, extra arguments that make
# it apply, allowed exit codes).  'live' is the running specimen, 'file' a
# raw file; the option itself is added with its VALUE.
def src_opts(live_sel):
    return {
        '--as': ('file', [], {0}),
        '--base': ('file', [], {0}),
        '--strict': ('file', [], {0}),
        '--quiet': ('file', [], {0}),
        '--freeze': ('live', live_sel, {0}),
    }


TABLE = {
    'regions': dict(base=[], opts={**src_opts([]), '--region': ('file', [], {0}), '--json': ('file', [], {0})}),
    'image': dict(base=['-o', out('i.png')], live_sel=LIVE_SEL, opts={
        **src_opts(LIVE_SEL), '--region': ('file', [], {0}), '--output': ('file', [], {0}),
        '--map': ('file', [], {0}), '--bpp': ('file', [], {0}), '--width': ('file', [], {0}),
        '--order': ('file', [], {0}), '--palette': ('file', ['--bpp', '8'], {0}),
        '--alpha': ('file', ['--bpp', '32'], {0}), '--holes': ('file', [], {0}),
        '--bottom-up': ('file', ['-o', out('i.bmp')], {0}), '--scale': ('file', [], {0}),
        '--fit': ('file', [], {0}), '--dpi': ('file', [], {0}), '--level': ('file', [], {0}),
        '--threads': ('file', [], {0}), '--layout': ('file', [], {0}),
        '--compress': ('file', ['-o', out('i.tif')], {0}), '--quality': ('file', ['-o', out('i.jpg')], {0}),
        '--progressive': ('file', ['-o', out('i.jpg')], {0}),
        '--curve': ('file', ['--layout', 'hilbert'], {0})}),
    'sound': dict(base=['-o', out('s.wav')], live_sel=LIVE_SEL, opts={
        **src_opts(LIVE_SEL), '--region': ('file', [], {0}), '--output': ('file', [], {0}),
        '--rate': ('file', [], {0}), '--encoding': ('file', [], {0}), '--channels': ('file', [], {0}),
        '--preset': ('file', [], {0}), '--holes': ('file', [], {0}), '--seconds': ('file', [], {0})}),
    'pagemap': dict(base=[], opts={
        **src_opts([]), '--region': ('file', [], {0}), '--output': ('file', [], {0}),
        '--json': ('file', [], {0}), '--csv': ('file', [], {0}), '--pages': ('file', ['--csv'], {0}),
        '--width': ('file', [], {0}), '--color': ('file', [], {0}), '--no-scan': ('live', [], {0}),
        '--physical': (None, [], {0}), '--layout': (None, ['--physical', '-o', out('p.png')], {0})}),
    'heap': dict(base=[], opts={
        **src_opts([]), '--output': ('live', [], {0}), '--json': ('live', [], {0}),
        '--chunks': ('live', ['--json'], {0}), '--width': ('live', [], {0}), '--color': ('live', [], {0}),
        '--glibc': ('live', [], {0})}),
    'hilbert': dict(base=['-o', out('h.png')], opts={
        **src_opts([]), '--region': ('file', [], {0}), '--output': ('file', [], {0}),
        '--html': ('file', [], {0}), '--map': ('file', [], {0}), '--system': (None, [], {0}),
        '--by': (None, ['--system'], {0}), '--curve': ('file', [], {0})}),
    'snapshot': dict(base=['-o', out('c.core')], opts={
        '--strict': ('live', [], {0}), '--quiet': ('live', [], {0}), '--output': ('live', [], {0}),
        '--json': ('live', [], {0}), '--filter': ('live', [], {0}), '--no-freeze': ('live', [], {0}),
        # in a pid namespace where memlens is alone: taken, and nothing to copy (exit 1)
        '--system': (None, [], {1})}),
    # diff takes two SOURCEs: 'file2' is the raw file twice, 'filelive' the raw file and the specimen
    'diff': dict(base=[], refuse_src=[RAW, RAW], opts={
        '--as': ('file2', [], {0}), '--base': ('file2', [], {0}), '--strict': ('file2', [], {0}),
        '--quiet': ('file2', [], {0}), '--freeze': ('filelive', LIVE_SEL, {0}),
        '--region': ('file2', [], {0}), '--output': ('file2', [], {0}), '--json': ('file2', [], {0}),
        '--map': ('file2', ['-o', out('d.png')], {0}), '--granule': ('file2', [], {0}),
        '--color': ('file2', [], {0}),
        **{o: ('file2', ['-o', out('d.png')], {0}) for o in (
            '--bpp', '--width', '--order', '--scale', '--fit', '--dpi', '--level', '--threads', '--layout')},
        '--palette': ('file2', ['-o', out('d.png'), '--bpp', '8'], {0})}),
    # watch: a frame or two of the raw file or the specimen (--soft-dirty fails, exit 1, on a kernel without it)
    'watch': dict(base=[], opts={
        **{o: ('file', ['--frames', '1'], {0}) for o in ('--as', '--base', '--strict', '--quiet', '--region',
                                                         '--json', '--every')},
        '--freeze': ('live', LIVE_SEL + ['--frames', '1'], {0}),
        '--output': ('live', LIVE_SEL + ['--frames', '1'], {0}),
        '--frames': ('file', ['--every', '10ms'], {0}), '--for': ('file', ['--every', '10ms'], {0}),
        '--soft-dirty': ('live', LIVE_SEL + ['--frames', '1', '--json'], {0, 1}),
        **{o: ('file', ['-o', out('w.png'), '--frames', '1'], {0}) for o in (
            '--bpp', '--width', '--order', '--scale', '--fit', '--dpi', '--level', '--threads', '--layout')},
        '--palette': ('file', ['-o', out('w.png'), '--frames', '1', '--bpp', '8'], {0})}),
}
# Runs that need a command in front of memlens.
WRAP = {('snapshot', '--system'): ['unshare', '--pid', '--fork', '--mount-proc']}
# trace runs a program after its options (-- PROGRAM); trace-report reads a
# record that trace made of /bin/true.  --to reaches no receiver on port 1
# and --listen cannot bind a TEST-NET address: exit 1, taken all the same.
REC = os.path.join(T, 'true.mltrace')
subprocess.run([MEMLENS, 'trace', '-o', REC, '--', '/bin/true'], check=True)
TABLE['trace'] = dict(base=['-o', out('t.mltrace')], src=[], tail=['--', '/bin/true'], opts={
    '--output': (None, [], {0}), '--strict': (None, [], {0}), '--quiet': (None, [], {0}),
    '--no-follow': (None, ['-o', out('t.%p.mltrace')], {0}), '--to': (None, [], {1}),
    '--listen': (None, [], {1})})
TABLE['trace-report'] = dict(base=[], src=[REC], opts={
    '--output': ('rec', [], {0}), '--html': ('rec', [], {0}), '--json': ('rec', [], {0}),
    '--strict': ('rec', [], {0}), '--quiet': ('rec', [], {0}), '--top': ('rec', [], {0}),
    '--tree': ('rec', [], {0}), '--folded': ('rec', [], {0}), '--weight': ('rec', ['--folded'], {0}),
    '--fit': ('rec', ['-o', out('r.png')], {0})})

# heap on a raw file finds no glibc heap: that run may fail, but not as a usage error
for o in ('--as', '--base', '--strict', '--quiet'):
    TABLE['heap']['opts'][o] = ('file', [], {1})

# Options refused only in some modes or combinations (issue 11 item 18).
REFUSED_COMBOS = [
    ('pagemap', ['self', '--layout', 'hilbert'], '--layout'),
    ('pagemap', ['--physical', '--region', 'heap'], '--region'),
    ('pagemap', ['--physical', '--freeze'], '--freeze'),
    ('pagemap', [RAW, '--no-scan'], '--no-scan'),
    ('pagemap', ['self', '--json', '--color', 'never'], '--color'),
    ('pagemap', ['self', '--json', '--width', '10'], '--width'),
    ('pagemap', ['self', '--width', '1000'], '--width'),
    ('hilbert', ['--system', '--freeze', '-o', out('x.png')], '--freeze'),
    ('hilbert', ['--system', '--region', 'heap', '-o', out('x.png')], '--region'),
    ('hilbert', ['self', '--by', 'rss', '-o', out('x.png')], '--by'),
    ('regions', [RAW, '--freeze'], '--freeze'),
    ('regions', ['self', '--as', 'raw'], '--as'),
    ('regions', ['self', '--base', '1000'], '--base'),
    ('regions', [RAW, '--as', 'lime', '--base', '1000'], '--base'),
    ('heap', ['self', '--width', '2000'], '--width'),
    ('heap', ['self', '--region', 'heap'], '--region'),
    ('heap', ['self', '--json', '--width', '10'], '--width'),
    ('heap', ['self', '-o', out('x.png'), '--color', 'never'], '--color'),
    ('heap', ['self', '--chunks'], '--chunks'),
    ('image', [RAW, '-o', out('x.bmp'), '--level', '3'], '--level'),
    ('image', [RAW, '-o', out('x.png'), '--bottom-up'], '--bottom-up'),
    ('image', [RAW, '-o', out('x.png'), '--bpp', '8', '--order', 'bgr'], '--order'),
    ('image', [RAW, '-o', out('x.png'), '--compress', 'zstd'], '--compress'),
    ('image', [RAW, '-o', out('x.tif'), '--quality', '80'], '--quality'),
    ('image', [RAW, '-o', out('x.png'), '--progressive'], '--progressive'),
    ('image', [RAW, '-o', out('x.jpg'), '--bpp', '32', '--alpha'], '--alpha'),
    ('snapshot', ['--system', '-o', out('d'), '--base', '1000'], '--base'),
    ('snapshot', ['self', '-o', out('x.core'), '--as', 'core'], '--as'),
    ('snapshot', ['self', '-o', '/dev/null'], '-o'),
    ('snapshot', ['self', '-o', out('x.core'), '--filter', 'most'], '--filter'),
    ('diff', [RAW, RAW, '--bpp', '8'], '--bpp'),
    ('diff', [RAW, RAW, '--map', out('x.json')], '--map'),
    ('diff', [RAW, RAW, '--json', '--color', 'never'], '--color'),
    ('diff', [RAW, RAW, '--freeze'], '--freeze'),
    ('diff', [PID, PID, '--freeze'], '--freeze'),
    ('diff', [RAW, RAW, '-o', out('x.png'), '--bpp', '8', '--palette', 'entropy'], '--palette'),
    ('watch', [RAW, '--bpp', '8', '--frames', '1'], '--bpp'),
    ('watch', [RAW, '--soft-dirty', '--frames', '1'], '--soft-dirty'),
    ('watch', [RAW, '-o', out('x.png')], '--output'),
    ('watch', [RAW, '--frames', '2', '--for', '1s'], '--for'),
    ('watch', [RAW, '--frames', '1', '-o', out('x.png'), '--bpp', '8', '--palette', 'entropy'], '--palette'),
    ('trace', ['--to', '127.0.0.1:1', '-o', out('x.mltrace'), '--', '/bin/true'], '--to'),
    ('trace', ['--no-follow', '-o', out('x.mltrace'), '--', '/bin/true'], '--no-follow'),
    ('trace', ['--listen', '4000', '--no-follow', '-o', out('x.mltrace')], '--no-follow'),
    ('trace', ['--strict', '--to', '127.0.0.1:1', '--', '/bin/true'], '--strict'),
    ('trace-report', [REC, '--weight', 'calls'], '--weight'),
    ('trace-report', [REC, '--fit', '300x300'], '--fit'),
]

failures = []


def run(args, wrap=()):
    p = subprocess.run(list(wrap) + [MEMLENS] + args, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stderr


def with_opt(opt):
    return ['-o' if opt == '--output' else opt] + \
        ([VALUE[opt]] if VALUE.get(opt) else [])


def value_for(cmd, opt):
    if opt == '--output':
        return {'image': out('v.png'), 'sound': out('v.wav'), 'pagemap': out('v.png'),
                'heap': out('v.png'), 'hilbert': out('v.png'), 'diff': out('v.png'),
                'watch': out('v.png'), 'trace': out('v.mltrace')}.get(cmd, out('v.png'))
    if opt == '--map':
        return out('v.json')
    if opt == '--html':
        return out('v.html')
    return VALUE.get(opt)


def cmdline(cmd, opt, source, extra):
    t = TABLE[cmd]
    src = {'live': [PID], 'file': [RAW], 'rec': [REC], None: [], 'file2': [RAW, RAW], 'filelive': [RAW, PID]}[source]
    base = list(t['base'])
    if opt in ('--output', '--to', '--listen'):
        base = []      # the -o under test replaces the base's; --to and --listen send or receive instead
    v = value_for(cmd, opt)
    o = ['-o' if opt == '--output' else opt] + ([v] if v else [])
    if opt == '--listen':
        return [cmd] + o + ['-o', out('l.mltrace')]
    return [cmd] + src + base + extra + o + t.get('tail', [])


def refused(cmd, args, opt, why):
    rc, err = run([cmd] + args)
    lines = err.splitlines()
    shown = '-o' if opt == '--output' else opt
    if rc != 2 or len(lines) != 1 or not lines[0].startswith(f'memlens: {cmd}: ') or shown not in lines[0]:
        failures.append(f'{why}: memlens {cmd} {" ".join(args)}: exit {rc}, stderr {err!r}')


# 1. what each command takes is accepted
for cmd, t in TABLE.items():
    for opt, (source, extra, codes) in t['opts'].items():
        args = cmdline(cmd, opt, source, extra)
        if source is None and 'tail' not in t:     # a mode that reads no SOURCE
            args = [cmd] + extra + list(t['base']) + with_opt(opt)
        rc, err = run(args, WRAP.get((cmd, opt), ()))
        if rc not in codes:
            failures.append(f'accepted: memlens {" ".join(args)}: exit {rc}, wanted {codes}: {err.strip()}')

# 2. every other option is refused, naming it
for cmd, t in TABLE.items():
    for opt in ALL:
        if opt in t['opts']:
            continue
        v = value_for(cmd, opt)
        args = t.get('refuse_src', t.get('src', [RAW])) + list(t['base']) + ['-o' if opt == '--output' else opt] + \
            ([v] if v else []) + t.get('tail', [])
        refused(cmd, args, opt, 'not taken')

# 3. combinations that cannot apply
for cmd, args, opt in REFUSED_COMBOS:
    refused(cmd, args, opt, 'combination')

# 4. --help lists exactly what the command takes
OPT = re.compile(r'^ {2}(?:-(\w), )?(--[a-z][\w-]*)', re.M)
for cmd, t in TABLE.items():
    rc, _ = run([cmd, '--help'])
    text = subprocess.run([MEMLENS, cmd, '--help'], capture_output=True, text=True).stdout
    rc2 = subprocess.run([MEMLENS, cmd, '-h'], capture_output=True, text=True)
    if rc2.stdout != text or rc2.returncode != 0:
        failures.append(f'{cmd}: -h differs from --help')
    listed = {m.group(2) for m in OPT.finditer(text)} - {'--help'}
    want = set(t['opts'])
    if listed != want:
        failures.append(f'{cmd} --help lists {sorted(listed - want)} it does not take, '
                        f'and not {sorted(want - listed)}')

for f in failures:
    print('FAIL:', f, file=sys.stderr)
runs = sum(len(t['opts']) for t in TABLE.values()) + \
    sum(len(ALL) - len(t['opts']) for t in TABLE.values()) + len(REFUSED_COMBOS)
print(f'{runs} command lines, {len(failures)} failures')
sys.exit(1 if failures else 0)
