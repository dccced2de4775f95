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
# VFIO_SELFTESTS: where noiommu_test was built (default: OUT/../selftests).
# VFIO_VM_KERNEL, VFIO_VM_KVER, VFIO_VM_MODROOT, VFIO_VM_APPEND and
# VFIO_TIME_SCALE as in vm/nested.sh.
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: run.sh OUT KVER OUR.ko..." >&2; exit 2; }
out=$1 kver=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
vm=$here/../vm
noiommu=${VFIO_NOIOMMU:-0}
name=dpdk.sh
[ "$noiommu" = 0 ] || name=noiommu.sh
mkdir -p "$out"
printf 'VFIOTEST BEGIN %s\nVFIOTEST END %s rc=1\n' $name $name > "$out/all.log"

# DPDK would load every driver of its plugin directory, so the guest has
# none: the drivers testpmd is not linked with go elsewhere and guest.sh
# names them with -d.
pmds=/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0
args=(-b /usr/bin/dpdk-testpmd)
for pmd in mempool_ring net_virtio net_e1000; do
	args+=(-b "$pmds/librte_$pmd.so.23.0:/opt/dpdk-pmds/librte_$pmd.so")
done
for ko in "$@"; do
	args+=(-O "$ko")
done
scale=${VFIO_TIME_SCALE:-1}
vm_root=()
[ -z "${VFIO_VM_MODROOT:-}" ] || vm_root=(-R "$VFIO_VM_MODROOT")
: > "$out/plan"
iommu=intel
if [ "$noiommu" != 0 ]; then
	built=${VFIO_SELFTESTS:-$(dirname "$out")/selftests}
	[ -x "$built/noiommu_test" ] ||
		{ echo "noiommu: $built/noiommu_test was not built" >&2; exit 1; }
	args+=(-m e1000 -f "$built/noiommu_test:/selftests/noiommu_test")
	echo "noiommu_test $((180 * scale))" >> "$out/plan"
	iommu=none
fi
echo "dpdk.sh $((300 * scale))" >> "$out/plan"
"$vm/mkinitramfs.sh" -o "$out/initramfs.gz" -k "${VFIO_VM_KVER:-$kver}" \
	"${vm_root[@]}" -i "$vm/init.sh" \
	"${args[@]}" -f "$out/plan:/etc/vfio-test/plan" \
	-f "$here/guest.sh:/selftests/dpdk.sh" \
	-f "$vm/tap.sh:/lib/vfio-test/tap.sh"

rc=0
VM_IOMMU=$iommu "$vm/run-vm.sh" -k "${VFIO_VM_KERNEL:-/boot/vmlinuz-$kver}" \
	-i "$out/initramfs.gz" -l "$out/console.log" -t $((600 * scale)) \
	-a "${VFIO_VM_APPEND:-} VFIO_TIME_SCALE=$scale VFIO_NOIOMMU=$noiommu" ||
	rc=$?
tr -d '\r' < "$out/console.log" | grep -vE '^\[ *[0-9]+\.[0-9]+\]' \
	> "$out/all.log"
grep -E '^(VFIOTEST|ok|not ok|#)' "$out/all.log" || true
python3 "$vm/tap-summary.py" "$out/all.log" && [ $rc = 0 ]
