// SPDX-License-Identifier: GPL-2.0-only
/*
 * mblit: a mediated device sample that reaches guest memory the way a vGPU
 * does.  It is a copy engine (see mblit_regs.h): the user programs two
 * IOVAs and a length and starts a copy, which the driver carries out on
 * guest memory either through pages it pins with vfio_pin_pages() and
 * keeps pinned, or through vfio_dma_rw().
 *
 * Like a vGPU it works only for a KVM VM: opening fails unless userspace
 * added the instance's group to the VM's KVM-VFIO device first, since a
 * vGPU needs the VM to track guest pages.  And like a vGPU it must let go
 * of pinned pages when userspace unmaps them, which its dma_unmap callback
 * does.
 *
 * Engines are a shared resource: the parent has "engines" of them (a
 * module parameter), type "single" takes one, type "dual" two.  The driver
 * accounts them itself and tells mdev.ko through get_available.  The
 * parent is a platform device "mblit" (see msample.h).
 */
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/kvm_host.h>
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/pci_regs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/xarray.h>
#include <asm/unaligned.h>

#include "msample.h"
#include "mblit_regs.h"

#define MBLIT_NAME		"mblit"
#define MBLIT_CFG_SIZE		256
#define MBLIT_BAR_SIZE		SZ_4K
#define MBLIT_REGION_MASK	((1ULL << MBLIT_REGION_SHIFT) - 1)

static unsigned int engines = 4;
module_param(engines, uint, 0444);
MODULE_PARM_DESC(engines, "copy engines the parent shares among instances");

/* Engines not taken by an instance; changed under mblit_engines_lock. */
static unsigned int mblit_free_engines;
static DEFINE_SPINLOCK(mblit_engines_lock);	/* see above */

struct mblit_type {
	struct mdev_type type;
	unsigned int engines;
};

static struct mblit_type mblit_types[] = {
	{ .type.sysfs_name = "single", .type.pretty_name = "mblit, 1 engine",
	  .engines = 1 },
	{ .type.sysfs_name = "dual", .type.pretty_name = "mblit, 2 engines",
	  .engines = 2 },
};

static struct mdev_type *mblit_type_list[] = {
	&mblit_types[0].type,
	&mblit_types[1].type,
};

/**
 * struct mblit - one instance
 * @vdev: the VFIO device; first, as vfio_alloc_device() wants
 * @engines: engines taken from the parent's pool
 * @lock: protects every member below.  Held across vfio_pin_pages() and
 *        vfio_unpin_pages(); the IOMMU backend calls @dma_unmap without
 *        its own locks held, so taking it there cannot deadlock.
 * @src: source IOVA register
 * @dst: destination IOVA register
 * @len: length register
 * @status: status register
 * @copies: commands completed
 * @unmaps: pages unpinned because userspace unmapped them
 * @pins: pinned guest pages, indexed by IOVA page frame number
 * @npinned: number of entries in @pins
 */
struct mblit {
	struct vfio_device vdev;
	unsigned int engines;
	struct mutex lock;	/* see the kernel-doc above */
	u64 src;
	u64 dst;
	u32 len;
	u32 status;
	u32 copies;
	u32 unmaps;
	struct xarray pins;
	u32 npinned;
};

static struct mblit *to_mblit(struct vfio_device *vdev)
{
	return container_of(vdev, struct mblit, vdev);
}

/* The page pinned at IOVA page frame @pfn, pinning it if needed. */
static struct page *mblit_page(struct mblit *mb, unsigned long pfn)
{
	struct page *page = xa_load(&mb->pins, pfn);
	int ret;

	lockdep_assert_held(&mb->lock);
	if (page)
		return page;
	ret = vfio_pin_pages(&mb->vdev, (dma_addr_t)pfn << PAGE_SHIFT, 1,
			     IOMMU_READ | IOMMU_WRITE, &page);
	if (ret != 1)
		return ERR_PTR(ret < 0 ? ret : -EFAULT);
	ret = xa_err(xa_store(&mb->pins, pfn, page, GFP_KERNEL));
	if (ret) {
		vfio_unpin_pages(&mb->vdev, (dma_addr_t)pfn << PAGE_SHIFT, 1);
		return ERR_PTR(ret);
	}
	mb->npinned++;
	return page;
}

static void mblit_unpin(struct mblit *mb, unsigned long pfn)
{
	lockdep_assert_held(&mb->lock);
	if (!xa_erase(&mb->pins, pfn))
		return;
	vfio_unpin_pages(&mb->vdev, (dma_addr_t)pfn << PAGE_SHIFT, 1);
	mb->npinned--;
}

