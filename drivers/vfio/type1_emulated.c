// SPDX-License-Identifier: GPL-2.0-only
/*
 * type1: user memory for devices whose IOMMU is emulated (mediated
 * devices and the like).  They pin the pages they are about to use with
 * vfio_pin_pages(), and must let go when userspace unmaps them: such
 * devices register while open, and an unmap of a range they hold pins in
 * calls their dma_unmap callback, then waits until the pins are gone.
 */
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "type1.h"

/**
 * struct type1_pin - a page pinned for emulated devices
 * @page: the page
 * @count: vfio_pin_pages() calls that pinned it, minus unpins
 * @charged: whether it was charged to locked_vm (only when no domain had
 *           pinned it already)
 */
struct type1_pin {
	struct page *page;
	unsigned int count;
	bool charged;
};

static int type1_pin_page(struct type1_dma *dma, unsigned long vaddr,
			  struct page **page)
{
	unsigned int gup = FOLL_LONGTERM |
			   (dma->prot & IOMMU_WRITE ? FOLL_WRITE : 0);
	unsigned long pfn;
	long ret;

	if (!mmget_not_zero(dma->mm))
		return -ESRCH;
	mmap_read_lock(dma->mm);
	ret = pin_user_pages_remote(dma->mm, vaddr, 1, gup, page, NULL, NULL);
	/* A device cannot be handed VM_PFNMAP memory: it has no page. */
	if (ret <= 0 && !type1_pfnmap_lookup(dma->mm, vaddr,
					     dma->prot & IOMMU_WRITE, &pfn))
		ret = -EINVAL;
	mmap_read_unlock(dma->mm);
	mmput(dma->mm);
	if (ret == 1)
		return 0;
	return ret < 0 ? ret : -EFAULT;
}

/* Pin the page at @iova for a device, or count one more pin of it. */
static int type1_pin_one(struct type1 *t, struct type1_dma *dma,
			 dma_addr_t iova, struct page **page)
{
	unsigned long idx = (iova - dma->iova) >> PAGE_SHIFT;
	struct type1_pin *pin = xa_load(&dma->pins, idx);
	int ret;

	if (pin) {
		pin->count++;
		*page = pin->page;
		return 0;
	}

	pin = kzalloc(sizeof(*pin), GFP_KERNEL);
	if (!pin)
		return -ENOMEM;
	ret = type1_pin_page(dma, dma->vaddr + (iova - dma->iova), &pin->page);
	if (ret)
		goto err_free;
	/*
	 * With domains the page is pinned and charged for them already; the
	 * zero page (a read-only mapping never written) is never charged.
	 */
	pin->charged = list_empty(&t->domains) &&
		       !is_zero_pfn(page_to_pfn(pin->page));
	if (pin->charged) {
		ret = type1_account(dma->mm, 1);
		if (ret)
			goto err_unpin;
	}
	ret = xa_err(xa_store(&dma->pins, idx, pin, GFP_KERNEL));
	if (ret)
		goto err_refund;
	pin->count = 1;
	*page = pin->page;
	return 0;

err_refund:
	if (pin->charged)
		type1_account(dma->mm, -1);
err_unpin:
	unpin_user_page(pin->page);
err_free:
	kfree(pin);
	return ret;
}

static void type1_release_pin(struct type1_dma *dma, unsigned long idx,
			      struct type1_pin *pin)
{
	xa_erase(&dma->pins, idx);
	unpin_user_pages_dirty_lock(&pin->page, 1, dma->prot & IOMMU_WRITE);
	if (pin->charged)
		type1_account(dma->mm, -1);
	kfree(pin);
}

static void type1_unpin_one(struct type1 *t, dma_addr_t iova)
{
	struct type1_dma *dma = type1_find_dma(t, iova, PAGE_SIZE);
	struct type1_pin *pin;
	unsigned long idx;

	if (WARN_ON(!dma))
		return;
	idx = (iova - dma->iova) >> PAGE_SHIFT;
	pin = xa_load(&dma->pins, idx);
	if (!WARN_ON(!pin) && !--pin->count)
		type1_release_pin(dma, idx, pin);
}

