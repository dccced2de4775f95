// SPDX-License-Identifier: GPL-2.0-only
/*
 * INTx: the level-triggered legacy interrupt.
 *
 * A level interrupt stays asserted until the device is serviced, which
 * only userspace can do, so every interrupt masks the line before it is
 * forwarded and userspace unmasks it when done (VFIO_IRQ_SET_ACTION_UNMASK,
 * directly or through an unmask eventfd such as KVM's resampler).
 *
 * Devices that implement PCI 2.3 INTx masking are masked at the device
 * (command register INTx disable), which lets the host line be shared.
 * Others are masked at the interrupt controller and need the line for
 * themselves.
 *
 * Locking.  INTx is reached from two kinds of context:
 *
 *  - with igate held: VFIO_DEVICE_SET_IRQS and the teardown at close.
 *    Only they enable or disable INTx, replace the trigger eventfd or
 *    install and remove the mask and unmask virqfds.
 *
 *  - without igate: the hard IRQ handler, the virqfd callbacks, writes of
 *    the virtual INTx disable bit through config space and runtime PM.
 *    Config space writes hold memory_lock, which nests inside igate
 *    (interrupt setup enables memory decode), so they cannot take igate.
 *
 * irqlock is what the second kind relies on.  Publishing and unpublishing
 * INTx (@ctx, @num_ctx, @irq_type), the trigger pointer, the masked flag,
 * @virq_disabled and the hardware mask (the INTx disable bit, or the
 * line's disable depth at the interrupt controller) all change with
 * irqlock held, so a path without igate sees INTx either fully set up or
 * absent, and may use @ctx only until it drops irqlock.
 *
 * The INTx disable bit shares the command register with bits userspace
 * writes through config space.  Those writes are read-modify-writes of
 * the register, or of its upper byte, and they too run under irqlock
 * (vfio_pci_intx_cmd_rmw()): otherwise one could write back a disable bit
 * read before the handler masked or an unmask unmasked, leaving the
 * device unmasked while the masked flag says masked, or the reverse.
 *
 * The trigger is never signalled under irqlock: an unmask virqfd's
 * wake-up runs under its eventfd's lock and takes irqlock, so the same
 * eventfd used as trigger and unmask eventfd would deadlock.  The only
 * signallers are the IRQ handler, the unmask virqfd's thread and
 * SET_IRQS itself; whoever drops a trigger waits for the first two
 * (free_irq() or synchronize_irq(), vfio_virqfd_disable() or
 * vfio_virqfd_flush_thread()) beforehand.  The paths without igate
 * therefore never signal: an unmask from config space or runtime PM
 * unmasks unconditionally, and a device still asserting INTx raises a
 * fresh interrupt that the handler forwards.
 */
#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "vfio_pci_priv.h"

static bool intx_active(struct vfio_pci_core_device *vdev)
{
	return vdev->irq_type == VFIO_PCI_INTX_IRQ_INDEX && vdev->ctx;
}

/* Mask the line if it is not masked already; irqlock held. */
static bool intx_mask_locked(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_irq_ctx *ctx;

	lockdep_assert_held(&vdev->irqlock);
	if (!intx_active(vdev))
		return false;
	ctx = vdev->ctx;
	if (ctx->masked)
		return false;
	if (vdev->pci_2_3)
		pci_intx(vdev->pdev, 0);
	else
		disable_irq_nosync(vdev->pdev->irq);
	ctx->masked = true;
	return true;
}

/*
 * Unmask the line unless the virtual INTx disable bit holds it; irqlock
 * held.  With @check, a device that still asserts INTx stays masked and
 * true is returned: the caller forwards the interrupt itself, which saves
 * the host an interrupt.  Without, the device raises a new one.
 */
static bool intx_unmask_locked(struct vfio_pci_core_device *vdev, bool check)
{
	struct vfio_pci_irq_ctx *ctx;

	lockdep_assert_held(&vdev->irqlock);
	if (!intx_active(vdev) || vdev->virq_disabled)
		return false;
	ctx = vdev->ctx;
	if (!ctx->masked)
		return false;
	if (!vdev->pci_2_3)
		enable_irq(vdev->pdev->irq);
	else if (!check)
		pci_intx(vdev->pdev, 1);
	else if (!pci_check_and_unmask_intx(vdev->pdev))
		return true;
	ctx->masked = false;
	return false;
}

/**
 * vfio_pci_intx_mask - mask INTx on behalf of userspace or runtime PM
 * @vdev: the device
 *
 * Takes irqlock only; may be called from atomic context.
 *
 * Return: true if the line was unmasked before.
 */
bool vfio_pci_intx_mask(struct vfio_pci_core_device *vdev)
{
	unsigned long flags;
	bool was;

	spin_lock_irqsave(&vdev->irqlock, flags);
	was = intx_mask_locked(vdev);
	spin_unlock_irqrestore(&vdev->irqlock, flags);
	return was;
}

