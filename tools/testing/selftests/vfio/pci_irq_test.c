// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci interrupts: GET_IRQ_INFO, SET_IRQS validation with the exact
 * errnos, MSI-X and INTx eventfds (loopback triggers, masking), the
 * ERR and REQ indexes.  NVMe (MSI-X) and e1000 (INTx, MSI).
 *
 * MSI-X vectors sharing an eventfd, with KVM's irqfd as the bypass
 * consumer when there is KVM; the MSI-X table seen through the BAR mmap
 * while userspace turns memory decode off and while it clobbers an entry;
 * a real NVMe completion raising a repaired vector.
 */
#include <endian.h>
#include <linux/kvm.h>

#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "pci_test_util.h"

#define EFD_FLAGS	(EFD_NONBLOCK | EFD_CLOEXEC)
#define TRIG_EVENTFD	(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)
#define TRIG_NONE	(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER)

FIXTURE(irq) {
	struct pci_handle h;
};

FIXTURE_VARIANT(irq) {
	const char *bdf;
};

FIXTURE_VARIANT_ADD(irq, nvme) {
	.bdf = PCI_NVME,
};

FIXTURE_VARIANT_ADD(irq, e1000) {
	.bdf = PCI_E1000,
};

FIXTURE_SETUP(irq)
{
	int ret = pci_handle_setup(&self->h, variant->bdf);

	if (ret == PCI_ABSENT)
		SKIP(return, "no vfio-pci or no device at %s (%d)", variant->bdf, ret);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(irq)
{
	pci_handle_teardown(&self->h);
}

static int irq_count(int fd, unsigned int index, unsigned int *flags)
{
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = index };
	int ret = vfio_ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, &info);

	if (flags)
		*flags = info.flags;
	return ret < 0 ? ret : (int)info.count;
}

TEST_F(irq, info)
{
	struct vfio_irq_info info = { .argsz = sizeof(info) };
	unsigned int flags;

	PCI_NEED_DEVICE();

	EXPECT_GE(irq_count(self->h.device, VFIO_PCI_REQ_IRQ_INDEX, &flags), 1);
	EXPECT_TRUE(flags & VFIO_IRQ_INFO_EVENTFD);
	if (irq_count(self->h.device, VFIO_PCI_INTX_IRQ_INDEX, &flags) == 1)
		EXPECT_TRUE(flags & VFIO_IRQ_INFO_AUTOMASKED);

	info.index = VFIO_PCI_NUM_IRQS;
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->h.device,
				      VFIO_DEVICE_GET_IRQ_INFO, &info));
	info.index = 0;
	info.argsz = 8;
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->h.device,
				      VFIO_DEVICE_GET_IRQ_INFO, &info));
}

