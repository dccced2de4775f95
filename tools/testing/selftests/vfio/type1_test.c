// SPDX-License-Identifier: GPL-2.0-only
/*
 * The type1 backend: MAP/UNMAP_DMA rules and errnos, locked_vm exactness,
 * device pins with dma_unmap notification, vfio_dma_rw through mappings,
 * real IOMMU domains (the mock's PCI driver on the e1000) and the
 * dma_entry_limit parameter.
 */
#include <stddef.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "vfio_test_util.h"

#define DEV		70
#define SZ_4K		4096UL
#define SZ_1M		(1UL << 20)
#define PCI_BDF		"0000:00:04.0"
#define LIMIT		"/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"

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
	self->base_kb = vfio_vmlck_kb();
}

FIXTURE_TEARDOWN(emulated)
{
	vfio_mock_handle_close(&self->h);
	vfio_mock_destroy(DEV);
	/* Closing the container gave everything back. */
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());
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
	/* Old userspace: told capabilities exist, and how much room. */
	info.argsz = offsetof(struct vfio_iommu_type1_info, cap_offset);
	ASSERT_EQ(0, vfio_ioctl(c, VFIO_IOMMU_GET_INFO, &info));
	EXPECT_TRUE(info.flags & VFIO_IOMMU_INFO_CAPS);
	EXPECT_LT(sizeof(info), info.argsz);
	info.argsz = 4;
	EXPECT_EQ(-EINVAL, vfio_ioctl(c, VFIO_IOMMU_GET_INFO, &info));
	EXPECT_EQ(-ENOTTY, vfio_ioctl(c, VFIO_IOMMU_DIRTY_PAGES + 1, &info));
}

/* The capability @id of a GET_INFO answer, or NULL. */
static struct vfio_info_cap_header *info_cap(struct vfio_iommu_type1_info *i,
					     __u16 id)
{
	__u32 off = i->flags & VFIO_IOMMU_INFO_CAPS ? i->cap_offset : 0;

	while (off) {
		struct vfio_info_cap_header *h = (void *)((char *)i + off);

		if (h->id == id)
			return h;
		off = h->next;
	}
	return NULL;
}

TEST_F(emulated, migration_cap)
{
	struct {
		struct vfio_iommu_type1_info info;
		char caps[256];
	} i = { .info.argsz = sizeof(i) };
	struct vfio_iommu_type1_info_cap_migration *mig;

	ASSERT_EQ(0, vfio_ioctl(self->h.container, VFIO_IOMMU_GET_INFO, &i));
	mig = (void *)info_cap(&i.info, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	ASSERT_NE(NULL, mig);
	EXPECT_EQ(1, mig->header.version);
	EXPECT_EQ(0, mig->flags);
	EXPECT_EQ(SZ_4K, mig->pgsize_bitmap);
	/* 2^31 bits: what 6.1 allows. */
	EXPECT_EQ(256 * SZ_1M, mig->max_dirty_bitmap_size);
	EXPECT_NE(NULL, info_cap(&i.info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL));
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
	/* A range past 2^64: -EOVERFLOW, as upstream returns since 6.1. */
	EXPECT_EQ(-EOVERFLOW, map(c, self->buf, -SZ_1M, 2 * SZ_1M, RW));
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
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());

	if (variant->type == VFIO_TYPE1_IOMMU) {
		/* As in 6.1, only v2 containers pin for devices. */
		EXPECT_EQ(-EACCES, vfio_ioctl(d, VFIO_MOCK_PIN, &pin));
		return;
	}
	ASSERT_EQ(4, vfio_ioctl(d, VFIO_MOCK_PIN, &pin));
	EXPECT_EQ(4, vfio_mock_stat(DEV, "pinned"));
	EXPECT_EQ(self->base_kb + 16, vfio_vmlck_kb());

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
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());

	/* A mapping without pins is unmapped without asking anyone. */
	ASSERT_EQ(0, map(c, self->buf, SZ_1M, SZ_1M, RW));
	ASSERT_EQ(0, unmap(c, SZ_1M, SZ_1M, 0, &done));
	EXPECT_EQ(1, vfio_mock_stat(DEV, "unmaps"));
}

static int mock_pin(int device, unsigned long iova, unsigned long npages,
		    __u32 flags);
static int mock_unpin(int device, unsigned long iova, unsigned long npages);
static int dirty_ctl(int container, __u32 flags);

/*
 * 6.1 lets devices pin, and tracks dirty pages, in v2 containers only:
 * a v1 container refuses both with EACCES, before looking at anything
 * else, and nothing is left pinned or charged.
 */
#define V1_REFUSES_PINS()						\
	do {								\
		if (variant->type != VFIO_TYPE1_IOMMU)			\
			break;						\
		ASSERT_EQ(0, map(self->h.container, self->buf, SZ_1M,	\
				 SZ_1M, RW));				\
		EXPECT_EQ(-EACCES, mock_pin(self->h.device, SZ_1M, 1,	\
					    0));			\
		EXPECT_EQ(-EACCES, mock_pin(self->h.device, SZ_1M, 1,	\
					    VFIO_MOCK_PIN_WRITE));	\
		EXPECT_EQ(0, vfio_mock_stat(DEV, "pinned"));		\
		return;							\
	} while (0)

#define V1_REFUSES_TRACKING()						\
	do {								\
		if (variant->type != VFIO_TYPE1_IOMMU)			\
			break;						\
		EXPECT_EQ(-EACCES, dirty_ctl(self->h.container,		\
				VFIO_IOMMU_DIRTY_PAGES_FLAG_START));	\
		EXPECT_EQ(-EACCES, dirty_ctl(self->h.container,		\
				VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));	\
		EXPECT_EQ(-EACCES, dirty_ctl(self->h.container, 0));	\
		return;							\
	} while (0)

/* A read-only mapping cannot be pinned for writing. */
TEST_F(emulated, pin_permissions)
{
	struct vfio_mock_pin pin = {
		.argsz = sizeof(pin), .flags = VFIO_MOCK_PIN_WRITE,
		.iova = SZ_1M, .npages = 1,
	};

	V1_REFUSES_PINS();
	ASSERT_EQ(0, map(self->h.container, self->buf, SZ_1M, SZ_1M,
			 VFIO_DMA_MAP_FLAG_READ));
	EXPECT_EQ(-EPERM, vfio_ioctl(self->h.device, VFIO_MOCK_PIN, &pin));
	pin.flags = 0;
	EXPECT_EQ(1, vfio_ioctl(self->h.device, VFIO_MOCK_PIN, &pin));
}


