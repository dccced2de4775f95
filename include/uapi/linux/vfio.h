/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * VFIO: the userspace interface.
 *
 * Every number and layout here is the ABI of Linux 6.1; programs built
 * against 6.1 (QEMU, DPDK, SPDK, libvirt's helpers) run unchanged.
 *
 * Conventions shared by the ioctls below:
 *  - All ioctls are _IO(VFIO_TYPE, VFIO_BASE + n); the argument, if any, is
 *    a pointer (or, for a few, a plain integer) passed as the third
 *    argument of ioctl(2).
 *  - Structures start with argsz, the size userspace allocated, and flags.
 *    The kernel fills in what fits; when a reply needs more room, it says
 *    so by raising argsz, and the caller retries with a bigger buffer.
 *  - Optional data is appended as a chain of capabilities, each starting
 *    with struct vfio_info_cap_header; "next" is the offset of the next one
 *    from the start of the reply, 0 for the last.
 */
#ifndef _UAPI_LINUX_VFIO_H
#define _UAPI_LINUX_VFIO_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define VFIO_API_VERSION	0

/* ---- Extensions: VFIO_CHECK_EXTENSION arguments, VFIO_SET_IOMMU types */

#define VFIO_TYPE1_IOMMU		1	/* the type1 backend */
#define VFIO_SPAPR_TCE_IOMMU		2	/* POWER TCE tables */
#define VFIO_TYPE1v2_IOMMU		3	/* type1, unmaps never split */
#define VFIO_DMA_CC_IOMMU		4	/* DMA is cache coherent */
#define VFIO_EEH			5	/* POWER error handling */
#define VFIO_TYPE1_NESTING_IOMMU	6	/* type1 with nesting */
#define VFIO_SPAPR_TCE_v2_IOMMU		7	/* TCE with DDW */
#define VFIO_NOIOMMU_IOMMU		8	/* no isolation at all */
#define VFIO_UNMAP_ALL			9	/* UNMAP_DMA of everything */
#define VFIO_UPDATE_VADDR		10	/* MAP/UNMAP_DMA vaddr flags */

/* ---- Ioctl numbering */

#define VFIO_TYPE	(';')
#define VFIO_BASE	100

/**
 * struct vfio_info_cap_header - head of each capability of a chain
 * @id: what the capability is; ids are per reply type
 * @version: layout version of that capability
 * @next: offset of the next capability from the start of the reply, 0 for
 *        the last one
 */
struct vfio_info_cap_header {
	__u16	id;
	__u16	version;
	__u32	next;
};

/* ---- Container: /dev/vfio/vfio */

/* Returns VFIO_API_VERSION. */
#define VFIO_GET_API_VERSION		_IO(VFIO_TYPE, VFIO_BASE + 0)

/*
 * The argument is an extension number; returns > 0 if it is supported,
 * 0 if not.  Before VFIO_SET_IOMMU every loaded backend may answer, after
 * it only the chosen one.
 */
#define VFIO_CHECK_EXTENSION		_IO(VFIO_TYPE, VFIO_BASE + 1)

/*
 * The argument is an IOMMU type (an extension number above).  The
 * container must hold at least one group and no backend yet.
 */
#define VFIO_SET_IOMMU			_IO(VFIO_TYPE, VFIO_BASE + 2)

/* ---- Group: /dev/vfio/N */

/**
 * struct vfio_group_status - VFIO_GROUP_GET_STATUS
 * @argsz: sizeof(struct vfio_group_status)
 * @flags: VFIO_GROUP_FLAGS_* of the group
 */
struct vfio_group_status {
	__u32	argsz;
	__u32	flags;
/* Every device of the group is free for userspace (none has a host driver). */
#define VFIO_GROUP_FLAGS_VIABLE		(1 << 0)
/* The group is attached to a container. */
#define VFIO_GROUP_FLAGS_CONTAINER_SET	(1 << 1)
};

#define VFIO_GROUP_GET_STATUS		_IO(VFIO_TYPE, VFIO_BASE + 3)

/* Argument: pointer to the int fd of a container to attach the group to. */
#define VFIO_GROUP_SET_CONTAINER	_IO(VFIO_TYPE, VFIO_BASE + 4)

/* Leave the container; refused while device fds of the group are open. */
#define VFIO_GROUP_UNSET_CONTAINER	_IO(VFIO_TYPE, VFIO_BASE + 5)

/*
 * Argument: a NUL-terminated device name (for PCI, "dddd:bb:dd.f"); returns
 * a new device fd.  Needs the group in a container with an IOMMU type set.
 */
#define VFIO_GROUP_GET_DEVICE_FD	_IO(VFIO_TYPE, VFIO_BASE + 6)

/* ---- Device: information */

/**
 * struct vfio_device_info - VFIO_DEVICE_GET_INFO
 * @argsz: size of the reply buffer, capabilities included
 * @flags: VFIO_DEVICE_FLAGS_*: the device's bus and abilities
 * @num_regions: regions, indexes 0 .. num_regions - 1
 * @num_irqs: interrupt indexes, 0 .. num_irqs - 1
 * @cap_offset: offset of the first capability, with VFIO_DEVICE_FLAGS_CAPS
 */
struct vfio_device_info {
	__u32	argsz;
	__u32	flags;
#define VFIO_DEVICE_FLAGS_RESET	(1 << 0)	/* VFIO_DEVICE_RESET works */
#define VFIO_DEVICE_FLAGS_PCI	(1 << 1)
#define VFIO_DEVICE_FLAGS_PLATFORM (1 << 2)
#define VFIO_DEVICE_FLAGS_AMBA  (1 << 3)
#define VFIO_DEVICE_FLAGS_CCW	(1 << 4)
#define VFIO_DEVICE_FLAGS_AP	(1 << 5)
#define VFIO_DEVICE_FLAGS_FSL_MC (1 << 6)
#define VFIO_DEVICE_FLAGS_CAPS	(1 << 7)	/* cap_offset is valid */
	__u32	num_regions;
	__u32	num_irqs;
	__u32   cap_offset;
};

#define VFIO_DEVICE_GET_INFO		_IO(VFIO_TYPE, VFIO_BASE + 7)

/* Values of an mdev type's sysfs "device_api" attribute. */
#define VFIO_DEVICE_API_PCI_STRING		"vfio-pci"
#define VFIO_DEVICE_API_PLATFORM_STRING		"vfio-platform"
#define VFIO_DEVICE_API_AMBA_STRING		"vfio-amba"
#define VFIO_DEVICE_API_CCW_STRING		"vfio-ccw"
#define VFIO_DEVICE_API_AP_STRING		"vfio-ap"

/* Device info capabilities of s390 zPCI functions (see vfio_zdev.h). */
#define VFIO_DEVICE_INFO_CAP_ZPCI_BASE		1
#define VFIO_DEVICE_INFO_CAP_ZPCI_GROUP		2
#define VFIO_DEVICE_INFO_CAP_ZPCI_UTIL		3
#define VFIO_DEVICE_INFO_CAP_ZPCI_PFIP		4

/* ---- Device: regions */

/**
 * struct vfio_region_info - VFIO_DEVICE_GET_REGION_INFO
 * @argsz: size of the reply buffer, capabilities included
 * @flags: VFIO_REGION_INFO_FLAG_*: allowed accesses
 * @index: the region asked about (set by userspace)
 * @cap_offset: offset of the first capability, with ..._FLAG_CAPS
 * @size: bytes in the region
 * @offset: where the region starts in the device fd, for pread/pwrite/mmap
 */
struct vfio_region_info {
	__u32	argsz;
	__u32	flags;
#define VFIO_REGION_INFO_FLAG_READ	(1 << 0)
#define VFIO_REGION_INFO_FLAG_WRITE	(1 << 1)
#define VFIO_REGION_INFO_FLAG_MMAP	(1 << 2)
#define VFIO_REGION_INFO_FLAG_CAPS	(1 << 3)
	__u32	index;
	__u32	cap_offset;
	__u64	size;
	__u64	offset;
};

#define VFIO_DEVICE_GET_REGION_INFO	_IO(VFIO_TYPE, VFIO_BASE + 8)

/* Only parts of the region may be mmapped: these areas. */
#define VFIO_REGION_INFO_CAP_SPARSE_MMAP	1

/**
 * struct vfio_region_sparse_mmap_area - one mmappable part of a region
 * @offset: from the start of the region
 * @size: bytes
 */
struct vfio_region_sparse_mmap_area {
	__u64	offset;
	__u64	size;
};

/**
 * struct vfio_region_info_cap_sparse_mmap - VFIO_REGION_INFO_CAP_SPARSE_MMAP
 * @header: capability header
 * @nr_areas: entries in @areas
 * @reserved: zero
 * @areas: the mmappable areas
 */
struct vfio_region_info_cap_sparse_mmap {
	struct vfio_info_cap_header header;
	__u32	nr_areas;
	__u32	reserved;
	struct vfio_region_sparse_mmap_area areas[];
};

/* Device-specific regions beyond the bus's own say what they are. */
#define VFIO_REGION_INFO_CAP_TYPE	2

/**
 * struct vfio_region_info_cap_type - VFIO_REGION_INFO_CAP_TYPE
 * @header: capability header
 * @type: VFIO_REGION_TYPE_*, or a PCI vendor id with the vendor bit
 * @subtype: meaning depends on @type
 */
struct vfio_region_info_cap_type {
	struct vfio_info_cap_header header;
	__u32 type;
	__u32 subtype;
};

#define VFIO_REGION_TYPE_PCI_VENDOR_TYPE	(1 << 31)
#define VFIO_REGION_TYPE_PCI_VENDOR_MASK	(0xffff)
#define VFIO_REGION_TYPE_GFX                    (1)
#define VFIO_REGION_TYPE_CCW			(2)
#define VFIO_REGION_TYPE_MIGRATION_DEPRECATED   (3)

/* Subtypes of type 0x8086 (Intel) regions: IGD passthrough. */
#define VFIO_REGION_SUBTYPE_INTEL_IGD_OPREGION	(1)
#define VFIO_REGION_SUBTYPE_INTEL_IGD_HOST_CFG	(2)
#define VFIO_REGION_SUBTYPE_INTEL_IGD_LPC_CFG	(3)

/* Subtypes of NVIDIA (0x10de) and IBM (0x1014) regions: NVLink2. */
#define VFIO_REGION_SUBTYPE_NVIDIA_NVLINK2_RAM	(1)
#define VFIO_REGION_SUBTYPE_IBM_NVLINK2_ATSD	(1)

/* Subtype of VFIO_REGION_TYPE_GFX: a virtual display's EDID. */
#define VFIO_REGION_SUBTYPE_GFX_EDID            (1)

/**
 * struct vfio_region_gfx_edid - head of a VFIO_REGION_SUBTYPE_GFX_EDID region
 * @edid_offset: where the EDID blob sits in the region (read-only)
 * @edid_max_size: room for the blob (read-only)
 * @edid_size: bytes of blob userspace wrote
 * @max_xres: largest width the device can show (read-only, 0: any)
 * @max_yres: largest height (read-only, 0: any)
 * @link_state: VFIO_DEVICE_GFX_LINK_STATE_*; set DOWN while changing the
 *              blob, then UP
 */
struct vfio_region_gfx_edid {
	__u32 edid_offset;
	__u32 edid_max_size;
	__u32 edid_size;
	__u32 max_xres;
	__u32 max_yres;
	__u32 link_state;
#define VFIO_DEVICE_GFX_LINK_STATE_UP    1
#define VFIO_DEVICE_GFX_LINK_STATE_DOWN  2
};

/* Subtypes of VFIO_REGION_TYPE_CCW (s390 channel I/O). */
#define VFIO_REGION_SUBTYPE_CCW_ASYNC_CMD	(1)
#define VFIO_REGION_SUBTYPE_CCW_SCHIB		(2)
#define VFIO_REGION_SUBTYPE_CCW_CRW		(3)

/*
 * The first migration protocol, a region.  It is kept only so old sources
 * build; devices use the VFIO_DEVICE_FEATURE_MIG_* features instead.
 */
#define VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED (1)

/**
 * struct vfio_device_migration_info - head of the deprecated migration region
 * @device_state: VFIO_DEVICE_STATE_V1_* bits
 * @reserved: zero
 * @pending_bytes: device state still to be read
 * @data_offset: where in the region the next chunk is
 * @data_size: bytes of that chunk
 */
struct vfio_device_migration_info {
	__u32 device_state;
#define VFIO_DEVICE_STATE_V1_STOP      (0)
#define VFIO_DEVICE_STATE_V1_RUNNING   (1 << 0)
#define VFIO_DEVICE_STATE_V1_SAVING    (1 << 1)
#define VFIO_DEVICE_STATE_V1_RESUMING  (1 << 2)
#define VFIO_DEVICE_STATE_MASK      (VFIO_DEVICE_STATE_V1_RUNNING | \
				     VFIO_DEVICE_STATE_V1_SAVING |  \
				     VFIO_DEVICE_STATE_V1_RESUMING)
/* RESUMING may not be combined with anything else. */
#define VFIO_DEVICE_STATE_VALID(state) \
	((state) & VFIO_DEVICE_STATE_V1_RESUMING ? \
	((state) & VFIO_DEVICE_STATE_MASK) == VFIO_DEVICE_STATE_V1_RESUMING : 1)
/* SAVING together with RESUMING is how an error state is written. */
#define VFIO_DEVICE_STATE_IS_ERROR(state) \
	(((state) & VFIO_DEVICE_STATE_MASK) == (VFIO_DEVICE_STATE_V1_SAVING | \
					      VFIO_DEVICE_STATE_V1_RESUMING))
#define VFIO_DEVICE_STATE_SET_ERROR(state) \
	(((state) & ~VFIO_DEVICE_STATE_MASK) | VFIO_DEVICE_STATE_V1_SAVING | \
					     VFIO_DEVICE_STATE_V1_RESUMING)
	__u32 reserved;
	__u64 pending_bytes;
	__u64 data_offset;
	__u64 data_size;
};

