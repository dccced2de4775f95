/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * In-kernel interface of the VFIO core: what device drivers (vfio-pci, its
 * variant drivers, mediated device vendors) use to expose a device to
 * userspace through /dev/vfio.
 *
 * The names, prototypes and members below are the ones drivers written for
 * Linux 6.1 rely on, so those drivers build against this header unchanged.
 */
#ifndef VFIO_H
#define VFIO_H

#include <linux/completion.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/refcount.h>
#include <linux/workqueue.h>
#include <linux/iova_bitmap.h>
#include <uapi/linux/vfio.h>

struct kvm;
struct vfio_group;

/**
 * struct vfio_device_set - devices that must be opened and reset together
 * @set_id: opaque key chosen by the driver (a slot, a bus, the device itself)
 * @lock: serialises open_device/close_device and the open counts of every
 *        member; drivers also hold it around resets that span the set
 * @device_list: members, linked through vfio_device.dev_set_list
 * @device_count: number of members; the set is freed when it drops to zero
 */
struct vfio_device_set {
	struct mutex lock;	/* see the kernel-doc above */
	struct list_head device_list;
	unsigned int device_count;
	void *set_id;
};

/**
 * struct vfio_device - one device exposed to userspace
 *
 * Allocated with vfio_alloc_device() inside the driver's own structure.
 * Drivers read @dev, @dev_set, @kvm and @inode and walk @dev_set_list; the
 * rest belongs to the core.
 *
 * @dev: the physical or mediated device this vfio_device represents
 * @ops: driver callbacks
 * @mig_ops: migration callbacks, NULL when the device cannot migrate
 * @log_ops: device dirty-page logging callbacks, NULL when unsupported
 * @group: the VFIO group the device is registered in
 * @dev_set: the device set, assigned at registration at the latest
 * @dev_set_list: entry in @dev_set->device_list, under @dev_set->lock
 * @migration_flags: VFIO_MIGRATION_* flags the driver supports
 * @kvm: the KVM captured at the first open, stable until the last close;
 *       read it under @dev_set->lock or from a callback that runs while the
 *       device is open
 * @inode: private inode whose address space every file of the device
 *         maps through (unmap_mapping_range() on it reaches every mapping
 *         of the device); set from initialisation to release
 * @index: number of the vfio-dev class device ("vfioN")
 * @device: the vfio-dev class device; its reference count keeps this
 *          structure alive
 * @refcount: registration users; unregistering waits for it to drain
 * @open_count: open file descriptors, under @dev_set->lock
 * @comp: completed when @refcount drops to zero
 * @group_next: entry in the group's device list, under the group's lock
 * @iommu_entry: entry in the IOMMU backend's list of devices that want
 *               dma_unmap notifications
 * @kvm_put: how to drop the reference held on @kvm (private to the core)
 */
struct vfio_device {
	/* What drivers use */
	struct device *dev;
	struct vfio_device_set *dev_set;
	struct list_head dev_set_list;
	struct kvm *kvm;
	const struct vfio_device_ops *ops;
	const struct vfio_migration_ops *mig_ops;
	unsigned int migration_flags;
	const struct vfio_log_ops *log_ops;
	struct inode *inode;

	/* The core's */
	struct device device;
	unsigned int index;
	refcount_t refcount;
	struct completion comp;
	unsigned int open_count;
	struct vfio_group *group;
	struct list_head group_next;
	struct list_head iommu_entry;
	void (*kvm_put)(struct kvm *kvm);
};

/**
 * struct vfio_device_ops - callbacks of a VFIO device driver
 * @name: driver name, for diagnostics
 * @init: set up the driver part of a freshly allocated device
 * @release: free what @init set up, then the memory with
 *           vfio_free_device(); without it the core frees the memory
 * @open_device: first file descriptor of the device is being opened
 * @close_device: last file descriptor of the device was closed
 * @read: read(2) on the device fd
 * @write: write(2) on the device fd
 * @ioctl: ioctls the core does not handle itself
 * @mmap: mmap(2) on the device fd
 * @request: ask userspace to release the device; @count says how often
 *           it has been asked already
 * @match: decide whether the string given to VFIO_GROUP_GET_DEVICE_FD names
 *         this device: > 0 yes, 0 no, < 0 error
 * @dma_unmap: an IOVA range that this device has pinned pages in is being
 *             unmapped; the driver must unpin them before returning
 * @device_feature: VFIO_DEVICE_FEATURE requests the core does not handle
 */