/* Unpin what lies in [first, last] (IOVA page frames); returns the count. */
static unsigned int mblit_unpin_range(struct mblit *mb, unsigned long first,
				      unsigned long last)
{
	unsigned int before = mb->npinned;
	unsigned long pfn;
	struct page *page;

	xa_for_each_range(&mb->pins, pfn, page, first, last)
		mblit_unpin(mb, pfn);
	return before - mb->npinned;
}

/* Copy @len bytes from IOVA @src to IOVA @dst through pinned pages. */
static int mblit_copy_pinned(struct mblit *mb, u64 src, u64 dst, u32 len)
{
	while (len) {
		u32 chunk = min3(len, (u32)(PAGE_SIZE - offset_in_page(src)),
				 (u32)(PAGE_SIZE - offset_in_page(dst)));
		struct page *from = mblit_page(mb, src >> PAGE_SHIFT);
		struct page *to = mblit_page(mb, dst >> PAGE_SHIFT);

		if (IS_ERR(from))
			return PTR_ERR(from);
		if (IS_ERR(to))
			return PTR_ERR(to);
		memcpy_page(to, offset_in_page(dst), from, offset_in_page(src),
			    chunk);
		src += chunk;
		dst += chunk;
		len -= chunk;
	}
	return 0;
}

/* The same through vfio_dma_rw(), which pins only for the copy. */
static int mblit_copy_rw(struct mblit *mb, u64 src, u64 dst, u32 len)
{
	void *buf = kvmalloc(len, GFP_KERNEL);
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = vfio_dma_rw(&mb->vdev, src, buf, len, false);
	if (!ret)
		ret = vfio_dma_rw(&mb->vdev, dst, buf, len, true);
	kvfree(buf);
	return ret;
}

static void mblit_command(struct mblit *mb, u32 cmd)
{
	int ret;

	lockdep_assert_held(&mb->lock);
	if (cmd != MBLIT_CMD_FLUSH &&
	    (!mb->len || mb->len > MBLIT_MAX_LEN ||
	     mb->src + mb->len < mb->src || mb->dst + mb->len < mb->dst)) {
		mb->status = EINVAL;
		return;
	}
	switch (cmd) {
	case MBLIT_CMD_COPY_PINNED:
		ret = mblit_copy_pinned(mb, mb->src, mb->dst, mb->len);
		break;
	case MBLIT_CMD_COPY_RW:
		ret = mblit_copy_rw(mb, mb->src, mb->dst, mb->len);
		break;
	case MBLIT_CMD_FLUSH:
		mblit_unpin_range(mb, 0, ULONG_MAX);
		ret = 0;
		break;
	default:
		ret = -EINVAL;
	}
	mb->status = -ret;
	if (!ret)
		mb->copies++;
}

static u32 mblit_reg_read(struct mblit *mb, u32 reg)
{
	switch (reg) {
	case MBLIT_REG_MAGIC:
		return MBLIT_MAGIC;
	case MBLIT_REG_SRC_LO:
		return lower_32_bits(mb->src);
	case MBLIT_REG_SRC_HI:
		return upper_32_bits(mb->src);
	case MBLIT_REG_DST_LO:
		return lower_32_bits(mb->dst);
	case MBLIT_REG_DST_HI:
		return upper_32_bits(mb->dst);
	case MBLIT_REG_LEN:
		return mb->len;
	case MBLIT_REG_STATUS:
		return mb->status;
	case MBLIT_REG_PINNED:
		return mb->npinned;
	case MBLIT_REG_COPIES:
		return mb->copies;
	case MBLIT_REG_UNMAPS:
		return mb->unmaps;
	}
	return 0;
}

/* Replace the low or high half of *@reg. */
static void set_half(u64 *reg, u32 val, bool high)
{
	if (high)
		*reg = (*reg & U32_MAX) | (u64)val << 32;
	else
		*reg = (*reg & ~(u64)U32_MAX) | val;
}

static void mblit_reg_write(struct mblit *mb, u32 reg, u32 val)
{
	switch (reg) {
	case MBLIT_REG_SRC_LO:
	case MBLIT_REG_SRC_HI:
		set_half(&mb->src, val, reg == MBLIT_REG_SRC_HI);
		break;
	case MBLIT_REG_DST_LO:
	case MBLIT_REG_DST_HI:
		set_half(&mb->dst, val, reg == MBLIT_REG_DST_HI);
		break;
	case MBLIT_REG_LEN:
		mb->len = val;
		break;
	case MBLIT_REG_CMD:
		mblit_command(mb, val);
		break;
	}
}

/* Configuration space: identification only, all read-only. */
static void mblit_cfg_read(u8 *buf, u64 off, size_t len)
{
	u8 cfg[MBLIT_CFG_SIZE] = {};

	put_unaligned_le16(MBLIT_VENDOR_ID, cfg + PCI_VENDOR_ID);
	put_unaligned_le16(MBLIT_DEVICE_ID, cfg + PCI_DEVICE_ID);
	cfg[PCI_CLASS_DEVICE + 1] = 0xff;	/* unclassified */
	memcpy(buf, cfg + off, len);
}

