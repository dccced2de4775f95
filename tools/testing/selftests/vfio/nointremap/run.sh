#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Interrupt remapping off: msi_isolation_test in a VM of its own, whose
# Intel IOMMU translates DMA but does not remap interrupts (as some
# hypervisors' virtual IOMMUs and older hosts do).  A full make check
# runs it after the suite, make check-nointremap alone.
#
#   run.sh OUT KVER OUR.ko...
#
# VFIO_SELFTESTS: where msi_isolation_test was built (default:
# OUT/../selftests).  VFIO_VM_KERNEL, VFIO_VM_KVER, VFIO_VM_MODROOT,
# VFIO_VM_APPEND and VFIO_TIME_SCALE as in vm/nested.sh.
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: run.sh OUT KVER OUR.ko..." >&2; exit 2; }
out=$1 kver=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
vm=$here/../vm
built=${VFIO_SELFTESTS:-$(dirname "$out")/selftests}
mkdir -p "$out"
printf 'VFIOTEST BEGIN nointremap.sh\nVFIOTEST END nointremap.sh rc=1\n' > "$out/all.log"
[ -x "$built/msi_isolation_test" ] ||
	{ echo "nointremap: $built/msi_isolation_test was not built" >&2; exit 1; }

args=()
for ko in "$@"; do
	args+=(-O "$ko")
done
scale=${VFIO_TIME_SCALE:-1}
vm_root=()
[ -z "${VFIO_VM_MODROOT:-}" ] || vm_root=(-R "$VFIO_VM_MODROOT")
echo "msi_isolation_test $((180 * scale))" > "$out/plan"
"$vm/mkinitramfs.sh" -o "$out/initramfs.gz" -k "${VFIO_VM_KVER:-$kver}" \
	"${vm_root[@]}" -i "$vm/init.sh" -m e1000 "${args[@]}" \
	-f "$out/plan:/etc/vfio-test/plan" \
	-f "$built/msi_isolation_test:/selftests/msi_isolation_test"

rc=0
VM_IOMMU=intel-nointremap "$vm/run-vm.sh" \
	-k "${VFIO_VM_KERNEL:-/boot/vmlinuz-$kver}" -i "$out/initramfs.gz" \
	-l "$out/console.log" -t $((600 * scale)) \
	-a "${VFIO_VM_APPEND:-} VFIO_TIME_SCALE=$scale" || rc=$?
tr -d '\r' < "$out/console.log" | grep -vE '^\[ *[0-9]+\.[0-9]+\]' \
	> "$out/all.log"
grep -E '^(VFIOTEST|ok|not ok|#)' "$out/all.log" || true
python3 "$vm/tap-summary.py" "$out/all.log" && [ $rc = 0 ]