/* The zero page behind a read-only mapping is not charged (6.1). */
TEST_F(emulated, pin_zero_page_not_charged)
{
	char *fresh;

	V1_REFUSES_PINS();
	fresh = mmap(NULL, SZ_1M, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fresh);
	ASSERT_EQ(0, madvise(fresh, SZ_1M, MADV_NOHUGEPAGE));
	fresh[SZ_4K] = 1;
	ASSERT_EQ(0, map(self->h.container, fresh, SZ_1M, SZ_1M,
			 VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(2, mock_pin(self->h.device, SZ_1M, 2, 0));
	/* Only the page written holds memory of its own. */
	EXPECT_EQ(self->base_kb + 4, vfio_vmlck_kb());
	ASSERT_EQ(0, mock_unpin(self->h.device, SZ_1M, 2));
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());
	munmap(fresh, SZ_1M);
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

/*
 * vfio_dma_rw() reaches only readable mappings, as in 6.1: a device may
 * not write into memory userspace mapped write-only, nor read it.
 */
TEST_F(emulated, dma_rw_needs_a_readable_mapping)
{
	struct vfio_mock_rw rw = {
		.argsz = sizeof(rw), .iova = SZ_1M, .length = 64,
	};
	char data[64] = "";
	int d = self->h.device;

	rw.data = (unsigned long)data;
	ASSERT_EQ(0, map(self->h.container, self->buf, SZ_1M, SZ_1M,
			 VFIO_DMA_MAP_FLAG_WRITE));
	rw.flags = VFIO_MOCK_RW_WRITE;
	EXPECT_EQ(-EPERM, vfio_ioctl(d, VFIO_MOCK_DMA_RW, &rw));
	rw.flags = 0;
	EXPECT_EQ(-EPERM, vfio_ioctl(d, VFIO_MOCK_DMA_RW, &rw));
	/* Read-only: read, but no write. */
	ASSERT_EQ(0, map(self->h.container, self->buf + SZ_1M, 2 * SZ_1M,
			 SZ_1M, VFIO_DMA_MAP_FLAG_READ));
	rw.iova = 2 * SZ_1M;
	EXPECT_EQ(0, vfio_ioctl(d, VFIO_MOCK_DMA_RW, &rw));
	rw.flags = VFIO_MOCK_RW_WRITE;
	EXPECT_EQ(-EPERM, vfio_ioctl(d, VFIO_MOCK_DMA_RW, &rw));
}

static int dirty_ctl(int container, __u32 flags)
{
	struct vfio_iommu_type1_dirty_bitmap d = {
		.argsz = sizeof(d), .flags = flags,
	};

	return vfio_ioctl(container, VFIO_IOMMU_DIRTY_PAGES, &d);
}

struct dirty_get {
	struct vfio_iommu_type1_dirty_bitmap hdr;
	struct vfio_iommu_type1_dirty_bitmap_get range;
};

static void dirty_get_init(struct dirty_get *g, unsigned long iova,
			   unsigned long size, __u64 *bits, __u64 bytes)
{
	memset(g, 0, sizeof(*g));
	g->hdr.argsz = sizeof(*g);
	g->hdr.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	g->range.iova = iova;
	g->range.size = size;
	g->range.bitmap.pgsize = SZ_4K;
	g->range.bitmap.size = bytes;
	g->range.bitmap.data = bits;
}

/* GET_BITMAP of [iova, iova + size) into @bits, zeroed first. */
static int dirty_get(int container, unsigned long iova, unsigned long size,
		     __u64 *bits, __u64 bytes)
{
	struct dirty_get g;

	memset(bits, 0, bytes);
	dirty_get_init(&g, iova, size, bits, bytes);
	return vfio_ioctl(container, VFIO_IOMMU_DIRTY_PAGES, &g);
}

struct unmap_bitmap {
	struct vfio_iommu_type1_dma_unmap u;
	struct vfio_bitmap bm;
};

static int unmap_dirty(int container, unsigned long iova, unsigned long size,
		       __u64 *bits, __u64 bytes, __u64 *unmapped)
{
	struct unmap_bitmap ub = {
		.u = { .argsz = sizeof(ub), .iova = iova, .size = size,
		       .flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP },
		.bm = { .pgsize = SZ_4K, .size = bytes, .data = bits },
	};
	int ret;

	memset(bits, 0, bytes);
	ret = vfio_ioctl(container, VFIO_IOMMU_UNMAP_DMA, &ub);
	if (unmapped)
		*unmapped = ub.u.size;
	return ret;
}

/* The set bits of @bits, as a comma-separated list, for readable checks. */
static const char *bits_str(const __u64 *bits, unsigned long nbits)
{
	static char out[512];
	size_t len = 0;
	unsigned long i;

	out[0] = '\0';
	for (i = 0; i < nbits && len < sizeof(out) - 16; i++)
		if (bits[i / 64] & (1ULL << (i % 64)))
			len += snprintf(out + len, sizeof(out) - len, "%s%lu",
					len ? "," : "", i);
	return out;
}

static int mock_pin(int device, unsigned long iova, unsigned long npages,
		    __u32 flags)
{
	struct vfio_mock_pin pin = {
		.argsz = sizeof(pin), .flags = flags,
		.iova = iova, .npages = npages,
	};

	return vfio_ioctl(device, VFIO_MOCK_PIN, &pin);
}

static int mock_unpin(int device, unsigned long iova, unsigned long npages)
{
	struct vfio_mock_pin pin = {
		.argsz = sizeof(pin), .iova = iova, .npages = npages,
	};

	return vfio_ioctl(device, VFIO_MOCK_UNPIN, &pin);
}

/* Whether user and kernel addresses overlap (s390x), per uname. */
static bool split_address_spaces(void)
{
	struct utsname u;

	return !uname(&u) && !strcmp(u.machine, "s390x");
}

TEST_F(emulated, dirty_bad_inputs)
{
	struct vfio_iommu_type1_dirty_bitmap d = { .argsz = 4 };
	struct unmap_bitmap ub = {};
	int c = self->h.container;
	__u64 bits[8], done;
	struct dirty_get g;

	if (variant->type == VFIO_TYPE1_IOMMU) {
		/* As in 6.1: v2 containers only. */
		EXPECT_EQ(-EACCES,
			  dirty_ctl(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
		return;
	}
	ASSERT_EQ(0, map(c, self->buf, SZ_1M, 2 * SZ_1M, RW));

	EXPECT_EQ(-EINVAL, vfio_ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &d));
	EXPECT_EQ(-EFAULT, vfio_ioctl(c, VFIO_IOMMU_DIRTY_PAGES, NULL));
	EXPECT_EQ(-EINVAL, dirty_ctl(c, 0));
	EXPECT_EQ(-EINVAL, dirty_ctl(c, 1u << 3));
	EXPECT_EQ(-EINVAL, dirty_ctl(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
					VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	/* Not tracking: no bitmap, from either ioctl. */
	EXPECT_EQ(-EINVAL, dirty_get(c, SZ_1M, 2 * SZ_1M, bits, sizeof(bits)));
	EXPECT_EQ(-EINVAL, unmap_dirty(c, SZ_1M, 2 * SZ_1M, bits, sizeof(bits),
				       &done));
	/* Errors leave the size as it was given, as in 6.1. */
	EXPECT_EQ(2 * SZ_1M, done);

	/* STOP and START are idempotent. */
	EXPECT_EQ(0, dirty_ctl(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	ASSERT_EQ(0, dirty_ctl(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	ASSERT_EQ(0, dirty_ctl(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	EXPECT_EQ(0, dirty_get(c, SZ_1M, 2 * SZ_1M, bits, sizeof(bits)));

	dirty_get_init(&g, SZ_1M, 2 * SZ_1M, bits, sizeof(bits));
	g.hdr.argsz = sizeof(g) - 1;
	EXPECT_EQ(-EINVAL, vfio_ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &g));
	dirty_get_init(&g, SZ_1M, 2 * SZ_1M, bits, sizeof(bits));
	g.range.bitmap.pgsize = 2 * SZ_4K;
	EXPECT_EQ(-EINVAL, vfio_ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &g));
	g.range.bitmap.pgsize = 0;
	EXPECT_EQ(-EINVAL, vfio_ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &g));
	/* 512 pages need 64 bytes; not 0, not less, not past 256 MiB. */
	dirty_get_init(&g, SZ_1M, 2 * SZ_1M, bits, sizeof(bits) - 8);
	EXPECT_EQ(-EINVAL, vfio_ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &g));
	g.range.bitmap.size = 0;
	EXPECT_EQ(-EINVAL, vfio_ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &g));
	g.range.bitmap.size = 256 * SZ_1M + 8;
	EXPECT_EQ(-EINVAL, vfio_ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &g));
	/* The range: aligned, not empty, not wrapping, whole mappings. */
	EXPECT_EQ(-EINVAL, dirty_get(c, SZ_1M + 1, SZ_1M, bits, sizeof(bits)));
	EXPECT_EQ(-EINVAL, dirty_get(c, SZ_1M, 0, bits, sizeof(bits)));
	EXPECT_EQ(-EINVAL, dirty_get(c, SZ_1M, SZ_4K + 1, bits, sizeof(bits)));
	EXPECT_EQ(-EINVAL, dirty_get(c, -SZ_4K, 2 * SZ_4K, bits, sizeof(bits)));
	EXPECT_EQ(-EINVAL, dirty_get(c, SZ_1M, SZ_1M, bits, sizeof(bits)));
	EXPECT_EQ(-EINVAL, dirty_get(c, 2 * SZ_1M, SZ_1M, bits, sizeof(bits)));
	EXPECT_EQ(-EINVAL, dirty_get(c, 0, 2 * SZ_1M, bits, sizeof(bits)));
	/*
	 * A kernel address is refused up front (access_ok()), a bad user one
	 * faults.  s390x has separate address spaces: every address is
	 * acceptable up front there.
	 */
	dirty_get_init(&g, SZ_1M, 2 * SZ_1M, (__u64 *)-4096L, sizeof(bits));
	EXPECT_EQ(split_address_spaces() ? -EFAULT : -EINVAL,
		  vfio_ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &g));
	dirty_get_init(&g, SZ_1M, 2 * SZ_1M, (__u64 *)8, sizeof(bits));
	EXPECT_EQ(-EFAULT, vfio_ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &g));

	/* UNMAP_DMA's bitmap: present, same page size, not with ALL. */
	ub.u.argsz = sizeof(ub.u);
	ub.u.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	ub.u.iova = SZ_1M;
	ub.u.size = 2 * SZ_1M;
	EXPECT_EQ(-EINVAL, vfio_ioctl(c, VFIO_IOMMU_UNMAP_DMA, &ub));
	ub.u.argsz = sizeof(ub);
	ub.bm = (struct vfio_bitmap){ 2 * SZ_4K, sizeof(bits), bits };
	EXPECT_EQ(-EINVAL, vfio_ioctl(c, VFIO_IOMMU_UNMAP_DMA, &ub));
	ub.bm.pgsize = SZ_4K;
	ub.bm.size = 8;
	EXPECT_EQ(-EINVAL, vfio_ioctl(c, VFIO_IOMMU_UNMAP_DMA, &ub));
	ub.bm.size = sizeof(bits);
	ub.u.flags |= VFIO_DMA_UNMAP_FLAG_ALL;
	ub.u.iova = 0;
	ub.u.size = 0;
	EXPECT_EQ(-EINVAL, vfio_ioctl(c, VFIO_IOMMU_UNMAP_DMA, &ub));
	ub.u.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
		     VFIO_DMA_UNMAP_FLAG_VADDR;
	ub.u.iova = SZ_1M;
	ub.u.size = 2 * SZ_1M;
	EXPECT_EQ(-EINVAL, vfio_ioctl(c, VFIO_IOMMU_UNMAP_DMA, &ub));
	EXPECT_EQ(-EINVAL, unmap_dirty(c, SZ_1M, SZ_1M, bits, sizeof(bits),
				       NULL));
	/* Nothing was unmapped by any of it. */
	EXPECT_EQ(-EEXIST, map(c, self->buf, SZ_1M, SZ_4K, RW));

	/* After STOP there is no bitmap again. */
	EXPECT_EQ(0, dirty_ctl(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	EXPECT_EQ(-EINVAL, dirty_get(c, SZ_1M, 2 * SZ_1M, bits, sizeof(bits)));
}

/* Pinned pages are dirty while pinned; dma_rw writes once. */
TEST_F(emulated, dirty_pins_and_writes)
{
	struct vfio_mock_rw rw = { .argsz = sizeof(rw) };
	int c = self->h.container, d = self->h.device;
	__u64 bits[8];
	char data[64];

	V1_REFUSES_TRACKING();
	ASSERT_EQ(0, map(c, self->buf, SZ_1M, 2 * SZ_1M, RW));
	/* Pinned before START: dirty from the start. */
	ASSERT_EQ(1, mock_pin(d, SZ_1M + 300 * SZ_4K, 1, 0));
	ASSERT_EQ(0, dirty_ctl(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	ASSERT_EQ(0, dirty_get(c, SZ_1M, 2 * SZ_1M, bits, sizeof(bits)));
	EXPECT_STREQ("300", bits_str(bits, 512));

	/* Read-only pins count too: 6.1 cannot tell what a device does. */
	ASSERT_EQ(4, mock_pin(d, SZ_1M + 2 * SZ_4K, 4, VFIO_MOCK_PIN_WRITE));
	ASSERT_EQ(1, mock_pin(d, SZ_1M + 511 * SZ_4K, 1, 0));
	ASSERT_EQ(0, dirty_get(c, SZ_1M, 2 * SZ_1M, bits, sizeof(bits)));
	EXPECT_STREQ("2,3,4,5,300,511", bits_str(bits, 512));

	/* Unpinned pages are reported once more, then no longer. */
	ASSERT_EQ(0, mock_unpin(d, SZ_1M + 2 * SZ_4K, 2));
	ASSERT_EQ(0, mock_unpin(d, SZ_1M + 300 * SZ_4K, 1));
	ASSERT_EQ(0, dirty_get(c, SZ_1M, 2 * SZ_1M, bits, sizeof(bits)));
	EXPECT_STREQ("2,3,4,5,300,511", bits_str(bits, 512));
	ASSERT_EQ(0, dirty_get(c, SZ_1M, 2 * SZ_1M, bits, sizeof(bits)));
	EXPECT_STREQ("4,5,511", bits_str(bits, 512));

	/* A write through vfio_dma_rw across two pages; a read is clean. */
	memset(data, 1, sizeof(data));
	rw.flags = VFIO_MOCK_RW_WRITE;
	rw.iova = SZ_1M + 101 * SZ_4K - 32;
	rw.data = (unsigned long)data;
	rw.length = sizeof(data);
	ASSERT_EQ(0, vfio_ioctl(d, VFIO_MOCK_DMA_RW, &rw));
	rw.flags = 0;
	rw.iova = SZ_1M + 200 * SZ_4K;
	ASSERT_EQ(0, vfio_ioctl(d, VFIO_MOCK_DMA_RW, &rw));
	ASSERT_EQ(0, dirty_get(c, SZ_1M, 2 * SZ_1M, bits, sizeof(bits)));
	EXPECT_STREQ("4,5,100,101,511", bits_str(bits, 512));
	ASSERT_EQ(0, dirty_get(c, SZ_1M, 2 * SZ_1M, bits, sizeof(bits)));
	EXPECT_STREQ("4,5,511", bits_str(bits, 512));
	EXPECT_EQ(0, dirty_ctl(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
}

/*
 * One bitmap over several mappings: each lands at its offset; bits of
 * words a mapping covers are overwritten, bits before it kept, words past
 * every mapping untouched (6.1's layout, exactly).
 */
TEST_F(emulated, dirty_bitmap_layout)
{
	int c = self->h.container, d = self->h.device;
	struct dirty_get g;
	__u64 bits[8];

	V1_REFUSES_TRACKING();
	ASSERT_EQ(0, map(c, self->buf, SZ_1M, 3 * SZ_4K, RW));
	ASSERT_EQ(0, map(c, self->buf + SZ_1M, SZ_1M + 3 * SZ_4K,
			 200 * SZ_4K, RW));
	ASSERT_EQ(0, dirty_ctl(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	/* A mapping made while tracking is tracked as well. */
	ASSERT_EQ(0, map(c, self->buf + 2 * SZ_1M, 4 * SZ_1M, SZ_1M, RW));
	ASSERT_EQ(1, mock_pin(d, SZ_1M + SZ_4K, 1, 0));
	ASSERT_EQ(1, mock_pin(d, SZ_1M + 3 * SZ_4K, 1, 0));
	ASSERT_EQ(1, mock_pin(d, SZ_1M + 73 * SZ_4K, 1, 0));
	ASSERT_EQ(1, mock_pin(d, 4 * SZ_1M + 7 * SZ_4K, 1, 0));

	memset(bits, 0xff, sizeof(bits));
	dirty_get_init(&g, SZ_1M, 203 * SZ_4K, bits, sizeof(bits));
	ASSERT_EQ(0, vfio_ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &g));
	EXPECT_EQ((1ULL << 1) | (1ULL << 3), bits[0]);
	EXPECT_EQ(1ULL << 9, bits[1]);
	EXPECT_EQ(0, bits[2]);
	EXPECT_EQ(0, bits[3]);
	EXPECT_EQ(~0ULL, bits[4]);

	/* The third mapping alone; IOVAs in between hold no mapping. */
	ASSERT_EQ(0, dirty_get(c, 3 * SZ_1M, 2 * SZ_1M, bits, sizeof(bits)));
	EXPECT_STREQ("263", bits_str(bits, 512));
}

/* UNMAP_DMA with GET_DIRTY_BITMAP reports, then unmaps. */
TEST_F(emulated, dirty_unmap_bitmap)
{
	int c = self->h.container, d = self->h.device;
	__u64 bits[8], done;

	V1_REFUSES_TRACKING();
	ASSERT_EQ(0, map(c, self->buf, SZ_1M, SZ_1M, RW));
	ASSERT_EQ(0, map(c, self->buf + SZ_1M, 2 * SZ_1M, SZ_1M, RW));
	ASSERT_EQ(0, dirty_ctl(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	ASSERT_EQ(2, mock_pin(d, SZ_1M + 5 * SZ_4K, 2, VFIO_MOCK_PIN_WRITE));
	ASSERT_EQ(1, mock_pin(d, 2 * SZ_1M + 9 * SZ_4K, 1, 0));

	/* The device unpins on dma_unmap; the pages stay reported. */
	ASSERT_EQ(0, unmap_dirty(c, SZ_1M, 2 * SZ_1M, bits, sizeof(bits),
				 &done));
	EXPECT_EQ(2 * SZ_1M, done);
	EXPECT_STREQ("5,6,265", bits_str(bits, 512));
	EXPECT_EQ(0, vfio_mock_stat(DEV, "pinned"));
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());

	/* Nothing there: success, nothing unmapped, nothing dirty. */
	ASSERT_EQ(0, unmap_dirty(c, SZ_1M, 2 * SZ_1M, bits, sizeof(bits),
				 &done));
	EXPECT_EQ(0, done);
	EXPECT_STREQ("", bits_str(bits, 512));
}

/* Emulated devices use the addresses: no VFIO_UPDATE_VADDR (6.1). */
TEST_F(emulated, vaddr_refused)
{
	int c = self->h.container;
	__u64 done;

	EXPECT_EQ(0, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	ASSERT_EQ(0, map(c, self->buf, SZ_1M, SZ_1M, RW));
	EXPECT_EQ(-EBUSY, unmap(c, SZ_1M, SZ_1M, VFIO_DMA_UNMAP_FLAG_VADDR,
				&done));
	EXPECT_EQ(-EBUSY, unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_VADDR |
				VFIO_DMA_UNMAP_FLAG_ALL, &done));
	/* Restoring needs an invalidated mapping, exactly. */
	EXPECT_EQ(-EINVAL, map(c, self->buf, SZ_1M, SZ_1M,
			       VFIO_DMA_MAP_FLAG_VADDR));
	EXPECT_EQ(-ENOENT, map(c, self->buf, 8 * SZ_1M, SZ_1M,
			       VFIO_DMA_MAP_FLAG_VADDR));
	EXPECT_EQ(-EINVAL, map(c, self->buf, SZ_1M, SZ_1M,
			       VFIO_DMA_MAP_FLAG_VADDR |
			       VFIO_DMA_MAP_FLAG_READ));
	/* The mapping is untouched: a device still reaches it. */
	if (variant->type == VFIO_TYPE1v2_IOMMU)
		EXPECT_EQ(1, mock_pin(self->h.device, SZ_1M, 1, 0));
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
	self->base_kb = vfio_vmlck_kb();
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
		EXPECT_EQ(self->base_kb, vfio_vmlck_kb());
		pci_rebind(PCI_BDF, "");
	}
}

/*
 * A second group joins the container and leaves again: what the container
 * offers (page sizes, IOVA ranges and the rest of GET_INFO) is worked out
 * again from the group that stays, and is what it was before.  Under the
 * test VM's IOMMU every group allows the same, so this shows the limits
 * are rebuilt right, not that they grow: no group here is narrower.
 */
TEST_F(domain, limits_after_a_group_leaves)
{
	static const char second[] = "0000:00:07.0";
	struct {
		struct vfio_iommu_type1_info info;
		char caps[512];
	} before = { .info.argsz = sizeof(before) },
	  after = { .info.argsz = sizeof(after) };
	int c = self->container, g2;
	char path[64];

	if (c < 0)
		SKIP(return, "no device");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", second);
	if (access(path, F_OK))
		SKIP(return, "no %s", second);
	ASSERT_EQ(0, vfio_ioctl(c, VFIO_IOMMU_GET_INFO, &before));

	ASSERT_EQ(0, pci_rebind(second, "vfio-mock-pci"));
	g2 = vfio_open_group(vfio_group_of(path));
	ASSERT_LE(0, g2);
	EXPECT_EQ(0, vfio_group_set_container(g2, c));
	EXPECT_EQ(0, vfio_ioctl(g2, VFIO_GROUP_UNSET_CONTAINER, NULL));
	close(g2);
	pci_rebind(second, "");

	ASSERT_EQ(0, vfio_ioctl(c, VFIO_IOMMU_GET_INFO, &after));
	EXPECT_EQ(before.info.iova_pgsizes, after.info.iova_pgsizes);
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
	/* Still enforced: the MSI window is reserved, the rest maps. */
	EXPECT_EQ(-EINVAL, map(c, self->buf, 0xfee00000, SZ_1M, RW));
	EXPECT_EQ(0, map(c, self->buf, 0x10000000, SZ_1M, RW));
}

/* The log line of a MAP_DMA of the MSI window, 1 MiB at 0xfee00000. */
#define MSI_REFUSED	"MAP_DMA of [0x00000000fee00000-0x00000000feefffff]"

TEST_F(domain, map_pins_and_accounts)
{
	struct {
		struct vfio_iommu_type1_info info;
		char caps[256];
	} i = { .info.argsz = sizeof(i) };
	int c = self->container, before, n;
	__u64 done;

	if (self->container < 0)
		SKIP(return, "no device");
	ASSERT_EQ(0, vfio_ioctl(c, VFIO_IOMMU_GET_INFO, &i));
	EXPECT_TRUE(i.info.flags & VFIO_IOMMU_INFO_CAPS);
	/* The domain supports 2 MiB pages: large mappings are possible. */
	EXPECT_TRUE(i.info.iova_pgsizes & (2 * SZ_1M));
	EXPECT_NE(0, i.info.cap_offset);

	ASSERT_EQ(0, map(c, self->buf, 0x10000000, 8 * SZ_1M, RW));
	EXPECT_EQ(self->base_kb + 8 * 1024, vfio_vmlck_kb());
	/*
	 * The MSI window is reserved: devices could not reach it.  One log
	 * line says so, naming the ranges they can reach; a user repeating
	 * the call cannot flood the log.
	 */
	before = vfio_klog_count(MSI_REFUSED, "outside the IOVA ranges");
	EXPECT_EQ(-EINVAL, map(c, self->buf, 0xfee00000, SZ_1M, RW));
	EXPECT_EQ(before + 1,
		  vfio_klog_count(MSI_REFUSED, "outside the IOVA ranges"));
	for (n = 0; n < 100; n++)
		map(c, self->buf, 0xfee00000, SZ_1M, RW);
	EXPECT_GT(before + 12,
		  vfio_klog_count(MSI_REFUSED, "outside the IOVA ranges"));
	ASSERT_EQ(0, unmap(c, 0x10000000, 8 * SZ_1M, 0, &done));
	EXPECT_EQ(8 * SZ_1M, done);
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());

	/* Left mapped: closing the container must give it all back. */
	ASSERT_EQ(0, map(c, self->buf, 0x10000000, 8 * SZ_1M, RW));
}

/*
 * Pages pinned system-wide, from the kernel's FOLL_PIN counters, folded
 * first so the per-CPU parts are in.
 */
/* VmLck of process @pid, in KiB. */
static long vmlck_kb_of(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return vfio_read_counter(path, "VmLck:");
}

/*
 * Live update: the addresses go, the IOMMU mappings and pins stay, new
 * addresses come back; all of one call's mappings or none.
 */
TEST_F(domain, vaddr_invalidate_and_restore)
{
	int c = self->container;
	long pins;
	char *fresh;
	int mock;
	__u64 done;

	if (self->container < 0)
		SKIP(return, "no device");
	EXPECT_EQ(1, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	ASSERT_EQ(0, map(c, self->buf, 0x10000000, 4 * SZ_1M, RW));
	ASSERT_EQ(0, map(c, self->buf + 4 * SZ_1M, 0x10400000, 4 * SZ_1M,
			 RW));
	pins = vfio_pinned_pages();
	ASSERT_LE(2048, pins);

	ASSERT_EQ(0, unmap(c, 0x10000000, 4 * SZ_1M,
			   VFIO_DMA_UNMAP_FLAG_VADDR, &done));
	EXPECT_EQ(4 * SZ_1M, done);
	/* Still mapped, pinned and charged. */
	EXPECT_EQ(-EEXIST, map(c, self->buf, 0x10000000, SZ_4K, RW));
	EXPECT_EQ(pins, vfio_pinned_pages());
	EXPECT_EQ(self->base_kb + 8 * 1024, vfio_vmlck_kb());
	/* v2 rules: whole mappings only. */
	EXPECT_EQ(-EINVAL, unmap(c, 0x10400000, SZ_1M,
				 VFIO_DMA_UNMAP_FLAG_VADDR, &done));
	/* Both, one already invalid: nothing changes. */
	EXPECT_EQ(-EINVAL, unmap(c, 0x10000000, 8 * SZ_1M,
				 VFIO_DMA_UNMAP_FLAG_VADDR, &done));
	EXPECT_EQ(-EINVAL, map(c, self->buf + 4 * SZ_1M, 0x10400000,
			       4 * SZ_1M, VFIO_DMA_MAP_FLAG_VADDR));

	/* No group may join while an address is invalid. */
	vfio_mock_destroy(DEV);
	ASSERT_EQ(0, vfio_mock_create(DEV, 0, NULL));
	mock = vfio_open_group(vfio_mock_group(DEV));
	ASSERT_LE(0, mock);
	EXPECT_EQ(-EBUSY, vfio_group_set_container(mock, c));

	/* Restoring: exactly the mapping, a valid address, no permissions. */
	fresh = mmap(NULL, 4 * SZ_1M, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fresh);
	EXPECT_EQ(-EINVAL, map(c, fresh, 0x10000000, 4 * SZ_1M,
			       VFIO_DMA_MAP_FLAG_VADDR | RW));
	EXPECT_EQ(-EINVAL, map(c, fresh, 0x10000000, 2 * SZ_1M,
			       VFIO_DMA_MAP_FLAG_VADDR));
	EXPECT_EQ(-EINVAL, map(c, fresh, 0x10001000, 4 * SZ_1M - SZ_4K,
			       VFIO_DMA_MAP_FLAG_VADDR));
	EXPECT_EQ(-EINVAL, map(c, fresh + 1, 0x10000000, 4 * SZ_1M,
			       VFIO_DMA_MAP_FLAG_VADDR));
	EXPECT_EQ(-ENOENT, map(c, fresh, 0x20000000, 4 * SZ_1M,
			       VFIO_DMA_MAP_FLAG_VADDR));
	ASSERT_EQ(0, map(c, fresh, 0x10000000, 4 * SZ_1M,
			 VFIO_DMA_MAP_FLAG_VADDR));
	EXPECT_EQ(-EINVAL, map(c, fresh, 0x10000000, 4 * SZ_1M,
			       VFIO_DMA_MAP_FLAG_VADDR));
	EXPECT_EQ(pins, vfio_pinned_pages());

	/* ALL|VADDR takes every mapping; a real unmap then removes them. */
	ASSERT_EQ(0, unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL |
			   VFIO_DMA_UNMAP_FLAG_VADDR, &done));
	EXPECT_EQ(8 * SZ_1M, done);
	EXPECT_EQ(-EBUSY, vfio_group_set_container(mock, c));
	ASSERT_EQ(0, unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	EXPECT_EQ(8 * SZ_1M, done);
	EXPECT_EQ(pins - 2048, vfio_pinned_pages());
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());
	/* Nothing is invalid any more: the group may join. */
	EXPECT_EQ(0, vfio_group_set_container(mock, c));
	EXPECT_EQ(0, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	close(mock);
	vfio_mock_destroy(DEV);
	munmap(fresh, 4 * SZ_1M);
}

/* The process restoring the address takes over the locked_vm charge. */
TEST_F(domain, vaddr_new_owner)
{
	int c = self->container, to_parent[2], to_child[2];
	long pins, child_kb = -1;
	__u64 done;
	char go;
	pid_t pid;
	int status;

	if (self->container < 0)
		SKIP(return, "no device");
	ASSERT_EQ(0, map(c, self->buf, 0x10000000, 4 * SZ_1M, RW));
	ASSERT_EQ(0, map(c, self->buf + 4 * SZ_1M, 0x10400000, 4 * SZ_1M,
			 RW));
	pins = vfio_pinned_pages();
	ASSERT_EQ(0, unmap(c, 0x10000000, 4 * SZ_1M,
			   VFIO_DMA_UNMAP_FLAG_VADDR, &done));
	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *mine = mmap(NULL, 4 * SZ_1M, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int ret = map(c, mine, 0x10000000, 4 * SZ_1M,
			      VFIO_DMA_MAP_FLAG_VADDR);

		if (write(to_parent[1], &ret, sizeof(ret)) != sizeof(ret) ||
		    read(to_child[0], &go, 1) != 1)
			_exit(2);
		_exit(0);
	}
	{
		int ret = -1;

		ASSERT_EQ(sizeof(ret), read(to_parent[0], &ret, sizeof(ret)));
		EXPECT_EQ(0, ret);
	}
	child_kb = vmlck_kb_of(pid);
	EXPECT_EQ(4 * 1024, child_kb);
	EXPECT_EQ(self->base_kb + 4 * 1024, vfio_vmlck_kb());
	ASSERT_EQ(1, write(to_child[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);

	/* Its owner is gone: unmapping refunds no one else, unpins all. */
	ASSERT_EQ(0, unmap(c, 0x10000000, 4 * SZ_1M, 0, &done));
	EXPECT_EQ(4 * SZ_1M, done);
	EXPECT_EQ(self->base_kb + 4 * 1024, vfio_vmlck_kb());
	EXPECT_EQ(pins - 1024, vfio_pinned_pages());
	ASSERT_EQ(0, unmap(c, 0x10400000, 4 * SZ_1M, 0, &done));
	EXPECT_EQ(pins - 2048, vfio_pinned_pages());
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());
	close(to_parent[0]);
	close(to_parent[1]);
	close(to_child[0]);
	close(to_child[1]);
}

/*
 * Take CAP_IPC_LOCK out of this process's effective set (RLIMIT_MEMLOCK
 * then applies to it) or put it back.
 */
static int ipc_lock_effective(bool on)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	__u32 bit = 1u << (CAP_IPC_LOCK % 32);

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	if (on)
		data[CAP_IPC_LOCK / 32].effective |= bit;
	else
		data[CAP_IPC_LOCK / 32].effective &= ~bit;
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

static int drop_ipc_lock(void)
{
	return ipc_lock_effective(false);
}

#define BUDGET	(8 * SZ_1M)

/*
 * In a child limited to BUDGET of locked memory: map all of it at @iova,
 * check one page more is refused, tell the parent, wait for its word, and
 * exit leaving the mapping in place when @leave, else unmap first.
 */
static void budget_child(int c, unsigned long iova, bool leave, int up,
			 int down)
{
	struct rlimit rl = { BUDGET, BUDGET };
	char *mem, go;
	int ret[2];

	mem = mmap(NULL, BUDGET + SZ_4K, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED || drop_ipc_lock() ||
	    setrlimit(RLIMIT_MEMLOCK, &rl))
		_exit(2);
	ret[0] = map(c, mem, iova, BUDGET, RW);
	ret[1] = map(c, mem + BUDGET, iova + BUDGET, SZ_4K, RW);
	if (write(up, ret, sizeof(ret)) != sizeof(ret) ||
	    read(down, &go, 1) != 1)
		_exit(2);
	if (!leave && unmap(c, iova, BUDGET, 0, NULL))
		_exit(3);
	_exit(0);
}

/* Run budget_child(); returns its map results and VmLck before exit. */
static pid_t budget_run(int c, unsigned long iova, bool leave, int ret[2],
			long *child_kb)
{
	int up[2], down[2];
	pid_t pid;

	if (pipe(up) || pipe(down))
		return -1;
	pid = fork();
	if (!pid)
		budget_child(c, iova, leave, up[1], down[0]);
	ret[0] = 1;
	ret[1] = 1;
	if (pid > 0 && read(up[0], ret, 2 * sizeof(int)) == 2 * sizeof(int))
		*child_kb = vmlck_kb_of(pid);
	if (pid > 0 && write(down[1], "x", 1) != 1)
		pid = -1;
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
	return pid;
}

#define MEMLOCK_REFUSED	"would exceed RLIMIT_MEMLOCK (8388608 bytes)"

/*
 * In a child limited to BUDGET: a MAP_DMA past the limit fails with
 * ENOMEM, which does not say whose limit, so one log line names the
 * limit and the process (with its pid) and says how to raise it; a user
 * repeating the call cannot flood the log.  Exit status: the first check
 * that failed.
 */
static void memlock_refusal_child(int c)
{
	struct rlimit rl = { BUDGET, BUDGET };
	char who[32], *mem;
	int before, n;

	mem = mmap(NULL, BUDGET + SZ_4K, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED || drop_ipc_lock() ||
	    setrlimit(RLIMIT_MEMLOCK, &rl))
		_exit(2);
	snprintf(who, sizeof(who), "[%d]; raise the limit", getpid());
	/* Lines printed before this test do not count against its burst. */
	sleep(6);
	before = vfio_klog_count(MEMLOCK_REFUSED, who);
	if (map(c, mem, 0x10000000, BUDGET + SZ_4K, RW) != -ENOMEM)
		_exit(3);
	if (vfio_klog_count(MEMLOCK_REFUSED, who) != before + 1)
		_exit(4);
	for (n = 0; n < 100; n++)
		map(c, mem, 0x10000000, BUDGET + SZ_4K, RW);
	if (vfio_klog_count(MEMLOCK_REFUSED, who) > before + 11)
		_exit(5);
	_exit(0);
}

TEST_F(domain, memlock_refusal_says_why)
{
	long pins = vfio_pinned_pages();
	int status;
	pid_t pid;

	if (self->container < 0)
		SKIP(return, "no device");
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		memlock_refusal_child(self->container);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status) TH_LOG("child exit %d", WEXITSTATUS(status));
	EXPECT_EQ(pins, vfio_pinned_pages());
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());
}

/*
 * A process that maps and dies without unmapping: its charge was its
 * own, the pages stay pinned while the IOMMU maps them, and the unmap
 * releases every one of them without refunding anyone else.  A new
 * process then has its whole RLIMIT_MEMLOCK budget.
 */
TEST_F(domain, locked_vm_after_exit)
{
	int c = self->container, ret[2], status;
	long pins, child_kb = -1;
	__u64 done;
	pid_t pid;

	if (self->container < 0)
		SKIP(return, "no device");
	pins = vfio_pinned_pages();
	ASSERT_LE(0, pins);

	pid = budget_run(c, 0x10000000, true, ret, &child_kb);
	ASSERT_LT(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, ret[0]);
	EXPECT_EQ(-ENOMEM, ret[1]);
	EXPECT_EQ(BUDGET / 1024, child_kb);
	/* Charged to the child only; still pinned after its death. */
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());
	EXPECT_EQ(pins + BUDGET / SZ_4K, vfio_pinned_pages());

	ASSERT_EQ(0, unmap(c, 0x10000000, BUDGET + SZ_4K, 0, &done));
	EXPECT_EQ(BUDGET, done);
	EXPECT_EQ(pins, vfio_pinned_pages());
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());

	/* The full budget again, in a new process that cleans up itself. */
	pid = budget_run(c, 0x10000000, false, ret, &child_kb);
	ASSERT_LT(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, ret[0]);
	EXPECT_EQ(-ENOMEM, ret[1]);
	EXPECT_EQ(BUDGET / 1024, child_kb);
	EXPECT_EQ(pins, vfio_pinned_pages());
}

#define SZ_64K	(64 * 1024UL)

/*
 * A device's BAR mmapped from sysfs (VM_PFNMAP) is mapped for
 * peer-to-peer DMA without pinning or charging anything, also as part of
 * a range that starts in ordinary memory; a read-only one takes no device
 * writes, and emulated devices cannot pin it.
 */
TEST_F(domain, pfnmap_bar)
{
	const char *res = "/sys/bus/pci/devices/" PCI_BDF "/resource0";
	int c = self->container, fd, rofd, mock, dev;
	char *area, *bar, *robar, name[32];
	unsigned long size;
	struct stat st;
	long pins;
	__u64 done;

	if (self->container < 0)
		SKIP(return, "no device");
	fd = open(res, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	size = st.st_size;
	ASSERT_LE(SZ_4K, size);
	/* 64 KiB of memory right before the BAR, in one user range. */
	area = mmap(NULL, SZ_64K + size, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(area, mmap(area, SZ_64K, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
			     MAP_POPULATE, -1, 0));
	bar = mmap(area + SZ_64K, size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_FIXED, fd, 0);
	ASSERT_EQ(area + SZ_64K, bar);
	pins = vfio_pinned_pages();

	ASSERT_EQ(0, map(c, bar, 0x30000000, size, RW));
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());
	EXPECT_EQ(pins, vfio_pinned_pages());
	ASSERT_EQ(0, map(c, area, 0x40000000, SZ_64K + size, RW));
	EXPECT_EQ(self->base_kb + 64, vfio_vmlck_kb());
	EXPECT_EQ(pins + 16, vfio_pinned_pages());

	/* Emulated devices get no page of it. */
	vfio_mock_destroy(DEV);
	ASSERT_EQ(0, vfio_mock_create(DEV, 0, "unmap"));
	mock = vfio_open_group(vfio_mock_group(DEV));
	ASSERT_LE(0, mock);
	ASSERT_EQ(0, vfio_group_set_container(mock, c));
	vfio_mock_name(DEV, name, sizeof(name));
	dev = vfio_ioctl(mock, VFIO_GROUP_GET_DEVICE_FD, name);
	ASSERT_LE(0, dev);
	EXPECT_EQ(-EINVAL, mock_pin(dev, 0x30000000, 1, 0));
	EXPECT_EQ(1, mock_pin(dev, 0x40000000, 1, 0));

	ASSERT_EQ(0, unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	EXPECT_EQ(2 * size + SZ_64K, done);
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());
	EXPECT_EQ(pins, vfio_pinned_pages());
	close(dev);
	close(mock);
	vfio_mock_destroy(DEV);

	/* Read-only: readable by the device, not writable. */
	rofd = open(res, O_RDONLY);
	ASSERT_LE(0, rofd);
	robar = mmap(NULL, size, PROT_READ, MAP_SHARED, rofd, 0);
	ASSERT_NE(MAP_FAILED, robar);
	EXPECT_EQ(-EFAULT, map(c, robar, 0x30000000, size, RW));
	EXPECT_EQ(0, map(c, robar, 0x30000000, size,
			 VFIO_DMA_MAP_FLAG_READ));
	EXPECT_EQ(0, unmap(c, 0x30000000, size, 0, &done));
	EXPECT_EQ(size, done);

	/* Nothing mapped there any more: the usual fault. */
	munmap(bar, size);
	EXPECT_EQ(-EFAULT, map(c, area, 0x40000000, SZ_64K + size, RW));
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());
	EXPECT_EQ(pins, vfio_pinned_pages());
	munmap(robar, size);
	munmap(area, SZ_64K);
	close(rofd);
	close(fd);
}

/*
 * Read-only mapping of memory never written: GUP hands out the zero
 * page, which, as in 6.1, is neither held nor charged; written pages are.
 */
TEST_F(domain, zero_page_not_charged)
{
	int c = self->container;
	__u64 done;
	char *buf;

	if (self->container < 0)
		SKIP(return, "no device");
	buf = mmap(NULL, SZ_1M, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, madvise(buf, SZ_1M, MADV_NOHUGEPAGE));
	memset(buf, 1, 16 * SZ_4K);
	ASSERT_EQ(0, map(c, buf, 0x10000000, SZ_1M, VFIO_DMA_MAP_FLAG_READ));
	EXPECT_EQ(self->base_kb + 64, vfio_vmlck_kb());
	ASSERT_EQ(0, unmap(c, 0x10000000, SZ_1M, 0, &done));
	EXPECT_EQ(SZ_1M, done);
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());
	munmap(buf, SZ_1M);
}

#define PIN_W	VFIO_MOCK_PIN_WRITE

/*
 * Two devices pin overlapping ranges that cross from one mapping into
 * the next: a page both hold is charged once and stays pinned until both
 * let go; a call reaching past the mappings leaves nothing of its own
 * pinned, also where another device holds some of its pages.
 */
TEST_F(emulated, pins_shared_across_mappings)
{
	int c = self->h.container, group, other;
	char name[32];
	long pins;

	V1_REFUSES_PINS();
	vfio_mock_destroy(DEV + 1);
	ASSERT_EQ(0, vfio_mock_create(DEV + 1, 0, "unmap"));
	group = vfio_open_group(vfio_mock_group(DEV + 1));
	ASSERT_LE(0, group);
	ASSERT_EQ(0, vfio_group_set_container(group, c));
	vfio_mock_name(DEV + 1, name, sizeof(name));
	other = vfio_ioctl(group, VFIO_GROUP_GET_DEVICE_FD, name);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, map(c, self->buf, SZ_1M, SZ_1M, RW));
	ASSERT_EQ(0, map(c, self->buf + SZ_1M, 2 * SZ_1M, SZ_1M, RW));
	pins = vfio_pinned_pages();
	ASSERT_LE(0, pins);

	ASSERT_EQ(4, mock_pin(self->h.device, 2 * SZ_1M - 2 * SZ_4K, 4,
			      PIN_W));
	EXPECT_EQ(self->base_kb + 16, vfio_vmlck_kb());
	ASSERT_EQ(8, mock_pin(other, 2 * SZ_1M - 4 * SZ_4K, 8, PIN_W));
	EXPECT_EQ(self->base_kb + 32, vfio_vmlck_kb());
	EXPECT_EQ(pins + 8, vfio_pinned_pages());
	ASSERT_EQ(0, mock_unpin(self->h.device, 2 * SZ_1M - 2 * SZ_4K, 4));
	EXPECT_EQ(self->base_kb + 32, vfio_vmlck_kb());
	EXPECT_EQ(pins + 8, vfio_pinned_pages());
	ASSERT_EQ(0, mock_unpin(other, 2 * SZ_1M - 4 * SZ_4K, 8));
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());
	EXPECT_EQ(pins, vfio_pinned_pages());

	ASSERT_EQ(2, mock_pin(other, 3 * SZ_1M - 2 * SZ_4K, 2, PIN_W));
	EXPECT_EQ(-EINVAL, mock_pin(self->h.device, 3 * SZ_1M - 4 * SZ_4K, 6,
				    PIN_W));
	EXPECT_EQ(0, vfio_mock_stat(DEV, "pinned"));
	EXPECT_EQ(self->base_kb + 8, vfio_vmlck_kb());
	EXPECT_EQ(pins + 2, vfio_pinned_pages());
	ASSERT_EQ(0, mock_unpin(other, 3 * SZ_1M - 2 * SZ_4K, 2));
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());
	EXPECT_EQ(pins, vfio_pinned_pages());

	close(other);
	close(group);
	vfio_mock_destroy(DEV + 1);
}

/*
 * Run @child (container, device fd, the fixture's buffer) in a process
 * of its own: it must exit 0, leaving nothing pinned.
 */
static void run_pin_child(struct __test_metadata *_metadata,
			  FIXTURE_DATA(emulated) *self,
			  void (*child)(int c, int device, char *buf))
{
	long pins = vfio_pinned_pages();
	int status;
	pid_t pid;

	ASSERT_LE(0, pins);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		child(self->h.container, self->h.device, self->buf);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(pins, vfio_pinned_pages());
	EXPECT_EQ(0, vfio_mock_stat(DEV, "pinned"));
}

/*
 * In a child limited to 16 KiB of locked memory: a device may pin that
 * much of what the child mapped, and no more.  Exits 0 when so and
 * nothing stays charged.
 */
static void pin_budget_child(int c, int device, char *buf)
{
	struct rlimit rl = { 4 * SZ_4K, 4 * SZ_4K };

	if (drop_ipc_lock() || setrlimit(RLIMIT_MEMLOCK, &rl) ||
	    map(c, buf, SZ_1M, SZ_1M, RW))
		_exit(2);
	if (mock_pin(device, SZ_1M, 8, PIN_W) != -ENOMEM || vfio_vmlck_kb())
		_exit(3);
	if (mock_pin(device, SZ_1M, 4, PIN_W) != 4 || vfio_vmlck_kb() != 16)
		_exit(4);
	if (mock_unpin(device, SZ_1M, 4) || unmap(c, SZ_1M, SZ_1M, 0, NULL) ||
	    vfio_vmlck_kb())
		_exit(5);
	_exit(0);
}

/* Device pins count against the mapping owner's RLIMIT_MEMLOCK. */
TEST_F(emulated, pins_within_memlock_limit)
{
	V1_REFUSES_PINS();
	run_pin_child(_metadata, self, pin_budget_child);
}

/*
 * In a child that maps without CAP_IPC_LOCK under a 16 KiB limit, then
 * takes the capability back: device pins are still held to the limit
 * it had when it mapped, and so are pins made from another process
 * (a grandchild with the capability and no limit of its own), all
 * charged to the child.  Exits 0 when so.
 */
static void pin_owner_child(int c, int device, char *buf)
{
	struct rlimit rl = { 4 * SZ_4K, 4 * SZ_4K }, none = {
		RLIM_INFINITY, RLIM_INFINITY };
	int status;
	pid_t pid;

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || drop_ipc_lock() ||
	    map(c, buf, SZ_1M, SZ_1M, RW) || ipc_lock_effective(true))
		_exit(2);
	if (mock_pin(device, SZ_1M, 8, PIN_W) != -ENOMEM || vfio_vmlck_kb())
		_exit(3);
	if (mock_pin(device, SZ_1M, 3, PIN_W) != 3 || vfio_vmlck_kb() != 12)
		_exit(4);
	pid = fork();
	if (!pid) {
		if (setrlimit(RLIMIT_MEMLOCK, &none) || vfio_vmlck_kb())
			_exit(5);
		if (mock_pin(device, SZ_1M + 3 * SZ_4K, 2, PIN_W) != -ENOMEM)
			_exit(6);
		if (mock_pin(device, SZ_1M + 3 * SZ_4K, 1, PIN_W) != 1 ||
		    vfio_vmlck_kb())
			_exit(7);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status)
		_exit(8);
	if (vfio_vmlck_kb() != 16)
		_exit(9);
	if (mock_unpin(device, SZ_1M, 4) || unmap(c, SZ_1M, SZ_1M, 0, NULL) ||
	    vfio_vmlck_kb())
		_exit(10);
	_exit(0);
}

/*
 * As in 6.1, the mapping process's limit and its capability at
 * MAP_DMA time bound device pins, whoever makes them and whatever the
 * mapping process can do by then.
 */
TEST_F(emulated, pins_bound_by_the_mapper)
{
	V1_REFUSES_PINS();
	run_pin_child(_metadata, self, pin_owner_child);
}

/*
 * A device pin that meets a hole or a read-only page in the mapped
 * memory fails with -EFAULT and leaves nothing pinned or charged, from
 * the mapping process (GUP-fast, redone under the mmap lock) as from
 * another one (under the lock throughout); the pages before the fault
 * still pin.
 */
TEST_F(emulated, pin_faults_leave_nothing)
{
	int c = self->h.container, dev = self->h.device, status;
	long pins;
	char *mem;
	pid_t pid;

	V1_REFUSES_PINS();
	mem = mmap(NULL, 16 * SZ_4K, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, map(c, mem, SZ_1M, 16 * SZ_4K, RW));
	ASSERT_EQ(0, munmap(mem + 10 * SZ_4K, SZ_4K));
	ASSERT_EQ(0, mprotect(mem + 12 * SZ_4K, SZ_4K, PROT_READ));
	pins = vfio_pinned_pages();
	ASSERT_LE(0, pins);

	EXPECT_EQ(-EFAULT, mock_pin(dev, SZ_1M, 16, PIN_W));
	/* The mapping is writable: even a read pin needs a writable page. */
	EXPECT_EQ(-EFAULT, mock_pin(dev, SZ_1M + 11 * SZ_4K, 2, 0));
	EXPECT_EQ(pins, vfio_pinned_pages());
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());
	EXPECT_EQ(0, vfio_mock_stat(DEV, "pinned"));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(mock_pin(dev, SZ_1M, 16, PIN_W) == -EFAULT ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(pins, vfio_pinned_pages());
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());

	EXPECT_EQ(10, mock_pin(dev, SZ_1M, 10, PIN_W));
	EXPECT_EQ(self->base_kb + 40, vfio_vmlck_kb());
	EXPECT_EQ(pins + 10, vfio_pinned_pages());
	EXPECT_EQ(0, mock_unpin(dev, SZ_1M, 10));
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());
	EXPECT_EQ(pins, vfio_pinned_pages());
	EXPECT_EQ(0, unmap(c, SZ_1M, 16 * SZ_4K, 0, NULL));
	munmap(mem, 16 * SZ_4K);
}

