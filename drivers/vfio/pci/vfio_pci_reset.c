// SPDX-License-Identifier: GPL-2.0-only
/*
 * Resets: of one function (FLR, PM or whatever the PCI core finds), and of
 * a whole slot or bus when the function has nothing better.
 *
 * A slot or bus reset hits every function behind it, so those functions
 * form one device set (chosen at registration, see vfio_pci_assign_dev_set)
 * whose lock serialises the reset against any of them being opened or
 * closed.  Userspace may ask for it only if every function it hits is
 * bound to us and belongs to a group the caller passed in: a reset must
 * never pull a device out from under someone else.
 *
 * Every function's memory_lock is held for writing across a reset and its
 * BAR mappings zapped under it, so no access reaches a function mid-reset.
 */
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vfio_pci_priv.h"

/**
 * vfio_pci_assign_dev_set - group functions a slot or bus reset would hit
 * @vdev: the device being registered
 *
 * Return: 0 or a negative errno.
 */
int vfio_pci_assign_dev_set(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;

	if (!pci_probe_reset_slot(pdev->slot))
		return vfio_assign_device_set(&vdev->vdev, pdev->slot);
	if (!pci_probe_reset_bus(pdev->bus))
		return vfio_assign_device_set(&vdev->vdev, pdev->bus);
	/* No shared reset: the core gives the device a set of its own. */
	return 0;
}

/**
 * vfio_pci_function_flr - reset just this function for userspace
 * @vdev: the device
 *
 * Return: 0, -EINVAL if the function cannot be reset on its own, or the
 * error of the reset (-EAGAIN if the device was busy).
 */
int vfio_pci_function_flr(struct vfio_pci_core_device *vdev)
{
	int ret;

	if (!vdev->reset_works)
		return -EINVAL;

	vfio_pci_zap_and_lock_memory(vdev);
	/*
	 * From D0: the PCI core would wake a function the user put in D3hot
	 * itself, and a function that loses its state there would come back
	 * without the config state we keep for it.
	 */
	vfio_pci_set_power_state(vdev, PCI_D0);
	ret = pci_try_reset_function(vdev->pdev);
	up_write(&vdev->memory_lock);
	return ret;
}

/**
 * vfio_pci_ioctl_reset - VFIO_DEVICE_RESET
 * @vdev: the device
 *
 * Return: as vfio_pci_function_flr().
 */
long vfio_pci_ioctl_reset(struct vfio_pci_core_device *vdev)
{
	int ret;

	ret = vfio_pci_pm_get(vdev);
	if (ret)
		return ret;
	ret = vfio_pci_function_flr(vdev);
	vfio_pci_pm_put(vdev);
	return ret;
}

/* Which functions a reset of @target's slot (or bus) hits. */
struct reset_scope {
	struct pci_dev *target;
	bool slot;
	int (*fn)(struct pci_dev *pdev, void *data);
	void *data;
};

static bool reset_scope_has(struct reset_scope *scope, struct pci_dev *pdev)
{
	struct pci_dev *top = pdev;

	if (!scope->slot)
		return true;
	/* Functions behind a bridge in the slot are in it too. */
	while (top->bus != scope->target->bus && top->bus->self)
		top = top->bus->self;
	return top->bus == scope->target->bus &&
	       top->slot == scope->target->slot;
}

static int reset_scope_visit(struct pci_dev *pdev, void *data)
{
	struct reset_scope *scope = data;

	if (!reset_scope_has(scope, pdev))
		return 0;
	return scope->fn(pdev, scope->data);
}

/* Call @fn on every function the reset hits; stops at a non-zero return. */
static int reset_scope_walk(struct pci_dev *target, bool slot,
			    int (*fn)(struct pci_dev *, void *), void *data)
{
	struct reset_scope scope = {
		.target = target, .slot = slot, .fn = fn, .data = data,
	};

	pci_walk_bus(target->bus, reset_scope_visit, &scope);
	return 0;
}

