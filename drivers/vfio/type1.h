/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private declarations of vfio_iommu_type1.ko.
 *
 * A container's type1 instance keeps the user's DMA mappings in an rbtree
 * keyed by IOVA.  When the container has real IOMMU domains, every page of
 * a mapping is pinned at MAP_DMA and mapped into each domain, in runs of
 * physically contiguous pages so the IOMMU can use its large pages.  When it
 * has only emulated-IOMMU groups, nothing is pinned at MAP_DMA: devices pin
 * what they use with vfio_pin_pages(), page by page.
 */
#ifndef __VFIO_TYPE1_H
#define __VFIO_TYPE1_H

#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/lockdep.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/xarray.h>

struct vfio_bitmap;
struct vfio_device;
struct vfio_info_cap;

/**
 * enum type1_hold - how the frames of a run are held
 * @TYPE1_HOLD_PAGES: each page pinned once
 * @TYPE1_HOLD_FOLIOS: one pin on each folio the run touches: hugetlb
 *                     memory (type1_hugetlb.c)
 * @TYPE1_HOLD_NONE: neither pinned nor charged: VM_PFNMAP memory
 *                   (type1_pfnmap.c) or the zero page
 */
enum type1_hold {
	TYPE1_HOLD_PAGES,
	TYPE1_HOLD_FOLIOS,
	TYPE1_HOLD_NONE,
};

/**
 * struct type1_run - physically contiguous frames held for the domains
 * @pfn: its first page frame
 * @npages: its length in pages
 * @hold: how its frames are held, an enum type1_hold
 *
 * A run does not record its IOVA: the runs of a mapping follow each
 * other without gaps from the mapping's first IOVA on.
 */
struct type1_run {
	unsigned long pfn;
	u32 npages;
	u32 hold;
};

/* Longest run: its length fits @npages and one scatterlist entry. */
#define TYPE1_RUN_MAX_PAGES	(UINT_MAX >> PAGE_SHIFT)

/**
 * struct type1_run_chunk - runs of a mapping, in IOVA order
 * @node: entry in type1_dma.chunks
 * @nr: runs used in @runs
 * @max: runs @runs has room for
 * @runs: the runs
 *
 * A mapping of scattered memory has as many runs as pages: millions for
 * a large guest.  They are kept in chunks of at most a page each, so no
 * allocation grows with the mapping, and each is charged to the memory
 * cgroup of whoever pinned the frames.
 */
struct type1_run_chunk {
	struct list_head node;
	unsigned int nr;
	unsigned int max;
	struct type1_run runs[];
};

/**
 * struct type1_dma - one MAP_DMA
 * @node: entry in type1.dmas, by @iova
 * @iova: first IOVA
 * @size: bytes
 * @vaddr: user address of the memory
 * @prot: IOMMU_READ and/or IOMMU_WRITE
 * @mm: the address space of @vaddr (mmgrab()ed); accounting goes to it
 * @owner: the thread group leader that mapped @vaddr (a reference is
 *         held): its RLIMIT_MEMLOCK bounds the charges, whoever pins
 * @lock_cap: @owner had CAP_IPC_LOCK when it mapped: the charges ignore
 *            the limit, as they did in 6.1
 * @chunks: what is pinned for the IOMMU domains, struct type1_run_chunk;
 *          empty without domains
 * @nr_runs: runs in @chunks
 * @pins: pages pinned for emulated-IOMMU devices: page index within the
 *        mapping -> struct page (see type1_emulated.c); they carry the
 *        charge of their pages while @runs does not exist
 * @pin_extra: pins of those pages beyond the first, as value entries
 * @bitmap: while the instance tracks dirty pages, one bit per
 *          1 << type1.dirty_shift bytes: known dirty since the last report
 * @vaddr_invalid: @vaddr was invalidated (VFIO_DMA_UNMAP_FLAG_VADDR) and
 *                 not given anew yet; the IOMMU mappings and pins stay
 */
