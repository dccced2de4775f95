// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev.ko's sysfs interface, driven with the mcounter sample: the layout
 * of parents, types and instances, creating and removing instances, the
 * accounting of available_instances, the errors of bad writes, and the
 * instance as a VFIO device (its own group, its regions and its MSI).
 */
#include <pthread.h>
#include <sys/stat.h>

#include "../kselftest_harness.h"
#include "mdev_test_util.h"

#define PARENT	"mcounter"
#define BASIC	"mcounter-basic"
#define WIDE	"mcounter-wide"
#define TOTAL	4	/* mcounter's default "instances" */

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* basename of the target of symlink PATH, or "" */
static const char *link_name(const char *path)
{
	static char target[PATH_MAX];
	ssize_t len = readlink(path, target, sizeof(target) - 1);

	if (len < 0)
		return "";
	target[len] = '\0';
	return basename(target);
}

static int count_entries(const char *dir)
{
	struct dirent *e;
	int n = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

FIXTURE(mdev) {
	char basic[256];
	char wide[256];
};

FIXTURE_SETUP(mdev)
{
	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	ASSERT_EQ(0, vfio_modprobe("mcounter"));
	mdev_remove_test_instances();
	mdev_type_dir(self->basic, sizeof(self->basic), PARENT, BASIC);
	mdev_type_dir(self->wide, sizeof(self->wide), PARENT, WIDE);
}

/* Unloading removes what a failed test left behind. */
FIXTURE_TEARDOWN(mdev)
{
	EXPECT_EQ(0, mdev_unload("mcounter"));
}

TEST_F(mdev, parent_and_type_layout)
{
	static const char * const files[] = {
		"create", "available_instances", "device_api", "name",
		"description",
	};
	char path[512], text[128];
	struct stat st;
	unsigned int i;

	/* The class link leads to the parent device itself. */
	EXPECT_TRUE(is_dir(MDEV_PARENTS "/" PARENT "/mdev_supported_types"));
	EXPECT_EQ(2, count_entries(MDEV_PARENTS "/" PARENT
				   "/mdev_supported_types"));

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", self->basic, files[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("missing %s", path);
		EXPECT_EQ(i ? 0444 : 0200, st.st_mode & 0777);
	}
	snprintf(path, sizeof(path), "%s/devices", self->wide);
	EXPECT_TRUE(is_dir(path));
	EXPECT_EQ(0, count_entries(path));

	snprintf(path, sizeof(path), "%s/device_api", self->basic);
	ASSERT_EQ(0, mdev_read_text(path, text, sizeof(text)));
	EXPECT_STREQ("vfio-pci", text);
	snprintf(path, sizeof(path), "%s/name", self->wide);
	ASSERT_EQ(0, mdev_read_text(path, text, sizeof(text)));
	EXPECT_STREQ("mcounter, 64 KiB BAR", text);
	snprintf(path, sizeof(path), "%s/description", self->wide);
	ASSERT_EQ(0, mdev_read_text(path, text, sizeof(text)));
	EXPECT_STREQ("PCI function, BAR0 64 KiB, 1 MSI", text);
	/* "create" cannot be read, even by root. */
	snprintf(path, sizeof(path), "%s/create", self->basic);
	EXPECT_EQ(-EACCES, mdev_read_text(path, text, sizeof(text)));
}

TEST_F(mdev, create_and_remove)
{
	char path[512], dev[256], uuid[40];
	int group;

	mdev_uuid(uuid, sizeof(uuid), 1);
	ASSERT_EQ(0, mdev_create(PARENT, BASIC, 1));
	mdev_dev_path(dev, sizeof(dev), 1, NULL);
	ASSERT_TRUE(is_dir(dev));

	snprintf(path, sizeof(path), "%s/mdev_type", dev);
	EXPECT_STREQ(BASIC, link_name(path));
	snprintf(path, sizeof(path), "%s/driver", dev);
	EXPECT_STREQ("mcounter", link_name(path));
	snprintf(path, sizeof(path), "%s/devices/%s", self->basic, uuid);
	EXPECT_STREQ(uuid, link_name(path));
	/* The instance is a child of the parent device. */
	snprintf(path, sizeof(path), MDEV_PARENTS "/" PARENT "/%s", uuid);
	EXPECT_TRUE(is_dir(path));

	/* Its own IOMMU group, with a VFIO group node. */
	group = mdev_group(1);
	ASSERT_LE(0, group);
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	EXPECT_EQ(0, access(path, F_OK));

	ASSERT_EQ(0, mdev_remove(1));
	EXPECT_FALSE(mdev_exists(1));
	EXPECT_NE(0, access(path, F_OK));
	snprintf(path, sizeof(path), "%s/devices", self->basic);
	EXPECT_EQ(0, count_entries(path));
	/* The UUID can be used again. */
	ASSERT_EQ(0, mdev_create(PARENT, WIDE, 1));
	EXPECT_EQ(0, mdev_remove(1));
}

