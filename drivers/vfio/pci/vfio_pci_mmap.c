// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap of BARs, and keeping those mappings honest.
 *
 * A BAR mapping must not reach the device while it does not decode memory
 * (command register cleared, during a reset, in D3): the access could hang
 * or machine-check.  So mappings are populated lazily, a fault mapping
 * the PMD-sized window around its page, under memory_lock held for
 * reading, and every place that turns decode off first zaps all of them
 * under memory_lock held for writing.  The next access faults and, if
 * decode is back, gets its pages again.
 *
 * All the device's mappings are found through one address_space: every
 * file of the device maps through the core's inode of the device
 * (vfio_device->inode), so unmap_mapping_range() on it reaches every
 * mapping in every process, without our own list of VMAs.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pci.h>

#include "vfio_pci_priv.h"

/**
 * vfio_pci_memory_enabled - whether the device decodes memory BARs now
 * @vdev: the device; the caller holds memory_lock
 *
 * Return: true if the device is awake and its memory enable bit is set
 * (or it is a VF, which has none).
 */
bool vfio_pci_memory_enabled(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 cmd;

	lockdep_assert_held(&vdev->memory_lock);

	if (pdev->current_state == PCI_D3hot ||
	    pdev->current_state == PCI_D3cold)
		return false;
	/*
	 * A VF has no memory enable of its own: the one in its PF's SR-IOV
	 * capability is on for as long as the VF exists.  Whatever the user
	 * wrote to the emulated bit, the BARs decode (as in 6.1).
	 */
	if (pdev->no_command_memory)
		return true;
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	return cmd & PCI_COMMAND_MEMORY;
}

/**
 * vfio_pci_zap_bars - remove every page of every BAR mapping of the device
 * @vdev: the device
 */
void vfio_pci_zap_bars(struct vfio_pci_core_device *vdev)
{
	unmap_mapping_range(vdev->vdev.inode->i_mapping, 0, 0, true);
}

/**
 * vfio_pci_zap_and_lock_memory - zap the BAR mappings and keep them away
 * @vdev: the device
 *
 * Takes memory_lock for writing, so no fault can map a page again until
 * the caller releases it with up_write().
 */
void vfio_pci_zap_and_lock_memory(struct vfio_pci_core_device *vdev)
{
	down_write(&vdev->memory_lock);
	vfio_pci_zap_bars(vdev);
}

/**
 * vfio_pci_memory_lock_and_enable - turn memory decode on for the kernel
 * @vdev: the device
 *
 * For accesses the kernel makes itself (ROM probing, MSI-X table setup)
 * while userspace may have decode off.  Only the memory enable bit is
 * changed, and with vfio_pci_intx_cmd_rmw(): the command register also
 * holds the INTx disable bit, which the INTx code sets and clears from its
 * IRQ handler meanwhile, and which the PCI core changes when MSI is turned
 * on or off.  Writing back a whole register read before would undo that.
 *
 * Return: the command register as it was, for
 * vfio_pci_memory_unlock_and_restore().
 */
u16 vfio_pci_memory_lock_and_enable(struct vfio_pci_core_device *vdev)
{
	u16 cmd;

	down_write(&vdev->memory_lock);
	pci_read_config_word(vdev->pdev, PCI_COMMAND, &cmd);
	if (!(cmd & PCI_COMMAND_MEMORY))
		vfio_pci_intx_cmd_rmw(vdev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY,
				      PCI_COMMAND_MEMORY);
	return cmd;
}

/**
 * vfio_pci_memory_unlock_and_restore - undo vfio_pci_memory_lock_and_enable()
 * @vdev: the device
 * @cmd: what vfio_pci_memory_lock_and_enable() returned
 *
 * Turns memory decode off again if it was off; leaves every other bit as
 * it is now.
 */
void vfio_pci_memory_unlock_and_restore(struct vfio_pci_core_device *vdev,
					u16 cmd)
{
	if (!(cmd & PCI_COMMAND_MEMORY))
		vfio_pci_intx_cmd_rmw(vdev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY,
				      0);
	up_write(&vdev->memory_lock);
}

/* The frame a BAR mapping maps at @addr. */
static unsigned long vfio_pci_bar_pfn(struct vm_area_struct *vma,
				      unsigned long addr)
{
	/* vm_pgoff was turned into the BAR's first pfn at mmap time. */
	return vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
}

