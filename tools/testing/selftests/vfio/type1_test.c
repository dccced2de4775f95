// SPDX-License-Identifier: GPL-2.0-only
/*
 * The type1 backend: MAP/UNMAP_DMA rules and errnos, locked_vm exactness,
 * device pins with dma_unmap notification, vfio_dma_rw through mappings,
 * real IOMMU domains (the mock's PCI driver on the e1000) and the
 * dma_entry_limit parameter.
 */
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "vfio_test_util.h"

#define DEV		70
#define SZ_4K		4096UL
#define SZ_1M		(1UL << 20)
#define PCI_BDF		"0000:00:04.0"
#define LIMIT		"/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"

/* VmLck of this process, in KiB. */
static long vmlck_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static int map(int container, void *vaddr, unsigned long iova,
	       unsigned long size, __u32 flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = flags,
		.vaddr = (unsigned long)vaddr, .iova = iova, .size = size,
	};

	return vfio_ioctl(container, VFIO_IOMMU_MAP_DMA, &m);
}

static int unmap(int container, unsigned long iova, unsigned long size,
		 __u32 flags, __u64 *unmapped)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .flags = flags, .iova = iova, .size = size,
	};
	int ret = vfio_ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u);

	if (unmapped)
		*unmapped = u.size;
	return ret;
}

#define RW	(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

FIXTURE(emulated) {
	struct vfio_mock_handle h;
	char *buf;
	long base_kb;
};

FIXTURE_VARIANT(emulated) {
	unsigned long type;
};

FIXTURE_VARIANT_ADD(emulated, v1) { .type = VFIO_TYPE1_IOMMU };
FIXTURE_VARIANT_ADD(emulated, v2) { .type = VFIO_TYPE1v2_IOMMU };

FIXTURE_SETUP(emulated)
{
	ASSERT_EQ(0, vfio_modprobe("vfio_iommu_type1"));
	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	vfio_mock_destroy(DEV);
	ASSERT_EQ(0, vfio_mock_create(DEV, 0, "unmap"));
	ASSERT_EQ(0, vfio_mock_handle_open(&self->h, DEV, variant->type));
	self->buf = mmap(NULL, 4 * SZ_1M, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	self->base_kb = vmlck_kb();
}

FIXTURE_TEARDOWN(emulated)
{
	vfio_mock_handle_close(&self->h);
	vfio_mock_destroy(DEV);
	/* Closing the container gave everything back. */
	EXPECT_EQ(self->base_kb, vmlck_kb());
	munmap(self->buf, 4 * SZ_1M);
}

TEST_F(emulated, extensions_and_info)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	int c = self->h.container;

	EXPECT_EQ(1, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(1, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(1, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL));
	EXPECT_EQ(0, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_IOMMU));
	ASSERT_EQ(0, vfio_ioctl(c, VFIO_IOMMU_GET_INFO, &info));
	EXPECT_TRUE(info.flags & VFIO_IOMMU_INFO_PGSIZES);
	EXPECT_EQ(SZ_4K, info.iova_pgsizes & -info.iova_pgsizes);
	info.argsz = 4;
	EXPECT_EQ(-EINVAL, vfio_ioctl(c, VFIO_IOMMU_GET_INFO, &info));
	EXPECT_EQ(-ENOTTY, vfio_ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &info));
}

TEST_F(emulated, map_bad_inputs)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = 8 };
	int c = self->h.container;

	EXPECT_EQ(-EINVAL, vfio_ioctl(c, VFIO_IOMMU_MAP_DMA, &m));
	EXPECT_EQ(-EFAULT, vfio_ioctl(c, VFIO_IOMMU_MAP_DMA, NULL));
	EXPECT_EQ(-EINVAL, map(c, self->buf, SZ_1M, SZ_1M, 0));
	EXPECT_EQ(-EINVAL, map(c, self->buf, SZ_1M, SZ_1M, 1u << 7));
	EXPECT_EQ(-EINVAL, map(c, self->buf, SZ_1M, 0, RW));
	EXPECT_EQ(-EINVAL, map(c, self->buf + 1, SZ_1M, SZ_1M, RW));
	EXPECT_EQ(-EINVAL, map(c, self->buf, SZ_1M + 1, SZ_1M, RW));
	EXPECT_EQ(-EINVAL, map(c, self->buf, SZ_1M, SZ_1M + 1, RW));
	EXPECT_EQ(-EINVAL, map(c, self->buf, -SZ_1M, 2 * SZ_1M, RW));
	EXPECT_EQ(-EINVAL, map(c, self->buf, SZ_1M, SZ_1M,
			       RW | VFIO_DMA_MAP_FLAG_VADDR));
	ASSERT_EQ(0, map(c, self->buf, SZ_1M, 2 * SZ_1M, RW));
	/* Any overlap with an existing mapping. */
	EXPECT_EQ(-EEXIST, map(c, self->buf, SZ_1M, SZ_1M, RW));
	EXPECT_EQ(-EEXIST, map(c, self->buf, 2 * SZ_1M, 2 * SZ_1M, RW));
	EXPECT_EQ(-EEXIST, map(c, self->buf, 0, 2 * SZ_1M, RW));
	EXPECT_EQ(0, map(c, self->buf, 3 * SZ_1M, SZ_1M, RW));
}

