// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci resets across a device set: the two e1000s behind the test
 * VM's PCI bridge share a bus (so a bus reset hits both) and an IOMMU
 * group.  GET_PCI_HOT_RESET_INFO must name both, PCI_HOT_RESET must only
 * go ahead with the groups of every function in the set, and every bad
 * request must be refused with nothing reset; no BAR mapping may reach
 * the functions during the reset.  Plus: a function on the root bus has
 * no hot reset, a function its user died with is usable by the next one,
 * bus mastering is off at open and after close, idle functions sleep in
 * D3hot, and the e1000's I/O BAR.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
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
	int fds3[3] = { self->a.group, self->a.group, self->a.group };
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
	/* More descriptors than the two functions the reset hits. */
	EXPECT_EQ(-EINVAL, hot_reset(self->a.device, fds3, 3, 0, 0));
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

/*
 * A hot reset must keep every BAR mapping of the set away from the
 * functions until they decode again.  One thread reads the e1000's STATUS
 * register through many mappings of BAR 0 while another resets the bus.
 * During the reset (over a second: conventional PCI waits 1 s after a
 * secondary bus reset) the functions' BARs and command registers are
 * cleared, so a read through a mapping that is still live gets no answer
 * from the e1000: 0 or all ones, values STATUS never has (link up is
 * always set in QEMU's model).  The many mappings widen the window a
 * zap-then-lock order leaves open: pages zapped early are faulted back
 * while the rest are still being zapped.  This sees only mappings live
 * while decode is off; a stale mapping used only after the function
 * decodes again reads the same values as a fresh one and cannot be told
 * apart.
 */
#define RACE_MAPS	1024
#define RACE_RESETS	6
#define E1000_STATUS	0x8

struct race {
	volatile unsigned int *maps[RACE_MAPS];
	volatile bool stop;
	unsigned long reads, dead, sigbus;
};

static __thread sigjmp_buf race_jmp;

static void race_sigbus(int sig)
{
	siglongjmp(race_jmp, 1);
}

static void race_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *race_reader(void *arg)
{
	struct race *r = arg;
	volatile unsigned int i = 0;
	unsigned int v;

	race_pin(1);
	while (!r->stop) {
		if (sigsetjmp(race_jmp, 1)) {
			r->sigbus++;
			continue;
		}
		for (; !r->stop; i = (i + 1) % RACE_MAPS) {
			v = r->maps[i][E1000_STATUS / 4];
			r->reads++;
			if (v == 0 || v == 0xffffffff)
				r->dead++;
		}
	}
	return NULL;
}

TEST_F(bus, hot_reset_keeps_mappings_away)
{
	struct sigaction sa = { .sa_handler = race_sigbus }, old;
	__le16 cmd = htole16(PCI_COMMAND_MEMORY);
	struct vfio_region_info bar0;
	struct race *r;
	pthread_t reader;
	unsigned int v;
	int i, n;

	BUS_NEED_DEVICE();
	ASSERT_EQ(0, pci_region_info(self->a.device, 0, &bar0, sizeof(bar0)));
	ASSERT_TRUE(bar0.flags & VFIO_REGION_INFO_FLAG_MMAP);
	ASSERT_EQ(2, pci_cfg_write(self->a.device, PCI_COMMAND, &cmd, 2));

	r = calloc(1, sizeof(*r));
	ASSERT_NE(NULL, r);
	for (n = 0; n < RACE_MAPS; n++) {
		r->maps[n] = mmap(NULL, 4096, PROT_READ, MAP_SHARED,
				  self->a.device, bar0.offset);
		if (r->maps[n] == MAP_FAILED)
			break;
	}
	ASSERT_EQ(RACE_MAPS, n);
	v = r->maps[0][E1000_STATUS / 4];
	ASSERT_NE(0, v);
	ASSERT_NE(0xffffffff, v);

	sigaction(SIGBUS, &sa, &old);
	race_pin(0);
	ASSERT_EQ(0, pthread_create(&reader, NULL, race_reader, r));
	for (i = 0; i < RACE_RESETS; i++) {
		/* Let the reader map every page again before each reset. */
		usleep(200000);
		EXPECT_EQ(0, hot_reset(self->a.device, &self->a.group, 1, 0, 0));
	}
	r->stop = true;
	pthread_join(reader, NULL);
	sigaction(SIGBUS, &old, NULL);

	TH_LOG("%lu reads, %lu of them during a reset, %lu SIGBUS",
	       r->reads, r->dead, r->sigbus);
	EXPECT_EQ(0, r->dead);
	EXPECT_EQ(0, r->sigbus);
	/* The reader did run between the resets, through every mapping. */
	EXPECT_LT(RACE_RESETS * RACE_MAPS, r->reads);
	for (n = 0; n < RACE_MAPS; n++)
		munmap((void *)r->maps[n], 4096);
	free(r);
}

