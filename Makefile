# SPDX-License-Identifier: GPL-2.0-only
#
# The project's own entry points.  The kernel build itself goes through
# kbuild (the Kbuild files); this file only drives it and the tests.
#
#   make                 build our modules for the installed Debian kernel
#   make check           build everything and run the test suite in a VM
#   make check T=name    run one test program (e.g. T=group_test)
#   make check-s390      the suite on s390x only (make check runs it too)
#   make demo            the main job: a device through our stack to a client
#   make check-mdev-qemu QEMU in the VM hands an mdev to an inner guest
#   make check-pci-qemu  QEMU in the VM passes the NVMe to an inner guest
#   make check-dpdk      dpdk-testpmd forwarding between two NICs in the VM
#   make check-noiommu   no-IOMMU mode in a VM without an IOMMU, with testpmd
#   make check-nointremap type1 on an IOMMU without interrupt remapping
#   make check-races     the vfio-pci race tests on parallel vCPUs
#   make bench           type1 MAP/UNMAP timings, ours against Debian's
#   make check-debug     the suite and clients on a debug kernel (KASAN,
#                        lockdep, kmemleak, UBSAN, fault injection, ...)
#   make sign KEY= CERT= sign the modules for a Secure Boot host
#   make install         install the modules over Debian's (updates/)
#   make deb | dkms-install  a DKMS package of the source, and its install
#   make checkpatch | sparse | clean

TOP := $(CURDIR)
BUILD := $(TOP)/build
# On a fresh machine the kernel is installed by the deps target, after
# this file was read: KVER is looked up when first used, then kept.
ifndef KVER
KVER = $(eval KVER := $(shell $(TOP)/scripts/kver.sh))$(KVER)
endif
KDIR ?= /usr/src/linux-headers-$(KVER)
# Where kbuild builds our modules: the work tree itself, or (make
# check-debug) a copy of it, so that the two kernels' objects never mix.
MODSRC ?= $(TOP)
# The test VM's kernel and the root its modules are installed under.
VM_KERNEL ?= /boot/vmlinuz-$(KVER)
VM_MODROOT ?=
SELFTESTS := $(TOP)/tools/testing/selftests/vfio
VM := $(SELFTESTS)/vm
LINUX_SOURCE := /usr/src/linux-source-6.1.tar.xz

# The modules we build.  Debian's config has most of them =m already; they
# are given here so the same Kbuild files work on kernels that do not.
VFIO_CONFIG := CONFIG_VFIO=m CONFIG_VFIO_MOCK=m
VFIO_CONFIG += CONFIG_VFIO_IOMMU_TYPE1=m CONFIG_VFIO_VIRQFD=m
VFIO_CONFIG += CONFIG_VFIO_PCI_CORE=m CONFIG_VFIO_PCI=m CONFIG_VFIO_MDEV=m
# The mdev samples are modules of ours too: the tests load them.
VFIO_CONFIG += CONFIG_SAMPLE_VFIO_MDEV_MCOUNTER=m CONFIG_SAMPLE_VFIO_MDEV_MBLIT=m
VFIO_CFLAGS :=
# Debian builds 6.1 without no-IOMMU mode; ours has it (off until the
# vfio module's enable_unsafe_noiommu_mode=1), for VMs without a vIOMMU.
VFIO_CONFIG += CONFIG_VFIO_NOIOMMU=y
VFIO_CFLAGS += -DCONFIG_VFIO_NOIOMMU=1
# A kernel built without VFIO (Debian's s390x) has none of our options in
# its autoconf.h: the one the C code tests is defined here.
ifeq ($(ARCH),s390)
VFIO_CONFIG += CONFIG_VFIO_PCI_ZDEV_KVM=y
VFIO_CFLAGS += -DCONFIG_VFIO_PCI_ZDEV_KVM=1
endif

# Our include/ comes before the kernel's, so its VFIO headers win.
KBUILD_ARGS = -C $(KDIR) M=$(MODSRC) \
	NOSTDINC_FLAGS="-I$(TOP)/include -I$(TOP)/include/uapi" \
	$(VFIO_CONFIG)
ifeq ($(CI),true)
WERROR ?= 1
endif
ifeq ($(WERROR),1)
VFIO_CFLAGS += -Werror
endif
KBUILD_ARGS += KCFLAGS="$(strip $(VFIO_CFLAGS))"

.PHONY: all modules deps selftests check demo install sign deb dkms-install \
	checkpatch sparse \
	clean check-s390 check-mdev-qemu check-pci-qemu check-dpdk \
	check-noiommu check-nointremap check-races bench \
	check-debug

