#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Print the kernel version to build and test against: $KVER if set, else
# the newest version with both an installed image and its headers.
set -euo pipefail

if [ -n "${KVER:-}" ]; then
	echo "$KVER"
	exit 0
fi
for img in $(ls /boot/vmlinuz-* 2>/dev/null | sort -V -r); do
	ver=${img#/boot/vmlinuz-}
	if [ -d "/usr/src/linux-headers-$ver" ] && [ -d "/lib/modules/$ver" ]; then
		echo "$ver"
		exit 0
	fi
done
echo "kver: no kernel with both image and headers installed" >&2
exit 1
