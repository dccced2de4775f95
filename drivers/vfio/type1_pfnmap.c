// SPDX-License-Identifier: GPL-2.0-only
/*
 * type1: ranges of VM_PFNMAP memory, such as another device's BAR mmapped
 * through its VFIO driver, for peer-to-peer DMA.  GUP cannot pin such
 * memory: it has no struct pages to hold.  Its frames are read from the
 * page tables instead (faulting them in first when needed), many under
 * one hold of the mmap lock, and mapped into the IOMMU as they are,
 * neither pinned nor charged to locked_vm.
 * As in 6.1, only frames the kernel does not manage as memory (no struct
 * page, or a reserved one) are taken this way.
 */
#include <linux/mm.h>
#include <linux/sched/mm.h>

#include "type1.h"

/* The frame mapped at @vaddr: 0, -ENOENT without a pte, -EFAULT. */
static int type1_pfnmap_pte(struct vm_area_struct *vma, unsigned long vaddr,
			    bool write, unsigned long *pfn)
{
	spinlock_t *ptl;	/* the page table's, from follow_pte() */
	pte_t *ptep;
	int ret = 0;

	if (follow_pte(vma->vm_mm, vaddr, &ptep, &ptl))
		return -ENOENT;
	__acquire(ptl);	/* follow_pte() took it; tell sparse */
	if (write && !pte_write(*ptep))
		ret = -EFAULT;	/* mapped read-only: the device may not write */
	else
		*pfn = pte_pfn(*ptep);
	pte_unmap_unlock(ptep, ptl);
	return ret;
}

/**
 * type1_pfnmap_lookup - the frame behind an address of a VM_PFNMAP vma
 * @mm: the address space, its mmap lock held for reading
 * @vaddr: the user address
 * @write: whether the device will write there
 * @pfn: receives the frame
 *
 * The lock may be dropped and retaken to fault the page in.
 *
 * Return: 0, -ENODEV when @vaddr is not in a VM_PFNMAP vma, or -EFAULT
 * when it cannot be faulted in (writably for @write) or holds ordinary
 * memory.
 */
int type1_pfnmap_lookup(struct mm_struct *mm, unsigned long vaddr,
			bool write, unsigned long *pfn)
{
	unsigned int fault = FAULT_FLAG_REMOTE | (write ? FAULT_FLAG_WRITE : 0);
	struct vm_area_struct *vma;
	bool unlocked;
	int ret;

	type1_assert_mmap_locked(mm);

	for (;;) {
		vma = vma_lookup(mm, vaddr);
		if (!vma || !(vma->vm_flags & VM_PFNMAP))
			return -ENODEV;
		ret = type1_pfnmap_pte(vma, vaddr, write, pfn);
		if (ret != -ENOENT)
			break;
		unlocked = false;
		if (fixup_user_fault(mm, vaddr, fault, &unlocked))
			return -EFAULT;
		if (unlocked)
			continue;	/* the vma may have changed meanwhile */
		ret = type1_pfnmap_pte(vma, vaddr, write, pfn);
		break;
	}
	if (ret)
		return -EFAULT;
	if (pfn_valid(*pfn) && !PageReserved(pfn_to_page(*pfn)))
		return -EFAULT;
	return 0;
}

/* Frames looked up per hold of the mmap lock, at most. */
#define TYPE1_PFNMAP_BATCH	4096UL

/**
 * type1_pfnmap_take - record the VM_PFNMAP frames at a page of a mapping
 * @dma: the mapping
 * @idx: index in the mapping of the first page
 * @max: pages to take at most
 *
 * Looks the frames up one after the other under one hold of the mmap
 * lock, faulting in what is not mapped yet, and records them as runs
 * (TYPE1_HOLD_NONE): a BAR's frames follow each other, so it becomes one
 * run, mapped into the IOMMU in one piece.
 *
 * Return: pages recorded (at least 1), or -ENODEV when the page at @idx
 * is not in a VM_PFNMAP vma, -EFAULT (see type1_pfnmap_lookup()), -ESRCH
 * when the address space is gone, -ENOMEM, with nothing recorded.
 */
long type1_pfnmap_take(struct type1_dma *dma, unsigned long idx,
		       unsigned long max)
{
	unsigned long vaddr = dma->vaddr + (idx << PAGE_SHIFT), pfn, n;
	bool write = dma->prot & IOMMU_WRITE;
	int ret = 0;

	if (!mmget_not_zero(dma->mm))
		return -ESRCH;
	mmap_read_lock(dma->mm);
	max = min(max, TYPE1_PFNMAP_BATCH);
	for (n = 0; n < max; n++, vaddr += PAGE_SIZE) {
		ret = type1_pfnmap_lookup(dma->mm, vaddr, write, &pfn);
		if (!ret)
			ret = type1_add_run(dma, pfn, 1, TYPE1_HOLD_NONE);
		if (ret)
			break;
	}
	mmap_read_unlock(dma->mm);
	mmput(dma->mm);
	return n ? n : ret;
}