/**
 * vfio_pci_intx_unmask - unmask INTx for a caller that does not hold igate
 * @vdev: the device
 *
 * Used by runtime PM.  Takes irqlock only and never signals the trigger:
 * a device still asserting INTx interrupts again once unmasked.
 */
void vfio_pci_intx_unmask(struct vfio_pci_core_device *vdev)
{
	unsigned long flags;

	spin_lock_irqsave(&vdev->irqlock, flags);
	intx_unmask_locked(vdev, false);
	spin_unlock_irqrestore(&vdev->irqlock, flags);
}

/**
 * vfio_pci_intx_virt_disable - the user wrote the virtual INTx disable bit
 * @vdev: the device
 * @disable: the bit's new value
 *
 * The bit masks INTx like ACTION_MASK does, and keeps ACTION_UNMASK from
 * unmasking it.  The bit and the mask change together under irqlock, so
 * an INTx being enabled meanwhile starts in the state the bit says.
 */
void vfio_pci_intx_virt_disable(struct vfio_pci_core_device *vdev,
				bool disable)
{
	unsigned long flags;

	spin_lock_irqsave(&vdev->irqlock, flags);
	if (vdev->virq_disabled != disable) {
		vdev->virq_disabled = disable;
		if (disable)
			intx_mask_locked(vdev);
		else
			intx_unmask_locked(vdev, false);
	}
	spin_unlock_irqrestore(&vdev->irqlock, flags);
}

/**
 * vfio_pci_intx_mask_device - set the function's INTx disable bit
 * @vdev: the device
 *
 * For callers that mask a function at the device while no INTx is
 * published (before enabling it, or a function offered without INTx).
 * Taking irqlock orders the write with vfio_pci_intx_cmd_rmw(): a
 * command register write of userspace that read the bit clear would
 * otherwise write it back clear and leave the function unmasked.
 */
void vfio_pci_intx_mask_device(struct vfio_pci_core_device *vdev)
{
	unsigned long flags;

	spin_lock_irqsave(&vdev->irqlock, flags);
	pci_intx(vdev->pdev, 0);
	spin_unlock_irqrestore(&vdev->irqlock, flags);
}

/**
 * vfio_pci_intx_cmd_rmw - change command register bits beside INTx disable
 * @vdev: the device
 * @pos: start of a naturally aligned span holding PCI_COMMAND + 1
 * @len: its length, 1, 2 or 4
 * @mask: the bits of that span to change; never the INTx disable bit
 * @val: their new values
 *
 * The span holds the INTx disable bit, which the INTx code owns: reading
 * and writing back under irqlock keeps it as the host has it at the time
 * of the write (see Locking).  The accessors the INTx code uses under
 * irqlock cannot wait for config space a reset has blocked, as the user
 * accessors do, so that wait happens beforehand, and the block is kept
 * while the span is written.  May sleep.
 *
 * Return: 0 or a negative errno.
 */
int vfio_pci_intx_cmd_rmw(struct vfio_pci_core_device *vdev, int pos,
			  int len, u32 mask, u32 val)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned long flags;
	u32 dword;
	u16 word;
	u8 byte;
	int ret;

	pci_cfg_access_lock(pdev);
	spin_lock_irqsave(&vdev->irqlock, flags);
	switch (len) {
	case 4:
		ret = pci_read_config_dword(pdev, pos, &dword);
		if (!ret)
			ret = pci_write_config_dword(pdev, pos,
						     (dword & ~mask) |
						     (val & mask));
		break;
	case 2:
		ret = pci_read_config_word(pdev, pos, &word);
		if (!ret)
			ret = pci_write_config_word(pdev, pos,
						    (word & ~mask) |
						    (val & mask));
		break;
	default:
		ret = pci_read_config_byte(pdev, pos, &byte);
		if (!ret)
			ret = pci_write_config_byte(pdev, pos,
						    (byte & ~mask) |
						    (val & mask));
		break;
	}
	spin_unlock_irqrestore(&vdev->irqlock, flags);
	pci_cfg_access_unlock(pdev);
	return pcibios_err_to_errno(ret);
}

/*
 * Forward an interrupt the device still asserts.  The caller holds igate
 * or is the unmask virqfd's thread; see Locking for why the trigger read
 * under irqlock stays valid after it is dropped.
 */
static void intx_signal(void *opaque, void *unused)
{
	struct vfio_pci_core_device *vdev = opaque;
	struct eventfd_ctx *trigger = NULL;
	unsigned long flags;

	spin_lock_irqsave(&vdev->irqlock, flags);
	if (intx_active(vdev) && !vdev->virq_disabled)
		trigger = vdev->ctx->trigger;
	spin_unlock_irqrestore(&vdev->irqlock, flags);
	if (trigger)
		eventfd_signal(trigger, 1);
}