/* mdev.ko counts instances of all types of a parent against one budget. */
TEST_F(mdev, available_instances)
{
	unsigned int n;

	EXPECT_EQ(TOTAL, mdev_available(PARENT, BASIC));
	EXPECT_EQ(TOTAL, mdev_available(PARENT, WIDE));
	for (n = 0; n < TOTAL; n++) {
		ASSERT_EQ(0, mdev_create(PARENT, n % 2 ? WIDE : BASIC, n));
		EXPECT_EQ(TOTAL - n - 1, mdev_available(PARENT, BASIC));
		EXPECT_EQ(TOTAL - n - 1, mdev_available(PARENT, WIDE));
	}
	EXPECT_EQ(-EUSERS, mdev_create(PARENT, BASIC, 10));
	EXPECT_EQ(-EUSERS, mdev_create(PARENT, WIDE, 10));
	EXPECT_FALSE(mdev_exists(10));

	ASSERT_EQ(0, mdev_remove(2));
	EXPECT_EQ(1, mdev_available(PARENT, WIDE));
	EXPECT_EQ(0, mdev_create(PARENT, WIDE, 10));
	EXPECT_EQ(0, mdev_available(PARENT, BASIC));
	mdev_remove_test_instances();
	EXPECT_EQ(TOTAL, mdev_available(PARENT, BASIC));
}

TEST_F(mdev, malformed_uuid)
{
	static const char * const bad[] = {
		"hello",
		"0b5e55ed-0000-4000-8000-00000000000",		/* short */
		"0b5e55ed-0000-4000-8000-0000000000011",	/* long */
		"0b5e55ed-0000-4000-8000-00000000000g",		/* not hex */
		"0b5e55ed00000-4000-8000-000000000001",		/* dashes */
		"0b5e55ed-0000-4000-8000-000000000001\n\n",
		"0b5e55ed-0000-4000-8000-000000000001 ",
		" 0b5e55ed-0000-4000-8000-000000000001",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, mdev_create_text(PARENT, BASIC, bad[i]))
			TH_LOG("wrote \"%s\"", bad[i]);
	}
	EXPECT_EQ(0, count_entries(MDEV_BUS_DEVICES));
	EXPECT_EQ(TOTAL, mdev_available(PARENT, BASIC));

	/* With one trailing newline, or in upper case, it is fine. */
	EXPECT_EQ(0, mdev_create_text(PARENT, BASIC,
				      "0b5e55ed-0000-4000-8000-000000000001\n"));
	EXPECT_TRUE(mdev_exists(1));
	EXPECT_EQ(0, mdev_create_text(PARENT, BASIC,
				      "0B5E55ED-0000-4000-8000-00000000000A"));
	EXPECT_TRUE(mdev_exists(10));
}

TEST_F(mdev, duplicate_uuid)
{
	ASSERT_EQ(0, mdev_create(PARENT, BASIC, 3));
	EXPECT_EQ(-EEXIST, mdev_create(PARENT, BASIC, 3));
	EXPECT_EQ(-EEXIST, mdev_create(PARENT, WIDE, 3));
	EXPECT_EQ(-EEXIST,
		  mdev_create_text(PARENT, WIDE,
				   "0B5E55ED-0000-4000-8000-000000000003"));
	/* The refused creations took nothing. */
	EXPECT_EQ(TOTAL - 1, mdev_available(PARENT, BASIC));
}

TEST_F(mdev, remove_file)
{
	char path[256];
	struct stat st;

	ASSERT_EQ(0, mdev_create(PARENT, WIDE, 4));
	mdev_dev_path(path, sizeof(path), 4, "remove");
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0200, st.st_mode & 0777);
	EXPECT_EQ(0, vfio_write_file(path, "0"));
	EXPECT_TRUE(mdev_exists(4));
	EXPECT_EQ(-EINVAL, vfio_write_file(path, "maybe"));
	EXPECT_TRUE(mdev_exists(4));
	EXPECT_EQ(0, vfio_write_file(path, "1\n"));
	EXPECT_FALSE(mdev_exists(4));
	EXPECT_EQ(-ENOENT, vfio_write_file(path, "1"));
}

