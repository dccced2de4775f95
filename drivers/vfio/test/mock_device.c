// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_mock: a VFIO device driver with no hardware, for the selftests.
 *
 * It registers devices on request and records what the VFIO core and the
 * IOMMU backend do to them, so that tests can check device sets, open
 * counting, KVM capture, unregistration and the dma_unmap protocol through
 * the real userspace interfaces.  vfio_mock_api.h describes how to use it.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/interval_tree.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/xarray.h>

#include "vfio_mock_api.h"
#include "vfio_mock.h"

#define VFIO_MOCK_NAME		"vfio-mock"
#define VFIO_MOCK_MAX_ID	1023
#define VFIO_MOCK_MAX_SETS	64
#define VFIO_MOCK_RW_MAX	SZ_1M

#define VFIO_MOCK_NEEDS_KVM	BIT(0)
#define VFIO_MOCK_DMA_UNMAP	BIT(1)
#define VFIO_MOCK_DMA_LOG	BIT(2)
#define VFIO_MOCK_KVM_LOCK	BIT(3)

/* The mock reports every third page of its logged ranges as dirty. */
#define VFIO_MOCK_DIRTY_STRIDE	3

/* An IOVA range logging was started for. */
struct vfio_mock_log_range {
	unsigned long start;
	unsigned long last;
};

/* What "create" asked for, handed to probe as platform data. */
struct vfio_mock_config {
	unsigned int set;
	unsigned int flags;
};

/**
 * struct vfio_mock - one mock device
 * @vdev: the VFIO device
 * @flags: VFIO_MOCK_NEEDS_KVM, VFIO_MOCK_DMA_UNMAP, ...
 * @busy: the open/close "in progress" counter this device shares with its
 *        set, to detect callbacks the set lock failed to serialise
 * @own_busy: @busy for a device that has a set of its own
 * @debugfs: the device's debugfs directory
 * @lock: protects @pins and the counters below
 * @pins: IOVA page frame number -> pinned page
 * @opens: open_device calls
 * @closes: close_device calls
 * @set_open_count: vfio_device_set_open_count() at the last open/close
 * @requests: request callback calls
 * @unmaps: dma_unmap callback calls
 * @unmap_iova: IOVA of the last dma_unmap call
 * @unmap_length: length of the last dma_unmap call
 * @overlap: set once two callbacks of the set ran at the same time
 * @log_ranges: the ranges of the current dirty logging, or NULL
 * @log_nranges: number of @log_ranges
 * @log_pgshift: log2 of the logging page size
 * @log_starts: log_start calls that succeeded
 * @log_reports: log_read_and_clear calls
 */
struct vfio_mock {
	struct vfio_device vdev;
	unsigned int flags;
	atomic_t *busy;
	atomic_t own_busy;
	struct dentry *debugfs;

	struct mutex lock;	/* see the kernel-doc above */
	struct xarray pins;
	unsigned int opens;
	unsigned int closes;
	unsigned int set_open_count;
	unsigned int requests;
	unsigned int unmaps;
	u64 unmap_iova;
	u64 unmap_length;
	bool overlap;
	struct vfio_mock_log_range *log_ranges;
	u32 log_nranges;
	unsigned int log_pgshift;
	unsigned int log_starts;
	unsigned int log_reports;
};

static struct dentry *vfio_mock_debugfs;
static struct dentry *vfio_mock_create_file;
static struct dentry *vfio_mock_destroy_file;

/* Device set keys: the address of an element stands for set N. */
static u8 vfio_mock_set_keys[VFIO_MOCK_MAX_SETS];
static atomic_t vfio_mock_set_busy[VFIO_MOCK_MAX_SETS];

/* Platform devices made through "create", indexed by ID, under the lock. */
static DEFINE_MUTEX(vfio_mock_devices_lock);
static struct platform_device *vfio_mock_devices[VFIO_MOCK_MAX_ID + 1];

static struct vfio_mock *to_mock(struct vfio_device *vdev)
{
	return container_of(vdev, struct vfio_mock, vdev);
}

/*
 * Mark an open/close callback as running for the whole set.  The sleep
 * widens the window in which a second callback of the same set would be
 * caught if the core did not serialise them.
 */
