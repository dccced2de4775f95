// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci: the low-power features of VFIO_DEVICE_FEATURE on the test
 * VM's NVMe (00:05.0), which QEMU gives a PM capability, so runtime PM
 * really moves it to D3hot.  Entering lets the open function sleep, an
 * ioctl or a read wakes it for the time it takes, an mmap of a BAR faults
 * meanwhile, and exit (or, with a wakeup eventfd, the first wake) ends it.
 */
#include <setjmp.h>
#include <signal.h>

#include "../kselftest_harness.h"
#include "pci_test_util.h"

#define ENTRY		VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY
#define ENTRY_WAKEUP	VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP
#define EXIT		VFIO_DEVICE_FEATURE_LOW_POWER_EXIT
#define SET		VFIO_DEVICE_FEATURE_SET
#define GET		VFIO_DEVICE_FEATURE_GET
#define PROBE		VFIO_DEVICE_FEATURE_PROBE

/* Long enough for runtime PM's asynchronous idle work under TCG. */
#define SETTLE_MS	3000

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(bus_jmp, 1);
}

/* Whether reading *p raises SIGBUS. */
static bool read_faults(volatile unsigned int *p)
{
	int faulted;

	signal(SIGBUS, on_sigbus);
	faulted = sigsetjmp(bus_jmp, 1);
	if (!faulted)
		(void)*p;
	signal(SIGBUS, SIG_DFL);
	return faulted;
}

static int enter_with_wakeup(int device, int efd, unsigned int reserved)
{
	struct vfio_device_low_power_entry_with_wakeup entry = {
		.wakeup_eventfd = efd, .reserved = reserved,
	};

	return pci_feature(device, SET | ENTRY_WAKEUP, &entry, sizeof(entry));
}

static bool asleep(void)
{
	return pci_wait_attr(PCI_NVME, "power/runtime_status", "suspended",
			     SETTLE_MS) &&
	       pci_wait_attr(PCI_NVME, "power_state", "D3hot", SETTLE_MS);
}

/* Awake now, and still awake a while later. */
static bool stays_awake(void)
{
	char state[64];

	usleep(300000);
	pci_power_state(PCI_NVME, state, sizeof(state));
	return !strcmp(state, "D0") &&
	       pci_wait_attr(PCI_NVME, "power/runtime_status", "active", 0);
}

FIXTURE(lp) {
	struct pci_handle h;
	volatile unsigned int *bar;
	size_t bar_size;
	unsigned int cap_lo;
	int kmsg;
};

FIXTURE_SETUP(lp)
{
	struct vfio_region_info info;
	int ret = pci_handle_setup(&self->h, PCI_NVME);

	self->bar = MAP_FAILED;
	self->kmsg = kmsg_open_at_end();
	if (ret == PCI_ABSENT)
		SKIP(return, "no vfio-pci or no NVMe at " PCI_NVME);
	ASSERT_EQ(0, ret);

	ASSERT_EQ(0, pci_region_info(self->h.device, 0, &info, sizeof(info)));
	self->bar_size = info.size;
	self->bar = mmap(NULL, info.size, PROT_READ, MAP_SHARED,
			 self->h.device, info.offset);
	ASSERT_NE(MAP_FAILED, self->bar);
	/* The NVMe's CAP register, to recognise later reads. */
	self->cap_lo = self->bar[0];
	ASSERT_NE(0xffffffffu, self->cap_lo);
	ASSERT_TRUE(stays_awake());
}

FIXTURE_TEARDOWN(lp)
{
	if (self->bar != MAP_FAILED)
		munmap((void *)self->bar, self->bar_size);
	pci_handle_teardown(&self->h);
	/* Runtime PM's counts stayed balanced through all of it. */
	if (self->kmsg >= 0) {
		EXPECT_FALSE(kmsg_saw(self->kmsg, "usage count", "underflow",
				      NULL, NULL));
		close(self->kmsg);
	}
}

