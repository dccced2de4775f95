// SPDX-License-Identifier: GPL-2.0-only
/*
 * mcounter: a mediated device sample that looks like a small PCI function
 * to its user.  It has a configuration space with an MSI capability, one
 * memory BAR with a few registers (a scratch register, a counter, a
 * doorbell that raises the MSI) and a memory window; see mcounter_regs.h.
 * Everything is emulated in this driver, nothing is backed by hardware, so
 * the device can be created anywhere and handed to a VM with
 *
 *   qemu-system-x86_64 ... -device vfio-pci,sysfsdev=/sys/bus/mdev/devices/UUID
 *
 * Two types are offered, "basic" with a 4 KiB BAR and "wide" with a
 * 64 KiB one; together they may have at most "instances" (a module
 * parameter) instances, which mdev.ko counts for us.  The parent they hang
 * off is a platform device "mcounter" (see msample.h).
 */
#include <linux/eventfd.h>
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/pci_regs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "msample.h"
#include "mcounter_regs.h"

#define MCOUNTER_NAME		"mcounter"
#define MCOUNTER_CFG_SIZE	256
#define MCOUNTER_REGION_MASK	((1ULL << MCOUNTER_REGION_SHIFT) - 1)

static unsigned int instances = 4;
module_param(instances, uint, 0444);
MODULE_PARM_DESC(instances, "instances all types together may have");

struct mcounter_type {
	struct mdev_type type;
	u32 bar_size;
};

static struct mcounter_type mcounter_types[] = {
	{ .type.sysfs_name = "basic", .type.pretty_name = "mcounter, 4 KiB BAR",
	  .bar_size = SZ_4K },
	{ .type.sysfs_name = "wide", .type.pretty_name = "mcounter, 64 KiB BAR",
	  .bar_size = SZ_64K },
};

static struct mdev_type *mcounter_type_list[] = {
	&mcounter_types[0].type,
	&mcounter_types[1].type,
};

/**
 * struct mcounter - one instance
 * @vdev: the VFIO device; first, as vfio_alloc_device() wants
 * @lock: protects every member below; the VFIO core calls us from several
 *        file descriptors and from unregistration at the same time
 * @cfg: configuration space
 * @wmask: for each byte of @cfg, the bits the user may change
 * @bar_size: size of BAR0
 * @scratch: the scratch register
 * @count: the counter
 * @irqs: MSIs raised so far
 * @ram: the memory window, @bar_size - MCOUNTER_RAM bytes
 * @msi: eventfd signalled for the MSI, NULL while disabled
 * @err: eventfd for error reports; an emulated device never has any, but
 *       offering it lets QEMU set up error recovery without complaint
 * @req: eventfd signalled when the host wants the device back, or NULL
 */
struct mcounter {
	struct vfio_device vdev;
	struct mutex lock;	/* see the kernel-doc above */
	u8 cfg[MCOUNTER_CFG_SIZE];
	u8 wmask[MCOUNTER_CFG_SIZE];
	u32 bar_size;
	u32 scratch;
	u32 count;
	u32 irqs;
	u8 *ram;
	struct eventfd_ctx *msi;
	struct eventfd_ctx *err;
	struct eventfd_ctx *req;
};

static struct mcounter *to_mcounter(struct vfio_device *vdev)
{
	return container_of(vdev, struct mcounter, vdev);
}

/* Store a little-endian value of @len bytes in @buf at @off. */
static void cfg_put(u8 *buf, unsigned int off, u32 val, unsigned int len)
{
	while (len--) {
		buf[off++] = val & 0xff;
		val >>= 8;
	}
}