#define SZ_2M	(2 * SZ_1M)

/* @size bytes of populated private hugetlb memory at @at (or anywhere). */
static char *hugetlb_mem(void *at, size_t size)
{
	char *mem = mmap(at, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
			 MAP_POPULATE | (at ? MAP_FIXED : 0), -1, 0);

	return mem == MAP_FAILED ? NULL : mem;
}

/*
 * Hugetlb memory is pinned once per huge page, whole or in part, and
 * charged page by page as any other memory; all of it comes back.
 */
TEST_F(domain, hugetlb_one_pin_per_huge_page)
{
	int c = self->container;
	long pool, pins;
	__u64 done;
	char *mem;

	if (self->container < 0)
		SKIP(return, "no device");
	pool = vfio_hugetlb_grow(4);
	if (pool < 0)
		SKIP(return, "no 2 MiB huge pages to be had");
	mem = hugetlb_mem(NULL, 8 * SZ_1M);
	ASSERT_NE(NULL, mem);
	pins = vfio_pinned_pages();
	ASSERT_LE(0, pins);

	ASSERT_EQ(0, map(c, mem, 0x10000000, 8 * SZ_1M, RW));
	EXPECT_EQ(pins + 4, vfio_pinned_pages());
	EXPECT_EQ(self->base_kb + 8 * 1024, vfio_vmlck_kb());
	ASSERT_EQ(0, unmap(c, 0x10000000, 8 * SZ_1M, 0, &done));
	EXPECT_EQ(8 * SZ_1M, done);
	EXPECT_EQ(pins, vfio_pinned_pages());
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());

	/* From inside the first huge page into the last, read-only. */
	ASSERT_EQ(0, map(c, mem + SZ_1M, 0x10000000, 6 * SZ_1M - SZ_4K,
			 VFIO_DMA_MAP_FLAG_READ));
	EXPECT_EQ(pins + 4, vfio_pinned_pages());
	EXPECT_EQ(self->base_kb + 6 * 1024 - 4, vfio_vmlck_kb());
	ASSERT_EQ(0, unmap(c, 0x10000000, 6 * SZ_1M - SZ_4K, 0, &done));
	EXPECT_EQ(pins, vfio_pinned_pages());
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());

	/* Memory the process may not write, the device may not either. */
	ASSERT_EQ(0, mprotect(mem, 8 * SZ_1M, PROT_READ));
	EXPECT_EQ(-EFAULT, map(c, mem, 0x10000000, 8 * SZ_1M, RW));
	EXPECT_EQ(pins, vfio_pinned_pages());
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());
	ASSERT_EQ(0, map(c, mem, 0x10000000, 8 * SZ_1M,
			 VFIO_DMA_MAP_FLAG_READ));
	EXPECT_EQ(pins + 4, vfio_pinned_pages());
	ASSERT_EQ(0, unmap(c, 0x10000000, 8 * SZ_1M, 0, &done));
	EXPECT_EQ(pins, vfio_pinned_pages());

	munmap(mem, 8 * SZ_1M);
	vfio_hugetlb_restore(pool);
}

