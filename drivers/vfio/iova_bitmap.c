// SPDX-License-Identifier: GPL-2.0-only
/*
 * A user-provided dirty bitmap over an IOVA range, written by drivers.
 *
 * Userspace hands in a bitmap with one bit per page of an IOVA range; it
 * can be far larger than anything we want to pin at once (a terabyte of
 * IOVA at 4 KiB pages needs 32 MiB of bitmap).  So the bitmap is walked in
 * windows: each window pins a bounded run of the user's bitmap pages, the
 * driver is called for the IOVA range that window covers, and sets bits in
 * it with iova_bitmap_set() through kernel mappings of the pinned pages.
 */
#include <linux/bitmap.h>
#include <linux/highmem.h>
#include <linux/iova_bitmap.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>

/* Bitmap pages pinned per window: one page of page pointers. */
#define IOVA_BITMAP_WINDOW_PAGES	(PAGE_SIZE / sizeof(struct page *))
#define BITS_PER_PAGE			(PAGE_SIZE * BITS_PER_BYTE)

/**
 * struct iova_bitmap - a user bitmap being filled in
 * @iova: IOVA that bit 0 stands for
 * @length: bytes of IOVA the bitmap covers
 * @pgshift: log2 of the IOVA bytes one bit stands for
 * @nbits: bits in the whole bitmap
 * @uaddr: user address of the bitmap, u64 aligned
 * @pages: the pinned pages of the current window
 * @npages: number of entries of @pages in use
 * @first_bit: index of the first bit of the current window
 * @window_bits: number of bits the current window covers
 * @offset: byte offset of @first_bit's word in @pages[0]
 *
 * Used by one thread at a time: the ioctl that owns it.
 */
struct iova_bitmap {
	unsigned long iova;
	size_t length;
	unsigned int pgshift;
	unsigned long nbits;
	unsigned long uaddr;
	struct page **pages;
	unsigned long npages;
	unsigned long first_bit;
	unsigned long window_bits;
	unsigned int offset;
};

/**
 * iova_bitmap_alloc - set up a walk over a user dirty bitmap
 * @iova: IOVA of the first bit
 * @length: IOVA bytes covered, not zero
 * @page_size: IOVA bytes per bit, a power of two
 * @data: the user bitmap, u64 aligned
 *
 * Return: the bitmap, or an ERR_PTR.
 */
struct iova_bitmap *iova_bitmap_alloc(unsigned long iova, size_t length,
				      unsigned long page_size,
				      u64 __user *data)
{
	struct iova_bitmap *bitmap;

	if (!length || !is_power_of_2(page_size) ||
	    !IS_ALIGNED((unsigned long)data, sizeof(u64)))
		return ERR_PTR(-EINVAL);

	bitmap = kzalloc(sizeof(*bitmap), GFP_KERNEL);
	if (!bitmap)
		return ERR_PTR(-ENOMEM);
	bitmap->pages = kmalloc_array(IOVA_BITMAP_WINDOW_PAGES,
				      sizeof(*bitmap->pages), GFP_KERNEL);
	if (!bitmap->pages) {
		kfree(bitmap);
		return ERR_PTR(-ENOMEM);
	}

	bitmap->iova = iova;
	bitmap->length = length;
	bitmap->pgshift = __ffs(page_size);
	bitmap->nbits = ((length - 1) >> bitmap->pgshift) + 1;
	bitmap->uaddr = (unsigned long)data;
	return bitmap;
}

/**
 * iova_bitmap_free - end a walk started with iova_bitmap_alloc()
 * @bitmap: the bitmap; nothing of it is pinned between windows
 */
void iova_bitmap_free(struct iova_bitmap *bitmap)
{
	kfree(bitmap->pages);
	kfree(bitmap);
}

/*
 * Pin the window that starts at bit @first_bit: as many bitmap pages as
 * fit in @pages.  Windows end on page boundaries of the user bitmap, which
 * is u64 aligned, so every window starts on a whole word.
 */
