/*
 * Boot files loaded while the guest runs (include/vmm/lazyload.h).
 *
 * Guest RAM is anonymous memory with transparent huge pages, so KVM maps
 * it into the guest in 2 MiB blocks. Filling a userfaultfd range with
 * UFFDIO_COPY would leave 4 KiB pages (it installs one small page at a
 * time), and 4 KiB pages cost the guest one stage-2 fault each
 * (docs/benchmarks.md). So each 2 MiB block is read into a staging area of
 * its own, where the first write gets a huge page, and then moved into
 * place whole with mremap, which moves the huge page's PMD without copying;
 * UFFDIO_WAKE then lets any vcpu waiting on that block go on.
 *
 * Who loads a block claims it first (free -> claimed -> in RAM): two
 * loader threads walk the blocks in address order from two starting
 * points, and the fault thread loads a block the guest touched before
 * either loader came to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm/lazyload.h"
#include "vmm/seccomp.h"
#include "vmm/util.h"
#include "vmm/vm.h"

#define LOADERS		2
#define THREAD_STACK	(128 << 10)

enum { BLOCK_FREE, BLOCK_CLAIMED, BLOCK_LOADED };

struct block {
	uint8_t *addr;		/* 2 MiB aligned, in guest RAM */
	atomic_int state;
	bool moved;		/* its staging slot is gone: the address may be reused */
};

struct lazy_load;

struct loader {
	struct lazy_load *ll;
	unsigned first;		/* the block it starts at */
	pthread_t thread;
	bool started;
};

struct lazy_load {
	struct vm *vm;
	struct lazy_seg segs[2];
	unsigned nr_segs;
	struct block *blocks;
	unsigned nr_blocks;
	uint8_t *staging;		/* one 2 MiB slot per block, 2 MiB aligned */
	int uffd, done_fd;
	atomic_uint loaded, on_fault;
	atomic_int err;			/* the first failure */
	struct loader loaders[LOADERS];
	pthread_t server;
	bool server_started;
	bool going;			/* lazy_load__go() started the threads */
};

/* Copies what the segments have inside block i into its staging slot; *bad names a failed one. */
static int fill_slot(struct lazy_load *ll, unsigned i, uint8_t *slot, const char **bad)
{
	uint8_t *lo = ll->blocks[i].addr, *hi = lo + SZ_2M;

	for (unsigned s = 0; s < ll->nr_segs; s++) {
		const struct lazy_seg *g = &ll->segs[s];
		uint8_t *from = g->dst > lo ? g->dst : lo;
		uint8_t *to = g->dst + g->len < hi ? g->dst + g->len : hi;
		size_t off = (size_t)(from - g->dst);
		int err;

		if (from >= to)
			continue;
		if (g->fd < 0) {
			memcpy(slot + (from - lo), g->mem + off, (size_t)(to - from));
			continue;
		}
		err = read_exact(g->fd, slot + (from - lo), (size_t)(to - from), off);
		if (err) {
			*bad = g->name;
			return err;
		}
	}
	return 0;
}

/* The first failure is reported, and ends the VM. */
static void fail(struct lazy_load *ll, int err, const char *what)
{
	int none = 0;

	if (atomic_compare_exchange_strong(&ll->err, &none, err)) {
		pr_err("%s: %s", what, strerror(-err));
		vm__request_stop(ll->vm, VMM_ERR_INPUT);
	}
}

/* Where mremap could not move the slot: copied, in 4 KiB pages (UFFDIO_COPY wakes). */
static void copy_block(struct lazy_load *ll, struct block *b, uint8_t *slot)
{
	struct uffdio_copy c = { .dst = (uintptr_t)b->addr, .src = (uintptr_t)slot, .len = SZ_2M };

	pr_debug("mremap of a boot block: %s; copied instead", strerror(errno));
	while (ioctl(ll->uffd, UFFDIO_COPY, &c) < 0 && errno == EAGAIN) {
		c.dst += (uint64_t)c.copy;
		c.src += (uint64_t)c.copy;
		c.len -= (uint64_t)c.copy;
		c.copy = 0;
	}
	if (c.copy < 0 && c.copy != -EEXIST)
		fail(ll, (int)c.copy, "cannot put the boot files into guest RAM");
}

