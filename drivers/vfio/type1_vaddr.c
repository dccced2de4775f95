// SPDX-License-Identifier: GPL-2.0-only
/*
 * type1: VFIO_UPDATE_VADDR, for a process that replaces itself (live
 * update by exec) while devices keep doing DMA.  Before it goes, it
 * invalidates the user addresses of its mappings (UNMAP_DMA with
 * VFIO_DMA_UNMAP_FLAG_VADDR): the IOMMU mappings and the pins stay.  Its
 * successor gives each mapping its new address (MAP_DMA with
 * VFIO_DMA_MAP_FLAG_VADDR), and the charge for the pinned pages moves to
 * the successor's address space.
 *
 * While an address is invalid nothing may use it.  As in 6.1, the feature
 * is therefore refused while emulated-IOMMU groups are attached (they pin
 * and copy through the addresses), and groups may not attach while an
 * address is invalid (a new domain would have to pin).
 */
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/vfio.h>

#include "type1.h"

/**
 * type1_vaddr_supported - VFIO_CHECK_EXTENSION(VFIO_UPDATE_VADDR)
 * @t: the instance, or NULL before VFIO_SET_IOMMU
 *
 * Return: true if a container with this instance may invalidate addresses.
 */
bool type1_vaddr_supported(struct type1 *t)
{
	bool ok;

	if (!t)
		return false;
	mutex_lock(&t->lock);
	ok = list_empty(&t->emulated);
	mutex_unlock(&t->lock);
	return ok;
}

static void type1_vaddr_set_invalid(struct type1 *t, struct type1_dma *dma,
				    bool invalid)
{
	dma->vaddr_invalid = invalid;
	if (invalid)
		t->vaddr_invalid_count++;
	else
		t->vaddr_invalid_count--;
}

/**
 * type1_vaddr_forget - a mapping with an invalid address goes away
 * @t: the instance, locked
 * @dma: the mapping being removed
 */
void type1_vaddr_forget(struct type1 *t, struct type1_dma *dma)
{
	lockdep_assert_held(&t->lock);

	if (dma->vaddr_invalid)
		type1_vaddr_set_invalid(t, dma, false);
}

/**
 * type1_invalidate_vaddr - UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_VADDR
 * @t: the instance, locked, with no emulated-IOMMU group
 * @iova: first IOVA
 * @size: bytes (U64_MAX with @all)
 * @all: VFIO_DMA_UNMAP_FLAG_ALL
 * @done: receives the bytes of the mappings invalidated
 *
 * Picks the mappings an unmap of the range would remove, under the same
 * v1/v2 rules.  All of them or none: a mapping already invalid fails the
 * call and undoes what it did.
 *
 * Return: 0 or -EINVAL.
 */
int type1_invalidate_vaddr(struct type1 *t, dma_addr_t iova, u64 size,
			   bool all, u64 *done)
{
	struct rb_node *first, *node, *undo;
	dma_addr_t last = iova + size - 1;
	struct type1_dma *dma;

	lockdep_assert_held(&t->lock);

	if (t->v2 && !all && !type1_covers_whole(t, iova, size))
		return -EINVAL;

	*done = 0;
	first = type1_first_from(t, iova);
	for (node = first; node; node = rb_next(node)) {
		dma = rb_entry(node, struct type1_dma, node);
		if (dma->iova > last || (!t->v2 && dma->iova < iova))
			break;
		if (dma->vaddr_invalid)
			goto err_undo;
		type1_vaddr_set_invalid(t, dma, true);
		*done += dma->size;
	}
	return 0;

err_undo:
	for (undo = first; undo != node; undo = rb_next(undo))
		type1_vaddr_set_invalid(t, rb_entry(undo, struct type1_dma,
						    node), false);
	*done = 0;
	return -EINVAL;
}

/*
 * A new address space took over the memory (the process exec'ed a new
 * image, for one): the charge for the pinned pages moves to it.
 */
static int type1_vaddr_take_over(struct type1_dma *dma)
{
	if (current->mm == dma->mm)
		return 0;
	return type1_move_charge(dma, type1_dma_charged(dma));
}

/**
 * type1_restore_vaddr - MAP_DMA with VFIO_DMA_MAP_FLAG_VADDR
 * @t: the instance, locked
 * @iova: the mapping's first IOVA
 * @size: the mapping's size
 * @vaddr: its new user address, in the caller's address space
 *
 * Return: 0, -ENOENT when no mapping is there, -EINVAL when the range is
 * not exactly one mapping with an invalid address, -ENOMEM when the
 * caller's RLIMIT_MEMLOCK cannot take the pinned pages.
 */
int type1_restore_vaddr(struct type1 *t, dma_addr_t iova, u64 size,
			unsigned long vaddr)
{
	struct type1_dma *dma;
	int ret;

	lockdep_assert_held(&t->lock);

	dma = type1_find_dma(t, iova, size);
	if (!dma)
		return -ENOENT;
	if (!dma->vaddr_invalid || dma->iova != iova || dma->size != size)
		return -EINVAL;
	ret = type1_vaddr_take_over(dma);
	if (ret)
		return ret;
	dma->vaddr = vaddr;
	type1_vaddr_set_invalid(t, dma, false);
	return 0;
}
