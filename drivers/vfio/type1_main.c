// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_iommu_type1: the IOMMU backend of VFIO_TYPE1_IOMMU and
 * VFIO_TYPE1v2_IOMMU containers.  This file is the module and the
 * container-facing side: instances, groups, and the ioctls other than
 * MAP/UNMAP (type1_dma.c).
 */
#include <linux/device/driver.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "vfio_iommu_backend.h"
#include "type1.h"

bool type1_allow_unsafe_interrupts;
module_param_named(allow_unsafe_interrupts, type1_allow_unsafe_interrupts,
		   bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Accept groups whose devices could forge MSIs, on machines without interrupt remapping (unsafe)");

bool type1_disable_hugepages;
module_param_named(disable_hugepages, type1_disable_hugepages, bool, 0644);
MODULE_PARM_DESC(disable_hugepages,
		 "Map every page on its own instead of using IOMMU large pages");

unsigned int type1_dma_entry_limit __read_mostly = U16_MAX;
module_param_named(dma_entry_limit, type1_dma_entry_limit, uint, 0644);
MODULE_PARM_DESC(dma_entry_limit,
		 "Most MAP_DMA mappings one container may hold (default 65535)");

static void *type1_open(unsigned long arg)
{
	struct type1 *t;

	if (arg != VFIO_TYPE1_IOMMU && arg != VFIO_TYPE1v2_IOMMU &&
	    arg != VFIO_TYPE1_NESTING_IOMMU)
		return ERR_PTR(-EINVAL);

	t = kmalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return ERR_PTR(-ENOMEM);
	/* Until a domain says otherwise, any page size goes. */
	*t = (struct type1) {
		.dmas = RB_ROOT,
		.domains = LIST_HEAD_INIT(t->domains),
		.emulated = LIST_HEAD_INIT(t->emulated),
		.devices = LIST_HEAD_INIT(t->devices),
		.ranges = LIST_HEAD_INIT(t->ranges),
		.pgsize_bitmap = PAGE_MASK,
		.dma_avail = type1_dma_entry_limit,
		.v2 = arg != VFIO_TYPE1_IOMMU,
		.nesting = arg == VFIO_TYPE1_NESTING_IOMMU,
	};
	mutex_init(&t->notify_lock);
	mutex_init(&t->lock);
	return t;
}

static void type1_release(void *data)
{
	struct type1 *t = data;
	struct rb_node *node;

	/* The core detached every group first: only mappings are left. */
	WARN_ON(!list_empty(&t->domains) || !list_empty(&t->emulated));
	mutex_lock(&t->lock);
	while ((node = rb_first(&t->dmas))) {
		type1_remove_dma(t, rb_entry(node, struct type1_dma, node));
		cond_resched();
	}
	type1_free_ranges(t);
	mutex_unlock(&t->lock);
	mutex_destroy(&t->lock);
	mutex_destroy(&t->notify_lock);
	kfree(t);
}

static int type1_attach_group(void *data, struct iommu_group *group,
			      enum vfio_group_type type)
{
	struct type1 *t = data;
	struct type1_group *g;
	int ret = 0;

	mutex_lock(&t->lock);
	if (t->vaddr_invalid_count) {
		/* It might have to pin through an address that is invalid. */
		ret = -EBUSY;
	} else if (type == VFIO_IOMMU) {
		ret = type1_attach_iommu_group(t, group);
	} else if (type == VFIO_EMULATED_IOMMU) {
		g = kzalloc(sizeof(*g), GFP_KERNEL);
		if (g) {
			g->group = group;
			list_add(&g->node, &t->emulated);
		} else {
			ret = -ENOMEM;
		}
	} else {
		ret = -EINVAL;	/* no-IOMMU groups have their own type */
	}
	mutex_unlock(&t->lock);
	return ret;
}

static void type1_detach_group(void *data, struct iommu_group *group)
{
	struct type1 *t = data;
	struct type1_group *g;

	mutex_lock(&t->lock);
	list_for_each_entry(g, &t->emulated, node) {
		if (g->group == group) {
			list_del(&g->node);
			kfree(g);
			goto out_unlock;
		}
	}
	type1_detach_iommu_group(t, group);
out_unlock:
	mutex_unlock(&t->lock);
}

static bool type1_all_coherent(struct type1 *t)
{
	struct type1_domain *d;
	bool coherent = true;

	mutex_lock(&t->lock);
	list_for_each_entry(d, &t->domains, node)
		coherent &= d->coherent;
	mutex_unlock(&t->lock);
	return coherent;
}

static long type1_check_extension(struct type1 *t, unsigned long ext)
{
	/* The answers that depend on the container's state. */
	if (ext == VFIO_DMA_CC_IOMMU)
		return t && type1_all_coherent(t);
	if (ext == VFIO_UPDATE_VADDR)
		return type1_vaddr_supported(t);

	/* Every flavour of type1 is served, and unmap-all with each. */
	return ext == VFIO_TYPE1_IOMMU || ext == VFIO_TYPE1v2_IOMMU ||
	       ext == VFIO_TYPE1_NESTING_IOMMU || ext == VFIO_UNMAP_ALL;
}

static int type1_add_iova_cap(struct type1 *t, struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_info_cap_header *hdr;
	struct type1_range *r;
	size_t n = 0;

	list_for_each_entry(r, &t->ranges, node)
		n++;
	if (!n)
		return 0;	/* no limit: no capability */
	hdr = vfio_info_cap_add(caps, struct_size(cap, iova_ranges, n),
				VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);
	cap = container_of(hdr, typeof(*cap), header);
	cap->nr_iovas = n;
	n = 0;
	list_for_each_entry(r, &t->ranges, node) {
		cap->iova_ranges[n].start = r->start;
		cap->iova_ranges[n++].end = r->last;
	}
	return 0;
}

/* The capability chain, in the order 6.1 builds it. */
static int type1_add_caps(struct type1 *t, struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_dma_avail *avail;
	struct vfio_info_cap_header *hdr;
	int ret;

	ret = type1_dirty_add_cap(t, caps);
	if (ret)
		return ret;
	hdr = vfio_info_cap_add(caps, sizeof(*avail),
				VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);
	avail = container_of(hdr, typeof(*avail), header);
	avail->avail = t->dma_avail;
	return type1_add_iova_cap(t, caps);
}

static long type1_get_info(struct type1 *t, void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	struct vfio_iommu_type1_info info;
	struct vfio_info_cap caps = {};
	int ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	mutex_lock(&t->lock);
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = t->pgsize_bitmap;
	ret = type1_add_caps(t, &caps);
	mutex_unlock(&t->lock);
	if (ret)
		return ret;

	/*
	 * Old userspace knows no cap_offset and gets the fixed part only,
	 * though it is told, as by 6.1, that capabilities exist.
	 */
	if (info.argsz >= offsetofend(struct vfio_iommu_type1_info,
				      cap_offset)) {
		minsz = offsetofend(struct vfio_iommu_type1_info, cap_offset);
		info.cap_offset = 0;
	}
	info.flags |= VFIO_IOMMU_INFO_CAPS;
	if (info.argsz < sizeof(info) + caps.size) {
		info.argsz = sizeof(info) + caps.size;
	} else {
		vfio_info_cap_shift(&caps, sizeof(info));
		if (copy_to_user(arg + sizeof(info), caps.buf, caps.size))
			ret = -EFAULT;
		info.cap_offset = sizeof(info);
	}
	kfree(caps.buf);
	if (!ret && copy_to_user(arg, &info, minsz))
		ret = -EFAULT;
	return ret;
}

static long type1_ioctl(void *data, unsigned int cmd, unsigned long arg)
{
	struct type1 *t = data;
	void __user *uarg = (void __user *)arg;

	if (cmd == VFIO_CHECK_EXTENSION)
		return type1_check_extension(t, arg);
	if (!t)
		return -EINVAL;

	/* The mapping calls first: a VM start makes thousands of them. */
	if (cmd == VFIO_IOMMU_MAP_DMA)
		return type1_map_dma(t, uarg);
	if (cmd == VFIO_IOMMU_UNMAP_DMA)
		return type1_unmap_dma(t, uarg);
	if (cmd == VFIO_IOMMU_GET_INFO)
		return type1_get_info(t, uarg);
	if (cmd == VFIO_IOMMU_DIRTY_PAGES)
		return type1_dirty_pages(t, uarg);
	return -ENOTTY;
}

static const struct vfio_iommu_driver_ops type1_ops = {
	.name			= "vfio-iommu-type1",
	.owner			= THIS_MODULE,
	.open			= type1_open,
	.release		= type1_release,
	.ioctl			= type1_ioctl,
	.attach_group		= type1_attach_group,
	.detach_group		= type1_detach_group,
	.register_device	= type1_register_device,
	.unregister_device	= type1_unregister_device,
	.pin_pages		= type1_pin_pages,
	.unpin_pages		= type1_unpin_pages,
	.dma_rw			= type1_dma_rw,
};

/* The backend has no state of its own beyond its registration. */
module_driver(type1_ops, vfio_register_iommu_driver, vfio_unregister_iommu_driver);

MODULE_LICENSE("GPL v2");
MODULE_DESCRIPTION("VFIO type1 IOMMU backend: user DMA mappings in IOMMU domains");
