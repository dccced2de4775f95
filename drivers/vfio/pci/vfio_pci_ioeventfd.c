// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_DEVICE_IOEVENTFD: a BAR register write the kernel makes whenever
 * an eventfd is signalled.  A hypervisor registers one for a register
 * its guest writes often but that cannot be mmapped (a doorbell sharing
 * a page with the MSI-X table, say); KVM signals the eventfd on the
 * guest's write, and the value reaches the device without a trip through
 * userspace.
 *
 * The write is made from the eventfd's wakeup when memory_lock can be
 * had without sleeping, else from the virqfd's work item.  While the
 * function does not decode memory the write is dropped, as a write
 * through the device file would be refused.
 */
#include <linux/io.h>
#include <linux/list.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "vfio_pci_priv.h"

/* Enough for any hypervisor's doorbells, and a bound on kernel memory. */
#define VFIO_PCI_IOEVENTFDS_MAX	1000

/* 64-bit MMIO writes exist only where the architecture has them. */
#ifdef iowrite64
#define VFIO_PCI_IOEVENTFD_WIDEST	8
#else
#define VFIO_PCI_IOEVENTFD_WIDEST	4
#endif

/**
 * struct vfio_pci_ioeventfd - one registered register write
 * @node: entry in the device's ioeventfds_list
 * @vdev: the device
 * @virqfd: the eventfd's hook
 * @addr: the register, in the kernel mapping of its BAR
 * @data: the value written
 * @pos: offset of the register in its BAR
 * @bar: the BAR
 * @width: bytes written: 1, 2, 4 or 8
 */
struct vfio_pci_ioeventfd {
	struct list_head node;
	struct vfio_pci_core_device *vdev;
	struct virqfd *virqfd;
	void __iomem *addr;
	u64 data;
	loff_t pos;
	int bar;
	int width;
};

static void ioeventfd_write(struct vfio_pci_ioeventfd *ev)
{
	if (ev->width == 1)
		iowrite8(ev->data, ev->addr);
	else if (ev->width == 2)
		iowrite16(ev->data, ev->addr);
	else if (ev->width == 4)
		iowrite32(ev->data, ev->addr);
#ifdef iowrite64
	else
		iowrite64(ev->data, ev->addr);
#endif
}

/* The caller holds memory_lock, for reading at least. */
static void ioeventfd_write_if_decoding(struct vfio_pci_ioeventfd *ev)
{
	if (vfio_pci_memory_enabled(ev->vdev))
		ioeventfd_write(ev);
}

/*
 * On the eventfd's wakeup, in atomic context.  Whether the BAR decodes is
 * read from the device's command register: the PCI core's config
 * accessors run under its raw pci_lock and never sleep, nor do they wait
 * for a config space block (only the user accessors do).  The register
 * is read, not the shadow, because a PF's memory enable bit is not
 * shadowed.
 */
static int ioeventfd_fast(void *opaque, void *unused)
{
	struct vfio_pci_ioeventfd *ev = opaque;

	if (!down_read_trylock(&ev->vdev->memory_lock))
		return 1;	/* contended: leave it to the work item */
	ioeventfd_write_if_decoding(ev);
	up_read(&ev->vdev->memory_lock);
	return 0;
}

static void ioeventfd_slow(void *opaque, void *unused)
{
	struct vfio_pci_ioeventfd *ev = opaque;

	down_read(&ev->vdev->memory_lock);
	ioeventfd_write_if_decoding(ev);
	up_read(&ev->vdev->memory_lock);
}

static void ioeventfd_free(struct vfio_pci_ioeventfd *ev)
{
	lockdep_assert_held(&ev->vdev->ioeventfds_lock);

	vfio_virqfd_disable(&ev->virqfd);
	list_del(&ev->node);
	ev->vdev->ioeventfds_nr--;
	kfree(ev);
}

/*
 * Whether the register lies in a BAR, clear of the MSI-X table (which is
 * ours to write), with a width the architecture can write.
 */
