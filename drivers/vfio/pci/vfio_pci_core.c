// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-core: life cycle of a PCI function exposed through VFIO.
 *
 *   init_dev / release_dev       the vfio_device is allocated / freed
 *   register / unregister        the function is bound / unbound
 *   enable + finish_enable       the first user opens it
 *   disable (close_device)       the last user closed it
 *
 * Opening hands userspace a function in a known state: awake, reset if
 * the function can be, with config space emulation built fresh.  Closing
 * tears down whatever userspace left behind (interrupts, BAR mappings),
 * stops DMA, puts back the config state we found and resets again, so the
 * next user (or the host driver) finds it clean even if the last user was
 * killed.
 */
#include <linux/eventfd.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>
#include <linux/uuid.h>

#include "vfio_pci_priv.h"

bool vfio_pci_nointxmask;
bool vfio_pci_disable_vga;
bool vfio_pci_disable_idle_d3;

/**
 * vfio_pci_core_set_params - module parameters of the driver on top
 * @nointxmask: never use PCI 2.3 INTx masking, so never share INTx lines
 * @is_disable_vga: do not offer legacy VGA ranges
 * @is_disable_idle_d3: keep unused functions in D0
 */
void vfio_pci_core_set_params(bool nointxmask, bool is_disable_vga,
			      bool is_disable_idle_d3)
{
	vfio_pci_nointxmask = nointxmask;
	vfio_pci_disable_vga = is_disable_vga;
	vfio_pci_disable_idle_d3 = is_disable_idle_d3;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_set_params);

/*
 * Functions whose INTx disable bit does not hold their interrupt back
 * (Intel's 700-series 10/25/40GbE NICs and the X550).  Masked at the
 * device they keep interrupting, so they are offered no INTx at all and
 * kept masked, as in 6.1; they all have MSI-X.
 */
static const struct pci_device_id core_broken_intx[] = {
	{ PCI_VDEVICE(INTEL, 0x1563) },
	{ PCI_VDEVICE(INTEL, 0x1572) }, { PCI_VDEVICE(INTEL, 0x1574) },
	{ PCI_VDEVICE(INTEL, 0x1580) }, { PCI_VDEVICE(INTEL, 0x1581) },
	{ PCI_VDEVICE(INTEL, 0x1583) }, { PCI_VDEVICE(INTEL, 0x1584) },
	{ PCI_VDEVICE(INTEL, 0x1585) }, { PCI_VDEVICE(INTEL, 0x1586) },
	{ PCI_VDEVICE(INTEL, 0x1587) }, { PCI_VDEVICE(INTEL, 0x1588) },
	{ PCI_VDEVICE(INTEL, 0x1589) }, { PCI_VDEVICE(INTEL, 0x158a) },
	{ PCI_VDEVICE(INTEL, 0x158b) },
	{ PCI_VDEVICE(INTEL, 0x37d0) }, { PCI_VDEVICE(INTEL, 0x37d1) },
	{ PCI_VDEVICE(INTEL, 0x37d2) },
	{ }
};

/* Decide whether INTx is offered to this user, and how it is masked. */
static void core_intx_setup(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 cmd;

	/* s390 has no INTx (CONFIG_VFIO_PCI_INTX is off there). */
	vdev->nointx = !IS_ENABLED(CONFIG_VFIO_PCI_INTX);
	vdev->pci_2_3 = false;
	if (vfio_pci_nointxmask)
		return;
	if (!vdev->nointx && pci_match_id(core_broken_intx, pdev)) {
		dev_info_ratelimited(&pdev->dev,
				     "INTx masking is broken: offering no INTx\n");
		vdev->nointx = true;
	}
	if (vdev->nointx) {
		pci_intx(pdev, 0);
		return;
	}
	vdev->pci_2_3 = pci_intx_mask_supported(pdev);
	if (!vdev->pci_2_3)
		return;
	/* We mask at the device from now on; start unmasked. */
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if (cmd & PCI_COMMAND_INTX_DISABLE)
		pci_write_config_word(pdev, PCI_COMMAND,
				      cmd & ~PCI_COMMAND_INTX_DISABLE);
}

/* Where the MSI-X table lives; BAR accesses must stay out of it. */
static void core_msix_locate(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 flags;
	u32 table;

	vdev->msix_bar = 0xff;
	if (!pdev->msix_cap)
		return;
	pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS, &flags);
	pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_TABLE, &table);
	vdev->msix_bar = table & PCI_MSIX_TABLE_BIR;
	vdev->msix_offset = table & PCI_MSIX_TABLE_OFFSET;
	vdev->msix_size = ((flags & PCI_MSIX_FLAGS_QSIZE) + 1) * 16;
}

