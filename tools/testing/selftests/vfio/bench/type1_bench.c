// SPDX-License-Identifier: GPL-2.0-only
/*
 * type1_bench: time VFIO_IOMMU_MAP_DMA and UNMAP_DMA of large ranges into
 * a real IOMMU domain, for several kinds of backing memory.  Run in the
 * bench VM (bench/run.sh), once on Debian's VFIO modules and once on
 * ours; the host compares the two.
 *
 *   type1_bench BDF [SIZE_MIB...]
 *
 * BDF is a PCI device bound to vfio-pci (or another VFIO driver).  Each
 * result line reads
 *
 *   BENCH backing size_mib map_us unmap_us runs
 *
 * with the best of REPS rounds, and "runs" the number of physically
 * contiguous runs of the memory (from /proc/self/pagemap): what the
 * backend can hand the IOMMU in one piece at best.
 *
 * Then many small mappings, one ioctl each, as QEMU issues them for a
 * guest behind a virtual IOMMU and DPDK for its hugepages:
 *
 *   BENCH 4k-xN 0 map_us unmap_us -       N mappings of 4 KiB, mapped
 *                                         and unmapped one per call
 *   BENCH 4k-xN-all 0 map_us unmap_us -   the same maps, one UNMAP_DMA
 *                                         for all of them
 *   BENCH 2m-xN ... and 2m-xN-all         the same with 2 MiB of hugetlb
 *   BENCH churn-4k-xN 0 map_us unmap_us - map and unmap one page N
 *                                         times (the vIOMMU pattern)
 *
 * with the total time of the N calls.  When the BAR_BDF environment
 * variable names a function bound to vfio-pci with a large memory BAR
 * (ivshmem-plain in the bench VM), its BAR is mapped for peer-to-peer
 * DMA from a fresh mmap of the device fd (no page faulted in yet) and
 * from one touched page by page first:
 *
 *   BENCH bar-untouched size_mib map_us unmap_us -
 *   BENCH bar-prefaulted size_mib map_us unmap_us -
 *
 * BENCH_ROWS in the environment (large, small, bar, pin: any of them)
 * limits the run to those rows.
 *
 * When vfio_pin_bench.ko is loaded, the same sizes of 4 KiB memory are
 * also pinned through vfio_pin_pages() by its emulated-IOMMU device, in
 * a container of its own (nothing pinned at MAP_DMA), one page a call
 * and 512 a call; those lines read
 *
 *   BENCH pin-xN size_mib pin_us unpin_us -
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "../../../../../drivers/vfio/test/vfio_pin_bench_api.h"

#define SZ_4K		4096UL
#define SZ_2M		(2UL << 20)
#define REPS		3
#define IOVA		(1ULL << 32)
/* How many small mappings a row makes, and how often one is churned. */
#define SMALL_N		16384
#define HUGE_N		128
#define CHURN_N		2000

enum backing { B_4K, B_4K_SCATTERED, B_THP, B_HUGETLB, B_NR };

static const char * const backing_name[B_NR] = {
	[B_4K] = "4k",
	[B_4K_SCATTERED] = "4k-scattered",
	[B_THP] = "thp",
	[B_HUGETLB] = "hugetlb-2m",
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Touch every 4 KiB page once, in a random order. */
static void touch_shuffled(char *buf, size_t size)
{
	size_t n = size / SZ_4K, i, j, tmp;
	size_t *order = malloc(n * sizeof(*order));

	if (!order)
		exit(1);
	for (i = 0; i < n; i++)
		order[i] = i;
	srandom(1);
	for (i = n - 1; i > 0; i--) {
		j = random() % (i + 1);
		tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
	for (i = 0; i < n; i++)
		buf[order[i] * SZ_4K] = 1;
	free(order);
}

/* Memory of one kind, every page present; NULL when it cannot be had. */
static char *backing_alloc(enum backing b, size_t size)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	char *raw, *buf;

	if (b == B_HUGETLB) {
		buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   flags | MAP_HUGETLB | MAP_POPULATE, -1, 0);
		return buf == MAP_FAILED ? NULL : buf;
	}
	/* 2 MiB aligned, so THP can back all of it. */
	raw = mmap(NULL, size + SZ_2M, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	buf = (char *)(((uintptr_t)raw + SZ_2M - 1) & ~(SZ_2M - 1));
	if (buf != raw)
		munmap(raw, buf - raw);
	munmap(buf + size, raw + SZ_2M - buf);
	madvise(buf, size, b == B_THP ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	if (b == B_4K_SCATTERED)
		touch_shuffled(buf, size);
	else
		memset(buf, 1, size);
	return buf;
}

/* Physically contiguous runs of [buf, buf + size), or 0 if unknown. */
static unsigned long count_runs(char *buf, size_t size)
{
	size_t n = size / SZ_4K, i;
	unsigned long runs = 0;
	uint64_t *pm, prev = 0;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY);
	pm = malloc(n * sizeof(*pm));
	if (fd < 0 || !pm ||
	    pread(fd, pm, n * sizeof(*pm),
		  (uintptr_t)buf / SZ_4K * sizeof(*pm)) !=
	    (ssize_t)(n * sizeof(*pm))) {
		runs = 0;
		goto out;
	}
	for (i = 0; i < n; i++) {
		uint64_t pfn = pm[i] & ((1ULL << 55) - 1);

		if (!pfn) {	/* not root, or not present */
			runs = 0;
			goto out;
		}
		if (!i || pfn != prev + 1)
			runs++;
		prev = pfn;
	}
out:
	free(pm);
	if (fd >= 0)
		close(fd);
	return runs;
}

/*
 * Put the group of the device at @sysfs_dev into @container; returns the
 * group's fd, which keeps it there, or -1.
 */
static int attach_group(int container, const char *sysfs_dev)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int group;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/iommu_group", sysfs_dev);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(link, '/') + 1);
	group = open(path, O_RDWR);
	if (group < 0 || ioctl(group, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE) ||
	    ioctl(group, VFIO_GROUP_SET_CONTAINER, &container)) {
		perror("type1_bench: group");
		return -1;
	}
	return group;
}