TEST_F(irq, set_irqs_validation)
{
	int efd = eventfd(0, EFD_FLAGS), fds[2] = { efd, efd };
	int n = irq_count(self->h.device, VFIO_PCI_MSIX_IRQ_INDEX, NULL);
	unsigned int idx = n > 0 ? VFIO_PCI_MSIX_IRQ_INDEX :
				   VFIO_PCI_MSI_IRQ_INDEX;

	PCI_NEED_DEVICE();

	n = irq_count(self->h.device, idx, NULL);
	if (n <= 0)
		SKIP(return, "no MSI or MSI-X");
	/* Bad index, start/count past the end, wrapping, unknown flags. */
	EXPECT_EQ(-EINVAL, pci_set_irqs(self->h.device, VFIO_PCI_NUM_IRQS,
					TRIG_NONE, 0, 1, NULL, 0));
	EXPECT_EQ(-EINVAL, pci_set_irqs(self->h.device, idx, TRIG_EVENTFD,
					n, 1, fds, 4));
	EXPECT_EQ(-EINVAL, pci_set_irqs(self->h.device, idx, TRIG_EVENTFD,
					n - 1, 2, fds, 8));
	EXPECT_EQ(-EINVAL, pci_set_irqs(self->h.device, idx, TRIG_EVENTFD,
					1, 0xffffffff, fds, 8));
	EXPECT_EQ(-EINVAL, pci_set_irqs(self->h.device, idx,
					TRIG_EVENTFD | 0x100, 0, 1, fds, 4));
	/* Two data types, two actions (no such operation), none at all. */
	EXPECT_EQ(-EINVAL, pci_set_irqs(self->h.device, idx,
					TRIG_EVENTFD | VFIO_IRQ_SET_DATA_BOOL,
					0, 1, fds, 4));
	EXPECT_EQ(-ENOTTY, pci_set_irqs(self->h.device, idx,
					TRIG_NONE | VFIO_IRQ_SET_ACTION_MASK,
					0, 1, NULL, 0));
	EXPECT_EQ(-EINVAL, pci_set_irqs(self->h.device, idx, 0, 0, 1,
					NULL, 0));
	/* argsz too small for the eventfds. */
	EXPECT_EQ(-EINVAL, pci_set_irqs(self->h.device, idx, TRIG_EVENTFD,
					0, 2, fds, 4));
	/* Message interrupts cannot be masked through VFIO. */
	EXPECT_EQ(-ENOTTY, pci_set_irqs(self->h.device, idx,
					VFIO_IRQ_SET_DATA_NONE |
					VFIO_IRQ_SET_ACTION_MASK, 0, 1,
					NULL, 0));
	/* Loopback trigger of a disabled index. */
	EXPECT_EQ(-EINVAL, pci_set_irqs(self->h.device, idx, TRIG_NONE, 0, 1,
					NULL, 0));
	/* Not an eventfd. */
	fds[0] = self->h.group;
	EXPECT_NE(0, pci_set_irqs(self->h.device, idx, TRIG_EVENTFD, 0, 1,
				  fds, 4));
	/* Nothing changed: enabling now works. */
	fds[0] = efd;
	EXPECT_EQ(0, pci_set_irqs(self->h.device, idx, TRIG_EVENTFD, 0, 1,
				  fds, 4));
	EXPECT_EQ(0, pci_set_irqs(self->h.device, idx, TRIG_NONE, 0, 0,
				  NULL, 0));
	close(efd);
}

TEST_F(irq, msi_loopback)
{
	int idx = VFIO_PCI_MSIX_IRQ_INDEX, n, i, efd[4];
	unsigned char yes[4] = { 0, 1, 0, 0 };

	PCI_NEED_DEVICE();

	n = irq_count(self->h.device, idx, NULL);
	if (n <= 0) {
		idx = VFIO_PCI_MSI_IRQ_INDEX;
		n = irq_count(self->h.device, idx, NULL);
	}
	if (n <= 0)
		SKIP(return, "no MSI or MSI-X");
	n = n > 4 ? 4 : n;
	for (i = 0; i < n; i++)
		efd[i] = eventfd(0, EFD_FLAGS);

	ASSERT_EQ(0, pci_set_irqs(self->h.device, idx, TRIG_EVENTFD, 0, n,
				  efd, n * 4));
	/* Another index cannot be enabled meanwhile. */
	EXPECT_EQ(-EINVAL, pci_set_irqs(self->h.device,
					idx == VFIO_PCI_MSIX_IRQ_INDEX ?
					VFIO_PCI_MSI_IRQ_INDEX :
					VFIO_PCI_MSIX_IRQ_INDEX,
					TRIG_EVENTFD, 0, 1, efd, 4));

	ASSERT_EQ(0, pci_set_irqs(self->h.device, idx, TRIG_NONE, 0, n,
				  NULL, 0));
	for (i = 0; i < n; i++)
		EXPECT_EQ(1, pci_eventfd_wait(efd[i], 1000));

	if (n > 1) {
		ASSERT_EQ(0, pci_set_irqs(self->h.device, idx,
					  VFIO_IRQ_SET_DATA_BOOL |
					  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 2,
					  yes, 2));
		EXPECT_EQ(0, pci_eventfd_wait(efd[0], 100));
		EXPECT_EQ(1, pci_eventfd_wait(efd[1], 1000));

		/* Detach one vector, the others keep working. */
		i = -1;
		ASSERT_EQ(0, pci_set_irqs(self->h.device, idx, TRIG_EVENTFD,
					  1, 1, &i, 4));
		ASSERT_EQ(0, pci_set_irqs(self->h.device, idx, TRIG_NONE, 0,
					  2, NULL, 0));
		EXPECT_EQ(1, pci_eventfd_wait(efd[0], 1000));
		EXPECT_EQ(0, pci_eventfd_wait(efd[1], 100));
	}

	ASSERT_EQ(0, pci_set_irqs(self->h.device, idx, TRIG_NONE, 0, 0,
				  NULL, 0));
	/* Disabled: loopback is refused. */
	EXPECT_EQ(-EINVAL, pci_set_irqs(self->h.device, idx, TRIG_NONE, 0, 1,
					NULL, 0));
	for (i = 0; i < n; i++)
		close(efd[i]);
}

