// SPDX-License-Identifier: GPL-2.0-only
/*
 * type1: dirty page tracking for migration (VFIO_IOMMU_DIRTY_PAGES and
 * UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP).
 *
 * The container never sees what a device writes.  While tracking is on,
 * each mapping has a bitmap, one bit per smallest IOMMU page, of what is
 * known to be dirty: pages emulated devices pinned (they may write them at
 * any time while they hold them) and pages written with vfio_dma_rw().  A
 * device behind a real IOMMU can write anywhere it is mapped, so while one
 * is attached every page mapped for the domains is reported dirty.  Each
 * report leaves a mapping's bitmap holding only what is still pinned.
 */
#include <linux/bitmap.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "type1.h"

/*
 * Bits in one mapping's bitmap, and bytes in one user bitmap, at most: the
 * bitmap helpers count bits in an int.
 */
#define TYPE1_DIRTY_MAX_BITS	((u64)INT_MAX)
#define TYPE1_DIRTY_BYTES(bits)	(ALIGN_DOWN((u64)(bits) + 63, 64) / 8)
#define TYPE1_DIRTY_MAX_BYTES	TYPE1_DIRTY_BYTES(TYPE1_DIRTY_MAX_BITS)

/* Pins marked between two rescheduling points. */
#define TYPE1_DIRTY_RESCHED	4096

static u64 __user *type1_ubitmap(struct vfio_bitmap *bm)
{
	return u64_to_user_ptr((u64)(uintptr_t)bm->data);
}

static unsigned long type1_dirty_nbits(struct type1 *t, struct type1_dma *dma)
{
	return dma->size >> t->dirty_shift;
}

/* What devices hold pinned is dirty again right after a report. */
static void type1_dirty_mark_pins(struct type1 *t, struct type1_dma *dma)
{
	unsigned long idx, n = 0;
	void *pin;

	/* Devices may hold millions of pins: reschedule now and then. */
	xa_for_each(&dma->pins, idx, pin) {
		__set_bit(((u64)idx << PAGE_SHIFT) >> t->dirty_shift,
			  dma->bitmap);
		if (!(++n % TYPE1_DIRTY_RESCHED))
			cond_resched();
	}
}

/**
 * type1_dirty_alloc - give a mapping its bitmap, when tracking is on
 * @t: the instance, locked
 * @dma: the mapping, without a bitmap
 *
 * Return: 0, -EINVAL for a mapping too large to track, or -ENOMEM.
 */
int type1_dirty_alloc(struct type1 *t, struct type1_dma *dma)
{
	unsigned long nbits;

	lockdep_assert_held(&t->lock);

	if (!t->dirty_tracking)
		return 0;
	nbits = type1_dirty_nbits(t, dma);
	if (nbits > TYPE1_DIRTY_MAX_BITS)
		return -EINVAL;
	/* Up to 256 MiB, for the caller: charged to its memory cgroup. */
	dma->bitmap = kvcalloc(BITS_TO_LONGS(nbits), sizeof(long),
			       GFP_KERNEL_ACCOUNT);
	if (!dma->bitmap)
		return -ENOMEM;
	type1_dirty_mark_pins(t, dma);
	return 0;
}

/**
 * type1_dirty_free - drop a mapping's bitmap
 * @dma: the mapping
 */
void type1_dirty_free(struct type1_dma *dma)
{
	kvfree(dma->bitmap);
	dma->bitmap = NULL;
}

/**
 * type1_dirty_mark - note that a device wrote or may write some bytes
 * @t: the instance, locked
 * @dma: the mapping holding them
 * @iova: first byte
 * @len: bytes, at least 1, all inside @dma
 */
void type1_dirty_mark(struct type1 *t, struct type1_dma *dma, dma_addr_t iova,
		      size_t len)
{
	unsigned long first, last;

	lockdep_assert_held(&t->lock);

	if (!t->dirty_tracking)
		return;
	first = (iova - dma->iova) >> t->dirty_shift;
	last = (iova + len - 1 - dma->iova) >> t->dirty_shift;
	bitmap_set(dma->bitmap, first, last - first + 1);
}

/**
 * type1_dirty_mark_all - every mapped page may have been written
 * @t: the instance, locked
 *
 * For a real IOMMU group that leaves: what it could write is no longer
 * covered by "a domain is attached" when the next report comes.
 */
