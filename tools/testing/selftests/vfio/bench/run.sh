#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: boot the test VM with Debian's VFIO modules and with ours,
# in turns, BENCH_ROUNDS times each (default 2), run type1_bench in each
# boot, and print ours/Debian ratios of the best time of every row.
# BENCH_ROWS limits the rows (see type1_bench.c).  The
# host's speed drifts over minutes; taking turns spreads that over both.
#
#   run.sh TOP KVER BENCH_BINARY OUTDIR "OUR_KOS" [SIZE_MIB...]
set -euo pipefail

top=$1 kver=$2 bin=$3 out=$4 kos=$5
shift 5
sizes=${*:-64 256 1024}
vm=$top/tools/testing/selftests/vfio/vm
here=$top/tools/testing/selftests/vfio/bench
guest_mods=(-m e1000)
# A 1 GiB BAR for the peer-to-peer rows: ivshmem-plain's shared memory.
bar=(-object memory-backend-ram,id=bar,size=1G,share=on
     -device ivshmem-plain,memdev=bar,addr=0c.0)
mkdir -p "$out"
echo "$sizes" > "$out/sizes"

# Debian's VFIO modules and their build-ids, for the guest's check.
debian=$out/debian-root
rm -rf "$debian"
mkdir -p "$debian/lib/modules/$kver/debian" "$debian/etc/vfio-bench"
: > "$debian/etc/vfio-bench/debian"
for m in irqbypass vfio vfio_virqfd vfio_iommu_type1 vfio-pci-core vfio-pci; do
	src=$(modinfo -k "$kver" -n "$m")
	case $src in
	*.xz) xz -dc "$src" > "$debian/lib/modules/$kver/debian/$m.ko" ;;
	*.zst) zstd -qdc "$src" > "$debian/lib/modules/$kver/debian/$m.ko" ;;
	*) cp "$src" "$debian/lib/modules/$kver/debian/$m.ko" ;;
	esac
	id=$(readelf -n "$debian/lib/modules/$kver/debian/$m.ko" |
	     awk '/Build ID:/ {print $3}')
	echo "${m//-/_} $id" >> "$debian/etc/vfio-bench/debian"
done
# vfio_pin_bench.ko keeps to 6.1's in-kernel API: built against Debian's
# own headers it times Debian's vfio_pin_pages() as ours times ours.
pin=$out/pin-bench-debian
rm -rf "$pin"
mkdir -p "$pin"
cp "$top/drivers/vfio/test/pin_bench.c" \
	"$top/drivers/vfio/test/vfio_pin_bench_api.h" "$pin/"
printf 'obj-m := vfio_pin_bench.o\nvfio_pin_bench-y := pin_bench.o\n' \
	> "$pin/Kbuild"
make -s -C "/usr/src/linux-headers-$kver" M="$pin" modules
cp "$pin/vfio_pin_bench.ko" "$debian/lib/modules/$kver/debian/"
echo debian > "$debian/etc/vfio-bench/mode"
echo ours > "$out/mode-ours"

make_initramfs() {
	local mode=$1 extra=()
	if [ "$mode" = ours ]; then
		for ko in $kos; do extra+=(-O "$ko"); done
		extra+=(-f "$out/mode-ours:/etc/vfio-bench/mode")
	fi
	"$vm/mkinitramfs.sh" -o "$out/$mode.gz" -k "$kver" -i "$here/init.sh" \
		"${guest_mods[@]}" "${extra[@]}" \
		-f "$bin:/bench/type1_bench" -f "$out/sizes:/etc/vfio-bench/sizes"
	if [ "$mode" = debian ]; then
		# Debian's VFIO modules go in a second archive the kernel
		# unpacks over the first: the test VM's builder refuses them.
		(cd "$debian" && find . -print0 |
		 cpio --null -o -H newc --quiet -R 0:0) | gzip -1 >> "$out/$mode.gz"
	fi
}

boot() {
	local mode=$1 round=$2

	"$vm/run-vm.sh" -k "/boot/vmlinuz-$kver" -i "$out/$mode.gz" -m 4G \
		-t 1500 -l "$out/$mode-$round.log" \
		${BENCH_ROWS:+-a "BENCH_ROWS=$BENCH_ROWS"} -- "${bar[@]}" || true
	tr -d '\r' < "$out/$mode-$round.log" | grep -E '^VFIOBENCH|^BENCH' |
		tee -a "$out/$mode.txt"
}

make_initramfs debian
make_initramfs ours
rm -f "$out/debian.txt" "$out/ours.txt"
for round in $(seq "${BENCH_ROUNDS:-2}"); do
	boot debian "$round"
	boot ours "$round"
done

python3 - "$out/debian.txt" "$out/ours.txt" <<'PY' | tee "$out/results.txt"
import sys

def load(path):
    """The best map and unmap time of every row over all boots."""
    res = {}
    for line in open(path):
        f = line.split()
        if not f or f[0] != 'BENCH':
            continue
        key, m, u = (f[1], int(f[2])), float(f[3]), float(f[4])
        if key in res:
            m, u = min(m, res[key][0]), min(u, res[key][1])
        res[key] = (m, u, f[5])
    return res

deb, ours = load(sys.argv[1]), load(sys.argv[2])
if not deb or not ours:
    sys.exit('bench: a run produced no results')
print('%-16s %6s %8s %10s %10s %6s %10s %10s %6s' % (
    'backing', 'MiB', 'runs', 'map deb', 'map ours', 'ratio',
    'unmap deb', 'unmap ours', 'ratio'))
for key in sorted(deb, key=lambda k: (list(deb).index(k))):
    if key not in ours:
        continue
    (dm, du, runs), (om, ou, _) = deb[key], ours[key]
    print('%-16s %6s %8s %8.2fms %8.2fms %6.3f %8.2fms %8.2fms %6.3f' % (
        key[0], key[1] or '-', runs, dm / 1e3, om / 1e3, om / dm,
        du / 1e3, ou / 1e3, ou / du))
print('ratio = ours / Debian: below 1 is faster than Debian')
print('pin-xN: vfio_pin_pages() of 4 KiB memory, N pages a call, by an')
print('emulated-IOMMU device; its map columns time pinning, unmap unpinning')
print('4k-xN, 2m-xN: N mappings one MAP_DMA each, then one UNMAP_DMA each')
print('(-all: one for all); churn: one page mapped and unmapped N times;')
print('the times are the totals of the N calls')
print('bar-*: MAP_DMA of a VM_PFNMAP BAR mmapped through vfio-pci, with no')
print('page faulted in yet or every page touched first')
PY
