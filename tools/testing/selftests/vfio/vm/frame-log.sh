#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Print the framed TAP log a run left ("VFIOTEST BEGIN name" ... "END"),
# each program's name prefixed with PREFIX.  A run that left no log (its
# build failed, say) must not pass for one that ran, nor leave an older
# run's log to be counted: it is printed as one program, NAME, that
# failed, pointing at OUT for what it said.
#
#   frame-log.sh NAME LOG OUT [PREFIX]
name=$1 log=$2 out=$3 prefix=${4:-}
if [ -s "$log" ]; then
	sed -E "s/^VFIOTEST (BEGIN|END) /&$prefix/" "$log"
	exit 0
fi
echo "VFIOTEST BEGIN $prefix$name"
echo "# the run left no log; see $out"
tail -n 5 "$out" 2>/dev/null | sed 's/^/# /'
echo "VFIOTEST END $prefix$name rc=1"
