/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers of the vfio-pci selftests: hand a PCI function of the test VM
 * to vfio-pci and back, open it through a container, and access its
 * regions through the device file.
 *
 * The test VM has virtio-net at 00:03.0, an e1000 at 00:04.0, an NVMe
 * at 00:05.0 and a standard VGA at 00:09.0 (see vm/run-vm.sh).
 */
#ifndef __PCI_TEST_UTIL_H
#define __PCI_TEST_UTIL_H

#include <glob.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <linux/pci_regs.h>

#include "vfio_test_util.h"

#define PCI_NVME	"0000:00:05.0"
#define PCI_E1000	"0000:00:04.0"
#define PCI_VIRTIO	"0000:00:03.0"
/* QEMU's pci-testdev: BAR0 memory, BAR1 I/O ports, no INTx pin. */
#define PCI_TESTDEV	"0000:00:0a.0"

#define REGION_OFF(index)	((off_t)(index) << 40)

/* After a set-up step failed: what the kernel said about it. */
static inline void pci_log_tail(void)
{
	vfio_sh("dmesg | tail -n 12 | sed 's/^/#   /' >&2");
}

/* Host drivers such as nvme probe asynchronously: wait for the link. */
static inline void pci_wait_driver(const char *bdf)
{
	char path[PATH_MAX];
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	for (i = 0; i < 50 && access(path, F_OK); i++)
		usleep(100000);
}

/*
 * Returned by the set-up helpers when the function or vfio-pci is not on
 * this machine (or architecture): the only case a test may skip.  Every
 * other failure is a negative errno and fails the test.
 */
#define PCI_ABSENT	1

/*
 * nvme finishes probing in a work item, and when that work sees the
 * driver being unbound it fails and schedules a release of whatever
 * driver the function has by then: vfio-pci, if we bound it meanwhile.
 * Before taking a function from nvme, wait until its controller is live
 * (or nvme gave up on it and let go).
 */
static inline void pci_wait_nvme_settled(const char *bdf)
{
	char pattern[PATH_MAX], state[32] = "";
	glob_t g;
	FILE *f;
	int i;

	snprintf(pattern, sizeof(pattern),
		 "/sys/bus/pci/devices/%s/nvme/nvme*/state", bdf);
	for (i = 0; i < 100; i++) {
		if (glob(pattern, 0, NULL, &g))
			return;		/* no controller: not nvme's, or gone */
		f = fopen(g.gl_pathv[0], "r");
		globfree(&g);
		if (f && fgets(state, sizeof(state), f) &&
		    !strncmp(state, "live", 4)) {
			fclose(f);
			return;
		}
		if (f)
			fclose(f);
		usleep(50000);
	}
	fprintf(stderr, "# %s: nvme controller still %s\n", bdf, state);
}

/*
 * Bind BDF to vfio-pci; *old receives the driver it had ("" if none).
 * Returns 0, PCI_ABSENT or -errno.
 */
static inline int pci_bind_vfio(const char *bdf, char *old, size_t size)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t len;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	if (access(path, F_OK))
		return PCI_ABSENT;
	/* The function is there: no vfio-pci to bind it is a failure. */
	if (vfio_modprobe("vfio-pci")) {
		fprintf(stderr, "# %s: vfio-pci does not load\n", bdf);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	len = readlink(path, link, sizeof(link) - 1);
	old[0] = '\0';
	if (len > 0) {
		link[len] = '\0';
		snprintf(old, size, "%s", basename(link));
	}
	if (!strcmp(old, "vfio-pci"))
		return 0;
	if (!strcmp(old, "nvme"))
		pci_wait_nvme_settled(bdf);
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/driver_override", bdf);
	if (vfio_write_file(path, "vfio-pci"))
		return -EIO;
	if (old[0]) {
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/driver/unbind", bdf);
		vfio_write_file(path, bdf);
	}
	vfio_write_file("/sys/bus/pci/drivers_probe", bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/vfio-pci/%s", bdf);
	if (access(path, F_OK)) {
		fprintf(stderr, "# %s: vfio-pci did not bind (was %s)\n", bdf,
			old[0] ? old : "unbound");
		pci_log_tail();
		return -EBUSY;
	}
	return 0;
}

/* Give BDF back to the host driver it had before. */
static inline void pci_unbind_vfio(const char *bdf, const char *old)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/vfio-pci/unbind");
	vfio_write_file(path, bdf);
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/driver_override", bdf);
	vfio_write_file(path, "\n");
	if (old && old[0]) {
		vfio_write_file("/sys/bus/pci/drivers_probe", bdf);
		pci_wait_driver(bdf);
	}
}

/* Read a sysfs attribute of BDF ("power_state", "power/runtime_status"). */
static inline void pci_sysfs_attr(const char *bdf, const char *attr,
				  char *buf, size_t size)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/*
 * Read or write LEN bytes at OFF of BDF's config space as the host sees
 * it (sysfs), below VFIO's emulation; 0 or -errno.
 */
