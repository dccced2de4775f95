// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO containers (/dev/vfio/vfio) and the registry of IOMMU backends.
 *
 * A container is an IOMMU context shared by the groups attached to it.  It
 * starts without a backend; VFIO_SET_IOMMU picks one once at least one
 * group is attached, and the backend goes away again with the last group.
 */
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/miscdevice.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "vfio.h"

/**
 * struct vfio_container - an IOMMU context
 * @users: the container file plus one per attached group
 * @lock: protects the members below; held for writing to change them and
 *        for reading to use the backend instance from ioctls
 * @group_list: attached groups, through vfio_group.container_node
 * @backend: the backend chosen by VFIO_SET_IOMMU, or NULL
 * @backend_data: the backend's instance
 * @noiommu: the attached groups are no-IOMMU groups (they cannot mix)
 */
struct vfio_container {
	refcount_t users;
	struct rw_semaphore lock;
	struct list_head group_list;
	const struct vfio_iommu_driver_ops *backend;
	void *backend_data;
	bool noiommu;
};

/* A registered backend, in vfio_backends.list under vfio_backends.lock. */
struct vfio_backend {
	const struct vfio_iommu_driver_ops *ops;
	struct list_head node;
};

static struct {
	struct mutex lock;	/* protects list */
	struct list_head list;
} vfio_backends = {
	.lock = __MUTEX_INITIALIZER(vfio_backends.lock),
	.list = LIST_HEAD_INIT(vfio_backends.list),
};

static const struct file_operations vfio_container_fops;

/**
 * vfio_register_iommu_driver - offer an IOMMU backend to containers
 * @ops: the backend; must stay valid until unregistered
 *
 * Return: 0, or -EINVAL if @ops is malformed or already registered.
 */
int vfio_register_iommu_driver(const struct vfio_iommu_driver_ops *ops)
{
	struct vfio_backend *backend, *tmp;
	int ret = 0;

	if (WARN_ON(!ops->open || !ops->release || !ops->ioctl ||
		    !ops->attach_group || !ops->detach_group) ||
	    WARN_ON(!ops->register_device != !ops->unregister_device))
		return -EINVAL;

	backend = kzalloc(sizeof(*backend), GFP_KERNEL);
	if (!backend)
		return -ENOMEM;
	backend->ops = ops;

	mutex_lock(&vfio_backends.lock);
	list_for_each_entry(tmp, &vfio_backends.list, node) {
		if (tmp->ops == ops) {
			ret = -EINVAL;
			goto out_unlock;
		}
	}
	list_add_tail(&backend->node, &vfio_backends.list);
	backend = NULL;
out_unlock:
	mutex_unlock(&vfio_backends.lock);
	kfree(backend);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_register_iommu_driver);

/**
 * vfio_unregister_iommu_driver - withdraw an IOMMU backend
 * @ops: the backend passed to vfio_register_iommu_driver()
 *
 * Containers using the backend pin its module, so none can be left when
 * its module exit calls this.
 */
void vfio_unregister_iommu_driver(const struct vfio_iommu_driver_ops *ops)
{
	struct vfio_backend *backend;

	mutex_lock(&vfio_backends.lock);
	list_for_each_entry(backend, &vfio_backends.list, node) {
		if (backend->ops == ops) {
			list_del(&backend->node);
			kfree(backend);
			break;
		}
	}
	mutex_unlock(&vfio_backends.lock);
}
EXPORT_SYMBOL_GPL(vfio_unregister_iommu_driver);

static void vfio_container_put(struct vfio_container *container)
{
	if (!refcount_dec_and_test(&container->users))
		return;
	WARN_ON(container->backend || !list_empty(&container->group_list));
	kfree(container);
}

/**
 * vfio_container_from_file - the container behind a /dev/vfio/vfio file
 * @file: any file
 *
 * Return: the container, or NULL if @file is not a container file.
 */
struct vfio_container *vfio_container_from_file(struct file *file)
{
	if (file->f_op != &vfio_container_fops)
		return NULL;
	return file->private_data;
}