/* Many instances created and removed in a row leave nothing behind. */
TEST_F(mdev, churn)
{
	unsigned int round;

	for (round = 0; round < 20; round++) {
		ASSERT_EQ(0, mdev_create(PARENT, BASIC, 5));
		ASSERT_EQ(0, mdev_create(PARENT, WIDE, 6));
		ASSERT_EQ(0, mdev_remove(6));
		ASSERT_EQ(0, mdev_remove(5));
	}
	EXPECT_EQ(0, count_entries(MDEV_BUS_DEVICES));
	EXPECT_EQ(TOTAL, mdev_available(PARENT, WIDE));
}

struct racer {
	pthread_t thread;
	unsigned int n;
	const char *type;
	int ret;
};

static pthread_barrier_t race_start;

static void *race_create(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(&race_start);
	r->ret = mdev_create(PARENT, r->type, r->n);
	return NULL;
}

/* Run one creation per racer, all at once; returns how many succeeded. */
static int race(struct racer *r, unsigned int count)
{
	unsigned int i;
	int ok = 0;

	pthread_barrier_init(&race_start, NULL, count);
	for (i = 0; i < count; i++)
		pthread_create(&r[i].thread, NULL, race_create, &r[i]);
	for (i = 0; i < count; i++) {
		pthread_join(r[i].thread, NULL);
		ok += !r[i].ret;
	}
	pthread_barrier_destroy(&race_start);
	return ok;
}

/* Creations racing for one UUID: one wins, the others see EEXIST. */
TEST_F(mdev, racing_same_uuid)
{
	struct racer r[8];
	unsigned int i;

	for (i = 0; i < 8; i++)
		r[i] = (struct racer){ .n = 9, .type = i % 2 ? WIDE : BASIC };
	EXPECT_EQ(1, race(r, 8));
	for (i = 0; i < 8; i++)
		EXPECT_TRUE(!r[i].ret || r[i].ret == -EEXIST);
	EXPECT_EQ(TOTAL - 1, mdev_available(PARENT, BASIC));
}

/* Creations racing for the last instances: exactly the budget wins. */
TEST_F(mdev, racing_for_budget)
{
	struct racer r[12];
	unsigned int i;

	for (i = 0; i < 12; i++)
		r[i] = (struct racer){ .n = 30 + i, .type = BASIC };
	EXPECT_EQ(TOTAL, race(r, 12));
	for (i = 0; i < 12; i++)
		EXPECT_TRUE(!r[i].ret || r[i].ret == -EUSERS);
	EXPECT_EQ(0, mdev_available(PARENT, WIDE));
	EXPECT_EQ(TOTAL, count_entries(MDEV_BUS_DEVICES));
}

FIXTURE(mcounter) {
	struct vfio_mock_handle h;
};

FIXTURE_SETUP(mcounter)
{
	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	ASSERT_EQ(0, vfio_modprobe("mcounter"));
	mdev_remove_test_instances();
	ASSERT_EQ(0, mdev_create(PARENT, BASIC, 7));
	ASSERT_EQ(0, mdev_open(&self->h, 7, VFIO_MOCK_IOMMU));
}

FIXTURE_TEARDOWN(mcounter)
{
	vfio_mock_handle_close(&self->h);
	EXPECT_EQ(0, mdev_remove(7));
	EXPECT_EQ(0, mdev_unload("mcounter"));
}

TEST_F(mcounter, info)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info region = { .argsz = sizeof(region) };
	struct vfio_irq_info irq = { .argsz = sizeof(irq) };
	int d = self->h.device;

	ASSERT_EQ(0, vfio_ioctl(d, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_RESET);
	EXPECT_EQ(VFIO_PCI_NUM_REGIONS, info.num_regions);
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, info.num_irqs);

	region.index = VFIO_PCI_CONFIG_REGION_INDEX;
	ASSERT_EQ(0, vfio_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &region));
	EXPECT_EQ(256, region.size);
	region.index = VFIO_PCI_BAR0_REGION_INDEX;
	ASSERT_EQ(0, vfio_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &region));
	EXPECT_EQ(4096, region.size);
	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
		  region.flags);
	region.index = VFIO_PCI_BAR1_REGION_INDEX;
	ASSERT_EQ(0, vfio_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &region));
	EXPECT_EQ(0, region.size);
	region.index = VFIO_PCI_NUM_REGIONS;
	EXPECT_EQ(-EINVAL, vfio_ioctl(d, VFIO_DEVICE_GET_REGION_INFO,
				      &region));

	irq.index = VFIO_PCI_MSI_IRQ_INDEX;
	ASSERT_EQ(0, vfio_ioctl(d, VFIO_DEVICE_GET_IRQ_INFO, &irq));
	EXPECT_EQ(1, irq.count);
	EXPECT_TRUE(irq.flags & VFIO_IRQ_INFO_EVENTFD);
	irq.index = VFIO_PCI_ERR_IRQ_INDEX;
	ASSERT_EQ(0, vfio_ioctl(d, VFIO_DEVICE_GET_IRQ_INFO, &irq));
	EXPECT_EQ(1, irq.count);
	irq.index = VFIO_PCI_INTX_IRQ_INDEX;
	ASSERT_EQ(0, vfio_ioctl(d, VFIO_DEVICE_GET_IRQ_INFO, &irq));
	EXPECT_EQ(0, irq.count);
	EXPECT_EQ(0, irq.flags);
	irq.index = VFIO_PCI_NUM_IRQS;
	EXPECT_EQ(-EINVAL, vfio_ioctl(d, VFIO_DEVICE_GET_IRQ_INFO, &irq));
}

