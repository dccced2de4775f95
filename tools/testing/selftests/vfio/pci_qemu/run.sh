#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# QEMU passing the test VM's NVMe through our vfio-pci to a nested KVM
# guest, which reads a known pattern from the disk.  A full make check
# runs it after the suite, make check-pci-qemu alone; make demo shows it.
#
#   run.sh OUT KVER OUR.ko...
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: run.sh OUT KVER OUR.ko..." >&2; exit 2; }
out=$1 kver=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../vm/nested.sh" -o "$out" -k "$kver" -n pci_qemu.sh \
	-g "$here/guest.sh" -I "$here/inner.sh" -m nvme "$@"
