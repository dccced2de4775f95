// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci: device info, regions and the emulated config space, on the
 * test VM's NVMe (00:05.0): BAR sizing, command register, capability
 * chain, BAR access through the file and mmap, and bad offsets.
 */
#include <pthread.h>
#include <setjmp.h>
#include <sys/mount.h>
#include <signal.h>

#include "../kselftest_harness.h"
#include "pci_test_util.h"

FIXTURE(nvme) {
	struct pci_handle h;
};

FIXTURE_SETUP(nvme)
{
	int ret = pci_handle_setup(&self->h, PCI_NVME);

	if (ret == PCI_ABSENT)
		SKIP(return, "no vfio-pci or no NVMe at " PCI_NVME);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(nvme)
{
	pci_handle_teardown(&self->h);
}

TEST_F(nvme, device_info)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	PCI_NEED_DEVICE();

	ASSERT_EQ(0, vfio_ioctl(self->h.device, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);
	/* QEMU's NVMe has FLR. */
	EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_RESET);
	EXPECT_EQ(VFIO_PCI_NUM_REGIONS, info.num_regions);
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, info.num_irqs);

	info.argsz = 4;
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->h.device, VFIO_DEVICE_GET_INFO,
				      &info));
}

TEST_F(nvme, region_info)
{
	char buf[512];
	struct vfio_region_info *info = (struct vfio_region_info *)buf;
	struct vfio_info_cap_header *cap;
	int msix_bar = -1, bar;

	PCI_NEED_DEVICE();

	ASSERT_EQ(0, pci_region_info(self->h.device,
				     VFIO_PCI_CONFIG_REGION_INDEX, info,
				     sizeof(*info)));
	EXPECT_EQ(4096, info->size);
	EXPECT_EQ(REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX), info->offset);
	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
		  info->flags);

	ASSERT_EQ(0, pci_region_info(self->h.device, 0, info, sizeof(*info)));
	EXPECT_GE(info->size, 8192);
	EXPECT_EQ(0, info->offset);
	EXPECT_TRUE(info->flags & VFIO_REGION_INFO_FLAG_MMAP);

	/* Some BAR holds the MSI-X table and says it is mappable anyway. */
	for (bar = 0; bar < 6; bar++) {
		ASSERT_EQ(0, pci_region_info(self->h.device, bar, info,
					     sizeof(buf)));
		if (info->flags & VFIO_REGION_INFO_FLAG_CAPS) {
			ASSERT_NE(0, info->cap_offset);
			cap = (void *)(buf + info->cap_offset);
			EXPECT_EQ(VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, cap->id);
			msix_bar = bar;
		}
	}
	EXPECT_GE(msix_bar, 0);

	/* Too small for the chain: told how much room it needs. */
	ASSERT_EQ(0, pci_region_info(self->h.device, msix_bar, info,
				     sizeof(*info)));
	EXPECT_TRUE(info->flags & VFIO_REGION_INFO_FLAG_CAPS);
	EXPECT_GT(info->argsz, sizeof(*info));
	EXPECT_EQ(0, info->cap_offset);

	/* No VGA, no device-specific regions, short argsz. */
	EXPECT_EQ(-EINVAL, pci_region_info(self->h.device,
					   VFIO_PCI_VGA_REGION_INDEX, info,
					   sizeof(*info)));
	EXPECT_EQ(-EINVAL, pci_region_info(self->h.device,
					   VFIO_PCI_NUM_REGIONS, info,
					   sizeof(*info)));
	EXPECT_EQ(-EINVAL, pci_region_info(self->h.device, 0, info, 8));
}

TEST_F(nvme, config_ids_match_sysfs)
{
	unsigned char sys[64], ours[64];

	PCI_NEED_DEVICE();

	ASSERT_EQ(0, pci_host_cfg_rw(self->h.bdf, 0, sys, sizeof(sys), false));
	ASSERT_EQ(64, pci_cfg_read(self->h.device, 0, ours, 64));
	/* IDs, class, revision and subsystem IDs are the device's own. */
	EXPECT_EQ(0, memcmp(sys, ours, 4));
	EXPECT_EQ(0, memcmp(sys + 8, ours + 8, 4));
	EXPECT_EQ(0, memcmp(sys + 0x2c, ours + 0x2c, 4));
	EXPECT_EQ(0x1b36, pci_cfg_read16(self->h.device, PCI_VENDOR_ID));
}

