/*
 * Booting an arm64 guest (Documentation/arch/arm64/booting.rst): the
 * kernel Image and initrd read from disk straight into guest RAM, the device
 * tree written below the top of RAM, and the boot vcpu's registers set.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libfdt.h>

#include "arm64/arm64.h"
#include "arm64/fdt.h"
#include "arm64/image.h"
#include "arm64/layout.h"
#include "vmm/devices.h"
#include "vmm/lazyload.h"
#include "vmm/vm.h"

#define INITRD_MAX_SIZE (1ULL << 30)

/*
 * Reading the boot files is nearly all of vmm's set-up (docs/benchmarks.md),
 * so it starts as soon as guest RAM exists (arch__boot_start), on two
 * threads that run while the main thread creates the vcpus, the GIC and
 * the devices; arch__boot_load waits for them. A raw Image is split at a
 * 2 MiB boundary so that each thread copies about half of the bytes (the
 * second one the initrd too); a gzip stream is inflated by one thread.
 *
 * Where the host gives vmm a userfaultfd, a raw Image and the initrd are
 * loaded while the guest already runs instead (vmm/lazyload.c: start_lazy),
 * and are in RAM by the time arch__boot_free returns, at teardown, or
 * arch__boot_settle (a snapshot's or a migration's) returns.
 *
 * The Image is read, never mapped: a private mapping of the file copies
 * nothing before the guest runs, but its 4 KiB page-cache pages reach the
 * guest one stage-2 fault at a time instead of in the 2 MiB blocks of
 * guest RAM's huge pages, and those faults cost the guest's boot far more
 * than the copy (docs/benchmarks.md).
 */
#define LOADERS			2
#define LOADER_STACK		(128 << 10)

struct loader {
	struct arch_boot *b;
	uint8_t *kernel;		/* where the Image goes in guest RAM */
	bool inflate;			/* the whole gzip stream */
	size_t from, to;		/* or these bytes of a raw Image */
	bool initrd;			/* then the initrd */
	uint8_t *initrd_dst;
	pthread_t thread;
	bool started;
	int err;
	bool initrd_failed;		/* err is the initrd's, not the kernel's */
	char why[256];
};

/*
 * The kernel and initrd, opened and checked before any KVM call; read
 * once, straight into guest RAM, when the VM exists (arch__boot_start).
 */
struct arch_boot {
	struct arm64_image kernel;
	const char *kernel_path, *initrd_path;
	int initrd_fd;
	const uint8_t *initrd_mem;	/* vmm exec's, built in memory: borrowed */
	size_t initrd_len;
	struct boot_layout bl;
	struct loader loaders[LOADERS];
	struct lazy_load *lazy;		/* loading while the guest runs, or NULL */
};

static int open_initrd(const char *path, struct arch_boot *f)
{
	struct stat st;
	int err = 0;

	f->initrd_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->initrd_fd < 0 || fstat(f->initrd_fd, &st) < 0)
		err = errno;
	else if (!S_ISREG(st.st_mode))
		err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	else if ((uint64_t)st.st_size > INITRD_MAX_SIZE)
		err = EFBIG;
	if (err) {
		pr_err("initrd %s: %s", path, err == EFBIG ? "larger than 1 GiB" : strerror(err));
		return -VMM_ERR_INPUT;
	}
	f->initrd_len = (size_t)st.st_size;
	return 0;
}

static int open_boot_files(const struct vm_config *cfg, struct arch_boot *f)
{
	char why[256];

	if (image__open(cfg->kernel, &f->kernel, why, sizeof(why))) {
		pr_err("kernel %s: %s", cfg->kernel, why);
		return -VMM_ERR_INPUT;
	}
	f->kernel_path = cfg->kernel;
	f->initrd_path = cfg->initrd;
	pr_debug("kernel %s: %s, text_offset 0x%llx, image_size %llu", cfg->kernel,
		 f->kernel.gzip ? "gzip" : "raw", (unsigned long long)f->kernel.text_offset,
		 (unsigned long long)f->kernel.image_size);
	if (cfg->exec) {
		f->initrd_mem = cfg->exec->initrd;
		f->initrd_len = cfg->exec->initrd_len;
		return 0;
	}
	return cfg->initrd ? open_initrd(cfg->initrd, f) : 0;
}

int arch__boot_read(const struct vm_config *cfg, struct arch_boot **out)
{
	struct arch_boot *b = calloc(1, sizeof(*b));

	*out = b;
	if (!b)
		return -VMM_ERR_INTERNAL;
	b->kernel.fd = b->initrd_fd = -1;
	return open_boot_files(cfg, b);
}