static inline int pci_host_cfg_rw(const char *bdf, off_t off, void *buf,
				  size_t len, bool write)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, write ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return -errno;
	n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* The host's COMMAND register of BDF, or -errno. */
static inline int pci_host_command(const char *bdf)
{
	uint16_t cmd;
	int ret = pci_host_cfg_rw(bdf, PCI_COMMAND, &cmd, 2, false);

	return ret ? ret : cmd;
}

/* The PCI power state of BDF: "D0", "D3hot", ... */
static inline void pci_power_state(const char *bdf, char *buf, size_t size)
{
	pci_sysfs_attr(bdf, "power_state", buf, size);
}

/*
 * Wait up to MS milliseconds for sysfs attribute ATTR of BDF to read
 * WANT; returns whether it did.
 */
static inline bool pci_wait_attr(const char *bdf, const char *attr,
				 const char *want, int ms)
{
	char buf[64];
	int i;

	for (i = 0; i <= ms / 10; i++) {
		pci_sysfs_attr(bdf, attr, buf, sizeof(buf));
		if (!strcmp(buf, want))
			return true;
		usleep(10000);
	}
	return false;
}

/* VFIO_DEVICE_FEATURE with a payload of LEN bytes (at most 64). */
static inline int pci_feature(int fd, unsigned int flags, const void *data,
			      size_t len)
{
	char buf[sizeof(struct vfio_device_feature) + 64];
	struct vfio_device_feature *feat = (struct vfio_device_feature *)buf;

	memset(buf, 0, sizeof(buf));
	feat->argsz = sizeof(*feat) + len;
	feat->flags = flags;
	if (len)
		memcpy(feat->data, data, len);
	return vfio_ioctl(fd, VFIO_DEVICE_FEATURE, feat);
}

/* For test bodies: the 6.1 harness runs them even if setup skipped. */
#define PCI_NEED_DEVICE()						\
	do {								\
		if (self->h.device < 0)					\
			SKIP(return, "device not opened");		\
	} while (0)

static inline int pci_group_of(const char *bdf)
{
	char dev[128];

	snprintf(dev, sizeof(dev), "/sys/bus/pci/devices/%s", bdf);
	return vfio_group_of(dev);
}

/*
 * The IOMMU type to use: type1 when the backend exists, the mock backend
 * otherwise (enough for everything but DMA).
 */
static inline unsigned long pci_iommu_type(int container)
{
	if (vfio_ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0)
		return VFIO_TYPE1v2_IOMMU;
	if (vfio_ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0)
		return VFIO_TYPE1_IOMMU;
	/*
	 * Never the mock: a PCI function without type1 is a failure to
	 * report (SET_IOMMU fails on this), not a backend to swap in.
	 */
	fprintf(stderr, "# no type1 IOMMU backend in this container\n");
	return VFIO_TYPE1v2_IOMMU;
}

struct pci_handle {
	char bdf[16];
	char old_driver[64];
	int container;
	int group;
	int device;
	unsigned long iommu_type;
};

static inline void pci_handle_close(struct pci_handle *h)
{
	if (h->device >= 0)
		close(h->device);
	if (h->group >= 0)
		close(h->group);
	if (h->container >= 0)
		close(h->container);
	h->device = h->group = h->container = -1;
}

/* Open an already bound function; returns 0 or the failing step's -errno */
static inline int pci_handle_open(struct pci_handle *h)
{
	const char *step = "container";
	int ret, tries;

	h->container = h->group = h->device = -1;
	vfio_modprobe("vfio_iommu_type1");
	vfio_modprobe("vfio_mock");
	ret = vfio_open_container();
	if (ret < 0)
		goto err;
	h->container = ret;
	step = "group";
	ret = pci_group_of(h->bdf);
	if (ret >= 0)
		ret = vfio_open_group(ret);
	if (ret < 0)
		goto err;
	h->group = ret;
	step = "SET_CONTAINER";
	ret = vfio_group_set_container(h->group, h->container);
	if (ret < 0)
		goto err;
	step = "SET_IOMMU";
	h->iommu_type = pci_iommu_type(h->container);
	ret = vfio_ioctl(h->container, VFIO_SET_IOMMU, h->iommu_type);
	if (ret < 0)
		goto err;
	/* -EAGAIN: the function was busy for its reset at open; retry. */
	step = "GET_DEVICE_FD";
	for (tries = 0; tries < 20; tries++) {
		ret = vfio_ioctl(h->group, VFIO_GROUP_GET_DEVICE_FD, h->bdf);
		if (ret != -EAGAIN)
			break;
		usleep(100000);
	}
	if (ret < 0)
		goto err;
	h->device = ret;
	return 0;
err:
	fprintf(stderr, "# %s: %s failed: %s\n", h->bdf, step, strerror(-ret));
	pci_log_tail();
	pci_handle_close(h);
	return ret;
}

