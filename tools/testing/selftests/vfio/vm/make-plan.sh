#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Print the guest's test plan, "NAME SECONDS" per line, in the order the
# selftests Makefile lists the programs; with ONLY (names separated by
# spaces), just those programs.  VFIO_TIME_SCALE (a whole number, for a
# slower kernel such as the debug tier's) multiplies every limit.
#
#   make-plan.sh BUILT_DIR SELFTESTS_DIR [ONLY]
set -euo pipefail

built=$1 src=$2 only=${3:-}
found=0
for t in $(make -s -C "$src" print-tests); do
	[ -z "$only" ] || [[ " $only " == *" $t "* ]] || continue
	[ -e "$built/$t" ] || { echo "make-plan: $t was not built" >&2; exit 1; }
	# Tests take seconds; a stuck one is reported long before the
	# whole run's own timeout.  The fuzzer runs VFIO_FUZZ_SECONDS
	# (60 by default), the fault-injection sweep at most
	# FAIL_NTH_SECONDS (240) for each of its 14 paths, plus set-up.
	scale=${VFIO_TIME_SCALE:-1}
	case $t in
	vfio_fuzz) limit=$(( ${VFIO_FUZZ_SECONDS:-60} + 120 * scale )) ;;
	fail_nth_test) limit=$(( 14 * ${FAIL_NTH_SECONDS:-240} + 180 * scale )) ;;
	*) limit=$(( 180 * scale )) ;;
	esac
	echo "$t $limit"
	found=1
done
[ $found = 1 ] || { echo "make-plan: no test named '$only'" >&2; exit 1; }
