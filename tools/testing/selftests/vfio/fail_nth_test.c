// SPDX-License-Identifier: GPL-2.0-only
/*
 * Allocation-failure sweep.  Each path below runs once clean, then again
 * and again with the Nth fault-injection point of the calling thread
 * failing (/proc/thread-self/fail-nth), N = 1, 2, ... until a run passes
 * fewer than N points and so no injection fired.  Every injection point
 * counts: slab and page allocations and user copies (failslab,
 * fail_page_alloc and fail_usercopy, set up to fail any allocation, not
 * only atomic ones).  After every run:
 *
 *  - each call either succeeded or failed with an errno an allocation or
 *    copy failure explains (ENOMEM, EFAULT, ENOSPC, EAGAIN);
 *  - the kernel logged no report (WARNING, BUG, KASAN, UBSAN, lockdep,
 *    DEBUG_OBJECTS, refcount or list corruption);
 *  - nothing is left behind: the process's locked_vm and fds, the pages
 *    pinned system-wide (nr_foll_pin_acquired - nr_foll_pin_released),
 *    the reference counts of the modules involved.  The objects a run
 *    leaked are kmemleak's to find: the debug tier's runner scans after
 *    every program.
 *
 * A run that fails part-way may leave what the user did before the
 * failure (a mapping made before the UNMAP that failed): each path has a
 * clean-up, run without injection, that undoes what the user would.
 *
 * Needs CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC
 * and CONFIG_FAULT_INJECTION_USERCOPY with debugfs (the kernel of make
 * check-debug); each path skips on a kernel without them.
 */
#include <dirent.h>
#include <regex.h>
#include <time.h>
#include <linux/kvm.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "pci_test_util.h"
#include "mdev_test_util.h"
#include "../../../../samples/vfio-mdev/mblit_regs.h"

#define MOCK_DEV	71
#define MDEV_N		40
#define SZ_4K		4096UL
#define SZ_2M		(2UL << 20)
#define MAP_LEN		SZ_2M
#define IOVA		0x100000000UL
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
/* A path that passes more injection points than this is a bug of its own. */
#define MAX_NTH		20000
/*
 * How long one path may sweep (FAIL_NTH_SECONDS overrides it): a path
 * that is not through by then says how far it got, and the points it did
 * not reach are untested.
 */
#define SWEEP_SECONDS	240

/* Everything a path needs that is set up once, without injection. */
struct world {
	struct pci_handle pci;		/* the e1000 on vfio-pci: a domain */
	int mock_group;			/* an emulated-IOMMU group */
	int mock_group_nr;		/* its number, for paths that open it */
	int kvm, kvm_vm, kvm_vfio;	/* a VM and its KVM-VFIO device */
	char *anon, *thp, *huge, *bar;	/* memory of every kind to map */
	long huge_pool;
	size_t bar_len;
	int bar_fd;
	struct vfio_mock_handle mdev;	/* an mblit mdev, open in a VM */
	char *mdev_buf;			/* the memory it copies within */
	bool hot_reset;			/* the function can be hot reset */
	char sibling_driver[64];	/* the bridged sibling's, bound back */
	bool sibling_bound;		/* the sibling is on vfio-pci */
	unsigned int irqs[VFIO_PCI_NUM_IRQS];	/* and its IRQ counts */
};

/* The step of a run that failed, for the report. */
static const char *failed_step;

#define STEP(ret, what, expr)						\
	do {								\
		if (!(ret)) {						\
			(ret) = (expr);					\
			if ((ret) < 0)					\
				failed_step = (what);			\
			else						\
				(ret) = 0;				\
		}							\
	} while (0)

/*
 * EIO too: a failed IOMMU domain allocation or a short iommu_map() has
 * always been reported so, in 6.1 as here.
 */
static bool clean_errno(int ret)
{
	return ret == 0 || ret == -ENOMEM || ret == -EFAULT ||
	       ret == -ENOSPC || ret == -EAGAIN || ret == -EIO;
}

/* ---- fault injection ---- */

static int set_attr(const char *dir, const char *attr, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%s", dir, attr);
	return vfio_write_file(path, value);
}

/* Let fail-nth reach every allocation and copy; 0 or -errno. */
static int fault_setup(void)
{
	if (access("/proc/thread-self/fail-nth", F_OK) ||
	    access("/sys/kernel/debug/failslab", F_OK) ||
	    access("/sys/kernel/debug/fail_page_alloc", F_OK) ||
	    access("/sys/kernel/debug/fail_usercopy", F_OK))
		return -ENOENT;
	if (set_attr("failslab", "ignore-gfp-wait", "N") ||
	    set_attr("failslab", "verbose", "0") ||
	    set_attr("fail_page_alloc", "ignore-gfp-wait", "N") ||
	    set_attr("fail_page_alloc", "ignore-gfp-highmem", "N") ||
	    set_attr("fail_page_alloc", "min-order", "0") ||
	    set_attr("fail_page_alloc", "verbose", "0") ||
	    set_attr("fail_usercopy", "verbose", "0"))
		return -EIO;
	return 0;
}

static int nth_fd = -1;

/* Whether a run is armed, and whether it fired before nth_pause(). */
static bool nth_armed, nth_fired_before_pause;

static void nth_arm(unsigned int n)
{
	char text[16];
	int len = snprintf(text, sizeof(text), "%u", n);

	if (pwrite(nth_fd, text, len, 0) != len)
		abort();
	nth_armed = true;
	nth_fired_before_pause = false;
}

/*
 * Disarm; returns whether the Nth point was reached (an injection fired).
 * Reading and writing the file copy to and from user memory, which are
 * injection points themselves while the count is not spent: a failed copy
 * is the count running out there, after the run.
 */
static bool nth_disarm(void)
{
	char text[16] = "";
	ssize_t n;

	n = pread(nth_fd, text, sizeof(text) - 1, 0);
	if (n < 0 && errno != EFAULT)
		abort();
	while (pwrite(nth_fd, "0", 1, 0) != 1)
		if (errno != EFAULT)
			abort();
	return n > 0 && atoi(text) == 0;
}

/*
 * For the steps of a path that must run without injection: stop it here,
 * and keep whether it fired before for run_once().
 */
