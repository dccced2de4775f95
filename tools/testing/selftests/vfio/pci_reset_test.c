// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci resets across a device set: the two e1000s behind the test
 * VM's PCI bridge share a bus (so a bus reset hits both) and an IOMMU
 * group.  GET_PCI_HOT_RESET_INFO must name both, PCI_HOT_RESET must only
 * go ahead with the groups of everyone using the set, and every bad
 * request must be refused with nothing reset.  Plus: a function on the
 * root bus has no hot reset, a function its user died with is usable by
 * the next one, idle functions sleep in D3hot, and the e1000's I/O BAR.
 */
#include <signal.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "pci_test_util.h"

#define BRIDGED_A	"0000:01:01.0"
#define BRIDGED_B	"0000:01:02.0"

FIXTURE(bus) {
	struct pci_handle a;	/* A's device open; the group is shared */
	char old_b[64];
	bool bound_a, bound_b;
};

FIXTURE_SETUP(bus)
{
	int ret;

	self->a.device = self->a.group = self->a.container = -1;
	ret = pci_bind_vfio(BRIDGED_B, self->old_b, sizeof(self->old_b));
	if (ret == PCI_ABSENT)
		SKIP(return, "no vfio-pci or no " BRIDGED_B " (%d)", ret);
	self->bound_b = true;
	ASSERT_EQ(0, ret);
	ret = pci_handle_setup(&self->a, BRIDGED_A);
	self->bound_a = ret != PCI_ABSENT;
	ASSERT_EQ(0, ret);
	ASSERT_EQ(pci_group_of(BRIDGED_A), pci_group_of(BRIDGED_B));
}

FIXTURE_TEARDOWN(bus)
{
	if (self->bound_a)
		pci_handle_teardown(&self->a);
	if (self->bound_b)
		pci_unbind_vfio(BRIDGED_B, self->old_b);
}

#define BUS_NEED_DEVICE()						\
	do {								\
		if (self->a.device < 0)					\
			SKIP(return, "device not opened");		\
	} while (0)

static int hot_reset(int device, const int *fds, unsigned int count,
		     unsigned int argsz_cut, unsigned int flags)
{
	char buf[sizeof(struct vfio_pci_hot_reset) + 8 * sizeof(int)];
	struct vfio_pci_hot_reset *r = (void *)buf;

	memset(buf, 0, sizeof(buf));
	r->argsz = sizeof(*r) + count * sizeof(int) - argsz_cut;
	r->flags = flags;
	r->count = count;
	memcpy(r->group_fds, fds, count * sizeof(int));
	return vfio_ioctl(device, VFIO_DEVICE_PCI_HOT_RESET, r);
}

TEST_F(bus, hot_reset_info_names_the_bus)
{
	char buf[sizeof(struct vfio_pci_hot_reset_info) +
		 4 * sizeof(struct vfio_pci_dependent_device)];
	struct vfio_pci_hot_reset_info *info = (void *)buf;
	unsigned int group = pci_group_of(BRIDGED_A), devfns = 0, i;

	BUS_NEED_DEVICE();

	/* Too small for the list: the count comes back with -ENOSPC. */
	memset(buf, 0, sizeof(buf));
	info->argsz = sizeof(*info);
	EXPECT_EQ(-ENOSPC, vfio_ioctl(self->a.device,
				      VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info));
	EXPECT_EQ(2, info->count);

	info->argsz = sizeof(buf);
	ASSERT_EQ(0, vfio_ioctl(self->a.device,
				VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info));
	ASSERT_EQ(2, info->count);
	for (i = 0; i < info->count; i++) {
		EXPECT_EQ(group, info->devices[i].group_id);
		EXPECT_EQ(0, info->devices[i].segment);
		EXPECT_EQ(1, info->devices[i].bus);
		devfns |= 1u << (info->devices[i].devfn >> 3);
	}
	EXPECT_EQ(1u << 1 | 1u << 2, devfns);	/* slots 1 and 2 */

	info->argsz = 4;
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->a.device,
				      VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info));
}

TEST_F(bus, hot_reset_bad_requests)
{
	int fds[2] = { self->a.group, self->a.group };
	int bad;

	BUS_NEED_DEVICE();

	EXPECT_EQ(-EINVAL, hot_reset(self->a.device, fds, 1, 0, 1));
	EXPECT_EQ(-EINVAL, hot_reset(self->a.device, fds, 0, 0, 0));
	/* argsz that cannot hold the descriptors it announces */
	EXPECT_EQ(-EINVAL, hot_reset(self->a.device, fds, 1, sizeof(int), 0));
	bad = -1;
	EXPECT_EQ(-EBADF, hot_reset(self->a.device, &bad, 1, 0, 0));
	/* A descriptor that is no group: the container's. */
	EXPECT_EQ(-EINVAL, hot_reset(self->a.device, &self->a.container, 1,
				     0, 0));
}

TEST_F(bus, hot_reset_needs_every_user_s_group)
{
	struct pci_handle nvme;
	int ret;

	BUS_NEED_DEVICE();

	/* Another group (the NVMe's) does not cover our open device. */
	ret = pci_handle_setup(&nvme, PCI_NVME);
	if (ret == PCI_ABSENT)
		SKIP(return, "no NVMe");
	ASSERT_EQ(0, ret);
	EXPECT_EQ(-EINVAL, hot_reset(self->a.device, &nvme.group, 1, 0, 0));
	/* The NVMe sits on the root bus, which cannot be reset. */
	EXPECT_EQ(-ENODEV, hot_reset(nvme.device, &nvme.group, 1, 0, 0));
	pci_handle_teardown(&nvme);
}

