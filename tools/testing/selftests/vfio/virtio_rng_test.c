// SPDX-License-Identifier: GPL-2.0-only
/*
 * A small userspace virtio-rng driver over vfio-pci and type1, using only
 * pread/pwrite on the regions (s390 cannot mmap BARs): find the virtio
 * structures through the capability list, bring the device up with
 * VIRTIO_F_ACCESS_PLATFORM (so its DMA goes through the IOMMU: zPCI's on
 * s390x, the emulated Intel IOMMU on x86), and have it fill a buffer.
 * Once the buffer is unmapped from the IOMMU, the same request must not
 * reach the buffer and the IOMMU must report the refused access.  (QEMU
 * completes the request anyway: a failed DMA is not an error to its
 * virtio-rng.)  Skipped where the VM has no virtio-rng function.
 */
#include <dirent.h>
#include <endian.h>

#include "../kselftest_harness.h"
#include "pci_test_util.h"

#define VIRTIO_VENDOR		0x1af4
#define VIRTIO_RNG_DEVICE	0x1044

/* Virtio 1.x PCI transport: capability types and common config fields */
#define CAP_COMMON	1
#define CAP_NOTIFY	2
#define CAP_PCI_CFG	5	/* a window onto the BARs, worked through config space */
#define COMMON_DFSELECT	0x00
#define COMMON_DF	0x04
#define COMMON_GFSELECT	0x08
#define COMMON_GF	0x0c
#define COMMON_STATUS	0x14
#define COMMON_Q_SELECT	0x16
#define COMMON_Q_SIZE	0x18
#define COMMON_Q_ENABLE	0x1c
#define COMMON_Q_NOFF	0x1e
#define COMMON_Q_DESC	0x20
#define COMMON_Q_AVAIL	0x28
#define COMMON_Q_USED	0x30

#define STATUS_ACK		1
#define STATUS_DRIVER		2
#define STATUS_DRIVER_OK	4
#define STATUS_FEATURES_OK	8
/* Feature bits 32 and 33, as bits of the upper feature word */
#define F_VERSION_1		(1u << 0)
#define F_ACCESS_PLATFORM	(1u << 1)

#define DESC_F_WRITE	2
#define QSIZE		8
#define PAGE		4096
#define DATA_LEN	64

struct vq_desc {
	__le64 addr;
	__le32 len;
	__le16 flags;
	__le16 next;
};

struct vq_used_elem {
	__le32 id;
	__le32 len;
};

/* Where a virtio structure lives: file offset of its BAR region + offset */
struct vio_loc {
	off_t off;
	unsigned int mult;	/* notify only */
};

FIXTURE(rng) {
	struct pci_handle h;
	bool bound;
	struct vio_loc common, notify;
	unsigned char *mem;		/* rings: desc, avail, used pages */
	unsigned char *data;		/* the buffer the device fills */
	__u64 iova;			/* of mem; data follows at + 3 pages */
	unsigned short avail_idx;
};

/* The first virtio-rng function, or "" */
static void find_rng(char *bdf, size_t size)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	bdf[0] = '\0';
	d = opendir("/sys/bus/pci/devices");
	if (!d)
		return;
	while ((e = readdir(d))) {
		long vendor, device;
		char buf[32];
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor",
			 e->d_name);
		f = fopen(path, "r");
		vendor = f && fgets(buf, sizeof(buf), f) ? strtol(buf, NULL, 0) : 0;
		if (f)
			fclose(f);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 e->d_name);
		f = fopen(path, "r");
		device = f && fgets(buf, sizeof(buf), f) ? strtol(buf, NULL, 0) : 0;
		if (f)
			fclose(f);
		if (vendor == VIRTIO_VENDOR && device == VIRTIO_RNG_DEVICE) {
			snprintf(bdf, size, "%.31s", e->d_name);
			break;
		}
	}
	closedir(d);
}

static int rd(int fd, off_t off, void *val, size_t len)
{
	return pread(fd, val, len, off) == (ssize_t)len ? 0 : -errno;
}

static int wr(int fd, off_t off, const void *val, size_t len)
{
	return pwrite(fd, val, len, off) == (ssize_t)len ? 0 : -errno;
}

static unsigned int rd32(int fd, off_t off)
{
	__le32 v = 0;

	rd(fd, off, &v, 4);
	return le32toh(v);
}

