#!/bin/bash
# One command from a fresh Debian machine to a picture: installs the
# build dependencies (needs root), builds memlens, makes the sample dumps
# from the bundled specimen program, and draws the core as specimen.png.
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
if [ "$(id -u)" -eq 0 ]; then
	mapfile -t pkgs < <(sed 's/#.*//' .ci/packages.d/foundation.txt | sed '/^$/d')
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
else
	echo "not root: skipping apt-get install (see .ci/packages.d/foundation.txt)" >&2
fi
[ -x configure ] || ./autogen.sh >/dev/null
mkdir -p build
cd build
[ -f Makefile ] || "$top/configure" -q
make -s -j"$(nproc)"
make -s sample
./memlens regions samples/specimen.core
./memlens image samples/specimen.core --region anon -o "$top/specimen.png"
echo "wrote $top/specimen.png"
