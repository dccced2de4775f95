# SPDX-License-Identifier: GPL-2.0-only
#
# Sourced by the host checks run by make check (sign-check.sh,
# dkms-check.sh): one TAP line per check, counted.
#
#   result OK|FAIL DESCRIPTION [LOG]   prints the line; on FAIL, the end
#                                      of LOG too, and counts it in $failed
n=0 failed=0
result() {
	n=$((n + 1))
	if [ "$1" = OK ]; then
		echo "ok $n $2"
		return
	fi
	echo "not ok $n $2"
	[ -z "${3:-}" ] || tail -n 20 "$3" | sed 's/^/# /'
	failed=$((failed + 1))
}
