// SPDX-License-Identifier: GPL-2.0-only
/*
 * The config space userspace sees.
 *
 * Every byte of config space has three properties, set up once at open by
 * vfio_pci_caps.c:
 *   - cfg_virt: bits answered from the shadow copy (vconfig), not the device;
 *   - cfg_write: bits userspace may change (in vconfig when virtual, in the
 *     device otherwise); other bits of a write are silently dropped;
 *   - pci_config_map: the owner, which picks a hook run after each write.
 * A read returns device bits where cfg_virt is clear and shadow bits where
 * it is set.  This engine knows nothing about particular registers; all of
 * that lives in the tables and hooks of vfio_pci_caps.c.
 *
 * Accesses of any size and alignment are cut into naturally aligned
 * chunks of 1, 2 or 4 bytes that never span two owners, as hardware would
 * see them.
 */
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vfio_pci_priv.h"

static u32 cfg_bytes_get(const u8 *arr, int pos, int len)
{
	u32 val = 0;
	int i;

	for (i = 0; i < len; i++)
		val |= (u32)arr[pos + i] << (8 * i);
	return val;
}

static void cfg_bytes_put(u8 *arr, int pos, int len, u32 val)
{
	int i;

	for (i = 0; i < len; i++)
		arr[pos + i] = val >> (8 * i);
}

static u32 cfg_len_mask(int len)
{
	return len == 4 ? ~0U : (1U << (8 * len)) - 1;
}

/**
 * vfio_pci_vcfg_get - read a little-endian field of the shadow config space
 * @vdev: the device
 * @pos: offset of the field
 * @len: 1, 2 or 4
 *
 * Return: the field's value in CPU byte order.
 */
u32 vfio_pci_vcfg_get(struct vfio_pci_core_device *vdev, int pos, int len)
{
	return cfg_bytes_get(vdev->vconfig, pos, len);
}

/**
 * vfio_pci_vcfg_put - write a field of the shadow config space
 * @vdev: the device
 * @pos: offset of the field
 * @len: 1, 2 or 4
 * @val: value in CPU byte order
 */
void vfio_pci_vcfg_put(struct vfio_pci_core_device *vdev, int pos, int len,
		       u32 val)
{
	cfg_bytes_put(vdev->vconfig, pos, len, val);
}

/**
 * vfio_pci_cfg_policy - set which bits of a field are virtual and writable
 * @vdev: the device
 * @pos: offset of the field
 * @len: 1, 2 or 4
 * @virt: bits served from the shadow copy
 * @write: bits userspace may write
 */
void vfio_pci_cfg_policy(struct vfio_pci_core_device *vdev, int pos,
			 int len, u32 virt, u32 write)
{
	cfg_bytes_put(vdev->cfg_virt, pos, len, virt);
	cfg_bytes_put(vdev->cfg_write, pos, len, write);
}

/**
 * vfio_pci_cfg_own - give a range of config space to an owner
 * @vdev: the device
 * @pos: first byte
 * @len: number of bytes
 * @owner: an enum vfio_pci_cfg_owner value
 */
void vfio_pci_cfg_own(struct vfio_pci_core_device *vdev, int pos, int len,
		      u8 owner)
{
	memset(vdev->pci_config_map + pos, owner, len);
}

static int cfg_hw_read(struct pci_dev *pdev, int pos, int len, u32 *val)
{
	u16 w;
	u8 b;
	int ret;

	switch (len) {
	case 4:
		ret = pci_user_read_config_dword(pdev, pos, val);
		break;
	case 2:
		ret = pci_user_read_config_word(pdev, pos, &w);
		*val = w;
		break;
	default:
		ret = pci_user_read_config_byte(pdev, pos, &b);
		*val = b;
		break;
	}
	return pcibios_err_to_errno(ret);
}

static int cfg_hw_write(struct pci_dev *pdev, int pos, int len, u32 val)
{
	int ret;

	switch (len) {
	case 4:
		ret = pci_user_write_config_dword(pdev, pos, val);
		break;
	case 2:
		ret = pci_user_write_config_word(pdev, pos, val);
		break;
	default:
		ret = pci_user_write_config_byte(pdev, pos, val);
		break;
	}
	return pcibios_err_to_errno(ret);
}

/* Largest naturally aligned chunk at @pos that has a single owner. */
static int cfg_chunk_len(struct vfio_pci_core_device *vdev, loff_t pos,
			 size_t count)
{
	const u8 *map = vdev->pci_config_map;
	int len, i;

	if (count >= 4 && !(pos & 3))
		len = 4;
	else if (count >= 2 && !(pos & 1))
		len = 2;
	else
		len = 1;

	for (i = 1; i < len; i++) {
		if (map[pos + i] != map[pos]) {
			len /= 2;
			i = 0;
		}
	}
	return len;
}

static int cfg_read_chunk(struct vfio_pci_core_device *vdev, int pos,
			  int len, u32 *val)
{
	u32 virt = cfg_bytes_get(vdev->cfg_virt, pos, len);
	u32 phys = 0;
	int ret;

	if (virt != cfg_len_mask(len)) {
		ret = cfg_hw_read(vdev->pdev, pos, len, &phys);
		if (ret)
			return ret;
	}
	*val = (phys & ~virt) | (vfio_pci_vcfg_get(vdev, pos, len) & virt);
	vfio_pci_cfg_after_read(vdev, vdev->pci_config_map[pos], pos, len, val);
	return 0;
}

/*
 * Write the device bits of a chunk.  Only the narrowest aligned span that
 * holds writable device bits is read back and written, so neighbouring
 * registers with write-one-to-clear bits (the status register next to the
 * command register, say) are not touched.  A span that holds bits the
 * host changes behind our back, from its IRQ handler even, is read and
 * written back by their owner, under its lock.
 */
