// SPDX-License-Identifier: GPL-2.0-only
/*
 * Legacy VGA: the fixed memory window at 0xa0000 and the I/O ports at
 * 0x3b0 and 0x3c0 that every VGA function decodes, whatever its BARs say.
 *
 * Only one device on a machine can answer those addresses at a time, so
 * the kernel's VGA arbiter routes them: we tell it which ranges a
 * function bound to us still needs (none but its BARs when legacy VGA is
 * not offered and the bridges can route it away), and take the arbiter's
 * lock around each access we make for userspace.
 *
 * The VGA region of the device file mirrors the legacy addresses one to
 * one: region offset 0x3c4 is I/O port 0x3c4, offset 0xb8000 the text
 * buffer.  Offsets between the three windows are refused, and an access
 * is cut short at the end of its window.
 */
#include <linux/aperture.h>
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/uaccess.h>
#include <linux/vgaarb.h>

#include "vfio_pci_priv.h"

#define VGA_ALL_LEGACY	(VGA_RSRC_LEGACY_IO | VGA_RSRC_LEGACY_MEM)
#define VGA_ALL_NORMAL	(VGA_RSRC_NORMAL_IO | VGA_RSRC_NORMAL_MEM)

/* Whether userspace gets the legacy ranges of VGA functions. */
static bool vga_offered(void)
{
	return IS_ENABLED(CONFIG_VFIO_PCI_VGA) && !vfio_pci_disable_vga;
}

static bool is_vga(struct pci_dev *pdev)
{
	return (pdev->class >> 8) == PCI_CLASS_DISPLAY_VGA;
}

/*
 * Whether @dev is a VGA function other than @data that sits below the
 * bus of @data, off the root bus: it then gets the legacy ranges through
 * the same bridge.
 */
static int vga_is_sibling(struct device *dev, void *data)
{
	struct pci_dev *pdev = data, *other = to_pci_dev(dev);
	struct pci_bus *bus = pdev->bus;

	if (other == pdev || !is_vga(other) || pci_is_root_bus(other->bus) ||
	    pci_domain_nr(other->bus) != pci_domain_nr(bus))
		return 0;
	return other->bus->number >= bus->number &&
	       other->bus->number <= bus->busn_res.end;
}

/*
 * Is another VGA function behind the bridge that routes the legacy
 * ranges to @pdev?  That bridge's VGA routing serves both, so it cannot
 * be turned off for @pdev alone.  Called under the arbiter's spinlock:
 * the walk of the bus's device list does not sleep.
 */
static bool vga_shares_bridge(struct pci_dev *pdev)
{
	return bus_for_each_dev(&pci_bus_type, NULL, pdev, vga_is_sibling);
}

/*
 * The arbiter asks which ranges @pdev decodes.  A function whose legacy
 * ranges userspace may use keeps them; otherwise they can be dropped
 * when a bridge can route them elsewhere, which is not the case on a
 * root bus, for the only VGA device (@single_vga), or when another VGA
 * function shares the bridge.
 */
static unsigned int vga_decodes(struct pci_dev *pdev, bool single_vga)
{
	if (single_vga || vga_offered() || pci_is_root_bus(pdev->bus) ||
	    vga_shares_bridge(pdev))
		return VGA_ALL_NORMAL | VGA_ALL_LEGACY;
	return VGA_ALL_NORMAL;
}

/**
 * vfio_pci_vga_register - take a VGA function over from the console
 * @vdev: the device being registered
 *
 * A firmware framebuffer or the VGA text console may still be drawing
 * on the function: they go before userspace can get it.  We then answer
 * the arbiter's questions about the function, starting with the answer
 * for a machine that may have other VGA devices.
 *
 * Return: 0 or a negative errno.
 */
int vfio_pci_vga_register(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	const char *name = vdev->vdev.ops->name;
	int ret;

	if (!is_vga(pdev))
		return 0;
	ret = aperture_remove_conflicting_pci_devices(pdev, name) ?:
	      vga_client_register(pdev, vga_decodes);
	if (!ret)
		vga_set_legacy_decoding(pdev, vga_decodes(pdev, false));
	return ret;
}

/**
 * vfio_pci_vga_unregister - give the function back to the arbiter
 * @vdev: the device being unregistered
 *
 * Without a client to ask, the arbiter can only assume the function
 * decodes every range, legacy ones included, until its next driver says
 * otherwise.
 */
