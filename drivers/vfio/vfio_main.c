// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO core module: gives userspace safe, IOMMU-isolated access to devices.
 *
 * The pieces live in files named for them: containers (container.c),
 * groups (group.c), devices and their files (device.c), device sets
 * (device_set.c), the KVM association (kvm.c), migration (migration.c),
 * no-IOMMU mode (noiommu.c) and the helpers for drivers' info replies
 * (info_caps.c).  See
 * Documentation/driver-api/vfio/ for the object model and locking.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "vfio.h"

static int __init vfio_init(void)
{
	int ret;

	ret = vfio_device_init();
	if (ret)
		return ret;
	ret = vfio_group_init();
	if (ret)
		goto err_device_exit;
	/* Last: /dev/vfio/vfio is what userspace starts from. */
	ret = vfio_container_init();
	if (ret)
		goto err_group_exit;
	ret = vfio_noiommu_init();
	if (ret)
		goto err_container_exit;

	pr_info("vfio: userspace device access core loaded\n");
	return 0;

err_container_exit:
	vfio_container_exit();
err_group_exit:
	vfio_group_exit();
err_device_exit:
	vfio_device_exit();
	return ret;
}

static void __exit vfio_exit(void)
{
	vfio_noiommu_exit();
	vfio_container_exit();
	vfio_group_exit();
	vfio_device_exit();
}

module_init(vfio_init);
module_exit(vfio_exit);

MODULE_LICENSE("GPL v2");
MODULE_DESCRIPTION("VFIO: userspace access to IOMMU-isolated devices");
MODULE_ALIAS_MISCDEV(VFIO_MINOR);
MODULE_ALIAS("devname:vfio/vfio");
MODULE_SOFTDEP("post: vfio_iommu_type1");
