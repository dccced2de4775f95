// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO devices: their life cycle from allocation to release, their
 * registration in a group, and the device file userspace gets from
 * VFIO_GROUP_GET_DEVICE_FD.
 *
 * Two counts govern a device:
 *  - the struct device reference count (vfio_device.device) keeps the
 *    memory alive; the driver holds one from allocation to vfio_put_device();
 *  - vfio_device.refcount counts registration users: the registration
 *    itself and each open file.  Unregistering drops the first and waits for
 *    the rest, asking userspace to let go through ops->request.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "vfio.h"

/* How long unregistering waits between two requests to userspace. */
#define VFIO_REQUEST_INTERVAL	(10 * HZ)

static struct {
	struct class *class;
	struct ida index;
} vfio_devices;

static void vfio_device_release(struct device *dev)
{
	struct vfio_device *device =
		container_of(dev, struct vfio_device, device);

	vfio_device_set_release(device);
	vfio_device_inode_put(device);
	ida_free(&vfio_devices.index, device->index);

	/*
	 * As in 6.1, a driver with a release callback frees the memory
	 * itself by calling vfio_free_device() from it.
	 */
	if (device->ops->release)
		device->ops->release(device);
	else
		vfio_free_device(device);
}

/**
 * vfio_init_device - initialise a vfio_device the driver allocated itself
 * @device: zeroed memory for the device
 * @dev: the device it stands for
 * @ops: the driver's callbacks
 *
 * Most drivers use vfio_alloc_device() instead, which calls this.  On
 * success the caller drops its reference with vfio_put_device(); on failure
 * nothing was set up and the caller frees @device itself.
 *
 * Return: 0 or a negative errno.
 */
int vfio_init_device(struct vfio_device *device, struct device *dev,
		     const struct vfio_device_ops *ops)
{
	int ret;

	ret = ida_alloc(&vfio_devices.index, GFP_KERNEL);
	if (ret < 0)
		return ret;
	device->index = ret;
	ret = vfio_device_inode_get(device);
	if (ret)
		goto err_free_index;

	device->dev = dev;
	device->ops = ops;
	init_completion(&device->comp);
	INIT_LIST_HEAD(&device->dev_set_list);
	INIT_LIST_HEAD(&device->group_next);
	INIT_LIST_HEAD(&device->iommu_entry);

	if (ops->init) {
		ret = ops->init(device);
		if (ret)
			goto err_put_inode;
	}

	device_initialize(&device->device);
	device->device.release = vfio_device_release;
	device->device.class = vfio_devices.class;
	device->device.parent = dev;
	return 0;

err_put_inode:
	vfio_device_inode_put(device);
err_free_index:
	ida_free(&vfio_devices.index, device->index);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_init_device);

/**
 * _vfio_alloc_device - allocate and initialise a driver's device structure
 * @size: size of the driver structure, whose first member is the vfio_device
 * @dev: the device it stands for
 * @ops: the driver's callbacks
 *
 * Use through the vfio_alloc_device() macro.
 *
 * Return: the vfio_device, or an ERR_PTR.
 */
struct vfio_device *_vfio_alloc_device(size_t size, struct device *dev,
				       const struct vfio_device_ops *ops)
{
	struct vfio_device *device;
	int err;

	/* The macro makes the vfio_device the first member of @size bytes. */
	if (WARN_ON(size < sizeof(*device)))
		return ERR_PTR(-EINVAL);

	device = kvzalloc(size, GFP_KERNEL);
	err = device ? vfio_init_device(device, dev, ops) : -ENOMEM;
	if (err) {
		kvfree(device);
		return ERR_PTR(err);
	}
	return device;
}
EXPORT_SYMBOL_GPL(_vfio_alloc_device);

/**
 * vfio_free_device - free the memory of a device from vfio_alloc_device()
 * @device: the device
 *
 * Only for a driver's ops->release; everyone else uses vfio_put_device().
 */
