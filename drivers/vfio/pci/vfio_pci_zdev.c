// SPDX-License-Identifier: GPL-2.0-only
/*
 * s390 zPCI: what a function's firmware says about it, and which VM it
 * serves.
 *
 * On s390 a PCI function's DMA window, function group, MSI address and
 * similar properties come from CLP, which only the host can issue; QEMU
 * needs them to build the guest's view of the function.  They are handed
 * out as VFIO_DEVICE_GET_INFO capabilities.
 *
 * When a VM captured at open uses the function, the function is registered
 * with that VM through the hook s390's kvm.ko fills, so that firmware
 * interpretation of the guest's zPCI instructions serves that VM only.
 * The device keeps its KVM unchanged until its last close, which is why
 * the close side can trust vdev->vdev.kvm to say whether registration
 * happened.  Plain userspace drivers (no KVM) register nothing.
 */
#include <linux/kvm_host.h>
#include <linux/pci.h>
#include <linux/vfio.h>
#include <linux/vfio_zdev.h>
#include <asm/pci.h>
#include <asm/pci_clp.h>
#include <asm/pci_io.h>

#include "vfio_pci_priv.h"

/* The firmware data in UTIL and PFIP capabilities share one layout. */
static_assert(offsetof(struct vfio_device_info_cap_zpci_util, size) ==
	      offsetof(struct vfio_device_info_cap_zpci_pfip, size));
static_assert(offsetof(struct vfio_device_info_cap_zpci_util, util_str) ==
	      offsetof(struct vfio_device_info_cap_zpci_pfip, pfip));

static int zdev_cap_base(struct zpci_dev *zdev, struct vfio_info_cap *caps)
{
	struct vfio_device_info_cap_zpci_base *base;
	struct vfio_info_cap_header *hdr;

	hdr = vfio_info_cap_add(caps, sizeof(*base),
				VFIO_DEVICE_INFO_CAP_ZPCI_BASE, 2);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);
	base = container_of(hdr, typeof(*base), header);

	base->start_dma = zdev->start_dma;
	base->end_dma = zdev->end_dma;
	base->pchid = zdev->pchid;
	base->vfn = zdev->vfn;
	base->fmb_length = zdev->fmb_length;
	base->pft = zdev->pft;
	base->gid = zdev->pfgid;
	base->fh = zdev->fh;
	return 0;
}

static int zdev_cap_group(struct zpci_dev *zdev, struct vfio_info_cap *caps)
{
	struct vfio_device_info_cap_zpci_group *group;
	struct vfio_info_cap_header *hdr;

	hdr = vfio_info_cap_add(caps, sizeof(*group),
				VFIO_DEVICE_INFO_CAP_ZPCI_GROUP, 2);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);
	group = container_of(hdr, typeof(*group), header);

	group->dasm = zdev->dma_mask;
	group->msi_addr = zdev->msi_addr;
	/* The host refreshes its IOTLB on map: the guest must do the same. */
	group->flags = VFIO_DEVICE_INFO_ZPCI_FLAG_REFRESH;
	group->mui = zdev->fmb_update;
	group->noi = zdev->max_msi;
	/* Stores QEMU issues for the guest go through the host's limit... */
	group->maxstbl = ZPCI_MAX_WRITE_SIZE;
	/* ...while stores the firmware interprets see the function's own. */
	group->imaxstbl = zdev->maxstbl;
	group->version = zdev->version;
	return 0;
}

/* Add a capability that carries @len bytes of firmware data verbatim. */
static int zdev_cap_bytes(struct vfio_info_cap *caps, u16 id,
			  const u8 *bytes, u32 len)
{
	struct vfio_device_info_cap_zpci_util *cap;
	struct vfio_info_cap_header *hdr;

	hdr = vfio_info_cap_add(caps, sizeof(*cap) + len, id, 1);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);
	cap = container_of(hdr, typeof(*cap), header);

	cap->size = len;
	memcpy(cap->util_str, bytes, len);
	return 0;
}

/**
 * vfio_pci_zdev_info_caps - add the zPCI capabilities to GET_INFO's reply
 * @vdev: the device
 * @caps: the chain being built
 *
 * Return: 0, or a negative errno with @caps emptied.
 */
int vfio_pci_zdev_info_caps(struct vfio_pci_core_device *vdev,
			    struct vfio_info_cap *caps)
{
	struct zpci_dev *zdev = to_zpci(vdev->pdev);
	int ret;

	if (!zdev)
		return 0;

	ret = zdev_cap_base(zdev, caps);
	if (!ret)
		ret = zdev_cap_group(zdev, caps);
	if (!ret && zdev->util_str_avail)
		ret = zdev_cap_bytes(caps, VFIO_DEVICE_INFO_CAP_ZPCI_UTIL,
				     zdev->util_str, CLP_UTIL_STR_LEN);
	if (!ret)
		ret = zdev_cap_bytes(caps, VFIO_DEVICE_INFO_CAP_ZPCI_PFIP,
				     zdev->pfip, CLP_PFIP_NR_SEGMENTS);
	return ret;
}

/**
 * vfio_pci_zdev_open - give the function to the VM that opened it
 * @vdev: the device, with its KVM (if any) captured
 *
 * Return: 0, or the errno that fails the open: a VM the function cannot
 * be registered with must not get the function at all.
 */
int vfio_pci_zdev_open(struct vfio_pci_core_device *vdev)
{
	struct zpci_dev *zdev = to_zpci(vdev->pdev);
	struct kvm *kvm = vdev->vdev.kvm;

	if (!zdev || !kvm)
		return 0;
	if (!zpci_kvm_hook.kvm_register) {
		dev_warn_ratelimited(&vdev->pdev->dev,
				     "a VM opened the function but KVM offers no zPCI registration\n");
		return -ENOENT;
	}
	return zpci_kvm_hook.kvm_register(zdev, kvm);
}

/**
 * vfio_pci_zdev_close - take the function back from its VM
 * @vdev: the device, at its last close
 */
void vfio_pci_zdev_close(struct vfio_pci_core_device *vdev)
{
	struct zpci_dev *zdev = to_zpci(vdev->pdev);

	if (zdev && vdev->vdev.kvm && zpci_kvm_hook.kvm_unregister)
		zpci_kvm_hook.kvm_unregister(zdev);
}
