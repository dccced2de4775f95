// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM capture at open, with the real kvm.ko: userspace associates a group
 * with a VM through the KVM-VFIO device, a device takes that VM at its
 * first open, holds it, and keeps it until its last close whatever happens
 * to the association meanwhile.
 */
#include <dirent.h>
#include <pthread.h>
#include <linux/kvm.h>

#include "../kselftest_harness.h"
#include "vfio_test_util.h"

#define DEV	30

struct vm {
	int fd;
	int vfio_dev;	/* the VM's KVM-VFIO device */
};

static int vm_create(int kvm, struct vm *vm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };

	vm->fd = vfio_ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		return vm->fd;
	if (vfio_ioctl(vm->fd, KVM_CREATE_DEVICE, &cd) < 0)
		return -errno;
	vm->vfio_dev = cd.fd;
	return 0;
}

static void vm_close(struct vm *vm)
{
	if (vm->vfio_dev >= 0)
		close(vm->vfio_dev);
	if (vm->fd >= 0)
		close(vm->fd);
	vm->fd = vm->vfio_dev = -1;
}

static int vm_group(struct vm *vm, int group, bool add)
{
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_GROUP,
		.attr = add ? KVM_DEV_VFIO_GROUP_ADD : KVM_DEV_VFIO_GROUP_DEL,
		.addr = (__u64)(unsigned long)&group,
	};

	return vfio_ioctl(vm->vfio_dev, KVM_SET_DEVICE_ATTR, &attr);
}

/* Live VMs, from KVM's per-VM debugfs directories ("PID-FD"). */
static int count_vms(void)
{
	struct dirent *e;
	int n = 0;
	DIR *d;

	d = opendir("/sys/kernel/debug/kvm");
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strchr(e->d_name, '-'))
			n++;
	closedir(d);
	return n;
}

static int open_mock_device(int group)
{
	char name[32];

	vfio_mock_name(DEV, name, sizeof(name));
	return vfio_ioctl(group, VFIO_GROUP_GET_DEVICE_FD, name);
}

FIXTURE(kvm) {
	int kvm;
	struct vm vm1, vm2;
	struct vfio_mock_handle h;
};

FIXTURE_VARIANT(kvm) {
	const char *flags;
};

FIXTURE_VARIANT_ADD(kvm, plain) {
	.flags = "",
};

FIXTURE_VARIANT_ADD(kvm, needs_kvm) {
	.flags = "kvm",
};

/* Takes kvm->lock at open and close, as vfio-ap and s390 zPCI do. */
FIXTURE_VARIANT_ADD(kvm, takes_kvm_lock) {
	.flags = "kvmlock",
};

/*
 * The 6.1 harness runs the test body even after a SKIP in the setup, so
 * each body starts with this.
 */
#define SKIP_WITHOUT_KVM() \
	do { if (self->kvm < 0) SKIP(return, "no /dev/kvm"); } while (0)

FIXTURE_SETUP(kvm)
{
	self->vm1.fd = self->vm1.vfio_dev = -1;
	self->vm2.fd = self->vm2.vfio_dev = -1;
	self->h.container = self->h.group = self->h.device = -1;
	self->kvm = -1;

	/*
	 * Load KVM only if needed, and one vendor module only: every module
	 * load patches kernel text, which TCG guests should not do needlessly.
	 */
	if (access("/dev/kvm", F_OK) && vfio_modprobe("kvm_amd"))
		vfio_modprobe("kvm_intel");
	self->kvm = open("/dev/kvm", O_RDWR);
	if (self->kvm < 0)
		SKIP(return, "no /dev/kvm in this machine");

	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	vfio_mock_destroy(DEV);
	ASSERT_EQ(0, vfio_mock_create(DEV, 0, variant->flags));
	ASSERT_EQ(0, vm_create(self->kvm, &self->vm1));
	ASSERT_EQ(0, vm_create(self->kvm, &self->vm2));

	/* Container and group set up, device not opened yet. */
	self->h.container = vfio_open_container();
	ASSERT_LE(0, self->h.container);
	self->h.group = vfio_open_group(vfio_mock_group(DEV));
	ASSERT_LE(0, self->h.group);
	ASSERT_EQ(0, vfio_group_set_container(self->h.group,
					      self->h.container));
	ASSERT_EQ(0, vfio_ioctl(self->h.container, VFIO_SET_IOMMU,
				VFIO_MOCK_IOMMU));
}

FIXTURE_TEARDOWN(kvm)
{
	vfio_mock_handle_close(&self->h);
	vm_close(&self->vm1);
	vm_close(&self->vm2);
	if (self->kvm >= 0) {
		close(self->kvm);
		vfio_mock_destroy(DEV);
	}
}