TEST_F(irq, intx)
{
	int efd, unmask, fd;
	unsigned short cmd;

	PCI_NEED_DEVICE();

	if (irq_count(self->h.device, VFIO_PCI_INTX_IRQ_INDEX, NULL) != 1)
		SKIP(return, "no INTx");
	efd = eventfd(0, EFD_FLAGS);
	unmask = eventfd(0, EFD_FLAGS);

	/* Masking needs INTx enabled first. */
	EXPECT_EQ(-EINVAL, pci_set_irqs(self->h.device,
					VFIO_PCI_INTX_IRQ_INDEX,
					VFIO_IRQ_SET_DATA_NONE |
					VFIO_IRQ_SET_ACTION_MASK, 0, 1,
					NULL, 0));
	ASSERT_EQ(0, pci_set_irqs(self->h.device, VFIO_PCI_INTX_IRQ_INDEX,
				  TRIG_EVENTFD, 0, 1, &efd, 4));
	ASSERT_EQ(0, pci_set_irqs(self->h.device, VFIO_PCI_INTX_IRQ_INDEX,
				  TRIG_NONE, 0, 1, NULL, 0));
	EXPECT_EQ(1, pci_eventfd_wait(efd, 1000));

	ASSERT_EQ(0, pci_set_irqs(self->h.device, VFIO_PCI_INTX_IRQ_INDEX,
				  VFIO_IRQ_SET_DATA_NONE |
				  VFIO_IRQ_SET_ACTION_MASK, 0, 1, NULL, 0));
	/* With PCI 2.3 masking the device's INTx disable bit is set now. */
	ASSERT_EQ(0, pci_set_irqs(self->h.device, VFIO_PCI_INTX_IRQ_INDEX,
				  VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_UNMASK, 0, 1,
				  &unmask, 4));
	eventfd_write(unmask, 1);
	usleep(100000);
	fd = -1;
	ASSERT_EQ(0, pci_set_irqs(self->h.device, VFIO_PCI_INTX_IRQ_INDEX,
				  VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, &fd, 4));
	/* Wrong count for masking. */
	EXPECT_EQ(-EINVAL, pci_set_irqs(self->h.device,
					VFIO_PCI_INTX_IRQ_INDEX,
					VFIO_IRQ_SET_DATA_NONE |
					VFIO_IRQ_SET_ACTION_UNMASK, 0, 0,
					NULL, 0));

	/* The virtual INTx disable bit reads back what was written. */
	cmd = pci_cfg_read16(self->h.device, PCI_COMMAND) |
	      PCI_COMMAND_INTX_DISABLE;
	ASSERT_EQ(2, pci_cfg_write(self->h.device, PCI_COMMAND, &cmd, 2));
	EXPECT_TRUE(pci_cfg_read16(self->h.device, PCI_COMMAND) &
		    PCI_COMMAND_INTX_DISABLE);
	cmd &= ~PCI_COMMAND_INTX_DISABLE;
	ASSERT_EQ(2, pci_cfg_write(self->h.device, PCI_COMMAND, &cmd, 2));
	EXPECT_FALSE(pci_cfg_read16(self->h.device, PCI_COMMAND) &
		     PCI_COMMAND_INTX_DISABLE);

	ASSERT_EQ(0, pci_set_irqs(self->h.device, VFIO_PCI_INTX_IRQ_INDEX,
				  TRIG_NONE, 0, 0, NULL, 0));
	close(efd);
	close(unmask);
}

