/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the VFIO selftests: module loading, the mock driver's
 * debugfs controls and counters, and opening containers, groups and
 * devices.  Every helper returns a negative errno on failure rather than
 * aborting, so tests can assert on the exact error.
 */
#ifndef __VFIO_TEST_UTIL_H
#define __VFIO_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "../../../../drivers/vfio/test/vfio_mock_api.h"

#define VFIO_MOCK_DEBUGFS	"/sys/kernel/debug/vfio_mock"

/* Run a shell command quietly; returns its exit status. */
static inline int vfio_sh(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline int vfio_sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = system(cmd);
	return WIFEXITED(ret) ? WEXITSTATUS(ret) : -1;
}

static inline int vfio_modprobe(const char *module)
{
	return vfio_sh("modprobe %s >/dev/null 2>&1", module) ? -ENOENT : 0;
}

static inline bool vfio_module_loaded(const char *module)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", module);
	return access(path, F_OK) == 0;
}

/* Write a string to a file; returns 0 or -errno of the write. */
static inline int vfio_write_file(const char *path, const char *text)
{
	ssize_t len = strlen(text);
	int fd, ret = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

/* Create mock device ID in device set SET with FLAGS ("kvm unmap"). */
static inline int vfio_mock_create(unsigned int id, unsigned int set,
				   const char *flags)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "%u %u %s", id, set, flags ? flags : "");
	return vfio_write_file(VFIO_MOCK_DEBUGFS "/create", cmd);
}

/* Destroy mock device ID; blocks while it is open. */
static inline int vfio_mock_destroy(unsigned int id)
{
	char cmd[16];

	snprintf(cmd, sizeof(cmd), "%u", id);
	return vfio_write_file(VFIO_MOCK_DEBUGFS "/destroy", cmd);
}

static inline void vfio_mock_name(unsigned int id, char *buf, size_t size)
{
	snprintf(buf, size, "vfio-mock.%u", id);
}

/* Read "key value" from a counters file; returns -1 if absent. */
static inline long long vfio_read_counter(const char *path, const char *key)
{
	char line[128], name[64];
	long long value, found = -1;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lld", name, &value) == 2 &&
		    !strcmp(name, key)) {
			found = value;
			break;
		}
	}
	fclose(f);
	return found;
}

/* A counter of mock device ID: opens, closes, set_open_count, kvm, ... */
static inline long long vfio_mock_stat(unsigned int id, const char *key)
{
	char path[128];

	snprintf(path, sizeof(path), VFIO_MOCK_DEBUGFS "/vfio-mock.%u/stats",
		 id);
	return vfio_read_counter(path, key);
}

/* A counter of the mock IOMMU backend: instances, groups, devices */
static inline long long vfio_mock_iommu_stat(const char *key)
{
	return vfio_read_counter(VFIO_MOCK_DEBUGFS "/iommu", key);
}

/* VmLck of this process, in KiB; -1 if it cannot be read. */
static inline long vfio_vmlck_kb(void)
{
	return vfio_read_counter("/proc/self/status", "VmLck:");
}

/* Pages pinned with FOLL_PIN system-wide and not released, now. */
static inline long vfio_pinned_pages(void)
{
	long long acquired, released;

	vfio_write_file("/proc/sys/vm/stat_refresh", "1");
	acquired = vfio_read_counter("/proc/vmstat", "nr_foll_pin_acquired");
	released = vfio_read_counter("/proc/vmstat", "nr_foll_pin_released");
	return acquired < 0 || released < 0 ? -1 : acquired - released;
}

/* The VFIO group number of a device, from its iommu_group link. */
static inline int vfio_group_of(const char *sysfs_dev)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t len;

	snprintf(link, sizeof(link), "%s/iommu_group", sysfs_dev);
	len = readlink(link, target, sizeof(target) - 1);
	if (len < 0)
		return -errno;
	target[len] = '\0';
	return atoi(basename(target));
}

static inline int vfio_mock_group(unsigned int id)
{
	char dev[128];

	snprintf(dev, sizeof(dev), "/sys/bus/platform/devices/vfio-mock.%u",
		 id);
	return vfio_group_of(dev);
}

static inline int vfio_open_group(int group)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	fd = open(path, O_RDWR);
	return fd < 0 ? -errno : fd;
}

static inline int vfio_open_container(void)
{
	int fd = open("/dev/vfio/vfio", O_RDWR);

	return fd < 0 ? -errno : fd;
}