static int wr32(int fd, off_t off, unsigned int val)
{
	__le32 v = htole32(val);

	return wr(fd, off, &v, 4);
}

static int wr16(int fd, off_t off, unsigned short val)
{
	__le16 v = htole16(val);

	return wr(fd, off, &v, 2);
}

static unsigned short rd16(int fd, off_t off)
{
	__le16 v = 0;

	rd(fd, off, &v, 2);
	return le16toh(v);
}

static unsigned char rd8(int fd, off_t off)
{
	unsigned char v = 0xff;

	rd(fd, off, &v, 1);
	return v;
}

static int wr8(int fd, off_t off, unsigned char val)
{
	return wr(fd, off, &val, 1);
}

/* A 64-bit field as two 32-bit writes, low half first (virtio allows it) */
static int wr64(int fd, off_t off, __u64 val)
{
	return wr32(fd, off, (unsigned int)val) ?:
	       wr32(fd, off + 4, (unsigned int)(val >> 32));
}

/* Locate the common and notify structures through the capability list. */
static int find_structures(FIXTURE_DATA(rng) *self)
{
	int fd = self->h.device, found = 0;
	unsigned char pos = pci_cfg_read8(fd, PCI_CAPABILITY_LIST);
	int guard;

	for (guard = 0; pos && guard < 48; guard++) {
		unsigned char type = pci_cfg_read8(fd, pos + 3);
		unsigned char bar = pci_cfg_read8(fd, pos + 4);
		struct vfio_region_info info;
		struct vio_loc *loc = NULL;

		if (pci_cfg_read8(fd, pos) == PCI_CAP_ID_VNDR) {
			if (type == CAP_COMMON)
				loc = &self->common;
			else if (type == CAP_NOTIFY)
				loc = &self->notify;
		}
		if (loc && bar < 6 &&
		    !pci_region_info(fd, bar, &info, sizeof(info))) {
			loc->off = info.offset +
				   le32toh(pci_cfg_read32(fd, pos + 8));
			if (type == CAP_NOTIFY)
				loc->mult = le32toh(pci_cfg_read32(fd, pos + 16));
			found |= 1 << type;
		}
		pos = pci_cfg_read8(fd, pos + 1);
	}
	return found == (1 << CAP_COMMON | 1 << CAP_NOTIFY) ? 0 : -ENOENT;
}

/* The start of the first usable IOVA range that holds @size bytes. */
static __u64 pick_iova(int container, __u64 size)
{
	char buf[4096] = { 0 };
	struct vfio_iommu_type1_info *info = (void *)buf;
	unsigned int off;

	info->argsz = sizeof(buf);
	if (vfio_ioctl(container, VFIO_IOMMU_GET_INFO, info) ||
	    !(info->flags & VFIO_IOMMU_INFO_CAPS))
		return 0x100000;
	for (off = info->cap_offset; off; ) {
		struct vfio_info_cap_header *hdr = (void *)(buf + off);
		struct vfio_iommu_type1_info_cap_iova_range *r = (void *)hdr;
		unsigned int i;

		if (hdr->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)
			for (i = 0; i < r->nr_iovas; i++) {
				/* Stay clear of IOVA 0. */
				__u64 start = r->iova_ranges[i].start ?: 0x100000;

				if (r->iova_ranges[i].end - start >= size)
					return start;
			}
		off = hdr->next;
	}
	return 0x100000;
}

static int dma(int container, void *va, __u64 iova, __u64 size, bool map)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (unsigned long)va, .iova = iova, .size = size,
	};
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = iova, .size = size,
	};

	return map ? vfio_ioctl(container, VFIO_IOMMU_MAP_DMA, &m) :
		     vfio_ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u);
}

