#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install what building and testing need, from Debian's archive.  Quick and
# silent when everything is there already, so every make target can call it.
#
#   install-deps.sh [debug]
set -euo pipefail

pkgs=(
	linux-image-amd64 linux-headers-amd64	# the kernel we build for and boot
	linux-source-6.1	# checkpatch, kselftest harness, compat check
	qemu-system-x86 busybox-static cpio kmod binutils file
	xz-utils zstd gzip gcc make bc sparse python3
	linux-libc-dev		# 6.1's uapi headers, for the ABI comparison
	dpdk-dev		# dpdk-testpmd, a real client of vfio-pci
	openssl			# sign-check.sh: a throwaway key, CMS verify
)
# "install-deps.sh debug": what building the debug kernel needs, too.
if [ "${1:-}" = debug ]; then
	pkgs+=(flex bison libelf-dev libssl-dev bc rsync)
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Two make targets started together both install: wait for the other's
# dpkg lock rather than fail.
wait_lock=(-o DPkg::Lock::Timeout=1800)
apt-get "${wait_lock[@]}" update -qq
# The image and headers meta packages go in together so their versions agree.
apt-get "${wait_lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
