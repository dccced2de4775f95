// SPDX-License-Identifier: GPL-2.0-only
/*
 * read(2) and write(2) on the device file: the region index in the high
 * bits of the offset picks config space, a BAR, the ROM or a region a
 * variant driver added.
 *
 * BAR accesses go through a small kernel buffer: user memory is copied
 * before memory_lock is taken and after it is dropped, because the user
 * buffer may itself be a mapping of this device's BARs, whose fault
 * handler takes memory_lock too.
 */
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/unaligned.h>
#include <linux/nospec.h>

#include "vfio_pci_priv.h"

/**
 * vfio_pci_setup_barmap - claim a BAR and map it for the kernel
 * @vdev: the device
 * @bar: BAR index
 *
 * Done on first use rather than at open, so BARs userspace never touches
 * stay free for others to inspect.
 *
 * Return: 0 or a negative errno.
 */
int vfio_pci_setup_barmap(struct vfio_pci_core_device *vdev, int bar)
{
	struct pci_dev *pdev = vdev->pdev;
	void __iomem *io;
	int ret = 0;

	mutex_lock(&vdev->vma_lock);
	if (vdev->barmap[bar])
		goto out;
	ret = pci_request_selected_regions(pdev, 1 << bar, "vfio");
	if (ret)
		goto out;
	io = pci_iomap(pdev, bar, 0);
	if (!io) {
		pci_release_selected_regions(pdev, 1 << bar);
		ret = -ENOMEM;
		goto out;
	}
	vdev->barmap[bar] = io;
out:
	mutex_unlock(&vdev->vma_lock);
	return ret;
}

/*
 * The rest of the page a small BAR starts, held for as long as the device
 * is open so that nothing the host assigns later can land there, which
 * makes the page safe to map.  On vdev->dummy_resources_list.
 */
struct vfio_pci_page_tail {
	struct resource res;
	struct list_head node;
};

/* Whether memory BAR @res, smaller than a page, can have its page. */
static bool probe_small_bar(struct vfio_pci_core_device *vdev,
			    struct resource *res)
{
	struct vfio_pci_page_tail *tail;

	if (!res->parent)
		return false;
	tail = kzalloc(sizeof(*tail), GFP_KERNEL_ACCOUNT);
	if (!tail)
		return false;
	tail->res.name = "vfio sub-page reserved";
	tail->res.start = res->end + 1;
	tail->res.end = res->start + PAGE_SIZE - 1;
	tail->res.flags = res->flags;
	/* Fails if anything has a part of it already. */
	if (request_resource(res->parent, &tail->res)) {
		kfree(tail);
		return false;
	}
	list_add(&tail->node, &vdev->dummy_resources_list);
	return true;
}

static void release_small_bars(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_page_tail *tail, *next;

	list_for_each_entry_safe(tail, next, &vdev->dummy_resources_list,
				 node) {
		release_resource(&tail->res);
		list_del(&tail->node);
		kfree(tail);
	}
}

/**
 * vfio_pci_regions_release - unmap BARs and free driver regions at close
 * @vdev: the device
 */
void vfio_pci_regions_release(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int bar, i;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (!vdev->barmap[bar])
			continue;
		pci_iounmap(pdev, vdev->barmap[bar]);
		pci_release_selected_regions(pdev, 1 << bar);
		vdev->barmap[bar] = NULL;
	}

	release_small_bars(vdev);

	for (i = 0; i < vdev->num_regions; i++)
		if (vdev->region[i].ops->release)
			vdev->region[i].ops->release(vdev, &vdev->region[i]);
	kfree(vdev->region);
	vdev->region = NULL;
	vdev->num_regions = 0;
}

/**
 * vfio_pci_probe_mmaps - decide which BARs userspace may mmap
 * @vdev: the device, being opened
 *
 * Memory BARs of a page or more, and smaller ones that start a page whose
 * rest can be reserved (see probe_small_bar()), as in 6.1.  What is
 * reserved here is released by vfio_pci_regions_release() at close.
 */
void vfio_pci_probe_mmaps(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		struct resource *res = &pdev->resource[bar];
		bool ok = IS_ENABLED(CONFIG_VFIO_PCI_MMAP) &&
			  (res->flags & IORESOURCE_MEM) && resource_size(res) &&
			  !(res->start & ~PAGE_MASK);

		if (ok && resource_size(res) < PAGE_SIZE)
			ok = probe_small_bar(vdev, res);
		vdev->bar_mmap_supported[bar] = ok;
	}
}

/* Copy one naturally aligned unit between the device and the buffer. */
static size_t bar_io_unit(void __iomem *io, u8 *bounce, loff_t pos,
			  size_t count, bool iswrite)
{
	if (count >= 4 && !(pos & 3)) {
		if (iswrite)
			iowrite32(get_unaligned_le32(bounce), io + pos);
		else
			put_unaligned_le32(ioread32(io + pos), bounce);
		return 4;
	}
	if (count >= 2 && !(pos & 1)) {
		if (iswrite)
			iowrite16(get_unaligned_le16(bounce), io + pos);
		else
			put_unaligned_le16(ioread16(io + pos), bounce);
		return 2;
	}
	if (iswrite)
		iowrite8(*bounce, io + pos);
	else
		*bounce = ioread8(io + pos);
	return 1;
}