/*
 * One range over ordinary memory, hugetlb memory and ordinary memory
 * again: each part is pinned its own way.
 */
TEST_F(domain, hugetlb_between_other_memory)
{
	int c = self->container;
	char *area, *mem;
	long pool, pins;
	__u64 done;

	if (self->container < 0)
		SKIP(return, "no device");
	pool = vfio_hugetlb_grow(2);
	if (pool < 0)
		SKIP(return, "no 2 MiB huge pages to be had");
	/* 12 MiB of ordinary memory, 2 MiB aligned, its middle hugetlb. */
	area = mmap(NULL, 14 * SZ_1M, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	mem = (char *)(((unsigned long)area + SZ_2M - 1) & ~(SZ_2M - 1));
	ASSERT_EQ(mem + 4 * SZ_1M, hugetlb_mem(mem + 4 * SZ_1M, 4 * SZ_1M));
	pins = vfio_pinned_pages();
	ASSERT_LE(0, pins);

	ASSERT_EQ(0, map(c, mem + 2 * SZ_1M, 0x10000000, 8 * SZ_1M, RW));
	EXPECT_EQ(pins + 2 * (SZ_2M / SZ_4K) + 2, vfio_pinned_pages());
	EXPECT_EQ(self->base_kb + 8 * 1024, vfio_vmlck_kb());
	ASSERT_EQ(0, unmap(c, 0x10000000, 8 * SZ_1M, 0, &done));
	EXPECT_EQ(8 * SZ_1M, done);
	EXPECT_EQ(pins, vfio_pinned_pages());
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());

	munmap(area, 14 * SZ_1M);
	vfio_hugetlb_restore(pool);
}

