// SPDX-License-Identifier: GPL-2.0-only
/*
 * No-IOMMU mode, in a VM without a virtual IOMMU (noiommu/run.sh): the
 * e1000 at 00:04.0 has no IOMMU group.  With vfio's
 * enable_unsafe_noiommu_mode off, vfio-pci must refuse it and say how to
 * get it; with it on, the function gets /dev/vfio/noiommu-N, the kernel
 * is tainted, containers offer VFIO_NOIOMMU_IOMMU and no DMA mapping,
 * every step needs CAP_SYS_RAWIO (the device's open too, from a group fd
 * a privileged process set up), and no-IOMMU groups never share a
 * container with any other kind.
 */
#include <sys/syscall.h>
#include <linux/capability.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "pci_test_util.h"

#define NIC		"0000:00:04.0"
#define MODE		"/sys/module/vfio/parameters/enable_unsafe_noiommu_mode"
#define TAINT_USER_BIT	(1UL << 6)
#define MOCK_DEV	73

static int set_mode(bool on)
{
	return vfio_write_file(MODE, on ? "Y" : "N");
}

static unsigned long taint_flags(void)
{
	unsigned long t = 0;
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");

	if (f) {
		if (fscanf(f, "%lu", &t) != 1)
			t = 0;
		fclose(f);
	}
	return t;
}

/* The node of the NIC's group: /dev/vfio/noiommu-N, or "" without one. */
static void group_node(char *node, size_t len)
{
	int id = pci_group_of(NIC);

	node[0] = '\0';
	if (id >= 0)
		snprintf(node, len, "/dev/vfio/noiommu-%d", id);
}

/* Take CAP_SYS_RAWIO out of this process's effective set. */
static int drop_rawio(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_SYS_RAWIO / 32].effective &= ~(1u << (CAP_SYS_RAWIO % 32));
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

FIXTURE(noiommu) {
	char old[64];
	char node[64];
	bool bound;
};

FIXTURE_SETUP(noiommu)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", NIC);
	if (access(path, F_OK))
		SKIP(return, "no " NIC);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 NIC);
	/* This program is for a VM without an IOMMU: anywhere else, fail. */
	ASSERT_NE(0, access(path, F_OK))
		TH_LOG(NIC " has an IOMMU group: not a machine without IOMMU");
	ASSERT_EQ(0, vfio_modprobe("vfio"));
	ASSERT_EQ(0, access(MODE, F_OK)) TH_LOG("vfio has no no-IOMMU mode");
	ASSERT_EQ(0, set_mode(true));
	ASSERT_EQ(0, pci_bind_vfio(NIC, self->old, sizeof(self->old)));
	self->bound = true;
	group_node(self->node, sizeof(self->node));
	ASSERT_NE('\0', self->node[0]);
}

FIXTURE_TEARDOWN(noiommu)
{
	if (self->bound)
		pci_unbind_vfio(NIC, self->old);
	set_mode(false);
}

/* The mode off: vfio-pci cannot have the function, and says why. */
TEST_F(noiommu, mode_off_refuses_the_function)
{
	int c;

	pci_unbind_vfio(NIC, self->old);
	self->bound = false;
	ASSERT_EQ(0, set_mode(false));
	ASSERT_EQ(-EBUSY, pci_bind_vfio(NIC, self->old, sizeof(self->old)));
	EXPECT_LT(0, vfio_klog_count(NIC, "enable_unsafe_noiommu_mode=1"));
	c = vfio_open_container();
	ASSERT_LE(0, c);
	EXPECT_EQ(0, vfio_ioctl(c, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU));
	close(c);
	pci_unbind_vfio(NIC, self->old);

	/* On again: the same function binds. */
	ASSERT_EQ(0, set_mode(true));
	ASSERT_EQ(0, pci_bind_vfio(NIC, self->old, sizeof(self->old)));
	self->bound = true;
}

TEST_F(noiommu, group_node_and_taint)
{
	char plain[64];

	EXPECT_EQ(0, access(self->node, F_OK));
	snprintf(plain, sizeof(plain), "/dev/vfio/%d", pci_group_of(NIC));
	EXPECT_NE(0, access(plain, F_OK));
	EXPECT_TRUE(taint_flags() & TAINT_USER_BIT);
	EXPECT_LT(0, vfio_klog_count(NIC, "tainting the kernel"));
}

/*
 * A container of no-IOMMU groups has the no-IOMMU backend and nothing
 * else: no type1, no DMA mapping; the device works.
 */
