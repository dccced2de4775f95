// SPDX-License-Identifier: GPL-2.0-only
/*
 * SR-IOV through vfio-pci: a PF bound to vfio-pci (with enable_sriov)
 * creates a VF, which defaults to vfio-pci too, and the VF may only be
 * opened with the VF token the PF's user set (the PF too, while a VF is
 * open).  Unbinding the PF removes its VFs; a PF that has VFs already
 * cannot be bound.  The test VM's second NVMe (08.0) is an SR-IOV PF.
 * Skipped where it does not exist.
 */
#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>

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

/*
 * The type bits of BAR @idx that the host's resource flags imply, as
 * sysfs "resource" lists them (start, end, flags); 0 for no BAR.
 */
static unsigned int bar_type_from_sysfs(const char *bdf, int idx)
{
	unsigned long long start, end, flags;
	char path[PATH_MAX], line[128];
	unsigned int type = 0;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	f = fopen(path, "r");
	if (!f)
		return ~0u;
	for (i = 0; i <= idx && fgets(line, sizeof(line), f); i++)
		;
	fclose(f);
	if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3)
		return ~0u;
	if (!start)
		return 0;
	if (flags & 0x100)			/* IORESOURCE_IO */
		return PCI_BASE_ADDRESS_SPACE_IO;
	if (flags & 0x00100000)			/* IORESOURCE_MEM_64 */
		type |= PCI_BASE_ADDRESS_MEM_TYPE_64;
	if (flags & 0x2000)			/* IORESOURCE_PREFETCH */
		type |= PCI_BASE_ADDRESS_MEM_PREFETCH;
	return type;
}

/*
 * A VF's BAR registers read zero in hardware; userspace must see each
 * BAR's real type (QEMU sizes guest BARs and picks 64-bit by it), and
 * nothing where the VF has no BAR.
 */
