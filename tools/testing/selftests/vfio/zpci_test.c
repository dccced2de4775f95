// SPDX-License-Identifier: GPL-2.0-only
/*
 * s390 zPCI through vfio-pci: the firmware properties VFIO_DEVICE_GET_INFO
 * reports, checked against what the guest kernel learnt from QEMU (sysfs)
 * and against QEMU's fixed values; and the function's registration with
 * the VM that opens it, checked with vfio_kvm_standin standing in for s390
 * KVM (which cannot run under TCG).  Skipped where there is no zPCI.
 */
#include "../kselftest_harness.h"
#include "pci_test_util.h"
#include <stddef.h>
#include <linux/vfio_zdev.h>

/* The virtio-net function of run.sh: -device zpci,uid=1,fid=0x10. */
#define ZPCI_BDF	"0001:00:00.0"
#define STANDIN		"/sys/kernel/debug/vfio_kvm_standin"

/* What QEMU 7.2 gives every emulated function. */
#define QEMU_START_DMA	0x100000000ULL
#define QEMU_END_DMA	0x13fffffffULL
#define QEMU_GROUP	0xff
#define HOST_MAXSTBL	128

#define INFO_V1_SIZE	(offsetof(struct vfio_device_info, num_irqs) + \
			 sizeof(__u32))

/* A zPCI attribute of the function in sysfs, or -1. */
static long long zpci_attr(const char *name)
{
	char path[PATH_MAX], buf[64];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", ZPCI_BDF,
		 name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return buf[0] ? strtoll(buf, NULL, 0) : -1;
}

/* Find capability @id in the reply of GET_INFO, or NULL. */
static struct vfio_info_cap_header *find_cap(struct vfio_device_info *info,
					     unsigned int id)
{
	unsigned int off = info->cap_offset;

	while (off && off + sizeof(struct vfio_info_cap_header) <= info->argsz) {
		struct vfio_info_cap_header *hdr = (void *)((char *)info + off);

		if (hdr->id == id)
			return hdr;
		if (hdr->next && hdr->next <= off)
			return NULL;	/* a loop: stop */
		off = hdr->next;
	}
	return NULL;
}