TEST_F(noiommu, container_without_dma_mapping)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .size = 4096,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	};
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	struct vfio_device_info dev_info = { .argsz = sizeof(dev_info) };
	int c, g, d, opened;
	__u16 vendor = 0;

	ASSERT_EQ(0, vfio_modprobe("vfio_iommu_type1"));
	c = vfio_open_container();
	ASSERT_LE(0, c);
	/* Empty: every backend answers for its own type. */
	EXPECT_EQ(1, vfio_ioctl(c, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU));
	EXPECT_EQ(1, vfio_ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(-EINVAL, vfio_ioctl(c, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));

	g = open(self->node, O_RDWR);
	ASSERT_LE(0, g);
	ASSERT_EQ(0, vfio_group_set_container(g, c));
	/* With a no-IOMMU group in it, only the no-IOMMU backend is left. */
	EXPECT_EQ(1, vfio_ioctl(c, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU));
	EXPECT_EQ(0, vfio_ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(-ENODEV, vfio_ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(-ENODEV, vfio_ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	/* No device before the backend is set. */
	EXPECT_GT(0, vfio_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, NIC));
	ASSERT_EQ(0, vfio_ioctl(c, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
	EXPECT_EQ(-EINVAL, vfio_ioctl(c, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
	EXPECT_EQ(-ENOTTY, vfio_ioctl(c, VFIO_IOMMU_MAP_DMA, &map));
	EXPECT_EQ(-ENOTTY, vfio_ioctl(c, VFIO_IOMMU_GET_INFO, &info));

	opened = vfio_klog_count(NIC, "without IOMMU isolation opened by");
	d = vfio_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, NIC);
	ASSERT_LE(0, d);
	EXPECT_EQ(opened + 1,
		  vfio_klog_count(NIC, "without IOMMU isolation opened by"));
	ASSERT_EQ(0, vfio_ioctl(d, VFIO_DEVICE_GET_INFO, &dev_info));
	EXPECT_TRUE(dev_info.flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_EQ(2, pci_cfg_read(d, PCI_VENDOR_ID, &vendor, 2));
	EXPECT_EQ(0x8086, vendor);
	close(d);
	close(g);
	close(c);
}

/* Without CAP_SYS_RAWIO, nothing of it: the group, the backend. */
TEST_F(noiommu, needs_cap_sys_rawio)
{
	int c, g, status;
	pid_t pid;

	c = vfio_open_container();
	ASSERT_LE(0, c);
	g = open(self->node, O_RDWR);
	ASSERT_LE(0, g);
	ASSERT_EQ(0, vfio_group_set_container(g, c));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (drop_rawio())
			_exit(2);
		if (vfio_ioctl(c, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU) != -EPERM)
			_exit(3);
		close(g);
		close(c);
		c = vfio_open_container();
		if (open(self->node, O_RDWR) >= 0 || errno != EPERM)
			_exit(4);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status) TH_LOG("child exit %d", WEXITSTATUS(status));
	/* The child's attempt left the container as it was. */
	EXPECT_EQ(0, vfio_ioctl(c, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
	close(g);
	close(c);
}

/*
 * A group fd set up by a privileged process and passed on (here: kept
 * across dropping the capability) does not give the device to a process
 * without CAP_SYS_RAWIO.
 */
TEST_F(noiommu, device_needs_cap_sys_rawio_too)
{
	int c, g, d, status;
	pid_t pid;

	c = vfio_open_container();
	ASSERT_LE(0, c);
	g = open(self->node, O_RDWR);
	ASSERT_LE(0, g);
	ASSERT_EQ(0, vfio_group_set_container(g, c));
	ASSERT_EQ(0, vfio_ioctl(c, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (drop_rawio())
			_exit(2);
		d = vfio_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, NIC);
		_exit(d == -EPERM ? 0 : 3);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status) TH_LOG("child exit %d", WEXITSTATUS(status));
	/* With it, the same group gives the device. */
	d = vfio_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, NIC);
	EXPECT_LE(0, d);
	if (d >= 0)
		close(d);
	close(g);
	close(c);
}

/* No-IOMMU groups never share a container with emulated ones. */
TEST_F(noiommu, never_mixed_with_other_groups)
{
	int c, g, mock;

	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	vfio_mock_destroy(MOCK_DEV);
	ASSERT_EQ(0, vfio_mock_create(MOCK_DEV, 0, ""));
	mock = vfio_open_group(vfio_mock_group(MOCK_DEV));
	ASSERT_LE(0, mock);
	g = open(self->node, O_RDWR);
	ASSERT_LE(0, g);

	c = vfio_open_container();
	ASSERT_LE(0, c);
	ASSERT_EQ(0, vfio_group_set_container(g, c));
	EXPECT_EQ(-EPERM, vfio_group_set_container(mock, c));
	close(c);
	vfio_ioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL);

	c = vfio_open_container();
	ASSERT_LE(0, c);
	ASSERT_EQ(0, vfio_group_set_container(mock, c));
	EXPECT_EQ(-EPERM, vfio_group_set_container(g, c));
	close(mock);
	close(g);
	close(c);
	vfio_mock_destroy(MOCK_DEV);
}

/* Unbinding retires the node; binding again makes a new group. */
TEST_F(noiommu, unbind_and_bind_again)
{
	pci_unbind_vfio(NIC, self->old);
	self->bound = false;
	EXPECT_NE(0, access(self->node, F_OK));
	ASSERT_EQ(0, pci_bind_vfio(NIC, self->old, sizeof(self->old)));
	self->bound = true;
	group_node(self->node, sizeof(self->node));
	EXPECT_EQ(0, access(self->node, F_OK));
}

TEST_HARNESS_MAIN
