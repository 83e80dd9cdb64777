#!/bin/bash
# One command from a fresh Debian 12 machine to a picture, as root (a
# fresh root shell has no sudo) or through sudo: installs every package
# the build and the test suite need (all of .ci/packages.d/, so that
# ./run-tests.sh then skips nothing), builds memlens, makes the sample
# dumps from the bundled specimen, and draws the specimen's pattern area
# (text, the colour gradient, noise, zeros) as specimen.png.
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
if [ "${1:-}" != --build ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "quickstart.sh installs packages: run it as root (or: sudo ./quickstart.sh)" >&2
		exit 1
	fi
	mapfile -t pkgs < <(cat .ci/packages.d/*.txt | sed 's/#.*//' | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
	# Through sudo, build as the user who asked: their tree stays theirs.
	if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
		exec runuser -u "$SUDO_USER" -- "$top/quickstart.sh" --build
	fi
fi
[ -x configure ] || ./autogen.sh >/dev/null
mkdir -p build
cd build
[ -f Makefile ] || "$top/configure" -q
make -s -j"$(nproc)"
make -s sample
./memlens regions samples/specimen.raw
# The pattern area from the core when gcore could make one, else the raw
# dump (the same bytes): the selection starts at the area, so the gradient
# starts on a row and shows as designed.
if [ -s samples/specimen.pattern ]; then
	./memlens image samples/specimen.core --region "$(cat samples/specimen.pattern)" -o "$top/specimen.png"
else
	./memlens image samples/specimen.raw -o "$top/specimen.png"
fi
echo "wrote $top/specimen.png"