void vfio_free_device(struct vfio_device *device)
{
	kvfree(device);
}
EXPORT_SYMBOL_GPL(vfio_free_device);

/* Whether @dev already has a registered vfio_device in @group. */
static bool vfio_group_has_dev(struct vfio_group *group, struct device *dev)
{
	struct vfio_device *device;

	lockdep_assert_held(&group->lock);

	list_for_each_entry(device, &group->device_list, group_next)
		if (device->dev == dev)
			return true;
	return false;
}

static int vfio_register_device(struct vfio_device *device,
				enum vfio_group_type type)
{
	struct vfio_group *group;
	int ret;

	/* A device nobody grouped with others is a set of its own. */
	if (!device->dev_set) {
		ret = vfio_assign_device_set(device, device);
		if (ret)
			return ret;
	}

	ret = dev_set_name(&device->device, "vfio%u", device->index);
	if (ret)
		return ret;

	group = vfio_group_get_for_device(device, type);
	if (IS_ERR(group))
		return PTR_ERR(group);
	device->group = group;

	ret = device_add(&device->device);
	if (ret)
		goto err_put_group;

	refcount_set(&device->refcount, 1);

	mutex_lock(&group->lock);
	if (vfio_group_has_dev(group, device->dev)) {
		mutex_unlock(&group->lock);
		dev_warn(device->dev, "vfio: device already registered\n");
		ret = -EBUSY;
		goto err_del;
	}
	/* From here on userspace can find and open the device. */
	list_add_tail(&device->group_next, &group->device_list);
	mutex_unlock(&group->lock);
	return 0;

err_del:
	device_del(&device->device);
err_put_group:
	vfio_group_put_for_device(device);
	device->group = NULL;
	return ret;
}

/**
 * vfio_register_group_dev - expose a device behind a real IOMMU to userspace
 * @device: an initialised device
 *
 * The device appears in the VFIO group of its IOMMU group.
 *
 * Return: 0 or a negative errno.
 */
int vfio_register_group_dev(struct vfio_device *device)
{
	return vfio_register_device(device, VFIO_IOMMU);
}
EXPORT_SYMBOL_GPL(vfio_register_group_dev);

/**
 * vfio_register_emulated_iommu_dev - expose a device without DMA of its own
 * @device: an initialised device
 *
 * For mediated and similar devices that reach user memory only through
 * vfio_pin_pages() and vfio_dma_rw(): the device gets a group of its own.
 *
 * Return: 0 or a negative errno.
 */
int vfio_register_emulated_iommu_dev(struct vfio_device *device)
{
	return vfio_register_device(device, VFIO_EMULATED_IOMMU);
}
EXPORT_SYMBOL_GPL(vfio_register_emulated_iommu_dev);

/**
 * vfio_device_try_get_registration - take a registration reference
 * @device: the device
 *
 * Return: false once unregistration has started.
 */
bool vfio_device_try_get_registration(struct vfio_device *device)
{
	return refcount_inc_not_zero(&device->refcount);
}

/**
 * vfio_device_put_registration - drop a registration reference
 * @device: the device
 */
void vfio_device_put_registration(struct vfio_device *device)
{
	if (refcount_dec_and_test(&device->refcount))
		complete(&device->comp);
}

/* Wait for every open file to go, asking userspace to close them. */
static void vfio_device_wait_for_users(struct vfio_device *device)
{
	unsigned int requests = 0;

	if (try_wait_for_completion(&device->comp))
		return;

	do {
		if (device->ops->request)
			device->ops->request(device, requests);
		if (!requests)
			dev_warn(device->dev,
				 "vfio: unregistering a device in use; waiting for userspace to close it\n");
		requests++;
	} while (!wait_for_completion_timeout(&device->comp,
					      VFIO_REQUEST_INTERVAL));
}