static int load_kernel_part(struct loader *l)
{
	struct arm64_image *img = &l->b->kernel;
	int err;

	if (l->inflate)
		return image__read(img, l->kernel, l->why, sizeof(l->why));
	if (l->from == l->to)
		return 0;
	err = read_exact(img->fd, l->kernel + l->from, l->to - l->from, l->from);
	if (err)
		set_err(l->why, sizeof(l->why), "cannot read: %s", strerror(-err));
	return err ? -VMM_ERR_INPUT : 0;
}

static int load_initrd(struct loader *l)
{
	struct arch_boot *b = l->b;
	int err;

	if (b->initrd_mem) {
		memcpy(l->initrd_dst, b->initrd_mem, b->initrd_len);
		return 0;
	}
	err = read_exact(b->initrd_fd, l->initrd_dst, b->initrd_len, 0);
	if (err)
		set_err(l->why, sizeof(l->why), "cannot read: %s", strerror(-err));
	return err ? -VMM_ERR_INPUT : 0;
}

static void *loader_main(void *arg)
{
	struct loader *l = arg;

	l->err = load_kernel_part(l);
	if (!l->err && l->initrd) {
		l->err = load_initrd(l);
		l->initrd_failed = l->err != 0;
	}
	return NULL;
}

/* Runs l on a thread of its own; where none can be had, right here. */
static void loader_start(struct loader *l)
{
	if (!l->inflate && l->from == l->to && !l->initrd)
		return;		/* nothing to read */
	l->started = !start_thread(&l->thread, LOADER_STACK, loader_main, l);
	if (!l->started)
		loader_main(l);
}

static void loaders_join(struct arch_boot *b)
{
	for (unsigned i = 0; i < LOADERS; i++)
		if (b->loaders[i].started)
			pthread_join(b->loaders[i].thread, NULL);
	for (unsigned i = 0; i < LOADERS; i++)
		b->loaders[i].started = false;
}

/* Waits for the loaders; the first failure is reported. */
static int loaders_wait(struct arch_boot *b)
{
	loaders_join(b);
	for (unsigned i = 0; i < LOADERS; i++) {
		struct loader *l = &b->loaders[i];

		if (l->err) {
			pr_err("%s %s: %s", l->initrd_failed ? "initrd" : "kernel",
			       l->initrd_failed ? b->initrd_path : b->kernel_path, l->why);
			return l->err;
		}
	}
	return 0;
}

/* The copy loaders were joined before the guest ran (arch__boot_load): only lazy blocks wait. */
int arch__boot_settle(struct arch_boot *b)
{
	if (!b || !b->lazy)
		return 0;
	return lazy_load__wait(b->lazy) ? -VMM_ERR_INPUT : 0;
}

void arch__boot_free(struct arch_boot *b)
{
	if (!b)
		return;
	lazy_load__finish(b->lazy);	/* the guest may run on without every block */
	loaders_join(b);	/* a VM that failed to build: its RAM goes next */
	image__close(&b->kernel);
	if (b->initrd_fd >= 0)
		close(b->initrd_fd);
	free(b);
}

void arch__boot_go(struct arch_boot *b)
{
	if (b)
		lazy_load__go(b->lazy);
}

/*
 * A raw Image and the initrd loaded while the guest runs, where the host
 * gives vmm a userfaultfd (vmm/lazyload.c); false: copy them first.
 */
static bool start_lazy(struct vm *vm, struct arch_boot *b)
{
	const struct boot_layout *bl = &b->bl;
	struct lazy_seg segs[2] = {
		{ .dst = vm__gpa_to_host(vm, bl->kernel, b->kernel.len), .len = b->kernel.len,
		  .fd = b->kernel.fd, .name = b->kernel_path },
		{ .dst = vm__gpa_to_host(vm, bl->initrd, b->initrd_len), .len = b->initrd_len,
		  .fd = b->initrd_mem ? -1 : b->initrd_fd, .mem = b->initrd_mem,
		  .name = b->initrd_path },
	};
	char why[256];

	if (b->kernel.gzip) {
		pr_debug("boot files: copied before the first KVM_RUN (a gzip Image is inflated in one stream)");
		return false;
	}
	if (lazy_load__start(vm, segs, b->initrd_len ? 2 : 1, vm->cfg->ksm, &b->lazy, why,
			     sizeof(why))) {
		pr_debug("boot files: copied before the first KVM_RUN (userfaultfd: %s)", why);
		return false;
	}
	pr_debug("boot files: loaded while the guest runs (userfaultfd)");
	return true;
}

