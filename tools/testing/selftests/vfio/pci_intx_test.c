// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci INTx with a real interrupt: the test VM's e1000 at 00:04.0
 * asserts INTx when a cause bit is set in both its Interrupt Cause Set
 * (ICS) and Interrupt Mask Set (IMS) registers, and keeps it asserted
 * until the cause is cleared; we write them through BAR0 on the device
 * file.  That gives a level interrupt we switch on and off at will, and
 * the tests check what reaches the trigger eventfd: one event per
 * interrupt, none while masked (by ACTION_MASK, a mask eventfd or the
 * virtual INTx disable bit), and none lost across unmasks, trigger swaps
 * and the disable bit.  The host's view of the command register (sysfs)
 * shows whether the line is masked at the device.
 */
#include <stdint.h>

#include "../kselftest_harness.h"
#include "pci_test_util.h"

#define EFD_FLAGS	(EFD_NONBLOCK | EFD_CLOEXEC)
#define INTX		VFIO_PCI_INTX_IRQ_INDEX
#define TRIG_EVENTFD	(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)
#define TRIG_NONE	(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER)
#define MASK_NONE	(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK)
#define UNMASK_NONE	(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK)
#define MASK_EVENTFD	(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK)
#define UNMASK_EVENTFD	(VFIO_IRQ_SET_DATA_EVENTFD | \
			 VFIO_IRQ_SET_ACTION_UNMASK)

/* e1000 registers in BAR0 and the cause bit we use (RX desc minimum). */
#define E1000_ICR	0x00c0
#define E1000_ICS	0x00c8
#define E1000_IMS	0x00d0
#define E1000_IMC	0x00d8
#define E1000_CAUSE	0x00000010

/* How long an interrupt may take to arrive, and how long we wait for none. */
#define EVENT_MS	2000
#define QUIET_MS	200

static int bar0_write(int dev, unsigned int reg, uint32_t val)
{
	ssize_t n = pwrite(dev, &val, 4, REGION_OFF(VFIO_PCI_BAR0_REGION_INDEX) + reg);

	return n == 4 ? 0 : -errno;
}

static uint32_t bar0_read(int dev, unsigned int reg)
{
	uint32_t val = ~0U;

	if (pread(dev, &val, 4, REGION_OFF(VFIO_PCI_BAR0_REGION_INDEX) + reg) != 4)
		return ~0U;
	return val;
}

/* Make the e1000 assert INTx until e1000_lower(). */
static int e1000_raise(int dev)
{
	int ret = bar0_write(dev, E1000_IMS, E1000_CAUSE);

	return ret ? ret : bar0_write(dev, E1000_ICS, E1000_CAUSE);
}

static int e1000_lower(int dev)
{
	int ret = bar0_write(dev, E1000_IMC, ~0U);

	bar0_read(dev, E1000_ICR);	/* reading clears the causes */
	return ret;
}

/* The command register as the host has it; -1 if unreadable. */
static int host_command(const char *bdf)
{
	char path[PATH_MAX];
	uint16_t cmd;
	int fd, n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = pread(fd, &cmd, 2, PCI_COMMAND);
	close(fd);
	return n == 2 ? cmd : -1;
}

/* Whether the host has INTx masked at the device (PCI 2.3 masking). */
static bool host_masked(const char *bdf)
{
	return host_command(bdf) & PCI_COMMAND_INTX_DISABLE;
}

/* After a failure: the host's view of the line and the device. */
static void dump_state(int dev, const char *bdf)
{
	fprintf(stderr, "# host command %#x, e1000 IMS %#x\n",
		host_command(bdf), bar0_read(dev, E1000_IMS));
	vfio_sh("irq=$(cat /sys/bus/pci/devices/%s/irq); "
		"{ grep -E \"^ *$irq:\" /proc/interrupts; "
		"cat /proc/irq/$irq/spurious; dmesg | tail -n 5; } | "
		"sed 's/^/#   /' >&2", bdf);
}

static int intx_trigger(int dev, int efd)
{
	return pci_set_irqs(dev, INTX, TRIG_EVENTFD, 0, 1, &efd, 4);
}

static int intx_off(int dev)
{
	return pci_set_irqs(dev, INTX, TRIG_NONE, 0, 0, NULL, 0);
}