/*
 * Enable the function, learn whether a function reset works (that is
 * what VFIO_DEVICE_RESET will offer) and keep the resulting config state
 * to put back when the user is gone.  Only a reset that could not take
 * the device lock (-EAGAIN) fails the open.
 */
static int core_enable_and_snapshot(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int rc;

	/*
	 * Firmware or the previous driver may have left bus mastering on.
	 * The user starts without it, and the snapshot the close restores
	 * must not have it either.
	 */
	pci_clear_master(pdev);
	rc = pci_enable_device(pdev);
	if (rc)
		return rc;

	rc = pci_try_reset_function(pdev);
	if (rc == -EAGAIN) {
		pci_disable_device(pdev);
		return rc;
	}
	vdev->reset_works = rc == 0;

	pci_save_state(pdev);
	vdev->pci_saved_state = pci_store_saved_state(pdev);
	if (!vdev->pci_saved_state)
		pci_dbg(pdev, "cannot save config state for close\n");
	return 0;
}

/**
 * vfio_pci_core_enable - prepare the function for its first user
 * @vdev: the device; the caller holds the device set lock
 *
 * Return: 0 or a negative errno; -EAGAIN if the function was busy.
 */
int vfio_pci_core_enable(struct vfio_pci_core_device *vdev)
{
	int rc;

	lockdep_assert_held(&vdev->vdev.dev_set->lock);

	rc = vfio_pci_pm_get(vdev);
	if (rc)
		return rc;

	rc = core_enable_and_snapshot(vdev);
	if (rc)
		goto out_pm;
	core_intx_setup(vdev);
	vfio_pci_vga_enable(vdev);
	/*
	 * s390 firmware resets the function when KVM registers it: do that
	 * before the emulated config space is built from the hardware.
	 */
	rc = vfio_pci_zdev_open(vdev);
	if (rc)
		goto out_disable;
	rc = vfio_pci_config_init(vdev);
	if (rc)
		goto out_zdev;
	core_msix_locate(vdev);
	return 0;

out_zdev:
	vfio_pci_zdev_close(vdev);
out_disable:
	kfree(vdev->pci_saved_state);
	vdev->pci_saved_state = NULL;
	pci_disable_device(vdev->pdev);
out_pm:
	vfio_pci_pm_put(vdev);
	return rc;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_enable);

/**
 * vfio_pci_core_finish_enable - last step of opening, after driver setup
 * @vdev: the device
 */
void vfio_pci_core_finish_enable(struct vfio_pci_core_device *vdev)
{
	vfio_pci_probe_mmaps(vdev);
	vfio_spapr_pci_eeh_open(vdev->pdev);
	vfio_pci_vf_token_user_add(vdev, 1);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_finish_enable);

/*
 * Pick the state the function returns to: what open saved, or, when that
 * is missing and a reset is coming, the state of this moment (the reset
 * would otherwise leave it unconfigured).  False: nothing to restore and
 * no reset to do.
 */
static bool core_pick_state_to_return_to(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;

	if (!pci_load_and_free_saved_state(pdev, &vdev->pci_saved_state))
		return true;
	pci_info(pdev, "no config state saved at open to restore\n");
	if (vdev->reset_works)
		pci_save_state(pdev);
	return vdev->reset_works;
}

/*
 * A function reset, only tried: an unbind in flight may hold the device
 * lock, and then the set-wide reset or the next open does it instead.
 * The locked variant leaves the config state alone, so what was picked
 * above is still what gets restored.
 */
static bool core_try_function_reset(struct pci_dev *pdev)
{
	bool done;

	if (!pci_dev_trylock(pdev))
		return false;
	done = __pci_reset_function_locked(pdev) == 0;
	pci_dev_unlock(pdev);
	return done;
}

/*
 * Put back the config state from open, resetting the function on the way
 * if it can be reset.
 */
static void core_restore_and_reset(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;

	vdev->needs_reset = true;
	if (!core_pick_state_to_return_to(vdev))
		return;
	/* Nothing decodes, masters or interrupts while the reset runs. */
	pci_write_config_word(pdev, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE);
	if (vdev->reset_works && core_try_function_reset(pdev))
		vdev->needs_reset = false;
	pci_restore_state(pdev);
}

/**
 * vfio_pci_core_disable - clean up after the last user
 * @vdev: the device; the caller holds the device set lock
 */
