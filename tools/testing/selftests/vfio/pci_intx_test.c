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
 *
 * The race tests run config-space writes of INTx disable, SET_IRQS
 * enable/disable/trigger swaps and unmasks in parallel threads against
 * a device that never stops asserting INTx.  What they detect on a
 * production kernel: a mask lost or applied twice (the checks after each
 * lockstep round and at the end), and oopses, WARNs such as "Unbalanced
 * enable for IRQ" and lockdep splats (kernel_log_check.sh run after this
 * program).  A use-after-free of the INTx state or of an eventfd usually
 * leaves no trace on such a kernel; under KASAN it is reported and
 * kernel_log_check.sh fails the run.
 */
#include <pthread.h>
#include <stdint.h>
#include <time.h>

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

/* Whether the host has INTx masked at the device (PCI 2.3 masking). */
static bool host_masked(const char *bdf)
{
	return pci_host_command(bdf) & PCI_COMMAND_INTX_DISABLE;
}

/* After a failure: the host's view of the line and the device. */
static void dump_state(int dev, const char *bdf)
{
	uint32_t cmd_status = 0;

	pci_host_cfg_rw(bdf, PCI_COMMAND, &cmd_status, 4, false);
	fprintf(stderr, "# host command %#x status %#x, e1000 IMS %#x\n",
		cmd_status & 0xffff, cmd_status >> 16,
		bar0_read(dev, E1000_IMS));
	/* Whether the kernel gave up on the line ("nobody cared"). */
	vfio_sh("dmesg | grep -E 'nobody cared|Disabling IRQ' | "
		"sed 's/^/#   /' >&2");
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

/*
 * Memory decode for the BAR, INTx neither disabled nor pending, and an
 * eventfd for the trigger: 0 or -errno.
 */
static int e1000_ready(int dev, int *efd)
{
	uint16_t cmd = pci_cfg_read16(dev, PCI_COMMAND);
	int ret;

	cmd |= PCI_COMMAND_MEMORY;
	cmd &= ~PCI_COMMAND_INTX_DISABLE;
	if (pci_cfg_write(dev, PCI_COMMAND, &cmd, 2) != 2)
		return -EIO;
	ret = e1000_lower(dev);
	if (ret)
		return ret;
	*efd = eventfd(0, EFD_FLAGS);
	return *efd < 0 ? -errno : 0;
}

/* Quiet the e1000, drop INTx and the eventfd: a fixture's teardown. */
static void e1000_done(int dev, int efd)
{
	if (dev >= 0) {
		e1000_lower(dev);
		intx_off(dev);
	}
	if (efd >= 0)
		close(efd);
}

FIXTURE(intx) {
	struct pci_handle h;
	int efd;
};

FIXTURE_SETUP(intx)
{
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = INTX };
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
	ASSERT_EQ(0, e1000_ready(self->h.device, &self->efd));
}

