/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Contract between the VFIO core (containers) and the IOMMU backends that
 * implement VFIO_SET_IOMMU types, such as vfio_iommu_type1.ko.
 *
 * A container is created empty by opening /dev/vfio/vfio.  Userspace adds a
 * group to it (VFIO_GROUP_SET_CONTAINER) and then picks a backend with
 * VFIO_SET_IOMMU.  From then on the core forwards the container's ioctls to
 * the backend and tells it about every group that joins or leaves.
 *
 * Calling context, all of it guaranteed by the core:
 *  - ->open, ->release, ->attach_group, ->detach_group run with the
 *    container's lock held for writing: no other of these, and no ->ioctl,
 *    runs against the backend instance at the same time (the calls of the
 *    last item below still may).
 *  - ->ioctl runs with it held for reading; several may run at once, the
 *    backend serialises them with its own lock.
 *  - ->pin_pages, ->unpin_pages, ->dma_rw, ->register_device and
 *    ->unregister_device run WITHOUT the container's lock: they come from a
 *    device that is open, and an open device keeps its group attached and
 *    so the backend instance alive.  This is what lets ->ioctl (an unmap,
 *    holding the container's lock) call a device's dma_unmap callback,
 *    which calls back into ->unpin_pages.
 *  - ->ioctl is also called with a NULL @iommu_data, for VFIO_CHECK_EXTENSION
 *    only, before any instance exists.
 *  - The backend module is pinned (try_module_get) for as long as a
 *    container uses it.
 */
#ifndef __VFIO_IOMMU_BACKEND_H
#define __VFIO_IOMMU_BACKEND_H

#include <linux/module.h>
#include <linux/types.h>

struct iommu_group;
struct page;
struct vfio_device;

/**
 * enum vfio_group_type - how a group's devices reach memory
 * @VFIO_IOMMU: a real IOMMU group; the backend attaches it to a domain
 * @VFIO_EMULATED_IOMMU: a device without DMA of its own (mdev and the like);
 *                       it reaches user memory only through vfio_pin_pages()
 *                       and vfio_dma_rw(), so the backend only tracks it
 * @VFIO_NO_IOMMU: no isolation at all (never offered to type1)
 */
enum vfio_group_type {
	VFIO_IOMMU,
	VFIO_EMULATED_IOMMU,
	VFIO_NO_IOMMU,
};

/**
 * struct vfio_iommu_driver_ops - an IOMMU backend
 * @name: shown in the kernel log
 * @owner: the module, pinned while a container uses the backend
 * @open: create an instance for VFIO_SET_IOMMU type @arg; return it, or an
 *        ERR_PTR (-EINVAL for a type it does not serve)
 * @release: destroy an instance; every group has been detached already
 * @ioctl: container ioctls other than GET_API_VERSION and SET_IOMMU; with a
 *         NULL instance, only VFIO_CHECK_EXTENSION
 * @attach_group: a group joins; called for the first group right after
 *                @open and for each group that joins later
 * @detach_group: a group leaves; its devices are all closed
 * @pin_pages: pin @npage pages of user memory mapped at @iova for a device
 *             of @group, which must be an attached emulated-IOMMU group;
 *             returns @npage or a negative errno (nothing left pinned then)
 * @unpin_pages: undo @pin_pages for @npage pages at @iova
 * @register_device: @vdev has a dma_unmap callback and was opened; it must
 *                   be told (through vdev->iommu_entry) whenever userspace
 *                   unmaps a range while it holds pins there
 * @unregister_device: @vdev was closed; it holds no pins any more
 * @dma_rw: copy between @data and user memory mapped at @iova
 *
 * The callbacks that take @iommu_data receive what @open returned.
 */
struct vfio_iommu_driver_ops {
	char *name;
	struct module *owner;

	/* An instance, from VFIO_SET_IOMMU to the last group's detach */
	void *(*open)(unsigned long arg);
	void (*release)(void *iommu_data);
	long (*ioctl)(void *iommu_data, unsigned int cmd, unsigned long arg);

	/* The groups it serves */
	int (*attach_group)(void *iommu_data, struct iommu_group *group,
			    enum vfio_group_type type);
	void (*detach_group)(void *iommu_data, struct iommu_group *group);

	/* Open devices that want dma_unmap calls */
	void (*register_device)(void *iommu_data, struct vfio_device *vdev);
	void (*unregister_device)(void *iommu_data, struct vfio_device *vdev);

	/* User memory for emulated-IOMMU devices */
	int (*pin_pages)(void *iommu_data, struct iommu_group *group,
			 dma_addr_t iova, int npage, int prot,
			 struct page **pages);
	void (*unpin_pages)(void *iommu_data, dma_addr_t iova, int npage);
	int (*dma_rw)(void *iommu_data, dma_addr_t iova, void *data,
		      size_t count, bool write);
};

int vfio_register_iommu_driver(const struct vfio_iommu_driver_ops *ops);
void vfio_unregister_iommu_driver(const struct vfio_iommu_driver_ops *ops);

#endif /* __VFIO_IOMMU_BACKEND_H */
