#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Run last: the whole suite must not have made the kernel complain.  A
# WARN, BUG, oops, refcount or list corruption report, or a hung task in
# the log fails the run even when every test passed on its own terms.
echo "TAP version 13"
echo "1..1"
bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|refcount_t:|list_(add|del) corruption|blocked for more than|general protection fault' | head -20)
if [ -z "$bad" ]; then
	echo "ok 1 kernel log is free of warnings and bugs"
else
	echo "$bad" | sed 's/^/# /'
	echo "not ok 1 kernel log is free of warnings and bugs"
	exit 1
fi