static void mcounter_cfg_init(struct mcounter *mc)
{
	u8 *c = mc->cfg, *w = mc->wmask;
	unsigned int msi = MCOUNTER_CAP_MSI;

	cfg_put(c, PCI_VENDOR_ID, MCOUNTER_VENDOR_ID, 2);
	cfg_put(c, PCI_DEVICE_ID, MCOUNTER_DEVICE_ID, 2);
	cfg_put(c, PCI_STATUS, PCI_STATUS_CAP_LIST, 2);
	cfg_put(c, PCI_CLASS_REVISION, MCOUNTER_CLASS << 8 | 0x01, 4);
	cfg_put(c, PCI_SUBSYSTEM_VENDOR_ID, MCOUNTER_VENDOR_ID, 2);
	cfg_put(c, PCI_SUBSYSTEM_ID, MCOUNTER_DEVICE_ID, 2);
	c[PCI_CAPABILITY_LIST] = msi;
	c[msi + PCI_CAP_LIST_ID] = PCI_CAP_ID_MSI;
	cfg_put(c, msi + PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT, 2);

	/* The bits a driver may change; sizing BAR0 needs nothing else. */
	cfg_put(w, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		PCI_COMMAND_INTX_DISABLE, 2);
	w[PCI_CACHE_LINE_SIZE] = 0xff;
	w[PCI_LATENCY_TIMER] = 0xff;
	cfg_put(w, PCI_BASE_ADDRESS_0, ~(mc->bar_size - 1), 4);
	w[PCI_INTERRUPT_LINE] = 0xff;
	cfg_put(w, msi + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE, 2);
	cfg_put(w, msi + PCI_MSI_ADDRESS_LO, 0xfffffffc, 4);
	cfg_put(w, msi + PCI_MSI_ADDRESS_HI, 0xffffffff, 4);
	cfg_put(w, msi + PCI_MSI_DATA_64, 0xffff, 2);
}

static void mcounter_reset(struct mcounter *mc)
{
	lockdep_assert_held(&mc->lock);
	mc->scratch = 0;
	mc->count = 0;
	mc->irqs = 0;
	memset(mc->ram, 0, mc->bar_size - MCOUNTER_RAM);
	mc->cfg[PCI_COMMAND] = 0;
	mc->cfg[MCOUNTER_CAP_MSI + PCI_MSI_FLAGS] &= ~PCI_MSI_FLAGS_ENABLE;
}

/* Raise the MSI, as the doorbell does. */
static void mcounter_interrupt(struct mcounter *mc)
{
	lockdep_assert_held(&mc->lock);
	if (!mc->msi)
		return;
	mc->irqs++;
	eventfd_signal(mc->msi, 1);
}

static u32 mcounter_reg_read(struct mcounter *mc, u32 reg)
{
	switch (reg) {
	case MCOUNTER_REG_MAGIC:
		return MCOUNTER_MAGIC;
	case MCOUNTER_REG_SCRATCH:
		return mc->scratch;
	case MCOUNTER_REG_COUNT:
		return mc->count;
	case MCOUNTER_REG_IRQS:
		return mc->irqs;
	default:
		return 0;	/* write-only and unused registers */
	}
}

static void mcounter_reg_write(struct mcounter *mc, u32 reg, u32 val)
{
	switch (reg) {
	case MCOUNTER_REG_SCRATCH:
		mc->scratch = val;
		break;
	case MCOUNTER_REG_COUNT:
		mc->count = val;
		break;
	case MCOUNTER_REG_ADD:
		mc->count += val;
		break;
	case MCOUNTER_REG_DOORBELL:
		mcounter_interrupt(mc);
		break;
	}
}

/*
 * Accesses are bounced through @buf, at most one register or the whole of
 * the configuration space or memory window at a time.
 */
static int mcounter_cfg_access(struct mcounter *mc, u8 *buf, u64 off,
			       size_t len, bool write)
{
	size_t i;

	if (off >= MCOUNTER_CFG_SIZE || len > MCOUNTER_CFG_SIZE - off)
		return -EINVAL;
	for (i = 0; i < len && write; i++) {
		u8 *byte = &mc->cfg[off + i], mask = mc->wmask[off + i];

		*byte = (*byte & ~mask) | (buf[i] & mask);
	}
	if (!write)
		memcpy(buf, mc->cfg + off, len);
	return 0;
}

