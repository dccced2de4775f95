#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The DKMS package, checked on this host as an administrator would use
# it: make deb; apt installs it (and DKMS, from Debian's archive); DKMS
# has built and installed every module of our stack for the kernel, where
# modprobe finds them before the kernel's own (modinfo: the path under
# updates/dkms, and the srcversion of the modules this tree built); the
# hook a kernel upgrade runs puts them back after they were taken out;
# apt removes the package and the kernel's own VFIO modules are found
# again.  TAP output; run after "make modules".
#
#   scripts/dkms-check.sh TOP KVER
set -uo pipefail

top=$1 kver=$2
mods=(vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci mdev)
log=$(mktemp /tmp/vfio-dkms.XXXXXX)
trap 'rm -f "$log"' EXIT
. "$(dirname "$0")/tap-result.sh"

# Every module of the stack found under updates/dkms, as this tree built it.
ours_installed() {
	local m path want got

	for m in "${mods[@]}"; do
		path=$(modinfo -k "$kver" -n "$m" 2>> "$log") || return 1
		case $path in
		*/updates/dkms/*) ;;
		*) echo "$m resolves to $path" >> "$log"; return 1 ;;
		esac
		want=$(modinfo -F srcversion "$(find "$top/drivers" -name "$m.ko")")
		got=$(modinfo -k "$kver" -F srcversion "$m")
		[ "$want" = "$got" ] ||
			{ echo "$m: srcversion $got, this tree's $want" >> "$log"; return 1; }
	done
}

# None of ours: modprobe finds the kernel's own VFIO modules.
theirs_found() {
	local m path

	for m in "${mods[@]}"; do
		path=$(modinfo -k "$kver" -n "$m" 2>> "$log") || return 1
		case $path in
		*/updates/*) echo "$m resolves to $path" >> "$log"; return 1 ;;
		esac
	done
}

echo "TAP version 13"
echo "1..5"
deb=$(make -s -C "$top" deb 2> "$log" | tail -n 1)
[ -f "$deb" ] || { echo "Bail out! make deb made no package: $(tail -n 3 "$log")"; exit 1; }
version=$(dpkg-deb -f "$deb" Version)
# A package left by an earlier run goes first.
apt-get purge -y -qq vfio-stack-dkms > /dev/null 2>&1

if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	-o DPkg::Lock::Timeout=600 "$deb" > "$log" 2>&1 &&
   dkms status -m vfio-stack -v "$version" -k "$kver" 2>> "$log" |
	grep -q installed; then
	result OK "apt installs the package; DKMS built it for $kver"
else
	result FAIL "apt installs the package; DKMS built it for $kver" "$log"
fi
if ours_installed; then
	result OK "modprobe finds all ${#mods[@]} modules of ours, as this tree built them"
else
	result FAIL "modprobe finds all ${#mods[@]} modules of ours, as this tree built them" "$log"
fi
# What a kernel upgrade runs for the new kernel.
if dkms uninstall -m vfio-stack -v "$version" -k "$kver" >> "$log" 2>&1 &&
   theirs_found &&
   /etc/kernel/postinst.d/dkms "$kver" >> "$log" 2>&1 && ours_installed; then
	result OK "the kernel's DKMS hook builds them again"
else
	result FAIL "the kernel's DKMS hook builds them again" "$log"
fi
if apt-get purge -y -qq vfio-stack-dkms >> "$log" 2>&1 &&
   ! dkms status -m vfio-stack 2>> "$log" | grep -q . && theirs_found; then
	result OK "removed: the kernel's own VFIO modules are found again"
else
	result FAIL "removed: the kernel's own VFIO modules are found again" "$log"
fi
if [ -z "$(find "/lib/modules/$kver/updates" -path '*dkms*' -name 'vfio*' 2> /dev/null)" ]; then
	result OK "nothing of ours is left under /lib/modules/$kver"
else
	result FAIL "nothing of ours is left under /lib/modules/$kver" "$log"
fi
[ "$failed" = 0 ]
