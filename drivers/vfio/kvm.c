// SPDX-License-Identifier: GPL-2.0-only
/*
 * The KVM a device works for.
 *
 * kvm.ko's KVM-VFIO device tells a group which VM it belongs to through
 * vfio_file_set_kvm().  A device takes that VM at its first open, keeps a
 * reference on it and leaves device->kvm unchanged until its last close,
 * whatever happens to the group's association meanwhile: drivers (vGPUs,
 * s390 zPCI) set up VM-wide state at open and must tear down exactly that.
 *
 * vfio.ko must not depend on kvm.ko, so the reference helpers are looked up
 * at run time; holding the looked-up symbol also keeps kvm.ko loaded for as
 * long as we hold a VM.
 */
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/vfio.h>

#include "vfio.h"

/*
 * The group's KVM with a reference taken, or NULL.  group->kvm_lock keeps
 * kvm.ko from clearing the association, and so from freeing the VM, while
 * the reference is taken; kvm_get_kvm_safe() fails for a VM whose last
 * reference is already gone.
 */
static struct kvm *vfio_group_get_kvm(struct vfio_group *group,
				      bool (*get)(struct kvm *kvm))
{
	struct kvm *kvm;

	spin_lock(&group->kvm_lock);
	kvm = group->kvm;
	if (kvm && !get(kvm))
		kvm = NULL;
	spin_unlock(&group->kvm_lock);
	return kvm;
}

/**
 * vfio_device_capture_kvm - take the group's KVM for a device being opened
 * @device: a device in its first open, its set's lock held
 *
 * Leaves device->kvm NULL when the group has no KVM, or when the VM is
 * already on its way out.
 */
void vfio_device_capture_kvm(struct vfio_device *device)
{
	void (*put)(struct kvm *kvm);
	bool (*get)(struct kvm *kvm);
	struct kvm *kvm;

	lockdep_assert_held(&device->dev_set->lock);

	if (WARN_ON(device->kvm) || !READ_ONCE(device->group->kvm))
		return;

	/* kvm.ko stays loaded while a group has one of its VMs. */
	get = symbol_get(kvm_get_kvm_safe);
	if (!get)
		return;
	put = symbol_get(kvm_put_kvm);
	if (!put) {
		symbol_put(kvm_get_kvm_safe);
		return;
	}

	kvm = vfio_group_get_kvm(device->group, get);
	symbol_put(kvm_get_kvm_safe);
	if (!kvm) {
		symbol_put(kvm_put_kvm);
		return;
	}

	device->kvm = kvm;
	device->kvm_put = put;
}

/**
 * vfio_device_release_kvm - drop the KVM a device captured
 * @device: a device after its last close (or failed first open), its set's
 *          lock held but not its group's: dropping the last VM reference
 *          runs KVM's teardown, which calls vfio_file_set_kvm()
 */
void vfio_device_release_kvm(struct vfio_device *device)
{
	void (*put)(struct kvm *kvm) = device->kvm_put;
	struct kvm *kvm = device->kvm;

	lockdep_assert_held(&device->dev_set->lock);

	if (!kvm)
		return;

	device->kvm = NULL;
	device->kvm_put = NULL;
	put(kvm);
	symbol_put(kvm_put_kvm);
}

/**
 * vfio_file_set_kvm - associate a VFIO group with a VM
 * @file: a VFIO group file
 * @kvm: the VM, or NULL to end the association
 *
 * Called by kvm.ko's KVM-VFIO device when userspace adds the group to it
 * and when the group or the device goes away, the latter with kvm->lock
 * held: only the group's kvm_lock is taken here, never its lock, which is
 * held around drivers' open_device and close_device, where drivers take
 * kvm->lock.  Devices opened afterwards capture @kvm; devices already open
 * keep what they captured.
 */
void vfio_file_set_kvm(struct file *file, struct kvm *kvm)
{
	struct vfio_group *group = vfio_group_from_file(file);

	if (!group)
		return;

	spin_lock(&group->kvm_lock);
	WRITE_ONCE(group->kvm, kvm);
	spin_unlock(&group->kvm_lock);
}
EXPORT_SYMBOL_GPL(vfio_file_set_kvm);
