// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioctls of a vfio-pci device file: what the device looks like (info,
 * regions, interrupt indexes) and the requests that act on it.
 */
#include <linux/bitops.h>
#include <linux/nospec.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vfio_pci_priv.h"

/* Whether a ROM image answers; needs memory decode to look. */
static bool rom_present(struct vfio_pci_core_device *vdev)
{
	void __iomem *io;
	size_t size;
	u16 cmd;

	cmd = vfio_pci_memory_lock_and_enable(vdev);
	io = pci_map_rom(vdev->pdev, &size);
	if (io)
		pci_unmap_rom(vdev->pdev, io);
	vfio_pci_memory_unlock_and_restore(vdev, cmd);
	return io;
}

static int region_info_bar(struct vfio_pci_core_device *vdev,
			   struct vfio_region_info *info,
			   struct vfio_info_cap *caps)
{
	struct vfio_info_cap_header msix = {
		.id = VFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
		.version = 1,
	};

	info->size = pci_resource_len(vdev->pdev, info->index);
	if (!info->size)
		return 0;
	info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	if (!vdev->bar_mmap_supported[info->index])
		return 0;
	info->flags |= VFIO_REGION_INFO_FLAG_MMAP;
	/*
	 * The MSI-X table may be mapped too; the capability tells userspace
	 * it need not carve it out of its mapping.
	 */
	if (info->index == vdev->msix_bar)
		return vfio_info_add_capability(caps, &msix, sizeof(msix));
	return 0;
}

static int region_info_dev(struct vfio_pci_core_device *vdev,
			   struct vfio_region_info *info,
			   struct vfio_info_cap *caps)
{
	struct vfio_region_info_cap_type type = {
		.header.id = VFIO_REGION_INFO_CAP_TYPE,
		.header.version = 1,
	};
	struct vfio_pci_region *region;
	unsigned int i;
	int ret;

	if (info->index >= VFIO_PCI_NUM_REGIONS + vdev->num_regions)
		return -EINVAL;
	i = array_index_nospec(info->index - VFIO_PCI_NUM_REGIONS,
			       vdev->num_regions);
	region = &vdev->region[i];

	info->size = region->size;
	info->flags = region->flags;
	type.type = region->type;
	type.subtype = region->subtype;
	ret = vfio_info_add_capability(caps, &type.header, sizeof(type));
	if (ret || !region->ops->add_capability)
		return ret;
	return region->ops->add_capability(vdev, region, caps);
}

static int region_info_fill(struct vfio_pci_core_device *vdev,
			    struct vfio_region_info *info,
			    struct vfio_info_cap *caps)
{
	info->offset = VFIO_PCI_INDEX_TO_OFFSET(info->index);
	info->flags = 0;
	info->size = 0;

	switch (info->index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info->size = vdev->pdev->cfg_size;
		info->flags = VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE;
		return 0;
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
		return region_info_bar(vdev, info, caps);
	case VFIO_PCI_ROM_REGION_INDEX:
		/* The BAR's size, not the image's; empty if nothing answers. */
		info->size = pci_resource_len(vdev->pdev, PCI_ROM_RESOURCE);
		if (info->size && rom_present(vdev))
			info->flags = VFIO_REGION_INFO_FLAG_READ;
		else
			info->size = 0;
		return 0;
	case VFIO_PCI_VGA_REGION_INDEX:
		if (!vdev->has_vga)
			return -EINVAL;
		info->size = VFIO_PCI_VGA_REGION_SIZE;
		info->flags = VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE;
		return 0;
	default:
		return region_info_dev(vdev, info, caps);
	}
}

/*
 * Device and region info end alike: the capability chain goes right after
 * the fixed part of the reply, or, when the user's buffer cannot hold it,
 * only the size it would need is reported (argsz) with no chain, so that
 * userspace can retry.
 */
static int info_put_caps(struct vfio_info_cap *caps, size_t fixed,
			 u32 *flags, u32 caps_flag, u32 *argsz,
			 u32 *cap_offset, void __user *tail)
{
	size_t needed = fixed + caps->size;

	if (!caps->size)
		return 0;
	*flags |= caps_flag;
	if (*argsz < needed) {
		*cap_offset = 0;
		*argsz = needed;
		return 0;
	}
	/* Chain offsets become relative to the start of the reply. */
	vfio_info_cap_shift(caps, fixed);
	if (copy_to_user(tail, caps->buf, caps->size))
		return -EFAULT;
	*cap_offset = fixed;
	return 0;
}

static long ioctl_get_info(struct vfio_pci_core_device *vdev,
			   struct vfio_device_info __user *arg)
{
	size_t minsz = offsetofend(struct vfio_device_info, num_irqs);
	size_t capsz = offsetofend(struct vfio_device_info, cap_offset);
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_device_info info;
	long ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	info.flags = VFIO_DEVICE_FLAGS_PCI;
	if (vdev->reset_works)
		info.flags |= VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS + vdev->num_regions;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	/* Callers that predate cap_offset get the reply they knew. */
	if (info.argsz >= capsz) {
		minsz = capsz;
		info.cap_offset = 0;
	}

	ret = vfio_pci_zdev_info_caps(vdev, &caps);
	if (!ret)
		ret = info_put_caps(&caps, sizeof(info), &info.flags,
				    VFIO_DEVICE_FLAGS_CAPS, &info.argsz,
				    &info.cap_offset, arg + 1);
	if (!ret && copy_to_user(arg, &info, minsz))
		ret = -EFAULT;
	kfree(caps.buf);
	return ret;
}

