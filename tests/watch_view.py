#!/usr/bin/env python3
"""memlens watch's live view, in a pty of 100 x 30, on tests/watch_target.

  watch_view.py MEMLENS TARGET

The view shows the target's 48-page area a page a cell.  After the
target's step 1 (pages 3 and 10 changed, by its own word), the first
frame that sees it draws cells 3 and 10 in the colour its legend calls
"this frame" and every other resident cell "unchanged"; the frame after
draws those two "1 frame ago".  Then q, Ctrl-C and SIGTERM each end the
view with exit status 0, the alternate screen left, the cursor shown
and the terminal back in canonical mode with echo.
"""
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from watch_lib import wait_stopped  # noqa: E402

MEMLENS, TARGET = sys.argv[1], sys.argv[2]
bad = []


def check(ok, msg):
    if not ok:
        bad.append(msg)
    return ok


class View:
    def __init__(self, args):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack('HHHH', 30, 100, 0, 0))
            os.execv(MEMLENS, [MEMLENS] + args)
        self.out = b''

    def read(self, timeout):
        end = time.time() + timeout
        while time.time() < end:
            r, _, _ = select.select([self.fd], [], [], max(0, end - time.time()))
            if not r:
                break
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return False
            if not chunk:
                return False
            self.out += chunk
        return True

    def screens(self):
        """The screens drawn so far: each from a cursor-home to the next."""
        return [s for s in self.out.split(b'\x1b[H')[1:]]

    def wait_screen(self, pattern, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            for s in reversed(self.screens()):
                if re.search(pattern, s):
                    return s
            if not self.read(0.2):
                break
        return None

    def finish(self, timeout=10):
        end = time.time() + timeout
        while time.time() < end and self.read(0.2):
            pass
        attrs = termios.tcgetattr(self.fd) if self._open() else None
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status), attrs

    def _open(self):
        try:
            termios.tcgetattr(self.fd)
            return True
        except termios.error:
            return False


def legend(screen):
    """Colour index of each legend name, from the swatches the view draws."""
    return {name.strip().decode(): int(c) for c, name in
            re.findall(rb'\x1b\[38;5;(\d+)m\xe2\x96\x88\xe2\x96\x88\x1b\[0m ([a-z0-9 -]+?)(?=\s+\x1b|\s+q quits)', screen)}


def cells(screen):
    """The top colours of the first line of cells (after the title line)."""
    lines = screen.split(b'\n')
    for line in lines[1:]:
        if b'\xe2\x96\x80' in line:
            fg, out = None, []
            for m in re.finditer(rb'\x1b\[38;5;(\d+)m|\x1b\[48;5;\d+m|(\xe2\x96\x80)', line):
                if m.group(1):
                    fg = int(m.group(1))
                elif m.group(2):
                    out.append(fg)
            return out
    return []


target = subprocess.Popen([TARGET], stdout=subprocess.PIPE, text=True)
try:
    said = {}
    while True:
        w = target.stdout.readline().split()
        if w[0] == 'step':
            break
        said[w[0]] = (int(w[1], 16), int(w[2], 16))
    wait_stopped(target.pid)
    area = said['area']
    region = ['--region', f'{area[0]:x}-{area[1]:x}']

    v = View(['watch', str(target.pid), *region, '--every', '0.5s'])
    first = v.wait_screen(rb'frame 0,')
    check(first is not None and b'\x1b[?1049h' in v.out and b'\x1b[?25l' in v.out,
          f'no first frame in the alternate screen: {v.out[:200]!r}')
    colours = legend(first or b'')
    check({'this frame', '1 frame ago', 'unchanged', 'not resident'} <= set(colours), f'legend {colours}')
    os.kill(target.pid, signal.SIGUSR1)
    os.kill(target.pid, signal.SIGCONT)
    while not target.stdout.readline().startswith('step'):
        pass
    wait_stopped(target.pid)
    hit = v.wait_screen(rb': 2 pages changed')
    if check(hit is not None, 'no frame saw the 2 changed pages'):
        c = cells(hit)
        want = [colours.get('this frame') if i in (3, 10) else colours.get('unchanged') for i in range(48)]
        check(c == want, f'cells after the step: {c}, expected {want}')
        n = int(re.search(rb'frame (\d+),', hit).group(1))
        nxt = v.wait_screen(rb'frame %d,' % (n + 1))
        if check(nxt is not None, 'no frame after'):
            c = cells(nxt)
            want = [colours.get('1 frame ago') if i in (3, 10) else colours.get('unchanged') for i in range(48)]
            check(c == want, f'cells a frame later: {c}, expected {want}')
    os.write(v.fd, b'q')
    code, attrs = v.finish()
    check(code == 0, f'q: exit {code}')
    for how, act in (('Ctrl-C', lambda v: os.write(v.fd, b'\x03')), ('SIGTERM', lambda v: os.kill(v.pid, signal.SIGTERM))):
        v2 = View(['watch', str(target.pid), *region, '--every', '0.3s'])
        check(v2.wait_screen(rb'frame 1,') is not None, f'{how}: no frames')
        act(v2)
        t = time.time()
        code, attrs = v2.finish()
        check(code == 0 and time.time() - t < 5, f'{how}: exit {code} after {time.time() - t:.1f} s')
        check(v2.out.rstrip(b'\r\n').endswith(b'\x1b[?25h\x1b[?1049l'), f'{how}: the screen was not given back: {v2.out[-40:]!r}')
        if check(attrs is not None, f'{how}: the pty is gone'):
            check(attrs[3] & termios.ICANON and attrs[3] & termios.ECHO, f'{how}: the terminal is left without ICANON/ECHO')
    check(v.out.rstrip(b'\r\n').endswith(b'\x1b[?25h\x1b[?1049l'), f'q: the screen was not given back: {v.out[-40:]!r}')
finally:
    target.kill()
    target.wait()

for b in bad:
    print('FAIL:', b, file=sys.stderr)
print(f'watch view: {len(bad)} failures')
sys.exit(1 if bad else 0)