/*
 * A type1 v2 container with the group of the device at @sysfs_dev; the
 * group's fd stays open with it, in @group_out if that is not NULL.
 */
static int open_container(const char *sysfs_dev, int *group_out)
{
	int container = open("/dev/vfio/vfio", O_RDWR), group;

	if (container < 0)
		return -1;
	group = attach_group(container, sysfs_dev);
	if (group < 0 ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		perror("type1_bench: container");
		return -1;
	}
	if (group_out)
		*group_out = group;
	return container;
}

/* MAP_DMA and UNMAP_DMA arguments for @size bytes at IOVA, read-write. */
static void dma_args(size_t size, struct vfio_iommu_type1_dma_map *map,
		     struct vfio_iommu_type1_dma_unmap *unmap)
{
	*map = (struct vfio_iommu_type1_dma_map) {
		.argsz = sizeof(*map), .iova = IOVA, .size = size,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	};
	*unmap = (struct vfio_iommu_type1_dma_unmap) {
		.argsz = sizeof(*unmap), .iova = IOVA, .size = size,
	};
}

static int map_at(int container, char *buf, uint64_t iova, size_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .vaddr = (uintptr_t)buf, .iova = iova,
		.size = size,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	};

	if (!ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
		return 0;
	fprintf(stderr, "type1_bench: MAP_DMA of %zu at %#llx: %s\n", size,
		(unsigned long long)iova, strerror(errno));
	return -1;
}

static int unmap_at(int container, uint64_t iova, size_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = iova, .size = size,
	};

	if (!ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap) &&
	    unmap.size == size)
		return 0;
	fprintf(stderr, "type1_bench: UNMAP_DMA of %zu at %#llx: %s\n", size,
		(unsigned long long)iova, strerror(errno));
	return -1;
}

/* The best map and unmap times of a row's rounds, in microseconds. */
struct best {
	double map_us, unmap_us;
};

#define BEST_INIT	{ 1e18, 1e18 }

static void best_note(struct best *b, double map_us, double unmap_us)
{
	if (map_us < b->map_us)
		b->map_us = map_us;
	if (unmap_us < b->unmap_us)
		b->unmap_us = unmap_us;
}

/* One MAP_DMA and one UNMAP_DMA of @size bytes at @buf, timed into @b. */
static int time_map_unmap(int container, char *buf, uint64_t iova,
			  size_t size, struct best *b)
{
	double t0 = now_us(), t1;

	if (map_at(container, buf, iova, size))
		return -1;
	t1 = now_us();
	if (unmap_at(container, iova, size))
		return -1;
	best_note(b, t1 - t0, now_us() - t1);
	return 0;
}

static int bench_one(int container, enum backing b, size_t mib)
{
	size_t size = mib << 20;
	struct best best = BEST_INIT;
	unsigned long runs;
	char *buf;
	int r;

	buf = backing_alloc(b, size);
	if (!buf) {
		printf("BENCH-SKIP %s %zu: no memory of that kind\n",
		       backing_name[b], mib);
		return 0;
	}
	runs = count_runs(buf, size);
	for (r = 0; r < REPS; r++)
		if (time_map_unmap(container, buf, IOVA, size, &best))
			return -1;
	printf("BENCH %s %zu %.0f %.0f %lu\n", backing_name[b], mib,
	       best.map_us, best.unmap_us, runs);
	fflush(stdout);
	munmap(buf, size);
	return 0;
}