static int mcounter_bar_access(struct mcounter *mc, u8 *buf, u64 off,
			       size_t len, bool write)
{
	__le32 val;

	if (off >= mc->bar_size || len > mc->bar_size - off)
		return -EINVAL;
	if (off >= MCOUNTER_RAM) {
		u8 *ram = mc->ram + off - MCOUNTER_RAM;

		if (write)
			memcpy(ram, buf, len);
		else
			memcpy(buf, ram, len);
		return 0;
	}
	if (len != sizeof(val) || off % sizeof(val))
		return -EINVAL;
	if (write) {
		memcpy(&val, buf, len);
		mcounter_reg_write(mc, off, le32_to_cpu(val));
	} else {
		val = cpu_to_le32(mcounter_reg_read(mc, off));
		memcpy(buf, &val, len);
	}
	return 0;
}

static ssize_t mcounter_rw(struct vfio_device *vdev, char __user *ubuf,
			   size_t len, loff_t *ppos, bool write)
{
	struct mcounter *mc = to_mcounter(vdev);
	unsigned int index = *ppos >> MCOUNTER_REGION_SHIFT;
	u64 off = *ppos & MCOUNTER_REGION_MASK;
	u8 *buf;
	int ret;

	if (!len || len > SZ_64K)
		return -EINVAL;
	buf = kmalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (write && copy_from_user(buf, ubuf, len)) {
		ret = -EFAULT;
		goto out;
	}

	mutex_lock(&mc->lock);
	if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		ret = mcounter_cfg_access(mc, buf, off, len, write);
	else if (index == VFIO_PCI_BAR0_REGION_INDEX)
		ret = mcounter_bar_access(mc, buf, off, len, write);
	else
		ret = -EINVAL;
	mutex_unlock(&mc->lock);

	if (!ret && !write && copy_to_user(ubuf, buf, len))
		ret = -EFAULT;
out:
	kfree(buf);
	if (ret)
		return ret;
	*ppos += len;
	return len;
}

static ssize_t mcounter_read(struct vfio_device *vdev, char __user *buf,
			     size_t len, loff_t *ppos)
{
	return mcounter_rw(vdev, buf, len, ppos, false);
}

static ssize_t mcounter_write(struct vfio_device *vdev,
			      const char __user *buf, size_t len, loff_t *ppos)
{
	return mcounter_rw(vdev, (char __user *)buf, len, ppos, true);
}