/**
 * vfio_container_has_backend - whether VFIO_SET_IOMMU has been done
 * @container: the container of a group whose lock the caller holds
 *
 * Return: true if a backend is set.  It cannot change while the caller's
 * group stays attached, since only the last group's detach clears it.
 */
bool vfio_container_has_backend(struct vfio_container *container)
{
	bool ret;

	down_read(&container->lock);
	ret = container->backend;
	up_read(&container->lock);
	return ret;
}

/*
 * Whether @ops may serve @container: no-IOMMU groups only ever get the
 * no-IOMMU backend, and isolated ones never do.  An empty container may
 * be asked about any.
 */
static bool vfio_container_backend_fits(struct vfio_container *container,
					const struct vfio_iommu_driver_ops *ops)
{
	return list_empty(&container->group_list) ||
	       container->noiommu == vfio_noiommu_is_backend(ops);
}

static long vfio_backend_check_extension(const struct vfio_iommu_driver_ops *ops,
					 void *data, unsigned long ext)
{
	return ops->ioctl(data, VFIO_CHECK_EXTENSION, ext);
}

/**
 * vfio_container_check_extension - answer VFIO_CHECK_EXTENSION
 * @container: the container
 * @ext: the extension asked about
 *
 * With a backend set only it answers; before that, any registered backend
 * that supports @ext does, so userspace can choose a type to ask for.
 *
 * Return: the backend's answer, 0 if no backend supports @ext.
 */
long vfio_container_check_extension(struct vfio_container *container,
				    unsigned long ext)
{
	struct vfio_backend *backend;
	long ret = 0;

	down_read(&container->lock);
	if (container->backend) {
		ret = vfio_backend_check_extension(container->backend,
						   container->backend_data,
						   ext);
		goto out_unlock;
	}

	mutex_lock(&vfio_backends.lock);
	list_for_each_entry(backend, &vfio_backends.list, node) {
		if (!vfio_container_backend_fits(container, backend->ops) ||
		    !try_module_get(backend->ops->owner))
			continue;
		ret = vfio_backend_check_extension(backend->ops, NULL, ext);
		module_put(backend->ops->owner);
		if (ret > 0)
			break;
	}
	mutex_unlock(&vfio_backends.lock);
out_unlock:
	up_read(&container->lock);
	return ret > 0 ? ret : 0;
}

/* Attach every group of @container to a freshly opened backend instance. */
static int vfio_container_attach_all(struct vfio_container *container,
				     const struct vfio_iommu_driver_ops *ops,
				     void *data)
{
	struct vfio_group *group, *failed;
	int ret;

	lockdep_assert_held_write(&container->lock);

	list_for_each_entry(group, &container->group_list, container_node) {
		ret = ops->attach_group(data, group->iommu_group, group->type);
		if (ret) {
			failed = group;
			goto err_detach;
		}
	}
	return 0;

err_detach:
	list_for_each_entry(group, &container->group_list, container_node) {
		if (group == failed)
			break;
		ops->detach_group(data, group->iommu_group);
	}
	return ret;
}

/* Open @ops for @type on @container; 0, or -errno to try the next one. */
static int vfio_container_try_backend(struct vfio_container *container,
				      const struct vfio_iommu_driver_ops *ops,
				      unsigned long type)
{
	void *data;
	int ret;

	if (!vfio_container_backend_fits(container, ops) ||
	    !try_module_get(ops->owner))
		return -ENODEV;
	if (vfio_backend_check_extension(ops, NULL, type) <= 0) {
		ret = -ENODEV;
		goto err_put_module;
	}

	data = ops->open(type);
	if (IS_ERR(data)) {
		ret = PTR_ERR(data);
		goto err_put_module;
	}
	ret = vfio_container_attach_all(container, ops, data);
	if (ret)
		goto err_release;

	container->backend = ops;
	container->backend_data = data;
	return 0;

err_release:
	ops->release(data);
err_put_module:
	module_put(ops->owner);
	return ret;
}

