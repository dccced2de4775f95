// SPDX-License-Identifier: GPL-2.0-only
/*
 * Instances: creation through a type's "create" file, removal through
 * their own "remove" file or with their parent.
 *
 * An instance is reserved (UUID taken, instance counted) under
 * mdev_registry_lock before anything is made visible, then added to the
 * bus and bound to its parent's driver without the lock held, since the
 * driver's probe registers with VFIO and may sleep for long.  Once
 * probed it is "active", and whoever clears that owns its teardown.
 */
#include <linux/device.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "mdev_internal.h"

DEFINE_MUTEX(mdev_registry_lock);	/* see mdev_internal.h */

/* Every instance of every parent: UUIDs are unique on the bus. */
static LIST_HEAD(mdev_instances);

static bool mdev_uuid_in_use(const guid_t *uuid)
{
	struct mdev_device *mdev;

	lockdep_assert_held(&mdev_registry_lock);
	list_for_each_entry(mdev, &mdev_instances, next)
		if (guid_equal(&mdev->uuid, uuid))
			return true;
	return false;
}

/* Take the UUID and an instance of the parent's budget for @mdev. */
static int mdev_reserve(struct mdev_device *mdev)
{
	struct mdev_parent *parent = mdev->type->parent;

	lockdep_assert_held(&mdev_registry_lock);
	if (mdev_uuid_in_use(&mdev->uuid))
		return -EEXIST;
	if (!parent->mdev_driver->get_available) {
		if (!atomic_read(&parent->available_instances))
			return -EUSERS;
		atomic_dec(&parent->available_instances);
	}
	list_add_tail(&mdev->next, &mdev_instances);
	list_add_tail(&mdev->sibling, &parent->instances);
	return 0;
}

/* Give back what mdev_reserve() took. */
static void mdev_unreserve(struct mdev_device *mdev)
{
	struct mdev_parent *parent = mdev->type->parent;

	lockdep_assert_held(&mdev_registry_lock);
	list_del(&mdev->next);
	list_del(&mdev->sibling);
	if (!parent->mdev_driver->get_available)
		atomic_inc(&parent->available_instances);
}

static void mdev_instance_release(struct device *dev)
{
	kfree(to_mdev_device(dev));
}

static void mdev_unlink(struct mdev_device *mdev)
{
	sysfs_remove_link(&mdev->dev.kobj, "mdev_type");
	sysfs_remove_link(mdev->type->devices_kobj, dev_name(&mdev->dev));
}

static int mdev_link(struct mdev_device *mdev)
{
	int ret;

	ret = sysfs_create_link(mdev->type->devices_kobj, &mdev->dev.kobj,
				dev_name(&mdev->dev));
	if (ret)
		return ret;
	ret = sysfs_create_link(&mdev->dev.kobj, &mdev->type->kobj,
				"mdev_type");
	if (ret)
		sysfs_remove_link(mdev->type->devices_kobj,
				  dev_name(&mdev->dev));
	return ret;
}

/* Add a reserved instance to the bus and bind it to its driver. */
static int mdev_publish(struct mdev_device *mdev)
{
	struct mdev_driver *drv = mdev->type->parent->mdev_driver;
	int ret;

	ret = device_add(&mdev->dev);
	if (ret)
		return ret;
	ret = mdev_link(mdev);
	if (ret)
		goto err_del;
	ret = device_driver_attach(&drv->driver, &mdev->dev);
	if (ret)
		goto err_unlink;
	return 0;

err_unlink:
	mdev_unlink(mdev);
err_del:
	device_del(&mdev->dev);
	return ret;
}

static struct mdev_device *mdev_alloc(struct mdev_type *type,
				      const guid_t *uuid)
{
	struct mdev_device *mdev;

	mdev = kzalloc(sizeof(*mdev), GFP_KERNEL);
	if (!mdev)
		return ERR_PTR(-ENOMEM);
	guid_copy(&mdev->uuid, uuid);
	mdev->type = type;
	device_initialize(&mdev->dev);
	mdev->dev.parent = type->parent->dev;
	mdev->dev.bus = &mdev_bus_type;
	mdev->dev.groups = mdev_instance_groups;
	mdev->dev.release = mdev_instance_release;
	if (dev_set_name(&mdev->dev, "%pUl", uuid)) {
		put_device(&mdev->dev);
		return ERR_PTR(-ENOMEM);
	}
	return mdev;
}