static long mcounter_get_region_info(struct mcounter *mc, void __user *arg)
{
	struct vfio_region_info info;
	size_t minsz = offsetofend(struct vfio_region_info, offset);
	int ret;

	ret = msample_info_in(&info, arg, minsz);
	if (ret)
		return ret;
	if (info.index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;

	/* Every region but these two is absent: size 0, no access. */
	info.offset = (u64)info.index << MCOUNTER_REGION_SHIFT;
	info.size = 0;
	info.flags = 0;
	if (info.index == VFIO_PCI_CONFIG_REGION_INDEX)
		info.size = MCOUNTER_CFG_SIZE;
	else if (info.index == VFIO_PCI_BAR0_REGION_INDEX)
		info.size = mc->bar_size;
	if (info.size)
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
	return msample_info_out(arg, &info, minsz);
}

/* The eventfd slot of an interrupt index; NULL for those we lack (INTx). */
static struct eventfd_ctx **mcounter_irq_slot(struct mcounter *mc,
					      unsigned int index)
{
	switch (index) {
	case VFIO_PCI_MSI_IRQ_INDEX:
		return &mc->msi;
	case VFIO_PCI_ERR_IRQ_INDEX:
		return &mc->err;
	case VFIO_PCI_REQ_IRQ_INDEX:
		return &mc->req;
	}
	return NULL;
}

/* Each index we have has one vector. */
static unsigned int mcounter_irq_count(struct mcounter *mc,
				       unsigned int index)
{
	return mcounter_irq_slot(mc, index) ? 1 : 0;
}

static long mcounter_get_irq_info(struct mcounter *mc, void __user *arg)
{
	struct vfio_irq_info info;
	size_t minsz = offsetofend(struct vfio_irq_info, count);
	int ret;

	ret = msample_info_in(&info, arg, minsz);
	if (ret)
		return ret;
	if (info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	info.count = mcounter_irq_count(mc, info.index);
	info.flags = 0;
	if (info.count)
		info.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
	return msample_info_out(arg, &info, minsz);
}

/* Install @fd as the eventfd in @slot; -1 empties the slot. */
static int mcounter_set_eventfd(struct eventfd_ctx **slot, s32 fd)
{
	struct eventfd_ctx *ctx = NULL;

	if (fd >= 0) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	} else if (fd != -1) {
		return -EINVAL;
	}
	if (*slot)
		eventfd_ctx_put(*slot);
	*slot = ctx;
	return 0;
}

/* Carry out a validated SET_IRQS: ACTION_TRIGGER on one of our vectors. */
static int mcounter_set_irq(struct mcounter *mc, struct vfio_irq_set *hdr,
			    const void *data)
{
	struct eventfd_ctx **slot = mcounter_irq_slot(mc, hdr->index);

	lockdep_assert_held(&mc->lock);
	if (!(hdr->flags & VFIO_IRQ_SET_ACTION_TRIGGER))
		return -EINVAL;
	if (!hdr->count)	/* DATA_NONE with no vector: disable */
		return mcounter_set_eventfd(slot, -1);
	if (hdr->flags & VFIO_IRQ_SET_DATA_EVENTFD)
		return mcounter_set_eventfd(slot, *(const s32 *)data);
	/* DATA_NONE or DATA_BOOL: a loopback trigger, for testing. */
	if ((hdr->flags & VFIO_IRQ_SET_DATA_NONE || *(const u8 *)data) &&
	    *slot)
		eventfd_signal(*slot, 1);
	return 0;
}

static long mcounter_set_irqs(struct mcounter *mc, void __user *arg)
{
	struct vfio_irq_set hdr;
	size_t minsz = offsetofend(struct vfio_irq_set, count);
	size_t data_size;
	void *data = NULL;
	int ret;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	ret = vfio_set_irqs_validate_and_prepare(&hdr,
						 mcounter_irq_count(mc, hdr.index),
						 VFIO_PCI_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	if (data_size) {
		data = memdup_user(arg + minsz, data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}
	mutex_lock(&mc->lock);
	ret = mcounter_set_irq(mc, &hdr, data);
	mutex_unlock(&mc->lock);
	kfree(data);
	return ret;
}

static long mcounter_ioctl(struct vfio_device *vdev, unsigned int cmd,
			   unsigned long arg)
{
	struct mcounter *mc = to_mcounter(vdev);
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return msample_device_info(uarg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return mcounter_get_region_info(mc, uarg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return mcounter_get_irq_info(mc, uarg);
	case VFIO_DEVICE_SET_IRQS:
		return mcounter_set_irqs(mc, uarg);
	case VFIO_DEVICE_RESET:
		mutex_lock(&mc->lock);
		mcounter_reset(mc);
		mutex_unlock(&mc->lock);
		return 0;
	}
	return -ENOTTY;
}

/* A new user finds the device as fresh as after creation. */
static int mcounter_open_device(struct vfio_device *vdev)
{
	struct mcounter *mc = to_mcounter(vdev);

	mutex_lock(&mc->lock);
	mcounter_reset(mc);
	mutex_unlock(&mc->lock);
	return 0;
}

static void mcounter_close_device(struct vfio_device *vdev)
{
	struct mcounter *mc = to_mcounter(vdev);

	mutex_lock(&mc->lock);
	mcounter_set_eventfd(&mc->msi, -1);
	mcounter_set_eventfd(&mc->err, -1);
	mcounter_set_eventfd(&mc->req, -1);
	mutex_unlock(&mc->lock);
}

/* The instance is being removed while open: ask the user to let go. */
static void mcounter_request(struct vfio_device *vdev, unsigned int count)
{
	struct mcounter *mc = to_mcounter(vdev);

	mutex_lock(&mc->lock);
	if (mc->req)
		eventfd_signal(mc->req, 1);
	else if (!count)
		dev_notice(vdev->dev,
			   "removal waits for userspace to close the device\n");
	mutex_unlock(&mc->lock);
}

static int mcounter_init_dev(struct vfio_device *vdev)
{
	struct mcounter *mc = to_mcounter(vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);
	struct mcounter_type *type =
		container_of(mdev->type, struct mcounter_type, type);

	mc->bar_size = type->bar_size;
	mc->ram = kzalloc(mc->bar_size - MCOUNTER_RAM, GFP_KERNEL);
	if (!mc->ram)
		return -ENOMEM;
	mutex_init(&mc->lock);
	mcounter_cfg_init(mc);
	return 0;
}

static void mcounter_release_dev(struct vfio_device *vdev)
{
	struct mcounter *mc = to_mcounter(vdev);

	mutex_destroy(&mc->lock);
	kfree(mc->ram);
	vfio_free_device(vdev);
}

static const struct vfio_device_ops mcounter_dev_ops = {
	.name		= "vfio-mcounter",
	.init		= mcounter_init_dev,
	.release	= mcounter_release_dev,
	.open_device	= mcounter_open_device,
	.close_device	= mcounter_close_device,
	.read		= mcounter_read,
	.write		= mcounter_write,
	.ioctl		= mcounter_ioctl,
	.request	= mcounter_request,
};

static int mcounter_probe(struct mdev_device *mdev)
{
	struct mcounter *mc;
	int ret;

	mc = vfio_alloc_device(mcounter, vdev, &mdev->dev, &mcounter_dev_ops);
	if (IS_ERR(mc))
		return PTR_ERR(mc);
	/* This gives the instance its own IOMMU group. */
	ret = vfio_register_emulated_iommu_dev(&mc->vdev);
	if (ret)
		vfio_put_device(&mc->vdev);
	else
		dev_set_drvdata(&mdev->dev, &mc->vdev);
	return ret;
}

static void mcounter_remove(struct mdev_device *mdev)
{
	struct vfio_device *vdev = dev_get_drvdata(&mdev->dev);

	/* Returns once userspace has closed the device. */
	vfio_unregister_group_dev(vdev);
	vfio_put_device(vdev);
}

static ssize_t mcounter_describe(struct mdev_type *mtype, char *buf)
{
	struct mcounter_type *type =
		container_of(mtype, struct mcounter_type, type);

	return sysfs_emit(buf, "PCI function, BAR0 %u KiB, 1 MSI\n",
			  type->bar_size / SZ_1K);
}

static struct mdev_driver mcounter_driver = {
	.driver = {
		.name	= MCOUNTER_NAME,
		.owner	= THIS_MODULE,
	},
	.device_api		= VFIO_DEVICE_API_PCI_STRING,
	.probe			= mcounter_probe,
	.remove			= mcounter_remove,
	.show_description	= mcounter_describe,
};

/* The parent; see msample.h. */
static struct msample_parent mcounter_host = {
	.driver		= &mcounter_driver,
	.types		= mcounter_type_list,
	.nr_types	= ARRAY_SIZE(mcounter_type_list),
};

static int __init mcounter_init(void)
{
	mcounter_driver.max_instances = instances;
	return msample_parent_add(&mcounter_host, MCOUNTER_NAME);
}

static void __exit mcounter_exit(void)
{
	msample_parent_del(&mcounter_host);
}

module_init(mcounter_init);
module_exit(mcounter_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Sample mediated device: an emulated PCI function with a counter and an MSI");
