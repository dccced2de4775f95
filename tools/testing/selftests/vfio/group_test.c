// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/vfio/N: group ownership, container attachment and device lookup,
 * on emulated-IOMMU groups of the mock driver with the mock backend.
 */
#include "../kselftest_harness.h"
#include "vfio_test_util.h"

#define MOCK_ID		10
#define MOCK_ID2	11

FIXTURE(group) {
	int group_nr;
	int container;
	int group;
};

FIXTURE_SETUP(group)
{
	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	vfio_mock_destroy(MOCK_ID);
	ASSERT_EQ(0, vfio_mock_create(MOCK_ID, 0, NULL));
	self->group_nr = vfio_mock_group(MOCK_ID);
	ASSERT_LE(0, self->group_nr);
	self->container = vfio_open_container();
	ASSERT_LE(0, self->container);
	self->group = vfio_open_group(self->group_nr);
	ASSERT_LE(0, self->group);
}

FIXTURE_TEARDOWN(group)
{
	close(self->group);
	close(self->container);
	vfio_mock_destroy(MOCK_ID);
	/* Nothing the test did may outlive its files. */
	EXPECT_EQ(0, vfio_mock_iommu_stat("instances"));
	EXPECT_EQ(0, vfio_mock_iommu_stat("groups"));
	EXPECT_EQ(0, vfio_mock_iommu_stat("devices"));
}

TEST_F(group, node_exists)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/vfio/%d", self->group_nr);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST_F(group, single_opener)
{
	EXPECT_EQ(-EBUSY, vfio_open_group(self->group_nr));
	close(self->group);
	self->group = vfio_open_group(self->group_nr);
	EXPECT_LE(0, self->group);
}

TEST_F(group, status)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	unsigned int flags;

	ASSERT_EQ(0, vfio_group_status(self->group, &flags));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE, flags);

	ASSERT_EQ(0, vfio_group_set_container(self->group, self->container));
	ASSERT_EQ(0, vfio_group_status(self->group, &flags));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET,
		  flags);

	/* argsz must cover the flags. */
	status.argsz = sizeof(status) - 1;
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->group, VFIO_GROUP_GET_STATUS,
				      &status));
	status.argsz = 0;
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->group, VFIO_GROUP_GET_STATUS,
				      &status));
	/* A bigger argsz is fine: the struct may grow. */
	status.argsz = 4096;
	EXPECT_EQ(0, vfio_ioctl(self->group, VFIO_GROUP_GET_STATUS, &status));
	EXPECT_EQ(-EFAULT, vfio_ioctl(self->group, VFIO_GROUP_GET_STATUS,
				      NULL));
}

TEST_F(group, set_container_bad_fds)
{
	int null_fd = open("/dev/null", O_RDWR);
	int group2;

	ASSERT_LE(0, null_fd);
	EXPECT_EQ(-EBADF, vfio_group_set_container(self->group, -1));
	EXPECT_EQ(-EBADF, vfio_group_set_container(self->group, 1000));
	EXPECT_EQ(-EINVAL, vfio_group_set_container(self->group, null_fd));
	/* A group is not a container, not even itself. */
	EXPECT_EQ(-EINVAL, vfio_group_set_container(self->group, self->group));
	EXPECT_EQ(-EFAULT, vfio_ioctl(self->group, VFIO_GROUP_SET_CONTAINER,
				      NULL));
	close(null_fd);

	ASSERT_EQ(0, vfio_mock_create(MOCK_ID2, 0, NULL));
	group2 = vfio_open_group(vfio_mock_group(MOCK_ID2));
	ASSERT_LE(0, group2);
	EXPECT_EQ(-EINVAL, vfio_group_set_container(self->group, group2));
	close(group2);
	ASSERT_EQ(0, vfio_mock_destroy(MOCK_ID2));
	EXPECT_EQ(0, vfio_mock_iommu_stat("groups"));
}

TEST_F(group, double_set_container)
{
	int other = vfio_open_container();

	ASSERT_LE(0, other);
	ASSERT_EQ(0, vfio_group_set_container(self->group, self->container));
	EXPECT_EQ(-EINVAL, vfio_group_set_container(self->group,
						    self->container));
	EXPECT_EQ(-EINVAL, vfio_group_set_container(self->group, other));
	close(other);
}