static int mblit_access(struct mblit *mb, unsigned int index, u64 off,
			u8 *buf, size_t len, bool write)
{
	__le32 val;

	if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
		if (off >= MBLIT_CFG_SIZE || len > MBLIT_CFG_SIZE - off)
			return -EINVAL;
		if (!write)
			mblit_cfg_read(buf, off, len);
		return 0;
	}
	if (index != VFIO_PCI_BAR0_REGION_INDEX || len != sizeof(val) ||
	    off % sizeof(val) || off >= MBLIT_BAR_SIZE)
		return -EINVAL;

	mutex_lock(&mb->lock);
	if (write) {
		memcpy(&val, buf, len);
		mblit_reg_write(mb, off, le32_to_cpu(val));
	} else {
		val = cpu_to_le32(mblit_reg_read(mb, off));
		memcpy(buf, &val, len);
	}
	mutex_unlock(&mb->lock);
	return 0;
}

static ssize_t mblit_rw(struct vfio_device *vdev, char __user *ubuf,
			size_t len, loff_t *ppos, bool write)
{
	unsigned int index = *ppos >> MBLIT_REGION_SHIFT;
	u64 off = *ppos & MBLIT_REGION_MASK;
	u8 buf[MBLIT_CFG_SIZE];
	int ret;

	if (!len || len > sizeof(buf))
		return -EINVAL;
	if (write && copy_from_user(buf, ubuf, len))
		return -EFAULT;
	ret = mblit_access(to_mblit(vdev), index, off, buf, len, write);
	if (ret)
		return ret;
	if (!write && copy_to_user(ubuf, buf, len))
		return -EFAULT;
	*ppos += len;
	return len;
}

static ssize_t mblit_read(struct vfio_device *vdev, char __user *buf,
			  size_t len, loff_t *ppos)
{
	return mblit_rw(vdev, buf, len, ppos, false);
}

static ssize_t mblit_write(struct vfio_device *vdev, const char __user *buf,
			   size_t len, loff_t *ppos)
{
	return mblit_rw(vdev, (char __user *)buf, len, ppos, true);
}