/* The block's state is the futex word lazy_load__wait sleeps on. */
static long futex(atomic_int *word, int op, int val)
{
	return syscall(SYS_futex, (int *)word, op, val, NULL, NULL, 0);
}

/*
 * Puts block i in guest RAM. After a read error the block still goes in
 * (what was read, zeros after it): a vcpu waiting for it must not wait forever.
 */
static void load_block(struct lazy_load *ll, unsigned i)
{
	struct block *b = &ll->blocks[i];
	uint8_t *slot = ll->staging + (size_t)i * SZ_2M;
	struct uffdio_range wake = { .start = (uintptr_t)b->addr, .len = SZ_2M };
	const char *bad = NULL;
	int err = fill_slot(ll, i, slot, &bad);
	char what[300];

	if (err) {
		snprintf(what, sizeof(what), "%s: cannot read", bad);
		fail(ll, err, what);
	}
	if (mremap(slot, SZ_2M, SZ_2M, MREMAP_MAYMOVE | MREMAP_FIXED, b->addr) == MAP_FAILED)
		copy_block(ll, b, slot);
	else
		b->moved = true;
	atomic_store(&b->state, BLOCK_LOADED);
	futex(&b->state, FUTEX_WAKE_PRIVATE, INT_MAX);	/* lazy_load__wait's waiters */
	if (ioctl(ll->uffd, UFFDIO_WAKE, &wake) < 0)
		pr_err("UFFDIO_WAKE: %s", strerror(errno));
	if (atomic_fetch_add(&ll->loaded, 1) + 1 == ll->nr_blocks) {
		uint64_t one = 1;

		pr_debug("boot files in guest RAM: %u blocks of 2 MiB, %u loaded first for the guest",
			 ll->nr_blocks, atomic_load(&ll->on_fault));
		if (write(ll->done_fd, &one, sizeof(one)) < 0)
			pr_err("lazy load: eventfd: %s", strerror(errno));
	}
}

static bool claim(struct lazy_load *ll, unsigned i)
{
	int free_ = BLOCK_FREE;

	return atomic_compare_exchange_strong(&ll->blocks[i].state, &free_, BLOCK_CLAIMED);
}

static void enter_filter(struct lazy_load *ll)
{
	if (seccomp__enter(SECCOMP_THREAD_LOADER))	/* it said why */
		fail(ll, -EPERM, "boot loader");	/* it still loads: vcpus may wait for it */
}

/* Every block from the loader's first one on, then the ones before it. */
static void run_loader(struct loader *l)
{
	struct lazy_load *ll = l->ll;

	for (unsigned k = 0; k < ll->nr_blocks; k++) {
		unsigned i = (l->first + k) % ll->nr_blocks;

		if (claim(ll, i))
			load_block(ll, i);
	}
}

/*
 * The loaders yield the CPU to the rest of vmm's set-up (the host may have
 * as few CPUs as vmm has threads at that time): the first KVM_RUN comes
 * sooner, and a block the guest waits for is loaded by the fault thread,
 * which keeps its priority.
 */
#define LOADER_NICE	10

static void *loader_main(void *arg)
{
	struct loader *l = arg;

	if (setpriority(PRIO_PROCESS, 0, LOADER_NICE) < 0)	/* this thread only, on Linux */
		pr_debug("loader: setpriority: %s", strerror(errno));
	enter_filter(l->ll);
	run_loader(l);
	return NULL;
}

static int block_of(const struct lazy_load *ll, uintptr_t addr)
{
	for (unsigned i = 0; i < ll->nr_blocks; i++)
		if (addr - (uintptr_t)ll->blocks[i].addr < SZ_2M)
			return (int)i;
	return -1;
}

/* A vcpu touched a block not in RAM yet: load it now unless a loader has it. */
static void serve_fault(struct lazy_load *ll, uintptr_t addr)
{
	int i = block_of(ll, addr);
	struct uffdio_range wake = { .start = addr & ~(uintptr_t)(SZ_2M - 1), .len = SZ_2M };

	if (i < 0)
		return;
	if (claim(ll, (unsigned)i)) {
		atomic_fetch_add(&ll->on_fault, 1);
		load_block(ll, (unsigned)i);
	} else if (atomic_load(&ll->blocks[i].state) == BLOCK_LOADED) {
		ioctl(ll->uffd, UFFDIO_WAKE, &wake);	/* a fault that raced the load's wake */
	}
}