FIXTURE_TEARDOWN(intx)
{
	e1000_done(self->h.device, self->efd);
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

struct command_writer {
	int dev;
	volatile bool stop;
};

/* Write the command register, the virtual INTx disable bit set. */
static void *command_disabled_thread(void *arg)
{
	struct command_writer *w = arg;

	while (!w->stop)
		virt_disintx(w->dev, true, 2);
	return NULL;
}

/*
 * Enabling INTx masks the function before its handler is installed.
 * Meanwhile userspace may write the command register, whose other bits
 * reach the device as a read-modify-write that carries the INTx disable
 * bit as the host has it.  Were the enable's mask to land between such a
 * read and its write, it would be undone: the function left unmasked
 * while the host counts it masked (the virtual disable bit is set), and a
 * function asserting INTx would storm the line with interrupts no
 * handler claims.  A function starts unmasked at each open, so every
 * round opens it again.
 */
TEST_F(intx, enable_vs_command_writes)
{
	struct command_writer w;
	int i, rounds = 60, undone = 0;
	pthread_t t;

	NEED_INTX();
	for (i = 0; i < rounds; i++) {
		close(self->h.device);
		self->h.device = vfio_ioctl(self->h.group,
					    VFIO_GROUP_GET_DEVICE_FD,
					    self->h.bdf);
		ASSERT_LE(0, self->h.device);
		ASSERT_FALSE(host_masked(self->h.bdf)) {
			TH_LOG("round %d: not unmasked at open", i);
		}
		ASSERT_EQ(0, virt_disintx(self->h.device, true, 2));
		w.stop = false;
		w.dev = self->h.device;
		ASSERT_EQ(0, pthread_create(&t, NULL, command_disabled_thread,
					    &w));
		usleep(rand() % 2000);
		ASSERT_EQ(0, intx_trigger(self->h.device, self->efd));
		w.stop = true;
		pthread_join(t, NULL);
		undone += !host_masked(self->h.bdf);
		ASSERT_EQ(0, intx_off(self->h.device));
	}
	TH_LOG("%d rounds, the enable's mask undone in %d", rounds, undone);
	EXPECT_EQ(0, undone);
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

/* ---- races ---- */

struct race {
	int dev;
	int efd[2];
	int unmask;
	volatile bool stop;
	pthread_barrier_t go, done;
	int rounds;
	volatile bool want_disabled;
	unsigned long toggles, enables, unmasks, events, reads;
};

static int race_enable(struct race *r, int which)
{
	int ret = intx_trigger(r->dev, r->efd[which]);

	if (!ret)
		intx_action_fd(r->dev, UNMASK_EVENTFD, r->unmask);
	return ret;
}

/* Free running: flip the virtual INTx disable bit. */
static void *toggle_thread(void *arg)
{
	struct race *r = arg;
	bool on = false;

	while (!r->stop) {
		on = !on;
		virt_disintx(r->dev, on, (rand() & 1) + 1);
		r->toggles++;
	}
	virt_disintx(r->dev, false, 2);
	return NULL;
}

/* Free running: enable, swap the trigger, disable. */
static void *set_irqs_thread(void *arg)
{
	struct race *r = arg;
	int n = 0;

	while (!r->stop) {
		if (!race_enable(r, 0))
			r->enables++;
		if (n++ & 1)
			intx_trigger(r->dev, r->efd[1]);
		intx_off(r->dev);
	}
	return NULL;
}

/* Free running: unmask by ioctl and by eventfd, loopback triggers. */
static void *unmask_thread(void *arg)
{
	struct race *r = arg;

	while (!r->stop) {
		intx_action(r->dev, UNMASK_NONE);
		eventfd_write(r->unmask, 1);
		intx_action(r->dev, TRIG_NONE);
		r->unmasks++;
	}
	return NULL;
}

static unsigned long drain(int efd)
{
	unsigned long n = 0;
	uint64_t cnt;

	while (read(efd, &cnt, sizeof(cnt)) == sizeof(cnt))
		n += cnt;
	return n;
}

/* Free running: write the command register, its INTx disable bit clear. */
static void *command_thread(void *arg)
{
	struct race *r = arg;

	while (!r->stop) {
		virt_disintx(r->dev, false, 2);
		r->toggles++;
	}
	return NULL;
}

/*
 * The host flips the device's INTx disable bit twice per interrupt (the
 * handler masks, the unmask after service unmasks) while another thread
 * keeps writing the command register, the virtual disable bit clear so
 * that only the other bits reach the device.  Such a write must carry
 * the INTx disable bit as the host has it at that moment: one that writes
 * back a value read before a mask or an unmask leaves the device masked
 * while the host thinks it unmasked (the next interrupt is lost), or the
 * reverse (it interrupts, unhandled, until serviced).
 *
 * The whole register is written, not its upper byte: QEMU 7.2 does not
 * apply an INTx disable change made by a write of the upper byte alone to
 * the interrupt line, so one such stale write would leave the emulated
 * line out of step with the device for the rest of the boot.
 */
TEST_F(intx, race_command_vs_mask)
{
	struct race r = { .dev = self->h.device };
	int dev = self->h.device, efd = self->efd, i;
	bool lost = false;
	pthread_t t;
	time_t end;

	NEED_INTX();
	ASSERT_EQ(0, intx_trigger(dev, efd));
	ASSERT_EQ(0, pthread_create(&t, NULL, command_thread, &r));
	end = time(NULL) + 6;
	for (i = 0; time(NULL) < end; i++) {
		ASSERT_EQ(0, e1000_raise(dev));
		if (pci_eventfd_wait(efd, EVENT_MS) != 1) {
			TH_LOG("round %d: interrupt lost", i);
			dump_state(dev, self->h.bdf);
			lost = true;
			break;
		}
		ASSERT_EQ(0, e1000_lower(dev));
		ASSERT_EQ(0, intx_action(dev, UNMASK_NONE));
	}
	r.stop = true;
	pthread_join(t, NULL);
	TH_LOG("%d interrupts, %lu command writes", i, r.toggles);
	EXPECT_FALSE(lost);
	ASSERT_EQ(0, e1000_lower(dev));
	ASSERT_EQ(0, intx_action(dev, UNMASK_NONE));
	EXPECT_HOST_MASKED(false);
	ASSERT_EQ(0, e1000_raise(dev));
	EXPECT_EVENT(efd) {
		dump_state(dev, self->h.bdf);
	}
	EXPECT_HOST_MASKED(true);
}

/* The host's count of interrupts on the function's line no handler took. */
static long unhandled_irqs(const char *bdf)
{
	char path[PATH_MAX], line[64];
	long irq = -1, n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/irq", bdf);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &irq) != 1)
		irq = -1;
	fclose(f);
	snprintf(path, sizeof(path), "/proc/irq/%ld/spurious", irq);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "unhandled %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* Free running: read the ROM, which has the kernel turn decode on. */
static void *rom_thread(void *arg)
{
	struct race *r = arg;
	uint32_t word;

	while (!r->stop) {
		pread(r->dev, &word, sizeof(word),
		      REGION_OFF(VFIO_PCI_ROM_REGION_INDEX));
		r->reads++;
	}
	return NULL;
}

/*
 * A ROM read makes the kernel enable memory decode for itself and put the
 * command register back afterwards, while the host masks and unmasks INTx
 * in the same register.  Putting back the register as it was read would
 * undo a change made in between: an unmask undone leaves the device
 * masked with the host's masked flag clear (the next interrupt is lost);
 * a mask undone leaves a device that still asserts interrupting, with the
 * masked flag set, unhandled (on a shared line the host gives up on it).
 * Each round unmasks and masks through the virtual INTx disable bit,
 * written alone in the upper byte (no memory_lock) while ROM reads run,
 * and after each change lets any ROM read in flight finish and looks at
 * the device.
 */
TEST_F(intx, rom_read_keeps_the_mask)
{
	struct vfio_region_info rom = { .argsz = sizeof(rom),
					.index = VFIO_PCI_ROM_REGION_INDEX };
	struct race r = { .dev = self->h.device };
	int dev = self->h.device, efd = self->efd;
	unsigned long rounds = 0, unmask_undone = 0, mask_undone = 0;
	long before, after;
	bool lost = false;
	pthread_t t;
	time_t end;

	NEED_INTX();
	ASSERT_EQ(0, vfio_ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &rom));
	ASSERT_LT(0, rom.size) TH_LOG("QEMU's e1000 has an option ROM");
	before = unhandled_irqs(self->h.bdf);
	ASSERT_LE(0, before);
	ASSERT_EQ(0, intx_trigger(dev, efd));
	ASSERT_EQ(0, pthread_create(&t, NULL, rom_thread, &r));
	end = time(NULL) + 5;
	while (time(NULL) < end) {
		ASSERT_EQ(0, virt_disintx(dev, true, 1));
		ASSERT_EQ(0, virt_disintx(dev, false, 1));
		usleep(20000);
		unmask_undone += host_masked(self->h.bdf);
		/* Unmask for real, whatever a ROM read did, and interrupt. */
		ASSERT_EQ(0, intx_action(dev, UNMASK_NONE));
		ASSERT_EQ(0, e1000_raise(dev));
		if (pci_eventfd_wait(efd, EVENT_MS) != 1) {
			lost = true;
			break;
		}
		usleep(20000);
		mask_undone += !host_masked(self->h.bdf);
		ASSERT_EQ(0, e1000_lower(dev));
		ASSERT_EQ(0, intx_action(dev, UNMASK_NONE));
		rounds++;
	}
	r.stop = true;
	pthread_join(t, NULL);
	after = unhandled_irqs(self->h.bdf);
	TH_LOG("%lu rounds, %lu ROM reads; unmask undone %lu, mask undone %lu, %ld unhandled",
	       rounds, r.reads, unmask_undone, mask_undone, after - before);
	EXPECT_FALSE(lost) {
		dump_state(dev, self->h.bdf);
	}
	EXPECT_EQ(0, unmask_undone);
	EXPECT_EQ(0, mask_undone);
	ASSERT_EQ(0, virt_disintx(dev, false, 2));
	ASSERT_EQ(0, e1000_lower(dev));
}

/*
 * SET_IRQS, config-space INTx disable and unmasks all at once, for a few
 * seconds, with the device asserting INTx the whole time so every unmask
 * finds it pending and forwards it while INTx may be going away.  Then
 * INTx must still work normally.
 */
TEST_F(intx, race_free_running)
{
	struct race r = { .dev = self->h.device };
	pthread_t t[3];
	time_t end;
	int i;

	NEED_INTX();
	/*
	 * It once left the e1000 asserting INTx and unmasked while the
	 * host counted it masked, and the line stormed with interrupts no
	 * handler claimed until the kernel gave up on it.  That is the
	 * state an enable leaves when a concurrent command register write
	 * undoes its mask, which enable_vs_command_writes catches in the
	 * act; the storm has not come back since that was fixed.  Only
	 * parallel vCPUs run it (races/run.sh sets VFIO_INTX_STRESS=1): on
	 * one TCG thread it races nothing and costs the suite six seconds.
	 */
	if (!getenv("VFIO_INTX_STRESS"))
		SKIP(return, "free-running INTx race: races/run.sh only");
	r.efd[0] = self->efd;
	r.efd[1] = eventfd(0, EFD_FLAGS);
	r.unmask = eventfd(0, EFD_FLAGS);
	ASSERT_EQ(0, e1000_raise(r.dev));

	ASSERT_EQ(0, pthread_create(&t[0], NULL, toggle_thread, &r));
	ASSERT_EQ(0, pthread_create(&t[1], NULL, set_irqs_thread, &r));
	ASSERT_EQ(0, pthread_create(&t[2], NULL, unmask_thread, &r));
	end = time(NULL) + 6;
	while (time(NULL) < end) {
		r.events += drain(r.efd[0]) + drain(r.efd[1]);
		usleep(10000);
	}
	r.stop = true;
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	TH_LOG("%lu enables, %lu disable bit writes, %lu unmask rounds, %lu events",
	       r.enables, r.toggles, r.unmasks, r.events);

	/* Everything back to a known state: INTx must behave. */
	intx_off(r.dev);
	ASSERT_EQ(0, e1000_lower(r.dev));
	ASSERT_EQ(0, virt_disintx(r.dev, false, 2));
	drain(r.efd[0]);
	ASSERT_EQ(0, intx_trigger(r.dev, r.efd[0]));
	EXPECT_QUIET(r.efd[0]);
	ASSERT_EQ(0, e1000_raise(r.dev));
	EXPECT_EVENT(r.efd[0]) {
		dump_state(r.dev, self->h.bdf);
	}
	ASSERT_EQ(0, e1000_lower(r.dev));
	ASSERT_EQ(0, intx_action(r.dev, UNMASK_NONE));
	ASSERT_EQ(0, e1000_raise(r.dev));
	EXPECT_EVENT(r.efd[0]);
	close(r.efd[1]);
	close(r.unmask);
}

static void *lockstep_toggle(void *arg)
{
	struct race *r = arg;
	int i;

	for (i = 0; i < r->rounds; i++) {
		pthread_barrier_wait(&r->go);
		usleep(rand() % 200);
		virt_disintx(r->dev, r->want_disabled, 2);
		pthread_barrier_wait(&r->done);
	}
	return NULL;
}

/*
 * Deterministic check of a race outcome: each round one thread enables
 * INTx while another writes the INTx disable bit, both started together
 * with a random skew.  Once both are done, INTx must be masked exactly
 * when the bit is set: the device's own INTx disable bit says so after
 * every round (the device is quiet, nothing else masks it), and in two
 * rounds out of ten a real interrupt must be held while the bit is set
 * and arrive once it is cleared, or arrive at once when it was clear.
 */
TEST_F(intx, race_enable_vs_disable_bit)
{
	struct race r = { .dev = self->h.device, .rounds = 200 };
	int dev = self->h.device, efd = self->efd, i, bad = 0;
	unsigned long long got;
	pthread_t t;

	NEED_INTX();
	pthread_barrier_init(&r.go, NULL, 2);
	pthread_barrier_init(&r.done, NULL, 2);
	ASSERT_EQ(0, pthread_create(&t, NULL, lockstep_toggle, &r));
	for (i = 0; i < r.rounds; i++) {
		r.want_disabled = !(i & 1);
		pthread_barrier_wait(&r.go);
		usleep(rand() % 200);
		if (intx_trigger(dev, efd))
			bad++;
		pthread_barrier_wait(&r.done);

		if (host_masked(self->h.bdf) != r.want_disabled) {
			TH_LOG("round %d: disable bit %d, device mask %d", i,
			       r.want_disabled, !r.want_disabled);
			bad++;
		}
		if (i % 10 < 2) {
			e1000_raise(dev);
			got = pci_eventfd_wait(efd, r.want_disabled ?
					       QUIET_MS : EVENT_MS);
			if (got != !r.want_disabled) {
				TH_LOG("round %d: disable bit %d, %llu events",
				       i, r.want_disabled, got);
				bad++;
			}
			if (r.want_disabled) {
				virt_disintx(dev, false, 2);
				if (pci_eventfd_wait(efd, EVENT_MS) != 1) {
					TH_LOG("round %d: interrupt lost", i);
					if (!bad++)
						dump_state(dev, self->h.bdf);
				}
			}
			e1000_lower(dev);
		}
		intx_off(dev);
		virt_disintx(dev, false, 2);
		drain(efd);
	}
	pthread_join(t, NULL);
	EXPECT_EQ(0, bad);
}

/* ---- masking at the interrupt controller ---- */

/* Reload vfio-pci with PARAMS ("" for the defaults). */
static int reload_vfio_pci(const char *params)
{
	return vfio_sh("rmmod vfio_pci && modprobe vfio_pci %s", params);
}

/*
 * vfio-pci loaded with nointxmask=1: INTx is masked by disabling the
 * host's line, which must then be the function's alone (a line shared
 * with a driver of another device cannot be requested).  The host's
 * disable depth is not visible from userspace, so these tests judge by
 * what reaches the eventfd, and the kernel log check after the program
 * catches an unbalanced enable.
 */
FIXTURE(irqchip) {
	struct pci_handle h;
	bool reloaded;
	int efd;
};

FIXTURE_SETUP(irqchip)
{
	self->h.device = -1;
	self->efd = -1;
	if (access("/sys/bus/pci/devices/" PCI_E1000, F_OK))
		SKIP(return, "no e1000 at %s", PCI_E1000);
	self->reloaded = true;
	ASSERT_EQ(0, reload_vfio_pci("nointxmask=1"));
	ASSERT_EQ(0, pci_handle_setup(&self->h, PCI_E1000));
	ASSERT_EQ(0, e1000_ready(self->h.device, &self->efd));
}

FIXTURE_TEARDOWN(irqchip)
{
	e1000_done(self->h.device, self->efd);
	if (!self->reloaded)
		return;
	pci_handle_teardown(&self->h);
	EXPECT_EQ(0, reload_vfio_pci(""));
}

/*
 * The same life as real_interrupt's, with the line disabled and enabled
 * at the interrupt controller: one event per interrupt, none while
 * masked, the pending one after an unmask, none after disable.
 */
TEST_F(irqchip, real_interrupt)
{
	int dev = self->h.device, efd = self->efd, i;

	PCI_NEED_DEVICE();
	ASSERT_EQ(0, intx_trigger(dev, efd)) {
		TH_LOG("the e1000's line must be its own for nointxmask");
		vfio_sh("cat /proc/interrupts | sed 's/^/#   /' >&2");
	}
	EXPECT_QUIET(efd);
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, e1000_raise(dev));
		ASSERT_EQ(1, pci_eventfd_wait(efd, EVENT_MS)) {
			TH_LOG("round %d: interrupt lost", i);
		}
		EXPECT_QUIET(efd);
		/* Still asserted: an unmask forwards it again. */
		ASSERT_EQ(0, intx_action(dev, UNMASK_NONE));
		ASSERT_EQ(1, pci_eventfd_wait(efd, EVENT_MS));
		ASSERT_EQ(0, e1000_lower(dev));
		ASSERT_EQ(0, intx_action(dev, UNMASK_NONE));
		EXPECT_QUIET(efd);
	}
	/* A mask on top of the handler's does not deepen the disable. */
	ASSERT_EQ(0, e1000_raise(dev));
	ASSERT_EQ(1, pci_eventfd_wait(efd, EVENT_MS));
	ASSERT_EQ(0, intx_action(dev, MASK_NONE));
	ASSERT_EQ(0, e1000_lower(dev));
	ASSERT_EQ(0, intx_action(dev, UNMASK_NONE));
	ASSERT_EQ(0, e1000_raise(dev));
	EXPECT_EVENT(efd);
	ASSERT_EQ(0, e1000_lower(dev));

	ASSERT_EQ(0, intx_off(dev));
	ASSERT_EQ(0, e1000_raise(dev));
	EXPECT_QUIET(efd);
	ASSERT_EQ(0, e1000_lower(dev));
}

