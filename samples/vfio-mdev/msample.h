/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the mediated device samples (mcounter.c, mblit.c) have in common
 * and is not the point of either: a parent to hang instances off, and the
 * plumbing of the PCI-like VFIO ioctls they both answer.
 *
 * The parent is a platform device bound to a platform driver of the same
 * name, whose probe registers it as an mdev parent and whose remove
 * unregisters it.  So the types are named "<name>-<type>", and unbinding
 * the platform driver through sysfs withdraws the parent with the module
 * still loaded, as happens to the parents real drivers have.
 */
#ifndef MSAMPLE_H
#define MSAMPLE_H

#include <linux/mdev.h>
#include <linux/platform_device.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

/**
 * struct msample_parent - a sample's parent
 * @driver: the sample's mdev driver
 * @types: its types
 * @nr_types: number of entries in @types
 * @mdev: the mdev parent, registered while @pdrv is bound to @pdev
 * @pdrv: the platform driver
 * @pdev: the platform device
 *
 * The sample fills in @driver, @types and @nr_types.
 */
struct msample_parent {
	struct mdev_driver *driver;
	struct mdev_type **types;
	unsigned int nr_types;
	struct mdev_parent mdev;
	struct platform_driver pdrv;
	struct platform_device *pdev;
};

static inline struct msample_parent *to_msample(struct platform_device *pdev)
{
	return container_of(to_platform_driver(pdev->dev.driver),
			    struct msample_parent, pdrv);
}

static inline int msample_parent_probe(struct platform_device *pdev)
{
	struct msample_parent *p = to_msample(pdev);

	return mdev_register_parent(&p->mdev, &pdev->dev, p->driver,
				    p->types, p->nr_types);
}

/* Blocks until userspace closed every instance. */
static inline int msample_parent_remove(struct platform_device *pdev)
{
	mdev_unregister_parent(&to_msample(pdev)->mdev);
	return 0;
}

/**
 * msample_parent_add - register the mdev driver, then the parent
 * @p: the parent, with driver, types and nr_types set
 * @name: name of the platform driver and device
 *
 * Return: 0 or a negative errno, with nothing left registered.
 */
static inline int msample_parent_add(struct msample_parent *p,
				     const char *name)
{
	int ret;

	ret = mdev_register_driver(p->driver);
	if (ret)
		return ret;
	p->pdrv.driver.name = name;
	p->pdrv.probe = msample_parent_probe;
	p->pdrv.remove = msample_parent_remove;
	ret = platform_driver_register(&p->pdrv);
	if (ret)
		goto err_mdev_driver;
	p->pdev = platform_device_register_simple(name, PLATFORM_DEVID_NONE,
						  NULL, 0);
	if (IS_ERR(p->pdev)) {
		ret = PTR_ERR(p->pdev);
		goto err_platform_driver;
	}
	return 0;

err_platform_driver:
	platform_driver_unregister(&p->pdrv);
err_mdev_driver:
	mdev_unregister_driver(p->driver);
	return ret;
}

/* Undo msample_parent_add(). */
static inline void msample_parent_del(struct msample_parent *p)
{
	platform_device_unregister(p->pdev);
	platform_driver_unregister(&p->pdrv);
	mdev_unregister_driver(p->driver);
}

/*
 * Copy in the fixed part (@minsz bytes) of the argument of a VFIO info
 * ioctl, whose first member is always argsz, and check argsz covers it.
 */
static inline int msample_info_in(void *info, void __user *arg, size_t minsz)
{
	if (copy_from_user(info, arg, minsz))
		return -EFAULT;
	return *(u32 *)info < minsz ? -EINVAL : 0;
}

static inline int msample_info_out(void __user *arg, const void *info,
				   size_t minsz)
{
	return copy_to_user(arg, info, minsz) ? -EFAULT : 0;
}

/* VFIO_DEVICE_GET_INFO of a PCI-like device with the usual indexes. */
static inline long msample_device_info(void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;
	int ret;

	ret = msample_info_in(&info, arg, minsz);
	if (ret)
		return ret;
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	return msample_info_out(arg, &info, minsz);
}

#endif /* MSAMPLE_H */
