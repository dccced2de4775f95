// SPDX-License-Identifier: GPL-2.0-only
/*
 * type1: the user's DMA mappings (VFIO_IOMMU_MAP_DMA / UNMAP_DMA).
 *
 * With IOMMU domains present, MAP_DMA pins the whole range long-term and
 * maps it into every domain.  Pages are pinned in batches and grouped into
 * runs of physically contiguous frames, checked on the frames actually
 * returned (a range may span VMAs, copy-on-write pages and folios of any
 * size), except in hugetlb vmas, pinned a huge page at a time
 * (type1_hugetlb.c); each run is mapped whole, so the IOMMU picks the largest page
 * sizes the alignment allows, and many runs go in one iommu_map_sg() call
 * with one IOTLB sync.  Unmapping a run is one iommu_unmap_fast() per
 * domain, under one IOTLB flush for the mapping, and one ranged unpin.
 */
#include <linux/capability.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "type1.h"

/*
 * Pages pinned per pin_user_pages_fast() call: 16 MiB of memory, so that
 * hugepage-backed memory costs few calls; eight pages of pointers.
 */
#define TYPE1_PIN_BATCH	(8 * PAGE_SIZE / sizeof(struct page *))

/* Times an unmap asks devices to unpin a mapping before giving up. */
#define TYPE1_UNMAP_RETRIES	10

/*
 * Charge (@npages > 0) or refund pinned pages to @mm, against the
 * RLIMIT_MEMLOCK of @owner unless @lock_cap.  A refund is never refused,
 * nor a charge when @owed: one the pages carried before and get back.
 */
static int type1_account_to(struct mm_struct *mm, struct task_struct *owner,
			    bool lock_cap, long npages, bool owed)
{
	int ret = 0;

	if (!npages || !mmget_not_zero(mm))
		return 0;
	if (npages > 0 && !owed) {
		ret = mmap_write_lock_killable(mm);
		if (!ret) {
			ret = __account_locked_vm(mm, npages, true, owner,
						  lock_cap);
			mmap_write_unlock(mm);
		}
	} else {
		mmap_write_lock(mm);
		__account_locked_vm(mm, abs(npages), npages > 0, owner, true);
		mmap_write_unlock(mm);
	}
	mmput(mm);
	if (ret == -ENOMEM)
		pr_warn_ratelimited("vfio_iommu_type1: pinning %ld pages would exceed RLIMIT_MEMLOCK (%lu bytes) of %s[%d]; raise the limit (ulimit -l) of the process\n",
				    npages, task_rlimit(owner, RLIMIT_MEMLOCK),
				    owner->comm, task_pid_nr(owner));
	return ret;
}

/**
 * type1_account - charge or refund pinned pages of a mapping
 * @dma: the mapping
 * @npages: positive to charge, negative to refund
 *
 * The pages are charged to the mapping's address space, against the
 * RLIMIT_MEMLOCK of the process that mapped it unless that process had
 * CAP_IPC_LOCK when it did: whoever pins (a device driver's thread, say)
 * does not change the limit.  An address space that is gone needs no
 * refund.
 *
 * Return: 0, -ENOMEM when the limit would be exceeded, or -EINTR when
 * the caller was killed waiting for the mmap lock.
 */
int type1_account(struct type1_dma *dma, long npages)
{
	return type1_account_to(dma->mm, dma->owner, dma->lock_cap, npages,
				false);
}

/*
 * Move the charge of the pages devices pin in a mapping between their
 * pins and its runs, which hold every page: whoever holds the runs
 * carries the charge of each page, so that it is charged once however
 * many pin it.  A charge for pages pinned already, which the mapping
 * had a moment ago, is never refused.
 */
static void type1_runs_take_charge(struct type1_dma *dma)
{
	type1_account(dma, -(long)type1_pins_give_charge(dma));
}

static void type1_runs_leave_charge(struct type1_dma *dma,
				    unsigned long refund)
{
	type1_account_to(dma->mm, dma->owner, dma->lock_cap,
			 (long)type1_pins_take_charge(dma) - (long)refund, true);
}

/**
 * type1_dma_set_owner - make the calling process a mapping's owner
 * @dma: the mapping, new or without an owner (see type1_dma_put_owner())
 *
 * Records the caller's address space, thread group leader and whether
 * it may lock memory without limit, as of now.
 */
void type1_dma_set_owner(struct type1_dma *dma)
{
	dma->mm = current->mm;
	mmgrab(dma->mm);
	dma->owner = get_task_struct(current->group_leader);
	dma->lock_cap = capable(CAP_IPC_LOCK);
}