/* The MSI-X table's BAR may be mmapped whole despite the table in it. */
#define VFIO_REGION_INFO_CAP_MSIX_MAPPABLE	3

/* NVLink2 target address and link speed of an NVLink2 RAM/ATSD region. */
#define VFIO_REGION_INFO_CAP_NVLINK2_SSATGT	4

/**
 * struct vfio_region_info_cap_nvlink2_ssatgt - NVLink2 target address
 * @header: capability header
 * @tgt: the GPU's address on the NVLink2 bus
 */
struct vfio_region_info_cap_nvlink2_ssatgt {
	struct vfio_info_cap_header header;
	__u64 tgt;
};

#define VFIO_REGION_INFO_CAP_NVLINK2_LNKSPD	5

/**
 * struct vfio_region_info_cap_nvlink2_lnkspd - NVLink2 link speed
 * @header: capability header
 * @link_speed: the link's speed code
 * @__pad: zero
 */
struct vfio_region_info_cap_nvlink2_lnkspd {
	struct vfio_info_cap_header header;
	__u32 link_speed;
	__u32 __pad;
};

/* ---- Device: interrupts */

/**
 * struct vfio_irq_info - VFIO_DEVICE_GET_IRQ_INFO
 * @argsz: sizeof(struct vfio_irq_info)
 * @flags: VFIO_IRQ_INFO_*
 * @index: the interrupt index asked about (set by userspace)
 * @count: interrupts at that index, 0 if the device has none there
 */
