#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Run in the test VM (as /selftests/mdev_qemu.sh): create an mcounter
# instance and hand it to an inner guest with QEMU's vfio-pci device.  The
# inner guest's console is shown with an "inner| " prefix.  TAP output.
uuid=0b5e55ed-0000-4000-8000-00000000e1ed
dev=/sys/bus/mdev/devices/$uuid
. /lib/vfio-test/tap.sh

echo "TAP version 13"
echo "1..5"
modprobe vfio_iommu_type1 || bail "no vfio_iommu_type1"
modprobe mcounter || bail "no mcounter"
load_kvm
accel=tcg
[ -c /dev/kvm ] && accel=kvm
echo "# inner guest accelerator: $accel"

check "create an mcounter instance" sh -c "echo $uuid > \
/sys/class/mdev_bus/mcounter/mdev_supported_types/mcounter-basic/create"
echo "# IOMMU group $(basename "$(readlink "$dev/iommu_group")")"

timeout 600 qemu-system-x86_64 -accel $accel -cpu max -m 256M -smp 1 \
	-M q35 -nodefaults -display none -no-reboot -serial stdio \
	-monitor none -device vfio-pci,sysfsdev=$dev \
	-kernel /inner/vmlinux -initrd /inner/initrd.gz \
	-append "console=ttyS0 panic=-1 quiet" </dev/null 2>&1 |
	awk '{ print "inner| " $0; fflush() }' > /tmp/inner.log
cat /tmp/inner.log
check "the inner guest found the device" \
	grep -q "MCOUNTER_INNER: found" /tmp/inner.log
check "the inner guest's writes read back" \
	grep -q "MCOUNTER_INNER: PASS" /tmp/inner.log

# QEMU closed the device, so removal must not wait for anyone.
check "remove the instance once QEMU exited" \
	timeout 10 sh -c "echo 1 > $dev/remove && [ ! -e $dev ]"
check_kernel_quiet
