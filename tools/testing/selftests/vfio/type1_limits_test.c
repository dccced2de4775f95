// SPDX-License-Identifier: GPL-2.0-only
/*
 * The type1 backend at the edges of what it is given: sizes of 2^63 bytes
 * and more, ranges that end at or wrap past 2^64, the v2 rule against
 * cutting a mapping while an unmap waits for a device, and the memory a
 * mapping of scattered pages needs, charged to the caller's memory cgroup.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/mount.h>

#include "../kselftest_harness.h"
#include "vfio_test_util.h"

#define DEV		81
#define SZ_4K		4096ULL
#define SZ_1M		(1ULL << 20)
#define SZ_1G		(1ULL << 30)
#define PCI_BDF		"0000:00:04.0"
#define TOP_PAGE	(~0ULL - SZ_4K + 1)	/* last page of the IOVA space */
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

static int map(int container, __u64 vaddr, __u64 iova, __u64 size,
	       __u32 flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = flags,
		.vaddr = vaddr, .iova = iova, .size = size,
	};

	return vfio_ioctl(container, VFIO_IOMMU_MAP_DMA, &m);
}

/* UNMAP_DMA; @unmapped gets what the kernel wrote back (or the input). */
static int unmap(int container, __u64 iova, __u64 size, __u32 flags,
		 __u64 *unmapped)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .flags = flags, .iova = iova, .size = size,
	};
	int ret = vfio_ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u);

	if (unmapped)
		*unmapped = u.size;
	return ret;
}

static int mock_pin(int device, __u64 iova, __u64 npages)
{
	struct vfio_mock_pin pin = {
		.argsz = sizeof(pin), .iova = iova, .npages = npages,
	};

	return vfio_ioctl(device, VFIO_MOCK_PIN, &pin);
}

/* An emulated-IOMMU v2 container: nothing is pinned at MAP_DMA. */
FIXTURE(emulated) {
	struct vfio_mock_handle h;
	char *buf;
};

