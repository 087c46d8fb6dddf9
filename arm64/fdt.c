/*
 * The guest's device tree: what an unmodified arm64 Linux needs to boot on
 * KVM (cpus, memory, chosen, PSCI, GICv3, arch timer, PMU) plus one node per
 * memory-mapped device. Built top-down with libfdt's sequential-write API,
 * which keeps the code in the order of the tree it writes.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include "arm64/fdt.h"
#include "arm64/layout.h"
#include "vmm/util.h"

/* Our phandles: fixed, since every node that takes one is ours. */
#define PHANDLE_GIC		1
#define PHANDLE_APB_PCLK	2

/* The three cells of an arm,gic-v3 interrupt specifier. */
#define GIC_SPI			0
#define GIC_PPI			1
#define IRQ_EDGE_RISING		1
#define IRQ_LEVEL_HIGH		4

/* PPI numbers as the binding counts them (INTID - 16). */
#define PPI_PMU			7
#define PPI_GIC_MAINT		9
#define PPI_TIMER_HYP		10
#define PPI_TIMER_VIRT		11
#define PPI_TIMER_SEC		13
#define PPI_TIMER_PHYS		14

#define APB_PCLK_HZ		24000000

/*
 * Aff3 (bits 39:32) and Aff2..Aff0 (bits 23:0): the part of MPIDR_EL1 a cpu
 * node's reg holds. Linux rejects a cpu whose reg has any other bit set.
 */
#define MPIDR_HWID_MASK		0xff00ffffffULL

/* "name@" + 16 hex digits + NUL, with name at most 31 characters (DT spec). */
#define NODE_NAME_MAX		31
#define NODE_PATH_MAX		(1 + NODE_NAME_MAX + 1 + 16 + 1)
#define COMPATIBLE_MAX		256

static int fdt_errno(int err)
{
	if (err == -FDT_ERR_NOSPACE)
		return -ENOSPC;
	return err ? -EINVAL : 0;
}