TEST_F(emulated, unmap_rules)
{
	int c = self->h.container;
	__u64 done;

	ASSERT_EQ(0, map(c, self->buf, SZ_1M, 2 * SZ_1M, RW));
	EXPECT_EQ(-EINVAL, unmap(c, SZ_1M, 0, 0, &done));
	EXPECT_EQ(-EINVAL, unmap(c, SZ_1M + 1, SZ_4K, 0, &done));
	EXPECT_EQ(-EINVAL, unmap(c, SZ_1M, SZ_4K, VFIO_DMA_UNMAP_FLAG_ALL,
				 &done));
	EXPECT_EQ(-EINVAL, unmap(c, SZ_1M, SZ_4K,
				 VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, &done));
	/* Cutting into a mapping. */
	if (variant->type == VFIO_TYPE1v2_IOMMU) {
		EXPECT_EQ(-EINVAL, unmap(c, SZ_1M, SZ_1M, 0, &done));
		EXPECT_EQ(-EINVAL, unmap(c, 2 * SZ_1M, SZ_1M, 0, &done));
	} else {
		/* v1 stops at a mapping starting before the range... */
		EXPECT_EQ(0, unmap(c, 2 * SZ_1M, SZ_1M, 0, &done));
		EXPECT_EQ(0, done);
		/* ...and takes a mapping that starts inside it whole. */
		EXPECT_EQ(0, unmap(c, SZ_1M, SZ_4K, 0, &done));
		EXPECT_EQ(2 * SZ_1M, done);
		ASSERT_EQ(0, map(c, self->buf, SZ_1M, 2 * SZ_1M, RW));
	}
	/* Nothing there: success, nothing unmapped. */
	EXPECT_EQ(0, unmap(c, 8 * SZ_1M, SZ_1M, 0, &done));
	EXPECT_EQ(0, done);
	EXPECT_EQ(0, unmap(c, SZ_1M, 2 * SZ_1M, 0, &done));
	EXPECT_EQ(2 * SZ_1M, done);

	ASSERT_EQ(0, map(c, self->buf, SZ_1M, SZ_1M, RW));
	ASSERT_EQ(0, map(c, self->buf + SZ_1M, 4 * SZ_1M, SZ_1M, RW));
	EXPECT_EQ(0, unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	EXPECT_EQ(2 * SZ_1M, done);
}

/* Device pins: charged once, dropped through dma_unmap on UNMAP_DMA. */
TEST_F(emulated, pins_and_unmap_notification)
{
	struct vfio_mock_pin pin = {
		.argsz = sizeof(pin), .flags = VFIO_MOCK_PIN_WRITE,
		.iova = SZ_1M + 2 * SZ_4K, .npages = 4,
	};
	int c = self->h.container, d = self->h.device;
	__u64 done;

	ASSERT_EQ(0, map(c, self->buf, SZ_1M, 2 * SZ_1M, RW));
	/* Emulated groups only: nothing is pinned at MAP_DMA. */
	EXPECT_EQ(self->base_kb, vmlck_kb());

	if (variant->type == VFIO_TYPE1_IOMMU) {
		/* As in 6.1, only v2 containers pin for devices. */
		EXPECT_EQ(-EACCES, vfio_ioctl(d, VFIO_MOCK_PIN, &pin));
		return;
	}
	ASSERT_EQ(4, vfio_ioctl(d, VFIO_MOCK_PIN, &pin));
	EXPECT_EQ(4, vfio_mock_stat(DEV, "pinned"));
	EXPECT_EQ(self->base_kb + 16, vmlck_kb());

	/* Outside any mapping, or beyond what the device may pin at once. */
	pin.iova = 16 * SZ_1M;
	EXPECT_EQ(-EINVAL, vfio_ioctl(d, VFIO_MOCK_PIN, &pin));
	EXPECT_EQ(4, vfio_mock_stat(DEV, "pinned"));

	/* The unmap goes through the device, which unpins from inside. */
	EXPECT_EQ(0, vfio_mock_stat(DEV, "unmaps"));
	ASSERT_EQ(0, unmap(c, SZ_1M, 2 * SZ_1M, 0, &done));
	EXPECT_EQ(2 * SZ_1M, done);
	EXPECT_EQ(1, vfio_mock_stat(DEV, "unmaps"));
	EXPECT_EQ(SZ_1M, vfio_mock_stat(DEV, "unmap_iova"));
	EXPECT_EQ(2 * SZ_1M, vfio_mock_stat(DEV, "unmap_length"));
	EXPECT_EQ(0, vfio_mock_stat(DEV, "pinned"));
	EXPECT_EQ(self->base_kb, vmlck_kb());

	/* A mapping without pins is unmapped without asking anyone. */
	ASSERT_EQ(0, map(c, self->buf, SZ_1M, SZ_1M, RW));
	ASSERT_EQ(0, unmap(c, SZ_1M, SZ_1M, 0, &done));
	EXPECT_EQ(1, vfio_mock_stat(DEV, "unmaps"));
}

/* A read-only mapping cannot be pinned for writing. */
TEST_F(emulated, pin_permissions)
{
	struct vfio_mock_pin pin = {
		.argsz = sizeof(pin), .flags = VFIO_MOCK_PIN_WRITE,
		.iova = SZ_1M, .npages = 1,
	};

	if (variant->type == VFIO_TYPE1_IOMMU)
		SKIP(return, "v1 does not pin");
	ASSERT_EQ(0, map(self->h.container, self->buf, SZ_1M, SZ_1M,
			 VFIO_DMA_MAP_FLAG_READ));
	EXPECT_EQ(-EPERM, vfio_ioctl(self->h.device, VFIO_MOCK_PIN, &pin));
	pin.flags = 0;
	EXPECT_EQ(1, vfio_ioctl(self->h.device, VFIO_MOCK_PIN, &pin));
}

/* vfio_dma_rw() reaches exactly the memory behind the IOVAs. */
TEST_F(emulated, dma_rw_carries_data)
{
	struct vfio_mock_rw rw = { .argsz = sizeof(rw) };
	char data[64], back[64];
	int d = self->h.device;

	ASSERT_EQ(0, map(self->h.container, self->buf, SZ_1M, 2 * SZ_1M, RW));
	memset(data, 0x5a, sizeof(data));
	rw.flags = VFIO_MOCK_RW_WRITE;
	rw.iova = SZ_1M + SZ_1M - 32;	/* straddles two pages */
	rw.data = (unsigned long)data;
	rw.length = sizeof(data);
	ASSERT_EQ(0, vfio_ioctl(d, VFIO_MOCK_DMA_RW, &rw));
	EXPECT_EQ(0, memcmp(self->buf + SZ_1M - 32, data, sizeof(data)));

	strcpy(self->buf + 100, "written by the CPU");
	rw.flags = 0;
	rw.iova = SZ_1M + 100;
	rw.data = (unsigned long)back;
	rw.length = sizeof(back);
	ASSERT_EQ(0, vfio_ioctl(d, VFIO_MOCK_DMA_RW, &rw));
	EXPECT_STREQ("written by the CPU", back);

	rw.iova = 32 * SZ_1M;
	EXPECT_EQ(-EINVAL, vfio_ioctl(d, VFIO_MOCK_DMA_RW, &rw));
}

TEST(dma_entry_limit)
{
	struct vfio_mock_handle h;
	char *buf;
	int i;

	ASSERT_EQ(0, vfio_modprobe("vfio_iommu_type1"));
	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	vfio_mock_destroy(DEV);
	ASSERT_EQ(0, vfio_mock_create(DEV, 0, NULL));
	ASSERT_EQ(0, vfio_write_file(LIMIT, "3"));
	ASSERT_EQ(0, vfio_mock_handle_open(&h, DEV, VFIO_TYPE1v2_IOMMU));
	vfio_write_file(LIMIT, "65535");
	buf = mmap(NULL, 4 * SZ_4K, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, map(h.container, buf + i * SZ_4K,
				 SZ_1M + i * SZ_4K, SZ_4K, RW));
	EXPECT_EQ(-ENOSPC, map(h.container, buf + 3 * SZ_4K,
			       SZ_1M + 3 * SZ_4K, SZ_4K, RW));
	/* An unmap makes room again. */
	EXPECT_EQ(0, unmap(h.container, SZ_1M, SZ_4K, 0, NULL));
	EXPECT_EQ(0, map(h.container, buf + 3 * SZ_4K, SZ_1M + 3 * SZ_4K,
			 SZ_4K, RW));
	vfio_mock_handle_close(&h);
	vfio_mock_destroy(DEV);
	munmap(buf, 4 * SZ_4K);
}

/* A real IOMMU domain: the e1000 on the mock's PCI driver. */
FIXTURE(domain) {
	int container, group, device;
	char *buf;
	long base_kb;
	char driver[64];
};

static void pci_driver(const char *bdf, char *out, size_t size)
{
	char link[128], target[256];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(link, target, sizeof(target) - 1);
	out[0] = '\0';
	if (n > 0) {
		target[n] = '\0';
		snprintf(out, size, "%s", strrchr(target, '/') + 1);
	}
}

static int pci_rebind(const char *bdf, const char *driver)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind",
		 bdf);
	vfio_write_file(path, bdf);
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/driver_override", bdf);
	vfio_write_file(path, driver[0] ? driver : "\n");
	return vfio_write_file("/sys/bus/pci/drivers_probe", bdf);
}

