// SPDX-License-Identifier: GPL-2.0-only
/*
 * type1: the IOMMU domains of a container and the IOVA ranges they allow.
 *
 * A group joins a domain it is compatible with (attaching succeeds) or a
 * new one, into which every existing mapping is replayed.  Reserved
 * regions of the groups (MSI windows, RMRRs) are cut out of the usable
 * IOVA space so MAP_DMA can refuse addresses devices cannot reach.
 */
#include <linux/iommu.h>
#include <linux/irqdomain.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>

#include "type1.h"

static int type1_add_range(struct list_head *head, dma_addr_t start,
			   dma_addr_t last)
{
	struct type1_range *r = kzalloc(sizeof(*r), GFP_KERNEL);

	if (!r)
		return -ENOMEM;
	r->start = start;
	r->last = last;
	list_add_tail(&r->node, head);
	return 0;
}

static void type1_free_range_list(struct list_head *head)
{
	struct type1_range *r, *tmp;

	list_for_each_entry_safe(r, tmp, head, node) {
		list_del(&r->node);
		kfree(r);
	}
}

/**
 * type1_free_ranges - forget the usable IOVA ranges
 * @t: the instance, locked or being destroyed
 */
void type1_free_ranges(struct type1 *t)
{
	type1_free_range_list(&t->ranges);
}

/* Remove [start, last] from the sorted list of ranges. */
static int type1_exclude(struct list_head *head, dma_addr_t start,
			 dma_addr_t last)
{
	struct type1_range *r, *tmp;

	list_for_each_entry_safe(r, tmp, head, node) {
		if (last < r->start || start > r->last)
			continue;
		if (start > r->start && last < r->last) {
			/* A hole in the middle: split. */
			struct type1_range *tail = kzalloc(sizeof(*tail),
							   GFP_KERNEL);

			if (!tail)
				return -ENOMEM;
			tail->start = last + 1;
			tail->last = r->last;
			r->last = start - 1;
			list_add(&tail->node, &r->node);
			return 0;
		}
		if (start <= r->start && last >= r->last) {
			list_del(&r->node);
			kfree(r);
		} else if (start <= r->start) {
			r->start = last + 1;
		} else {
			r->last = start - 1;
		}
	}
	return 0;
}

/*
 * The usable ranges with @group added: the new domain's aperture
 * intersected with what is usable already, minus the group's reserved
 * regions.  Computed aside so a failure changes nothing.
 */
static int type1_ranges_with(struct type1 *t, struct iommu_domain *domain,
			     struct iommu_group *group, struct list_head *out)
{
	dma_addr_t ap_start = domain->geometry.aperture_start;
	dma_addr_t ap_end = domain->geometry.aperture_end;
	struct iommu_resv_region *resv, *tmp;
	struct type1_range *r;
	LIST_HEAD(resv_list);
	int ret = 0;

	if (list_empty(&t->ranges)) {
		ret = type1_add_range(out, ap_start, ap_end);
	} else {
		list_for_each_entry(r, &t->ranges, node) {
			dma_addr_t s = max(r->start, ap_start);
			dma_addr_t l = min(r->last, ap_end);

			if (s <= l)
				ret = type1_add_range(out, s, l);
			if (ret)
				break;
		}
	}

	iommu_get_group_resv_regions(group, &resv_list);
	list_for_each_entry(resv, &resv_list, list) {
		/* Relaxable direct maps may be overridden by userspace. */
		if (ret || resv->type == IOMMU_RESV_DIRECT_RELAXABLE)
			continue;
		ret = type1_exclude(out, resv->start,
				    resv->start + resv->length - 1);
	}
	list_for_each_entry_safe(resv, tmp, &resv_list, list)
		kfree(resv);
	if (!ret && list_empty(out))
		ret = -EINVAL;	/* nothing left that devices could reach */
	return ret;
}

/**
 * type1_iova_usable - whether devices of every domain can reach a range
 * @t: the instance, locked
 * @start: first IOVA
 * @last: last IOVA
 *
 * Return: true if [@start, @last] lies within one usable range.
 */
bool type1_iova_usable(struct type1 *t, dma_addr_t start, dma_addr_t last)
{
	struct type1_range *r;

	lockdep_assert_held(&t->lock);

	if (list_empty(&t->ranges))
		return true;
	list_for_each_entry(r, &t->ranges, node)
		if (start >= r->start && last <= r->last)
			return true;
	return false;
}