void type1_dirty_mark_all(struct type1 *t)
{
	struct rb_node *n;

	lockdep_assert_held(&t->lock);

	if (!t->dirty_tracking)
		return;
	for (n = rb_first(&t->dmas); n; n = rb_next(n)) {
		struct type1_dma *dma = rb_entry(n, struct type1_dma, node);

		bitmap_set(dma->bitmap, 0, type1_dirty_nbits(t, dma));
		cond_resched();
	}
}

static void type1_dirty_free_all(struct type1 *t)
{
	struct rb_node *n;

	for (n = rb_first(&t->dmas); n; n = rb_next(n)) {
		type1_dirty_free(rb_entry(n, struct type1_dma, node));
		cond_resched();
	}
}

static int type1_dirty_start(struct type1 *t)
{
	struct rb_node *n;
	int ret = 0;

	mutex_lock(&t->lock);
	if (t->dirty_tracking)
		goto out_unlock;
	t->dirty_shift = __ffs(t->pgsize_bitmap);
	t->dirty_tracking = true;
	for (n = rb_first(&t->dmas); n && !ret; n = rb_next(n)) {
		ret = type1_dirty_alloc(t, rb_entry(n, struct type1_dma, node));
		cond_resched();
	}
	if (ret) {
		type1_dirty_free_all(t);
		t->dirty_tracking = false;
	}
out_unlock:
	mutex_unlock(&t->lock);
	return ret;
}

static void type1_dirty_stop(struct type1 *t)
{
	mutex_lock(&t->lock);
	if (t->dirty_tracking) {
		type1_dirty_free_all(t);
		t->dirty_tracking = false;
	}
	mutex_unlock(&t->lock);
}

/**
 * type1_dirty_report - OR a mapping's dirty bits into a user bitmap
 * @t: the instance, locked, tracking
 * @dma: the mapping, at or after @base
 * @ubitmap: the user bitmap; its bit 0 stands for @base
 * @base: IOVA of the user bitmap's first bit
 *
 * Bits of the user's first touched word that belong to earlier IOVAs are
 * kept; the rest of the words the mapping covers are overwritten.  The
 * mapping's bitmap then restarts from what is still pinned.
 *
 * Return: 0 or -EFAULT / -ENOMEM.
 */