all: modules

# NO_DEPS=1 (DKMS's build, from inside a package installation) installs
# nothing.
deps:
ifneq ($(NO_DEPS),1)
	@$(TOP)/scripts/install-deps.sh
endif

modules: deps
ifneq ($(MODSRC),$(TOP))
	@mkdir -p $(MODSRC)
	rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		--exclude='*.mod*' --exclude=modules.order \
		--exclude=Module.symvers --exclude=build --exclude=.git \
		$(TOP)/ $(MODSRC)/
endif
	$(MAKE) $(KBUILD_ARGS) modules

sparse: deps
	$(MAKE) $(KBUILD_ARGS) C=2 modules

# The kselftest harness is used from Debian's kernel source, not copied.
KSFT := $(BUILD)/ksft
$(KSFT)/kselftest_harness.h: | deps
	mkdir -p $(KSFT)/vfio/abi
	tar -xJf $(LINUX_SOURCE) -C $(KSFT) --strip-components=4 \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/kselftest.h

selftests: $(KSFT)/kselftest_harness.h
	$(MAKE) -C $(SELFTESTS) OUTPUT=$(BUILD)/selftests KSFT=$(KSFT) \
		TOP=$(TOP)

CHECKPATCH := $(BUILD)/scripts/checkpatch.pl
$(CHECKPATCH): | deps
	mkdir -p $(BUILD)/scripts
	tar -xJf $(LINUX_SOURCE) -C $(BUILD) --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch

checkpatch: $(CHECKPATCH)
	$(CHECKPATCH) --no-tree --strict --terse -f \
		$$(git ls-files 'drivers/*.[ch]' 'include/*.h' 'samples/*.[ch]')

# Everything the guest needs: all our modules, the Debian modules the
# tests load, every test program.
OUR_KOS = $(shell find $(MODSRC)/drivers $(MODSRC)/samples -name '*.ko' 2>/dev/null)
GUEST_MODULES := kvm kvm_amd kvm_intel nvme e1000 virtio_net virtio_pci \
	irqbypass
T ?=
# The s390x run is part of make check; CHECK_S390=0 leaves it out.
CHECK_S390 ?= 1
# So are the real clients, each its own VM run (when T is empty): QEMU
# driving an mdev, QEMU passing the NVMe to a KVM guest, and DPDK.
# CHECK_CLIENTS=0 leaves them out.
CHECK_CLIENTS ?= 1
CLIENTS := mdev_qemu pci_qemu dpdk noiommu nointremap races
# The suite's VM runs both vCPUs on one TCG thread: with a thread per
# vCPU, about one kvm_test run in ten wedged the whole guest, a vCPU
# looping in exc_int3, where the kernel sends a CPU that meets code
# another one is patching (static keys, which kvm.ko flips as VMs come
# and go).  It costs the suite no time.  The real clients keep a thread
# per vCPU: that way the nested KVM guest of pci_qemu did not boot in ten
# minutes.
SUITE_ACCEL ?= tcg,thread=single
# The real clients' inner guests boot Debian's kernel, whichever kernel
# the test VM runs.
CLIENT_KVER ?= $(KVER)
export VFIO_TIME_SCALE ?= 1

check: modules selftests
	@mkdir -p $(BUILD)/check
	@$(VM)/make-plan.sh $(BUILD)/selftests $(SELFTESTS) "$(T)" \
		> $(BUILD)/check/plan
	@$(VM)/mkinitramfs.sh -o $(BUILD)/check/initramfs.gz -k $(KVER) \
		$(if $(VM_MODROOT),-R $(VM_MODROOT)) \
		-i $(VM)/init.sh $(addprefix -O ,$(OUR_KOS)) \
		$(addprefix -m ,$(GUEST_MODULES)) \
		-f $(BUILD)/check/plan:/etc/vfio-test/plan \
		$$(for p in $$(cut -d' ' -f1 $(BUILD)/check/plan); do \
			echo -f $(BUILD)/selftests/$$p:/selftests/$$p; done)
	@: > $(BUILD)/check/host.log
ifneq ($(CHECK_COMPAT),0)
	@{ echo "VFIOTEST BEGIN compat_check"; \
	   $(TOP)/scripts/compat-check.sh $(KDIR) $(TOP); \
	   echo "VFIOTEST END compat_check rc=$$?"; } > $(BUILD)/check/host.log 2>&1