TEST_F(lp, probe_and_direction)
{
	int d = self->h.device;

	PCI_NEED_DEVICE();

	EXPECT_EQ(0, pci_feature(d, PROBE | SET | ENTRY, NULL, 0));
	EXPECT_EQ(0, pci_feature(d, PROBE | SET | ENTRY_WAKEUP, NULL, 0));
	EXPECT_EQ(0, pci_feature(d, PROBE | SET | EXIT, NULL, 0));
	/* SET only. */
	EXPECT_EQ(-EINVAL, pci_feature(d, PROBE | GET | ENTRY, NULL, 0));
	EXPECT_EQ(-EINVAL, pci_feature(d, GET | EXIT, NULL, 0));
	/* A probe changes nothing. */
	EXPECT_TRUE(stays_awake());
}

TEST_F(lp, entry_sleeps_until_exit)
{
	unsigned int via_rw = 0;
	int d = self->h.device;

	PCI_NEED_DEVICE();

	ASSERT_EQ(0, pci_feature(d, SET | ENTRY, NULL, 0));
	ASSERT_TRUE(asleep());
	/* The mapping faults: a page fault must not wake the function. */
	EXPECT_TRUE(read_faults(self->bar));
	/* Entering twice is refused. */
	EXPECT_EQ(-EINVAL, pci_feature(d, SET | ENTRY, NULL, 0));
	EXPECT_TRUE(asleep());

	/* A read wakes it for its duration, and it sleeps again after. */
	ASSERT_EQ(4, pread(d, &via_rw, 4, REGION_OFF(0)));
	EXPECT_EQ(self->cap_lo, via_rw);
	EXPECT_TRUE(asleep());
	EXPECT_TRUE(read_faults(self->bar));

	/* Exit: awake for good, the mapping works again. */
	ASSERT_EQ(0, pci_feature(d, SET | EXIT, NULL, 0));
	EXPECT_TRUE(stays_awake());
	EXPECT_EQ(self->cap_lo, self->bar[0]);
	/* Exit without low power is no error and changes nothing. */
	EXPECT_EQ(0, pci_feature(d, SET | EXIT, NULL, 0));
	EXPECT_TRUE(stays_awake());
}

TEST_F(lp, wakeup_eventfd_ends_low_power)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int d = self->h.device;
	int efd = eventfd(0, EFD_NONBLOCK);

	PCI_NEED_DEVICE();
	ASSERT_LE(0, efd);

	ASSERT_EQ(0, enter_with_wakeup(d, efd, 0));
	ASSERT_TRUE(asleep());
	EXPECT_EQ(0, pci_eventfd_wait(efd, 200));
	EXPECT_TRUE(read_faults(self->bar));

	/* Any ioctl wakes it: the eventfd fires, low power is over. */
	ASSERT_EQ(0, vfio_ioctl(d, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_EQ(1, pci_eventfd_wait(efd, 1000));
	EXPECT_TRUE(stays_awake());
	EXPECT_EQ(self->cap_lo, self->bar[0]);
	/* Over indeed: exit is a no-op and entering again is allowed. */
	EXPECT_EQ(0, pci_feature(d, SET | EXIT, NULL, 0));
	ASSERT_EQ(0, enter_with_wakeup(d, efd, 0));
	ASSERT_TRUE(asleep());

	/* A read of the device file is a wake too. */
	EXPECT_EQ(2, pread(d, &info, 2, REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX)));
	EXPECT_EQ(1, pci_eventfd_wait(efd, 1000));
	EXPECT_TRUE(stays_awake());
	close(efd);
}

TEST_F(lp, wakeup_bad_inputs)
{
	struct vfio_device_low_power_entry_with_wakeup entry = { 0 };
	int d = self->h.device;
	int efd = eventfd(0, EFD_NONBLOCK);
	int null = open("/dev/null", O_RDONLY);

	PCI_NEED_DEVICE();
	ASSERT_LE(0, efd);
	ASSERT_LE(0, null);

	entry.wakeup_eventfd = efd;
	EXPECT_EQ(-EINVAL, pci_feature(d, SET | ENTRY_WAKEUP, &entry,
				       sizeof(entry) - 1));
	EXPECT_EQ(-EINVAL, enter_with_wakeup(d, efd, 1));
	EXPECT_EQ(-EBADF, enter_with_wakeup(d, -1, 0));
	EXPECT_EQ(-EBADF, enter_with_wakeup(d, 1000, 0));
	EXPECT_EQ(-EINVAL, enter_with_wakeup(d, null, 0));
	/* None of them entered low power. */
	EXPECT_TRUE(stays_awake());
	EXPECT_EQ(self->cap_lo, self->bar[0]);

	/* Entered already: refused, and the first eventfd stays in use. */
	ASSERT_EQ(0, pci_feature(d, SET | ENTRY, NULL, 0));
	EXPECT_EQ(-EINVAL, enter_with_wakeup(d, efd, 0));
	EXPECT_EQ(0, pci_eventfd_wait(efd, 100));
	EXPECT_EQ(0, pci_feature(d, SET | EXIT, NULL, 0));
	EXPECT_TRUE(stays_awake());
	close(null);
	close(efd);
}