struct type1_dma {
	struct rb_node node;
	dma_addr_t iova;
	size_t size;
	unsigned long vaddr;
	int prot;
	struct mm_struct *mm;
	struct task_struct *owner;
	bool lock_cap;
	struct list_head chunks;
	unsigned long nr_runs;
	struct xarray pins;
	struct xarray pin_extra;
	unsigned long *bitmap;
	bool vaddr_invalid;
};

/**
 * struct type1_domain - an IOMMU domain and the groups attached to it
 * @domain: the IOMMU domain
 * @bus: the bus it was allocated for, which names its IOMMU driver
 * @groups: its groups, as struct type1_group
 * @node: entry in type1.domains
 * @coherent: the domain enforces cache coherency (VFIO_DMA_CC_IOMMU)
 */
struct type1_domain {
	struct iommu_domain *domain;
	struct bus_type *bus;
	struct list_head groups;
	struct list_head node;
	bool coherent;
};

/**
 * struct type1_group - a group the instance serves
 * @group: the IOMMU group
 * @node: entry in its domain's list, or in type1.emulated
 */
struct type1_group {
	struct iommu_group *group;
	struct list_head node;
};

/**
 * struct type1 - the instance behind one container
 * @notify_lock: serialises unmaps with changes of @devices, so devices can
 *               be called with @lock dropped (they unpin from the call);
 *               taken outside @lock
 * @lock: protects everything below
 * @dmas: the mappings, struct type1_dma by IOVA
 * @domains: IOMMU domains, struct type1_domain
 * @emulated: emulated-IOMMU groups, struct type1_group
 * @devices: open devices with a dma_unmap callback
 * @ranges: usable IOVA ranges (struct type1_range), empty: no limit
 * @pgsize_bitmap: page sizes every domain supports
 * @dma_avail: mappings still allowed (dma_entry_limit)
 * @v2: VFIO_TYPE1v2_IOMMU semantics (unmaps never split a mapping)
 * @nesting: VFIO_TYPE1_NESTING_IOMMU was asked for
 * @dirty_tracking: VFIO_IOMMU_DIRTY_PAGES_FLAG_START is in force; every
 *                  mapping has a bitmap
 * @dirty_shift: log2 of the bytes one bit of those bitmaps stands for
 * @vaddr_invalid_count: mappings with vaddr_invalid set; while non-zero no
 *                       group may attach, and no device may pin or copy
 */
struct type1 {
	struct mutex notify_lock;	/* see the kernel-doc above */
	struct mutex lock;		/* see the kernel-doc above */
	struct rb_root dmas;
	struct list_head domains;
	struct list_head emulated;
	struct list_head devices;
	struct list_head ranges;
	unsigned long pgsize_bitmap;
	unsigned int dma_avail;
	bool v2;
	bool nesting;
	bool dirty_tracking;
	unsigned int dirty_shift;
	unsigned int vaddr_invalid_count;
};

/**
 * struct type1_range - an inclusive range of usable IOVAs
 * @start: first IOVA
 * @last: last IOVA
 * @node: entry in type1.ranges, in increasing order
 */
struct type1_range {
	dma_addr_t start;
	dma_addr_t last;
	struct list_head node;
};

extern bool type1_allow_unsafe_interrupts;
extern bool type1_disable_hugepages;
extern unsigned int type1_dma_entry_limit;

/* type1_dma.c */
struct type1_dma *type1_find_dma(struct type1 *t, dma_addr_t start,
				 size_t size);
struct rb_node *type1_first_from(struct type1 *t, dma_addr_t start);
bool type1_covers_whole(struct type1 *t, dma_addr_t iova, u64 size);
long type1_map_dma(struct type1 *t, void __user *arg);
long type1_unmap_dma(struct type1 *t, void __user *arg);
int type1_dma_pin_all(struct type1_dma *dma);
int type1_dma_map_domain(struct type1_dma *dma, struct type1_domain *d);
void type1_dma_unmap_domain(struct type1_dma *dma, struct type1_domain *d);
void type1_dma_unpin_runs(struct type1_dma *dma);
void type1_remove_dma(struct type1 *t, struct type1_dma *dma);
int type1_account(struct type1_dma *dma, long npages);
void type1_dma_set_owner(struct type1_dma *dma);
void type1_dma_put_owner(struct type1_dma *dma);
int type1_move_charge(struct type1_dma *dma, long npages);
long type1_dma_charged(struct type1_dma *dma);
int type1_add_run(struct type1_dma *dma, unsigned long pfn,
		  unsigned long npages, enum type1_hold hold);