static void nth_pause(void)
{
	if (!nth_armed)
		return;
	nth_fired_before_pause = nth_disarm();
	nth_armed = false;
}

/* After a run: whether its Nth point was reached. */
static bool nth_end(void)
{
	bool fired = nth_armed ? nth_disarm() : nth_fired_before_pause;

	nth_armed = false;
	return fired;
}

/* ---- what must come back to where it was ---- */

static const char *const modules[] = {
	"vfio", "vfio_iommu_type1", "vfio_pci_core", "vfio_pci", "vfio_mock",
	"mdev", "mcounter", "mblit", "kvm",
};
#define NR_MODULES	(sizeof(modules) / sizeof(modules[0]))

struct snapshot {
	long vmlck_kb;
	long pins;
	int fds;
	long refcnt[NR_MODULES];
};

/* Open fds, from /proc/self/fd (less the directory's own). */
static int count_fds(void)
{
	struct dirent *e;
	int n = -1;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static long module_refcnt(const char *name)
{
	char path[96], text[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(text, sizeof(text), f))
		text[0] = '\0';
	fclose(f);
	return atol(text);
}

static void snapshot_take(struct snapshot *s)
{
	unsigned int i;

	s->vmlck_kb = vfio_vmlck_kb();
	s->pins = vfio_pinned_pages();
	s->fds = count_fds();
	for (i = 0; i < NR_MODULES; i++)
		s->refcnt[i] = module_refcnt(modules[i]);
}

/* What differs between two snapshots, or NULL. */
static const char *snapshot_diff(const struct snapshot *a,
				 const struct snapshot *b)
{
	static char what[96];
	unsigned int i;

	if (a->vmlck_kb != b->vmlck_kb)
		return "locked_vm";
	if (a->pins != b->pins)
		return "pinned pages";
	if (a->fds != b->fds)
		return "open fds";
	for (i = 0; i < NR_MODULES; i++) {
		if (a->refcnt[i] != b->refcnt[i]) {
			snprintf(what, sizeof(what), "refcnt of %s", modules[i]);
			return what;
		}
	}
	return NULL;
}

/* ---- the kernel log ---- */

static const char *const reports[] = {
	"WARNING:", "BUG:", "Oops", "UBSAN:", "ODEBUG:", "refcount_t:",
	"list_add corruption", "list_del corruption", "kernel BUG at",
	"general protection fault", "possible circular locking",
};

/*
 * Reports of Linux's own that the VM's init does not count either
 * (VFIO_KNOWN_REPORTS, an extended regular expression; see vm/init.sh).
 */
static bool known_report(const char *rec)
{
	static regex_t known;
	static int compiled;
	const char *pattern;

	if (!compiled) {
		pattern = getenv("VFIO_KNOWN_REPORTS");
		compiled = pattern && *pattern &&
			   !regcomp(&known, pattern, REG_EXTENDED | REG_NOSUB) ?
			   1 : -1;
	}
	return compiled > 0 && !regexec(&known, rec, 0, NULL, 0);
}

/* The first report logged since the last call, into @out; false if none. */
static bool kmsg_report(int fd, char *out, size_t size)
{
	char rec[2048];
	unsigned int i;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten records */
			continue;
		if (n <= 0)
			return false;
		rec[n] = '\0';
		if (known_report(rec))
			continue;
		for (i = 0; i < sizeof(reports) / sizeof(reports[0]); i++) {
			if (strstr(rec, reports[i])) {
				snprintf(out, size, "%s", rec);
				return true;
			}
		}
	}
}

/* ---- paths ---- */

struct path {
	const char *name;
	/* Without injection; 0, -errno, or PCI_ABSENT to skip the path. */
	int (*setup)(struct world *w);
	/* Under injection; must undo what it did when every step worked. */
	int (*run)(struct world *w);
	/* Without injection: undo what a failed run left. */
	void (*cleanup)(struct world *w);
	void (*teardown)(struct world *w);
};

static int map(int container, void *vaddr, unsigned long iova, size_t len)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = RW,
		.vaddr = (unsigned long)vaddr, .iova = iova, .size = len,
	};

	return vfio_ioctl(container, VFIO_IOMMU_MAP_DMA, &m);
}

static int unmap(int container, unsigned long iova, size_t len, __u32 flags)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .flags = flags, .iova = iova, .size = len,
	};

	return vfio_ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u);
}

static void unmap_all(struct world *w)
{
	unmap(w->pci.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
}

static int mock_group_open(unsigned int id, const char *flags)
{
	vfio_mock_destroy(id);
	if (vfio_mock_create(id, 0, flags))
		return -EIO;
	return vfio_open_group(vfio_mock_group(id));
}

/* Container and type1: open, attach a group, set the IOMMU, query. */
static int run_container(struct world *w)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	int c, g, ret = 0;

	c = vfio_open_container();
	STEP(ret, "open container", c);
	g = vfio_open_group(w->mock_group_nr);
	STEP(ret, "open group", g);
	STEP(ret, "SET_CONTAINER", vfio_group_set_container(g, c));
	STEP(ret, "SET_IOMMU", vfio_ioctl(c, VFIO_SET_IOMMU,
					  VFIO_TYPE1v2_IOMMU));
	STEP(ret, "IOMMU_GET_INFO", vfio_ioctl(c, VFIO_IOMMU_GET_INFO, &info));
	if (g >= 0) {
		vfio_ioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL);
		close(g);
	}
	if (c >= 0)
		close(c);
	return ret;
}

static int setup_mock(struct world *w)
{
	w->mock_group = mock_group_open(MOCK_DEV, "unmap");
	return w->mock_group < 0 ? w->mock_group : 0;
}

static void teardown_mock(struct world *w)
{
	close(w->mock_group);
	w->mock_group = -1;
	vfio_mock_destroy(MOCK_DEV);
}

/* For the container path, which opens the group itself. */
static int setup_mock_device(struct world *w)
{
	vfio_mock_destroy(MOCK_DEV);
	if (vfio_mock_create(MOCK_DEV, 0, "unmap"))
		return -EIO;
	w->mock_group_nr = vfio_mock_group(MOCK_DEV);
	return w->mock_group_nr < 0 ? w->mock_group_nr : 0;
}