/* Device initialisation of the virtio spec, section 3.1, with one queue. */
static int bring_up(FIXTURE_DATA(rng) *self)
{
	int fd = self->h.device;
	off_t c = self->common.off;
	unsigned int i;

	wr8(fd, c + COMMON_STATUS, 0);
	for (i = 0; i < 1000 && rd8(fd, c + COMMON_STATUS); i++)
		usleep(1000);
	wr8(fd, c + COMMON_STATUS, STATUS_ACK | STATUS_DRIVER);
	wr32(fd, c + COMMON_DFSELECT, 1);
	if ((rd32(fd, c + COMMON_DF) & (F_VERSION_1 | F_ACCESS_PLATFORM)) !=
	    (F_VERSION_1 | F_ACCESS_PLATFORM))
		return -EOPNOTSUPP;	/* no IOMMU in its DMA path */
	wr32(fd, c + COMMON_GFSELECT, 0);
	wr32(fd, c + COMMON_GF, 0);
	wr32(fd, c + COMMON_GFSELECT, 1);
	wr32(fd, c + COMMON_GF, F_VERSION_1 | F_ACCESS_PLATFORM);
	wr8(fd, c + COMMON_STATUS,
	    STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
	if (!(rd8(fd, c + COMMON_STATUS) & STATUS_FEATURES_OK))
		return -EIO;

	wr16(fd, c + COMMON_Q_SELECT, 0);
	if (rd16(fd, c + COMMON_Q_SIZE) < QSIZE)
		return -ENOSPC;
	wr16(fd, c + COMMON_Q_SIZE, QSIZE);
	wr64(fd, c + COMMON_Q_DESC, self->iova);
	wr64(fd, c + COMMON_Q_AVAIL, self->iova + PAGE);
	wr64(fd, c + COMMON_Q_USED, self->iova + 2 * PAGE);
	wr16(fd, c + COMMON_Q_ENABLE, 1);
	wr8(fd, c + COMMON_STATUS, STATUS_ACK | STATUS_DRIVER |
				   STATUS_FEATURES_OK | STATUS_DRIVER_OK);
	return rd8(fd, c + COMMON_STATUS) & STATUS_DRIVER_OK ? 0 : -EIO;
}

/* Offer the data buffer to the device; returns the used index to expect. */
static unsigned short request(FIXTURE_DATA(rng) *self)
{
	struct vq_desc *desc = (void *)self->mem;
	volatile __le16 *avail = (void *)(self->mem + PAGE);
	off_t noff = self->notify.off + (off_t)self->notify.mult *
		     rd16(self->h.device, self->common.off + COMMON_Q_NOFF);

	desc[0].addr = htole64(self->iova + 3 * PAGE);
	desc[0].len = htole32(DATA_LEN);
	desc[0].flags = htole16(DESC_F_WRITE);
	avail[2 + self->avail_idx % QSIZE] = htole16(0);
	__sync_synchronize();
	avail[1] = htole16(++self->avail_idx);
	__sync_synchronize();
	wr16(self->h.device, noff, 0);
	return self->avail_idx;
}

/* Wait up to @ms for the used index to reach @want; returns it. */
static unsigned short wait_used(FIXTURE_DATA(rng) *self, unsigned short want,
				int ms)
{
	volatile __le16 *used = (void *)(self->mem + 2 * PAGE);
	int i;

	for (i = 0; i < ms && le16toh(used[1]) != want; i++)
		usleep(1000);
	return le16toh(used[1]);
}

static bool data_touched(FIXTURE_DATA(rng) *self)
{
	int i;

	for (i = 0; i < PAGE; i++)
		if (self->data[i])
			return true;
	return false;
}

FIXTURE_SETUP(rng)
{
	char bdf[32];
	__le16 cmd;
	int ret;

	self->h.device = -1;
	self->mem = MAP_FAILED;
	find_rng(bdf, sizeof(bdf));
	if (!bdf[0])
		SKIP(return, "no virtio-rng function in this VM");
	ret = pci_handle_setup(&self->h, bdf);
	if (ret == PCI_ABSENT)
		SKIP(return, "no vfio-pci (%d)", ret);
	self->bound = true;
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, find_structures(self));

	self->mem = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	memset(self->mem, 0, 4 * PAGE);
	self->data = self->mem + 3 * PAGE;
	self->iova = pick_iova(self->h.container, 4 * PAGE);
	ASSERT_EQ(0, dma(self->h.container, self->mem, self->iova, 3 * PAGE,
			 true));
	ASSERT_EQ(0, dma(self->h.container, self->data, self->iova + 3 * PAGE,
			 PAGE, true));

	/* Bus mastering on, through the emulated command register. */
	cmd = htole16(le16toh(pci_cfg_read16(self->h.device, PCI_COMMAND)) |
		      PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	ASSERT_EQ(2, pci_cfg_write(self->h.device, PCI_COMMAND, &cmd, 2));
	ret = bring_up(self);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "the function's DMA bypasses the IOMMU");
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(rng)
{
	if (self->h.device >= 0 && self->common.off)
		wr8(self->h.device, self->common.off + COMMON_STATUS, 0);
	if (self->bound)
		pci_handle_teardown(&self->h);
	if (self->mem != MAP_FAILED)
		munmap(self->mem, 4 * PAGE);
}

static int ioeventfd(int device, unsigned int flags, __u64 offset, __u64 data,
		     int fd)
{
	struct vfio_device_ioeventfd req = {
		.argsz = sizeof(req), .flags = flags, .offset = offset,
		.data = data, .fd = fd,
	};

	return vfio_ioctl(device, VFIO_DEVICE_IOEVENTFD, &req);
}

/* The MSI-X table's file offset, or -1 without MSI-X. */
static off_t msix_table(int fd)
{
	unsigned char pos = pci_cfg_read8(fd, PCI_CAPABILITY_LIST);
	struct vfio_region_info info;
	int guard;

	for (guard = 0; pos && guard < 48; guard++) {
		if (pci_cfg_read8(fd, pos) == PCI_CAP_ID_MSIX) {
			unsigned int t = le32toh(pci_cfg_read32(fd, pos + 4));

			if (pci_region_info(fd, t & 7, &info, sizeof(info)))
				return -1;
			return info.offset + (t & ~7u);
		}
		pos = pci_cfg_read8(fd, pos + 1);
	}
	return -1;
}

/* The config offset of the first vendor capability of @type, or 0. */
static unsigned char vendor_cap(int fd, unsigned char type)
{
	unsigned char pos = pci_cfg_read8(fd, PCI_CAPABILITY_LIST);
	int guard;

	for (guard = 0; pos && guard < 48; guard++) {
		if (pci_cfg_read8(fd, pos) == PCI_CAP_ID_VNDR &&
		    pci_cfg_read8(fd, pos + 3) == type)
			return pos;
		pos = pci_cfg_read8(fd, pos + 1);
	}
	return 0;
}

/*
 * Vendor-specific capabilities pass writes to the device, as in 6.1.
 * Virtio's PCI configuration access capability is worked that way: the
 * driver writes a BAR, an offset and a length into it, then reads or
 * writes its data field, and the device makes that access to the BAR.
 * Through it, select the second feature word and read it back; it must
 * match the same register read through the BAR region.
 */
TEST_F(rng, pci_cfg_window)
{
	int fd = self->h.device;
	unsigned char win = vendor_cap(fd, CAP_PCI_CFG);
	unsigned char common = vendor_cap(fd, CAP_COMMON);
	unsigned int bar, base, direct;
	unsigned char next;
	__le32 v;

	PCI_NEED_DEVICE();
	ASSERT_NE(0, win) TH_LOG("QEMU's virtio devices have the capability");
	ASSERT_NE(0, common);
	bar = pci_cfg_read8(fd, common + 4);
	base = le32toh(pci_cfg_read32(fd, common + 8));

	/* The window's registers hold what is written. */
	ASSERT_EQ(0, wr8(fd, REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX) + win + 4,
			 bar));
	ASSERT_EQ(0, wr32(fd, REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX) + win +
			  8, base + COMMON_DFSELECT));
	ASSERT_EQ(0, wr32(fd, REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX) + win +
			  12, 4));
	EXPECT_EQ(bar, pci_cfg_read8(fd, win + 4));
	EXPECT_EQ(base + COMMON_DFSELECT, le32toh(pci_cfg_read32(fd, win + 8)));
	EXPECT_EQ(4, le32toh(pci_cfg_read32(fd, win + 12)));

	/* Writing the data field writes the register. */
	ASSERT_EQ(0, wr32(fd, self->common.off + COMMON_DFSELECT, 0));
	v = htole32(1);
	ASSERT_EQ(4, pci_cfg_write(fd, win + 16, &v, 4));
	EXPECT_EQ(1, rd32(fd, self->common.off + COMMON_DFSELECT));

	/* Reading it reads the register. */
	direct = rd32(fd, self->common.off + COMMON_DF);
	EXPECT_TRUE(direct & F_VERSION_1);
	ASSERT_EQ(0, wr32(fd, REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX) + win +
			  8, base + COMMON_DF));
	EXPECT_EQ(base + COMMON_DF, le32toh(pci_cfg_read32(fd, win + 8)));
	EXPECT_EQ(direct, le32toh(pci_cfg_read32(fd, win + 16)));

	/* The list header stays ours: its ID and next pointer do not move. */
	next = pci_cfg_read8(fd, win + 1);
	ASSERT_EQ(0, wr8(fd, REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX) + win + 1,
			 next ^ 0x40));
	EXPECT_EQ(PCI_CAP_ID_VNDR, pci_cfg_read8(fd, win));
	EXPECT_EQ(next, pci_cfg_read8(fd, win + 1));
}

