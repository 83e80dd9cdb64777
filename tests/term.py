#!/usr/bin/env python3
"""A terminal stand-in for the CLI tests.

  term.py run CMD...        runs CMD with stdout and stderr on a new pty;
                            prints its exit status on the first line, then
                            what it wrote (bytes, repr) — no script(1) needed
  term.py screen FILE       replays FILE's bytes as a terminal would (\\r,
                            ESC[K, newlines) and prints the lines left on
                            screen, so stale characters show
"""
import os
import pty
import sys


def run(argv):
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    data = b''
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    sys.stdout.write(f'{code}\n')
    sys.stdout.buffer.write(data)


def screen(data):
    lines, cur, col = [], [], 0
    i = 0
    while i < len(data):
        b = data[i]
        if data[i:i + 3] == b'\x1b[K':
            del cur[col:]
            i += 3
            continue
        if b == 0x0d:
            col = 0
        elif b == 0x0a:
            lines.append(bytes(cur))
            cur, col = [], 0
        else:
            if col < len(cur):
                cur[col] = b
            else:
                cur.append(b)
            col += 1
        i += 1
    lines.append(bytes(cur))
    for line in lines:
        sys.stdout.write(line.decode('utf-8', 'replace') + '\n')


if __name__ == '__main__':
    if sys.argv[1] == 'run':
        run(sys.argv[2:])
    else:
        screen(open(sys.argv[2], 'rb').read())
