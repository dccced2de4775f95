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
# OUT/../selftests); the rest of the environment as in vm/client.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
vm=$here/../vm
. "$vm/client.sh"
client_init nointremap.sh "$@"
built=${VFIO_SELFTESTS:-$(dirname "$out")/selftests}
[ -x "$built/msi_isolation_test" ] ||
	{ echo "nointremap: $built/msi_isolation_test was not built" >&2; exit 1; }
echo "msi_isolation_test $((180 * scale))" > "$out/plan"
"$vm/mkinitramfs.sh" -o "$out/initramfs.gz" -k "${VFIO_VM_KVER:-$kver}" \
	"${vm_root[@]}" -i "$vm/init.sh" -m e1000 "${client_args[@]}" \
	-f "$out/plan:/etc/vfio-test/plan" \
	-f "$built/msi_isolation_test:/selftests/msi_isolation_test"
client_boot intel-nointremap ""
