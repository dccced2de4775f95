// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device files: open/close_device counting across device sets, the
 * device fd's dispatch, unregistration while open, and registration with
 * the backend for dma_unmap.
 */
#include <pthread.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "vfio_test_util.h"

#define DEV_A	20
#define DEV_B	21
#define DEV_C	22
#define SET	5

static int open_device(struct vfio_mock_handle *h, unsigned int id)
{
	char name[32];
	int fd;

	vfio_mock_name(id, name, sizeof(name));
	fd = vfio_ioctl(h->group, VFIO_GROUP_GET_DEVICE_FD, name);
	return fd;
}

FIXTURE(device_set) {
	struct vfio_mock_handle a, b;
};

FIXTURE_SETUP(device_set)
{
	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	vfio_mock_destroy(DEV_A);
	vfio_mock_destroy(DEV_B);
	ASSERT_EQ(0, vfio_mock_create(DEV_A, SET, NULL));
	ASSERT_EQ(0, vfio_mock_create(DEV_B, SET, NULL));
	ASSERT_EQ(0, vfio_mock_handle_open(&self->a, DEV_A, VFIO_MOCK_IOMMU));
	ASSERT_EQ(0, vfio_mock_handle_open(&self->b, DEV_B, VFIO_MOCK_IOMMU));
}

FIXTURE_TEARDOWN(device_set)
{
	vfio_mock_handle_close(&self->a);
	vfio_mock_handle_close(&self->b);
	EXPECT_EQ(0, vfio_mock_destroy(DEV_A));
	EXPECT_EQ(0, vfio_mock_destroy(DEV_B));
	EXPECT_EQ(0, vfio_mock_iommu_stat("instances"));
	EXPECT_EQ(0, vfio_mock_iommu_stat("groups"));
}

/* open_device on the first open only, close_device on the last close. */
TEST_F(device_set, open_count)
{
	int a2, a3;

	EXPECT_EQ(1, vfio_mock_stat(DEV_A, "opens"));
	EXPECT_EQ(0, vfio_mock_stat(DEV_A, "closes"));
	a2 = open_device(&self->a, DEV_A);
	ASSERT_LE(0, a2);
	a3 = open_device(&self->a, DEV_A);
	ASSERT_LE(0, a3);
	EXPECT_EQ(1, vfio_mock_stat(DEV_A, "opens"));

	close(self->a.device);
	close(a2);
	EXPECT_EQ(0, vfio_mock_stat(DEV_A, "closes"));
	close(a3);
	self->a.device = -1;
	EXPECT_EQ(1, vfio_mock_stat(DEV_A, "closes"));

	/* A new first open calls open_device again. */
	self->a.device = open_device(&self->a, DEV_A);
	ASSERT_LE(0, self->a.device);
	EXPECT_EQ(2, vfio_mock_stat(DEV_A, "opens"));
}

/* The set's open count, seen by the driver, spans its members. */
TEST_F(device_set, set_open_count)
{
	/* B opened second, so it saw A's file open plus its own. */
	EXPECT_EQ(1, vfio_mock_stat(DEV_A, "set_open_count"));
	EXPECT_EQ(2, vfio_mock_stat(DEV_B, "set_open_count"));

	close(self->a.device);
	self->a.device = -1;
	/* close_device runs before the count drops. */
	EXPECT_EQ(2, vfio_mock_stat(DEV_A, "set_open_count"));
	close(self->b.device);
	self->b.device = -1;
	EXPECT_EQ(1, vfio_mock_stat(DEV_B, "set_open_count"));
}

/* A device in a set of its own does not count the others. */
TEST_F(device_set, separate_sets)
{
	struct vfio_mock_handle c;

	ASSERT_EQ(0, vfio_mock_create(DEV_C, 0, NULL));
	ASSERT_EQ(0, vfio_mock_handle_open(&c, DEV_C, VFIO_MOCK_IOMMU));
	EXPECT_EQ(1, vfio_mock_stat(DEV_C, "set_open_count"));
	vfio_mock_handle_close(&c);
	EXPECT_EQ(0, vfio_mock_destroy(DEV_C));
}