TEST_F(bus, hot_reset_with_the_group)
{
	struct vfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	int b;

	BUS_NEED_DEVICE();

	EXPECT_EQ(0, hot_reset(self->a.device, &self->a.group, 1, 0, 0));

	/* Both members open, from the one group: still ours to reset. */
	b = vfio_ioctl(self->a.group, VFIO_GROUP_GET_DEVICE_FD, BRIDGED_B);
	ASSERT_LE(0, b);
	EXPECT_EQ(0, hot_reset(b, &self->a.group, 1, 0, 0));
	close(b);

	/* The function works after it. */
	EXPECT_EQ(0, vfio_ioctl(self->a.device, VFIO_DEVICE_GET_INFO, &dinfo));
	EXPECT_EQ(0x8086, le16toh(pci_cfg_read16(self->a.device,
						 PCI_VENDOR_ID)));
}

/* The power state sysfs shows for a function, "" if none. */
/* Whether a function has the PCI power management capability. */
static bool has_pm_cap(const char *bdf)
{
	unsigned char cfg[256] = { 0 };
	char path[PATH_MAX];
	int fd, pos, guard;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	if (read(fd, cfg, sizeof(cfg)) != sizeof(cfg))
		cfg[PCI_CAPABILITY_LIST] = 0;
	close(fd);
	pos = cfg[PCI_CAPABILITY_LIST];
	for (guard = 0; pos && pos < 0xff && guard < 48; guard++) {
		if (cfg[pos] == PCI_CAP_ID_PM)
			return true;
		pos = cfg[pos + 1];
	}
	return false;
}

/* An idle function bound to vfio-pci waits in D3hot; an open one is in D0. */
TEST(idle_function_sleeps)
{
	struct pci_handle h;
	char state[32];
	int i, ret;

	if (!has_pm_cap(PCI_NVME))
		SKIP(return, "no PM capability on " PCI_NVME);
	ret = pci_bind_vfio(PCI_NVME, h.old_driver, sizeof(h.old_driver));
	if (ret == PCI_ABSENT)
		SKIP(return, "no vfio-pci");
	ASSERT_EQ(0, ret);
	snprintf(h.bdf, sizeof(h.bdf), "%s", PCI_NVME);
	for (i = 0; i < 100; i++) {
		pci_power_state(PCI_NVME, state, sizeof(state));
		if (!strcmp(state, "D3hot"))
			break;
		usleep(10000);
	}
	EXPECT_STREQ("D3hot", state);

	ASSERT_EQ(0, pci_handle_open(&h));
	pci_power_state(PCI_NVME, state, sizeof(state));
	EXPECT_STREQ("D0", state);
	pci_handle_teardown(&h);
}

/*
 * The e1000's I/O BAR: reachable through the file only, read and written
 * with decode on (QEMU's model answers 0 to every read), and bounded.
 */
TEST_F(bus, io_port_bar)
{
	struct vfio_region_info io;
	int d = self->a.device;
	__le32 val = htole32(0x8);
	__le16 cmd = htole16(PCI_COMMAND_IO | PCI_COMMAND_MEMORY);

	BUS_NEED_DEVICE();
	ASSERT_EQ(0, pci_region_info(d, 1, &io, sizeof(io)));
	EXPECT_EQ(64, io.size);
	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
		  io.flags);
	ASSERT_EQ(2, pci_cfg_write(d, PCI_COMMAND, &cmd, 2));

	EXPECT_EQ(4, pwrite(d, &val, 4, io.offset));
	EXPECT_EQ(4, pread(d, &val, 4, io.offset + 4));
	EXPECT_EQ(0, val);
	/* I/O ports cannot be mapped. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 64, PROT_READ, MAP_SHARED, d,
				   io.offset));

	/* Past the end nothing; across it, what is inside (as 6.1). */
	EXPECT_EQ(-1, pread(d, &val, 4, io.offset + io.size));
	EXPECT_EQ(2, pread(d, &val, 4, io.offset + io.size - 2));
}

/* A user that dies with the function set up leaves it usable. */
TEST(usable_after_user_died)
{
	struct pci_handle h;
	int status, efd;
	__le16 cmd;
	pid_t pid;
	int ret;

	ret = pci_bind_vfio(PCI_NVME, h.old_driver, sizeof(h.old_driver));
	if (ret == PCI_ABSENT)
		SKIP(return, "no vfio-pci or no NVMe");
	ASSERT_EQ(0, ret);
	snprintf(h.bdf, sizeof(h.bdf), "%s", PCI_NVME);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Bus master on, MSI-X routed to an eventfd, then killed. */
		if (pci_handle_open(&h))
			_exit(1);
		cmd = htole16(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		pci_cfg_write(h.device, PCI_COMMAND, &cmd, 2);
		efd = eventfd(0, 0);
		pci_set_irqs(h.device, VFIO_PCI_MSIX_IRQ_INDEX,
			     VFIO_IRQ_SET_DATA_EVENTFD |
			     VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &efd, 4);
		kill(getpid(), SIGKILL);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));

	/* The next user gets it, quiet: no bus mastering left on. */
	ASSERT_EQ(0, pci_handle_open(&h));
	cmd = pci_cfg_read16(h.device, PCI_COMMAND);
	EXPECT_EQ(0, le16toh(cmd) & PCI_COMMAND_MASTER);
	EXPECT_EQ(0x1b36, le16toh(pci_cfg_read16(h.device, PCI_VENDOR_ID)));
	pci_handle_teardown(&h);
}

TEST_HARNESS_MAIN