void vfio_pci_core_disable(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;

	lockdep_assert_held(&vdev->vdev.dev_set->lock);

	/*
	 * A user may leave in low power: take its reference back and wake
	 * the function before touching it.
	 */
	vfio_pci_low_power_leave(vdev);
	pm_runtime_resume(&pdev->dev);
	/* And out of a D3hot it wrote to the PM capability. */
	vfio_pci_set_power_state(vdev, PCI_D0);

	/* No more DMA from here on, whatever userspace left running. */
	pci_clear_master(pdev);
	vfio_pci_irqs_teardown(vdev);
	vdev->virq_disabled = false;
	vfio_pci_ioeventfds_release(vdev);
	vfio_pci_regions_release(vdev);
	vfio_pci_config_exit(vdev);
	/*
	 * Quiet now, the function leaves its VM; on s390 that resets it,
	 * so it comes before the host's config state is put back.
	 */
	vfio_pci_zdev_close(vdev);

	core_restore_and_reset(vdev);
	/*
	 * Last, after whatever the restore wrote: the host gets the
	 * function back with bus mastering off.
	 */
	pci_disable_device(pdev);
	vfio_pci_dev_set_try_reset(vdev->vdev.dev_set);
	vfio_pci_pm_put(vdev);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_disable);

/**
 * vfio_pci_core_close_device - vfio_device_ops.close_device
 * @core_vdev: the device
 */
void vfio_pci_core_close_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = to_vfio_pci(core_vdev);

	vfio_pci_vf_token_user_add(vdev, -1);
	vfio_spapr_pci_eeh_release(vdev->pdev);
	vfio_pci_core_disable(vdev);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_close_device);

/* Parse " vf_token=UUID" after the device name; nothing else may follow. */
static int core_parse_vf_token(char *buf, bool *found, uuid_t *uuid)
{
	static const char key[] = "vf_token=";
	char *s = skip_spaces(buf);
	int ret;

	*found = false;
	if (!*s)
		return 0;
	if (strncmp(s, key, sizeof(key) - 1))
		return -EINVAL;
	s += sizeof(key) - 1;
	if (strlen(s) < UUID_STRING_LEN)
		return -EINVAL;
	ret = uuid_parse(s, uuid);
	if (ret)
		return ret;
	if (*skip_spaces(s + UUID_STRING_LEN))
		return -EINVAL;
	*found = true;
	return 0;
}

/**
 * vfio_pci_core_match - does a GET_DEVICE_FD string name this function?
 * @core_vdev: the device
 * @buf: "DDDD:BB:DD.F" optionally followed by " vf_token=UUID"
 *
 * Return: 1 for a match, 0 for another device, or a negative errno when
 * the name matches but the token is missing, wrong or malformed.
 */
int vfio_pci_core_match(struct vfio_device *core_vdev, char *buf)
{
	struct vfio_pci_core_device *vdev = to_vfio_pci(core_vdev);
	const char *name = pci_name(vdev->pdev);
	bool has_token;
	uuid_t uuid;
	int ret;

	if (strncmp(buf, name, strlen(name)))
		return 0;
	buf += strlen(name);
	if (*buf && *buf != ' ')
		return 0;

	ret = core_parse_vf_token(buf, &has_token, &uuid);
	if (ret)
		return ret;
	ret = vfio_pci_vf_token_check(vdev, has_token, &uuid);
	return ret ? ret : 1;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_match);

/**
 * vfio_pci_core_request - the host wants the function back
 * @core_vdev: the device
 * @count: how many times we asked already
 *
 * Signals the user's request eventfd, if it gave one, on every call; the
 * core calls again every few seconds until the device is closed.  The
 * log says so on the first call and on every tenth after it.
 */
void vfio_pci_core_request(struct vfio_device *core_vdev, unsigned int count)
{
	struct vfio_pci_core_device *vdev = to_vfio_pci(core_vdev);
	bool can_ask;

	mutex_lock(&vdev->igate);
	can_ask = vdev->req_trigger;
	if (can_ask)
		eventfd_signal(vdev->req_trigger, 1);
	mutex_unlock(&vdev->igate);

	if (count % 10)
		return;
	if (can_ask)
		pci_notice_ratelimited(vdev->pdev,
				       "asking the user to release the device (%u)\n",
				       count);
	else if (!count)
		pci_warn(vdev->pdev,
			 "the user cannot be asked to release the device; waiting\n");
}
EXPORT_SYMBOL_GPL(vfio_pci_core_request);

