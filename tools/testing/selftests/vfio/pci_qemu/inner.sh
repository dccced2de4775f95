#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the inner guest: read the first block of the NVMe QEMU passed
# through to us and look for the test pattern, then power off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

modprobe nvme
for i in $(seq 100); do
	[ -b /dev/nvme0n1 ] && break
	sleep 0.1
done
if [ -b /dev/nvme0n1 ]; then
	echo "NVME_INNER: found $(cat /sys/class/nvme/nvme0/serial)"
	if dd if=/dev/nvme0n1 bs=512 count=1 2>/dev/null |
	   grep -q VFIO-TEST-NVME-PATTERN-0123456789abcdef; then
		echo "NVME_INNER: PASS"
	else
		echo "NVME_INNER: FAIL the first block holds no pattern"
	fi
else
	echo "NVME_INNER: FAIL no NVMe namespace"
	ls /sys/bus/pci/devices
fi
poweroff -f
