#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the test VM's initramfs: static busybox, our modules, the Debian
# modules the tests need (with everything they depend on), test programs
# and files.  Debian's own VFIO modules are never put in: ours replace
# them, and the guest checks by build-id that what it loads is ours.
#
#   mkinitramfs.sh -o OUT -k KVER -i INIT [-O OUR.ko]... [-m MODULE]...
#                  [-b ELF[:DST]]... [-f SRC:DST]...
#                  [-R ROOT] [-B BUSYBOX] [-S STRIP]
#
# For another architecture, -R names the unpacked root holding its
# /lib/modules, -B its static busybox and -S its strip.
set -euo pipefail

out= kver= init= modroot= busybox= strip=strip
ours=() mods=() elfs=() files=()
while getopts "o:k:i:O:m:b:f:R:B:S:" opt; do
	case $opt in
	R) modroot=$OPTARG ;;
	B) busybox=$OPTARG ;;
	S) strip=$OPTARG ;;
	o) out=$OPTARG ;;
	k) kver=$OPTARG ;;
	i) init=$OPTARG ;;
	O) ours+=("$OPTARG") ;;
	m) mods+=("$OPTARG") ;;
	b) elfs+=("$OPTARG") ;;
	f) files+=("$OPTARG") ;;
	*) exit 2 ;;
	esac
done
[ -n "$out" ] && [ -n "$kver" ] && [ -n "$init" ] ||
	{ echo "usage: mkinitramfs.sh -o OUT -k KVER -i INIT ..." >&2; exit 2; }

root=$(mktemp -d /tmp/vfio-initramfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
moddir=$root/lib/modules/$kver
modinfo=(modinfo -k "$kver")
[ -z "$modroot" ] || modinfo+=(-b "$modroot")
mkdir -p "$root"/{bin,dev,proc,sys,tmp,run,root,etc/vfio-test,selftests} \
	 "$moddir/extra" "$root/usr/lib"
for d in lib lib64; do	# mirror a merged-/usr host for dynamic binaries
	[ -L "/$d" ] && mkdir -p "$root/usr/$d" && ln -s "usr/$d" "$root/$d"
done

[ -n "$busybox" ] || busybox=$(command -v busybox)
file -L "$busybox" | grep -q 'statically linked' ||
	{ echo "mkinitramfs: $busybox is not static (busybox-static)" >&2; exit 1; }
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$init" "$root/init"
chmod +x "$root/init"

# Debian's VFIO modules must never be loaded when ours are under test.
vfio_names="vfio vfio_iommu_type1 vfio_virqfd vfio_pci_core vfio_pci mdev"
declare -A provided=() added=()
: > "$root/etc/vfio-test/ours"
for ko in "${ours[@]+"${ours[@]}"}"; do
	name=$(basename "$ko" .ko)
	name=${name//-/_}
	cp "$ko" "$moddir/extra/"
	"$strip" --strip-debug "$moddir/extra/$(basename "$ko")"
	id=$(readelf -n "$moddir/extra/$(basename "$ko")" | awk '/Build ID:/ {print $3}')
	echo "$name $id" >> "$root/etc/vfio-test/ours"
	provided[$name]=1
done

add_debian_module() {
	local name=${1//-/_} path dep
	[ -n "${provided[$name]:-}" ] || [ -n "${added[$name]:-}" ] && return 0
	case " $vfio_names " in *" $name "*)
		echo "mkinitramfs: refusing Debian's VFIO module $name" >&2
		exit 1 ;;
	esac
	path=$("${modinfo[@]}" -n "$name" 2>/dev/null) ||
		{ echo "mkinitramfs: no module $name for $kver" >&2; exit 1; }
	added[$name]=1
	[ "$path" = "(builtin)" ] && return 0
	for dep in $("${modinfo[@]}" -F depends "$name" | tr , ' '); do
		add_debian_module "$dep"
	done
	mkdir -p "$moddir/kernel"
	case $path in
	*.xz) xz -dc "$path" > "$moddir/kernel/$name.ko" ;;
	*.zst) zstd -qdc "$path" > "$moddir/kernel/$name.ko" ;;
	*) cp "$path" "$moddir/kernel/$name.ko" ;;
	esac
}
for m in "${mods[@]+"${mods[@]}"}"; do
	add_debian_module "$m"
done
# Our modules' dependencies outside our tree (irqbypass, ...) too.
for ko in "${ours[@]+"${ours[@]}"}"; do
	for dep in $(modinfo -F depends "$ko" | tr , ' '); do
		add_debian_module "$dep"
	done
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
	cp "$modroot/lib/modules/$kver/$f" "$moddir/"
done
depmod -b "$root" "$kver"

# ELF programs with the shared libraries they load.
add_path() {
	local src=$1 dst=$2
	mkdir -p "$root$(dirname "$dst")"
	cp -L "$src" "$root$dst"
}
for e in "${elfs[@]+"${elfs[@]}"}"; do
	src=${e%%:*} dst=${e#*:}
	[ "$dst" = "$e" ] && dst=$src
	add_path "$src" "$dst"
	for lib in $(ldd "$src" 2>/dev/null |
		     awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
		[ -e "$root$lib" ] || add_path "$lib" "$lib"
	done
done
for f in "${files[@]+"${files[@]}"}"; do
	add_path "${f%%:*}" "${f#*:}"
done

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet -R 0:0) |
	gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