static void teardown_mock_device(struct world *w)
{
	vfio_mock_destroy(MOCK_DEV);
}

static void no_cleanup(struct world *w)
{
}

/* ---- a function on vfio-pci: an IOMMU domain, and a vfio-pci device ---- */

/* BDF bound to vfio-pci in a type1v2 container, its device fd open. */
static int setup_pci_at(struct world *w, const char *bdf)
{
	int ret = pci_handle_setup(&w->pci, bdf);

	if (ret)
		return ret;
	if (w->pci.iommu_type != VFIO_TYPE1v2_IOMMU) {
		pci_handle_teardown(&w->pci);
		return -ENODEV;
	}
	return 0;
}

/* The e1000's domain, for the mapping paths: they need no device fd. */
static int setup_pci(struct world *w)
{
	int ret = setup_pci_at(w, PCI_E1000);

	if (ret)
		return ret;
	close(w->pci.device);
	w->pci.device = -1;
	return 0;
}

static void teardown_pci(struct world *w)
{
	unmap_all(w);
	pci_handle_teardown(&w->pci);
}

static int run_map(struct world *w, char *mem, size_t len)
{
	int ret = 0;

	STEP(ret, "MAP_DMA", map(w->pci.container, mem, IOVA, len));
	if (ret)
		return ret;
	STEP(ret, "UNMAP_DMA", unmap(w->pci.container, IOVA, len, 0));
	return ret;
}

static int run_map_anon(struct world *w)
{
	return run_map(w, w->anon, MAP_LEN);
}

static int run_map_thp(struct world *w)
{
	return run_map(w, w->thp, MAP_LEN);
}

static int run_map_hugetlb(struct world *w)
{
	return run_map(w, w->huge, MAP_LEN);
}

static int run_map_pfnmap(struct world *w)
{
	return run_map(w, w->bar, w->bar_len);
}

static int setup_thp(struct world *w)
{
	int ret = setup_pci(w);
	char *area;

	if (ret)
		return ret;
	area = mmap(NULL, 2 * MAP_LEN, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return -errno;
	w->thp = (char *)(((unsigned long)area + SZ_2M - 1) & ~(SZ_2M - 1));
	madvise(w->thp, MAP_LEN, MADV_HUGEPAGE);
	memset(w->thp, 0x5a, MAP_LEN);
	return 0;
}

static int setup_hugetlb(struct world *w)
{
	int ret = setup_pci(w);

	if (ret)
		return ret;
	w->huge_pool = vfio_hugetlb_grow(MAP_LEN / SZ_2M);
	if (w->huge_pool < 0)
		return -ENOMEM;
	w->huge = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE,
		       -1, 0);
	return w->huge == MAP_FAILED ? -errno : 0;
}

static void teardown_hugetlb(struct world *w)
{
	teardown_pci(w);
	if (w->huge && w->huge != MAP_FAILED)
		munmap(w->huge, MAP_LEN);
	w->huge = NULL;
	vfio_hugetlb_restore(w->huge_pool);
}

/*
 * VM_PFNMAP memory: the BAR of the virtio-net through its sysfs resource
 * file, mapped through the e1000's domain.
 */
static int setup_pfnmap(struct world *w)
{
	const char *res = "/sys/bus/pci/devices/" PCI_VIRTIO "/resource4";
	int ret = setup_pci(w);
	struct stat st;

	if (ret)
		return ret;
	w->bar_fd = open(res, O_RDWR);
	if (w->bar_fd < 0 || fstat(w->bar_fd, &st))
		return -errno;
	w->bar_len = st.st_size;
	w->bar = mmap(NULL, w->bar_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      w->bar_fd, 0);
	return w->bar == MAP_FAILED ? -errno : 0;
}

static void teardown_pfnmap(struct world *w)
{
	teardown_pci(w);
	if (w->bar && w->bar != MAP_FAILED)
		munmap(w->bar, w->bar_len);
	w->bar = NULL;
	if (w->bar_fd >= 0)
		close(w->bar_fd);
	w->bar_fd = -1;
}

/* A group attached to a container that has mappings: domain and replay. */
static int setup_replay(struct world *w)
{
	int ret = setup_pci(w);

	if (ret)
		return ret;
	/* Start over with only the emulated group and a mapping. */
	vfio_ioctl(w->pci.group, VFIO_GROUP_UNSET_CONTAINER, NULL);
	ret = setup_mock(w);
	if (!ret)
		ret = vfio_group_set_container(w->mock_group, w->pci.container);
	if (!ret)
		ret = vfio_ioctl(w->pci.container, VFIO_SET_IOMMU,
				 VFIO_TYPE1v2_IOMMU);
	if (!ret)
		ret = map(w->pci.container, w->anon, IOVA, MAP_LEN);
	return ret;
}

static int run_replay(struct world *w)
{
	int ret = 0;

	STEP(ret, "SET_CONTAINER",
	     vfio_group_set_container(w->pci.group, w->pci.container));
	if (ret)
		return ret;
	/*
	 * The detach of a lone group allocates nothing of ours, and Linux
	 * 6.1's IOMMU core cannot take a failure there: when intel-iommu
	 * fails to allocate while re-attaching the blocking domain, the
	 * core WARNs and leaves the group without a domain for the rest of
	 * the boot.  So the injection ends before it.
	 */
	nth_pause();
	STEP(ret, "UNSET_CONTAINER",
	     vfio_ioctl(w->pci.group, VFIO_GROUP_UNSET_CONTAINER, NULL));
	return ret;
}

static void cleanup_replay(struct world *w)
{
	vfio_ioctl(w->pci.group, VFIO_GROUP_UNSET_CONTAINER, NULL);
}

static void teardown_replay(struct world *w)
{
	unmap_all(w);
	teardown_mock(w);
	/* The PCI group is no longer attached: teardown_pci just closes. */
	pci_handle_teardown(&w->pci);
}

/* Dirty page tracking over a pinned mapping. */
static int setup_dirty(struct world *w)
{
	int ret = setup_pci(w);

	return ret ? ret : map(w->pci.container, w->anon, IOVA, MAP_LEN);
}

