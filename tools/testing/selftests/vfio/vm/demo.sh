#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The demo, run in the test VM: our VFIO stack serving a client.  Prints
# what it does as it goes; TAP lines mark the steps that can fail.
n=0
step() { n=$((n + 1)); echo "ok $n $1"; }
fail() { n=$((n + 1)); echo "not ok $n $1"; }

echo "TAP version 13"
echo "# Our modules, not Debian's (build-ids checked by /init):"
for m in /sys/module/vfio*; do
	echo "#   $(basename "$m") taint=$(cat "$m/taint")"
done
[ -c /dev/vfio/vfio ] && step "/dev/vfio/vfio is served by our vfio.ko" ||
	fail "/dev/vfio/vfio is served by our vfio.ko"

if [ -d /sys/bus/pci/drivers/vfio-pci ] && command -v dpdk-testpmd >/dev/null; then
	echo "# Passing the NICs to DPDK through our vfio-pci..."
	sh /selftests/dpdk-demo.sh && step "DPDK forwarded packets" ||
		fail "DPDK forwarded packets"
else
	echo "# PENDING: passing a PCI device to DPDK or a nested QEMU needs"
	echo "# vfio-pci and type1 (issues 4 and 5).  Meanwhile the core serves"
	echo "# a mock device to a client that uses a real KVM VM:"
	./kvm_test -t captured_at_open > /tmp/demo.log 2>&1 &&
		step "a device captured the client's KVM VM at open" ||
		{ cat /tmp/demo.log; fail "a device captured the client's KVM VM at open"; }
fi
echo "1..$n"
