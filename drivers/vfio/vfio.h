/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private declarations of vfio.ko, shared by its source files.
 *
 * Object model:
 *
 *   container (/dev/vfio/vfio fd)  1 --- n  group (/dev/vfio/N)
 *   group                          1 --- n  vfio_device
 *   device set                     1 --- n  vfio_device (may span groups)
 *
 * Lock order, outermost first:
 *
 *   vfio_device_set.lock -> vfio_group.lock -> vfio_container.lock
 *
 * The registries have locks of their own.  Two nest with the above:
 *
 *   group registry lock -> vfio_group.lock     (retiring a group)
 *   vfio_container.lock -> backend registry lock (choosing a backend)
 *
 * and the device set registry lock nests with nothing.
 *
 * kvm.ko calls vfio_file_set_kvm(), vfio_file_iommu_group() and (through
 * its device's own lock) vfio_file_enforced_coherent() with kvm->lock held
 * when it releases its KVM-VFIO device, while drivers take kvm->lock in
 * open_device and close_device, under vfio_group.lock (vfio-ap, s390
 * zPCI).  So what those calls read has a lock of its own, innermost:
 *
 *   vfio_group.lock -> kvm->lock -> vfio_group.kvm_lock
 *
 * Documentation/driver-api/vfio/core.rst has the whole order, with the
 * locks of type1 and of the rest of the kernel.
 */
#ifndef __VFIO_VFIO_H
#define __VFIO_VFIO_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/vfio.h>

#include "vfio_iommu_backend.h"

struct kvm;
struct vfio_container;

/**
 * struct vfio_group - a VFIO group, the unit of ownership for userspace
 * @dev: the /dev/vfio/N class device; its reference count frees the group
 * @cdev: character device behind @dev
 * @type: how the group's devices reach memory
 * @iommu_group: the IOMMU group this VFIO group stands for; set until the
 *               last device unregisters, then NULL (under @lock and
 *               @kvm_lock)
 * @drivers: registered devices; the group leaves the registry at zero
 * @registry_node: entry in the group registry (group.c)
 * @lock: protects the members below and serialises the group's ioctls
 * @device_list: registered devices, through vfio_device.group_next
 * @opened_file: the one open file of the group, or NULL
 * @container: the container the group is attached to, or NULL
 * @container_node: entry in @container's group list (container's lock)
 * @container_users: 1 for the attachment itself plus 1 per open device
 *                   file; the group cannot leave its container while any
 *                   device file is open
 * @kvm_lock: protects @kvm, and @iommu_group and @container for readers
 *            that cannot take @lock: what kvm.ko reads and writes while it
 *            holds kvm->lock
 * @kvm: the KVM that kvm.ko's KVM-VFIO device associated with the group;
 *       not referenced (kvm.ko clears it before the KVM goes away), devices
 *       take their own reference when they capture it
 */
struct vfio_group {
	struct device dev;
	struct cdev cdev;
	enum vfio_group_type type;
	struct iommu_group *iommu_group;
	refcount_t drivers;
	struct list_head registry_node;

	struct mutex lock;	/* see the kernel-doc above */
	struct list_head device_list;
	struct file *opened_file;
	struct vfio_container *container;
	struct list_head container_node;
	unsigned int container_users;

	spinlock_t kvm_lock;	/* see the kernel-doc above */
	struct kvm *kvm;
};

/* vfio_main.c: what the other files need to know about the module */
extern const struct file_operations vfio_group_fops;
extern const struct file_operations vfio_device_fops;

/* group.c */
int vfio_group_init(void);
void vfio_group_exit(void);
struct vfio_group *vfio_group_get_for_device(struct vfio_device *device,
					     enum vfio_group_type type);
void vfio_group_put_for_device(struct vfio_device *device);
struct vfio_group *vfio_group_from_file(struct file *file);
int vfio_group_unisolated_refusal(const struct vfio_group *group);

/* noiommu.c */
#if IS_ENABLED(CONFIG_VFIO_NOIOMMU)
bool vfio_noiommu_device_wanted(struct device *dev);
void vfio_noiommu_group_created(struct device *dev);
bool vfio_noiommu_is_backend(const struct vfio_iommu_driver_ops *ops);
int vfio_noiommu_init(void);
void vfio_noiommu_exit(void);
#else
static inline bool vfio_noiommu_device_wanted(struct device *dev)
{
	return false;
}

static inline void vfio_noiommu_group_created(struct device *dev)
{
}

static inline bool
vfio_noiommu_is_backend(const struct vfio_iommu_driver_ops *ops)
{
	return false;
}

static inline int vfio_noiommu_init(void)
{
	return 0;
}

static inline void vfio_noiommu_exit(void)
{
}
#endif

/* container.c */
int vfio_container_init(void);
void vfio_container_exit(void);
struct vfio_container *vfio_container_from_file(struct file *file);
int vfio_container_attach_group(struct vfio_container *container,
				struct vfio_group *group);
void vfio_container_detach_group(struct vfio_group *group);
bool vfio_container_has_backend(struct vfio_container *container);
long vfio_container_check_extension(struct vfio_container *container,
				    unsigned long ext);
bool vfio_group_dma_coherent(struct vfio_group *group);
void vfio_container_register_device(struct vfio_device *device);
void vfio_container_unregister_device(struct vfio_device *device);

/* device.c */
int vfio_device_inode_get(struct vfio_device *device);
void vfio_device_inode_put(struct vfio_device *device);
int vfio_device_init(void);
void vfio_device_exit(void);
struct vfio_device *vfio_device_find_in_group(struct vfio_group *group,
					      const char *name);
bool vfio_device_try_get_registration(struct vfio_device *device);
void vfio_device_put_registration(struct vfio_device *device);
struct file *vfio_device_open_file(struct vfio_device *device);
void vfio_device_close(struct vfio_device *device);

/* device_set.c */
void vfio_device_set_release(struct vfio_device *device);

/* kvm.c */
void vfio_device_capture_kvm(struct vfio_device *device);
void vfio_device_release_kvm(struct vfio_device *device);

/* migration.c */
int vfio_device_feature_migration(struct vfio_device *device, u32 flags,
				  void __user *arg, size_t argsz);
int vfio_device_feature_mig_state(struct vfio_device *device, u32 flags,
				  void __user *arg, size_t argsz);

/* dma_logging.c */
int vfio_device_feature_logging_start(struct vfio_device *device, u32 flags,
				      void __user *arg, size_t argsz);
int vfio_device_feature_logging_stop(struct vfio_device *device, u32 flags,
				     void __user *arg, size_t argsz);
int vfio_device_feature_logging_report(struct vfio_device *device, u32 flags,
				       void __user *arg, size_t argsz);

#endif /* __VFIO_VFIO_H */
