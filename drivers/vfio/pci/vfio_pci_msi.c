// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSI and MSI-X: message interrupts forwarded to eventfds.
 *
 * Userspace never programs the vectors itself: it asks for N vectors once
 * (the first trigger request enables the index with start + count of
 * them) and then attaches, swaps or detaches an eventfd per vector.  The
 * host owns the MSI capability and MSI-X table; the shadow config space
 * only mirrors what userspace wrote.
 *
 * Each vector with an eventfd is also offered to the IRQ bypass manager,
 * so KVM can deliver it to a vCPU directly (posted interrupts) instead of
 * going through the eventfd.
 */
#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/irqbypass.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "vfio_pci_priv.h"

static irqreturn_t msi_handler(int irq, void *trigger)
{
	eventfd_signal(trigger, 1);
	return IRQ_HANDLED;
}

static bool msi_active(struct vfio_pci_core_device *vdev, unsigned int index)
{
	return vdev->irq_type == index && vdev->ctx;
}

/*
 * Posting vectors straight to a vCPU needs the IRQ bypass manager, which a
 * kernel without KVM interrupt posting (s390's) may not have; the eventfd
 * path works without it.
 *
 * The manager takes one producer per token (the eventfd), but vectors may
 * share an eventfd: only the first to register gets bypass.  A vector's
 * token is set only while it is registered, because unregistering looks
 * producers up by token: a vector that never got in would otherwise take
 * the other vector's registration apart.
 */
static void msi_bypass_add(struct vfio_pci_core_device *vdev, int vec)
{
	struct irq_bypass_producer *producer = &vdev->ctx[vec].producer;
	int ret;

	if (!IS_ENABLED(CONFIG_IRQ_BYPASS_MANAGER))
		return;
	producer->token = vdev->ctx[vec].trigger;
	producer->irq = pci_irq_vector(vdev->pdev, vec);
	ret = irq_bypass_register_producer(producer);
	if (ret) {
		producer->token = NULL;
		pci_dbg(vdev->pdev, "no IRQ bypass for vector %d: %d\n",
			vec, ret);
	}
}

static void msi_bypass_del(struct vfio_pci_irq_ctx *ctx)
{
	if (!IS_ENABLED(CONFIG_IRQ_BYPASS_MANAGER) || !ctx->producer.token)
		return;
	irq_bypass_unregister_producer(&ctx->producer);
	ctx->producer.token = NULL;
}

/*
 * Offer every vector that has an eventfd but no bypass yet: after a swap,
 * or once the vector that held a shared eventfd's registration let go of
 * it, the eventfd is free for another vector.
 */
static void msi_bypass_refresh(struct vfio_pci_core_device *vdev)
{
	int vec;

	for (vec = 0; vec < vdev->num_ctx; vec++) {
		struct vfio_pci_irq_ctx *ctx = &vdev->ctx[vec];

		if (ctx->trigger && !ctx->producer.token)
			msi_bypass_add(vdev, vec);
	}
}

/* Detach the eventfd of vector @vec, if any. */
static void msi_vector_release(struct vfio_pci_core_device *vdev, int vec)
{
	struct vfio_pci_irq_ctx *ctx = &vdev->ctx[vec];
	u16 cmd;

	if (!ctx->trigger)
		return;
	msi_bypass_del(ctx);
	/*
	 * Shutting the IRQ down masks the vector and clears its message: for
	 * MSI-X, writes to the table, which must not meet a BAR userspace
	 * turned decode off for.
	 */
	cmd = vfio_pci_memory_lock_and_enable(vdev);
	free_irq(pci_irq_vector(vdev->pdev, vec), ctx->trigger);
	vfio_pci_memory_unlock_and_restore(vdev, cmd);
	eventfd_ctx_put(ctx->trigger);
	ctx->trigger = NULL;
	kfree(ctx->name);
	ctx->name = NULL;
}

/*
 * Not every irqdomain writes a vector's MSI-X entry when the vector is
 * requested: x86's, which reserves vectors at allocation, activates them
 * then; others write the message at allocation and after a free_irq()
 * only.  Meanwhile the entry sits in a BAR userspace can map and write, and
 * that a reset behind the host's back clears: put the message back before
 * the vector is unmasked, or it would fire at whatever the entry holds.
 */
static void msix_entry_restore(int irq)
{
	struct msi_msg msg;

	get_cached_msi_msg(irq, &msg);
	pci_write_msi_msg(irq, &msg);
}