FIXTURE_SETUP(domain)
{
	self->container = -1;
	self->group = -1;
	self->device = -1;
	if (access("/sys/bus/pci/devices/" PCI_BDF, F_OK))
		SKIP(return, "no " PCI_BDF);
	ASSERT_EQ(0, vfio_modprobe("vfio_iommu_type1"));
	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	pci_driver(PCI_BDF, self->driver, sizeof(self->driver));
	ASSERT_EQ(0, pci_rebind(PCI_BDF, "vfio-mock-pci"));
	self->container = vfio_open_container();
	ASSERT_LE(0, self->container);
	self->group = vfio_open_group(vfio_group_of("/sys/bus/pci/devices/"
						    PCI_BDF));
	ASSERT_LE(0, self->group);
	ASSERT_EQ(0, vfio_group_set_container(self->group, self->container));
	ASSERT_EQ(0, vfio_ioctl(self->container, VFIO_SET_IOMMU,
				VFIO_TYPE1v2_IOMMU));
	self->device = vfio_ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD,
				  PCI_BDF);
	ASSERT_LE(0, self->device);
	self->buf = mmap(NULL, 8 * SZ_1M, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	self->base_kb = vmlck_kb();
}

FIXTURE_TEARDOWN(domain)
{
	if (self->device >= 0)
		close(self->device);
	if (self->group >= 0)
		close(self->group);
	if (self->container >= 0)
		close(self->container);
	if (self->container >= 0) {
		EXPECT_EQ(self->base_kb, vmlck_kb());
		pci_rebind(PCI_BDF, "");
	}
}

