#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# QEMU as a client of a mediated device, nested: the test VM loads our
# modules, creates an mcounter instance and runs QEMU on it with
# "-device vfio-pci,sysfsdev=..."; the inner guest finds the device on its
# PCI bus and drives its BAR.  It boots a VM of its own, with QEMU and an
# inner kernel in its initramfs; a full make check runs it after the
# suite, make check-mdev-qemu alone.  Uses the suite's VM tools (../vm/).
#
#   run.sh OUT KVER OUR.ko...
#
# OUT is a scratch directory for the images and logs.  Prints the framed
# TAP of the test VM and exits 0 if the inner guest's checks passed.
# OUT/all.log always gets a framed result, a failure if the VM never ran.
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: run.sh OUT KVER OUR.ko..." >&2; exit 2; }
out=$1 kver=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
vm=$here/../vm
kernel=/boot/vmlinuz-$kver
mkdir -p "$out"
printf 'VFIOTEST BEGIN mdev_qemu.sh\nVFIOTEST END mdev_qemu.sh rc=1\n' \
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

gcc -static -O2 -Wall -o "$out/mcounter_poke" "$here/mcounter_poke.c"
"$vm/mkinitramfs.sh" -o "$out/inner.cpio.gz" -k "$kver" -i "$here/inner.sh" \
	-b "$out/mcounter_poke:/bin/mcounter_poke"

# QEMU with what it loads at run time: its TCG accelerator module (a
# fallback when the test VM has no KVM), the BIOS and option ROMs.
qemu_files=()
for f in /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so \
	 /usr/share/seabios/bios-256k.bin /usr/share/qemu/linuxboot_dma.bin \
	 /usr/share/qemu/kvmvapic.bin /usr/share/qemu/pvh.bin; do
	qemu_files+=(-f "$f:$f")
done
ours=()
for ko in "$@"; do
	ours+=(-O "$ko")
done
echo "mdev_qemu.sh 800" > "$out/plan"
"$vm/mkinitramfs.sh" -o "$out/outer.cpio.gz" -k "$kver" -i "$vm/init.sh" \
	"${ours[@]}" -m kvm -m kvm_amd -m kvm_intel -m irqbypass \
	-b /usr/bin/qemu-system-x86_64 "${qemu_files[@]}" \
	-f "$out/vmlinux:/inner/vmlinux" -f "$out/inner.cpio.gz:/inner/initrd.gz" \
	-f "$out/plan:/etc/vfio-test/plan" \
	-f "$here/guest.sh:/selftests/mdev_qemu.sh"

rc=0
"$vm/run-vm.sh" -k "$kernel" -i "$out/outer.cpio.gz" -l "$out/console.log" \
	-t 900 || rc=$?
tr -d '\r' < "$out/console.log" | grep -vE '^\[ *[0-9]+\.[0-9]+\]' \
	> "$out/all.log"
grep -E '^(VFIOTEST|ok|not ok|#)|inner\| MCOUNTER' "$out/all.log" || true
python3 "$vm/tap-summary.py" "$out/all.log" && [ $rc = 0 ]