int type1_dirty_report(struct type1 *t, struct type1_dma *dma,
		       u64 __user *ubitmap, dma_addr_t base)
{
	unsigned long nbits = type1_dirty_nbits(t, dma);
	unsigned long bit = (dma->iova - base) >> t->dirty_shift;
	unsigned long lead = bit % 64;
	size_t bytes = TYPE1_DIRTY_BYTES(lead + nbits);
	u64 __user *uword = ubitmap + bit / 64;
	unsigned long *buf;
	u64 earlier = 0;
	int ret = 0;

	/* The user's u64 words are read as longs: the same on 64-bit. */
	BUILD_BUG_ON(BITS_PER_LONG != 64);
	lockdep_assert_held(&t->lock);

	if (!list_empty(&t->domains) && dma->nr_runs)
		bitmap_set(dma->bitmap, 0, nbits);

	buf = kvzalloc(bytes, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	if (lead && get_user(earlier, uword)) {
		ret = -EFAULT;
		goto out_free;
	}
	bitmap_shift_left(buf, dma->bitmap, lead, lead + nbits);
	buf[0] |= earlier & (BIT_ULL(lead) - 1);
	if (copy_to_user(uword, buf, bytes)) {
		ret = -EFAULT;
		goto out_free;
	}
	bitmap_zero(dma->bitmap, nbits);
	type1_dirty_mark_pins(t, dma);
out_free:
	kvfree(buf);
	return ret;
}

/**
 * type1_dirty_check_bitmap - the checks 6.1 makes on a user bitmap
 * @bm: the bitmap
 * @size: bytes of IOVA it is for
 *
 * Return: 0, or -EINVAL for a bitmap that is unreachable, of no page size,
 * or too small or too large for @size.
 */
int type1_dirty_check_bitmap(struct vfio_bitmap *bm, u64 size)
{
	u64 npages;

	if (!bm->pgsize || !access_ok(type1_ubitmap(bm), bm->size))
		return -EINVAL;
	npages = size >> __ffs64(bm->pgsize);
	if (!npages || !bm->size || bm->size > TYPE1_DIRTY_MAX_BYTES ||
	    bm->size < TYPE1_DIRTY_BYTES(npages))
		return -EINVAL;
	return 0;
}

/**
 * type1_dirty_pgsize_ok - whether a bitmap may be filled now
 * @t: the instance, locked
 * @bm: the bitmap, checked with type1_dirty_check_bitmap()
 *
 * Return: true while tracking, for a bitmap of the smallest IOMMU page.
 */
bool type1_dirty_pgsize_ok(struct type1 *t, struct vfio_bitmap *bm)
{
	lockdep_assert_held(&t->lock);

	return t->dirty_tracking &&
	       bm->pgsize == type1_min_pgsize(t) &&
	       bm->pgsize == 1ULL << t->dirty_shift;
}

/* GET_BITMAP: the range must cover whole mappings. */
static int type1_dirty_get(struct type1 *t,
			   struct vfio_iommu_type1_dirty_bitmap_get *range)
{
	u64 pgsize = type1_min_pgsize(t);
	u64 __user *ubitmap = type1_ubitmap(&range->bitmap);
	struct rb_node *n;
	int ret = 0;

	lockdep_assert_held(&t->lock);

	if (range->bitmap.pgsize != pgsize || range->iova & (pgsize - 1) ||
	    !range->size || range->size & (pgsize - 1))
		return -EINVAL;
	if (!type1_dirty_pgsize_ok(t, &range->bitmap) ||
	    !type1_covers_whole(t, range->iova, range->size))
		return -EINVAL;

	for (n = type1_first_from(t, range->iova); n && !ret; n = rb_next(n)) {
		struct type1_dma *dma = rb_entry(n, struct type1_dma, node);

		if (dma->iova > range->iova + range->size - 1)
			break;
		ret = type1_dirty_report(t, dma, ubitmap, range->iova);
		cond_resched();
	}
	return ret;
}

static int type1_dirty_get_bitmap(struct type1 *t, void __user *arg,
				  u32 argsz)
{
	struct vfio_iommu_type1_dirty_bitmap_get range;
	size_t hdr = offsetofend(struct vfio_iommu_type1_dirty_bitmap, flags);
	u64 last;
	int ret;

	if (argsz - hdr < sizeof(range))
		return -EINVAL;
	if (copy_from_user(&range, arg + hdr, sizeof(range)))
		return -EFAULT;
	if (check_add_overflow(range.iova, range.size, &last))
		return -EINVAL;
	ret = type1_dirty_check_bitmap(&range.bitmap, range.size);
	if (ret)
		return ret;

	mutex_lock(&t->lock);
	ret = type1_dirty_get(t, &range);
	mutex_unlock(&t->lock);
	return ret;
}

/**
 * type1_dirty_pages - VFIO_IOMMU_DIRTY_PAGES
 * @t: the instance
 * @arg: user pointer to a struct vfio_iommu_type1_dirty_bitmap
 *
 * Return: 0, -EACCES on a v1 container, -EINVAL for bad arguments or a
 * bitmap asked for while not tracking, -EFAULT, -ENOMEM.
 */
long type1_dirty_pages(struct type1 *t, void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_dirty_bitmap, flags);
	u32 known = VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
		    VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP |
		    VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	struct vfio_iommu_type1_dirty_bitmap dirty;

	if (!t->v2)
		return -EACCES;
	if (copy_from_user(&dirty, arg, minsz))
		return -EFAULT;
	if (dirty.argsz < minsz || dirty.flags & ~known ||
	    hweight32(dirty.flags) != 1)
		return -EINVAL;

	switch (dirty.flags) {
	case VFIO_IOMMU_DIRTY_PAGES_FLAG_START:
		return type1_dirty_start(t);
	case VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP:
		type1_dirty_stop(t);
		return 0;
	default:
		return type1_dirty_get_bitmap(t, arg, dirty.argsz);
	}
}

/**
 * type1_dirty_add_cap - the migration capability of GET_INFO
 * @t: the instance, locked
 * @caps: the chain being built
 *
 * Return: 0 or -ENOMEM.
 */
int type1_dirty_add_cap(struct type1 *t, struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_migration *mig;
	struct vfio_info_cap_header *hdr;

	hdr = vfio_info_cap_add(caps, sizeof(*mig),
				VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 1);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);
	mig = container_of(hdr, typeof(*mig), header);
	mig->flags = 0;
	mig->pgsize_bitmap = type1_min_pgsize(t);
	mig->max_dirty_bitmap_size = TYPE1_DIRTY_MAX_BYTES;
	return 0;
}
