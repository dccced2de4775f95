/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * Test-only interface of vfio_mock.ko, shared with
 * tools/testing/selftests/vfio.  Not a stable ABI: it changes with the
 * selftests.
 *
 * Devices are created and destroyed through debugfs:
 *
 *   echo "ID SET [FLAG...]" > /sys/kernel/debug/vfio_mock/create
 *   echo "ID" > /sys/kernel/debug/vfio_mock/destroy
 *
 * ID (0..1023) names the device "vfio-mock.ID" (the string to pass to
 * VFIO_GROUP_GET_DEVICE_FD); it gets its own emulated-IOMMU group, found
 * at /sys/bus/platform/devices/vfio-mock.ID/iommu_group.  SET is the device
 * set: devices created with the same non-zero SET share one set, SET 0
 * gives the device a set of its own.  FLAGs:
 *
 *   kvm      open_device fails with -EPERM unless a KVM was captured
 *   unmap    the device has a dma_unmap callback, which unpins what the
 *            device pinned in the range (so the backend registers it)
 *   kvmlock  open_device and close_device take the captured KVM's
 *            kvm->lock, as vfio-ap and s390 zPCI do
 *   log      the device has dirty-logging callbacks (log_ops): it records
 *            the ranges of DMA_LOGGING_START and reports every third page
 *            of them (page index divisible by 3) dirty in each REPORT
 *
 * The module also registers a mock IOMMU backend for the private
 * VFIO_SET_IOMMU type VFIO_MOCK_IOMMU, so containers work without a real
 * backend.  /sys/kernel/debug/vfio_mock/iommu counts what the core asked
 * of it: "instances" (live backend instances), "groups" (attached groups),
 * "devices" (registered dma_unmap devices), "closes" (container-close
 * notifications so far).
 *
 * For a device in a real IOMMU group (an IOMMU domain behind it), bind a
 * PCI device to the mock's PCI driver instead:
 *
 *   echo vfio-mock-pci > /sys/bus/pci/devices/BDF/driver_override
 *   echo BDF > /sys/bus/pci/devices/BDF/driver/unbind
 *   echo BDF > /sys/bus/pci/drivers_probe
 *
 * It is registered with vfio_register_group_dev() under its own device set,
 * has no dma_unmap callback and answers the same ioctls, passing on what
 * the core and the backend say; its stats are under
 * /sys/kernel/debug/vfio_mock/BDF/stats.
 *
 * destroy blocks until every fd of the device is closed; meanwhile the
 * core calls the device's request callback, counted in "requests".
 *
 * /sys/kernel/debug/vfio_mock/ID/stats reads one "key value" per line:
 *   opens, closes       open_device / close_device calls so far
 *   set_open_count      vfio_device_set_open_count() seen at the last
 *                       open_device or close_device call
 *   kvm                 1 while the device holds a captured KVM
 *   requests            request callback calls
 *   unmaps              dma_unmap callback calls
 *   unmap_iova, unmap_length   arguments of the last dma_unmap call
 *   pinned              pages the device holds pinned now
 *   overlap             1 if two open/close callbacks of the device set
 *                       ever ran at the same time (must stay 0)
 *   log_active          1 while dirty logging is started
 *   log_ranges          ranges of the current logging
 *   log_starts, log_reports   log_start / log_read_and_clear calls so far
 */
#ifndef __VFIO_MOCK_API_H
#define __VFIO_MOCK_API_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* VFIO_SET_IOMMU type of the mock backend, far from VFIO's own types. */
#define VFIO_MOCK_IOMMU		0x564d4f43

/* Device-specific ioctls on the mock's device fd, far from VFIO's own. */
#define VFIO_MOCK_IOCTL_BASE	(100 + 64)

/**
 * struct vfio_mock_pin - VFIO_MOCK_PIN / VFIO_MOCK_UNPIN
 * @argsz: sizeof(struct vfio_mock_pin)
 * @flags: VFIO_MOCK_PIN_WRITE to pin for writing (PIN only)
 * @iova: first IOVA, page aligned
 * @npages: number of pages
 *
 * PIN calls vfio_pin_pages() and keeps the pages until UNPIN, dma_unmap or
 * close; it returns the ioctl result of vfio_pin_pages() (pages pinned or
 * -errno).  UNPIN calls vfio_unpin_pages() on pages the mock holds.
 */
struct vfio_mock_pin {
	__u32 argsz;
	__u32 flags;
#define VFIO_MOCK_PIN_WRITE	(1 << 0)
	__u64 iova;
	__u64 npages;
};

#define VFIO_MOCK_PIN		_IO(';', VFIO_MOCK_IOCTL_BASE + 0)
#define VFIO_MOCK_UNPIN		_IO(';', VFIO_MOCK_IOCTL_BASE + 1)

/**
 * struct vfio_mock_rw - VFIO_MOCK_DMA_RW: vfio_dma_rw() on behalf of the test
 * @argsz: sizeof(struct vfio_mock_rw)
 * @flags: VFIO_MOCK_RW_WRITE copies @data to the IOVA, else from it
 * @iova: IOVA to access
 * @data: user pointer of the test's buffer
 * @length: bytes to copy (at most 1 MiB)
 */
struct vfio_mock_rw {
	__u32 argsz;
	__u32 flags;
#define VFIO_MOCK_RW_WRITE	(1 << 0)
	__u64 iova;
	__u64 data;
	__u64 length;
};

#define VFIO_MOCK_DMA_RW	_IO(';', VFIO_MOCK_IOCTL_BASE + 2)

/*
 * VFIO_MOCK_KVM_IS: the argument is a KVM VM fd (from KVM_CREATE_VM);
 * returns 1 if that VM is the one the device captured, 0 if not (or if none
 * was captured), -EBADF/-EINVAL if the fd is not a KVM VM.
 */
#define VFIO_MOCK_KVM_IS	_IO(';', VFIO_MOCK_IOCTL_BASE + 3)

#endif /* __VFIO_MOCK_API_H */