static int dirty(int container, __u32 flags, void *data)
{
	struct {
		struct vfio_iommu_type1_dirty_bitmap db;
		struct vfio_iommu_type1_dirty_bitmap_get get;
	} arg = { .db = { .argsz = sizeof(arg.db), .flags = flags } };

	if (data) {
		arg.db.argsz = sizeof(arg);
		arg.get.iova = IOVA;
		arg.get.size = MAP_LEN;
		arg.get.bitmap.pgsize = SZ_4K;
		arg.get.bitmap.size = MAP_LEN / SZ_4K / 8;
		arg.get.bitmap.data = data;
	}
	return vfio_ioctl(container, VFIO_IOMMU_DIRTY_PAGES, &arg);
}

static int run_dirty(struct world *w)
{
	__u64 bitmap[MAP_LEN / SZ_4K / 64];
	int c = w->pci.container, ret = 0;

	STEP(ret, "DIRTY_PAGES start",
	     dirty(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_START, NULL));
	if (ret)
		return ret;
	STEP(ret, "DIRTY_PAGES get",
	     dirty(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, bitmap));
	/* Stop even if get failed: stopping must work whatever came before. */
	if (dirty(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, NULL) < 0 && !ret) {
		failed_step = "DIRTY_PAGES stop";
		ret = -errno;
	}
	return ret;
}

static void cleanup_dirty(struct world *w)
{
	dirty(w->pci.container, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, NULL);
}

/* vfio_pin_pages() and vfio_dma_rw() through the mock device. */
static int setup_pins(struct world *w)
{
	int ret = setup_replay(w);

	/* Again with the domain: the pins are then on pinned memory too. */
	if (!ret)
		ret = vfio_group_set_container(w->pci.group, w->pci.container);
	return ret;
}

static int mock_pin(int device, unsigned long request, unsigned long npages)
{
	struct vfio_mock_pin pin = {
		.argsz = sizeof(pin),
		.flags = request == VFIO_MOCK_PIN ? VFIO_MOCK_PIN_WRITE : 0,
		.iova = IOVA, .npages = npages,
	};

	return vfio_ioctl(device, request, &pin);
}

static int mock_rw(int device, void *data, size_t len, bool write)
{
	struct vfio_mock_rw rw = {
		.argsz = sizeof(rw), .flags = write ? VFIO_MOCK_RW_WRITE : 0,
		.iova = IOVA + 3 * SZ_4K - 64, .data = (unsigned long)data,
		.length = len,
	};

	return vfio_ioctl(device, VFIO_MOCK_DMA_RW, &rw);
}

static int run_pins(struct world *w)
{
	static char out[3 * SZ_4K], back[3 * SZ_4K];
	char name[32];
	int dev, ret = 0;

	vfio_mock_name(MOCK_DEV, name, sizeof(name));
	memset(out, 0xa5, sizeof(out));
	memset(back, 0, sizeof(back));
	dev = vfio_ioctl(w->mock_group, VFIO_GROUP_GET_DEVICE_FD, name);
	STEP(ret, "GET_DEVICE_FD", dev);
	STEP(ret, "MOCK_PIN", mock_pin(dev, VFIO_MOCK_PIN, 16));
	STEP(ret, "MOCK_DMA_RW write", mock_rw(dev, out, sizeof(out), true));
	STEP(ret, "MOCK_DMA_RW read", mock_rw(dev, back, sizeof(back), false));
	if (!ret && memcmp(out, back, sizeof(out))) {
		failed_step = "vfio_dma_rw() data";
		ret = -EILSEQ;
	}
	STEP(ret, "MOCK_UNPIN", mock_pin(dev, VFIO_MOCK_UNPIN, 16));
	if (dev >= 0)
		close(dev);
	return ret;
}

/* What the vfio-pci paths ask of the open device fd. */
static void pci_probe_features(struct world *w)
{
	struct vfio_pci_hot_reset_info info = { .argsz = sizeof(info) };
	struct vfio_irq_info irq = { .argsz = sizeof(irq) };
	int ret;

	ret = vfio_ioctl(w->pci.device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
			 &info);
	w->hot_reset = ret == 0 || ret == -ENOSPC;
	for (irq.index = 0; irq.index < VFIO_PCI_NUM_IRQS; irq.index++) {
		irq.count = 0;
		if (vfio_ioctl(w->pci.device, VFIO_DEVICE_GET_IRQ_INFO, &irq))
			irq.count = 0;
		w->irqs[irq.index] = irq.count;
	}
}

/*
 * The open and close of a vfio-pci device take the QEMU PCI test device:
 * it has no INTx pin.  With one, pci_enable_device() and
 * pci_disable_device() evaluate the ACPI _PRT method, and Linux 6.1's
 * ACPICA cannot take a failed allocation there: its reference count
 * update gives up half way and frees an object the namespace still
 * names, which KASAN reports as a use-after-free at the next evaluation.
 * The interrupt paths run on a function held open (setup_pci_irqs()).
 */
static int setup_pci_device(struct world *w)
{
	int ret = setup_pci_at(w, PCI_TESTDEV);

	if (ret)
		return ret;
	pci_probe_features(w);
	/* The path opens the device itself. */
	close(w->pci.device);
	w->pci.device = -1;
	return 0;
}

static int irq_eventfd(int dev, unsigned int index, unsigned int count,
		       int efd)
{
	int fds[2] = { efd, efd };

	return pci_set_irqs(dev, index, VFIO_IRQ_SET_DATA_EVENTFD |
			    VFIO_IRQ_SET_ACTION_TRIGGER, 0, count, fds,
			    count * sizeof(fds[0]));
}

static int irq_off(int dev, unsigned int index)
{
	return pci_set_irqs(dev, index, VFIO_IRQ_SET_DATA_NONE |
			    VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL, 0);
}

static int intx_action(int dev, __u32 action)
{
	return pci_set_irqs(dev, VFIO_PCI_INTX_IRQ_INDEX,
			    VFIO_IRQ_SET_DATA_NONE | action, 0, 1, NULL, 0);
}

static int ioeventfd(int dev, int efd)
{
	struct vfio_device_ioeventfd io = {
		.argsz = sizeof(io), .flags = VFIO_DEVICE_IOEVENTFD_32,
		.offset = REGION_OFF(VFIO_PCI_BAR0_REGION_INDEX),
		.data = 0, .fd = efd,
	};

	return vfio_ioctl(dev, VFIO_DEVICE_IOEVENTFD, &io);
}

