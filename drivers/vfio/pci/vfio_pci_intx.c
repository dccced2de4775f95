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
 * themselves.  The masked flag and the hardware mask change together
 * under irqlock, from the hard IRQ handler as well as from ioctls.
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

static void intx_hw_mask(struct vfio_pci_core_device *vdev)
{
	if (vdev->pci_2_3)
		pci_intx(vdev->pdev, 0);
	else
		disable_irq_nosync(vdev->pdev->irq);
}

/**
 * vfio_pci_intx_mask - mask INTx on behalf of userspace
 * @vdev: the device
 *
 * Return: true if the line was unmasked before.
 */
bool vfio_pci_intx_mask(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_irq_ctx *ctx;
	unsigned long flags;
	bool was = false;

	spin_lock_irqsave(&vdev->irqlock, flags);
	if (intx_active(vdev)) {
		ctx = &vdev->ctx[0];
		if (!ctx->masked) {
			intx_hw_mask(vdev);
			ctx->masked = true;
			was = true;
		}
	}
	spin_unlock_irqrestore(&vdev->irqlock, flags);
	return was;
}

/*
 * Unmask unless the virtual INTx disable bit holds the line.  Returns 1 if
 * the device still asserts INTx: the caller forwards another interrupt
 * and the line stays masked.  Runs in atomic context from the virqfd.
 */
static int intx_unmask_atomic(void *opaque, void *unused)
{
	struct vfio_pci_core_device *vdev = opaque;
	struct vfio_pci_irq_ctx *ctx;
	unsigned long flags;
	int pending = 0;

	spin_lock_irqsave(&vdev->irqlock, flags);
	if (!intx_active(vdev) || vdev->virq_disabled)
		goto out;
	ctx = &vdev->ctx[0];
	if (!ctx->masked)
		goto out;
	if (!vdev->pci_2_3) {
		enable_irq(vdev->pdev->irq);
		ctx->masked = false;
	} else if (pci_check_and_unmask_intx(vdev->pdev)) {
		ctx->masked = false;
	} else {
		pending = 1;
	}
out:
	spin_unlock_irqrestore(&vdev->irqlock, flags);
	return pending;
}

static void intx_signal(void *opaque, void *unused)
{
	struct vfio_pci_core_device *vdev = opaque;

	if (intx_active(vdev) && vdev->ctx[0].trigger)
		eventfd_signal(vdev->ctx[0].trigger, 1);
}

/**
 * vfio_pci_intx_unmask - unmask INTx on behalf of userspace
 * @vdev: the device
 */
void vfio_pci_intx_unmask(struct vfio_pci_core_device *vdev)
{
	if (intx_unmask_atomic(vdev, NULL) > 0)
		intx_signal(vdev, NULL);
}

static irqreturn_t intx_handler(int irq, void *data)
{
	struct vfio_pci_core_device *vdev = data;
	struct vfio_pci_irq_ctx *ctx = &vdev->ctx[0];
	irqreturn_t ret = IRQ_NONE;
	unsigned long flags;

	spin_lock_irqsave(&vdev->irqlock, flags);
	if (!vdev->pci_2_3) {
		disable_irq_nosync(irq);
		ctx->masked = true;
		ret = IRQ_HANDLED;
	} else if (!ctx->masked && pci_check_and_mask_intx(vdev->pdev)) {
		/* The device raised it: masked at the device now. */
		ctx->masked = true;
		ret = IRQ_HANDLED;
	}
	spin_unlock_irqrestore(&vdev->irqlock, flags);

	if (ret == IRQ_HANDLED)
		eventfd_signal(ctx->trigger, 1);
	return ret;
}

static int intx_enable(struct vfio_pci_core_device *vdev, int fd)
{
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_pci_irq_ctx *ctx;
	unsigned long irqflags = vdev->pci_2_3 ? IRQF_SHARED : 0;
	int ret;

	if (!pdev->irq || vdev->nointx)
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

	/* Start masked if the virtual INTx disable bit says so. */
	ctx->masked = vdev->virq_disabled;
	if (vdev->pci_2_3)
		pci_intx(pdev, !ctx->masked);

	spin_lock_irq(&vdev->irqlock);
	vdev->ctx = ctx;
	vdev->num_ctx = 1;
	vdev->irq_type = VFIO_PCI_INTX_IRQ_INDEX;
	spin_unlock_irq(&vdev->irqlock);

	ret = request_irq(pdev->irq, intx_handler, irqflags, ctx->name, vdev);
	if (ret)
		goto err_unpublish;
	if (!vdev->pci_2_3 && ctx->masked)
		disable_irq_nosync(pdev->irq);
	return 0;

err_unpublish:
	spin_lock_irq(&vdev->irqlock);
	vdev->ctx = NULL;
	vdev->num_ctx = 0;
	vdev->irq_type = VFIO_PCI_NUM_IRQS;
	spin_unlock_irq(&vdev->irqlock);
	eventfd_ctx_put(ctx->trigger);
err_name:
	kfree(ctx->name);
err_ctx:
	kfree(ctx);
	return ret;
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
	/* Leave the line masked at the device for whoever comes next. */
	if (vdev->pci_2_3)
		pci_intx(pdev, 0);
	free_irq(pdev->irq, vdev);
	if (!vdev->pci_2_3 && ctx->masked)
		enable_irq(pdev->irq);

	spin_lock_irq(&vdev->irqlock);
	vdev->ctx = NULL;
	vdev->num_ctx = 0;
	vdev->irq_type = VFIO_PCI_NUM_IRQS;
	spin_unlock_irq(&vdev->irqlock);

	eventfd_ctx_put(ctx->trigger);
	kfree(ctx->name);
	kfree(ctx);
}

static bool data_says_yes(u32 flags, void *data)
{
	return (flags & VFIO_IRQ_SET_DATA_NONE) ||
	       ((flags & VFIO_IRQ_SET_DATA_BOOL) && *(u8 *)data);
}

static int intx_mask_atomic(void *opaque, void *unused)
{
	vfio_pci_intx_mask(opaque);
	return 0;
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
		if (data_says_yes(flags, data) && mask)
			vfio_pci_intx_mask(vdev);
		else if (data_says_yes(flags, data))
			vfio_pci_intx_unmask(vdev);
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
	if (active)
		vfio_pci_intx_disable(vdev);
	return fd < 0 ? 0 : intx_enable(vdev, fd);
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