/**
 * type1_dma_put_owner - forget a mapping's owner
 * @dma: the mapping
 */
void type1_dma_put_owner(struct type1_dma *dma)
{
	put_task_struct(dma->owner);
	mmdrop(dma->mm);
}

/**
 * type1_move_charge - move a mapping's charge to the calling process
 * @dma: the mapping
 * @npages: the pages charged for it
 *
 * The caller becomes the mapping's owner if the charge fits its limit.
 *
 * Return: 0, or what type1_account() returns for the new owner.
 */
int type1_move_charge(struct type1_dma *dma, long npages)
{
	bool lock_cap = capable(CAP_IPC_LOCK);
	int ret;

	ret = type1_account_to(current->mm, current->group_leader, lock_cap,
			       npages, false);
	if (ret)
		return ret;
	type1_account(dma, -npages);
	type1_dma_put_owner(dma);
	type1_dma_set_owner(dma);
	return 0;
}

/**
 * type1_find_dma - a mapping that overlaps an IOVA range
 * @t: the instance
 * @start: first IOVA
 * @size: bytes, at least 1
 *
 * Return: any overlapping mapping, or NULL.
 */
struct type1_dma *type1_find_dma(struct type1 *t, dma_addr_t start,
				 size_t size)
{
	struct rb_node *node = t->dmas.rb_node;

	lockdep_assert_held(&t->lock);

	while (node) {
		struct type1_dma *dma = rb_entry(node, struct type1_dma, node);

		if (start + size - 1 < dma->iova)
			node = node->rb_left;
		else if (start > dma->iova + dma->size - 1)
			node = node->rb_right;
		else
			return dma;
	}
	return NULL;
}

/**
 * type1_first_from - the lowest mapping that ends at or after an IOVA
 * @t: the instance, locked
 * @start: the IOVA
 *
 * Return: its node in type1.dmas, or NULL.
 */
struct rb_node *type1_first_from(struct type1 *t, dma_addr_t start)
{
	struct rb_node *node = t->dmas.rb_node, *found = NULL;

	lockdep_assert_held(&t->lock);