TEST_F(sriov, vf_bars_show_their_type)
{
	char with[64];
	int vf, idx;

	if (self->vf_group < 0)
		SKIP(return, "no VF");
	snprintf(with, sizeof(with), " vf_token=%s", token);
	vf = open_vf(self, with);
	ASSERT_LE(0, vf);
	/* QEMU's NVMe VF: BAR 0 is 64-bit memory. */
	EXPECT_EQ(PCI_BASE_ADDRESS_MEM_TYPE_64,
		  pci_cfg_read32(vf, PCI_BASE_ADDRESS_0) & 0xf);
	for (idx = 0; idx < 6; idx++) {
		unsigned int reg = pci_cfg_read32(vf, PCI_BASE_ADDRESS_0 +
						  4 * idx);
		unsigned int want = bar_type_from_sysfs(self->vf, idx);

		EXPECT_EQ(want, reg & (want & PCI_BASE_ADDRESS_SPACE_IO ?
				       0x3 : 0xf)) TH_LOG("BAR %d", idx);
		if (!want) {
			EXPECT_EQ(0, reg) TH_LOG("BAR %d", idx);
		}
		/* The upper half of a 64-bit BAR is no BAR of its own. */
		if (want & PCI_BASE_ADDRESS_MEM_TYPE_64)
			idx++;
	}
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

/*
 * While a VF is open its user depends on the PF's token: the PF may then
 * only be opened by someone who knows it.  With no VF open, opening the
 * PF with a token sets it.
 */
TEST_F(sriov, pf_open_while_vf_open)
{
	char with[64], pf_name[96];
	int vf, pf;

	if (self->vf_group < 0)
		SKIP(return, "no VF");
	snprintf(with, sizeof(with), " vf_token=%s", token);
	vf = open_vf(self, with);
	ASSERT_LE(0, vf);

	EXPECT_EQ(-EACCES, vfio_ioctl(self->pf.group,
				      VFIO_GROUP_GET_DEVICE_FD, PF));
	snprintf(pf_name, sizeof(pf_name), PF " vf_token=%s", wrong);
	EXPECT_EQ(-EACCES, vfio_ioctl(self->pf.group,
				      VFIO_GROUP_GET_DEVICE_FD, pf_name));
	snprintf(pf_name, sizeof(pf_name), PF " vf_token=%s", token);
	pf = vfio_ioctl(self->pf.group, VFIO_GROUP_GET_DEVICE_FD, pf_name);
	EXPECT_LE(0, pf);
	if (pf >= 0)
		close(pf);
	close(vf);

	/* No VF open: the PF opens without a token, or sets a new one. */
	pf = vfio_ioctl(self->pf.group, VFIO_GROUP_GET_DEVICE_FD, PF);
	EXPECT_LE(0, pf);
	if (pf >= 0)
		close(pf);
	snprintf(pf_name, sizeof(pf_name), PF " vf_token=%s", wrong);
	pf = vfio_ioctl(self->pf.group, VFIO_GROUP_GET_DEVICE_FD, pf_name);
	EXPECT_LE(0, pf);
	if (pf >= 0)
		close(pf);
	EXPECT_EQ(-EACCES, open_vf(self, with));
	snprintf(with, sizeof(with), " vf_token=%s", wrong);
	vf = open_vf(self, with);
	EXPECT_LE(0, vf);
	if (vf >= 0)
		close(vf);
}

static sigjmp_buf bus_error_jmp;

static void bus_error(int sig)
{
	siglongjmp(bus_error_jmp, 1);
}

/*
 * A VF has no Memory Space Enable of its own (the PF's SR-IOV capability
 * has it, and pci_enable_sriov() sets it): its BARs are reachable whatever
 * the user wrote to its command register, as in 6.1.
 */
TEST_F(sriov, vf_bar_needs_no_memory_enable)
{
	struct sigaction sa = { .sa_handler = bus_error }, old;
	struct vfio_region_info bar0;
	char with[64];
	__le16 cmd = 0;
	volatile bool faulted = false;
	volatile __le32 *map;
	volatile __le32 seen = 0;
	__le32 cap = 0;
	int vf;

	if (self->vf_group < 0)
		SKIP(return, "no VF");
	snprintf(with, sizeof(with), " vf_token=%s", token);
	vf = open_vf(self, with);
	ASSERT_LE(0, vf);
	ASSERT_EQ(2, pci_cfg_write(vf, PCI_COMMAND, &cmd, 2));
	EXPECT_EQ(0, le16toh(pci_cfg_read16(vf, PCI_COMMAND)) &
		  PCI_COMMAND_MEMORY);

	ASSERT_EQ(0, pci_region_info(vf, VFIO_PCI_BAR0_REGION_INDEX, &bar0,
				     sizeof(bar0)));
	/*
	 * QEMU's VF answers 0 to everything until its PF brings it online,
	 * so the value says little: that the access is made at all is the
	 * point (without decode, the read fails with EIO, the mapping
	 * faults with SIGBUS).
	 */
	EXPECT_EQ(4, pread(vf, &cap, 4, bar0.offset));

	ASSERT_TRUE(bar0.flags & VFIO_REGION_INFO_FLAG_MMAP);
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, vf, bar0.offset);
	ASSERT_NE(MAP_FAILED, map);
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_error_jmp, 1))
		faulted = true;
	else
		seen = map[0];
	sigaction(SIGBUS, &old, NULL);
	EXPECT_FALSE(faulted) TH_LOG("SIGBUS reading the VF's BAR 0 mapping");
	EXPECT_EQ(le32toh(cap), le32toh(seen));
	munmap((void *)map, 4096);
	close(vf);
}

/* 1 if BDF is bound to DRIVER, 0 if not. */
static int bound_to(const char *bdf, const char *driver)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/%s", driver, bdf);
	return !access(path, F_OK);
}

