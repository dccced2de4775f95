// SPDX-License-Identifier: GPL-2.0-only
/*
 * The interrupt indexes userspace sees and VFIO_DEVICE_SET_IRQS dispatch.
 *
 * INTx, MSI and MSI-X are mutually exclusive: one of them (irq_type) owns
 * ctx at a time.  ERR and REQ are not device interrupts but notifications
 * from the host (an AER error was reported, the host wants the device
 * back), each a single eventfd.
 */
#include <linux/eventfd.h>
#include <linux/pci.h>

#include "vfio_pci_priv.h"

/**
 * vfio_pci_irq_count - how many vectors an interrupt index has
 * @vdev: the device
 * @index: a VFIO_PCI_*_IRQ_INDEX
 *
 * Return: the count reported by GET_IRQ_INFO and checked by SET_IRQS.
 */
int vfio_pci_irq_count(struct vfio_pci_core_device *vdev, unsigned int index)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 flags;

	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		if (vdev->nointx || !pdev->irq || !pdev->pin)
			return 0;
		return 1;
	case VFIO_PCI_MSI_IRQ_INDEX:
		if (!pdev->msi_cap)
			return 0;
		pci_read_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS,
				     &flags);
		return 1 << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
	case VFIO_PCI_MSIX_IRQ_INDEX:
		if (!pdev->msix_cap)
			return 0;
		pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS,
				     &flags);
		return (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
	case VFIO_PCI_ERR_IRQ_INDEX:
		return pci_is_pcie(pdev) ? 1 : 0;
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	default:
		return 0;
	}
}

/**
 * vfio_pci_trigger_from_data - set or clear a single notification eventfd
 * @trigger: the slot to update
 * @flags: SET_IRQS flags; DATA_EVENTFD expected
 * @data: the eventfd, -1 to clear
 *
 * Return: 0 or the error of getting the eventfd (the slot is unchanged).
 */
int vfio_pci_trigger_from_data(struct eventfd_ctx **trigger, u32 flags,
			       void *data)
{
	s32 fd = *(s32 *)data;
	struct eventfd_ctx *ctx = NULL;

	if (fd >= 0) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	if (*trigger)
		eventfd_ctx_put(*trigger);
	*trigger = ctx;
	return 0;
}

/*
 * The error and request notifications, with Linux 6.1's answers: an
 * eventfd is set, or cleared by -1, while a more negative fd changes
 * nothing; DATA_BOOL signals if there is an eventfd and is a no-op if
 * not; DATA_NONE signals (count 1) or releases (count 0) the eventfd and
 * fails without one.
 */
static int notify_set(struct eventfd_ctx **trigger, unsigned int action,
		      u32 count, u32 flags, void *data)
{
	/* A notification has no mask: no such operation, as in 6.1. */
	if (action != VFIO_IRQ_SET_ACTION_TRIGGER)
		return -ENOTTY;

	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		if (!count)
			return -EINVAL;
		if (*(s32 *)data < -1)
			return 0;
		return vfio_pci_trigger_from_data(trigger, flags, data);
	}
	if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (!count)
			return -EINVAL;
		if (*(u8 *)data && *trigger)
			eventfd_signal(*trigger, 1);
		return 0;
	}
	if (!*trigger)
		return -EINVAL;
	if (count) {
		eventfd_signal(*trigger, 1);
	} else {
		eventfd_ctx_put(*trigger);
		*trigger = NULL;
	}
	return 0;
}

/**
 * vfio_pci_set_irqs_ioctl - carry out a validated SET_IRQS request
 * @vdev: the device; the caller holds igate
 * @hdr: the request, checked by vfio_set_irqs_validate_and_prepare()
 * @data: its payload (NULL for DATA_NONE)
 *
 * Return: 0 or a negative errno.
 */
int vfio_pci_set_irqs_ioctl(struct vfio_pci_core_device *vdev,
			    struct vfio_irq_set *hdr, void *data)
{
	unsigned int action = hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	u32 flags = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;

	lockdep_assert_held(&vdev->igate);

	/* One action per request; anything else names no operation. */
	if (hweight32(action) != 1)
		return -ENOTTY;

	switch (hdr->index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		return vfio_pci_intx_set(vdev, action, hdr->start, hdr->count,
					 flags, data);
	case VFIO_PCI_MSI_IRQ_INDEX:
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return vfio_pci_msi_set(vdev, hdr->index, action, hdr->start,
					hdr->count, flags, data);
	case VFIO_PCI_ERR_IRQ_INDEX:
		if (!pci_is_pcie(vdev->pdev))
			return -ENOTTY;
		return notify_set(&vdev->err_trigger, action, hdr->count,
				  flags, data);
	case VFIO_PCI_REQ_IRQ_INDEX:
		return notify_set(&vdev->req_trigger, action, hdr->count,
				  flags, data);
	default:
		return -ENOTTY;
	}
}

/**
 * vfio_pci_irqs_teardown - drop every interrupt and notification at close
 * @vdev: the device
 */
void vfio_pci_irqs_teardown(struct vfio_pci_core_device *vdev)
{
	mutex_lock(&vdev->igate);
	vfio_pci_intx_disable(vdev);
	vfio_pci_msi_disable(vdev, false);
	vfio_pci_msi_disable(vdev, true);
	if (vdev->err_trigger)
		eventfd_ctx_put(vdev->err_trigger);
	vdev->err_trigger = NULL;
	if (vdev->req_trigger)
		eventfd_ctx_put(vdev->req_trigger);
	vdev->req_trigger = NULL;
	mutex_unlock(&vdev->igate);
}