/*
 * @n mappings of @each bytes of @buf, one MAP_DMA each, then one
 * UNMAP_DMA each or (@all) one for all; best of REPS totals.
 */
static int bench_per_call(int container, const char *name, char *buf,
			  size_t each, unsigned int n, bool all)
{
	struct best best = BEST_INIT;
	double t0, t1;
	unsigned int i, r;

	for (r = 0; r < REPS; r++) {
		t0 = now_us();
		for (i = 0; i < n; i++)
			if (map_at(container, buf + i * each, IOVA + i * each,
				   each))
				return -1;
		t1 = now_us();
		if (all) {
			if (unmap_at(container, IOVA, n * each))
				return -1;
		} else {
			for (i = 0; i < n; i++)
				if (unmap_at(container, IOVA + i * each, each))
					return -1;
		}
		best_note(&best, t1 - t0, now_us() - t1);
	}
	printf("BENCH %s-x%u%s 0 %.0f %.0f -\n", name, n, all ? "-all" : "",
	       best.map_us, best.unmap_us);
	fflush(stdout);
	return 0;
}

/* One page mapped and unmapped @n times: the time of all maps, unmaps. */
static int bench_churn(int container, char *buf, unsigned int n)
{
	struct best best = BEST_INIT, round;
	unsigned int i, r;

	for (r = 0; r < REPS; r++) {
		/* The sum of the calls' times: of each call, "best" of one. */
		struct best total = { 0, 0 };

		for (i = 0; i < n; i++) {
			round = (struct best)BEST_INIT;
			if (time_map_unmap(container, buf, IOVA, SZ_4K, &round))
				return -1;
			total.map_us += round.map_us;
			total.unmap_us += round.unmap_us;
		}
		best_note(&best, total.map_us, total.unmap_us);
	}
	printf("BENCH churn-4k-x%u 0 %.0f %.0f -\n", n, best.map_us,
	       best.unmap_us);
	fflush(stdout);
	return 0;
}

static int bench_small(int container)
{
	char *buf = backing_alloc(B_4K, SMALL_N * SZ_4K), *huge;

	if (!buf)
		return -1;
	if (bench_per_call(container, "4k", buf, SZ_4K, SMALL_N, false) ||
	    bench_per_call(container, "4k", buf, SZ_4K, SMALL_N, true) ||
	    bench_churn(container, buf, CHURN_N))
		return -1;
	munmap(buf, SMALL_N * SZ_4K);
	huge = backing_alloc(B_HUGETLB, HUGE_N * SZ_2M);
	if (!huge) {
		printf("BENCH-SKIP 2m-x%u: no hugetlb memory\n", HUGE_N);
		return 0;
	}
	if (bench_per_call(container, "2m", huge, SZ_2M, HUGE_N, false) ||
	    bench_per_call(container, "2m", huge, SZ_2M, HUGE_N, true))
		return -1;
	munmap(huge, HUGE_N * SZ_2M);
	return 0;
}

/* The largest mappable BAR of a vfio-pci device, in @info. */
static int largest_bar(int device, struct vfio_region_info *info)
{
	struct vfio_region_info r;
	unsigned int i;

	info->size = 0;
	for (i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX;
	     i++) {
		r = (struct vfio_region_info){ .argsz = sizeof(r), .index = i };
		if (!ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &r) &&
		    r.flags & VFIO_REGION_INFO_FLAG_MMAP && r.size > info->size)
			*info = r;
	}
	return info->size ? 0 : -1;
}

/*
 * MAP_DMA of the BAR, mmapped anew for every round; with @touch, every
 * page of it read once first, so that its page tables are all there.
 */
static int bench_bar_one(int container, int device,
			 const struct vfio_region_info *bar, bool touch)
{
	struct best best = BEST_INIT;
	uint64_t iova = IOVA << 2;
	volatile char *v;
	size_t off;
	char *p;
	int r;

	for (r = 0; r < REPS; r++) {
		p = mmap(NULL, bar->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 device, bar->offset);
		if (p == MAP_FAILED) {
			perror("type1_bench: BAR mmap");
			return -1;
		}
		for (v = p, off = 0; touch && off < bar->size; off += SZ_4K)
			(void)v[off];
		if (time_map_unmap(container, p, iova, bar->size, &best))
			return -1;
		munmap(p, bar->size);
	}
	printf("BENCH bar-%s %llu %.0f %.0f -\n",
	       touch ? "prefaulted" : "untouched",
	       (unsigned long long)bar->size >> 20, best.map_us, best.unmap_us);
	fflush(stdout);
	return 0;
}