struct vfio_irq_info {
	__u32	argsz;
	__u32	flags;
#define VFIO_IRQ_INFO_EVENTFD		(1 << 0)	/* signalled via eventfd */
#define VFIO_IRQ_INFO_MASKABLE		(1 << 1)	/* MASK/UNMASK work */
#define VFIO_IRQ_INFO_AUTOMASKED	(1 << 2)	/* masked when it fires */
#define VFIO_IRQ_INFO_NORESIZE		(1 << 3)	/* set all at once */
	__u32	index;
	__u32	count;
};

#define VFIO_DEVICE_GET_IRQ_INFO	_IO(VFIO_TYPE, VFIO_BASE + 9)

/**
 * struct vfio_irq_set - VFIO_DEVICE_SET_IRQS
 * @argsz: size of the struct and of @data
 * @flags: one DATA_* type and one ACTION_* flag
 * @index: interrupt index
 * @start: first interrupt of the index to act on
 * @count: interrupts to act on; 0 with DATA_NONE and ACTION_TRIGGER
 *         turns the whole index off
 * @data: nothing (DATA_NONE), @count u8 booleans (DATA_BOOL: act where
 *        true) or @count s32 eventfds (DATA_EVENTFD: -1 disconnects)
 */
struct vfio_irq_set {
	__u32	argsz;
	__u32	flags;
#define VFIO_IRQ_SET_DATA_NONE		(1 << 0)
#define VFIO_IRQ_SET_DATA_BOOL		(1 << 1)
#define VFIO_IRQ_SET_DATA_EVENTFD	(1 << 2)
#define VFIO_IRQ_SET_ACTION_MASK	(1 << 3)
#define VFIO_IRQ_SET_ACTION_UNMASK	(1 << 4)
#define VFIO_IRQ_SET_ACTION_TRIGGER	(1 << 5)
	__u32	index;
	__u32	start;
	__u32	count;
	__u8	data[];
};

