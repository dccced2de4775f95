// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device dirty-page logging (VFIO_DEVICE_FEATURE_DMA_LOGGING_*): request
 * validation, and the bitmap the core fills in from the driver's reports,
 * including bitmaps too large to be pinned at once.
 */
#include <stdint.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "vfio_test_util.h"

#define DEV		50
#define DEV_NOLOG	51
#define SZ_4K		4096ULL
#define SZ_1M		(1ULL << 20)
#define SZ_1G		(1ULL << 30)
#define STRIDE		3	/* the mock dirties every third page */

struct logging_start {
	struct vfio_device_feature hdr;
	struct vfio_device_feature_dma_logging_control ctl;
};

struct logging_report {
	struct vfio_device_feature hdr;
	struct vfio_device_feature_dma_logging_report report;
};

static int logging_start(int fd, __u32 flags, __u64 page_size,
			 struct vfio_device_feature_dma_logging_range *ranges,
			 __u32 n)
{
	struct logging_start s = {
		.hdr.argsz = sizeof(s),
		.hdr.flags = flags | VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
		.ctl.page_size = page_size,
		.ctl.num_ranges = n,
		.ctl.ranges = (__u64)(uintptr_t)ranges,
	};

	return vfio_ioctl(fd, VFIO_DEVICE_FEATURE, &s);
}

static int logging_stop(int fd, __u32 flags)
{
	struct vfio_device_feature hdr = {
		.argsz = sizeof(hdr),
		.flags = flags | VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP,
	};

	return vfio_ioctl(fd, VFIO_DEVICE_FEATURE, &hdr);
}

static int logging_report(int fd, __u32 flags, __u64 iova, __u64 length,
			  __u64 page_size, void *bitmap)
{
	struct logging_report r = {
		.hdr.argsz = sizeof(r),
		.hdr.flags = flags | VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
		.report.iova = iova,
		.report.length = length,
		.report.page_size = page_size,
		.report.bitmap = (__u64)(uintptr_t)bitmap,
	};

	return vfio_ioctl(fd, VFIO_DEVICE_FEATURE, &r);
}

static bool bit_is_set(const __u64 *bitmap, __u64 bit)
{
	return bitmap[bit / 64] & (1ULL << (bit % 64));
}

FIXTURE(logging) {
	struct vfio_mock_handle h;
};

FIXTURE_SETUP(logging)
{
	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	vfio_mock_destroy(DEV);
	ASSERT_EQ(0, vfio_mock_create(DEV, 0, "log"));
	ASSERT_EQ(0, vfio_mock_handle_open(&self->h, DEV, VFIO_MOCK_IOMMU));
}

FIXTURE_TEARDOWN(logging)
{
	vfio_mock_handle_close(&self->h);
	vfio_mock_destroy(DEV);
}

TEST(not_supported_without_log_ops)
{
	struct vfio_device_feature_dma_logging_range r = { 0, SZ_4K };
	struct vfio_mock_handle h;
	__u64 bitmap = 0;

	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	vfio_mock_destroy(DEV_NOLOG);
	ASSERT_EQ(0, vfio_mock_create(DEV_NOLOG, 0, NULL));
	ASSERT_EQ(0, vfio_mock_handle_open(&h, DEV_NOLOG, VFIO_MOCK_IOMMU));
	EXPECT_EQ(-ENOTTY, logging_start(h.device, VFIO_DEVICE_FEATURE_SET,
					 SZ_4K, &r, 1));
	EXPECT_EQ(-ENOTTY, logging_stop(h.device, VFIO_DEVICE_FEATURE_SET));
	EXPECT_EQ(-ENOTTY, logging_report(h.device, VFIO_DEVICE_FEATURE_GET,
					  0, SZ_4K, SZ_4K, &bitmap));
	vfio_mock_handle_close(&h);
	EXPECT_EQ(0, vfio_mock_destroy(DEV_NOLOG));
}

TEST_F(logging, probe)
{
	EXPECT_EQ(0, logging_start(self->h.device, VFIO_DEVICE_FEATURE_PROBE |
				   VFIO_DEVICE_FEATURE_SET, 0, NULL, 0));
	EXPECT_EQ(0, logging_report(self->h.device, VFIO_DEVICE_FEATURE_PROBE |
				    VFIO_DEVICE_FEATURE_GET, 0, 0, 0, NULL));
	/* Each feature has one direction only. */
	EXPECT_EQ(-EINVAL, logging_start(self->h.device,
					 VFIO_DEVICE_FEATURE_PROBE |
					 VFIO_DEVICE_FEATURE_GET, 0, NULL, 0));
	EXPECT_EQ(0, vfio_mock_stat(DEV, "log_starts"));
}