/**
 * type1_report_unusable - say why a MAP_DMA was refused with EINVAL
 * @t: the instance, locked
 * @start: first IOVA asked for
 * @last: last IOVA asked for
 *
 * The errno cannot tell a misaligned request from one the IOMMU cannot
 * reach: one ratelimited line names the ranges the devices can reach
 * (the first few), as VFIO_IOMMU_GET_INFO would have told.
 */
void type1_report_unusable(struct type1 *t, dma_addr_t start, dma_addr_t last)
{
	static DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL,
				      DEFAULT_RATELIMIT_BURST);
	struct type1_range *r;
	char ranges[160];
	int len = 0, n = 0;

	lockdep_assert_held(&t->lock);

	if (!__ratelimit(&rs))
		return;
	ranges[0] = '\0';
	list_for_each_entry(r, &t->ranges, node) {
		if (++n > 4) {
			len += scnprintf(ranges + len, sizeof(ranges) - len,
					 " ...");
			break;
		}
		len += scnprintf(ranges + len, sizeof(ranges) - len,
				 " [%pad-%pad]", &r->start, &r->last);
	}
	pr_warn("vfio_iommu_type1: %s[%d]: MAP_DMA of [%pad-%pad] is outside the IOVA ranges the devices can reach:%s\n",
		current->comm, task_pid_nr(current), &start, &last, ranges);
}

static int type1_dev_remaps_irqs(struct device *dev, void *unused)
{
	return device_iommu_capable(dev, IOMMU_CAP_INTR_REMAP);
}

/*
 * Without interrupt remapping, a device could forge MSI writes and raise
 * any interrupt of the host.
 */
static int type1_check_msi_isolation(struct iommu_group *group)
{
	if (irq_domain_check_msi_remap() ||
	    iommu_group_for_each_dev(group, NULL, type1_dev_remaps_irqs))
		return 0;
	if (type1_allow_unsafe_interrupts)
		return 0;
	/* Any group owner can ask again and again: keep the log readable. */
	pr_warn_ratelimited("vfio_iommu_type1: no interrupt remapping for group %d; load vfio_iommu_type1 with allow_unsafe_interrupts=1 to accept the risk\n",
			    iommu_group_id(group));
	return -EPERM;
}

/*
 * The bus of a device of the group.  Only the bus, which outlives every
 * device on it: once the walk has dropped the group's lock, the device
 * itself may be hot-removed and freed.
 */
static int type1_group_bus(struct device *dev, void *data)
{
	*(struct bus_type **)data = dev->bus;
	return 1;
}

/*
 * Every mapping into a fresh domain; undone completely on failure.  The
 * first domain pins the mappings, made while only emulated groups were
 * there (or none): the others find them pinned.
 */
static int type1_replay(struct type1 *t, struct type1_domain *d)
{
	bool pin = list_empty(&t->domains);
	struct rb_node *node, *failed;
	struct type1_dma *dma;
	int ret;

	for (node = rb_first(&t->dmas); node; node = rb_next(node)) {
		dma = rb_entry(node, struct type1_dma, node);
		ret = pin ? type1_dma_pin_all(dma) : 0;
		if (ret)
			goto err_undo;
		ret = type1_dma_map_domain(dma, d);
		if (ret)
			goto err_unpin;
	}
	return 0;

err_unpin:
	if (pin)
		type1_dma_unpin_runs(dma);
err_undo:
	failed = node;
	for (node = rb_first(&t->dmas); node != failed; node = rb_next(node)) {
		dma = rb_entry(node, struct type1_dma, node);
		type1_dma_unmap_domain(dma, d);
		if (pin)
			type1_dma_unpin_runs(dma);
	}
	return ret;
}

/*
 * Where the IOMMU also translates the devices' MSI writes (a software MSI
 * window, IOMMU_RESV_SW_MSI: arm64's SMMU with a GIC ITS, say), the DMA
 * layer maps the interrupt doorbells into that window on demand, once the
 * domain has a cookie for it; without one every MSI faults.  A hardware
 * MSI window (IOMMU_RESV_MSI) bypasses translation and needs nothing.
 * IOMMUs without the DMA layer answer -ENODEV: nothing to set up.
 */
