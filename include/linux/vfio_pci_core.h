/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio-pci-core: the library behind vfio-pci and its vendor variant drivers.
 *
 * A variant driver embeds struct vfio_pci_core_device as the first member
 * of its own structure, allocates it with vfio_alloc_device(), and fills its
 * vfio_device_ops mostly with the vfio_pci_core_* functions declared here,
 * overriding only what its hardware needs.  The names below are those
 * Linux 6.1's variant drivers are written against.
 */
#ifndef VFIO_PCI_CORE_H
#define VFIO_PCI_CORE_H

#include <linux/irqbypass.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/types.h>
#include <linux/uuid.h>
#include <linux/vfio.h>

/*
 * The device file is cut into one window per region: the top bits of the
 * file offset select the region, the low 40 bits address inside it.
 */
#define VFIO_PCI_OFFSET_SHIFT		40
#define VFIO_PCI_OFFSET_MASK		((1ULL << VFIO_PCI_OFFSET_SHIFT) - 1)
#define VFIO_PCI_OFFSET_TO_INDEX(off)	((off) >> VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_INDEX_TO_OFFSET(index)	((u64)(index) << VFIO_PCI_OFFSET_SHIFT)

/**
 * struct vfio_pci_region - a region beyond the fixed PCI ones
 * @type: VFIO_REGION_TYPE_* reported in the region's type capability
 * @subtype: the type's subtype
 * @ops: access callbacks
 * @data: owner's private data
 * @size: size in bytes
 * @flags: VFIO_REGION_INFO_FLAG_* reported to userspace
 */
struct vfio_pci_region {
	const struct vfio_pci_regops *ops;
	void *data;
	size_t size;
	u32 flags;
	u32 type, subtype;
};

/* Defined below; the callbacks only take pointers to it. */
struct vfio_pci_core_device;

/**
 * struct vfio_pci_regops - how a driver-defined region is accessed
 * @rw: read(2)/write(2) at *@ppos (index bits included); returns bytes done
 * @release: free @region's private data when the device is released
 * @mmap: map the region; only called when the region has the MMAP flag
 * @add_capability: append region-specific capabilities to GET_REGION_INFO
 */
struct vfio_pci_regops {
	/* Copy between @buf and the region; the return value is bytes moved. */
	ssize_t (*rw)(struct vfio_pci_core_device *core, char __user *buf,
		      size_t count, loff_t *ppos, bool iswrite);
	/* Only consulted when the region advertises the MMAP flag. */
	int (*mmap)(struct vfio_pci_core_device *core,
		    struct vfio_pci_region *rgn, struct vm_area_struct *vma);
	/* Optional extra capabilities for VFIO_DEVICE_GET_REGION_INFO. */
	int (*add_capability)(struct vfio_pci_core_device *core,
			      struct vfio_pci_region *rgn,
			      struct vfio_info_cap *caps);
	/* Drop @rgn->data when the device goes away. */
	void (*release)(struct vfio_pci_core_device *core,
			struct vfio_pci_region *rgn);
};

/* Private to vfio-pci-core; only pointers appear here. */
struct vfio_pci_irq_ctx;
struct vfio_pci_vf_token;
struct perm_bits;