/*
 * In a child limited to 4 MiB of locked memory, with hugetlb memory of
 * its own (no copy-on-write with the parent's to fail first): 6 MiB of
 * it are refused whole, and so are 4 MiB of it followed by 2 MiB of
 * ordinary memory.  Exits 0 when both fail with -ENOMEM and nothing
 * stays charged.
 */
static void hugetlb_budget_child(int c)
{
	struct rlimit rl = { 4 * SZ_1M, 4 * SZ_1M };
	char *mem = hugetlb_mem(NULL, 6 * SZ_1M);

	if (!mem || drop_ipc_lock() || setrlimit(RLIMIT_MEMLOCK, &rl))
		_exit(2);
	if (map(c, mem, 0x10000000, 6 * SZ_1M, RW) != -ENOMEM)
		_exit(3);
	if (munmap(mem + 4 * SZ_1M, SZ_2M) ||
	    mmap(mem + 4 * SZ_1M, SZ_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_FIXED,
		 -1, 0) != mem + 4 * SZ_1M)
		_exit(2);
	if (map(c, mem, 0x10000000, 6 * SZ_1M, RW) != -ENOMEM)
		_exit(4);
	_exit(vfio_vmlck_kb() ? 5 : 0);
}

/*
 * MAP_DMA failing part-way through hugetlb memory, at a hole or at the
 * locked memory limit, leaves nothing pinned or charged.
 */
