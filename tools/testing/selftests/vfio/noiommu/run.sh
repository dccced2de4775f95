#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# No-IOMMU mode, in a VM of its own without a virtual IOMMU (as most
# cloud VMs are): noiommu_test, then DPDK's testpmd forwarding between
# the virtio-net and the e1000 through no-IOMMU mode (--iova-mode=pa),
# which Debian's own VFIO modules cannot do.  A full make check runs it
# after the suite, make check-noiommu alone.
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
built=${VFIO_SELFTESTS:-$(dirname "$out")/selftests}
mkdir -p "$out"
printf 'VFIOTEST BEGIN noiommu.sh\nVFIOTEST END noiommu.sh rc=1\n' > "$out/all.log"
[ -x "$built/noiommu_test" ] ||
	{ echo "noiommu: $built/noiommu_test was not built" >&2; exit 1; }

# As dpdk/run.sh: testpmd and only the drivers it is given with -d.
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
printf 'noiommu_test %d\ndpdk.sh %d\n' $((180 * scale)) $((300 * scale)) \
	> "$out/plan"
"$vm/mkinitramfs.sh" -o "$out/initramfs.gz" -k "${VFIO_VM_KVER:-$kver}" \
	"${vm_root[@]}" -i "$vm/init.sh" -m e1000 \
	"${args[@]}" -f "$out/plan:/etc/vfio-test/plan" \
	-f "$built/noiommu_test:/selftests/noiommu_test" \
	-f "$here/../dpdk/guest.sh:/selftests/dpdk.sh" \
	-f "$vm/tap.sh:/lib/vfio-test/tap.sh"

rc=0
VM_IOMMU=none "$vm/run-vm.sh" -k "${VFIO_VM_KERNEL:-/boot/vmlinuz-$kver}" \
	-i "$out/initramfs.gz" -l "$out/console.log" -t $((600 * scale)) \
	-a "${VFIO_VM_APPEND:-} VFIO_TIME_SCALE=$scale VFIO_NOIOMMU=1" || rc=$?
tr -d '\r' < "$out/console.log" | grep -vE '^\[ *[0-9]+\.[0-9]+\]' \
	> "$out/all.log"
grep -E '^(VFIOTEST|ok|not ok|#)' "$out/all.log" || true
python3 "$vm/tap-summary.py" "$out/all.log" && [ $rc = 0 ]