static long mblit_get_region_info(void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_region_info info;
	int ret;

	ret = msample_info_in(&info, arg, minsz);
	if (ret)
		return ret;
	if (info.index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	info.offset = (u64)info.index << MBLIT_REGION_SHIFT;
	switch (info.index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info.size = MBLIT_CFG_SIZE;
		info.flags = VFIO_REGION_INFO_FLAG_READ;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX:
		info.size = MBLIT_BAR_SIZE;
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
		break;
	default:
		info.size = 0;
		info.flags = 0;
	}
	return msample_info_out(arg, &info, minsz);
}

/* No interrupts: every index exists, with no vector. */
static long mblit_get_irq_info(void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;
	int ret;

	ret = msample_info_in(&info, arg, minsz);
	if (ret)
		return ret;
	if (info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	info.flags = 0;
	info.count = 0;
	return msample_info_out(arg, &info, minsz);
}

static void mblit_reset(struct mblit *mb)
{
	lockdep_assert_held(&mb->lock);
	mblit_unpin_range(mb, 0, ULONG_MAX);
	mb->src = 0;
	mb->dst = 0;
	mb->len = 0;
	mb->status = 0;
}

static long mblit_ioctl(struct vfio_device *vdev, unsigned int cmd,
			unsigned long arg)
{
	struct mblit *mb = to_mblit(vdev);

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return msample_device_info((void __user *)arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return mblit_get_region_info((void __user *)arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return mblit_get_irq_info((void __user *)arg);
	case VFIO_DEVICE_RESET:
		mutex_lock(&mb->lock);
		mblit_reset(mb);
		mutex_unlock(&mb->lock);
		return 0;
	}
	return -ENOTTY;
}

/*
 * Userspace unmapped [iova, iova + length): the pages we pinned there must
 * be unpinned before we return, or the unmap fails.
 */
static void mblit_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
	struct mblit *mb = to_mblit(vdev);

	if (!length)
		return;
	mutex_lock(&mb->lock);
	mb->unmaps += mblit_unpin_range(mb, iova >> PAGE_SHIFT,
					(iova + length - 1) >> PAGE_SHIFT);
	mutex_unlock(&mb->lock);
}

/*
 * The VM is captured by the core at the first open and stays the same
 * until the last close, so checking it once here is enough.
 */
static int mblit_open_device(struct vfio_device *vdev)
{
	struct kvm *kvm = vdev->kvm;

	if (!kvm) {
		dev_warn_ratelimited(vdev->dev,
				     "needs a KVM VM: add its VFIO group to the VM's KVM-VFIO device before opening it\n");
		return -EPERM;
	}
	if (kvm->mm != current->mm) {
		dev_warn_ratelimited(vdev->dev,
				     "the VM belongs to another process\n");
		return -EPERM;
	}
	return 0;
}

static void mblit_close_device(struct vfio_device *vdev)
{
	struct mblit *mb = to_mblit(vdev);

	mutex_lock(&mb->lock);
	mblit_reset(mb);
	mb->copies = 0;
	mb->unmaps = 0;
	mutex_unlock(&mb->lock);
}

static int mblit_init_dev(struct vfio_device *vdev)
{
	struct mblit *mb = to_mblit(vdev);

	mutex_init(&mb->lock);
	xa_init(&mb->pins);
	return 0;
}

static void mblit_release_dev(struct vfio_device *vdev)
{
	struct mblit *mb = to_mblit(vdev);

	WARN_ON(!xa_empty(&mb->pins));
	xa_destroy(&mb->pins);
	mutex_destroy(&mb->lock);
	vfio_free_device(vdev);
}

static const struct vfio_device_ops mblit_dev_ops = {
	.name		= "vfio-mblit",
	.init		= mblit_init_dev,
	.release	= mblit_release_dev,
	.open_device	= mblit_open_device,
	.close_device	= mblit_close_device,
	.read		= mblit_read,
	.write		= mblit_write,
	.ioctl		= mblit_ioctl,
	.dma_unmap	= mblit_dma_unmap,
};

static bool mblit_take_engines(unsigned int n)
{
	bool ok;

	spin_lock(&mblit_engines_lock);
	ok = mblit_free_engines >= n;
	if (ok)
		mblit_free_engines -= n;
	spin_unlock(&mblit_engines_lock);
	return ok;
}

static void mblit_give_engines(unsigned int n)
{
	spin_lock(&mblit_engines_lock);
	mblit_free_engines += n;
	spin_unlock(&mblit_engines_lock);
}

static int mblit_probe(struct mdev_device *mdev)
{
	struct mblit_type *type =
		container_of(mdev->type, struct mblit_type, type);
	struct mblit *mb;
	int ret;

	/* get_available said yes, but another creation may have won. */
	if (!mblit_take_engines(type->engines))
		return -ENOSPC;
	mb = vfio_alloc_device(mblit, vdev, &mdev->dev, &mblit_dev_ops);
	if (IS_ERR(mb)) {
		ret = PTR_ERR(mb);
		goto err_engines;
	}
	mb->engines = type->engines;
	dev_set_drvdata(&mdev->dev, mb);
	ret = vfio_register_emulated_iommu_dev(&mb->vdev);
	if (ret)
		goto err_put;
	return 0;

err_put:
	vfio_put_device(&mb->vdev);
err_engines:
	mblit_give_engines(type->engines);
	return ret;
}

static void mblit_remove(struct mdev_device *mdev)
{
	struct mblit *mb = dev_get_drvdata(&mdev->dev);
	unsigned int n = mb->engines;

	vfio_unregister_group_dev(&mb->vdev);
	vfio_put_device(&mb->vdev);
	mblit_give_engines(n);
}

static unsigned int mblit_get_available(struct mdev_type *mtype)
{
	struct mblit_type *type =
		container_of(mtype, struct mblit_type, type);

	return READ_ONCE(mblit_free_engines) / type->engines;
}

static ssize_t mblit_describe(struct mdev_type *mtype, char *buf)
{
	struct mblit_type *type =
		container_of(mtype, struct mblit_type, type);

	return sysfs_emit(buf, "DMA copy engine x%u, needs KVM\n",
			  type->engines);
}

static struct mdev_driver mblit_driver = {
	.driver = {
		.name	= MBLIT_NAME,
		.owner	= THIS_MODULE,
	},
	.device_api		= VFIO_DEVICE_API_PCI_STRING,
	.probe			= mblit_probe,
	.remove			= mblit_remove,
	.get_available		= mblit_get_available,
	.show_description	= mblit_describe,
};

/* The parent; see msample.h. */
static struct msample_parent mblit_host = {
	.driver		= &mblit_driver,
	.types		= mblit_type_list,
	.nr_types	= ARRAY_SIZE(mblit_type_list),
};

static int __init mblit_init(void)
{
	mblit_free_engines = engines;
	return msample_parent_add(&mblit_host, MBLIT_NAME);
}

static void __exit mblit_exit(void)
{
	msample_parent_del(&mblit_host);
}

module_init(mblit_init);
module_exit(mblit_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Sample mediated device: a DMA copy engine that needs KVM, like a vGPU");
