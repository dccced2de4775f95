#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# No-IOMMU mode, in a VM of its own without a virtual IOMMU (as most
# cloud VMs are): noiommu_test, then DPDK's testpmd forwarding between
# the virtio-net and the e1000 through no-IOMMU mode (--iova-mode=pa),
# which Debian's own VFIO modules cannot do.  The DPDK client's run with
# VFIO_NOIOMMU=1 (see there); a full make check runs it after the suite,
# make check-noiommu alone.
#
#   run.sh OUT KVER OUR.ko...
VFIO_NOIOMMU=1 exec "$(dirname "$0")/../dpdk/run.sh" "$@"
