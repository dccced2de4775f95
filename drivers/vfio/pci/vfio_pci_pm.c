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
 * The power state userspace writes to the PM capability goes to the
 * function, as in Linux 6.1: a guest saves power that way, and guests
 * reset a function without FLR by taking it through D3hot and back to D0
 * (the PCI PM spec's soft reset, for functions without No_Soft_Reset).
 * Such a function loses its config state on the way up; we keep a copy
 * from the way down and put it back, so its BARs keep the addresses the
 * host assigned while the device itself is reset.  Whatever state the
 * user left, the close, a reset and runtime suspend start from D0.
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
#include <linux/slab.h>
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

	/*
	 * From the user's D3hot, if it left one, back to D0 first: the PCI
	 * core saves what it finds, and only our copy from before that D3hot
	 * is the state the host assigned.  Nothing of the user's runs now
	 * (every ioctl and access holds the function awake), so nothing can
	 * change the state meanwhile.
	 */
	vfio_pci_set_power_state(vdev, PCI_D0);
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

/* How deep a power state is: D0 0, D1 1, D2 2, D3hot 3, D3cold 4. */
static int pm_depth(pci_power_t state)
{
	return (__force int)state;
}

/**
 * vfio_pci_set_power_state - move the function to a PCI power state
 * @vdev: the device; for a state below D0 the caller holds memory_lock
 *	for writing, with the BAR mappings zapped for D3hot
 * @state: the state
 *
 * A function that loses its config state in D3hot (@needs_pm_restore)
 * has it saved on the way down and restored on the way back up.  A PF
 * with VFs stays in D0: its VFs would go with its SR-IOV state.
 *
 * Return: 0, -EBUSY for a PF with VFs, or the PCI core's error.
 */
int vfio_pci_set_power_state(struct vfio_pci_core_device *vdev,
			     pci_power_t state)
{
	struct pci_dev *pdev = vdev->pdev;
	bool was_d3 = pm_depth(pdev->current_state) >= pm_depth(PCI_D3hot);
	bool to_d3 = pm_depth(state) >= pm_depth(PCI_D3hot);
	bool down = to_d3 && !was_d3, up = was_d3 && !to_d3;
	int ret;

	if (state != PCI_D0) {
		lockdep_assert_held_write(&vdev->memory_lock);
		if (vdev->sriov_active)
			return -EBUSY;
	}
	if (down && vdev->needs_pm_restore) {
		pci_save_state(pdev);
		kfree(vdev->pm_save);
		vdev->pm_save = pci_store_saved_state(pdev);
	}
	ret = pci_set_power_state(pdev, state);
	if (!ret && up && vdev->pm_save) {
		pci_load_and_free_saved_state(pdev, &vdev->pm_save);
		pci_restore_state(pdev);
	}
	return ret;
}

/**
 * vfio_pci_pm_user_write - the user wrote the PM capability's PowerState
 * @vdev: the device
 * @field: the two-bit field written: 0 for D0 to 3 for D3hot
 *
 * Nothing is returned to the user: as on a real function, a state the
 * function cannot take is not taken, and the field reads back the state
 * the function is in.  May sleep.
 *
 * Return: the field's new value.
 */
u16 vfio_pci_pm_user_write(struct vfio_pci_core_device *vdev, u16 field)
{
	static const pci_power_t states[] = {
		PCI_D0, PCI_D1, PCI_D2, PCI_D3hot,
	};
	pci_power_t state = states[field & PCI_PM_CTRL_STATE_MASK];
	int now;

	/* In D3hot the BARs do not decode: no user mapping may stay. */
	if (state == PCI_D3hot)
		vfio_pci_zap_and_lock_memory(vdev);
	else
		down_write(&vdev->memory_lock);
	vfio_pci_set_power_state(vdev, state);
	now = vfio_pci_pm_user_state(vdev);
	up_write(&vdev->memory_lock);
	return now;
}

/**
 * vfio_pci_pm_user_state - the PowerState field of the function's state
 * @vdev: the device
 *
 * The host moves the function too, to D0 for a reset or for enabling
 * VFs, so the field is read from the state the PCI core recorded rather
 * than from what the user wrote last.
 *
 * Return: 0 for D0 to 3 for D3hot (and deeper).
 */
u16 vfio_pci_pm_user_state(struct vfio_pci_core_device *vdev)
{
	/* The field's encoding is the depth, up to D3hot's 3. */
	return clamp(pm_depth(READ_ONCE(vdev->pdev->current_state)),
		     pm_depth(PCI_D0), pm_depth(PCI_D3hot));
}

/* Whether D3hot -> D0 resets the function: No_Soft_Reset clear. */
static bool pm_d3hot_loses_state(struct pci_dev *pdev)
{
	u16 pmcsr;

	if (!pdev->pm_cap)
		return false;
	pci_read_config_word(pdev, pdev->pm_cap + PCI_PM_CTRL, &pmcsr);
	return !(pmcsr & PCI_PM_CTRL_NO_SOFT_RESET);
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

	vdev->needs_pm_restore = pm_d3hot_loses_state(vdev->pdev);
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
