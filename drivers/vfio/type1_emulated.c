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
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "type1.h"

/*
 * type1_dma.pins holds each page pinned for devices, by its index in the
 * mapping, marked TYPE1_PIN_CHARGED while it carries the charge of that
 * page to locked_vm: while the mapping has no runs, which would carry it
 * otherwise (type1_pins_give_charge() and type1_pins_take_charge() move
 * it when runs come and go).  A page is pinned with
 * GUP once however many vfio_pin_pages() calls hold it; the calls beyond
 * the first are counted in type1_dma.pin_extra, as value entries, empty
 * unless devices share pages or pin a page twice.  No allocation per
 * page, and unpinning usually walks one xarray once.
 */
#define TYPE1_PIN_CHARGED	XA_MARK_0

/*
 * GUP @n pages of @dma from page @idx on into @pages, with its owner's
 * mmap lock held: all of them, or none and an errno.
 */
static int type1_gup_run(struct type1_dma *dma, unsigned long idx, int n,
			 unsigned int gup, struct page **pages)
{
	unsigned long vaddr = dma->vaddr + (idx << PAGE_SHIFT), pfn;
	long ret;
	int done;

	type1_assert_mmap_locked(dma->mm);

	for (done = 0; done < n; done += ret) {
		ret = pin_user_pages_remote(dma->mm,
					    vaddr + ((unsigned long)done <<
						     PAGE_SHIFT),
					    n - done, gup, pages + done,
					    NULL, NULL);
		if (ret > 0)
			continue;
		/* A device cannot be handed VM_PFNMAP memory: no page. */
		if (!type1_pfnmap_lookup(dma->mm, vaddr +
					 ((unsigned long)done << PAGE_SHIFT),
					 dma->prot & IOMMU_WRITE, &pfn))
			ret = -EINVAL;
		unpin_user_pages(pages, done);
		return ret < 0 ? ret : -EFAULT;
	}
	return 0;
}

/*
 * GUP @n pages of @dma from page @idx on into @pages from the address
 * space of the caller, which is the mapping's: GUP-fast takes no mmap
 * lock for pages already faulted in.  Anything short of all of them is
 * redone under the lock, which tells the errno.
 */
static int type1_gup_run_fast(struct type1_dma *dma, unsigned long idx,
			      int n, unsigned int gup, struct page **pages)
{
	unsigned long vaddr = dma->vaddr + (idx << PAGE_SHIFT);
	long ret;

	ret = pin_user_pages_fast(vaddr, n, gup, pages);
	if (ret == n)
		return 0;
	if (ret > 0)
		unpin_user_pages(pages, ret);
	mmap_read_lock(dma->mm);
	ret = type1_gup_run(dma, idx, n, gup, pages);
	mmap_read_unlock(dma->mm);
	return ret;
}

/*
 * GUP those of the @n pages of @dma from page @first on that devices do
 * not hold yet, one call per run of them, and mark them in @fresh.  A
 * device pinning from the mapping process's own context, as drivers
 * called from its ioctls do, goes through GUP-fast.
 *
 * Return: 0, or a negative errno with none of them left pinned.
 */
static int type1_gup_missing(struct type1_dma *dma, unsigned long first,
			     int n, struct page **pages, unsigned long *fresh)
{
	unsigned int gup = FOLL_LONGTERM |
			   (dma->prot & IOMMU_WRITE ? FOLL_WRITE : 0);
	bool fast = current->mm == dma->mm;
	int i = 0, end, ret = 0;

	bitmap_zero(fresh, n);
	if (!mmget_not_zero(dma->mm))
		return -ESRCH;
	if (!fast)
		mmap_read_lock(dma->mm);
	while (i < n && !ret) {
		if (xa_load(&dma->pins, first + i)) {
			i++;
			continue;
		}
		for (end = i + 1; end < n; end++)
			if (xa_load(&dma->pins, first + end))
				break;
		if (fast)
			ret = type1_gup_run_fast(dma, first + i, end - i, gup,
						 &pages[i]);
		else
			ret = type1_gup_run(dma, first + i, end - i, gup,
					    &pages[i]);
		if (!ret)
			bitmap_set(fresh, i, end - i);
		i = end;
	}
	if (!fast)
		mmap_read_unlock(dma->mm);
	mmput(dma->mm);
	if (ret)
		for_each_set_bit(i, fresh, n)
			unpin_user_page(pages[i]);
	return ret;
}

