#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make sign, checked on the host: with a throwaway key, copies of our
# modules are signed; each must carry the kernel's signature trailer,
# name the key's signer and hash as modinfo reads them, and verify
# against the certificate; bad invocations must fail with a message and
# leave the module as it was.  TAP output; run after "make modules".
#
#   scripts/sign-check.sh KDIR TOP MODULE.ko...
set -uo pipefail

kdir=$1 top=$2
shift 2
scratch=$(mktemp -d /tmp/vfio-sign.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
cn="vfio sign-check throwaway key"
. "$(dirname "$0")/tap-result.sh"

# The PKCS#7 signature of a signed module checked against CERT: the
# trailer is the signature, 12 bytes of struct module_signature (its
# last 4 the signature's length, big-endian) and the magic string.
verify() {	# verify KO CERT
	echo "no signature trailer" > "$scratch/verify.err"
	python3 - "$1" "$scratch/content" "$scratch/sig" <<'PY' &&
import struct, sys
data = open(sys.argv[1], 'rb').read()
magic = b'~Module signature appended~\n'
if not data.endswith(magic):
    sys.exit(1)
info = data[-len(magic) - 12:-len(magic)]
siglen = struct.unpack('>I', info[8:12])[0]
end = len(data) - len(magic) - 12
open(sys.argv[2], 'wb').write(data[:end - siglen])
open(sys.argv[3], 'wb').write(data[end - siglen:end])
PY
	openssl cms -verify -binary -inform DER -in "$scratch/sig" \
		-content "$scratch/content" -certfile "$2" -nointern \
		-noverify -out /dev/null 2> "$scratch/verify.err"
}

echo "TAP version 13"
echo "1..$(($# + 3))"
openssl req -new -x509 -newkey rsa:2048 -nodes -days 1 -batch -subj "/CN=$cn/" \
	-keyout "$scratch/key.pem" -outform DER -out "$scratch/cert.der" \
	2> "$scratch/openssl.log" ||
	{ echo "Bail out! openssl could not make a key"; exit 1; }
for ko in "$@"; do
	cp "$ko" "$scratch/"
done
mods=("$scratch"/*.ko)

"$top/scripts/sign-modules.sh" "$kdir" "$scratch/key.pem" \
	"$scratch/cert.der" "${mods[@]}" > "$scratch/sign.log" 2>&1 ||
	{ echo "Bail out! sign-modules.sh failed: $(tail -n 3 "$scratch/sign.log")"; exit 1; }
for ko in "${mods[@]}"; do
	name=$(basename "$ko")
	signer=$(modinfo -F signer "$ko")
	algo=$(modinfo -F sig_hashalgo "$ko")
	if [ "$signer" = "$cn" ] && [ "$algo" = sha256 ] &&
	   verify "$ko" "$scratch/cert.der"; then
		result OK "$name signed and verifies"
	else
		result FAIL "$name: signer '$signer', hash '$algo', $(cat "$scratch/verify.err")"
	fi
done

# Refused: a second signature, a key that is not there; the module stays.
before=$(sha256sum < "${mods[0]}")
if ! "$top/scripts/sign-modules.sh" "$kdir" "$scratch/key.pem" \
	"$scratch/cert.der" "${mods[0]}" > "$scratch/again.log" 2>&1 &&
   grep -q "signed already" "$scratch/again.log" &&
   [ "$before" = "$(sha256sum < "${mods[0]}")" ]; then
	result OK "a signed module is not signed twice"
else
	result FAIL "signing twice: $(cat "$scratch/again.log")"
fi
cp "$1" "$scratch/plain.ko"
if ! "$top/scripts/sign-modules.sh" "$kdir" "$scratch/nokey.pem" \
	"$scratch/cert.der" "$scratch/plain.ko" > "$scratch/nokey.log" 2>&1 &&
   grep -q "KEY=" "$scratch/nokey.log" && cmp -s "$1" "$scratch/plain.ko"; then
	result OK "a missing key is named and nothing is signed"
else
	result FAIL "missing key: $(cat "$scratch/nokey.log")"
fi
if ! make -s -C "$top" sign > "$scratch/make.log" 2>&1 &&
   grep -q "KEY=" "$scratch/make.log"; then
	result OK "make sign without KEY and CERT says what it needs"
else
	result FAIL "make sign without KEY/CERT: $(tail -n 3 "$scratch/make.log")"
fi
[ "$failed" = 0 ]
