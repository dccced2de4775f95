# SPDX-License-Identifier: GPL-2.0-only
#
# Sourced by the clients that boot a test VM of their own (dpdk/run.sh,
# nointremap/run.sh): what they share.  Their command line is
#
#   run.sh OUT KVER OUR.ko...
#
# and the environment VFIO_VM_KERNEL, VFIO_VM_KVER, VFIO_VM_MODROOT,
# VFIO_VM_APPEND and VFIO_TIME_SCALE as in nested.sh.
#
# client_init NAME "$@": parse the command line into $out and $kver, the
#   modules into $client_args (mkinitramfs options, more may be added),
#   $scale and $vm_root; leave a failing NAME in OUT/all.log until the
#   run replaces it.
# client_boot IOMMU APPEND: boot OUT/initramfs.gz (VM_IOMMU=IOMMU of
#   run-vm.sh, APPEND on the kernel command line), keep the console in
#   OUT/all.log and end with its TAP summary: success only if every test
#   passed and the VM finished.

client_init() {
	local name=$1 ko

	shift
	[ $# -ge 3 ] || { echo "usage: run.sh OUT KVER OUR.ko..." >&2; exit 2; }
	out=$1 kver=$2
	shift 2
	mkdir -p "$out"
	printf 'VFIOTEST BEGIN %s\nVFIOTEST END %s rc=1\n' "$name" "$name" \
		> "$out/all.log"
	client_args=()
	for ko in "$@"; do
		client_args+=(-O "$ko")
	done
	scale=${VFIO_TIME_SCALE:-1}
	vm_root=()
	[ -z "${VFIO_VM_MODROOT:-}" ] || vm_root=(-R "$VFIO_VM_MODROOT")
}

client_boot() {
	local rc=0

	VM_IOMMU=$1 "$vm/run-vm.sh" -k "${VFIO_VM_KERNEL:-/boot/vmlinuz-$kver}" \
		-i "$out/initramfs.gz" -l "$out/console.log" -t $((600 * scale)) \
		-a "${VFIO_VM_APPEND:-} VFIO_TIME_SCALE=$scale $2" || rc=$?
	tr -d '\r' < "$out/console.log" | grep -vE '^\[ *[0-9]+\.[0-9]+\]' \
		> "$out/all.log"
	grep -E '^(VFIOTEST|ok|not ok|#)' "$out/all.log" || true
	python3 "$vm/tap-summary.py" "$out/all.log" && [ $rc = 0 ]
}