/*
 * Bus mastering is off when a user gets a function, whatever the host
 * or firmware left on, and off again when the host gets it back, whatever
 * the user turned on.  The host's view is config space through sysfs,
 * read while the function is still bound to vfio-pci (asleep in D3hot by
 * then: the register reads as the function was left).  The NVMe has a
 * function reset, the e1000 does not: both ways of closing are covered.
 */
/* The host's COMMAND register of BDF, read or written; 0 or -errno. */
static int host_cmd(const char *bdf, unsigned short *cmd, bool write)
{
	return pci_host_cfg_rw(bdf, PCI_COMMAND, cmd, 2, write);
}

TEST(bus_master_off_for_user_and_host)
{
	static const char *const bdfs[] = { PCI_NVME, PCI_E1000 };
	struct pci_handle h;
	unsigned short host;
	__le16 cmd;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(bdfs); i++) {
		ret = pci_bind_vfio(bdfs[i], h.old_driver,
				    sizeof(h.old_driver));
		if (ret == PCI_ABSENT)
			continue;
		ASSERT_EQ(0, ret);
		snprintf(h.bdf, sizeof(h.bdf), "%s", bdfs[i]);

		/*
		 * The function arrives with bus mastering on, as firmware
		 * may leave it.  Set while no driver has it: an idle
		 * function of ours sleeps, and its wake-up would restore
		 * what it had when it went to sleep.
		 */
		ASSERT_EQ(0, vfio_write_file("/sys/bus/pci/drivers/vfio-pci/unbind",
					     h.bdf));
		ASSERT_EQ(0, host_cmd(h.bdf, &host, false));
		host |= PCI_COMMAND_MASTER;
		ASSERT_EQ(0, host_cmd(h.bdf, &host, true));
		ASSERT_EQ(0, host_cmd(h.bdf, &host, false));
		ASSERT_TRUE(host & PCI_COMMAND_MASTER);
		ASSERT_EQ(0, vfio_write_file("/sys/bus/pci/drivers_probe",
					     h.bdf));

		ASSERT_EQ(0, pci_handle_open(&h));
		cmd = pci_cfg_read16(h.device, PCI_COMMAND);
		EXPECT_EQ(0, le16toh(cmd) & PCI_COMMAND_MASTER)
			TH_LOG("%s: COMMAND %#x at open", h.bdf, le16toh(cmd));

		/* The user turns it on and leaves. */
		cmd = htole16(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		ASSERT_EQ(2, pci_cfg_write(h.device, PCI_COMMAND, &cmd, 2));
		cmd = pci_cfg_read16(h.device, PCI_COMMAND);
		EXPECT_TRUE(le16toh(cmd) & PCI_COMMAND_MASTER);
		pci_handle_close(&h);

		ASSERT_EQ(0, host_cmd(h.bdf, &host, false));
		EXPECT_EQ(0, host & PCI_COMMAND_MASTER)
			TH_LOG("%s: COMMAND %#x after close", h.bdf, host);
		pci_unbind_vfio(h.bdf, h.old_driver);
	}
}

/* Whether a function has the PCI power management capability. */
static bool has_pm_cap(const char *bdf)
{
	unsigned char cfg[256] = { 0 };
	int pos, guard;

	if (pci_host_cfg_rw(bdf, 0, cfg, sizeof(cfg), false))
		return false;
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
