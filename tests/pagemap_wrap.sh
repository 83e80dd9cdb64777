#!/bin/bash
# Terminal reports fit the terminal: pagemap's totals and legend and heap's
# free-by-kind line and legend break between items, never inside one, at
# the width of a pseudo-terminal (TIOCGWINSZ, set by the test), else
# $COLUMNS, else 80.  Oracle: each line's width, and every item the man
# pages name found whole on one line.
. "$TESTS_SRCDIR/lib.sh"
PY=/usr/bin/python3
start_specimen
cat >"$T/check.py" <<'PY'
import os, pty, re, struct, sys, fcntl, termios

def run(argv, cols=None, env_cols=None):
    """Output of argv, on a pty of cols columns (None: a pipe), $COLUMNS=env_cols."""
    env = dict(os.environ)
    env.pop('COLUMNS', None)
    if env_cols:
        env['COLUMNS'] = str(env_cols)
    if cols is None:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.dup2(w, 1)
            os.execve(argv[0], argv, env)
        os.close(w)
    else:
        pid, r = pty.fork()
        if pid == 0:
            fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack('HHHH', 24, cols, 0, 0))
            os.execve(argv[0], argv, env)
    out = b''
    while True:
        try:
            b = os.read(r, 65536)
        except OSError:
            break
        if not b:
            break
        out += b
    _, st = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(st) == 0, (argv, st)
    return out.decode().replace('\r\n', '\n')

ESC = re.compile(r'\x1b\[[0-9;]*m')
LEGEND = ['not present', 'present, anonymous', 'present, file or shared', 'transparent huge page (PMD-mapped)',
          'large folio (mapped by PTEs)', 'the zero page (read, never written)', 'swapped out',
          'guard (MADV_GUARD_INSTALL)']
TOTALS = ['pages', 'present', 'swapped', 'file', 'anon', 'exclusive', 'soft_dirty', 'guard', 'zero_page',
          'thp', 'large_folio', 'shared']

def check(text, width, what, items):
    lines = [ESC.sub('', ln) for ln in text.split('\n')]
    for ln in lines:
        if len(ln) > width:
            sys.exit(f'FAIL: {what}: a {len(ln)}-column line at width {width}: {ln!r}')
    for it in items:
        if not any(re.search(it, ln) for ln in lines):
            sys.exit(f'FAIL: {what}: item {it!r} is not whole on one line at width {width}')

memlens, pid = sys.argv[1], sys.argv[2]
for cols, env_cols, width in ((60, None, 60), (120, None, 120), (None, 50, 50), (None, None, 80)):
    for color in ('never', 'always'):
        what = f'pagemap pty={cols} COLUMNS={env_cols} --color {color}'
        out = run([memlens, 'pagemap', pid, '--region', 'heap', '--color', color], cols, env_cols)
        # The map's own lines are as wide as --width makes them: check only the report after them.
        tail = out[out.index('\ntotals:'):]
        check(tail, width, what, [re.escape(x) for x in LEGEND] + [r'\b%s \d+' % t for t in TOTALS])
        out = run([memlens, 'heap', pid, '--color', color], cols, env_cols)
        # Without the map's lines (as wide as --width makes them) and the fold lines.
        tail = '\n'.join(ln for ln in out.split('\n')
                         if not re.match(r'  [0-9a-f]{16}  | {20}\.\.\. ', ESC.sub('', ln)))
        kinds = [r'\btcache \d+ \([^)]*\)', r'\bfastbin \d+ \([^)]*\)', r'\bunsorted \d+ \([^)]*\)',
                 r'\bsmall \d+ \([^)]*\)', r'\blarge \d+ \([^)]*\)', r'\btop \d+ \([^)]*\)']
        if color == 'never':
            kinds += ["'%s'=%d" % (re.escape(c), k) for k, c in enumerate(' .:-=+*#@')]
        # "in use: ..." is one sentence, not a list: only the lists are held to the width.
        check('\n'.join(ln for ln in tail.split('\n') if not ln.startswith('  in use:')), width,
              'heap ' + what, kinds)
print('reports fit 50, 60, 80 and 120 columns')
PY
$PY "$T/check.py" "$MEMLENS" "$SPEC_PID" || fail "terminal reports do not fit the terminal"
echo "wrap OK"
