/*
 * Booting an arm64 guest (Documentation/arch/arm64/booting.rst): the
 * kernel Image and initrd read from disk straight into guest RAM, the device
 * tree written below the top of RAM, and the boot vcpu's registers set.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "vmm/vm.h"

#define INITRD_MAX_SIZE (1ULL << 30)

/*
 * The kernel and initrd, opened and checked before any KVM call; read
 * once, straight into guest RAM, when the VM exists (arch__boot_load).
 */
struct arch_boot {
	struct arm64_image kernel;
	int initrd_fd;
	const uint8_t *initrd_mem;	/* vmm exec's, built in memory: borrowed */
	size_t initrd_len;
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

void arch__boot_free(struct arch_boot *b)
{
	if (!b)
		return;
	image__close(&b->kernel);
	if (b->initrd_fd >= 0)
		close(b->initrd_fd);
	free(b);
}

/*
 * The kernel and initrd, read (or inflated) from their files straight into
 * guest RAM, once. Mapping a raw Image there copy-on-write instead copies
 * nothing before the guest runs, but its 4 KiB page-cache pages cannot be
 * given to the guest as 2 MiB stage-2 blocks like the huge pages of guest
 * RAM, and the guest's faults on them cost far more than the copy
 * (docs/benchmarks.md).
 */
static int read_into_ram(struct vm *vm, struct arch_boot *f, const struct boot_layout *bl)
{
	const struct vm_config *cfg = vm->cfg;
	uint8_t *kernel = vm__gpa_to_host(vm, bl->kernel, f->kernel.image_size);
	char why[256];
	int err;

	if (image__read(&f->kernel, kernel, why, sizeof(why))) {
		pr_err("kernel %s: %s", cfg->kernel, why);
		return -VMM_ERR_INPUT;
	}
	if (!f->initrd_len)
		return 0;
	if (f->initrd_mem) {
		memcpy(vm__gpa_to_host(vm, bl->initrd, f->initrd_len), f->initrd_mem, f->initrd_len);
		return 0;
	}
	err = read_exact(f->initrd_fd, vm__gpa_to_host(vm, bl->initrd, f->initrd_len),
			 f->initrd_len, 0);
	if (err) {
		pr_err("initrd %s: cannot read: %s", cfg->initrd, strerror(-err));
		return -VMM_ERR_INPUT;
	}
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

/* Reads the kernel and initrd into guest RAM, writes the DTB, sets vcpu 0's registers. */
int arch__boot_load(struct vm *vm, struct arch_boot *f)
{
	struct boot_layout bl;
	char why[256];
	int err;

	if (layout__boot(vm->ram_size, f->kernel.text_offset, f->kernel.image_size,
			 f->initrd_len, &bl, why, sizeof(why))) {
		pr_err("%s", why);
		return -VMM_ERR_INPUT;
	}
	err = read_into_ram(vm, f, &bl);
	if (err)
		return err;
	pr_debug("kernel (%zu bytes) at 0x%llx, initrd at 0x%llx, DTB at 0x%llx", f->kernel.len,
		 (unsigned long long)bl.kernel, (unsigned long long)bl.initrd,
		 (unsigned long long)bl.dtb);
	err = build_fdt(vm, &bl, f->initrd_len);
	if (!err)
		err = arch__set_boot_regs(&vm->vcpus[0], bl.kernel, bl.dtb);
	return err;
}