TEST_F(irq, req_and_err)
{
	int efd = eventfd(0, EFD_FLAGS), fd = -1;

	PCI_NEED_DEVICE();

	ASSERT_EQ(0, pci_set_irqs(self->h.device, VFIO_PCI_REQ_IRQ_INDEX,
				  TRIG_EVENTFD, 0, 1, &efd, 4));
	ASSERT_EQ(0, pci_set_irqs(self->h.device, VFIO_PCI_REQ_IRQ_INDEX,
				  TRIG_NONE, 0, 1, NULL, 0));
	EXPECT_EQ(1, pci_eventfd_wait(efd, 1000));
	ASSERT_EQ(0, pci_set_irqs(self->h.device, VFIO_PCI_REQ_IRQ_INDEX,
				  TRIG_EVENTFD, 0, 1, &fd, 4));
	EXPECT_EQ(-EINVAL, pci_set_irqs(self->h.device,
					VFIO_PCI_REQ_IRQ_INDEX,
					TRIG_NONE, 0, 1, NULL, 0));
	/* Notifications cannot be masked: no such operation (6.1's errno). */
	EXPECT_EQ(-ENOTTY, pci_set_irqs(self->h.device,
					VFIO_PCI_REQ_IRQ_INDEX,
					VFIO_IRQ_SET_DATA_NONE |
					VFIO_IRQ_SET_ACTION_UNMASK, 0, 1,
					NULL, 0));
	EXPECT_EQ(-ENOTTY, pci_set_irqs(self->h.device,
					VFIO_PCI_REQ_IRQ_INDEX,
					VFIO_IRQ_SET_DATA_NONE |
					VFIO_IRQ_SET_ACTION_MASK, 0, 1,
					NULL, 0));
	close(efd);
}

/*
 * Unbinding vfio-pci from a function that is open waits for the user to
 * close it, and asks through the request eventfd meanwhile: the eventfd
 * fires, the unbind is still waiting, and it completes once the device
 * file is closed.
 */
TEST_F(irq, req_on_unbind)
{
	int efd = eventfd(0, EFD_FLAGS), status;
	char path[PATH_MAX];
	pid_t pid;

	PCI_NEED_DEVICE();
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, pci_set_irqs(self->h.device, VFIO_PCI_REQ_IRQ_INDEX,
				  TRIG_EVENTFD, 0, 1, &efd, 4));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Its copy of the device fd would keep the unbind waiting. */
		pci_handle_close(&self->h);
		_exit(vfio_write_file("/sys/bus/pci/drivers/vfio-pci/unbind",
				      self->h.bdf) ? 1 : 0);
	}
	EXPECT_EQ(1, pci_eventfd_wait(efd, 20000));
	/* Still waiting for us. */
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG));
	pci_handle_close(&self->h);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/vfio-pci/%s",
		 self->h.bdf);
	EXPECT_NE(0, access(path, F_OK));
	close(efd);
}

/*
 * The corner cases of the request notification, answered as Linux 6.1
 * answers them (QEMU and DPDK only use the plain ones, but a user relying
 * on 6.1's answers must get them).
 */
TEST_F(irq, req_corner_cases_as_6_1)
{
	int d = self->h.device, efd = eventfd(0, EFD_FLAGS), fd;
	unsigned char yes = 1;
	const unsigned int req = VFIO_PCI_REQ_IRQ_INDEX;
	const unsigned int bool_trig = VFIO_IRQ_SET_DATA_BOOL |
				       VFIO_IRQ_SET_ACTION_TRIGGER;

	PCI_NEED_DEVICE();
	ASSERT_LE(0, efd);

	/* No eventfd: releasing fails, a DATA_BOOL signal does nothing. */
	EXPECT_EQ(-EINVAL, pci_set_irqs(d, req, TRIG_NONE, 0, 0, NULL, 0));
	EXPECT_EQ(0, pci_set_irqs(d, req, bool_trig, 0, 1, &yes, 1));

	/* An fd below -1 leaves the eventfd in place. */
	ASSERT_EQ(0, pci_set_irqs(d, req, TRIG_EVENTFD, 0, 1, &efd, 4));
	fd = -2;
	EXPECT_EQ(0, pci_set_irqs(d, req, TRIG_EVENTFD, 0, 1, &fd, 4));
	EXPECT_EQ(0, pci_set_irqs(d, req, bool_trig, 0, 1, &yes, 1));
	EXPECT_EQ(1, pci_eventfd_wait(efd, 1000));

	/* DATA_NONE with count 0 releases it. */
	EXPECT_EQ(0, pci_set_irqs(d, req, TRIG_NONE, 0, 0, NULL, 0));
	EXPECT_EQ(0, pci_set_irqs(d, req, bool_trig, 0, 1, &yes, 1));
	EXPECT_EQ(0, pci_eventfd_wait(efd, 200));
	close(efd);
}

