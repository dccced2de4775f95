// SPDX-License-Identifier: GPL-2.0-only
/*
 * type1: hugetlb memory, pinned one huge page at a time.
 *
 * Asked for a range, GUP hands back a pointer for every 4 KiB page of it,
 * and for memory made of huge pages, filling and then walking those
 * pointers is most of what pinning costs.  A hugetlb vma maps its huge
 * pages only ever whole, though, and a pin on any page of a folio holds
 * all of it: it can be neither freed nor migrated until the pin goes.
 * So where a mapping lies in a hugetlb vma, one page is pinned per huge
 * page, under the mmap lock that keeps the vma what it was seen to be,
 * and the page GUP returned is checked to sit at the expected offset of
 * a hugetlb folio of the vma's page size before the rest of the huge
 * page is taken to come with it.  Copy-on-write needs nothing more: a
 * hugetlb fault, unsharing included, replaces the huge page whole.
 *
 * Such runs are recorded as TYPE1_HOLD_FOLIOS: one pin on each folio the
 * run touches.  They are charged to locked_vm page by page, as any other
 * memory is.
 */
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>

#include "type1.h"

/* The huge page at @vaddr: pages of it from @vaddr up to @end. */
static unsigned long type1_hugetlb_span(unsigned long vaddr, unsigned long end,
					unsigned long hpage)
{
	unsigned long next = ALIGN_DOWN(vaddr, hpage) + hpage;

	return (min(next, end) - vaddr) >> PAGE_SHIFT;
}

/* Whether @page is what a hugetlb vma of @hpage pages maps at @vaddr. */
static bool type1_hugetlb_page_ok(struct page *page, unsigned long vaddr,
				  unsigned long hpage)
{
	struct folio *folio = page_folio(page);

	return folio_test_hugetlb(folio) && folio_size(folio) == hpage &&
	       folio_page_idx(folio, page) ==
	       (vaddr & (hpage - 1)) >> PAGE_SHIFT;
}

/*
 * With the mmap lock held, pin one page per huge page from @vaddr on,
 * while the vma is hugetlb, up to @end and at most @max pages.  Sets
 * @plain to the pages from @vaddr on known to lie outside hugetlb memory
 * when there are none to pin here.
 *
 * Return: pages pinned into @pages, or a negative errno with none.
 */
static long type1_hugetlb_pin_locked(struct type1_dma *dma,
				     unsigned long vaddr, unsigned long end,
				     struct page **pages, unsigned long max,
				     unsigned long *plain)
{
	unsigned int gup = FOLL_LONGTERM |
			   (dma->prot & IOMMU_WRITE ? FOLL_WRITE : 0);
	struct vm_area_struct *vma = vma_lookup(dma->mm, vaddr);
	unsigned long hpage;
	long n = 0, ret = 0;

	type1_assert_mmap_locked(dma->mm);

	if (!vma || !is_vm_hugetlb_page(vma)) {
		/* Ordinary memory up to the vma's end; no vma: just this. */
		*plain = vma ? (min(vma->vm_end, end) - vaddr) >> PAGE_SHIFT : 1;
		return 0;
	}
	hpage = vma_kernel_pagesize(vma);
	end = min(vma->vm_end, end);
	while (vaddr < end && n < max) {
		ret = pin_user_pages_remote(dma->mm, vaddr, 1, gup, &pages[n],
					    NULL, NULL);
		if (ret != 1)
			break;
		if (WARN_ON_ONCE(!type1_hugetlb_page_ok(pages[n], vaddr,
							hpage))) {
			unpin_user_page(pages[n]);
			break;
		}
		vaddr += type1_hugetlb_span(vaddr, end, hpage) << PAGE_SHIFT;
		n++;
	}
	if (n)
		return n;
	if (ret != 1)
		return ret ? ret : -EFAULT;
	/* Not what hugetlb maps: leave this huge page to the page path. */
	*plain = type1_hugetlb_span(vaddr, end, hpage);
	return 0;
}