/* One more pin of page @idx, which devices hold already: its page. */
static struct page *type1_get_pin(struct type1_dma *dma, unsigned long idx)
{
	void *extra = xa_load(&dma->pin_extra, idx);
	unsigned long n = extra ? xa_to_value(extra) + 1 : 1;

	if (xa_is_err(xa_store(&dma->pin_extra, idx, xa_mk_value(n),
			       GFP_KERNEL)))
		return NULL;
	return xa_load(&dma->pins, idx);
}

/* Drop one device pin of page @idx; returns whether to refund a page. */
static bool type1_put_pin(struct type1_dma *dma, unsigned long idx)
{
	XA_STATE(xas, &dma->pins, idx);
	struct page *page;
	bool charged;
	void *extra;

	if (!xa_empty(&dma->pin_extra)) {
		extra = xa_load(&dma->pin_extra, idx);
		if (extra) {
			/* Replaces an entry: allocates nothing, cannot fail. */
			if (xa_to_value(extra) > 1)
				xa_store(&dma->pin_extra, idx,
					 xa_mk_value(xa_to_value(extra) - 1), 0);
			else
				xa_erase(&dma->pin_extra, idx);
			return false;
		}
	}
	xas_lock(&xas);
	page = xas_load(&xas);
	charged = page && xas_get_mark(&xas, TYPE1_PIN_CHARGED);
	xas_store(&xas, NULL);
	xas_unlock(&xas);
	if (WARN_ON(!page))
		return false;
	unpin_user_pages_dirty_lock(&page, 1, dma->prot & IOMMU_WRITE);
	return charged;
}

/*
 * Mark the fresh pins of a range that are to be charged, and count them:
 * the runs of a mapping pinned for domains carry the charge of its pages
 * already; the zero page (a read-only mapping never written) is never
 * charged.
 */
static long type1_fresh_charge(struct type1_dma *dma, unsigned long first,
			       unsigned long *fresh, int n,
			       struct page **pages)
{
	long charge = 0;
	int i;

	if (dma->nr_runs)
		return 0;
	for_each_set_bit(i, fresh, n) {
		if (is_zero_pfn(page_to_pfn(pages[i])))
			continue;
		charge++;
		xa_set_mark(&dma->pins, first + i, TYPE1_PIN_CHARGED);
	}
	return charge;
}

/*
 * Pin for a device the @n pages of @dma from @iova on, all or none.
 * Pages devices hold already count one more pin; the others are pinned
 * a run at a time and charged together, with one mmap lock each.
 */
static int type1_pin_range(struct type1 *t, struct type1_dma *dma,
			   dma_addr_t iova, int n, struct page **pages)
{
	unsigned long first = (iova - dma->iova) >> PAGE_SHIFT;
	DECLARE_BITMAP(fresh, VFIO_PIN_PAGES_MAX_ENTRIES);
	int i, k, ret;
	long charge;

	lockdep_assert_held(&t->lock);

	ret = type1_gup_missing(dma, first, n, pages, fresh);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (test_bit(i, fresh)) {
			ret = xa_err(xa_store(&dma->pins, first + i, pages[i],
					      GFP_KERNEL));
		} else {
			pages[i] = type1_get_pin(dma, first + i);
			ret = pages[i] ? 0 : -ENOMEM;
		}
		if (ret)
			break;
	}
	if (!ret) {
		charge = type1_fresh_charge(dma, first, fresh, n, pages);
		ret = type1_account(dma, charge);
	}
	if (!ret)
		return 0;

	/* Nothing was charged: no refunds. */
	for (k = 0; k < i; k++)
		type1_put_pin(dma, first + k);
	for (k = i; k < n; k++)
		if (test_bit(k, fresh))
			unpin_user_page(pages[k]);
	return ret;
}

/*
 * Drop one device pin of each of @npage pages from @iova on, refunding
 * what was charged once per mapping.
 */