TEST_F(domain, hugetlb_failures_unwind)
{
	int c = self->container, status;
	long pool, pins;
	char *mem;
	pid_t pid;

	if (self->container < 0)
		SKIP(return, "no device");
	pool = vfio_hugetlb_grow(7);
	if (pool < 0)
		SKIP(return, "no 2 MiB huge pages to be had");
	mem = hugetlb_mem(NULL, 8 * SZ_1M);
	ASSERT_NE(NULL, mem);
	pins = vfio_pinned_pages();
	ASSERT_LE(0, pins);

	/* Huge pages, then nothing mapped. */
	ASSERT_EQ(0, munmap(mem + 6 * SZ_1M, SZ_2M));
	EXPECT_EQ(-EFAULT, map(c, mem, 0x10000000, 8 * SZ_1M, RW));
	EXPECT_EQ(-EFAULT, map(c, mem + 6 * SZ_1M, 0x10000000, SZ_2M, RW));
	EXPECT_EQ(pins, vfio_pinned_pages());
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		hugetlb_budget_child(c);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(pins, vfio_pinned_pages());
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());

	munmap(mem, 6 * SZ_1M);
	vfio_hugetlb_restore(pool);
}

/* Behind a real IOMMU the device may write anything mapped. */
TEST_F(domain, dirty_all_mapped)
{
	static __u64 bits[2048 / 64];
	int c = self->container;
	__u64 done;
	int i, w, clean;

	if (self->container < 0)
		SKIP(return, "no device");
	ASSERT_EQ(0, map(c, self->buf, 0x10000000, 4 * SZ_1M, RW));
	ASSERT_EQ(0, dirty_ctl(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	ASSERT_EQ(0, map(c, self->buf + 4 * SZ_1M, 0x10400000, 4 * SZ_1M, RW));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, dirty_get(c, 0x10000000, 8 * SZ_1M, bits,
				       sizeof(bits)));
		for (w = 0, clean = 0; w < 2048 / 64; w++)
			clean += bits[w] != ~0ULL;
		EXPECT_EQ(0, clean);
	}
	ASSERT_EQ(0, unmap_dirty(c, 0x10400000, 4 * SZ_1M, bits,
				 sizeof(bits) / 2, &done));
	EXPECT_EQ(4 * SZ_1M, done);
	EXPECT_EQ(~0ULL, bits[0]);
	EXPECT_EQ(~0ULL, bits[1024 / 64 - 1]);
	EXPECT_EQ(0, dirty_ctl(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
}

/*
 * Take the e1000's group out of the fixture's container, so that it can
 * join another one or come back later.
 */
static int pci_leave(FIXTURE_DATA(domain) *self)
{
	if (self->device >= 0)
		close(self->device);
	self->device = -1;
	return vfio_ioctl(self->group, VFIO_GROUP_UNSET_CONTAINER, NULL);
}

/* Mock device DEV, subscribed to unmaps, in container @c: its fd. */
static int mock_join(int c, int *group)
{
	char name[32];
	int ret;

	vfio_mock_destroy(DEV);
	ret = vfio_mock_create(DEV, 0, "unmap");
	if (ret)
		return ret;
	*group = vfio_open_group(vfio_mock_group(DEV));
	if (*group < 0)
		return *group;
	ret = vfio_group_set_container(*group, c);
	if (ret)
		return ret;
	vfio_mock_name(DEV, name, sizeof(name));
	return vfio_ioctl(*group, VFIO_GROUP_GET_DEVICE_FD, name);
}

/*
 * A device pins pages the domain holds already: they are charged once,
 * by the domain's pins.  When the last domain goes, the device's pins
 * keep what they hold charged (6.1 charges them anew then), until the
 * device lets go.
 */
TEST_F(domain, device_pins_outlive_the_domain)
{
	int c = self->container, group = -1, mock;
	long pins;

	if (self->container < 0)
		SKIP(return, "no device");
	mock = mock_join(c, &group);
	ASSERT_LE(0, mock);
	ASSERT_EQ(0, map(c, self->buf, 0x10000000, SZ_1M, RW));
	EXPECT_EQ(self->base_kb + 1024, vfio_vmlck_kb());
	pins = vfio_pinned_pages();
	ASSERT_LE(256, pins);

	ASSERT_EQ(4, mock_pin(mock, 0x10000000, 4, PIN_W));
	EXPECT_EQ(self->base_kb + 1024, vfio_vmlck_kb());
	EXPECT_EQ(pins + 4, vfio_pinned_pages());

	ASSERT_EQ(0, pci_leave(self));
	EXPECT_EQ(self->base_kb + 16, vfio_vmlck_kb());
	EXPECT_EQ(pins + 4 - 256, vfio_pinned_pages());
	ASSERT_EQ(0, mock_unpin(mock, 0x10000000, 4));
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());
	EXPECT_EQ(pins - 256, vfio_pinned_pages());

	/* And back: pins made without a domain move under the new one. */
	ASSERT_EQ(4, mock_pin(mock, 0x10000000, 4, PIN_W));
	EXPECT_EQ(self->base_kb + 16, vfio_vmlck_kb());
	ASSERT_EQ(0, vfio_group_set_container(self->group, c));
	EXPECT_EQ(self->base_kb + 1024, vfio_vmlck_kb());
	EXPECT_EQ(pins + 4, vfio_pinned_pages());
	ASSERT_EQ(0, mock_unpin(mock, 0x10000000, 4));
	EXPECT_EQ(self->base_kb + 1024, vfio_vmlck_kb());
	EXPECT_EQ(0, unmap(c, 0x10000000, SZ_1M, 0, NULL));
	EXPECT_EQ(self->base_kb, vfio_vmlck_kb());
	EXPECT_EQ(pins - 256, vfio_pinned_pages());
	close(mock);
	close(group);
	vfio_mock_destroy(DEV);
}

/*
 * In a child without CAP_IPC_LOCK limited to the 1 MiB it maps: a
 * device pins some of it, then the e1000's group joins and the domain
 * pins all of it.  Each page is charged once, so the limit is met, not
 * exceeded (6.1 allows it), whichever pins come and go.  Exits 0 when
 * so.
 */
static void pins_first_child(int c, int mock, int pci_group)
{
	struct rlimit rl = { SZ_1M, SZ_1M };
	char *mem;

	mem = mmap(NULL, SZ_1M, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED || drop_ipc_lock() ||
	    setrlimit(RLIMIT_MEMLOCK, &rl) ||
	    map(c, mem, 0x10000000, SZ_1M, RW))
		_exit(2);
	if (mock_pin(mock, 0x10000000, 4, PIN_W) != 4 || vfio_vmlck_kb() != 16)
		_exit(3);
	if (vfio_group_set_container(pci_group, c))
		_exit(4);
	if (vfio_vmlck_kb() != 1024)
		_exit(5);
	if (mock_unpin(mock, 0x10000000, 4) || vfio_vmlck_kb() != 1024)
		_exit(6);
	if (mock_pin(mock, 0x10000000, 8, PIN_W) != 8 || vfio_vmlck_kb() != 1024)
		_exit(7);
	if (vfio_ioctl(pci_group, VFIO_GROUP_UNSET_CONTAINER, NULL) ||
	    vfio_vmlck_kb() != 32)
		_exit(8);
	if (mock_unpin(mock, 0x10000000, 8) || vfio_vmlck_kb() ||
	    unmap(c, 0x10000000, SZ_1M, 0, NULL))
		_exit(9);
	_exit(0);
}

TEST_F(domain, device_pins_then_domain_charged_once)
{
	struct vfio_mock_handle h;
	long pins;
	int status;
	pid_t pid;

	if (self->container < 0)
		SKIP(return, "no device");
	ASSERT_EQ(0, pci_leave(self));
	vfio_mock_destroy(DEV);
	ASSERT_EQ(0, vfio_mock_create(DEV, 0, "unmap"));
	ASSERT_EQ(0, vfio_mock_handle_open(&h, DEV, VFIO_TYPE1v2_IOMMU));
	pins = vfio_pinned_pages();
	ASSERT_LE(0, pins);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		pins_first_child(h.container, h.device, self->group);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(pins, vfio_pinned_pages());
	EXPECT_EQ(0, vfio_mock_stat(DEV, "pinned"));
	vfio_ioctl(self->group, VFIO_GROUP_UNSET_CONTAINER, NULL);
	vfio_mock_handle_close(&h);
	vfio_mock_destroy(DEV);
}

/*
 * Mappings made while only an emulated group was there are pinned when
 * the first real group joins.  If that join fails -- memory behind a
 * mapping is gone, or a mapping lies where the new domain's devices
 * cannot reach -- everything it pinned is released again.
 */
TEST_F(domain, failed_attach_unpins)
{
	struct vfio_mock_handle h;
	long pins, kb;
	char *gone;

	if (self->container < 0)
		SKIP(return, "no device");
	ASSERT_EQ(0, pci_leave(self));
	vfio_mock_destroy(DEV);
	ASSERT_EQ(0, vfio_mock_create(DEV, 0, "unmap"));
	ASSERT_EQ(0, vfio_mock_handle_open(&h, DEV, VFIO_TYPE1v2_IOMMU));
	gone = mmap(NULL, SZ_1M, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_EQ(0, map(h.container, self->buf, 0x10000000, SZ_1M, RW));
	ASSERT_EQ(0, map(h.container, gone, 0x10100000, SZ_1M, RW));
	ASSERT_EQ(0, munmap(gone, SZ_1M));
	pins = vfio_pinned_pages();
	ASSERT_LE(0, pins);
	kb = vfio_vmlck_kb();

	/* The first mapping is pinned and mapped, the second cannot be. */
	EXPECT_EQ(-EFAULT, vfio_group_set_container(self->group,
						    h.container));
	EXPECT_EQ(pins, vfio_pinned_pages());
	EXPECT_EQ(kb, vfio_vmlck_kb());

	/* All pinned and mapped, then the MSI window is found in use. */
	ASSERT_EQ(0, unmap(h.container, 0x10100000, SZ_1M, 0, NULL));
	ASSERT_EQ(0, map(h.container, self->buf + SZ_1M, 0xfee00000, SZ_1M,
			 RW));
	EXPECT_EQ(-EINVAL, vfio_group_set_container(self->group,
						    h.container));
	EXPECT_EQ(pins, vfio_pinned_pages());
	EXPECT_EQ(kb, vfio_vmlck_kb());

	/* Nothing was left behind that keeps the group from joining. */
	ASSERT_EQ(0, unmap(h.container, 0xfee00000, SZ_1M, 0, NULL));
	ASSERT_EQ(0, vfio_group_set_container(self->group, h.container));
	EXPECT_EQ(kb + 1024, vfio_vmlck_kb());
	EXPECT_EQ(pins + 256, vfio_pinned_pages());
	ASSERT_EQ(0, vfio_ioctl(self->group, VFIO_GROUP_UNSET_CONTAINER,
				NULL));
	EXPECT_EQ(kb, vfio_vmlck_kb());
	EXPECT_EQ(pins, vfio_pinned_pages());
	vfio_mock_handle_close(&h);
	vfio_mock_destroy(DEV);
}

TEST_HARNESS_MAIN