TEST_F(logging, start_bad_inputs)
{
	struct vfio_device_feature_dma_logging_range r[2] = {
		{ SZ_1M, 64 * SZ_4K }, { 4 * SZ_1M, 8 * SZ_4K },
	};
	struct vfio_device_feature_dma_logging_range *many;
	int fd = self->h.device;
	__u32 set = VFIO_DEVICE_FEATURE_SET;

	EXPECT_EQ(-EINVAL, logging_start(fd, VFIO_DEVICE_FEATURE_GET, SZ_4K,
					 r, 2));
	EXPECT_EQ(-EINVAL, logging_start(fd, set, SZ_4K, r, 0));
	EXPECT_EQ(-EINVAL, logging_start(fd, set, 0, r, 2));
	EXPECT_EQ(-EINVAL, logging_start(fd, set, 3 * SZ_4K, r, 2));
	EXPECT_EQ(-EFAULT, logging_start(fd, set, SZ_4K, NULL, 2));

	many = calloc(257, sizeof(*many));
	ASSERT_NE(NULL, many);
	EXPECT_EQ(-E2BIG, logging_start(fd, set, SZ_4K, many, 257));
	free(many);

	r[1].iova = 4 * SZ_1M + 1;		/* not page aligned */
	EXPECT_EQ(-EINVAL, logging_start(fd, set, SZ_4K, r, 2));
	r[1].iova = 4 * SZ_1M;
	r[1].length = 0;			/* empty */
	EXPECT_EQ(-EINVAL, logging_start(fd, set, SZ_4K, r, 2));
	r[1].iova = SZ_1M + 32 * SZ_4K;		/* overlaps r[0] */
	r[1].length = 64 * SZ_4K;
	EXPECT_EQ(-EINVAL, logging_start(fd, set, SZ_4K, r, 2));
	r[1].iova = ~0ULL & ~(SZ_4K - 1);	/* wraps around */
	r[1].length = 2 * SZ_4K;
	EXPECT_EQ(-EOVERFLOW, logging_start(fd, set, SZ_4K, r, 2));

	/* None of it reached the driver. */
	EXPECT_EQ(0, vfio_mock_stat(DEV, "log_starts"));
	EXPECT_EQ(0, vfio_mock_stat(DEV, "log_active"));
}

/* The bitmap holds exactly the dirty pages of the logged ranges. */
TEST_F(logging, report_exact_bits)
{
	struct vfio_device_feature_dma_logging_range r[2] = {
		{ SZ_1M, 64 * SZ_4K }, { 4 * SZ_1M, 8 * SZ_4K },
	};
	__u64 bitmap[2048 / 64], bit, page;
	int fd = self->h.device;
	bool expect, in_range;

	ASSERT_EQ(0, logging_start(fd, VFIO_DEVICE_FEATURE_SET, SZ_4K, r, 2));
	EXPECT_EQ(1, vfio_mock_stat(DEV, "log_active"));
	EXPECT_EQ(2, vfio_mock_stat(DEV, "log_ranges"));
	/* The driver refuses a second start. */
	EXPECT_EQ(-EBUSY, logging_start(fd, VFIO_DEVICE_FEATURE_SET, SZ_4K,
					r, 2));

	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, logging_report(fd, VFIO_DEVICE_FEATURE_GET, 0, 8 * SZ_1M,
				    SZ_4K, bitmap));
	for (bit = 0; bit < 2048; bit++) {
		page = bit;
		in_range = (page >= 256 && page < 256 + 64) ||
			   (page >= 1024 && page < 1024 + 8);
		expect = in_range && page % STRIDE == 0;
		if (bit_is_set(bitmap, bit) != expect) {
			EXPECT_EQ(expect, bit_is_set(bitmap, bit));
			TH_LOG("bit %llu", (unsigned long long)bit);
			break;
		}
	}

	/* A report starting mid-range: bit 0 is the page at the iova. */
	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, logging_report(fd, VFIO_DEVICE_FEATURE_GET,
				    SZ_1M + SZ_4K, 4 * SZ_4K, SZ_4K, bitmap));
	/* Pages 257..260: 258 is the one divisible by 3. */
	EXPECT_EQ(1ULL << 1, bitmap[0]);

	ASSERT_EQ(0, logging_stop(fd, VFIO_DEVICE_FEATURE_SET));
	EXPECT_EQ(0, vfio_mock_stat(DEV, "log_active"));
}