static void read_attr(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f && fgets(buf, size, f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

/*
 * Put the PF back the way the VM had it, whatever a test left: VFs gone
 * (through vfio-pci if it created them, else through the host driver)
 * and the PF with its old driver.
 */
static void pf_restore(const char *old)
{
	char n[16];

	vfio_write_file(ENABLE_SRIOV, "Y");
	vfio_write_file(SYSFS_PF "/sriov_numvfs", "0");
	pci_unbind_vfio(PF, old);
	read_attr(SYSFS_PF "/sriov_numvfs", n, sizeof(n));
	if (strcmp(n, "0"))
		vfio_write_file(SYSFS_PF "/sriov_numvfs", "0");
	vfio_write_file(SYSFS_PF "/sriov_drivers_autoprobe", "1");
	vfio_write_file(ENABLE_SRIOV, "N");
}

/* Enable one VF from PF handle @pf, set up for opening with @uuid. */
static int pf_make_vf(struct pci_handle *pf, const char *uuid, char *vf,
		      size_t size, int *vf_group)
{
	int ret;

	ret = vfio_write_file(ENABLE_SRIOV, "Y");
	if (!ret)
		ret = set_token(pf->device, uuid);
	if (!ret)
		ret = vfio_write_file(SYSFS_PF "/sriov_numvfs", "1");
	if (!ret)
		ret = first_vf(vf, size);
	if (ret)
		return ret;
	pci_wait_driver(vf);
	if (!bound_to(vf, "vfio-pci"))
		return -ENODEV;
	*vf_group = vfio_open_group(pci_group_of(vf));
	if (*vf_group < 0)
		return *vf_group;
	return vfio_group_set_container(*vf_group, pf->container);
}

static int open_with_token(int group, const char *bdf, const char *uuid)
{
	char name[96];

	snprintf(name, sizeof(name), "%s vf_token=%s", bdf, uuid);
	return vfio_ioctl(group, VFIO_GROUP_GET_DEVICE_FD, name);
}

/*
 * Unbinding a PF takes away the VFs it created, once their users (and
 * the PF's) have closed them: nothing may be left pointing at the PF.
 * A PF bound again then makes VFs that know only its new token.
 */
TEST(unbind_pf_takes_its_vfs)
{
	struct pci_handle pf;
	char vf[32], vf2[32], n[16];
	int vf_group = -1, vf_fd, status, ret;
	pid_t pid;

	if (access(SYSFS_PF "/sriov_totalvfs", F_OK))
		SKIP(return, "no SR-IOV PF at " PF);
	ret = pci_handle_setup(&pf, PF);
	if (ret == PCI_ABSENT)
		SKIP(return, "no vfio-pci");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, pf_make_vf(&pf, token, vf, sizeof(vf), &vf_group));
	vf_fd = open_with_token(vf_group, vf, token);
	ASSERT_LE(0, vf_fd);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Our copies of the descriptors would hold the unbind up. */
		close(vf_fd);
		close(vf_group);
		pci_handle_close(&pf);
		_exit(vfio_write_file("/sys/bus/pci/drivers/vfio-pci/unbind",
				      PF) ? 1 : 0);
	}
	/* The unbind waits for the VF's user, then for the PF's. */
	usleep(500000);
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG));
	close(vf_fd);
	close(vf_group);
	pci_handle_close(&pf);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));

	EXPECT_FALSE(bound_to(PF, "vfio-pci"));
	read_attr(SYSFS_PF "/sriov_numvfs", n, sizeof(n));
	EXPECT_STREQ("0", n);
	EXPECT_NE(0, access(SYSFS_PF "/virtfn0", F_OK));
	if (strcmp(n, "0")) {
		/* The VF still points at the PF that is gone: stop here. */
		pf_restore(pf.old_driver);
		return;
	}

	/* Bound again, with a new token: the new VF answers to it only. */
	vfio_write_file("/sys/bus/pci/drivers_probe", PF);
	ASSERT_EQ(0, pci_handle_open(&pf));
	ASSERT_EQ(0, pf_make_vf(&pf, wrong, vf2, sizeof(vf2), &vf_group));
	EXPECT_EQ(-EACCES, open_with_token(vf_group, vf2, token));
	vf_fd = open_with_token(vf_group, vf2, wrong);
	EXPECT_LE(0, vf_fd);
	if (vf_fd >= 0)
		close(vf_fd);
	close(vf_group);
	/* VFs first: closing the PF resets it, and a PF reset hits them. */
	vfio_write_file(SYSFS_PF "/sriov_numvfs", "0");
	pci_handle_close(&pf);
	pf_restore(pf.old_driver);
}