static int type1_msi_window(struct iommu_domain *domain,
			    struct iommu_group *group)
{
	struct iommu_resv_region *resv, *tmp;
	bool sw_msi = false, hw_msi = false;
	dma_addr_t base = 0;
	LIST_HEAD(resv_list);
	int ret;

	iommu_get_group_resv_regions(group, &resv_list);
	list_for_each_entry_safe(resv, tmp, &resv_list, list) {
		if (resv->type == IOMMU_RESV_MSI)
			hw_msi = true;
		if (resv->type == IOMMU_RESV_SW_MSI) {
			sw_msi = true;
			base = resv->start;
		}
		kfree(resv);
	}
	if (!sw_msi || hw_msi)
		return 0;
	ret = iommu_get_msi_cookie(domain, base);
	return ret == -ENODEV ? 0 : ret;
}

static struct type1_domain *type1_new_domain(struct type1 *t,
					     struct iommu_group *group)
{
	struct type1_domain *d;
	struct bus_type *bus = NULL;
	int ret;

	iommu_group_for_each_dev(group, &bus, type1_group_bus);
	if (!bus)
		return ERR_PTR(-ENODEV);

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&d->groups);
	d->bus = bus;
	d->domain = iommu_domain_alloc(bus);
	if (!d->domain) {
		ret = -EIO;
		goto err_free;
	}
	if (t->nesting) {
		ret = iommu_enable_nesting(d->domain);
		if (ret)
			goto err_domain;
	}
	ret = iommu_attach_group(d->domain, group);
	if (ret)
		goto err_domain;
	d->coherent = d->domain->ops->enforce_cache_coherency &&
		      d->domain->ops->enforce_cache_coherency(d->domain);
	ret = type1_msi_window(d->domain, group);
	if (ret)
		goto err_detach;
	ret = type1_replay(t, d);
	if (ret)
		goto err_detach;
	return d;

err_detach:
	iommu_detach_group(d->domain, group);
err_domain:
	iommu_domain_free(d->domain);
err_free:
	kfree(d);
	return ERR_PTR(ret);
}

/*
 * The page sizes userspace may map with: those every domain has, in
 * units of at least a CPU page, since pinning works in CPU pages.  An
 * IOMMU with pages smaller than the CPU's (4 KiB under 64 KiB pages)
 * maps a CPU page as several of its own: PAGE_SIZE stands for them.
 */
static unsigned long type1_domain_pgsizes(struct type1 *t)
{
	unsigned long sizes = ULONG_MAX;
	struct type1_domain *d;

	list_for_each_entry(d, &t->domains, node)
		sizes &= d->domain->pgsize_bitmap;
	if (sizes & ~PAGE_MASK)
		sizes = (sizes & PAGE_MASK) | PAGE_SIZE;
	return sizes;
}

/*
 * A group left while others stay: what they allow may be more than what
 * the one that left allowed, so the usable IOVA ranges and page sizes are
 * worked out again from the groups that stay.  Should that fail (memory),
 * the old ranges stay: narrower than need be, never wrong.
 */
static void type1_limits_of_remaining(struct type1 *t)
{
	struct type1_domain *d;
	struct type1_group *g;
	LIST_HEAD(narrow);
	LIST_HEAD(ranges);
	int ret = 0;

	t->pgsize_bitmap = type1_domain_pgsizes(t);
	list_splice_init(&t->ranges, &narrow);
	list_for_each_entry(d, &t->domains, node) {
		list_for_each_entry(g, &d->groups, node) {
			ret = type1_ranges_with(t, d->domain, g->group,
						&ranges);
			if (ret)
				goto out;
			type1_free_ranges(t);
			list_splice_init(&ranges, &t->ranges);
		}
	}
out:
	if (ret) {
		type1_free_range_list(&ranges);
		type1_free_ranges(t);
		list_splice(&narrow, &t->ranges);
	} else {
		type1_free_range_list(&narrow);
	}
}

/* Whether every mapping lies inside one of @ranges. */
static bool type1_mappings_fit(struct type1 *t, struct list_head *ranges)
{
	struct type1_range *r;
	struct rb_node *n;

	for (n = rb_first(&t->dmas); n; n = rb_next(n)) {
		struct type1_dma *dma = rb_entry(n, struct type1_dma, node);
		bool inside = false;

		list_for_each_entry(r, ranges, node)
			if (dma->iova >= r->start &&
			    dma->iova + dma->size - 1 <= r->last)
				inside = true;
		if (!inside)
			return false;
	}
	return true;
}