/**
 * vfio_unregister_group_dev - withdraw a device from userspace
 * @device: a registered device
 *
 * Blocks until userspace has closed every file of the device.  The caller
 * still holds its reference and drops it with vfio_put_device().
 */
void vfio_unregister_group_dev(struct vfio_device *device)
{
	struct vfio_group *group = device->group;

	/*
	 * Unlist the device first: otherwise userspace could keep opening it
	 * by name while we wait, and the wait would never end.
	 */
	mutex_lock(&group->lock);
	list_del_init(&device->group_next);
	mutex_unlock(&group->lock);

	vfio_device_put_registration(device);
	vfio_device_wait_for_users(device);

	device_del(&device->device);
	vfio_group_put_for_device(device);
}
EXPORT_SYMBOL_GPL(vfio_unregister_group_dev);

/**
 * vfio_device_find_in_group - look a device up by the name userspace gave
 * @group: the group
 * @name: the string passed to VFIO_GROUP_GET_DEVICE_FD
 *
 * A driver with ops->match decides itself; otherwise the name must be the
 * device's name (for PCI, its address).
 *
 * Return: the device with a registration reference held, or an ERR_PTR.
 */
struct vfio_device *vfio_device_find_in_group(struct vfio_group *group,
					      const char *name)
{
	struct vfio_device *device;
	int match;

	mutex_lock(&group->lock);
	list_for_each_entry(device, &group->device_list, group_next) {
		if (device->ops->match)
			match = device->ops->match(device, (char *)name);
		else
			match = !strcmp(dev_name(device->dev), name);
		if (match < 0) {
			device = ERR_PTR(match);
			goto out_unlock;
		}
		if (match && vfio_device_try_get_registration(device))
			goto out_unlock;
	}
	device = ERR_PTR(-ENODEV);
out_unlock:
	mutex_unlock(&group->lock);
	return device;
}

/*
 * Make the group's container usable by one more open device file.  The
 * file holds the group file, so the group stays attached while it is open.
 */
static int vfio_group_use_container(struct vfio_group *group)
{
	lockdep_assert_held(&group->lock);

	/* No device before VFIO_SET_IOMMU; an attached group counts one user. */
	if (!group->container || !vfio_container_has_backend(group->container) ||
	    WARN_ON(!group->container_users))
		return -EINVAL;
	if (vfio_group_unisolated_refusal(group))
		return -EPERM;
	get_file(group->opened_file);
	group->container_users++;
	return 0;
}

/* Undo vfio_group_use_container(); the caller fput()s the returned file. */
static struct file *vfio_group_unuse_container(struct vfio_group *group)
{
	lockdep_assert_held(&group->lock);

	group->container_users--;
	return group->opened_file;
}

static int vfio_device_first_open(struct vfio_device *device)
{
	int ret;

	lockdep_assert_held(&device->dev_set->lock);
	lockdep_assert_held(&device->group->lock);

	/* The driver's callbacks run until the last close. */
	if (!try_module_get(device->dev->driver->owner))
		return -ENODEV;

	vfio_device_capture_kvm(device);

	/* Subscribe first: open_device may already pin pages. */
	if (device->ops->dma_unmap)
		vfio_container_register_device(device);

	if (device->ops->open_device) {
		ret = device->ops->open_device(device);
		if (ret)
			goto err_unregister;
	}
	return 0;

err_unregister:
	if (device->ops->dma_unmap)
		vfio_container_unregister_device(device);
	module_put(device->dev->driver->owner);
	return ret;
}

static void vfio_device_last_close(struct vfio_device *device)
{
	lockdep_assert_held(&device->dev_set->lock);
	lockdep_assert_held(&device->group->lock);

	if (device->ops->close_device)
		device->ops->close_device(device);
	if (device->ops->dma_unmap)
		vfio_container_unregister_device(device);
	module_put(device->dev->driver->owner);
}

