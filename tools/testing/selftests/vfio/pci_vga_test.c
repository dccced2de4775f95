// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci: the VGA region, on the test VM's standard VGA (00:09.0).
 * Its index registers prove that I/O port accesses reach the device, the
 * text buffer that memory accesses do; offsets outside the three legacy
 * windows are refused and accesses are cut at a window's end.  With
 * vfio-pci's disable_vga=1 there is no VGA region at all.
 */
#include "../kselftest_harness.h"
#include "pci_test_util.h"

#define PCI_VGA		"0000:00:09.0"
#define VGA_OFF(addr)	(REGION_OFF(VFIO_PCI_VGA_REGION_INDEX) + (addr))

/* VGA registers: sequencer and graphics controller index/data pairs. */
#define VGA_SEQ_INDEX	0x3c4
#define VGA_GFX_INDEX	0x3ce
#define VGA_GFX_DATA	0x3cf
#define VGA_GFX_MISC	0x06

static int vga_read(int fd, unsigned int addr, void *buf, size_t len)
{
	ssize_t ret = pread(fd, buf, len, VGA_OFF(addr));

	return ret < 0 ? -errno : (int)ret;
}

static int vga_write(int fd, unsigned int addr, const void *buf, size_t len)
{
	ssize_t ret = pwrite(fd, buf, len, VGA_OFF(addr));

	return ret < 0 ? -errno : (int)ret;
}

static int vga_outb(int fd, unsigned int port, unsigned char val)
{
	return vga_write(fd, port, &val, 1);
}

static int vga_inb(int fd, unsigned int port)
{
	unsigned char val;
	int ret = vga_read(fd, port, &val, 1);

	return ret == 1 ? val : (ret < 0 ? ret : -EIO);
}

/* Reload vfio-pci with PARAMS ("" for the defaults). */
static int reload_vfio_pci(const char *params)
{
	return vfio_sh("rmmod vfio_pci && modprobe vfio_pci %s", params);
}

/* Bind the VGA to vfio-pci and open it; PCI_ABSENT if it is not here. */
static int vga_open(struct pci_handle *h)
{
	h->device = -1;
	if (access("/sys/bus/pci/devices/" PCI_VGA, F_OK))
		return PCI_ABSENT;
	return pci_handle_setup(h, PCI_VGA);
}

FIXTURE(vga) {
	struct pci_handle h;
};

FIXTURE_SETUP(vga)
{
	int ret = vga_open(&self->h);

	if (ret == PCI_ABSENT)
		SKIP(return, "no vfio-pci or no VGA at " PCI_VGA);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(vga)
{
	pci_handle_teardown(&self->h);
}

/* vfio-pci loaded with disable_vga=1, and back to defaults after. */
FIXTURE(no_vga) {
	struct pci_handle h;
	bool reloaded;
};

FIXTURE_SETUP(no_vga)
{
	int ret;

	self->h.device = -1;
	if (access("/sys/bus/pci/devices/" PCI_VGA, F_OK))
		SKIP(return, "no VGA at " PCI_VGA);
	self->reloaded = true;
	ASSERT_EQ(0, reload_vfio_pci("disable_vga=1"));
	ret = vga_open(&self->h);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(no_vga)
{
	if (!self->reloaded)
		return;
	pci_handle_teardown(&self->h);
	EXPECT_EQ(0, reload_vfio_pci(""));
}

TEST_F(no_vga, no_region)
{
	struct vfio_region_info info;
	int d = self->h.device;
	char c;

	PCI_NEED_DEVICE();

	EXPECT_EQ(-EINVAL, pci_region_info(d, VFIO_PCI_VGA_REGION_INDEX, &info,
					   sizeof(info)));
	EXPECT_EQ(-EINVAL, vga_read(d, VGA_SEQ_INDEX, &c, 1));
	EXPECT_EQ(-EINVAL, vga_write(d, VGA_SEQ_INDEX, &c, 1));
	EXPECT_EQ(-EINVAL, vga_read(d, 0xb8000, &c, 1));
}

TEST_F(vga, region_info)
{
	struct vfio_region_info info;
	int d = self->h.device;

	PCI_NEED_DEVICE();

	ASSERT_EQ(0, pci_region_info(d, VFIO_PCI_VGA_REGION_INDEX, &info,
				     sizeof(info)));
	EXPECT_EQ(0xc0000, info.size);
	EXPECT_EQ(VGA_OFF(0), info.offset);
	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
		  info.flags);
}

/*
 * The boot VGA's ROM is the shadow copy at 0xc0000 (x86's video fixup
 * turns the ROM resource into it, 128 KiB): the region reports that size
 * and reads the image, signature first.  A shadow resource of no size,
 * which some platforms have, maps nothing through pci_map_rom() and is
 * reported empty, in 6.1 as here.
 */
TEST_F(vga, shadowed_rom)
{
	unsigned long long start = 0, end = 0, flags = 0;
	struct vfio_region_info info;
	int d = self->h.device, i;
	unsigned char sig[2];
	char line[128];
	FILE *f;

	PCI_NEED_DEVICE();
	f = fopen("/sys/bus/pci/devices/" PCI_VGA "/resource", "r");
	ASSERT_NE(NULL, f);
	for (i = 0; i <= 6 && fgets(line, sizeof(line), f); i++)
		sscanf(line, "%llx %llx %llx", &start, &end, &flags);
	fclose(f);
	if (start != 0xc0000)
		SKIP(return, "the VGA's ROM is not shadowed (%#llx)", start);
	ASSERT_EQ(0, pci_region_info(d, VFIO_PCI_ROM_REGION_INDEX, &info,
				     sizeof(info)));
	EXPECT_EQ(end - start + 1, info.size);
	EXPECT_EQ(0x20000, info.size);
	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ, info.flags);
	ASSERT_EQ(2, pread(d, sig, 2, REGION_OFF(VFIO_PCI_ROM_REGION_INDEX)));
	EXPECT_EQ(0x55, sig[0]);
	EXPECT_EQ(0xaa, sig[1]);
}

