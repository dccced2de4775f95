// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rules for individual config space registers and capabilities.
 *
 * At open we walk the device's capability lists and decide, for each one,
 * whether userspace sees it and which of its bits are virtual or writable
 * (see vfio_pci_config.c for what those mean).  Capabilities we cannot
 * emulate safely are unlinked from the chain the user walks: the previous
 * visible capability's next pointer is virtual and skips them.
 *
 * The rules follow what a VMM needs: BARs are sized and programmed only
 * in the shadow copy (the real addresses belong to the host), MSI is fully
 * emulated because vectors are set up with VFIO_DEVICE_SET_IRQS, and
 * anything that could disturb other functions (phantom functions, payload
 * size, ARI) cannot be written.
 */
#include <linux/pci.h>

#include "vfio_pci_priv.h"

#define CFG_ALL	(~0U)

/*
 * The standard header, register by register: which bits are served from
 * the shadow copy and which the user may write.  Unlisted bytes (class,
 * revision, header type, subsystem IDs, Min_Gnt/Max_Lat) are read from
 * the function and cannot be written.
 */
static const struct {
	u8 reg;
	u8 len;
	u32 virt;
	u32 write;
} caps_header_rules[] = {
	/* A VF's IDs read all-ones: the shadow has the PCI core's. */
	{ PCI_VENDOR_ID,	2, CFG_ALL,		0 },
	{ PCI_DEVICE_ID,	2, CFG_ALL,		0 },
	/* INTx disable is the host's; a VF's decode bits, see below. */
	{ PCI_COMMAND,		2, PCI_COMMAND_INTX_DISABLE, CFG_ALL },
	{ PCI_STATUS,		2, PCI_STATUS_CAP_LIST,	0 },
	{ PCI_CACHE_LINE_SIZE,	1, 0,			CFG_ALL },
	{ PCI_LATENCY_TIMER,	1, 0,			CFG_ALL },
	{ PCI_BIST,		1, 0,			CFG_ALL },
	/* Sized and programmed in the shadow only: the host's addresses. */
	{ PCI_BASE_ADDRESS_0,	4, CFG_ALL,		CFG_ALL },
	{ PCI_BASE_ADDRESS_1,	4, CFG_ALL,		CFG_ALL },
	{ PCI_BASE_ADDRESS_2,	4, CFG_ALL,		CFG_ALL },
	{ PCI_BASE_ADDRESS_3,	4, CFG_ALL,		CFG_ALL },
	{ PCI_BASE_ADDRESS_4,	4, CFG_ALL,		CFG_ALL },
	{ PCI_BASE_ADDRESS_5,	4, CFG_ALL,		CFG_ALL },
	{ PCI_ROM_ADDRESS,	4, CFG_ALL,		CFG_ALL },
	/* The chain is relinked around hidden capabilities. */
	{ PCI_CAPABILITY_LIST,	1, CFG_ALL,		0 },
	{ PCI_INTERRUPT_LINE,	1, CFG_ALL,		CFG_ALL },
	{ PCI_INTERRUPT_PIN,	1, CFG_ALL,		0 },
};

static void caps_header_policy(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int i;

	vfio_pci_cfg_own(vdev, 0, PCI_STD_HEADER_SIZEOF, VFIO_CFG_HEADER);
	for (i = 0; i < ARRAY_SIZE(caps_header_rules); i++)
		vfio_pci_cfg_policy(vdev, caps_header_rules[i].reg,
				    caps_header_rules[i].len,
				    caps_header_rules[i].virt,
				    caps_header_rules[i].write);

	vfio_pci_vcfg_put(vdev, PCI_VENDOR_ID, 2, pdev->vendor);
	vfio_pci_vcfg_put(vdev, PCI_DEVICE_ID, 2, pdev->device);
	/* A VF has no memory or I/O enable: the user's live in the shadow. */
	if (pdev->no_command_memory)
		vfio_pci_cfg_policy(vdev, PCI_COMMAND, 2,
				    PCI_COMMAND_INTX_DISABLE |
				    PCI_COMMAND_MEMORY | PCI_COMMAND_IO,
				    CFG_ALL);
	/* A zero pin tells the user there is no INTx to set up. */
	if (vdev->nointx || !pdev->irq)
		vfio_pci_vcfg_put(vdev, PCI_INTERRUPT_PIN, 1, 0);
}