/* The function's MSI-X table, mapped through its BAR. */
struct msix_map {
	void *bar;
	size_t bar_size;
	volatile unsigned int *table;	/* entry i, dword j: table[4 * i + j] */
	int nvec;
};

/* 0, or -ENOENT without MSI-X in a BAR that can be mapped. */
static int msix_map(int device, struct msix_map *m)
{
	unsigned char pos = pci_cfg_read8(device, PCI_CAPABILITY_LIST);
	struct vfio_region_info info;
	unsigned int table;
	int guard;

	memset(m, 0, sizeof(*m));
	for (guard = 0; pos && guard < 48; guard++) {
		if (pci_cfg_read8(device, pos) == PCI_CAP_ID_MSIX)
			break;
		pos = pci_cfg_read8(device, pos + 1);
	}
	if (!pos || guard == 48)
		return -ENOENT;
	m->nvec = (le16toh(pci_cfg_read16(device, pos + PCI_MSIX_FLAGS)) &
		   PCI_MSIX_FLAGS_QSIZE) + 1;
	table = le32toh(pci_cfg_read32(device, pos + PCI_MSIX_TABLE));
	if (pci_region_info(device, table & PCI_MSIX_TABLE_BIR, &info,
			    sizeof(info)) ||
	    !(info.flags & VFIO_REGION_INFO_FLAG_MMAP))
		return -ENOENT;
	m->bar = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      device, info.offset);
	if (m->bar == MAP_FAILED) {
		m->bar = NULL;
		return -ENOENT;
	}
	m->bar_size = info.size;
	m->table = (volatile unsigned int *)((char *)m->bar +
					     (table & PCI_MSIX_TABLE_OFFSET));
	return 0;
}

static void msix_unmap(struct msix_map *m)
{
	if (m->bar)
		munmap(m->bar, m->bar_size);
	m->bar = NULL;
}

static unsigned int msix_entry(struct msix_map *m, int vec, int dword)
{
	return le32toh(m->table[4 * vec + dword]);
}

static bool msix_masked(struct msix_map *m, int vec)
{
	return msix_entry(m, vec, PCI_MSIX_ENTRY_VECTOR_CTRL / 4) &
	       PCI_MSIX_ENTRY_CTRL_MASKBIT;
}

/* Set or clear bits of the command register through config space. */
static int command_set(int device, unsigned short bits, bool on)
{
	unsigned short cmd = le16toh(pci_cfg_read16(device, PCI_COMMAND));

	cmd = on ? cmd | bits : cmd & ~bits;
	cmd = htole16(cmd);
	return pci_cfg_write(device, PCI_COMMAND, &cmd, 2) == 2 ? 0 : -EIO;
}

static bool memory_on(int device)
{
	return le16toh(pci_cfg_read16(device, PCI_COMMAND)) &
	       PCI_COMMAND_MEMORY;
}

/*
 * Detaching a vector masks its MSI-X table entry, which the host does
 * through the BAR: with decode turned off by userspace the write would be
 * lost and the vector left unmasked, free to fire at an interrupt entry
 * nobody owns any more.
 */
