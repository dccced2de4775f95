#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the bench VM.  /etc/vfio-bench/mode says which VFIO modules to
# load: "ours" (from /lib/modules/KVER/extra, as in the test VM) or
# "debian" (Debian's own, from /lib/modules/KVER/debian, loaded by path).
# Either way every loaded VFIO module must carry the build-id listed for
# that mode, so a run can never measure the other set by mistake.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/hugepages
mount -t hugetlbfs hugetlbfs /dev/hugepages
exec </dev/console >/dev/console 2>&1

mode=$(cat /etc/vfio-bench/mode)
bdf=0000:00:04.0
echo "VFIOBENCH: mode $mode, kernel $(uname -r)"

# Every loaded module of the list must carry its listed build-id.
check_ids() {
	ok=0
	while read -r name id; do
		[ -d "/sys/module/$name" ] || continue
		got=$(hexdump -s 16 -v -e '1/1 "%02x"' \
			"/sys/module/$name/notes/.note.gnu.build-id")
		[ "$got" = "$id" ] && continue
		echo "VFIOBENCH: module $name is not the $mode one"
		ok=1
	done < "$1"
	return $ok
}

modprobe -q e1000
if [ "$mode" = debian ]; then
	dir=/lib/modules/$(uname -r)/debian
	for m in irqbypass vfio vfio_virqfd vfio_iommu_type1 vfio-pci-core \
		 vfio-pci vfio_pin_bench; do
		insmod "$dir/$m.ko" || echo "VFIOBENCH: insmod $m failed"
	done
	ids=/etc/vfio-bench/debian
	driver=vfio-pci
else
	modprobe vfio
	modprobe vfio_iommu_type1
	ids=/etc/vfio-test/ours
	driver=vfio-pci
	modprobe vfio-pci || { modprobe vfio_mock && driver=vfio-mock-pci; }
	modprobe vfio_pin_bench || echo "VFIOBENCH: no vfio_pin_bench"
fi
if check_ids "$ids" && [ -d /sys/module/vfio_iommu_type1 ]; then
	echo always > /sys/kernel/mm/transparent_hugepage/enabled
	echo 600 > /proc/sys/vm/nr_hugepages
	echo "$driver" > /sys/bus/pci/devices/$bdf/driver_override
	echo $bdf > /sys/bus/pci/devices/$bdf/driver/unbind
	echo $bdf > /sys/bus/pci/drivers_probe
	echo "VFIOBENCH: $bdf on $(basename "$(readlink \
		/sys/bus/pci/devices/$bdf/driver)"), $(grep HugePages_Total \
		/proc/meminfo)"
	# ivshmem-plain's 1 GiB BAR, for the peer-to-peer rows.
	bar=0000:00:0c.0
	if [ -d /sys/bus/pci/devices/$bar ]; then
		echo "$driver" > /sys/bus/pci/devices/$bar/driver_override
		echo $bar > /sys/bus/pci/drivers_probe
	else
		bar=
	fi
	BAR_BDF=$bar /bench/type1_bench $bdf $(cat /etc/vfio-bench/sizes)
	echo "VFIOBENCH: rc=$?"
else
	echo "VFIOBENCH: STACK CHECK FAILED"
fi
echo "VFIOTEST DONE"
sync
poweroff -f
