// SPDX-License-Identifier: GPL-2.0-only
/*
 * Instances that go away while userspace holds them: removal through
 * sysfs and withdrawing the parent (unbinding the parent's own driver)
 * both block while the instance is open, ask userspace to let go through
 * the request interrupt, and complete once it closes.  Meanwhile the
 * instance cannot be opened again, and a parent being withdrawn accepts
 * no new instance.  The driver module itself cannot be unloaded while an
 * instance is open.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "../kselftest_harness.h"
#include "mdev_test_util.h"

#define PARENT	"mcounter"
#define BASIC	"mcounter-basic"

/* A blocking operation run in a thread, so the test can watch it. */
struct pending {
	pthread_t thread;
	unsigned int n;		/* instance to remove, for remove_thread */
	atomic_bool done;
	int ret;
};

static void *remove_thread(void *arg)
{
	struct pending *p = arg;

	p->ret = mdev_remove(p->n);
	p->done = true;
	return NULL;
}

#define PARENT_DRIVER	"/sys/bus/platform/drivers/mcounter"

static void *unbind_thread(void *arg)
{
	struct pending *p = arg;

	p->ret = vfio_write_file(PARENT_DRIVER "/unbind", PARENT);
	p->done = true;
	return NULL;
}

static int start(struct pending *p, void *(*fn)(void *), unsigned int n)
{
	p->n = n;
	p->done = false;
	p->ret = -1;
	return pthread_create(&p->thread, NULL, fn, p);
}

/* Wait up to MS milliseconds for the operation; returns whether it ended. */
static bool finished(struct pending *p, int ms)
{
	while (!p->done && ms > 0) {
		usleep(10000);
		ms -= 10;
	}
	if (p->done)
		pthread_join(p->thread, NULL);
	return p->done;
}

static int open_again(struct vfio_mock_handle *h, unsigned int n)
{
	char uuid[40];

	mdev_uuid(uuid, sizeof(uuid), n);
	return vfio_ioctl(h->group, VFIO_GROUP_GET_DEVICE_FD, uuid);
}

static bool instance_dir_exists(unsigned int n)
{
	char path[256], uuid[40];

	mdev_uuid(uuid, sizeof(uuid), n);
	snprintf(path, sizeof(path), "/sys/devices/platform/" PARENT "/%s",
		 uuid);
	return access(path, F_OK) == 0;
}

