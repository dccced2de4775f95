// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mdev bus and its drivers.
 *
 * An instance is bound to exactly one driver: the one its parent named in
 * mdev_register_parent().  So the bus never matches devices and drivers by
 * itself; instance.c attaches the driver explicitly when it creates the
 * instance, and a failed probe fails the creation.
 */
#include <linux/device.h>
#include <linux/module.h>

#include "mdev_internal.h"

struct class_compat *mdev_bus_class;

static struct mdev_driver *mdev_driver_of(struct device *dev)
{
	return container_of(dev->driver, struct mdev_driver, driver);
}

static int mdev_bus_probe(struct device *dev)
{
	struct mdev_driver *drv = mdev_driver_of(dev);

	return drv->probe ? drv->probe(to_mdev_device(dev)) : 0;
}

static void mdev_bus_remove(struct device *dev)
{
	struct mdev_driver *drv = mdev_driver_of(dev);

	if (drv->remove)
		drv->remove(to_mdev_device(dev));
}

/* Refuse every automatic pairing: see the comment at the top. */
static int mdev_bus_match(struct device *dev, struct device_driver *drv)
{
	return 0;
}

/**
 * mdev_register_driver - register the driver of a parent's instances
 * @drv: the driver; @drv->device_api and @drv->driver.name must be set
 *
 * Register the driver before any parent that names it, and unregister it
 * after the last of them.
 *
 * Return: 0, -EINVAL without a device_api, or an error of the driver core.
 */
int mdev_register_driver(struct mdev_driver *drv)
{
	struct device_driver *base = &drv->driver;

	/* Every type directory shows it, so it cannot be missing. */
	if (!drv->device_api)
		return -EINVAL;
	base->bus = &mdev_bus_type;
	return driver_register(base);
}
EXPORT_SYMBOL(mdev_register_driver);

/**
 * mdev_unregister_driver - unregister a driver of mediated devices
 * @drv: a driver registered with mdev_register_driver()
 *
 * Instances still bound to it are unbound (their remove callback runs).
 */
void mdev_unregister_driver(struct mdev_driver *drv)
{
	driver_unregister(&drv->driver);
}
EXPORT_SYMBOL(mdev_unregister_driver);

struct bus_type mdev_bus_type = {
	.name	= "mdev",
	.match	= mdev_bus_match,
	.probe	= mdev_bus_probe,
	.remove	= mdev_bus_remove,
};

static void __exit mdev_exit(void)
{
	class_compat_unregister(mdev_bus_class);
	bus_unregister(&mdev_bus_type);
}

static int __init mdev_init(void)
{
	int ret = bus_register(&mdev_bus_type);

	if (ret)
		return ret;
	/*
	 * /sys/class/mdev_bus/ links to every registered parent: that is
	 * where management tools look for devices that can host instances.
	 */
	mdev_bus_class = class_compat_register("mdev_bus");
	if (mdev_bus_class)
		return 0;
	bus_unregister(&mdev_bus_type);
	return -ENOMEM;
}

module_init(mdev_init);
module_exit(mdev_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Mediated device bus: virtual devices created through sysfs and handed out through VFIO");
