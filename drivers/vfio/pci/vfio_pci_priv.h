/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal interfaces between the files of vfio-pci-core.  Each file owns
 * one concept; this header is how the others reach it.
 */
#ifndef VFIO_PCI_PRIV_H
#define VFIO_PCI_PRIV_H

#include <linux/vfio_pci_core.h>

/* Parameters set by vfio-pci through vfio_pci_core_set_params(). */
extern bool vfio_pci_nointxmask;
extern bool vfio_pci_disable_vga;
extern bool vfio_pci_disable_idle_d3;

/**
 * struct vfio_pci_irq_ctx - one interrupt vector handed to userspace
 * @trigger: eventfd signalled when the vector fires
 * @unmask: virqfd unmasking INTx when its eventfd is signalled
 * @mask: virqfd masking INTx when its eventfd is signalled
 * @name: name of the host IRQ, shown in /proc/interrupts
 * @masked: INTx only: the line is masked and waits for userspace
 * @producer: lets KVM post MSI/MSI-X vectors straight to a vCPU
 */
struct vfio_pci_irq_ctx {
	struct irq_bypass_producer producer;
	struct eventfd_ctx *trigger;
	char *name;
	/* INTx only */
	struct virqfd *mask, *unmask;
	bool masked;
};

/**
 * struct vfio_pci_vf_token - shared secret between a PF's user and its VFs'
 * @lock: protects @uuid and @users
 * @uuid: the token; VFs may only be opened by whoever presents it
 * @users: open VFs of this PF
 */
struct vfio_pci_vf_token {
	struct mutex lock;	/* see above */
	uuid_t uuid;
	int users;
};

/*
 * Which emulation rule owns a byte of config space (pci_config_map).
 * Accesses are split so one chunk never spans two owners.
 */
enum vfio_pci_cfg_owner {
	VFIO_CFG_RAW,		/* outside any visible capability: passthrough */
	VFIO_CFG_HEADER,	/* the standard header */
	VFIO_CFG_CAP,		/* a capability needing no write hook */
	VFIO_CFG_PM,
	VFIO_CFG_MSI,
	VFIO_CFG_MSIX,
	VFIO_CFG_EXP,
	VFIO_CFG_AF,
	VFIO_CFG_ECAP,		/* an extended capability */
};

static inline struct vfio_pci_core_device *
to_vfio_pci(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct vfio_pci_core_device, vdev);
}

/* vfio_pci_config.c: the emulated config space */
int vfio_pci_config_init(struct vfio_pci_core_device *vdev);
void vfio_pci_config_exit(struct vfio_pci_core_device *vdev);
ssize_t vfio_pci_config_rw(struct vfio_pci_core_device *vdev,
			   char __user *buf, size_t count, loff_t *ppos,
			   bool iswrite);
void vfio_pci_cfg_policy(struct vfio_pci_core_device *vdev, int pos,
			 int len, u32 virt, u32 write);
void vfio_pci_cfg_own(struct vfio_pci_core_device *vdev, int pos, int len,
		      u8 owner);
u32 vfio_pci_vcfg_get(struct vfio_pci_core_device *vdev, int pos, int len);
void vfio_pci_vcfg_put(struct vfio_pci_core_device *vdev, int pos, int len,
		       u32 val);

/* vfio_pci_caps.c: per-register and per-capability rules */
int vfio_pci_caps_init(struct vfio_pci_core_device *vdev);
bool vfio_pci_cfg_write_needs_memory_lock(int pos, int len);
bool vfio_pci_cfg_hw_shares_intx_disable(int pos, int len);
void vfio_pci_cfg_after_write(struct vfio_pci_core_device *vdev, u8 owner,
			      int pos, int len, u32 old);
void vfio_pci_cfg_after_read(struct vfio_pci_core_device *vdev, u8 owner,
			     int pos, int len, u32 *val);

/* Bytes moved per device access by read(2) and write(2) */
#define VFIO_PCI_IO_BOUNCE		64
/* The VGA region spans the legacy addresses up to the end of VGA memory. */
#define VFIO_PCI_VGA_REGION_SIZE	0xc0000

/* vfio_pci_regions.c: BAR, ROM and driver-defined region access */
void vfio_pci_io_span(void __iomem *io, u8 *bounce, loff_t pos,
		      size_t count, loff_t x_start, loff_t x_end,
		      bool iswrite);
int vfio_pci_setup_barmap(struct vfio_pci_core_device *vdev, int bar);
void vfio_pci_regions_release(struct vfio_pci_core_device *vdev);
void vfio_pci_probe_mmaps(struct vfio_pci_core_device *vdev);

/* vfio_pci_mmap.c: BAR mmaps and memory decode */
bool vfio_pci_memory_enabled(struct vfio_pci_core_device *vdev);
void vfio_pci_zap_bars(struct vfio_pci_core_device *vdev);
void vfio_pci_zap_and_lock_memory(struct vfio_pci_core_device *vdev);
u16 vfio_pci_memory_lock_and_enable(struct vfio_pci_core_device *vdev);
void vfio_pci_memory_unlock_and_restore(struct vfio_pci_core_device *vdev,
					u16 cmd);

/* vfio_pci_intx.c, vfio_pci_msi.c, vfio_pci_irqs.c: interrupts */
int vfio_pci_irq_count(struct vfio_pci_core_device *vdev, unsigned int index);
int vfio_pci_set_irqs_ioctl(struct vfio_pci_core_device *vdev,
			    struct vfio_irq_set *hdr, void *data);