/* Instances on the mdev bus, of any parent. */
static int count_bus_instances(void)
{
	struct dirent *e;
	DIR *d = opendir(MDEV_BUS_DEVICES);
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

FIXTURE(lifecycle) {
	struct vfio_mock_handle h;
	int req;
};

FIXTURE_SETUP(lifecycle)
{
	self->req = -1;
	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	ASSERT_EQ(0, vfio_modprobe("mcounter"));
	mdev_remove_test_instances();
	ASSERT_EQ(0, mdev_create(PARENT, BASIC, 20));
	ASSERT_EQ(0, mdev_open(&self->h, 20, VFIO_MOCK_IOMMU));
	self->req = mdev_irq_eventfd(self->h.device, VFIO_PCI_REQ_IRQ_INDEX);
	ASSERT_LE(0, self->req);
}

FIXTURE_TEARDOWN(lifecycle)
{
	vfio_mock_handle_close(&self->h);
	if (self->req >= 0)
		close(self->req);
	EXPECT_EQ(0, mdev_unload("mcounter"));
}

TEST_F(lifecycle, remove_while_open)
{
	struct pending p;
	int second;

	ASSERT_EQ(0, start(&p, remove_thread, 20));
	EXPECT_FALSE(finished(&p, 500));
	/* The driver relayed the core's request to our eventfd. */
	EXPECT_LE(1, mdev_eventfd_wait(self->req, 2000));
	/*
	 * Gone from the bus, but its directory stays under the parent until
	 * the driver let go of it; it can no longer be opened.
	 */
	EXPECT_FALSE(mdev_exists(20));
	EXPECT_TRUE(instance_dir_exists(20));
	second = open_again(&self->h, 20);
	EXPECT_GT(0, second);
	if (second >= 0)
		close(second);
	/* A second remove of the same instance is refused at once. */
	EXPECT_EQ(-ENOENT, mdev_remove(20));

	vfio_mock_handle_close(&self->h);
	ASSERT_TRUE(finished(&p, 5000));
	EXPECT_EQ(0, p.ret);
	EXPECT_FALSE(instance_dir_exists(20));
	EXPECT_EQ(4, mdev_available(PARENT, BASIC));
}

/* Removal of an instance that is not open does not wait for anyone. */
TEST_F(lifecycle, other_instances_unaffected)
{
	struct pending p;

	ASSERT_EQ(0, mdev_create(PARENT, BASIC, 21));
	ASSERT_EQ(0, start(&p, remove_thread, 20));
	EXPECT_FALSE(finished(&p, 300));
	/* Another instance of the same parent comes and goes meanwhile. */
	EXPECT_EQ(0, mdev_remove(21));
	EXPECT_EQ(0, mdev_create(PARENT, BASIC, 22));
	EXPECT_EQ(0, mdev_remove(22));

	vfio_mock_handle_close(&self->h);
	ASSERT_TRUE(finished(&p, 5000));
	EXPECT_EQ(0, p.ret);
}

/* Unloading the parent's driver removes idle instances right away. */
TEST_F(lifecycle, unload_with_idle_instances)
{
	char path[256];

	vfio_mock_handle_close(&self->h);
	ASSERT_EQ(0, mdev_create(PARENT, BASIC, 23));
	ASSERT_EQ(0, mdev_unload("mcounter"));
	EXPECT_FALSE(mdev_exists(20));
	EXPECT_FALSE(mdev_exists(23));
	EXPECT_NE(0, access(MDEV_PARENTS "/" PARENT, F_OK));

	/* And it comes back clean. */
	ASSERT_EQ(0, vfio_modprobe("mcounter"));
	EXPECT_EQ(4, mdev_available(PARENT, BASIC));
	mdev_type_dir(path, sizeof(path), PARENT, BASIC);
	strcat(path, "/devices");
	EXPECT_EQ(0, access(path, F_OK));
	EXPECT_EQ(0, mdev_create(PARENT, BASIC, 23));
}

/* The module of an open instance's driver is in use. */
TEST_F(lifecycle, unload_while_open)
{
	__u32 v;

	EXPECT_EQ(-EBUSY, mdev_unload("mcounter"));
	EXPECT_TRUE(mdev_exists(20));
	ASSERT_EQ(0, mdev_read32(self->h.device, VFIO_PCI_BAR0_REGION_INDEX,
				 MCOUNTER_REG_MAGIC, &v));
	EXPECT_EQ(MCOUNTER_MAGIC, v);
	vfio_mock_handle_close(&self->h);
	EXPECT_EQ(0, mdev_unload("mcounter"));
	EXPECT_FALSE(instance_dir_exists(20));
}

/*
 * Withdrawing a parent with an open instance blocks until it is closed;
 * meanwhile the parent takes no new instance and lets no other be removed,
 * since it is removing them all itself.
 */
TEST_F(lifecycle, unbind_parent_while_open)
{
	struct pending p;

	ASSERT_EQ(0, mdev_create(PARENT, BASIC, 24));
	ASSERT_EQ(0, start(&p, unbind_thread, 0));
	EXPECT_FALSE(finished(&p, 800));
	EXPECT_LE(1, mdev_eventfd_wait(self->req, 2000));

	/* The class link went first; the type directory is still there. */
	EXPECT_NE(0, access(MDEV_PARENTS "/" PARENT, F_OK));
	EXPECT_EQ(-ENODEV, vfio_write_file("/sys/devices/platform/" PARENT
		"/mdev_supported_types/" BASIC "/create",
		"0b5e55ed-0000-4000-8000-000000000019"));
	EXPECT_FALSE(mdev_exists(25));
	EXPECT_TRUE(mdev_exists(24));
	EXPECT_EQ(-ENODEV, mdev_remove(24));

	vfio_mock_handle_close(&self->h);
	ASSERT_TRUE(finished(&p, 5000));
	EXPECT_EQ(0, p.ret);
	EXPECT_FALSE(instance_dir_exists(20));
	EXPECT_FALSE(instance_dir_exists(24));
	EXPECT_NE(0, access("/sys/devices/platform/" PARENT
			    "/mdev_supported_types", F_OK));

	/* Bound again, the parent offers its types afresh. */
	ASSERT_EQ(0, vfio_write_file(PARENT_DRIVER "/bind", PARENT));
	EXPECT_EQ(4, mdev_available(PARENT, BASIC));
	EXPECT_EQ(0, mdev_create(PARENT, BASIC, 24));
}

/* A thread creating and removing one instance over and over. */
struct churner {
	pthread_t thread;
	unsigned int n;
	atomic_bool *stop;
	int rounds;
	int unexpected;		/* an errno no racing request may see */
};

static bool expected_while_withdrawn(int ret)
{
	/* The parent refuses, or its files are already gone. */
	return !ret || ret == -ENODEV || ret == -ENOENT;
}

static void *churn_thread(void *arg)
{
	struct churner *c = arg;
	int ret;

	while (!*c->stop) {
		ret = mdev_create(PARENT, BASIC, c->n);
		if (!expected_while_withdrawn(ret))
			c->unexpected = ret;
		if (!ret) {
			ret = mdev_remove(c->n);
			if (!expected_while_withdrawn(ret))
				c->unexpected = ret;
		}
		c->rounds++;
	}
	return NULL;
}

/*
 * Withdrawing a parent while creations and removals race with it: each
 * either completes or is refused, and nothing is left behind.
 */
TEST_F(lifecycle, unbind_racing_churn)
{
	atomic_bool stop = false;
	struct churner c[3];	/* the budget left beside the fixture's */
	unsigned int i;

	vfio_mock_handle_close(&self->h);
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		c[i] = (struct churner){ .n = 40 + i, .stop = &stop };
		ASSERT_EQ(0, pthread_create(&c[i].thread, NULL, churn_thread,
					    &c[i]));
	}
	usleep(200000);
	EXPECT_EQ(0, vfio_write_file(PARENT_DRIVER "/unbind", PARENT));
	usleep(100000);
	stop = true;
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		pthread_join(c[i].thread, NULL);
		EXPECT_EQ(0, c[i].unexpected) TH_LOG("churner %u", i);
		EXPECT_LT(0, c[i].rounds);
	}
	EXPECT_EQ(0, count_bus_instances());
	EXPECT_NE(0, access("/sys/devices/platform/" PARENT
			    "/mdev_supported_types", F_OK));

	ASSERT_EQ(0, vfio_write_file(PARENT_DRIVER "/bind", PARENT));
	EXPECT_EQ(4, mdev_available(PARENT, BASIC));
}

TEST_HARNESS_MAIN