static int bar_reg(int idx)
{
	return idx == PCI_ROM_RESOURCE ? PCI_ROM_ADDRESS :
	       PCI_BASE_ADDRESS_0 + 4 * idx;
}

/* Force a BAR register back into what a BAR of its size can hold. */
static void caps_bar_sanitize(struct vfio_pci_core_device *vdev, int idx)
{
	int reg = bar_reg(idx);
	u32 val = vfio_pci_vcfg_get(vdev, reg, 4);

	val = (val & vdev->bar_mask[idx]) | vdev->bar_flags[idx];
	vfio_pci_vcfg_put(vdev, reg, 4, val);
}

/*
 * The type bits userspace sees in a BAR come from the host's resource, not
 * from the register: a VF's BAR registers read zero (its BARs live in the
 * PF's SR-IOV capability), and QEMU sizes and places a BAR by these bits.
 */
static u32 caps_bar_type(const struct resource *res)
{
	u32 type;

	if (res->flags & IORESOURCE_IO)
		return PCI_BASE_ADDRESS_SPACE_IO;
	type = PCI_BASE_ADDRESS_SPACE_MEMORY;
	if (res->flags & IORESOURCE_MEM_64)
		type |= PCI_BASE_ADDRESS_MEM_TYPE_64;
	if (res->flags & IORESOURCE_PREFETCH)
		type |= PCI_BASE_ADDRESS_MEM_PREFETCH;
	return type;
}

/*
 * A BAR the host left unassigned reads as unimplemented (all zero): it
 * has no address, so nothing behind it could be mapped or accessed.
 */
static void caps_bar_setup(struct vfio_pci_core_device *vdev, int idx)
{
	struct resource *res = &vdev->pdev->resource[idx];
	u64 len = resource_size(res);

	if (!len || !res->flags || !res->start)
		return;
	vdev->bar_flags[idx] = caps_bar_type(res);
	if (res->flags & IORESOURCE_IO) {
		vdev->bar_mask[idx] = ~(u32)(len - 1) & PCI_BASE_ADDRESS_IO_MASK;
		return;
	}
	vdev->bar_mask[idx] = lower_32_bits(~(len - 1)) &
			      PCI_BASE_ADDRESS_MEM_MASK;
	/* The upper half of a 64-bit BAR has no resource of its own. */
	if (res->flags & IORESOURCE_MEM_64 && idx + 1 < PCI_STD_NUM_BARS)
		vdev->bar_mask[idx + 1] = upper_32_bits(~(len - 1));
}

static void caps_bars_init(struct vfio_pci_core_device *vdev)
{
	u64 rom_len = pci_resource_len(vdev->pdev, PCI_ROM_RESOURCE);
	int idx;

	memset(vdev->bar_mask, 0, sizeof(vdev->bar_mask));
	memset(vdev->bar_flags, 0, sizeof(vdev->bar_flags));
	for (idx = 0; idx < PCI_STD_NUM_BARS; idx++) {
		caps_bar_setup(vdev, idx);
		if (vdev->pdev->resource[idx].flags & IORESOURCE_MEM_64)
			idx++;
	}
	if (rom_len)
		vdev->bar_mask[PCI_ROM_RESOURCE] =
			(~(u32)(rom_len - 1) & PCI_ROM_ADDRESS_MASK) |
			PCI_ROM_ADDRESS_ENABLE;

	for (idx = 0; idx <= PCI_ROM_RESOURCE; idx++) {
		vdev->rbar[idx] = vfio_pci_vcfg_get(vdev, bar_reg(idx), 4);
		caps_bar_sanitize(vdev, idx);
	}
}

