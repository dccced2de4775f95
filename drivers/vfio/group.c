// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO groups: /dev/vfio/N, one per IOMMU group that holds a VFIO device.
 *
 * A group is what userspace takes ownership of: all devices sharing an
 * IOMMU group can reach each other's DMA, so isolation only holds if every
 * one of them is either driven through VFIO or driverless.  The IOMMU core
 * enforces that through DMA ownership, which the group claims when it joins
 * a container.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "vfio.h"

/*
 * The registry of groups, keyed by IOMMU group.  @lock serialises creating
 * and retiring groups so that a group being retired can never collide with
 * its successor for the same IOMMU group (same name, same /dev node).
 */
static struct {
	struct class *class;
	dev_t devt;
	struct ida minors;
	struct mutex lock;	/* protects list; see above */
	struct list_head list;
} vfio_groups;

static struct vfio_group *vfio_group_lookup(struct iommu_group *iommu_group)
{
	struct vfio_group *group;

	lockdep_assert_held(&vfio_groups.lock);

	list_for_each_entry(group, &vfio_groups.list, registry_node)
		if (group->iommu_group == iommu_group)
			return group;
	return NULL;
}

static void vfio_group_release_dev(struct device *dev)
{
	struct vfio_group *group = container_of(dev, struct vfio_group, dev);

	ida_free(&vfio_groups.minors, MINOR(group->dev.devt));
	mutex_destroy(&group->lock);
	kfree(group);
}

/* Name the group's node after its IOMMU group, as userspace expects. */
static int vfio_group_set_name(struct vfio_group *group)
{
	int id = iommu_group_id(group->iommu_group);

	if (group->type == VFIO_NO_IOMMU)
		return dev_set_name(&group->dev, "noiommu-%d", id);
	return dev_set_name(&group->dev, "%d", id);
}

static struct vfio_group *vfio_group_create(struct iommu_group *iommu_group,
					    enum vfio_group_type type)
{
	struct vfio_group *group;
	int ret;

	lockdep_assert_held(&vfio_groups.lock);

	group = kzalloc(sizeof(*group), GFP_KERNEL);
	if (!group)
		return ERR_PTR(-ENOMEM);
	group->type = type;
	group->iommu_group = iommu_group;
	refcount_set(&group->drivers, 1);
	mutex_init(&group->lock);
	spin_lock_init(&group->kvm_lock);
	INIT_LIST_HEAD(&group->device_list);

	ret = ida_alloc_max(&vfio_groups.minors, MINORMASK, GFP_KERNEL);
	if (ret < 0) {
		mutex_destroy(&group->lock);
		kfree(group);
		return ERR_PTR(ret);
	}

	/*
	 * From here on the release callback owns the memory and the minor:
	 * every failure below is a put_device().
	 */
	device_initialize(&group->dev);
	group->dev.release = vfio_group_release_dev;
	group->dev.class = vfio_groups.class;
	group->dev.devt = MKDEV(MAJOR(vfio_groups.devt), ret);
	cdev_init(&group->cdev, &vfio_group_fops);
	group->cdev.owner = THIS_MODULE;

	ret = vfio_group_set_name(group);
	if (!ret)
		ret = cdev_device_add(&group->cdev, &group->dev);
	if (ret) {
		put_device(&group->dev);
		return ERR_PTR(ret);
	}

	iommu_group_ref_get(iommu_group);
	list_add(&group->registry_node, &vfio_groups.list);
	return group;
}

/*
 * Emulated-IOMMU devices have no IOMMU group of their own, yet userspace
 * finds every VFIO device through a group; give each one a private group.
 */
static struct iommu_group *vfio_alloc_private_iommu_group(struct device *dev)
{
	struct iommu_group *iommu_group;
	int ret;

	iommu_group = iommu_group_alloc();
	if (IS_ERR(iommu_group))
		return iommu_group;