/**
 * vfio_device_open_file - open a device for userspace
 * @device: a device with a registration reference held by the caller
 *
 * The first open of the device calls ops->open_device, with the KVM of the
 * group captured in device->kvm.  On success the returned file owns the
 * caller's registration reference.
 *
 * Return: the new device file, or an ERR_PTR.
 */
struct file *vfio_device_open_file(struct vfio_device *device)
{
	struct vfio_group *group = device->group;
	struct file *group_file;
	struct file *file;
	int ret;

	mutex_lock(&device->dev_set->lock);
	mutex_lock(&group->lock);
	ret = vfio_group_use_container(group);
	if (ret)
		goto err_unlock;

	/* open_device already counts the device as open, as drivers expect. */
	if (++device->open_count == 1) {
		ret = vfio_device_first_open(device);
		if (ret) {
			device->open_count--;
			goto err_unuse;
		}
	}
	mutex_unlock(&group->lock);
	mutex_unlock(&device->dev_set->lock);

	file = anon_inode_getfile("[vfio-device]", &vfio_device_fops, device,
				  O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_close;
	}
	/*
	 * Regions are addressed by offset: pread/pwrite, or read/write at
	 * the file position.  There is no ->llseek, so FMODE_LSEEK must stay
	 * clear (vfs_llseek() calls ->llseek unchecked when it is set):
	 * lseek() fails with ESPIPE, as in 6.1.
	 */
	file->f_mode |= FMODE_PREAD | FMODE_PWRITE;
	/* Before anything can map it: see device_inode.c. */
	file->f_mapping = device->inode->i_mapping;
	return file;

err_close:
	vfio_device_close(device);
	return ERR_PTR(ret);

err_unuse:
	group_file = vfio_group_unuse_container(group);
	mutex_unlock(&group->lock);
	vfio_device_release_kvm(device);
	mutex_unlock(&device->dev_set->lock);
	fput(group_file);
	return ERR_PTR(ret);

err_unlock:
	mutex_unlock(&group->lock);
	mutex_unlock(&device->dev_set->lock);
	return ERR_PTR(ret);
}

/**
 * vfio_device_close - undo one vfio_device_open_file()
 * @device: the device
 *
 * The last close calls ops->close_device and drops the captured KVM.
 */
void vfio_device_close(struct vfio_device *device)
{
	struct vfio_group *group = device->group;
	struct file *group_file;

	mutex_lock(&device->dev_set->lock);
	mutex_lock(&group->lock);
	if (device->open_count == 1)
		vfio_device_last_close(device);
	device->open_count--;
	group_file = vfio_group_unuse_container(group);
	mutex_unlock(&group->lock);

	/*
	 * Dropping the last KVM reference destroys the VM, with whatever
	 * locks KVM's teardown takes; only the set's lock, which nothing in
	 * KVM takes, is held across it.
	 */
	if (!device->open_count)
		vfio_device_release_kvm(device);
	mutex_unlock(&device->dev_set->lock);

	fput(group_file);
}

static int vfio_device_fops_release(struct inode *inode, struct file *file)
{
	struct vfio_device *device = file->private_data;

	vfio_device_close(device);
	vfio_device_put_registration(device);
	return 0;
}

static ssize_t vfio_device_fops_read(struct file *file, char __user *buf,
				     size_t count, loff_t *ppos)
{
	struct vfio_device *device = file->private_data;

	if (!device->ops->read)
		return -EINVAL;
	return device->ops->read(device, buf, count, ppos);
}

static ssize_t vfio_device_fops_write(struct file *file,
				      const char __user *buf,
				      size_t count, loff_t *ppos)
{
	struct vfio_device *device = file->private_data;

	if (!device->ops->write)
		return -EINVAL;
	return device->ops->write(device, buf, count, ppos);
}

static int vfio_device_fops_mmap(struct file *file,
				 struct vm_area_struct *vma)
{
	struct vfio_device *device = file->private_data;

	if (!device->ops->mmap)
		return -EINVAL;
	return device->ops->mmap(device, vma);
}

