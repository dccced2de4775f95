/* SPDX-License-Identifier: GPL-2.0-only */
/* One ABI fact of a uapi header: a value, a size, an offset or a string. */
#ifndef __ABI_TABLE_H
#define __ABI_TABLE_H

struct abi_entry {
	const char *category;
	const char *label;
	long long value;
	const char *string;
};

/* Ours and the distribution's, for vfio.h and vfio_zdev.h. */
extern const struct abi_entry abi_vfio_ours[], abi_vfio_theirs[];
extern const struct abi_entry abi_zdev_ours[], abi_zdev_theirs[];
extern const struct abi_entry abi_ccw_ours[], abi_ccw_theirs[];

#endif