#define VFIO_DEVICE_SET_IRQS		_IO(VFIO_TYPE, VFIO_BASE + 10)

#define VFIO_IRQ_SET_DATA_TYPE_MASK	(VFIO_IRQ_SET_DATA_NONE | \
					 VFIO_IRQ_SET_DATA_BOOL | \
					 VFIO_IRQ_SET_DATA_EVENTFD)
#define VFIO_IRQ_SET_ACTION_TYPE_MASK	(VFIO_IRQ_SET_ACTION_MASK | \
					 VFIO_IRQ_SET_ACTION_UNMASK | \
					 VFIO_IRQ_SET_ACTION_TRIGGER)

/* Reset the device, if VFIO_DEVICE_FLAGS_RESET says it can be. */
#define VFIO_DEVICE_RESET		_IO(VFIO_TYPE, VFIO_BASE + 11)

/* ---- PCI devices (VFIO_DEVICE_FLAGS_PCI) */

/* Region indexes; device-specific regions follow VFIO_PCI_NUM_REGIONS. */
enum {
	VFIO_PCI_BAR0_REGION_INDEX,
	VFIO_PCI_BAR1_REGION_INDEX,
	VFIO_PCI_BAR2_REGION_INDEX,
	VFIO_PCI_BAR3_REGION_INDEX,
	VFIO_PCI_BAR4_REGION_INDEX,
	VFIO_PCI_BAR5_REGION_INDEX,
	VFIO_PCI_ROM_REGION_INDEX,
	VFIO_PCI_CONFIG_REGION_INDEX,
	/* legacy VGA I/O and memory ranges, when vfio-pci exposes them */
	VFIO_PCI_VGA_REGION_INDEX,
	VFIO_PCI_NUM_REGIONS = 9
};

/* Interrupt indexes; ERR and REQ are signals from vfio-pci itself. */
enum {
	VFIO_PCI_INTX_IRQ_INDEX,
	VFIO_PCI_MSI_IRQ_INDEX,
	VFIO_PCI_MSIX_IRQ_INDEX,
	VFIO_PCI_ERR_IRQ_INDEX,
	VFIO_PCI_REQ_IRQ_INDEX,
	VFIO_PCI_NUM_IRQS
};

/* ---- s390 channel I/O devices (VFIO_DEVICE_FLAGS_CCW) */

enum {
	VFIO_CCW_CONFIG_REGION_INDEX,
	VFIO_CCW_NUM_REGIONS
};

enum {
	VFIO_CCW_IO_IRQ_INDEX,
	VFIO_CCW_CRW_IRQ_INDEX,
	VFIO_CCW_REQ_IRQ_INDEX,
	VFIO_CCW_NUM_IRQS
};

/**
 * struct vfio_pci_dependent_device - a device a hot reset would also reset
 * @group_id: its IOMMU group
 * @segment: PCI segment
 * @bus: PCI bus
 * @devfn: PCI device and function
 */
struct vfio_pci_dependent_device {
	__u32	group_id;
	__u16	segment;
	__u8	bus;
	__u8	devfn;
};

/**
 * struct vfio_pci_hot_reset_info - VFIO_DEVICE_GET_PCI_HOT_RESET_INFO
 * @argsz: size of the reply buffer, @devices included
 * @flags: zero
 * @count: devices the reset affects; -ENOSPC with @count set when
 *         @argsz was too small for them
 * @devices: those devices
 */
