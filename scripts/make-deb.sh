#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make deb: a Debian package of our VFIO stack's source for DKMS, built
# with dpkg-deb.  Installed, it builds and installs our modules for every
# kernel that has its headers and for every later one; removed, it leaves
# the kernel's own VFIO modules in use again.
#
#   make-deb.sh TOP OUTDIR      prints the path of the .deb
set -euo pipefail

top=$1 out=$2
name=vfio-stack
# A version that grows with every commit: 0.COMMITS+gHASH.
if count=$(git -C "$top" rev-list --count HEAD 2> /dev/null); then
	version=0.$count+g$(git -C "$top" rev-parse --short=12 HEAD)
	git -C "$top" diff --quiet HEAD -- Kbuild Makefile drivers include \
		samples 2> /dev/null || version=$version.dirty
else
	version=0.0+local
fi
root=$out/$name-dkms
src=$root/usr/src/$name-$version
rm -rf "$root"
mkdir -p "$src" "$root/DEBIAN"
# What building the modules needs, and nothing else of the tree.
(cd "$top" && tar -cf - --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
	--exclude='*.mod' --exclude='*.mod.c' --exclude='modules.order' \
	--exclude='Module.symvers' --exclude='*.a' \
	Kbuild Makefile drivers include samples scripts/kver.sh \
	scripts/install-deps.sh) | tar -xf - -C "$src"
sed "s/@VERSION@/$version/" "$top/scripts/dkms/dkms.conf.in" > "$src/dkms.conf"
# Our modules replace the kernel's own VFIO modules of the same names,
# whatever MODULE_VERSION says (6.1's carry ones like "0.3", some none):
# DKMS's mechanism for that skips its version comparison for us.
mkdir -p "$root/usr/share/dkms/modules_to_force_install"
echo "${name}_version-override" \
	> "$root/usr/share/dkms/modules_to_force_install/$name"
for script in postinst prerm; do
	sed "s/@VERSION@/$version/" "$top/scripts/dkms/$script" \
		> "$root/DEBIAN/$script"
	chmod 0755 "$root/DEBIAN/$script"
done
cat > "$root/DEBIAN/control" <<CONTROL
Package: $name-dkms
Version: $version
Architecture: all
Section: kernel
Priority: optional
Depends: dkms (>= 3), make, gcc
Maintainer: VFIO from scratch <vfio@localhost>
Description: VFIO stack written from scratch, built by DKMS
 The VFIO core, type1 IOMMU backend, vfio-pci, vfio_virqfd and mdev
 modules, source-compatible with Linux 6.1, with no-IOMMU mode.  DKMS
 builds them for every installed kernel that has its headers and again
 for each new kernel, into updates/dkms, where modprobe prefers them to
 the kernel's own.
CONTROL
deb=$out/${name}-dkms_${version}_all.deb
dpkg-deb --build --root-owner-group "$root" "$deb" > /dev/null
echo "$deb"