TEST_F(mcounter, config_space)
{
	int d = self->h.device;
	__u32 v;

	ASSERT_EQ(0, mdev_read32(d, VFIO_PCI_CONFIG_REGION_INDEX, 0, &v));
	EXPECT_EQ(MCOUNTER_DEVICE_ID << 16 | MCOUNTER_VENDOR_ID, v);
	/* Vendor and device IDs are read-only. */
	ASSERT_EQ(0, mdev_write32(d, VFIO_PCI_CONFIG_REGION_INDEX, 0, 0));
	ASSERT_EQ(0, mdev_read32(d, VFIO_PCI_CONFIG_REGION_INDEX, 0, &v));
	EXPECT_EQ(MCOUNTER_DEVICE_ID << 16 | MCOUNTER_VENDOR_ID, v);

	/* Sizing BAR0 the way firmware does. */
	ASSERT_EQ(0, mdev_write32(d, VFIO_PCI_CONFIG_REGION_INDEX, 0x10,
				  0xffffffff));
	ASSERT_EQ(0, mdev_read32(d, VFIO_PCI_CONFIG_REGION_INDEX, 0x10, &v));
	EXPECT_EQ(0xfffff000, v);

	/* The capability list leads to the MSI capability. */
	ASSERT_EQ(0, mdev_read32(d, VFIO_PCI_CONFIG_REGION_INDEX, 0x34, &v));
	EXPECT_EQ(MCOUNTER_CAP_MSI, v & 0xff);
	ASSERT_EQ(0, mdev_read32(d, VFIO_PCI_CONFIG_REGION_INDEX,
				 MCOUNTER_CAP_MSI, &v));
	EXPECT_EQ(0x05, v & 0xff);

	/* Past the end of configuration space. */
	EXPECT_EQ(-EINVAL, mdev_read32(d, VFIO_PCI_CONFIG_REGION_INDEX, 254,
				       &v));
}

TEST_F(mcounter, registers)
{
	unsigned int bar = VFIO_PCI_BAR0_REGION_INDEX;
	int d = self->h.device;
	char buf[64], back[64];
	long long base;
	__u32 v;

	ASSERT_EQ(0, mdev_read32(d, bar, MCOUNTER_REG_MAGIC, &v));
	EXPECT_EQ(MCOUNTER_MAGIC, v);
	ASSERT_EQ(0, mdev_write32(d, bar, MCOUNTER_REG_SCRATCH, 0xc0ffee));
	ASSERT_EQ(0, mdev_read32(d, bar, MCOUNTER_REG_SCRATCH, &v));
	EXPECT_EQ(0xc0ffee, v);

	ASSERT_EQ(0, mdev_write32(d, bar, MCOUNTER_REG_COUNT, 40));
	ASSERT_EQ(0, mdev_write32(d, bar, MCOUNTER_REG_ADD, 2));
	ASSERT_EQ(0, mdev_read32(d, bar, MCOUNTER_REG_COUNT, &v));
	EXPECT_EQ(42, v);

	/* Registers take aligned 4-byte accesses only. */
	base = mdev_region_offset(d, bar);
	EXPECT_EQ(-1, pread(d, buf, 2, base + MCOUNTER_REG_SCRATCH));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pread(d, buf, 4, base + 2));

	/* The memory window takes anything. */
	memset(buf, 0x5a, sizeof(buf));
	strcpy(buf, "through the mediated device");
	EXPECT_EQ(sizeof(buf), pwrite(d, buf, sizeof(buf),
				      base + MCOUNTER_RAM + 3));
	EXPECT_EQ(sizeof(back), pread(d, back, sizeof(back),
				      base + MCOUNTER_RAM + 3));
	EXPECT_EQ(0, memcmp(buf, back, sizeof(buf)));
	EXPECT_EQ(-1, pwrite(d, buf, sizeof(buf), base + 4096 - 8));

	/* Reset brings the device back to its state at creation. */
	ASSERT_EQ(0, vfio_ioctl(d, VFIO_DEVICE_RESET, NULL));
	ASSERT_EQ(0, mdev_read32(d, bar, MCOUNTER_REG_COUNT, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, mdev_read32(d, bar, MCOUNTER_RAM + 4, &v));
	EXPECT_EQ(0, v);
}

