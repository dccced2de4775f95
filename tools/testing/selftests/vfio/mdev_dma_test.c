// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mblit sample, a mediated device that reaches guest memory the way a
 * vGPU does: it opens only for a KVM VM, it pins guest pages through the
 * IOMMU backend and keeps them, copies through them or through
 * vfio_dma_rw(), and drops its pins when userspace unmaps the memory.
 * Also the driver-side accounting of instances (get_available).
 *
 * The DMA tests need the type1 backend and are skipped without it; the
 * others run against the mock backend.
 */
#include <linux/kvm.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "mdev_test_util.h"
#include "../../../../samples/vfio-mdev/mblit_regs.h"

#define PARENT	"mblit"
#define SINGLE	"mblit-single"
#define DUAL	"mblit-dual"
#define DEV	30
#define BAR	VFIO_PCI_BAR0_REGION_INDEX

FIXTURE(engines) {
};

FIXTURE_SETUP(engines)
{
	ASSERT_EQ(0, vfio_modprobe("mblit"));
	mdev_remove_test_instances();
}

FIXTURE_TEARDOWN(engines)
{
	EXPECT_EQ(0, mdev_unload("mblit"));
}

/* Four engines shared by "single" (one each) and "dual" (two each). */
TEST_F(engines, driver_accounting)
{
	EXPECT_EQ(4, mdev_available(PARENT, SINGLE));
	EXPECT_EQ(2, mdev_available(PARENT, DUAL));
	ASSERT_EQ(0, mdev_create(PARENT, DUAL, 1));
	EXPECT_EQ(2, mdev_available(PARENT, SINGLE));
	EXPECT_EQ(1, mdev_available(PARENT, DUAL));
	ASSERT_EQ(0, mdev_create(PARENT, SINGLE, 2));
	EXPECT_EQ(1, mdev_available(PARENT, SINGLE));
	EXPECT_EQ(0, mdev_available(PARENT, DUAL));
	EXPECT_EQ(-EUSERS, mdev_create(PARENT, DUAL, 3));
	ASSERT_EQ(0, mdev_create(PARENT, SINGLE, 3));
	EXPECT_EQ(-EUSERS, mdev_create(PARENT, SINGLE, 4));
	EXPECT_FALSE(mdev_exists(4));

	ASSERT_EQ(0, mdev_remove(1));
	EXPECT_EQ(2, mdev_available(PARENT, SINGLE));
	EXPECT_EQ(1, mdev_available(PARENT, DUAL));
}

struct vm {
	int fd;
	int vfio_dev;
};

/* A VM with a KVM-VFIO device; -errno of the step that failed. */
static int vm_create(int kvm, struct vm *vm)
{
	struct kvm_create_device vfio = { .type = KVM_DEV_TYPE_VFIO };
	int ret;

	vm->vfio_dev = -1;
	vm->fd = vfio_ioctl(kvm, KVM_CREATE_VM, 0);
	ret = vm->fd < 0 ? vm->fd :
	      vfio_ioctl(vm->fd, KVM_CREATE_DEVICE, &vfio);
	if (!ret)
		vm->vfio_dev = vfio.fd;
	return ret < 0 ? ret : 0;
}

/* Tell the VM about a group, as QEMU does before opening its devices. */
static int vm_add_group(struct vm *vm, int group)
{
	struct kvm_device_attr add = {
		.group = KVM_DEV_VFIO_GROUP,
		.attr = KVM_DEV_VFIO_GROUP_ADD,
		.addr = (__u64)(unsigned long)&group,
	};

	return vfio_ioctl(vm->vfio_dev, KVM_SET_DEVICE_ATTR, &add);
}