/* A register written by the kernel when an eventfd fires. */
TEST_F(rng, ioeventfd_writes_register)
{
	off_t reg = self->common.off + COMMON_DFSELECT;
	int d = self->h.device, efd, i;
	__u64 one = 1;
	off_t table;

	PCI_NEED_DEVICE();
	efd = eventfd(0, 0);
	ASSERT_LE(0, efd);

	ASSERT_EQ(0, ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, reg, 1, efd));
	EXPECT_EQ(-EEXIST, ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, reg, 1, efd));
	ASSERT_EQ(0, wr32(d, reg, 0));
	ASSERT_EQ(sizeof(one), write(efd, &one, sizeof(one)));
	for (i = 0; i < 1000 && rd32(d, reg) != 1; i++)
		usleep(1000);
	EXPECT_EQ(1, rd32(d, reg));

	/* Bad requests change nothing. */
	EXPECT_EQ(-EINVAL, ioeventfd(d, 0, reg, 2, efd));
	EXPECT_EQ(-EINVAL, ioeventfd(d, VFIO_DEVICE_IOEVENTFD_8 |
				     VFIO_DEVICE_IOEVENTFD_16, reg, 2, efd));
	EXPECT_EQ(-EINVAL, ioeventfd(d, 1u << 4, reg, 2, efd));
	EXPECT_EQ(-EINVAL, ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, reg, 2, -2));
	EXPECT_EQ(-EINVAL, ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32,
				     REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX),
				     2, efd));
	EXPECT_EQ(-EINVAL, ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32,
				     (reg & ~((1ULL << 40) - 1)) +
				     (1ULL << 39), 2, efd));
	table = msix_table(d);
	if (table >= 0)
		EXPECT_EQ(-EINVAL, ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32,
					     table, 2, efd));
	EXPECT_EQ(-ENODEV, ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, reg, 2, -1));

	/* Removed, it writes no more. */
	ASSERT_EQ(0, ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, reg, 1, -1));
	EXPECT_EQ(-ENODEV, ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, reg, 1, -1));
	ASSERT_EQ(0, wr32(d, reg, 0));
	ASSERT_EQ(sizeof(one), write(efd, &one, sizeof(one)));
	usleep(100000);
	EXPECT_EQ(0, rd32(d, reg));

	/* One left registered goes with the device's last close. */
	ASSERT_EQ(0, ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, reg, 1, efd));
	close(efd);
}