struct vfio_pci_hot_reset_info {
	__u32	argsz;
	__u32	flags;
	__u32	count;
	struct vfio_pci_dependent_device	devices[];
};

#define VFIO_DEVICE_GET_PCI_HOT_RESET_INFO	_IO(VFIO_TYPE, VFIO_BASE + 12)

/**
 * struct vfio_pci_hot_reset - VFIO_DEVICE_PCI_HOT_RESET
 * @argsz: size of the struct and of @group_fds
 * @flags: zero
 * @count: entries in @group_fds
 * @group_fds: group fds proving ownership of every affected device
 */
struct vfio_pci_hot_reset {
	__u32	argsz;
	__u32	flags;
	__u32	count;
	__s32	group_fds[];
};

#define VFIO_DEVICE_PCI_HOT_RESET	_IO(VFIO_TYPE, VFIO_BASE + 13)

/* ---- Virtual displays of mediated devices */

/**
 * struct vfio_device_gfx_plane_info - VFIO_DEVICE_QUERY_GFX_PLANE
 * @argsz: sizeof(struct vfio_device_gfx_plane_info)
 * @flags: PROBE with DMABUF or REGION asks which one is supported;
 *         without PROBE, the plane of that kind is described
 * @drm_plane_type: DRM_PLANE_TYPE_* of the plane asked about
 * @drm_format: DRM fourcc of the plane's pixels
 * @drm_format_mod: DRM format modifier
 * @width: pixels
 * @height: pixels
 * @stride: bytes per line
 * @size: bytes of the plane
 * @x_pos: horizontal position of the plane
 * @y_pos: vertical position
 * @x_hot: cursor hotspot, horizontal
 * @y_hot: cursor hotspot, vertical
 * @region_index: with REGION, the region holding the plane
 * @dmabuf_id: with DMABUF, the id for VFIO_DEVICE_GET_GFX_DMABUF
 */
struct vfio_device_gfx_plane_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_GFX_PLANE_TYPE_PROBE (1 << 0)
#define VFIO_GFX_PLANE_TYPE_DMABUF (1 << 1)
#define VFIO_GFX_PLANE_TYPE_REGION (1 << 2)
	__u32 drm_plane_type;
	__u32 drm_format;
	__u64 drm_format_mod;
	__u32 width;
	__u32 height;
	__u32 stride;
	__u32 size;
	__u32 x_pos;
	__u32 y_pos;
	__u32 x_hot;
	__u32 y_hot;
	union {
		__u32 region_index;
		__u32 dmabuf_id;
	};
};

#define VFIO_DEVICE_QUERY_GFX_PLANE _IO(VFIO_TYPE, VFIO_BASE + 14)

/* Argument: a dmabuf_id from QUERY_GFX_PLANE; returns a dma-buf fd. */
#define VFIO_DEVICE_GET_GFX_DMABUF _IO(VFIO_TYPE, VFIO_BASE + 15)

/* ---- Writes to device registers triggered by an eventfd */

/**
 * struct vfio_device_ioeventfd - VFIO_DEVICE_IOEVENTFD
 * @argsz: sizeof(struct vfio_device_ioeventfd)
 * @flags: the access width, one of VFIO_DEVICE_IOEVENTFD_8 .. _64
 * @offset: device fd offset of the register (region offset included)
 * @data: value written on each signal
 * @fd: the eventfd; -1 removes the matching ioeventfd
 */
struct vfio_device_ioeventfd {
	__u32	argsz;
	__u32	flags;
#define VFIO_DEVICE_IOEVENTFD_8		(1 << 0)
#define VFIO_DEVICE_IOEVENTFD_16	(1 << 1)
#define VFIO_DEVICE_IOEVENTFD_32	(1 << 2)
#define VFIO_DEVICE_IOEVENTFD_64	(1 << 3)
#define VFIO_DEVICE_IOEVENTFD_SIZE_MASK	(0xf)
	__u64	offset;
	__u64	data;
	__s32	fd;
};

#define VFIO_DEVICE_IOEVENTFD		_IO(VFIO_TYPE, VFIO_BASE + 16)

/* ---- Device features */

/**
 * struct vfio_device_feature - VFIO_DEVICE_FEATURE
 * @argsz: size of the struct and of the feature's payload in @data
 * @flags: the feature number (VFIO_DEVICE_FEATURE_MASK) with GET or SET;
 *         with PROBE, only whether GET/SET of the feature is supported is
 *         answered (0 or an error), and nothing is done
 * @data: the feature's payload
 */
struct vfio_device_feature {
	__u32	argsz;
	__u32	flags;
#define VFIO_DEVICE_FEATURE_MASK	(0xffff)
#define VFIO_DEVICE_FEATURE_GET		(1 << 16)
#define VFIO_DEVICE_FEATURE_SET		(1 << 17)
#define VFIO_DEVICE_FEATURE_PROBE	(1 << 18)
	__u8	data[];
};

#define VFIO_DEVICE_FEATURE		_IO(VFIO_TYPE, VFIO_BASE + 17)

/* SET: the 16-byte UUID shared by a PF and the users of its VFs. */
#define VFIO_DEVICE_FEATURE_PCI_VF_TOKEN	(0)