static long vfio_container_ioctl_set_iommu(struct vfio_container *container,
					   unsigned long type)
{
	struct vfio_backend *backend;
	long ret = -ENODEV;

	down_write(&container->lock);
	/* The backend needs a group to size itself, and is chosen once. */
	if (list_empty(&container->group_list) || container->backend) {
		ret = -EINVAL;
		goto out_unlock;
	}

	mutex_lock(&vfio_backends.lock);
	list_for_each_entry(backend, &vfio_backends.list, node) {
		int err = vfio_container_try_backend(container, backend->ops,
						     type);

		if (!err) {
			ret = 0;
			break;
		}
		/* Report why a backend that knows the type refused it. */
		if (err != -ENODEV)
			ret = err;
	}
	mutex_unlock(&vfio_backends.lock);
out_unlock:
	up_write(&container->lock);
	return ret;
}

static long vfio_container_ioctl(struct file *file, unsigned int cmd,
				 unsigned long arg)
{
	struct vfio_container *container = file->private_data;
	long ret = -EINVAL;

	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return vfio_container_check_extension(container, arg);
	case VFIO_SET_IOMMU:
		return vfio_container_ioctl_set_iommu(container, arg);
	}

	/* Everything else belongs to the backend, once there is one. */
	down_read(&container->lock);
	if (container->backend)
		ret = container->backend->ioctl(container->backend_data, cmd,
						arg);
	up_read(&container->lock);
	return ret;
}

static int vfio_container_open(struct inode *inode, struct file *file)
{
	struct vfio_container *container;

	container = kzalloc(sizeof(*container), GFP_KERNEL);
	if (!container)
		return -ENOMEM;

	refcount_set(&container->users, 1);
	init_rwsem(&container->lock);
	INIT_LIST_HEAD(&container->group_list);
	file->private_data = container;
	return 0;
}

static int vfio_container_release(struct inode *inode, struct file *file)
{
	struct vfio_container *container = file->private_data;

	/* Groups may keep the container, and its backend, alive. */
	vfio_container_put(container);
	return 0;
}