static bool ioeventfd_target_ok(struct vfio_pci_core_device *vdev, int bar,
				loff_t pos, int width)
{
	if (bar > VFIO_PCI_BAR5_REGION_INDEX ||
	    width > VFIO_PCI_IOEVENTFD_WIDEST ||
	    pos + width > pci_resource_len(vdev->pdev, bar))
		return false;
	return bar != vdev->msix_bar || pos + width <= vdev->msix_offset ||
	       pos >= vdev->msix_offset + vdev->msix_size;
}

static struct vfio_pci_ioeventfd *
ioeventfd_find(struct vfio_pci_core_device *vdev, int bar, loff_t pos,
	       u64 data, int width)
{
	struct vfio_pci_ioeventfd *ev;

	lockdep_assert_held(&vdev->ioeventfds_lock);

	list_for_each_entry(ev, &vdev->ioeventfds_list, node)
		if (ev->bar == bar && ev->pos == pos && ev->data == data &&
		    ev->width == width)
			return ev;
	return NULL;
}

static int ioeventfd_add(struct vfio_pci_core_device *vdev, int bar,
			 loff_t pos, u64 data, int width, int fd)
{
	struct vfio_pci_ioeventfd *ev;
	int ret;

	lockdep_assert_held(&vdev->ioeventfds_lock);

	if (vdev->ioeventfds_nr >= VFIO_PCI_IOEVENTFDS_MAX)
		return -ENOSPC;
	ev = kzalloc(sizeof(*ev), GFP_KERNEL_ACCOUNT);
	if (!ev)
		return -ENOMEM;
	ev->vdev = vdev;
	ev->addr = vdev->barmap[bar] + pos;
	ev->data = data;
	ev->pos = pos;
	ev->bar = bar;
	ev->width = width;
	ret = vfio_virqfd_enable(ev, ioeventfd_fast, ioeventfd_slow, NULL,
				 &ev->virqfd, fd);
	if (ret) {
		kfree(ev);
		return ret;
	}
	list_add(&ev->node, &vdev->ioeventfds_list);
	vdev->ioeventfds_nr++;
	return 0;
}

/**
 * vfio_pci_ioeventfd - add or remove an ioeventfd
 * @vdev: the device
 * @offset: device file offset of the register
 * @data: value to write
 * @width: bytes to write: 1, 2, 4 or 8
 * @fd: the eventfd, or -1 to remove the ioeventfd matching the others
 *
 * Return: 0; -EINVAL for a register outside the memory BARs, overlapping
 * the MSI-X table or of an unsupported width; -EEXIST for a duplicate;
 * -ENODEV when removing one that does not exist; -ENOSPC when the device
 * has too many; or the eventfd's error.
 */
int vfio_pci_ioeventfd(struct vfio_pci_core_device *vdev, u64 offset,
		       u64 data, int width, int fd)
{
	int bar = VFIO_PCI_OFFSET_TO_INDEX(offset);
	loff_t pos = offset & VFIO_PCI_OFFSET_MASK;
	struct vfio_pci_ioeventfd *ev;
	int ret;

	if (!ioeventfd_target_ok(vdev, bar, pos, width))
		return -EINVAL;
	ret = vfio_pci_setup_barmap(vdev, bar);
	if (ret)
		return ret;

	mutex_lock(&vdev->ioeventfds_lock);
	ev = ioeventfd_find(vdev, bar, pos, data, width);
	if (ev && fd == -1)
		ioeventfd_free(ev);
	else if (ev)
		ret = -EEXIST;
	else if (fd < 0)
		ret = -ENODEV;
	else
		ret = ioeventfd_add(vdev, bar, pos, data, width, fd);
	mutex_unlock(&vdev->ioeventfds_lock);
	return ret;
}

/**
 * vfio_pci_ioeventfds_release - remove every ioeventfd of a device
 * @vdev: the device, at its last close, before its BARs are unmapped
 */
void vfio_pci_ioeventfds_release(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_ioeventfd *ev, *next;

	mutex_lock(&vdev->ioeventfds_lock);
	list_for_each_entry_safe(ev, next, &vdev->ioeventfds_list, node)
		ioeventfd_free(ev);
	mutex_unlock(&vdev->ioeventfds_lock);
}
