// SPDX-License-Identifier: GPL-2.0-only
/*
 * SR-IOV: PFs that create VFs while bound to us, and the VF token.
 *
 * A PF's user can see and disturb everything its VFs do, so a VF of a PF
 * bound to us may only be opened by someone who knows the secret (a UUID)
 * the PF's user chose with VFIO_DEVICE_FEATURE_PCI_VF_TOKEN.  The token is
 * given as " vf_token=UUID" after the device name in
 * VFIO_GROUP_GET_DEVICE_FD.  While any VF is open the PF may only be
 * opened with the token too.
 */
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uuid.h>

#include "vfio_pci_priv.h"

/* PFs with VFs enabled by vfio_pci_core_sriov_configure(). */
static LIST_HEAD(sriov_pfs);
static DEFINE_MUTEX(sriov_pfs_lock);

static struct vfio_pci_core_device *sriov_find_pf(struct pci_dev *physfn)
{
	struct vfio_pci_core_device *cur;

	lockdep_assert_held(&sriov_pfs_lock);
	list_for_each_entry(cur, &sriov_pfs, sriov_pfs_item)
		if (cur->pdev == physfn)
			return cur;
	return NULL;
}

/* New VFs of our PFs default to our driver rather than their own. */
static int sriov_bus_notifier(struct notifier_block *nb,
			      unsigned long action, void *data)
{
	struct vfio_pci_core_device *vdev =
		container_of(nb, struct vfio_pci_core_device, nb);
	struct device *dev = data;
	struct pci_dev *pdev = to_pci_dev(dev);
	const char *name;

	if (action != BUS_NOTIFY_ADD_DEVICE || !pdev->is_virtfn ||
	    pci_physfn(pdev) != vdev->pdev)
		return NOTIFY_OK;
	name = vdev->pdev->driver->name;
	if (driver_set_override(dev, &pdev->driver_override, name,
				strlen(name)))
		pci_warn(vdev->pdev, "VF %s may bind to a host driver\n",
			 pci_name(pdev));
	return NOTIFY_OK;
}

/**
 * vfio_pci_vf_init - SR-IOV set-up at registration
 * @vdev: the device being registered
 *
 * A VF finds the PF that created it; a PF gets its token.
 *
 * Return: 0 or a negative errno: -EBUSY for a PF with VFs enabled.
 */
int vfio_pci_vf_init(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_pci_vf_token *tok;
	int err;

	if (pdev->is_virtfn) {
		/*
		 * pci_disable_sriov() cannot finish while this VF is bound,
		 * so the PF found here outlives us.
		 */
		mutex_lock(&sriov_pfs_lock);
		vdev->sriov_pf_core_dev = sriov_find_pf(pci_physfn(pdev));
		mutex_unlock(&sriov_pfs_lock);
		return 0;
	}
	if (!pdev->is_physfn)
		return 0;
	/*
	 * VFs that exist already were made by someone else: we could
	 * neither know who uses them nor make them need our token.
	 */
	if (pci_num_vf(pdev)) {
		pci_warn(pdev, "SR-IOV is enabled: disable the VFs before binding the PF\n");
		return -EBUSY;
	}

	tok = kzalloc(sizeof(*tok), GFP_KERNEL);
	if (!tok)
		return -ENOMEM;
	uuid_gen(&tok->uuid);
	mutex_init(&tok->lock);

	vdev->nb.notifier_call = sriov_bus_notifier;
	err = bus_register_notifier(&pci_bus_type, &vdev->nb);
	if (err) {
		mutex_destroy(&tok->lock);
		kfree(tok);
		return err;
	}
	vdev->vf_token = tok;
	return 0;
}

/**
 * vfio_pci_vf_uninit - undo vfio_pci_vf_init()
 * @vdev: the device being unregistered
 */
void vfio_pci_vf_uninit(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_vf_token *tok = vdev->vf_token;

	if (tok) {
		bus_unregister_notifier(&pci_bus_type, &vdev->nb);
		/* Every VF must have been closed by now. */
		WARN_ON(tok->users);
		vdev->vf_token = NULL;
		mutex_destroy(&tok->lock);
		kfree(tok);
	}
}

/*
 * The token that governs opening @vdev: a VF's PF's, a PF's own, or none
 * (a VF whose PF is not ours, a function without SR-IOV).
 */
static struct vfio_pci_vf_token *
vf_token_governing(struct vfio_pci_core_device *vdev)
{
	if (vdev->pdev->is_virtfn)
		return vdev->sriov_pf_core_dev ?
		       vdev->sriov_pf_core_dev->vf_token : NULL;
	return vdev->vf_token;
}

/**
 * vfio_pci_vf_token_check - may this open proceed, given the token?
 * @vdev: the device being opened
 * @vf_token: whether a token was given
 * @uuid: the token
 *
 * A VF of our PF always needs the PF's token.  A PF needs its own while
 * any of its VFs is open; otherwise a token given sets it, since nobody
 * depends on the old one.
 *
 * Return: 0, -EACCES for a missing or wrong token, -EINVAL for a token
 * given to a function that has no use for one.
 */
int vfio_pci_vf_token_check(struct vfio_pci_core_device *vdev,
			    bool vf_token, uuid_t *uuid)
{
	struct vfio_pci_vf_token *tok = vf_token_governing(vdev);
	bool needed, ok;

	if (!tok)
		return vf_token ? -EINVAL : 0;

	mutex_lock(&tok->lock);
	needed = vdev->pdev->is_virtfn || tok->users;
	ok = vf_token && uuid_equal(&tok->uuid, uuid);
	if (!needed && vf_token)
		uuid_copy(&tok->uuid, uuid);
	mutex_unlock(&tok->lock);

	if (!needed || ok)
		return 0;
	pci_info_ratelimited(vdev->pdev, "%s VF token\n",
			     vf_token ? "wrong" : "missing");
	return -EACCES;
}