TEST_F(kvm, captured_at_open)
{
	SKIP_WITHOUT_KVM();
	ASSERT_EQ(0, vm_group(&self->vm1, self->h.group, true));
	self->h.device = open_mock_device(self->h.group);
	ASSERT_LE(0, self->h.device);
	EXPECT_EQ(1, vfio_ioctl(self->h.device, VFIO_MOCK_KVM_IS,
				self->vm1.fd));
	EXPECT_EQ(0, vfio_ioctl(self->h.device, VFIO_MOCK_KVM_IS,
				self->vm2.fd));
	EXPECT_EQ(1, vfio_mock_stat(DEV, "kvm"));
	/* Not a VM, not a file. */
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->h.device, VFIO_MOCK_KVM_IS,
				      self->h.group));
	EXPECT_EQ(-EBADF, vfio_ioctl(self->h.device, VFIO_MOCK_KVM_IS, 999));
}

TEST_F(kvm, none_without_association)
{
	SKIP_WITHOUT_KVM();
	self->h.device = open_mock_device(self->h.group);
	if (!strcmp(variant->flags, "kvm")) {
		/* The driver refuses to run without a VM. */
		EXPECT_EQ(-EPERM, self->h.device);
		EXPECT_EQ(1, vfio_mock_stat(DEV, "opens"));
		EXPECT_EQ(0, vfio_mock_stat(DEV, "closes"));
		/* A failed first open leaves the container usable. */
		EXPECT_EQ(0, vfio_ioctl(self->h.group,
					VFIO_GROUP_UNSET_CONTAINER, NULL));
		return;
	}
	ASSERT_LE(0, self->h.device);
	EXPECT_EQ(0, vfio_ioctl(self->h.device, VFIO_MOCK_KVM_IS,
				self->vm1.fd));
	EXPECT_EQ(0, vfio_mock_stat(DEV, "kvm"));
}

/* Any user may retry a refused open: the log must not fill with it. */
TEST_F(kvm, refused_opens_do_not_flood_the_log)
{
	const char *msg = "a KVM is required to open this device";
	int before, i;

	SKIP_WITHOUT_KVM();
	if (strcmp(variant->flags, "kvm"))
		SKIP(return, "only the driver that needs a VM refuses");
	before = vfio_klog_count(msg, "");
	for (i = 0; i < 100; i++)
		ASSERT_EQ(-EPERM, open_mock_device(self->h.group));
	EXPECT_LT(before, vfio_klog_count(msg, ""));
	/* The kernel's default: ten messages, then silence for 5 s. */
	EXPECT_GE(before + 10, vfio_klog_count(msg, ""));
}

/* Moving the group to another VM does not change an open device's VM. */
TEST_F(kvm, replaced_while_open)
{
	SKIP_WITHOUT_KVM();
	ASSERT_EQ(0, vm_group(&self->vm1, self->h.group, true));
	self->h.device = open_mock_device(self->h.group);
	ASSERT_LE(0, self->h.device);

	ASSERT_EQ(0, vm_group(&self->vm1, self->h.group, false));
	ASSERT_EQ(0, vm_group(&self->vm2, self->h.group, true));
	EXPECT_EQ(1, vfio_ioctl(self->h.device, VFIO_MOCK_KVM_IS,
				self->vm1.fd));
	EXPECT_EQ(0, vfio_ioctl(self->h.device, VFIO_MOCK_KVM_IS,
				self->vm2.fd));

	/* Another open of the same device shares the first open's VM. */
	{
		int second = open_mock_device(self->h.group);

		ASSERT_LE(0, second);
		EXPECT_EQ(1, vfio_ioctl(second, VFIO_MOCK_KVM_IS,
					self->vm1.fd));
		close(second);
	}

	/* The next first open takes the new VM. */
	close(self->h.device);
	self->h.device = open_mock_device(self->h.group);
	ASSERT_LE(0, self->h.device);
	EXPECT_EQ(0, vfio_ioctl(self->h.device, VFIO_MOCK_KVM_IS,
				self->vm1.fd));
	EXPECT_EQ(1, vfio_ioctl(self->h.device, VFIO_MOCK_KVM_IS,
				self->vm2.fd));
}

