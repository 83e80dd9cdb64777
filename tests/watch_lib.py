"""What tests/watch_*.py and bench/watch.sh share about a target process:
its scheduler state, waiting for it to stop itself, and whether this
kernel keeps soft-dirty bits (asked of the kernel directly: a page of our
own, written after our own clear_refs, must read soft-dirty in pagemap)."""
import ctypes
import mmap
import struct
import time


def state(pid):
    with open(f'/proc/{pid}/stat') as f:
        return f.read().rsplit(')', 1)[1].split()[0]


def wait_stopped(pid):
    for _ in range(500):
        if state(pid) in 'Tt':
            return
        time.sleep(0.01)
    raise SystemExit(f'FAIL: the target did not stop (state {state(pid)})')


def kernel_soft_dirty():
    m = mmap.mmap(-1, 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    m[0] = 1
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('4')
    m[0] = 2
    addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
    with open('/proc/self/pagemap', 'rb') as f:
        f.seek(addr // 4096 * 8)
        word = struct.unpack('<Q', f.read(8))[0]
    return bool(word >> 63 & 1 and word >> 55 & 1)