static int msi_vector_attach(struct vfio_pci_core_device *vdev, int vec,
			     int fd, bool msix)
{
	struct vfio_pci_irq_ctx *ctx = &vdev->ctx[vec];
	int irq = pci_irq_vector(vdev->pdev, vec);
	struct eventfd_ctx *trigger;
	u16 cmd;
	int ret;

	if (irq < 0)
		return -EINVAL;
	ctx->name = kasprintf(GFP_KERNEL_ACCOUNT, "vfio-msi%s[%d](%s)",
			      msix ? "x" : "", vec, pci_name(vdev->pdev));
	if (!ctx->name)
		return -ENOMEM;
	trigger = eventfd_ctx_fdget(fd);
	if (IS_ERR(trigger)) {
		ret = PTR_ERR(trigger);
		goto err_name;
	}

	/* Unmasking the vector writes the MSI-X table: decode must be on. */
	cmd = vfio_pci_memory_lock_and_enable(vdev);
	if (msix)
		msix_entry_restore(irq);
	ret = request_irq(irq, msi_handler, 0, ctx->name, trigger);
	vfio_pci_memory_unlock_and_restore(vdev, cmd);
	if (ret)
		goto err_trigger;
	ctx->trigger = trigger;
	return 0;

err_trigger:
	eventfd_ctx_put(trigger);
err_name:
	kfree(ctx->name);
	ctx->name = NULL;
	return ret;
}

static int msi_vector_set(struct vfio_pci_core_device *vdev, int vec,
			  int fd, bool msix)
{
	msi_vector_release(vdev, vec);
	return fd < 0 ? 0 : msi_vector_attach(vdev, vec, fd, msix);
}

/* Reflect the number of enabled MSI vectors in the shadow capability. */
static void msi_shadow_qsize(struct vfio_pci_core_device *vdev, int nvec)
{
	int pos = vdev->pdev->msi_cap + PCI_MSI_FLAGS;
	u16 flags = vfio_pci_vcfg_get(vdev, pos, 2) & ~PCI_MSI_FLAGS_QSIZE;

	if (nvec)
		flags |= (fls(2 * nvec - 1) - 1) << 4;
	vfio_pci_vcfg_put(vdev, pos, 2, flags);
}

static unsigned int msi_index(bool msix)
{
	return msix ? VFIO_PCI_MSIX_IRQ_INDEX : VFIO_PCI_MSI_IRQ_INDEX;
}

/*
 * Give every vector back to the host.  It masks the MSI-X entries on the
 * way, so decode must be on; and it turns INTx back on, which a function
 * offered to userspace without INTx must not have.
 */
static void msi_vectors_put(struct vfio_pci_core_device *vdev)
{
	u16 cmd = vfio_pci_memory_lock_and_enable(vdev);

	pci_free_irq_vectors(vdev->pdev);
	vfio_pci_memory_unlock_and_restore(vdev, cmd);
	if (vdev->nointx)
		vfio_pci_intx_mask_device(vdev);
}

/*
 * Have the host allocate exactly @nvec vectors; allocating programs the
 * MSI-X table.  Returns @nvec, a negative errno, or, short of vectors
 * (multi-MSI without interrupt remapping, say), how many the host could
 * give: those are given back, and userspace learns how many it can ask
 * for (QEMU asks again with that many).
 */
static int msi_vectors_get(struct vfio_pci_core_device *vdev, int nvec,
			   bool msix)
{
	u16 cmd;
	int got;

	cmd = vfio_pci_memory_lock_and_enable(vdev);
	got = pci_alloc_irq_vectors(vdev->pdev, 1, nvec,
				    msix ? PCI_IRQ_MSIX : PCI_IRQ_MSI);
	vfio_pci_memory_unlock_and_restore(vdev, cmd);
	if (got > 0 && got < nvec)
		msi_vectors_put(vdev);
	return got;
}

/* Record @nvec vectors in @ctx as userspace's MSI or MSI-X; 0: none. */
static void msi_index_set(struct vfio_pci_core_device *vdev, bool msix,
			  struct vfio_pci_irq_ctx *ctx, int nvec)
{
	vdev->ctx = ctx;
	vdev->num_ctx = nvec;
	vdev->irq_type = nvec ? msi_index(msix) : VFIO_PCI_NUM_IRQS;
	if (!msix)
		msi_shadow_qsize(vdev, nvec);
}

