// SPDX-License-Identifier: GPL-2.0-only
/*
 * Group viability with a real IOMMU group: two PCI functions behind a
 * PCI bridge share one group, so one of them can only be given to
 * userspace while the other is not driven by a host driver.  The mock's
 * PCI driver stands in for vfio-pci.
 */
#include <dirent.h>

#include "../kselftest_harness.h"
#include "vfio_test_util.h"

#define PCI_DEVICES	"/sys/bus/pci/devices"

/* The driver a PCI device is bound to, "" if none. */
static void pci_driver_of(const char *bdf, char *drv, size_t size)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t len;

	snprintf(link, sizeof(link), PCI_DEVICES "/%s/driver", bdf);
	len = readlink(link, target, sizeof(target) - 1);
	if (len < 0) {
		drv[0] = '\0';
		return;
	}
	target[len] = '\0';
	snprintf(drv, size, "%s", basename(target));
}

static int pci_unbind(const char *bdf)
{
	char path[PATH_MAX], drv[64];

	pci_driver_of(bdf, drv, sizeof(drv));
	if (!drv[0])
		return 0;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind", bdf);
	return vfio_write_file(path, bdf);
}

/* Bind to DRIVER through driver_override ("" restores normal matching). */
static int pci_bind(const char *bdf, const char *driver)
{
	char path[PATH_MAX];
	int ret;

	ret = pci_unbind(bdf);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	ret = vfio_write_file(path, driver[0] ? driver : "\n");
	if (ret)
		return ret;
	return vfio_write_file("/sys/bus/pci/drivers_probe", bdf);
}

static bool is_network_function(const char *bdf)
{
	char path[PATH_MAX];
	long long class;
	FILE *f;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/class", bdf);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fscanf(f, "%lli", &class) != 1)
		class = 0;
	fclose(f);
	return (class >> 16) == 0x02;
}

/* Find an IOMMU group holding two network functions; 0 if found. */
static int find_shared_group(int *group, char *a, char *b, size_t size)
{
	char path[PATH_MAX];
	struct dirent *g, *d;
	DIR *groups, *devs;
	int found;

	groups = opendir("/sys/kernel/iommu_groups");
	if (!groups)
		return -ENOENT;
	while ((g = readdir(groups))) {
		if (g->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path),
			 "/sys/kernel/iommu_groups/%s/devices", g->d_name);
		devs = opendir(path);
		if (!devs)
			continue;
		found = 0;
		while ((d = readdir(devs)) && found < 2) {
			if (d->d_name[0] == '.' ||
			    !is_network_function(d->d_name))
				continue;
			snprintf(found ? b : a, size, "%.*s", (int)size - 1,
				 d->d_name);
			found++;
		}
		closedir(devs);
		if (found == 2) {
			*group = atoi(g->d_name);
			closedir(groups);
			return 0;
		}
	}
	closedir(groups);
	return -ENOENT;
}

static bool log_mentions(const char *a, const char *b)
{
	return vfio_klog_count(a, b) > 0;
}

FIXTURE(viability) {
	int group_nr;
	char a[32], b[32];
	char b_driver[64];
	int container;
	int group;
};

/* The 6.1 harness runs the test body even after a SKIP in the setup. */
#define SKIP_WITHOUT_SHARED_GROUP() \
	do { if (self->group < 0) SKIP(return, "no shared group"); } while (0)

FIXTURE_SETUP(viability)
{
	self->container = self->group = -1;
	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	if (find_shared_group(&self->group_nr, self->a, self->b,
			      sizeof(self->a)))
		SKIP(return, "no IOMMU group with two network functions");
	pci_driver_of(self->b, self->b_driver, sizeof(self->b_driver));
	if (!self->b_driver[0])
		SKIP(return, "%s has no host driver to block with", self->b);

	ASSERT_EQ(0, pci_bind(self->a, "vfio-mock-pci"));
	self->container = vfio_open_container();
	ASSERT_LE(0, self->container);
	self->group = vfio_open_group(self->group_nr);
	ASSERT_LE(0, self->group);
}

FIXTURE_TEARDOWN(viability)
{
	if (self->group >= 0)
		close(self->group);
	if (self->container >= 0)
		close(self->container);
	if (self->b_driver[0]) {
		/* Give both functions back to their host driver. */
		EXPECT_EQ(0, pci_bind(self->a, ""));
		EXPECT_EQ(0, pci_bind(self->b, ""));
	}
}

TEST_F(viability, blocked_by_host_driver)
{
	unsigned int flags;

	SKIP_WITHOUT_SHARED_GROUP();
	ASSERT_EQ(0, vfio_group_status(self->group, &flags));
	EXPECT_EQ(0, flags & VFIO_GROUP_FLAGS_VIABLE);
	/* As in 6.1: the IOMMU core's "owned by a kernel driver". */
	EXPECT_EQ(-EPERM, vfio_group_set_container(self->group,
						   self->container));
	/* The log names the device in the way and its driver. */
	EXPECT_TRUE(log_mentions(self->b, "is not viable"));
	EXPECT_TRUE(log_mentions(self->b, self->b_driver));
	ASSERT_EQ(0, vfio_group_status(self->group, &flags));
	EXPECT_EQ(0, flags & VFIO_GROUP_FLAGS_CONTAINER_SET);
}

/* Refused again and again, the group is named, but the log not flooded. */
TEST_F(viability, refusals_do_not_flood_the_log)
{
	int before, i;

	SKIP_WITHOUT_SHARED_GROUP();
	before = vfio_klog_count(self->b, "is not viable");
	for (i = 0; i < 200; i++)
		ASSERT_EQ(-EPERM, vfio_group_set_container(self->group,
							   self->container));
	EXPECT_LT(before, vfio_klog_count(self->b, "is not viable"));
	/* The kernel's default: ten messages, then silence for 5 s. */
	EXPECT_GE(before + 10, vfio_klog_count(self->b, "is not viable"));
}

TEST_F(viability, viable_once_unbound)
{
	unsigned int flags;
	char drv[64];
	int dev;

	SKIP_WITHOUT_SHARED_GROUP();
	ASSERT_EQ(0, pci_unbind(self->b));
	ASSERT_EQ(0, vfio_group_status(self->group, &flags));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE, flags);
	ASSERT_EQ(0, vfio_group_set_container(self->group, self->container));
	ASSERT_EQ(0, vfio_ioctl(self->container, VFIO_SET_IOMMU,
				VFIO_MOCK_IOMMU));
	dev = vfio_ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD, self->a);
	ASSERT_LE(0, dev);
	/* B is in the group but is no VFIO device. */
	EXPECT_EQ(-ENODEV, vfio_ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD,
				      self->b));

	/* While userspace owns the group, no host driver may bind to B. */
	vfio_write_file("/sys/bus/pci/drivers_probe", self->b);
	pci_driver_of(self->b, drv, sizeof(drv));
	EXPECT_STREQ("", drv);

	close(dev);
	ASSERT_EQ(0, vfio_ioctl(self->group, VFIO_GROUP_UNSET_CONTAINER,
				NULL));
	/* Ownership is released: the host driver binds again. */
	ASSERT_EQ(0, vfio_write_file("/sys/bus/pci/drivers_probe", self->b));
	pci_driver_of(self->b, drv, sizeof(drv));
	EXPECT_STREQ(self->b_driver, drv);
	ASSERT_EQ(0, vfio_group_status(self->group, &flags));
	EXPECT_EQ(0, flags & VFIO_GROUP_FLAGS_VIABLE);
}

TEST_HARNESS_MAIN
