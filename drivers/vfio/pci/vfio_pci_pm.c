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
 *
 * An open function sleeps only when its user asks, with the low-power
 * features of VFIO_DEVICE_FEATURE: entering gives up the reference the
 * open holds, so runtime PM suspends the function once the ioctl's own
 * reference (taken by the vfio core around every device ioctl) is gone.
 * The function stays "engaged" in low power until the user leaves it:
 * every ioctl and read or write wakes it for its duration and lets it
 * sleep again, mmaps of its BARs fault with SIGBUS meanwhile.  Entered
 * with a wakeup eventfd, the first wake of any cause signals the eventfd
 * and ends the low-power period by itself.  memory_lock, held for
 * writing, covers the engaged state and the eventfd.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/uaccess.h>

#include "vfio_pci_priv.h"

/*
 * The user leaves low power, or the first wake after entering with an
 * eventfd ends it: the open's reference is back, the eventfd let go.
 */
static void low_power_end(struct vfio_pci_core_device *vdev)
{
	lockdep_assert_held_write(&vdev->memory_lock);

	if (!vdev->pm_runtime_engaged)
		return;
	vdev->pm_runtime_engaged = false;
	pm_runtime_get_noresume(&vdev->pdev->dev);
	if (vdev->pm_wake_eventfd_ctx) {
		eventfd_ctx_put(vdev->pm_wake_eventfd_ctx);
		vdev->pm_wake_eventfd_ctx = NULL;
	}
}

/*
 * Called by runtime PM with the function idle.  An INTx line left
 * unmasked would let a shared interrupt reach a handler that reads the
 * sleeping function's config space: mask it for the time asleep.  The
 * PCI core saves the config state and moves the function to D3hot after
 * we return.
 */
static int vfio_pci_runtime_suspend(struct device *dev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(dev);

	vdev->pm_intx_masked = vdev->irq_type == VFIO_PCI_INTX_IRQ_INDEX &&
			       vfio_pci_intx_mask(vdev);
	return 0;
}

/* A wake of any cause ends a low-power period entered with an eventfd. */
static void low_power_wake(struct vfio_pci_core_device *vdev)
{
	struct eventfd_ctx *wake;

	down_write(&vdev->memory_lock);
	wake = vdev->pm_wake_eventfd_ctx;
	if (wake) {
		eventfd_signal(wake, 1);
		low_power_end(vdev);
	}
	up_write(&vdev->memory_lock);
}

/* The PCI core has brought the function back to D0 and restored it. */
static int vfio_pci_runtime_resume(struct device *dev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(dev);
	bool unmask = vdev->pm_intx_masked;

	vdev->pm_intx_masked = false;
	if (unmask)
		vfio_pci_intx_unmask(vdev);
	low_power_wake(vdev);
	return 0;
}

static const struct dev_pm_ops vfio_pci_core_pm_ops = {
	RUNTIME_PM_OPS(vfio_pci_runtime_suspend, vfio_pci_runtime_resume,
		       NULL)
};

/*
 * Take the function into low power on behalf of its user; @wake (may be
 * NULL) is consumed on success.  The open's runtime PM reference is given
 * up without idling the function here: the ioctl's reference still holds
 * it awake, and dropping that one lets it suspend.
 */
static int low_power_begin(struct vfio_pci_core_device *vdev,
			   struct eventfd_ctx *wake)
{
	int ret = -EINVAL;

	vfio_pci_zap_and_lock_memory(vdev);
	if (!vdev->pm_runtime_engaged) {
		pm_runtime_put_noidle(&vdev->pdev->dev);
		vdev->pm_wake_eventfd_ctx = wake;
		vdev->pm_runtime_engaged = true;
		ret = 0;
	}
	up_write(&vdev->memory_lock);
	return ret;
}

/**
 * vfio_pci_feature_low_power_entry - VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY
 * @vdev: the device
 * @flags: the request's flags
 * @argsz: size of the payload, which this feature does not have
 *
 * Return: 0 (1 for a successful probe), -EINVAL if the function is in
 * low power already or for a GET.
 */
int vfio_pci_feature_low_power_entry(struct vfio_pci_core_device *vdev,
				     u32 flags, size_t argsz)
{
	int ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, 0);

	if (ret != 1)
		return ret;
	return low_power_begin(vdev, NULL);
}

/* The eventfd named by a ..._WITH_WAKEUP payload, or an ERR_PTR. */
static struct eventfd_ctx *low_power_wake_eventfd(void __user *arg)
{
	struct vfio_device_low_power_entry_with_wakeup entry;

	if (copy_from_user(&entry, arg, sizeof(entry)))
		return ERR_PTR(-EFAULT);
	return entry.reserved ? ERR_PTR(-EINVAL) :
				eventfd_ctx_fdget(entry.wakeup_eventfd);
}

/**
 * vfio_pci_feature_low_power_wakeup - the same, with a wakeup eventfd
 * @vdev: the device
 * @flags: the request's flags
 * @arg: struct vfio_device_low_power_entry_with_wakeup
 * @argsz: size of @arg
 *
 * Return: 0 (1 for a successful probe); -EINVAL for a short payload,
 * reserved bits set, a descriptor that is no eventfd, or a function in low
 * power already; -EBADF for a descriptor that is not open.
 */
int vfio_pci_feature_low_power_wakeup(struct vfio_pci_core_device *vdev,
				      u32 flags, void __user *arg,
				      size_t argsz)
{
	struct eventfd_ctx *wake;
	int ret;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET,
				 sizeof(struct vfio_device_low_power_entry_with_wakeup));
	if (ret != 1)
		return ret;
	wake = low_power_wake_eventfd(arg);
	if (IS_ERR(wake))
		return PTR_ERR(wake);
	ret = low_power_begin(vdev, wake);
	if (ret)
		eventfd_ctx_put(wake);
	return ret;
}

/**
 * vfio_pci_feature_low_power_exit - VFIO_DEVICE_FEATURE_LOW_POWER_EXIT
 * @vdev: the device
 * @flags: the request's flags
 * @argsz: size of the payload, which this feature does not have
 *
 * The ioctl has woken the function already; leaving low power only takes
 * back the open's reference.  Nothing to do, and no error, if the user
 * was not in low power or a wakeup eventfd ended it first.
 *
 * Return: 0 (1 for a successful probe), -EINVAL for a GET.
 */
int vfio_pci_feature_low_power_exit(struct vfio_pci_core_device *vdev,
				    u32 flags, size_t argsz)
{
	int ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, 0);

	if (ret != 1)
		return ret;
	vfio_pci_low_power_leave(vdev);
	return 0;
}

/**
 * vfio_pci_low_power_leave - end the user's low-power period, if any
 * @vdev: the device
 *
 * For the exit feature and for the last close, which must not leave the
 * function asleep without the open's reference.  Does not wake it.
 */
void vfio_pci_low_power_leave(struct vfio_pci_core_device *vdev)
{
	down_write(&vdev->memory_lock);
	low_power_end(vdev);
	up_write(&vdev->memory_lock);
}

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