int arch__boot_start(struct vm *vm, struct arch_boot *b)
{
	struct boot_layout *bl = &b->bl;
	size_t klen = b->kernel.len, half;
	char why[256];

	if (layout__boot(vm->ram_size, b->kernel.text_offset, b->kernel.image_size,
			 b->initrd_len, bl, why, sizeof(why))) {
		pr_err("%s", why);
		return -VMM_ERR_INPUT;
	}
	if (start_lazy(vm, b))
		return 0;
	/* gzip: one inflate stream, all on the first loader; klen is known after it */
	half = b->kernel.gzip ? 0 : align_down((klen + b->initrd_len) / 2, SZ_2M);
	half = half < klen ? half : klen;
	for (unsigned i = 0; i < LOADERS; i++)
		b->loaders[i] = (struct loader){
			.b = b,
			.kernel = vm__gpa_to_host(vm, bl->kernel, b->kernel.image_size),
			.inflate = !i && b->kernel.gzip,
			.from = i ? half : 0,
			.to = i ? klen : half,
			.initrd = i == LOADERS - 1 && b->initrd_len,
			.initrd_dst = vm__gpa_to_host(vm, bl->initrd, b->initrd_len),
		};
	for (unsigned i = 0; i < LOADERS; i++)
		loader_start(&b->loaders[i]);
	return 0;
}

static int write_dtb_file(const char *path, const void *fdt, size_t len)
{
	FILE *f = fopen(path, "wb");
	bool ok;

	if (!f) {
		pr_err("--dump-dtb %s: %s", path, strerror(errno));
		return -VMM_ERR_INPUT;
	}
	ok = fwrite(fdt, 1, len, f) == len;
	ok = (fclose(f) == 0) && ok;
	if (!ok) {
		pr_err("--dump-dtb %s: write failed", path);
		return -VMM_ERR_INPUT;
	}
	return 0;
}

/* What the tree says about the machine itself: cpus, RAM, chosen, the GIC. */
static int machine_params(struct vm *vm, const struct boot_layout *bl, size_t initrd_len,
			  struct fdt_params *p)
{
	int err = 0;

	p->nr_cpus = vm->nr_vcpus;
	for (unsigned i = 0; i < vm->nr_vcpus && !err; i++)
		err = arm64__read_mpidr(&vm->vcpus[i], &p->mpidr[i]);
	if (err)
		return err;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		p->mpidr[i] &= 0xff00ffffffULL;	/* the affinity fields */
	p->ram_base = RAM_BASE;
	p->ram_size = vm->ram_size;
	p->bootargs = vm->cfg->cmdline;
	p->initrd_start = bl->initrd;
	p->initrd_end = bl->initrd ? bl->initrd + initrd_len : 0;
	if (getrandom(&p->kaslr_seed, sizeof(p->kaslr_seed), 0) < 0 ||
	    getrandom(p->rng_seed, sizeof(p->rng_seed), 0) < 0)
		pr_debug("getrandom: %s; seeds stay zero", strerror(errno));
	p->gic_dist_base = GIC_DIST_BASE;
	p->gic_dist_size = GIC_DIST_SIZE;
	p->gic_redist_base = GIC_REDIST_BASE;
	p->gic_redist_size = GIC_REDIST_SIZE * vm->nr_vcpus;
	p->pmu = vm->cfg->arch.pmu;
	p->stdout_device = -1;
	return 0;
}

static int build_fdt(struct vm *vm, const struct boot_layout *bl, size_t initrd_len)
{
	struct fdt_params *p = calloc(1, sizeof(*p));
	void *fdt = vm__gpa_to_host(vm, bl->dtb, FDT_MAX_SIZE);
	int err;

	if (!p || !fdt) {
		free(p);
		return -VMM_ERR_INTERNAL;
	}
	err = machine_params(vm, bl, initrd_len, p);
	if (!err) {
		err = devices__fdt(vm, p);
		err = err ?: fdt__build(p, fdt, FDT_MAX_SIZE);
		if (err) {
			pr_err("cannot build the device tree: %s", strerror(-err));
			err = -VMM_ERR_INTERNAL;
		}
	}
	if (!err && vm->cfg->dtb_out)
		err = write_dtb_file(vm->cfg->dtb_out, fdt, fdt_totalsize(fdt));
	free(p);
	return err;
}

/* Waits for the kernel and initrd to be in guest RAM, writes the DTB, sets vcpu 0's registers. */
int arch__boot_load(struct vm *vm, struct arch_boot *f)
{
	const struct boot_layout *bl = &f->bl;
	int err = loaders_wait(f);

	if (err)
		return err;
	pr_debug("kernel (%zu bytes) at 0x%llx, initrd at 0x%llx, DTB at 0x%llx", f->kernel.len,
		 (unsigned long long)bl->kernel, (unsigned long long)bl->initrd,
		 (unsigned long long)bl->dtb);
	err = build_fdt(vm, bl, f->initrd_len);
	if (!err)
		err = arch__set_boot_regs(&vm->vcpus[0], bl->kernel, bl->dtb);
	return err;
}