void vfio_pci_irqs_teardown(struct vfio_pci_core_device *vdev);
bool vfio_pci_intx_mask(struct vfio_pci_core_device *vdev);
void vfio_pci_intx_unmask(struct vfio_pci_core_device *vdev);
void vfio_pci_intx_mask_device(struct vfio_pci_core_device *vdev);
void vfio_pci_intx_virt_disable(struct vfio_pci_core_device *vdev,
				bool disable);
int vfio_pci_intx_cmd_rmw(struct vfio_pci_core_device *vdev, int pos,
			  int len, u32 mask, u32 val);
int vfio_pci_intx_set(struct vfio_pci_core_device *vdev, unsigned int action,
		      u32 start, u32 count, u32 flags, void *data);
void vfio_pci_intx_disable(struct vfio_pci_core_device *vdev);
int vfio_pci_msi_set(struct vfio_pci_core_device *vdev, unsigned int index,
		     unsigned int action, u32 start, u32 count, u32 flags,
		     void *data);
void vfio_pci_msi_disable(struct vfio_pci_core_device *vdev, bool msix);
int vfio_pci_trigger_from_data(struct eventfd_ctx **trigger, u32 flags,
			       void *data);

/* vfio_pci_reset.c: function, slot and bus resets */
int vfio_pci_assign_dev_set(struct vfio_pci_core_device *vdev);
long vfio_pci_ioctl_reset(struct vfio_pci_core_device *vdev);
long vfio_pci_ioctl_hot_reset_info(struct vfio_pci_core_device *vdev,
				   void __user *arg);
long vfio_pci_ioctl_hot_reset(struct vfio_pci_core_device *vdev,
			      void __user *arg);
void vfio_pci_dev_set_try_reset(struct vfio_device_set *dev_set);
int vfio_pci_function_flr(struct vfio_pci_core_device *vdev);

/* vfio_pci_pm.c: power states */
int vfio_pci_set_power_state(struct vfio_pci_core_device *vdev,
			     pci_power_t state);
u16 vfio_pci_pm_user_write(struct vfio_pci_core_device *vdev, u16 field);
u16 vfio_pci_pm_user_state(struct vfio_pci_core_device *vdev);
void vfio_pci_pm_register(struct vfio_pci_core_device *vdev);
void vfio_pci_pm_unregister(struct vfio_pci_core_device *vdev);
int vfio_pci_pm_get(struct vfio_pci_core_device *vdev);
void vfio_pci_pm_put(struct vfio_pci_core_device *vdev);
int vfio_pci_feature_low_power_entry(struct vfio_pci_core_device *vdev,
				     u32 flags, size_t argsz);
int vfio_pci_feature_low_power_wakeup(struct vfio_pci_core_device *vdev,
				      u32 flags, void __user *arg,
				      size_t argsz);
int vfio_pci_feature_low_power_exit(struct vfio_pci_core_device *vdev,
				    u32 flags, size_t argsz);
void vfio_pci_low_power_leave(struct vfio_pci_core_device *vdev);

/* vfio_pci_sriov.c: VFs of our PFs, VF tokens */
int vfio_pci_vf_init(struct vfio_pci_core_device *vdev);
void vfio_pci_vf_uninit(struct vfio_pci_core_device *vdev);
void vfio_pci_vfs_remove(struct vfio_pci_core_device *vdev);
int vfio_pci_vf_token_check(struct vfio_pci_core_device *vdev,
			    bool vf_token, uuid_t *uuid);
void vfio_pci_vf_token_user_add(struct vfio_pci_core_device *vdev, int val);
int vfio_pci_feature_vf_token(struct vfio_pci_core_device *vdev, u32 flags,
			      void __user *arg, size_t argsz);

/* vfio_pci_ioeventfd.c: register writes on eventfd signals */
int vfio_pci_ioeventfd(struct vfio_pci_core_device *vdev, u64 offset,
		       u64 data, int width, int fd);
void vfio_pci_ioeventfds_release(struct vfio_pci_core_device *vdev);

/* vfio_pci_vga.c: legacy VGA ranges and the VGA arbiter */
int vfio_pci_vga_register(struct vfio_pci_core_device *vdev);
void vfio_pci_vga_unregister(struct vfio_pci_core_device *vdev);
void vfio_pci_vga_enable(struct vfio_pci_core_device *vdev);
#ifdef CONFIG_VFIO_PCI_VGA
ssize_t vfio_pci_vga_rw(struct vfio_pci_core_device *vdev, char __user *buf,
			size_t count, loff_t *ppos, bool iswrite);
#else
static inline ssize_t vfio_pci_vga_rw(struct vfio_pci_core_device *vdev,
				      char __user *buf, size_t count,
				      loff_t *ppos, bool iswrite)
{
	return -EINVAL;
}
#endif

/* vfio_pci_zdev.c: s390 zPCI properties and KVM registration */
#ifdef CONFIG_VFIO_PCI_ZDEV_KVM
int vfio_pci_zdev_info_caps(struct vfio_pci_core_device *vdev,
			    struct vfio_info_cap *caps);
int vfio_pci_zdev_open(struct vfio_pci_core_device *vdev);
void vfio_pci_zdev_close(struct vfio_pci_core_device *vdev);
#else
static inline int vfio_pci_zdev_info_caps(struct vfio_pci_core_device *vdev,
					  struct vfio_info_cap *caps)
{
	return 0;
}

static inline int vfio_pci_zdev_open(struct vfio_pci_core_device *vdev)
{
	return 0;
}

static inline void vfio_pci_zdev_close(struct vfio_pci_core_device *vdev)
{
}
#endif

#endif /* VFIO_PCI_PRIV_H */