/* The standin's event log; "" if there is none. */
static void standin_events(char *buf, size_t size)
{
	int fd = open(STANDIN "/events", O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

static int standin_associate(int group)
{
	char fd[16];

	snprintf(fd, sizeof(fd), "%d", group);
	return vfio_write_file(STANDIN "/associate", fd);
}

FIXTURE(zpci) {
	struct pci_handle h;
	unsigned int fh;
	bool bound;
};

FIXTURE_SETUP(zpci)
{
	int ret;

	self->h.device = -1;
	ret = pci_handle_setup(&self->h, ZPCI_BDF);
	if (ret == PCI_ABSENT)
		SKIP(return, "no zPCI function " ZPCI_BDF " (%d)", ret);
	self->bound = true;
	ASSERT_EQ(0, ret);
	/* Read while open: the handle carries the enabled bit now. */
	self->fh = zpci_attr("function_handle");
}

FIXTURE_TEARDOWN(zpci)
{
	if (self->bound)
		pci_handle_teardown(&self->h);
	/* A test that failed half way must not leave vfio pinned. */
	if (!access("/sys/module/vfio_kvm_standin", F_OK)) {
		vfio_write_file(STANDIN "/dissociate", "1");
		vfio_sh("rmmod vfio_kvm_standin");
	}
}

TEST_F(zpci, caps_match_firmware)
{
	struct vfio_device_info_cap_zpci_base *base;
	struct vfio_device_info_cap_zpci_group *group;
	struct vfio_device_info_cap_zpci_pfip *pfip;
	struct vfio_device_info probe = { .argsz = sizeof(probe) };
	struct vfio_device_info *info;
	char seg[32];
	int i;

	PCI_NEED_DEVICE();
	/* Too small for the chain: only the size it needs comes back. */
	ASSERT_EQ(0, vfio_ioctl(self->h.device, VFIO_DEVICE_GET_INFO, &probe));
	ASSERT_TRUE(probe.flags & VFIO_DEVICE_FLAGS_CAPS);
	ASSERT_TRUE(probe.flags & VFIO_DEVICE_FLAGS_PCI);
	ASSERT_LT(sizeof(probe), probe.argsz);
	EXPECT_EQ(0, probe.cap_offset);

	info = calloc(1, probe.argsz);
	ASSERT_NE(NULL, info);
	info->argsz = probe.argsz;
	ASSERT_EQ(0, vfio_ioctl(self->h.device, VFIO_DEVICE_GET_INFO, info));
	ASSERT_EQ(sizeof(*info), info->cap_offset);

	base = (void *)find_cap(info, VFIO_DEVICE_INFO_CAP_ZPCI_BASE);
	ASSERT_NE(NULL, base);
	EXPECT_EQ(2, base->header.version);
	EXPECT_EQ(QEMU_START_DMA, base->start_dma);
	EXPECT_EQ(QEMU_END_DMA, base->end_dma);
	EXPECT_EQ(QEMU_GROUP, base->gid);
	EXPECT_EQ(zpci_attr("pfgid"), base->gid);
	EXPECT_EQ(zpci_attr("pchid"), base->pchid);
	EXPECT_EQ(zpci_attr("vfn"), base->vfn);
	EXPECT_EQ(zpci_attr("pft"), base->pft);
	EXPECT_EQ(self->fh, base->fh);

	group = (void *)find_cap(info, VFIO_DEVICE_INFO_CAP_ZPCI_GROUP);
	ASSERT_NE(NULL, group);
	EXPECT_EQ(2, group->header.version);
	EXPECT_EQ(HOST_MAXSTBL, group->maxstbl);
	EXPECT_TRUE(group->flags & VFIO_DEVICE_INFO_ZPCI_FLAG_REFRESH);
	EXPECT_NE(0, group->noi);

	pfip = (void *)find_cap(info, VFIO_DEVICE_INFO_CAP_ZPCI_PFIP);
	ASSERT_NE(NULL, pfip);
	EXPECT_EQ(1, pfip->header.version);
	ASSERT_EQ(4, pfip->size);
	for (i = 0; i < 4; i++) {
		snprintf(seg, sizeof(seg), "pfip/segment%d", i);
		EXPECT_EQ(zpci_attr(seg), pfip->pfip[i]);
	}

	/* QEMU gives emulated functions no utility string. */
	EXPECT_EQ(NULL, find_cap(info, VFIO_DEVICE_INFO_CAP_ZPCI_UTIL));
	free(info);
}

TEST_F(zpci, get_info_sizes)
{
	struct {
		struct vfio_device_info info;
		unsigned int poison;
	} old = { .info.argsz = INFO_V1_SIZE,
		  .info.cap_offset = 0xdead, .poison = 0xbeef };

	PCI_NEED_DEVICE();
	/* A caller from before cap_offset: nothing past num_irqs written. */
	ASSERT_EQ(0, vfio_ioctl(self->h.device, VFIO_DEVICE_GET_INFO, &old));
	EXPECT_EQ(0xdead, old.info.cap_offset);
	EXPECT_EQ(0xbeef, old.poison);
	EXPECT_LT(sizeof(old.info), old.info.argsz);

	old.info.argsz = INFO_V1_SIZE - 1;
	EXPECT_EQ(-EINVAL, vfio_ioctl(self->h.device, VFIO_DEVICE_GET_INFO,
				      &old));
}

/*
 * s390 has no INTx (CONFIG_VFIO_PCI_INTX is off there, as in 6.1): the
 * index has no vectors, cannot be enabled, and config space shows no pin.
 */
TEST_F(zpci, no_intx)
{
	struct vfio_irq_info irq = { .argsz = sizeof(irq),
				     .index = VFIO_PCI_INTX_IRQ_INDEX };
	int efd;

	PCI_NEED_DEVICE();
	ASSERT_EQ(0, vfio_ioctl(self->h.device, VFIO_DEVICE_GET_IRQ_INFO, &irq));
	EXPECT_EQ(0, irq.count);
	EXPECT_EQ(0, pci_cfg_read8(self->h.device, PCI_INTERRUPT_PIN));
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	EXPECT_EQ(-EINVAL, pci_set_irqs(self->h.device, VFIO_PCI_INTX_IRQ_INDEX,
					VFIO_IRQ_SET_DATA_EVENTFD |
					VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1,
					&efd, sizeof(efd)));
	close(efd);
}

/* Reopen the device of @h with the group associated with a stand-in VM. */
static int open_with_vm(struct pci_handle *h)
{
	int ret;

	if (h->device >= 0)
		close(h->device);
	h->device = -1;
	ret = standin_associate(h->group);
	if (ret)
		return ret;
	ret = vfio_ioctl(h->group, VFIO_GROUP_GET_DEVICE_FD, h->bdf);
	if (ret >= 0)
		h->device = ret;
	return ret < 0 ? ret : 0;
}

TEST_F(zpci, kvm_registration_follows_open_and_close)
{
	char ev[1024], want[64];
	char *reg, *unreg, *freed;

	PCI_NEED_DEVICE();
	if (vfio_modprobe("vfio_kvm_standin"))
		SKIP(return, "no vfio_kvm_standin");

	/* Opened without a VM at setup: nothing was registered. */
	standin_events(ev, sizeof(ev));
	EXPECT_STREQ("", ev);

	ASSERT_EQ(0, open_with_vm(&self->h));
	snprintf(want, sizeof(want), "register %08x vm1\n", self->fh);
	standin_events(ev, sizeof(ev));
	EXPECT_STREQ(want, ev);

	/* The device keeps its VM after the group lets go of it. */
	ASSERT_EQ(0, vfio_write_file(STANDIN "/dissociate", "1"));
	standin_events(ev, sizeof(ev));
	EXPECT_EQ(NULL, strstr(ev, "freed"));

	/* Last close: unregistered first, and only then the VM goes. */
	close(self->h.device);
	self->h.device = -1;
	standin_events(ev, sizeof(ev));
	snprintf(want, sizeof(want), "unregister %08x\n", self->fh);
	reg = strstr(ev, "register");
	unreg = strstr(ev, want);
	freed = strstr(ev, "freed vm1");
	ASSERT_NE(NULL, reg);
	ASSERT_NE(NULL, unreg);
	ASSERT_NE(NULL, freed);
	EXPECT_LT(reg, unreg);
	EXPECT_LT(unreg, freed);

	pci_handle_close(&self->h);
	EXPECT_EQ(0, vfio_sh("rmmod vfio_kvm_standin"));
}

TEST_F(zpci, failed_registration_fails_open)
{
	char ev[1024], want[160];

	PCI_NEED_DEVICE();
	if (vfio_modprobe("vfio_kvm_standin"))
		SKIP(return, "no vfio_kvm_standin");

	ASSERT_EQ(0, vfio_write_file(STANDIN "/fail_register", "22"));
	EXPECT_EQ(-EINVAL, open_with_vm(&self->h));
	snprintf(want, sizeof(want), "register %08x vm1 failed\n", self->fh);
	standin_events(ev, sizeof(ev));
	EXPECT_STREQ(want, ev);

	/*
	 * The failed open left the function whole: the next one works, and
	 * the failed registration was never undone by an unregister.
	 */
	ASSERT_EQ(0, vfio_write_file(STANDIN "/fail_register", "0"));
	ASSERT_EQ(0, open_with_vm(&self->h));
	close(self->h.device);
	self->h.device = -1;
	standin_events(ev, sizeof(ev));
	snprintf(want, sizeof(want),
		 "register %08x vm1 failed\n"
		 "freed vm1\n"	/* the failed open kept no reference */
		 "register %08x vm2\n"
		 "unregister %08x\n", self->fh, self->fh, self->fh);
	EXPECT_STREQ(want, ev);
	ASSERT_EQ(0, vfio_write_file(STANDIN "/dissociate", "1"));

	pci_handle_close(&self->h);
	EXPECT_EQ(0, vfio_sh("rmmod vfio_kvm_standin"));
}

/*
 * s390 KVM disables and re-enables the function to register it with a VM
 * and to unregister it, and that resets it; the stand-in models the reset
 * by clearing COMMAND.  So the close must unregister before it puts the
 * host's config back, or the host gets the function back reset instead of
 * as it was.  A close without a VM, which registers nothing, gives the
 * state to expect.
 */
TEST_F(zpci, close_restores_after_unregistering)
{
	int want, got;

	PCI_NEED_DEVICE();
	if (vfio_modprobe("vfio_kvm_standin"))
		SKIP(return, "no vfio_kvm_standin");

	close(self->h.device);
	self->h.device = -1;
	want = pci_host_command(ZPCI_BDF);
	ASSERT_LE(0, want);
	/*
	 * Something is set (0x200 on QEMU's zPCI functions), so a reset
	 * that undid the restore would show.
	 */
	ASSERT_NE(0, want);

	ASSERT_EQ(0, open_with_vm(&self->h));
	/* Registered: the model reset the function. */
	EXPECT_EQ(0, pci_host_command(ZPCI_BDF));
	close(self->h.device);
	self->h.device = -1;
	got = pci_host_command(ZPCI_BDF);
	EXPECT_EQ(want, got)
		TH_LOG("COMMAND %#x after a VM's close, %#x without a VM",
		       got, want);

	ASSERT_EQ(0, vfio_write_file(STANDIN "/dissociate", "1"));
	pci_handle_close(&self->h);
	EXPECT_EQ(0, vfio_sh("rmmod vfio_kvm_standin"));
}

TEST_HARNESS_MAIN