	ret = iommu_group_set_name(iommu_group, "vfio-noiommu");
	if (ret)
		goto err_put;
	ret = iommu_group_add_device(iommu_group, dev);
	if (ret)
		goto err_put;
	return iommu_group;

err_put:
	iommu_group_put(iommu_group);
	return ERR_PTR(ret);
}

static struct iommu_group *vfio_device_iommu_group(struct vfio_device *device,
						   enum vfio_group_type type)
{
	struct iommu_group *iommu_group;

	if (type != VFIO_IOMMU)
		return vfio_alloc_private_iommu_group(device->dev);

	iommu_group = iommu_group_get(device->dev);
	if (!iommu_group) {
		dev_warn(device->dev,
			 "vfio: no IOMMU group, the device cannot be isolated%s\n",
			 IS_ENABLED(CONFIG_VFIO_NOIOMMU) ?
			 " (vfio's enable_unsafe_noiommu_mode=1 offers it without isolation)" :
			 "");
		return ERR_PTR(-EINVAL);
	}

	/*
	 * Mappings are always made cache coherent: userspace has no way to
	 * flush CPU caches for non-coherent DMA, so such devices are refused.
	 */
	if (!device_iommu_capable(device->dev, IOMMU_CAP_CACHE_COHERENCY)) {
		dev_warn(device->dev,
			 "vfio: the IOMMU cannot enforce cache coherency\n");
		iommu_group_put(iommu_group);
		return ERR_PTR(-EINVAL);
	}
	return iommu_group;
}

/**
 * vfio_group_get_for_device - find or create the group of a new device
 * @device: the device being registered
 * @type: how the device reaches memory
 *
 * Takes one "drivers" reference on the group, which
 * vfio_group_put_for_device() drops.
 *
 * Return: the group, or an ERR_PTR.
 */
struct vfio_group *vfio_group_get_for_device(struct vfio_device *device,
					     enum vfio_group_type type)
{
	struct iommu_group *iommu_group;
	struct vfio_group *group;

	/* Without an IOMMU, a device may still go, unisolated (noiommu.c). */
	if (type == VFIO_IOMMU && vfio_noiommu_device_wanted(device->dev))
		type = VFIO_NO_IOMMU;
	iommu_group = vfio_device_iommu_group(device, type);
	if (IS_ERR(iommu_group))
		return ERR_CAST(iommu_group);

	mutex_lock(&vfio_groups.lock);
	group = vfio_group_lookup(iommu_group);
	if (!group) {
		group = vfio_group_create(iommu_group, type);
		if (!IS_ERR(group) && type == VFIO_NO_IOMMU)
			vfio_noiommu_group_created(device->dev);
	} else if (group->type != type) {
		/* One IOMMU group cannot be both real and emulated. */
		group = ERR_PTR(-EINVAL);
	} else {
		refcount_inc(&group->drivers);
	}
	mutex_unlock(&vfio_groups.lock);

	if (IS_ERR(group) && type != VFIO_IOMMU)
		iommu_group_remove_device(device->dev);
	iommu_group_put(iommu_group);
	return group;
}

/*
 * The last driver reference is gone; called with vfio_groups.lock held,
 * which it drops.  The group leaves the registry and /dev first, so no
 * new opener finds it, then its container and its IOMMU group; files
 * still open on it keep the struct alive and get -ENODEV.
 */
static void vfio_group_retire(struct vfio_group *group)
{
	struct iommu_group *iommu_group;

	list_del(&group->registry_node);
	cdev_device_del(&group->cdev, &group->dev);

	mutex_lock(&group->lock);
	WARN_ON(!list_empty(&group->device_list));
	if (group->container)
		vfio_container_detach_group(group);
	/* kvm.ko may be looking at the IOMMU group under kvm_lock. */
	spin_lock(&group->kvm_lock);
	iommu_group = group->iommu_group;
	group->iommu_group = NULL;
	spin_unlock(&group->kvm_lock);
	mutex_unlock(&group->lock);
	mutex_unlock(&vfio_groups.lock);

	iommu_group_put(iommu_group);
	put_device(&group->dev);
}