/**
 * vfio_pci_io_span - move bytes between a bounce buffer and device memory
 * @io: the kernel mapping
 * @bounce: the buffer
 * @pos: offset in @io
 * @count: bytes to move
 * @x_start: start of a range left out
 * @x_end: its end; bytes in [@x_start, @x_end) are not passed to the device
 *         (writes dropped, reads as all ones)
 * @iswrite: direction
 *
 * Each piece is moved in the widest naturally aligned unit that fits.
 */
void vfio_pci_io_span(void __iomem *io, u8 *bounce, loff_t pos,
		      size_t count, loff_t x_start, loff_t x_end,
		      bool iswrite)
{
	size_t done = 0, n;

	while (done < count) {
		if (pos + done >= x_start && pos + done < x_end) {
			n = min_t(size_t, count - done, x_end - pos - done);
			if (!iswrite)
				memset(bounce + done, 0xff, n);
		} else {
			n = count - done;
			if (pos + done < x_start)
				n = min_t(size_t, n, x_start - pos - done);
			n = bar_io_unit(io, bounce + done, pos + done, n,
					iswrite);
		}
		done += n;
	}
}

struct bar_access {
	void __iomem *io;
	bool is_mem;
	loff_t x_start;
	loff_t x_end;
};

static ssize_t bar_access_chunk(struct vfio_pci_core_device *vdev,
				struct bar_access *acc, char __user *buf,
				loff_t pos, size_t count, bool iswrite)
{
	u8 bounce[VFIO_PCI_IO_BOUNCE];
	ssize_t ret = count;

	if (iswrite && copy_from_user(bounce, buf, count))
		return -EFAULT;

	if (acc->is_mem) {
		down_read(&vdev->memory_lock);
		if (!vfio_pci_memory_enabled(vdev))
			ret = -EIO;
	}
	if (ret > 0)
		vfio_pci_io_span(acc->io, bounce, pos, count, acc->x_start,
				 acc->x_end, iswrite);
	if (acc->is_mem)
		up_read(&vdev->memory_lock);

	if (ret > 0 && !iswrite && copy_to_user(buf, bounce, count))
		return -EFAULT;
	return ret;
}

static ssize_t bar_access_loop(struct vfio_pci_core_device *vdev,
			       struct bar_access *acc, char __user *buf,
			       loff_t pos, size_t count, bool iswrite)
{
	size_t done = 0;
	ssize_t ret;

	while (done < count) {
		ret = bar_access_chunk(vdev, acc, buf + done, pos + done,
				       min_t(size_t, count - done, VFIO_PCI_IO_BOUNCE),
				       iswrite);
		if (ret < 0)
			return done ? done : ret;
		done += ret;
	}
	return done;
}

static ssize_t vfio_pci_bar_rw(struct vfio_pci_core_device *vdev,
			       char __user *buf, size_t count, loff_t *ppos,
			       bool iswrite)
{
	int bar = VFIO_PCI_OFFSET_TO_INDEX(*ppos);
	loff_t pos = *ppos & VFIO_PCI_OFFSET_MASK;
	struct pci_dev *pdev = vdev->pdev;
	u64 len = pci_resource_len(pdev, bar);
	struct bar_access acc = { .x_start = 0, .x_end = 0 };
	ssize_t ret;

	if (!len || !pci_resource_start(pdev, bar) || pos >= len)
		return -EINVAL;
	count = min_t(u64, count, len - pos);

	ret = vfio_pci_setup_barmap(vdev, bar);
	if (ret)
		return ret;
	acc.io = vdev->barmap[bar];
	acc.is_mem = pci_resource_flags(pdev, bar) & IORESOURCE_MEM;
	/* The MSI-X table belongs to the host's MSI-X setup. */
	if (bar == vdev->msix_bar) {
		acc.x_start = vdev->msix_offset;
		acc.x_end = vdev->msix_offset + vdev->msix_size;
	}

	ret = bar_access_loop(vdev, &acc, buf, pos, count, iswrite);
	if (ret > 0)
		*ppos += ret;
	return ret;
}

/*
 * The ROM is read into a kernel page with memory decode forced on, and
 * copied out after memory_lock is dropped; a read returns at most a page.
 */