TEST_F(nvme, config_any_size_and_alignment)
{
	unsigned char whole[16], part[16];
	int off;

	PCI_NEED_DEVICE();

	ASSERT_EQ(16, pci_cfg_read(self->h.device, 0, whole, 16));
	for (off = 0; off < 8; off++) {
		memset(part, 0xaa, sizeof(part));
		ASSERT_EQ(3, pci_cfg_read(self->h.device, off, part, 3));
		EXPECT_EQ(0, memcmp(whole + off, part, 3));
	}
}

TEST_F(nvme, config_bad_offsets)
{
	unsigned int val = 0;

	PCI_NEED_DEVICE();

	EXPECT_EQ(-EFAULT, pci_cfg_read(self->h.device, 4096, &val, 4));
	EXPECT_EQ(-EFAULT, pci_cfg_read(self->h.device, 4094, &val, 4));
	EXPECT_EQ(-EFAULT, pci_cfg_write(self->h.device, 4096, &val, 1));
	/* A region index that does not exist. */
	EXPECT_EQ(-1, pread(self->h.device, &val, 4, REGION_OFF(20)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(nvme, readonly_ids)
{
	unsigned short id = 0x1234, before;

	PCI_NEED_DEVICE();

	before = pci_cfg_read16(self->h.device, PCI_VENDOR_ID);
	EXPECT_EQ(2, pci_cfg_write(self->h.device, PCI_VENDOR_ID, &id, 2));
	EXPECT_EQ(before, pci_cfg_read16(self->h.device, PCI_VENDOR_ID));
}

TEST_F(nvme, bar_sizing)
{
	struct vfio_region_info info;
	unsigned int orig, ones = ~0U, val, flags;

	PCI_NEED_DEVICE();

	ASSERT_EQ(0, pci_region_info(self->h.device, 0, &info, sizeof(info)));
	orig = pci_cfg_read32(self->h.device, PCI_BASE_ADDRESS_0);
	flags = orig & 0xf;

	ASSERT_EQ(4, pci_cfg_write(self->h.device, PCI_BASE_ADDRESS_0, &ones, 4));
	val = pci_cfg_read32(self->h.device, PCI_BASE_ADDRESS_0);
	EXPECT_EQ((unsigned int)~(info.size - 1) | flags, val);

	/* Unaligned byte writes land in the same emulated register. */
	val = 0x12;
	ASSERT_EQ(1, pci_cfg_write(self->h.device, PCI_BASE_ADDRESS_0 + 3,
				   &val, 1));
	val = pci_cfg_read32(self->h.device, PCI_BASE_ADDRESS_0);
	EXPECT_EQ(0x12u, val >> 24);
	EXPECT_EQ(flags, val & 0xf);

	ASSERT_EQ(4, pci_cfg_write(self->h.device, PCI_BASE_ADDRESS_0, &orig, 4));
	EXPECT_EQ(orig, pci_cfg_read32(self->h.device, PCI_BASE_ADDRESS_0));

	/* The real BAR was not touched: the device still answers. */
	ASSERT_EQ(4, pread(self->h.device, &val, 4, REGION_OFF(0)));
	EXPECT_NE(0xffffffffu, val);
}

TEST_F(nvme, capability_chain)
{
	unsigned char pos, id, seen[256] = {};
	int n = 0, msix = 0, msi = 0;

	PCI_NEED_DEVICE();

	EXPECT_TRUE(pci_cfg_read16(self->h.device, PCI_STATUS) &
		    PCI_STATUS_CAP_LIST);
	pos = pci_cfg_read8(self->h.device, PCI_CAPABILITY_LIST);
	while (pos) {
		ASSERT_GE(pos, 0x40);
		ASSERT_FALSE(seen[pos]);
		seen[pos] = 1;
		id = pci_cfg_read8(self->h.device, pos);
		EXPECT_TRUE(id == PCI_CAP_ID_PM || id == PCI_CAP_ID_MSI ||
			    id == PCI_CAP_ID_MSIX || id == PCI_CAP_ID_EXP ||
			    id == PCI_CAP_ID_VNDR || id == PCI_CAP_ID_AF ||
			    id == PCI_CAP_ID_PCIX);
		if (id == PCI_CAP_ID_MSIX) {
			msix = 1;
			/* MSI-X is enabled only through SET_IRQS. */
			EXPECT_FALSE(pci_cfg_read16(self->h.device, pos + 2) &
				     PCI_MSIX_FLAGS_ENABLE);
		}
		if (id == PCI_CAP_ID_MSI)
			msi = 1;
		pos = pci_cfg_read8(self->h.device, pos + 1);
		ASSERT_LT(++n, 48);
	}
	EXPECT_TRUE(msix);
	(void)msi;
}

/* The PCI Express capability's offset through the device file, or 0. */
static unsigned char exp_cap(int fd)
{
	unsigned char pos = pci_cfg_read8(fd, PCI_CAPABILITY_LIST);
	int guard;

	for (guard = 0; pos && guard < 48; guard++) {
		if (pci_cfg_read8(fd, pos) == PCI_CAP_ID_EXP)
			return pos;
		pos = pci_cfg_read8(fd, pos + 1);
	}
	return 0;
}

#define TRACING		"/sys/kernel/tracing"
#define MRRS_PROBE	"vfio_test/mrrs"

static int tracing_write(const char *file, const char *text, int flags)
{
	char path[PATH_MAX];
	int fd, ret = 0;

	snprintf(path, sizeof(path), TRACING "/%s", file);
	fd = open(path, O_WRONLY | flags);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		ret = -errno;
	close(fd);
	return ret;
}

/* Whether kprobe events can be used, tracefs mounted if need be. */
static bool kprobes_usable(void)
{
	if (access(TRACING "/kprobe_events", F_OK))
		mount("tracefs", TRACING, "tracefs", 0, NULL);
	return !access(TRACING "/kprobe_events", F_OK);
}

/* Disable and remove kprobe @probe ("group/name"), if it is there. */
static void probe_stop(const char *probe)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "events/%s/enable", probe);
	tracing_write(buf, "0", 0);
	snprintf(buf, sizeof(buf), "-:%s\n", probe);
	tracing_write("kprobe_events", buf, O_APPEND);
}

/* Define @probe at @def ("function args"), enable it, empty the trace. */
static int probe_start(const char *probe, const char *def)
{
	char buf[256];
	int ret;

	probe_stop(probe);
	snprintf(buf, sizeof(buf), "p:%s %s\n", probe, def);
	ret = tracing_write("kprobe_events", buf, O_APPEND);
	snprintf(buf, sizeof(buf), "events/%s/enable", probe);
	if (!ret)
		ret = tracing_write(buf, "1", 0);
	if (!ret)
		ret = tracing_write("trace", "", O_TRUNC);
	return ret;
}

/* Whether the trace has a hit of @probe ("group/name") with @arg. */
static bool probe_traced(const char *probe, const char *arg)
{
	const char *name = strchr(probe, '/') + 1;
	char line[512];
	bool seen = false;
	FILE *f = fopen(TRACING "/trace", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *hit = strstr(line, name);

		seen |= hit && hit[strlen(name)] == ':' && strstr(hit, arg);
	}
	fclose(f);
	return seen;
}

/* Whether the probe saw pcie_set_readrq() with @rq. */
static bool mrrs_traced(int rq)
{
	char want[32];

	snprintf(want, sizeof(want), " rq=%d", rq);
	return probe_traced(MRRS_PROBE, want);
}

/*
 * The Max Read Request Size the user writes is passed on to the device,
 * as in 6.1, never below the Max Payload Size; the user reads back what
 * it wrote.  QEMU's PCI Express functions hard-wire MRRS (the field reads
 * 0 whatever is written), so what reaches the PCI core is watched with a
 * kprobe on pcie_set_readrq(); where the device's field is writable, the
 * host's view of it (sysfs) must follow too.
 */
TEST_F(nvme, max_read_request_size)
{
	int fd = self->h.device;
	unsigned char exp = exp_cap(fd);
	uint16_t ctl, host, orig, mps, want;
	bool writable;
	int field;

	PCI_NEED_DEVICE();
	ASSERT_NE(0, exp) TH_LOG("QEMU's NVMe is PCI Express");
	if (!kprobes_usable())
		SKIP(return, "no kprobe events in this kernel");
	ASSERT_EQ(0, probe_start(MRRS_PROBE, "pcie_set_readrq rq=$arg2:s32"));

	/* Does the device's field hold what the host writes? */
	ASSERT_EQ(0, pci_host_cfg_rw(self->h.bdf, exp + PCI_EXP_DEVCTL, &orig,
				     2, false));
	host = htole16(le16toh(orig) ^ (1 << 12));
	ASSERT_EQ(0, pci_host_cfg_rw(self->h.bdf, exp + PCI_EXP_DEVCTL, &host,
				     2, true));
	ASSERT_EQ(0, pci_host_cfg_rw(self->h.bdf, exp + PCI_EXP_DEVCTL, &host,
				     2, false));
	writable = host != orig;
	ASSERT_EQ(0, pci_host_cfg_rw(self->h.bdf, exp + PCI_EXP_DEVCTL, &orig,
				     2, true));
	mps = (le16toh(orig) & PCI_EXP_DEVCTL_PAYLOAD) >> 5;

	for (field = 0; field <= 5; field++) {
		ctl = le16toh(pci_cfg_read16(fd, exp + PCI_EXP_DEVCTL));
		ctl = htole16((ctl & ~PCI_EXP_DEVCTL_READRQ) | field << 12);
		ASSERT_EQ(2, pci_cfg_write(fd, exp + PCI_EXP_DEVCTL, &ctl, 2));
		EXPECT_EQ(field,
			  (le16toh(pci_cfg_read16(fd, exp + PCI_EXP_DEVCTL)) &
			   PCI_EXP_DEVCTL_READRQ) >> 12);
		want = field < mps ? mps : field;
		/* The device's MRRS is 128 bytes already: nothing to pass. */
		if (want)
			EXPECT_TRUE(mrrs_traced(128 << want))
				TH_LOG("MRRS field %d written (MPS field %u): no pcie_set_readrq(%d)",
				       field, mps, 128 << want);
		if (!writable)
			continue;
		ASSERT_EQ(0, pci_host_cfg_rw(self->h.bdf, exp + PCI_EXP_DEVCTL,
					     &host, 2, false));
		EXPECT_EQ(want, (le16toh(host) & PCI_EXP_DEVCTL_READRQ) >> 12);
	}
	probe_stop(MRRS_PROBE);
	if (!writable)
		TH_LOG("the device's MRRS field is hard-wired: checked the PCI core call only");
}

#define CFGW_PROBE	"vfio_test/cfgw"

/* Whether the probe saw a user config byte write at @where. */
static bool cfg_write_traced(int where)
{
	char want[32];

	snprintf(want, sizeof(want), " where=%d", where);
	return probe_traced(CFGW_PROBE, want);
}

/*
 * The last byte of standard config space past every capability of the
 * host's list (which may hold capabilities the user does not see), or
 * -1.  No standard capability is longer than PCI Express's 60 bytes.
 */
static int gap_byte(const char *bdf)
{
	int gap = PCI_CFG_SPACE_SIZE - 1, pos, guard;
	uint8_t b = 0;

	pci_host_cfg_rw(bdf, PCI_CAPABILITY_LIST, &b, 1, false);
	for (pos = b, guard = 0; pos >= 0x40 && guard < 48; guard++) {
		if (pos + PCI_CAP_EXP_ENDPOINT_SIZEOF_V2 > gap)
			return -1;
		pci_host_cfg_rw(bdf, pos + PCI_CAP_LIST_NEXT, &b, 1, false);
		pos = b;
	}
	return gap;
}

/*
 * Config space no capability covers belongs to the device, as in 6.1:
 * some functions keep registers there.  A user's byte write there must
 * reach the function (seen with a kprobe on the PCI core's user write,
 * since QEMU's functions ignore writes there), and a read comes from it.
 */
TEST_F(nvme, gaps_reach_the_device)
{
	int fd = self->h.device, where = gap_byte(self->h.bdf);
	uint8_t val = 0x5a, host = 0;

	PCI_NEED_DEVICE();
	ASSERT_LT(0, where) TH_LOG("no gap at the end of config space");
	if (!kprobes_usable())
		SKIP(return, "no kprobe events in this kernel");
	ASSERT_EQ(0, probe_start(CFGW_PROBE,
				 "pci_user_write_config_byte where=$arg2:s32"));

	EXPECT_EQ(1, pci_cfg_write(fd, where, &val, 1));
	EXPECT_TRUE(cfg_write_traced(where))
		TH_LOG("a write at %#x did not reach the function", where);
	ASSERT_EQ(0, pci_host_cfg_rw(self->h.bdf, where, &host, 1, false));
	EXPECT_EQ(host, pci_cfg_read8(fd, where));

	probe_stop(CFGW_PROBE);
}

TEST_F(nvme, command_memory_gates_bars)
{
	unsigned short cmd, off;
	unsigned int val;

	PCI_NEED_DEVICE();

	cmd = pci_cfg_read16(self->h.device, PCI_COMMAND);
	off = cmd & ~PCI_COMMAND_MEMORY;
	ASSERT_EQ(2, pci_cfg_write(self->h.device, PCI_COMMAND, &off, 2));
	EXPECT_FALSE(pci_cfg_read16(self->h.device, PCI_COMMAND) &
		     PCI_COMMAND_MEMORY);
	EXPECT_EQ(-1, pread(self->h.device, &val, 4, REGION_OFF(0)));
	EXPECT_EQ(EIO, errno);

	cmd |= PCI_COMMAND_MEMORY;
	ASSERT_EQ(2, pci_cfg_write(self->h.device, PCI_COMMAND, &cmd, 2));
	EXPECT_EQ(4, pread(self->h.device, &val, 4, REGION_OFF(0)));
}

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(bus_jmp, 1);
}