TEST_F(group, unset_container)
{
	unsigned int flags;

	EXPECT_EQ(-EINVAL, vfio_ioctl(self->group, VFIO_GROUP_UNSET_CONTAINER,
				      NULL));
	ASSERT_EQ(0, vfio_group_set_container(self->group, self->container));
	ASSERT_EQ(0, vfio_ioctl(self->container, VFIO_SET_IOMMU,
				VFIO_MOCK_IOMMU));
	EXPECT_EQ(1, vfio_mock_iommu_stat("instances"));
	EXPECT_EQ(1, vfio_mock_iommu_stat("groups"));

	/* The last group out takes the backend instance with it. */
	ASSERT_EQ(0, vfio_ioctl(self->group, VFIO_GROUP_UNSET_CONTAINER,
				NULL));
	EXPECT_EQ(0, vfio_mock_iommu_stat("instances"));
	EXPECT_EQ(0, vfio_mock_iommu_stat("groups"));
	ASSERT_EQ(0, vfio_group_status(self->group, &flags));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE, flags);
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->group, VFIO_GROUP_UNSET_CONTAINER,
				      NULL));

	/* The container is like new: it takes the group and a type again. */
	ASSERT_EQ(0, vfio_group_set_container(self->group, self->container));
	EXPECT_EQ(0, vfio_ioctl(self->container, VFIO_SET_IOMMU,
				VFIO_MOCK_IOMMU));
}

TEST_F(group, set_iommu)
{
	ASSERT_EQ(0, vfio_group_set_container(self->group, self->container));
	/* No backend serves these: type1 is not what this test loads. */
	EXPECT_EQ(-ENODEV, vfio_ioctl(self->container, VFIO_SET_IOMMU,
				      VFIO_MOCK_IOMMU + 1));
	EXPECT_EQ(0, vfio_mock_iommu_stat("instances"));
	ASSERT_EQ(0, vfio_ioctl(self->container, VFIO_SET_IOMMU,
				VFIO_MOCK_IOMMU));
	/* Chosen once. */
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->container, VFIO_SET_IOMMU,
				      VFIO_MOCK_IOMMU));
	EXPECT_EQ(1, vfio_mock_iommu_stat("instances"));
	/* From now on the backend answers, and for its type only. */
	EXPECT_EQ(1, ioctl(self->container, VFIO_CHECK_EXTENSION,
			   VFIO_MOCK_IOMMU));
	EXPECT_EQ(-ENOTTY, vfio_ioctl(self->container, VFIO_IOMMU_MAP_DMA,
				      NULL));
}

static long long module_refcnt(const char *module)
{
	char path[128];
	long long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", module);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* A container using a backend pins the backend's module. */
TEST_F(group, backend_module_pinned)
{
	long long base = module_refcnt("vfio_mock");

	ASSERT_LE(0, base);
	ASSERT_EQ(0, vfio_group_set_container(self->group, self->container));
	EXPECT_EQ(base, module_refcnt("vfio_mock"));
	ASSERT_EQ(0, vfio_ioctl(self->container, VFIO_SET_IOMMU,
				VFIO_MOCK_IOMMU));
	EXPECT_EQ(base + 1, module_refcnt("vfio_mock"));
	EXPECT_NE(0, vfio_sh("rmmod vfio_mock 2>/dev/null"));
	EXPECT_TRUE(vfio_module_loaded("vfio_mock"));

	/* The last group out releases the backend and its module. */
	ASSERT_EQ(0, vfio_ioctl(self->group, VFIO_GROUP_UNSET_CONTAINER,
				NULL));
	EXPECT_EQ(base, module_refcnt("vfio_mock"));
}

TEST_F(group, two_groups_one_container)
{
	int group2;

	ASSERT_EQ(0, vfio_mock_create(MOCK_ID2, 0, NULL));
	group2 = vfio_open_group(vfio_mock_group(MOCK_ID2));
	ASSERT_LE(0, group2);

	ASSERT_EQ(0, vfio_group_set_container(self->group, self->container));
	ASSERT_EQ(0, vfio_ioctl(self->container, VFIO_SET_IOMMU,
				VFIO_MOCK_IOMMU));
	/* A group joining later is attached to the live backend. */
	ASSERT_EQ(0, vfio_group_set_container(group2, self->container));
	EXPECT_EQ(2, vfio_mock_iommu_stat("groups"));
	EXPECT_EQ(1, vfio_mock_iommu_stat("instances"));

	ASSERT_EQ(0, vfio_ioctl(self->group, VFIO_GROUP_UNSET_CONTAINER,
				NULL));
	EXPECT_EQ(1, vfio_mock_iommu_stat("groups"));
	EXPECT_EQ(1, vfio_mock_iommu_stat("instances"));

	/* Closing the group file detaches it too. */
	close(group2);
	EXPECT_EQ(0, vfio_mock_iommu_stat("groups"));
	EXPECT_EQ(0, vfio_mock_iommu_stat("instances"));
	ASSERT_EQ(0, vfio_mock_destroy(MOCK_ID2));
}

TEST_F(group, get_device_fd)
{
	char name[32];
	int dev, dev2;

	vfio_mock_name(MOCK_ID, name, sizeof(name));
	/* No container, or no IOMMU type yet: no device. */
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD,
				      name));
	ASSERT_EQ(0, vfio_group_set_container(self->group, self->container));
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD,
				      name));
	ASSERT_EQ(0, vfio_ioctl(self->container, VFIO_SET_IOMMU,
				VFIO_MOCK_IOMMU));

	EXPECT_EQ(-ENODEV, vfio_ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD,
				      "vfio-mock.999"));
	EXPECT_EQ(-ENODEV, vfio_ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD,
				      ""));
	EXPECT_EQ(-EFAULT, vfio_ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD,
				      NULL));

	dev = vfio_ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD, name);
	ASSERT_LE(0, dev);
	EXPECT_EQ(FD_CLOEXEC, fcntl(dev, F_GETFD) & FD_CLOEXEC);
	dev2 = vfio_ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD, name);
	ASSERT_LE(0, dev2);

	/* Open device files pin the group to its container. */
	EXPECT_EQ(-EBUSY, vfio_ioctl(self->group, VFIO_GROUP_UNSET_CONTAINER,
				     NULL));
	close(dev);
	EXPECT_EQ(-EBUSY, vfio_ioctl(self->group, VFIO_GROUP_UNSET_CONTAINER,
				     NULL));
	close(dev2);
	EXPECT_EQ(0, vfio_ioctl(self->group, VFIO_GROUP_UNSET_CONTAINER,
				NULL));
}