/* Bind BDF to vfio-pci and open it: 0, PCI_ABSENT or -errno. */
static inline int pci_handle_setup(struct pci_handle *h, const char *bdf)
{
	int ret;

	snprintf(h->bdf, sizeof(h->bdf), "%.15s", bdf);
	h->container = h->group = h->device = -1;
	ret = pci_bind_vfio(bdf, h->old_driver, sizeof(h->old_driver));
	if (ret)
		return ret;
	return pci_handle_open(h);
}

static inline void pci_handle_teardown(struct pci_handle *h)
{
	pci_handle_close(h);
	pci_unbind_vfio(h->bdf, h->old_driver);
}

static inline int pci_cfg_read(int fd, off_t off, void *buf, size_t len)
{
	ssize_t ret = pread(fd, buf, len, REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX) + off);

	return ret < 0 ? -errno : (int)ret;
}

static inline int pci_cfg_write(int fd, off_t off, const void *buf,
				size_t len)
{
	ssize_t ret = pwrite(fd, buf, len, REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX) + off);

	return ret < 0 ? -errno : (int)ret;
}

static inline unsigned int pci_cfg_read32(int fd, off_t off)
{
	unsigned int val = ~0U;

	pci_cfg_read(fd, off, &val, 4);
	return val;
}

static inline unsigned short pci_cfg_read16(int fd, off_t off)
{
	unsigned short val = 0xffff;

	pci_cfg_read(fd, off, &val, 2);
	return val;
}

static inline unsigned char pci_cfg_read8(int fd, off_t off)
{
	unsigned char val = 0xff;

	pci_cfg_read(fd, off, &val, 1);
	return val;
}

/* Offset of the PM capability in the user's view of config space, or -1. */
static inline int pci_pm_cap(int fd)
{
	int pos = pci_cfg_read8(fd, PCI_CAPABILITY_LIST), guard;

	for (guard = 0; pos >= 0x40 && guard < 48; guard++) {
		if (pci_cfg_read8(fd, pos) == PCI_CAP_ID_PM)
			return pos;
		pos = pci_cfg_read8(fd, pos + PCI_CAP_LIST_NEXT);
	}
	return -1;
}

/* Write PowerState (0 = D0 ... 3 = D3hot) as a guest does; 0 or -EIO. */
static inline int pci_write_power_state(int fd, int pm, unsigned int field)
{
	uint16_t ctrl = le16toh(pci_cfg_read16(fd, pm + PCI_PM_CTRL));

	ctrl = htole16((ctrl & ~PCI_PM_CTRL_STATE_MASK) | field);
	return pci_cfg_write(fd, pm + PCI_PM_CTRL, &ctrl, 2) == 2 ? 0 : -EIO;
}

/* PowerState as the user reads it. */
static inline unsigned int pci_read_power_state(int fd, int pm)
{
	return le16toh(pci_cfg_read16(fd, pm + PCI_PM_CTRL)) &
	       PCI_PM_CTRL_STATE_MASK;
}

static inline int pci_region_info(int fd, unsigned int index,
				  struct vfio_region_info *info, size_t argsz)
{
	memset(info, 0, argsz);
	info->argsz = argsz;
	info->index = index;
	return vfio_ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, info);
}

/* SET_IRQS with eventfds (fds may be NULL for DATA_NONE requests). */
static inline int pci_set_irqs(int fd, unsigned int index, unsigned int flags,
			       unsigned int start, unsigned int count,
			       const void *data, size_t data_len)
{
	char buf[sizeof(struct vfio_irq_set) + 1024];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	memset(buf, 0, sizeof(buf));
	set->argsz = sizeof(*set) + data_len;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	if (data_len)
		memcpy(set->data, data, data_len);
	return vfio_ioctl(fd, VFIO_DEVICE_SET_IRQS, set);
}

/* Wait up to MS milliseconds for an eventfd; returns its count or 0. */
static inline unsigned long long pci_eventfd_wait(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	unsigned long long cnt = 0;

	if (poll(&p, 1, ms) == 1 && read(efd, &cnt, sizeof(cnt)) == sizeof(cnt))
		return cnt;
	return 0;
}

/*
 * Open the kernel log positioned at its end, so that only records printed
 * from now on are read back.
 */
static inline int kmsg_open_at_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * Whether a record read from @fd holds both @a and @b, or both @c and @d
 * when @c is given (one message in two spellings, say one per arch).
 */
static inline bool kmsg_saw(int fd, const char *a, const char *b,
			    const char *c, const char *d)
{
	char rec[1024];
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten records */
			continue;
		if (n <= 0)
			return false;
		rec[n] = 0;
		if (strstr(rec, a) && strstr(rec, b))
			return true;
		if (c && strstr(rec, c) && strstr(rec, d))
			return true;
	}
}

#endif /* __PCI_TEST_UTIL_H */
