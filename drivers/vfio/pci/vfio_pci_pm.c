// SPDX-License-Identifier: GPL-2.0-only
/*
 * Power management of functions bound to vfio-pci-core.
 *
 * A function nobody has open is idle: unless disable_idle_d3 is set we let
 * runtime PM put it in D3hot, and every user (an open device file, an
 * access from sysfs through the PCI core) wakes it first.  The PCI core
 * does the real work (saving and restoring config state around D3); it
 * only needs our driver to have dev_pm_ops to consider runtime PM at all.
 *
 * The power state userspace writes to the PM capability is emulated and
 * never reaches the device, so a guest cannot put the function to sleep
 * behind the host's back.
 */
#include <linux/pci.h>
#include <linux/pm_runtime.h>

#include "vfio_pci_priv.h"

/* Nothing to do beyond the PCI core's defaults; see the comment above. */
static const struct dev_pm_ops vfio_pci_core_pm_ops = {
};

/**
 * vfio_pci_set_power_state - move the function to a PCI power state
 * @vdev: the device
 * @state: PCI_D0 or PCI_D3hot
 *
 * Return: 0 or the PCI core's error.
 */
int vfio_pci_set_power_state(struct vfio_pci_core_device *vdev,
			     pci_power_t state)
{
	return pci_set_power_state(vdev->pdev, state);
}

/**
 * vfio_pci_pm_register - let an idle function sleep after probe
 * @vdev: the device being registered
 *
 * The PCI core holds a runtime PM reference across probe and leaves it to
 * the driver; we drop it so the function can suspend while unused.
 */
void vfio_pci_pm_register(struct vfio_pci_core_device *vdev)
{
	struct device *dev = &vdev->pdev->dev;

	/* From the unknown state after boot or unbind, only D0 is allowed. */
	vfio_pci_set_power_state(vdev, PCI_D0);
	dev->driver->pm = &vfio_pci_core_pm_ops;
	pm_runtime_allow(dev);
	if (!vdev->disable_idle_d3)
		pm_runtime_put(dev);
}

/**
 * vfio_pci_pm_unregister - undo vfio_pci_pm_register()
 * @vdev: the device being unregistered
 */
void vfio_pci_pm_unregister(struct vfio_pci_core_device *vdev)
{
	struct device *dev = &vdev->pdev->dev;

	if (!vdev->disable_idle_d3)
		pm_runtime_get_noresume(dev);
	pm_runtime_forbid(dev);
}

/**
 * vfio_pci_pm_get - wake the function and keep it awake
 * @vdev: the device
 *
 * Return: 0 or a negative errno from runtime resume.
 */
int vfio_pci_pm_get(struct vfio_pci_core_device *vdev)
{
	return pm_runtime_resume_and_get(&vdev->pdev->dev);
}

/**
 * vfio_pci_pm_put - drop a reference of vfio_pci_pm_get()
 * @vdev: the device
 */
void vfio_pci_pm_put(struct vfio_pci_core_device *vdev)
{
	pm_runtime_put(&vdev->pdev->dev);
}
