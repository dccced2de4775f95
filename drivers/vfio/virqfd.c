// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_virqfd: run a driver callback whenever an eventfd is signalled.
 *
 * vfio-pci uses this for INTx unmask and mask eventfds: userspace (or KVM's
 * resampling irqfd) signals the eventfd, and the device's INTx is unmasked
 * without a round trip through an ioctl.
 *
 * Each virqfd sits on its eventfd's wait queue.  The wake-up callback runs
 * in atomic context: it consumes the count, calls the fast @handler, and
 * defers the sleeping @thread to a work item.  Teardown can be requested
 * from two sides, the driver (vfio_virqfd_disable) or the eventfd being
 * closed (EPOLLHUP); whichever comes first detaches the virqfd from the
 * driver's pointer under virqfd_lock and queues the one shutdown work.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio.h>

/* Protects every driver's struct virqfd pointer and ownership transfer. */
static DEFINE_SPINLOCK(virqfd_lock);
static struct workqueue_struct *virqfd_cleanup_wq;

/*
 * Detach @virqfd from its owner's pointer and queue its destruction.
 * Returns false if someone else already did.
 */
static bool virqfd_detach(struct virqfd *virqfd)
{
	lockdep_assert_held(&virqfd_lock);

	if (!virqfd->pvirqfd || *virqfd->pvirqfd != virqfd)
		return false;
	*virqfd->pvirqfd = NULL;
	virqfd->pvirqfd = NULL;
	queue_work(virqfd_cleanup_wq, &virqfd->shutdown);
	return true;
}

static void virqfd_fire(struct virqfd *virqfd)
{
	if (!virqfd->handler || virqfd->handler(virqfd->opaque, virqfd->data)) {
		if (virqfd->thread)
			schedule_work(&virqfd->inject);
	}
}

static int virqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			 int sync, void *key)
{
	struct virqfd *virqfd = container_of(wait, struct virqfd, wait);
	__poll_t events = key_to_poll(key);
	unsigned long flags;
	u64 cnt;

	if (events & EPOLLIN) {
		eventfd_ctx_do_read(virqfd->eventfd, &cnt);
		virqfd_fire(virqfd);
	}

	if (events & EPOLLHUP) {
		spin_lock_irqsave(&virqfd_lock, flags);
		virqfd_detach(virqfd);
		spin_unlock_irqrestore(&virqfd_lock, flags);
	}
	return 0;
}

static void virqfd_queue_proc(struct file *file, wait_queue_head_t *wqh,
			      poll_table *pt)
{
	struct virqfd *virqfd = container_of(pt, struct virqfd, pt);

	add_wait_queue(wqh, &virqfd->wait);
}

/* Final teardown, always run from virqfd_cleanup_wq. */
static void virqfd_shutdown(struct work_struct *work)
{
	struct virqfd *vq = container_of(work, struct virqfd, shutdown);
	struct eventfd_ctx *efd = vq->eventfd;
	u64 discarded;

	eventfd_ctx_remove_wait_queue(efd, &vq->wait, &discarded);
	/*
	 * Off the wait queue, nothing can schedule @inject any more; wait
	 * out one that is pending or running before freeing it.
	 */
	flush_work(&vq->inject);
	kfree(vq);
	eventfd_ctx_put(efd);
}

/* Process context half of a signal: the driver's @thread callback. */
static void virqfd_inject(struct work_struct *work)
{
	struct virqfd *vq = container_of(work, struct virqfd, inject);
	void (*cb)(void *, void *) = vq->thread;

	cb(vq->opaque, vq->data);
}

/*
 * Queued on the cleanup queue so that flushing that queue waits @inject.
 * The queue is ordered: a shutdown of the same virqfd can only be queued
 * after this (the detach that queues it happens under virqfd_lock, after
 * which nothing queues this any more), so it runs only once this is done
 * with the virqfd it frees.
 */
static void virqfd_flush_inject(struct work_struct *work)
{
	flush_work(&container_of(work, struct virqfd, flush_inject)->inject);
}

/* Publish @virqfd in @pvirqfd unless the slot is taken. */
static int virqfd_install(struct virqfd *virqfd, struct virqfd **pvirqfd)
{
	int ret = 0;

	spin_lock_irq(&virqfd_lock);
	if (*pvirqfd)
		ret = -EBUSY;
	else
		*pvirqfd = virqfd;
	spin_unlock_irq(&virqfd_lock);
	return ret;
}

static void virqfd_uninstall(struct virqfd *virqfd, struct virqfd **pvirqfd)
{
	spin_lock_irq(&virqfd_lock);
	if (*pvirqfd == virqfd)
		*pvirqfd = NULL;
	spin_unlock_irq(&virqfd_lock);
}

static struct virqfd *virqfd_new(void *opaque,
				 int (*handler)(void *, void *),
				 void (*thread)(void *, void *), void *data,
				 struct virqfd **pvirqfd)
{
	struct virqfd *vq = kzalloc(sizeof(*vq), GFP_KERNEL_ACCOUNT);

