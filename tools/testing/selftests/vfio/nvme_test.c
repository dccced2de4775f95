// SPDX-License-Identifier: GPL-2.0-only
/*
 * A minimal userspace NVMe driver over vfio-pci and type1: admin queues in
 * DMA-mapped memory, registers through the BAR mmap, completions by MSI-X
 * eventfd.  Identify Controller must land in our buffer; after the buffer
 * is unmapped from the IOMMU the same command must be stopped by the IOMMU:
 * the guest kernel logs a DMA remapping fault at that IOVA and the (still
 * allocated) memory stays untouched.  QEMU 7.2's NVMe model does not turn a
 * failed DMA into an error status, so the fault record is the evidence.
 *
 * Skips when type1 is not available (only the mock backend).
 */
#include "../kselftest_harness.h"
#include "pci_test_util.h"

#define NVME_CAP	0x00
#define NVME_CC		0x14
#define NVME_CSTS	0x1c
#define NVME_AQA	0x24
#define NVME_ASQ	0x28
#define NVME_ACQ	0x30
#define NVME_QSIZE	16
#define IOVA_SQ		0x100000ULL
#define IOVA_CQ		0x101000ULL
#define IOVA_DATA	0x200000ULL
#define PAGE		4096

struct nvme_sqe {
	unsigned int cdw0;
	unsigned int nsid;
	unsigned long long rsvd;
	unsigned long long mptr;
	unsigned long long prp1;
	unsigned long long prp2;
	unsigned int cdw10[6];
};

struct nvme_cqe {
	unsigned int dw0;
	unsigned int dw1;
	unsigned short sq_head;
	unsigned short sq_id;
	unsigned short cid;
	unsigned short status;
};

FIXTURE(nvme_drv) {
	struct pci_handle h;
	volatile unsigned char *bar;
	size_t bar_size;
	struct nvme_sqe *sq;
	struct nvme_cqe *cq;
	unsigned char *data;
	int efd;
	unsigned int sq_tail, cq_head, phase, dstrd;
};

static int dma_map(int container, void *va, unsigned long long iova)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (unsigned long)va,
		.iova = iova,
		.size = PAGE,
	};

	return vfio_ioctl(container, VFIO_IOMMU_MAP_DMA, &map);
}

static int dma_unmap(int container, unsigned long long iova)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = PAGE,
	};

	return vfio_ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap);
}

static unsigned int rd32(volatile unsigned char *bar, int off)
{
	return *(volatile unsigned int *)(bar + off);
}

static void wr32(volatile unsigned char *bar, int off, unsigned int val)
{
	*(volatile unsigned int *)(bar + off) = val;
}

static void wr64(volatile unsigned char *bar, int off, unsigned long long v)
{
	wr32(bar, off, (unsigned int)v);
	wr32(bar, off + 4, (unsigned int)(v >> 32));
}