static int hot_reset(struct world *w, int dev)
{
	struct {
		struct vfio_pci_hot_reset reset;
		__s32 fds[1];
	} arg = {
		.reset = { .argsz = sizeof(arg) }, .fds = { w->pci.group },
	};

	arg.reset.count = 1;
	return vfio_ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &arg);
}

/* Read the start of a region, if it has one: 0 or -errno. */
static int region_read(int dev, unsigned int index)
{
	struct vfio_region_info r = { .argsz = sizeof(r), .index = index };
	__u32 word;
	int ret = vfio_ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &r);

	if (ret || !r.size || !(r.flags & VFIO_REGION_INFO_FLAG_READ))
		return ret;
	if (pread(dev, &word, sizeof(word), r.offset) == sizeof(word))
		return 0;
	/*
	 * The first access claims the BAR (pci_request_selected_regions()),
	 * which reports a failed allocation as EBUSY, in 6.1 as here.
	 */
	return errno == EBUSY ? -ENOMEM : -errno;
}

/* The vfio-pci device: open, config, regions, eventfds, reset, close. */
static int run_pci_device(struct world *w)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	unsigned char cfg[256];
	unsigned int i;
	int dev, efd, ret = 0;

	efd = eventfd(0, EFD_CLOEXEC);
	STEP(ret, "eventfd", efd < 0 ? -errno : efd);
	dev = vfio_ioctl(w->pci.group, VFIO_GROUP_GET_DEVICE_FD, w->pci.bdf);
	STEP(ret, "GET_DEVICE_FD", dev);
	STEP(ret, "GET_INFO", vfio_ioctl(dev, VFIO_DEVICE_GET_INFO, &info));
	/* BAR0 is memory, BAR1 I/O ports; the rest are empty. */
	for (i = 0; !ret && i < VFIO_PCI_CONFIG_REGION_INDEX; i++)
		STEP(ret, "region read", region_read(dev, i));
	STEP(ret, "config read", pci_cfg_read(dev, 0, cfg, sizeof(cfg)));
	STEP(ret, "config write", pci_cfg_write(dev, PCI_COMMAND, &cfg[4], 2));
	STEP(ret, "REQ on", irq_eventfd(dev, VFIO_PCI_REQ_IRQ_INDEX, 1, efd));
	STEP(ret, "IOEVENTFD add", ioeventfd(dev, efd));
	STEP(ret, "IOEVENTFD del", ioeventfd(dev, -1));
	if (w->hot_reset)
		STEP(ret, "PCI_HOT_RESET", hot_reset(w, dev));
	/* Closing releases whatever is still on: REQ, a failed step's. */
	if (dev >= 0)
		close(dev);
	if (efd >= 0)
		close(efd);
	return ret;
}

/*
 * The interrupts of a function held open for the whole sweep (so that no
 * injection reaches ACPI's _PRT, see setup_pci_device()): the NVMe, which
 * has INTx and MSI-X.  Two vectors share one eventfd, which is legal and
 * makes the second IRQ bypass producer fail to register.
 */
static int setup_pci_irqs(struct world *w)
{
	int ret = setup_pci_at(w, PCI_NVME);

	if (ret)
		return ret;
	pci_probe_features(w);
	if (!w->irqs[VFIO_PCI_INTX_IRQ_INDEX] ||
	    w->irqs[VFIO_PCI_MSIX_IRQ_INDEX] < 2) {
		fprintf(stderr, "# %s: INTx %u, MSI-X %u: expected 1 and at least 2\n",
			w->pci.bdf, w->irqs[VFIO_PCI_INTX_IRQ_INDEX],
			w->irqs[VFIO_PCI_MSIX_IRQ_INDEX]);
		pci_handle_teardown(&w->pci);
		return -ENODEV;
	}
	return 0;
}

static int run_pci_irqs(struct world *w)
{
	int dev = w->pci.device, efd, ret = 0;
	unsigned int index;

	efd = eventfd(0, EFD_CLOEXEC);
	STEP(ret, "eventfd", efd < 0 ? -errno : efd);
	STEP(ret, "INTx on", irq_eventfd(dev, VFIO_PCI_INTX_IRQ_INDEX, 1, efd));
	STEP(ret, "INTx mask", intx_action(dev, VFIO_IRQ_SET_ACTION_MASK));
	STEP(ret, "INTx unmask", intx_action(dev, VFIO_IRQ_SET_ACTION_UNMASK));
	STEP(ret, "INTx off", irq_off(dev, VFIO_PCI_INTX_IRQ_INDEX));
	for (index = VFIO_PCI_MSI_IRQ_INDEX;
	     !ret && index <= VFIO_PCI_MSIX_IRQ_INDEX; index++) {
		int want = w->irqs[index] < 2 ? 1 : 2, got;

		if (!w->irqs[index])
			continue;
		got = irq_eventfd(dev, index, want, efd);
		/*
		 * Fewer vectors than asked for (an allocation failed): as in
		 * 6.1, the call says how many there are, and the index stays
		 * off.
		 */
		if (got > 0 && got < want) {
			STEP(ret, "MSI/MSI-X left off after a short enable",
			     irq_off(dev, index) == -EINVAL ? 0 : -EPROTO);
			continue;
		}
		STEP(ret, "MSI/MSI-X on", got);
		STEP(ret, "MSI/MSI-X off", irq_off(dev, index));
	}
	if (w->irqs[VFIO_PCI_ERR_IRQ_INDEX])
		STEP(ret, "ERR on",
		     irq_eventfd(dev, VFIO_PCI_ERR_IRQ_INDEX, 1, efd));
	STEP(ret, "REQ on", irq_eventfd(dev, VFIO_PCI_REQ_IRQ_INDEX, 1, efd));
	if (efd >= 0)
		close(efd);
	return ret;
}