endif
ifneq ($(CHECK_SIGN),0)
	@{ echo "VFIOTEST BEGIN sign_check"; \
	   $(TOP)/scripts/sign-check.sh $(KDIR) $(TOP) $(OUR_KOS); \
	   echo "VFIOTEST END sign_check rc=$$?"; } >> $(BUILD)/check/host.log 2>&1
endif
ifneq ($(CHECK_DKMS),0)
	@{ echo "VFIOTEST BEGIN dkms_check"; \
	   $(TOP)/scripts/dkms-check.sh $(TOP) $(KVER); \
	   echo "VFIOTEST END dkms_check rc=$$?"; } >> $(BUILD)/check/host.log 2>&1
endif
	@VM_ACCEL=$(SUITE_ACCEL) $(VM)/run-vm.sh -k $(VM_KERNEL) \
		-i $(BUILD)/check/initramfs.gz -l $(BUILD)/check/console.log \
		$(if $(VM_APPEND),-a "$(VM_APPEND)"); \
	 rc=$$?; \
	 cat $(BUILD)/check/host.log $(BUILD)/check/console.log | tr -d '\r' \
		> $(BUILD)/check/all.log; \
	 if [ "$(CHECK_S390)" != 0 ]; then \
		rm -f $(BUILD)/s390x/all.log; \
		$(SELFTESTS)/s390/run.sh $(T) > $(BUILD)/check/s390.out 2>&1; \
		$(VM)/frame-log.sh run.sh $(BUILD)/s390x/all.log \
			$(BUILD)/check/s390.out s390x: >> $(BUILD)/check/all.log; \
	 fi; \
	 if [ "$(CHECK_CLIENTS)" != 0 ] && [ -z "$(T)" ]; then \
		for t in $(CLIENTS); do \
			rm -f $(BUILD)/$$t/all.log; \
			VFIO_VM_KERNEL=$(VM_KERNEL) VFIO_VM_KVER=$(KVER) \
			VFIO_VM_MODROOT=$(VM_MODROOT) VFIO_VM_APPEND="$(VM_APPEND)" \
			$(SELFTESTS)/$$t/run.sh $(BUILD)/$$t $(CLIENT_KVER) \
				$(OUR_KOS) > $(BUILD)/check/$$t.out 2>&1; \
			$(VM)/frame-log.sh $$t.sh $(BUILD)/$$t/all.log \
				$(BUILD)/check/$$t.out >> $(BUILD)/check/all.log; \
		done; \
	 fi; \
	 grep -E '^(VFIOTEST|not ok|# FAIL)|^#.*Expected' $(BUILD)/check/all.log; \
	 python3 $(VM)/tap-summary.py $(BUILD)/check/all.log && [ $$rc = 0 ]

# The debug tier: the whole suite and the real clients again, on a kernel
# built once from Debian's linux-source-6.1 with the kernel's checkers on
# (tools/testing/selftests/vfio/debug.config) and cached outside the work
# tree (scripts/debug-kernel.sh).  Our modules are built against it in a
# copy of the tree.  Any report of KASAN, lockdep, UBSAN, DEBUG_OBJECTS or
# kmemleak, a WARNING, BUG or hung task fails the program that was running
# (vm/init.sh).  Everything takes longer there: VFIO_TIME_SCALE stretches
# the time limits.  The s390x run is not part of it, nor the host-side
# build of 6.1's samples against our headers (make check's compat_check:
# it is about our headers, and mdpy-fb needs fbdev, which the debug
# kernel leaves out).
DEBUG_TIME_SCALE ?= 4
# The fuzzer runs ten minutes there (one in make check); the guest's init
# gets the variable from the kernel command line.
DEBUG_FUZZ_SECONDS ?= 600
# Each path of the fault-injection sweep may take this long.
FAIL_NTH_SECONDS ?= 240
# Linux 6.1's virtio_net probe takes the MSI descriptor mutex inside
# cpu_hotplug_lock, against the order the IOMMU setup at boot records, and
# lockdep turns itself off after its first report: with virtio_net loaded
# it would check nothing of ours.  No test needs the host's virtio_net
# driver (they take the virtio-net function from virtio_pci).
DEBUG_VM_APPEND = VFIO_FUZZ_SECONDS=$(DEBUG_FUZZ_SECONDS) \
	FAIL_NTH_SECONDS=$(FAIL_NTH_SECONDS) VFIO_SKIP_MODULES=virtio_net