/**
 * struct vfio_device_feature_migration - VFIO_DEVICE_FEATURE_MIGRATION (GET)
 * @flags: the migration protocol features the device supports
 */
struct vfio_device_feature_migration {
	__aligned_u64 flags;
#define VFIO_MIGRATION_STOP_COPY	(1 << 0)
#define VFIO_MIGRATION_P2P		(1 << 1)
};

#define VFIO_DEVICE_FEATURE_MIGRATION 1

/**
 * struct vfio_device_feature_mig_state - VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE
 * @device_state: GET: the state now; SET: the state to go to, one of
 *                enum vfio_device_mig_state
 * @data_fd: SET into STOP_COPY or RESUMING: the fd to read the device's
 *           state from or write it to; -1 otherwise
 */
struct vfio_device_feature_mig_state {
	__u32 device_state;
	__s32 data_fd;
};

#define VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE 2

/*
 * States of the migration protocol.  STOP, RUNNING, STOP_COPY and
 * RESUMING need VFIO_MIGRATION_STOP_COPY; RUNNING_P2P (running, but no
 * longer starting DMA to other devices) also needs VFIO_MIGRATION_P2P.
 * ERROR is left only by a device reset.
 */
enum vfio_device_mig_state {
	VFIO_DEVICE_STATE_ERROR = 0,
	VFIO_DEVICE_STATE_STOP = 1,
	VFIO_DEVICE_STATE_RUNNING = 2,
	VFIO_DEVICE_STATE_STOP_COPY = 3,
	VFIO_DEVICE_STATE_RESUMING = 4,
	VFIO_DEVICE_STATE_RUNNING_P2P = 5,
};

/* SET: enter a low power state until LOW_POWER_EXIT or any device access. */
#define VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY 3

/**
 * struct vfio_device_low_power_entry_with_wakeup - ..._ENTRY_WITH_WAKEUP
 * @wakeup_eventfd: signalled when the device wakes up by itself
 * @reserved: zero
 */
struct vfio_device_low_power_entry_with_wakeup {
	__s32 wakeup_eventfd;
	__u32 reserved;
};

#define VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP 4

/* SET: leave the low power state. */
#define VFIO_DEVICE_FEATURE_LOW_POWER_EXIT 5

/**
 * struct vfio_device_feature_dma_logging_control - DMA_LOGGING_START (SET)
 * @page_size: tracking granularity asked for; the device may raise it and
 *             writes back what it uses
 * @num_ranges: entries at @ranges
 * @__reserved: zero
 * @ranges: user pointer to struct vfio_device_feature_dma_logging_range[]
 */
struct vfio_device_feature_dma_logging_control {
	__aligned_u64 page_size;
	__u32 num_ranges;
	__u32 __reserved;
	__aligned_u64 ranges;
};

/**
 * struct vfio_device_feature_dma_logging_range - an IOVA range to track
 * @iova: start, aligned to the page size
 * @length: bytes, a multiple of the page size
 */
struct vfio_device_feature_dma_logging_range {
	__aligned_u64 iova;
	__aligned_u64 length;
};

#define VFIO_DEVICE_FEATURE_DMA_LOGGING_START 6

/* SET: stop tracking. */
#define VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP 7

/**
 * struct vfio_device_feature_dma_logging_report - DMA_LOGGING_REPORT (GET)
 * @iova: start of the range to report
 * @length: bytes of the range
 * @page_size: bytes per bitmap bit
 * @bitmap: user pointer to a u64 array receiving one bit per page; the
 *          reported pages are cleared in the device's log
 */
struct vfio_device_feature_dma_logging_report {
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 bitmap;
};

#define VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT 8

/* ---- Type1 IOMMU backend (VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU) */

/**
 * struct vfio_iommu_type1_info - VFIO_IOMMU_GET_INFO
 * @argsz: size of the reply buffer, capabilities included
 * @flags: VFIO_IOMMU_INFO_*
 * @iova_pgsizes: bitmap of the page sizes mappings can use
 * @cap_offset: offset of the first capability, with VFIO_IOMMU_INFO_CAPS
 */
struct vfio_iommu_type1_info {
	__u32	argsz;
	__u32	flags;
#define VFIO_IOMMU_INFO_PGSIZES (1 << 0)
#define VFIO_IOMMU_INFO_CAPS	(1 << 1)
	__u64	iova_pgsizes;
	__u32   cap_offset;
};

/* The IOVA ranges mappings may use (reserved regions left out). */
#define VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE  1

/**
 * struct vfio_iova_range - an inclusive IOVA range
 * @start: first address
 * @end: last address
 */
struct vfio_iova_range {
	__u64	start;
	__u64	end;
};

/**
 * struct vfio_iommu_type1_info_cap_iova_range - ..._CAP_IOVA_RANGE
 * @header: capability header
 * @nr_iovas: entries in @iova_ranges
 * @reserved: zero
 * @iova_ranges: the usable ranges, in increasing order
 */
struct vfio_iommu_type1_info_cap_iova_range {
	struct	vfio_info_cap_header header;
	__u32	nr_iovas;
	__u32	reserved;
	struct	vfio_iova_range iova_ranges[];
};

/* What dirty page tracking (VFIO_IOMMU_DIRTY_PAGES) supports. */
#define VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION  2