/* Whatever a failed run left on, off again, as the user would. */
static void cleanup_pci_irqs(struct world *w)
{
	int dev = w->pci.device;

	irq_off(dev, VFIO_PCI_INTX_IRQ_INDEX);
	irq_off(dev, VFIO_PCI_MSI_IRQ_INDEX);
	irq_off(dev, VFIO_PCI_MSIX_IRQ_INDEX);
	/* ERR and REQ have one eventfd each, and -1 releases it. */
	if (w->irqs[VFIO_PCI_ERR_IRQ_INDEX])
		irq_eventfd(dev, VFIO_PCI_ERR_IRQ_INDEX, 1, -1);
	irq_eventfd(dev, VFIO_PCI_REQ_IRQ_INDEX, 1, -1);
}

/*
 * The ROM and the bus reset of a function held open: the first e1000
 * behind the VM's PCI bridge, whose sibling shares its bus and its group
 * (pci_reset_test.c), so the group's fd is all a hot reset asks for.  As
 * for the interrupts, the open happens before the sweep: the e1000 has an
 * INTx pin (see setup_pci_device()).
 */
#define PCI_BRIDGED	"0000:01:01.0"
#define PCI_SIBLING	"0000:01:02.0"

static int setup_pci_rom_reset(struct world *w)
{
	int ret = pci_bind_vfio(PCI_SIBLING, w->sibling_driver,
				sizeof(w->sibling_driver));

	if (ret)
		return ret;
	w->sibling_bound = true;
	ret = setup_pci_at(w, PCI_BRIDGED);
	if (ret)
		return ret;
	pci_probe_features(w);
	if (!w->hot_reset) {
		fprintf(stderr, "# %s: no hot reset behind the bridge\n",
			PCI_BRIDGED);
		return -ENODEV;
	}
	return 0;
}

static int run_pci_rom_reset(struct world *w)
{
	int dev = w->pci.device, ret = 0;
	struct vfio_region_info rom = {
		.argsz = sizeof(rom), .index = VFIO_PCI_ROM_REGION_INDEX,
	};
	struct {
		struct vfio_pci_hot_reset_info info;
		struct vfio_pci_dependent_device devices[4];
	} deps = { .info = { .argsz = sizeof(deps) } };

	STEP(ret, "ROM info", vfio_ioctl(dev, VFIO_DEVICE_GET_REGION_INFO,
					 &rom));
	/*
	 * The e1000 has iPXE's option ROM.  The size comes from mapping the
	 * ROM (pci_map_rom()), which reports a failure with no errno: as in
	 * 6.1, the ROM is then said to be absent.  Without injection that
	 * fails the run.
	 */
	if (!ret && !rom.size) {
		failed_step = "ROM info (size 0)";
		ret = -ENOMEM;
	}
	STEP(ret, "ROM read", region_read(dev, VFIO_PCI_ROM_REGION_INDEX));
	STEP(ret, "GET_PCI_HOT_RESET_INFO",
	     vfio_ioctl(dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &deps));
	STEP(ret, "PCI_HOT_RESET", hot_reset(w, dev));
	/* The function works after the reset, or after the failed one. */
	STEP(ret, "BAR0 read after reset",
	     region_read(dev, VFIO_PCI_BAR0_REGION_INDEX));
	return ret;
}

static void teardown_pci_rom_reset(struct world *w)
{
	pci_handle_teardown(&w->pci);
	if (w->sibling_bound)
		pci_unbind_vfio(PCI_SIBLING, w->sibling_driver);
	w->sibling_bound = false;
}

/* KVM capture: the device takes the group's KVM at its first open. */
static int setup_kvm(struct world *w)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };

	if (access("/dev/kvm", F_OK) && vfio_modprobe("kvm_amd"))
		vfio_modprobe("kvm_intel");
	w->kvm = open("/dev/kvm", O_RDWR);
	if (w->kvm < 0)
		return PCI_ABSENT;
	w->kvm_vm = vfio_ioctl(w->kvm, KVM_CREATE_VM, 0);
	if (w->kvm_vm < 0)
		return w->kvm_vm;
	if (vfio_ioctl(w->kvm_vm, KVM_CREATE_DEVICE, &cd) < 0)
		return -errno;
	w->kvm_vfio = cd.fd;
	w->mock_group = mock_group_open(MOCK_DEV, "kvm");
	return w->mock_group < 0 ? w->mock_group : 0;
}

static int kvm_group(struct world *w, bool add)
{
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_GROUP,
		.attr = add ? KVM_DEV_VFIO_GROUP_ADD : KVM_DEV_VFIO_GROUP_DEL,
		.addr = (unsigned long)&w->mock_group,
	};

	return vfio_ioctl(w->kvm_vfio, KVM_SET_DEVICE_ATTR, &attr);
}

static int run_kvm(struct world *w)
{
	char name[32];
	int c, dev = -1, ret = 0;

	vfio_mock_name(MOCK_DEV, name, sizeof(name));
	c = vfio_open_container();
	STEP(ret, "open container", c);
	STEP(ret, "SET_CONTAINER", vfio_group_set_container(w->mock_group, c));
	STEP(ret, "SET_IOMMU", vfio_ioctl(c, VFIO_SET_IOMMU,
					  VFIO_TYPE1v2_IOMMU));
	STEP(ret, "KVM GROUP_ADD", kvm_group(w, true));
	if (!ret) {
		dev = vfio_ioctl(w->mock_group, VFIO_GROUP_GET_DEVICE_FD, name);
		STEP(ret, "GET_DEVICE_FD", dev);
		if (dev >= 0)
			close(dev);
		if (kvm_group(w, false) < 0 && !ret) {
			failed_step = "KVM GROUP_DEL";
			ret = -errno;
		}
	}
	/* The group stays open: take it out, or the container lives on. */
	vfio_ioctl(w->mock_group, VFIO_GROUP_UNSET_CONTAINER, NULL);
	if (c >= 0)
		close(c);
	return ret;
}

static void cleanup_kvm(struct world *w)
{
	kvm_group(w, false);
}

static void teardown_kvm(struct world *w)
{
	if (w->mock_group >= 0)
		teardown_mock(w);
	if (w->kvm_vfio >= 0)
		close(w->kvm_vfio);
	if (w->kvm_vm >= 0)
		close(w->kvm_vm);
	if (w->kvm >= 0)
		close(w->kvm);
	w->kvm = w->kvm_vm = w->kvm_vfio = -1;
}