static int intx_action(int dev, unsigned int flags)
{
	return pci_set_irqs(dev, INTX, flags, 0, 1, NULL, 0);
}

static int intx_action_fd(int dev, unsigned int flags, int fd)
{
	return pci_set_irqs(dev, INTX, flags, 0, 1, &fd, 4);
}

/* Set or clear the virtual INTx disable bit with a write of WIDTH bytes. */
static int virt_disintx(int dev, bool on, int width)
{
	uint16_t cmd = pci_cfg_read16(dev, PCI_COMMAND);
	uint8_t hi;

	if (on)
		cmd |= PCI_COMMAND_INTX_DISABLE;
	else
		cmd &= ~PCI_COMMAND_INTX_DISABLE;
	if (width == 1) {
		hi = cmd >> 8;
		return pci_cfg_write(dev, PCI_COMMAND + 1, &hi, 1) == 1 ?
		       0 : -EIO;
	}
	return pci_cfg_write(dev, PCI_COMMAND, &cmd, 2) == 2 ? 0 : -EIO;
}

FIXTURE(intx) {
	struct pci_handle h;
	int efd;
};

FIXTURE_SETUP(intx)
{
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = INTX };
	uint16_t cmd;
	int ret;

	self->efd = -1;
	ret = pci_handle_setup(&self->h, PCI_E1000);
	if (ret == PCI_ABSENT)
		SKIP(return, "no vfio-pci or no e1000 at %s", PCI_E1000);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, vfio_ioctl(self->h.device, VFIO_DEVICE_GET_IRQ_INFO,
				&info));
	if (info.count != 1)
		SKIP(return, "no INTx");
	ASSERT_TRUE(info.flags & VFIO_IRQ_INFO_AUTOMASKED);

	/* Memory decode for the BAR, INTx neither disabled nor pending. */
	cmd = pci_cfg_read16(self->h.device, PCI_COMMAND);
	cmd |= PCI_COMMAND_MEMORY;
	cmd &= ~PCI_COMMAND_INTX_DISABLE;
	ASSERT_EQ(2, pci_cfg_write(self->h.device, PCI_COMMAND, &cmd, 2));
	ASSERT_EQ(0, e1000_lower(self->h.device));
	self->efd = eventfd(0, EFD_FLAGS);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(intx)
{
	if (self->h.device >= 0) {
		e1000_lower(self->h.device);
		intx_off(self->h.device);
	}
	if (self->efd >= 0)
		close(self->efd);
	pci_handle_teardown(&self->h);
}

/* Fail unless exactly one event is on EFD within EVENT_MS. */
#define EXPECT_EVENT(efd)	EXPECT_EQ(1, pci_eventfd_wait(efd, EVENT_MS))
#define EXPECT_QUIET(efd)	EXPECT_EQ(0, pci_eventfd_wait(efd, QUIET_MS))

/* Whether the host has the line masked in the device. */
#define EXPECT_HOST_MASKED(masked)					\
	EXPECT_EQ(masked, host_masked(self->h.bdf))

#define NEED_INTX()							\
	do {								\
		PCI_NEED_DEVICE();					\
		if (self->efd < 0)					\
			SKIP(return, "no INTx");			\
	} while (0)

/*
 * A real INTx reaches the eventfd once and leaves the line masked at the
 * device; unmasking while the device still asserts it forwards it again,
 * unmasking after it was serviced does not.
 */
TEST_F(intx, real_interrupt)
{
	int dev = self->h.device, efd = self->efd;

	NEED_INTX();
	ASSERT_EQ(0, intx_trigger(dev, efd));
	EXPECT_HOST_MASKED(false);
	EXPECT_QUIET(efd) {
		dump_state(dev, self->h.bdf);
	}

	ASSERT_EQ(0, e1000_raise(dev));
	EXPECT_EVENT(efd);
	EXPECT_HOST_MASKED(true);
	/* Still asserted, but masked until userspace unmasks it. */
	EXPECT_QUIET(efd);

	ASSERT_EQ(0, intx_action(dev, UNMASK_NONE));
	EXPECT_EVENT(efd);
	EXPECT_HOST_MASKED(true);

	ASSERT_EQ(0, e1000_lower(dev));
	ASSERT_EQ(0, intx_action(dev, UNMASK_NONE));
	EXPECT_QUIET(efd);
	EXPECT_HOST_MASKED(false);

	ASSERT_EQ(0, e1000_raise(dev));
	EXPECT_EVENT(efd);
	ASSERT_EQ(0, e1000_lower(dev));

	ASSERT_EQ(0, intx_off(dev));
	/* Nothing forwards after disable; the device stays masked. */
	ASSERT_EQ(0, e1000_raise(dev));
	EXPECT_QUIET(efd);
	EXPECT_HOST_MASKED(true);
}

