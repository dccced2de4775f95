#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Source compatibility with Linux 6.1's in-kernel VFIO API: build the
# in-tree users of that API from Debian's linux-source-6.1 against our
# headers and our Module.symvers.  Nothing of theirs is kept: the sources
# are unpacked into a scratch directory for the build and removed after.
# TAP output, one line per consumer; run after "make modules".
#
# A consumer passes when it compiles without a warning and modpost finds
# every symbol it imports, except those of subsystems Debian's amd64
# kernel does not build (HiSilicon's accelerators, the fsl-mc bus,
# AMBA): each consumer names the ones it may lack.  Every VFIO and mdev
# symbol it imports must bind to our modules: its modversions CRC is
# the one in our Module.symvers, not Debian's.
#
#   scripts/compat-check.sh KDIR TOP
set -uo pipefail

kdir=$1
top=$2
src=/usr/src/linux-source-6.1.tar.xz
scratch=$(mktemp -d /tmp/vfio-compat.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

# consumer NAME DIR FOREIGN KBUILD [RESET_KBUILD]: DIR of linux-source-6.1
# built with the Kbuild text KBUILD (and DIR/reset with RESET_KBUILD);
# FOREIGN, an extended regular expression, the imported symbols it may
# lack ("" for none).
names=() dirs=() foreign=() kbuilds=() resets=()
consumer() {
	names+=("$1") dirs+=("$2") foreign+=("$3") kbuilds+=("$4")
	resets+=("${5:-}")
}
consumer "samples/vfio-mdev" samples/vfio-mdev "" \
	"obj-m := mtty.o mdpy.o mdpy-fb.o mbochs.o"
# GVT-g: kvmgt.ko with all of gvt/, against i915's own headers.
# gvt/trace.h names itself relative to an include directory two levels
# below the source tree's root (see the loop).
consumer "i915 GVT-g (kvmgt)" drivers/gpu/drm/i915 "" \
	"ccflags-y += -I\$(src)
CFLAGS_gvt/trace_points.o := -I\$(src)/../../../../.include/x
include \$(src)/gvt/Makefile
obj-m := kvmgt.o"
consumer "mlx5 vfio-pci variant" drivers/vfio/pci/mlx5 "" \
	"obj-m := mlx5-vfio-pci.o
mlx5-vfio-pci-y := main.o cmd.o"
consumer "hisilicon vfio-pci variant" drivers/vfio/pci/hisilicon \
	'^hisi_' \
	"obj-m := hisi-acc-vfio-pci.o
hisi-acc-vfio-pci-y := hisi_acc_vfio_pci.o"
consumer "vfio-platform, vfio-amba and resets" drivers/vfio/platform \
	'^(__)?amba_' \
	"obj-m := vfio-platform.o vfio-platform-base.o vfio-amba.o reset/
vfio-platform-base-y := vfio_platform_common.o vfio_platform_irq.o
vfio-platform-y := vfio_platform.o
vfio-amba-y := vfio_amba.o" \
	"obj-m := vfio-platform-calxedaxgmac.o vfio-platform-amdxgbe.o vfio_platform_bcmflexrm.o
vfio-platform-calxedaxgmac-y := vfio_platform_calxedaxgmac.o
vfio-platform-amdxgbe-y := vfio_platform_amdxgbe.o"
consumer "vfio-fsl-mc" drivers/vfio/fsl-mc \
	'^(__)?(fsl_mc|dprc)_' \
	"obj-m := vfio-fsl-mc.o
vfio-fsl-mc-y := vfio_fsl_mc.o vfio_fsl_mc_intr.o"

echo "TAP version 13"
echo "1..${#names[@]}"
[ -r "$src" ] || { echo "Bail out! $src missing (apt-get install linux-source-6.1)"; exit 1; }

# Our exports and their CRCs, "CRC SYMBOL" per line.
awk '{ print $1, $2 }' "$top/Module.symvers" | sort -k2 > "$scratch/ours"

# What is wrong with the build in $1 (log $2), may lack $3; "" if nothing.
verdict() {
	local dir=$1 log=$2 allowed=$3 missing ko

	if grep -qE 'warning:|error:' "$log"; then
		echo "the build has warnings or errors"
		return
	fi
	missing=$(sed -n 's/.*ERROR: modpost: "\([^"]*\)".* undefined!.*/\1/p' \
		"$log" | sort -u)
	[ -z "$allowed" ] || missing=$(echo "$missing" | grep -vE "$allowed")
	if [ -n "$missing" ]; then
		echo "unresolved: $(echo $missing)"
		return
	fi
	if grep -q 'ERROR: modpost:' "$log" &&
	   grep 'ERROR: modpost:' "$log" | grep -qv 'undefined!'; then
		echo "modpost: $(grep 'ERROR: modpost:' "$log" | grep -v 'undefined!' | head -n 1)"
		return
	fi
	# Every VFIO or mdev import is ours, CRC and all, but for what the
	# consumer's modules export to each other.
	awk '{ print $2 }' "$dir/Module.symvers" | sort > "$scratch/own"
	for ko in $(find "$dir" -name '*.ko'); do
		modprobe --dump-modversions "$ko" |
			awk '$2 ~ /^_?_?(vfio|mdev|iova_bitmap)/ { print $1, $2 }'
	done | sort -u -k2 | join -1 2 -2 1 -v 1 -o 1.1,1.2 - "$scratch/own" \
		> "$scratch/imports"
	missing=$(join -1 2 -2 2 -v 1 "$scratch/imports" "$scratch/ours" |
		  awk '{ print $1 }')
	[ -z "$missing" ] || { echo "not exported by us: $(echo $missing)"; return; }
	missing=$(join -1 2 -2 2 "$scratch/imports" "$scratch/ours" |
		  awk '$2 != $3 { print $1 }')
	[ -z "$missing" ] || { echo "bound to another CRC: $(echo $missing)"; return; }
	wc -l < "$scratch/imports" > "$scratch/count"
}

failed=0
for i in "${!names[@]}"; do
	n=$((i + 1))
	out=$scratch/$n
	dir=${dirs[$i]}
	mkdir -p "$out/.include/x"
	tar -xJf "$src" -C "$out" --strip-components=1 "linux-source-6.1/$dir"
	printf '%s\n' "${kbuilds[$i]}" > "$out/$dir/Kbuild"
	[ -z "${resets[$i]}" ] ||
		printf '%s\n' "${resets[$i]}" > "$out/$dir/reset/Kbuild"
	log=$out/build.log
	# Undefined symbols are reported, not fatal: the list is checked.
	make -C "$kdir" M="$out/$dir" KBUILD_MODPOST_WARN=1 \
		NOSTDINC_FLAGS="-I$top/include -I$top/include/uapi" \
		KBUILD_EXTRA_SYMBOLS="$top/Module.symvers" modules \
		> "$log" 2>&1
	echo 0 > "$scratch/count"
	why=$(verdict "$out/$dir" "$log" "${foreign[$i]}")
	if [ -z "$why" ]; then
		echo "ok $n 6.1 ${names[$i]} builds against our headers ($(cat "$scratch/count") VFIO symbols bound to ours)"
	else
		grep -E 'error|warning|undefined' "$log" | head -20 | sed 's/^/# /'
		echo "not ok $n 6.1 ${names[$i]}: $why"
		failed=$((failed + 1))
	fi
done
[ "$failed" = 0 ]