/* Slot if it can be reset, else bus; -ENODEV if neither. */
static int reset_scope_probe(struct pci_dev *pdev, bool *slot)
{
	*slot = !pci_probe_reset_slot(pdev->slot);
	if (*slot || !pci_probe_reset_bus(pdev->bus))
		return 0;
	return -ENODEV;
}

struct dep_fill {
	struct vfio_pci_dependent_device *devs;
	u32 max;
	u32 count;
	int err;
};

static int dep_fill_one(struct pci_dev *pdev, void *data)
{
	struct dep_fill *fill = data;
	struct vfio_pci_dependent_device *dev;
	struct iommu_group *group;

	if (fill->count < fill->max && fill->devs) {
		group = iommu_group_get(&pdev->dev);
		if (!group) {
			/* A function without IOMMU group is not isolated. */
			fill->err = -EPERM;
			return 1;
		}
		dev = &fill->devs[fill->count];
		dev->group_id = iommu_group_id(group);
		dev->segment = pci_domain_nr(pdev->bus);
		dev->bus = pdev->bus->number;
		dev->devfn = pdev->devfn;
		iommu_group_put(group);
	}
	fill->count++;
	return 0;
}

/* How many functions the reset hits. */
static u32 reset_scope_count(struct pci_dev *target, bool slot)
{
	struct dep_fill fill = {};

	reset_scope_walk(target, slot, dep_fill_one, &fill);
	return fill.count;
}

static long hot_reset_info_copy(struct vfio_pci_hot_reset_info __user *arg,
				struct vfio_pci_hot_reset_info *hdr,
				struct dep_fill *fill, size_t minsz)
{
	if (copy_to_user(arg, hdr, minsz))
		return -EFAULT;
	if (fill->devs && copy_to_user(arg->devices, fill->devs,
				       fill->count * sizeof(*fill->devs)))
		return -EFAULT;
	return 0;
}

/**
 * vfio_pci_ioctl_hot_reset_info - VFIO_DEVICE_GET_PCI_HOT_RESET_INFO
 * @vdev: the device
 * @arg: struct vfio_pci_hot_reset_info from userspace
 *
 * Return: 0; -ENOSPC with count filled in when the array is too small;
 * -ENODEV without a slot or bus reset; -EINVAL for a short argsz.
 */
long vfio_pci_ioctl_hot_reset_info(struct vfio_pci_core_device *vdev,
				   void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_pci_hot_reset_info, count);
	struct vfio_pci_hot_reset_info hdr;
	struct dep_fill fill = {};
	bool slot;
	long ret;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz)
		return -EINVAL;
	hdr.flags = 0;
	ret = reset_scope_probe(vdev->pdev, &slot);
	if (ret)
		return ret;

	reset_scope_walk(vdev->pdev, slot, dep_fill_one, &fill);
	hdr.count = fill.count;
	if (hdr.argsz < minsz + (size_t)fill.count * sizeof(*fill.devs)) {
		ret = hot_reset_info_copy(arg, &hdr, &fill, minsz);
		return ret ? ret : -ENOSPC;
	}

	fill.devs = kcalloc(fill.count, sizeof(*fill.devs), GFP_KERNEL);
	if (!fill.devs)
		return -ENOMEM;
	fill.max = fill.count;
	fill.count = 0;
	reset_scope_walk(vdev->pdev, slot, dep_fill_one, &fill);
	ret = fill.err;
	if (!ret) {
		/* Functions may have gone since we counted. */
		hdr.count = min(fill.count, fill.max);
		fill.count = hdr.count;
		ret = hot_reset_info_copy(arg, &hdr, &fill, minsz);
	}
	kfree(fill.devs);
	return ret;
}