static void vm_close(struct vm *vm)
{
	int *fds[] = { &vm->vfio_dev, &vm->fd };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* Program a command; returns the status register (0 or an errno). */
static int blit(int device, __u64 src, __u64 dst, __u32 len, __u32 cmd)
{
	__u32 status;

	if (mdev_write32(device, BAR, MBLIT_REG_SRC_LO, src) ||
	    mdev_write32(device, BAR, MBLIT_REG_SRC_HI, src >> 32) ||
	    mdev_write32(device, BAR, MBLIT_REG_DST_LO, dst) ||
	    mdev_write32(device, BAR, MBLIT_REG_DST_HI, dst >> 32) ||
	    mdev_write32(device, BAR, MBLIT_REG_LEN, len) ||
	    mdev_write32(device, BAR, MBLIT_REG_CMD, cmd) ||
	    mdev_read32(device, BAR, MBLIT_REG_STATUS, &status))
		return -1;
	return status;
}

static long long reg(int device, __u32 off)
{
	__u32 v;

	return mdev_read32(device, BAR, off, &v) ? -1 : v;
}

static int map_dma(int container, void *buf, __u64 iova, __u64 size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (__u64)(unsigned long)buf,
		.iova = iova,
		.size = size,
	};

	return vfio_ioctl(container, VFIO_IOMMU_MAP_DMA, &map);
}

static int unmap_dma(int container, __u64 iova, __u64 size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};

	return vfio_ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap);
}

FIXTURE(mblit) {
	int kvm;
	struct vm vm;
	struct vfio_mock_handle h;
	bool type1;
	char uuid[40];
};

/* The 6.1 harness runs the body even after a SKIP in the setup. */
#define SKIP_WITHOUT_KVM() \
	do { if (self->kvm < 0) SKIP(return, "no /dev/kvm"); } while (0)
#define SKIP_WITHOUT_TYPE1() \
	do { if (!self->type1) SKIP(return, "no vfio_iommu_type1"); } while (0)

/* Container and group ready, device not opened yet. */
FIXTURE_SETUP(mblit)
{
	unsigned long type;

	self->h.container = -1;
	self->h.group = -1;
	self->h.device = -1;
	self->vm.fd = -1;
	self->vm.vfio_dev = -1;
	self->kvm = -1;
	/* One vendor module, and only when needed: see kvm_test.c. */
	if (access("/dev/kvm", F_OK) && vfio_modprobe("kvm_amd"))
		vfio_modprobe("kvm_intel");
	/* Without KVM, only the refusal to open can be tested. */
	self->kvm = open("/dev/kvm", O_RDWR);

	self->type1 = !vfio_modprobe("vfio_iommu_type1");
	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	ASSERT_EQ(0, vfio_modprobe("mblit"));
	mdev_remove_test_instances();
	ASSERT_EQ(0, mdev_create(PARENT, SINGLE, DEV));
	mdev_uuid(self->uuid, sizeof(self->uuid), DEV);
	if (self->kvm >= 0)
		ASSERT_EQ(0, vm_create(self->kvm, &self->vm));

	self->h.container = vfio_open_container();
	ASSERT_LE(0, self->h.container);
	self->h.group = vfio_open_group(mdev_group(DEV));
	ASSERT_LE(0, self->h.group);
	ASSERT_EQ(0, vfio_group_set_container(self->h.group,
					      self->h.container));
	type = self->type1 ? VFIO_TYPE1v2_IOMMU : VFIO_MOCK_IOMMU;
	ASSERT_EQ(0, vfio_ioctl(self->h.container, VFIO_SET_IOMMU, type));
}

FIXTURE_TEARDOWN(mblit)
{
	vfio_mock_handle_close(&self->h);
	vm_close(&self->vm);
	if (self->kvm >= 0)
		close(self->kvm);
	EXPECT_EQ(0, mdev_unload("mblit"));
}

static int open_device(FIXTURE_DATA(mblit) *self)
{
	self->h.device = vfio_ioctl(self->h.group, VFIO_GROUP_GET_DEVICE_FD,
				    self->uuid);
	return self->h.device < 0 ? self->h.device : 0;
}