/*
 * INTx enabled with the virtual disable bit set starts with the line
 * disabled once: an interrupt is held until the bit is cleared, then
 * arrives once, and INTx keeps working.  Then INTx is disabled while the
 * line is masked and enabled again, which must leave the line's disable
 * depth balanced: a line enabled after it was freed, or left one enable
 * short, loses the next interrupt or warns (the log check).
 *
 * The function raises INTx only after each enable: QEMU's I/O APIC drops
 * a level that rises while the freed line's entry is masked, so an
 * interrupt pending across request_irq() is not delivered here even when
 * the kernel does everything right.  That also means the case of an
 * interrupt arriving between request_irq() and a later disable cannot be
 * provoked in this VM.
 */
TEST_F(irqchip, held_by_the_disable_bit)
{
	int dev = self->h.device, efd = self->efd, i;

	PCI_NEED_DEVICE();
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, virt_disintx(dev, true, 2));
		ASSERT_EQ(0, intx_trigger(dev, efd));
		ASSERT_EQ(0, e1000_raise(dev));
		EXPECT_QUIET(efd);
		ASSERT_EQ(0, virt_disintx(dev, false, 2));
		ASSERT_EQ(1, pci_eventfd_wait(efd, EVENT_MS)) {
			TH_LOG("round %d: held interrupt lost", i);
		}
		ASSERT_EQ(0, e1000_lower(dev));
		ASSERT_EQ(0, intx_action(dev, UNMASK_NONE));
		ASSERT_EQ(0, e1000_raise(dev));
		ASSERT_EQ(1, pci_eventfd_wait(efd, EVENT_MS)) {
			TH_LOG("round %d: interrupt lost after unmask", i);
		}
		/* Off while masked, then on again. */
		ASSERT_EQ(0, intx_off(dev));
		ASSERT_EQ(0, e1000_lower(dev));
		ASSERT_EQ(0, intx_trigger(dev, efd));
		ASSERT_EQ(0, e1000_raise(dev));
		ASSERT_EQ(1, pci_eventfd_wait(efd, EVENT_MS)) {
			TH_LOG("round %d: interrupt lost after re-enable", i);
		}
		ASSERT_EQ(0, e1000_lower(dev));
		ASSERT_EQ(0, intx_off(dev));
		drain(efd);
	}
}

TEST_HARNESS_MAIN