static struct vfio_pci_core_device *
dev_set_find(struct vfio_device_set *dev_set, struct pci_dev *pdev)
{
	struct vfio_device *cur;

	lockdep_assert_held(&dev_set->lock);
	list_for_each_entry(cur, &dev_set->device_list, dev_set_list)
		if (cur->dev == &pdev->dev)
			return to_vfio_pci(cur);
	return NULL;
}

struct set_check {
	struct vfio_device_set *dev_set;
	int err;
};

static int dev_set_check_one(struct pci_dev *pdev, void *data)
{
	struct set_check *check = data;

	if (!dev_set_find(check->dev_set, pdev)) {
		check->err = -EINVAL;
		return 1;
	}
	return 0;
}

/* Every function the reset hits is bound to us, in this set. */
static int dev_set_covers_scope(struct vfio_pci_core_device *vdev, bool slot)
{
	struct set_check check = { .dev_set = vdev->vdev.dev_set };

	reset_scope_walk(vdev->pdev, slot, dev_set_check_one, &check);
	return check.err;
}

/*
 * Every member belongs to one of the caller's groups, open or not: the
 * caller must own whatever the reset hits, not only what is in use now.
 */
static bool dev_set_owned_by(struct vfio_device_set *dev_set,
			     struct file **files, u32 nr)
{
	struct vfio_device *cur;
	u32 i;

	list_for_each_entry(cur, &dev_set->device_list, dev_set_list) {
		for (i = 0; i < nr; i++)
			if (vfio_file_has_dev(files[i], cur))
				break;
		if (i == nr)
			return false;
	}
	return true;
}

/*
 * The PCI core wakes functions to save their state around a bus reset,
 * behind runtime PM's back: wake them through runtime PM first, idle or
 * in their user's low power, and let them sleep again after.  Waking
 * takes each member's memory_lock, so this comes before the locking.
 */
static int dev_set_wake(struct vfio_device_set *dev_set)
{
	struct vfio_device *vd;
	int ret;

	list_for_each_entry(vd, &dev_set->device_list, dev_set_list) {
		ret = pm_runtime_resume_and_get(vd->dev);
		if (ret)
			goto err_sleep;
	}
	return 0;

err_sleep:
	list_for_each_entry_continue_reverse(vd, &dev_set->device_list,
					     dev_set_list)
		pm_runtime_put(vd->dev);
	return ret;
}

static void dev_set_sleep(struct vfio_device_set *dev_set)
{
	struct vfio_device *vd;

	list_for_each_entry(vd, &dev_set->device_list, dev_set_list)
		pm_runtime_put(vd->dev);
}

/*
 * Reset the bus or slot with every member awake and quiesced.  Members'
 * memory locks are all taken under the set lock, which orders them.
 */
static int dev_set_bus_reset(struct vfio_device_set *dev_set,
			     struct pci_dev *pdev)
{
	struct vfio_pci_core_device *cur;
	struct vfio_device *vd;
	int ret;

	lockdep_assert_held(&dev_set->lock);

	ret = dev_set_wake(dev_set);
	if (ret)
		return ret;
	/*
	 * Lock, then zap: a fault between the two would map a page again,
	 * live across the reset.  No path holding one function's
	 * memory_lock waits for another's or faults on user memory, so
	 * taking them one after the other under the set lock cannot
	 * deadlock.
	 */
	list_for_each_entry(vd, &dev_set->device_list, dev_set_list) {
		cur = to_vfio_pci(vd);
		down_write_nest_lock(&cur->memory_lock, &dev_set->lock);
		vfio_pci_zap_bars(cur);
		/* As for a function reset. */
		vfio_pci_set_power_state(cur, PCI_D0);
	}
	ret = pci_reset_bus(pdev);
	list_for_each_entry(vd, &dev_set->device_list, dev_set_list) {
		cur = to_vfio_pci(vd);
		up_write(&cur->memory_lock);
	}
	dev_set_sleep(dev_set);
	return ret;
}

static struct file **hot_reset_get_files(void __user *fds_arg, u32 count)
{
	struct file **files;
	s32 *fds;
	int ret;
	u32 i;