static const struct file_operations vfio_container_fops = {
	.owner		= THIS_MODULE,
	.open		= vfio_container_open,
	.release	= vfio_container_release,
	.unlocked_ioctl	= vfio_container_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice vfio_container_misc = {
	.minor	= VFIO_MINOR,
	.name	= "vfio",
	.fops	= &vfio_container_fops,
	.nodename = "vfio/vfio",
	.mode	= 0666,
};

/* Whether a bound driver lets the group's owner control the device's DMA. */
static bool vfio_driver_is_dma_managed(struct device *dev,
				       struct device_driver *drv)
{
	if (dev_is_pci(dev))
		return to_pci_driver(drv)->driver_managed_dma;
	return false;
}

/*
 * Name every device that keeps a group from being claimed for userspace:
 * "group not viable" alone leaves users guessing which device to unbind.
 *
 * This runs under the group's lock, which device probe takes inside the
 * device lock, so the device lock cannot be taken here: the driver is read
 * once and only printed; a bind or unbind racing with it merely makes the
 * message stale.
 */
static int vfio_report_dma_blocker(struct device *dev, void *data)
{
	struct device_driver *drv = READ_ONCE(dev->driver);
	struct vfio_group *group = data;
	struct vfio_device *device;

	if (!drv || vfio_driver_is_dma_managed(dev, drv))
		return 0;
	list_for_each_entry(device, &group->device_list, group_next)
		if (device->dev == dev)
			return 0;

	/* Userspace can retry SET_CONTAINER as often as it likes. */
	dev_warn_ratelimited(dev,
			     "vfio: group %d is not viable: this device is bound to driver %s; unbind it to use the group\n",
			     iommu_group_id(group->iommu_group), drv->name);
	return 0;
}

static int vfio_group_claim_dma(struct vfio_group *group)
{
	int ret;

	/* -EPERM: a host driver uses the group's default DMA domain. */
	ret = iommu_group_claim_dma_owner(group->iommu_group, group);
	if (ret == -EPERM)
		iommu_group_for_each_dev(group->iommu_group, group,
					 vfio_report_dma_blocker);
	return ret;
}

/**
 * vfio_container_attach_group - VFIO_GROUP_SET_CONTAINER
 * @container: the container
 * @group: a live group not in any container, its lock held
 *
 * Claims the group's DMA ownership for userspace (so no host driver can
 * bind to its devices meanwhile) and hands it to the backend if one is set.
 *
 * Return: 0 or a negative errno; -EPERM when the group is not viable.
 */
int vfio_container_attach_group(struct vfio_container *container,
				struct vfio_group *group)
{
	bool noiommu = group->type == VFIO_NO_IOMMU;
	int ret = 0;

	lockdep_assert_held(&group->lock);

	ret = vfio_group_unisolated_refusal(group);
	if (ret)
		return ret;

	down_write(&container->lock);
	/* Isolated and unisolated groups must never share an IOMMU context. */
	if (!list_empty(&container->group_list) &&
	    container->noiommu != noiommu) {
		ret = -EPERM;
		goto out_unlock;
	}

	if (group->type == VFIO_IOMMU) {
		ret = vfio_group_claim_dma(group);
		if (ret)
			goto out_unlock;
	}

	if (container->backend) {
		ret = container->backend->attach_group(container->backend_data,
						       group->iommu_group,
						       group->type);
		if (ret)
			goto err_release_dma;
	}

	list_add_tail(&group->container_node, &container->group_list);
	container->noiommu = noiommu;
	refcount_inc(&container->users);
	spin_lock(&group->kvm_lock);
	group->container = container;
	spin_unlock(&group->kvm_lock);
	group->container_users = 1;
	up_write(&container->lock);
	return 0;

err_release_dma:
	if (group->type == VFIO_IOMMU)
		iommu_group_release_dma_owner(group->iommu_group);
out_unlock:
	up_write(&container->lock);
	return ret;
}

/**
 * vfio_container_detach_group - take a group out of its container
 * @group: an attached group with no open device, its lock held
 *
 * The last group to leave also takes the backend instance with it: a
 * container without groups is back to the state of a fresh open.
 */
void vfio_container_detach_group(struct vfio_group *group)
{
	struct vfio_container *container = group->container;
	const struct vfio_iommu_driver_ops *backend;

	lockdep_assert_held(&group->lock);
	WARN_ON(group->container_users != 1);

	down_write(&container->lock);
	backend = container->backend;
	if (backend)
		backend->detach_group(container->backend_data,
				      group->iommu_group);
	list_del(&group->container_node);
	if (backend && list_empty(&container->group_list)) {
		backend->release(container->backend_data);
		module_put(backend->owner);
		container->backend = NULL;
		container->backend_data = NULL;
	}
	up_write(&container->lock);

	if (group->type == VFIO_IOMMU)
		iommu_group_release_dma_owner(group->iommu_group);
	spin_lock(&group->kvm_lock);
	group->container = NULL;
	spin_unlock(&group->kvm_lock);
	group->container_users = 0;
	vfio_container_put(container);
}

/**
 * vfio_group_dma_coherent - whether a group's DMA is cache coherent
 * @group: the group
 *
 * For kvm.ko, which asks with kvm->lock held (releasing its KVM-VFIO
 * device): the group's lock cannot be taken, since drivers take kvm->lock
 * in open_device under it.  The container is taken under the group's
 * kvm_lock instead, and held while its backend is asked.
 *
 * Return: the backend's answer for VFIO_DMA_CC_IOMMU; true while the group
 * is in no container, where none of its devices can do DMA.
 */
bool vfio_group_dma_coherent(struct vfio_group *group)
{
	struct vfio_container *container;
	bool coherent;

	spin_lock(&group->kvm_lock);
	container = group->container;
	if (container)
		refcount_inc(&container->users);
	spin_unlock(&group->kvm_lock);
	if (!container)
		return true;

	coherent = vfio_container_check_extension(container,
						  VFIO_DMA_CC_IOMMU) > 0;
	vfio_container_put(container);
	return coherent;
}

static const struct vfio_iommu_driver_ops *
vfio_device_backend(struct vfio_device *device, void **data)
{
	struct vfio_container *container = device->group->container;

	/* Stable: the open device keeps the group attached (see header). */
	*data = container->backend_data;
	return container->backend;
}

/**
 * vfio_container_register_device - subscribe an opening device to unmaps
 * @device: a device in its first open, with a dma_unmap callback
 */
void vfio_container_register_device(struct vfio_device *device)
{
	const struct vfio_iommu_driver_ops *ops;
	void *data;

	ops = vfio_device_backend(device, &data);
	if (ops && ops->register_device)
		ops->register_device(data, device);
}

/**
 * vfio_container_unregister_device - undo vfio_container_register_device()
 * @device: a device in its last close
 */
void vfio_container_unregister_device(struct vfio_device *device)
{
	const struct vfio_iommu_driver_ops *ops;
	void *data;

	ops = vfio_device_backend(device, &data);
	if (ops && ops->unregister_device)
		ops->unregister_device(data, device);
}

/**
 * vfio_pin_pages - pin user memory behind IOVAs for an emulated-IOMMU device
 * @device: an open device of an emulated-IOMMU group
 * @iova: first IOVA, page aligned, inside a range userspace mapped
 * @npage: number of pages, at most VFIO_PIN_PAGES_MAX_ENTRIES
 * @prot: IOMMU_READ and/or IOMMU_WRITE
 * @pages: receives the pinned pages
 *
 * The device must drop the pins (vfio_unpin_pages()) when its dma_unmap
 * callback reports an unmap of the range, and at close at the latest.
 *
 * Return: @npage on success, else a negative errno and nothing pinned.
 */
int vfio_pin_pages(struct vfio_device *device, dma_addr_t iova,
		   int npage, int prot, struct page **pages)
{
	const struct vfio_iommu_driver_ops *ops;
	void *data;

	if (!pages || npage <= 0 || WARN_ON(!device->open_count))
		return -EINVAL;
	if (npage > VFIO_PIN_PAGES_MAX_ENTRIES)
		return -E2BIG;

	ops = vfio_device_backend(device, &data);
	if (!ops || !ops->pin_pages)
		return -ENOTTY;
	return ops->pin_pages(data, device->group->iommu_group, iova, npage,
			      prot, pages);
}
EXPORT_SYMBOL(vfio_pin_pages);

/**
 * vfio_unpin_pages - release pages pinned with vfio_pin_pages()
 * @device: the device that pinned them
 * @iova: first IOVA, as passed to vfio_pin_pages()
 * @npage: number of pages
 */
void vfio_unpin_pages(struct vfio_device *device, dma_addr_t iova, int npage)
{
	const struct vfio_iommu_driver_ops *ops;
	void *data;

	if (WARN_ON(npage <= 0 || npage > VFIO_PIN_PAGES_MAX_ENTRIES) ||
	    WARN_ON(!device->open_count))
		return;

	ops = vfio_device_backend(device, &data);
	if (!WARN_ON(!ops || !ops->unpin_pages))
		ops->unpin_pages(data, iova, npage);
}
EXPORT_SYMBOL(vfio_unpin_pages);

/**
 * vfio_dma_rw - copy to or from user memory behind an IOVA range
 * @device: an open device
 * @iova: start of the range
 * @data: kernel buffer
 * @len: bytes to copy
 * @write: true to copy @data to the IOVA range, false to read from it
 *
 * May sleep: it faults user pages in when needed.
 *
 * Return: 0 or a negative errno.
 */
int vfio_dma_rw(struct vfio_device *device, dma_addr_t iova, void *data,
		size_t len, bool write)
{
	const struct vfio_iommu_driver_ops *ops;
	void *backend_data;

	if (!data || !len || WARN_ON(!device->open_count))
		return -EINVAL;

	ops = vfio_device_backend(device, &backend_data);
	if (!ops || !ops->dma_rw)
		return -ENOTTY;
	return ops->dma_rw(backend_data, iova, data, len, write);
}
EXPORT_SYMBOL(vfio_dma_rw);

/**
 * vfio_container_init - register /dev/vfio/vfio
 *
 * Return: 0 or a negative errno.
 */
int vfio_container_init(void)
{
	return misc_register(&vfio_container_misc);
}

/**
 * vfio_container_exit - undo vfio_container_init()
 */
void vfio_container_exit(void)
{
	misc_deregister(&vfio_container_misc);
	WARN_ON(!list_empty(&vfio_backends.list));
}
