// SPDX-License-Identifier: GPL-2.0-only
/*
 * Interrupt remapping, in a VM whose IOMMU has it off (nointremap/run.sh):
 * without it a device could forge MSI writes and raise any interrupt of
 * the host, so type1 refuses the e1000's group with EPERM.  The errno
 * does not say why: one ratelimited log line names the group and the
 * module parameter that accepts the risk, and a user repeating the call
 * cannot flood the log.  With allow_unsafe_interrupts set the same group
 * is accepted and maps memory.
 */
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "pci_test_util.h"

#define NIC		"0000:00:04.0"
#define UNSAFE		"/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts"
#define REFUSED		"no interrupt remapping for group"

FIXTURE(nointremap) {
	char old[64];
	char why[128];
	int group_id;
	bool bound;
};

FIXTURE_SETUP(nointremap)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", NIC);
	if (access(path, F_OK))
		SKIP(return, "no " NIC);
	ASSERT_EQ(0, vfio_modprobe("vfio_iommu_type1"));
	ASSERT_EQ(0, vfio_write_file(UNSAFE, "N"));
	ASSERT_EQ(0, pci_bind_vfio(NIC, self->old, sizeof(self->old)));
	self->bound = true;
	self->group_id = pci_group_of(NIC);
	ASSERT_LE(0, self->group_id);
	snprintf(self->why, sizeof(self->why), "%s %d; load vfio_iommu_type1 with allow_unsafe_interrupts=1",
		 REFUSED, self->group_id);
}

FIXTURE_TEARDOWN(nointremap)
{
	vfio_write_file(UNSAFE, "N");
	if (self->bound)
		pci_unbind_vfio(NIC, self->old);
}

/* The container of the NIC's group, SET_IOMMU's result in @ret. */
static int container_with_group(int group_id, int *group, int *ret)
{
	int c = vfio_open_container();

	*group = vfio_open_group(group_id);
	if (c < 0 || *group < 0 || vfio_group_set_container(*group, c))
		return -1;
	*ret = vfio_ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	return c;
}

TEST_F(nointremap, refused_and_said_why_once)
{
	int c, g, ret, before, n;

	/* Lines printed before this test do not count against its burst. */
	sleep(6);
	before = vfio_klog_count(self->why, "");
	c = container_with_group(self->group_id, &g, &ret);
	ASSERT_LE(0, c);
	EXPECT_EQ(-EPERM, ret);
	EXPECT_EQ(before + 1, vfio_klog_count(self->why, ""));
	/* Nothing was left behind: the group is free for another try. */
	close(c);
	close(g);
	for (n = 0; n < 100; n++) {
		c = container_with_group(self->group_id, &g, &ret);
		ASSERT_LE(0, c);
		ASSERT_EQ(-EPERM, ret);
		close(c);
		close(g);
	}
	EXPECT_GE(before + 11, vfio_klog_count(self->why, ""));
}

TEST_F(nointremap, accepted_when_the_risk_is)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .iova = 0x100000, .size = 4096,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	};
	int c, g, ret, before;
	void *mem;

	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	map.vaddr = (unsigned long)mem;
	ASSERT_EQ(0, vfio_write_file(UNSAFE, "Y"));
	before = vfio_klog_count(REFUSED, "");
	c = container_with_group(self->group_id, &g, &ret);
	ASSERT_LE(0, c);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, vfio_ioctl(c, VFIO_IOMMU_MAP_DMA, &map));
	EXPECT_EQ(before, vfio_klog_count(REFUSED, ""));
	close(g);
	close(c);
	munmap(mem, 4096);
}

TEST_HARNESS_MAIN
