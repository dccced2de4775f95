#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Run last: the whole suite must not have made the kernel complain.  A
# WARN, BUG, oops, KASAN, UBSAN, lockdep or DEBUG_OBJECTS report, a
# refcount or list corruption, a hung task, a stall or an interrupt
# nobody cared for anywhere in the log fails the run, even when every
# test passed on its own terms.  The test VM's /init keeps what the kernel
# logged before each program's end in /tmp/kernel.log and clears the ring
# buffer; the rest is still in it.
echo "TAP version 13"
echo "1..1"
# The test VM's /init exports what counts as a report and which of 6.1's
# own reports are not counted; run elsewhere, every report counts.
pattern=${VFIO_KERNEL_REPORTS:-'WARNING:|BUG:|Oops|UBSAN:|ODEBUG:|refcount_t:|list_(add|del) corruption|general protection fault|kernel BUG at|blocked for more than|nobody cared|rcu: INFO|detected stalls?|soft lockup'}
known=${VFIO_KNOWN_REPORTS:-'^$'}
bad=$({ cat /tmp/kernel.log 2>/dev/null; dmesg; } | grep -E "$pattern" |
	grep -vE "$known" | head -20)
if [ -z "$bad" ]; then
	echo "ok 1 kernel log is free of warnings and bugs"
else
	echo "$bad" | sed 's/^/# /'
	echo "not ok 1 kernel log is free of warnings and bugs"
	exit 1
fi