/**
 * mdev_instance_create - create an instance of a type
 * @type: the type
 * @uuid: the instance's UUID, which must not be in use
 *
 * Return: 0; -EEXIST for a UUID in use, -EUSERS when the type has no
 * instance left, -ENODEV when the parent is going away, or the error of
 * the driver's probe.
 */
int mdev_instance_create(struct mdev_type *type, const guid_t *uuid)
{
	struct mdev_parent *parent = type->parent;
	struct mdev_driver *drv = parent->mdev_driver;
	struct mdev_device *mdev;
	int ret;

	/* A hint only: the driver's probe has the final word. */
	if (drv->get_available && !drv->get_available(type))
		return -EUSERS;

	mdev = mdev_alloc(type, uuid);
	if (IS_ERR(mdev))
		return PTR_ERR(mdev);

	ret = mdev_parent_get_busy(parent);
	if (ret)
		goto out_put;
	mutex_lock(&mdev_registry_lock);
	ret = mdev_reserve(mdev);
	mutex_unlock(&mdev_registry_lock);
	if (ret)
		goto out_idle;

	ret = mdev_publish(mdev);

	mutex_lock(&mdev_registry_lock);
	if (ret)
		mdev_unreserve(mdev);
	else
		mdev->active = true;
	mutex_unlock(&mdev_registry_lock);
	if (!ret)
		dev_dbg(&mdev->dev, "mdev: created, type %s\n",
			kobject_name(&type->kobj));
out_idle:
	/* From here on, a removal may free a successful instance. */
	mdev_parent_put_busy(parent);
	if (!ret)
		return 0;
out_put:
	put_device(&mdev->dev);
	return ret;
}

/*
 * Tear down an instance that the caller made inactive.  Removing the
 * device unbinds its driver, whose remove callback waits for userspace to
 * close the device.
 */
static void mdev_teardown(struct mdev_device *mdev)
{
	mdev_unlink(mdev);
	device_del(&mdev->dev);
	mutex_lock(&mdev_registry_lock);
	mdev_unreserve(mdev);
	mutex_unlock(&mdev_registry_lock);
	put_device(&mdev->dev);
}

/**
 * mdev_instances_reap - tear down every instance of a parent
 * @parent: a parent being unregistered, with no sysfs operation under way
 *
 * Each removal may block until userspace closes the instance.
 */
void mdev_instances_reap(struct mdev_parent *parent)
{
	struct mdev_device *mdev;

	lockdep_assert_held_write(&parent->unreg_sem);
	for (;;) {
		mutex_lock(&mdev_registry_lock);
		mdev = list_first_entry_or_null(&parent->instances,
						struct mdev_device, sibling);
		/* Creations hold unreg_sem: every one listed is active. */
		if (mdev)
			mdev->active = false;
		mutex_unlock(&mdev_registry_lock);
		if (!mdev)
			return;
		mdev_teardown(mdev);
	}
}

/* Claim an active instance for removal through sysfs. */
static int mdev_claim(struct mdev_device *mdev)
{
	struct mdev_parent *parent = mdev->type->parent;
	int ret;

	ret = mdev_parent_get_busy(parent);
	if (ret)
		return ret;
	mutex_lock(&mdev_registry_lock);
	/* Still being probed, or another removal got there first. */
	if (!mdev->active)
		ret = -EAGAIN;
	mdev->active = false;
	mutex_unlock(&mdev_registry_lock);
	if (ret)
		mdev_parent_put_busy(parent);
	return ret;
}

static ssize_t remove_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t len)
{
	struct mdev_device *mdev = to_mdev_device(dev);
	struct mdev_parent *parent = mdev->type->parent;
	bool yes;
	int ret;

	ret = kstrtobool(buf, &yes);
	if (ret || !yes)
		return ret ? ret : len;

	ret = mdev_claim(mdev);
	if (ret)
		return ret;
	/*
	 * Removing the device removes this file, which waits for writers of
	 * the file to return: take ourselves out of that wait first.  The
	 * device stays allocated while we hold a reference.
	 */
	get_device(dev);
	device_remove_file_self(dev, attr);
	mdev_teardown(mdev);
	mdev_parent_put_busy(parent);
	put_device(dev);
	return len;
}
static DEVICE_ATTR_WO(remove);

static struct attribute *mdev_instance_attrs[] = {
	&dev_attr_remove.attr,
	NULL
};

static const struct attribute_group mdev_instance_group = {
	.attrs = mdev_instance_attrs,
};

const struct attribute_group *mdev_instance_groups[] = {
	&mdev_instance_group,
	NULL
};
