// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers drivers use to answer *_GET_INFO and VFIO_DEVICE_SET_IRQS.
 *
 * A capability chain is built in a kernel buffer with offsets relative to
 * the buffer; once the driver knows where the chain will sit in the user's
 * reply, vfio_info_cap_shift() turns them into offsets from the start of
 * the reply, which is what userspace follows.
 */
#include <linux/slab.h>
#include <linux/vfio.h>

#include "vfio.h"

static struct vfio_info_cap_header *vfio_info_cap_tail(void *buf)
{
	struct vfio_info_cap_header *cap = buf;

	while (cap->next)
		cap = buf + cap->next;
	return cap;
}

/**
 * vfio_info_cap_add - append a zeroed capability to a chain
 * @caps: the chain; empty when both members are zero
 * @size: size of the capability, header included
 * @id: capability id
 * @version: capability version
 *
 * On failure the whole chain is freed and @caps left empty.
 *
 * Return: the new capability, to be filled in past its header, or an
 * ERR_PTR.
 */
struct vfio_info_cap_header *vfio_info_cap_add(struct vfio_info_cap *caps,
					       size_t size, u16 id,
					       u16 version)
{
	size_t offset = caps->size;
	struct vfio_info_cap_header *cap;
	void *buf;

	buf = krealloc(caps->buf, offset + size, GFP_KERNEL);
	if (!buf) {
		kfree(caps->buf);
		caps->buf = NULL;
		caps->size = 0;
		return ERR_PTR(-ENOMEM);
	}

	cap = buf + offset;
	memset(cap, 0, size);
	cap->id = id;
	cap->version = version;
	/* Offset 0 is always the head, so next == 0 can mean "last". */
	if (offset)
		vfio_info_cap_tail(buf)->next = offset;

	caps->buf = buf;
	caps->size = offset + size;
	return cap;
}
EXPORT_SYMBOL_GPL(vfio_info_cap_add);

/**
 * vfio_info_cap_shift - rebase a chain's offsets for the user's reply
 * @caps: the chain
 * @offset: where the chain starts in the reply
 */
void vfio_info_cap_shift(struct vfio_info_cap *caps, size_t offset)
{
	void *buf = caps->buf;
	struct vfio_info_cap_header *cap = buf;
	u32 next;

	if (!caps->size)
		return;

	while ((next = cap->next)) {
		cap->next = next + offset;
		cap = buf + next;
	}
}
EXPORT_SYMBOL(vfio_info_cap_shift);

/**
 * vfio_info_add_capability - append a copy of a filled-in capability
 * @caps: the chain
 * @cap: the capability, header first; its next field is ignored
 * @size: size of @cap, header included
 *
 * Return: 0 or -ENOMEM.
 */
int vfio_info_add_capability(struct vfio_info_cap *caps,
			     struct vfio_info_cap_header *cap, size_t size)
{
	struct vfio_info_cap_header *copy;

	copy = vfio_info_cap_add(caps, size, cap->id, cap->version);
	if (IS_ERR(copy))
		return PTR_ERR(copy);

	memcpy(copy + 1, cap + 1, size - sizeof(*cap));
	return 0;
}
EXPORT_SYMBOL(vfio_info_add_capability);

static size_t vfio_irq_set_data_size(u32 flags)
{
	switch (flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		return 0;
	case VFIO_IRQ_SET_DATA_BOOL:
		return sizeof(u8);
	case VFIO_IRQ_SET_DATA_EVENTFD:
		return sizeof(s32);
	default:
		return SIZE_MAX;
	}
}

/**
 * vfio_set_irqs_validate_and_prepare - check a VFIO_DEVICE_SET_IRQS header
 * @hdr: the header, copied from userspace
 * @num_irqs: number of interrupts the device has at @hdr->index
 * @max_irq_type: number of interrupt indexes the device has
 * @data_size: receives how many bytes of data follow the header; may be
 *             NULL only for requests that carry no data
 *
 * Return: 0 if the request is well formed, -EINVAL otherwise.
 */
int vfio_set_irqs_validate_and_prepare(struct vfio_irq_set *hdr,
				       int num_irqs, int max_irq_type,
				       size_t *data_size)
{
	size_t minsz = offsetofend(struct vfio_irq_set, count);
	u32 known = VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK;
	size_t elem;

	if (hdr->argsz < minsz || hdr->index >= max_irq_type ||
	    hdr->flags & ~known)
		return -EINVAL;
	/* start + count must neither wrap nor pass the last interrupt. */
	if (hdr->count >= U32_MAX - hdr->start ||
	    hdr->start >= num_irqs || hdr->start + hdr->count > num_irqs)
		return -EINVAL;

	if (data_size)
		*data_size = 0;

	elem = vfio_irq_set_data_size(hdr->flags);
	if (elem == SIZE_MAX)
		return -EINVAL;
	if (!elem)
		return 0;

	if (!data_size || hdr->argsz - minsz < (size_t)hdr->count * elem)
		return -EINVAL;
	*data_size = (size_t)hdr->count * elem;
	return 0;
}
EXPORT_SYMBOL(vfio_set_irqs_validate_and_prepare);