static void vfio_mock_enter_callback(struct vfio_mock *mock)
{
	if (atomic_inc_return(mock->busy) > 1) {
		mutex_lock(&mock->lock);
		mock->overlap = true;
		mutex_unlock(&mock->lock);
	}
	msleep(20);
}

static void vfio_mock_leave_callback(struct vfio_mock *mock)
{
	atomic_dec(mock->busy);
}

/* Unpin what the mock holds in [first, last] (page frame numbers). */
static void vfio_mock_unpin_range(struct vfio_mock *mock, unsigned long first,
				  unsigned long last)
{
	unsigned long index;
	struct page *page;

	lockdep_assert_held(&mock->lock);

	xa_for_each_range(&mock->pins, index, page, first, last) {
		xa_erase(&mock->pins, index);
		vfio_unpin_pages(&mock->vdev, (dma_addr_t)index << PAGE_SHIFT,
				 1);
	}
}

/*
 * vfio-ap and s390 zPCI register with their VM at open and unregister at
 * close under kvm->lock: "kvmlock" devices take it there too, so that the
 * tests see the core's locks nest with it as they do for those drivers.
 */
static void vfio_mock_touch_kvm(struct vfio_mock *mock)
{
	struct kvm *kvm = mock->vdev.kvm;

	if (!(mock->flags & VFIO_MOCK_KVM_LOCK) || !kvm)
		return;
	mutex_lock(&kvm->lock);
	mutex_unlock(&kvm->lock);
}

static int vfio_mock_open_device(struct vfio_device *vdev)
{
	struct vfio_mock *mock = to_mock(vdev);
	int ret = 0;

	vfio_mock_touch_kvm(mock);
	vfio_mock_enter_callback(mock);
	mutex_lock(&mock->lock);
	mock->opens++;
	mock->set_open_count = vfio_device_set_open_count(vdev->dev_set);
	if ((mock->flags & VFIO_MOCK_NEEDS_KVM) && !vdev->kvm) {
		dev_info_ratelimited(vdev->dev,
				     "a KVM is required to open this device\n");
		ret = -EPERM;
	}
	mutex_unlock(&mock->lock);
	vfio_mock_leave_callback(mock);
	return ret;
}

static void vfio_mock_close_device(struct vfio_device *vdev)
{
	struct vfio_mock *mock = to_mock(vdev);

	vfio_mock_touch_kvm(mock);
	vfio_mock_enter_callback(mock);
	mutex_lock(&mock->lock);
	vfio_mock_unpin_range(mock, 0, ULONG_MAX);
	mock->closes++;
	mock->set_open_count = vfio_device_set_open_count(vdev->dev_set);
	mutex_unlock(&mock->lock);
	vfio_mock_leave_callback(mock);
}

static void vfio_mock_request(struct vfio_device *vdev, unsigned int count)
{
	struct vfio_mock *mock = to_mock(vdev);

	mutex_lock(&mock->lock);
	mock->requests++;
	mutex_unlock(&mock->lock);
}

static void vfio_mock_dma_unmap(struct vfio_device *vdev, u64 iova,
				u64 length)
{
	struct vfio_mock *mock = to_mock(vdev);

	mutex_lock(&mock->lock);
	mock->unmaps++;
	mock->unmap_iova = iova;
	mock->unmap_length = length;
	if (length)
		vfio_mock_unpin_range(mock, iova >> PAGE_SHIFT,
				      (iova + length - 1) >> PAGE_SHIFT);
	mutex_unlock(&mock->lock);
}

static bool vfio_mock_range_is_pinned(struct vfio_mock *mock,
				      unsigned long first, unsigned long last)
{
	unsigned long index;
	struct page *page;

	xa_for_each_range(&mock->pins, index, page, first, last)
		return true;
	return false;
}