static int msi_enable(struct vfio_pci_core_device *vdev, int nvec, bool msix)
{
	struct vfio_pci_irq_ctx *ctx;
	int got;

	ctx = kcalloc(nvec, sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	got = msi_vectors_get(vdev, nvec, msix);
	if (got != nvec) {
		kfree(ctx);
		return got;
	}
	msi_index_set(vdev, msix, ctx, nvec);
	return 0;
}

/**
 * vfio_pci_msi_disable - detach every vector and turn MSI/MSI-X off
 * @vdev: the device; the caller holds igate
 * @msix: which of the two is on
 */
void vfio_pci_msi_disable(struct vfio_pci_core_device *vdev, bool msix)
{
	struct vfio_pci_irq_ctx *ctx = vdev->ctx;
	int vec;

	lockdep_assert_held(&vdev->igate);
	if (!msi_active(vdev, msi_index(msix)))
		return;

	/* The reverse of msi_enable() and the attaches that followed it. */
	for (vec = vdev->num_ctx - 1; vec >= 0; vec--)
		msi_vector_release(vdev, vec);
	msi_index_set(vdev, msix, NULL, 0);
	kfree(ctx);
	msi_vectors_put(vdev);
}

/*
 * Set the eventfds of vectors @start..@start+@count-1 (-1: none).  On
 * failure, the vectors up to the one that failed are left without any.
 */
static int msi_set_block(struct vfio_pci_core_device *vdev, u32 start,
			 u32 count, s32 *fds, bool msix)
{
	u32 i;
	int ret = 0;

	if (start + count > vdev->num_ctx)
		return -EINVAL;
	for (i = 0; i < count && !ret; i++)
		ret = msi_vector_set(vdev, start + i, fds[i], msix);
	if (ret) {
		while (i--)
			msi_vector_release(vdev, start + i);
	}
	msi_bypass_refresh(vdev);
	return ret;
}

static int msi_set_eventfds(struct vfio_pci_core_device *vdev,
			    unsigned int index, u32 start, u32 count,
			    s32 *fds)
{
	bool msix = index == VFIO_PCI_MSIX_IRQ_INDEX;
	int ret;

	if (msi_active(vdev, index))
		return msi_set_block(vdev, start, count, fds, msix);

	ret = msi_enable(vdev, start + count, msix);
	if (ret)
		return ret;
	ret = msi_set_block(vdev, start, count, fds, msix);
	if (ret)
		vfio_pci_msi_disable(vdev, msix);
	return ret;
}

/**
 * vfio_pci_msi_set - VFIO_DEVICE_SET_IRQS for the MSI and MSI-X indexes
 * @vdev: the device; the caller holds igate
 * @index: VFIO_PCI_MSI_IRQ_INDEX or VFIO_PCI_MSIX_IRQ_INDEX
 * @action: VFIO_IRQ_SET_ACTION_* bit
 * @start: first vector, already validated
 * @count: number of vectors, already validated
 * @flags: the request's flags
 * @data: the request's data
 *
 * Only triggers exist for message interrupts: masking them is the
 * device's business (MSI-X vector control, MSI mask bits).
 *
 * Return: 0 or a negative errno; or, when enabling the index finds fewer
 * vectors than @start + @count, how many there are (a positive number,
 * and the index stays disabled).
 */
int vfio_pci_msi_set(struct vfio_pci_core_device *vdev, unsigned int index,
		     unsigned int action, u32 start, u32 count, u32 flags,
		     void *data)
{
	bool msix = index == VFIO_PCI_MSIX_IRQ_INDEX;
	bool active = msi_active(vdev, index);
	u32 i;

	lockdep_assert_held(&vdev->igate);

	if (action != VFIO_IRQ_SET_ACTION_TRIGGER)
		return -ENOTTY;
	if (active && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		vfio_pci_msi_disable(vdev, msix);
		return 0;
	}
	if (!active && vdev->irq_type != VFIO_PCI_NUM_IRQS)
		return -EINVAL;

	if (flags & VFIO_IRQ_SET_DATA_EVENTFD)
		return msi_set_eventfds(vdev, index, start, count, data);

	if (!active || start + count > vdev->num_ctx)
		return -EINVAL;
	for (i = start; i < start + count; i++) {
		bool fire = (flags & VFIO_IRQ_SET_DATA_NONE) ||
			    ((u8 *)data)[i - start];

		if (fire && vdev->ctx[i].trigger)
			eventfd_signal(vdev->ctx[i].trigger, 1);
	}
	return 0;
}