/* The device file keeps the group file, and with it the attachment. */
TEST_F(group, device_outlives_group_fd)
{
	char name[32];
	int dev;

	vfio_mock_name(MOCK_ID, name, sizeof(name));
	ASSERT_EQ(0, vfio_group_set_container(self->group, self->container));
	ASSERT_EQ(0, vfio_ioctl(self->container, VFIO_SET_IOMMU,
				VFIO_MOCK_IOMMU));
	dev = vfio_ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD, name);
	ASSERT_LE(0, dev);

	close(self->group);
	close(self->container);
	EXPECT_EQ(1, vfio_mock_iommu_stat("groups"));
	EXPECT_EQ(1, vfio_mock_iommu_stat("instances"));
	/* The group is still owned: nobody else may open it meanwhile. */
	EXPECT_EQ(-EBUSY, vfio_open_group(self->group_nr));

	close(dev);
	EXPECT_EQ(0, vfio_mock_iommu_stat("groups"));
	EXPECT_EQ(0, vfio_mock_iommu_stat("instances"));
	self->group = vfio_open_group(self->group_nr);
	ASSERT_LE(0, self->group);
	self->container = vfio_open_container();
	ASSERT_LE(0, self->container);
}

TEST_F(group, unknown_ioctl)
{
	EXPECT_EQ(-ENOTTY, vfio_ioctl(self->group, _IO(VFIO_TYPE,
						       VFIO_BASE + 99), NULL));
	EXPECT_EQ(-ENOTTY, vfio_ioctl(self->group, VFIO_GET_API_VERSION,
				      NULL));
	EXPECT_EQ(-ENOTTY, vfio_ioctl(self->group, VFIO_DEVICE_RESET, NULL));
}

/* A group whose last device went away answers -ENODEV. */
TEST_F(group, device_removed_under_open_group)
{
	unsigned int flags;
	char path[64];

	ASSERT_EQ(0, vfio_group_set_container(self->group, self->container));
	ASSERT_EQ(0, vfio_ioctl(self->container, VFIO_SET_IOMMU,
				VFIO_MOCK_IOMMU));
	ASSERT_EQ(0, vfio_mock_destroy(MOCK_ID));

	EXPECT_EQ(-ENODEV, vfio_group_status(self->group, &flags));
	/* It left its container, which lost its backend with it. */
	EXPECT_EQ(0, vfio_mock_iommu_stat("groups"));
	EXPECT_EQ(0, vfio_mock_iommu_stat("instances"));
	snprintf(path, sizeof(path), "/dev/vfio/%d", self->group_nr);
	EXPECT_NE(0, access(path, F_OK));
	EXPECT_EQ(-ENODEV, vfio_group_set_container(self->group,
						    self->container));
}

/* Bad create requests of the mock are refused by its parser. */
TEST(mock_bad_create)
{
	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	EXPECT_EQ(-EINVAL, vfio_mock_create(5000, 0, NULL));
	EXPECT_EQ(-EINVAL, vfio_mock_create(1, 64, NULL));
	EXPECT_EQ(-EINVAL, vfio_mock_create(1, 0, "bogus"));
	EXPECT_EQ(-EINVAL, vfio_write_file(VFIO_MOCK_DEBUGFS "/create", "x"));
	EXPECT_EQ(-ENODEV, vfio_mock_destroy(1));
	ASSERT_EQ(0, vfio_mock_create(1, 0, NULL));
	EXPECT_EQ(-EEXIST, vfio_mock_create(1, 0, NULL));
	EXPECT_EQ(0, vfio_mock_destroy(1));
}

TEST_HARNESS_MAIN
