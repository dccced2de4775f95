#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Run in the test VM (as /selftests/pci_qemu.sh): bind the NVMe to our
# vfio-pci and pass it to an inner KVM guest with QEMU's
# "-device vfio-pci,host="; the inner guest reads the pattern run-vm.sh
# wrote to the disk's first block.  A kprobe on vfio_file_set_kvm shows
# QEMU registering the group with its VM through the KVM-VFIO device.
# The inner guest's console is shown with an "inner| " prefix.  TAP.
bdf=0000:00:05.0
dev=/sys/bus/pci/devices/$bdf
tr=/sys/kernel/tracing
. /lib/vfio-test/tap.sh

echo "TAP version 13"
echo "1..6"
modprobe vfio_iommu_type1 || bail "no vfio_iommu_type1"
modprobe vfio-pci || bail "no vfio-pci"
load_kvm
[ -c /dev/kvm ] || bail "no /dev/kvm: the KVM-VFIO device needs KVM"

bind_vfio_pci $bdf
check "the NVMe is bound to our vfio-pci" \
	test "$(basename "$(readlink "$dev/driver")")" = vfio-pci
echo "# IOMMU group $(basename "$(readlink "$dev/iommu_group")")"

mount -t tracefs nodev $tr 2>/dev/null
echo 'p:vfio_setkvm vfio_file_set_kvm kvm=%si:x64' >> $tr/kprobe_events &&
	echo 1 > $tr/events/kprobes/vfio_setkvm/enable ||
	echo "# no kprobe on vfio_file_set_kvm"

timeout 600 qemu-system-x86_64 -accel kvm -cpu max -m 256M -smp 1 \
	-M q35 -nodefaults -display none -no-reboot -serial stdio \
	-monitor none -device vfio-pci,host=$bdf \
	-kernel /inner/vmlinux -initrd /inner/initrd.gz \
	-append "console=ttyS0 panic=-1 quiet" </dev/null 2>&1 |
	awk '{ print "inner| " $0; fflush() }' > /tmp/inner.log
cat /tmp/inner.log
check "the inner guest found the NVMe" grep -q "NVME_INNER: found" /tmp/inner.log
check "the inner guest read the disk's pattern" \
	grep -q "NVME_INNER: PASS" /tmp/inner.log

grep vfio_setkvm $tr/trace | sed 's/^/# /'
check "QEMU gave our group its VM through the KVM-VFIO device" \
	sh -c "grep vfio_setkvm $tr/trace | grep -qv 'kvm=0x0\$'"
check "and took it back when it quit" \
	sh -c "grep vfio_setkvm $tr/trace | tail -n 1 | grep -q 'kvm=0x0\$'"
check_kernel_quiet
