// SPDX-License-Identifier: GPL-2.0-only
/*
 * One inode per device, for the address space all its files share.
 *
 * Every VFIO_GROUP_GET_DEVICE_FD makes an anonymous file of its own, so
 * the mappings of one device, made through different files by different
 * processes, have nothing in common to be found by.  Each device gets a
 * private inode instead, and every file of the device has its f_mapping
 * pointed at that inode's address space when the file is made, before
 * anything can map it: a driver reaches every mapping of the device with
 * one unmap_mapping_range() on vfio_device->inode (vfio-pci zaps its BAR
 * mappings so whenever memory decode goes away).  Switching f_mapping
 * later, at the first mmap, would race mmap_region()'s count of writable
 * mappings on the file's address space.
 */
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/vfio.h>

#include "vfio.h"

#define VFIO_DEVFS_MAGIC	0x56464456	/* "VDFV" */

static struct vfsmount *vfio_devfs_mnt;
static int vfio_devfs_count;

static int vfio_devfs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, VFIO_DEVFS_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type vfio_devfs_type = {
	.name = "vfio-device",
	.owner = THIS_MODULE,
	.init_fs_context = vfio_devfs_init_fs_context,
	.kill_sb = kill_anon_super,
};

/**
 * vfio_device_inode_get - give a device its private inode
 * @device: the device being initialised
 *
 * Return: 0 or a negative errno.
 */
int vfio_device_inode_get(struct vfio_device *device)
{
	struct inode *inode;
	int ret;

	ret = simple_pin_fs(&vfio_devfs_type, &vfio_devfs_mnt,
			    &vfio_devfs_count);
	if (ret)
		return ret;
	inode = alloc_anon_inode(vfio_devfs_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		simple_release_fs(&vfio_devfs_mnt, &vfio_devfs_count);
		return PTR_ERR(inode);
	}
	device->inode = inode;
	return 0;
}

/**
 * vfio_device_inode_put - drop the inode of vfio_device_inode_get()
 * @device: the device being freed; none of its files is left
 */
void vfio_device_inode_put(struct vfio_device *device)
{
	iput(device->inode);
	device->inode = NULL;
	simple_release_fs(&vfio_devfs_mnt, &vfio_devfs_count);
}