/**
 * vfio_pci_core_aer_err_detected - forward an AER error to userspace
 * @pdev: the function
 * @state: the channel state
 *
 * Return: PCI_ERS_RESULT_CAN_RECOVER; recovery is the user's business.
 */
pci_ers_result_t vfio_pci_core_aer_err_detected(struct pci_dev *pdev,
						pci_channel_state_t state)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);
	struct eventfd_ctx *notify;

	mutex_lock(&core->igate);
	notify = core->err_trigger;
	if (notify)
		eventfd_signal(notify, 1);
	mutex_unlock(&core->igate);

	pci_info(pdev, "AER error reported to the user\n");
	/* Whether and how to recover is left to whoever owns the device. */
	return PCI_ERS_RESULT_CAN_RECOVER;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_aer_err_detected);

const struct pci_error_handlers vfio_pci_core_err_handlers = {
	.error_detected = vfio_pci_core_aer_err_detected,
};
EXPORT_SYMBOL_GPL(vfio_pci_core_err_handlers);

/**
 * vfio_pci_core_init_dev - vfio_device_ops.init for PCI functions
 * @core_vdev: the freshly allocated device
 *
 * Return: 0 or a negative errno.
 */
int vfio_pci_core_init_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = to_vfio_pci(core_vdev);

	vdev->pdev = to_pci_dev(core_vdev->dev);
	vdev->irq_type = VFIO_PCI_NUM_IRQS;
	vdev->msix_bar = 0xff;
	vdev->disable_idle_d3 = vfio_pci_disable_idle_d3;
	spin_lock_init(&vdev->irqlock);
	mutex_init(&vdev->igate);
	mutex_init(&vdev->ioeventfds_lock);
	INIT_LIST_HEAD(&vdev->ioeventfds_list);
	INIT_LIST_HEAD(&vdev->dummy_resources_list);
	INIT_LIST_HEAD(&vdev->sriov_pfs_item);
	INIT_LIST_HEAD(&vdev->vma_list);
	mutex_init(&vdev->vma_lock);
	init_rwsem(&vdev->memory_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_init_dev);

/**
 * vfio_pci_core_release_dev - vfio_device_ops.release for PCI functions
 * @core_vdev: the device, no longer referenced
 */
void vfio_pci_core_release_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *pcidev = to_vfio_pci(core_vdev);
	void *saved_state = pcidev->pm_save;
	void *regions = pcidev->region;

	mutex_destroy(&pcidev->vma_lock);
	mutex_destroy(&pcidev->ioeventfds_lock);
	mutex_destroy(&pcidev->igate);
	kfree(saved_state);
	kfree(regions);
	/* Last: this frees the structure @pcidev lives in. */
	vfio_free_device(core_vdev);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_release_dev);

/**
 * vfio_pci_core_register_device - expose a bound function to userspace
 * @vdev: the device; its drvdata must already point at @vdev
 *
 * Return: 0 or a negative errno (-EINVAL for bridges and other functions
 * without a normal header, -EBUSY for a PF with VFs enabled).
 */
int vfio_pci_core_register_device(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int ret;

	/* The error handlers find us through drvdata. */
	if (WARN_ON(vdev != dev_get_drvdata(&pdev->dev)))
		return -EINVAL;
	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL)
		return -EINVAL;

	ret = vfio_pci_assign_dev_set(vdev);
	if (ret)
		return ret;
	ret = vfio_pci_vf_init(vdev);
	if (ret)
		return ret;
	ret = vfio_pci_vga_register(vdev);
	if (ret)
		goto err_vf;
	vfio_pci_pm_register(vdev);

	ret = vfio_register_group_dev(&vdev->vdev);
	if (ret)
		goto err_pm;
	return 0;

err_pm:
	vfio_pci_pm_unregister(vdev);
	vfio_pci_vga_unregister(vdev);
err_vf:
	vfio_pci_vf_uninit(vdev);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_register_device);

/**
 * vfio_pci_core_unregister_device - take a function away from userspace
 * @vdev: the device; blocks until every user has closed it, and every
 *        user of the VFs it created
 */
void vfio_pci_core_unregister_device(struct vfio_pci_core_device *vdev)
{
	/* VFs we created point at this PF: they go first. */
	vfio_pci_vfs_remove(vdev);
	vfio_unregister_group_dev(&vdev->vdev);
	vfio_pci_pm_unregister(vdev);
	vfio_pci_vga_unregister(vdev);
	vfio_pci_vf_uninit(vdev);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_unregister_device);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO PCI core: the library behind vfio-pci and its variants");
