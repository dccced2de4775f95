#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# DPDK 22.11 as a client of our vfio-pci and type1: dpdk-testpmd drives
# the test VM's virtio-net and e1000, cabled to each other through a QEMU
# hub, and forwards packets between them.  Its own VM run: a full make
# check runs it after the suite, make check-dpdk alone.
#
# With VFIO_NOIOMMU=1 (noiommu/run.sh) the VM has no IOMMU: noiommu_test
# runs first, then testpmd through no-IOMMU mode (--iova-mode=pa).
#
#   run.sh OUT KVER OUR.ko...
#
# VFIO_SELFTESTS: where noiommu_test was built (default: OUT/../selftests);
# the rest of the environment as in vm/client.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
vm=$here/../vm
. "$vm/client.sh"
noiommu=${VFIO_NOIOMMU:-0}
name=dpdk.sh
[ "$noiommu" = 0 ] || name=noiommu.sh
client_init $name "$@"

# DPDK would load every driver of its plugin directory, so the guest has
# none: the drivers testpmd is not linked with go elsewhere and guest.sh
# names them with -d.
pmds=/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0
client_args+=(-b /usr/bin/dpdk-testpmd)
for pmd in mempool_ring net_virtio net_e1000; do
	client_args+=(-b "$pmds/librte_$pmd.so.23.0:/opt/dpdk-pmds/librte_$pmd.so")
done
: > "$out/plan"
iommu=intel
if [ "$noiommu" != 0 ]; then
	built=${VFIO_SELFTESTS:-$(dirname "$out")/selftests}
	[ -x "$built/noiommu_test" ] ||
		{ echo "noiommu: $built/noiommu_test was not built" >&2; exit 1; }
	client_args+=(-m e1000 -f "$built/noiommu_test:/selftests/noiommu_test")
	echo "noiommu_test $((180 * scale))" >> "$out/plan"
	iommu=none
fi
echo "dpdk.sh $((300 * scale))" >> "$out/plan"
"$vm/mkinitramfs.sh" -o "$out/initramfs.gz" -k "${VFIO_VM_KVER:-$kver}" \
	"${vm_root[@]}" -i "$vm/init.sh" \
	"${client_args[@]}" -f "$out/plan:/etc/vfio-test/plan" \
	-f "$here/guest.sh:/selftests/dpdk.sh" \
	-f "$vm/tap.sh:/lib/vfio-test/tap.sh"
client_boot $iommu "VFIO_NOIOMMU=$noiommu"