struct vfio_device_ops {
	char	*name;
	int	(*init)(struct vfio_device *vdev);
	void	(*release)(struct vfio_device *vdev);
	int	(*open_device)(struct vfio_device *vdev);
	void	(*close_device)(struct vfio_device *vdev);
	ssize_t	(*read)(struct vfio_device *vdev, char __user *buf,
			size_t count, loff_t *ppos);
	ssize_t	(*write)(struct vfio_device *vdev, const char __user *buf,
			 size_t count, loff_t *size);
	long	(*ioctl)(struct vfio_device *vdev, unsigned int cmd,
			 unsigned long arg);
	int	(*mmap)(struct vfio_device *vdev, struct vm_area_struct *vma);
	void	(*request)(struct vfio_device *vdev, unsigned int count);
	int	(*match)(struct vfio_device *vdev, char *buf);
	void	(*dma_unmap)(struct vfio_device *vdev, u64 iova, u64 length);
	int	(*device_feature)(struct vfio_device *device, u32 flags,
				  void __user *arg, size_t argsz);
};

/**
 * struct vfio_migration_ops - device state machine of a migratable device
 * @migration_set_state: move to a new state; may return a data-transfer
 *                       file for the states that stream device state
 * @migration_get_state: report the current state
 */
struct vfio_migration_ops {
	struct file *(*migration_set_state)(struct vfio_device *device,
					    enum vfio_device_mig_state new_state);
	int (*migration_get_state)(struct vfio_device *device,
				   enum vfio_device_mig_state *curr_state);
};

/**
 * struct vfio_log_ops - dirty-page tracking done by the device itself
 * @log_start: start tracking the given IOVA ranges
 * @log_stop: stop tracking
 * @log_read_and_clear: report dirty pages of a range into @dirty and clear
 */
struct vfio_log_ops {
	int (*log_start)(struct vfio_device *device,
			 struct rb_root_cached *ranges, u32 nnodes,
			 u64 *page_size);
	int (*log_stop)(struct vfio_device *device);
	int (*log_read_and_clear)(struct vfio_device *device,
				  unsigned long iova, unsigned long length,
				  struct iova_bitmap *dirty);
};

/**
 * vfio_check_feature - common validation of a VFIO_DEVICE_FEATURE request
 * @flags: flags given by userspace
 * @argsz: size of the feature payload given by userspace
 * @supported_ops: VFIO_DEVICE_FEATURE_GET and/or _SET the feature allows
 * @minsz: smallest payload the feature accepts
 *
 * Return: 0 for a PROBE that is allowed, 1 when the caller should carry out
 * the request, a negative errno for a request to refuse.
 */
static inline int vfio_check_feature(u32 flags, size_t argsz,
				     u32 supported_ops, size_t minsz)
{
	u32 dir = flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET);

	if (dir & ~supported_ops)
		return -EINVAL;
	if (flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	if (!dir || argsz < minsz)
		return -EINVAL;
	return 1;
}

/* ---- Life cycle of a device, from allocation to release */

struct vfio_device *_vfio_alloc_device(size_t size, struct device *dev,
				       const struct vfio_device_ops *ops);
/*
 * vfio_alloc_device - allocate a driver structure that embeds a vfio_device
 * as member @member, which must be its first member.
 */
#define vfio_alloc_device(dev_struct, member, dev, ops)			\
	container_of(_vfio_alloc_device(sizeof(struct dev_struct) +	\
					BUILD_BUG_ON_ZERO(offsetof(	\
						struct dev_struct,	\
						member)),		\
					dev, ops),			\
		     struct dev_struct, member)

int vfio_init_device(struct vfio_device *device, struct device *dev,
		     const struct vfio_device_ops *ops);

/**
 * vfio_put_device - drop a reference taken by vfio_alloc_device()
 * @device: the device
 *
 * The last reference calls ops->release and frees the memory.
 */
static inline void vfio_put_device(struct vfio_device *device)
{
	put_device(&device->device);
}

void vfio_free_device(struct vfio_device *device);

/* Exposing it to userspace: real IOMMU group, or a group of its own. */
int vfio_register_group_dev(struct vfio_device *device);
int vfio_register_emulated_iommu_dev(struct vfio_device *device);
void vfio_unregister_group_dev(struct vfio_device *device);

/* ---- Device sets (see struct vfio_device_set) */

unsigned int vfio_device_set_open_count(struct vfio_device_set *dev_set);
int vfio_assign_device_set(struct vfio_device *device, void *set_id);

/* ---- Migration: the next single step toward a requested state */