struct first_map {
	pthread_barrier_t go;
	int fd;
	size_t len;
	off_t off;
	void *map[2];
};

struct first_map_arg {
	struct first_map *m;
	int me;
};

static void *first_map_thread(void *arg)
{
	struct first_map_arg *a = arg;
	struct first_map *m = a->m;

	pthread_barrier_wait(&m->go);
	m->map[a->me] = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED,
			     m->fd, m->off);
	return NULL;
}

/*
 * Two threads make the first mappings of a fresh device file at once,
 * again and again.  Every mapping of a device goes through one address
 * space, and the kernel counts writable shared mappings per address space
 * around ->mmap: a file whose address space changed inside ->mmap made
 * the two counts drift when two mappings raced, until a mapping of the
 * device failed or the count check warned.  Then BAR mappings, the zap at
 * decode off and the fault back must still work.
 */
TEST_F(nvme, racing_first_mappings)
{
	struct vfio_region_info info;
	struct first_map m = { 0 };
	struct first_map_arg args[2] = { { &m, 0 }, { &m, 1 } };
	pthread_t t[2];
	int round, i, failed = 0;

	PCI_NEED_DEVICE();
	ASSERT_EQ(0, pci_region_info(self->h.device, 0, &info, sizeof(info)));
	m.len = 4096;
	m.off = info.offset;
	for (round = 0; round < 300; round++) {
		m.fd = vfio_ioctl(self->h.group, VFIO_GROUP_GET_DEVICE_FD,
				  self->h.bdf);
		ASSERT_LE(0, m.fd);
		m.map[0] = m.map[1] = NULL;
		ASSERT_EQ(0, pthread_barrier_init(&m.go, NULL, 2));
		for (i = 0; i < 2; i++)
			ASSERT_EQ(0, pthread_create(&t[i], NULL,
						    first_map_thread, &args[i]));
		for (i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&m.go);
		for (i = 0; i < 2; i++) {
			if (m.map[i] == MAP_FAILED)
				failed++;
			else
				munmap(m.map[i], m.len);
		}
		close(m.fd);
	}
	EXPECT_EQ(0, failed);
	EXPECT_EQ(0, vfio_klog_count(self->h.bdf, "writers miscounted"));
}

