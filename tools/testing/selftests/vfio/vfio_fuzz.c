// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_fuzz: random but structured sequences of VFIO system calls.
 *
 * WHAT IT DOES
 *
 * The fuzzer keeps a shared table of file descriptors ("slots": containers,
 * groups, devices, eventfds and fds of other types) and a table of
 * operations (ops[] below), each a small function that picks its objects
 * from the slots and its arguments from biased generators, and issues one
 * or a few system calls: open/close of /dev/vfio files, the container,
 * group and device ioctls, read/write/mmap of device regions, MAP_DMA of
 * memory that is later munmapped, the mock device's PIN/UNPIN/DMA_RW, and
 * the sysfs paths that take devices away while they are in use (mock
 * destroy, vfio-pci unbind/rebind, mdev remove).  Arguments lean toward
 * values at limits: IOVAs and sizes of existing mappings and ranges that
 * straddle them, argsz at every boundary of its structure, flags one bit
 * beyond the valid set, indexes, offsets and counts at and past what the
 * device reported, eventfds shared between vectors, fds of the wrong type.
 *
 * The devices are mock devices of vfio_mock.ko (three of them, two in one
 * device set; emulated-IOMMU groups), the virtio-rng (0000:00:07.0) and the
 * e1000 (0000:00:04.0) of the test VM bound to vfio-pci, and two instances
 * of the mcounter mdev sample.  Any of them may be absent: the fuzzer
 * uses what it finds.
 *
 * Several threads (--threads) draw from the same slots, so an fd may be
 * closed, a group's container unset or a device unbound while another
 * thread is in a call on it.  A thread uses a slot through a dup() of its
 * fd, so a concurrent close races with the call without the fd number
 * ever naming something else.  Memory handed to the kernel lives in one
 * arena reserved at start-up, so memory "munmapped" under a DMA mapping
 * can never come back as the fuzzer's own heap or stack.
 *
 * RESULTS (TAP)
 *
 * One result per phase: each kept regression case (kept_cases[], replayed
 * first on every run), then the random run.  A phase passes when, after
 * all its fds are closed, nothing leaked: VmLck in /proc/self/status back
 * to its value before the phase, nr_foll_pin_acquired and
 * nr_foll_pin_released of /proc/vmstat grown alike, the same fds open, the
 * mock IOMMU backend's counters back where they were, and each mock
 * device with nothing pinned, as many closes as opens and no overlapping
 * device-set callbacks.  A kernel log line that kernel_log_check.sh would
 * flag fails the phase too (kernel_log_check.sh after it checks the whole
 * log).  A thread that does not come back after the run is reported with
 * its last calls, and the program exits without tearing down.
 *
 * OPTIONS (the environment variable in brackets, for the test runner)
 *
 *   --seconds N  [VFIO_FUZZ_SECONDS]  length of the random run; default 60
 *   --threads N  [VFIO_FUZZ_THREADS]  threads; default: a single-threaded
 *                phase for a third of the time, then 3 threads (two
 *                results)
 *   --seed S     [VFIO_FUZZ_SEED]     seed; default from /dev/urandom
 *   --calls N    stop each thread after N calls instead of at the deadline
 *   --trace      print every call with its arguments and result
 *   --no-kept    do not replay the kept cases
 *
 * REPRODUCING
 *
 * Every phase prints its seed and the command that replays it, e.g.
 *
 *   # replay: vfio_fuzz --seed 0x1234 --threads 1 --calls 5321
 *
 * Single-threaded, the run is a pure function of the seed and of what the
 * kernel returns: the same seed and --calls give the same calls with the
 * same arguments, and the program prints a hash of the whole trace (every
 * call, its arguments with arena pointers made relative, and its result)
 * so two runs can be compared.  With several threads, thread i draws from
 * its own stream seeded from (seed, i), so each thread makes the same
 * choices as long as it sees the same results, but the interleaving and
 * hence the results are up to the scheduler: a multi-threaded seed
 * reproduces the mix of operations, not the exact sequence.  To shrink a
 * single-threaded failure, bisect --calls for the first call after which
 * the kernel complains and read the tail of the --trace output.
 */
#include <linux/close_range.h>
#include <poll.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include "pci_test_util.h"
#include "mdev_test_util.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PAGE		4096ULL
#define MIB		(1ULL << 20)

#define MAX_THREADS	16
#define NSLOTS		32
#define NBUFS		8		/* anonymous buffers, BUF_SPAN apart */
#define BUF_SPAN	MIB
#define NRMAPS		4		/* device region mmaps */
#define RMAP_SPAN	(512 * 1024ULL)
#define SCRATCH		(64 * 1024ULL)	/* per thread, then a guard */
#define NIOVAS		32		/* remembered DMA mappings */
#define RING		48		/* last calls kept per thread */
#define LINE		200

/* Arena layout: buffers, region mmaps, per-thread scratch + guard. */
#define ARENA_BUFS	0
#define ARENA_RMAPS	(ARENA_BUFS + NBUFS * BUF_SPAN)
#define ARENA_SCRATCH	(ARENA_RMAPS + NRMAPS * RMAP_SPAN)
#define ARENA_SIZE	(ARENA_SCRATCH + MAX_THREADS * 2 * SCRATCH)

#define MOCK_SET	41	/* device set shared by two mocks */
#define MDEV_PARENT	"mcounter"
#define MDEV_TYPE	"mcounter-basic"
#define NREGIONS	(VFIO_PCI_NUM_REGIONS + 1)
/* File offset of region I (PCI and the mdev samples), for any I. */
#define ROFF(i)		((off_t)((__u64)(i) << 40))

/* ------------------------------------------------------------------ */
/* State shared by the threads                                          */

enum kind { K_NONE, K_CONTAINER, K_GROUP, K_DEVICE, K_EVENTFD, K_OTHER };

struct slot {
	pthread_mutex_t lock;
	int fd;
	enum kind kind;		/* read unlocked only as a hint */
	int target;		/* group, device: index in targets[] */
};

enum tkind { T_MOCK, T_PCI, T_MDEV };

struct target {
	enum tkind kind;
	unsigned int id;	/* mock id, mdev instance */
	unsigned int set;	/* mock device set */
	const char *flags;	/* mock flags */
	char name[48];		/* the GET_DEVICE_FD string */
	char old_driver[64];	/* PCI: driver before the fuzzer took it */
	bool usable;
	bool learned;		/* regions and IRQs asked for this phase */
	atomic_bool removing;	/* a removal through sysfs is under way */
	/* Learned from successful INFO calls, to aim at the limits. */
	__u64 region_size[NREGIONS];
	__u32 region_flags[NREGIONS];
	__u32 irq_count[VFIO_PCI_NUM_IRQS];
};

struct rmap {
	pthread_mutex_t lock;
	bool mapped;
	int target;
};

struct buf {
	pthread_mutex_t lock;
	__u64 size;		/* 0: a PROT_NONE hole */
};

struct iova_rec {
	__u64 iova, size;
};

static struct slot slots[NSLOTS];
static struct target targets[8];
static unsigned int ntargets;
static struct buf bufs[NBUFS];
static struct rmap rmaps[NRMAPS];
static unsigned char *arena;

static pthread_mutex_t iova_lock = PTHREAD_MUTEX_INITIALIZER;
static struct iova_rec iovas[NIOVAS];
static unsigned int niovas;

static atomic_bool stop;
static atomic_int blockers;	/* threads in a sysfs removal now */
static atomic_bool kernel_complained;

/* One fuzzing thread. */
struct fz {
	unsigned int idx;
	__u64 rng;
	unsigned long long calls, max_calls;
	__u64 hash;
	unsigned char *scratch;	/* SCRATCH bytes, then a PROT_NONE guard */
	const char *op;		/* current op, for a hang report */
	unsigned int op_idx;
	unsigned long long tried[64], succeeded[64];	/* calls per op */
	pthread_mutex_t ring_lock;
	char ring[RING][LINE];
	unsigned long long ring_seq;
	void (*script)(struct fz *f);	/* a kept case's calls, or NULL */
	pthread_t thread;
	atomic_bool done;
	int tid;
};

static struct fz fzs[MAX_THREADS];
static unsigned int nthreads;

static struct {
	unsigned int seconds;
	int threads;		/* 0: the default two phases */
	__u64 seed;
	unsigned long long calls;
	bool trace, kept;
} opt = { .seconds = 60, .kept = true };

/* ------------------------------------------------------------------ */
/* Random numbers: xorshift64*, one stream per thread                   */

