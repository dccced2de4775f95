// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM capture where the real KVM cannot run (s390x under TCG): the
 * vfio_kvm_standin module provides the VM references and the group
 * association, and records when its VMs are freed.  Skipped where the
 * module does not exist.
 */
#include "../kselftest_harness.h"
#include "vfio_test_util.h"

#define STANDIN	"/sys/kernel/debug/vfio_kvm_standin"
#define DEV	60

/* Whether the events file has a line starting with @what. */
static bool standin_saw(const char *what)
{
	char line[128];
	bool found = false;
	FILE *f;

	f = fopen(STANDIN "/events", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, what, strlen(what)))
			found = true;
	fclose(f);
	return found;
}

static int standin_associate(int group)
{
	char fd[16];

	snprintf(fd, sizeof(fd), "%d", group);
	return vfio_write_file(STANDIN "/associate", fd);
}

FIXTURE(standin) {
	bool present;
	struct vfio_mock_handle h;
};

FIXTURE_SETUP(standin)
{
	self->h.container = self->h.group = self->h.device = -1;
	self->present = !vfio_modprobe("vfio_kvm_standin");
	if (!self->present)
		SKIP(return, "no vfio_kvm_standin here (only built for s390)");
	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	vfio_mock_destroy(DEV);
	ASSERT_EQ(0, vfio_mock_create(DEV, 0, "kvm"));
	self->h.container = vfio_open_container();
	ASSERT_LE(0, self->h.container);
	self->h.group = vfio_open_group(vfio_mock_group(DEV));
	ASSERT_LE(0, self->h.group);
	ASSERT_EQ(0, vfio_group_set_container(self->h.group,
					      self->h.container));
	ASSERT_EQ(0, vfio_ioctl(self->h.container, VFIO_SET_IOMMU,
				VFIO_MOCK_IOMMU));
}

FIXTURE_TEARDOWN(standin)
{
	if (!self->present)
		return;
	vfio_write_file(STANDIN "/dissociate", "1");
	vfio_mock_handle_close(&self->h);
	vfio_mock_destroy(DEV);
	/* Every VM was freed: the module unloads. */
	EXPECT_EQ(0, vfio_sh("rmmod vfio_kvm_standin"));
}

static int open_dev(struct vfio_mock_handle *h)
{
	char name[32];

	vfio_mock_name(DEV, name, sizeof(name));
	return vfio_ioctl(h->group, VFIO_GROUP_GET_DEVICE_FD, name);
}

TEST_F(standin, capture_and_release)
{
	if (!self->present)
		SKIP(return, "no stand-in");

	/* Without a VM the device refuses to open. */
	EXPECT_EQ(-EPERM, open_dev(&self->h));

	ASSERT_EQ(0, standin_associate(self->h.group));
	self->h.device = open_dev(&self->h);
	ASSERT_LE(0, self->h.device);
	EXPECT_EQ(1, vfio_mock_stat(DEV, "kvm"));

	/* Userspace lets go of the VM: the device's reference keeps it. */
	ASSERT_EQ(0, vfio_write_file(STANDIN "/dissociate", "1"));
	EXPECT_FALSE(standin_saw("freed vm1"));
	/* The module is pinned while a device holds one of its VMs. */
	EXPECT_NE(0, vfio_sh("rmmod vfio_kvm_standin 2>/dev/null"));

	close(self->h.device);
	self->h.device = -1;
	EXPECT_TRUE(standin_saw("freed vm1"));
}

TEST_F(standin, replaced_while_open)
{
	if (!self->present)
		SKIP(return, "no stand-in");

	ASSERT_EQ(0, standin_associate(self->h.group));
	self->h.device = open_dev(&self->h);
	ASSERT_LE(0, self->h.device);

	/* A second VM replaces the first: the first lives on in the device. */
	ASSERT_EQ(0, standin_associate(self->h.group));
	EXPECT_FALSE(standin_saw("freed vm1"));
	close(self->h.device);
	EXPECT_TRUE(standin_saw("freed vm1"));
	EXPECT_FALSE(standin_saw("freed vm2"));

	self->h.device = open_dev(&self->h);
	ASSERT_LE(0, self->h.device);
	ASSERT_EQ(0, vfio_write_file(STANDIN "/dissociate", "1"));
	EXPECT_FALSE(standin_saw("freed vm2"));
	close(self->h.device);
	self->h.device = -1;
	EXPECT_TRUE(standin_saw("freed vm2"));
}

TEST_F(standin, bad_inputs)
{
	if (!self->present)
		SKIP(return, "no stand-in");

	EXPECT_EQ(-EBADF, standin_associate(999));
	EXPECT_EQ(-EINVAL, standin_associate(self->h.container));
	EXPECT_EQ(-EINVAL, vfio_write_file(STANDIN "/fail_register", "-1"));
}

TEST_HARNESS_MAIN
