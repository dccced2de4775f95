// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_pin_bench: an emulated-IOMMU VFIO device whose only job is to pin
 * and unpin the user's memory on request and time it, so that make bench
 * can weigh the vfio_pin_pages() path of one VFIO stack against another
 * (what mediated devices pay per page they use).  It keeps to the
 * in-kernel API of Linux 6.1, so the same source builds against our
 * headers and against Debian's, and loads on either stack.  For
 * benchmarks only; see vfio_pin_bench_api.h.
 */
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "vfio_pin_bench_api.h"

/**
 * struct pin_bench - the device
 * @vdev: its VFIO device
 * @lock: held for the whole of a run, while it has pages pinned
 */
struct pin_bench {
	struct vfio_device vdev;
	struct mutex lock;	/* see the kernel-doc above */
};

static struct platform_device *pin_bench_pdev;

static void pin_bench_unpin(struct vfio_device *vdev, u64 iova, u32 npages,
			    u32 per_call)
{
	u32 done, n;

	for (done = 0; done < npages; done += n) {
		n = min(per_call, npages - done);
		vfio_unpin_pages(vdev, iova + ((u64)done << PAGE_SHIFT), n);
	}
}

static int pin_bench_run(struct pin_bench *b, struct vfio_pin_bench *run)
{
	struct page **pages;
	u64 start, pinned;
	u32 done, n;
	int ret = 0;

	lockdep_assert_held(&b->lock);

	pages = kmalloc_array(run->per_call, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	start = ktime_get_ns();
	for (done = 0; done < run->npages; done += n) {
		n = min(run->per_call, run->npages - done);
		ret = vfio_pin_pages(&b->vdev,
				     run->iova + ((u64)done << PAGE_SHIFT), n,
				     IOMMU_READ | IOMMU_WRITE, pages);
		if (ret != n)
			break;
	}
	pinned = ktime_get_ns();
	pin_bench_unpin(&b->vdev, run->iova, done, run->per_call);
	run->pin_ns = pinned - start;
	run->unpin_ns = ktime_get_ns() - pinned;
	kfree(pages);
	if (done < run->npages)
		return ret < 0 ? ret : -EFAULT;
	return 0;
}

static long pin_bench_ioctl(struct vfio_device *vdev, unsigned int cmd,
			    unsigned long arg)
{
	struct pin_bench *b = container_of(vdev, struct pin_bench, vdev);
	struct vfio_pin_bench run;
	int ret;

	if (cmd != VFIO_PIN_BENCH_RUN)
		return -ENOTTY;
	if (copy_from_user(&run, (void __user *)arg, sizeof(run)))
		return -EFAULT;
	if (!run.npages || !run.per_call ||
	    run.per_call > VFIO_PIN_BENCH_MAX_PER_CALL ||
	    !PAGE_ALIGNED(run.iova))
		return -EINVAL;

	mutex_lock(&b->lock);
	ret = pin_bench_run(b, &run);
	mutex_unlock(&b->lock);
	if (!ret && copy_to_user((void __user *)arg, &run, sizeof(run)))
		ret = -EFAULT;
	return ret;
}

/*
 * A run drops all its pins before it ends, so an unmap only has to wait
 * for the run in progress, if any.
 */
static void pin_bench_dma_unmap(struct vfio_device *vdev, u64 iova,
				u64 length)
{
	struct pin_bench *b = container_of(vdev, struct pin_bench, vdev);

	mutex_lock(&b->lock);
	mutex_unlock(&b->lock);
}

static int pin_bench_init(struct vfio_device *vdev)
{
	mutex_init(&container_of(vdev, struct pin_bench, vdev)->lock);
	return 0;
}

static void pin_bench_release(struct vfio_device *vdev)
{
	mutex_destroy(&container_of(vdev, struct pin_bench, vdev)->lock);
	vfio_free_device(vdev);
}

static const struct vfio_device_ops pin_bench_ops = {
	.name		= VFIO_PIN_BENCH_NAME,
	.init		= pin_bench_init,
	.release	= pin_bench_release,
	.ioctl		= pin_bench_ioctl,
	.dma_unmap	= pin_bench_dma_unmap,
};

/*
 * The VFIO core holds the parent's driver while the device is open: the
 * device hangs off a platform device bound to a driver of ours.
 */
static int pin_bench_probe(struct platform_device *pdev)
{
	struct pin_bench *b;
	int ret;

	b = vfio_alloc_device(pin_bench, vdev, &pdev->dev, &pin_bench_ops);
	if (IS_ERR(b))
		return PTR_ERR(b);
	ret = vfio_register_emulated_iommu_dev(&b->vdev);
	if (ret) {
		vfio_put_device(&b->vdev);
		return ret;
	}
	platform_set_drvdata(pdev, b);
	return 0;
}

static int pin_bench_remove(struct platform_device *pdev)
{
	struct pin_bench *b = platform_get_drvdata(pdev);

	vfio_unregister_group_dev(&b->vdev);
	vfio_put_device(&b->vdev);
	return 0;
}

static struct platform_driver pin_bench_driver = {
	.probe	= pin_bench_probe,
	.remove	= pin_bench_remove,
	.driver	= {
		.name = VFIO_PIN_BENCH_NAME,
	},
};

static int __init pin_bench_load(void)
{
	int ret;

	ret = platform_driver_register(&pin_bench_driver);
	if (ret)
		return ret;
	pin_bench_pdev = platform_device_register_simple(VFIO_PIN_BENCH_NAME,
							 PLATFORM_DEVID_NONE,
							 NULL, 0);
	if (IS_ERR(pin_bench_pdev)) {
		platform_driver_unregister(&pin_bench_driver);
		return PTR_ERR(pin_bench_pdev);
	}
	return 0;
}

static void __exit pin_bench_unload(void)
{
	platform_device_unregister(pin_bench_pdev);
	platform_driver_unregister(&pin_bench_driver);
}

module_init(pin_bench_load);
module_exit(pin_bench_unload);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Times vfio_pin_pages(), for benchmarks only");