static void type1_unpin_range(struct type1 *t, dma_addr_t iova, int npage)
{
	struct type1_dma *dma = NULL;
	long refund = 0;
	int i;

	lockdep_assert_held(&t->lock);

	for (i = 0; i < npage; i++) {
		dma_addr_t cur = iova + ((dma_addr_t)i << PAGE_SHIFT);

		if (!dma || cur - dma->iova >= dma->size) {
			if (dma)
				type1_account(dma, -refund);
			refund = 0;
			dma = type1_find_dma(t, cur, PAGE_SIZE);
			if (WARN_ON(!dma))
				return;
		}
		refund += type1_put_pin(dma, (cur - dma->iova) >> PAGE_SHIFT);
	}
	if (dma)
		type1_account(dma, -refund);
}

/**
 * type1_pin_pages - vfio_pin_pages() for a container with type1
 * @data: the instance
 * @group: the device's group
 * @iova: first IOVA, page aligned
 * @npage: number of pages, at most VFIO_PIN_PAGES_MAX_ENTRIES
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
	int i, n, ret = 0;

	if (!t->v2)
		return -EACCES;
	if (!PAGE_ALIGNED(iova) || npage > VFIO_PIN_PAGES_MAX_ENTRIES)
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
	for (i = 0; i < npage; i += n) {
		dma_addr_t cur = iova + ((dma_addr_t)i << PAGE_SHIFT);

		dma = type1_find_dma(t, cur, PAGE_SIZE);
		if (!dma) {
			ret = -EINVAL;
			break;
		}
		if ((dma->prot & prot) != prot) {
			ret = -EPERM;
			break;
		}
		n = min_t(u64, npage - i,
			  (dma->iova + dma->size - cur) >> PAGE_SHIFT);
		ret = type1_pin_range(t, dma, cur, n, &pages[i]);
		if (ret)
			break;
		/* The device may write them at any time while it holds them. */
		type1_dirty_mark(t, dma, cur, (size_t)n << PAGE_SHIFT);
	}
	if (ret)
		type1_unpin_range(t, iova, i);
	else
		ret = npage;
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

	mutex_lock(&t->lock);
	type1_unpin_range(t, iova, npage);
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
	struct page *page;
	unsigned long idx;
	long refund = 0;

	/* Extra pins are only ever of pinned pages. */
	if (xa_empty(&dma->pins))
		return;
	xa_for_each(&dma->pins, idx, page) {
		refund += xa_get_mark(&dma->pins, idx, TYPE1_PIN_CHARGED);
		unpin_user_pages_dirty_lock(&page, 1, dma->prot & IOMMU_WRITE);
	}
	xa_destroy(&dma->pins);
	xa_destroy(&dma->pin_extra);
	type1_account(dma, -refund);
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
	unsigned long idx, n = 0;
	struct page *page;

	xa_for_each_marked(&dma->pins, idx, page, TYPE1_PIN_CHARGED)
		n++;
	return n;
}

/**
 * type1_pins_give_charge - the runs of a mapping take over its charge
 * @dma: the mapping, about to be pinned for domains
 *
 * The pins of the mapping stop carrying the charge of their pages.
 *
 * Return: the number of pages they carried it for, to refund.
 */
unsigned long type1_pins_give_charge(struct type1_dma *dma)
{
	unsigned long idx, n = 0;
	struct page *page;

	xa_for_each_marked(&dma->pins, idx, page, TYPE1_PIN_CHARGED) {
		xa_clear_mark(&dma->pins, idx, TYPE1_PIN_CHARGED);
		n++;
	}
	return n;
}

/**
 * type1_pins_take_charge - the pins of a mapping take its charge back
 * @dma: the mapping, no longer pinned for domains
 *
 * Each page pinned for devices carries its charge again, except the zero
 * page, never charged.
 *
 * Return: the number of pages they took it for, to charge.
 */
unsigned long type1_pins_take_charge(struct type1_dma *dma)
{
	unsigned long idx, n = 0;
	struct page *page;

	xa_for_each(&dma->pins, idx, page) {
		if (is_zero_pfn(page_to_pfn(page)) ||
		    xa_get_mark(&dma->pins, idx, TYPE1_PIN_CHARGED))
			continue;
		xa_set_mark(&dma->pins, idx, TYPE1_PIN_CHARGED);
		n++;
	}
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
	bool kthread = !current->mm;
	int ret = 0;

	/* As in 6.1: only readable mappings; a write needs write access too. */
	if (!(dma->prot & IOMMU_READ) ||
	    (write && !(dma->prot & IOMMU_WRITE)))
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