static void *server_main(void *arg)
{
	struct lazy_load *ll = arg;

	enter_filter(ll);
	for (;;) {
		struct pollfd p[2] = { { .fd = ll->uffd, .events = POLLIN },
				       { .fd = ll->done_fd, .events = POLLIN } };
		struct uffd_msg msg;

		/* ppoll, the call its filter lists, on every arch (x86's poll is another) */
		if (ppoll(p, 2, NULL, NULL) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		if (read(ll->uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;	/* EAGAIN: another wake took it */
		if (msg.event == UFFD_EVENT_PAGEFAULT)
			serve_fault(ll, (uintptr_t)msg.arg.pagefault.address);
	}
	return NULL;
}

/* The 2 MiB blocks the segments cover, in address order, each once. */
static int make_blocks(struct lazy_load *ll)
{
	size_t max = 0;

	for (unsigned s = 0; s < ll->nr_segs; s++)
		max += ll->segs[s].len / SZ_2M + 2;
	ll->blocks = calloc(max, sizeof(*ll->blocks));
	if (!ll->blocks)
		return -ENOMEM;
	for (unsigned s = 0; s < ll->nr_segs; s++) {
		uintptr_t a = align_down((uintptr_t)ll->segs[s].dst, SZ_2M);
		uintptr_t end = align_up((uintptr_t)ll->segs[s].dst + ll->segs[s].len, SZ_2M);

		for (; a < end; a += SZ_2M) {
			if (ll->nr_blocks && (uintptr_t)ll->blocks[ll->nr_blocks - 1].addr >= a)
				continue;
			ll->blocks[ll->nr_blocks++].addr = (uint8_t *)a;
		}
	}
	return 0;
}

/* Staging slots, 2 MiB aligned so that each one's first write gets a huge page. */
static int map_staging(struct lazy_load *ll, bool ksm)
{
	size_t len = (size_t)ll->nr_blocks * SZ_2M, head;
	uint8_t *p = mmap(NULL, len + SZ_2M, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	ll->staging = (uint8_t *)align_up((uintptr_t)p, SZ_2M);
	head = (size_t)(ll->staging - p);
	if (head)
		munmap(p, head);
	munmap(ll->staging + len, SZ_2M - head);
	madvise(ll->staging, len, MADV_HUGEPAGE);
	if (ksm)
		madvise(ll->staging, len, MADV_MERGEABLE);
	return 0;
}

/* A userfaultfd that KVM's faults reach (not UFFD_USER_MODE_ONLY). */
static int open_uffd(char *why, size_t whylen)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		int err = errno;

		if (err == EPERM)
			set_err(why, whylen, "not permitted: vm.unprivileged_userfaultfd is 0 and vmm lacks CAP_SYS_PTRACE");
		else
			set_err(why, whylen, "%s", strerror(err));
		return -err;
	}
	if (ioctl(fd, UFFDIO_API, &api) < 0) {
		int err = errno;

		set_err(why, whylen, "UFFDIO_API: %s", strerror(err));
		close(fd);
		return -err;
	}
	return fd;
}

/* Each run of adjacent blocks, for missing-page faults. */
static int register_blocks(struct lazy_load *ll, char *why, size_t whylen)
{
	for (unsigned i = 0, j; i < ll->nr_blocks; i = j) {
		struct uffdio_register r = { .mode = UFFDIO_REGISTER_MODE_MISSING };

		for (j = i + 1; j < ll->nr_blocks && ll->blocks[j].addr == ll->blocks[j - 1].addr + SZ_2M; j++)
			;
		r.range.start = (uintptr_t)ll->blocks[i].addr;
		r.range.len = (uint64_t)(j - i) * SZ_2M;
		if (ioctl(ll->uffd, UFFDIO_REGISTER, &r) < 0) {
			int err = errno;

			set_err(why, whylen, "UFFDIO_REGISTER: %s", strerror(err));
			return -err;
		}
	}
	return 0;
}

static void start_threads(struct lazy_load *ll)
{
	for (unsigned n = 0; n < LOADERS; n++) {
		struct loader *l = &ll->loaders[n];

		l->ll = ll;
		l->first = n * ll->nr_blocks / LOADERS;
	}
	/* without it a touched block waits for a loader to come to it */
	ll->server_started = !start_thread(&ll->server, THREAD_STACK, server_main, ll);
	for (unsigned n = 0; n < LOADERS; n++) {
		struct loader *l = &ll->loaders[n];

		l->started = !start_thread(&l->thread, THREAD_STACK, loader_main, l);
		if (!l->started)
			run_loader(l);
	}
}

static void release(struct lazy_load *ll)
{
	if (ll->uffd >= 0)
		close(ll->uffd);	/* unregisters what is left: no fault waits on it */
	if (ll->done_fd >= 0)
		close(ll->done_fd);
	/*
	 * Only the slots still there: a moved one's addresses may hold another
	 * mapping by now (a thread's stack, malloc's).
	 */
	for (unsigned i = 0; ll->staging && i < ll->nr_blocks; i++)
		if (!ll->blocks[i].moved)
			munmap(ll->staging + (size_t)i * SZ_2M, SZ_2M);
	free(ll->blocks);
	free(ll);
}

int lazy_load__start(struct vm *vm, const struct lazy_seg *segs, unsigned nr, bool ksm,
		     struct lazy_load **out, char *why, size_t whylen)
{
	struct lazy_load *ll = calloc(1, sizeof(*ll));
	int err;

	*out = NULL;
	if (!ll || nr > 2) {
		free(ll);
		set_err(why, whylen, "out of memory");
		return -ENOMEM;
	}
	ll->vm = vm;
	memcpy(ll->segs, segs, nr * sizeof(*segs));
	ll->nr_segs = nr;
	ll->done_fd = eventfd(0, EFD_CLOEXEC);
	ll->uffd = open_uffd(why, whylen);
	if (ll->uffd < 0) {
		err = ll->uffd;
		ll->uffd = -1;
		release(ll);
		return err;
	}
	err = make_blocks(ll);
	err = err ?: map_staging(ll, ksm);
	if (!err && ll->done_fd < 0)
		err = -errno;
	if (err)
		set_err(why, whylen, "%s", strerror(-err));
	err = err ?: register_blocks(ll, why, whylen);
	if (err) {
		release(ll);
		return err;
	}
	*out = ll;
	return 0;
}

void lazy_load__go(struct lazy_load *ll)
{
	if (ll && !ll->going) {
		ll->going = true;
		start_threads(ll);
	}
}

void lazy_load__finish(struct lazy_load *ll)
{
	uint64_t one = 1;

	if (!ll)
		return;
	for (unsigned n = 0; n < LOADERS; n++)
		if (ll->loaders[n].started)
			pthread_join(ll->loaders[n].thread, NULL);
	if (ll->server_started) {
		if (write(ll->done_fd, &one, sizeof(one)) < 0)
			pr_err("lazy load: eventfd: %s", strerror(errno));
		pthread_join(ll->server, NULL);
	}
	release(ll);
}

/*
 * Every block not claimed yet is loaded here, on the caller's thread (the
 * loaders may not have started, and they yield the CPU); the ones another
 * thread is loading are waited for, on their state word.
 */
int lazy_load__wait(struct lazy_load *ll)
{
	unsigned pending;
	double start;

	if (!ll)
		return 0;
	pending = ll->nr_blocks - atomic_load(&ll->loaded);
	start = vmm_uptime_ms();
	for (unsigned i = 0; i < ll->nr_blocks; i++)
		if (claim(ll, i))
			load_block(ll, i);
	for (unsigned i = 0; i < ll->nr_blocks; i++) {
		int state;

		while ((state = atomic_load(&ll->blocks[i].state)) != BLOCK_LOADED)
			futex(&ll->blocks[i].state, FUTEX_WAIT_PRIVATE, state);
	}
	if (pending)
		pr_debug("boot files: waited %.1f ms for %u of %u blocks of 2 MiB to be in guest RAM",
			 vmm_uptime_ms() - start, pending, ll->nr_blocks);
	return atomic_load(&ll->err);
}