/* The unmask virqfd's handler; runs under the eventfd's lock. */
static int intx_unmask_atomic(void *opaque, void *unused)
{
	struct vfio_pci_core_device *vdev = opaque;
	unsigned long flags;
	bool pending;

	spin_lock_irqsave(&vdev->irqlock, flags);
	pending = intx_unmask_locked(vdev, true);
	spin_unlock_irqrestore(&vdev->irqlock, flags);
	return pending;
}

static int intx_mask_atomic(void *opaque, void *unused)
{
	vfio_pci_intx_mask(opaque);
	return 0;
}

static irqreturn_t intx_handler(int irq, void *data)
{
	struct vfio_pci_core_device *vdev = data;
	struct eventfd_ctx *trigger = NULL;
	struct vfio_pci_irq_ctx *ctx;
	irqreturn_t ret = IRQ_NONE;
	unsigned long flags;

	spin_lock_irqsave(&vdev->irqlock, flags);
	if (!intx_active(vdev))
		goto out;
	ctx = vdev->ctx;
	if (!vdev->pci_2_3) {
		/*
		 * The line is ours alone.  A mask on another CPU may have
		 * disabled it while we were on our way here: disabling it
		 * again would leave it one enable short.  It stays asserted
		 * and comes back when unmasked.
		 */
		if (!ctx->masked) {
			disable_irq_nosync(irq);
			ctx->masked = true;
			trigger = ctx->trigger;
		}
		ret = IRQ_HANDLED;
	} else if (!ctx->masked && pci_check_and_mask_intx(vdev->pdev)) {
		/* The device raised it: masked at the device now. */
		ctx->masked = true;
		trigger = ctx->trigger;
		ret = IRQ_HANDLED;
	}
out:
	spin_unlock_irqrestore(&vdev->irqlock, flags);

	if (trigger)
		eventfd_signal(trigger, 1);
	return ret;
}

/*
 * The handler is installed before INTx is published and finds nothing to
 * do until then.  A shared line stays masked at the device meanwhile, an
 * exclusive one is requested disabled; both are unmasked, if the virtual
 * INTx disable bit allows, in the same irqlock section that publishes.
 */
static int intx_enable(struct vfio_pci_core_device *vdev, int fd)
{
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_pci_irq_ctx *ctx;
	unsigned long irqflags;
	int ret;

	if (!pdev->irq || pdev->irq == IRQ_NOTCONNECTED || vdev->nointx)
		return -ENODEV;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ctx->name = kasprintf(GFP_KERNEL_ACCOUNT, "vfio-intx(%s)",
			      pci_name(pdev));
	if (!ctx->name) {
		ret = -ENOMEM;
		goto err_ctx;
	}
	ctx->trigger = eventfd_ctx_fdget(fd);
	if (IS_ERR(ctx->trigger)) {
		ret = PTR_ERR(ctx->trigger);
		goto err_name;
	}

	if (vdev->pci_2_3) {
		vfio_pci_intx_mask_device(vdev);
		irqflags = IRQF_SHARED;
	} else {
		irqflags = IRQF_NO_AUTOEN;
	}
	ret = request_irq(pdev->irq, intx_handler, irqflags, ctx->name, vdev);
	if (ret)
		goto err_trigger;

	spin_lock_irq(&vdev->irqlock);
	ctx->masked = true;
	vdev->ctx = ctx;
	vdev->num_ctx = 1;
	vdev->irq_type = VFIO_PCI_INTX_IRQ_INDEX;
	intx_unmask_locked(vdev, false);
	spin_unlock_irq(&vdev->irqlock);
	return 0;

err_trigger:
	eventfd_ctx_put(ctx->trigger);
err_name:
	kfree(ctx->name);
err_ctx:
	kfree(ctx);
	return ret;
}

/* Point a running INTx at another eventfd; the virqfds stay. */
static int intx_swap_trigger(struct vfio_pci_core_device *vdev, int fd)
{
	struct vfio_pci_irq_ctx *ctx = vdev->ctx;
	struct eventfd_ctx *trigger, *old;

	trigger = eventfd_ctx_fdget(fd);
	if (IS_ERR(trigger))
		return PTR_ERR(trigger);

	spin_lock_irq(&vdev->irqlock);
	old = ctx->trigger;
	ctx->trigger = trigger;
	spin_unlock_irq(&vdev->irqlock);

	/* Wait out signallers that read the old trigger. */
	synchronize_irq(vdev->pdev->irq);
	vfio_virqfd_flush_thread(&ctx->unmask);
	eventfd_ctx_put(old);
	return 0;
}

/**
 * vfio_pci_intx_disable - stop forwarding INTx and free its state
 * @vdev: the device; the caller holds igate
 */