static __u64 splitmix(__u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static __u64 rnd(struct fz *f)
{
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 0x2545f4914f6cdd1dULL;
}

/* 0 .. n-1 */
static __u64 below(struct fz *f, __u64 n)
{
	return n ? rnd(f) % n : 0;
}

static bool chance(struct fz *f, unsigned int pct)
{
	return below(f, 100) < pct;
}

#define PICK(f, a)	((a)[below(f, ARRAY_SIZE(a))])

/* ------------------------------------------------------------------ */
/* Calls: each one counted, hashed, kept in the ring, maybe printed      */

static __u64 fnv(__u64 h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		h = (h ^ *c++) * 0x100000001b3ULL;
	return h;
}

/* A pointer as the trace shows it: relative to the arena when inside. */
static unsigned long long rel(const void *p)
{
	uintptr_t a = (uintptr_t)p, base = (uintptr_t)arena;

	return a - base < ARENA_SIZE ? a - base : (unsigned long long)a;
}

static void note(struct fz *f, long ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note(struct fz *f, long ret, const char *fmt, ...)
{
	char line[LINE];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, " = %ld%s%s", ret,
			 ret < 0 ? " " : "", ret < 0 ? strerror(-ret) : "");
	f->calls++;
	f->tried[f->op_idx]++;
	f->succeeded[f->op_idx] += ret >= 0;
	f->hash = fnv(f->hash, line, strlen(line));
	pthread_mutex_lock(&f->ring_lock);
	memcpy(f->ring[f->ring_seq++ % RING], line, sizeof(line));
	pthread_mutex_unlock(&f->ring_lock);
	if (opt.trace)
		printf("# [%u] %llu %s\n", f->idx, f->calls, line);
}

static long sys_ret(long r)
{
	return r < 0 ? -errno : r;
}

static long fz_ioctl(struct fz *f, int fd, unsigned long cmd,
		     const char *name, unsigned long arg)
{
	long r = sys_ret(ioctl(fd, cmd, arg));

	note(f, r, "ioctl(%d, %s, %#llx)", fd, name,
	     rel((const void *)arg));
	return r;
}

#define IOC(f, fd, cmd, arg) fz_ioctl(f, fd, cmd, #cmd, (unsigned long)(arg))

static int fz_open(struct fz *f, const char *path, int flags)
{
	int r = sys_ret(open(path, flags));

	note(f, r, "open(%s)", path);
	return r;
}

static void fz_close(struct fz *f, int fd)
{
	note(f, sys_ret(close(fd)), "close(%d)", fd);
}

/*
 * Sysfs writes run in a helper process: the fuzzer's own binary, exec'd
 * with no fd of ours (all marked close-on-exec first) and a fresh address
 * space, so none of our device references.  A removal blocks until the
 * device is closed and, once signalled, cannot be interrupted (as in
 * 6.1).  Were the write made from one of our threads, a fuzzer killed
 * meanwhile (timeout, crash) could never exit: its fds close only after
 * every thread has stopped.  A helper instead finishes once we are gone.
 */
static int sysfs_write_apart(const char *path, const char *text)
{
	char *const argv[] = { "vfio_fuzz", "--sysfs-write", (char *)path,
			       (char *)text, NULL };
	pid_t pid;
	int st;

	pid = vfork();
	if (pid == 0) {
		syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	if (pid < 0)
		return -errno;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? -WEXITSTATUS(st) : -EINTR;
}

static int fz_sysfs(struct fz *f, const char *path, const char *text)
{
	int r = sysfs_write_apart(path, text);

	note(f, r, "sysfs %s < %s", path, text);
	return r;
}

/* ------------------------------------------------------------------ */
/* Argument generators                                                  */

/* argsz of a structure whose fields up to MIN are mandatory. */
static __u32 pick_argsz(struct fz *f, __u32 min, __u32 full)
{
	const __u32 v[] = {
		0, 4, min - 1, min, min + 1, full - 1, full, full + 1,
		full + 8, PAGE, 0x7fffffff, 0xffffffff,
	};

	return chance(f, 60) ? full : PICK(f, v);
}

/* Flags: mostly a subset of VALID, sometimes one bit beyond or junk. */
static __u32 pick_flags(struct fz *f, __u32 valid)
{
	__u32 top = valid ? 1u << (31 - __builtin_clz(valid)) : 1;

	switch (below(f, 10)) {
	case 0:
		return valid | top << 1;
	case 1:
		return 1u << below(f, 32);
	case 2:
		return ~0u;
	default:
		return rnd(f) & valid;
	}
}

/* An index or count against a limit: inside, at, past, wrapped. */
static __u32 pick_index(struct fz *f, __u32 limit)
{
	const __u32 v[] = { 0, 1, limit - 1, limit, limit + 1, 0x7fffffff,
			    0xffffffff };

	return chance(f, 60) && limit ? below(f, limit) : PICK(f, v);
}

static __u64 pick_size(struct fz *f)
{
	const __u64 v[] = {
		0, 1, PAGE - 1, PAGE, PAGE + 1, 2 * PAGE, 16 * PAGE, 64 * 1024,
		BUF_SPAN - PAGE, BUF_SPAN, BUF_SPAN + PAGE, 2 * MIB, 4 * MIB,
		1ULL << 32, 1ULL << 48, ~0ULL - PAGE + 1, ~0ULL,
	};

	if (chance(f, 40))
		return (1 + below(f, 64)) * PAGE;
	return PICK(f, v);
}

/* A remembered mapping, or a zero one when there is none. */
static struct iova_rec pick_known(struct fz *f)
{
	struct iova_rec r = { 0, 0 };

	pthread_mutex_lock(&iova_lock);
	if (niovas)
		r = iovas[below(f, niovas)];
	pthread_mutex_unlock(&iova_lock);
	return r;
}

static void remember_iova(__u64 iova, __u64 size)
{
	pthread_mutex_lock(&iova_lock);
	if (niovas < NIOVAS)
		iovas[niovas++] = (struct iova_rec){ iova, size };
	else
		iovas[(iova >> 12) % NIOVAS] = (struct iova_rec){ iova, size };
	pthread_mutex_unlock(&iova_lock);
}

static void forget_iova(__u64 iova, __u64 size)
{
	unsigned int i;

	pthread_mutex_lock(&iova_lock);
	for (i = 0; i < niovas; i++) {
		if (iovas[i].iova == iova && iovas[i].size == size) {
			iovas[i] = iovas[--niovas];
			break;
		}
	}
	pthread_mutex_unlock(&iova_lock);
}

/*
 * An IOVA: a fresh one in a small window (so mappings meet), one at or
 * next to a remembered mapping (start, end, one page in, one page before),
 * or one at the edges of the address space.
 */
static __u64 pick_iova(struct fz *f)
{
	struct iova_rec k = pick_known(f);
	const __u64 edge[] = {
		0, PAGE, 1, 0xfee00000, 1ULL << 32, 1ULL << 39, 1ULL << 48,
		~0ULL - PAGE + 1, ~0ULL,
	};

	switch (below(f, 8)) {
	case 0:
	case 1:
	case 2:
		return (1 + below(f, 256)) * PAGE * 16;
	case 3:
		return k.iova;
	case 4:
		return k.iova + k.size;
	case 5:
		return k.iova + PAGE;
	case 6:
		return k.iova - PAGE;
	default:
		return PICK(f, edge);
	}
}

/*
 * A user address for MAP_DMA or a pointer argument: inside a buffer
 * (mapped or a hole), straddling two, in a device mmap, or nonsense.
 */
static __u64 pick_vaddr(struct fz *f)
{
	const __u64 bad[] = { 0, PAGE, 0x7ffffffff000ULL, 0xffff888000000000ULL,
			      ~0ULL - PAGE + 1 };
	unsigned int i = below(f, NBUFS);
	unsigned char *b = arena + ARENA_BUFS + i * BUF_SPAN;

	if (bufs[i].size && chance(f, 60))
		return (uintptr_t)b + below(f, bufs[i].size / PAGE) * PAGE;
	switch (below(f, 10)) {
	case 0:
		return PICK(f, bad);
	case 1:
		return (uintptr_t)arena + ARENA_RMAPS +
		       below(f, NRMAPS) * RMAP_SPAN;
	case 2:		/* the end of one buffer, straddling the next */
		return (uintptr_t)b + BUF_SPAN - PAGE * (1 + below(f, 2));
	case 3:
		return (uintptr_t)b + 1;
	default:
		return (uintptr_t)b + below(f, 16) * PAGE;
	}
}

/* A pointer the kernel may write LEN bytes to: ends at the scratch guard. */
static void *scratch_end(struct fz *f, __u64 len)
{
	if (len > SCRATCH)
		len = SCRATCH;
	return f->scratch + SCRATCH - len;
}

/* ------------------------------------------------------------------ */
/* Slots                                                                */

/*
 * A dup of the fd of a random slot of KIND (or, now and then, of any
 * slot: the wrong type), and the slot's target.  Returns -1 when there is
 * nothing to use, or sometimes -1 or a closed fd number on purpose.  The
 * caller closes what it got with slot_put().
 */
static int slot_get(struct fz *f, enum kind kind, int *target)
{
	unsigned int cand[NSLOTS], n = 0, i;
	struct slot *s;
	int fd = -1;

	if (chance(f, 2))
		return chance(f, 50) ? -1 : 1000000;
	if (chance(f, 5))
		kind = below(f, K_OTHER) + 1;	/* likely the wrong type */
	for (i = 0; i < NSLOTS; i++)
		if (slots[i].kind == kind)
			cand[n++] = i;
	if (!n)
		return -1;
	s = &slots[cand[below(f, n)]];
	pthread_mutex_lock(&s->lock);
	if (s->kind != K_NONE) {
		fd = dup(s->fd);
		if (target)
			*target = s->target;
	}
	pthread_mutex_unlock(&s->lock);
	return fd;
}

static void slot_put(int fd)
{
	if (fd >= 0 && fd < 1000000)
		close(fd);
}

/* Put FD in a random slot; whatever was there is closed. */
static void slot_install(struct fz *f, enum kind kind, int fd, int target)
{
	struct slot *s = &slots[below(f, NSLOTS)];
	int old = -1;

	pthread_mutex_lock(&s->lock);
	if (s->kind != K_NONE)
		old = s->fd;
	s->fd = fd;
	s->kind = kind;
	s->target = target;
	pthread_mutex_unlock(&s->lock);
	if (old >= 0)
		fz_close(f, old);
}

static void slot_close(struct fz *f, struct slot *s)
{
	int fd = -1;

	pthread_mutex_lock(&s->lock);
	if (s->kind != K_NONE) {
		fd = s->fd;
		s->kind = K_NONE;
	}
	pthread_mutex_unlock(&s->lock);
	if (fd >= 0)
		fz_close(f, fd);
}

static void rmap_drop(struct fz *f, struct rmap *m, unsigned int i)
{
	void *at = arena + ARENA_RMAPS + i * RMAP_SPAN;
	void *p;

	pthread_mutex_lock(&m->lock);
	if (m->mapped) {
		p = mmap(at, RMAP_SPAN, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		note(f, p == MAP_FAILED ? -errno : 0, "munmap(%#llx, rmap)",
		     rel(at));
		m->mapped = false;
	}
	pthread_mutex_unlock(&m->lock);
}

/*
 * Close every device fd and region mmap of target T (or of every target
 * when T is -1), so that a removal of it does not block.
 */
static void release_target(struct fz *f, int t)
{
	unsigned int i;

	for (i = 0; i < NSLOTS; i++)
		if (slots[i].kind == K_DEVICE &&
		    (t < 0 || slots[i].target == t))
			slot_close(f, &slots[i]);
	for (i = 0; i < NRMAPS; i++)
		if (t < 0 || rmaps[i].target == t)
			rmap_drop(f, &rmaps[i], i);
}

static int pick_target(struct fz *f)
{
	int t = below(f, ntargets);

	return targets[t].usable ? t : -1;
}

/* ------------------------------------------------------------------ */
/* Operations: containers                                               */

static void op_open_container(struct fz *f)
{
	int fd = fz_open(f, "/dev/vfio/vfio", O_RDWR);

	if (fd >= 0)
		slot_install(f, K_CONTAINER, fd, -1);
}

static void op_close(struct fz *f)
{
	slot_close(f, &slots[below(f, NSLOTS)]);
}

static void op_check_extension(struct fz *f)
{
	int fd = slot_get(f, K_CONTAINER, NULL);

	IOC(f, fd, VFIO_CHECK_EXTENSION, pick_index(f, VFIO_UPDATE_VADDR + 1));
	IOC(f, fd, VFIO_GET_API_VERSION, 0);
	slot_put(fd);
}

static void op_set_iommu(struct fz *f)
{
	const unsigned long types[] = {
		VFIO_TYPE1v2_IOMMU, VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU,
		VFIO_MOCK_IOMMU, VFIO_MOCK_IOMMU, 0, VFIO_SPAPR_TCE_IOMMU,
		VFIO_DMA_CC_IOMMU, VFIO_TYPE1_NESTING_IOMMU,
		VFIO_NOIOMMU_IOMMU, 11, ~0UL,
	};
	int fd = slot_get(f, K_CONTAINER, NULL);

	IOC(f, fd, VFIO_SET_IOMMU, PICK(f, types));
	slot_put(fd);
}

static void op_iommu_info(struct fz *f)
{
	struct vfio_iommu_type1_info *info = scratch_end(f, 4096);
	int fd = slot_get(f, K_CONTAINER, NULL);

	memset(info, 0, 4096);
	info->argsz = pick_argsz(f, offsetof(struct vfio_iommu_type1_info, cap_offset),
				 chance(f, 50) ? sizeof(*info) : 4096);
	IOC(f, fd, VFIO_IOMMU_GET_INFO, info);
	slot_put(fd);
}

/* What a careful user would map: part of a live buffer at a fresh IOVA. */
static void valid_map(struct fz *f, struct vfio_iommu_type1_dma_map *map)
{
	unsigned int i = below(f, NBUFS);
	__u64 pages = bufs[i].size / PAGE, first;

	if (!pages)
		return;
	first = below(f, pages);
	map->argsz = sizeof(*map);
	map->flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map->vaddr = (uintptr_t)arena + ARENA_BUFS + i * BUF_SPAN +
		     first * PAGE;
	map->size = (1 + below(f, pages - first)) * PAGE;
	map->iova = (1 + below(f, 1024)) * PAGE * 64;
}

static void op_map_dma(struct fz *f)
{
	struct vfio_iommu_type1_dma_map *map = scratch_end(f, sizeof(*map));
	int fd = slot_get(f, K_CONTAINER, NULL);
	long r;

	map->argsz = pick_argsz(f, sizeof(*map), sizeof(*map));
	map->flags = chance(f, 80) ? VFIO_DMA_MAP_FLAG_READ |
				     VFIO_DMA_MAP_FLAG_WRITE :
				     pick_flags(f, VFIO_DMA_MAP_FLAG_READ |
					       VFIO_DMA_MAP_FLAG_WRITE |
					       VFIO_DMA_MAP_FLAG_VADDR);
	map->vaddr = pick_vaddr(f);
	map->iova = pick_iova(f);
	map->size = pick_size(f);
	if (chance(f, 50))
		valid_map(f, map);
	r = IOC(f, fd, VFIO_IOMMU_MAP_DMA, map);
	if (!r && !(map->flags & VFIO_DMA_MAP_FLAG_VADDR))
		remember_iova(map->iova, map->size);
	slot_put(fd);
}

static void op_unmap_dma(struct fz *f)
{
	struct vfio_iommu_type1_dma_unmap *unmap;
	struct iova_rec k = pick_known(f);
	struct vfio_bitmap *bm;
	__u64 bmlen;
	int fd;
	long r;

	unmap = scratch_end(f, sizeof(*unmap) + sizeof(*bm) + 4096);
	bm = (void *)unmap->data;
	fd = slot_get(f, K_CONTAINER, NULL);
	unmap->argsz = sizeof(*unmap);
	unmap->flags = chance(f, 75) ? 0 :
		       pick_flags(f, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
				  VFIO_DMA_UNMAP_FLAG_ALL |
				  VFIO_DMA_UNMAP_FLAG_VADDR);
	switch (below(f, 6)) {
	case 0:		/* exactly a remembered mapping */
	case 1:
		unmap->iova = k.iova;
		unmap->size = k.size;
		break;
	case 2:		/* half of one: v1 splits, v2 refuses */
		unmap->iova = k.iova + (k.size / 2 & ~(PAGE - 1));
		unmap->size = k.size / 2 & ~(PAGE - 1);
		break;
	case 3:		/* everything */
		unmap->iova = 0;
		unmap->size = chance(f, 50) ? 0 : ~0ULL;
		break;
	default:
		unmap->iova = pick_iova(f);
		unmap->size = pick_size(f);
	}
	if (unmap->flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) {
		/* Bitmap of up to 4 KiB right before the guard. */
		unmap->argsz = pick_argsz(f, sizeof(*unmap),
					  sizeof(*unmap) + sizeof(*bm));
		bm->pgsize = chance(f, 80) ? PAGE : pick_size(f);
		bmlen = chance(f, 70) ? 4096 : pick_size(f) & 0xffff;
		bm->size = bmlen;
		bm->data = (__u64 *)scratch_end(f, bmlen > 4096 ? 4096 : bmlen);
	}
	r = IOC(f, fd, VFIO_IOMMU_UNMAP_DMA, unmap);
	if (r >= 0 && !(unmap->flags & VFIO_DMA_UNMAP_FLAG_VADDR))
		forget_iova(unmap->iova, unmap->size);
	slot_put(fd);
}

static void op_dirty_pages(struct fz *f)
{
	struct vfio_iommu_type1_dirty_bitmap *d;
	struct vfio_iommu_type1_dirty_bitmap_get *g;
	struct iova_rec k = pick_known(f);
	int fd = slot_get(f, K_CONTAINER, NULL);
	const __u32 cmds[] = {
		VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
		VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP,
		VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
		VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
	};

	d = scratch_end(f, sizeof(*d) + sizeof(*g) + 4096);
	g = (void *)d->data;
	d->argsz = pick_argsz(f, sizeof(*d), sizeof(*d) + sizeof(*g));
	d->flags = chance(f, 85) ? PICK(f, cmds) :
		   pick_flags(f, VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
			      VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP |
			      VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP);
	g->iova = chance(f, 60) ? k.iova : pick_iova(f);
	g->size = chance(f, 60) ? k.size : pick_size(f);
	g->bitmap.pgsize = chance(f, 80) ? PAGE : pick_size(f);
	g->bitmap.size = chance(f, 70) ? 4096 : below(f, 4097);
	g->bitmap.data = (__u64 *)scratch_end(f, g->bitmap.size);
	IOC(f, fd, VFIO_IOMMU_DIRTY_PAGES, d);
	slot_put(fd);
}

/* An ioctl number near VFIO's own on a random slot: ENOTTY, not a crash. */
static void op_stray_ioctl(struct fz *f)
{
	int fd = slot_get(f, below(f, K_OTHER) + 1, NULL);
	unsigned long nr = VFIO_BASE + below(f, 40);

	fz_ioctl(f, fd, _IO(VFIO_TYPE, nr), "_IO(VFIO_TYPE, n)",
		 (unsigned long)scratch_end(f, 256));
	slot_put(fd);
}

/*
 * The file calls other than ioctl and pread/pwrite, on any kind of file:
 * lseek() (the VFS calls ->llseek unchecked once FMODE_LSEEK is set),
 * read() at the file position, poll() and fsync().  A read waits for
 * nothing: it is made only when poll() says it would not block.
 */
static void op_file_calls(struct fz *f)
{
	int fd = slot_get(f, below(f, K_OTHER) + 1, NULL);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	off_t off = chance(f, 50) ? 0 : (off_t)below(f, 1 << 20);
	int whence = below(f, 6);	/* SEEK_SET..SEEK_HOLE, one beyond */
	__u32 word;
	long r;

	switch (below(f, 4)) {
	case 0:
		r = sys_ret(lseek(fd, off, whence));
		note(f, r, "lseek(%d, %lld, %d)", fd, (long long)off, whence);
		break;
	case 1:
		r = sys_ret(poll(&p, 1, 0));
		if (r == 1 && (p.revents & POLLIN))
			r = sys_ret(read(fd, &word, sizeof(word)));
		note(f, r, "read(%d, 4) if readable", fd);
		break;
	case 2:
		r = sys_ret(poll(&p, 1, 0));
		note(f, r, "poll(%d)", fd);
		break;
	default:
		r = sys_ret(fsync(fd));
		note(f, r, "fsync(%d)", fd);
		break;
	}
	slot_put(fd);
}

/* ------------------------------------------------------------------ */
/* Operations: groups                                                   */

static int group_number(int t)
{
	char dev[PATH_MAX];

	switch (targets[t].kind) {
	case T_MOCK:
		return vfio_mock_group(targets[t].id);
	case T_PCI:
		return pci_group_of(targets[t].name);
	default:
		snprintf(dev, sizeof(dev), MDEV_BUS_DEVICES "/%s",
			 targets[t].name);
		return vfio_group_of(dev);
	}
}

static void op_open_group(struct fz *f)
{
	int t = pick_target(f), g, fd;
	char path[64];

	if (t < 0)
		return;
	g = group_number(t);
	snprintf(path, sizeof(path), "/dev/vfio/%d", g < 0 ? 99999 : g);
	fd = fz_open(f, path, O_RDWR);
	if (fd >= 0)
		slot_install(f, K_GROUP, fd, t);
}

static void op_group_status(struct fz *f)
{
	struct vfio_group_status *st = scratch_end(f, sizeof(*st));
	int fd = slot_get(f, K_GROUP, NULL);

	st->argsz = pick_argsz(f, sizeof(*st), sizeof(*st));
	st->flags = rnd(f);
	IOC(f, fd, VFIO_GROUP_GET_STATUS, st);
	slot_put(fd);
}

static void op_set_container(struct fz *f)
{
	int *arg = scratch_end(f, sizeof(int));
	int fd = slot_get(f, K_GROUP, NULL);
	int c = slot_get(f, K_CONTAINER, NULL);

	*arg = c;
	IOC(f, fd, VFIO_GROUP_SET_CONTAINER, chance(f, 3) ? NULL : arg);
	slot_put(c);
	slot_put(fd);
}

static void op_unset_container(struct fz *f)
{
	int fd = slot_get(f, K_GROUP, NULL);

	IOC(f, fd, VFIO_GROUP_UNSET_CONTAINER, 0);
	slot_put(fd);
}

static void op_get_device_fd(struct fz *f)
{
	int t = -1, fd = slot_get(f, K_GROUP, &t), dev;
	char *name = scratch_end(f, 64);

	/* The group's own device, usually; another's; or a broken name. */
	switch (below(f, 10)) {
	case 0:
		snprintf(name, 64, "%s", targets[below(f, ntargets)].name);
		break;
	case 1:
		name[0] = '\0';
		break;
	case 2:		/* unterminated: runs into the guard */
		name = (char *)f->scratch + SCRATCH - 1;
		*name = 'x';
		break;
	default:
		snprintf(name, 64, "%s", t >= 0 ? targets[t].name : "");
	}
	dev = IOC(f, fd, VFIO_GROUP_GET_DEVICE_FD, name);
	if (dev >= 0)
		slot_install(f, K_DEVICE, dev, t);
	slot_put(fd);
}

/* ------------------------------------------------------------------ */
/* Operations: devices                                                  */

/*
 * The INFO structures sit right before the scratch guard, whatever argsz
 * says: a kernel that writes more than it should faults on the guard
 * instead of corrupting the fuzzer.
 */

static void op_device_info(struct fz *f)
{
	struct vfio_device_info *info = scratch_end(f, 1024);
	int fd = slot_get(f, K_DEVICE, NULL);

	info->argsz = pick_argsz(f, offsetof(struct vfio_device_info, cap_offset),
				 chance(f, 50) ? sizeof(*info) : 1024);
	IOC(f, fd, VFIO_DEVICE_GET_INFO, info);
	slot_put(fd);
}

static void op_region_info(struct fz *f)
{
	struct vfio_region_info *info = scratch_end(f, 4096);
	int t = -1, fd = slot_get(f, K_DEVICE, &t);
	__u32 index = pick_index(f, NREGIONS);

	memset(info, 0, sizeof(*info));
	info->argsz = pick_argsz(f, offsetof(struct vfio_region_info, offset) + 8,
				 chance(f, 60) ? sizeof(*info) : 4096);
	info->index = index;
	if (IOC(f, fd, VFIO_DEVICE_GET_REGION_INFO, info) == 0 && t >= 0 &&
	    index < NREGIONS && info->argsz >= sizeof(*info)) {
		targets[t].region_size[index] = info->size;
		targets[t].region_flags[index] = info->flags;
	}
	slot_put(fd);
}

static void op_irq_info(struct fz *f)
{
	struct vfio_irq_info *info = scratch_end(f, sizeof(*info));
	int t = -1, fd = slot_get(f, K_DEVICE, &t);
	__u32 index = pick_index(f, VFIO_PCI_NUM_IRQS);

	info->argsz = pick_argsz(f, sizeof(*info), sizeof(*info));
	info->index = index;
	if (IOC(f, fd, VFIO_DEVICE_GET_IRQ_INFO, info) == 0 && t >= 0 &&
	    index < VFIO_PCI_NUM_IRQS)
		targets[t].irq_count[index] = info->count;
	slot_put(fd);
}

/* An fd to pass as an eventfd: a shared one, -1, or the wrong type. */
static int pick_eventfd(struct fz *f, int *held, unsigned int *nheld)
{
	int fd = slot_get(f, chance(f, 85) ? K_EVENTFD : K_OTHER, NULL);

	if (fd >= 0 && fd < 1000000)
		held[(*nheld)++] = fd;
	return chance(f, 10) ? -1 : fd;
}

static void op_set_irqs(struct fz *f)
{
	const __u32 data[] = { VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_DATA_BOOL,
			       VFIO_IRQ_SET_DATA_EVENTFD,
			       VFIO_IRQ_SET_DATA_EVENTFD };
	const __u32 action[] = { VFIO_IRQ_SET_ACTION_MASK,
				 VFIO_IRQ_SET_ACTION_UNMASK,
				 VFIO_IRQ_SET_ACTION_TRIGGER,
				 VFIO_IRQ_SET_ACTION_TRIGGER };
	struct vfio_irq_set *set = scratch_end(f, sizeof(*set) + 64 * 4);
	int t = -1, fd = slot_get(f, K_DEVICE, &t), held[64], one = -1;
	unsigned int nheld = 0, i, n, limit;
	__s32 *efd = (__s32 *)set->data;

	set->index = pick_index(f, VFIO_PCI_NUM_IRQS);
	limit = t >= 0 && set->index < VFIO_PCI_NUM_IRQS ?
		targets[t].irq_count[set->index] : 1;
	set->flags = chance(f, 85) ? PICK(f, data) | PICK(f, action) :
		     pick_flags(f, VFIO_IRQ_SET_DATA_TYPE_MASK |
				VFIO_IRQ_SET_ACTION_TYPE_MASK);
	set->start = chance(f, 70) ? 0 : pick_index(f, limit);
	set->count = chance(f, 20) ? 0 : pick_index(f, limit + 1);
	if (chance(f, 50)) {
		/* What a driver does: route vectors, or tear them down. */
		set->flags = chance(f, 75) ? VFIO_IRQ_SET_DATA_EVENTFD |
					     VFIO_IRQ_SET_ACTION_TRIGGER :
					     VFIO_IRQ_SET_DATA_NONE |
					     VFIO_IRQ_SET_ACTION_TRIGGER;
		set->start = 0;
		set->count = set->flags & VFIO_IRQ_SET_DATA_NONE ? 0 :
			     limit ? 1 + below(f, limit) : 1;
	}
	/* Data for up to 64 vectors; the same eventfd for several. */
	n = set->count < 64 ? set->count : 64;
	for (i = 0; i < n; i++) {
		if (set->flags & VFIO_IRQ_SET_DATA_EVENTFD) {
			if (i == 0 || chance(f, 60))
				one = pick_eventfd(f, held, &nheld);
			efd[i] = one;
		} else {
			((__u8 *)set->data)[i] = rnd(f) & 1;
		}
	}
	set->argsz = sizeof(*set) +
		     n * (set->flags & VFIO_IRQ_SET_DATA_EVENTFD ? 4 :
			  set->flags & VFIO_IRQ_SET_DATA_BOOL ? 1 : 0);
	if (chance(f, 15))
		set->argsz = pick_argsz(f, sizeof(*set), set->argsz);
	if (set->argsz > sizeof(*set) + 64 * 4 && chance(f, 50))
		set->argsz = sizeof(*set) + 64 * 4;
	IOC(f, fd, VFIO_DEVICE_SET_IRQS, set);
	for (i = 0; i < nheld; i++)
		close(held[i]);
	slot_put(fd);
}

static void op_reset(struct fz *f)
{
	int fd = slot_get(f, K_DEVICE, NULL);

	IOC(f, fd, VFIO_DEVICE_RESET, 0);
	slot_put(fd);
}

static void op_hot_reset_info(struct fz *f)
{
	struct vfio_pci_hot_reset_info *info = scratch_end(f, 1024);
	int fd = slot_get(f, K_DEVICE, NULL);

	info->argsz = pick_argsz(f, sizeof(*info), chance(f, 50) ?
				 sizeof(*info) : 1024);
	info->flags = pick_flags(f, 0);
	IOC(f, fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info);
	slot_put(fd);
}

static void op_hot_reset(struct fz *f)
{
	struct vfio_pci_hot_reset *r = scratch_end(f, sizeof(*r) + 16 * 4);
	int fd = slot_get(f, K_DEVICE, NULL), held[16];
	unsigned int i, n = below(f, 4);

	r->flags = pick_flags(f, 0);
	for (i = 0; i < n; i++) {
		held[i] = slot_get(f, chance(f, 80) ? K_GROUP : K_DEVICE,
				   NULL);
		r->group_fds[i] = held[i];
	}
	r->count = chance(f, 80) ? n : pick_index(f, n);
	r->argsz = pick_argsz(f, sizeof(*r), sizeof(*r) + n * 4);
	if (r->argsz > sizeof(*r) + 16 * 4 && chance(f, 50))
		r->argsz = sizeof(*r) + 16 * 4;
	IOC(f, fd, VFIO_DEVICE_PCI_HOT_RESET, r);
	for (i = 0; i < n; i++)
		slot_put(held[i]);
	slot_put(fd);
}

static void op_feature(struct fz *f)
{
	struct vfio_device_feature *feat = scratch_end(f, 4096);
	struct vfio_device_feature_dma_logging_control *ctl;
	struct vfio_device_feature_dma_logging_report *rep;
	struct vfio_device_feature_dma_logging_range *range;
	struct vfio_device_low_power_entry_with_wakeup *wake;
	struct iova_rec k = pick_known(f);
	const __u32 dir[] = {
		VFIO_DEVICE_FEATURE_GET, VFIO_DEVICE_FEATURE_SET,
		VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET,
		VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET,
		VFIO_DEVICE_FEATURE_PROBE,
	};
	int fd = slot_get(f, K_DEVICE, NULL), efd = -1, held[1];
	unsigned int nheld = 0, i, id = pick_index(f, 9);
	__u32 payload = 0;

	memset(feat, 0, 4096);
	feat->flags = (chance(f, 85) ? PICK(f, dir) :
		       pick_flags(f, VFIO_DEVICE_FEATURE_GET |
				  VFIO_DEVICE_FEATURE_SET |
				  VFIO_DEVICE_FEATURE_PROBE)) |
		      (id & VFIO_DEVICE_FEATURE_MASK);
	switch (id) {
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
		/* Ranges inside the same page, right after the header. */
		ctl = (void *)feat->data;
		range = (void *)(ctl + 1);
		ctl->page_size = chance(f, 80) ? PAGE : pick_size(f);
		ctl->num_ranges = pick_index(f, 4);
		ctl->ranges = (uintptr_t)range;
		for (i = 0; i < 4; i++) {
			range[i].iova = chance(f, 50) ? k.iova : pick_iova(f);
			range[i].length = chance(f, 50) ? k.size : pick_size(f);
		}
		payload = sizeof(*ctl);
		break;
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT:
		rep = (void *)feat->data;
		rep->iova = chance(f, 50) ? k.iova : pick_iova(f);
		rep->length = chance(f, 50) ? k.size : pick_size(f);
		rep->page_size = chance(f, 80) ? PAGE : pick_size(f);
		/* Up to 2 KiB of bitmap, ending at the guard. */
		rep->bitmap = (uintptr_t)scratch_end(f, 2048);
		payload = sizeof(*rep);
		break;
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
		wake = (void *)feat->data;
		efd = pick_eventfd(f, held, &nheld);
		wake->wakeup_eventfd = efd;
		payload = sizeof(*wake);
		break;
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
	case VFIO_DEVICE_FEATURE_MIGRATION:
	case VFIO_DEVICE_FEATURE_PCI_VF_TOKEN:
		payload = 16;
		break;
	}
	feat->argsz = pick_argsz(f, sizeof(*feat), sizeof(*feat) + payload);
	if (feat->argsz > 2048)
		feat->argsz = 2048;
	IOC(f, fd, VFIO_DEVICE_FEATURE, feat);
	if (nheld)
		close(held[0]);
	slot_put(fd);
}

static void op_ioeventfd(struct fz *f)
{
	struct vfio_device_ioeventfd *io = scratch_end(f, sizeof(*io));
	int t = -1, fd = slot_get(f, K_DEVICE, &t), held[1];
	unsigned int nheld = 0, bar = below(f, VFIO_PCI_ROM_REGION_INDEX + 1);
	__u64 size = t >= 0 ? targets[t].region_size[bar] : 0;

	io->argsz = pick_argsz(f, sizeof(*io), sizeof(*io));
	io->flags = chance(f, 85) ? 1u << below(f, 4) :
		    pick_flags(f, VFIO_DEVICE_IOEVENTFD_SIZE_MASK);
	io->offset = ROFF(bar) + (chance(f, 70) ?
					below(f, size / 4 + 1) * 4 :
					size - below(f, 4));
	io->data = 0;	/* ioeventfds write zeros: harmless to a NIC */
	io->fd = chance(f, 25) ? -1 : pick_eventfd(f, held, &nheld);
	IOC(f, fd, VFIO_DEVICE_IOEVENTFD, io);
	if (nheld)
		close(held[0]);
	slot_put(fd);
}

/*
 * pread/pwrite of a region at its limits.  Writes go only to config space
 * (which vfio-pci filters) and to the mdev sample: random writes to a real
 * NIC's registers could start DMA nobody set up.
 */
static void op_region_rw(struct fz *f)
{
	const size_t lens[] = { 1, 2, 3, 4, 8, 64, 4096, 8192 };
	int t = -1, fd = slot_get(f, K_DEVICE, &t);
	__u32 index = pick_index(f, NREGIONS);
	__u64 size = t >= 0 && index < NREGIONS ?
		     targets[t].region_size[index] : 0;
	size_t len = PICK(f, lens);
	bool write = chance(f, 40) &&
		     (index == VFIO_PCI_CONFIG_REGION_INDEX ||
		      (t >= 0 && targets[t].kind == T_MDEV));
	void *buf;
	__u64 off;
	long r;

	switch (below(f, 5)) {
	case 0:
		off = size - len / 2;	/* straddles the end */
		break;
	case 1:
		off = size;
		break;
	case 2:
		off = below(f, size + 1);
		break;
	default:	/* an aligned access inside */
		len = 1 << below(f, 3);
		off = size >= len ? below(f, size / len) * len : 0;
	}
	off = ROFF(index) + off;
	buf = scratch_end(f, len);
	if (index == VFIO_PCI_CONFIG_REGION_INDEX && write) {
		/* Keep config writes off the command register and BARs. */
		off = ROFF(index) + 0x40 + below(f, 0xc0);
		memset(buf, chance(f, 50) ? 0 : 0xff, len);
	}
	if (write)
		r = sys_ret(pwrite(fd, buf, len, off));
	else
		r = sys_ret(pread(fd, buf, len, off));
	note(f, r, "%s(%d, %#llx, %zu, %#llx)", write ? "pwrite" : "pread",
	     fd, rel(buf), len, (unsigned long long)off);
	slot_put(fd);
}

static void op_region_mmap(struct fz *f)
{
	int t = -1, fd = slot_get(f, K_DEVICE, &t);
	unsigned int i = below(f, NRMAPS);
	struct rmap *m = &rmaps[i];
	void *at = arena + ARENA_RMAPS + i * RMAP_SPAN, *p;
	__u32 index = pick_index(f, VFIO_PCI_ROM_REGION_INDEX + 1), i2;
	__u64 size, len, off;

	/* Mostly a region the device said can be mmapped. */
	for (i2 = 0; t >= 0 && i2 < 6 && chance(f, 70); i2++) {
		index = below(f, 6);
		if (targets[t].region_flags[index] & VFIO_REGION_INFO_FLAG_MMAP)
			break;
	}
	size = t >= 0 && index < NREGIONS ? targets[t].region_size[index] : 0;
	len = chance(f, 60) && size && size <= RMAP_SPAN ? size :
		    (1 + below(f, RMAP_SPAN / PAGE)) * PAGE;
	off = chance(f, 80) ? 0 : below(f, size / PAGE + 2) * PAGE;

	if (len > RMAP_SPAN)
		len = RMAP_SPAN;
	pthread_mutex_lock(&m->lock);
	p = mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 ROFF(index) + off);
	note(f, p == MAP_FAILED ? -errno : 0, "mmap(%#llx, %llu, %d, %#llx)",
	     rel(at), (unsigned long long)len, fd,
	     (unsigned long long)(ROFF(index) + off));
	if (p == MAP_FAILED) {
		/* A failed MAP_FIXED may have taken the old mapping. */
		mmap(at, RMAP_SPAN, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		m->mapped = false;
	} else {
		m->mapped = true;
		m->target = t;
	}
	pthread_mutex_unlock(&m->lock);
	slot_put(fd);
}

static void op_region_munmap(struct fz *f)
{
	unsigned int i = below(f, NRMAPS);

	rmap_drop(f, &rmaps[i], i);
}

/* The mock device's own ioctls: pins and copies through the container. */
static void op_mock_pin(struct fz *f)
{
	struct vfio_mock_pin *pin = scratch_end(f, sizeof(*pin));
	struct iova_rec k = pick_known(f);
	int fd = slot_get(f, K_DEVICE, NULL);
	bool unpin = chance(f, 40);

	pin->argsz = pick_argsz(f, sizeof(*pin), sizeof(*pin));
	pin->flags = unpin ? (chance(f, 90) ? 0 : 1) :
		     pick_flags(f, VFIO_MOCK_PIN_WRITE);
	pin->iova = chance(f, 70) ? k.iova + below(f, 4) * PAGE :
		    pick_iova(f);
	pin->npages = chance(f, 70) ? 1 + below(f, 16) : pick_size(f) / PAGE;
	if (unpin)
		IOC(f, fd, VFIO_MOCK_UNPIN, pin);
	else
		IOC(f, fd, VFIO_MOCK_PIN, pin);
	slot_put(fd);
}

static void op_mock_dma_rw(struct fz *f)
{
	struct vfio_mock_rw *rw = scratch_end(f, sizeof(*rw) + 8192);
	struct iova_rec k = pick_known(f);
	int fd = slot_get(f, K_DEVICE, NULL);
	__u64 len = chance(f, 80) ? 1 + below(f, 8192) : pick_size(f);

	rw->argsz = pick_argsz(f, sizeof(*rw), sizeof(*rw));
	rw->flags = pick_flags(f, VFIO_MOCK_RW_WRITE);
	rw->iova = chance(f, 70) ? k.iova + k.size - below(f, 2) * len / 2 :
		   pick_iova(f);
	if (k.size > len && chance(f, 50))
		rw->iova = k.iova + below(f, k.size - len);
	rw->length = len;
	/*
	 * Our side of the copy: scratch (never more than 8 KiB of it, before
	 * the guard) or a buffer of the arena.
	 */
	rw->data = len <= 8192 && chance(f, 60) ?
		   (uintptr_t)scratch_end(f, len) : pick_vaddr(f);
	if (rw->data >= (uintptr_t)arena &&
	    rw->data < (uintptr_t)arena + ARENA_SCRATCH &&
	    rw->data + len > (uintptr_t)arena + ARENA_SCRATCH)
		rw->length = 0;		/* would run into the scratch */
	IOC(f, fd, VFIO_MOCK_DMA_RW, rw);
	slot_put(fd);
}

/* A new device's regions and interrupts, asked for as a driver would. */
static void learn_device(struct fz *f, int dev, int t)
{
	struct vfio_region_info *r = scratch_end(f, 4096);
	struct vfio_irq_info *q = scratch_end(f, sizeof(*q));
	unsigned int i;

	targets[t].learned = true;
	for (i = 0; i < NREGIONS; i++) {
		memset(r, 0, sizeof(*r));
		r->argsz = sizeof(*r);
		r->index = i;
		if (IOC(f, dev, VFIO_DEVICE_GET_REGION_INFO, r))
			break;
		targets[t].region_size[i] = r->size;
		targets[t].region_flags[i] = r->flags;
	}
	for (i = 0; i < VFIO_PCI_NUM_IRQS; i++) {
		q->argsz = sizeof(*q);
		q->index = i;
		if (IOC(f, dev, VFIO_DEVICE_GET_IRQ_INFO, q))
			break;
		targets[t].irq_count[i] = q->count;
	}
}

/*
 * The usual way in, in one go: a container (new, or one already in use
 * for other groups), the target's group set to it, an IOMMU type, the
 * device.  Each fd goes to a slot, where the other operations find it.
 */
static void op_open_stack(struct fz *f)
{
	const unsigned long types[] = {
		VFIO_TYPE1v2_IOMMU, VFIO_TYPE1v2_IOMMU, VFIO_TYPE1v2_IOMMU,
		VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU, VFIO_MOCK_IOMMU,
	};
	int t = pick_target(f), c = -1, g, dev, *arg = scratch_end(f, 4);
	char path[64];

	if (t < 0)
		return;
	if (chance(f, 40))
		c = slot_get(f, K_CONTAINER, NULL);
	if (c < 0 || c >= 1000000) {
		c = fz_open(f, "/dev/vfio/vfio", O_RDWR);
		if (c < 0)
			return;
		slot_install(f, K_CONTAINER, dup(c), -1);
	}
	g = group_number(t);
	snprintf(path, sizeof(path), "/dev/vfio/%d", g < 0 ? 99999 : g);
	g = fz_open(f, path, O_RDWR);
	if (g >= 0) {
		slot_install(f, K_GROUP, dup(g), t);
		*arg = c;
		IOC(f, g, VFIO_GROUP_SET_CONTAINER, arg);
		IOC(f, c, VFIO_SET_IOMMU, PICK(f, types));
		dev = IOC(f, g, VFIO_GROUP_GET_DEVICE_FD, targets[t].name);
		if (dev >= 0) {
			if (!targets[t].learned || chance(f, 10))
				learn_device(f, dev, t);
			slot_install(f, K_DEVICE, dev, t);
		}
		close(g);
	}
	close(c);
}

/* ------------------------------------------------------------------ */
/* Operations: memory, eventfds, other fds                               */

/*
 * Map buffer I anew (read-write, read-only, or shared) or take it away
 * under whatever DMA mappings it has.  "Away" is a PROT_NONE mapping in
 * its place, never a hole another allocation could fill; single-threaded
 * it is a real munmap first.
 */
static void op_buf_map(struct fz *f)
{
	unsigned int i = below(f, NBUFS);
	void *at = arena + ARENA_BUFS + i * BUF_SPAN, *p;
	__u64 size = (1 + below(f, BUF_SPAN / PAGE)) * PAGE;
	int prot = chance(f, 85) ? PROT_READ | PROT_WRITE : PROT_READ;
	int flags = (chance(f, 80) ? MAP_PRIVATE : MAP_SHARED) |
		    MAP_ANONYMOUS | MAP_FIXED;

	pthread_mutex_lock(&bufs[i].lock);
	p = mmap(at, size, prot, flags, -1, 0);
	note(f, p == MAP_FAILED ? -errno : 0, "mmap(%#llx, %llu, %d, %#x)",
	     rel(at), (unsigned long long)size, prot, flags);
	if (p != MAP_FAILED) {
		bufs[i].size = size;
		if (prot & PROT_WRITE && chance(f, 50))
			memset(p, i, size);
	}
	pthread_mutex_unlock(&bufs[i].lock);
}

static void op_buf_unmap(struct fz *f)
{
	unsigned int i = below(f, NBUFS);
	void *at = arena + ARENA_BUFS + i * BUF_SPAN;
	long r = 0;

	pthread_mutex_lock(&bufs[i].lock);
	if (nthreads == 1)
		r = sys_ret(munmap(at, BUF_SPAN));
	if (mmap(at, BUF_SPAN, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		r = -errno;
	note(f, r, "munmap(%#llx, %llu)", rel(at),
	     (unsigned long long)BUF_SPAN);
	bufs[i].size = 0;
	pthread_mutex_unlock(&bufs[i].lock);
}

static void op_new_eventfd(struct fz *f)
{
	int fd = sys_ret(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));

	note(f, fd, "eventfd()");
	if (fd >= 0)
		slot_install(f, K_EVENTFD, fd, -1);
}

/* Signal an eventfd: runs unmask/ioeventfd handlers bound to it. */
static void op_signal_eventfd(struct fz *f)
{
	__u64 one = 1;
	int fd = slot_get(f, K_EVENTFD, NULL);

	note(f, sys_ret(write(fd, &one, sizeof(one))), "write(%d, 1)", fd);
	slot_put(fd);
}

static void op_new_other(struct fz *f)
{
	const char *const paths[] = { "/dev/null", "/proc/self/status",
				      "/dev/vfio/vfio" };
	int fds[2] = { -1, -1 }, fd;

	if (chance(f, 30)) {
		fd = sys_ret(pipe(fds)) ? -errno : fds[0];
		note(f, fd < 0 ? fd : 0, "pipe()");
		if (fds[1] >= 0)
			close(fds[1]);
	} else {
		fd = fz_open(f, PICK(f, paths), O_RDONLY);
	}
	if (fd >= 0)
		slot_install(f, K_OTHER, fd, -1);
}

/* ------------------------------------------------------------------ */
/* Operations: taking devices away through sysfs                        */

/*
 * A removal blocks while the device is open, as it does for any user:
 * the kernel asks (REQ) and waits.  Single-threaded, the fuzzer first
 * closes what it holds of the device.  With threads, it does so half the
 * time, and never lets every thread block at once; the others answer
 * the removal as a user would, closing the device within a few calls
 * (answer_removals()), so that it never waits for long.  One removal of
 * a target at a time: a second would wait for the first one's device
 * lock in uninterruptible sleep, which the hung-task detector reports.
 *
 * Return: false if the target is being removed already: skip it.
 */
static bool removal_begin(struct fz *f, int t, bool *ticket)
{
	if (atomic_exchange(&targets[t].removing, true))
		return false;
	*ticket = false;
	if (nthreads > 1 && chance(f, 50)) {
		if (atomic_fetch_add(&blockers, 1) < (int)nthreads - 1) {
			*ticket = true;
			return true;
		}
		atomic_fetch_sub(&blockers, 1);
	}
	release_target(f, t);
	return true;
}

static void removal_end(int t, bool ticket)
{
	if (ticket)
		atomic_fetch_sub(&blockers, 1);
	targets[t].removing = false;
}

/* Between calls: half the time, let go of targets someone removes. */
static void answer_removals(struct fz *f)
{
	int t;

	for (t = 0; t < ntargets; t++)
		if (targets[t].removing && chance(f, 50))
			release_target(f, t);
}

static void op_mock_recreate(struct fz *f)
{
	int t = below(f, ntargets);
	char text[32];
	bool ticket;

	/*
	 * vfio_mock frees the ID before its destroy has finished, and a
	 * create meanwhile fails in the driver core, loudly: the mock, not
	 * VFIO.  One removal of a target at a time keeps that away too.
	 */
	if (targets[t].kind != T_MOCK || !targets[t].usable ||
	    !removal_begin(f, t, &ticket))
		return;
	snprintf(text, sizeof(text), "%u", targets[t].id);
	fz_sysfs(f, VFIO_MOCK_DEBUGFS "/destroy", text);
	snprintf(text, sizeof(text), "%u %u %s", targets[t].id,
		 targets[t].set, targets[t].flags);
	fz_sysfs(f, VFIO_MOCK_DEBUGFS "/create", text);
	removal_end(t, ticket);
}

static void op_pci_rebind(struct fz *f)
{
	int t = below(f, ntargets);
	bool ticket;

	if (targets[t].kind != T_PCI || !targets[t].usable ||
	    !removal_begin(f, t, &ticket))
		return;
	if (chance(f, 80))
		fz_sysfs(f, "/sys/bus/pci/drivers/vfio-pci/unbind",
			 targets[t].name);
	fz_sysfs(f, "/sys/bus/pci/drivers_probe", targets[t].name);
	removal_end(t, ticket);
}

static void op_mdev_recreate(struct fz *f)
{
	int t = below(f, ntargets);
	char path[256];
	bool ticket;

	if (targets[t].kind != T_MDEV || !targets[t].usable ||
	    !removal_begin(f, t, &ticket))
		return;
	if (chance(f, 80)) {
		mdev_dev_path(path, sizeof(path), targets[t].id, "remove");
		fz_sysfs(f, path, "1");
	}
	mdev_type_dir(path, sizeof(path), MDEV_PARENT, MDEV_TYPE);
	strcat(path, "/create");
	fz_sysfs(f, path, targets[t].name);
	removal_end(t, ticket);
}

/* ------------------------------------------------------------------ */
/* The table of operations                                              */

struct op {
	const char *name;
	void (*fn)(struct fz *f);
	unsigned int weight;
};

static const struct op ops[] = {
	{ "open_stack",		op_open_stack,		8 },
	{ "open_container",	op_open_container,	3 },
	{ "close",		op_close,		6 },
	{ "check_extension",	op_check_extension,	1 },
	{ "set_iommu",		op_set_iommu,		4 },
	{ "iommu_info",		op_iommu_info,		2 },
	{ "map_dma",		op_map_dma,		10 },
	{ "unmap_dma",		op_unmap_dma,		7 },
	{ "dirty_pages",	op_dirty_pages,		2 },
	{ "stray_ioctl",	op_stray_ioctl,		1 },
	{ "file_calls",		op_file_calls,		1 },
	{ "open_group",		op_open_group,		5 },
	{ "group_status",	op_group_status,	2 },
	{ "set_container",	op_set_container,	6 },
	{ "unset_container",	op_unset_container,	3 },
	{ "get_device_fd",	op_get_device_fd,	6 },
	{ "device_info",	op_device_info,		1 },
	{ "region_info",	op_region_info,		3 },
	{ "irq_info",		op_irq_info,		2 },
	{ "set_irqs",		op_set_irqs,		6 },
	{ "reset",		op_reset,		1 },
	{ "hot_reset_info",	op_hot_reset_info,	1 },
	{ "hot_reset",		op_hot_reset,		1 },
	{ "feature",		op_feature,		4 },
	{ "ioeventfd",		op_ioeventfd,		2 },
	{ "region_rw",		op_region_rw,		5 },
	{ "region_mmap",	op_region_mmap,		2 },
	{ "region_munmap",	op_region_munmap,	1 },
	{ "mock_pin",		op_mock_pin,		6 },
	{ "mock_dma_rw",	op_mock_dma_rw,		3 },
	{ "buf_map",		op_buf_map,		4 },
	{ "buf_unmap",		op_buf_unmap,		2 },
	{ "new_eventfd",	op_new_eventfd,		2 },
	{ "signal_eventfd",	op_signal_eventfd,	2 },
	{ "new_other",		op_new_other,		1 },
	{ "mock_recreate",	op_mock_recreate,	1 },
	{ "pci_rebind",		op_pci_rebind,		1 },
	{ "mdev_recreate",	op_mdev_recreate,	1 },
};

_Static_assert(ARRAY_SIZE(ops) <= ARRAY_SIZE(((struct fz *)0)->tried),
	       "struct fz counts calls of at most 64 operations");

static const struct op *pick_op(struct fz *f)
{
	static unsigned int total;
	unsigned int i, w;

	if (!total)
		for (i = 0; i < ARRAY_SIZE(ops); i++)
			total += ops[i].weight;
	w = below(f, total);
	for (i = 0; w >= ops[i].weight; i++)
		w -= ops[i].weight;
	return &ops[i];
}

static void *fuzz_thread(void *arg)
{
	struct fz *f = arg;
	const struct op *op;

	f->tid = syscall(SYS_gettid);
	if (f->script) {
		f->op = "kept case";
		f->script(f);
	}
	while (!f->script && !stop && (!f->max_calls || f->calls < f->max_calls)) {
		answer_removals(f);
		op = pick_op(f);
		f->op = op->name;
		f->op_idx = op - ops;
		op->fn(f);
	}
	f->op = "done";
	f->done = true;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Kept regression cases, replayed single-threaded before the random run */

/* Open target T the usual way; the device fd, or -errno. */
static int kept_open(struct fz *f, int t, int *c, int *g)
{
	int *arg = scratch_end(f, 4), num = group_number(t);
	char path[64];

	*c = fz_open(f, "/dev/vfio/vfio", O_RDWR);
	snprintf(path, sizeof(path), "/dev/vfio/%d", num);
	*g = fz_open(f, path, O_RDWR);
	*arg = *c;
	IOC(f, *g, VFIO_GROUP_SET_CONTAINER, arg);
	IOC(f, *c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	return IOC(f, *g, VFIO_GROUP_GET_DEVICE_FD, targets[t].name);
}

static void kept_set_irqs(struct fz *f, int dev, __u32 flags, __u32 index,
			  __u32 start, __u32 count, int efd)
{
	struct vfio_irq_set *set = scratch_end(f, sizeof(*set) + 8);
	__s32 *fds = (__s32 *)set->data;

	set->argsz = sizeof(*set) +
		     (flags & VFIO_IRQ_SET_DATA_EVENTFD ? count * 4 : 0);
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	fds[0] = efd;
	fds[1] = efd;
	IOC(f, dev, VFIO_DEVICE_SET_IRQS, set);
}

/*
 * Seed 0x5, six threads: one eventfd for two MSI/MSI-X vectors.  The
 * second vector's IRQ bypass producer cannot register (the eventfd is its
 * token, and the first vector has it); detaching that vector alone still
 * unregisters it, and irqbypass deletes a list node that was never added:
 * "list_del corruption", kernel BUG in irq_bypass_unregister_producer()
 * from msi_vector_release().
 */
static void kept_shared_msi_eventfd(struct fz *f)
{
	const __u32 trig = VFIO_IRQ_SET_ACTION_TRIGGER;
	const __u32 indexes[] = { VFIO_PCI_MSIX_IRQ_INDEX,
				  VFIO_PCI_MSI_IRQ_INDEX };
	unsigned int t, i;
	int c, g, dev, efd;

	for (t = 0; t < ntargets; t++) {
		if (targets[t].kind != T_PCI || !targets[t].usable)
			continue;
		dev = kept_open(f, t, &c, &g);
		efd = sys_ret(eventfd(0, EFD_CLOEXEC));
		note(f, efd, "eventfd()");
		for (i = 0; dev >= 0 && i < ARRAY_SIZE(indexes); i++) {
			kept_set_irqs(f, dev, VFIO_IRQ_SET_DATA_EVENTFD | trig,
				      indexes[i], 0, 2, efd);
			kept_set_irqs(f, dev, VFIO_IRQ_SET_DATA_EVENTFD | trig,
				      indexes[i], 1, 1, -1);
			kept_set_irqs(f, dev, VFIO_IRQ_SET_DATA_NONE | trig,
				      indexes[i], 0, 0, -1);
		}
		if (dev >= 0)
			fz_close(f, dev);
		fz_close(f, efd);
		fz_close(f, g);
		fz_close(f, c);
	}
}

/*
 * A kept case is either a script (the minimal calls of a finding) or a
 * seed and a number of calls to replay single-threaded.
 */
struct kept_case {
	const char *name;	/* what it once found */
	void (*script)(struct fz *f);
	__u64 seed;
	unsigned long long calls;
};

static const struct kept_case kept_cases[] = {
	{ "eventfd shared by two MSI vectors (irqbypass list_del BUG)",
	  kept_shared_msi_eventfd },
};

/* ------------------------------------------------------------------ */
/* The devices                                                          */

static void add_mock(unsigned int id, unsigned int set, const char *flags)
{
	struct target *t = &targets[ntargets++];
	char text[32];

	t->kind = T_MOCK;
	t->id = id;
	t->set = set;
	t->flags = flags;
	vfio_mock_name(id, t->name, sizeof(t->name));
	snprintf(text, sizeof(text), "%u", id);
	vfio_write_file(VFIO_MOCK_DEBUGFS "/destroy", text);
	t->usable = !vfio_mock_create(id, set, flags);
}

static void add_pci(const char *bdf)
{
	struct target *t = &targets[ntargets++];

	t->kind = T_PCI;
	snprintf(t->name, sizeof(t->name), "%s", bdf);
	t->usable = !pci_bind_vfio(bdf, t->old_driver, sizeof(t->old_driver));
}

static void add_mdev(unsigned int n)
{
	struct target *t = &targets[ntargets++];

	t->kind = T_MDEV;
	t->id = n;
	mdev_uuid(t->name, sizeof(t->name), n);
	if (mdev_exists(n))
		mdev_remove(n);
	t->usable = !mdev_create(MDEV_PARENT, MDEV_TYPE, n);
}

static void setup_targets(void)
{
	vfio_modprobe("vfio_iommu_type1");
	vfio_modprobe("vfio_mock");
	vfio_modprobe("mcounter");
	add_mock(930, 0, "unmap");
	add_mock(931, MOCK_SET, "unmap log");
	add_mock(932, MOCK_SET, "");
	add_pci("0000:00:07.0");	/* virtio-rng */
	add_pci(PCI_E1000);
	add_mdev(60);
	add_mdev(61);
}

static bool target_present(struct target *t)
{
	char path[PATH_MAX];

	switch (t->kind) {
	case T_MOCK:
		snprintf(path, sizeof(path),
			 "/sys/bus/platform/devices/%s", t->name);
		break;
	case T_PCI:
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/vfio-pci/%s",
			 t->name);
		break;
	default:
		return mdev_exists(t->id);
	}
	return access(path, F_OK) == 0;
}

/* Bring back what a phase took away, so every phase starts alike. */
static void restore_targets(void)
{
	struct target *t;
	unsigned int i;

	for (i = 0; i < ntargets; i++) {
		t = &targets[i];
		if (!t->usable || target_present(t))
			continue;
		if (t->kind == T_MOCK)
			vfio_mock_create(t->id, t->set, t->flags);
		else if (t->kind == T_PCI)
			vfio_write_file("/sys/bus/pci/drivers_probe", t->name);
		else
			mdev_create(MDEV_PARENT, MDEV_TYPE, t->id);
		if (!target_present(t))
			printf("# %s did not come back\n", t->name);
	}
}

static void teardown_targets(void)
{
	unsigned int i;
	char text[16];

	for (i = 0; i < ntargets; i++) {
		struct target *t = &targets[i];

		if (!t->usable)
			continue;
		if (t->kind == T_MOCK) {
			snprintf(text, sizeof(text), "%u", t->id);
			vfio_write_file(VFIO_MOCK_DEBUGFS "/destroy", text);
		} else if (t->kind == T_PCI) {
			pci_unbind_vfio(t->name, t->old_driver);
		} else if (mdev_exists(t->id)) {
			mdev_remove(t->id);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Leak checks                                                          */

struct snapshot {
	long long vmlck, vmpin, pin_acquired, pin_released;
	long long mock_instances, mock_groups, mock_devices;
	int fds;
};

static void take_snapshot(struct snapshot *s)
{
	s->vmlck = vfio_read_counter("/proc/self/status", "VmLck:");
	s->vmpin = vfio_read_counter("/proc/self/status", "VmPin:");
	s->pin_acquired = vfio_read_counter("/proc/vmstat",
					    "nr_foll_pin_acquired");
	s->pin_released = vfio_read_counter("/proc/vmstat",
					    "nr_foll_pin_released");
	s->mock_instances = vfio_mock_iommu_stat("instances");
	s->mock_groups = vfio_mock_iommu_stat("groups");
	s->mock_devices = vfio_mock_iommu_stat("devices");
	s->fds = vfio_count_fds();
}

/* What is wrong after a phase, appended to WHY; returns the count. */
static int leaks(const struct snapshot *a, const struct snapshot *b,
		 char *why, size_t size)
{
	size_t len = strlen(why);
	unsigned int i;
	int n = 0;

#define LEAK(cond, ...)							\
	do {								\
		if (cond) {						\
			n++;						\
			len += snprintf(why + len, size - len, __VA_ARGS__); \
			if (len >= size)				\
				len = size - 1;				\
		}							\
	} while (0)

	LEAK(a->vmlck != b->vmlck, " VmLck %lld->%lld kB;", a->vmlck, b->vmlck);
	LEAK(a->vmpin != b->vmpin, " VmPin %lld->%lld kB;", a->vmpin, b->vmpin);
	LEAK(b->pin_acquired - a->pin_acquired !=
	     b->pin_released - a->pin_released,
	     " FOLL_PIN acquired %lld, released %lld;",
	     b->pin_acquired - a->pin_acquired,
	     b->pin_released - a->pin_released);
	LEAK(a->fds != b->fds, " fds %d->%d;", a->fds, b->fds);
	LEAK(a->mock_instances != b->mock_instances ||
	     a->mock_groups != b->mock_groups ||
	     a->mock_devices != b->mock_devices,
	     " mock iommu instances/groups/devices %lld/%lld/%lld->%lld/%lld/%lld;",
	     a->mock_instances, a->mock_groups, a->mock_devices,
	     b->mock_instances, b->mock_groups, b->mock_devices);
	for (i = 0; i < ntargets; i++) {
		const struct target *t = &targets[i];
		long long pinned, opens, closes, overlap;

		if (t->kind != T_MOCK || !t->usable)
			continue;
		pinned = vfio_mock_stat(t->id, "pinned");
		opens = vfio_mock_stat(t->id, "opens");
		closes = vfio_mock_stat(t->id, "closes");
		overlap = vfio_mock_stat(t->id, "overlap");
		LEAK(pinned > 0 || opens != closes || overlap > 0,
		     " %s pinned %lld opens %lld closes %lld overlap %lld;",
		     t->name, pinned, opens, closes, overlap);
	}
#undef LEAK
	return n;
}

/* ------------------------------------------------------------------ */
/* The kernel log, watched while the fuzzer runs                        */

static const char *const bad_log[] = {
	"WARNING:", "BUG:", "Oops", "refcount_t:", "list_add corruption",
	"list_del corruption", "blocked for more than",
	"general protection fault",
};

static void dump_ring(struct fz *f)
{
	unsigned long long i, first;

	pthread_mutex_lock(&f->ring_lock);
	first = f->ring_seq > RING ? f->ring_seq - RING : 0;
	printf("# thread %u (tid %d), in %s, %llu calls; its last calls:\n",
	     f->idx, f->tid, f->op ? f->op : "-", f->calls);
	for (i = first; i < f->ring_seq; i++)
		printf("#   %s\n", f->ring[i % RING]);
	pthread_mutex_unlock(&f->ring_lock);
}

static void *kmsg_thread(void *arg)
{
	int fd = *(int *)arg, more = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char rec[2048], *msg;
	unsigned int i;
	ssize_t n;

	for (;;) {
		if (poll(&p, 1, 200) <= 0)
			continue;
		n = read(fd, rec, sizeof(rec) - 1);
		if (n <= 0)
			continue;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = '\0';
		for (i = 0; i < ARRAY_SIZE(bad_log) && !more; i++) {
			if (!strstr(msg, bad_log[i]))
				continue;
			printf("# kernel complained:\n");
			for (i = 0; i < nthreads; i++)
				dump_ring(&fzs[i]);
			kernel_complained = true;
			more = 80;	/* print the report that follows */
			break;
		}
		if (more) {
			printf("# kernel: %s\n", msg);
			more--;
		}
		fflush(stdout);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Phases                                                               */

static struct fz *cleaner = &fzs[MAX_THREADS - 1];

static void init_fz(struct fz *f, unsigned int idx, __u64 seed)
{
	pthread_mutex_destroy(&f->ring_lock);
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->ring_lock, NULL);
	f->idx = idx;
	f->rng = splitmix(seed + idx) | 1;
	f->hash = 0xcbf29ce484222325ULL;
	f->scratch = arena + ARENA_SCRATCH + idx * 2 * SCRATCH;
}

/* Empty slots, PROT_NONE buffers and region mmaps, no known mappings. */
static void reset_world(void)
{
	unsigned int i;

	release_target(cleaner, -1);
	for (i = 0; i < NSLOTS; i++)
		slot_close(cleaner, &slots[i]);
	mmap(arena, ARENA_SCRATCH, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	for (i = 0; i < NBUFS; i++)
		bufs[i].size = 0;
	niovas = 0;
	/* Knowledge carried over would make a phase depend on the last. */
	for (i = 0; i < ntargets; i++) {
		targets[i].learned = false;
		memset(targets[i].region_size, 0,
		       sizeof(targets[i].region_size));
		memset(targets[i].region_flags, 0,
		       sizeof(targets[i].region_flags));
		memset(targets[i].irq_count, 0, sizeof(targets[i].irq_count));
	}
}

static bool all_done(void)
{
	unsigned int i;

	for (i = 0; i < nthreads; i++)
		if (!fzs[i].done)
			return false;
	return true;
}

static bool wait_done(unsigned int ms)
{
	for (; ms && !all_done(); ms -= 10)
		usleep(10000);
	return all_done();
}

static void report_hang(void)
{
	char path[64];
	unsigned int i;

	printf("# threads did not finish: a call is stuck in the kernel\n");
	for (i = 0; i < nthreads; i++) {
		if (fzs[i].done)
			continue;
		dump_ring(&fzs[i]);
		snprintf(path, sizeof(path), "/proc/self/task/%d/stack",
			 fzs[i].tid);
		vfio_sh("sed 's/^/#   /' %s", path);
	}
	fflush(stdout);
}

/* Calls per operation, and how many of them succeeded. */
static void print_op_stats(unsigned int threads)
{
	unsigned long long tried, ok;
	unsigned int i, j, col = 0;
	char line[256];
	int len = 0;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		tried = 0;
		ok = 0;
		for (j = 0; j < threads; j++) {
			tried += fzs[j].tried[i];
			ok += fzs[j].succeeded[i];
		}
		len += snprintf(line + len, sizeof(line) - len, " %s %llu/%llu",
				ops[i].name, ok, tried);
		if (++col == 4 || i + 1 == ARRAY_SIZE(ops)) {
			printf("#  %s\n", line);
			len = 0;
			col = 0;
		}
	}
}

/*
 * One phase: THREADS threads for SECONDS (or MAX_CALLS calls each), then
 * close everything and check for leaks.  Prints one TAP result.
 */
static bool run_phase(unsigned int num, const char *name, __u64 seed,
		      unsigned int threads, unsigned int seconds,
		      unsigned long long max_calls,
		      void (*script)(struct fz *f))
{
	struct snapshot before, after;
	unsigned long long total = 0;
	time_t deadline;
	char why[1024] = "";
	unsigned int i;
	__u64 hash = 0;
	int n = 0, tries;

	restore_targets();
	init_fz(cleaner, MAX_THREADS - 1, 0);
	reset_world();
	take_snapshot(&before);
	kernel_complained = false;
	stop = false;
	nthreads = threads;
	printf("# %s: seed %#llx, %u thread%s, %s %u s%s\n", name,
	       (unsigned long long)seed, threads, threads > 1 ? "s" : "",
	       max_calls ? "at most" : "for", seconds,
	       max_calls ? " or the calls below" : "");
	fflush(stdout);
	for (i = 0; i < threads; i++) {
		init_fz(&fzs[i], i, seed);
		fzs[i].max_calls = max_calls;
		fzs[i].script = script;
		mprotect(fzs[i].scratch, SCRATCH, PROT_READ | PROT_WRITE);
	}
	for (i = 0; i < threads; i++)
		pthread_create(&fzs[i].thread, NULL, fuzz_thread, &fzs[i]);
	deadline = time(NULL) + seconds;
	while (!all_done() && time(NULL) < deadline)
		usleep(50000);
	stop = true;
	/* A removal may wait for fds no thread will close now: close them. */
	if (!wait_done(10000))
		reset_world();
	if (!wait_done(60000)) {
		report_hang();
		printf("not ok %u %s: seed %#llx hung\n", num, name,
		       (unsigned long long)seed);
		fflush(stdout);
		_exit(1);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(fzs[i].thread, NULL);
		total += fzs[i].calls;
		hash ^= fzs[i].hash;
	}
	reset_world();
	/* Releases may finish in work items: give them a moment. */
	for (tries = 0; tries < 50; tries++) {
		take_snapshot(&after);
		why[0] = '\0';
		n = leaks(&before, &after, why, sizeof(why));
		if (!n)
			break;
		usleep(100000);
	}
	printf("# %s: %llu calls (%llu with the cleanup), trace hash %016llx\n",
	       name, total, total + cleaner->calls, (unsigned long long)hash);
	if (script)
		printf("# replay: every vfio_fuzz run replays the kept cases first\n");
	else if (threads == 1)
		printf("# replay: vfio_fuzz --seed %#llx --threads 1 --calls %llu --no-kept\n",
		       (unsigned long long)seed, total);
	else
		printf("# replay (same mix, not the same order): "
		       "vfio_fuzz --seed %#llx --threads %u --seconds %u --no-kept\n",
		       (unsigned long long)seed, threads, seconds);
	print_op_stats(threads);
	if (n)
		printf("# leaked:%s\n", why);
	if (kernel_complained)
		printf("# the kernel log has a warning from this phase (above)\n");
	printf("%s %u %s: seed %#llx, %u thread%s, %llu calls\n",
	       n || kernel_complained ? "not ok" : "ok", num, name,
	       (unsigned long long)seed, threads, threads > 1 ? "s" : "",
	       total);
	fflush(stdout);
	return !n && !kernel_complained;
}

/* ------------------------------------------------------------------ */
/* Main                                                                 */

static void usage(void)
{
	fprintf(stderr,
		"usage: vfio_fuzz [--seconds N] [--threads N] [--seed S] [--calls N]\n"
		"                 [--trace] [--no-kept]\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	const char *env;
	int i;

	env = getenv("VFIO_FUZZ_SECONDS");
	if (env)
		opt.seconds = strtoul(env, NULL, 0);
	env = getenv("VFIO_FUZZ_THREADS");
	if (env)
		opt.threads = strtol(env, NULL, 0);
	env = getenv("VFIO_FUZZ_SEED");
	if (env)
		opt.seed = strtoull(env, NULL, 0);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--trace"))
			opt.trace = true;
		else if (!strcmp(argv[i], "--no-kept"))
			opt.kept = false;
		else if (i + 1 >= argc)
			usage();
		else if (!strcmp(argv[i], "--seconds"))
			opt.seconds = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--threads"))
			opt.threads = strtol(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seed"))
			opt.seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--calls"))
			opt.calls = strtoull(argv[++i], NULL, 0);
		else
			usage();
	}
	if (opt.threads < 0 || opt.threads > MAX_THREADS - 1)
		usage();
	if (!opt.seed) {
		int fd = open("/dev/urandom", O_RDONLY);

		if (fd < 0 || read(fd, &opt.seed, sizeof(opt.seed)) != 8)
			opt.seed = time(NULL);
		if (fd >= 0)
			close(fd);
	}
}

int main(int argc, char **argv)
{
	unsigned int nkept;
	unsigned int i, num = 0, usable = 0;
	unsigned int single;
	pthread_t kmsg;
	bool ok = true;
	int kfd;

	/* The helper of sysfs_write_apart(): the exit status is the errno. */
	if (argc == 4 && !strcmp(argv[1], "--sysfs-write"))
		return -vfio_write_file(argv[2], argv[3]);
	parse_args(argc, argv);
	nkept = opt.kept ? ARRAY_SIZE(kept_cases) : 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	printf("TAP version 13\n");
	printf("# vfio_fuzz: seed %#llx, %u s, %d thread(s) (0: 1 then 3)\n",
	       (unsigned long long)opt.seed, opt.seconds, opt.threads);
	printf("1..%u\n", nkept + (opt.threads ? 1 : 2));

	arena = mmap(NULL, ARENA_SIZE, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena == MAP_FAILED) {
		printf("Bail out! no arena: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < NSLOTS; i++)
		pthread_mutex_init(&slots[i].lock, NULL);
	for (i = 0; i < NBUFS; i++)
		pthread_mutex_init(&bufs[i].lock, NULL);
	for (i = 0; i < NRMAPS; i++)
		pthread_mutex_init(&rmaps[i].lock, NULL);
	for (i = 0; i < MAX_THREADS; i++)
		pthread_mutex_init(&fzs[i].ring_lock, NULL);

	setup_targets();
	for (i = 0; i < ntargets; i++) {
		printf("# device %s: %s\n", targets[i].name,
		       targets[i].usable ? "used" : "absent");
		usable += targets[i].usable;
	}
	if (!usable) {
		printf("Bail out! no device to fuzz\n");
		return 1;
	}
	kfd = kmsg_open_at_end();
	if (kfd >= 0)
		pthread_create(&kmsg, NULL, kmsg_thread, &kfd);

	for (i = 0; i < nkept; i++) {
		char name[96];

		snprintf(name, sizeof(name), "kept case: %s",
			 kept_cases[i].name);
		ok &= run_phase(++num, name, kept_cases[i].seed, 1, 60,
				kept_cases[i].calls, kept_cases[i].script);
	}
	if (opt.threads) {
		ok &= run_phase(++num, "fuzz", opt.seed, opt.threads,
				opt.seconds, opt.calls, NULL);
	} else {
		single = opt.seconds / 3;
		ok &= run_phase(++num, "fuzz, one thread", opt.seed, 1, single,
				opt.calls, NULL);
		ok &= run_phase(++num, "fuzz, three threads", opt.seed, 3,
				opt.seconds - single, opt.calls, NULL);
	}
	restore_targets();
	teardown_targets();
	printf("# totals: %s\n", ok ? "pass" : "FAIL");
	return ok ? 0 : 1;
}