TEST_F(domain, map_pins_and_accounts)
{
	struct {
		struct vfio_iommu_type1_info info;
		char caps[256];
	} i = { .info.argsz = sizeof(i) };
	int c = self->container;
	__u64 done;

	if (self->container < 0)
		SKIP(return, "no device");
	ASSERT_EQ(0, vfio_ioctl(c, VFIO_IOMMU_GET_INFO, &i));
	EXPECT_TRUE(i.info.flags & VFIO_IOMMU_INFO_CAPS);
	/* The domain supports 2 MiB pages: large mappings are possible. */
	EXPECT_TRUE(i.info.iova_pgsizes & (2 * SZ_1M));
	EXPECT_NE(0, i.info.cap_offset);

	ASSERT_EQ(0, map(c, self->buf, 0x10000000, 8 * SZ_1M, RW));
	EXPECT_EQ(self->base_kb + 8 * 1024, vmlck_kb());
	/* The MSI window is reserved: devices could not reach it. */
	EXPECT_EQ(-EINVAL, map(c, self->buf, 0xfee00000, SZ_1M, RW));
	ASSERT_EQ(0, unmap(c, 0x10000000, 8 * SZ_1M, 0, &done));
	EXPECT_EQ(8 * SZ_1M, done);
	EXPECT_EQ(self->base_kb, vmlck_kb());

	/* Left mapped: closing the container must give it all back. */
	ASSERT_EQ(0, map(c, self->buf, 0x10000000, 8 * SZ_1M, RW));
}

TEST_HARNESS_MAIN