/*
 * The last domain went: release what was pinned for the domains, since
 * emulated devices pin what they use themselves, and lift the limits
 * the domains set.
 */
static void type1_domains_gone(struct type1 *t)
{
	struct rb_node *n;

	for (n = rb_first(&t->dmas); n; n = rb_next(n))
		type1_dma_unpin_runs(rb_entry(n, struct type1_dma, node));
	type1_free_ranges(t);
	t->pgsize_bitmap = PAGE_MASK;
}

/* Empty a domain that lost its last group, and free it. */
static void type1_free_domain(struct type1 *t, struct type1_domain *d)
{
	struct rb_node *n;

	for (n = rb_first(&t->dmas); n; n = rb_next(n))
		type1_dma_unmap_domain(rb_entry(n, struct type1_dma, node), d);
	list_del(&d->node);
	iommu_domain_free(d->domain);
	kfree(d);
}

/**
 * type1_attach_iommu_group - give a real IOMMU group a domain
 * @t: the instance, locked
 * @group: the group
 *
 * Return: 0 or a negative errno, with nothing changed.
 */
int type1_attach_iommu_group(struct type1 *t, struct iommu_group *group)
{
	struct bus_type *bus = NULL;
	struct type1_domain *d;
	struct type1_group *g;
	LIST_HEAD(ranges);
	int ret;

	lockdep_assert_held(&t->lock);

	ret = type1_check_msi_isolation(group);
	if (ret)
		return ret;
	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		return -ENOMEM;
	g->group = group;

	/*
	 * Share a domain when the group fits in one.  Only a domain of the
	 * group's own IOMMU driver may be tried: in 6.1 the driver is the
	 * bus's, and the IOMMU core hands any domain to its driver's
	 * attach_dev() whatever device it is given.
	 */
	iommu_group_for_each_dev(group, &bus, type1_group_bus);
	list_for_each_entry(d, &t->domains, node) {
		if (d->bus == bus && !iommu_attach_group(d->domain, group))
			goto attached;
	}
	d = type1_new_domain(t, group);
	if (IS_ERR(d)) {
		ret = PTR_ERR(d);
		goto err_free_group;
	}
	list_add_tail(&d->node, &t->domains);
attached:
	ret = type1_ranges_with(t, d->domain, group, &ranges);
	if (!ret && !type1_mappings_fit(t, &ranges))
		ret = -EINVAL;	/* existing mappings would become unreachable */
	if (ret)
		goto err_detach;
	type1_free_ranges(t);
	list_splice_init(&ranges, &t->ranges);
	list_add_tail(&g->node, &d->groups);
	t->pgsize_bitmap = type1_domain_pgsizes(t);
	return 0;

err_detach:
	type1_free_range_list(&ranges);
	iommu_detach_group(d->domain, group);
	if (list_empty(&d->groups)) {
		type1_free_domain(t, d);
		/* It was the first: the mappings were pinned for it. */
		if (list_empty(&t->domains))
			type1_domains_gone(t);
	}
err_free_group:
	kfree(g);
	return ret;
}

/**
 * type1_detach_iommu_group - take a group out of its domain
 * @t: the instance, locked
 * @group: the group
 *
 * A domain left without groups is emptied and freed.  When the last
 * domain goes while emulated groups stay, pins made for the domains are
 * released: emulated devices pin what they use themselves, and their
 * pins carry the charge of what they hold again.
 */
void type1_detach_iommu_group(struct type1 *t, struct iommu_group *group)
{
	struct type1_domain *d, *dtmp;
	struct type1_group *g;

	lockdep_assert_held(&t->lock);

	list_for_each_entry_safe(d, dtmp, &t->domains, node) {
		list_for_each_entry(g, &d->groups, node) {
			if (g->group != group)
				continue;
			iommu_detach_group(d->domain, group);
			list_del(&g->node);
			kfree(g);
			if (list_empty(&d->groups))
				type1_free_domain(t, d);
			goto detached;
		}
	}
	return;

detached:
	/* The group could write anywhere mapped: nothing says where it did. */
	type1_dirty_mark_all(t);
	if (list_empty(&t->domains))
		type1_domains_gone(t);
	else
		type1_limits_of_remaining(t);
}
