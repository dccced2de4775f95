#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: boot the test VM twice, once with Debian's VFIO modules and
# once with ours, run type1_bench in each, and print ours/Debian ratios.
#
#   run.sh TOP KVER BENCH_BINARY OUTDIR "OUR_KOS" [SIZE_MIB...]
set -euo pipefail

top=$1 kver=$2 bin=$3 out=$4 kos=$5
shift 5
sizes=${*:-64 256 1024}
vm=$top/tools/testing/selftests/vfio/vm
here=$top/tools/testing/selftests/vfio/bench
guest_mods=(-m e1000)
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
echo debian > "$debian/etc/vfio-bench/mode"
echo ours > "$out/mode-ours"

run_mode() {
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
	"$vm/run-vm.sh" -k "/boot/vmlinuz-$kver" -i "$out/$mode.gz" -m 4G \
		-t 1500 -l "$out/$mode.log" || true
	tr -d '\r' < "$out/$mode.log" | grep -E '^VFIOBENCH|^BENCH' |
		tee "$out/$mode.txt"
}

run_mode debian
run_mode ours

python3 - "$out/debian.txt" "$out/ours.txt" <<'PY' | tee "$out/results.txt"
import sys

def load(path):
    res = {}
    for line in open(path):
        f = line.split()
        if f and f[0] == 'BENCH':
            res[(f[1], int(f[2]))] = (float(f[3]), float(f[4]), f[5])
    return res

deb, ours = load(sys.argv[1]), load(sys.argv[2])
if not deb or not ours:
    sys.exit('bench: a run produced no results')
print('%-13s %6s %8s %10s %10s %6s %10s %10s %6s' % (
    'backing', 'MiB', 'runs', 'map deb', 'map ours', 'ratio',
    'unmap deb', 'unmap ours', 'ratio'))
for key in sorted(deb, key=lambda k: (list(deb).index(k))):
    if key not in ours:
        continue
    (dm, du, runs), (om, ou, _) = deb[key], ours[key]
    print('%-13s %6d %8s %8.2fms %8.2fms %6.3f %8.2fms %8.2fms %6.3f' % (
        key[0], key[1], runs, dm / 1e3, om / 1e3, om / dm,
        du / 1e3, ou / 1e3, ou / du))
print('ratio = ours / Debian: below 1 is faster than Debian')
PY