FIXTURE_SETUP(emulated)
{
	ASSERT_EQ(0, vfio_modprobe("vfio_iommu_type1"));
	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	vfio_mock_destroy(DEV);
	ASSERT_EQ(0, vfio_mock_create(DEV, 0, "unmap"));
	ASSERT_EQ(0, vfio_mock_handle_open(&self->h, DEV,
					   VFIO_TYPE1v2_IOMMU));
	self->buf = mmap(NULL, 64 * SZ_1M, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(emulated)
{
	vfio_mock_handle_close(&self->h);
	vfio_mock_destroy(DEV);
	munmap(self->buf, 64 * SZ_1M);
}

/*
 * Unmapping 2^63 bytes or more reports the byte count: it does not fit
 * a long, but the ABI's __u64 holds it.
 */
TEST_F(emulated, unmap_size_past_long)
{
	int c = self->h.container;
	__u64 done;

	ASSERT_EQ(0, map(c, 0, 0, 1ULL << 63, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, unmap(c, 0, (1ULL << 63) + (1ULL << 62), 0, &done));
	EXPECT_EQ(1ULL << 63, done);
	ASSERT_EQ(0, unmap(c, 0, 1ULL << 63, 0, &done));
	EXPECT_EQ(0, done);

	/* Unmap-all sums the mappings, past 2^63 too. */
	ASSERT_EQ(0, map(c, 0, 0, 1ULL << 63, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map(c, 0, 1ULL << 63, 1ULL << 62,
			 VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	EXPECT_EQ((1ULL << 63) + (1ULL << 62), done);
	ASSERT_EQ(0, unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	EXPECT_EQ(0, done);
}

/*
 * A range that wraps past 2^64 is -EOVERFLOW, as in current Linux; one
 * that ends exactly at 2^64 is fine.
 */
TEST_F(emulated, wrap_is_overflow)
{
	int c = self->h.container;
	__u64 done;

	EXPECT_EQ(-EOVERFLOW, map(c, 0, TOP_PAGE, 2 * SZ_4K,
				  VFIO_DMA_MAP_FLAG_READ));
	EXPECT_EQ(-EOVERFLOW, map(c, TOP_PAGE, 0, 2 * SZ_4K,
				  VFIO_DMA_MAP_FLAG_READ));
	EXPECT_EQ(-EOVERFLOW, unmap(c, TOP_PAGE, 2 * SZ_4K, 0, NULL));
	EXPECT_EQ(-EOVERFLOW, unmap(c, 2 * SZ_4K, ~0ULL - SZ_4K + 1, 0, NULL));
	/* Bad alignment is still -EINVAL, checked first. */
	EXPECT_EQ(-EINVAL, map(c, 0, TOP_PAGE, 2 * SZ_4K - 1,
			       VFIO_DMA_MAP_FLAG_READ));
	EXPECT_EQ(-EINVAL, unmap(c, TOP_PAGE, 0, 0, NULL));
	/* Nothing was left behind. */
	ASSERT_EQ(0, unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	EXPECT_EQ(0, done);

	/* The last page of the IOVA space can be mapped and unmapped. */
	ASSERT_EQ(0, map(c, (unsigned long)self->buf, TOP_PAGE, SZ_4K,
			 VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, unmap(c, TOP_PAGE, SZ_4K, 0, &done));
	EXPECT_EQ(SZ_4K, done);
}

struct straddler {
	int container;
	__u64 iova, size;
	long pinned_kb;		/* VmLck while the device holds its pins */
	int ret;
};

/*
 * Map @s as soon as the device is unpinning: its dma_unmap callback is
 * running, with the unmap waiting for it.  It refunds page by page, so
 * VmLck shows it (the mock's own counters are behind its lock).
 */
static void *map_straddler(void *arg)
{
	struct straddler *s = arg;
	int i;

	for (i = 0; i < 100000; i++)
		if (vfio_vmlck_kb() < s->pinned_kb)
			break;
	s->ret = map(s->container, 0, s->iova, s->size,
		     VFIO_DMA_MAP_FLAG_READ);
	return NULL;
}

/*
 * A v2 unmap waiting for a device to unpin drops the lock; a mapping
 * made meanwhile that reaches across the end of the range must not be
 * removed whole.  As in 6.1 the unmap stops at it instead.
 */
TEST_F(emulated, unmap_rechecks_cut_after_notify)
{
	const __u64 npages = 4096;	/* unpinned one by one: a long window */
	int c = self->h.container, d = self->h.device, round, hit = 0;

	for (round = 0; round < 8; round++) {
		struct straddler s = {
			.container = c, .iova = 16 * SZ_1M, .size = 32 * SZ_1M,
		};
		pthread_t thread;
		__u64 done, gone;
		int ret;

		ASSERT_EQ(0, map(c, (unsigned long)self->buf, 0, 16 * SZ_1M,
				 RW));
		ASSERT_EQ(npages, mock_pin(d, 0, npages));
		s.pinned_kb = vfio_vmlck_kb();
		ASSERT_EQ(0, pthread_create(&thread, NULL, map_straddler, &s));
		/* Covers the pinned mapping and what the straddler starts. */
		ret = unmap(c, 0, 32 * SZ_1M, 0, &done);
		pthread_join(thread, NULL);
		ASSERT_EQ(0, ret);
		ASSERT_EQ(0, s.ret);
		/* The straddler is intact whatever the interleaving was. */
		EXPECT_NE(16 * SZ_1M + 32 * SZ_1M, done);
		ASSERT_EQ(0, unmap(c, 16 * SZ_1M, 32 * SZ_1M, 0, &gone));
		EXPECT_EQ(32 * SZ_1M, gone);
		if (!done)
			hit++;	/* it came in while the unmap waited */
		ASSERT_EQ(0, unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL));
		EXPECT_EQ(0, vfio_mock_stat(DEV, "pinned"));
	}
	TH_LOG("straddler mapped during the unmap in %d of %d rounds", hit,
	       round);
	EXPECT_LT(0, hit);
}

/* A real IOMMU domain: the mock's PCI driver on the e1000. */
FIXTURE(domain) {
	int container, group, device;
	char driver[64];
	char cgroup[128];
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
	self->container = self->group = self->device = -1;
	self->cgroup[0] = '\0';
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
}

FIXTURE_TEARDOWN(domain)
{
	char pid[32];

	if (self->device >= 0)
		close(self->device);
	if (self->group >= 0)
		close(self->group);
	if (self->container >= 0) {
		close(self->container);
		pci_rebind(PCI_BDF, "");
	}
	if (self->cgroup[0]) {
		snprintf(pid, sizeof(pid), "%d", getpid());
		vfio_write_file("/sys/fs/cgroup/cgroup.procs", pid);
		rmdir(self->cgroup);
	}
}

/* Move this process into a new memory cgroup; returns 0 or -errno. */
static int enter_memcg(char *path, size_t size)
{
	char pid[32], procs[192];
	int ret;

	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) &&
	    mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL))
		return -errno;
	ret = vfio_write_file("/sys/fs/cgroup/cgroup.subtree_control",
			      "+memory");
	if (ret)
		return ret;
	snprintf(path, size, "/sys/fs/cgroup/type1_limits.%d", getpid());
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	snprintf(pid, sizeof(pid), "%d", getpid());
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
	return vfio_write_file(procs, pid);
}

static long long memcg_current(const char *cgroup)
{
	char path[192];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.current", cgroup);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/*
 * Read-only memory never written is the zero page, page after page: a
 * mapping of it has as many runs of frames as pages.  What records them
 * grows with the mapping and is charged to whoever maps, in the memory
 * cgroup (6.1 keeps nothing per page and would not need it).
 */
TEST_F(domain, scattered_runs_charged_to_memcg)
{
	const __u64 size = SZ_1G;	/* 256 Ki runs of one page */
	long long before, mapped, after;
	__u64 done;
	char *zero;

	if (self->container < 0)
		SKIP(return, "no device");
	ASSERT_EQ(0, enter_memcg(self->cgroup, sizeof(self->cgroup)));
	zero = mmap(NULL, size, PROT_READ,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, zero);
	ASSERT_EQ(0, madvise(zero, size, MADV_NOHUGEPAGE));
	/* Fault it in first: its page tables are charged here too. */
	ASSERT_EQ(0, madvise(zero, size, MADV_WILLNEED));
	for (done = 0; done < size; done += SZ_4K)
		(void)*(volatile char *)(zero + done);

	before = memcg_current(self->cgroup);
	ASSERT_LE(0, before);
	ASSERT_EQ(0, map(self->container, (unsigned long)zero, SZ_1G, size,
			 VFIO_DMA_MAP_FLAG_READ));
	mapped = memcg_current(self->cgroup);
	ASSERT_EQ(0, unmap(self->container, SZ_1G, size, 0, &done));
	EXPECT_EQ(size, done);
	after = memcg_current(self->cgroup);
	TH_LOG("memory.current: %lld before, %lld mapped, %lld after",
	       before, mapped, after);
	/* At least 16 bytes a run: 4 MiB for 256 Ki runs. */
	EXPECT_LE(before + (long long)(size / SZ_4K) * 16 - (1 << 20), mapped);
	EXPECT_GE(before + (1 << 20), after);
	munmap(zero, size);
}

TEST_HARNESS_MAIN