static int iova_bitmap_pin_window(struct iova_bitmap *bitmap,
				  unsigned long first_bit)
{
	unsigned long start = bitmap->uaddr + first_bit / BITS_PER_BYTE;
	unsigned long words = BITS_TO_U64(bitmap->nbits - first_bit);
	unsigned int offset = offset_in_page(start);
	unsigned long bytes, npages;
	long pinned;

	bytes = min_t(unsigned long, words * sizeof(u64),
		      IOVA_BITMAP_WINDOW_PAGES * PAGE_SIZE - offset);
	npages = DIV_ROUND_UP(offset + bytes, PAGE_SIZE);

	pinned = pin_user_pages_fast(start & PAGE_MASK, npages, FOLL_WRITE,
				     bitmap->pages);
	if (pinned != npages) {
		if (pinned > 0)
			unpin_user_pages(bitmap->pages, pinned);
		return pinned < 0 ? pinned : -EFAULT;
	}

	bitmap->npages = npages;
	bitmap->first_bit = first_bit;
	bitmap->window_bits = min(bytes * BITS_PER_BYTE,
				  bitmap->nbits - first_bit);
	bitmap->offset = offset;
	return 0;
}

static void iova_bitmap_unpin_window(struct iova_bitmap *bitmap)
{
	unpin_user_pages_dirty_lock(bitmap->pages, bitmap->npages, true);
	bitmap->npages = 0;
	bitmap->window_bits = 0;
}

/**
 * iova_bitmap_for_each - let a driver fill in the bitmap, window by window
 * @bitmap: the bitmap
 * @opaque: passed to @fn
 * @fn: called once per window with the IOVA range the window covers; it
 *      reports dirty pages with iova_bitmap_set()
 *
 * Return: 0, or the first error of pinning or of @fn.
 */
int iova_bitmap_for_each(struct iova_bitmap *bitmap, void *opaque,
			 iova_bitmap_fn_t fn)
{
	unsigned long bit = 0;
	int ret;

	while (bit < bitmap->nbits) {
		unsigned long start = bit << bitmap->pgshift;
		size_t len;

		ret = iova_bitmap_pin_window(bitmap, bit);
		if (ret)
			return ret;
		len = min_t(size_t, bitmap->window_bits << bitmap->pgshift,
			    bitmap->length - start);
		ret = fn(bitmap, bitmap->iova + start, len, opaque);
		bit += bitmap->window_bits;
		iova_bitmap_unpin_window(bitmap);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * iova_bitmap_set - mark an IOVA range dirty
 * @bitmap: the bitmap, inside a callback of iova_bitmap_for_each()
 * @iova: start of the dirty range
 * @length: bytes of the dirty range
 *
 * Only the part inside the current window is recorded: the callback is
 * given exactly that window's IOVA range.
 */
void iova_bitmap_set(struct iova_bitmap *bitmap, unsigned long iova,
		     size_t length)
{
	unsigned long first, last, pos, end;

	if (!length || !bitmap->window_bits)
		return;
	if (iova + length - 1 < bitmap->iova ||
	    iova > bitmap->iova + bitmap->length - 1)
		return;

	first = (max(iova, bitmap->iova) - bitmap->iova) >> bitmap->pgshift;
	last = (min(iova + length - 1, bitmap->iova + bitmap->length - 1) -
		bitmap->iova) >> bitmap->pgshift;
	first = max(first, bitmap->first_bit);
	last = min(last, bitmap->first_bit + bitmap->window_bits - 1);
	if (first > last)
		return;

	/* Bit positions counted from the start of the first pinned page. */
	pos = bitmap->offset * BITS_PER_BYTE + (first - bitmap->first_bit);
	end = pos + (last - first) + 1;
	while (pos < end) {
		unsigned long in_page = pos % BITS_PER_PAGE;
		unsigned long n = min(end - pos, BITS_PER_PAGE - in_page);
		void *kaddr = kmap_local_page(bitmap->pages[pos / BITS_PER_PAGE]);

		bitmap_set(kaddr, in_page, n);
		kunmap_local(kaddr);
		pos += n;
	}
}
EXPORT_SYMBOL_GPL(iova_bitmap_set);