TEST_F(logging, report_bad_inputs)
{
	struct vfio_device_feature_dma_logging_range r = { 0, 64 * SZ_4K };
	__u64 bitmap[4] = { 0 };
	int fd = self->h.device;
	__u32 get = VFIO_DEVICE_FEATURE_GET;

	ASSERT_EQ(0, logging_start(fd, VFIO_DEVICE_FEATURE_SET, SZ_4K, &r, 1));
	EXPECT_EQ(-EINVAL, logging_report(fd, VFIO_DEVICE_FEATURE_SET, 0,
					  64 * SZ_4K, SZ_4K, bitmap));
	EXPECT_EQ(-EINVAL, logging_report(fd, get, 0, 64 * SZ_4K, 2048,
					  bitmap));
	EXPECT_EQ(-EINVAL, logging_report(fd, get, 0, 64 * SZ_4K, 3 * SZ_4K,
					  bitmap));
	EXPECT_EQ(-EINVAL, logging_report(fd, get, 0, 0, SZ_4K, bitmap));
	EXPECT_EQ(-EOVERFLOW, logging_report(fd, get, ~0ULL - SZ_4K,
					     4 * SZ_4K, SZ_4K, bitmap));
	EXPECT_EQ(-EINVAL, logging_report(fd, get, 0, 64 * SZ_4K, SZ_4K,
					  (char *)bitmap + 1));
	EXPECT_EQ(-EFAULT, logging_report(fd, get, 0, 64 * SZ_4K, SZ_4K,
					  NULL));
	EXPECT_EQ(0, logging_stop(fd, VFIO_DEVICE_FEATURE_SET));
	EXPECT_EQ(-EINVAL, logging_stop(fd, VFIO_DEVICE_FEATURE_GET));
}

/*
 * 128 GiB at 4 KiB pages needs a 4 MiB bitmap: more than the core pins at
 * once, so the report goes window by window.  The bitmap starts 8 bytes
 * into a page so windows do not line up with bitmap pages either.
 */
TEST_F(logging, report_across_windows)
{
	struct vfio_device_feature_dma_logging_range r = { 0, 128 * SZ_1G };
	__u64 nbits = 128 * SZ_1G / SZ_4K, bit, set = 0, expected, i;
	size_t bytes = nbits / 8;
	int fd = self->h.device;
	char *area;
	__u64 *bitmap;

	area = mmap(NULL, bytes + 2 * SZ_4K, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	bitmap = (__u64 *)(area + 8);

	ASSERT_EQ(0, logging_start(fd, VFIO_DEVICE_FEATURE_SET, SZ_4K, &r, 1));
	ASSERT_EQ(0, logging_report(fd, VFIO_DEVICE_FEATURE_GET, 0,
				    128 * SZ_1G, SZ_4K, bitmap));
	EXPECT_LE(2, vfio_mock_stat(DEV, "log_reports"));

	for (i = 0; i < nbits / 64; i++)
		set += __builtin_popcountll(bitmap[i]);
	expected = (nbits + STRIDE - 1) / STRIDE;
	EXPECT_EQ(expected, set);
	/* Spot-check the start, the window seams and the end exactly. */
	for (bit = 0; bit < nbits; bit++) {
		if (bit == 4096)
			bit = 16 * 1024 * 1024 - 4096;
		if (bit == 16 * 1024 * 1024 + 4096)
			bit = nbits - 4096;
		if (bit_is_set(bitmap, bit) != (bit % STRIDE == 0)) {
			EXPECT_EQ(bit % STRIDE == 0, bit_is_set(bitmap, bit));
			TH_LOG("bit %llu", (unsigned long long)bit);
			break;
		}
	}
	/* Nothing was written past the end of the bitmap. */
	EXPECT_EQ(0, area[8 + bytes]);
	EXPECT_EQ(0, logging_stop(fd, VFIO_DEVICE_FEATURE_SET));
	munmap(area, bytes + 2 * SZ_4K);
}

TEST_HARNESS_MAIN
