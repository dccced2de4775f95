#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Source compatibility with Linux 6.1's in-kernel VFIO API: build the
# in-tree users of that API from Debian's linux-source-6.1 against our
# headers and our Module.symvers.  Nothing of theirs is kept: the sources
# are unpacked into a scratch directory for the build and removed after.
# TAP output; run after "make modules".
#
#   scripts/compat-check.sh KDIR TOP
set -uo pipefail

kdir=$1
top=$2
src=/usr/src/linux-source-6.1.tar.xz
scratch=$(mktemp -d /tmp/vfio-compat.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

# Users buildable on x86 with Debian's headers: "dir:object ..." per entry.
users=(
	"samples/vfio-mdev:mtty.o mdpy.o mdpy-fb.o mbochs.o"
)

echo "TAP version 13"
echo "1..${#users[@]}"
[ -r "$src" ] || { echo "Bail out! $src missing (apt-get install linux-source-6.1)"; exit 1; }

n=0
failed=0
for entry in "${users[@]}"; do
	dir=${entry%%:*}
	objs=${entry#*:}
	n=$((n + 1))
	out=$scratch/$n
	mkdir -p "$out"
	tar -xJf "$src" -C "$out" --strip-components=1 "linux-source-6.1/$dir"
	echo "obj-m := $objs" > "$out/$dir/Kbuild"
	log=$out/build.log
	if make -C "$kdir" M="$out/$dir" \
		NOSTDINC_FLAGS="-I$top/include -I$top/include/uapi" \
		KBUILD_EXTRA_SYMBOLS="$top/Module.symvers" modules \
		> "$log" 2>&1 && ! grep -qE 'warning:|undefined!' "$log"; then
		echo "ok $n 6.1 $dir ($objs) builds against our headers"
	else
		grep -E 'error|warning|undefined' "$log" | head -20 | sed 's/^/# /'
		echo "not ok $n 6.1 $dir ($objs) builds against our headers"
		failed=$((failed + 1))
	fi
done
[ "$failed" = 0 ]