/*
 * A user that leaves in low power: the last close wakes the function and
 * cleans it up without signalling the user's eventfd, the function goes
 * idle as any unused one, and the next user finds it working.
 */
TEST_F(lp, close_in_low_power)
{
	int efd = eventfd(0, EFD_NONBLOCK);
	char state[64];

	PCI_NEED_DEVICE();
	ASSERT_LE(0, efd);

	ASSERT_EQ(0, enter_with_wakeup(self->h.device, efd, 0));
	ASSERT_TRUE(asleep());
	munmap((void *)self->bar, self->bar_size);
	self->bar = MAP_FAILED;
	pci_handle_close(&self->h);
	EXPECT_EQ(0, pci_eventfd_wait(efd, 200));
	/* Unused and bound to vfio-pci: idle in D3hot again. */
	EXPECT_TRUE(asleep());

	ASSERT_EQ(0, pci_handle_open(&self->h));
	pci_power_state(PCI_NVME, state, sizeof(state));
	EXPECT_STREQ("D0", state);
	EXPECT_EQ(0x1b36, le16toh(pci_cfg_read16(self->h.device,
						 PCI_VENDOR_ID)));
	close(efd);
}

/*
 * A guest's write of PowerState reaches the function, as in Linux 6.1:
 * D3hot puts it there (its BARs stop decoding: the mapping faults), D0
 * brings it back with the BAR addresses the host gave it.
 */
TEST_F(lp, guest_power_state_reaches_the_function)
{
	int d = self->h.device, pm = pci_pm_cap(d);
	uint32_t bar0, bar0_after;
	char state[64];

	PCI_NEED_DEVICE();
	ASSERT_LE(0, pm);
	ASSERT_EQ(0, pci_host_cfg_rw(PCI_NVME, PCI_BASE_ADDRESS_0, &bar0, 4,
				     false));

	ASSERT_EQ(0, pci_write_power_state(d, pm, 3));
	pci_power_state(PCI_NVME, state, sizeof(state));
	EXPECT_STREQ("D3hot", state);
	EXPECT_EQ(3, pci_read_power_state(d, pm));
	EXPECT_TRUE(read_faults(self->bar));

	ASSERT_EQ(0, pci_write_power_state(d, pm, 0));
	pci_power_state(PCI_NVME, state, sizeof(state));
	EXPECT_STREQ("D0", state);
	EXPECT_EQ(0, pci_read_power_state(d, pm));
	ASSERT_EQ(0, pci_host_cfg_rw(PCI_NVME, PCI_BASE_ADDRESS_0,
				     &bar0_after, 4, false));
	EXPECT_EQ(bar0, bar0_after);
	EXPECT_FALSE(read_faults(self->bar));
	EXPECT_EQ(self->cap_lo, self->bar[0]);
}

/* A user that leaves in D3hot hands the function back whole. */
TEST_F(lp, close_in_guest_d3hot)
{
	int pm = pci_pm_cap(self->h.device);
	unsigned int cap_lo = 0;
	char state[64];

	PCI_NEED_DEVICE();
	ASSERT_LE(0, pm);
	ASSERT_EQ(0, pci_write_power_state(self->h.device, pm, 3));
	munmap((void *)self->bar, self->bar_size);
	self->bar = MAP_FAILED;
	pci_handle_close(&self->h);

	ASSERT_EQ(0, pci_handle_open(&self->h));
	pci_power_state(PCI_NVME, state, sizeof(state));
	EXPECT_STREQ("D0", state);
	EXPECT_EQ(0, pci_read_power_state(self->h.device, pm));
	ASSERT_EQ(4, pread(self->h.device, &cap_lo, 4, REGION_OFF(0)));
	EXPECT_EQ(self->cap_lo, cap_lo);
}

TEST_HARNESS_MAIN