void vfio_pci_intx_disable(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_pci_irq_ctx *ctx = vdev->ctx;

	lockdep_assert_held(&vdev->igate);
	if (!intx_active(vdev))
		return;

	vfio_virqfd_disable(&ctx->unmask);
	vfio_virqfd_disable(&ctx->mask);

	/*
	 * Masked, the line cannot fire into a handler that no longer finds
	 * INTx; the INTx disable bit stays set for whoever comes next.  It
	 * is written even if the masked flag says it is set already: a
	 * reset restores the command register as saved before it, and a
	 * function left unmasked here could storm a shared line that no
	 * handler of ours serves any more.  free_irq() leaves an exclusive
	 * line shut down however deep it was disabled, and the next
	 * request_irq() starts it afresh.
	 */
	spin_lock_irq(&vdev->irqlock);
	intx_mask_locked(vdev);
	if (vdev->pci_2_3)
		pci_intx(pdev, 0);
	vdev->ctx = NULL;
	vdev->num_ctx = 0;
	vdev->irq_type = VFIO_PCI_NUM_IRQS;
	spin_unlock_irq(&vdev->irqlock);

	/* Also waits for a handler still running on another CPU. */
	free_irq(pdev->irq, vdev);
	eventfd_ctx_put(ctx->trigger);
	kfree(ctx->name);
	kfree(ctx);
}

static bool data_says_yes(u32 flags, void *data)
{
	return (flags & VFIO_IRQ_SET_DATA_NONE) ||
	       ((flags & VFIO_IRQ_SET_DATA_BOOL) && *(u8 *)data);
}

/*
 * ACTION_MASK and ACTION_UNMASK: act now (DATA_NONE, or DATA_BOOL true),
 * or hand the action to an eventfd (DATA_EVENTFD; -1 takes it back).
 * Unmasking from an eventfd may find the line pending again: its thread
 * then signals the trigger.
 */
static int intx_set_gate(struct vfio_pci_core_device *vdev, u32 flags,
			 void *data, bool mask)
{
	struct vfio_pci_irq_ctx *ctx = vdev->ctx;
	struct virqfd **gate = mask ? &ctx->mask : &ctx->unmask;
	s32 fd;

	if (!(flags & VFIO_IRQ_SET_DATA_EVENTFD)) {
		if (!data_says_yes(flags, data))
			return 0;
		if (mask)
			vfio_pci_intx_mask(vdev);
		else if (intx_unmask_atomic(vdev, NULL))
			intx_signal(vdev, NULL);
		return 0;
	}
	fd = *(s32 *)data;
	if (fd < 0) {
		vfio_virqfd_disable(gate);
		return 0;
	}
	if (mask)
		return vfio_virqfd_enable(vdev, intx_mask_atomic, NULL, NULL,
					  gate, fd);
	return vfio_virqfd_enable(vdev, intx_unmask_atomic, intx_signal, NULL,
				  gate, fd);
}

static int intx_set_trigger(struct vfio_pci_core_device *vdev, u32 count,
			    u32 flags, void *data)
{
	bool active = intx_active(vdev);
	s32 fd;

	if (active && (flags & VFIO_IRQ_SET_DATA_NONE) && !count) {
		vfio_pci_intx_disable(vdev);
		return 0;
	}
	if (!active && vdev->irq_type != VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	if (count != 1)
		return -EINVAL;

	if (!(flags & VFIO_IRQ_SET_DATA_EVENTFD)) {
		if (!active)
			return -EINVAL;
		/* Loopback, as if the device had raised it. */
		if (data_says_yes(flags, data))
			intx_signal(vdev, NULL);
		return 0;
	}

	fd = *(s32 *)data;
	if (!active)
		return fd < 0 ? 0 : intx_enable(vdev, fd);
	if (fd < 0) {
		vfio_pci_intx_disable(vdev);
		return 0;
	}
	return intx_swap_trigger(vdev, fd);
}

/**
 * vfio_pci_intx_set - VFIO_DEVICE_SET_IRQS for the INTx index
 * @vdev: the device; the caller holds igate
 * @action: VFIO_IRQ_SET_ACTION_* bit
 * @start: first vector, already validated
 * @count: number of vectors, already validated
 * @flags: the request's flags
 * @data: the request's data
 *
 * Return: 0 or a negative errno; on error nothing changed.
 */
int vfio_pci_intx_set(struct vfio_pci_core_device *vdev, unsigned int action,
		      u32 start, u32 count, u32 flags, void *data)
{
	lockdep_assert_held(&vdev->igate);

	if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
		return intx_set_trigger(vdev, count, flags, data);

	/* Masking applies to an enabled INTx, one vector. */
	if (!intx_active(vdev) || start || count != 1)
		return -EINVAL;
	return intx_set_gate(vdev, flags, data,
			     action == VFIO_IRQ_SET_ACTION_MASK);
}