/**
 * struct vfio_iommu_type1_info_cap_migration - ..._CAP_MIGRATION
 * @header: capability header
 * @flags: zero
 * @pgsize_bitmap: page sizes dirty bitmaps may use
 * @max_dirty_bitmap_size: largest bitmap, in bytes, one request may ask for
 */
struct vfio_iommu_type1_info_cap_migration {
	struct	vfio_info_cap_header header;
	__u32	flags;
	__u64	pgsize_bitmap;
	__u64	max_dirty_bitmap_size;
};

/* How many more mappings the container may hold. */
#define VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL 3

/**
 * struct vfio_iommu_type1_info_dma_avail - VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL
 * @header: capability header
 * @avail: mappings still allowed (module parameter dma_entry_limit)
 */
struct vfio_iommu_type1_info_dma_avail {
	struct	vfio_info_cap_header header;
	__u32	avail;
};

#define VFIO_IOMMU_GET_INFO _IO(VFIO_TYPE, VFIO_BASE + 12)

/**
 * struct vfio_iommu_type1_dma_map - VFIO_IOMMU_MAP_DMA
 * @argsz: sizeof(struct vfio_iommu_type1_dma_map)
 * @flags: READ and/or WRITE: how devices may access the memory; or VADDR
 *         alone, to give a range unmapped with the VADDR flag its new
 *         user address
 * @vaddr: user address of the memory, page aligned
 * @iova: where devices see it, page aligned
 * @size: bytes, a multiple of the page size
 */
struct vfio_iommu_type1_dma_map {
	__u32	argsz;
	__u32	flags;
#define VFIO_DMA_MAP_FLAG_READ (1 << 0)
#define VFIO_DMA_MAP_FLAG_WRITE (1 << 1)
#define VFIO_DMA_MAP_FLAG_VADDR (1 << 2)
	__u64	vaddr;
	__u64	iova;
	__u64	size;
};

#define VFIO_IOMMU_MAP_DMA _IO(VFIO_TYPE, VFIO_BASE + 13)

/**
 * struct vfio_bitmap - a dirty bitmap supplied by userspace
 * @pgsize: bytes per bit
 * @size: bytes of @data
 * @data: one bit per page, in u64 words
 */
struct vfio_bitmap {
	__u64        pgsize;
	__u64        size;
	__u64 *data;
};

/**
 * struct vfio_iommu_type1_dma_unmap - VFIO_IOMMU_UNMAP_DMA
 * @argsz: size of the struct, and of a struct vfio_bitmap in @data with
 *         GET_DIRTY_BITMAP
 * @flags: GET_DIRTY_BITMAP: also report the range's dirty pages; ALL:
 *         unmap everything (@iova and @size zero); VADDR: keep the
 *         mappings but forget their user addresses until MAP_DMA with
 *         VADDR gives new ones
 * @iova: start of the range
 * @size: bytes; written back with the bytes actually unmapped
 * @data: a struct vfio_bitmap with GET_DIRTY_BITMAP
 */
struct vfio_iommu_type1_dma_unmap {
	__u32	argsz;
	__u32	flags;
#define VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP (1 << 0)
#define VFIO_DMA_UNMAP_FLAG_ALL		     (1 << 1)
#define VFIO_DMA_UNMAP_FLAG_VADDR	     (1 << 2)
	__u64	iova;
	__u64	size;
	__u8    data[];
};

#define VFIO_IOMMU_UNMAP_DMA _IO(VFIO_TYPE, VFIO_BASE + 14)

/* POWER (SPAPR TCE) containers: enable and disable DMA. */
#define VFIO_IOMMU_ENABLE	_IO(VFIO_TYPE, VFIO_BASE + 15)
#define VFIO_IOMMU_DISABLE	_IO(VFIO_TYPE, VFIO_BASE + 16)

/**
 * struct vfio_iommu_type1_dirty_bitmap - VFIO_IOMMU_DIRTY_PAGES
 * @argsz: size of the struct and of @data
 * @flags: exactly one of START, STOP, GET_BITMAP
 * @data: with GET_BITMAP, a struct vfio_iommu_type1_dirty_bitmap_get
 */
struct vfio_iommu_type1_dirty_bitmap {
	__u32        argsz;
	__u32        flags;
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_START	(1 << 0)
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP	(1 << 1)
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP	(1 << 2)
	__u8         data[];
};

/**
 * struct vfio_iommu_type1_dirty_bitmap_get - the range of a GET_BITMAP
 * @iova: start, within one mapping's bounds or covering whole mappings
 * @size: bytes
 * @bitmap: where the dirty bits go
 */
struct vfio_iommu_type1_dirty_bitmap_get {
	__u64              iova;
	__u64              size;
	struct vfio_bitmap bitmap;
};

#define VFIO_IOMMU_DIRTY_PAGES             _IO(VFIO_TYPE, VFIO_BASE + 17)

/* ---- POWER SPAPR TCE backend (VFIO_SPAPR_TCE_IOMMU, _v2) */

/**
 * struct vfio_iommu_spapr_tce_ddw_info - dynamic DMA window abilities
 * @pgsizes: supported IOMMU page sizes
 * @max_dynamic_windows_supported: windows that can be created
 * @levels: most levels a TCE table may have
 */
