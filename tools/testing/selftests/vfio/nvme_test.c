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

static int dma_map(int container, void *va, unsigned long long iova,
		   unsigned long size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (unsigned long)va,
		.iova = iova,
		.size = size,
	};

	return vfio_ioctl(container, VFIO_IOMMU_MAP_DMA, &map);
}

static int dma_unmap(int container, unsigned long long iova,
		     unsigned long size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
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

	mem = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	memset(mem, 0, 3 * PAGE);
	self->sq = mem;
	self->cq = (void *)((char *)mem + PAGE);
	self->data = (unsigned char *)mem + 2 * PAGE;
	ASSERT_EQ(0, dma_map(self->h.container, self->sq, IOVA_SQ, PAGE));
	ASSERT_EQ(0, dma_map(self->h.container, self->cq, IOVA_CQ, PAGE));
	ASSERT_EQ(0, dma_map(self->h.container, self->data, IOVA_DATA, PAGE));

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

/* Submit Identify Controller into @iova; returns the status or -1. */
static int identify(struct _test_data_nvme_drv *self, unsigned short cid,
		    unsigned long long iova)
{
	struct nvme_sqe *sqe = &self->sq[self->sq_tail];
	volatile struct nvme_cqe *cqe;
	int doorbell = 0x1000, ms;

	memset(sqe, 0, sizeof(*sqe));
	sqe->cdw0 = 0x06 | (unsigned int)cid << 16;
	sqe->prp1 = iova;
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

/* Whether @data holds QEMU's PCI vendor ID and the serial it was given. */
static bool identified(const unsigned char *data)
{
	return (data[0] | data[1] << 8) == 0x1b36 &&
	       !memcmp(data + 4, "vfiotest0", 9);
}

TEST_F(nvme_drv, identify_then_unmapped)
{
	int i, kmsg, touched = 0;
	bool saw = false;

	PCI_NEED_DEVICE();

	ASSERT_EQ(0, identify(self, 1, IOVA_DATA));
	EXPECT_TRUE(identified(self->data));

	/* The buffer leaves the IOMMU: the device must not reach it. */
	memset(self->data, 0, PAGE);
	ASSERT_EQ(0, dma_unmap(self->h.container, IOVA_DATA, PAGE));
	pci_eventfd_wait(self->efd, 10);
	kmsg = kmsg_open_at_end();
	ASSERT_LE(0, kmsg);
	identify(self, 2, IOVA_DATA);
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

#define SZ_1M		(1UL << 20)
#define SZ_2M		(2 * SZ_1M)
#define IOVA_HUGE	0x40000000ULL

/* Populated private hugetlb memory filled with @fill, or NULL. */
static unsigned char *hugetlb_buf(size_t size, int fill)
{
	unsigned char *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
				  MAP_POPULATE, -1, 0);

	if (mem == MAP_FAILED)
		return NULL;
	memset(mem, fill, size);
	return mem;
}

/*
 * type1 pins hugetlb memory one page per huge page: the device must
 * still reach every page of each, the last one included, and when a
 * mapping starts inside a huge page at an IOVA aligned otherwise.
 */
TEST_F(nvme_drv, identify_into_hugetlb)
{
	int c = self->h.container;
	unsigned char *mem;
	long pool;

	PCI_NEED_DEVICE();
	pool = vfio_hugetlb_grow(2);
	if (pool < 0)
		SKIP(return, "no 2 MiB huge pages to be had");
	mem = hugetlb_buf(4 * SZ_1M, 0);
	ASSERT_NE(NULL, mem);

	ASSERT_EQ(0, dma_map(c, mem, IOVA_HUGE, 4 * SZ_1M));
	ASSERT_EQ(0, identify(self, 1, IOVA_HUGE + 4 * SZ_1M - PAGE));
	EXPECT_TRUE(identified(mem + 4 * SZ_1M - PAGE));
	ASSERT_EQ(0, dma_unmap(c, IOVA_HUGE, 4 * SZ_1M));

	/* 1 MiB into the first huge page, onto a 2 MiB aligned IOVA. */
	memset(mem, 0, 4 * SZ_1M);
	ASSERT_EQ(0, dma_map(c, mem + SZ_1M, IOVA_HUGE, 3 * SZ_1M));
	ASSERT_EQ(0, identify(self, 2, IOVA_HUGE + 3 * PAGE));
	EXPECT_TRUE(identified(mem + SZ_1M + 3 * PAGE));
	ASSERT_EQ(0, identify(self, 3, IOVA_HUGE + SZ_1M + 5 * PAGE));
	EXPECT_TRUE(identified(mem + SZ_2M + 5 * PAGE));
	ASSERT_EQ(0, dma_unmap(c, IOVA_HUGE, 3 * SZ_1M));

	munmap(mem, 4 * SZ_1M);
	vfio_hugetlb_restore(pool);
}

/*
 * After fork, private hugetlb memory is shared copy-on-write.  Mapping
 * it for the device to write must first give this process a copy of its
 * own: the device's writes show here and not in the child.
 */
TEST_F(nvme_drv, identify_into_hugetlb_after_fork)
{
	int c = self->h.container, go[2], status, i, other = 0;
	unsigned char *mem;
	long pool;
	pid_t pid;

	PCI_NEED_DEVICE();
	pool = vfio_hugetlb_grow(2);
	if (pool < 0)
		SKIP(return, "no 2 MiB huge pages to be had");
	mem = hugetlb_buf(SZ_2M, 0xaa);
	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Once the device wrote: is the child's copy as it was? */
		if (read(go[0], &status, 1) != 1)
			_exit(2);
		for (i = 0; i < PAGE; i++)
			other |= mem[5 * PAGE + i] ^ 0xaa;
		_exit(other ? 1 : 0);
	}

	ASSERT_EQ(0, dma_map(c, mem, IOVA_HUGE, SZ_2M));
	ASSERT_EQ(0, identify(self, 1, IOVA_HUGE + 5 * PAGE));
	EXPECT_TRUE(identified(mem + 5 * PAGE));
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	ASSERT_EQ(0, dma_unmap(c, IOVA_HUGE, SZ_2M));

	close(go[0]);
	close(go[1]);
	munmap(mem, SZ_2M);
	vfio_hugetlb_restore(pool);
}

/* The standard VGA: its BAR 0 is 16 MiB of video memory. */
#define PCI_PEER	"0000:00:09.0"
#define IOVA_PEER	0x80000000ULL

/* The peer on vfio-pci, its group in @container: its device fd. */
static int peer_open(int container, char *old, size_t len, int *group)
{
	int ret = pci_bind_vfio(PCI_PEER, old, len);

	if (ret)
		return ret;
	ret = pci_group_of(PCI_PEER);
	*group = ret < 0 ? ret : vfio_open_group(ret);
	if (*group < 0)
		return *group;
	ret = vfio_group_set_container(*group, container);
	if (ret)
		return ret;
	return vfio_ioctl(*group, VFIO_GROUP_GET_DEVICE_FD, PCI_PEER);
}

/* Identify into @off of the peer's BAR, read back through the device. */
static bool identify_into_peer(struct _test_data_nvme_drv *self, int peer,
			       const struct vfio_region_info *bar,
			       unsigned short cid, unsigned long long off)
{
	unsigned char page[PAGE] = {};

	if (pwrite(peer, page, PAGE, bar->offset + off) != PAGE ||
	    identify(self, cid, IOVA_PEER + off) ||
	    pread(peer, page, PAGE, bar->offset + off) != PAGE)
		return false;
	return identified(page);
}

/*
 * Peer-to-peer DMA: another function's BAR, mmapped through vfio-pci and
 * never touched (none of its pages is mapped yet), is mapped for the NVMe
 * to write into.  type1 faults the BAR in and maps its frames: the NVMe's
 * writes land at the page of the BAR they were aimed at (in the first
 * page, past the first 2 MiB a fault maps at once, in the last page), and
 * nothing is pinned or charged to locked_vm.
 */
TEST_F(nvme_drv, identify_into_peer_bar)
{
	struct vfio_region_info bar;
	int c = self->h.container, group = -1, peer;
	long pins, kb;
	char old[64];
	unsigned short cmd;
	void *map;

	PCI_NEED_DEVICE();
	peer = peer_open(c, old, sizeof(old), &group);
	if (peer == PCI_ABSENT)
		SKIP(return, "no " PCI_PEER);
	ASSERT_LE(0, peer);
	ASSERT_EQ(0, pci_region_info(peer, VFIO_PCI_BAR0_REGION_INDEX, &bar,
				     sizeof(bar)));
	ASSERT_LE(4 * SZ_1M, bar.size);
	ASSERT_TRUE(bar.flags & VFIO_REGION_INFO_FLAG_MMAP);
	cmd = pci_cfg_read16(peer, PCI_COMMAND) | PCI_COMMAND_MEMORY;
	ASSERT_EQ(2, pci_cfg_write(peer, PCI_COMMAND, &cmd, 2));
	map = mmap(NULL, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED, peer,
		   bar.offset);
	ASSERT_NE(MAP_FAILED, map);

	pins = vfio_pinned_pages();
	kb = vfio_vmlck_kb();
	ASSERT_EQ(0, dma_map(c, map, IOVA_PEER, bar.size));
	EXPECT_EQ(pins, vfio_pinned_pages());
	EXPECT_EQ(kb, vfio_vmlck_kb());
	EXPECT_TRUE(identify_into_peer(self, peer, &bar, 1, 0));
	EXPECT_TRUE(identify_into_peer(self, peer, &bar, 2,
				       3 * SZ_1M + 5 * PAGE));
	EXPECT_TRUE(identify_into_peer(self, peer, &bar, 3, bar.size - PAGE));
	ASSERT_EQ(0, dma_unmap(c, IOVA_PEER, bar.size));

	munmap(map, bar.size);
	close(peer);
	close(group);
	pci_unbind_vfio(PCI_PEER, old);
}

TEST_HARNESS_MAIN
