// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_kvm_standin: stands in for s390 KVM in the selftests.
 *
 * On s390, vfio-pci registers a zPCI function with the VM that opened it
 * (zpci_kvm_hook) so that firmware interpretation serves only that VM.
 * Under TCG s390's kvm.ko cannot load (there is no SIE), so that path
 * could never run in our test VMs.  This module takes KVM's place:
 *
 *  - it exports kvm_get_kvm_safe() and kvm_put_kvm(), which vfio.ko looks
 *    up by name, and manages the life of stand-in VMs with them;
 *  - like the KVM-VFIO device, it associates a VM with a VFIO group
 *    through vfio_file_set_kvm();
 *  - it installs recorders in zpci_kvm_hook, which kvm.ko would fill.
 *    s390 KVM disables and re-enables the function to (un)register it,
 *    which resets it; the recorders model that reset by clearing the
 *    command register, so a test sees whether vfio-pci registers and
 *    unregisters at the right point of open and close.
 *
 * It cannot load while the real kvm.ko is loaded (same symbols), and it
 * tests VFIO's side of the contract only: what KVM does at registration is
 * out of reach without SIE.
 *
 * debugfs, /sys/kernel/debug/vfio_kvm_standin/:
 *   associate       write a group fd: a new VM is created (its "VM fd"
 *                   reference held here) and associated with the group,
 *                   replacing any earlier VM, whose reference is dropped
 *   dissociate      write anything: end the association and drop the
 *                   current VM's reference
 *   fail_register   write an errno (e.g. 22) for kvm_register to return,
 *                   0 to succeed again
 *   events          read: one line per event, "register FH vmN",
 *                   "unregister FH", "freed vmN"
 */
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <asm/pci.h>

#define STANDIN_EVENTS_SIZE	4096

/*
 * A stand-in VM.  VFIO never looks inside a struct kvm; only
 * users_count, the reference count kvm_get_kvm_safe() works on, is used.
 * The id lives beside it because struct kvm has no field for it.
 */
struct standin_vm {
	struct kvm kvm;
	unsigned int id;
};

/**
 * struct standin - the module's state
 * @lock: protects everything below and serialises the debugfs writes
 * @vm: the VM associated with @group_file, whose creator reference we hold
 * @group_file: the group @vm is associated with, held as KVM-VFIO would
 * @next_id: id of the next VM
 * @fail_register: errno kvm_register returns, 0 to succeed
 * @events: what happened, one event per line
 * @events_len: bytes used in @events
 * @saved_hook: zpci_kvm_hook as it was before we replaced it
 * @debugfs: our debugfs directory
 */
static struct standin {
	struct mutex lock;	/* see the kernel-doc above */
	struct standin_vm *vm;
	struct file *group_file;
	unsigned int next_id;
	int fail_register;
	char events[STANDIN_EVENTS_SIZE];
	size_t events_len;
	struct zpci_kvm_hook saved_hook;
	struct dentry *debugfs;
} standin = {
	.lock = __MUTEX_INITIALIZER(standin.lock),
};

static void standin_event(const char *fmt, ...) __printf(1, 2);
static void standin_event(const char *fmt, ...)
{
	size_t room = sizeof(standin.events) - standin.events_len;
	va_list args;
	int n;

	lockdep_assert_held(&standin.lock);

	va_start(args, fmt);
	n = vsnprintf(standin.events + standin.events_len, room, fmt, args);
	va_end(args);
	if (n > 0)
		standin.events_len += min_t(size_t, n, room - 1);
}

static struct standin_vm *to_standin_vm(struct kvm *kvm)
{
	return container_of(kvm, struct standin_vm, kvm);
}

/**
 * kvm_get_kvm_safe - take a reference on a stand-in VM, unless it is dying
 * @kvm: the VM
 *
 * Return: true if the reference was taken.
 */
bool kvm_get_kvm_safe(struct kvm *kvm)
{
	return refcount_inc_not_zero(&kvm->users_count);
}
EXPORT_SYMBOL_GPL(kvm_get_kvm_safe);

/**
 * kvm_put_kvm - drop a reference on a stand-in VM; the last one frees it
 * @kvm: the VM
 */
void kvm_put_kvm(struct kvm *kvm)
{
	struct standin_vm *vm = to_standin_vm(kvm);

	if (!refcount_dec_and_test(&kvm->users_count))
		return;
	mutex_lock(&standin.lock);
	standin_event("freed vm%u\n", vm->id);
	mutex_unlock(&standin.lock);
	kvfree(vm);
}
EXPORT_SYMBOL_GPL(kvm_put_kvm);

/*
 * What the firmware's disable and enable leave of the function, as far as
 * the header shows: nothing decodes, nothing masters.
 */
static void standin_model_reset(struct zpci_dev *zdev)
{
	struct pci_dev *pdev = pci_get_slot(zdev->zbus->bus, zdev->devfn);

	if (!pdev)
		return;
	pci_write_config_word(pdev, PCI_COMMAND, 0);
	pci_dev_put(pdev);
}