/* Pin one batch of at most VFIO_PIN_PAGES_MAX_ENTRIES pages. */
static int vfio_mock_pin_batch(struct vfio_mock *mock, dma_addr_t iova,
			       int npage, int prot, struct page **pages)
{
	unsigned long pfn = iova >> PAGE_SHIFT;
	int ret, i;

	ret = vfio_pin_pages(&mock->vdev, iova, npage, prot, pages);
	if (ret < 0)
		return ret;
	if (WARN_ON(ret != npage)) {
		if (ret > 0)
			vfio_unpin_pages(&mock->vdev, iova, ret);
		return -EFAULT;
	}

	for (i = 0; i < npage; i++) {
		ret = xa_err(xa_store(&mock->pins, pfn + i, pages[i],
				      GFP_KERNEL));
		if (ret)
			goto err_unpin;
	}
	return npage;

err_unpin:
	/* With i == 0 and pfn == 0, pfn + i - 1 would be every pfn. */
	if (i)
		vfio_mock_unpin_range(mock, pfn, pfn + i - 1);
	vfio_unpin_pages(&mock->vdev, iova + ((dma_addr_t)i << PAGE_SHIFT),
			 npage - i);
	return ret;
}

static long vfio_mock_ioctl_pin(struct vfio_mock *mock, void __user *arg)
{
	unsigned long first, last, done = 0;
	struct vfio_mock_pin pin;
	struct page **pages;
	int prot = IOMMU_READ;
	long ret = 0;

	if (copy_from_user(&pin, arg, sizeof(pin)))
		return -EFAULT;
	if (pin.argsz < sizeof(pin) || pin.flags & ~VFIO_MOCK_PIN_WRITE ||
	    !pin.npages || !PAGE_ALIGNED(pin.iova) ||
	    pin.npages > (U64_MAX - pin.iova) >> PAGE_SHIFT)
		return -EINVAL;
	if (pin.flags & VFIO_MOCK_PIN_WRITE)
		prot |= IOMMU_WRITE;

	pages = kmalloc_array(VFIO_PIN_PAGES_MAX_ENTRIES, sizeof(*pages),
			      GFP_KERNEL);
	if (!pages)
		return -ENOMEM;

	first = pin.iova >> PAGE_SHIFT;
	last = first + pin.npages - 1;
	mutex_lock(&mock->lock);
	/* Each IOVA is pinned at most once by the mock, to keep UNPIN exact. */
	if (vfio_mock_range_is_pinned(mock, first, last)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	while (done < pin.npages) {
		int batch = min_t(u64, pin.npages - done,
				  VFIO_PIN_PAGES_MAX_ENTRIES);

		ret = vfio_mock_pin_batch(mock,
					  pin.iova + (done << PAGE_SHIFT),
					  batch, prot, pages);
		if (ret < 0) {
			if (done)
				vfio_mock_unpin_range(mock, first,
						      first + done - 1);
			goto out_unlock;
		}
		done += batch;
	}
	ret = done;
out_unlock:
	mutex_unlock(&mock->lock);
	kfree(pages);
	return ret;
}

static long vfio_mock_ioctl_unpin(struct vfio_mock *mock, void __user *arg)
{
	struct vfio_mock_pin pin;
	unsigned long first;

	if (copy_from_user(&pin, arg, sizeof(pin)))
		return -EFAULT;
	if (pin.argsz < sizeof(pin) || pin.flags || !pin.npages ||
	    !PAGE_ALIGNED(pin.iova) ||
	    pin.npages > (U64_MAX - pin.iova) >> PAGE_SHIFT)
		return -EINVAL;

	first = pin.iova >> PAGE_SHIFT;
	mutex_lock(&mock->lock);
	vfio_mock_unpin_range(mock, first, first + pin.npages - 1);
	mutex_unlock(&mock->lock);
	return 0;
}

static long vfio_mock_ioctl_dma_rw(struct vfio_mock *mock, void __user *arg)
{
	bool write;
	struct vfio_mock_rw rw;
	void __user *data;
	void *buf;
	long ret;

	if (copy_from_user(&rw, arg, sizeof(rw)))
		return -EFAULT;
	if (rw.argsz < sizeof(rw) || rw.flags & ~VFIO_MOCK_RW_WRITE ||
	    !rw.length || rw.length > VFIO_MOCK_RW_MAX)
		return -EINVAL;
	write = rw.flags & VFIO_MOCK_RW_WRITE;
	data = u64_to_user_ptr(rw.data);

	buf = kvmalloc(rw.length, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	if (write && copy_from_user(buf, data, rw.length)) {
		ret = -EFAULT;
		goto out_free;
	}
	ret = vfio_dma_rw(&mock->vdev, rw.iova, buf, rw.length, write);
	if (!ret && !write && copy_to_user(data, buf, rw.length))
		ret = -EFAULT;
out_free:
	kvfree(buf);
	return ret;
}

static long vfio_mock_ioctl_kvm_is(struct vfio_mock *mock, int fd)
{
	struct file *file;
	long ret;

	file = fget(fd);
	if (!file)
		return -EBADF;

	/* KVM names its VM files "kvm-vm"; nothing else identifies them. */
	if (strcmp(file->f_path.dentry->d_name.name, "kvm-vm"))
		ret = -EINVAL;
	else
		ret = mock->vdev.kvm && mock->vdev.kvm == file->private_data;
	fput(file);
	return ret;
}

static long vfio_mock_ioctl_get_info(void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	info.flags = 0;
	info.num_regions = 0;
	info.num_irqs = 0;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long vfio_mock_ioctl(struct vfio_device *vdev, unsigned int cmd,
			    unsigned long arg)
{
	struct vfio_mock *mock = to_mock(vdev);
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return vfio_mock_ioctl_get_info(uarg);
	case VFIO_MOCK_PIN:
		return vfio_mock_ioctl_pin(mock, uarg);
	case VFIO_MOCK_UNPIN:
		return vfio_mock_ioctl_unpin(mock, uarg);
	case VFIO_MOCK_DMA_RW:
		return vfio_mock_ioctl_dma_rw(mock, uarg);
	case VFIO_MOCK_KVM_IS:
		return vfio_mock_ioctl_kvm_is(mock, (int)arg);
	default:
		return -ENOTTY;
	}
}

static int vfio_mock_log_start(struct vfio_device *vdev,
			       struct rb_root_cached *ranges, u32 nnodes,
			       u64 *page_size)
{
	struct vfio_mock *mock = to_mock(vdev);
	struct vfio_mock_log_range *copy;
	struct interval_tree_node *node;
	u32 i = 0;

	copy = kcalloc(nnodes, sizeof(*copy), GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	for (node = interval_tree_iter_first(ranges, 0, ULONG_MAX);
	     node && i < nnodes;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX), i++) {
		copy[i].start = node->start;
		copy[i].last = node->last;
	}

	mutex_lock(&mock->lock);
	if (mock->log_ranges) {
		mutex_unlock(&mock->lock);
		kfree(copy);
		return -EBUSY;
	}
	mock->log_ranges = copy;
	mock->log_nranges = i;
	mock->log_pgshift = __ffs(*page_size);
	mock->log_starts++;
	mutex_unlock(&mock->lock);
	return 0;
}

static int vfio_mock_log_stop(struct vfio_device *vdev)
{
	struct vfio_mock *mock = to_mock(vdev);

	mutex_lock(&mock->lock);
	kfree(mock->log_ranges);
	mock->log_ranges = NULL;
	mock->log_nranges = 0;
	mutex_unlock(&mock->lock);
	return 0;
}

/* Mark every VFIO_MOCK_DIRTY_STRIDE-th page of the logged ranges. */
static int vfio_mock_log_read_and_clear(struct vfio_device *vdev,
					unsigned long iova,
					unsigned long length,
					struct iova_bitmap *dirty)
{
	struct vfio_mock *mock = to_mock(vdev);
	unsigned long last = iova + length - 1;
	unsigned long page, first, end;
	u32 i;

	mutex_lock(&mock->lock);
	if (!mock->log_ranges) {
		mutex_unlock(&mock->lock);
		return -EINVAL;
	}
	mock->log_reports++;
	for (i = 0; i < mock->log_nranges; i++) {
		first = max(iova, mock->log_ranges[i].start) >> mock->log_pgshift;
		end = min(last, mock->log_ranges[i].last) >> mock->log_pgshift;
		if (max(iova, mock->log_ranges[i].start) >
		    min(last, mock->log_ranges[i].last))
			continue;
		page = roundup(first, VFIO_MOCK_DIRTY_STRIDE);
		for (; page <= end; page += VFIO_MOCK_DIRTY_STRIDE)
			iova_bitmap_set(dirty, page << mock->log_pgshift,
					1UL << mock->log_pgshift);
	}
	mutex_unlock(&mock->lock);
	return 0;
}

static const struct vfio_log_ops vfio_mock_log_ops = {
	.log_start		= vfio_mock_log_start,
	.log_stop		= vfio_mock_log_stop,
	.log_read_and_clear	= vfio_mock_log_read_and_clear,
};

static int vfio_mock_stats_show(struct seq_file *s, void *unused)
{
	struct vfio_mock *mock = s->private;
	unsigned long index;
	unsigned long pinned = 0;
	struct page *page;

	mutex_lock(&mock->lock);
	xa_for_each(&mock->pins, index, page)
		pinned++;
	seq_printf(s, "opens %u\ncloses %u\nset_open_count %u\n",
		   mock->opens, mock->closes, mock->set_open_count);
	seq_printf(s, "kvm %d\nrequests %u\nunmaps %u\n",
		   mock->opens > mock->closes && mock->vdev.kvm,
		   mock->requests, mock->unmaps);
	seq_printf(s, "unmap_iova %llu\nunmap_length %llu\n",
		   mock->unmap_iova, mock->unmap_length);
	seq_printf(s, "pinned %lu\noverlap %d\n", pinned, mock->overlap);
	seq_printf(s, "log_active %d\nlog_ranges %u\nlog_starts %u\n",
		   !!mock->log_ranges, mock->log_nranges, mock->log_starts);
	seq_printf(s, "log_reports %u\n", mock->log_reports);
	mutex_unlock(&mock->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vfio_mock_stats);

static int vfio_mock_init_dev(struct vfio_device *vdev)
{
	struct vfio_mock *mock = to_mock(vdev);

	mutex_init(&mock->lock);
	xa_init(&mock->pins);
	atomic_set(&mock->own_busy, 0);
	mock->busy = &mock->own_busy;
	return 0;
}

static void vfio_mock_release_dev(struct vfio_device *vdev)
{
	struct vfio_mock *mock = to_mock(vdev);

	WARN_ON(!xa_empty(&mock->pins));
	xa_destroy(&mock->pins);
	kfree(mock->log_ranges);
	mutex_destroy(&mock->lock);
	vfio_free_device(vdev);
}

static const struct vfio_device_ops vfio_mock_ops = {
	.name		= "vfio-mock",
	.init		= vfio_mock_init_dev,
	.release	= vfio_mock_release_dev,
	.open_device	= vfio_mock_open_device,
	.close_device	= vfio_mock_close_device,
	.ioctl		= vfio_mock_ioctl,
	.request	= vfio_mock_request,
};

/* The same device, subscribed to unmap notifications. */
static const struct vfio_device_ops vfio_mock_unmap_ops = {
	.name		= "vfio-mock",
	.init		= vfio_mock_init_dev,
	.release	= vfio_mock_release_dev,
	.open_device	= vfio_mock_open_device,
	.close_device	= vfio_mock_close_device,
	.ioctl		= vfio_mock_ioctl,
	.request	= vfio_mock_request,
	.dma_unmap	= vfio_mock_dma_unmap,
};

static struct vfio_mock *vfio_mock_alloc(struct device *dev,
					 unsigned int flags)
{
	const struct vfio_device_ops *ops = &vfio_mock_ops;
	struct vfio_mock *mock;

	if (flags & VFIO_MOCK_DMA_UNMAP)
		ops = &vfio_mock_unmap_ops;
	mock = vfio_alloc_device(vfio_mock, vdev, dev, ops);
	if (IS_ERR(mock))
		return mock;
	mock->flags = flags;
	if (flags & VFIO_MOCK_DMA_LOG)
		mock->vdev.log_ops = &vfio_mock_log_ops;
	return mock;
}

static void vfio_mock_add_debugfs(struct vfio_mock *mock)
{
	mock->debugfs = debugfs_create_dir(dev_name(mock->vdev.dev),
					   vfio_mock_debugfs);
	debugfs_create_file("stats", 0444, mock->debugfs, mock,
			    &vfio_mock_stats_fops);
}

static int vfio_mock_platform_probe(struct platform_device *pdev)
{
	const struct vfio_mock_config *config = dev_get_platdata(&pdev->dev);
	struct vfio_mock *mock;
	int ret;

	if (!config)
		return -EINVAL;

	mock = vfio_mock_alloc(&pdev->dev, config->flags);
	if (IS_ERR(mock))
		return PTR_ERR(mock);

	if (config->set) {
		mock->busy = &vfio_mock_set_busy[config->set];
		ret = vfio_assign_device_set(&mock->vdev,
					     &vfio_mock_set_keys[config->set]);
		if (ret)
			goto err_put;
	}

	ret = vfio_register_emulated_iommu_dev(&mock->vdev);
	if (ret)
		goto err_put;

	vfio_mock_add_debugfs(mock);
	platform_set_drvdata(pdev, mock);
	return 0;

err_put:
	vfio_put_device(&mock->vdev);
	return ret;
}

static void vfio_mock_remove(struct vfio_mock *mock)
{
	vfio_unregister_group_dev(&mock->vdev);
	debugfs_remove_recursive(mock->debugfs);
	vfio_put_device(&mock->vdev);
}

static int vfio_mock_platform_remove(struct platform_device *pdev)
{
	vfio_mock_remove(platform_get_drvdata(pdev));
	return 0;
}

static struct platform_driver vfio_mock_platform_driver = {
	.probe	= vfio_mock_platform_probe,
	.remove	= vfio_mock_platform_remove,
	.driver	= {
		.name = VFIO_MOCK_NAME,
	},
	/* The device's DMA, if it had any, would be ours to control. */
	.driver_managed_dma = true,
};

static int vfio_mock_pci_probe(struct pci_dev *pdev,
			       const struct pci_device_id *id)
{
	struct vfio_mock *mock;
	int ret;

	mock = vfio_mock_alloc(&pdev->dev, 0);
	if (IS_ERR(mock))
		return PTR_ERR(mock);

	ret = vfio_register_group_dev(&mock->vdev);
	if (ret) {
		vfio_put_device(&mock->vdev);
		return ret;
	}

	vfio_mock_add_debugfs(mock);
	pci_set_drvdata(pdev, mock);
	return 0;
}

static void vfio_mock_pci_remove(struct pci_dev *pdev)
{
	vfio_mock_remove(pci_get_drvdata(pdev));
}

/* No ID table: devices are bound only through driver_override. */
static struct pci_driver vfio_mock_pci_driver = {
	.name			= "vfio-mock-pci",
	.probe			= vfio_mock_pci_probe,
	.remove			= vfio_mock_pci_remove,
	.driver_managed_dma	= true,
};

static int vfio_mock_parse_flags(char *flags, unsigned int *out)
{
	char *flag;

	*out = 0;
	while ((flag = strsep(&flags, " \t\n"))) {
		if (!*flag)
			continue;
		if (!strcmp(flag, "kvm"))
			*out |= VFIO_MOCK_NEEDS_KVM;
		else if (!strcmp(flag, "unmap"))
			*out |= VFIO_MOCK_DMA_UNMAP;
		else if (!strcmp(flag, "log"))
			*out |= VFIO_MOCK_DMA_LOG;
		else if (!strcmp(flag, "kvmlock"))
			*out |= VFIO_MOCK_KVM_LOCK;
		else
			return -EINVAL;
	}
	return 0;
}

static int vfio_mock_create(unsigned int id, struct vfio_mock_config *config)
{
	struct platform_device *pdev;
	int ret;

	mutex_lock(&vfio_mock_devices_lock);
	if (vfio_mock_devices[id]) {
		ret = -EEXIST;
		goto out_unlock;
	}

	pdev = platform_device_register_data(NULL, VFIO_MOCK_NAME, id,
					     config, sizeof(*config));
	if (IS_ERR(pdev)) {
		ret = PTR_ERR(pdev);
		goto out_unlock;
	}
	/* Probe runs synchronously: without a driver, creation failed. */
	if (!pdev->dev.driver) {
		platform_device_unregister(pdev);
		ret = -EIO;
		goto out_unlock;
	}
	vfio_mock_devices[id] = pdev;
	ret = 0;
out_unlock:
	mutex_unlock(&vfio_mock_devices_lock);
	return ret;
}

static ssize_t vfio_mock_create_write(struct file *file,
				      const char __user *ubuf, size_t count,
				      loff_t *ppos)
{
	struct vfio_mock_config config;
	unsigned int id;
	char *buf, *cursor, *word;
	int ret;

	buf = memdup_user_nul(ubuf, min_t(size_t, count, 128));
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	cursor = buf;
	ret = -EINVAL;
	word = strsep(&cursor, " \t\n");
	if (!word || kstrtouint(word, 10, &id) || id > VFIO_MOCK_MAX_ID)
		goto out_free;
	word = strsep(&cursor, " \t\n");
	if (!word || kstrtouint(word, 10, &config.set) ||
	    config.set >= VFIO_MOCK_MAX_SETS)
		goto out_free;
	ret = vfio_mock_parse_flags(cursor, &config.flags);
	if (ret)
		goto out_free;

	ret = vfio_mock_create(id, &config);
out_free:
	kfree(buf);
	return ret ? ret : count;
}

static const struct file_operations vfio_mock_create_fops = {
	.owner = THIS_MODULE,
	.write = vfio_mock_create_write,
	.llseek = noop_llseek,
};

static ssize_t vfio_mock_destroy_write(struct file *file,
				       const char __user *ubuf, size_t count,
				       loff_t *ppos)
{
	struct platform_device *pdev;
	unsigned int id;
	int ret;

	ret = kstrtouint_from_user(ubuf, count, 10, &id);
	if (ret)
		return ret;
	if (id > VFIO_MOCK_MAX_ID)
		return -EINVAL;

	mutex_lock(&vfio_mock_devices_lock);
	pdev = vfio_mock_devices[id];
	vfio_mock_devices[id] = NULL;
	mutex_unlock(&vfio_mock_devices_lock);
	if (!pdev)
		return -ENODEV;

	/* Blocks until userspace has closed the device. */
	platform_device_unregister(pdev);
	return count;
}

static const struct file_operations vfio_mock_destroy_fops = {
	.owner = THIS_MODULE,
	.write = vfio_mock_destroy_write,
	.llseek = noop_llseek,
};

static void vfio_mock_destroy_all(void)
{
	unsigned int id;

	for (id = 0; id <= VFIO_MOCK_MAX_ID; id++) {
		if (vfio_mock_devices[id]) {
			platform_device_unregister(vfio_mock_devices[id]);
			vfio_mock_devices[id] = NULL;
		}
	}
}

static int __init vfio_mock_init(void)
{
	int ret;

	vfio_mock_debugfs = debugfs_create_dir("vfio_mock", NULL);
	vfio_mock_create_file = debugfs_create_file("create", 0200,
						    vfio_mock_debugfs, NULL,
						    &vfio_mock_create_fops);
	vfio_mock_destroy_file = debugfs_create_file("destroy", 0200,
						     vfio_mock_debugfs, NULL,
						     &vfio_mock_destroy_fops);

	ret = vfio_mock_iommu_init(vfio_mock_debugfs);
	if (ret)
		goto err_debugfs;
	ret = platform_driver_register(&vfio_mock_platform_driver);
	if (ret)
		goto err_iommu;
	ret = pci_register_driver(&vfio_mock_pci_driver);
	if (ret)
		goto err_platform;
	return 0;

err_platform:
	platform_driver_unregister(&vfio_mock_platform_driver);
err_iommu:
	vfio_mock_iommu_exit();
err_debugfs:
	debugfs_remove_recursive(vfio_mock_debugfs);
	return ret;
}

static void __exit vfio_mock_exit(void)
{
	/* No create/destroy can run once their files are gone. */
	debugfs_remove(vfio_mock_create_file);
	debugfs_remove(vfio_mock_destroy_file);
	vfio_mock_destroy_all();
	pci_unregister_driver(&vfio_mock_pci_driver);
	platform_driver_unregister(&vfio_mock_platform_driver);
	vfio_mock_iommu_exit();
	debugfs_remove_recursive(vfio_mock_debugfs);
}

module_init(vfio_mock_init);
module_exit(vfio_mock_exit);

MODULE_LICENSE("GPL v2");
MODULE_DESCRIPTION("Mock VFIO devices for the VFIO selftests");