int vfio_mig_get_next_state(struct vfio_device *device,
			    enum vfio_device_mig_state cur_fsm,
			    enum vfio_device_mig_state new_fsm,
			    enum vfio_device_mig_state *next_fsm);

/* ---- Group files, as kvm.ko and drivers receive them from userspace */

bool vfio_file_is_group(struct file *file);
struct iommu_group *vfio_file_iommu_group(struct file *file);
bool vfio_file_has_dev(struct file *file, struct vfio_device *device);
void vfio_file_set_kvm(struct file *file, struct kvm *kvm);
bool vfio_file_enforced_coherent(struct file *file);

/* ---- User memory, for devices whose IOMMU is emulated */

/* At most one page of page pointers per call. */
#define VFIO_PIN_PAGES_MAX_ENTRIES	(PAGE_SIZE / sizeof(unsigned long))

int vfio_pin_pages(struct vfio_device *device, dma_addr_t iova,
		   int npage, int prot, struct page **pages);
void vfio_unpin_pages(struct vfio_device *device, dma_addr_t iova, int npage);
int vfio_dma_rw(struct vfio_device *device, dma_addr_t iova,
		void *data, size_t len, bool write);

/* ---- Building replies: capability chains, SET_IRQS checks */

/**
 * struct vfio_info_cap - a capability chain being built for a *_GET_INFO
 * @buf: the chain; grows with each vfio_info_cap_add()
 * @size: bytes used in @buf
 */
struct vfio_info_cap {
	struct vfio_info_cap_header *buf;
	size_t size;
};

int vfio_info_add_capability(struct vfio_info_cap *caps,
			     struct vfio_info_cap_header *cap, size_t size);
struct vfio_info_cap_header *vfio_info_cap_add(struct vfio_info_cap *caps,
					       size_t size, u16 id,
					       u16 version);
void vfio_info_cap_shift(struct vfio_info_cap *caps, size_t offset);

int vfio_set_irqs_validate_and_prepare(struct vfio_irq_set *hdr,
				       int num_irqs, int max_irq_type,
				       size_t *data_size);

/* ---- POWER EEH, for vfio-pci on pseries; no-ops elsewhere */

struct pci_dev;
#if !IS_ENABLED(CONFIG_VFIO_SPAPR_EEH)
static inline long vfio_spapr_iommu_eeh_ioctl(struct iommu_group *group,
					      unsigned int cmd,
					      unsigned long arg)
{
	return -ENOTTY;
}

static inline void vfio_spapr_pci_eeh_open(struct pci_dev *pdev) {}
static inline void vfio_spapr_pci_eeh_release(struct pci_dev *pdev) {}
#else
long vfio_spapr_iommu_eeh_ioctl(struct iommu_group *group, unsigned int cmd,
				unsigned long arg);
void vfio_spapr_pci_eeh_open(struct pci_dev *pdev);
void vfio_spapr_pci_eeh_release(struct pci_dev *pdev);
#endif

/* ---- Eventfds that run a handler: vfio_virqfd.ko */

/**
 * struct virqfd - an eventfd that runs a handler when it is signalled
 *
 * Drivers use it to unmask INTx from KVM's irqfd resampler or from
 * userspace.  Only vfio_virqfd.ko looks inside.
 *
 * @eventfd: the eventfd being watched
 * @wait: our entry on the eventfd's wait queue
 * @pt: poll table used to register @wait
 * @handler: runs in atomic context on each signal; non-zero schedules
 *           @thread
 * @thread: runs in process context after @handler asked for it
 * @opaque: the driver's context, first argument of @handler and @thread
 * @data: second argument of @handler and @thread
 * @inject: work item that runs @thread
 * @flush_inject: work item that waits for a pending @inject
 * @shutdown: work item that tears the virqfd down
 * @pvirqfd: the driver's pointer to this virqfd, cleared on shutdown
 */
struct virqfd {
	struct eventfd_ctx	*eventfd;
	wait_queue_entry_t	wait;
	poll_table		pt;
	int			(*handler)(void *opaque, void *data);
	void			(*thread)(void *opaque, void *data);
	void			*opaque;
	void			*data;
	struct work_struct	inject;
	struct work_struct	flush_inject;
	struct work_struct	shutdown;
	struct virqfd		**pvirqfd;
};

int vfio_virqfd_enable(void *opaque, int (*handler)(void *, void *),
		       void (*thread)(void *, void *), void *data,
		       struct virqfd **pvirqfd, int fd);
void vfio_virqfd_flush_thread(struct virqfd **pvirqfd);
void vfio_virqfd_disable(struct virqfd **pvirqfd);

#endif /* VFIO_H */