/* Length of a standard capability we expose, 0 to hide it. */
static int caps_std_len(struct vfio_pci_core_device *vdev, u8 id, int pos)
{
	u16 flags = vfio_pci_vcfg_get(vdev, pos + 2, 2);
	int len;

	switch (id) {
	case PCI_CAP_ID_PM:
		return PCI_PM_SIZEOF;
	case PCI_CAP_ID_MSIX:
		return PCI_CAP_MSIX_SIZEOF;
	case PCI_CAP_ID_AF:
		return PCI_CAP_AF_SIZEOF;
	case PCI_CAP_ID_VNDR:
		return vfio_pci_vcfg_get(vdev, pos + PCI_CAP_FLAGS, 1);
	case PCI_CAP_ID_MSI:
		len = PCI_MSI_DATA_32 + 2;
		if (flags & PCI_MSI_FLAGS_64BIT)
			len += 4;
		if (flags & PCI_MSI_FLAGS_MASKBIT)
			len += 10;
		return len;
	case PCI_CAP_ID_EXP:
		if ((flags & PCI_EXP_FLAGS_VERS) == 1)
			return PCI_CAP_EXP_ENDPOINT_SIZEOF_V1;
		return ALIGN(PCI_CAP_EXP_ENDPOINT_SIZEOF_V2, 4);
	case PCI_CAP_ID_PCIX:
		if (vfio_pci_vcfg_get(vdev, pos + PCI_X_STATUS, 4) &
		    (PCI_X_STATUS_266MHZ | PCI_X_STATUS_533MHZ))
			return PCI_CAP_PCIX_SIZEOF_V2;
		return PCI_CAP_PCIX_SIZEOF_V0;
	default:
		/* VPD, HyperTransport, bridge and hot-plug caps: hidden. */
		return 0;
	}
}