static int cfg_write_hw_bits(struct vfio_pci_core_device *vdev, int pos,
			     int len, u32 val, u32 hw)
{
	int first = __ffs(hw) / 8, last = __fls(hw) / 8;
	int start, span, shift;
	u32 mask, phys;
	int ret;

	if (first == last) {
		start = first;
		span = 1;
	} else if (first / 2 == last / 2) {
		start = first & ~1;
		span = 2;
	} else {
		start = 0;
		span = len;
	}
	shift = 8 * start;
	mask = (hw >> shift) & cfg_len_mask(span);

	if (vfio_pci_cfg_hw_shares_intx_disable(pos + start, span))
		return vfio_pci_intx_cmd_rmw(vdev, pos + start, span, mask,
					     val >> shift);

	ret = cfg_hw_read(vdev->pdev, pos + start, span, &phys);
	if (ret)
		return ret;
	phys = (phys & ~mask) | ((val >> shift) & mask);
	return cfg_hw_write(vdev->pdev, pos + start, span, phys);
}

static int cfg_write_chunk(struct vfio_pci_core_device *vdev, int pos,
			   int len, u32 val)
{
	u32 virt = cfg_bytes_get(vdev->cfg_virt, pos, len);
	u32 wr = cfg_bytes_get(vdev->cfg_write, pos, len);
	u32 old = vfio_pci_vcfg_get(vdev, pos, len);
	u8 owner = vdev->pci_config_map[pos];
	bool locked = false;
	int ret = 0;

	if (owner == VFIO_CFG_HEADER &&
	    vfio_pci_cfg_write_needs_memory_lock(pos, len)) {
		/* Memory decode may go away: no BAR access meanwhile. */
		if (!(val & PCI_COMMAND_MEMORY << (8 * (PCI_COMMAND - pos))))
			vfio_pci_zap_and_lock_memory(vdev);
		else
			down_write(&vdev->memory_lock);
		locked = true;
	}

	vfio_pci_vcfg_put(vdev, pos, len, (old & ~(wr & virt)) |
			  (val & wr & virt));
	if (wr & ~virt)
		ret = cfg_write_hw_bits(vdev, pos, len, val, wr & ~virt);
	if (!ret)
		vfio_pci_cfg_after_write(vdev, owner, pos, len, old);

	if (locked)
		up_write(&vdev->memory_lock);
	return ret;
}

static ssize_t cfg_rw_chunk(struct vfio_pci_core_device *vdev,
			    char __user *buf, size_t count, loff_t pos,
			    bool iswrite)
{
	int len = cfg_chunk_len(vdev, pos, count);
	__le32 le = 0;
	u32 val;
	int ret;

	if (iswrite) {
		if (copy_from_user(&le, buf, len))
			return -EFAULT;
		ret = cfg_write_chunk(vdev, pos, len, le32_to_cpu(le));
	} else {
		ret = cfg_read_chunk(vdev, pos, len, &val);
		le = cpu_to_le32(val);
		if (!ret && copy_to_user(buf, &le, len))
			ret = -EFAULT;
	}
	return ret ? ret : len;
}

/**
 * vfio_pci_config_rw - read(2)/write(2) on the config space region
 * @vdev: the device
 * @buf: user buffer
 * @count: bytes to transfer
 * @ppos: file position, region index included; advanced by what was done
 * @iswrite: direction
 *
 * Return: @count, or -EFAULT if the range leaves config space, or the error
 * of the first chunk that failed.
 */
ssize_t vfio_pci_config_rw(struct vfio_pci_core_device *vdev,
			   char __user *buf, size_t count, loff_t *ppos,
			   bool iswrite)
{
	loff_t pos = *ppos & VFIO_PCI_OFFSET_MASK;
	size_t done = 0;
	ssize_t ret;

	/* Refuse up front so a bad access changes nothing. */
	if (pos >= vdev->pdev->cfg_size || count > vdev->pdev->cfg_size - pos)
		return -EFAULT;

	while (done < count) {
		ret = cfg_rw_chunk(vdev, buf + done, count - done, pos + done,
				   iswrite);
		if (ret < 0)
			return ret;
		done += ret;
	}
	*ppos += done;
	return done;
}

/**
 * vfio_pci_config_init - build the emulated config space at open
 * @vdev: the device
 *
 * Return: 0 or a negative errno.
 */
int vfio_pci_config_init(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int size = pdev->cfg_size;
	u32 val;
	u8 *buf;
	int pos, ret;

	/* One allocation: shadow, virtual bits, writable bits, owners. */
	buf = kzalloc(4 * size, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	vdev->vconfig = buf;
	vdev->cfg_virt = buf + size;
	vdev->cfg_write = buf + 2 * size;
	vdev->pci_config_map = buf + 3 * size;

	/* Virtual fields start out as the device has them. */
	for (pos = 0; pos < size; pos += 4) {
		ret = pci_read_config_dword(pdev, pos, &val);
		if (ret)
			val = 0;
		vfio_pci_vcfg_put(vdev, pos, 4, val);
	}

	ret = vfio_pci_caps_init(vdev);
	if (ret)
		vfio_pci_config_exit(vdev);
	return ret;
}

/**
 * vfio_pci_config_exit - free the emulated config space at close
 * @vdev: the device
 */
void vfio_pci_config_exit(struct vfio_pci_core_device *vdev)
{
	kfree(vdev->vconfig);
	vdev->vconfig = NULL;
	vdev->cfg_virt = NULL;
	vdev->cfg_write = NULL;
	vdev->pci_config_map = NULL;
}