/* An mdev of the mcounter sample: create, open, use, close, remove. */
static int setup_mdev(struct world *w)
{
	if (vfio_modprobe("mcounter"))
		return -ENOENT;
	mdev_remove_test_instances();
	return 0;
}

static int run_mdev(struct world *w)
{
	struct vfio_mock_handle h = { -1, -1, -1 };
	int ret = 0;

	STEP(ret, "mdev create", mdev_create("mcounter", "mcounter-basic", MDEV_N));
	STEP(ret, "mdev open", mdev_open(&h, MDEV_N, VFIO_TYPE1v2_IOMMU));
	/*
	 * device_add() ignores a failure to make the /dev node (devtmpfs
	 * gets its name from an allocation): the new group may have none.
	 */
	if (ret == -ENOENT && !strcmp(failed_step, "mdev open"))
		ret = -ENOMEM;
	vfio_mock_handle_close(&h);
	if (mdev_exists(MDEV_N) && mdev_remove(MDEV_N) && !ret) {
		failed_step = "mdev remove";
		ret = -EIO;
	}
	return ret;
}

static void cleanup_mdev(struct world *w)
{
	if (mdev_exists(MDEV_N))
		mdev_remove(MDEV_N);
}

static void teardown_mdev(struct world *w)
{
	mdev_remove_test_instances();
	mdev_unload("mcounter");
}

/*
 * An mdev pinning and copying guest memory, as a vGPU does: the mblit
 * sample, open in a KVM VM.  Under injection it copies through pinned
 * pages (vfio_pin_pages()), through vfio_dma_rw(), and drops its pins;
 * the memory stays mapped.
 */
#define MBLIT_N		41
#define MBLIT_IOVA	0x100000UL
#define MBLIT_LEN	(4 * SZ_4K)

static int mblit_cmd(int dev, __u64 src, __u64 dst, __u32 len, __u32 cmd)
{
	__u32 status;

	if (mdev_write32(dev, VFIO_PCI_BAR0_REGION_INDEX, MBLIT_REG_SRC_LO,
			 src) ||
	    mdev_write32(dev, VFIO_PCI_BAR0_REGION_INDEX, MBLIT_REG_SRC_HI, 0) ||
	    mdev_write32(dev, VFIO_PCI_BAR0_REGION_INDEX, MBLIT_REG_DST_LO,
			 dst) ||
	    mdev_write32(dev, VFIO_PCI_BAR0_REGION_INDEX, MBLIT_REG_DST_HI, 0) ||
	    mdev_write32(dev, VFIO_PCI_BAR0_REGION_INDEX, MBLIT_REG_LEN, len) ||
	    mdev_write32(dev, VFIO_PCI_BAR0_REGION_INDEX, MBLIT_REG_CMD, cmd) ||
	    mdev_read32(dev, VFIO_PCI_BAR0_REGION_INDEX, MBLIT_REG_STATUS,
			&status))
		return -EIO;
	/* The device's status is the errno of its last command. */
	return -(int)status;
}

/* Tell the VM about the mdev's group, as QEMU does before opening. */
static int mblit_join_vm(struct world *w, int group)
{
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_GROUP, .attr = KVM_DEV_VFIO_GROUP_ADD,
		.addr = (unsigned long)&group,
	};

	return vfio_ioctl(w->kvm_vfio, KVM_SET_DEVICE_ATTR, &attr);
}

