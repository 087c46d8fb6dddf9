/*
 * Booting an arm64 guest (Documentation/arch/arm64/booting.rst): the
 * kernel Image and initrd read from disk, placed in guest RAM, the device
 * tree written below the top of RAM, and the boot vcpu's registers set.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <libfdt.h>

#include "arm64/arm64.h"
#include "arm64/fdt.h"
#include "arm64/image.h"
#include "arm64/layout.h"
#include "vmm/devices.h"
#include "vmm/vm.h"

#define INITRD_MAX_SIZE (1ULL << 30)

struct arch_boot {
	struct arm64_image kernel;
	uint8_t *initrd;
	size_t initrd_len;
	bool initrd_borrowed;
};

static int read_boot_files(const struct vm_config *cfg, struct arch_boot *f)
{
	char why[256];
	int err;

	if (image__load(cfg->kernel, &f->kernel, why, sizeof(why))) {
		pr_err("kernel %s: %s", cfg->kernel, why);
		return -VMM_ERR_INPUT;
	}
	pr_debug("kernel %s: %zu bytes, text_offset 0x%llx, image_size %llu", cfg->kernel,
		 f->kernel.len, (unsigned long long)f->kernel.text_offset,
		 (unsigned long long)f->kernel.image_size);
	if (cfg->exec) {	/* vmm exec's, built in memory: borrowed, never freed here */
		f->initrd = (uint8_t *)cfg->exec->initrd;
		f->initrd_len = cfg->exec->initrd_len;
		f->initrd_borrowed = true;
		return 0;
	}
	if (!cfg->initrd)
		return 0;
	err = read_file(cfg->initrd, INITRD_MAX_SIZE, &f->initrd, &f->initrd_len);
	if (err) {
		pr_err("initrd %s: %s", cfg->initrd,
		       err == -EFBIG ? "larger than 1 GiB" : strerror(-err));
		return -VMM_ERR_INPUT;
	}
	return 0;
}

int arch__boot_read(const struct vm_config *cfg, struct arch_boot **out)
{
	struct arch_boot *b = calloc(1, sizeof(*b));

	*out = b;
	return b ? read_boot_files(cfg, b) : -VMM_ERR_INTERNAL;
}

void arch__boot_free(struct arch_boot *b)
{
	if (!b)
		return;
	image__free(&b->kernel);
	if (!b->initrd_borrowed)
		free(b->initrd);
	free(b);
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

/* Copies the kernel and initrd into guest RAM, writes the DTB, sets vcpu 0's registers. */
int arch__boot_load(struct vm *vm, const struct arch_boot *f)
{
	struct boot_layout bl;
	char why[256];
	int err;

	if (layout__boot(vm->ram_size, f->kernel.text_offset, f->kernel.image_size,
			 f->initrd_len, &bl, why, sizeof(why))) {
		pr_err("%s", why);
		return -VMM_ERR_INPUT;
	}
	memcpy(vm__gpa_to_host(vm, bl.kernel, f->kernel.len), f->kernel.data, f->kernel.len);
	if (f->initrd_len)
		memcpy(vm__gpa_to_host(vm, bl.initrd, f->initrd_len), f->initrd, f->initrd_len);
	pr_debug("kernel at 0x%llx, initrd at 0x%llx, DTB at 0x%llx", (unsigned long long)bl.kernel,
		 (unsigned long long)bl.initrd, (unsigned long long)bl.dtb);
	err = build_fdt(vm, &bl, f->initrd_len);
	if (!err)
		err = arch__set_boot_regs(&vm->vcpus[0], bl.kernel, bl.dtb);
	return err;
}
