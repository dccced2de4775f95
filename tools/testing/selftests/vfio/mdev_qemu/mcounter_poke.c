// SPDX-License-Identifier: GPL-2.0-only
/*
 * Runs inside the inner guest: exercises an mcounter device through its
 * BAR0, mapped from sysfs (/sys/bus/pci/devices/BDF/resource0), the way a
 * guest driver would.  Every access traps to the QEMU outside, which
 * forwards it to the mcounter driver through the VFIO device file.
 *
 *   mcounter_poke /sys/bus/pci/devices/BDF/resource0
 *
 * Prints one "MCOUNTER_INNER: ..." line per check; exits 0 if all pass.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../../../../samples/vfio-mdev/mcounter_regs.h"

#define BAR_SIZE	4096

static int failures;

static void check(int ok, const char *what, uint32_t got, uint32_t want)
{
	printf("MCOUNTER_INNER: %s %s (got 0x%x, want 0x%x)\n",
	       ok ? "ok" : "FAILED", what, got, want);
	failures += !ok;
}

static uint32_t rd(volatile uint32_t *bar, unsigned int off)
{
	return bar[off / 4];
}

static void wr(volatile uint32_t *bar, unsigned int off, uint32_t val)
{
	bar[off / 4] = val;
}

int main(int argc, char **argv)
{
	volatile uint32_t *bar;
	unsigned int off;
	uint32_t v;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: %s RESOURCE0\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_SYNC);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	bar = mmap(NULL, BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (bar == MAP_FAILED) {
		perror("mmap");
		return 1;
	}

	v = rd(bar, MCOUNTER_REG_MAGIC);
	check(v == MCOUNTER_MAGIC, "magic", v, MCOUNTER_MAGIC);

	wr(bar, MCOUNTER_REG_SCRATCH, 0x12345678);
	v = rd(bar, MCOUNTER_REG_SCRATCH);
	check(v == 0x12345678, "scratch written and read back", v,
	      0x12345678);

	wr(bar, MCOUNTER_REG_COUNT, 1000);
	for (off = 1; off <= 10; off++)
		wr(bar, MCOUNTER_REG_ADD, off);
	v = rd(bar, MCOUNTER_REG_COUNT);
	check(v == 1055, "counter after ten adds", v, 1055);

	for (off = MCOUNTER_RAM; off < BAR_SIZE; off += 4)
		wr(bar, off, off * 2654435761u);
	for (off = MCOUNTER_RAM; off < BAR_SIZE; off += 4) {
		v = rd(bar, off);
		if (v != off * 2654435761u)
			break;
	}
	check(off == BAR_SIZE, "memory window pattern", off, BAR_SIZE);

	munmap((void *)bar, BAR_SIZE);
	close(fd);
	printf("MCOUNTER_INNER: %s\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