/* Record pinned huge pages as runs; on error releases what is left. */
static int type1_hugetlb_add(struct type1_dma *dma, unsigned long idx,
			     struct page **pages, long n)
{
	unsigned long vaddr = dma->vaddr + (idx << PAGE_SHIFT);
	unsigned long end = dma->vaddr + dma->size;
	unsigned long len, refund = 0;
	long i;
	int ret = 0;

	for (i = 0; i < n; i++) {
		unsigned long hpage = folio_size(page_folio(pages[i]));

		len = type1_hugetlb_span(vaddr, end, hpage);
		if (!ret)
			ret = type1_add_run(dma, page_to_pfn(pages[i]), len,
					    TYPE1_HOLD_FOLIOS);
		if (ret) {
			unpin_user_page(pages[i]);
			refund += len;
		}
		vaddr += len << PAGE_SHIFT;
	}
	type1_account(dma, -(long)refund);
	return ret;
}

/**
 * type1_hugetlb_may_help - whether a mapping may gain from hugetlb pinning
 * @dma: the mapping
 *
 * A mapping smaller than the smallest huge page of the common sizes
 * (PMD_SIZE) has nothing to gain and would pay for the vma lookup: its
 * pages are pinned as any others, which is as correct for hugetlb memory.
 *
 * Return: true if type1_hugetlb_pin() is worth trying.
 */
bool type1_hugetlb_may_help(struct type1_dma *dma)
{
	return dma->size >= PMD_SIZE;
}

/**
 * type1_hugetlb_pin - pin the hugetlb memory at a page of a mapping
 * @dma: the mapping
 * @idx: index in the mapping of the first page to pin
 * @pages: room for @max page pointers
 * @max: its size: huge pages pinned at most
 * @plain: set, when 0 is returned, to how many pages from @idx on are
 *         known not to be hugetlb memory (at least 1): pin them otherwise
 *
 * Pins one page per huge page, charges the pages they stand for and
 * records them as TYPE1_HOLD_FOLIOS runs.
 *
 * Return: pages pinned and recorded, 0 when the page at @idx is not in
 * hugetlb memory, or a negative errno with nothing of this call left
 * pinned.
 */
long type1_hugetlb_pin(struct type1_dma *dma, unsigned long idx,
		       struct page **pages, unsigned long max,
		       unsigned long *plain)
{
	unsigned long vaddr = dma->vaddr + (idx << PAGE_SHIFT);
	unsigned long end = dma->vaddr + dma->size, charged = 0;
	long n, i;
	int ret;

	if (!mmget_not_zero(dma->mm))
		return -ESRCH;
	mmap_read_lock(dma->mm);
	n = type1_hugetlb_pin_locked(dma, vaddr, end, pages, max, plain);
	mmap_read_unlock(dma->mm);
	mmput(dma->mm);
	if (n <= 0)
		return n;

	/* Charged only now: accounting takes the mmap lock for writing. */
	for (i = 0; i < n; i++) {
		unsigned long len = type1_hugetlb_span(vaddr, end,
					folio_size(page_folio(pages[i])));

		charged += len;
		vaddr += len << PAGE_SHIFT;
	}
	ret = type1_account(dma, charged);
	if (!ret)
		ret = type1_hugetlb_add(dma, idx, pages, n);
	else
		unpin_user_pages(pages, n);
	return ret ? ret : charged;
}

/**
 * type1_hugetlb_unpin - drop the pins of a TYPE1_HOLD_FOLIOS run
 * @run: the run
 * @dirty: whether the device may have written to it
 *
 * One pin per folio the run touches, as type1_hugetlb_pin() took them.
 */
void type1_hugetlb_unpin(struct type1_run *run, bool dirty)
{
	unsigned long pfn = run->pfn, end = run->pfn + run->npages;

	while (pfn < end) {
		struct page *page = pfn_to_page(pfn);
		struct folio *folio = page_folio(page);

		/* The folio may be freed by the unpin: step over it first. */
		pfn = folio_pfn(folio) + folio_nr_pages(folio);
		unpin_user_pages_dirty_lock(&page, 1, dirty);
	}
}
