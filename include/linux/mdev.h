/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Mediated devices: devices that a host driver (the "parent") carves out
 * of one physical device, or makes up entirely, and hands to userspace
 * through VFIO.  mdev.ko provides the "mdev" bus they live on and the
 * sysfs interface an administrator uses to create and remove them:
 *
 *   <parent>/mdev_supported_types/<driver>-<type>/create
 *   /sys/bus/mdev/devices/<uuid>/remove
 *
 * The names, prototypes and members below are the ones drivers written for
 * Linux 6.1 rely on, so those drivers build against this header unchanged.
 * See Documentation/driver-api/vfio/mdev.rst.
 */
#ifndef MDEV_H
#define MDEV_H

#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/rwsem.h>
#include <linux/uuid.h>

struct mdev_type;
struct mdev_parent;

/**
 * struct mdev_device - one mediated device instance
 * @dev: the device on the mdev bus, named after @uuid, child of the parent
 * @uuid: the UUID userspace chose when it created the instance
 * @type: the type it was created from; @type->parent is its parent
 * @next: entry in mdev.ko's list of all instances (private to mdev.ko)
 * @sibling: entry in the parent's list of instances (private to mdev.ko)
 * @active: set once the driver's probe succeeded, cleared when a removal
 *          claims the instance (private to mdev.ko)
 *
 * @next, @sibling and @active are protected by mdev.ko's registry lock;
 * drivers use @dev, @uuid and @type only.
 */
struct mdev_device {
	struct device dev;
	struct mdev_type *type;
	guid_t uuid;

	bool active;
	struct list_head next;
	struct list_head sibling;
};

/**
 * struct mdev_type - a kind of instance a parent can create
 * @sysfs_name: set by the driver: the type's directory is named
 *              "<parent's driver name>-<sysfs_name>"
 * @pretty_name: set by the driver, optional: what the "name" attribute
 *               shows (@sysfs_name when NULL)
 * @kobj: the type's sysfs directory (private to mdev.ko)
 * @devices_kobj: its "devices" subdirectory (private to mdev.ko)
 * @parent: set by mdev_register_parent()
 *
 * Drivers usually embed this in a structure of their own and get back to
 * it with container_of() in their callbacks.
 */
struct mdev_type {
	const char *sysfs_name;
	const char *pretty_name;
	struct kobject kobj;
	struct kobject *devices_kobj;
	struct mdev_parent *parent;
};

/**
 * struct mdev_parent - a device that mediated devices are created under
 * @dev: the parent device; instances are its children
 * @types: the types given to mdev_register_parent()
 * @nr_types: number of entries in @types
 * @mdev_driver: the driver bound to every instance created under @dev
 * @mdev_types_kset: the "mdev_supported_types" directory of @dev
 * @unreg_sem: held for reading by each creation and removal requested
 *             through sysfs for as long as it runs, and for writing by
 *             mdev_unregister_parent(); sysfs requests only try to take
 *             it, so they fail at once while the parent is going away
 * @available_instances: instances that may still be created, when the
 *                       driver has no get_available callback
 * @instances: the parent's instances, linked through mdev_device.sibling
 *
 * Embedded in the driver's structure and filled in by
 * mdev_register_parent().  @available_instances is changed, and
 * @instances is read and changed, under mdev.ko's registry lock only.
 */
struct mdev_parent {
	struct device *dev;
	struct mdev_type **types;
	unsigned int nr_types;
	struct mdev_driver *mdev_driver;
	struct kset *mdev_types_kset;
	atomic_t available_instances;

	struct rw_semaphore unreg_sem;
	struct list_head instances;
};

/**
 * struct mdev_driver - driver of the instances of a parent
 * @device_api: what the types' "device_api" attribute shows, one of the
 *              VFIO_DEVICE_API_*_STRING values
 * @max_instances: how many instances all types of a parent may have
 *                 together; used only when @get_available is NULL
 * @probe: an instance was created: set it up and register it with VFIO
 * @remove: an instance is going away: unregister it from VFIO (which waits
 *          for userspace to close it) and free what @probe set up
 * @get_available: optional: how many more instances of a type can be
 *                 created; the driver then does its own accounting and
 *                 its @probe fails when resources ran out meanwhile
 * @show_description: optional: fill the type's "description" attribute
 *                    (the attribute exists only if this is set)
 * @driver: the driver on the mdev bus; set at least name and owner
 */
struct mdev_driver {
	struct device_driver driver;
	const char *device_api;
	int (*probe)(struct mdev_device *dev);
	void (*remove)(struct mdev_device *dev);
	unsigned int max_instances;
	unsigned int (*get_available)(struct mdev_type *mtype);
	ssize_t (*show_description)(struct mdev_type *mtype, char *buf);
};

/* Drivers register first, then their parents; they go in reverse order. */
int mdev_register_driver(struct mdev_driver *drv);
int mdev_register_parent(struct mdev_parent *parent, struct device *dev,
			 struct mdev_driver *mdev_driver,
			 struct mdev_type **types, unsigned int nr_types);
void mdev_unregister_parent(struct mdev_parent *parent);
void mdev_unregister_driver(struct mdev_driver *drv);

/* The struct device of an instance, and back. */
static inline struct device *mdev_dev(struct mdev_device *mdev)
{
	return &mdev->dev;
}

static inline struct mdev_device *to_mdev_device(struct device *dev)
{
	return container_of(dev, struct mdev_device, dev);
}

#endif /* MDEV_H */