static int vfio_device_ioctl_feature(struct vfio_device *device,
				     struct vfio_device_feature __user *arg)
{
	size_t minsz = offsetofend(struct vfio_device_feature, flags);
	u32 dir = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET;
	struct vfio_device_feature feature;
	size_t payload;

	if (copy_from_user(&feature, arg, minsz))
		return -EFAULT;
	if (feature.argsz < minsz)
		return -EINVAL;
	if (feature.flags & ~(VFIO_DEVICE_FEATURE_MASK | dir |
			      VFIO_DEVICE_FEATURE_PROBE))
		return -EINVAL;
	/* GET and SET together only make sense when probing for both. */
	if ((feature.flags & dir) == dir &&
	    !(feature.flags & VFIO_DEVICE_FEATURE_PROBE))
		return -EINVAL;

	payload = feature.argsz - minsz;
	switch (feature.flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_MIGRATION:
		return vfio_device_feature_migration(device, feature.flags,
						     arg->data, payload);
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
		return vfio_device_feature_mig_state(device, feature.flags,
						     arg->data, payload);
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
		return vfio_device_feature_logging_start(device, feature.flags,
							 arg->data, payload);
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP:
		return vfio_device_feature_logging_stop(device, feature.flags,
							arg->data, payload);
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT:
		return vfio_device_feature_logging_report(device, feature.flags,
							  arg->data, payload);
	default:
		if (!device->ops->device_feature)
			return -ENOTTY;
		return device->ops->device_feature(device, feature.flags,
						   arg->data, payload);
	}
}

/*
 * A driver with runtime PM (vfio-pci) may let an open device sleep when
 * its user asks for low power.  Any ioctl may touch the hardware, so the
 * device is woken for each one and may sleep again after it.
 */
static bool vfio_device_has_pm(struct vfio_device *device)
{
	return device->dev->driver && device->dev->driver->pm;
}

/* The ioctls every device has, then the driver's own. */
static long vfio_device_dispatch(struct vfio_device *device,
				 unsigned int cmd, unsigned long arg)
{
	if (cmd == VFIO_DEVICE_FEATURE)
		return vfio_device_ioctl_feature(device, (void __user *)arg);
	return device->ops->ioctl ? device->ops->ioctl(device, cmd, arg) :
				    -EINVAL;
}

static long vfio_device_fops_ioctl(struct file *file, unsigned int cmd,
				   unsigned long arg)
{
	struct vfio_device *device = file->private_data;
	int woken;
	long ret;

	if (!vfio_device_has_pm(device))
		return vfio_device_dispatch(device, cmd, arg);

	woken = pm_runtime_resume_and_get(device->dev);
	if (woken) {
		dev_info_ratelimited(device->dev,
				     "cannot wake for an ioctl: %d\n", woken);
		return -EIO;
	}
	ret = vfio_device_dispatch(device, cmd, arg);
	pm_runtime_put(device->dev);
	return ret;
}

const struct file_operations vfio_device_fops = {
	.owner		= THIS_MODULE,
	.release	= vfio_device_fops_release,
	.read		= vfio_device_fops_read,
	.write		= vfio_device_fops_write,
	.unlocked_ioctl	= vfio_device_fops_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= vfio_device_fops_mmap,
};

/**
 * vfio_device_init - set up the vfio-dev class
 *
 * Return: 0 or a negative errno.
 */
int vfio_device_init(void)
{
	ida_init(&vfio_devices.index);
	vfio_devices.class = class_create(THIS_MODULE, "vfio-dev");
	if (IS_ERR(vfio_devices.class))
		return PTR_ERR(vfio_devices.class);
	return 0;
}

/**
 * vfio_device_exit - undo vfio_device_init()
 */
void vfio_device_exit(void)
{
	class_destroy(vfio_devices.class);
	ida_destroy(&vfio_devices.index);
}
