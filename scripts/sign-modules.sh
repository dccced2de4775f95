#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Sign our modules for a host that only loads signed ones (Secure Boot,
# or module.sig_enforce=1), with the kernel's own sign-file and the hash
# the kernel was configured for.  The signature is appended to each .ko
# in place; "make install" then copies the signed files.
#
#   sign-modules.sh KDIR KEY CERT MODULE.ko...
#
# KEY is the private key (PEM, or a PKCS#11 URI), CERT its X.509
# certificate (PEM or DER), the one enrolled in the host's MOK list.
set -euo pipefail

kdir=$1 key=$2 cert=$3
shift 3
signer=$kdir/scripts/sign-file
[ -x "$signer" ] ||
	{ echo "sign: no $signer (apt-get install linux-headers-\$(uname -r))" >&2; exit 1; }
[ -r "$cert" ] || { echo "sign: cannot read the certificate CERT=$cert" >&2; exit 1; }
case $key in
pkcs11:*) ;;
*) [ -r "$key" ] || { echo "sign: cannot read the key KEY=$key" >&2; exit 1; } ;;
esac
[ $# -gt 0 ] || { echo "sign: no modules to sign (make modules first)" >&2; exit 1; }

# The hash the kernel checks signatures with.
hash=$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"$/\1/p' "$kdir/.config" \
	2> /dev/null)
hash=${hash:-sha256}
magic='~Module signature appended~'
for ko in "$@"; do
	# Signing twice would append a second signature the kernel ignores.
	if [ "$(tail -c 28 "$ko" | head -c 27)" = "$magic" ]; then
		echo "sign: $ko is signed already; rebuild it first (make clean modules)" >&2
		exit 1
	fi
	"$signer" "$hash" "$key" "$cert" "$ko"
	echo "  SIGN    $ko"
done