	if (!vq)
		return NULL;
	INIT_WORK(&vq->inject, virqfd_inject);
	INIT_WORK(&vq->flush_inject, virqfd_flush_inject);
	INIT_WORK(&vq->shutdown, virqfd_shutdown);
	vq->handler = handler;
	vq->thread = thread;
	vq->opaque = opaque;
	vq->data = data;
	vq->pvirqfd = pvirqfd;
	return vq;
}

/**
 * vfio_virqfd_enable - call back a driver whenever an eventfd is signalled
 * @opaque: first argument of @handler and @thread
 * @handler: called in atomic context on each signal; a non-zero return
 *           (or a NULL @handler) schedules @thread
 * @thread: called in process context, may be NULL
 * @data: second argument of @handler and @thread
 * @pvirqfd: where the driver keeps the virqfd; must be NULL on entry and is
 *           cleared again when the virqfd goes away
 * @fd: the eventfd
 *
 * If the eventfd is already signalled, the callbacks run immediately.
 *
 * Return: 0, -EBUSY if @pvirqfd is in use, or the error of getting @fd.
 */
int vfio_virqfd_enable(void *opaque, int (*handler)(void *, void *),
		       void (*thread)(void *, void *), void *data,
		       struct virqfd **pvirqfd, int fd)
{
	struct eventfd_ctx *efd;
	struct virqfd *vq;
	struct fd f;
	int err;

	vq = virqfd_new(opaque, handler, thread, data, pvirqfd);
	if (!vq)
		return -ENOMEM;

	/* fdput() of an empty struct fd is a no-op, so one exit suffices. */
	f = fdget(fd);
	efd = f.file ? eventfd_ctx_fileget(f.file) : ERR_PTR(-EBADF);
	err = PTR_ERR_OR_ZERO(efd);
	if (err)
		goto fail;
	vq->eventfd = efd;

	err = virqfd_install(vq, pvirqfd);
	if (err) {
		eventfd_ctx_put(efd);
		goto fail;
	}

	/*
	 * Hook our callback into the eventfd's wait queue.  The file must
	 * stay referenced until this is done, or an EPOLLHUP could race.
	 */
	init_waitqueue_func_entry(&vq->wait, virqfd_wakeup);
	init_poll_funcptr(&vq->pt, virqfd_queue_proc);
	if (vfs_poll(f.file, &vq->pt) & EPOLLIN)
		virqfd_fire(vq);	/* signalled before we listened */
	fdput(f);
	return 0;

fail:
	fdput(f);
	virqfd_uninstall(vq, pvirqfd);
	kfree(vq);
	return err;
}
EXPORT_SYMBOL_GPL(vfio_virqfd_enable);

/*
 * Shared body of disable and flush_thread.  Under virqfd_lock, either
 * detach the virqfd (@detach) or queue a work item that waits for its
 * thread; then flush the cleanup queue.  That flush also covers a shutdown
 * an EPOLLHUP queued before we got here.
 */
static void virqfd_locked_then_flush(struct virqfd **pvirqfd, bool detach)
{
	struct virqfd *cur;
	unsigned long irqflags;

	spin_lock_irqsave(&virqfd_lock, irqflags);
	cur = *pvirqfd;
	if (cur && detach)
		virqfd_detach(cur);
	else if (cur && cur->thread)
		queue_work(virqfd_cleanup_wq, &cur->flush_inject);
	spin_unlock_irqrestore(&virqfd_lock, irqflags);

	flush_workqueue(virqfd_cleanup_wq);
}

/**
 * vfio_virqfd_disable - stop watching an eventfd
 * @pvirqfd: the driver's pointer given to vfio_virqfd_enable()
 *
 * Returns once the handler and thread can no longer run.  Must not be
 * called from @thread itself.
 */
void vfio_virqfd_disable(struct virqfd **pvirqfd)
{
	virqfd_locked_then_flush(pvirqfd, true);
}
EXPORT_SYMBOL_GPL(vfio_virqfd_disable);

/**
 * vfio_virqfd_flush_thread - wait for a scheduled thread callback
 * @pvirqfd: the driver's pointer given to vfio_virqfd_enable()
 *
 * Used after the driver changed state the thread reads, to be sure no
 * thread started before the change is still running.
 */
void vfio_virqfd_flush_thread(struct virqfd **pvirqfd)
{
	virqfd_locked_then_flush(pvirqfd, false);
}
EXPORT_SYMBOL_GPL(vfio_virqfd_flush_thread);

static int __init vfio_virqfd_init(void)
{
	/* Ordered: see virqfd_flush_inject(). */
	virqfd_cleanup_wq = alloc_ordered_workqueue("vfio-irqfd-cleanup", 0);
	return virqfd_cleanup_wq ? 0 : -ENOMEM;
}

static void __exit vfio_virqfd_exit(void)
{
	destroy_workqueue(virqfd_cleanup_wq);
}

module_init(vfio_virqfd_init);
module_exit(vfio_virqfd_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO: call drivers back when an eventfd is signalled");
