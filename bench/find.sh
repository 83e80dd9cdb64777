#!/bin/bash
# bench/find.sh [MEMLENS] [SIZE_MIB]: `memlens find` against the tools
# responders use today, on the same dump, in one run:
#   --strings            vs GNU strings -a -t x        (target: time <= 1.0x)
#   --text x10 literals  throughput                     (target: >= 1 GB/s)
#   --yara 50 rules      vs yara -s on the file         (target: time <= 1.0x)
#   peak RSS of every memlens run                       (target: <= 64 MiB)
# The dump (SIZE_MIB, default 1024) mixes program and library bytes from
# /usr, random bytes and zero pages, like a process image; it is read once
# before timing so every tool starts from the page cache.  Needs GNU time,
# binutils and yara: apt-get install -y time binutils yara
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ML=${1:-$top/build/memlens}
SIZE=${2:-1024}
for t in strings yara /usr/bin/time; do
	command -v "$t" >/dev/null || { echo "bench/find.sh: $t is not installed (apt-get install -y time binutils yara)" >&2; exit 1; }
done
[ -x "$ML" ] || { echo "bench/find.sh: $ML is not built" >&2; exit 1; }
D=$(mktemp -d "${BENCH_DIR:-/tmp}/memlens-bench-find.XXXXXX")
trap 'rm -rf "$D"' EXIT
DUMP=$D/dump.bin
python3 - "$DUMP" "$SIZE" <<'PY'
import os, random, sys
path, size = sys.argv[1], int(sys.argv[2]) << 20
rnd = random.Random(7)
files = []
for root in ('/usr/lib/x86_64-linux-gnu', '/usr/bin'):
    for dp, _, fs in os.walk(root):
        files += [os.path.join(dp, f) for f in sorted(fs)]
files = [f for f in files if os.path.isfile(f) and not os.path.islink(f)]
rnd.shuffle(files)
with open(path, 'wb') as out:
    n = 0
    while n < size:
        kind = rnd.random()
        if kind < 0.5 and files:
            try:
                b = open(files.pop(), 'rb').read(8 << 20)
            except OSError:
                continue
        elif kind < 0.75:
            b = os.urandom(rnd.randrange(1, 8) << 20)
        else:
            b = bytes(rnd.randrange(1, 8) << 20)
        b = b[:size - n]
        out.write(b)
        n += len(b)
PY
cat "$DUMP" >/dev/null

declare -A WALL RSS
run() {
	local name=$1
	shift
	/usr/bin/time -v -o "$D/time.txt" "$@" >"$D/out.txt" 2>"$D/err.txt" || {
		echo "$name failed: $(tail -3 "$D/err.txt")" >&2
		exit 1
	}
	local w r
	w=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$D/time.txt")
	r=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$D/time.txt")
	WALL[$name]=$w
	RSS[$name]=$r
	printf '%-22s %8.2f s %10d KiB  %s lines\n' "$name" "$w" "$r" "$(wc -l <"$D/out.txt")"
}

# Ten literals a responder looks for.
lits=(password "BEGIN RSA PRIVATE KEY" cmd.exe /bin/sh "http://" "Authorization:" "wget " "curl " ssh-rsa LD_PRELOAD)
targs=()
for l in "${lits[@]}"; do targs+=(--text "$l"); done
# Fifty rules: literals, wide strings, hex with wildcards, regular expressions.
python3 - "$D/rules.yar" <<'PY'
import random, sys
rnd = random.Random(50)
words = ['password', 'secret', 'token', 'mimikatz', 'powershell', 'cmd.exe', 'beacon', 'meterpreter',
         'LD_PRELOAD', '/dev/shm', 'wget', 'curl', 'base64', 'ssh-rsa', 'BEGIN RSA', 'Authorization',
         'User-Agent', 'X-Api-Key', 'socket', 'connect', 'inject', 'shellcode', 'payload', 'keylog',
         'cookie', 'session', 'admin', 'root', 'sudo', 'crontab']
with open(sys.argv[1], 'w') as f:
    for i in range(50):
        w1, w2 = rnd.sample(words, 2)
        h = ' '.join('%02x' % rnd.randrange(256) if j % 3 else '??' for j in range(6))
        f.write('rule r%02d {\n strings:\n  $a = "%s%d" ascii wide\n  $b = "%s" nocase\n'
                '  $c = { %s }\n  $d = /%s[0-9]{2,}/\n condition:\n  any of them\n}\n'
                % (i, w1, i, w2, h, w2[:4]))
PY

echo "# ${SIZE} MiB dump (programs, random, zeros), $(nproc) cores"
printf '%-22s %10s %14s\n' run wall peak-RSS
run warm-up "$ML" find "$DUMP" --strings
run "memlens --strings" "$ML" find "$DUMP" --strings
run "strings -a -t x" strings -a -t x "$DUMP"
run "memlens --text x10" "$ML" find "$DUMP" "${targs[@]}"
run "memlens --yara" "$ML" find "$DUMP" --yara "$D/rules.yar"
run "yara -s" yara -s "$D/rules.yar" "$DUMP"
echo "# ratios (time > 1: memlens is faster)"
awk -v a="${WALL[strings -a -t x]}" -v m="${WALL[memlens --strings]}" \
	'BEGIN { printf "strings / memlens --strings   time x%.2f  (target >= 1.0)\n", a / m }'
awk -v a="${WALL[yara -s]}" -v m="${WALL[memlens --yara]}" \
	'BEGIN { printf "yara -s / memlens --yara      time x%.2f  (target >= 1.0)\n", a / m }'
awk -v s="$SIZE" -v m="${WALL[memlens --text x10]}" \
	'BEGIN { printf "memlens --text x10            %.2f GB/s  (target >= 1)\n", s * 1048576 / m / 1e9 }'
max=0
for k in "memlens --strings" "memlens --text x10" "memlens --yara"; do
	[ "${RSS[$k]}" -gt "$max" ] && max=${RSS[$k]}
done
echo "memlens peak RSS              $((max / 1024)) MiB  (target <= 64)"
