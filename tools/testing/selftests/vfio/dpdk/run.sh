#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# DPDK 22.11 as a client of our vfio-pci and type1: dpdk-testpmd drives
# the test VM's virtio-net and e1000, cabled to each other through a QEMU
# hub, and forwards packets between them.  Its own VM run: a full make
# check runs it after the suite, make check-dpdk alone.
#
#   run.sh OUT KVER OUR.ko...
#
# VFIO_VM_KERNEL, VFIO_VM_KVER, VFIO_VM_MODROOT, VFIO_VM_APPEND and
# VFIO_TIME_SCALE as in vm/nested.sh.
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
scale=${VFIO_TIME_SCALE:-1}
vm_root=()
[ -z "${VFIO_VM_MODROOT:-}" ] || vm_root=(-R "$VFIO_VM_MODROOT")
echo "dpdk.sh $((300 * scale))" > "$out/plan"
"$vm/mkinitramfs.sh" -o "$out/initramfs.gz" -k "${VFIO_VM_KVER:-$kver}" \
	"${vm_root[@]}" -i "$vm/init.sh" \
	"${args[@]}" -f "$out/plan:/etc/vfio-test/plan" \
	-f "$here/guest.sh:/selftests/dpdk.sh" \
	-f "$vm/tap.sh:/lib/vfio-test/tap.sh"

rc=0
"$vm/run-vm.sh" -k "${VFIO_VM_KERNEL:-/boot/vmlinuz-$kver}" \
	-i "$out/initramfs.gz" -l "$out/console.log" -t $((600 * scale)) \
	-a "${VFIO_VM_APPEND:-} VFIO_TIME_SCALE=$scale" || rc=$?
tr -d '\r' < "$out/console.log" | grep -vE '^\[ *[0-9]+\.[0-9]+\]' \
	> "$out/all.log"
grep -E '^(VFIOTEST|ok|not ok|#)' "$out/all.log" || true
python3 "$vm/tap-summary.py" "$out/all.log" && [ $rc = 0 ]
