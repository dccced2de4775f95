/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * Programming model of the mblit sample device (mblit.c), shared with the
 * selftests.
 *
 * mblit is a copy engine working on guest memory, the way a vGPU's blitter
 * does: the guest programs a source IOVA, a destination IOVA and a length,
 * then writes a command.  BAR0 holds 32-bit little-endian registers,
 * accessed 4 bytes at a time; 64-bit values are split in LO/HI halves.
 * Region N of the device file starts at N << MBLIT_REGION_SHIFT.
 */
#ifndef MBLIT_REGS_H
#define MBLIT_REGS_H

#define MBLIT_VENDOR_ID		0x1b36
#define MBLIT_DEVICE_ID		0x10f1

#define MBLIT_REG_MAGIC		0x00	/* RO: MBLIT_MAGIC */
#define MBLIT_REG_SRC_LO	0x08	/* RW: source IOVA */
#define MBLIT_REG_SRC_HI	0x0c
#define MBLIT_REG_DST_LO	0x10	/* RW: destination IOVA */
#define MBLIT_REG_DST_HI	0x14
#define MBLIT_REG_LEN		0x18	/* RW: bytes, at most MBLIT_MAX_LEN */
#define MBLIT_REG_CMD		0x1c	/* WO: one of MBLIT_CMD_* */
#define MBLIT_REG_STATUS	0x20	/* RO: 0, or the errno of the last
					 * command that failed
					 */
#define MBLIT_REG_PINNED	0x24	/* RO: guest pages pinned now */
#define MBLIT_REG_COPIES	0x28	/* RO: commands completed */
#define MBLIT_REG_UNMAPS	0x2c	/* RO: pins dropped for an unmap */

#define MBLIT_MAGIC		0x544c424d	/* "MBLT" */
#define MBLIT_MAX_LEN		0x100000	/* 1 MiB */

/*
 * COPY_PINNED pins the pages it touches and keeps them pinned, as a GPU
 * keeps the pages of its page tables, until userspace unmaps them, FLUSH,
 * reset or close.  COPY_RW copies through vfio_dma_rw() and pins nothing.
 */
#define MBLIT_CMD_COPY_PINNED	1
#define MBLIT_CMD_COPY_RW	2
#define MBLIT_CMD_FLUSH		3

#define MBLIT_REGION_SHIFT	40

#endif /* MBLIT_REGS_H */