TEST_F(mcounter, msi)
{
	unsigned int bar = VFIO_PCI_BAR0_REGION_INDEX;
	struct vfio_irq_set off = {
		.argsz = sizeof(off),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = VFIO_PCI_MSI_IRQ_INDEX,
	};
	int d = self->h.device, efd;
	__u32 v;

	/* Without an eventfd the doorbell raises nothing. */
	ASSERT_EQ(0, mdev_write32(d, bar, MCOUNTER_REG_DOORBELL, 1));
	ASSERT_EQ(0, mdev_read32(d, bar, MCOUNTER_REG_IRQS, &v));
	EXPECT_EQ(0, v);

	efd = mdev_irq_eventfd(d, VFIO_PCI_MSI_IRQ_INDEX);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, mdev_write32(d, bar, MCOUNTER_REG_DOORBELL, 1));
	ASSERT_EQ(0, mdev_write32(d, bar, MCOUNTER_REG_DOORBELL, 1));
	EXPECT_EQ(2, mdev_eventfd_wait(efd, 1000));
	ASSERT_EQ(0, mdev_read32(d, bar, MCOUNTER_REG_IRQS, &v));
	EXPECT_EQ(2, v);

	/* A DATA_NONE trigger with count 1 loops back. */
	off.count = 1;
	EXPECT_EQ(0, vfio_ioctl(d, VFIO_DEVICE_SET_IRQS, &off));
	EXPECT_EQ(1, mdev_eventfd_wait(efd, 1000));

	/* Count 0 disables. */
	off.count = 0;
	ASSERT_EQ(0, vfio_ioctl(d, VFIO_DEVICE_SET_IRQS, &off));
	ASSERT_EQ(0, mdev_write32(d, bar, MCOUNTER_REG_DOORBELL, 1));
	EXPECT_EQ(0, mdev_eventfd_wait(efd, 100));

	/* INTx does not exist; a second MSI vector neither. */
	off.index = VFIO_PCI_INTX_IRQ_INDEX;
	off.count = 1;
	EXPECT_EQ(-EINVAL, vfio_ioctl(d, VFIO_DEVICE_SET_IRQS, &off));
	off.index = VFIO_PCI_MSI_IRQ_INDEX;
	off.count = 2;
	EXPECT_EQ(-EINVAL, vfio_ioctl(d, VFIO_DEVICE_SET_IRQS, &off));
	close(efd);
}

/* A new open finds the device fresh; two instances do not share state. */
TEST_F(mcounter, independent_instances)
{
	unsigned int bar = VFIO_PCI_BAR0_REGION_INDEX;
	struct vfio_mock_handle other;
	__u32 v;

	ASSERT_EQ(0, mdev_create(PARENT, WIDE, 8));
	ASSERT_EQ(0, mdev_open(&other, 8, VFIO_MOCK_IOMMU));
	ASSERT_EQ(0, mdev_write32(self->h.device, bar, MCOUNTER_REG_SCRATCH,
				  1));
	ASSERT_EQ(0, mdev_write32(other.device, bar, MCOUNTER_REG_SCRATCH,
				  2));
	ASSERT_EQ(0, mdev_read32(self->h.device, bar, MCOUNTER_REG_SCRATCH,
				 &v));
	EXPECT_EQ(1, v);
	/* The wide type's window reaches 64 KiB. */
	ASSERT_EQ(0, mdev_write32(other.device, bar, 0xfffc, 0xabcd));
	ASSERT_EQ(0, mdev_read32(other.device, bar, 0xfffc, &v));
	EXPECT_EQ(0xabcd, v);

	vfio_mock_handle_close(&other);
	ASSERT_EQ(0, mdev_open(&other, 8, VFIO_MOCK_IOMMU));
	ASSERT_EQ(0, mdev_read32(other.device, bar, MCOUNTER_REG_SCRATCH, &v));
	EXPECT_EQ(0, v);
	vfio_mock_handle_close(&other);
	EXPECT_EQ(0, mdev_remove(8));
}

TEST_HARNESS_MAIN