/*
 * The virtual INTx disable bit holds the line masked, also against
 * ACTION_UNMASK, and clearing it lets a still pending interrupt through.
 * Written as the whole register and as its upper byte alone.
 */
TEST_F(intx, disable_bit)
{
	int dev = self->h.device, efd = self->efd, width;

	NEED_INTX();
	ASSERT_EQ(0, intx_trigger(dev, efd));
	for (width = 2; width >= 1; width--) {
		ASSERT_EQ(0, virt_disintx(dev, true, width));
		EXPECT_TRUE(pci_cfg_read16(dev, PCI_COMMAND) &
			    PCI_COMMAND_INTX_DISABLE);
		EXPECT_HOST_MASKED(true);
		ASSERT_EQ(0, e1000_raise(dev));
		EXPECT_QUIET(efd);
		ASSERT_EQ(0, intx_action(dev, UNMASK_NONE));
		EXPECT_QUIET(efd);
		/* Loopback is held too, as in Linux 6.1. */
		ASSERT_EQ(0, intx_action(dev, TRIG_NONE));
		EXPECT_QUIET(efd);

		ASSERT_EQ(0, virt_disintx(dev, false, width));
		EXPECT_FALSE(pci_cfg_read16(dev, PCI_COMMAND) &
			     PCI_COMMAND_INTX_DISABLE);
		EXPECT_EVENT(efd);
		ASSERT_EQ(0, e1000_lower(dev));
		ASSERT_EQ(0, intx_action(dev, UNMASK_NONE));
		EXPECT_HOST_MASKED(false);
		EXPECT_QUIET(efd);
	}
}

/* INTx enabled with the disable bit set starts masked and stays so. */
TEST_F(intx, enable_while_disabled)
{
	int dev = self->h.device, efd = self->efd;

	NEED_INTX();
	ASSERT_EQ(0, virt_disintx(dev, true, 2));
	ASSERT_EQ(0, e1000_raise(dev));
	ASSERT_EQ(0, intx_trigger(dev, efd));
	EXPECT_QUIET(efd);
	EXPECT_HOST_MASKED(true);
	ASSERT_EQ(0, virt_disintx(dev, false, 2));
	EXPECT_EVENT(efd);
}

/*
 * Replacing the trigger of an enabled INTx changes only the trigger: the
 * mask state and the unmask eventfd (KVM's resampler) stay, the old
 * eventfd hears nothing more, and a bad eventfd changes nothing.
 */
