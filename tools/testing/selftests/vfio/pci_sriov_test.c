// SPDX-License-Identifier: GPL-2.0-only
/*
 * SR-IOV through vfio-pci: a PF bound to vfio-pci (with enable_sriov)
 * creates a VF, which defaults to vfio-pci too, and the VF may only be
 * opened with the VF token the PF's user set.  The test VM's second NVMe
 * (08.0) is an SR-IOV PF.  Skipped where it does not exist.
 */
#include "../kselftest_harness.h"
#include "pci_test_util.h"

#define PF		"0000:00:08.0"
#define SYSFS_PF	"/sys/bus/pci/devices/" PF
#define ENABLE_SRIOV	"/sys/module/vfio_pci/parameters/enable_sriov"

static const char token[] = "4e5c1f8a-0b7d-4c29-9a61-3f2e8d7b6a10";
static const char wrong[] = "4e5c1f8a-0b7d-4c29-9a61-3f2e8d7b6a11";

FIXTURE(sriov) {
	struct pci_handle pf;
	bool bound;
	char vf[32];
	int vf_group;
};

static int set_token(int device, const char *uuid)
{
	char buf[sizeof(struct vfio_device_feature) + 16];
	struct vfio_device_feature *f = (void *)buf;
	unsigned int i, b;

	f->argsz = sizeof(buf);
	f->flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN;
	/* The UUID's bytes in the order it is written. */
	for (i = 0, b = 0; uuid[i] && b < 16; i++) {
		if (uuid[i] == '-')
			continue;
		if (sscanf(&uuid[i], "%2hhx", &f->data[b++]) != 1)
			return -EINVAL;
		i++;
	}
	return vfio_ioctl(device, VFIO_DEVICE_FEATURE, f);
}

/* The BDF of the PF's first VF, from sysfs. */
static int first_vf(char *bdf, size_t size)
{
	char link[PATH_MAX];
	ssize_t n;

	n = readlink(SYSFS_PF "/virtfn0", link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	snprintf(bdf, size, "%.31s", basename(link));
	return 0;
}

static int open_vf(FIXTURE_DATA(sriov) *self, const char *suffix)
{
	char name[96];

	snprintf(name, sizeof(name), "%s%s", self->vf, suffix);
	return vfio_ioctl(self->vf_group, VFIO_GROUP_GET_DEVICE_FD, name);
}

FIXTURE_SETUP(sriov)
{
	char drv[PATH_MAX], link[PATH_MAX];
	ssize_t n;
	int ret;

	self->vf_group = -1;
	self->pf.device = -1;
	if (access(SYSFS_PF "/sriov_totalvfs", F_OK))
		SKIP(return, "no SR-IOV PF at " PF);
	ret = pci_handle_setup(&self->pf, PF);
	if (ret == PCI_ABSENT)
		SKIP(return, "no vfio-pci");
	self->bound = true;
	ASSERT_EQ(0, ret);

	/* Without enable_sriov, vfio-pci refuses to create VFs. */
	ASSERT_EQ(0, vfio_write_file(ENABLE_SRIOV, "N"));
	EXPECT_NE(0, vfio_write_file(SYSFS_PF "/sriov_numvfs", "1"));
	ASSERT_EQ(0, vfio_write_file(ENABLE_SRIOV, "Y"));

	ASSERT_EQ(0, set_token(self->pf.device, token));
	ASSERT_EQ(0, vfio_write_file(SYSFS_PF "/sriov_numvfs", "1"));
	ASSERT_EQ(0, first_vf(self->vf, sizeof(self->vf)));

	/* The VF went to vfio-pci, not to the host's nvme driver. */
	snprintf(drv, sizeof(drv), "/sys/bus/pci/devices/%s/driver", self->vf);
	pci_wait_driver(self->vf);
	n = readlink(drv, link, sizeof(link) - 1);
	ASSERT_LT(0, n);
	link[n] = '\0';
	ASSERT_STREQ("vfio-pci", basename(link));

	self->vf_group = vfio_open_group(pci_group_of(self->vf));
	ASSERT_LE(0, self->vf_group);
	ASSERT_EQ(0, vfio_group_set_container(self->vf_group,
					      self->pf.container));
}

FIXTURE_TEARDOWN(sriov)
{
	if (self->vf_group >= 0)
		close(self->vf_group);
	if (self->bound) {
		vfio_write_file(SYSFS_PF "/sriov_numvfs", "0");
		vfio_write_file(ENABLE_SRIOV, "N");
		pci_handle_teardown(&self->pf);
	}
}

TEST_F(sriov, vf_needs_the_token)
{
	char with[64];
	int vf;

	if (self->vf_group < 0)
		SKIP(return, "no VF");
	EXPECT_EQ(-EACCES, open_vf(self, ""));
	snprintf(with, sizeof(with), " vf_token=%s", wrong);
	EXPECT_EQ(-EACCES, open_vf(self, with));
	EXPECT_EQ(-EINVAL, open_vf(self, " vf_token=not-a-uuid"));

	snprintf(with, sizeof(with), " vf_token=%s", token);
	vf = open_vf(self, with);
	ASSERT_LE(0, vf);
	close(vf);
}

TEST_F(sriov, token_feature_bad_requests)
{
	char buf[sizeof(struct vfio_device_feature) + 16];
	struct vfio_device_feature *f = (void *)buf;

	if (self->vf_group < 0)
		SKIP(return, "no VF");
	memset(buf, 0, sizeof(buf));
	/* Probing says it is settable; it cannot be read back. */
	f->argsz = sizeof(*f);
	f->flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
		   VFIO_DEVICE_FEATURE_PCI_VF_TOKEN;
	EXPECT_EQ(0, vfio_ioctl(self->pf.device, VFIO_DEVICE_FEATURE, f));
	f->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN;
	f->argsz = sizeof(buf);
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->pf.device, VFIO_DEVICE_FEATURE, f));
	/* A UUID is 16 bytes. */
	f->flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN;
	f->argsz = sizeof(*f) + 8;
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->pf.device, VFIO_DEVICE_FEATURE, f));
}

TEST_HARNESS_MAIN
