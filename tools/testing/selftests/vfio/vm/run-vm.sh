#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boot the test VM (q35, emulated Intel IOMMU, TCG) with an initramfs and
# copy its console to a log.  Never hangs: after TIMEOUT seconds QEMU is
# killed, the console's tail and where each vCPU was are printed, and the
# exit status is 124.
#
#   run-vm.sh -k KERNEL -i INITRD -l LOG [-t TIMEOUT] [-m MEM] [-a CMDLINE]
#             [-- QEMU ARGS...]
set -uo pipefail

kernel= initrd= log= timeout=${VM_TIMEOUT:-900} mem=2G append=
# A guest wedged in a soft lockup panics, with every CPU's backtrace on
# the console, instead of sitting out the timeout.
lockup="softlockup_panic=1 panic_print=0x40"
# On a loaded host TCG can be too slow for the kernel's boot-time check
# that the timer interrupt arrives through the interrupt-remapped IO-APIC,
# and the guest panics before init; the check proves nothing in a VM.
timer=no_timer_check
while getopts "k:i:l:t:m:a:" opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	i) initrd=$OPTARG ;;
	l) log=$OPTARG ;;
	t) timeout=$OPTARG ;;
	m) mem=$OPTARG ;;
	a) append=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))

here=$(cd "$(dirname "$0")" && pwd)
disk=$(dirname "$log")/nvme.img
# The NVMe's first block holds a pattern the DMA tests read back.
truncate -s 0 "$disk"
truncate -s 64M "$disk"
printf 'VFIO-TEST-NVME-PATTERN-0123456789abcdef\n' |
	dd of="$disk" conv=notrunc status=none

# -accel kvm hangs on these machines; TCG with -cpu max gives the guest
# nested SVM, so KVM works inside it.  Virtio devices need
# iommu_platform=on or their DMA bypasses the IOMMU.  Behind the PCI
# bridge, two functions share one IOMMU group (viability tests).  The
# standard VGA at 09.0 is for the legacy VGA region.  The PCI test
# device at 0a.0 has no INTx pin, so enabling it involves no ACPI _PRT.
# The i6300esb watchdog at 0b.0 has a memory BAR of 16 bytes.
#
# VM_ACCEL replaces the accelerator options: the suite runs with
# tcg,thread=single (see the top-level Makefile).  VM_IOMMU=none boots
# the machine without its IOMMU, as most cloud VMs are (no-IOMMU mode);
# VM_IOMMU=intel-nointremap with one that does not remap interrupts.
iommu=(-device intel-iommu,intremap=on,caching-mode=on) iommu_on=intel_iommu=on
case ${VM_IOMMU:-intel} in
none) iommu=() iommu_on= ;;
intel-nointremap) iommu=(-device intel-iommu,intremap=off,caching-mode=on) ;;
esac
qemu=(qemu-system-x86_64 -accel "${VM_ACCEL:-tcg}" -cpu max -smp 2 -m "$mem"
	-M q35,kernel-irqchip=split -nodefaults -display none -no-reboot
	-serial stdio
	"${iommu[@]}"
	-netdev hubport,id=h0,hubid=0
	-device virtio-net-pci,netdev=h0,addr=03.0,disable-legacy=on,iommu_platform=on
	-netdev hubport,id=h1,hubid=0
	-device e1000,netdev=h1,addr=04.0
	-drive file="$disk",if=none,id=nv0,format=raw
	-device nvme,drive=nv0,serial=vfiotest0,addr=05.0
	-device virtio-rng-pci,addr=07.0,disable-legacy=on,iommu_platform=on
	-device VGA,addr=09.0
	-device pci-testdev,addr=0a.0
	-device i6300esb,addr=0b.0
	-device nvme-subsys,id=ss0
	-device nvme,serial=vfiosriov,subsys=ss0,addr=08.0,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,msix_qsize=4
	-device pci-bridge,id=br1,chassis_nr=1,addr=06.0
	-netdev user,id=n2,restrict=on -device e1000,netdev=n2,bus=br1,addr=01.0
	-netdev user,id=n3,restrict=on -device e1000,netdev=n3,bus=br1,addr=02.0
	"$@"
	-kernel "$kernel" -initrd "$initrd"
	-append "console=ttyS0 $iommu_on panic=-1 nokaslr quiet $lockup $timer $append")

: > "$log"
start=$(date +%s)
mon=$(dirname "$log")/monitor.sock
rm -f "$mon"
"${qemu[@]}" -monitor "unix:$mon,server=on,wait=off" < /dev/null >> "$log" 2>&1 &
pid=$!
while kill -0 $pid 2> /dev/null; do
	if [ $(($(date +%s) - start)) -ge "$timeout" ]; then
		echo "run-vm: TIMEOUT after $timeout s; console tail:" >&2
		tail -n 40 "$log" >&2
		# Where the guest is stuck, before it is killed.
		python3 "$here/vcpu-where.py" "$mon" >&2 || true
		kill -9 $pid
		wait $pid 2> /dev/null
		exit 124
	fi
	sleep 1
done
wait $pid
rc=$?
echo "run-vm: QEMU exited with $rc after $(($(date +%s) - start)) s" >&2
if ! grep -q '^VFIOTEST DONE' <(tr -d '\r' < "$log"); then
	echo "run-vm: the guest did not finish; console tail:" >&2
	tail -n 40 "$log" >&2
	exit 125
fi
exit 0