/* Index registers read back what was written: the ports reach QEMU. */
TEST_F(vga, io_ports)
{
	int d = self->h.device;

	PCI_NEED_DEVICE();

	ASSERT_EQ(1, vga_outb(d, VGA_SEQ_INDEX, 0x02));
	EXPECT_EQ(0x02, vga_inb(d, VGA_SEQ_INDEX));
	ASSERT_EQ(1, vga_outb(d, VGA_SEQ_INDEX, 0x04));
	EXPECT_EQ(0x04, vga_inb(d, VGA_SEQ_INDEX));
	ASSERT_EQ(1, vga_outb(d, VGA_GFX_INDEX, 0x05));
	EXPECT_EQ(0x05, vga_inb(d, VGA_GFX_INDEX));
	ASSERT_EQ(1, vga_outb(d, VGA_GFX_INDEX, 0x08));
	EXPECT_EQ(0x08, vga_inb(d, VGA_GFX_INDEX));
}

/*
 * The firmware leaves the card in text mode, its buffer at 0xb8000 (the
 * graphics controller's memory map select says so): a pattern written
 * there reads back.
 */
TEST_F(vga, text_memory)
{
	const char pattern[] = "VFIO VGA region memory test 0123456789";
	char back[sizeof(pattern)] = { 0 };
	static char text[0x8000];
	int d = self->h.device, misc;
	unsigned int base;

	PCI_NEED_DEVICE();

	ASSERT_EQ(1, vga_outb(d, VGA_GFX_INDEX, VGA_GFX_MISC));
	misc = vga_inb(d, VGA_GFX_DATA);
	ASSERT_LE(0, misc);
	/* Bits 3:2 of the misc register: where the memory window is. */
	if (((misc >> 2) & 3) != 3)
		ksft_print_msg("memory map select %#x: not text mode\n", misc);
	ASSERT_EQ(3, (misc >> 2) & 3);
	base = 0xb8000 + 0x1000;

	ASSERT_EQ(sizeof(pattern), vga_write(d, base, pattern,
					     sizeof(pattern)));
	ASSERT_EQ(sizeof(back), vga_read(d, base, back, sizeof(back)));
	EXPECT_EQ(0, memcmp(pattern, back, sizeof(pattern)));

	/* A large read goes through in bounce-buffer sized pieces. */
	EXPECT_EQ(sizeof(text), vga_read(d, 0xb8000, text, sizeof(text)));
	EXPECT_EQ(0, memcmp(pattern, text + 0x1000, sizeof(pattern)));
}

TEST_F(vga, bad_offsets)
{
	char buf[8];
	int d = self->h.device;
	void *bad;

	PCI_NEED_DEVICE();

	/* Between and past the windows. */
	EXPECT_EQ(-EINVAL, vga_read(d, 0, buf, 1));
	EXPECT_EQ(-EINVAL, vga_read(d, 0x3af, buf, 1));
	EXPECT_EQ(-EINVAL, vga_read(d, 0x3bc, buf, 1));
	EXPECT_EQ(-EINVAL, vga_read(d, 0x3e0, buf, 1));
	EXPECT_EQ(-EINVAL, vga_write(d, 0x3e0, buf, 1));
	EXPECT_EQ(-EINVAL, vga_read(d, 0x9ffff, buf, 1));
	EXPECT_EQ(-EINVAL, vga_read(d, 0xc0000, buf, 1));
	EXPECT_EQ(-EINVAL, vga_read(d, 0xfffff, buf, 1));
	/* Cut at the end of the window the access starts in. */
	EXPECT_EQ(1, vga_read(d, 0x3df, buf, 2));
	EXPECT_EQ(4, vga_read(d, 0x3b8, buf, 8));
	EXPECT_EQ(2, vga_read(d, 0xbfffe, buf, 8));
	/* A user buffer that is not mapped. */
	bad = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	munmap(bad, 4096);
	EXPECT_EQ(-EFAULT, vga_read(d, 0x3c4, bad, 1));
	EXPECT_EQ(-EFAULT, vga_write(d, 0x3c4, bad, 1));
}

TEST_HARNESS_MAIN
