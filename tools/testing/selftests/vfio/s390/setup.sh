#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Fetch what an s390x test run needs, without installing anything foreign
# into the system: Debian's s390x kernel image and headers (with the amd64
# kbuild tools of the same version) and busybox-static, unpacked with
# dpkg -x under $S390_ROOT.  Host packages (the cross compiler and
# qemu-system-s390x) are installed normally.  Idempotent and quick once done.
#
# Prints the shell assignments of the variables the other scripts use.
set -euo pipefail

top=$(cd "$(dirname "$0")/../../../../.." && pwd)
S390_ROOT=${S390_ROOT:-$top/build/s390x/root}
debs=$top/build/s390x/debs
quiet() { "$@" > /dev/null 2>&1; }

host_pkgs=(qemu-system-misc gcc-s390x-linux-gnu libc6-dev-s390x-cross)
missing=()
for p in "${host_pkgs[@]}"; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if ! dpkg --print-foreign-architectures | grep -qx s390x; then
	dpkg --add-architecture s390x
	need_update=1
fi
if [ ${#missing[@]} -gt 0 ] || [ -n "${need_update:-}" ] ||
   ! apt-cache show linux-image-s390x:s390x > /dev/null 2>&1; then
	quiet apt-get update
fi
if [ ${#missing[@]} -gt 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" > /dev/null
fi

# The newest s390x kernel the archive has: the meta package names its ABI.
# (The security suite stopped carrying s390x, so it may lag behind amd64.)
meta_ver=$(apt-cache policy linux-image-s390x:s390x |
	   sed -n 's/^ *Candidate: *//p')
kimage=$(apt-cache show "linux-image-s390x:s390x=$meta_ver" |
	 sed -n 's/^Depends: *\(linux-image-[^ ,]*\).*/\1/p' | head -1)
KVER=${kimage#linux-image-}
KPKGVER=$(apt-cache policy "$kimage:s390x" | sed -n 's/^ *Candidate: *//p')
[ -n "$KVER" ] && [ -n "$KPKGVER" ] ||
	{ echo "setup: cannot find Debian's s390x kernel" >&2; exit 1; }

stamp=$S390_ROOT/.unpacked-$KVER-$KPKGVER
if [ ! -e "$stamp" ]; then
	rm -rf "$S390_ROOT" "$debs"
	mkdir -p "$S390_ROOT" "$debs"
	chmod 777 "$debs"	# apt's sandbox user writes the downloads
	(cd "$debs" && quiet apt-get download \
		"linux-image-$KVER:s390x=$KPKGVER" \
		"linux-headers-$KVER:s390x=$KPKGVER" \
		"linux-headers-${KVER%-s390x}-common=$KPKGVER" \
		"linux-kbuild-6.1:amd64=$KPKGVER" \
		"busybox-static:s390x")
	for d in "$debs"/*.deb; do
		dpkg -x "$d" "$S390_ROOT"
	done
	rm -rf "$debs"
	# The headers' Makefile includes the -common one by absolute path.
	khdr=$S390_ROOT/usr/src/linux-headers-$KVER
	sed -i "s|^include .*/\(linux-headers-.*-common/Makefile\)|include $S390_ROOT/usr/src/\1|" \
		"$khdr/Makefile"
	depmod -b "$S390_ROOT" "$KVER"
	touch "$stamp"
fi

cat <<VARS
S390_KVER=$KVER
S390_ROOT=$S390_ROOT
S390_KDIR=$S390_ROOT/usr/src/linux-headers-$KVER
S390_VMLINUZ=$S390_ROOT/boot/vmlinuz-$KVER
S390_MODDIR=$S390_ROOT/lib/modules/$KVER
S390_BUSYBOX=$S390_ROOT/bin/busybox
VARS