static int setup_mdev_dma(struct world *w)
{
	struct vfio_mock_handle *h = &w->mdev;
	char uuid[40];
	int ret = setup_kvm(w);

	if (ret)
		return ret;
	if (vfio_modprobe("mblit"))
		return -ENOENT;
	mdev_remove_test_instances();
	ret = mdev_create("mblit", "mblit-single", MBLIT_N);
	if (ret)
		return ret;
	w->mdev_buf = mmap(NULL, 2 * MBLIT_LEN, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (w->mdev_buf == MAP_FAILED)
		return -errno;
	h->container = vfio_open_container();
	h->group = vfio_open_group(mdev_group(MBLIT_N));
	if (h->container < 0 || h->group < 0)
		return -ENODEV;
	ret = vfio_group_set_container(h->group, h->container);
	if (!ret)
		ret = vfio_ioctl(h->container, VFIO_SET_IOMMU,
				 VFIO_TYPE1v2_IOMMU);
	if (!ret)
		ret = map(h->container, w->mdev_buf, MBLIT_IOVA,
			  2 * MBLIT_LEN);
	if (!ret)
		ret = mblit_join_vm(w, h->group);
	if (ret)
		return ret;
	mdev_uuid(uuid, sizeof(uuid), MBLIT_N);
	h->device = vfio_ioctl(h->group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	return h->device < 0 ? h->device : 0;
}

static int run_mdev_dma(struct world *w)
{
	int dev = w->mdev.device, ret = 0;

	STEP(ret, "pinned copy",
	     mblit_cmd(dev, MBLIT_IOVA + 100, MBLIT_IOVA + MBLIT_LEN + 200,
		       MBLIT_LEN - 300, MBLIT_CMD_COPY_PINNED));
	STEP(ret, "dma_rw copy",
	     mblit_cmd(dev, MBLIT_IOVA, MBLIT_IOVA + MBLIT_LEN + 8, 64,
		       MBLIT_CMD_COPY_RW));
	STEP(ret, "flush pins", mblit_cmd(dev, 0, 0, 0, MBLIT_CMD_FLUSH));
	return ret;
}

/* The pins a failed run kept, given back as the user would. */
static void cleanup_mdev_dma(struct world *w)
{
	mblit_cmd(w->mdev.device, 0, 0, 0, MBLIT_CMD_FLUSH);
}

static void teardown_mdev_dma(struct world *w)
{
	struct vfio_mock_handle *h = &w->mdev;

	if (h->container >= 0)
		unmap(h->container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
	vfio_mock_handle_close(h);
	if (w->mdev_buf && w->mdev_buf != MAP_FAILED)
		munmap(w->mdev_buf, 2 * MBLIT_LEN);
	w->mdev_buf = NULL;
	if (mdev_exists(MBLIT_N))
		mdev_remove(MBLIT_N);
	teardown_kvm(w);
}

/* ---- the sweep ---- */

FIXTURE(sweep) {
	struct world w;
	int kmsg;
};

FIXTURE_VARIANT(sweep) {
	struct path path;
};

FIXTURE_SETUP(sweep)
{
	struct world *w = &self->w;
	int ret;

	memset(w, 0, sizeof(*w));
	w->mock_group = w->kvm = w->kvm_vm = w->kvm_vfio = w->bar_fd = -1;
	w->pci.container = w->pci.group = w->pci.device = -1;
	w->mdev.container = w->mdev.group = w->mdev.device = -1;
	self->kmsg = -1;
	ret = fault_setup();
	if (ret == -ENOENT)
		SKIP(return, "no fail-nth and fault injection debugfs (make check-debug's kernel has them)");
	ASSERT_EQ(0, ret);
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	ASSERT_LE(0, nth_fd);
	ASSERT_EQ(0, vfio_modprobe("vfio_iommu_type1"));
	ASSERT_EQ(0, vfio_modprobe("vfio_mock"));
	w->anon = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, w->anon);
	ret = variant->path.setup(w);
	if (ret == PCI_ABSENT)
		SKIP(return, "what the path needs is not in this machine");
	ASSERT_EQ(0, ret);
	self->kmsg = kmsg_open_at_end();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(sweep)
{
	if (self->kmsg >= 0) {
		variant->path.teardown(&self->w);
		close(self->kmsg);
	}
	if (nth_fd >= 0)
		close(nth_fd);
	nth_fd = -1;
}

/*
 * One run of the path with its Nth point failing (0: none), then its
 * clean-up; returns what went wrong, or NULL.
 */
static const char *run_once(const struct path *p, struct world *w, int kmsg,
			    unsigned int n, bool *fired, int *err)
{
	static char what[2200];
	struct snapshot before, after;
	const char *diff;
	int ret;

	snapshot_take(&before);
	failed_step = "";
	if (n)
		nth_arm(n);
	ret = p->run(w);
	*fired = n && nth_end();
	p->cleanup(w);
	*err = ret;
	if (!clean_errno(ret) || (!n && ret)) {
		snprintf(what, sizeof(what), "%s failed with %s", failed_step,
			 strerror(-ret));
		return what;
	}
	if (kmsg_report(kmsg, what, sizeof(what)))
		return what;
	snapshot_take(&after);
	diff = snapshot_diff(&before, &after);
	if (diff) {
		snprintf(what, sizeof(what), "%s not back where it was (%s failed with %s)",
			 diff, failed_step, strerror(-ret));
		return what;
	}
	return NULL;
}

static unsigned int sweep_seconds(void)
{
	const char *env = getenv("FAIL_NTH_SECONDS");

	return env && atoi(env) > 0 ? atoi(env) : SWEEP_SECONDS;
}

TEST_F_TIMEOUT(sweep, fail_nth, 3600)
{
	const struct path *p = &variant->path;
	time_t end = time(NULL) + sweep_seconds();
	unsigned int n, failures = 0;
	const char *bad;
	bool fired;
	int err;

	/* The 6.1 harness runs the body even when the set-up skipped. */
	if (self->kmsg < 0)
		SKIP(return, "not set up");
	bad = run_once(p, &self->w, self->kmsg, 0, &fired, &err);
	ASSERT_EQ(NULL, bad) TH_LOG("%s, without injection: %s", p->name, bad);
	for (n = 1; n < MAX_NTH && time(NULL) < end; n++) {
		bad = run_once(p, &self->w, self->kmsg, n, &fired, &err);
		ASSERT_EQ(NULL, bad)
			TH_LOG("%s, point %u failing: %s", p->name, n, bad);
		if (!fired)
			break;
		failures += err != 0;
	}
	ASSERT_LT(n, MAX_NTH);
	/* The path still works after everything it went through. */
	bad = run_once(p, &self->w, self->kmsg, 0, &fired, &err);
	ASSERT_EQ(NULL, bad) TH_LOG("%s, after the sweep: %s", p->name, bad);
	if (fired)
		ksft_print_msg("%s: NOT COMPLETE: %u points swept in %u s, %u made a call fail; the rest untested\n",
			       p->name, n - 1, sweep_seconds(), failures);
	else
		ksft_print_msg("%s: all %u injection points swept, %u made a call fail\n",
			       p->name, n - 1, failures);
}

#define PATH(_name, _setup, _run, _cleanup, _teardown)			\
	FIXTURE_VARIANT_ADD(sweep, _name) {				\
		.path = { #_name, _setup, _run, _cleanup, _teardown },	\
	}

PATH(container, setup_mock_device, run_container, no_cleanup,
     teardown_mock_device);
PATH(map_anon, setup_pci, run_map_anon, unmap_all, teardown_pci);
PATH(map_thp, setup_thp, run_map_thp, unmap_all, teardown_pci);
PATH(map_hugetlb, setup_hugetlb, run_map_hugetlb, unmap_all,
     teardown_hugetlb);
PATH(map_pfnmap, setup_pfnmap, run_map_pfnmap, unmap_all, teardown_pfnmap);
PATH(dirty_tracking, setup_dirty, run_dirty, cleanup_dirty, teardown_pci);
PATH(device_pins, setup_pins, run_pins, no_cleanup, teardown_replay);
PATH(pci_device, setup_pci_device, run_pci_device, no_cleanup,
     teardown_pci);
PATH(pci_irqs, setup_pci_irqs, run_pci_irqs, cleanup_pci_irqs,
     teardown_pci);
PATH(pci_rom_reset, setup_pci_rom_reset, run_pci_rom_reset, no_cleanup,
     teardown_pci_rom_reset);
PATH(kvm_capture, setup_kvm, run_kvm, cleanup_kvm, teardown_kvm);
PATH(mdev, setup_mdev, run_mdev, cleanup_mdev, teardown_mdev);
PATH(mdev_dma, setup_mdev_dma, run_mdev_dma, cleanup_mdev_dma,
     teardown_mdev_dma);
/*
 * Last: on 6.1 a failed allocation inside the IOMMU core's re-attach of a
 * group's default or blocking domain (releasing DMA ownership, detaching)
 * WARNs and can leave the group unusable for the rest of the boot.
 */
PATH(attach_replay, setup_replay, run_replay, cleanup_replay,
     teardown_replay);

TEST_HARNESS_MAIN
