// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device sets: devices that cannot be handled independently of each other,
 * typically PCI functions that can only be reset together (same slot or
 * bus).  Members share one lock, so that the driver sees a consistent open
 * count of the whole set when it decides whether a reset is safe, and
 * open_device/close_device of members never run concurrently.
 */
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <linux/xarray.h>

#include "vfio.h"

/*
 * Every set, keyed by its set_id.  Sets come and go with driver probe and
 * remove, never on a fast path, so one mutex covers both the xarray and the
 * sets' device_count.
 */
static DEFINE_XARRAY(vfio_device_sets);
static DEFINE_MUTEX(vfio_device_sets_lock);

static struct vfio_device_set *vfio_device_set_create(unsigned long key)
{
	struct vfio_device_set *set;
	int ret;

	lockdep_assert_held(&vfio_device_sets_lock);

	set = kzalloc(sizeof(*set), GFP_KERNEL);
	if (!set)
		return ERR_PTR(-ENOMEM);
	set->set_id = (void *)key;
	mutex_init(&set->lock);
	INIT_LIST_HEAD(&set->device_list);

	ret = xa_err(xa_store(&vfio_device_sets, key, set, GFP_KERNEL));
	if (ret) {
		mutex_destroy(&set->lock);
		kfree(set);
		return ERR_PTR(ret);
	}
	return set;
}

/**
 * vfio_assign_device_set - put a device in the set named by @set_id
 * @device: an initialised, not yet registered device
 * @set_id: any pointer that identifies the set, for example the pci_slot
 *          or pci_bus whose devices must be reset together
 *
 * Devices given the same @set_id share one lock and are counted together by
 * vfio_device_set_open_count().  A device registered without a set gets one
 * of its own.
 *
 * Return: 0 or a negative errno.
 */
int vfio_assign_device_set(struct vfio_device *device, void *set_id)
{
	unsigned long key = (unsigned long)set_id;
	struct vfio_device_set *set;

	if (WARN_ON(!set_id) || WARN_ON(device->dev_set))
		return -EINVAL;

	mutex_lock(&vfio_device_sets_lock);
	set = xa_load(&vfio_device_sets, key);
	if (!set) {
		set = vfio_device_set_create(key);
		if (IS_ERR(set)) {
			mutex_unlock(&vfio_device_sets_lock);
			return PTR_ERR(set);
		}
	}
	set->device_count++;
	mutex_unlock(&vfio_device_sets_lock);

	mutex_lock(&set->lock);
	list_add_tail(&device->dev_set_list, &set->device_list);
	device->dev_set = set;
	mutex_unlock(&set->lock);
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_assign_device_set);

/**
 * vfio_device_set_release - take a device out of its set
 * @device: a device being freed
 *
 * The last member frees the set.
 */
void vfio_device_set_release(struct vfio_device *device)
{
	struct vfio_device_set *set = device->dev_set;
	bool empty;

	if (!set)
		return;

	mutex_lock(&set->lock);
	list_del(&device->dev_set_list);
	mutex_unlock(&set->lock);

	mutex_lock(&vfio_device_sets_lock);
	empty = --set->device_count == 0;
	if (empty)
		xa_erase(&vfio_device_sets, (unsigned long)set->set_id);
	mutex_unlock(&vfio_device_sets_lock);

	/* Unreachable now: no lookup can find it, no member refers to it. */
	if (empty) {
		mutex_destroy(&set->lock);
		kfree(set);
	}
}

/**
 * vfio_device_set_open_count - how many device files of a set are open
 * @dev_set: the set, whose lock the caller holds
 *
 * Return: the sum of the members' open counts.
 */
unsigned int vfio_device_set_open_count(struct vfio_device_set *dev_set)
{
	struct vfio_device *member;
	unsigned int open = 0;

	lockdep_assert_held(&dev_set->lock);

	list_for_each_entry(member, &dev_set->device_list, dev_set_list)
		open += member->open_count;
	return open;
}
EXPORT_SYMBOL_GPL(vfio_device_set_open_count);