/*
 * Last: on s390 the refused DMA puts the function in an error state that
 * only a recovery ends.
 */
TEST_F(rng, dma_then_unmapped)
{
	struct vq_used_elem *used_elem;
	unsigned short want;
	int i, kmsg;
	bool saw = false;
	char addr[64];

	PCI_NEED_DEVICE();

	want = request(self);
	ASSERT_EQ(want, wait_used(self, want, 5000));
	used_elem = (void *)(self->mem + 2 * PAGE + 4);
	EXPECT_EQ(DATA_LEN, le32toh(used_elem->len));
	EXPECT_TRUE(data_touched(self));

	/* The buffer leaves the IOMMU: the device must not reach it. */
	memset(self->data, 0, PAGE);
	ASSERT_EQ(0, dma(self->h.container, NULL, self->iova + 3 * PAGE, PAGE,
			 false));
	kmsg = kmsg_open_at_end();
	ASSERT_LE(0, kmsg);
	want = request(self);
	wait_used(self, want, 1000);
	EXPECT_FALSE(data_touched(self));
	/*
	 * The IOMMU reports it from its interrupt: the Intel IOMMU with the
	 * faulting address, s390 as an error event of the function.
	 */
	snprintf(addr, sizeof(addr), "fault addr 0x%llx",
		 (unsigned long long)self->iova + 3 * PAGE);
	for (i = 0; i < 100 && !saw; i++) {
		saw = kmsg_saw(kmsg, "DMAR", addr, "reports an error",
			       "PCI function");
		if (!saw)
			usleep(10000);
	}
	EXPECT_TRUE(saw);
	close(kmsg);
}

TEST_HARNESS_MAIN