TEST_F(nvme, bar_mmap_zap_and_fault_back)
{
	struct vfio_region_info info;
	volatile unsigned int *bar;
	unsigned int cap_lo, via_rw = 0;
	unsigned short cmd, off;
	int faulted;

	PCI_NEED_DEVICE();

	ASSERT_EQ(0, pci_region_info(self->h.device, 0, &info, sizeof(info)));
	bar = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->h.device, info.offset);
	ASSERT_NE(MAP_FAILED, bar);

	/* NVMe CAP register, both ways. */
	cap_lo = bar[0];
	ASSERT_EQ(4, pread(self->h.device, &via_rw, 4, REGION_OFF(0)));
	EXPECT_EQ(via_rw, cap_lo);
	EXPECT_NE(0xffffffffu, cap_lo);

	/* Memory decode off: the mapping is gone, access faults. */
	cmd = pci_cfg_read16(self->h.device, PCI_COMMAND);
	cmd |= PCI_COMMAND_MEMORY;
	off = cmd & ~PCI_COMMAND_MEMORY;
	ASSERT_EQ(2, pci_cfg_write(self->h.device, PCI_COMMAND, &off, 2));
	signal(SIGBUS, on_sigbus);
	faulted = sigsetjmp(bus_jmp, 1);
	if (!faulted)
		(void)bar[0];
	EXPECT_EQ(1, faulted);
	signal(SIGBUS, SIG_DFL);

	/* Back on: the same mapping works again. */
	ASSERT_EQ(2, pci_cfg_write(self->h.device, PCI_COMMAND, &cmd, 2));
	EXPECT_EQ(cap_lo, bar[0]);

	/* Mapping past the BAR, privately, or a non-BAR region fails. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, info.size * 2, PROT_READ,
				   MAP_SHARED, self->h.device, info.offset));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_PRIVATE,
				   self->h.device, info.offset));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED,
				   self->h.device,
				   REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX)));
	munmap((void *)bar, info.size);

	/* Map, unmap, map again: the bookkeeping stays consistent. */
	bar = mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->h.device,
		   info.offset);
	ASSERT_NE(MAP_FAILED, bar);
	EXPECT_EQ(cap_lo, bar[0]);
	munmap((void *)bar, 4096);
}

