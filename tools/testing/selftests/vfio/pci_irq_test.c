// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci interrupts: GET_IRQ_INFO, SET_IRQS validation with the exact
 * errnos, MSI-X and INTx eventfds (loopback triggers, masking), the
 * ERR and REQ indexes.  NVMe (MSI-X) and e1000 (INTx, MSI).
 */
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
	EXPECT_EQ(-EINVAL, pci_set_irqs(self->h.device,
					VFIO_PCI_REQ_IRQ_INDEX,
					VFIO_IRQ_SET_DATA_NONE |
					VFIO_IRQ_SET_ACTION_UNMASK, 0, 1,
					NULL, 0));
	close(efd);
}

TEST_HARNESS_MAIN