/* type1_hugetlb.c */
bool type1_hugetlb_may_help(struct type1_dma *dma);
long type1_hugetlb_pin(struct type1_dma *dma, unsigned long idx,
		       struct page **pages, unsigned long max,
		       unsigned long *plain);
void type1_hugetlb_unpin(struct type1_run *run, bool dirty);

/* type1_pfnmap.c */
int type1_pfnmap_lookup(struct mm_struct *mm, unsigned long vaddr,
			bool write, unsigned long *pfn);
long type1_pfnmap_take(struct type1_dma *dma, unsigned long idx,
		       unsigned long max);

/* type1_dirty.c */
long type1_dirty_pages(struct type1 *t, void __user *arg);
int type1_dirty_add_cap(struct type1 *t, struct vfio_info_cap *caps);
int type1_dirty_alloc(struct type1 *t, struct type1_dma *dma);
void type1_dirty_free(struct type1_dma *dma);
void type1_dirty_mark(struct type1 *t, struct type1_dma *dma, dma_addr_t iova,
		      size_t len);
void type1_dirty_mark_all(struct type1 *t);
int type1_dirty_report(struct type1 *t, struct type1_dma *dma,
		       u64 __user *ubitmap, dma_addr_t base);
int type1_dirty_check_bitmap(struct vfio_bitmap *bm, u64 size);
bool type1_dirty_pgsize_ok(struct type1 *t, struct vfio_bitmap *bm);

/* type1_vaddr.c */
bool type1_vaddr_supported(struct type1 *t);
void type1_vaddr_forget(struct type1 *t, struct type1_dma *dma);
int type1_invalidate_vaddr(struct type1 *t, dma_addr_t iova, u64 size,
			   bool all, u64 *done);
int type1_restore_vaddr(struct type1 *t, dma_addr_t iova, u64 size,
			unsigned long vaddr);

/* type1_domain.c */
int type1_attach_iommu_group(struct type1 *t, struct iommu_group *group);
void type1_detach_iommu_group(struct type1 *t, struct iommu_group *group);
/*
 * The smallest page every domain maps: the unit of MAP_DMA alignment and
 * of dirty bitmaps.  t->pgsize_bitmap is never empty.
 */
static inline u64 type1_min_pgsize(const struct type1 *t)
{
	return 1ULL << __ffs(t->pgsize_bitmap);
}

bool type1_iova_usable(struct type1 *t, dma_addr_t start, dma_addr_t last);
void type1_report_unusable(struct type1 *t, dma_addr_t start, dma_addr_t last);
void type1_free_ranges(struct type1 *t);

/* type1_emulated.c */
int type1_pin_pages(void *data, struct iommu_group *group, dma_addr_t iova,
		    int npage, int prot, struct page **pages);
void type1_unpin_pages(void *data, dma_addr_t iova, int npage);
int type1_dma_rw(void *data, dma_addr_t iova, void *buf, size_t count,
		 bool write);
void type1_register_device(void *data, struct vfio_device *vdev);
void type1_unregister_device(void *data, struct vfio_device *vdev);
void type1_unpin_all_emulated(struct type1_dma *dma);
bool type1_dma_has_pins(struct type1_dma *dma);
unsigned long type1_pins_charged(struct type1_dma *dma);
unsigned long type1_pins_give_charge(struct type1_dma *dma);
unsigned long type1_pins_take_charge(struct type1_dma *dma);
void type1_notify_unmap(struct type1 *t, struct type1_dma *dma);

/*
 * mmap_assert_locked() would do, but with CONFIG_DEBUG_VM it calls
 * dump_mm(), which 6.1 does not export to modules: we could not be built
 * against a debug kernel.  Lockdep checks what matters.
 */
static inline void type1_assert_mmap_locked(struct mm_struct *mm)
{
	lockdep_assert_held(&mm->mmap_lock);
}

#endif /* __VFIO_TYPE1_H */
