#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The race tests on truly parallel vCPUs.  The suite's VM runs its two
# vCPUs on one TCG thread (see SUITE_ACCEL in the top-level Makefile),
# which switches between them only when one idles or at its 100 ms
# kick: two threads almost never meet inside a spinlocked section there,
# and a race test passes whatever the kernel does.  Here the vCPUs get a
# host thread each, as on real hardware, and the programs whose tests
# are races of vfio-pci run again, pci_intx_test's free-running INTx race
# included (VFIO_INTX_STRESS=1).  A full make check runs this after the
# suite, make check-races alone; make check-debug runs it on the debug
# kernel.
#
#   run.sh OUT KVER OUR.ko...
#
# VFIO_SELFTESTS: where the programs were built (default:
# OUT/../selftests); the rest of the environment as in vm/client.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
vm=$here/../vm
. "$vm/client.sh"
client_init races.sh "$@"
built=${VFIO_SELFTESTS:-$(dirname "$out")/selftests}
programs="pci_intx_test pci_irq_test pci_reset_test"
files=()
: > "$out/plan"
for p in $programs; do
	[ -x "$built/$p" ] ||
		{ echo "races: $built/$p was not built" >&2; exit 1; }
	echo "$p $((180 * scale))" >> "$out/plan"
	files+=(-f "$built/$p:/selftests/$p")
done
"$vm/mkinitramfs.sh" -o "$out/initramfs.gz" -k "${VFIO_VM_KVER:-$kver}" \
	"${vm_root[@]}" -i "$vm/init.sh" -m nvme -m e1000 -m virtio_net \
	-m virtio_pci "${client_args[@]}" \
	-f "$out/plan:/etc/vfio-test/plan" "${files[@]}"
export VM_ACCEL=tcg,thread=multi
client_boot intel VFIO_INTX_STRESS=1
