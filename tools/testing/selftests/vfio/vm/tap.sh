# SPDX-License-Identifier: GPL-2.0-only
#
# Sourced by the shell tests that run in the test VM (the real clients):
# TAP output and the steps they share.  Guests find it at
# /lib/vfio-test/tap.sh.
n=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n $1"; }
check() { what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
bail() { echo "Bail out! $1"; exit 1; }

# Hand PCI functions to vfio-pci through driver_override.
bind_vfio_pci() {
	for bdf; do
		dev=/sys/bus/pci/devices/$bdf
		[ -e "$dev/driver" ] && echo "$bdf" > "$dev/driver/unbind"
		echo vfio-pci > "$dev/driver_override"
		echo "$bdf" > /sys/bus/pci/drivers_probe
	done
}

# One KVM vendor module, and only when needed (see kvm_test.c).
load_kvm() {
	if [ ! -c /dev/kvm ] && ! modprobe kvm_amd 2>/dev/null; then
		modprobe kvm_intel 2>/dev/null
	fi
}

# The last check of a test: no warning, oops or hang report (nor what
# else the extended regular expression $1 matches) in the kernel log.
check_kernel_quiet() {
	pattern='WARNING:|BUG:|Oops|refcount_t:|blocked for more than'
	[ -n "${1:-}" ] && pattern="$pattern|$1"
	if dmesg | grep -E "$pattern"; then
		not_ok "the kernel did not complain"
	else
		ok "the kernel did not complain"
	fi
}