/**
 * type1_pin_pages - vfio_pin_pages() for a container with type1
 * @data: the instance
 * @group: the device's group
 * @iova: first IOVA, page aligned
 * @npage: number of pages
 * @prot: IOMMU_READ and/or IOMMU_WRITE the device needs
 * @pages: receives the pages
 *
 * As in 6.1: only v2 containers pin (-EACCES), and only while a device
 * that can be told about unmaps is registered (-EINVAL).
 *
 * Return: @npage, or a negative errno with nothing pinned.
 */
int type1_pin_pages(void *data, struct iommu_group *group, dma_addr_t iova,
		    int npage, int prot, struct page **pages)
{
	struct type1 *t = data;
	struct type1_dma *dma;
	int i, ret = 0;

	if (!t->v2)
		return -EACCES;
	if (!PAGE_ALIGNED(iova))
		return -EINVAL;

	mutex_lock(&t->lock);
	if (list_empty(&t->devices)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	/* Cannot happen: emulated groups and invalid addresses exclude. */
	if (WARN_ONCE(t->vaddr_invalid_count,
		      "vfio_iommu_type1: pin while a vaddr is invalid\n")) {
		ret = -EBUSY;
		goto out_unlock;
	}
	for (i = 0; i < npage; i++) {
		dma_addr_t cur = iova + ((dma_addr_t)i << PAGE_SHIFT);

		dma = type1_find_dma(t, cur, PAGE_SIZE);
		if (!dma)
			ret = -EINVAL;
		else if ((dma->prot & prot) != prot)
			ret = -EPERM;
		else
			ret = type1_pin_one(t, dma, cur, &pages[i]);
		if (ret)
			break;
		/* The device may write it at any time while it holds it. */
		type1_dirty_mark(t, dma, cur, PAGE_SIZE);
	}
	if (ret) {
		while (i--)
			type1_unpin_one(t, iova + ((dma_addr_t)i << PAGE_SHIFT));
	} else {
		ret = npage;
	}
out_unlock:
	mutex_unlock(&t->lock);
	return ret;
}

/**
 * type1_unpin_pages - vfio_unpin_pages() for a container with type1
 * @data: the instance
 * @iova: first IOVA
 * @npage: number of pages
 */
void type1_unpin_pages(void *data, dma_addr_t iova, int npage)
{
	struct type1 *t = data;
	int i;

	mutex_lock(&t->lock);
	for (i = 0; i < npage; i++)
		type1_unpin_one(t, iova + ((dma_addr_t)i << PAGE_SHIFT));
	mutex_unlock(&t->lock);
}

/**
 * type1_unpin_all_emulated - drop every device pin of a mapping
 * @dma: the mapping being removed
 *
 * Devices unpin before an unmap completes; this only cleans up after
 * devices that were closed with pins left (a driver bug).
 */
void type1_unpin_all_emulated(struct type1_dma *dma)
{
	struct type1_pin *pin;
	unsigned long idx;

	xa_for_each(&dma->pins, idx, pin)
		type1_release_pin(dma, idx, pin);
}

/**
 * type1_dma_has_pins - whether devices hold pins in a mapping
 * @dma: the mapping
 *
 * Return: true if any page of it is pinned by a device.
 */
bool type1_dma_has_pins(struct type1_dma *dma)
{
	return !xa_empty(&dma->pins);
}

/**
 * type1_pins_charged - pages pinned only for devices, charged to the owner
 * @dma: the mapping
 *
 * Return: the number of such pages.
 */
unsigned long type1_pins_charged(struct type1_dma *dma)
{
	struct type1_pin *pin;
	unsigned long idx, n = 0;

	xa_for_each(&dma->pins, idx, pin)
		n += pin->charged;
	return n;
}

/**
 * type1_notify_unmap - ask the registered devices to unpin a mapping
 * @t: the instance; @lock and @notify_lock held by the caller
 * @dma: the mapping being unmapped
 *
 * @lock is dropped while the devices are called, since they unpin from
 * their callback; @notify_lock keeps the device list as it is meanwhile.
 * @dma may be gone when this returns.
 */
void type1_notify_unmap(struct type1 *t, struct type1_dma *dma)
{
	dma_addr_t iova = dma->iova;
	u64 size = dma->size;
	struct vfio_device *vdev;

	lockdep_assert_held(&t->notify_lock);
	lockdep_assert_held(&t->lock);

	mutex_unlock(&t->lock);
	list_for_each_entry(vdev, &t->devices, iommu_entry)
		vdev->ops->dma_unmap(vdev, iova, size);
	mutex_lock(&t->lock);
}

/**
 * type1_register_device - an opened device wants unmap notifications
 * @data: the instance
 * @vdev: the device
 */
void type1_register_device(void *data, struct vfio_device *vdev)
{
	struct type1 *t = data;

	mutex_lock(&t->notify_lock);
	mutex_lock(&t->lock);
	list_add(&vdev->iommu_entry, &t->devices);
	mutex_unlock(&t->lock);
	mutex_unlock(&t->notify_lock);
}

/**
 * type1_unregister_device - a device was closed
 * @data: the instance
 * @vdev: the device
 */
void type1_unregister_device(void *data, struct vfio_device *vdev)
{
	struct type1 *t = data;

	mutex_lock(&t->notify_lock);
	mutex_lock(&t->lock);
	list_del_init(&vdev->iommu_entry);
	mutex_unlock(&t->lock);
	mutex_unlock(&t->notify_lock);
}

/* Copy within one mapping, in the mapping owner's address space. */
static int type1_rw_chunk(struct type1_dma *dma, dma_addr_t iova, void *buf,
			  size_t len, bool write)
{
	void __user *uaddr = (void __user *)(dma->vaddr + (iova - dma->iova));
	bool kthread = current->flags & PF_KTHREAD;
	int ret = 0;

	if (!(dma->prot & (write ? IOMMU_WRITE : IOMMU_READ)))
		return -EPERM;
	if (!mmget_not_zero(dma->mm))
		return -EPERM;
	if (kthread)
		kthread_use_mm(dma->mm);
	else if (current->mm != dma->mm)
		ret = -EPERM;	/* another process may not reach it */

	if (!ret && (write ? copy_to_user(uaddr, buf, len) :
			     copy_from_user(buf, uaddr, len)))
		ret = -EFAULT;

	if (kthread)
		kthread_unuse_mm(dma->mm);
	mmput(dma->mm);
	return ret;
}

/**
 * type1_dma_rw - vfio_dma_rw() for a container with type1
 * @data: the instance
 * @iova: first IOVA
 * @buf: kernel buffer
 * @count: bytes
 * @write: copy @buf to the IOVA range, else from it
 *
 * Return: 0 or a negative errno.
 */
int type1_dma_rw(void *data, dma_addr_t iova, void *buf, size_t count,
		 bool write)
{
	struct type1 *t = data;
	struct type1_dma *dma;
	int ret = 0;

	mutex_lock(&t->lock);
	if (WARN_ONCE(t->vaddr_invalid_count,
		      "vfio_iommu_type1: dma_rw while a vaddr is invalid\n"))
		ret = -EBUSY;
	while (count && !ret) {
		size_t len;

		dma = type1_find_dma(t, iova, 1);
		if (!dma) {
			ret = -EINVAL;
			break;
		}
		len = min_t(u64, count, dma->iova + dma->size - iova);
		ret = type1_rw_chunk(dma, iova, buf, len, write);
		if (!ret && write)
			type1_dirty_mark(t, dma, iova, len);
		iova += len;
		buf += len;
		count -= len;
	}
	mutex_unlock(&t->lock);
	return ret;
}