	fds = memdup_user(fds_arg, count * sizeof(*fds));
	if (IS_ERR(fds))
		return ERR_CAST(fds);
	files = kcalloc(count, sizeof(*files), GFP_KERNEL);
	if (!files) {
		kfree(fds);
		return ERR_PTR(-ENOMEM);
	}
	for (i = 0; i < count; i++) {
		files[i] = fget(fds[i]);
		if (!files[i] || !vfio_file_is_group(files[i]))
			break;
	}
	kfree(fds);
	if (i == count)
		return files;

	/* A bad descriptor, or one that is no VFIO group. */
	ret = files[i] ? -EINVAL : -EBADF;
	if (files[i])
		fput(files[i]);
	while (i--)
		fput(files[i]);
	kfree(files);
	return ERR_PTR(ret);
}

static void hot_reset_put_files(struct file **files, u32 count)
{
	while (count--)
		fput(files[count]);
	kfree(files);
}

/**
 * vfio_pci_ioctl_hot_reset - VFIO_DEVICE_PCI_HOT_RESET
 * @vdev: the device
 * @arg: struct vfio_pci_hot_reset with the caller's group fds
 *
 * Return: 0; -EBADF for a descriptor that is not open; -EINVAL for
 * malformed requests (among them more descriptors than functions the
 * reset hits), descriptors of other files, functions not bound to us or
 * in none of the groups; -ENODEV without a slot or bus reset; or the
 * reset's error.
 */
long vfio_pci_ioctl_hot_reset(struct vfio_pci_core_device *vdev,
			      void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_pci_hot_reset, count);
	struct vfio_device_set *dev_set = vdev->vdev.dev_set;
	struct vfio_pci_hot_reset hdr;
	struct file **files;
	bool slot;
	long ret;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz || hdr.flags)
		return -EINVAL;
	ret = reset_scope_probe(vdev->pdev, &slot);
	if (ret)
		return ret;
	/* A group per function at most: more descriptors are a mistake. */
	if (!hdr.count || hdr.count > reset_scope_count(vdev->pdev, slot) ||
	    hdr.argsz < minsz + hdr.count * sizeof(s32))
		return -EINVAL;

	files = hot_reset_get_files(arg + minsz, hdr.count);
	if (IS_ERR(files))
		return PTR_ERR(files);

	mutex_lock(&dev_set->lock);
	ret = dev_set_covers_scope(vdev, slot);
	if (!ret && !dev_set_owned_by(dev_set, files, hdr.count))
		ret = -EINVAL;
	if (!ret)
		ret = dev_set_bus_reset(dev_set, vdev->pdev);
	mutex_unlock(&dev_set->lock);

	hot_reset_put_files(files, hdr.count);
	return ret;
}

/**
 * vfio_pci_dev_set_try_reset - reset a set whose last user is leaving
 * @dev_set: the set, with its lock held
 *
 * Functions whose own reset failed at close are reset with a slot or bus
 * reset once nobody else in the set uses the hardware.
 */
void vfio_pci_dev_set_try_reset(struct vfio_device_set *dev_set)
{
	struct vfio_pci_core_device *cur, *any = NULL;
	struct vfio_device *vd;
	bool slot;

	lockdep_assert_held(&dev_set->lock);

	/* The function being closed still counts itself. */
	if (vfio_device_set_open_count(dev_set) > 1)
		return;
	list_for_each_entry(vd, &dev_set->device_list, dev_set_list) {
		cur = to_vfio_pci(vd);
		if (cur->needs_reset)
			any = cur;
	}
	if (!any || reset_scope_probe(any->pdev, &slot) ||
	    dev_set_covers_scope(any, slot))
		return;
	if (dev_set_bus_reset(dev_set, any->pdev))
		return;
	list_for_each_entry(vd, &dev_set->device_list, dev_set_list)
		to_vfio_pci(vd)->needs_reset = false;
}
