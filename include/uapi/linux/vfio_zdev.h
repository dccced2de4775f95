/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * VFIO_DEVICE_GET_INFO capabilities of s390 zPCI functions: the firmware's
 * description of the function, which a guest needs to drive it the way
 * z/Architecture expects.  Layouts are the ABI of Linux 6.1.
 */
#ifndef _UAPI_LINUX_VFIO_ZDEV_H
#define _UAPI_LINUX_VFIO_ZDEV_H

#include <linux/types.h>
#include <linux/vfio.h>

/**
 * struct vfio_device_info_cap_zpci_base - VFIO_DEVICE_INFO_CAP_ZPCI_BASE
 * @header: capability header
 * @start_dma: first IOVA of the function's DMA window
 * @end_dma: last IOVA of that window
 * @pchid: physical channel id
 * @vfn: virtual function number
 * @fmb_length: size of the function measurement block
 * @pft: PCI function type
 * @gid: function group id
 * @fh: function handle (version 2 and later)
 */
struct vfio_device_info_cap_zpci_base {
	struct vfio_info_cap_header header;
	__u64 start_dma;
	__u64 end_dma;
	__u16 pchid;
	__u16 vfn;
	__u16 fmb_length;
	__u8 pft;
	__u8 gid;
	__u32 fh;
};

/**
 * struct vfio_device_info_cap_zpci_group - VFIO_DEVICE_INFO_CAP_ZPCI_GROUP
 * @header: capability header
 * @dasm: DMA address space mask
 * @msi_addr: MSI address
 * @flags: VFIO_DEVICE_INFO_ZPCI_FLAG_*
 * @mui: measurement block update interval
 * @noi: maximum number of MSIs
 * @maxstbl: maximum store block length
 * @version: supported PCI version
 * @reserved: zero
 * @imaxstbl: maximum store block length seen by the guest (version 2)
 */
struct vfio_device_info_cap_zpci_group {
	struct vfio_info_cap_header header;
	__u64 dasm;
	__u64 msi_addr;
	__u64 flags;
/* The guest must refresh its translations after changing them. */
#define VFIO_DEVICE_INFO_ZPCI_FLAG_REFRESH 1
	__u16 mui;
	__u16 noi;
	__u16 maxstbl;
	__u8 version;
	__u8 reserved;
	__u16 imaxstbl;
};

/**
 * struct vfio_device_info_cap_zpci_util - VFIO_DEVICE_INFO_CAP_ZPCI_UTIL
 * @header: capability header
 * @size: bytes of @util_str
 * @util_str: the function's utility string, as firmware gives it
 */
struct vfio_device_info_cap_zpci_util {
	struct vfio_info_cap_header header;
	__u32 size;
	__u8 util_str[];
};

/**
 * struct vfio_device_info_cap_zpci_pfip - VFIO_DEVICE_INFO_CAP_ZPCI_PFIP
 * @header: capability header
 * @size: bytes of @pfip
 * @pfip: the function's PCI function path
 */
struct vfio_device_info_cap_zpci_pfip {
	struct vfio_info_cap_header header;
	__u32 size;
	__u8 pfip[];
};

#endif /* _UAPI_LINUX_VFIO_ZDEV_H */