/**
 * vfio_group_put_for_device - drop a reference of vfio_group_get_for_device()
 * @device: the device being unregistered; it is no longer on the group's list
 *
 * The last one retires the group: its /dev node goes away, an fd still open
 * on it sees -ENODEV from now on, and it leaves its container.
 */
void vfio_group_put_for_device(struct vfio_device *device)
{
	struct vfio_group *group = device->group;

	/* Emulated and no-IOMMU devices were given their IOMMU group by us. */
	if (group->type != VFIO_IOMMU)
		iommu_group_remove_device(device->dev);
	if (refcount_dec_and_mutex_lock(&group->drivers, &vfio_groups.lock))
		vfio_group_retire(group);
}

/**
 * vfio_group_from_file - the group behind a /dev/vfio/N file
 * @file: any file
 *
 * Return: the group, or NULL if @file is not a VFIO group file.
 */
struct vfio_group *vfio_group_from_file(struct file *file)
{
	if (file->f_op != &vfio_group_fops)
		return NULL;
	return file->private_data;
}

/**
 * vfio_group_unisolated_refusal - may the caller use a group nothing isolates?
 * @group: any group
 *
 * A no-IOMMU group's devices reach all of memory: every use of one (open,
 * attach, device open) needs CAP_SYS_RAWIO, also through a group fd a more
 * privileged process passed on.
 *
 * Return: 0, or -EPERM.
 */
int vfio_group_unisolated_refusal(const struct vfio_group *group)
{
	if (group->type != VFIO_NO_IOMMU || capable(CAP_SYS_RAWIO))
		return 0;
	return -EPERM;
}

/* Why @group cannot be opened now, or 0; the caller holds its lock. */
static int vfio_group_open_refusal(struct vfio_group *group)
{
	int ret;

	lockdep_assert_held(&group->lock);

	if (!group->iommu_group)
		return -ENODEV;		/* being unregistered */
	ret = vfio_group_unisolated_refusal(group);
	if (ret)
		return ret;
	/* One owner at a time: the group is the unit of isolation. */
	return group->opened_file ? -EBUSY : 0;
}

static int vfio_group_open(struct inode *inode, struct file *file)
{
	struct vfio_group *group =
		container_of(inode->i_cdev, struct vfio_group, cdev);
	int ret;

	mutex_lock(&group->lock);
	ret = vfio_group_open_refusal(group);
	if (!ret) {
		group->opened_file = file;
		file->private_data = group;
	}
	mutex_unlock(&group->lock);
	return ret;
}

static int vfio_group_release(struct inode *inode, struct file *file)
{
	struct vfio_group *group = file->private_data;

	mutex_lock(&group->lock);
	/* Open device files hold this file: none can be left now. */
	WARN_ON(group->container_users > 1);
	if (group->container)
		vfio_container_detach_group(group);
	group->opened_file = NULL;
	mutex_unlock(&group->lock);
	return 0;
}

/*
 * A group is usable when its only DMA owner is our container, or when
 * nobody owns its DMA yet (no host driver is bound to any device of it).
 */
static int vfio_group_status_flags(struct vfio_group *group, u32 *flags)
{
	int ret = 0;

	mutex_lock(&group->lock);
	if (!group->iommu_group)
		ret = -ENODEV;
	else if (group->container)
		*flags = VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET;
	else if (iommu_group_dma_owner_claimed(group->iommu_group))
		*flags = 0;
	else
		*flags = VFIO_GROUP_FLAGS_VIABLE;
	mutex_unlock(&group->lock);
	return ret;
}

static int vfio_group_ioctl_get_status(struct vfio_group *group,
				       struct vfio_group_status __user *arg)
{
	u32 argsz, flags;
	int ret;

	if (get_user(argsz, &arg->argsz))
		return -EFAULT;
	if (argsz < offsetofend(struct vfio_group_status, flags))
		return -EINVAL;