static void caps_msi_policy(struct vfio_pci_core_device *vdev, int pos,
			    int len)
{
	u16 flags = vfio_pci_vcfg_get(vdev, pos + PCI_MSI_FLAGS, 2);
	int data = flags & PCI_MSI_FLAGS_64BIT ? PCI_MSI_DATA_64 :
						 PCI_MSI_DATA_32;

	/* Vectors come from SET_IRQS; the capability is a pure shadow. */
	vfio_pci_cfg_policy(vdev, pos + PCI_MSI_FLAGS, 2, CFG_ALL,
			    PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	vfio_pci_cfg_policy(vdev, pos + PCI_MSI_ADDRESS_LO, 4, CFG_ALL,
			    CFG_ALL);
	if (flags & PCI_MSI_FLAGS_64BIT)
		vfio_pci_cfg_policy(vdev, pos + PCI_MSI_ADDRESS_HI, 4,
				    CFG_ALL, CFG_ALL);
	vfio_pci_cfg_policy(vdev, pos + data, 2, CFG_ALL, CFG_ALL);
	/* Per-vector masking is done by the device itself. */
	if (flags & PCI_MSI_FLAGS_MASKBIT)
		vfio_pci_cfg_policy(vdev, pos + data + 4, 4, 0, CFG_ALL);

	flags &= ~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	vfio_pci_vcfg_put(vdev, pos + PCI_MSI_FLAGS, 2, flags);
}

static void caps_exp_policy(struct vfio_pci_core_device *vdev, int pos,
			    int len)
{
	u16 ctl = vfio_pci_vcfg_get(vdev, pos + PCI_EXP_DEVCTL, 2);

	/*
	 * FLR is carried out by us; MPS would affect the fabric; MRRS is
	 * shown as written and passed on no lower than MPS (see
	 * caps_readrq_written()).
	 */
	vfio_pci_cfg_policy(vdev, pos + PCI_EXP_DEVCTL, 2,
			    PCI_EXP_DEVCTL_BCR_FLR | PCI_EXP_DEVCTL_PAYLOAD |
			    PCI_EXP_DEVCTL_READRQ,
			    (u16)~PCI_EXP_DEVCTL_PHANTOM);
	vfio_pci_vcfg_put(vdev, pos + PCI_EXP_DEVCTL, 2,
			  ctl & ~PCI_EXP_DEVCTL_BCR_FLR);
	if (len > PCI_EXP_DEVCTL2 + 1)
		vfio_pci_cfg_policy(vdev, pos + PCI_EXP_DEVCTL2, 2, 0,
				    (u16)~PCI_EXP_DEVCTL2_ARI);
}

/*
 * A vendor-specific capability means what its vendor says, so everything
 * after the list header goes to the device as written, as in 6.1: virtio's
 * PCI configuration access capability, for one, is a window onto the BARs
 * worked through writes.  The header (@hdr bytes at @pos) stays ours.
 */
static void caps_vendor_policy(struct vfio_pci_core_device *vdev, int pos,
			       int hdr, int len)
{
	int i;

	for (i = hdr; i < len; i++)
		vfio_pci_cfg_policy(vdev, pos + i, 1, 0, CFG_ALL);
}

/* Apply the rules of one visible standard capability; returns its owner. */
static u8 caps_std_policy(struct vfio_pci_core_device *vdev, u8 id, int pos,
			  int len)
{
	u16 val;

	vfio_pci_cfg_policy(vdev, pos + PCI_CAP_LIST_NEXT, 1, CFG_ALL, 0);

	switch (id) {
	case PCI_CAP_ID_PM:
		/*
		 * The host handles PME.  The power state is trapped: a
		 * write goes to the function through the PCI core (see
		 * vfio_pci_pm.c), and the field then shows where it went.
		 */
		vfio_pci_cfg_policy(vdev, pos + PCI_PM_PMC, 2,
				    PCI_PM_CAP_PME_MASK, 0);
		vfio_pci_cfg_policy(vdev, pos + PCI_PM_CTRL, 2,
				    PCI_PM_CTRL_STATE_MASK,
				    PCI_PM_CTRL_STATE_MASK);
		val = vfio_pci_vcfg_get(vdev, pos + PCI_PM_PMC, 2);
		vfio_pci_vcfg_put(vdev, pos + PCI_PM_PMC, 2,
				  val & ~PCI_PM_CAP_PME_MASK);
		val = vfio_pci_vcfg_get(vdev, pos + PCI_PM_CTRL, 2);
		vfio_pci_vcfg_put(vdev, pos + PCI_PM_CTRL, 2,
				  val & ~PCI_PM_CTRL_STATE_MASK);
		return VFIO_CFG_PM;
	case PCI_CAP_ID_MSI:
		caps_msi_policy(vdev, pos, len);
		return VFIO_CFG_MSI;
	case PCI_CAP_ID_MSIX:
		/* Enabling happens through SET_IRQS, never behind our back. */
		val = PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL;
		vfio_pci_cfg_policy(vdev, pos + PCI_MSIX_FLAGS, 2, val, val);
		vfio_pci_vcfg_put(vdev, pos + PCI_MSIX_FLAGS, 2,
				  vfio_pci_vcfg_get(vdev, pos + PCI_MSIX_FLAGS,
						    2) & ~val);
		return VFIO_CFG_MSIX;
	case PCI_CAP_ID_EXP:
		caps_exp_policy(vdev, pos, len);
		return VFIO_CFG_EXP;
	case PCI_CAP_ID_AF:
		vfio_pci_cfg_policy(vdev, pos + PCI_AF_CTRL, 1, PCI_AF_CTRL_FLR,
				    PCI_AF_CTRL_FLR);
		vfio_pci_vcfg_put(vdev, pos + PCI_AF_CTRL, 1, 0);
		return VFIO_CFG_AF;
	case PCI_CAP_ID_PCIX:
		vfio_pci_cfg_policy(vdev, pos + PCI_X_CMD, 2, 0, CFG_ALL);
		if (len == PCI_CAP_PCIX_SIZEOF_V2)
			vfio_pci_cfg_policy(vdev, pos + PCI_X_ECC_CSR, 4, 0,
					    CFG_ALL);
		return VFIO_CFG_CAP;
	case PCI_CAP_ID_VNDR:
		caps_vendor_policy(vdev, pos, PCI_CAP_FLAGS, len);
		return VFIO_CFG_CAP;
	default:
		return VFIO_CFG_CAP;
	}
}

static bool caps_range_free(struct vfio_pci_core_device *vdev, int pos,
			    int len, int limit)
{
	int i;

	if (len <= 0 || pos + len > limit)
		return false;
	for (i = 0; i < len; i++)
		if (vdev->pci_config_map[pos + i] != VFIO_CFG_RAW)
			return false;
	return true;
}

/*
 * Walk the standard list and relink the visible capabilities.  @link is
 * the config byte pointing at the next visible capability.
 */
static void caps_std_init(struct vfio_pci_core_device *vdev)
{
	int link = PCI_CAPABILITY_LIST, pos, len, loops;
	u8 id, owner;

	pos = vfio_pci_vcfg_get(vdev, PCI_CAPABILITY_LIST, 1) & ~3;
	if (!(vfio_pci_vcfg_get(vdev, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		pos = 0;

	/* A malformed list could loop; there is room for at most 48 caps. */
	for (loops = 0; pos >= PCI_STD_HEADER_SIZEOF && loops < 48; loops++) {
		id = vfio_pci_vcfg_get(vdev, pos + PCI_CAP_LIST_ID, 1);
		len = caps_std_len(vdev, id, pos);
		if (caps_range_free(vdev, pos, len, PCI_CFG_SPACE_SIZE)) {
			owner = caps_std_policy(vdev, id, pos, len);
			vfio_pci_cfg_own(vdev, pos, len, owner);
			vfio_pci_vcfg_put(vdev, link, 1, pos);
			link = pos + PCI_CAP_LIST_NEXT;
		}
		pos = vfio_pci_vcfg_get(vdev, pos + PCI_CAP_LIST_NEXT, 1) & ~3;
	}
	vfio_pci_vcfg_put(vdev, link, 1, 0);

	if (vfio_pci_vcfg_get(vdev, PCI_CAPABILITY_LIST, 1))
		pos = vfio_pci_vcfg_get(vdev, PCI_STATUS, 2) |
		      PCI_STATUS_CAP_LIST;
	else
		pos = vfio_pci_vcfg_get(vdev, PCI_STATUS, 2) &
		      ~PCI_STATUS_CAP_LIST;
	vfio_pci_vcfg_put(vdev, PCI_STATUS, 2, pos);
}

/* Length of an extended capability we expose, 0 to hide it. */
static int caps_ext_len(struct vfio_pci_core_device *vdev, u16 id, int pos)
{
	u32 cap;

	switch (id) {
	case PCI_EXT_CAP_ID_ERR:
		/* Root port registers after this are not ours to show. */
		return PCI_ERR_ROOT_COMMAND;
	case PCI_EXT_CAP_ID_DSN:
		return PCI_EXT_CAP_DSN_SIZEOF;
	case PCI_EXT_CAP_ID_PWR:
		return PCI_EXT_CAP_PWR_SIZEOF;
	case PCI_EXT_CAP_ID_ARI:
		return PCI_EXT_CAP_ARI_SIZEOF;
	case PCI_EXT_CAP_ID_ATS:
		return PCI_EXT_CAP_ATS_SIZEOF;
	case PCI_EXT_CAP_ID_SRIOV:
		return PCI_EXT_CAP_SRIOV_SIZEOF;
	case PCI_EXT_CAP_ID_MCAST:
		return PCI_EXT_CAP_MCAST_ENDPOINT_SIZEOF;
	case PCI_EXT_CAP_ID_PRI:
		return PCI_EXT_CAP_PRI_SIZEOF;
	case PCI_EXT_CAP_ID_LTR:
		return PCI_EXT_CAP_LTR_SIZEOF;
	case PCI_EXT_CAP_ID_VNDR:
		return vfio_pci_vcfg_get(vdev, pos + PCI_VNDR_HEADER, 4) >> 20;
	case PCI_EXT_CAP_ID_ACS:
		cap = vfio_pci_vcfg_get(vdev, pos + PCI_ACS_CAP, 2);
		if (!(cap & PCI_ACS_EC))
			return 8;
		cap = (cap >> 8) ? (cap >> 8) : 256;
		return 8 + DIV_ROUND_UP(cap, 32) * 4;
	default:
		/* Virtual channels, resizable BARs, PASID and the rest. */
		return 0;
	}
}

/*
 * The error bits PCI Express defines in the AER status, mask and severity
 * registers (through 4.0): uncorrectable bits 0, 4, 5 and 12 to 25,
 * correctable bits 0, 6 to 8 and 12 to 15.  The rest are reserved, and a
 * guest has no business setting them.
 */
#define CAPS_AER_UNCOR	(BIT(0) | GENMASK(5, 4) | GENMASK(25, 12))
#define CAPS_AER_COR	(BIT(0) | GENMASK(8, 6) | GENMASK(15, 12))

/* A guest's AER driver may clear, mask and grade errors of its own. */
static void caps_aer_policy(struct vfio_pci_core_device *vdev, int pos)
{
	static const struct {
		u8 reg;
		u32 bits;
	} writable[] = {
		{ PCI_ERR_UNCOR_STATUS, CAPS_AER_UNCOR },
		{ PCI_ERR_UNCOR_MASK, CAPS_AER_UNCOR },
		{ PCI_ERR_UNCOR_SEVER, CAPS_AER_UNCOR },
		{ PCI_ERR_COR_STATUS, CAPS_AER_COR },
		{ PCI_ERR_COR_MASK, CAPS_AER_COR },
		{ PCI_ERR_CAP, PCI_ERR_CAP_ECRC_GENE | PCI_ERR_CAP_ECRC_CHKE },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(writable); i++)
		vfio_pci_cfg_policy(vdev, pos + writable[i].reg, 4, 0,
				    writable[i].bits);
}

static void caps_ext_set_next(struct vfio_pci_core_device *vdev, int hdr,
			      int next)
{
	u32 val = vfio_pci_vcfg_get(vdev, hdr, 4);

	vfio_pci_vcfg_put(vdev, hdr, 4, (val & 0xfffff) | (u32)next << 20);
}

/*
 * Walk the extended list.  Its head is fixed at 0x100, so when the first
 * capability is hidden its header is replaced by an empty one (ID 0) that
 * only links to the first visible capability.
 */
static void caps_ext_init(struct vfio_pci_core_device *vdev)
{
	int size = vdev->pdev->cfg_size, hdr = -1, pos = PCI_CFG_SPACE_SIZE;
	int len, loops;
	u32 val;
	u16 id;

	for (loops = 0; pos >= PCI_CFG_SPACE_SIZE && loops < 480; loops++) {
		val = vfio_pci_vcfg_get(vdev, pos, 4);
		if (!val || val == ~0U)
			break;
		id = PCI_EXT_CAP_ID(val);
		len = caps_ext_len(vdev, id, pos);
		if (caps_range_free(vdev, pos, len, size)) {
			vfio_pci_cfg_own(vdev, pos, len, VFIO_CFG_ECAP);
			vfio_pci_cfg_policy(vdev, pos, 4, CFG_ALL, 0);
			if (id == PCI_EXT_CAP_ID_ERR)
				caps_aer_policy(vdev, pos);
			if (id == PCI_EXT_CAP_ID_VNDR)
				caps_vendor_policy(vdev, pos, 4, len);
			if (hdr >= 0)
				caps_ext_set_next(vdev, hdr, pos);
			hdr = pos;
		} else if (pos == PCI_CFG_SPACE_SIZE) {
			vfio_pci_cfg_own(vdev, pos, 4, VFIO_CFG_ECAP);
			vfio_pci_cfg_policy(vdev, pos, 4, CFG_ALL, 0);
			vfio_pci_vcfg_put(vdev, pos, 4, 0);
			hdr = pos;
		}
		pos = PCI_EXT_CAP_NEXT(val);
	}
	if (hdr >= 0)
		caps_ext_set_next(vdev, hdr, 0);
}

/*
 * Bytes no visible capability covers, gaps and hidden capabilities alike,
 * are the device's own: some functions keep registers there, so reads
 * and writes go through, as in 6.1.  What such a write can do is bounded
 * by the IOMMU like any BAR register's.  Bytes answered from the shadow
 * (a hidden extended capability's header, say) stay virtual.
 */
static void caps_gaps_passthrough(struct vfio_pci_core_device *vdev)
{
	int pos;

	for (pos = PCI_STD_HEADER_SIZEOF; pos < vdev->pdev->cfg_size; pos++)
		if (vdev->pci_config_map[pos] == VFIO_CFG_RAW &&
		    !vdev->cfg_virt[pos])
			vdev->cfg_write[pos] = 0xff;
}

/**
 * vfio_pci_caps_init - decide the rules for every byte of config space
 * @vdev: the device, with vconfig holding a snapshot of the hardware
 *
 * Return: 0.
 */
int vfio_pci_caps_init(struct vfio_pci_core_device *vdev)
{
	caps_header_policy(vdev);
	caps_bars_init(vdev);
	caps_std_init(vdev);
	vdev->extended_caps = vdev->pdev->cfg_size > PCI_CFG_SPACE_SIZE;
	if (vdev->extended_caps)
		caps_ext_init(vdev);
	caps_gaps_passthrough(vdev);
	return 0;
}

static bool overlaps(int pos, int len, int reg, int reg_len)
{
	return pos < reg + reg_len && reg < pos + len;
}

/**
 * vfio_pci_cfg_write_needs_memory_lock - whether a header write may turn
 * off memory decode
 * @pos: start of the write chunk
 * @len: its length
 *
 * Return: true if the chunk holds the memory enable bit.
 */
bool vfio_pci_cfg_write_needs_memory_lock(int pos, int len)
{
	return overlaps(pos, len, PCI_COMMAND, 1);
}

/**
 * vfio_pci_cfg_hw_shares_intx_disable - whether device bits written for
 * userspace share a byte with the physical INTx disable bit
 * @pos: start of the span written to the device
 * @len: its length
 *
 * The host masks INTx with that bit, from its IRQ handler too, so such a
 * span must be written with vfio_pci_intx_cmd_rmw().
 *
 * Return: true if the span holds the command register's upper byte.
 */
bool vfio_pci_cfg_hw_shares_intx_disable(int pos, int len)
{
	return overlaps(pos, len, PCI_COMMAND + 1, 1);
}

/*
 * The virtual INTx disable bit masks the line like ACTION_MASK does.  Any
 * write of the command register's upper byte, on its own or in a wider
 * chunk, passes the bit on; writing the value it has changes nothing.
 * This may run under memory_lock, which nests inside igate, so the INTx
 * code takes only irqlock for it (see the Locking comment there).
 */
static void caps_command_written(struct vfio_pci_core_device *vdev)
{
	u16 cmd = vfio_pci_vcfg_get(vdev, PCI_COMMAND, 2);

	vfio_pci_intx_virt_disable(vdev, cmd & PCI_COMMAND_INTX_DISABLE);
}

static void caps_header_written(struct vfio_pci_core_device *vdev, int pos,
				int len)
{
	int idx;

	if (overlaps(pos, len, PCI_COMMAND + 1, 1))
		caps_command_written(vdev);

	for (idx = 0; idx <= PCI_ROM_RESOURCE; idx++)
		if (overlaps(pos, len, bar_reg(idx), 4))
			caps_bar_sanitize(vdev, idx);
}

/* The user wrote PowerState: move the function, show where it went. */
static void caps_power_state_written(struct vfio_pci_core_device *vdev,
				     int reg)
{
	u16 val = vfio_pci_vcfg_get(vdev, reg, 2);
	u16 now = vfio_pci_pm_user_write(vdev, val & PCI_PM_CTRL_STATE_MASK);

	vfio_pci_vcfg_put(vdev, reg, 2,
			  (val & ~PCI_PM_CTRL_STATE_MASK) | now);
}

/**
 * vfio_pci_cfg_after_read - complete a config read the shadow cannot answer
 * @vdev: the device
 * @owner: the owner of the chunk's bytes
 * @pos: the chunk's offset
 * @len: its length
 * @val: the value read, in CPU order; updated
 *
 * PowerState reads the state the function is in (6.1 reads it from the
 * function), whoever moved it there.
 */
void vfio_pci_cfg_after_read(struct vfio_pci_core_device *vdev, u8 owner,
			     int pos, int len, u32 *val)
{
	int reg, shift;

	if (owner != VFIO_CFG_PM)
		return;
	reg = vdev->pdev->pm_cap + PCI_PM_CTRL;
	if (reg < pos || reg >= pos + len)
		return;
	shift = 8 * (reg - pos);
	*val &= ~((u32)PCI_PM_CTRL_STATE_MASK << shift);
	*val |= (u32)vfio_pci_pm_user_state(vdev) << shift;
}

/* A virtual FLR bit was set: do the reset and let the bit read as 0. */
static void caps_flr_requested(struct vfio_pci_core_device *vdev, int reg,
			       int len, u32 bit)
{
	u32 val = vfio_pci_vcfg_get(vdev, reg, len);

	if (!(val & bit))
		return;
	vfio_pci_vcfg_put(vdev, reg, len, val & ~bit);
	vfio_pci_function_flr(vdev);
}

/*
 * The Max Read Request Size is the user's to choose, as in 6.1, except
 * that the device never gets less than the fabric's Max Payload Size:
 * completions are cut to MPS anyway, and a user driver cannot see the
 * topology to know it.  The user reads back the value written.
 */
static void caps_readrq_written(struct vfio_pci_core_device *vdev, int reg)
{
	u16 ctl = vfio_pci_vcfg_get(vdev, reg, 2);
	int mrrs = 128 << ((ctl & PCI_EXP_DEVCTL_READRQ) >> 12);

	mrrs = clamp(mrrs, pcie_get_mps(vdev->pdev), 4096);
	if (pcie_get_readrq(vdev->pdev) != mrrs)
		pcie_set_readrq(vdev->pdev, mrrs);
}

/**
 * vfio_pci_cfg_after_write - act on a config write userspace just made
 * @vdev: the device
 * @owner: owner of the chunk written
 * @pos: start of the chunk
 * @len: its length
 * @old: shadow value of the chunk before the write
 */
void vfio_pci_cfg_after_write(struct vfio_pci_core_device *vdev, u8 owner,
			      int pos, int len, u32 old)
{
	struct pci_dev *pdev = vdev->pdev;
	int reg;

	switch (owner) {
	case VFIO_CFG_HEADER:
		caps_header_written(vdev, pos, len);
		break;
	case VFIO_CFG_EXP:
		reg = pdev->pcie_cap + PCI_EXP_DEVCTL;
		if (overlaps(pos, len, reg + 1, 1))
			caps_readrq_written(vdev, reg);
		if (overlaps(pos, len, reg, 2))
			caps_flr_requested(vdev, reg, 2,
					   PCI_EXP_DEVCTL_BCR_FLR);
		break;
	case VFIO_CFG_PM:
		reg = pdev->pm_cap + PCI_PM_CTRL;
		if (overlaps(pos, len, reg, 1))
			caps_power_state_written(vdev, reg);
		break;
	case VFIO_CFG_AF:
		reg = pci_find_capability(pdev, PCI_CAP_ID_AF) + PCI_AF_CTRL;
		if (overlaps(pos, len, reg, 1))
			caps_flr_requested(vdev, reg, 1, PCI_AF_CTRL_FLR);
		break;
	default:
		break;
	}
}