/*
 * VFs are reached through their PF, which must be awake to have them:
 * enabling VFs brings a PF its user put in D3hot back to D0 (as 6.1
 * does), and while they exist the user cannot put it to sleep.
 */
TEST(vfs_wake_the_pf)
{
	struct pci_handle pf;
	char vf[32], state[64];
	int vf_group = -1, pm, ret;

	if (access(SYSFS_PF "/sriov_totalvfs", F_OK))
		SKIP(return, "no SR-IOV PF at " PF);
	ret = pci_handle_setup(&pf, PF);
	if (ret == PCI_ABSENT)
		SKIP(return, "no vfio-pci");
	ASSERT_EQ(0, ret);
	pm = pci_pm_cap(pf.device);
	ASSERT_LE(0, pm) TH_LOG("QEMU's NVMe has a PM capability");

	ASSERT_EQ(0, pci_write_power_state(pf.device, pm, 3));
	pci_power_state(PF, state, sizeof(state));
	ASSERT_STREQ("D3hot", state);

	ASSERT_EQ(0, pf_make_vf(&pf, token, vf, sizeof(vf), &vf_group));
	pci_power_state(PF, state, sizeof(state));
	EXPECT_STREQ("D0", state);
	EXPECT_EQ(0, pci_read_power_state(pf.device, pm));

	/* With VFs, a D3hot write is not taken. */
	ASSERT_EQ(0, pci_write_power_state(pf.device, pm, 3));
	pci_power_state(PF, state, sizeof(state));
	EXPECT_STREQ("D0", state);
	EXPECT_EQ(0, pci_read_power_state(pf.device, pm));

	close(vf_group);
	vfio_write_file(SYSFS_PF "/sriov_numvfs", "0");
	pci_handle_close(&pf);
	pf_restore(pf.old_driver);
}

/*
 * A PF whose VFs someone else created cannot be bound: vfio-pci could
 * neither know those VFs' users nor hand them its token.  The host's
 * nvme driver creates the VF here; autoprobe is off so the VF stays
 * unbound.
 */
TEST(pf_with_vfs_is_refused)
{
	char old[64], drv[64] = "", link[PATH_MAX];
	ssize_t len;
	int ret;

	if (access(SYSFS_PF "/sriov_totalvfs", F_OK))
		SKIP(return, "no SR-IOV PF at " PF);
	if (access(SYSFS_PF "/driver", F_OK)) {
		vfio_write_file(SYSFS_PF "/driver_override", "\n");
		vfio_write_file("/sys/bus/pci/drivers_probe", PF);
		pci_wait_driver(PF);
	}
	len = readlink(SYSFS_PF "/driver", link, sizeof(link) - 1);
	if (len > 0) {
		link[len] = '\0';
		snprintf(drv, sizeof(drv), "%s", basename(link));
	}
	if (strcmp(drv, "nvme"))
		SKIP(return, "PF not bound to nvme (%s)", drv);
	pci_wait_nvme_settled(PF);
	ASSERT_EQ(0, vfio_write_file(SYSFS_PF "/sriov_drivers_autoprobe",
				     "0"));
	ASSERT_EQ(0, vfio_write_file(SYSFS_PF "/sriov_numvfs", "1"));

	ret = pci_bind_vfio(PF, old, sizeof(old));
	if (ret == PCI_ABSENT) {
		pf_restore("nvme");
		SKIP(return, "no vfio-pci");
	}
	EXPECT_EQ(-EBUSY, ret);
	EXPECT_FALSE(bound_to(PF, "vfio-pci"));
	pf_restore("nvme");
}

TEST_HARNESS_MAIN
