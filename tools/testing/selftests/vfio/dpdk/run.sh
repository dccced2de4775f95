#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# DPDK 22.11 as a client of our vfio-pci and type1: dpdk-testpmd drives
# the test VM's virtio-net and e1000, cabled to each other through a QEMU
# hub, and forwards packets between them.  Its own VM run: a full make
# check runs it after the suite, make check-dpdk alone.
#
#   run.sh OUT KVER OUR.ko...
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: run.sh OUT KVER OUR.ko..." >&2; exit 2; }
out=$1 kver=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
vm=$here/../vm
mkdir -p "$out"
printf 'VFIOTEST BEGIN dpdk.sh\nVFIOTEST END dpdk.sh rc=1\n' > "$out/all.log"

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
echo "dpdk.sh 300" > "$out/plan"
"$vm/mkinitramfs.sh" -o "$out/initramfs.gz" -k "$kver" -i "$vm/init.sh" \
	"${args[@]}" -f "$out/plan:/etc/vfio-test/plan" \
	-f "$here/guest.sh:/selftests/dpdk.sh" \
	-f "$vm/tap.sh:/lib/vfio-test/tap.sh"

rc=0
"$vm/run-vm.sh" -k "/boot/vmlinuz-$kver" -i "$out/initramfs.gz" \
	-l "$out/console.log" -t 600 || rc=$?
tr -d '\r' < "$out/console.log" | grep -vE '^\[ *[0-9]+\.[0-9]+\]' \
	> "$out/all.log"
grep -E '^(VFIOTEST|ok|not ok|#)' "$out/all.log" || true
python3 "$vm/tap-summary.py" "$out/all.log" && [ $rc = 0 ]