static int standin_kvm_register(void *opaque, struct kvm *kvm)
{
	struct zpci_dev *zdev = opaque;
	int ret;

	mutex_lock(&standin.lock);
	ret = -standin.fail_register;
	standin_event("register %08x vm%u%s\n", zdev->fh,
		      to_standin_vm(kvm)->id, ret ? " failed" : "");
	mutex_unlock(&standin.lock);
	if (!ret)
		standin_model_reset(zdev);
	return ret;
}

static void standin_kvm_unregister(void *opaque)
{
	struct zpci_dev *zdev = opaque;

	mutex_lock(&standin.lock);
	standin_event("unregister %08x\n", zdev->fh);
	mutex_unlock(&standin.lock);
	standin_model_reset(zdev);
}

/* End the current association and drop our reference on its VM. */
static void standin_dissociate(void)
{
	struct standin_vm *vm = standin.vm;
	struct file *file = standin.group_file;

	lockdep_assert_held(&standin.lock);

	if (!vm)
		return;
	standin.vm = NULL;
	standin.group_file = NULL;
	vfio_file_set_kvm(file, NULL);
	fput(file);

	/* kvm_put_kvm() takes the lock to record the free. */
	mutex_unlock(&standin.lock);
	kvm_put_kvm(&vm->kvm);
	mutex_lock(&standin.lock);
}

static int standin_associate(int fd)
{
	struct standin_vm *vm;
	struct file *file;

	file = fget(fd);
	if (!file)
		return -EBADF;
	if (!vfio_file_is_group(file)) {
		fput(file);
		return -EINVAL;
	}

	vm = kvzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm) {
		fput(file);
		return -ENOMEM;
	}
	refcount_set(&vm->kvm.users_count, 1);

	mutex_lock(&standin.lock);
	standin_dissociate();
	vm->id = ++standin.next_id;
	standin.vm = vm;
	standin.group_file = file;
	vfio_file_set_kvm(file, &vm->kvm);
	mutex_unlock(&standin.lock);
	return 0;
}

static ssize_t standin_associate_write(struct file *file,
				       const char __user *ubuf, size_t count,
				       loff_t *ppos)
{
	int fd, ret;

	ret = kstrtoint_from_user(ubuf, count, 10, &fd);
	if (ret)
		return ret;
	ret = standin_associate(fd);
	return ret ? ret : count;
}

static const struct file_operations standin_associate_fops = {
	.owner = THIS_MODULE,
	.write = standin_associate_write,
	.llseek = noop_llseek,
};

static ssize_t standin_dissociate_write(struct file *file,
					const char __user *ubuf, size_t count,
					loff_t *ppos)
{
	mutex_lock(&standin.lock);
	standin_dissociate();
	mutex_unlock(&standin.lock);
	return count;
}

static const struct file_operations standin_dissociate_fops = {
	.owner = THIS_MODULE,
	.write = standin_dissociate_write,
	.llseek = noop_llseek,
};

static ssize_t standin_fail_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	int err, ret;

	ret = kstrtoint_from_user(ubuf, count, 10, &err);
	if (ret)
		return ret;
	if (err < 0 || err >= MAX_ERRNO)
		return -EINVAL;
	mutex_lock(&standin.lock);
	standin.fail_register = err;
	mutex_unlock(&standin.lock);
	return count;
}

static const struct file_operations standin_fail_fops = {
	.owner = THIS_MODULE,
	.write = standin_fail_write,
	.llseek = noop_llseek,
};

static int standin_events_show(struct seq_file *s, void *unused)
{
	mutex_lock(&standin.lock);
	seq_write(s, standin.events, standin.events_len);
	mutex_unlock(&standin.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(standin_events);

static int __init standin_init(void)
{
	standin.debugfs = debugfs_create_dir("vfio_kvm_standin", NULL);
	debugfs_create_file("associate", 0200, standin.debugfs, NULL,
			    &standin_associate_fops);
	debugfs_create_file("dissociate", 0200, standin.debugfs, NULL,
			    &standin_dissociate_fops);
	debugfs_create_file("fail_register", 0200, standin.debugfs, NULL,
			    &standin_fail_fops);
	debugfs_create_file("events", 0444, standin.debugfs, NULL,
			    &standin_events_fops);

	standin.saved_hook = zpci_kvm_hook;
	zpci_kvm_hook.kvm_register = standin_kvm_register;
	zpci_kvm_hook.kvm_unregister = standin_kvm_unregister;
	return 0;
}

static void __exit standin_exit(void)
{
	/*
	 * Open devices hold references on our VMs and through them on this
	 * module's symbols, so nothing of ours is in use by now.
	 */
	debugfs_remove_recursive(standin.debugfs);
	mutex_lock(&standin.lock);
	standin_dissociate();
	mutex_unlock(&standin.lock);
	zpci_kvm_hook = standin.saved_hook;
}

module_init(standin_init);
module_exit(standin_exit);

MODULE_LICENSE("GPL v2");
MODULE_DESCRIPTION("Stand-in for s390 KVM in the VFIO selftests");