TEST_F(nvme, bar_bad_offsets)
{
	struct vfio_region_info info;
	unsigned int val;

	PCI_NEED_DEVICE();

	ASSERT_EQ(0, pci_region_info(self->h.device, 0, &info, sizeof(info)));
	EXPECT_EQ(-1, pread(self->h.device, &val, 4, info.offset + info.size));
	EXPECT_EQ(EINVAL, errno);
	/* Reads stop at the end of the BAR. */
	EXPECT_EQ(2, pread(self->h.device, &val, 4,
			   info.offset + info.size - 2));
	/* An empty BAR. */
	ASSERT_EQ(0, pci_region_info(self->h.device, 1, &info, sizeof(info)));
	if (!info.size) {
		EXPECT_EQ(-1, pread(self->h.device, &val, 4, REGION_OFF(1)));
		EXPECT_EQ(EINVAL, errno);
	}
	/* The ROM region cannot be written. */
	EXPECT_EQ(-1, pwrite(self->h.device, &val, 4,
			     REGION_OFF(VFIO_PCI_ROM_REGION_INDEX)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(nvme, reset)
{
	unsigned int before = pci_cfg_read32(self->h.device, 0), cap;

	PCI_NEED_DEVICE();

	EXPECT_EQ(0, vfio_ioctl(self->h.device, VFIO_DEVICE_RESET, NULL));
	EXPECT_EQ(before, pci_cfg_read32(self->h.device, 0));
	/* The device answers after the reset. */
	ASSERT_EQ(4, pread(self->h.device, &cap, 4, REGION_OFF(0)));
	EXPECT_NE(0xffffffffu, cap);
}

TEST_F(nvme, usable_after_reopen)
{
	unsigned int val;

	PCI_NEED_DEVICE();

	/* Close everything as a dying process would, and open again. */
	pci_handle_close(&self->h);
	ASSERT_EQ(0, pci_handle_open(&self->h));
	ASSERT_EQ(4, pread(self->h.device, &val, 4, REGION_OFF(0)));
	EXPECT_NE(0xffffffffu, val);
}

/* ---- a BAR smaller than a page: QEMU's i6300esb watchdog ---- */

#define PCI_ESB		"0000:00:0b.0"

FIXTURE(small_bar) {
	struct pci_handle h;
	unsigned long long start, end;
};

FIXTURE_SETUP(small_bar)
{
	unsigned long long flags;
	char line[128];
	FILE *f;
	int ret = pci_handle_setup(&self->h, PCI_ESB);

	if (ret == PCI_ABSENT)
		SKIP(return, "no vfio-pci or no i6300esb at " PCI_ESB);
	ASSERT_EQ(0, ret);
	f = fopen("/sys/bus/pci/devices/" PCI_ESB "/resource", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	fclose(f);
	ASSERT_EQ(3, sscanf(line, "%llx %llx %llx", &self->start, &self->end,
			    &flags));
}

FIXTURE_TEARDOWN(small_bar)
{
	pci_handle_teardown(&self->h);
}

/* Lines of /proc/iomem naming the reserved rest of a small BAR's page. */
static int reserved_tails(void)
{
	char line[256];
	int n = 0;
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += !!strstr(line, "vfio sub-page reserved");
	fclose(f);
	return n;
}

/*
 * As in 6.1, a memory BAR smaller than a page can be mapped when it
 * starts a page and the rest of that page can be reserved while the device
 * is open (so that nothing else the host assigns is ever in the mapping);
 * one that shares its page with another BAR cannot.
 */
TEST_F(small_bar, mmap_when_the_page_is_its_own)
{
	struct vfio_region_info info;
	unsigned int via_map, via_rw = 0;
	bool aligned = !(self->start & 4095);
	void *map;
	int fd = self->h.device;

	PCI_NEED_DEVICE();
	ASSERT_EQ(0, pci_region_info(fd, 0, &info, sizeof(info)));
	ASSERT_EQ(self->end - self->start + 1, info.size);
	ASSERT_GT(4096, info.size);
	TH_LOG("BAR0 of %llu bytes at %#llx", info.size, self->start);
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   info.offset);
	if (!aligned) {
		EXPECT_FALSE(info.flags & VFIO_REGION_INFO_FLAG_MMAP);
		EXPECT_EQ(MAP_FAILED, map);
		return;
	}
	EXPECT_TRUE(info.flags & VFIO_REGION_INFO_FLAG_MMAP);
	EXPECT_EQ(1, reserved_tails());
	ASSERT_NE(MAP_FAILED, map);
	/* One page at most: the BAR's. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd,
				   info.offset));
	via_map = *(volatile unsigned int *)map;
	ASSERT_EQ(4, pread(fd, &via_rw, 4, info.offset));
	EXPECT_EQ(via_rw, via_map);
	munmap(map, 4096);
	/* The reservation goes with the last close. */
	pci_handle_close(&self->h);
	EXPECT_EQ(0, reserved_tails());
}

TEST_HARNESS_MAIN
