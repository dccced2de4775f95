// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parents: devices that offer types of mediated devices.
 *
 * Unregistering a parent has to deal with sysfs writers racing with it:
 * a "create" or "remove" may be half-way when the driver goes away.  Each
 * of them holds parent->unreg_sem for reading for its whole duration, and
 * gives up at once if it cannot get it.  Unregistering holds it for
 * writing, so it waits for those under way, keeps new ones out, and is
 * then the only one touching the parent's instances.
 */
#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/slab.h>

#include "mdev_internal.h"

/**
 * mdev_parent_get_busy - count a sysfs operation on a parent's instances
 * @parent: the parent
 *
 * Pair with mdev_parent_put_busy() once the operation is over.
 *
 * Return: 0, or -ENODEV when the parent is being unregistered.
 */
int mdev_parent_get_busy(struct mdev_parent *parent)
{
	/* Waiting would only delay a request that is bound to fail. */
	return down_read_trylock(&parent->unreg_sem) ? 0 : -ENODEV;
}

/**
 * mdev_parent_put_busy - an operation counted by mdev_parent_get_busy() ended
 * @parent: the parent
 */
void mdev_parent_put_busy(struct mdev_parent *parent)
{
	up_read(&parent->unreg_sem);
}

/* Management tools follow parents through these change events. */
static void mdev_parent_notify(struct mdev_parent *parent, bool registered)
{
	char *envp[2];

	envp[0] = registered ? "MDEV_STATE=registered" :
			       "MDEV_STATE=unregistered";
	envp[1] = NULL;

	kobject_uevent_env(&parent->dev->kobj, KOBJ_CHANGE, envp);
}

/**
 * mdev_register_parent - offer mediated device types under a device
 * @parent: the parent structure, usually embedded in the driver's own;
 *          this function initialises all of it
 * @dev: the device instances will be children of; the caller keeps a
 *       reference on it until mdev_unregister_parent() returned
 * @mdev_driver: the driver every instance is bound to, already registered
 * @types: the types offered; each needs its sysfs_name set
 * @nr_types: number of entries in @types
 *
 * Creates @dev's "mdev_supported_types" directory with one directory per
 * type, through which the administrator creates instances.
 *
 * Return: 0 or a negative errno.
 */
int mdev_register_parent(struct mdev_parent *parent, struct device *dev,
			 struct mdev_driver *mdev_driver,
			 struct mdev_type **types, unsigned int nr_types)
{
	int ret;

	if (!dev || !mdev_driver || (nr_types && !types))
		return -EINVAL;

	memset(parent, 0, sizeof(*parent));
	parent->dev = dev;
	parent->mdev_driver = mdev_driver;
	parent->types = types;
	parent->nr_types = nr_types;
	atomic_set(&parent->available_instances, mdev_driver->max_instances);
	INIT_LIST_HEAD(&parent->instances);
	init_rwsem(&parent->unreg_sem);

	ret = mdev_types_add(parent);
	if (ret)
		return ret;
	ret = class_compat_create_link(mdev_bus_class, dev, NULL);
	if (ret)
		goto err_types;

	dev_info(dev, "mdev: parent of %u type(s) for %s\n", nr_types,
		 mdev_driver->driver.name);
	mdev_parent_notify(parent, true);
	return 0;

err_types:
	mdev_types_del(parent);
	return ret;
}
EXPORT_SYMBOL(mdev_register_parent);

/**
 * mdev_unregister_parent - withdraw a parent and remove its instances
 * @parent: a parent registered with mdev_register_parent()
 *
 * Waits for sysfs creations and removals under way, then removes every
 * instance of the parent.  Removing an instance that userspace holds open
 * blocks until userspace closes it (the driver's remove callback
 * unregisters it from VFIO, which asks userspace to let go and waits), so
 * this may block for as long.
 */
void mdev_unregister_parent(struct mdev_parent *parent)
{
	down_write(&parent->unreg_sem);
	class_compat_remove_link(mdev_bus_class, parent->dev, NULL);
	mdev_instances_reap(parent);
	mdev_types_del(parent);
	up_write(&parent->unreg_sem);
	dev_info(parent->dev, "mdev: parent unregistered\n");
	mdev_parent_notify(parent, false);
}
EXPORT_SYMBOL(mdev_unregister_parent);