	while (node) {
		struct type1_dma *dma = rb_entry(node, struct type1_dma, node);

		if (dma->iova + dma->size - 1 >= start) {
			found = node;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	return found;
}

/**
 * type1_covers_whole - whether a range cuts no mapping in two
 * @t: the instance, locked
 * @iova: first IOVA of the range
 * @size: bytes, at least 1, without wrapping
 *
 * v2 unmaps and dirty bitmaps work on whole mappings only.
 *
 * Return: true if no mapping starts before the range and reaches into
 * it, nor starts inside it and reaches beyond.
 */
bool type1_covers_whole(struct type1 *t, dma_addr_t iova, u64 size)
{
	struct type1_dma *dma;

	dma = type1_find_dma(t, iova, 1);
	if (dma && dma->iova != iova)
		return false;
	dma = type1_find_dma(t, iova + size - 1, 1);
	return !dma || dma->iova + dma->size == iova + size;
}

static void type1_insert_dma(struct type1 *t, struct type1_dma *new)
{
	struct rb_node **link = &t->dmas.rb_node, *parent = NULL;

	while (*link) {
		struct type1_dma *dma = rb_entry(*link, struct type1_dma, node);

		parent = *link;
		link = new->iova < dma->iova ? &parent->rb_left :
					       &parent->rb_right;
	}
	rb_link_node(&new->node, parent, link);
	rb_insert_color(&new->node, &t->dmas);
}

/*
 * Pages of work between two rescheduling points, in loops over runs:
 * few runs can stand for much memory.
 */
#define TYPE1_RESCHED_PAGES	(SZ_1G >> PAGE_SHIFT)

/* Bytes one iommu_map_sg() call is given, beyond its first run. */
#define TYPE1_MAP_BATCH_BYTES	SZ_1G

/* Runs in a chunk at most: a chunk fills one page. */
#define TYPE1_CHUNK_MAX_RUNS \
	((PAGE_SIZE - sizeof(struct type1_run_chunk)) / sizeof(struct type1_run))

/* Runs in a mapping's first chunk: most mappings have few. */
#define TYPE1_CHUNK_MIN_RUNS	8

/*
 * Add a chunk with room for as many runs as the mapping has already, up
 * to a page: what is allocated stays within twice what is used, and no
 * allocation is ever larger than a page.  The chunks are charged to the
 * memory cgroup of the caller, who pins the memory they describe.
 */
static struct type1_run_chunk *type1_new_chunk(struct type1_dma *dma)
{
	unsigned long max = clamp_t(unsigned long, dma->nr_runs,
				    TYPE1_CHUNK_MIN_RUNS, TYPE1_CHUNK_MAX_RUNS);
	struct type1_run_chunk *c;
	size_t bytes;

	bytes = kmalloc_size_roundup(struct_size(c, runs, max));
	c = kmalloc(bytes, GFP_KERNEL_ACCOUNT);
	if (!c)
		return NULL;
	c->nr = 0;
	c->max = min_t(size_t, (bytes - sizeof(*c)) / sizeof(c->runs[0]),
		       TYPE1_CHUNK_MAX_RUNS);
	list_add_tail(&c->node, &dma->chunks);
	return c;
}

/**
 * type1_add_run - record frames held for the domains
 * @dma: the mapping
 * @pfn: the first frame
 * @npages: how many, at most TYPE1_RUN_MAX_PAGES
 * @hold: how they are held
 *
 * The frames go at the IOVAs that follow what is recorded already.
 * Frames that continue the last run, held the same way, extend it.
 *
 * Return: 0, or -ENOMEM with nothing recorded.
 */
int type1_add_run(struct type1_dma *dma, unsigned long pfn,
		  unsigned long npages, enum type1_hold hold)
{
	struct type1_run_chunk *c;
	struct type1_run *last;

	if (WARN_ON_ONCE(!npages || npages > TYPE1_RUN_MAX_PAGES))
		return -EINVAL;

	c = list_empty(&dma->chunks) ? NULL :
	    list_last_entry(&dma->chunks, struct type1_run_chunk, node);
	last = c ? &c->runs[c->nr - 1] : NULL;
	if (last && !type1_disable_hugepages && last->hold == hold &&
	    last->pfn + last->npages == pfn &&
	    npages <= TYPE1_RUN_MAX_PAGES - last->npages) {
		last->npages += npages;
		return 0;
	}
	if (!c || c->nr == c->max) {
		c = type1_new_chunk(dma);
		if (!c)
			return -ENOMEM;
	}
	c->runs[c->nr++] = (struct type1_run){ pfn, npages, hold };
	dma->nr_runs++;
	return 0;
}

/**
 * type1_dma_unpin_runs - unpin and refund everything pinned for domains
 * @dma: the mapping, already unmapped from every domain
 *
 * Pages devices still pin are charged to their pins again.
 */
void type1_dma_unpin_runs(struct type1_dma *dma)
{
	bool dirty = dma->prot & IOMMU_WRITE;
	unsigned long total = 0, work = 0;
	struct type1_run_chunk *c, *tmp;
	unsigned int i;

	list_for_each_entry_safe(c, tmp, &dma->chunks, node) {
		for (i = 0; i < c->nr; i++) {
			struct type1_run *run = &c->runs[i];

			if (run->hold == TYPE1_HOLD_NONE)
				continue;
			if (run->hold == TYPE1_HOLD_FOLIOS)
				type1_hugetlb_unpin(run, dirty);
			else
				unpin_user_page_range_dirty_lock(pfn_to_page(run->pfn),
								 run->npages,
								 dirty);
			total += run->npages;
			work += run->npages;
			if (work >= TYPE1_RESCHED_PAGES) {
				cond_resched();
				work = 0;
			}
		}
		kfree(c);
		/* A large guest has millions of runs. */
		cond_resched();
	}
	INIT_LIST_HEAD(&dma->chunks);
	dma->nr_runs = 0;
	type1_runs_leave_charge(dma, total);
}

/**
 * type1_dma_charged - pages of a mapping charged to its owner's locked_vm
 * @dma: the mapping
 *
 * Return: pages pinned for the domains plus pages pinned only for devices.
 */
long type1_dma_charged(struct type1_dma *dma)
{
	unsigned long total = type1_pins_charged(dma);
	struct type1_run_chunk *c;
	unsigned int i;

	list_for_each_entry(c, &dma->chunks, node) {
		for (i = 0; i < c->nr; i++)
			if (c->runs[i].hold != TYPE1_HOLD_NONE)
				total += c->runs[i].npages;
		cond_resched();
	}
	return total;
}

/* Pin one batch; from the owner's context without taking its mmap lock. */
static long type1_pin_batch(struct type1_dma *dma, unsigned long vaddr,
			    unsigned long npages, unsigned int gup,
			    struct page **pages)
{
	long pinned;

	if (current->mm == dma->mm)
		return pin_user_pages_fast(vaddr, npages, gup, pages);

	if (!mmget_not_zero(dma->mm))
		return -ESRCH;
	mmap_read_lock(dma->mm);
	pinned = pin_user_pages_remote(dma->mm, vaddr, npages, gup, pages,
				       NULL, NULL);
	mmap_read_unlock(dma->mm);
	mmput(dma->mm);
	return pinned;
}

/*
 * Take the pages from @idx on (@max at most) that could not be pinned
 * (@pin_err) from VM_PFNMAP memory, if they lie in it.
 *
 * Return: pages taken, or a negative errno with none.
 */
static long type1_dma_add_pfnmap(struct type1_dma *dma, unsigned long idx,
				 unsigned long max, long pin_err)
{
	long taken = type1_pfnmap_take(dma, idx, max);

	return taken == -ENODEV ? pin_err : taken;
}

static bool type1_is_zero_page(struct page *page)
{
	return is_zero_pfn(page_to_pfn(page));
}

/* Unpin the pages of a batch that are still held; returns how many. */
static long type1_release_batch(struct page **pages, long n)
{
	long i, released = 0;

	for (i = 0; i < n; i++) {
		if (!type1_is_zero_page(pages[i])) {
			unpin_user_page(pages[i]);
			released++;
		}
	}
	return released;
}

/* Unpin the zero pages of a batch; returns how many there were. */
static long type1_drop_zero_pages(struct page **pages, long n)
{
	long i, zero = 0;

	for (i = 0; i < n; i++) {
		if (type1_is_zero_page(pages[i])) {
			unpin_user_page(pages[i]);
			zero++;
		}
	}
	return zero;
}

/* How many pages from @i on have frames that follow each other. */
static long type1_run_len(struct page **pages, long n, long i,
			  bool zero_possible)
{
	unsigned long pfn = page_to_pfn(pages[i]);
	long len = 1;

	if (type1_disable_hugepages ||
	    (zero_possible && is_zero_pfn(pfn)))
		return 1;
	while (i + len < n && page_to_pfn(pages[i + len]) == pfn + len &&
	       !(zero_possible && is_zero_pfn(pfn + len)))
		len++;
	return len;
}

/*
 * Charge and record a batch of @n pages pinned next in the mapping.  The
 * zero page is always there: as 6.1 does, it is neither held nor charged
 * (only a read-only pin can be given it).  On error, pages already
 * recorded go with the runs, the rest are released here.
 */
static int type1_dma_add_batch(struct type1_dma *dma, struct page **pages,
			       long n)
{
	bool zero_possible = !(dma->prot & IOMMU_WRITE);
	long i, len, charged = n;
	int ret;

	if (zero_possible)
		charged -= type1_drop_zero_pages(pages, n);
	ret = type1_account(dma, charged);
	if (ret) {
		type1_release_batch(pages, n);
		return ret;
	}
	for (i = 0; i < n; i += len) {
		unsigned long pfn = page_to_pfn(pages[i]);

		len = type1_run_len(pages, n, i, zero_possible);
		ret = type1_add_run(dma, pfn, len,
				    zero_possible && is_zero_pfn(pfn) ?
				    TYPE1_HOLD_NONE : TYPE1_HOLD_PAGES);
		if (ret) {
			type1_account(dma,
				      -type1_release_batch(pages + i, n - i));
			return ret;
		}
	}
	return 0;
}

/**
 * type1_dma_pin_all - pin a whole mapping for the domains
 * @dma: the mapping, with nothing pinned for domains yet
 *
 * Records the pinned frames as runs of contiguous ones.  Hugetlb memory
 * is pinned a huge page at a time (type1_hugetlb.c), the rest in batches
 * of pages.  The runs take over the charge of pages devices pinned.
 *
 * Return: 0, or a negative errno with nothing pinned.
 */
int type1_dma_pin_all(struct type1_dma *dma)
{
	unsigned int gup = FOLL_LONGTERM |
			   (dma->prot & IOMMU_WRITE ? FOLL_WRITE : 0);
	unsigned long total = dma->size >> PAGE_SHIFT, done = 0;
	unsigned long plain = 0;	/* pages known not to be hugetlb */
	/* A small mapping must not pay for a large one's batch. */
	unsigned long batch = min_t(unsigned long, total, TYPE1_PIN_BATCH);
	struct page **pages;
	long pinned;
	int ret = 0;

	pages = kvmalloc_array(batch, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	type1_runs_take_charge(dma);

	/* Memory smaller than a huge page is no faster pinned as one. */
	if (!type1_hugetlb_may_help(dma))
		plain = total;
	while (done < total) {
		if (!plain) {
			pinned = type1_hugetlb_pin(dma, done, pages, batch,
						   &plain);
			if (pinned < 0) {
				ret = pinned;
				break;
			}
			done += pinned;
			if (pinned) {
				cond_resched();
				continue;
			}
		}
		pinned = type1_pin_batch(dma, dma->vaddr + (done << PAGE_SHIFT),
					 min3(total - done, batch, plain), gup,
					 pages);
		if (pinned > 0)
			ret = type1_dma_add_batch(dma, pages, pinned);
		else	/* Nothing to pin there: VM_PFNMAP memory, or a fault. */
			pinned = type1_dma_add_pfnmap(dma, done,
						      min(total - done, plain),
						      pinned ? pinned : -EFAULT);
		if (pinned < 0)
			ret = pinned;
		if (ret)
			break;
		done += pinned;
		plain -= pinned;
		/* Once per batch: a large guest pins millions of pages. */
		cond_resched();
	}
	kvfree(pages);
	if (ret)
		type1_dma_unpin_runs(dma);
	return ret;
}

/* Runs per iommu_map_sg() call: a page of scatterlist entries. */
#define TYPE1_SG_RUNS	(PAGE_SIZE / sizeof(struct scatterlist))

/*
 * Map runs of chunk @c, from @first on, into @d at @iova: as many as fit
 * one scatterlist, with a single IOTLB sync for all of them, since one
 * per run costs dearly when memory is scattered into many small runs.
 * Frames without struct pages (VM_PFNMAP) go on their own.
 *
 * Return: the number of runs mapped, their bytes in @bytes, or a
 * negative errno with none of them mapped.
 */
static long type1_map_runs(struct type1_dma *dma, struct type1_domain *d,
			   struct type1_run_chunk *c, unsigned int first,
			   dma_addr_t iova, struct scatterlist *sgl,
			   unsigned int nents, size_t *bytes)
{
	unsigned int n = 0, max = min(c->nr - first, nents);
	struct type1_run *run = &c->runs[first];
	int prot = dma->prot | IOMMU_CACHE;
	ssize_t mapped;

	if (!pfn_valid(run->pfn)) {
		*bytes = (size_t)run->npages << PAGE_SHIFT;
		mapped = iommu_map(d->domain, iova, PFN_PHYS(run->pfn), *bytes,
				   prot);
		return mapped ? mapped : 1;
	}

	*bytes = 0;
	sg_init_table(sgl, max);
	while (n < max && pfn_valid(run[n].pfn) &&
	       (!n || *bytes < TYPE1_MAP_BATCH_BYTES)) {
		size_t len = (size_t)run[n].npages << PAGE_SHIFT;

		sg_set_page(&sgl[n], pfn_to_page(run[n].pfn), len, 0);
		*bytes += len;
		n++;
	}
	sg_mark_end(&sgl[n - 1]);
	mapped = iommu_map_sg(d->domain, iova, sgl, n, prot);
	if (mapped < 0)
		return mapped;
	if ((size_t)mapped != *bytes) {
		iommu_unmap(d->domain, iova, mapped);
		return -EIO;
	}
	return n;
}

/*
 * Unmap the first @npages pages of a mapping's runs from @d, with one
 * IOTLB flush for all of them rather than one per run.
 */
static void type1_unmap_runs(struct type1_dma *dma, struct type1_domain *d,
			     unsigned long npages)
{
	struct iommu_iotlb_gather gather;
	dma_addr_t iova = dma->iova;
	struct type1_run_chunk *c;
	unsigned long work = 0;
	unsigned int i;

	/*
	 * The pages stay pinned until the flush, so rescheduling before it
	 * leaves a device nothing it could not reach already.
	 */
	iommu_iotlb_gather_init(&gather);
	list_for_each_entry(c, &dma->chunks, node) {
		for (i = 0; i < c->nr && npages; i++) {
			size_t len = (size_t)c->runs[i].npages << PAGE_SHIFT;

			iommu_unmap_fast(d->domain, iova, len, &gather);
			iova += len;
			npages -= c->runs[i].npages;
			work += c->runs[i].npages;
			if (work >= TYPE1_RESCHED_PAGES) {
				cond_resched();
				work = 0;
			}
		}
		if (!npages)
			break;
		cond_resched();
	}
	iommu_iotlb_sync(d->domain, &gather);
}

/**
 * type1_dma_map_domain - map a pinned mapping into one domain
 * @dma: the mapping
 * @d: the domain
 *
 * Return: 0, or the IOMMU's error with nothing left mapped.
 */
int type1_dma_map_domain(struct type1_dma *dma, struct type1_domain *d)
{
	unsigned int nents = min_t(unsigned long, dma->nr_runs, TYPE1_SG_RUNS);
	unsigned long done = 0;	/* pages mapped */
	struct type1_run_chunk *c;
	struct scatterlist *sgl;
	unsigned int i;
	size_t bytes;
	long ret = 0;

	/* As many entries as the runs need: most mappings have few. */
	sgl = kmalloc_array(nents, sizeof(*sgl), GFP_KERNEL);
	if (!sgl)
		return -ENOMEM;
	list_for_each_entry(c, &dma->chunks, node) {
		for (i = 0; i < c->nr; i += ret) {
			ret = type1_map_runs(dma, d, c, i,
					     dma->iova + PFN_PHYS(done), sgl,
					     nents, &bytes);
			if (ret < 0)
				goto out_free;
			done += bytes >> PAGE_SHIFT;
			/* Each call maps a bounded amount. */
			cond_resched();
		}
	}
out_free:
	kfree(sgl);
	if (ret >= 0)
		return 0;
	if (done)
		type1_unmap_runs(dma, d, done);
	return ret;
}

/**
 * type1_dma_unmap_domain - remove a mapping from one domain
 * @dma: the mapping
 * @d: the domain
 */
void type1_dma_unmap_domain(struct type1_dma *dma, struct type1_domain *d)
{
	type1_unmap_runs(dma, d, ULONG_MAX);
}

/**
 * type1_remove_dma - tear a mapping down completely
 * @t: the instance, locked
 * @dma: the mapping; no device holds pins in it any more
 */
void type1_remove_dma(struct type1 *t, struct type1_dma *dma)
{
	struct type1_domain *d;

	lockdep_assert_held(&t->lock);

	list_for_each_entry(d, &t->domains, node)
		type1_dma_unmap_domain(dma, d);
	type1_dma_unpin_runs(dma);
	type1_unpin_all_emulated(dma);
	type1_dirty_free(dma);
	type1_vaddr_forget(t, dma);
	rb_erase(&dma->node, &t->dmas);
	type1_dma_put_owner(dma);
	kfree(dma);
	t->dma_avail++;
}

/* Pin and map a new mapping into every domain. */
static int type1_dma_populate(struct type1 *t, struct type1_dma *dma)
{
	struct type1_domain *d, *failed;
	int ret;

	if (list_empty(&t->domains))
		return 0;	/* emulated groups pin on demand */

	ret = type1_dma_pin_all(dma);
	if (ret)
		return ret;
	list_for_each_entry(d, &t->domains, node) {
		ret = type1_dma_map_domain(dma, d);
		if (ret) {
			failed = d;
			goto err_unmap;
		}
	}
	return 0;

err_unmap:
	list_for_each_entry(d, &t->domains, node) {
		if (d == failed)
			break;
		type1_dma_unmap_domain(dma, d);
	}
	type1_dma_unpin_runs(dma);
	return ret;
}

static int type1_check_map(struct type1 *t,
			   struct vfio_iommu_type1_dma_map *map)
{
	unsigned long pgsize = type1_min_pgsize(t);
	bool prot = map->flags & (VFIO_DMA_MAP_FLAG_READ |
				  VFIO_DMA_MAP_FLAG_WRITE);
	u64 end;

	/* A new address for a mapping carries no permissions; a map does. */
	if (prot == !!(map->flags & VFIO_DMA_MAP_FLAG_VADDR))
		return -EINVAL;
	if (!map->size || (map->size | map->iova | map->vaddr) & (pgsize - 1))
		return -EINVAL;
	if (map->size > SIZE_MAX || map->vaddr > ULONG_MAX)
		return -EINVAL;	/* more than the types here hold */
	/* Neither range may wrap past the end of its address space. */
	if (check_add_overflow(map->iova, map->size - 1, &end) ||
	    check_add_overflow(map->vaddr, map->size - 1, &end))
		return -EOVERFLOW;
	return 0;
}

/* Whether a new mapping may go at @map's IOVAs: 0 or the errno. */
static int type1_map_conflict(struct type1 *t,
			      struct vfio_iommu_type1_dma_map *map)
{
	lockdep_assert_held(&t->lock);

	if (type1_find_dma(t, map->iova, map->size))
		return -EEXIST;
	if (!t->dma_avail)
		return -ENOSPC;
	if (type1_iova_usable(t, map->iova, map->iova + map->size - 1))
		return 0;
	type1_report_unusable(t, map->iova, map->iova + map->size - 1);
	return -EINVAL;
}

static struct type1_dma *type1_new_dma(struct vfio_iommu_type1_dma_map *map)
{
	struct type1_dma *dma = kzalloc(sizeof(*dma), GFP_KERNEL_ACCOUNT);

	if (!dma)
		return NULL;
	dma->iova = map->iova;
	dma->size = map->size;
	dma->vaddr = map->vaddr;
	if (map->flags & VFIO_DMA_MAP_FLAG_READ)
		dma->prot |= IOMMU_READ;
	if (map->flags & VFIO_DMA_MAP_FLAG_WRITE)
		dma->prot |= IOMMU_WRITE;
	INIT_LIST_HEAD(&dma->chunks);
	xa_init(&dma->pins);
	xa_init(&dma->pin_extra);
	/* Pins are charged to the caller's address space and limit. */
	type1_dma_set_owner(dma);
	return dma;
}

/**
 * type1_map_dma - VFIO_IOMMU_MAP_DMA
 * @t: the instance
 * @arg: user pointer to a struct vfio_iommu_type1_dma_map
 *
 * With VFIO_DMA_MAP_FLAG_VADDR, gives an existing mapping its new user
 * address instead (type1_restore_vaddr()).
 *
 * Return: 0 or a negative errno: -EEXIST over an existing mapping,
 * -ENOSPC past dma_entry_limit, -ENOMEM past RLIMIT_MEMLOCK, -EOVERFLOW
 * for a range that wraps past the end of the IOVA or user address space.
 */
long type1_map_dma(struct type1 *t, void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	struct vfio_iommu_type1_dma_map map;
	u32 known = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE |
		    VFIO_DMA_MAP_FLAG_VADDR;
	struct type1_dma *dma;
	int ret;

	if (copy_from_user(&map, arg, minsz))
		return -EFAULT;
	if (map.argsz < minsz || map.flags & ~known)
		return -EINVAL;

	mutex_lock(&t->lock);
	ret = type1_check_map(t, &map);
	if (!ret && map.flags & VFIO_DMA_MAP_FLAG_VADDR) {
		ret = type1_restore_vaddr(t, map.iova, map.size, map.vaddr);
		goto out_unlock;
	}
	if (!ret)
		ret = type1_map_conflict(t, &map);
	if (ret)
		goto out_unlock;

	dma = type1_new_dma(&map);
	if (!dma) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	ret = type1_dirty_alloc(t, dma);
	if (!ret)
		ret = type1_dma_populate(t, dma);
	if (ret) {
		type1_dirty_free(dma);
		type1_dma_put_owner(dma);
		kfree(dma);
		goto out_unlock;
	}
	type1_insert_dma(t, dma);
	t->dma_avail--;
out_unlock:
	mutex_unlock(&t->lock);
	return ret;
}

/* The v2 rule: an unmap removes whole mappings or nothing. */
static bool type1_unmap_cuts(struct type1 *t, dma_addr_t iova, u64 size,
			     bool all)
{
	return t->v2 && !all && !type1_covers_whole(t, iova, size);
}

/*
 * Unmap [iova, iova + size) under 6.1's rules, counting the bytes
 * unmapped in @unmapped (they may exceed what a long holds).  v2 refuses
 * to cut a mapping; v1 stops at a mapping that starts before the range.
 * Mappings devices still hold pins in are announced to the devices, and
 * the walk restarts once they let go.
 */
static int type1_do_unmap(struct type1 *t, dma_addr_t iova, u64 size,
			  bool all, u64 __user *ubitmap, u64 *unmapped)
{
	struct type1_dma *dma, *asked = NULL;
	unsigned int retries = 0;
	struct rb_node *node;
	int ret;

	lockdep_assert_held(&t->lock);

	*unmapped = 0;
	if (type1_unmap_cuts(t, iova, size, all))
		return -EINVAL;

	node = type1_first_from(t, iova);
	while (node) {
		dma = rb_entry(node, struct type1_dma, node);
		if (dma->iova > iova + size - 1)
			break;
		if (!t->v2 && dma->iova < iova)
			break;
		if (type1_dma_has_pins(dma)) {
			/* A device that keeps pinning is broken: stop. */
			retries = dma == asked ? retries + 1 : 0;
			if (WARN_ON(retries > TYPE1_UNMAP_RETRIES))
				return -EBUSY;
			asked = dma;
			/* Drops and retakes the lock: restart from scratch. */
			type1_notify_unmap(t, dma);
			/*
			 * A mapping made meanwhile may reach across an end of
			 * the range.  It must not go whole: as 6.1 does, the
			 * unmap ends there, with what it removed so far.
			 */
			if (type1_unmap_cuts(t, iova, size, all))
				return 0;
			node = type1_first_from(t, iova);
			continue;
		}
		if (ubitmap) {
			ret = type1_dirty_report(t, dma, ubitmap, iova);
			if (ret)
				return ret;
		}
		node = rb_next(node);
		*unmapped += dma->size;
		type1_remove_dma(t, dma);
	}
	return 0;
}

/* Checks of UNMAP_DMA made without the lock, as 6.1 orders them. */
static int type1_unmap_args(void __user *arg,
			    struct vfio_iommu_type1_dma_unmap *unmap,
			    struct vfio_bitmap *bm)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	u32 known = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
		    VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR;

	if (copy_from_user(unmap, arg, minsz))
		return -EFAULT;
	if (unmap->argsz < minsz || unmap->flags & ~known)
		return -EINVAL;
	if (!(unmap->flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP))
		return 0;
	/* The bitmap is relative to @iova and needs a real unmap. */
	if (unmap->flags & (VFIO_DMA_UNMAP_FLAG_ALL |
			    VFIO_DMA_UNMAP_FLAG_VADDR) ||
	    unmap->argsz < minsz + sizeof(*bm))
		return -EINVAL;
	if (copy_from_user(bm, arg + minsz, sizeof(*bm)))
		return -EFAULT;
	return type1_dirty_check_bitmap(bm, unmap->size);
}

/*
 * The range of an unmap: page aligned, or everything with ALL.  Returns
 * 0, -EINVAL, or -EOVERFLOW for one that wraps past the end of the IOVA
 * space.
 */
static int type1_unmap_range_check(struct type1 *t,
				   struct vfio_iommu_type1_dma_unmap *unmap)
{
	unsigned long pgsize = type1_min_pgsize(t);
	u64 last;

	lockdep_assert_held(&t->lock);

	if (unmap->flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (unmap->iova || unmap->size)
			return -EINVAL;
		unmap->size = U64_MAX;
		return 0;
	}
	if (!unmap->size || (unmap->iova | unmap->size) & (pgsize - 1) ||
	    unmap->size > SIZE_MAX)
		return -EINVAL;
	if (check_add_overflow(unmap->iova, unmap->size - 1, &last))
		return -EOVERFLOW;
	return 0;
}

/**
 * type1_unmap_dma - VFIO_IOMMU_UNMAP_DMA
 * @t: the instance
 * @arg: user pointer to a struct vfio_iommu_type1_dma_unmap
 *
 * Writes back the number of bytes unmapped, on success only (as 6.1).
 * With GET_DIRTY_BITMAP, the dirty pages of what is unmapped go to the
 * user's bitmap first.  With VADDR, the mappings stay and only their user
 * addresses are invalidated (type1_invalidate_vaddr()).
 *
 * Return: 0 or a negative errno.
 */
long type1_unmap_dma(struct type1 *t, void __user *arg)
{
	struct vfio_iommu_type1_dma_unmap __user *uarg = arg;
	struct vfio_iommu_type1_dma_unmap unmap;
	struct vfio_bitmap bm = {};
	u64 __user *ubitmap = NULL;
	u64 unmapped = 0;
	int ret;

	ret = type1_unmap_args(arg, &unmap, &bm);
	if (ret)
		return ret;

	mutex_lock(&t->notify_lock);
	mutex_lock(&t->lock);
	ret = -EBUSY;
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_VADDR && !list_empty(&t->emulated))
		goto out_unlock;
	ret = type1_unmap_range_check(t, &unmap);
	if (ret)
		goto out_unlock;
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_VADDR) {
		ret = type1_invalidate_vaddr(t, unmap.iova, unmap.size,
					     unmap.flags &
					     VFIO_DMA_UNMAP_FLAG_ALL,
					     &unmapped);
		goto out_unlock;
	}
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) {
		ret = -EINVAL;
		if (!type1_dirty_pgsize_ok(t, &bm))
			goto out_unlock;
		ubitmap = u64_to_user_ptr((u64)(uintptr_t)bm.data);
	}
	ret = type1_do_unmap(t, unmap.iova, unmap.size,
			     unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL, ubitmap,
			     &unmapped);
out_unlock:
	mutex_unlock(&t->lock);
	mutex_unlock(&t->notify_lock);

	if (ret)
		return ret;
	return put_user(unmapped, &uarg->size) ? -EFAULT : 0;
}
