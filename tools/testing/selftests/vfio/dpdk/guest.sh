#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Run in the test VM (as /selftests/dpdk.sh): bind the virtio-net (03.0)
# and the e1000 (04.0) to our vfio-pci and let dpdk-testpmd forward
# between them for a while: both ports must receive and send, with no
# packet dropped.  TAP output.
#
# With VFIO_NOIOMMU=1 (noiommu/run.sh: a VM without an IOMMU), through
# no-IOMMU mode instead: the NICs DMA to physical addresses, which
# testpmd programs itself (--iova-mode=pa).
nics="0000:00:03.0 0000:00:04.0"
. /lib/vfio-test/tap.sh

echo "TAP version 13"
iova=
if [ "${VFIO_NOIOMMU:-0}" = 1 ]; then
	echo "1..7"
	modprobe vfio || bail "no vfio"
	echo Y > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode ||
		bail "no no-IOMMU mode in vfio"
	iova=--iova-mode=pa
else
	echo "1..6"
	modprobe vfio_iommu_type1 || bail "no vfio_iommu_type1"
fi
modprobe vfio-pci || bail "no vfio-pci"
bind_vfio_pci $nics
check "both NICs are bound to our vfio-pci" sh -c \
	"[ -e /sys/bus/pci/drivers/vfio-pci/0000:00:03.0 ] &&
	 [ -e /sys/bus/pci/drivers/vfio-pci/0000:00:04.0 ]"

mkdir -p /dev/hugepages
mount -t hugetlbfs nodev /dev/hugepages
echo 256 > /proc/sys/vm/nr_hugepages

mkdir -p /var/run
pmds=
for d in /opt/dpdk-pmds/*.so; do
	pmds="$pmds -d $d"
done
# Forwarding gets what is left of the time after EAL's start-up (the
# hugepage mappings), slower on the debug kernel: the time scales.
timeout -s INT $((20 * ${VFIO_TIME_SCALE:-1})) dpdk-testpmd -l 0-1 -n 1 --in-memory $iova $pmds \
	-a 0000:00:03.0 -a 0000:00:04.0 -- --total-num-mbufs=2048 \
	--forward-mode=io --tx-first --stats-period=5 </dev/null \
	> /tmp/testpmd.log 2>&1
sed 's/^/# /' /tmp/testpmd.log | grep -vE '^# *$' | tail -n 40

# The summary testpmd prints at exit, for all ports together.
total=$(sed -n '/Accumulated forward statistics for all ports/,/^ *+\+$/p' \
	/tmp/testpmd.log)
echo "$total" | sed 's/^/# total: /'
field() { echo "$total" | sed -n "s/.*$1: *\([0-9]*\).*/\1/p" | head -n 1; }
check "testpmd started both ports" \
	grep -q "Port 1: " /tmp/testpmd.log
check "packets were forwarded" test "$(field RX-packets)" -gt 1000 2>/dev/null
check "no packet was dropped on receive" test "$(field RX-dropped)" = 0
check "no packet was dropped on send" test "$(field TX-dropped)" = 0
[ -z "$iova" ] || check "testpmd had both NICs through no-IOMMU mode" \
	test "$(dmesg | grep -c 'without IOMMU isolation opened by dpdk-testpmd')" -ge 2
check_kernel_quiet 'DMAR: \[DMA'