/* The BAR rows, when BAR_BDF names a device. */
static int bench_bar(int container)
{
	const char *bdf = getenv("BAR_BDF");
	struct vfio_region_info bar;
	char dev[PATH_MAX];
	int group, device;

	if (!bdf || !*bdf) {
		printf("BENCH-SKIP bar: no BAR_BDF\n");
		return 0;
	}
	snprintf(dev, sizeof(dev), "/sys/bus/pci/devices/%s", bdf);
	group = attach_group(container, dev);
	if (group < 0)
		return -1;
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (device < 0 || largest_bar(device, &bar)) {
		fprintf(stderr, "type1_bench: no mappable BAR on %s\n", bdf);
		return -1;
	}
	if (bench_bar_one(container, device, &bar, false) ||
	    bench_bar_one(container, device, &bar, true))
		return -1;
	close(device);
	close(group);
	return 0;
}

#define PIN_DEV	"/sys/bus/platform/devices/" VFIO_PIN_BENCH_NAME

/* Best of REPS pins and unpins of @mib MiB, @per_call pages a call. */
static int bench_pin(int container, int device, size_t mib,
		     unsigned int per_call)
{
	size_t size = mib << 20;
	struct vfio_iommu_type1_dma_unmap unmap;
	struct vfio_iommu_type1_dma_map map;
	struct vfio_pin_bench run = {
		.iova = IOVA, .npages = size / SZ_4K, .per_call = per_call,
	};
	double best_pin = 1e18, best_unpin = 1e18;
	char *buf = backing_alloc(B_4K, size);
	int r, ret = 0;

	if (!buf)
		return -1;
	dma_args(size, &map, &unmap);
	map.vaddr = (uintptr_t)buf;
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map)) {
		perror("type1_bench: MAP_DMA for pinning");
		return -1;
	}
	for (r = 0; r < REPS; r++) {
		ret = ioctl(device, VFIO_PIN_BENCH_RUN, &run);
		if (ret)
			break;
		if (run.pin_ns / 1e3 < best_pin)
			best_pin = run.pin_ns / 1e3;
		if (run.unpin_ns / 1e3 < best_unpin)
			best_unpin = run.unpin_ns / 1e3;
	}
	if (ret)
		perror("type1_bench: VFIO_PIN_BENCH_RUN");
	else
		printf("BENCH pin-x%u %zu %.0f %.0f -\n", per_call, mib,
		       best_pin, best_unpin);
	fflush(stdout);
	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		ret = -1;
	munmap(buf, size);
	return ret;
}

/* The vfio_pin_pages() lines, when vfio_pin_bench.ko is there. */
static int bench_pins(const size_t *mib, int nsizes)
{
	int container, group, device, i, ret = 0;

	if (access(PIN_DEV, F_OK)) {
		printf("BENCH-SKIP pin: no %s\n", VFIO_PIN_BENCH_NAME);
		return 0;
	}
	container = open_container(PIN_DEV, &group);
	if (container < 0)
		return -1;
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, VFIO_PIN_BENCH_NAME);
	if (device < 0) {
		perror("type1_bench: " VFIO_PIN_BENCH_NAME);
		return -1;
	}
	for (i = 0; i < nsizes && !ret; i++)
		ret = bench_pin(container, device, mib[i], 1);
	for (i = 0; i < nsizes && !ret; i++)
		ret = bench_pin(container, device, mib[i],
				VFIO_PIN_BENCH_MAX_PER_CALL);
	close(device);
	close(group);
	close(container);
	return ret;
}

/* Whether BENCH_ROWS (a list of large, small, bar, pin) asks for @rows. */
static bool wanted(const char *rows)
{
	const char *list = getenv("BENCH_ROWS");

	return !list || !*list || strstr(list, rows);
}

int main(int argc, char **argv)
{
	size_t mib[16] = { 64, 256, 1024 };
	int container, i, b, nsizes = argc > 2 ? argc - 2 : 3;
	char dev[PATH_MAX];

	if (argc < 2 || nsizes > 16) {
		fprintf(stderr, "usage: type1_bench BDF [SIZE_MIB...]\n");
		return 2;
	}
	for (i = 0; argc > 2 && i < nsizes; i++)
		mib[i] = strtoul(argv[i + 2], NULL, 0);
	snprintf(dev, sizeof(dev), "/sys/bus/pci/devices/%s", argv[1]);
	container = open_container(dev, NULL);
	if (container < 0)
		return 1;
	for (b = 0; wanted("large") && b < B_NR; b++) {
		for (i = 0; i < nsizes; i++) {
			if (bench_one(container, b, mib[i]))
				return 1;
		}
	}
	if ((wanted("small") && bench_small(container)) ||
	    (wanted("bar") && bench_bar(container)))
		return 1;
	return wanted("pin") && bench_pins(mib, nsizes) ? 1 : 0;
}
