// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/vfio/vfio: the container file, before and after a backend exists.
 */
#include "../kselftest_harness.h"
#include "vfio_test_util.h"

/* Every VFIO_SET_IOMMU type and extension number the 6.1 ABI defines. */
static const unsigned long vfio_extensions[] = {
	VFIO_TYPE1_IOMMU, VFIO_SPAPR_TCE_IOMMU, VFIO_TYPE1v2_IOMMU,
	VFIO_DMA_CC_IOMMU, VFIO_EEH, VFIO_TYPE1_NESTING_IOMMU,
	VFIO_SPAPR_TCE_v2_IOMMU, VFIO_NOIOMMU_IOMMU, VFIO_UNMAP_ALL,
	VFIO_UPDATE_VADDR,
};

FIXTURE(container) {
	int fd;
};

FIXTURE_SETUP(container)
{
	ASSERT_EQ(0, vfio_modprobe("vfio"));
	self->fd = vfio_open_container();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(container)
{
	close(self->fd);
}

TEST_F(container, api_version)
{
	ASSERT_EQ(VFIO_API_VERSION, ioctl(self->fd, VFIO_GET_API_VERSION));
	/* The argument is ignored. */
	ASSERT_EQ(VFIO_API_VERSION, ioctl(self->fd, VFIO_GET_API_VERSION, 12));
}

/* With no IOMMU backend loaded, nothing is supported. */
TEST_F(container, no_backend_no_extension)
{
	unsigned int i;

	if (vfio_module_loaded("vfio_iommu_type1") ||
	    vfio_module_loaded("vfio_mock")) {
		close(self->fd);
		vfio_sh("rmmod vfio_iommu_type1 vfio_mock 2>/dev/null");
		self->fd = vfio_open_container();
		ASSERT_LE(0, self->fd);
	}
	if (vfio_module_loaded("vfio_iommu_type1") ||
	    vfio_module_loaded("vfio_mock"))
		SKIP(return, "an IOMMU backend is loaded and busy");

	for (i = 0; i < sizeof(vfio_extensions) / sizeof(vfio_extensions[0]); i++)
		EXPECT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION,
				   vfio_extensions[i]));
	EXPECT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION, 0));
	EXPECT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION, ~0UL));
}

/* The mock backend answers for its own type, and only that. */
TEST_F(container, backend_extension)
{
	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	EXPECT_EQ(1, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_MOCK_IOMMU));
	EXPECT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION,
			   VFIO_MOCK_IOMMU + 1));
}

/* SET_IOMMU needs a group in the container first. */
TEST_F(container, set_iommu_without_group)
{
	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->fd, VFIO_SET_IOMMU,
				      VFIO_MOCK_IOMMU));
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->fd, VFIO_SET_IOMMU,
				      VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(0, vfio_mock_iommu_stat("instances"));
}

/* Without a backend, everything but the three core ioctls is -EINVAL. */
TEST_F(container, unknown_ioctls)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };

	EXPECT_EQ(-EINVAL, vfio_ioctl(self->fd, VFIO_IOMMU_GET_INFO, &info));
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->fd, _IO(VFIO_TYPE, VFIO_BASE + 99),
				      NULL));
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->fd, _IO('x', 1), NULL));
	/* Group and device ioctls mean nothing on a container. */
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->fd, VFIO_GROUP_GET_STATUS, &info));
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->fd, VFIO_DEVICE_RESET, NULL));
}

TEST_F(container, no_read_write_mmap)
{
	char buf[8] = { 0 };

	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
}

/* Containers are independent and cost nothing once closed. */
TEST(many_containers)
{
	int fds[64], before, i;

	ASSERT_EQ(0, vfio_modprobe("vfio"));
	before = vfio_count_fds();
	for (i = 0; i < 64; i++) {
		fds[i] = vfio_open_container();
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(VFIO_API_VERSION,
			  ioctl(fds[i], VFIO_GET_API_VERSION));
	}
	for (i = 0; i < 64; i++)
		close(fds[i]);
	EXPECT_EQ(before, vfio_count_fds());
}

TEST_HARNESS_MAIN