TEST_F(irq, msix_detach_with_decode_off)
{
	int efd[2] = { eventfd(0, EFD_FLAGS), eventfd(0, EFD_FLAGS) };
	int dev = self->h.device, none = -1;
	struct msix_map m;

	PCI_NEED_DEVICE();
	if (msix_map(dev, &m) || m.nvec < 2)
		SKIP(return, "no mappable MSI-X table with 2 vectors");

	ASSERT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_EVENTFD,
				  0, 2, efd, 8));
	ASSERT_EQ(0, command_set(dev, PCI_COMMAND_MEMORY, true));
	EXPECT_FALSE(msix_masked(&m, 0));
	EXPECT_FALSE(msix_masked(&m, 1));

	ASSERT_EQ(0, command_set(dev, PCI_COMMAND_MEMORY, false));
	ASSERT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_EVENTFD,
				  0, 1, &none, 4));
	/* Userspace's setting is left as it was. */
	EXPECT_FALSE(memory_on(dev));
	ASSERT_EQ(0, command_set(dev, PCI_COMMAND_MEMORY, true));
	EXPECT_TRUE(msix_masked(&m, 0));
	EXPECT_FALSE(msix_masked(&m, 1));
	ASSERT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_NONE,
				  0, 2, NULL, 0));
	EXPECT_EQ(0, pci_eventfd_wait(efd[0], 100));
	EXPECT_EQ(1, pci_eventfd_wait(efd[1], 1000));

	/* Turning MSI-X off with decode off works too. */
	ASSERT_EQ(0, command_set(dev, PCI_COMMAND_MEMORY, false));
	EXPECT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_NONE,
				  0, 0, NULL, 0));
	EXPECT_FALSE(memory_on(dev));
	ASSERT_EQ(0, command_set(dev, PCI_COMMAND_MEMORY, true));
	EXPECT_TRUE(msix_masked(&m, 0));
	EXPECT_TRUE(msix_masked(&m, 1));

	msix_unmap(&m);
	close(efd[0]);
	close(efd[1]);
}

#define NVME_CC		0x14
#define NVME_CSTS	0x1c
#define NVME_AQA	0x24
#define NVME_ASQ	0x28
#define NVME_ACQ	0x30
#define NVME_IOVA	0x100000ULL
#define NVME_PAGE	4096

static void nvme_wr32(struct msix_map *m, int reg, unsigned int val)
{
	*(volatile unsigned int *)((char *)m->bar + reg) = htole32(val);
}

static int nvme_ready(struct msix_map *m, unsigned int want)
{
	volatile unsigned int *csts = (void *)((char *)m->bar + NVME_CSTS);
	int i;

	for (i = 0; i < 5000; i++) {
		if ((le32toh(*csts) & 1) == want)
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

/*
 * Bring up the admin queues in @mem (three pages: submissions,
 * completions, data) and submit Identify Controller: its completion raises
 * MSI-X vector 0.  Returns 0 or -errno.
 */
static int nvme_identify(struct pci_handle *h, struct msix_map *m, void *mem)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (unsigned long)mem,
		.iova = NVME_IOVA,
		.size = 3 * NVME_PAGE,
	};
	unsigned int *sqe = mem;
	int ret;

	ret = vfio_ioctl(h->container, VFIO_IOMMU_MAP_DMA, &map);
	if (ret)
		return ret;
	nvme_wr32(m, NVME_CC, 0);
	ret = nvme_ready(m, 0);
	if (ret)
		return ret;
	nvme_wr32(m, NVME_AQA, 1 << 16 | 1);
	nvme_wr32(m, NVME_ASQ, (unsigned int)NVME_IOVA);
	nvme_wr32(m, NVME_ASQ + 4, 0);
	nvme_wr32(m, NVME_ACQ, (unsigned int)NVME_IOVA + NVME_PAGE);
	nvme_wr32(m, NVME_ACQ + 4, 0);
	/* Enabled, 64-byte submissions, 16-byte completions. */
	nvme_wr32(m, NVME_CC, 1 | 6 << 16 | 4 << 20);
	ret = nvme_ready(m, 1);
	if (ret)
		return ret;
	/* Identify (opcode 6), command id 1, CNS 1 (controller), PRP1. */
	memset(sqe, 0, 64);
	sqe[0] = htole32(0x06 | 1 << 16);
	sqe[6] = htole32((unsigned int)NVME_IOVA + 2 * NVME_PAGE);
	sqe[10] = htole32(1);
	__sync_synchronize();
	nvme_wr32(m, 0x1000, 1);	/* admin submission tail doorbell */
	return 0;
}

