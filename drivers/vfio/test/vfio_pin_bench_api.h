/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * Benchmark-only interface of vfio_pin_bench.ko, shared with
 * tools/testing/selftests/vfio/bench.  Not a stable ABI.
 *
 * The module registers one emulated-IOMMU VFIO device, "vfio-pin-bench"
 * (a platform device; its group is at
 * /sys/bus/platform/devices/vfio-pin-bench/iommu_group).  On its device
 * file, VFIO_PIN_BENCH_RUN pins @npages pages from @iova with
 * vfio_pin_pages(), @per_call pages a call, then unpins them the same
 * way, and reports how long each half took.  The IOVAs must have been
 * mapped with VFIO_IOMMU_MAP_DMA, readable and writable.
 */
#ifndef __VFIO_PIN_BENCH_API_H
#define __VFIO_PIN_BENCH_API_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define VFIO_PIN_BENCH_NAME		"vfio-pin-bench"
/* At most what one vfio_pin_pages() call takes in Linux 6.1. */
#define VFIO_PIN_BENCH_MAX_PER_CALL	512

/**
 * struct vfio_pin_bench - one timed pin and unpin of a range
 * @iova: first IOVA, page aligned (in)
 * @npages: pages to pin (in)
 * @per_call: pages per vfio_pin_pages() call, 1 to
 *            VFIO_PIN_BENCH_MAX_PER_CALL (in)
 * @pin_ns: time taken pinning them all (out)
 * @unpin_ns: time taken unpinning them all (out)
 */
struct vfio_pin_bench {
	__u64 iova;
	__u32 npages;
	__u32 per_call;
	__u64 pin_ns;
	__u64 unpin_ns;
};

#define VFIO_PIN_BENCH_RUN	_IOWR('B', 0x60, struct vfio_pin_bench)

#endif /* __VFIO_PIN_BENCH_API_H */
