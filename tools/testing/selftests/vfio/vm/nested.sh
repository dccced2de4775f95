#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run a real client of our stack two levels down: the test VM loads our
# modules and runs GUEST (a TAP script) as its only test; GUEST starts
# QEMU, which hands a device through our VFIO to an inner guest whose
# /init is INNER.  QEMU, its firmware and an inner kernel and initramfs
# are packed into the test VM's initramfs.
#
#   nested.sh -o OUT -k KVER -n NAME -g GUEST -I INNER [-b ELF:DST]...
#             [-m MODULE]... OUR.ko...
#
# -b and -m add programs and Debian modules to the inner initramfs.  OUT
# is a scratch directory for images and logs.  Prints the framed TAP of
# the test VM and exits 0 if all its checks passed; OUT/all.log always
# gets a framed result, a failure if the VM never ran.
#
# The test VM boots KVER's Debian kernel unless VFIO_VM_KERNEL,
# VFIO_VM_KVER and VFIO_VM_MODROOT name another (make check-debug's);
# the inner guest always boots Debian's.  VFIO_TIME_SCALE stretches the
# time limit, VFIO_VM_APPEND adds to the test VM's command line.
set -euo pipefail

inner_args=()
while getopts "o:k:n:g:I:b:m:" opt; do
	case $opt in
	o) out=$OPTARG ;;
	k) kver=$OPTARG ;;
	n) name=$OPTARG ;;
	g) guest=$OPTARG ;;
	I) inner=$OPTARG ;;
	b) inner_args+=(-b "$OPTARG") ;;
	m) inner_args+=(-m "$OPTARG") ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
here=$(cd "$(dirname "$0")" && pwd)
kernel=/boot/vmlinuz-$kver
vm_kernel=${VFIO_VM_KERNEL:-$kernel}
vm_kver=${VFIO_VM_KVER:-$kver}
vm_root=()
[ -z "${VFIO_VM_MODROOT:-}" ] || vm_root=(-R "$VFIO_VM_MODROOT")
scale=${VFIO_TIME_SCALE:-1}
mkdir -p "$out"
printf 'VFIOTEST BEGIN %s\nVFIOTEST END %s rc=1\n' "$name" "$name" \
	> "$out/all.log"

# The inner guest boots the uncompressed kernel through PVH: decompressing
# a bzImage two levels of emulation down costs tens of seconds.  Where the
# payload lies is in the boot protocol header: setup_sects at 0x1f1,
# payload_offset and payload_length at 0x248.
python3 - "$kernel" "$out/vmlinux" <<'PY'
import lzma, struct, sys
img = open(sys.argv[1], 'rb').read()
setup = (img[0x1f1] or 4) + 1
off, length = struct.unpack_from('<II', img, 0x248)
start = setup * 512 + off
elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(
    img[start:start + length])
assert elf[:4] == b'\x7fELF', 'the payload is not an XZ-compressed ELF'
open(sys.argv[2], 'wb').write(elf)
PY

"$here/mkinitramfs.sh" -o "$out/inner.cpio.gz" -k "$kver" -i "$inner" \
	"${inner_args[@]}"

# QEMU with what it loads at run time: its TCG accelerator module (a
# fallback when the test VM has no KVM), the BIOS and option ROMs.
qemu_files=()
for f in /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so \
	 /usr/share/seabios/bios-256k.bin /usr/share/qemu/linuxboot_dma.bin \
	 /usr/share/qemu/kvmvapic.bin /usr/share/qemu/pvh.bin \
	 /usr/share/qemu/efi-e1000.rom /usr/share/qemu/efi-virtio.rom; do
	[ -e "$f" ] && qemu_files+=(-f "$f:$f")
done
ours=()
for ko in "$@"; do
	ours+=(-O "$ko")
done
echo "$name $((800 * scale))" > "$out/plan"
"$here/mkinitramfs.sh" -o "$out/outer.cpio.gz" -k "$vm_kver" "${vm_root[@]}" \
	-i "$here/init.sh" "${ours[@]}" \
	-m kvm -m kvm_amd -m kvm_intel -m irqbypass -m nvme \
	-b /usr/bin/qemu-system-x86_64 "${qemu_files[@]}" \
	-f "$out/vmlinux:/inner/vmlinux" -f "$out/inner.cpio.gz:/inner/initrd.gz" \
	-f "$out/plan:/etc/vfio-test/plan" -f "$guest:/selftests/$name" \
	-f "$here/tap.sh:/lib/vfio-test/tap.sh"

rc=0
"$here/run-vm.sh" -k "$vm_kernel" -i "$out/outer.cpio.gz" -l "$out/console.log" \
	-t $((900 * scale)) -a "${VFIO_VM_APPEND:-}" || rc=$?
tr -d '\r' < "$out/console.log" | grep -vE '^\[ *[0-9]+\.[0-9]+\]' \
	> "$out/all.log"
grep -E '^(VFIOTEST|ok|not ok|#)|inner\| ' "$out/all.log" || true
python3 "$here/tap-summary.py" "$out/all.log" && [ $rc = 0 ]
