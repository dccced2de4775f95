/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * Programming model of the mcounter sample device, shared by the driver
 * (mcounter.c) and the programs that drive it (the selftests, the nested
 * QEMU test).
 *
 * The device is a PCI function with a 256-byte configuration space, one
 * 32-bit memory BAR (BAR0) and one MSI vector.  BAR0 holds these 32-bit
 * little-endian registers, accessed 4 bytes at a time at 4-byte aligned
 * offsets, followed by plain memory from MCOUNTER_RAM up to the end of the
 * BAR, accessible at any size and offset.
 */
#ifndef MCOUNTER_REGS_H
#define MCOUNTER_REGS_H

#define MCOUNTER_VENDOR_ID	0x1b36	/* QEMU's test vendor ID */
#define MCOUNTER_DEVICE_ID	0x10f0
#define MCOUNTER_CLASS		0xff0000	/* unclassified */

#define MCOUNTER_REG_MAGIC	0x00	/* RO: MCOUNTER_MAGIC */
#define MCOUNTER_REG_SCRATCH	0x04	/* RW: holds what was written */
#define MCOUNTER_REG_COUNT	0x08	/* RW: the counter */
#define MCOUNTER_REG_ADD	0x0c	/* WO: adds the value to the counter */
#define MCOUNTER_REG_DOORBELL	0x10	/* WO: raises the MSI, if enabled */
#define MCOUNTER_REG_IRQS	0x14	/* RO: MSIs raised so far */
#define MCOUNTER_RAM		0x100	/* start of the memory window */

#define MCOUNTER_MAGIC		0x544e434d	/* "MCNT" */

/* Capability offsets in configuration space. */
#define MCOUNTER_CAP_MSI	0x40

/*
 * Regions of the device file: region N (a VFIO_PCI_*_REGION_INDEX) starts
 * at file offset N << MCOUNTER_REGION_SHIFT, as GET_REGION_INFO reports.
 */
#define MCOUNTER_REGION_SHIFT	40

#endif /* MCOUNTER_REGS_H */