/*
 * Map the rest of the PMD-sized window around a faulting page too: a
 * large BAR touched page by page, or pinned for peer-to-peer DMA through
 * an IOMMU backend that faults it in page by page, would otherwise take
 * a fault per 4 KiB.  Pages mapped already are left as they are; the
 * first failure (no memory for a page table) ends the window early, and
 * the next access there faults again.
 */
static void vfio_pci_bar_map_around(struct vm_area_struct *vma,
				    unsigned long addr)
{
	unsigned long window = ALIGN_DOWN(addr, PMD_SIZE);
	unsigned long start = max(window, vma->vm_start);
	unsigned long end = min(window + PMD_SIZE, vma->vm_end);

	for (addr = start; addr < end; addr += PAGE_SIZE)
		if (vmf_insert_pfn_prot(vma, addr, vfio_pci_bar_pfn(vma, addr),
					vma->vm_page_prot) != VM_FAULT_NOPAGE)
			break;
}

static vm_fault_t vfio_pci_bar_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vfio_pci_core_device *vdev = vma->vm_private_data;
	unsigned long addr = vmf->address & PAGE_MASK;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	/*
	 * A function its user put in low power is woken by reads and writes
	 * of the device file, never by a page fault.
	 */
	down_read(&vdev->memory_lock);
	if (!vdev->pm_runtime_engaged && vfio_pci_memory_enabled(vdev)) {
		ret = vmf_insert_pfn_prot(vma, addr, vfio_pci_bar_pfn(vma, addr),
					  vma->vm_page_prot);
		if (ret == VM_FAULT_NOPAGE)
			vfio_pci_bar_map_around(vma, addr);
	}
	up_read(&vdev->memory_lock);
	return ret;
}

static const struct vm_operations_struct vfio_pci_bar_vm_ops = {
	.fault = vfio_pci_bar_fault,
};

static int vfio_pci_mmap_bar(struct vfio_pci_core_device *vdev,
			     struct vm_area_struct *vma, int bar, u64 start)
{
	struct pci_dev *pdev = vdev->pdev;
	u64 len = vma->vm_end - vma->vm_start;
	int ret;

	if (!vdev->bar_mmap_supported[bar])
		return -EINVAL;
	if (start + len > PAGE_ALIGN(pci_resource_len(pdev, bar)))
		return -EINVAL;

	/* Claims the BAR for us, as the kernel accessors do. */
	ret = vfio_pci_setup_barmap(vdev, bar);
	if (ret)
		return ret;

	vma->vm_private_data = vdev;
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_pgoff = (pci_resource_start(pdev, bar) + start) >> PAGE_SHIFT;
	vma->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_ops = &vfio_pci_bar_vm_ops;
	return 0;
}

/**
 * vfio_pci_core_mmap - mmap(2) of a region of the device file
 * @core_vdev: the device
 * @vma: the new mapping; vm_pgoff holds the region offset
 *
 * BARs that support it are mapped whole or in part; driver-defined regions
 * are passed to their own mmap.
 *
 * Return: 0 or a negative errno (-EINVAL for regions that cannot be mapped
 * and ranges outside the region).
 */
int vfio_pci_core_mmap(struct vfio_device *core_vdev,
		       struct vm_area_struct *vma)
{
	struct vfio_pci_core_device *vdev = to_vfio_pci(core_vdev);
	unsigned int shift = VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT;
	unsigned int index = vma->vm_pgoff >> shift;
	u64 start = (vma->vm_pgoff & ((1ULL << shift) - 1)) << PAGE_SHIFT;
	struct vfio_pci_region *region;

	if (index >= VFIO_PCI_NUM_REGIONS + vdev->num_regions)
		return -EINVAL;
	if (vma->vm_end <= vma->vm_start || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;

	if (index >= VFIO_PCI_NUM_REGIONS) {
		region = &vdev->region[index - VFIO_PCI_NUM_REGIONS];
		if (region->ops && region->ops->mmap &&
		    (region->flags & VFIO_REGION_INFO_FLAG_MMAP))
			return region->ops->mmap(vdev, region, vma);
		return -EINVAL;
	}
	if (index > VFIO_PCI_BAR5_REGION_INDEX)
		return -EINVAL;
	return vfio_pci_mmap_bar(vdev, vma, index, start);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_mmap);