/**
 * struct vfio_pci_core_device - a PCI function exposed through VFIO
 *
 * Locking:
 * @igate serialises interrupt setup (SET_IRQS, teardown at close) and
 * protects @ctx, @num_ctx, @irq_type, @err_trigger and @req_trigger.
 * @irqlock (a spinlock, taken from the INTx handler) protects the INTx
 * masked state and the hardware INTx disable bit.
 * @memory_lock is held for reading around every access that needs the
 * device to decode memory (BAR reads and writes, mmap faults) and for
 * writing while memory decode may go away (command register writes,
 * resets, power state changes), so nothing touches a BAR that does not
 * answer.  @vma_lock serialises claiming and mapping BARs for the kernel
 * (vfio_pci_setup_barmap).
 * @ioeventfds_lock protects @ioeventfds_list and @ioeventfds_nr.
 * The device set lock (vdev.dev_set->lock) covers open/close, the
 * fields set there, and resets that span the set.
 *
 * @vdev: the VFIO device; must stay the first member
 * @pdev: the PCI function
 * @barmap: kernel mappings of the BARs, made on first use
 * @bar_mmap_supported: whether userspace may mmap each BAR
 * @virq_disabled: INTx masked through the virtual INTx disable bit
 * @bardirty: unused by this implementation, kept for source compatibility
 * @pci_config_map: which emulation policy owns each config space byte
 * @vconfig: the emulated config space userspace sees for virtual bits
 * @msi_perm: unused by this implementation, kept for source compatibility
 * @irqlock: see Locking
 * @igate: see Locking
 * @ctx: per-vector interrupt state of the active index
 * @num_ctx: entries in @ctx
 * @irq_type: active interrupt index, VFIO_PCI_NUM_IRQS when none
 * @num_regions: driver-defined regions in @region
 * @region: driver-defined regions, numbered after the fixed ones
 * @msi_qmax: unused by this implementation, kept for source compatibility
 * @msix_bar: BAR holding the MSI-X table, 0xff without MSI-X
 * @msix_size: size of the MSI-X table in bytes
 * @msix_offset: offset of the MSI-X table in @msix_bar
 * @rbar: the BAR registers as the PCI core programmed them
 * @pci_2_3: the function can mask INTx itself (shared lines are usable)
 * @reset_works: a function-level reset method exists
 * @extended_caps: config space has an extended (PCIe) part
 * @has_vga: the function decodes legacy VGA ranges
 * @nointx: INTx is not offered to userspace
 * @needs_pm_restore: the function loses state in D3hot
 * @disable_idle_d3: keep the function in D0 while nobody uses it
 * @needs_reset: the function should be reset before its next user
 * @pm_intx_masked: INTx was masked by us for a low power transition
 * @pm_runtime_engaged: userspace asked for runtime low power
 * @sriov_active: the PF has VFs enabled through this driver
 * @pci_saved_state: config state saved at open, restored at close
 * @pm_save: state saved across D3hot when @needs_pm_restore
 * @ioeventfds_nr: number of entries in @ioeventfds_list
 * @err_trigger: eventfd signalled on AER errors
 * @req_trigger: eventfd signalled when the host wants the device back
 * @pm_wake_eventfd_ctx: eventfd signalled on wake from low power
 * @dummy_resources_list: page-rounding resources reserved after small BARs
 * @ioeventfds_lock: see Locking
 * @ioeventfds_list: registered ioeventfds
 * @vf_token: the PF's VF token, NULL for functions that are not PFs
 * @sriov_pfs_item: entry in the list of PFs with VFs bound elsewhere
 * @sriov_pf_core_dev: for a VF, the vfio-pci-core PF it belongs to
 * @nb: bus notifier watching VFs of this PF being bound
 * @vma_lock: see Locking
 * @vma_list: unused by this implementation, kept for source compatibility
 * @memory_lock: see Locking
 *
 * Members after @memory_lock are private to vfio-pci-core.
 *
 * @bar_mask: per BAR register (ROM last), the bits userspace may size
 * @bar_flags: per BAR register, the read-only low bits of the register
 * @cfg_virt: per config byte, the bits read from and written to @vconfig
 * @cfg_write: per config byte, the bits userspace may write
 * @open_reset_done: a reset succeeded since the last user opened us
 */
struct vfio_pci_core_device {
	struct vfio_device vdev;
	struct pci_dev *pdev;

	/* BARs and regions */
	void __iomem *barmap[PCI_STD_NUM_BARS];
	bool bar_mmap_supported[PCI_STD_NUM_BARS];
	u32 rbar[7];
	int num_regions;
	struct vfio_pci_region *region;
	struct list_head dummy_resources_list;
	u8 msix_bar;
	u16 msix_size;
	u32 msix_offset;

	/* Emulated config space */
	u8 *pci_config_map;
	u8 *vconfig;
	struct perm_bits *msi_perm;
	bool bardirty;
	u8 msi_qmax;