struct opener {
	struct vfio_mock_handle *h;
	unsigned int id;
	int rounds;
	int errors;
};

static void *open_close_loop(void *arg)
{
	struct opener *o = arg;
	int i, fd;

	for (i = 0; i < o->rounds; i++) {
		fd = open_device(o->h, o->id);
		if (fd < 0) {
			o->errors++;
			continue;
		}
		close(fd);
	}
	return NULL;
}

/*
 * Members' callbacks never run at the same time: the mock sleeps inside
 * each one and flags any overlap within the set.
 */
TEST_F(device_set, callbacks_serialised)
{
	struct opener oa = { &self->a, DEV_A, 8, 0 };
	struct opener ob = { &self->b, DEV_B, 8, 0 };
	pthread_t ta, tb;

	/* Close the fixture's files so every open below is a first open. */
	close(self->a.device);
	close(self->b.device);
	self->a.device = self->b.device = -1;

	ASSERT_EQ(0, pthread_create(&ta, NULL, open_close_loop, &oa));
	ASSERT_EQ(0, pthread_create(&tb, NULL, open_close_loop, &ob));
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	EXPECT_EQ(0, oa.errors);
	EXPECT_EQ(0, ob.errors);
	EXPECT_EQ(9, vfio_mock_stat(DEV_A, "opens"));
	EXPECT_EQ(9, vfio_mock_stat(DEV_B, "closes"));
	EXPECT_EQ(0, vfio_mock_stat(DEV_A, "overlap"));
	EXPECT_EQ(0, vfio_mock_stat(DEV_B, "overlap"));
}

FIXTURE(device) {
	struct vfio_mock_handle h;
};

FIXTURE_SETUP(device)
{
	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	vfio_mock_destroy(DEV_A);
	ASSERT_EQ(0, vfio_mock_create(DEV_A, 0, "unmap"));
	ASSERT_EQ(0, vfio_mock_handle_open(&self->h, DEV_A, VFIO_MOCK_IOMMU));
}

FIXTURE_TEARDOWN(device)
{
	vfio_mock_handle_close(&self->h);
	vfio_mock_destroy(DEV_A);
	EXPECT_EQ(0, vfio_mock_iommu_stat("instances"));
	EXPECT_EQ(0, vfio_mock_iommu_stat("devices"));
}

TEST_F(device, dispatch)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	char buf[16];
	void *map;

	EXPECT_EQ(0, vfio_ioctl(self->h.device, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_EQ(0, info.num_regions);
	/* The driver's answer for what it does not know. */
	EXPECT_EQ(-ENOTTY, vfio_ioctl(self->h.device, VFIO_DEVICE_RESET, NULL));
	/* No read/write/mmap callbacks: -EINVAL from the core. */
	EXPECT_EQ(-1, read(self->h.device, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pwrite(self->h.device, buf, sizeof(buf), 0));
	EXPECT_EQ(EINVAL, errno);
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->h.device, 0);
	EXPECT_EQ(MAP_FAILED, map);
	EXPECT_EQ(EINVAL, errno);
	/* Regions are reached by offset; there is no seeking (6.1: ESPIPE). */
	EXPECT_EQ(-1, lseek(self->h.device, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	/* Container and group ioctls mean nothing on a device. */
	EXPECT_EQ(-ENOTTY, vfio_ioctl(self->h.device, VFIO_GROUP_GET_STATUS,
				      &info));
}

TEST_F(device, feature_validation)
{
	struct {
		struct vfio_device_feature hdr;
		struct vfio_device_feature_migration mig;
	} f = { .hdr.argsz = sizeof(f) };
	__u32 dir = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET;

	/* The mock cannot migrate and has no features of its own. */
	f.hdr.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION;
	EXPECT_EQ(-ENOTTY, vfio_ioctl(self->h.device, VFIO_DEVICE_FEATURE, &f));
	f.hdr.flags = VFIO_DEVICE_FEATURE_GET | 77;
	EXPECT_EQ(-ENOTTY, vfio_ioctl(self->h.device, VFIO_DEVICE_FEATURE, &f));

	/* Malformed requests are refused before anyone looks at them. */
	f.hdr.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION;
	f.hdr.argsz = sizeof(f.hdr) - 1;
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->h.device, VFIO_DEVICE_FEATURE, &f));
	f.hdr.argsz = sizeof(f);
	f.hdr.flags = dir | VFIO_DEVICE_FEATURE_MIGRATION;
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->h.device, VFIO_DEVICE_FEATURE, &f));
	f.hdr.flags = VFIO_DEVICE_FEATURE_GET | (1u << 20);
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->h.device, VFIO_DEVICE_FEATURE, &f));
	EXPECT_EQ(-EFAULT, vfio_ioctl(self->h.device, VFIO_DEVICE_FEATURE,
				      NULL));
}

