/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared between the files of vfio_mock.ko. */
#ifndef __VFIO_MOCK_H
#define __VFIO_MOCK_H

struct dentry;

int vfio_mock_iommu_init(struct dentry *debugfs);
void vfio_mock_iommu_exit(void);

#endif /* __VFIO_MOCK_H */