	ret = vfio_group_status_flags(group, &flags);
	if (ret)
		return ret;
	return put_user(flags, &arg->flags);
}

/* Join the container of @file; the caller holds @group's lock. */
static int vfio_group_join(struct vfio_group *group, struct file *file)
{
	struct vfio_container *container = vfio_container_from_file(file);

	lockdep_assert_held(&group->lock);

	if (!container || group->container)
		return -EINVAL;
	if (!group->iommu_group)
		return -ENODEV;
	return vfio_container_attach_group(container, group);
}

static int vfio_group_ioctl_set_container(struct vfio_group *group,
					  int __user *arg)
{
	struct fd f;
	int fd, ret;

	if (get_user(fd, arg))
		return -EFAULT;
	f = fdget(fd);
	if (!f.file)
		return -EBADF;
	mutex_lock(&group->lock);
	ret = vfio_group_join(group, f.file);
	mutex_unlock(&group->lock);
	fdput(f);
	return ret;
}

static int vfio_group_ioctl_unset_container(struct vfio_group *group)
{
	int ret = 0;

	mutex_lock(&group->lock);
	if (!group->container)
		ret = -EINVAL;
	else if (group->container_users != 1)
		ret = -EBUSY;	/* device files are open */
	else
		vfio_container_detach_group(group);
	mutex_unlock(&group->lock);
	return ret;
}

/* The device of @group the user's string @arg names, registration held. */
static struct vfio_device *vfio_group_named_device(struct vfio_group *group,
						   char __user *arg)
{
	struct vfio_device *device;
	char *name;

	name = strndup_user(arg, PAGE_SIZE);
	if (IS_ERR(name))
		return ERR_CAST(name);
	device = vfio_device_find_in_group(group, name);
	kfree(name);
	return device;
}

/*
 * A descriptor for a new file of @device.  The descriptor is reserved
 * first: running out of them must not cost the device an open and a
 * close (a reset, for vfio-pci).  The file takes over the registration.
 */
static int vfio_device_new_fd(struct vfio_device *device)
{
	int fd = get_unused_fd_flags(O_CLOEXEC);
	struct file *file;

	if (fd < 0)
		return fd;
	file = vfio_device_open_file(device);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	fd_install(fd, file);
	return fd;
}

static int vfio_group_ioctl_get_device_fd(struct vfio_group *group,
					  char __user *arg)
{
	struct vfio_device *device = vfio_group_named_device(group, arg);
	int fd;

	if (IS_ERR(device))
		return PTR_ERR(device);
	fd = vfio_device_new_fd(device);
	if (fd < 0) {
		vfio_device_put_registration(device);
		return fd;
	}
	/* Only CAP_SYS_RAWIO gets here: every such open is told. */
	if (group->type == VFIO_NO_IOMMU)
		dev_warn(device->dev,
			 "vfio: device without IOMMU isolation opened by %s[%d]\n",
			 current->comm, task_pid_nr(current));
	return fd;
}

static long vfio_group_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct vfio_group *group = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_GROUP_GET_STATUS:
		return vfio_group_ioctl_get_status(group, uarg);
	case VFIO_GROUP_SET_CONTAINER:
		return vfio_group_ioctl_set_container(group, uarg);
	case VFIO_GROUP_UNSET_CONTAINER:
		return vfio_group_ioctl_unset_container(group);
	case VFIO_GROUP_GET_DEVICE_FD:
		return vfio_group_ioctl_get_device_fd(group, uarg);
	default:
		return -ENOTTY;
	}
}

