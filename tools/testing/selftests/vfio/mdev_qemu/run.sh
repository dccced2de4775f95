#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# QEMU as a client of a mediated device, nested: the test VM creates an
# mcounter instance and runs QEMU on it with "-device vfio-pci,sysfsdev=";
# the inner guest finds the device on its PCI bus and drives its BAR.  A
# full make check runs it after the suite, make check-mdev-qemu alone.
#
#   run.sh OUT KVER OUR.ko...
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: run.sh OUT KVER OUR.ko..." >&2; exit 2; }
out=$1 kver=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
gcc -static -O2 -Wall -o "$out/mcounter_poke" "$here/mcounter_poke.c"
exec "$here/../vm/nested.sh" -o "$out" -k "$kver" -n mdev_qemu.sh \
	-g "$here/guest.sh" -I "$here/inner.sh" \
	-b "$out/mcounter_poke:/bin/mcounter_poke" "$@"
