// SPDX-License-Identifier: GPL-2.0-only
/*
 * No-IOMMU mode: userspace drivers for devices that no IOMMU isolates.
 *
 * A cloud VM often has no virtual IOMMU, and DPDK inside it still wants
 * its NICs through VFIO, for the interrupts and the BAR access, knowing
 * that the device can reach all of memory (it programs physical
 * addresses, DPDK's --iova-mode=pa).  Nothing protects the host from such
 * a device, so the mode is opt-in (enable_unsafe_noiommu_mode), a device
 * gets into it only when it has no IOMMU group at all, every step needs
 * CAP_SYS_RAWIO (opening the group, attaching it to a container, the
 * backend, opening a device: a group fd may be passed to a process with
 * less privilege), and the kernel is tainted when such a group exists.
 *
 * A no-IOMMU device gets a private IOMMU group and a /dev/vfio/noiommu-N
 * node (group.c); containers never mix such groups with isolated ones
 * (container.c), and their only backend is the one here: it accepts
 * VFIO_SET_IOMMU with VFIO_NOIOMMU_IOMMU and offers no DMA mapping at all.
 */
#include <linux/capability.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/vfio.h>

#include "vfio.h"

static bool noiommu_enabled;
module_param_named(enable_unsafe_noiommu_mode, noiommu_enabled, bool, 0644);
MODULE_PARM_DESC(enable_unsafe_noiommu_mode,
		 "Give devices without an IOMMU to userspace, without any isolation (default: off). This is unsafe: such a device can read and write all of memory. Needs CAP_SYS_RAWIO, and taints the kernel.");

/**
 * vfio_noiommu_device_wanted - whether a new device goes without an IOMMU
 * @dev: the device being registered by a driver of isolated devices
 *
 * Return: true if no-IOMMU mode is on and @dev has no IOMMU group.
 */
bool vfio_noiommu_device_wanted(struct device *dev)
{
	struct iommu_group *iommu_group;

	if (!READ_ONCE(noiommu_enabled))
		return false;
	iommu_group = iommu_group_get(dev);
	iommu_group_put(iommu_group);
	return !iommu_group;
}

/**
 * vfio_noiommu_group_created - say that a device goes without isolation
 * @dev: the device its no-IOMMU group was created for
 */
void vfio_noiommu_group_created(struct device *dev)
{
	dev_warn(dev, "vfio: no IOMMU isolates this device, and it is offered to userspace (enable_unsafe_noiommu_mode): tainting the kernel\n");
	add_taint(TAINT_USER, LOCKDEP_STILL_OK);
}

/*
 * The backend.  It keeps nothing: the device reaches memory on its own,
 * and there is nothing to map, pin or account.
 */
static void *noiommu_open(unsigned long type)
{
	if (type != VFIO_NOIOMMU_IOMMU)
		return ERR_PTR(-EINVAL);
	if (!capable(CAP_SYS_RAWIO))
		return ERR_PTR(-EPERM);
	return NULL;	/* nothing to keep per container */
}

static void noiommu_release(void *data)
{
}

static long noiommu_ioctl(void *data, unsigned int cmd, unsigned long arg)
{
	/* The one extension is no-IOMMU itself, while the mode is on. */
	if (cmd == VFIO_CHECK_EXTENSION)
		return READ_ONCE(noiommu_enabled) && arg == VFIO_NOIOMMU_IOMMU;
	/* No MAP_DMA, UNMAP_DMA or GET_INFO: there is no IOMMU. */
	return -ENOTTY;
}

static int noiommu_attach_group(void *data, struct iommu_group *group,
				enum vfio_group_type type)
{
	return type == VFIO_NO_IOMMU ? 0 : -EINVAL;
}

static void noiommu_detach_group(void *data, struct iommu_group *group)
{
}

static const struct vfio_iommu_driver_ops noiommu_backend = {
	.name		= "vfio-noiommu",
	.owner		= THIS_MODULE,
	.open		= noiommu_open,
	.release	= noiommu_release,
	.ioctl		= noiommu_ioctl,
	.attach_group	= noiommu_attach_group,
	.detach_group	= noiommu_detach_group,
};

/**
 * vfio_noiommu_is_backend - whether a backend is the no-IOMMU one
 * @ops: a registered backend
 *
 * Return: true for the backend of no-IOMMU containers.
 */
bool vfio_noiommu_is_backend(const struct vfio_iommu_driver_ops *ops)
{
	return ops == &noiommu_backend;
}

/**
 * vfio_noiommu_init - offer the no-IOMMU backend to containers
 *
 * Return: 0 or a negative errno.
 */
int vfio_noiommu_init(void)
{
	return vfio_register_iommu_driver(&noiommu_backend);
}

/**
 * vfio_noiommu_exit - undo vfio_noiommu_init()
 */
void vfio_noiommu_exit(void)
{
	vfio_unregister_iommu_driver(&noiommu_backend);
}