/*
 * The table is in a BAR userspace maps: an entry clobbered before its
 * vector is first attached must be written again on attach, or the
 * device's message goes to the clobbered address.  An NVMe completion
 * shows the vector working.  (x86's irqdomain rewrites the entry when the
 * vector is requested anyway; vfio-pci does it on every platform.)
 */
TEST_F(irq, msix_entry_restored_on_attach)
{
	int efd[2] = { eventfd(0, EFD_FLAGS), eventfd(0, EFD_FLAGS) };
	int dev = self->h.device, i;
	unsigned int saved[3];
	struct msix_map m;
	void *mem;

	PCI_NEED_DEVICE();
	if (msix_map(dev, &m) || m.nvec < 2)
		SKIP(return, "no mappable MSI-X table with 2 vectors");

	/* Two vectors, only vector 1 attached. */
	ASSERT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_EVENTFD,
				  1, 1, &efd[1], 4));
	ASSERT_EQ(0, command_set(dev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
				 true));
	for (i = 0; i < 3; i++)
		saved[i] = msix_entry(&m, 0, i);
	EXPECT_NE(0, saved[PCI_MSIX_ENTRY_LOWER_ADDR / 4]);
	EXPECT_TRUE(msix_masked(&m, 0));

	for (i = 0; i < 3; i++)
		m.table[i] = 0;
	EXPECT_EQ(0, msix_entry(&m, 0, PCI_MSIX_ENTRY_LOWER_ADDR / 4));
	ASSERT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_EVENTFD,
				  0, 1, &efd[0], 4));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(saved[i], msix_entry(&m, 0, i));
	EXPECT_FALSE(msix_masked(&m, 0));

	if (!strcmp(variant->bdf, PCI_NVME)) {
		mem = mmap(NULL, 3 * NVME_PAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, mem);
		memset(mem, 0, 3 * NVME_PAGE);
		ASSERT_EQ(0, nvme_identify(&self->h, &m, mem));
		EXPECT_EQ(1, pci_eventfd_wait(efd[0], 5000));
		EXPECT_EQ(0, pci_eventfd_wait(efd[1], 10));
		/* The completion landed: phase bit set. */
		EXPECT_EQ(0x10000, le32toh(((unsigned int *)mem)[1024 + 3]) &
				   0x10000);
		nvme_wr32(&m, NVME_CC, 0);
		nvme_ready(&m, 0);
		munmap(mem, 3 * NVME_PAGE);
	}

	EXPECT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_NONE,
				  0, 0, NULL, 0));
	msix_unmap(&m);
	close(efd[0]);
	close(efd[1]);
}

/* A VM with an in-kernel irqchip, or -1 without KVM. */
static int kvm_vm_with_irqchip(void)
{
	int kvm, vm;

	if (access("/dev/kvm", F_OK) && vfio_modprobe("kvm_amd"))
		vfio_modprobe("kvm_intel");
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return -1;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	close(kvm);
	if (vm >= 0 && ioctl(vm, KVM_CREATE_IRQCHIP, 0)) {
		close(vm);
		vm = -1;
	}
	return vm;
}

/* Route @efd to @gsi of @vm: KVM's irqfd, the IRQ bypass consumer. */
static int kvm_irqfd(int vm, int efd, unsigned int gsi)
{
	struct kvm_irqfd irqfd = { .fd = efd, .gsi = gsi };

	return ioctl(vm, KVM_IRQFD, &irqfd) ? -errno : 0;
}

/* Fire @count vectors from @start by loopback; @pattern NULL: all. */
static int fire(int dev, unsigned int start, unsigned int count,
		const unsigned char *pattern)
{
	if (!pattern)
		return pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_NONE,
				    start, count, NULL, 0);
	return pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX,
			    VFIO_IRQ_SET_DATA_BOOL |
			    VFIO_IRQ_SET_ACTION_TRIGGER, start, count,
			    pattern, count);
}