static int wait_ready(volatile unsigned char *bar, unsigned int want)
{
	int i;

	for (i = 0; i < 5000; i++) {
		if ((rd32(bar, NVME_CSTS) & 1) == want)
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

FIXTURE_SETUP(nvme_drv)
{
	struct vfio_region_info info;
	unsigned short cmd;
	void *mem;
	int ret;

	self->bar = NULL;
	self->efd = -1;
	ret = pci_handle_setup(&self->h, PCI_NVME);
	if (ret == PCI_ABSENT)
		SKIP(return, "no vfio-pci or no NVMe (%d)", ret);
	ASSERT_EQ(0, ret);
	if (self->h.iommu_type == VFIO_MOCK_IOMMU)
		SKIP(return, "no type1 IOMMU backend");

	mem = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	memset(mem, 0, 3 * PAGE);
	self->sq = mem;
	self->cq = (void *)((char *)mem + PAGE);
	self->data = (unsigned char *)mem + 2 * PAGE;
	ASSERT_EQ(0, dma_map(self->h.container, self->sq, IOVA_SQ));
	ASSERT_EQ(0, dma_map(self->h.container, self->cq, IOVA_CQ));
	ASSERT_EQ(0, dma_map(self->h.container, self->data, IOVA_DATA));

	ASSERT_EQ(0, pci_region_info(self->h.device, 0, &info, sizeof(info)));
	self->bar_size = info.size;
	self->bar = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->h.device, info.offset);
	ASSERT_NE(MAP_FAILED, self->bar);

	self->efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_EQ(0, pci_set_irqs(self->h.device, VFIO_PCI_MSIX_IRQ_INDEX,
				  VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1,
				  &self->efd, 4));

	cmd = pci_cfg_read16(self->h.device, PCI_COMMAND) |
	      PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	ASSERT_EQ(2, pci_cfg_write(self->h.device, PCI_COMMAND, &cmd, 2));

	/* Disable, program the admin queues, enable. */
	self->dstrd = (rd32(self->bar, NVME_CAP + 4) & 0xf);
	wr32(self->bar, NVME_CC, 0);
	ASSERT_EQ(0, wait_ready(self->bar, 0));
	wr32(self->bar, NVME_AQA, (NVME_QSIZE - 1) << 16 | (NVME_QSIZE - 1));
	wr64(self->bar, NVME_ASQ, IOVA_SQ);
	wr64(self->bar, NVME_ACQ, IOVA_CQ);
	wr32(self->bar, NVME_CC, 1 | 6 << 16 | 4 << 20);
	ASSERT_EQ(0, wait_ready(self->bar, 1));
	self->sq_tail = self->cq_head = 0;
	self->phase = 1;
}

FIXTURE_TEARDOWN(nvme_drv)
{
	if (self->bar && self->bar != MAP_FAILED) {
		wr32(self->bar, NVME_CC, 0);
		wait_ready(self->bar, 0);
		munmap((void *)self->bar, self->bar_size);
	}
	if (self->efd >= 0)
		close(self->efd);
	pci_handle_teardown(&self->h);
}

/* Submit Identify Controller into IOVA_DATA; returns the status or -1. */
static int identify(struct _test_data_nvme_drv *self, unsigned short cid)
{
	struct nvme_sqe *sqe = &self->sq[self->sq_tail];
	volatile struct nvme_cqe *cqe;
	int doorbell = 0x1000, ms;

	memset(sqe, 0, sizeof(*sqe));
	sqe->cdw0 = 0x06 | (unsigned int)cid << 16;
	sqe->prp1 = IOVA_DATA;
	sqe->cdw10[0] = 1;
	self->sq_tail = (self->sq_tail + 1) % NVME_QSIZE;
	__sync_synchronize();
	wr32(self->bar, doorbell, self->sq_tail);

	/* MSI-X vector 0 fires for the admin completion queue. */
	pci_eventfd_wait(self->efd, 5000);
	cqe = &self->cq[self->cq_head];
	for (ms = 0; ms < 1000 && (cqe->status & 1) != self->phase; ms++)
		usleep(1000);
	if ((cqe->status & 1) != self->phase)
		return -1;
	self->cq_head = (self->cq_head + 1) % NVME_QSIZE;
	if (!self->cq_head)
		self->phase ^= 1;
	wr32(self->bar, doorbell + (4 << self->dstrd), self->cq_head);
	return cqe->status >> 1;
}

TEST_F(nvme_drv, identify_then_unmapped)
{
	int i, kmsg, touched = 0;
	bool saw = false;

	PCI_NEED_DEVICE();
	if (self->h.iommu_type == VFIO_MOCK_IOMMU)
		SKIP(return, "no type1 IOMMU backend");

	ASSERT_EQ(0, identify(self, 1));
	/* PCI vendor ID and the serial number QEMU was given. */
	EXPECT_EQ(0x1b36, self->data[0] | self->data[1] << 8);
	EXPECT_EQ(0, memcmp(self->data + 4, "vfiotest0", 9));

	/* The buffer leaves the IOMMU: the device must not reach it. */
	memset(self->data, 0, PAGE);
	ASSERT_EQ(0, dma_unmap(self->h.container, IOVA_DATA));
	pci_eventfd_wait(self->efd, 10);
	kmsg = kmsg_open_at_end();
	ASSERT_LE(0, kmsg);
	identify(self, 2);
	for (i = 0; i < PAGE; i++)
		touched |= self->data[i];
	EXPECT_EQ(0, touched);
	/* The fault report is printed from the IOMMU's interrupt. */
	for (i = 0; i < 100 && !saw; i++) {
		saw = kmsg_saw(kmsg, "DMAR", "fault addr 0x200000", NULL, NULL);
		if (!saw)
			usleep(10000);
	}
	EXPECT_TRUE(saw);
	close(kmsg);
}

TEST_HARNESS_MAIN
