// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty-page logging done by the device itself (VFIO_DEVICE_FEATURE
 * DMA_LOGGING_START/STOP/REPORT), for devices whose driver has log_ops:
 * during migration such a device reports which pages it wrote by DMA, so
 * the IOMMU backend does not have to assume every pinned page is dirty.
 */
#include <linux/interval_tree.h>
#include <linux/iova_bitmap.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "vfio.h"

/* The ranges userspace may ask for fit in one page, as in 6.1. */
#define VFIO_LOGGING_MAX_RANGES \
	(PAGE_SIZE / sizeof(struct vfio_device_feature_dma_logging_range))

/* Check a range and convert it to an interval tree node. */
static int vfio_logging_range_node(u64 iova, u64 length, u64 page_size,
				   struct interval_tree_node *node)
{
	u64 end;

	if (!length || !IS_ALIGNED(iova, page_size) ||
	    !IS_ALIGNED(length, page_size))
		return -EINVAL;
	if (check_add_overflow(iova, length, &end) || end > ULONG_MAX)
		return -EOVERFLOW;

	node->start = iova;
	node->last = end - 1;
	return 0;
}

/* Read userspace's ranges into @nodes, indexed by @root; no overlaps. */
static int vfio_logging_read_ranges(struct vfio_device_feature_dma_logging_control *ctl,
				    struct interval_tree_node *nodes,
				    struct rb_root_cached *root)
{
	struct vfio_device_feature_dma_logging_range __user *uranges =
		u64_to_user_ptr(ctl->ranges);
	struct vfio_device_feature_dma_logging_range range;
	u32 i;
	int ret;

	for (i = 0; i < ctl->num_ranges; i++) {
		if (copy_from_user(&range, &uranges[i], sizeof(range)))
			return -EFAULT;
		ret = vfio_logging_range_node(range.iova, range.length,
					      ctl->page_size, &nodes[i]);
		if (ret)
			return ret;
		if (interval_tree_iter_first(root, nodes[i].start,
					     nodes[i].last))
			return -EINVAL;
		interval_tree_insert(&nodes[i], root);
	}
	return 0;
}

/**
 * vfio_device_feature_logging_start - VFIO_DEVICE_FEATURE_DMA_LOGGING_START
 * @device: the device
 * @flags: the request's flags
 * @arg: user payload, a struct vfio_device_feature_dma_logging_control
 * @argsz: payload size
 *
 * The driver may raise the page size; the one it uses is written back.
 *
 * Return: 0 or a negative errno; -ENOTTY for devices that cannot log.
 */
int vfio_device_feature_logging_start(struct vfio_device *device, u32 flags,
				      void __user *arg, size_t argsz)
{
	struct vfio_device_feature_dma_logging_control ctl;
	struct rb_root_cached root = RB_ROOT_CACHED;
	struct interval_tree_node *nodes;
	int ret;

	if (!device->log_ops)
		return -ENOTTY;
	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET,
				 sizeof(ctl));
	if (ret != 1)
		return ret;
	if (copy_from_user(&ctl, arg, sizeof(ctl)))
		return -EFAULT;
	if (!ctl.num_ranges || !is_power_of_2(ctl.page_size))
		return -EINVAL;
	if (ctl.num_ranges > VFIO_LOGGING_MAX_RANGES)
		return -E2BIG;

	nodes = kmalloc_array(ctl.num_ranges, sizeof(*nodes), GFP_KERNEL);
	if (!nodes)
		return -ENOMEM;

	ret = vfio_logging_read_ranges(&ctl, nodes, &root);
	if (ret)
		goto out_free;

	/* The driver copies what it needs: the tree is gone on return. */
	ret = device->log_ops->log_start(device, &root, ctl.num_ranges,
					 &ctl.page_size);
	if (ret)
		goto out_free;
	if (copy_to_user(arg, &ctl, sizeof(ctl))) {
		device->log_ops->log_stop(device);
		ret = -EFAULT;
	}
out_free:
	kfree(nodes);
	return ret;
}

/**
 * vfio_device_feature_logging_stop - VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP
 * @device: the device
 * @flags: the request's flags
 * @arg: user payload (none)
 * @argsz: payload size
 *
 * Return: 0 or a negative errno; -ENOTTY for devices that cannot log.
 */
int vfio_device_feature_logging_stop(struct vfio_device *device, u32 flags,
				     void __user *arg, size_t argsz)
{
	int ret;

	if (!device->log_ops)
		return -ENOTTY;
	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, 0);
	if (ret != 1)
		return ret;
	return device->log_ops->log_stop(device);
}

static int vfio_logging_read_window(struct iova_bitmap *bitmap,
				    unsigned long iova, size_t length,
				    void *opaque)
{
	struct vfio_device *device = opaque;

	return device->log_ops->log_read_and_clear(device, iova, length,
						   bitmap);
}

/**
 * vfio_device_feature_logging_report - VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT
 * @device: the device
 * @flags: the request's flags
 * @arg: user payload, a struct vfio_device_feature_dma_logging_report
 * @argsz: payload size
 *
 * Fills the user's bitmap with the pages of the range the device wrote
 * since logging started or since the last report, and clears them.
 *
 * Return: 0 or a negative errno; -ENOTTY for devices that cannot log.
 */
int vfio_device_feature_logging_report(struct vfio_device *device, u32 flags,
				       void __user *arg, size_t argsz)
{
	struct vfio_device_feature_dma_logging_report report;
	struct iova_bitmap *bitmap;
	u64 end;
	int ret;

	if (!device->log_ops)
		return -ENOTTY;
	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET,
				 sizeof(report));
	if (ret != 1)
		return ret;
	if (copy_from_user(&report, arg, sizeof(report)))
		return -EFAULT;
	if (report.page_size < SZ_4K || !is_power_of_2(report.page_size) ||
	    !report.length)
		return -EINVAL;
	if (check_add_overflow(report.iova, report.length, &end) ||
	    end > ULONG_MAX)
		return -EOVERFLOW;

	bitmap = iova_bitmap_alloc(report.iova, report.length,
				   report.page_size,
				   u64_to_user_ptr(report.bitmap));
	if (IS_ERR(bitmap))
		return PTR_ERR(bitmap);
	ret = iova_bitmap_for_each(bitmap, device, vfio_logging_read_window);
	iova_bitmap_free(bitmap);
	return ret;
}