	/* Interrupts */
	spinlock_t irqlock;		/* see Locking */
	struct mutex igate;		/* see Locking */
	struct vfio_pci_irq_ctx *ctx;
	int num_ctx;
	int irq_type;
	bool virq_disabled;
	struct eventfd_ctx *err_trigger;
	struct eventfd_ctx *req_trigger;

	/* Set once when the device is registered or opened */
	bool nointx:1;
	bool pci_2_3:1;
	bool has_vga:1;
	bool extended_caps:1;
	bool disable_idle_d3:1;
	bool reset_works:1;
	bool needs_pm_restore:1;

	/* Power and reset state, changed while the device is in use */
	bool needs_reset;
	bool pm_intx_masked;
	bool pm_runtime_engaged;
	struct pci_saved_state *pci_saved_state;
	struct pci_saved_state *pm_save;
	struct eventfd_ctx *pm_wake_eventfd_ctx;

	/* ioeventfds */
	int ioeventfds_nr;
	struct mutex ioeventfds_lock;	/* see Locking */
	struct list_head ioeventfds_list;

	/* SR-IOV */
	bool sriov_active;
	struct vfio_pci_vf_token *vf_token;
	struct list_head sriov_pfs_item;
	struct vfio_pci_core_device *sriov_pf_core_dev;
	struct notifier_block nb;

	/* mmap and memory decode */
	struct mutex vma_lock;		/* see Locking */
	struct list_head vma_list;
	struct rw_semaphore memory_lock;

	/* Private to vfio-pci-core */
	u32 bar_mask[7];
	u32 bar_flags[7];
	u8 *cfg_virt;
	u8 *cfg_write;
	bool open_reset_done;
};

/* Module-wide knobs, normally set from vfio-pci's module parameters. */
void vfio_pci_core_set_params(bool nointxmask, bool is_disable_vga,
			      bool is_disable_idle_d3);

/* Life cycle of a function bound to a vfio-pci-core based driver. */
int vfio_pci_core_init_dev(struct vfio_device *core_vdev);
int vfio_pci_core_register_device(struct vfio_pci_core_device *vdev);
void vfio_pci_core_unregister_device(struct vfio_pci_core_device *vdev);
void vfio_pci_core_release_dev(struct vfio_device *core_vdev);

/* Open and close: enable, then finish_enable; disable on the way out. */
int vfio_pci_core_enable(struct vfio_pci_core_device *vdev);
void vfio_pci_core_finish_enable(struct vfio_pci_core_device *vdev);
void vfio_pci_core_disable(struct vfio_pci_core_device *vdev);
void vfio_pci_core_close_device(struct vfio_device *core_vdev);

/* Entry points meant to be placed straight into vfio_device_ops. */
ssize_t vfio_pci_core_read(struct vfio_device *core_vdev, char __user *buf,
			   size_t count, loff_t *ppos);
ssize_t vfio_pci_core_write(struct vfio_device *core_vdev,
			    const char __user *buf, size_t count,
			    loff_t *ppos);
int vfio_pci_core_mmap(struct vfio_device *core_vdev,
		       struct vm_area_struct *vma);
long vfio_pci_core_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
			 unsigned long arg);
int vfio_pci_core_ioctl_feature(struct vfio_device *device, u32 flags,
				void __user *arg, size_t argsz);
int vfio_pci_core_match(struct vfio_device *core_vdev, char *buf);
void vfio_pci_core_request(struct vfio_device *core_vdev, unsigned int count);

/* Extra regions a variant driver wants to expose. */
int vfio_pci_core_register_dev_region(struct vfio_pci_core_device *vdev,
				      unsigned int type, unsigned int subtype,
				      const struct vfio_pci_regops *ops,
				      size_t size, u32 flags, void *data);

/* Hooks for the pci_driver of a variant: SR-IOV and AER. */
int vfio_pci_core_sriov_configure(struct vfio_pci_core_device *vdev,
				  int nr_virtfn);
pci_ers_result_t vfio_pci_core_aer_err_detected(struct pci_dev *pdev,
						pci_channel_state_t state);
extern const struct pci_error_handlers vfio_pci_core_err_handlers;

#endif /* VFIO_PCI_CORE_H */
