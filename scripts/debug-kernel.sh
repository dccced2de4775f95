#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build, once, the debug kernel that "make check-debug" boots: Debian's
# linux-source-6.1 configured from x86_64_defconfig plus the selftests'
# config and debug.config fragments (KASAN, lockdep, kmemleak, UBSAN,
# fault injection, ...).  The build lives in a cache outside the work tree,
# keyed by the source package's version and the fragments' contents, so a
# second run costs nothing and a changed fragment builds a new kernel.
#
#   debug-kernel.sh TOP      build if needed; print the cache directory
#
# The directory printed holds:
#   linux/      the configured and built tree (KDIR for our modules)
#   root/       its modules, installed (modinfo -b / depmod -b root)
#   bzImage     the kernel to boot
#   release     its "uname -r"
set -euo pipefail

top=$1
cache_root=${VFIO_DEBUG_CACHE:-/var/cache/vfio-debug-kernel}
src=/usr/src/linux-source-6.1.tar.xz
selftests=$top/tools/testing/selftests/vfio
fragments=("$selftests/config" "$selftests/debug.config")

"$top/scripts/install-deps.sh" debug
version=$(dpkg-query -W -f '${Version}' linux-source-6.1)
key=$({ echo "$version"; cat "${fragments[@]}"; } | sha256sum | cut -c1-16)
dir=$cache_root/$version-$key
# One build at a time; a second caller waits for the first one's kernel.
mkdir -p "$cache_root"
exec 9> "$cache_root/lock"
flock 9
if [ -e "$dir/done" ]; then
	echo "$dir"
	exit 0
fi

log() { echo "debug-kernel: $*" >&2; }
log "building the debug kernel in $dir (linux-source-6.1 $version);"
log "this takes about an hour on 2 cores, once"
start=$(date +%s)
rm -rf "$dir"
mkdir -p "$dir"
tar -xJf "$src" -C "$dir"
mv "$dir/linux-source-6.1" "$dir/linux"
cd "$dir/linux"

make -s x86_64_defconfig
scripts/kconfig/merge_config.sh -m .config "${fragments[@]}" > /dev/null
make -s olddefconfig

# merge_config.sh only warns when Kconfig drops a value (an unmet
# dependency): a checker silently missing would make the tier lie.
missing=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=n) want="# ${line%=n} is not set" ;;
	CONFIG_*) want=$line ;;
	*) continue ;;
	esac
	if ! grep -qxF "$want" .config; then
		if [ "${line#*=}" = n ] &&
		   ! grep -q "^${line%=n}=" .config; then
			continue	# not offered at all: off
		fi
		log "option not taken: $line"
		missing=1
	fi
done < <(cat "${fragments[@]}")
[ $missing = 0 ] || { log "fix the config fragments"; exit 1; }

make -j"$(nproc)" -s bzImage modules
make -s modules_install INSTALL_MOD_PATH="$dir/root" > /dev/null
cp arch/x86/boot/bzImage "$dir/bzImage"
make -s kernelrelease > "$dir/release"
log "built $(cat "$dir/release") in $(($(date +%s) - start)) s"
touch "$dir/done"
echo "$dir"