static ssize_t vfio_pci_rom_read(struct vfio_pci_core_device *vdev,
				 char __user *buf, size_t count, loff_t *ppos)
{
	loff_t pos = *ppos & VFIO_PCI_OFFSET_MASK;
	struct pci_dev *pdev = vdev->pdev;
	u64 len = pci_resource_len(pdev, PCI_ROM_RESOURCE);
	void __iomem *io;
	size_t rom_size;
	ssize_t ret;
	u8 *kbuf;
	u16 cmd;

	if (!len || pos >= len)
		return -EINVAL;
	count = min_t(u64, min_t(size_t, count, PAGE_SIZE), len - pos);
	kbuf = kmalloc(count, GFP_KERNEL);
	if (!kbuf)
		return -ENOMEM;

	cmd = vfio_pci_memory_lock_and_enable(vdev);
	io = pci_map_rom(pdev, &rom_size);
	if (io) {
		/* Past the image the BAR holds nothing worth reading. */
		vfio_pci_io_span(io, kbuf, pos, count, rom_size, len, false);
		pci_unmap_rom(pdev, io);
	}
	vfio_pci_memory_unlock_and_restore(vdev, cmd);

	ret = count;
	if (!io)
		ret = -ENOMEM;
	else if (copy_to_user(buf, kbuf, count))
		ret = -EFAULT;
	kfree(kbuf);
	if (ret > 0)
		*ppos += ret;
	return ret;
}

static ssize_t vfio_pci_rw(struct vfio_pci_core_device *vdev,
			   char __user *buf, size_t count, loff_t *ppos,
			   bool iswrite)
{
	unsigned int index = VFIO_PCI_OFFSET_TO_INDEX(*ppos);
	ssize_t ret;

	if (index >= VFIO_PCI_NUM_REGIONS + vdev->num_regions)
		return -EINVAL;
	if (!count)
		return 0;

	ret = vfio_pci_pm_get(vdev);
	if (ret)
		return -EIO;

	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		ret = vfio_pci_config_rw(vdev, buf, count, ppos, iswrite);
		break;
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
		ret = vfio_pci_bar_rw(vdev, buf, count, ppos, iswrite);
		break;
	case VFIO_PCI_ROM_REGION_INDEX:
		ret = iswrite ? -EINVAL : vfio_pci_rom_read(vdev, buf, count,
							     ppos);
		break;
	case VFIO_PCI_VGA_REGION_INDEX:
		ret = vfio_pci_vga_rw(vdev, buf, count, ppos, iswrite);
		break;
	default:
		index = array_index_nospec(index - VFIO_PCI_NUM_REGIONS,
					   vdev->num_regions);
		ret = vdev->region[index].ops->rw(vdev, buf, count, ppos,
						  iswrite);
		break;
	}

	vfio_pci_pm_put(vdev);
	return ret;
}

/**
 * vfio_pci_core_read - read(2) on the device file
 * @core_vdev: the device
 * @buf: user buffer
 * @count: bytes wanted
 * @ppos: file offset, region index in its high bits
 *
 * Return: bytes read or a negative errno.
 */
ssize_t vfio_pci_core_read(struct vfio_device *core_vdev, char __user *buf,
			   size_t count, loff_t *ppos)
{
	return vfio_pci_rw(to_vfio_pci(core_vdev), buf, count, ppos, false);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_read);

/**
 * vfio_pci_core_write - write(2) on the device file
 * @core_vdev: the device
 * @buf: user buffer
 * @count: bytes given
 * @ppos: file offset, region index in its high bits
 *
 * Return: bytes written or a negative errno.
 */
ssize_t vfio_pci_core_write(struct vfio_device *core_vdev,
			    const char __user *buf, size_t count,
			    loff_t *ppos)
{
	return vfio_pci_rw(to_vfio_pci(core_vdev), (char __user *)buf, count,
			   ppos, true);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_write);

/**
 * vfio_pci_core_register_dev_region - add a driver-defined region
 * @vdev: the device
 * @type: VFIO_REGION_TYPE_* of the region
 * @subtype: its subtype
 * @ops: how it is accessed
 * @size: its size
 * @flags: VFIO_REGION_INFO_FLAG_* to report
 * @data: private data for @ops
 *
 * The region gets the next index after the fixed PCI regions.  Regions
 * are dropped when the device is closed, so drivers add them from their
 * open_device callback.
 *
 * Return: 0 or -ENOMEM.
 */
int vfio_pci_core_register_dev_region(struct vfio_pci_core_device *vdev,
				      unsigned int type, unsigned int subtype,
				      const struct vfio_pci_regops *ops,
				      size_t size, u32 flags, void *data)
{
	unsigned int slot = vdev->num_regions;
	struct vfio_pci_region *grown;

	/* Grow the array by one; on failure the old one stays valid. */
	grown = krealloc_array(vdev->region, slot + 1, sizeof(*grown),
			       GFP_KERNEL_ACCOUNT);
	if (!grown)
		return -ENOMEM;

	grown[slot] = (struct vfio_pci_region) {
		.ops = ops,
		.data = data,
		.size = size,
		.flags = flags,
		.type = type,
		.subtype = subtype,
	};
	vdev->region = grown;
	vdev->num_regions = slot + 1;
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_register_dev_region);