check-debug: deps
	@dir=$$($(TOP)/scripts/debug-kernel.sh $(TOP)) && \
	 VFIO_FUZZ_SECONDS=$(DEBUG_FUZZ_SECONDS) FAIL_NTH_SECONDS=$(FAIL_NTH_SECONDS) \
	 $(MAKE) --no-print-directory check BUILD=$(BUILD)/debug \
		MODSRC=$(BUILD)/debug/src KVER=$$(cat $$dir/release) \
		KDIR=$$dir/linux VM_KERNEL=$$dir/bzImage VM_MODROOT=$$dir/root \
		CLIENT_KVER=$(KVER) CHECK_S390=0 CHECK_COMPAT=0 CHECK_SIGN=0 CHECK_DKMS=0 \
		VM_APPEND="log_buf_len=16M $(DEBUG_VM_APPEND)" \
		VFIO_TIME_SCALE=$(DEBUG_TIME_SCALE) \
		VM_TIMEOUT=$$((900 * $(DEBUG_TIME_SCALE) + $(DEBUG_FUZZ_SECONDS) + 15 * $(FAIL_NTH_SECONDS)))

# The demo: QEMU in the test VM passes the NVMe through our vfio-pci to
# a nested KVM guest that reads a known pattern from the disk.
demo: modules
	@$(SELFTESTS)/pci_qemu/run.sh $(BUILD)/pci_qemu $(KVER) $(OUR_KOS)

# Part of a full make check; alone, with their own logs.
check-mdev-qemu check-pci-qemu: check-%-qemu: modules
	@$(SELFTESTS)/$*_qemu/run.sh $(BUILD)/$*_qemu $(KVER) $(OUR_KOS)

check-dpdk: modules
	@$(SELFTESTS)/dpdk/run.sh $(BUILD)/dpdk $(KVER) $(OUR_KOS)

# No-IOMMU mode in a VM without a vIOMMU: noiommu_test and testpmd.
check-noiommu: modules selftests
	@$(SELFTESTS)/noiommu/run.sh $(BUILD)/noiommu $(KVER) $(OUR_KOS)

# An IOMMU without interrupt remapping: msi_isolation_test.
check-nointremap: modules selftests
	@$(SELFTESTS)/nointremap/run.sh $(BUILD)/nointremap $(KVER) $(OUR_KOS)

# The race tests again, each vCPU on a host thread of its own.
check-races: modules selftests
	@$(SELFTESTS)/races/run.sh $(BUILD)/races $(KVER) $(OUR_KOS)

# Not part of check: boots the VM on Debian's VFIO modules and on ours in
# turns, BENCH_ROUNDS times each, and prints ours/Debian ratios of the best
# times (BENCH_SIZES in MiB to change sizes).
bench: modules
	@mkdir -p $(BUILD)/bench
	cc -O2 -Wall -static -I$(TOP)/include/uapi -o $(BUILD)/bench/type1_bench \
		$(SELFTESTS)/bench/type1_bench.c
	@$(SELFTESTS)/bench/run.sh $(TOP) $(KVER) $(BUILD)/bench/type1_bench \
		$(BUILD)/bench "$(OUR_KOS)" $(BENCH_SIZES)

# s390x: cross build, and a run in Debian's s390x kernel under TCG.
check-s390: deps
	@$(SELFTESTS)/s390/run.sh $(T)

# A Debian package of the source for DKMS (see README.md), and its install.
deb:
	@mkdir -p $(BUILD)/deb
	@$(TOP)/scripts/make-deb.sh $(TOP) $(BUILD)/deb

dkms-install: deb
	apt-get install -y $$(ls -t $(BUILD)/deb/vfio-stack-dkms_*.deb | head -n 1)

# For hosts that load only signed modules (Secure Boot): see README.md.
sign:
	@[ -n "$(KEY)" ] && [ -n "$(CERT)" ] || \
	 { echo "usage: make sign KEY=private-key.pem CERT=certificate.der" \
		"(the key enrolled with mokutil; see README.md)" >&2; exit 1; }
	@$(MAKE) --no-print-directory modules
	@$(TOP)/scripts/sign-modules.sh $(KDIR) $(KEY) $(CERT) $(OUR_KOS)

install: modules
	mkdir -p /lib/modules/$(KVER)/updates/vfio
	cp $(OUR_KOS) /lib/modules/$(KVER)/updates/vfio/
	depmod $(KVER)

clean:
	-$(MAKE) $(KBUILD_ARGS) clean
	-$(MAKE) -C $(SELFTESTS) OUTPUT=$(BUILD)/selftests clean
	rm -rf $(BUILD)