struct vfio_iommu_spapr_tce_ddw_info {
	__u64 pgsizes;
	__u32 max_dynamic_windows_supported;
	__u32 levels;
};

/**
 * struct vfio_iommu_spapr_tce_info - VFIO_IOMMU_SPAPR_TCE_GET_INFO
 * @argsz: sizeof(struct vfio_iommu_spapr_tce_info)
 * @flags: VFIO_IOMMU_SPAPR_INFO_DDW when @ddw is valid
 * @dma32_window_start: start of the default 32-bit window
 * @dma32_window_size: its size
 * @ddw: dynamic DMA window abilities
 */
struct vfio_iommu_spapr_tce_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_IOMMU_SPAPR_INFO_DDW	(1 << 0)
	__u32 dma32_window_start;
	__u32 dma32_window_size;
	struct vfio_iommu_spapr_tce_ddw_info ddw;
};

#define VFIO_IOMMU_SPAPR_TCE_GET_INFO	_IO(VFIO_TYPE, VFIO_BASE + 12)

/**
 * struct vfio_eeh_pe_err - an error to inject into a PE
 * @type: error type
 * @func: error function
 * @addr: address of the error
 * @mask: address mask
 */
struct vfio_eeh_pe_err {
	__u32 type;
	__u32 func;
	__u64 addr;
	__u64 mask;
};

/**
 * struct vfio_eeh_pe_op - VFIO_EEH_PE_OP
 * @argsz: sizeof(struct vfio_eeh_pe_op)
 * @flags: zero
 * @op: VFIO_EEH_PE_* operation
 * @err: with VFIO_EEH_PE_INJECT_ERR, the error
 */
struct vfio_eeh_pe_op {
	__u32 argsz;
	__u32 flags;
	__u32 op;
	union {
		struct vfio_eeh_pe_err err;
	};
};

#define VFIO_EEH_PE_DISABLE		0	/* stop error handling */
#define VFIO_EEH_PE_ENABLE		1	/* start error handling */
#define VFIO_EEH_PE_UNFREEZE_IO		2	/* let MMIO through again */
#define VFIO_EEH_PE_UNFREEZE_DMA	3	/* let DMA through again */
#define VFIO_EEH_PE_GET_STATE		4	/* returns a state below */
#define  VFIO_EEH_PE_STATE_NORMAL	0
#define  VFIO_EEH_PE_STATE_RESET	1
#define  VFIO_EEH_PE_STATE_STOPPED	2
#define  VFIO_EEH_PE_STATE_STOPPED_DMA	4
#define  VFIO_EEH_PE_STATE_UNAVAIL	5
#define VFIO_EEH_PE_RESET_DEACTIVATE	5	/* end a reset */
#define VFIO_EEH_PE_RESET_HOT		6	/* hot reset */
#define VFIO_EEH_PE_RESET_FUNDAMENTAL	7	/* fundamental reset */
#define VFIO_EEH_PE_CONFIGURE		8	/* restore BARs after reset */
#define VFIO_EEH_PE_INJECT_ERR		9	/* inject the error in @err */

#define VFIO_EEH_PE_OP			_IO(VFIO_TYPE, VFIO_BASE + 21)

/**
 * struct vfio_iommu_spapr_register_memory - pre-register memory for TCEs
 * @argsz: sizeof(struct vfio_iommu_spapr_register_memory)
 * @flags: zero
 * @vaddr: user address, page aligned
 * @size: bytes
 */
struct vfio_iommu_spapr_register_memory {
	__u32	argsz;
	__u32	flags;
	__u64	vaddr;
	__u64	size;
};

#define VFIO_IOMMU_SPAPR_REGISTER_MEMORY	_IO(VFIO_TYPE, VFIO_BASE + 17)
#define VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY	_IO(VFIO_TYPE, VFIO_BASE + 18)

/**
 * struct vfio_iommu_spapr_tce_create - VFIO_IOMMU_SPAPR_TCE_CREATE
 * @argsz: sizeof(struct vfio_iommu_spapr_tce_create)
 * @flags: zero
 * @page_shift: log2 of the IOMMU page size
 * @__resv1: zero
 * @window_size: bytes the window covers
 * @levels: levels of the TCE table
 * @__resv2: zero
 * @start_addr: written back: the window's bus address
 */
struct vfio_iommu_spapr_tce_create {
	__u32 argsz;
	__u32 flags;
	__u32 page_shift;
	__u32 __resv1;
	__u64 window_size;
	__u32 levels;
	__u32 __resv2;
	__u64 start_addr;
};

#define VFIO_IOMMU_SPAPR_TCE_CREATE	_IO(VFIO_TYPE, VFIO_BASE + 19)

/**
 * struct vfio_iommu_spapr_tce_remove - VFIO_IOMMU_SPAPR_TCE_REMOVE
 * @argsz: sizeof(struct vfio_iommu_spapr_tce_remove)
 * @flags: zero
 * @start_addr: bus address of the window to remove
 */
struct vfio_iommu_spapr_tce_remove {
	__u32 argsz;
	__u32 flags;
	__u64 start_addr;
};

#define VFIO_IOMMU_SPAPR_TCE_REMOVE	_IO(VFIO_TYPE, VFIO_BASE + 20)

#endif /* _UAPI_LINUX_VFIO_H */