const struct file_operations vfio_group_fops = {
	.owner		= THIS_MODULE,
	.open		= vfio_group_open,
	.release	= vfio_group_release,
	.unlocked_ioctl	= vfio_group_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/**
 * vfio_file_is_group - tell whether a file is a VFIO group
 * @file: any file
 *
 * kvm.ko uses this to accept only group files in KVM_DEV_VFIO_GROUP_ADD.
 *
 * Return: true if @file is an open /dev/vfio/N.
 */
bool vfio_file_is_group(struct file *file)
{
	return vfio_group_from_file(file);
}
EXPORT_SYMBOL_GPL(vfio_file_is_group);

/**
 * vfio_file_iommu_group - the IOMMU group behind a VFIO group file
 * @file: a VFIO group file
 *
 * kvm.ko's SPAPR TCE support keeps the IOMMU group for as long as the group
 * is added to its KVM-VFIO device, and calls this with kvm->lock held.
 *
 * Return: the IOMMU group with a reference the caller drops with
 * iommu_group_put(), or NULL if @file is not a live VFIO group.
 */
struct iommu_group *vfio_file_iommu_group(struct file *file)
{
	struct vfio_group *group = vfio_group_from_file(file);
	struct iommu_group *iommu_group = NULL;

	if (!group)
		return NULL;

	spin_lock(&group->kvm_lock);
	if (group->iommu_group)
		iommu_group = iommu_group_ref_get(group->iommu_group);
	spin_unlock(&group->kvm_lock);
	return iommu_group;
}
EXPORT_SYMBOL_GPL(vfio_file_iommu_group);

/**
 * vfio_file_enforced_coherent - whether DMA of a group is cache coherent
 * @file: a VFIO group file
 *
 * KVM asks this to decide whether guest code must be allowed to issue
 * cache maintenance (WBINVD) on behalf of a device.  Coherency is a
 * property of the container's backend, so it is only known once the group
 * is attached; before that no device of the group can do DMA, and the
 * answer is true.
 *
 * Return: true if the group's DMA is known to be coherent.
 */
bool vfio_file_enforced_coherent(struct file *file)
{
	struct vfio_group *group = vfio_group_from_file(file);

	return group ? vfio_group_dma_coherent(group) : true;
}
EXPORT_SYMBOL_GPL(vfio_file_enforced_coherent);

/**
 * vfio_file_has_dev - whether a device belongs to a group file's group
 * @file: a VFIO group file
 * @device: the device
 *
 * vfio-pci uses this to check that the caller of a hot reset owns every
 * device the reset touches.
 *
 * Return: true if @file is a group file and @device is registered in it.
 */
bool vfio_file_has_dev(struct file *file, struct vfio_device *device)
{
	struct vfio_group *group = vfio_group_from_file(file);

	return group && device->group == group;
}
EXPORT_SYMBOL_GPL(vfio_file_has_dev);

static char *vfio_group_devnode(struct device *dev, umode_t *mode)
{
	return kasprintf(GFP_KERNEL, "vfio/%s", dev_name(dev));
}

/**
 * vfio_group_init - set up the group registry and its char devices
 *
 * Return: 0 or a negative errno.
 */
int vfio_group_init(void)
{
	int ret;

	ida_init(&vfio_groups.minors);
	mutex_init(&vfio_groups.lock);
	INIT_LIST_HEAD(&vfio_groups.list);

	vfio_groups.class = class_create(THIS_MODULE, "vfio");
	if (IS_ERR(vfio_groups.class))
		return PTR_ERR(vfio_groups.class);
	vfio_groups.class->devnode = vfio_group_devnode;

	ret = alloc_chrdev_region(&vfio_groups.devt, 0, MINORMASK + 1, "vfio");
	if (ret)
		goto err_destroy_class;
	return 0;

err_destroy_class:
	class_destroy(vfio_groups.class);
	return ret;
}

/**
 * vfio_group_exit - undo vfio_group_init()
 */
void vfio_group_exit(void)
{
	WARN_ON(!list_empty(&vfio_groups.list));
	unregister_chrdev_region(vfio_groups.devt, MINORMASK + 1);
	class_destroy(vfio_groups.class);
	ida_destroy(&vfio_groups.minors);
	mutex_destroy(&vfio_groups.lock);
}
