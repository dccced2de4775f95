#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the test VM: set up the basics, make sure the VFIO modules the
# kernel loads are ours, run every test of /etc/vfio-test/plan with its
# output framed for the host, and power off.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mkdir -p /dev/hugepages /dev/pts
mount -t hugetlbfs hugetlbfs /dev/hugepages
exec </dev/console >/dev/console 2>&1
echo "VFIOTEST: kernel $(uname -r) up at $(cut -d' ' -f1 /proc/uptime)s"

# Every loaded module named like one of ours must carry our build-id.
check_stack() {
	ok=0
	while read -r name id; do
		[ -d "/sys/module/$name" ] || continue
		got=$(hexdump -s 16 -v -e '1/1 "%02x"' \
			"/sys/module/$name/notes/.note.gnu.build-id")
		if [ "$got" != "$id" ]; then
			echo "VFIOTEST: module $name is not ours (build-id $got)"
			ok=1
		fi
	done < /etc/vfio-test/ours
	return $ok
}

# Host drivers bind to the emulated devices, as on a normal machine: the
# tests take devices away from them and give them back.
# (Whichever of them this machine has.)
# VFIO_SKIP_MODULES (from the kernel command line) names host drivers to
# leave out: see the Makefile's check-debug.
for m in e1000 virtio_pci virtio_net nvme; do
	case " ${VFIO_SKIP_MODULES:-} " in *" $m "*) continue ;; esac
	modprobe -q "$m"
done
modprobe vfio || echo "VFIOTEST: modprobe vfio failed"
if ! check_stack; then
	echo "VFIOTEST: STACK CHECK FAILED"
	poweroff -f
fi
echo "VFIOTEST: stack ok: $(cut -d' ' -f1 /etc/vfio-test/ours | tr '\n' ' ')"

# What the kernel reports when it finds something wrong: a WARN or BUG,
# an oops, KASAN, UBSAN, lockdep (its reports are WARNINGs and BUGs),
# DEBUG_OBJECTS, a refcount or list corruption, a hung task, a stall or
# lockup, an interrupt nobody handled.
reports='WARNING:|BUG:|Oops|UBSAN:|ODEBUG:|refcount_t:|list_(add|del) corruption'
reports="$reports|general protection fault|kernel BUG at|blocked for more than"
reports="$reports|nobody cared|rcu: INFO|detected stalls?|soft lockup"
reports="$reports|kmemleak: .*(disabled|error)"
# Reports of Linux 6.1's own that plain userspace triggers, ours or not,
# and that are not counted.  6.1.192's __vma_adjust() calls
# hugetlb_split() before it takes the file's i_mmap_rwsem, so with
# lockdep any munmap() or mprotect() of part of a hugetlb mapping warns in
# i_mmap_assert_write_locked() (include/linux/fs.h).
known='WARNING: CPU: [0-9]+ PID: [0-9]+ at include/linux/fs.h:[0-9]+ hugetlb_split\+'
# 6.1's genirq ignores a failed proc_create*() when request_irq() makes
# /proc/irq/N's files, and when the descriptor is freed removes every one,
# warning in remove_proc_entry() for each that is missing.  Only a failed
# allocation (fail_nth_test) gets there, and no module of ours makes proc
# entries.
known="$known|WARNING: CPU: [0-9]+ PID: [0-9]+ at fs/proc/generic.c:[0-9]+ remove_proc_entry\+"
export VFIO_KERNEL_REPORTS="$reports" VFIO_KNOWN_REPORTS="$known"
# Everything the kernel logged, test by test (kernel_log_check.sh reads it).
klog=/tmp/kernel.log
: > $klog
kmemleak=/sys/kernel/debug/kmemleak

# Objects kmemleak finds unreferenced whose allocation went through one
# of our modules, as kmemleak prints them.
our_leaks() {
	echo scan > $kmemleak
	awk -v ours="$(cut -d' ' -f1 /etc/vfio-test/ours | tr '\n' '|')" '
		function flush() { if (mine) printf "%s", obj; obj = ""; mine = 0 }
		/^unreferenced object/ { flush() }
		{ obj = obj $0 "\n" }
		match($0, /\[[a-z0-9_]+\]$/) {
			m = substr($0, RSTART + 1, RLENGTH - 2)
			if (index("|" ours, "|" m "|")) mine = 1
		}
		END { flush() }' $kmemleak
	echo clear > $kmemleak
}

# After each program: what the kernel reported while it ran fails it,
# and is printed under its name.  kmemleak, where the kernel has it,
# only counts an object as leaked once it is 5 s old.
kernel_reports() {
	leaks=
	if [ -w $kmemleak ]; then
		sleep 6
		leaks=$(our_leaks)
	fi
	dmesg -c > /tmp/kernel.last
	cat /tmp/kernel.last >> $klog
	found=$(grep -E "$reports" /tmp/kernel.last | grep -vE "$known")
	[ -z "$found$leaks" ] && return 0
	echo "VFIOTEST: kernel reports during $1:"
	if [ -n "$found" ]; then
		# From the first report on, as the kernel printed it.
		first=$(grep -nE "$reports" /tmp/kernel.last |
			grep -vE "$known" | head -n1 | cut -d: -f1)
		tail -n +"$first" /tmp/kernel.last | head -n 200 | sed 's/^/# /'
	fi
	[ -z "$leaks" ] || { echo "# kmemleak:"; echo "$leaks" | head -n 200 |
		sed 's/^/# /'; }
	return 1
}

# What the kernel said while booting, and kmemleak's boot-time findings
# (not ours), are kept apart from the first test's.
dmesg -c > $klog
[ -w $kmemleak ] && { echo scan > $kmemleak; echo clear > $kmemleak; }

cd /selftests
while read -r test limit; do
	[ -n "$test" ] || continue
	modprobe vfio
	echo "VFIOTEST BEGIN $test"
	case $test in
	*.sh) timeout "$limit" sh "./$test" ;;
	*) timeout "$limit" "./$test" ;;
	esac
	rc=$?
	if [ $rc = 124 ] || [ $rc = 143 ]; then
		# Stuck: let the kernel say where, symbolized, before going on.
		echo "VFIOTEST: $test exceeded ${limit}s; blocked tasks and CPUs:"
		echo w > /proc/sysrq-trigger
		echo l > /proc/sysrq-trigger
		sleep 2
		dmesg | tail -n 150
	fi
	check_stack || rc=120
	kernel_reports "$test" || rc=121
	echo "VFIOTEST END $test rc=$rc"
done < /etc/vfio-test/plan
echo "VFIOTEST DONE"
sync
poweroff -f
