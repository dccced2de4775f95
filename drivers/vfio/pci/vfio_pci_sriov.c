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
 * Return: 0 or a negative errno.
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

static int vf_token_check_vf(struct vfio_pci_core_device *vdev,
			     bool vf_token, uuid_t *uuid)
{
	struct vfio_pci_core_device *pf = vdev->sriov_pf_core_dev;
	bool match;

	if (!pf) {
		/* The PF's driver is not ours: there is no token to ask. */
		return vf_token ? -EINVAL : 0;
	}
	if (!vf_token) {
		pci_info_ratelimited(vdev->pdev, "VF token required\n");
		return -EACCES;
	}
	mutex_lock(&pf->vf_token->lock);
	match = uuid_equal(&pf->vf_token->uuid, uuid);
	mutex_unlock(&pf->vf_token->lock);
	return match ? 0 : -EACCES;
}

static int vf_token_check_pf(struct vfio_pci_core_device *vdev,
			     bool vf_token, uuid_t *uuid)
{
	struct vfio_pci_vf_token *token = vdev->vf_token;
	int ret = 0;

	mutex_lock(&token->lock);
	if (token->users) {
		if (!vf_token || !uuid_equal(&token->uuid, uuid))
			ret = -EACCES;
	} else if (vf_token) {
		/* Nobody depends on the old token: take the given one. */
		uuid_copy(&token->uuid, uuid);
	}
	mutex_unlock(&token->lock);
	return ret;
}

/**
 * vfio_pci_vf_token_check - may this open proceed, given the token?
 * @vdev: the device being opened
 * @vf_token: whether a token was given
 * @uuid: the token
 *
 * Return: 0, -EACCES for a missing or wrong token, -EINVAL for a token
 * given to a function that has no use for one.
 */
int vfio_pci_vf_token_check(struct vfio_pci_core_device *vdev,
			    bool vf_token, uuid_t *uuid)
{
	if (vdev->pdev->is_virtfn)
		return vf_token_check_vf(vdev, vf_token, uuid);
	if (vdev->vf_token)
		return vf_token_check_pf(vdev, vf_token, uuid);
	return vf_token ? -EINVAL : 0;
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

/**
 * vfio_pci_core_sriov_configure - enable or disable VFs of a PF
 * @vdev: the PF
 * @nr_virtfn: number of VFs, 0 to disable
 *
 * Called from the driver's sriov_configure with the device lock held.
 *
 * Return: @nr_virtfn on success or a negative errno.
 */
int vfio_pci_core_sriov_configure(struct vfio_pci_core_device *vdev,
				  int nr_virtfn)
{
	struct pci_dev *pdev = vdev->pdev;
	int ret;

	device_lock_assert(&pdev->dev);

	if (!nr_virtfn) {
		if (!vdev->sriov_active)
			return 0;
		pci_disable_sriov(pdev);
		mutex_lock(&sriov_pfs_lock);
		list_del_init(&vdev->sriov_pfs_item);
		mutex_unlock(&sriov_pfs_lock);
		vdev->sriov_active = false;
		vfio_pci_pm_put(vdev);
		return 0;
	}

	if (vdev->sriov_active)
		return -EBUSY;
	/* VFs need the PF awake, and must find it when they probe. */
	ret = vfio_pci_pm_get(vdev);
	if (ret)
		return ret;
	mutex_lock(&sriov_pfs_lock);
	list_add_tail(&vdev->sriov_pfs_item, &sriov_pfs);
	mutex_unlock(&sriov_pfs_lock);

	ret = pci_enable_sriov(pdev, nr_virtfn);
	if (ret) {
		mutex_lock(&sriov_pfs_lock);
		list_del_init(&vdev->sriov_pfs_item);
		mutex_unlock(&sriov_pfs_lock);
		vfio_pci_pm_put(vdev);
		return ret;
	}
	vdev->sriov_active = true;
	return nr_virtfn;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_sriov_configure);
