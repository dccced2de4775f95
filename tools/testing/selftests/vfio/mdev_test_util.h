/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers of the mediated device selftests: creating and removing
 * instances of the sample drivers through sysfs, and opening them through
 * VFIO.  Like vfio_test_util.h, helpers return -errno instead of aborting.
 */
#ifndef __MDEV_TEST_UTIL_H
#define __MDEV_TEST_UTIL_H

#include <dirent.h>
#include <endian.h>
#include <poll.h>
#include <sys/eventfd.h>

#include "vfio_test_util.h"
#include "../../../../samples/vfio-mdev/mcounter_regs.h"

#define MDEV_BUS_DEVICES	"/sys/bus/mdev/devices"
#define MDEV_PARENTS		"/sys/class/mdev_bus"

/* UUIDs used by the tests: "0b5e55ed-0000-4000-8000-0000000000NN". */
static inline void mdev_uuid(char *buf, size_t size, unsigned int n)
{
	snprintf(buf, size, "0b5e55ed-0000-4000-8000-%012x", n);
}

/* Type directory of type TYPE of parent PARENT (a /sys/class/mdev_bus entry). */
static inline void mdev_type_dir(char *buf, size_t size, const char *parent,
				 const char *type)
{
	snprintf(buf, size, MDEV_PARENTS "/%s/mdev_supported_types/%s",
		 parent, type);
}

/* Read one unsigned number from a sysfs file; -errno on failure. */
static inline long long mdev_read_number(const char *path)
{
	unsigned long long v;
	FILE *f = fopen(path, "r");
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "%llu", &v);
	fclose(f);
	return n == 1 ? (long long)v : -EINVAL;
}

/* Read a sysfs file into BUF, without its trailing newline. */
static inline int mdev_read_text(const char *path, char *buf, size_t size)
{
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, size - 1);
	close(fd);
	if (len < 0)
		return -errno;
	while (len && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	return 0;
}

static inline long long mdev_available(const char *parent, const char *type)
{
	char path[256];

	mdev_type_dir(path, sizeof(path), parent, type);
	strcat(path, "/available_instances");
	return mdev_read_number(path);
}

/* Write TEXT to the type's "create" file: 0 or -errno of the write. */
static inline int mdev_create_text(const char *parent, const char *type,
				   const char *text)
{
	char path[256];

	mdev_type_dir(path, sizeof(path), parent, type);
	strcat(path, "/create");
	return vfio_write_file(path, text);
}

static inline int mdev_create(const char *parent, const char *type,
			      unsigned int n)
{
	char uuid[40];

	mdev_uuid(uuid, sizeof(uuid), n);
	return mdev_create_text(parent, type, uuid);
}

static inline void mdev_dev_path(char *buf, size_t size, unsigned int n,
				 const char *file)
{
	char uuid[40];

	mdev_uuid(uuid, sizeof(uuid), n);
	snprintf(buf, size, MDEV_BUS_DEVICES "/%s%s%s", uuid,
		 file ? "/" : "", file ? file : "");
}

static inline bool mdev_exists(unsigned int n)
{
	char path[256];

	mdev_dev_path(path, sizeof(path), n, NULL);
	return access(path, F_OK) == 0;
}

/* Write "1" to the instance's "remove" file; blocks while it is open. */
static inline int mdev_remove(unsigned int n)
{
	char path[256];

	mdev_dev_path(path, sizeof(path), n, "remove");
	return vfio_write_file(path, "1");
}

/* Remove every instance whose UUID the tests use; for fixtures. */
static inline void mdev_remove_test_instances(void)
{
	unsigned int n;

	for (n = 0; n < 64; n++)
		if (mdev_exists(n))
			mdev_remove(n);
}

static inline int mdev_group(unsigned int n)
{
	char path[256];

	mdev_dev_path(path, sizeof(path), n, NULL);
	return vfio_group_of(path);
}

/*
 * Open instance N the usual way (container, group, IOMMU type TYPE,
 * device fd), into a vfio_mock_handle; 0 or the first step's -errno.
 */
static inline int mdev_open(struct vfio_mock_handle *h, unsigned int n,
			    unsigned long type)
{
	int group = mdev_group(n);
	char uuid[40];
	int ret;

	mdev_uuid(uuid, sizeof(uuid), n);
	h->device = -1;
	h->container = vfio_open_container();
	h->group = group < 0 ? group : vfio_open_group(group);
	/* Each step runs only if all before it succeeded. */
	ret = h->container < 0 ? h->container : h->group;
	if (ret >= 0)
		ret = vfio_group_set_container(h->group, h->container);
	if (!ret)
		ret = vfio_ioctl(h->container, VFIO_SET_IOMMU, type);
	if (!ret)
		ret = h->device = vfio_ioctl(h->group, VFIO_GROUP_GET_DEVICE_FD,
					     uuid);
	if (ret < 0)
		vfio_mock_handle_close(h);
	return ret < 0 ? ret : 0;
}

/* File offset of region INDEX of a device, from GET_REGION_INFO. */
static inline long long mdev_region_offset(int device, unsigned int index)
{
	struct vfio_region_info info = {
		.argsz = sizeof(info), .index = index,
	};
	int ret = vfio_ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &info);

	return ret < 0 ? ret : (long long)info.offset;
}

/*
 * 32-bit access to a region at OFF; -errno on failure.  Like PCI, the
 * samples' registers and config space are little-endian whatever the
 * host (s390x is big-endian).
 */
static inline int mdev_read32(int device, unsigned int index, __u64 off,
			      __u32 *val)
{
	long long base = mdev_region_offset(device, index);

	if (base < 0)
		return base;
	if (pread(device, val, 4, base + off) != 4)
		return -errno;
	*val = le32toh(*val);
	return 0;
}

static inline int mdev_write32(int device, unsigned int index, __u64 off,
			       __u32 val)
{
	long long base = mdev_region_offset(device, index);

	if (base < 0)
		return base;
	val = htole32(val);
	if (pwrite(device, &val, 4, base + off) != 4)
		return -errno;
	return 0;
}

/* Route interrupt INDEX of a device to a new eventfd; returns the eventfd. */
static inline int mdev_irq_eventfd(int device, unsigned int index)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(__s32)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;
	int efd, ret;

	efd = eventfd(0, EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = index;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &efd, sizeof(efd));
	ret = vfio_ioctl(device, VFIO_DEVICE_SET_IRQS, set);
	if (ret < 0) {
		close(efd);
		return ret;
	}
	return efd;
}

/* Wait up to MS milliseconds for an eventfd; returns its count or 0. */
static inline long long mdev_eventfd_wait(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	__u64 count;

	if (poll(&p, 1, ms) != 1 || read(efd, &count, sizeof(count)) != 8)
		return 0;
	return count;
}

/* Run "modprobe -r"/rmmod quietly; returns 0 when MODULE is gone. */
static inline int mdev_unload(const char *module)
{
	vfio_sh("rmmod %s >/dev/null 2>&1", module);
	return vfio_module_loaded(module) ? -EBUSY : 0;
}

#endif /* __MDEV_TEST_UTIL_H */