/* A device with a dma_unmap callback is known to the backend while open. */
TEST_F(device, dma_unmap_registration)
{
	int dev2;

	EXPECT_EQ(1, vfio_mock_iommu_stat("devices"));
	dev2 = open_device(&self->h, DEV_A);
	ASSERT_LE(0, dev2);
	EXPECT_EQ(1, vfio_mock_iommu_stat("devices"));
	close(dev2);
	close(self->h.device);
	self->h.device = -1;
	EXPECT_EQ(0, vfio_mock_iommu_stat("devices"));
}

TEST(no_dma_unmap_no_registration)
{
	struct vfio_mock_handle h;

	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	vfio_mock_destroy(DEV_B);
	ASSERT_EQ(0, vfio_mock_create(DEV_B, 0, NULL));
	ASSERT_EQ(0, vfio_mock_handle_open(&h, DEV_B, VFIO_MOCK_IOMMU));
	EXPECT_EQ(0, vfio_mock_iommu_stat("devices"));
	vfio_mock_handle_close(&h);
	EXPECT_EQ(0, vfio_mock_destroy(DEV_B));
}

/* The mock backend cannot pin: the core reports that, nothing is held. */
TEST_F(device, pin_without_backend_support)
{
	struct vfio_mock_pin pin = {
		.argsz = sizeof(pin), .iova = 0x100000, .npages = 1,
	};

	EXPECT_EQ(-ENOTTY, vfio_ioctl(self->h.device, VFIO_MOCK_PIN, &pin));
	EXPECT_EQ(0, vfio_mock_stat(DEV_A, "pinned"));
}

/*
 * Unregistering an open device blocks, asks userspace to let go through
 * the request callback, and completes once the last file is closed.
 */
TEST_F(device, unregister_while_open)
{
	int status, i;
	pid_t child;

	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		/* The device must not stay open through inherited fds. */
		vfio_mock_handle_close(&self->h);
		_exit(vfio_mock_destroy(DEV_A) ? 1 : 0);
	}

	for (i = 0; i < 100 && vfio_mock_stat(DEV_A, "requests") < 1; i++)
		usleep(20000);
	EXPECT_LE(1, vfio_mock_stat(DEV_A, "requests"));
	/* Still blocked: the device is open. */
	usleep(100000);
	EXPECT_EQ(0, waitpid(child, &status, WNOHANG));
	/* New opens fail while unregistering. */
	EXPECT_EQ(-ENODEV, open_device(&self->h, DEV_A));

	close(self->h.device);
	self->h.device = -1;
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* Its debugfs directory went with it. */
	EXPECT_EQ(-1, vfio_mock_stat(DEV_A, "closes"));
}

TEST_HARNESS_MAIN