/* ioctl() that returns -errno instead of -1 */
#define vfio_ioctl(fd, cmd, arg) \
	({ int __r = ioctl(fd, cmd, arg); __r < 0 ? -errno : __r; })

static inline int vfio_group_set_container(int group, int container)
{
	return vfio_ioctl(group, VFIO_GROUP_SET_CONTAINER, &container);
}

static inline int vfio_group_status(int group, unsigned int *flags)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	int ret = vfio_ioctl(group, VFIO_GROUP_GET_STATUS, &status);

	*flags = status.flags;
	return ret;
}

/*
 * A mock device opened the usual way: container, group attached, IOMMU
 * type set, device fd.  Fields are -1 when not open.
 */
struct vfio_mock_handle {
	int container;
	int group;
	int device;
};

static inline void vfio_mock_handle_close(struct vfio_mock_handle *h)
{
	if (h->device >= 0)
		close(h->device);
	if (h->group >= 0)
		close(h->group);
	if (h->container >= 0)
		close(h->container);
	h->device = h->group = h->container = -1;
}

/*
 * Open mock device ID with IOMMU type TYPE (VFIO_MOCK_IOMMU or a type1
 * type); returns 0 or the -errno of the first step that failed.
 */
static inline int vfio_mock_handle_open(struct vfio_mock_handle *h,
					unsigned int id, unsigned long type)
{
	char name[32];
	int ret;

	h->container = h->group = h->device = -1;
	ret = vfio_open_container();
	if (ret < 0)
		goto err;
	h->container = ret;
	ret = vfio_mock_group(id);
	if (ret < 0)
		goto err;
	ret = vfio_open_group(ret);
	if (ret < 0)
		goto err;
	h->group = ret;
	ret = vfio_group_set_container(h->group, h->container);
	if (ret < 0)
		goto err;
	ret = vfio_ioctl(h->container, VFIO_SET_IOMMU, type);
	if (ret < 0)
		goto err;
	vfio_mock_name(id, name, sizeof(name));
	ret = vfio_ioctl(h->group, VFIO_GROUP_GET_DEVICE_FD, name);
	if (ret < 0)
		goto err;
	h->device = ret;
	return 0;
err:
	vfio_mock_handle_close(h);
	return ret;
}

/* Count open file descriptors of this process (leak checks). */
static inline int vfio_count_fds(void)
{
	char path[64];
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (access(path, F_OK) == 0)
			n++;
	}
	return n;
}

#define VFIO_NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

/*
 * Grow the pool of default-size (2 MiB on x86) huge pages by @n free
 * ones.  Returns the pool's size before, to give vfio_hugetlb_restore(),
 * or -1 when the pool could not grow that much (memory too fragmented).
 */
static inline long vfio_hugetlb_grow(long n)
{
	long total = vfio_read_counter("/proc/meminfo", "HugePages_Total:");
	long free = vfio_read_counter("/proc/meminfo", "HugePages_Free:");
	char text[32];

	if (total < 0 || free < 0)
		return -1;
	snprintf(text, sizeof(text), "%ld", total + n);
	if (vfio_write_file(VFIO_NR_HUGEPAGES, text) ||
	    vfio_read_counter("/proc/meminfo", "HugePages_Free:") < free + n) {
		snprintf(text, sizeof(text), "%ld", total);
		vfio_write_file(VFIO_NR_HUGEPAGES, text);
		return -1;
	}
	return total;
}

/* Give the pool back the size vfio_hugetlb_grow() found. */
static inline int vfio_hugetlb_restore(long total)
{
	char text[32];

	snprintf(text, sizeof(text), "%ld", total);
	return vfio_write_file(VFIO_NR_HUGEPAGES, text);
}

/* Lines of the kernel log that hold both @a and @b. */
static inline int vfio_klog_count(const char *a, const char *b)
{
	int size = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	char *buf, *line;
	int len, found = 0;

	if (size <= 0)
		return 0;
	buf = calloc(1, size + 1);
	if (!buf)
		return 0;
	len = klogctl(3, buf, size);		/* SYSLOG_ACTION_READ_ALL */
	for (line = strtok(buf, "\n"); len > 0 && line;
	     line = strtok(NULL, "\n"))
		if (strstr(line, a) && strstr(line, b))
			found++;
	free(buf);
	return found;
}

#endif /* __VFIO_TEST_UTIL_H */