TEST_F(intx, trigger_swap)
{
	int dev = self->h.device, efd = self->efd, efd2, unmask;

	NEED_INTX();
	efd2 = eventfd(0, EFD_FLAGS);
	unmask = eventfd(0, EFD_FLAGS);
	ASSERT_LE(0, efd2);
	ASSERT_LE(0, unmask);

	ASSERT_EQ(0, intx_trigger(dev, efd));
	ASSERT_EQ(0, intx_action_fd(dev, UNMASK_EVENTFD, unmask));
	ASSERT_EQ(0, e1000_raise(dev));
	EXPECT_EVENT(efd);

	/* Masked and still asserted: a swap must not forward it again. */
	ASSERT_EQ(0, intx_trigger(dev, efd2));
	EXPECT_QUIET(efd2);
	EXPECT_QUIET(efd);

	/* The unmask eventfd still unmasks: the pending one goes to efd2. */
	ASSERT_EQ(0, eventfd_write(unmask, 1));
	EXPECT_EVENT(efd2);
	ASSERT_EQ(0, e1000_lower(dev));
	ASSERT_EQ(0, eventfd_write(unmask, 1));
	EXPECT_QUIET(efd2);
	ASSERT_EQ(0, e1000_raise(dev));
	EXPECT_EVENT(efd2);
	EXPECT_QUIET(efd);
	ASSERT_EQ(0, e1000_lower(dev));

	/* Not an eventfd: refused, INTx as it was. */
	EXPECT_EQ(-EINVAL, intx_trigger(dev, self->h.group));
	EXPECT_EQ(-EBADF, intx_trigger(dev, 1000000));
	ASSERT_EQ(0, eventfd_write(unmask, 1));
	ASSERT_EQ(0, e1000_raise(dev));
	EXPECT_EVENT(efd2);
	EXPECT_EQ(0, intx_action(dev, MASK_NONE));

	/* Swapping back works the same. */
	ASSERT_EQ(0, intx_trigger(dev, efd));
	ASSERT_EQ(0, eventfd_write(unmask, 1));
	EXPECT_EVENT(efd);
	EXPECT_QUIET(efd2);

	/* -1 disables INTx altogether. */
	ASSERT_EQ(0, intx_trigger(dev, -1));
	EXPECT_EQ(-EINVAL, intx_action(dev, MASK_NONE));
	close(efd2);
	close(unmask);
}

/* Masks and unmasks of every kind, repeated: the line is never lost. */
TEST_F(intx, mask_unmask_sequences)
{
	int dev = self->h.device, efd = self->efd, mask, unmask, i;

	NEED_INTX();
	mask = eventfd(0, EFD_FLAGS);
	unmask = eventfd(0, EFD_FLAGS);
	ASSERT_EQ(0, intx_trigger(dev, efd));

	/* Masking twice needs one unmask; unmasking twice is harmless. */
	ASSERT_EQ(0, intx_action(dev, MASK_NONE));
	ASSERT_EQ(0, intx_action(dev, MASK_NONE));
	ASSERT_EQ(0, e1000_raise(dev));
	EXPECT_QUIET(efd);
	ASSERT_EQ(0, intx_action(dev, UNMASK_NONE));
	EXPECT_EVENT(efd);
	ASSERT_EQ(0, e1000_lower(dev));
	ASSERT_EQ(0, intx_action(dev, UNMASK_NONE));
	ASSERT_EQ(0, intx_action(dev, UNMASK_NONE));
	ASSERT_EQ(0, e1000_raise(dev));
	EXPECT_EVENT(efd);
	ASSERT_EQ(0, e1000_lower(dev));

	/* Through eventfds. */
	ASSERT_EQ(0, intx_action_fd(dev, MASK_EVENTFD, mask));
	ASSERT_EQ(0, intx_action_fd(dev, UNMASK_EVENTFD, unmask));
	ASSERT_EQ(0, eventfd_write(unmask, 1));
	ASSERT_EQ(0, eventfd_write(mask, 1));
	usleep(QUIET_MS * 1000);
	ASSERT_EQ(0, e1000_raise(dev));
	EXPECT_QUIET(efd);
	ASSERT_EQ(0, eventfd_write(unmask, 1));
	EXPECT_EVENT(efd);

	/* The disable bit on top of a mask, then off again. */
	ASSERT_EQ(0, virt_disintx(dev, true, 2));
	ASSERT_EQ(0, eventfd_write(unmask, 1));
	EXPECT_QUIET(efd);
	ASSERT_EQ(0, virt_disintx(dev, false, 2));
	EXPECT_EVENT(efd);
	ASSERT_EQ(0, e1000_lower(dev));
	ASSERT_EQ(0, intx_action(dev, UNMASK_NONE));

	/* Many rounds of interrupt, service, unmask. */
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, e1000_raise(dev));
		ASSERT_EQ(1, pci_eventfd_wait(efd, EVENT_MS)) {
			TH_LOG("round %d: interrupt lost", i);
		}
		ASSERT_EQ(0, e1000_lower(dev));
		if (i & 1) {
			ASSERT_EQ(0, eventfd_write(unmask, 1));
		} else {
			ASSERT_EQ(0, intx_action(dev, UNMASK_NONE));
		}
	}
	close(mask);
	close(unmask);
}

TEST_HARNESS_MAIN
