#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the inner guest: find the mcounter function QEMU passed through
# to us, enable it and drive it with mcounter_poke, then power off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

dev=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1b36 ] && [ "$(cat "$d/device")" = 0x10f0 ]
	then
		dev=$d
	fi
done
if [ -n "$dev" ]; then
	echo "MCOUNTER_INNER: found $(basename "$dev") class $(cat "$dev/class")"
	# Memory decoding on: QEMU maps the BAR only then.
	echo 1 > "$dev/enable"
	mcounter_poke "$dev/resource0"
else
	echo "MCOUNTER_INNER: FAIL no mcounter function on the PCI bus"
	ls /sys/bus/pci/devices
fi
poweroff -f
