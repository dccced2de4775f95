/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Device regions of vfio-ccw, the s390 channel-I/O subchannel driver.
 * A guest's channel programs reach the real subchannel through them:
 * userspace writes an ORB into the I/O region to start one, reads back
 * the interrupt response block, and uses the capability regions for
 * halt and clear, for the subchannel information block and for channel
 * report words.  Layouts, sizes and numbers are the ABI of Linux 6.1;
 * every structure is packed.
 */
#ifndef _UAPI_LINUX_VFIO_CCW_H
#define _UAPI_LINUX_VFIO_CCW_H

#include <linux/types.h>

/* Bytes of the operation request block userspace hands over. */
#define ORB_AREA_SIZE 12
/* Bytes of the subchannel status word. */
#define SCSW_AREA_SIZE 12
/* Bytes of the interrupt response block. */
#define IRB_AREA_SIZE 96

/**
 * struct ccw_io_region - the I/O region (region 0), always present
 * @orb_area: the ORB of a START SUBCHANNEL; writing the region starts it
 * @scsw_area: the SCSW the request is made with
 * @irb_area: the IRB of the last interrupt, read back by userspace
 * @ret_code: 0, or the negative errno the start failed with
 */
struct ccw_io_region {
	__u8	orb_area[ORB_AREA_SIZE];
	__u8	scsw_area[SCSW_AREA_SIZE];
	__u8	irb_area[IRB_AREA_SIZE];
	__u32	ret_code;
} __attribute__((packed));

/* Commands of the asynchronous command region. */
#define VFIO_CCW_ASYNC_CMD_HSCH (1 << 0)	/* HALT SUBCHANNEL */
#define VFIO_CCW_ASYNC_CMD_CSCH (1 << 1)	/* CLEAR SUBCHANNEL */

/**
 * struct ccw_cmd_region - the asynchronous command region
 *	(VFIO_REGION_SUBTYPE_CCW_ASYNC_CMD)
 * @command: one VFIO_CCW_ASYNC_CMD_* value
 * @ret_code: 0, or the negative errno the command failed with
 */
struct ccw_cmd_region {
	__u32 command;
	__u32 ret_code;
} __attribute__((packed));

/* Bytes of the subchannel information block. */
#define SCHIB_AREA_SIZE 52

/**
 * struct ccw_schib_region - the SCHIB region (VFIO_REGION_SUBTYPE_CCW_SCHIB)
 * @schib_area: the subchannel's SCHIB, fetched (STORE SUBCHANNEL) on read
 */
struct ccw_schib_region {
	__u8 schib_area[SCHIB_AREA_SIZE];
} __attribute__((packed));

/**
 * struct ccw_crw_region - the CRW region (VFIO_REGION_SUBTYPE_CCW_CRW)
 * @crw: the oldest pending channel report word, 0 when none is left
 * @pad: reserved
 */
struct ccw_crw_region {
	__u32 crw;
	__u32 pad;
} __attribute__((packed));

#endif /* _UAPI_LINUX_VFIO_CCW_H */