/**
 * vfio_pci_vf_token_user_add - count a VF being opened (+1) or closed (-1)
 * @vdev: the VF
 * @val: +1 or -1
 */
void vfio_pci_vf_token_user_add(struct vfio_pci_core_device *vdev, int val)
{
	struct vfio_pci_core_device *pf = vdev->sriov_pf_core_dev;

	if (!pf)
		return;
	mutex_lock(&pf->vf_token->lock);
	pf->vf_token->users += val;
	WARN_ON(pf->vf_token->users < 0);
	mutex_unlock(&pf->vf_token->lock);
}

/**
 * vfio_pci_feature_vf_token - VFIO_DEVICE_FEATURE_PCI_VF_TOKEN
 * @vdev: the PF
 * @flags: feature flags; only SET is supported
 * @arg: the new token (a UUID)
 * @argsz: size of @arg
 *
 * Return: 0, -ENOTTY for functions that are not PFs, -EINVAL or -EFAULT.
 */
int vfio_pci_feature_vf_token(struct vfio_pci_core_device *vdev, u32 flags,
			      void __user *arg, size_t argsz)
{
	struct vfio_pci_vf_token *tok = vdev->vf_token;
	uuid_t fresh;
	int rc;

	if (!tok)
		return -ENOTTY;
	/* SET only: reading the token back would leak a previous user's. */
	rc = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET,
				sizeof(fresh));
	if (rc <= 0)
		return rc;	/* an error, or a PROBE that succeeded */
	if (copy_from_user(&fresh, arg, sizeof(fresh)))
		return -EFAULT;

	mutex_lock(&tok->lock);
	uuid_copy(&tok->uuid, &fresh);
	mutex_unlock(&tok->lock);
	return 0;
}

/*
 * This and vfio_pci_vfs_remove() run with the PF's device lock held
 * (sysfs' sriov_numvfs, or the PF's removal), which keeps them in step.
 * sriov_active changes under memory_lock too, which the user's power
 * state writes hold: a PF is either in D0 with VFs or without VFs in
 * whatever state its user chose, never in D3hot with VFs.
 */
static int sriov_vfs_create(struct vfio_pci_core_device *vdev, int nr)
{
	int ret;

	/* Enabled VFs are disabled before any new count (6.1: -EINVAL). */
	if (vdev->sriov_active)
		return -EINVAL;
	/* The PF stays awake for as long as it has VFs. */
	ret = vfio_pci_pm_get(vdev);
	if (ret)
		return ret;
	/* Each VF looks for its PF on the list as it probes. */
	mutex_lock(&sriov_pfs_lock);
	list_add_tail(&vdev->sriov_pfs_item, &sriov_pfs);
	mutex_unlock(&sriov_pfs_lock);

	/*
	 * VFs are reached through the PF: it must be awake to have them.
	 * sriov_active, set first, keeps the user's D3hot writes away.
	 * memory_lock is not held across pci_enable_sriov(): the VFs'
	 * probes take device set locks, which nest outside memory_lock.
	 */
	down_write(&vdev->memory_lock);
	ret = vfio_pci_set_power_state(vdev, PCI_D0);
	vdev->sriov_active = !ret;
	up_write(&vdev->memory_lock);
	if (!ret)
		ret = pci_enable_sriov(vdev->pdev, nr);
	if (ret) {
		down_write(&vdev->memory_lock);
		vdev->sriov_active = false;
		up_write(&vdev->memory_lock);
		goto err_unlist;
	}
	return nr;

err_unlist:
	mutex_lock(&sriov_pfs_lock);
	list_del_init(&vdev->sriov_pfs_item);
	mutex_unlock(&sriov_pfs_lock);
	vfio_pci_pm_put(vdev);
	return ret;
}

/**
 * vfio_pci_vfs_remove - remove the VFs vfio_pci_core_sriov_configure() made
 * @vdev: the PF; its device lock is held
 *
 * Removes every VF; one bound to us first waits for its user to close
 * it.  No VF refers to the PF afterwards, so the PF may go.
 */
void vfio_pci_vfs_remove(struct vfio_pci_core_device *vdev)
{
	if (!vdev->sriov_active)
		return;
	pci_disable_sriov(vdev->pdev);
	down_write(&vdev->memory_lock);
	vdev->sriov_active = false;
	up_write(&vdev->memory_lock);
	mutex_lock(&sriov_pfs_lock);
	list_del_init(&vdev->sriov_pfs_item);
	mutex_unlock(&sriov_pfs_lock);
	vfio_pci_pm_put(vdev);
}

/**
 * vfio_pci_core_sriov_configure - enable or disable VFs of a PF
 * @vdev: the PF
 * @nr_virtfn: number of VFs, 0 to disable
 *
 * Called from the driver's sriov_configure, with the device lock held.
 * VFs created here default to the PF's driver, and their users need the
 * PF's VF token.
 *
 * Return: @nr_virtfn (0 when disabling) or a negative errno: -EINVAL if
 * VFs are enabled already.
 */
int vfio_pci_core_sriov_configure(struct vfio_pci_core_device *vdev,
				  int nr_virtfn)
{
	device_lock_assert(&vdev->pdev->dev);

	if (nr_virtfn)
		return sriov_vfs_create(vdev, nr_virtfn);
	vfio_pci_vfs_remove(vdev);
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_sriov_configure);