void vfio_pci_vga_unregister(struct vfio_pci_core_device *vdev)
{
	if (!is_vga(vdev->pdev))
		return;
	vga_client_unregister(vdev->pdev);
	vga_set_legacy_decoding(vdev->pdev, VGA_ALL_NORMAL | VGA_ALL_LEGACY);
}

/**
 * vfio_pci_vga_enable - decide at open whether this user gets VGA
 * @vdev: the device being opened
 */
void vfio_pci_vga_enable(struct vfio_pci_core_device *vdev)
{
	vdev->has_vga = vga_offered() && is_vga(vdev->pdev);
}

#ifdef CONFIG_VFIO_PCI_VGA

/* One of the three legacy windows, [start, end) in region offsets. */
struct vga_window {
	u32 start;
	u32 end;
	bool is_io;
};

static const struct vga_window vga_windows[] = {
	{ .start = 0xa0000, .end = VFIO_PCI_VGA_REGION_SIZE, .is_io = false },
	{ .start = 0x3b0, .end = 0x3bc, .is_io = true },
	{ .start = 0x3c0, .end = 0x3e0, .is_io = true },
};

static const struct vga_window *vga_window_at(loff_t pos)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(vga_windows); i++)
		if (pos >= vga_windows[i].start && pos < vga_windows[i].end)
			return &vga_windows[i];
	return NULL;
}

static void __iomem *vga_window_map(const struct vga_window *win)
{
	size_t len = win->end - win->start;

	return win->is_io ? ioport_map(win->start, len) :
			    ioremap(win->start, len);
}

static void vga_window_unmap(const struct vga_window *win, void __iomem *io)
{
	if (win->is_io)
		ioport_unmap(io);
	else
		iounmap(io);
}

/*
 * One bounce-buffer load, with the arbiter's lock held only around the
 * device access so that no user copy happens under it.
 */
static ssize_t vga_access_chunk(struct vfio_pci_core_device *vdev,
				const struct vga_window *win,
				void __iomem *io, char __user *buf,
				loff_t pos, size_t count, bool iswrite)
{
	unsigned int rsrc = win->is_io ? VGA_RSRC_LEGACY_IO :
					 VGA_RSRC_LEGACY_MEM;
	u8 bounce[VFIO_PCI_IO_BOUNCE];
	int ret;

	if (iswrite && copy_from_user(bounce, buf, count))
		return -EFAULT;
	ret = vga_get_interruptible(vdev->pdev, rsrc);
	if (ret)
		return ret;
	vfio_pci_io_span(io, bounce, pos - win->start, count, 0, 0, iswrite);
	vga_put(vdev->pdev, rsrc);
	if (!iswrite && copy_to_user(buf, bounce, count))
		return -EFAULT;
	return count;
}

/**
 * vfio_pci_vga_rw - read(2) or write(2) on the VGA region
 * @vdev: the device
 * @buf: user buffer
 * @count: bytes wanted
 * @ppos: file offset, region index in its high bits
 * @iswrite: direction
 *
 * Return: bytes moved, at most to the end of the window @ppos is in;
 * -EINVAL without VGA or outside the windows.
 */
ssize_t vfio_pci_vga_rw(struct vfio_pci_core_device *vdev, char __user *buf,
			size_t count, loff_t *ppos, bool iswrite)
{
	loff_t pos = *ppos & VFIO_PCI_OFFSET_MASK;
	const struct vga_window *win;
	void __iomem *io;
	size_t done = 0;
	ssize_t ret = 0;

	if (!vdev->has_vga)
		return -EINVAL;
	win = vga_window_at(pos);
	if (!win)
		return -EINVAL;
	count = min_t(size_t, count, win->end - pos);

	io = vga_window_map(win);
	if (!io)
		return -ENOMEM;
	while (done < count) {
		ret = vga_access_chunk(vdev, win, io, buf + done, pos + done,
				       min_t(size_t, count - done,
					     VFIO_PCI_IO_BOUNCE), iswrite);
		if (ret < 0)
			break;
		done += ret;
	}
	vga_window_unmap(win, io);

	if (!done)
		return ret;
	*ppos += done;
	return done;
}

#endif /* CONFIG_VFIO_PCI_VGA */
