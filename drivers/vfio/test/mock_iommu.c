// SPDX-License-Identifier: GPL-2.0-only
/*
 * A mock IOMMU backend for the core selftests.
 *
 * It serves the private VFIO_SET_IOMMU type VFIO_MOCK_IOMMU, so tests of
 * containers, groups and device files do not depend on a real backend, and
 * it counts what the core asks of it; the counts let tests prove that every
 * attach, instance and device registration is undone.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "../vfio_iommu_backend.h"
#include "vfio_mock_api.h"
#include "vfio_mock.h"

static atomic_t vfio_mock_iommu_instances;
static atomic_t vfio_mock_iommu_groups;
static atomic_t vfio_mock_iommu_devices;

/* An instance only needs an identity: everything counted is global. */
struct vfio_mock_iommu {
	unsigned long type;
};

static void *vfio_mock_iommu_open(unsigned long type)
{
	struct vfio_mock_iommu *iommu;

	if (type != VFIO_MOCK_IOMMU)
		return ERR_PTR(-EINVAL);
	iommu = kzalloc(sizeof(*iommu), GFP_KERNEL);
	if (!iommu)
		return ERR_PTR(-ENOMEM);
	iommu->type = type;
	atomic_inc(&vfio_mock_iommu_instances);
	return iommu;
}

static void vfio_mock_iommu_release(void *data)
{
	atomic_dec(&vfio_mock_iommu_instances);
	kfree(data);
}

static long vfio_mock_iommu_ioctl(void *data, unsigned int cmd,
				  unsigned long arg)
{
	if (cmd == VFIO_CHECK_EXTENSION)
		return arg == VFIO_MOCK_IOMMU;
	return -ENOTTY;
}

static int vfio_mock_iommu_attach_group(void *data, struct iommu_group *group,
					enum vfio_group_type type)
{
	atomic_inc(&vfio_mock_iommu_groups);
	return 0;
}

static void vfio_mock_iommu_detach_group(void *data,
					 struct iommu_group *group)
{
	atomic_dec(&vfio_mock_iommu_groups);
}

static void vfio_mock_iommu_register_device(void *data,
					    struct vfio_device *vdev)
{
	atomic_inc(&vfio_mock_iommu_devices);
}

static void vfio_mock_iommu_unregister_device(void *data,
					      struct vfio_device *vdev)
{
	atomic_dec(&vfio_mock_iommu_devices);
}

static const struct vfio_iommu_driver_ops vfio_mock_iommu_ops = {
	.name			= "vfio-mock-iommu",
	.owner			= THIS_MODULE,
	.open			= vfio_mock_iommu_open,
	.release		= vfio_mock_iommu_release,
	.ioctl			= vfio_mock_iommu_ioctl,
	.attach_group		= vfio_mock_iommu_attach_group,
	.detach_group		= vfio_mock_iommu_detach_group,
	.register_device	= vfio_mock_iommu_register_device,
	.unregister_device	= vfio_mock_iommu_unregister_device,
};

static int vfio_mock_iommu_stats_show(struct seq_file *s, void *unused)
{
	seq_printf(s, "instances %d\ngroups %d\ndevices %d\n",
		   atomic_read(&vfio_mock_iommu_instances),
		   atomic_read(&vfio_mock_iommu_groups),
		   atomic_read(&vfio_mock_iommu_devices));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vfio_mock_iommu_stats);

/**
 * vfio_mock_iommu_init - register the mock backend
 * @debugfs: the mock's debugfs directory, for the "iommu" counters file
 *
 * Return: 0 or a negative errno.
 */
int vfio_mock_iommu_init(struct dentry *debugfs)
{
	debugfs_create_file("iommu", 0444, debugfs, NULL,
			    &vfio_mock_iommu_stats_fops);
	return vfio_register_iommu_driver(&vfio_mock_iommu_ops);
}

/**
 * vfio_mock_iommu_exit - unregister the mock backend
 */
void vfio_mock_iommu_exit(void)
{
	vfio_unregister_iommu_driver(&vfio_mock_iommu_ops);
}