static long ioctl_get_region_info(struct vfio_pci_core_device *vdev,
				  struct vfio_region_info __user *arg)
{
	size_t minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_region_info info;
	long ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	ret = region_info_fill(vdev, &info, &caps);
	if (!ret)
		ret = info_put_caps(&caps, sizeof(info), &info.flags,
				    VFIO_REGION_INFO_FLAG_CAPS, &info.argsz,
				    &info.cap_offset, arg + 1);
	if (!ret && copy_to_user(arg, &info, minsz))
		ret = -EFAULT;
	kfree(caps.buf);
	return ret;
}

static long ioctl_get_irq_info(struct vfio_pci_core_device *vdev,
			       void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	if (info.index == VFIO_PCI_ERR_IRQ_INDEX && !pci_is_pcie(vdev->pdev))
		return -EINVAL;

	info.flags = VFIO_IRQ_INFO_EVENTFD;
	info.count = vfio_pci_irq_count(vdev, info.index);
	if (info.index == VFIO_PCI_INTX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long ioctl_set_irqs(struct vfio_pci_core_device *vdev,
			   void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	void *data = NULL;
	int max, ret;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	max = hdr.index < VFIO_PCI_NUM_IRQS ?
	      vfio_pci_irq_count(vdev, hdr.index) : 0;
	ret = vfio_set_irqs_validate_and_prepare(&hdr, max, VFIO_PCI_NUM_IRQS,
						 &data_size);
	if (ret)
		return ret;
	if (data_size) {
		data = memdup_user(arg + minsz, data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}

	mutex_lock(&vdev->igate);
	ret = vfio_pci_set_irqs_ioctl(vdev, &hdr, data);
	mutex_unlock(&vdev->igate);
	kfree(data);
	return ret;
}

static long ioctl_ioeventfd(struct vfio_pci_core_device *vdev,
			    void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_device_ioeventfd, fd);
	struct vfio_device_ioeventfd req;
	unsigned int width;

	if (copy_from_user(&req, arg, minsz))
		return -EFAULT;
	if (req.argsz < minsz ||
	    req.flags & ~VFIO_DEVICE_IOEVENTFD_SIZE_MASK)
		return -EINVAL;
	/* The width flags double as the byte count: exactly one is set. */
	width = req.flags & VFIO_DEVICE_IOEVENTFD_SIZE_MASK;
	if (hweight8(width) != 1 || req.fd < -1)
		return -EINVAL;
	return vfio_pci_ioeventfd(vdev, req.offset, req.data, width, req.fd);
}

/**
 * vfio_pci_core_ioctl - ioctls of the device file the core passes on
 * @core_vdev: the device
 * @cmd: the ioctl
 * @arg: its user argument
 *
 * Return: the ioctl's result; -ENOTTY for ioctls we do not know.
 */
long vfio_pci_core_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
			 unsigned long arg)
{
	struct vfio_pci_core_device *vdev = to_vfio_pci(core_vdev);
	void __user *uarg = (void __user *)arg;

	/* Describing the device: info on the device, regions and IRQs. */
	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return ioctl_get_info(vdev, uarg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return ioctl_get_region_info(vdev, uarg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return ioctl_get_irq_info(vdev, uarg);
	}

	/* Acting on it: interrupts and the two kinds of reset. */
	if (cmd == VFIO_DEVICE_SET_IRQS)
		return ioctl_set_irqs(vdev, uarg);
	if (cmd == VFIO_DEVICE_RESET)
		return vfio_pci_ioctl_reset(vdev);
	if (cmd == VFIO_DEVICE_GET_PCI_HOT_RESET_INFO)
		return vfio_pci_ioctl_hot_reset_info(vdev, uarg);
	if (cmd == VFIO_DEVICE_PCI_HOT_RESET)
		return vfio_pci_ioctl_hot_reset(vdev, uarg);
	if (cmd == VFIO_DEVICE_IOEVENTFD)
		return ioctl_ioeventfd(vdev, uarg);
	return -ENOTTY;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_ioctl);

/**
 * vfio_pci_core_ioctl_feature - VFIO_DEVICE_FEATURE requests for PCI
 * @device: the device
 * @flags: the request's flags, feature number included
 * @arg: the feature's payload
 * @argsz: size of @arg
 *
 * Return: the feature's result, -ENOTTY for features we do not offer.
 */
int vfio_pci_core_ioctl_feature(struct vfio_device *device, u32 flags,
				void __user *arg, size_t argsz)
{
	struct vfio_pci_core_device *vdev = to_vfio_pci(device);

	switch (flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
		return vfio_pci_feature_low_power_entry(vdev, flags, argsz);
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
		return vfio_pci_feature_low_power_wakeup(vdev, flags, arg,
							 argsz);
	case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:
		return vfio_pci_feature_low_power_exit(vdev, flags, argsz);
	case VFIO_DEVICE_FEATURE_PCI_VF_TOKEN:
		return vfio_pci_feature_vf_token(vdev, flags, arg, argsz);
	default:
		return -ENOTTY;
	}
}
EXPORT_SYMBOL_GPL(vfio_pci_core_ioctl_feature);