/* Big-endian 32-bit cells, as interrupts and clocks take them. */
static int prop_u32s(void *fdt, const char *name, const uint32_t *v, unsigned n)
{
	fdt32_t be[12];
	unsigned i;

	if (n > ARRAY_SIZE(be))
		return -FDT_ERR_BADVALUE;
	for (i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(v[i]);
	return fdt_property(fdt, name, be, n * sizeof(be[0]));
}

/* Pairs of 64-bit values: reg with #address-cells = #size-cells = 2. */
static int prop_u64s(void *fdt, const char *name, const uint64_t *v, unsigned n)
{
	fdt64_t be[4];
	unsigned i;

	if (n > ARRAY_SIZE(be))
		return -FDT_ERR_BADVALUE;
	for (i = 0; i < n; i++)
		be[i] = cpu_to_fdt64(v[i]);
	return fdt_property(fdt, name, be, n * sizeof(be[0]));
}

static int prop_reg(void *fdt, uint64_t base, uint64_t size)
{
	uint64_t reg[] = { base, size };

	return prop_u64s(fdt, "reg", reg, ARRAY_SIZE(reg));
}

static int prop_irq(void *fdt, uint32_t type, uint32_t nr, uint32_t trigger)
{
	uint32_t irq[] = { type, nr, trigger };

	return prop_u32s(fdt, "interrupts", irq, ARRAY_SIZE(irq));
}

/* "name@addr", the unit address in lowercase hex as the DT spec wants. */
static int begin_node_at(void *fdt, const char *name, uint64_t addr)
{
	char buf[NODE_PATH_MAX];

	snprintf(buf, sizeof(buf), "%s@%llx", name, (unsigned long long)addr);
	return fdt_begin_node(fdt, buf);
}

static bool valid_node_name(const char *name)
{
	static const char chars[] =
		"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,._+-";
	size_t len;

	if (!name)
		return false;
	len = strlen(name);
	return len && len <= NODE_NAME_MAX && strspn(name, chars) == len;
}

static bool valid_device(const struct fdt_device *d)
{
	if (!valid_node_name(d->name))
		return false;
	if (!d->compatible || !d->compatible_len || d->compatible_len > COMPATIBLE_MAX)
		return false;
	if (d->compatible[d->compatible_len - 1] != '\0')
		return false;
	return d->irq >= -1 && d->irq < GIC_NR_IRQS - 32;
}

static bool valid_params(const struct fdt_params *p)
{
	unsigned i;

	if (p->nr_cpus < 1 || p->nr_cpus > ARRAY_SIZE(p->mpidr))
		return false;
	if (p->nr_devices > FDT_MAX_DEVICES || !p->ram_size)
		return false;
	if (p->stdout_device < -1 || p->stdout_device >= (int)p->nr_devices)
		return false;
	if (p->initrd_end < p->initrd_start)
		return false;
	for (i = 0; i < p->nr_devices; i++)
		if (!valid_device(&p->devices[i]))
			return false;
	return true;
}

static int root_props(void *fdt)
{
	int err;

	err = fdt_property_string(fdt, "compatible", "linux,dummy-virt");
	err = err ?: fdt_property_u32(fdt, "#address-cells", 2);
	err = err ?: fdt_property_u32(fdt, "#size-cells", 2);
	err = err ?: fdt_property_u32(fdt, "interrupt-parent", PHANDLE_GIC);
	err = err ?: fdt_property_string(fdt, "model", "vmm");
	return err;
}

static int chosen_node(void *fdt, const struct fdt_params *p)
{
	char path[NODE_PATH_MAX];
	int err;

	err = fdt_begin_node(fdt, "chosen");
	if (!err && p->bootargs)
		err = fdt_property_string(fdt, "bootargs", p->bootargs);
	if (!err && p->initrd_end > p->initrd_start) {
		err = fdt_property_u64(fdt, "linux,initrd-start", p->initrd_start);
		err = err ?: fdt_property_u64(fdt, "linux,initrd-end", p->initrd_end);
	}
	if (!err && p->stdout_device >= 0) {
		const struct fdt_device *d = &p->devices[p->stdout_device];

		snprintf(path, sizeof(path), "/%s@%llx", d->name,
			 (unsigned long long)d->base);
		err = fdt_property_string(fdt, "stdout-path", path);
	}
	err = err ?: fdt_property_u64(fdt, "kaslr-seed", p->kaslr_seed);
	err = err ?: fdt_property(fdt, "rng-seed", p->rng_seed, sizeof(p->rng_seed));
	return err ?: fdt_end_node(fdt);
}

/*
 * #address-cells = 2 so that reg can hold Aff3 (MPIDR bits 39:32): KVM
 * leaves it 0 by default, but the MPIDRs come from our caller, and Linux
 * reads a 2-cell reg as well as a 1-cell one.
 */
static int cpus_node(void *fdt, const struct fdt_params *p)
{
	unsigned i;
	int err;

	err = fdt_begin_node(fdt, "cpus");
	err = err ?: fdt_property_u32(fdt, "#address-cells", 2);
	err = err ?: fdt_property_u32(fdt, "#size-cells", 0);
	for (i = 0; !err && i < p->nr_cpus; i++) {
		uint64_t mpidr = p->mpidr[i] & MPIDR_HWID_MASK;

		err = begin_node_at(fdt, "cpu", mpidr);
		err = err ?: fdt_property_string(fdt, "device_type", "cpu");
		err = err ?: fdt_property_string(fdt, "compatible", "arm,arm-v8");
		err = err ?: fdt_property_string(fdt, "enable-method", "psci");
		err = err ?: fdt_property_u64(fdt, "reg", mpidr);
		err = err ?: fdt_end_node(fdt);
	}
	return err ?: fdt_end_node(fdt);
}

static int memory_node(void *fdt, const struct fdt_params *p)
{
	int err;

	err = begin_node_at(fdt, "memory", p->ram_base);
	err = err ?: fdt_property_string(fdt, "device_type", "memory");
	err = err ?: prop_reg(fdt, p->ram_base, p->ram_size);
	return err ?: fdt_end_node(fdt);
}

static int psci_node(void *fdt)
{
	static const char compat[] = "arm,psci-1.0\0arm,psci-0.2";
	int err;

	err = fdt_begin_node(fdt, "psci");
	err = err ?: fdt_property(fdt, "compatible", compat, sizeof(compat));
	err = err ?: fdt_property_string(fdt, "method", "hvc");
	return err ?: fdt_end_node(fdt);
}

static int gic_node(void *fdt, const struct fdt_params *p)
{
	uint64_t reg[] = {
		p->gic_dist_base, p->gic_dist_size,
		p->gic_redist_base, p->gic_redist_size,
	};
	int err;

	err = begin_node_at(fdt, "intc", p->gic_dist_base);
	err = err ?: fdt_property_string(fdt, "compatible", "arm,gic-v3");
	err = err ?: fdt_property_u32(fdt, "#interrupt-cells", 3);
	err = err ?: fdt_property(fdt, "interrupt-controller", NULL, 0);
	err = err ?: fdt_property_u32(fdt, "#address-cells", 2);
	err = err ?: fdt_property_u32(fdt, "#size-cells", 2);
	err = err ?: fdt_property(fdt, "ranges", NULL, 0);
	err = err ?: prop_u64s(fdt, "reg", reg, ARRAY_SIZE(reg));
	err = err ?: prop_irq(fdt, GIC_PPI, PPI_GIC_MAINT, IRQ_LEVEL_HIGH);
	err = err ?: fdt_property_u32(fdt, "phandle", PHANDLE_GIC);
	return err ?: fdt_end_node(fdt);
}

/* Secure, non-secure physical, virtual and hypervisor timers, in that order. */
static int timer_node(void *fdt)
{
	static const uint32_t irqs[] = {
		GIC_PPI, PPI_TIMER_SEC, IRQ_LEVEL_HIGH,
		GIC_PPI, PPI_TIMER_PHYS, IRQ_LEVEL_HIGH,
		GIC_PPI, PPI_TIMER_VIRT, IRQ_LEVEL_HIGH,
		GIC_PPI, PPI_TIMER_HYP, IRQ_LEVEL_HIGH,
	};
	int err;

	err = fdt_begin_node(fdt, "timer");
	err = err ?: fdt_property_string(fdt, "compatible", "arm,armv8-timer");
	err = err ?: fdt_property(fdt, "always-on", NULL, 0);
	err = err ?: prop_u32s(fdt, "interrupts", irqs, ARRAY_SIZE(irqs));
	return err ?: fdt_end_node(fdt);
}

static int pmu_node(void *fdt)
{
	int err;

	err = fdt_begin_node(fdt, "pmu");
	err = err ?: fdt_property_string(fdt, "compatible", "arm,armv8-pmuv3");
	err = err ?: prop_irq(fdt, GIC_PPI, PPI_PMU, IRQ_LEVEL_HIGH);
	return err ?: fdt_end_node(fdt);
}

static int apb_pclk_node(void *fdt)
{
	int err;

	err = fdt_begin_node(fdt, "apb-pclk");
	err = err ?: fdt_property_string(fdt, "compatible", "fixed-clock");
	err = err ?: fdt_property_u32(fdt, "#clock-cells", 0);
	err = err ?: fdt_property_u32(fdt, "clock-frequency", APB_PCLK_HZ);
	err = err ?: fdt_property_string(fdt, "clock-output-names", "clk24mhz");
	err = err ?: fdt_property_u32(fdt, "phandle", PHANDLE_APB_PCLK);
	return err ?: fdt_end_node(fdt);
}

static bool need_apb_pclk(const struct fdt_params *p)
{
	unsigned i;

	for (i = 0; i < p->nr_devices; i++)
		if (p->devices[i].primecell_clocks)
			return true;
	return false;
}

/* A PrimeCell's clocks: uartclk and apb_pclk, both the one fixed clock. */
static int primecell_clocks(void *fdt)
{
	static const uint32_t clocks[] = { PHANDLE_APB_PCLK, PHANDLE_APB_PCLK };
	static const char names[] = "uartclk\0apb_pclk";
	int err;

	err = prop_u32s(fdt, "clocks", clocks, ARRAY_SIZE(clocks));
	return err ?: fdt_property(fdt, "clock-names", names, sizeof(names));
}

static int device_node(void *fdt, const struct fdt_device *d)
{
	int err;

	err = begin_node_at(fdt, d->name, d->base);
	err = err ?: fdt_property(fdt, "compatible", d->compatible, d->compatible_len);
	err = err ?: prop_reg(fdt, d->base, d->size);
	/* A device's interrupt line N is SPI N on arm64. */
	if (!err && d->irq >= 0)
		err = prop_irq(fdt, GIC_SPI, d->irq, d->edge ? IRQ_EDGE_RISING : IRQ_LEVEL_HIGH);
	if (!err && d->primecell_clocks)
		err = primecell_clocks(fdt);
	if (!err && d->dma_coherent)
		err = fdt_property(fdt, "dma-coherent", NULL, 0);
	return err ?: fdt_end_node(fdt);
}

/* Everything under the root, in the order a reader of the dump expects. */
/* /aliases: "serial1 = /pl011@9001000", so the kernel numbers the UARTs as we do. */
static int aliases_node(void *fdt, const struct fdt_params *p)
{
	char path[NODE_PATH_MAX];
	unsigned i;
	int err = 0;

	for (i = 0; i < p->nr_devices && !p->devices[i].alias; i++)
		;
	if (i == p->nr_devices)
		return 0;
	err = fdt_begin_node(fdt, "aliases");
	for (; !err && i < p->nr_devices; i++) {
		const struct fdt_device *d = &p->devices[i];

		if (!d->alias)
			continue;
		snprintf(path, sizeof(path), "/%s@%llx", d->name, (unsigned long long)d->base);
		err = fdt_property_string(fdt, d->alias, path);
	}
	return err ?: fdt_end_node(fdt);
}

static int root_nodes(void *fdt, const struct fdt_params *p)
{
	unsigned i;
	int err;

	err = chosen_node(fdt, p);
	err = err ?: aliases_node(fdt, p);
	err = err ?: cpus_node(fdt, p);
	err = err ?: memory_node(fdt, p);
	err = err ?: psci_node(fdt);
	err = err ?: gic_node(fdt, p);
	err = err ?: timer_node(fdt);
	if (!err && p->pmu)
		err = pmu_node(fdt);
	if (!err && need_apb_pclk(p))
		err = apb_pclk_node(fdt);
	for (i = 0; !err && i < p->nr_devices; i++)
		err = device_node(fdt, &p->devices[i]);
	return err;
}

int fdt__add_device(struct fdt_params *p, const struct fdt_device *d)
{
	if (p->nr_devices >= FDT_MAX_DEVICES)
		return -ENOSPC;
	if (d->is_stdout)
		p->stdout_device = (int)p->nr_devices;
	p->devices[p->nr_devices++] = *d;
	return 0;
}

int fdt__build(const struct fdt_params *p, void *buf, size_t size)
{
	int err;

	if (!p || !buf || !valid_params(p))
		return -EINVAL;
	/* A DTB's totalsize is 32 bits; ours are far smaller than INT_MAX. */
	if (size > INT_MAX)
		size = INT_MAX;

	err = fdt_create(buf, size);
	err = err ?: fdt_finish_reservemap(buf);
	err = err ?: fdt_begin_node(buf, "");
	err = err ?: root_props(buf);
	err = err ?: root_nodes(buf, p);
	err = err ?: fdt_end_node(buf);
	err = err ?: fdt_finish(buf);
	return fdt_errno(err);
}
