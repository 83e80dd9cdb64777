#!/bin/sh
# Makes the sample dumps from the specimen: a raw dump of its pattern area
# (deterministic) and, when gdb is installed and may trace it, an ELF core
# of the running specimen made by gdb's gcore, with the pattern area's
# --region in specimen.pattern.
#   make-samples.sh BUILDDIR OUTDIR
set -eu
build=$1
out=$2
mkdir -p "$out"
"$build/samples/specimen" --raw "$out/specimen.raw"
echo "wrote $out/specimen.raw"
if ! command -v gcore >/dev/null 2>&1; then
	echo "gdb's gcore is not installed: no core sample (apt-get install gdb)" >&2
	exit 0
fi
fifo=$(mktemp -u)
mkfifo "$fifo"
"$build/samples/specimen" >"$fifo" &
pid=$!
pattern=
while read -r name start end; do
	[ "$name" = pattern ] && pattern="0x$start-0x$end"
	[ "$name" = ready ] && break
done <"$fifo"
rm -f "$fifo"
gcore -o "$out/specimen.core" "$pid" >/dev/null 2>&1 || {
	kill "$pid"
	echo "gcore failed (run as root, or allow ptrace: kernel.yama.ptrace_scope=0): no core sample" >&2
	exit 0
}
kill "$pid"
mv "$out/specimen.core.$pid" "$out/specimen.core"
echo "$pattern" >"$out/specimen.pattern"
echo "wrote $out/specimen.core (pattern area: --region $pattern)"