/*
 * Two vectors may share an eventfd, and only one of them can be its IRQ
 * bypass producer: the other must not unregister a producer it never
 * registered, whichever of the two it is, and both must keep delivering.
 * With KVM, the eventfds are also irqfds of a VM, so the producer that
 * did register is connected to KVM as its consumer.
 */
TEST_F(irq, msix_shared_eventfd)
{
	int a = eventfd(0, EFD_FLAGS), b = eventfd(0, EFD_FLAGS);
	int c = eventfd(0, EFD_FLAGS), d = eventfd(0, EFD_FLAGS);
	const unsigned char first[2] = { 1, 0 }, second[2] = { 0, 1 };
	int dev = self->h.device, none = -1, vm, fds[2];

	PCI_NEED_DEVICE();
	if (irq_count(dev, VFIO_PCI_MSIX_IRQ_INDEX, NULL) < 2)
		SKIP(return, "fewer than 2 MSI-X vectors");

	vm = kvm_vm_with_irqchip();
	if (vm >= 0) {
		ASSERT_EQ(0, kvm_irqfd(vm, a, 5));
		ASSERT_EQ(0, kvm_irqfd(vm, b, 6));
	} else {
		TH_LOG("no KVM: no bypass consumer");
	}

	/* Vector 1 shares vector 0's eventfd, then leaves. */
	fds[0] = a;
	fds[1] = a;
	ASSERT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_EVENTFD,
				  0, 2, fds, 8));
	ASSERT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_EVENTFD,
				  1, 1, &none, 4));
	/* Vector 0 takes vector 1's eventfd, then leaves. */
	fds[1] = b;
	ASSERT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_EVENTFD,
				  0, 2, fds, 8));
	ASSERT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_EVENTFD,
				  0, 1, &b, 4));
	ASSERT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_EVENTFD,
				  0, 1, &none, 4));
	/* Shared again, and everything off at once. */
	ASSERT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_EVENTFD,
				  0, 1, &b, 4));
	ASSERT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_NONE,
				  0, 0, NULL, 0));
	if (vm >= 0)
		close(vm);

	/* Delivery, on eventfds no irqfd reads. */
	fds[0] = c;
	fds[1] = c;
	ASSERT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_EVENTFD,
				  0, 2, fds, 8));
	ASSERT_EQ(0, fire(dev, 0, 2, NULL));
	EXPECT_EQ(2, pci_eventfd_wait(c, 1000));
	ASSERT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_EVENTFD,
				  1, 1, &none, 4));
	ASSERT_EQ(0, fire(dev, 0, 2, NULL));
	EXPECT_EQ(1, pci_eventfd_wait(c, 1000));
	ASSERT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_EVENTFD,
				  0, 1, &none, 4));
	ASSERT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_EVENTFD,
				  1, 1, &c, 4));
	ASSERT_EQ(0, fire(dev, 0, 2, NULL));
	EXPECT_EQ(1, pci_eventfd_wait(c, 1000));

	/* Each eventfd on its vector, then swapped in one request. */
	fds[0] = c;
	fds[1] = d;
	ASSERT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_EVENTFD,
				  0, 2, fds, 8));
	ASSERT_EQ(0, fire(dev, 0, 2, first));
	EXPECT_EQ(1, pci_eventfd_wait(c, 1000));
	EXPECT_EQ(0, pci_eventfd_wait(d, 100));
	fds[0] = d;
	fds[1] = c;
	ASSERT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_EVENTFD,
				  0, 2, fds, 8));
	ASSERT_EQ(0, fire(dev, 0, 2, first));
	EXPECT_EQ(1, pci_eventfd_wait(d, 1000));
	EXPECT_EQ(0, pci_eventfd_wait(c, 100));
	ASSERT_EQ(0, fire(dev, 0, 2, second));
	EXPECT_EQ(1, pci_eventfd_wait(c, 1000));
	EXPECT_EQ(0, pci_eventfd_wait(d, 100));

	EXPECT_EQ(0, pci_set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG_NONE,
				  0, 0, NULL, 0));
	close(a);
	close(b);
	close(c);
	close(d);
}

TEST_HARNESS_MAIN