TEST_F(kvm, removed_while_open)
{
	SKIP_WITHOUT_KVM();
	ASSERT_EQ(0, vm_group(&self->vm1, self->h.group, true));
	self->h.device = open_mock_device(self->h.group);
	ASSERT_LE(0, self->h.device);

	ASSERT_EQ(0, vm_group(&self->vm1, self->h.group, false));
	EXPECT_EQ(1, vfio_ioctl(self->h.device, VFIO_MOCK_KVM_IS,
				self->vm1.fd));
	EXPECT_EQ(1, vfio_mock_stat(DEV, "kvm"));

	close(self->h.device);
	self->h.device = open_mock_device(self->h.group);
	if (!strcmp(variant->flags, "kvm")) {
		EXPECT_EQ(-EPERM, self->h.device);
		return;
	}
	ASSERT_LE(0, self->h.device);
	EXPECT_EQ(0, vfio_ioctl(self->h.device, VFIO_MOCK_KVM_IS,
				self->vm1.fd));
	EXPECT_EQ(0, vfio_mock_stat(DEV, "kvm"));
}

/* The device's reference keeps the VM alive after userspace let go. */
TEST_F(kvm, reference_held_until_close)
{
	int vms;

	SKIP_WITHOUT_KVM();

	ASSERT_EQ(0, vm_group(&self->vm1, self->h.group, true));
	self->h.device = open_mock_device(self->h.group);
	ASSERT_LE(0, self->h.device);

	vms = count_vms();
	ASSERT_LE(2, vms);
	vm_close(&self->vm1);
	EXPECT_EQ(vms, count_vms());
	EXPECT_EQ(1, vfio_mock_stat(DEV, "kvm"));

	/* The last close drops the last reference: the VM is destroyed. */
	close(self->h.device);
	self->h.device = -1;
	EXPECT_EQ(vms - 1, count_vms());
	EXPECT_EQ(0, vfio_mock_stat(DEV, "kvm"));
}

/* A group fd closed by userspace, still held by KVM-VFIO, reopens fine. */
TEST_F(kvm, group_released_by_vm)
{
	int group_nr = vfio_mock_group(DEV);

	SKIP_WITHOUT_KVM();

	ASSERT_EQ(1, vfio_mock_iommu_stat("instances"));
	ASSERT_EQ(0, vm_group(&self->vm1, self->h.group, true));
	vfio_mock_handle_close(&self->h);
	EXPECT_EQ(1, vfio_mock_iommu_stat("instances"));
	/* KVM holds the group file: it stays owned. */
	EXPECT_EQ(-EBUSY, vfio_open_group(group_nr));
	vm_close(&self->vm1);
	EXPECT_EQ(0, vfio_mock_iommu_stat("groups"));
	EXPECT_EQ(0, vfio_mock_iommu_stat("instances"));
	self->h.group = vfio_open_group(group_nr);
	EXPECT_LE(0, self->h.group);
}

struct opener {
	int group;
	int rounds;
	int failures;
};

static void *open_and_close(void *arg)
{
	struct opener *o = arg;
	int i, fd;

	for (i = 0; i < o->rounds; i++) {
		fd = open_mock_device(o->group);
		if (fd < 0)
			o->failures++;
		else
			close(fd);
	}
	return NULL;
}

/*
 * kvm.ko releases a KVM-VFIO device with kvm->lock held and ends the
 * group's association from there, while the device's first open and last
 * close run the driver's callbacks, which may take kvm->lock, under the
 * group's lock.  Both at once must neither deadlock nor, under lockdep,
 * look as if they could.
 */
TEST_F(kvm, open_races_kvm_device_release)
{
	struct opener o = { .group = self->h.group, .rounds = 400 };
	pthread_t thread;
	int i;

	SKIP_WITHOUT_KVM();
	/* The device fd of vm1 is the one this test creates and releases. */
	close(self->vm1.vfio_dev);
	self->vm1.vfio_dev = -1;
	ASSERT_EQ(0, pthread_create(&thread, NULL, open_and_close, &o));
	for (i = 0; i < o.rounds; i++) {
		struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };

		ASSERT_EQ(0, vfio_ioctl(self->vm1.fd, KVM_CREATE_DEVICE, &cd));
		self->vm1.vfio_dev = cd.fd;
		ASSERT_EQ(0, vm_group(&self->vm1, self->h.group, true));
		close(self->vm1.vfio_dev);
		self->vm1.vfio_dev = -1;
	}
	ASSERT_EQ(0, pthread_join(thread, NULL));
	/* Without a VM the "kvm" variant may refuse; the others never do. */
	if (strcmp(variant->flags, "kvm"))
		EXPECT_EQ(0, o.failures);
	EXPECT_EQ(0, vfio_mock_stat(DEV, "kvm"));
}

TEST_HARNESS_MAIN