/* How many times the kernel log has the driver's complaint. */
static long long kvm_complaints(void)
{
	char line[256];
	long long n = 0;
	FILE *f = popen("dmesg", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		n += !!strstr(line, "needs a KVM VM");
	pclose(f);
	return n;
}

TEST_F(mblit, refused_without_kvm)
{
	long long before = kvm_complaints();

	ASSERT_LE(0, before);
	EXPECT_EQ(-EPERM, open_device(self));
	/* The driver says why, which is all a user has to go by. */
	EXPECT_EQ(before + 1, kvm_complaints());
	/* Associated with a VM, it opens. */
	SKIP_WITHOUT_KVM();
	ASSERT_EQ(0, vm_add_group(&self->vm, self->h.group));
	ASSERT_EQ(0, open_device(self));
	EXPECT_EQ(MBLIT_MAGIC, reg(self->h.device, MBLIT_REG_MAGIC));
}

/* The VM must be the opener's own, as for a vGPU tracking its pages. */
TEST_F(mblit, refused_for_another_process_vm)
{
	int status;
	pid_t pid;

	SKIP_WITHOUT_KVM();
	ASSERT_EQ(0, vm_add_group(&self->vm, self->h.group));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(open_device(self) == -EPERM ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_EQ(0, open_device(self));
}

TEST_F(mblit, bad_commands)
{
	SKIP_WITHOUT_KVM();
	ASSERT_EQ(0, vm_add_group(&self->vm, self->h.group));
	ASSERT_EQ(0, open_device(self));
	EXPECT_EQ(EINVAL, blit(self->h.device, 0, 0x1000, 0,
			       MBLIT_CMD_COPY_PINNED));
	EXPECT_EQ(EINVAL, blit(self->h.device, 0, 0x1000, MBLIT_MAX_LEN + 1,
			       MBLIT_CMD_COPY_RW));
	EXPECT_EQ(EINVAL, blit(self->h.device, ~0ULL, 0, 2,
			       MBLIT_CMD_COPY_RW));
	EXPECT_EQ(EINVAL, blit(self->h.device, 0, 0x1000, 16, 99));
	EXPECT_EQ(0, reg(self->h.device, MBLIT_REG_COPIES));
	EXPECT_EQ(0, reg(self->h.device, MBLIT_REG_PINNED));
}

#define SRC_IOVA	0x100000ULL
#define DST_IOVA	0x400000ULL
#define PAGES		4
#define SIZE		(PAGES * 4096)

/* Copy through pinned pages; unmapping the destination drops its pins. */
TEST_F(mblit, pinned_copy_and_unmap)
{
	char *src, *dst;
	int d, i;

	SKIP_WITHOUT_KVM();
	SKIP_WITHOUT_TYPE1();
	src = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	ASSERT_NE(MAP_FAILED, dst);
	for (i = 0; i < SIZE; i++)
		src[i] = i * 7 + 3;
	memset(dst, 0, SIZE);
	ASSERT_EQ(0, map_dma(self->h.container, src, SRC_IOVA, SIZE));
	/* Two mappings, so that one half can be unmapped on its own. */
	ASSERT_EQ(0, map_dma(self->h.container, dst, DST_IOVA, SIZE / 2));
	ASSERT_EQ(0, map_dma(self->h.container, dst + SIZE / 2,
			     DST_IOVA + SIZE / 2, SIZE / 2));

	ASSERT_EQ(0, vm_add_group(&self->vm, self->h.group));
	ASSERT_EQ(0, open_device(self));
	d = self->h.device;

	/* Unaligned on purpose: every page of both ranges is touched. */
	ASSERT_EQ(0, blit(d, SRC_IOVA + 100, DST_IOVA + 200, SIZE - 300,
			  MBLIT_CMD_COPY_PINNED));
	EXPECT_EQ(0, memcmp(src + 100, dst + 200, SIZE - 300));
	EXPECT_EQ(0, dst[199]);
	EXPECT_EQ(2 * PAGES, reg(d, MBLIT_REG_PINNED));

	/* Pins are kept: a second copy pins nothing new. */
	memset(dst, 0, SIZE);
	ASSERT_EQ(0, blit(d, SRC_IOVA, DST_IOVA, SIZE,
			  MBLIT_CMD_COPY_PINNED));
	EXPECT_EQ(0, memcmp(src, dst, SIZE));
	EXPECT_EQ(2 * PAGES, reg(d, MBLIT_REG_PINNED));

	/* Userspace unmaps half the destination: the device lets go. */
	ASSERT_EQ(0, unmap_dma(self->h.container, DST_IOVA, SIZE / 2));
	EXPECT_EQ(2 * PAGES - PAGES / 2, reg(d, MBLIT_REG_PINNED));
	EXPECT_EQ(PAGES / 2, reg(d, MBLIT_REG_UNMAPS));

	/* A copy into the unmapped part fails; the rest still works. */
	EXPECT_NE(0, blit(d, SRC_IOVA, DST_IOVA, 16, MBLIT_CMD_COPY_PINNED));
	EXPECT_EQ(0, blit(d, SRC_IOVA, DST_IOVA + SIZE / 2, SIZE / 2,
			  MBLIT_CMD_COPY_PINNED));

	ASSERT_EQ(0, unmap_dma(self->h.container, SRC_IOVA, SIZE));
	EXPECT_EQ(PAGES / 2, reg(d, MBLIT_REG_PINNED));
	EXPECT_EQ(0, blit(d, 0, 0, 0, MBLIT_CMD_FLUSH));
	EXPECT_EQ(0, reg(d, MBLIT_REG_PINNED));
	EXPECT_EQ(0, unmap_dma(self->h.container, DST_IOVA, SIZE));
	munmap(src, SIZE);
	munmap(dst, SIZE);
}

/* vfio_dma_rw() copies without keeping anything pinned. */
TEST_F(mblit, dma_rw_copy)
{
	char *buf;
	int d;

	SKIP_WITHOUT_KVM();
	SKIP_WITHOUT_TYPE1();
	buf = mmap(NULL, 2 * SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 0, 2 * SIZE);
	strcpy(buf + 10, "copied by the mediated device");
	ASSERT_EQ(0, map_dma(self->h.container, buf, SRC_IOVA, 2 * SIZE));

	ASSERT_EQ(0, vm_add_group(&self->vm, self->h.group));
	ASSERT_EQ(0, open_device(self));
	d = self->h.device;
	ASSERT_EQ(0, blit(d, SRC_IOVA, SRC_IOVA + SIZE + 5, 64,
			  MBLIT_CMD_COPY_RW));
	EXPECT_STREQ("copied by the mediated device", buf + SIZE + 15);
	EXPECT_EQ(0, reg(d, MBLIT_REG_PINNED));
	EXPECT_EQ(1, reg(d, MBLIT_REG_COPIES));
	/* Outside any mapping. */
	EXPECT_NE(0, blit(d, 0x40000000, SRC_IOVA, 64, MBLIT_CMD_COPY_RW));
	EXPECT_EQ(0, unmap_dma(self->h.container, SRC_IOVA, 2 * SIZE));
	munmap(buf, 2 * SIZE);
}

/* Closing the device drops its pins; the memory can then be unmapped. */
TEST_F(mblit, close_drops_pins)
{
	char *buf;

	SKIP_WITHOUT_KVM();
	SKIP_WITHOUT_TYPE1();
	buf = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 1, SIZE);
	ASSERT_EQ(0, map_dma(self->h.container, buf, SRC_IOVA, SIZE));
	ASSERT_EQ(0, vm_add_group(&self->vm, self->h.group));
	ASSERT_EQ(0, open_device(self));
	ASSERT_EQ(0, blit(self->h.device, SRC_IOVA, SRC_IOVA + 2048, 4096,
			  MBLIT_CMD_COPY_PINNED));
	EXPECT_EQ(2, reg(self->h.device, MBLIT_REG_PINNED));

	close(self->h.device);
	ASSERT_EQ(0, open_device(self));
	EXPECT_EQ(0, reg(self->h.device, MBLIT_REG_PINNED));
	EXPECT_EQ(0, reg(self->h.device, MBLIT_REG_UNMAPS));
	EXPECT_EQ(0, unmap_dma(self->h.container, SRC_IOVA, SIZE));
	munmap(buf, SIZE);
}

TEST_HARNESS_MAIN
