#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Load and unload our modules repeatedly; each cycle must leave nothing
# behind (device nodes, classes, module references) and a module in use
# must refuse to unload.  TAP output, run as root in the test VM.

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }

# Our mdev samples first: a test before (the fuzzer) may have left one
# loaded, and it holds mdev and vfio.
unload_all() {
	for m in mcounter mblit vfio_mock vfio_iommu_type1 vfio_pci \
		 vfio_pci_core mdev vfio; do
		[ -d /sys/module/$m ] && rmmod $m 2>/dev/null
	done
	[ -d /sys/module/vfio ] || return 0
	# Say what still holds vfio.
	echo "# vfio refcnt $(cat /sys/module/vfio/refcnt), holders:" \
		$(ls /sys/module/vfio/holders)
	return 1
}

gone() {
	[ ! -e /dev/vfio/vfio ] && [ ! -d /sys/class/vfio ] &&
		[ ! -d /sys/class/vfio-dev ] && [ ! -d /sys/module/vfio ]
}

present() {
	[ -c /dev/vfio/vfio ] && [ -d /sys/class/vfio ] &&
		[ -d /sys/class/vfio-dev ] &&
		[ "$(cat /sys/module/vfio/refcnt)" = 0 ]
}

# A device set, a container, a group and a device file, all closed again.
exercise_mock() {
	echo "40 7" > /sys/kernel/debug/vfio_mock/create &&
	echo "41 7 unmap" > /sys/kernel/debug/vfio_mock/create &&
	g=$(basename "$(readlink /sys/bus/platform/devices/vfio-mock.40/iommu_group)") &&
	[ -c "/dev/vfio/$g" ] &&
	echo 40 > /sys/kernel/debug/vfio_mock/destroy &&
	echo 41 > /sys/kernel/debug/vfio_mock/destroy &&
	[ ! -e "/dev/vfio/$g" ]
}

echo "TAP version 13"
echo "1..9"

check "all vfio modules unload" unload_all

i=0
ok_cycles=1
while [ $i -lt 5 ]; do
	modprobe vfio && present && rmmod vfio && gone || ok_cycles=0
	i=$((i + 1))
done
check "5 load/unload cycles of vfio leave nothing behind" [ $ok_cycles = 1 ]

modprobe vfio
exec 3<>/dev/vfio/vfio
check "vfio refuses to unload while a container is open" \
	sh -c '! rmmod vfio 2>/dev/null'
exec 3>&-
check "vfio unloads once the container is closed" sh -c 'rmmod vfio && true'
check "nothing left after that unload" gone

i=0
ok_cycles=1
while [ $i -lt 3 ]; do
	{ modprobe vfio_mock && exercise_mock && rmmod vfio_mock &&
	  rmmod vfio && gone; } || ok_cycles=0
	i=$((i + 1))
done
check "3 cycles of vfio + vfio_mock with devices leave nothing behind" \
	[ $ok_cycles = 1 ]

modprobe vfio_mock
echo "42 0" > /sys/kernel/debug/vfio_mock/create
g=$(basename "$(readlink /sys/bus/platform/devices/vfio-mock.42/iommu_group)")
exec 4<>"/dev/vfio/$g"
check "vfio refuses to unload while a group is open" \
	sh -c '! rmmod vfio 2>/dev/null'
exec 4>&-
check "vfio_mock unloads with devices left, removing them" \
	sh -c 'rmmod vfio_mock && [ ! -e /dev/vfio/'"$g"' ]'
check "vfio unloads last, leaving nothing" sh -c 'rmmod vfio && true'

# Leave the base module loaded for the tests that follow.
modprobe vfio
[ $failed = 0 ]
