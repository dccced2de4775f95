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
for m in e1000 virtio_pci virtio_net nvme; do
	modprobe -q "$m"
done
modprobe vfio || echo "VFIOTEST: modprobe vfio failed"
if ! check_stack; then
	echo "VFIOTEST: STACK CHECK FAILED"
	poweroff -f
fi
echo "VFIOTEST: stack ok: $(cut -d' ' -f1 /etc/vfio-test/ours | tr '\n' ' ')"

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
	echo "VFIOTEST END $test rc=$rc"
done < /etc/vfio-test/plan
echo "VFIOTEST DONE"
sync
poweroff -f
