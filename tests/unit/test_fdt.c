/*
 * fdt__build: build a tree, then read it back node by node with libfdt and
 * compare every value with the params it came from. The device nodes come
 * from the devices themselves: the real device list (vmm/devices.c) set up
 * over a VM without KVM, each device's fdt_node hook through the FDT
 * interface (vmm/fdt.h), placed by the arch (arch__device_place).
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libfdt.h>

#include "arm64/fdt.h"
#include "arm64/layout.h"
#include "vmm/devices.h"
#include "vmm/term.h"
#include "vmm/util.h"
#include "vmm/virtio.h"
#include "vmm/vm.h"
#include "../../virtio/internal.h"

#define BUF_SIZE	(256 * 1024)
#define RAM_SIZE	(256 * SZ_1M)
#define INITRD_START	(RAM_BASE + 0x08000000ULL)
#define INITRD_SIZE	0x00123400ULL
#define BOOTARGS	"console=ttyAMA0 earlycon root=/dev/vda rw"

/* The order of vmm/devices.c's list, for a VM with one virtio device. */
enum { DEV_UART, DEV_RTC, DEV_VIRTIO, NR_DEVS };

static const char pl011_compat[] = "arm,pl011\0arm,primecell";
static const char pl031_compat[] = "arm,pl031\0arm,primecell";
static const char virtio_compat[] = "virtio,mmio";

/* ---- what the devices need besides KVM ---- */

void arch__set_spi(struct vm *vm, unsigned spi, int level)
{
}

unsigned arch__irqfd_gsi(unsigned spi)
{
	return spi;
}

void term__write(const void *buf, size_t len)
{
}

/* an I/O thread that cannot enter its seccomp filter stops the VM */
void vm__request_stop(struct vm *vm, int status)
{
}

static const struct virtio_dev_ops rng_ops = { .name = "virtio-rng", .nr_queues = 1 };

/* One virtio device in slot 0, without the KVM calls of virtio__create(). */
int virtio_rng__init(struct vm *vm)
{
	struct virtio_dev *dev = virtio__alloc(vm, &rng_ops, NULL);

	if (!dev)
		return -VMM_ERR_INTERNAL;
	virtio__add(dev);
	return 0;
}

int virtio_console__init(struct vm *vm) { return 0; }
int virtio_blk__init(struct vm *vm) { return 0; }
int virtio_net__init(struct vm *vm) { return 0; }

/* The device nodes, once, from the real devices of a VM with a virtio-rng. */
static struct fdt_params device_nodes;

static int devices_setup(void **state)
{
	static struct vm_config cfg = { .rng = true };
	static struct vm vm;
	static uint8_t ram[4096];

	vm.cfg = &cfg;
	vm.ram = ram;
	vm.ram_base = RAM_BASE;
	vm.ram_size = sizeof(ram);
	mmio__init(&vm.mmio);
	device_nodes.stdout_device = -1;
	if (devices__init(&vm) || devices__fdt(&vm, &device_nodes))
		return -1;
	return device_nodes.nr_devices == NR_DEVS ? 0 : -1;
}

struct fixture {
	struct fdt_params p;
	uint8_t buf[BUF_SIZE];
};

/* KVM's reset MPIDR for vcpu i: Aff0 = i[3:0], Aff1 = i[11:4], Aff2 = i[19:12]. */
static uint64_t kvm_mpidr(unsigned i)
{
	return (i & 0xf) | (((i >> 4) & 0xff) << 8) | (((uint64_t)(i >> 12) & 0xff) << 16);
}

static void fill_params(struct fdt_params *p)
{
	unsigned i;

	memset(p, 0, sizeof(*p));
	p->nr_cpus = 2;
	for (i = 0; i < p->nr_cpus; i++)
		p->mpidr[i] = kvm_mpidr(i);
	p->ram_base = RAM_BASE;
	p->ram_size = RAM_SIZE;
	p->bootargs = BOOTARGS;
	p->initrd_start = INITRD_START;
	p->initrd_end = INITRD_START + INITRD_SIZE;
	p->kaslr_seed = 0x0123456789abcdefULL;
	for (i = 0; i < sizeof(p->rng_seed); i++)
		p->rng_seed[i] = (uint8_t)(i * 7 + 3);
	p->gic_dist_base = GIC_DIST_BASE;
	p->gic_dist_size = GIC_DIST_SIZE;
	p->gic_redist_base = GIC_REDIST_BASE;
	p->gic_redist_size = GIC_REDIST_SIZE * p->nr_cpus;

	p->nr_devices = device_nodes.nr_devices;
	memcpy(p->devices, device_nodes.devices, sizeof(p->devices));
	p->stdout_device = device_nodes.stdout_device;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	fill_params(&f->p);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* Builds f->p into f->buf and checks the result is a well-formed tree. */
static const void *build(struct fixture *f)
{
	assert_int_equal(fdt__build(&f->p, f->buf, sizeof(f->buf)), 0);
	assert_int_equal(fdt_check_full(f->buf, sizeof(f->buf)), 0);
	return f->buf;
}

/* ---- reading helpers ---- */

static int path_offset(const void *fdt, const char *path)
{
	int off = fdt_path_offset(fdt, path);

	if (off < 0)
		fail_msg("no node %s: %s", path, fdt_strerror(off));
	return off;
}

static int compat_offset(const void *fdt, const char *compat)
{
	int off = fdt_node_offset_by_compatible(fdt, -1, compat);

	if (off < 0)
		fail_msg("no node compatible with %s: %s", compat, fdt_strerror(off));
	return off;
}

/* "/name@base" with the base in lowercase hex, as the spec of fdt__build says. */
static int node_at(const void *fdt, const char *name, uint64_t base)
{
	char path[128];

	snprintf(path, sizeof(path), "/%s@%" PRIx64, name, base);
	return path_offset(fdt, path);
}

/* The property's value, which must be exactly len bytes long. */
static const void *prop(const void *fdt, int node, const char *name, int len)
{
	int got;
	const void *v = fdt_getprop(fdt, node, name, &got);

	if (!v)
		fail_msg("%s: no property %s", fdt_get_name(fdt, node, NULL), name);
	assert_int_equal(got, len);
	return v;
}

static void assert_no_prop(const void *fdt, int node, const char *name)
{
	int len;

	assert_null(fdt_getprop(fdt, node, name, &len));
	assert_int_equal(len, -FDT_ERR_NOTFOUND);
}

static uint32_t cell32(const void *v, unsigned i)
{
	fdt32_t be;

	memcpy(&be, (const uint8_t *)v + i * sizeof(be), sizeof(be));
	return fdt32_to_cpu(be);
}

static uint64_t cell64(const void *v, unsigned i)
{
	fdt64_t be;

	memcpy(&be, (const uint8_t *)v + i * sizeof(be), sizeof(be));
	return fdt64_to_cpu(be);
}

static uint32_t prop_u32(const void *fdt, int node, const char *name)
{
	return cell32(prop(fdt, node, name, 4), 0);
}

static uint64_t prop_u64(const void *fdt, int node, const char *name)
{
	return cell64(prop(fdt, node, name, 8), 0);
}

static void assert_str_prop(const void *fdt, int node, const char *name, const char *s)
{
	assert_string_equal(prop(fdt, node, name, strlen(s) + 1), s);
}

static void assert_bytes_prop(const void *fdt, int node, const char *name,
			      const void *bytes, size_t len)
{
	assert_memory_equal(prop(fdt, node, name, len), bytes, len);
}

static void assert_reg(const void *fdt, int node, uint64_t base, uint64_t size)
{
	const void *reg = prop(fdt, node, "reg", 16);

	assert_int_equal(cell64(reg, 0), base);
	assert_int_equal(cell64(reg, 1), size);
}

static void assert_irq_trigger(const void *fdt, int node, uint32_t type, uint32_t nr,
			       uint32_t trigger)
{
	const void *irq = prop(fdt, node, "interrupts", 12);

	assert_int_equal(cell32(irq, 0), type);
	assert_int_equal(cell32(irq, 1), nr);
	assert_int_equal(cell32(irq, 2), trigger);
}

static void assert_irq(const void *fdt, int node, uint32_t type, uint32_t nr)
{
	assert_irq_trigger(fdt, node, type, nr, 4);	/* IRQ_TYPE_LEVEL_HIGH */
}

static void assert_cpus(const void *fdt, const struct fdt_params *p, const uint64_t *reg)
{
	int cpus = path_offset(fdt, "/cpus");
	unsigned n = 0;
	int node;

	assert_int_equal(prop_u32(fdt, cpus, "#address-cells"), 2);
	assert_int_equal(prop_u32(fdt, cpus, "#size-cells"), 0);
	fdt_for_each_subnode(node, fdt, cpus) {
		char name[32];

		assert_in_range(n, 0, p->nr_cpus - 1);
		snprintf(name, sizeof(name), "cpu@%" PRIx64, reg[n]);
		assert_string_equal(fdt_get_name(fdt, node, NULL), name);
		assert_str_prop(fdt, node, "device_type", "cpu");
		assert_str_prop(fdt, node, "compatible", "arm,arm-v8");
		assert_str_prop(fdt, node, "enable-method", "psci");
		assert_int_equal(prop_u64(fdt, node, "reg"), reg[n]);
		n++;
	}
	assert_int_equal(n, p->nr_cpus);
}

/* ---- the tests ---- */

static void test_root(void **state)
{
	struct fixture *f = *state;
	const void *fdt = build(f);
	int root = path_offset(fdt, "/");

	assert_str_prop(fdt, root, "compatible", "linux,dummy-virt");
	assert_str_prop(fdt, root, "model", "vmm");
	assert_int_equal(prop_u32(fdt, root, "#address-cells"), 2);
	assert_int_equal(prop_u32(fdt, root, "#size-cells"), 2);
	assert_int_equal(fdt_num_mem_rsv(fdt), 0);
	assert_true(fdt_totalsize(fdt) <= sizeof(f->buf));
}

static void test_cpus(void **state)
{
	struct fixture *f = *state;
	const void *fdt = build(f);

	assert_cpus(fdt, &f->p, f->p.mpidr);
}

/* Every cpu at the largest count, with MPIDRs that use Aff1 and Aff2. */
static void test_cpus_max(void **state)
{
	struct fixture *f = *state;
	unsigned i;

	f->p.nr_cpus = ARRAY_SIZE(f->p.mpidr);
	for (i = 0; i < f->p.nr_cpus; i++)
		f->p.mpidr[i] = kvm_mpidr(i * 17);
	assert_cpus(build(f), &f->p, f->p.mpidr);
}

/* reg keeps Aff3 (bits 39:32) and drops MPIDR_EL1's other bits (U, MT, RES1). */
static void test_cpus_affinity_bits(void **state)
{
	static const uint64_t want[] = { 0x0, 0x1, 0x100000203ULL, 0xff00ffffffULL };
	struct fixture *f = *state;

	f->p.nr_cpus = 4;
	f->p.mpidr[0] = 0;
	f->p.mpidr[1] = 0x80000001ULL;			/* RES1 bit 31 */
	f->p.mpidr[2] = 0x100000203ULL;			/* Aff3 = 1, Aff1 = 2, Aff0 = 3 */
	f->p.mpidr[3] = 0xffffffffffffffffULL;
	assert_cpus(build(f), &f->p, want);
}

static void test_memory(void **state)
{
	struct fixture *f = *state;
	const void *fdt = build(f);
	int mem = node_at(fdt, "memory", f->p.ram_base);

	assert_string_equal(fdt_get_name(fdt, mem, NULL), "memory@80000000");
	assert_str_prop(fdt, mem, "device_type", "memory");
	assert_reg(fdt, mem, RAM_BASE, RAM_SIZE);
}

static void test_chosen(void **state)
{
	struct fixture *f = *state;
	const void *fdt = build(f);
	int chosen = path_offset(fdt, "/chosen");
	const char *stdout_path;

	assert_str_prop(fdt, chosen, "bootargs", BOOTARGS);
	assert_int_equal(prop_u64(fdt, chosen, "linux,initrd-start"), INITRD_START);
	assert_int_equal(prop_u64(fdt, chosen, "linux,initrd-end"), INITRD_START + INITRD_SIZE);
	assert_int_equal(prop_u64(fdt, chosen, "kaslr-seed"), f->p.kaslr_seed);
	assert_bytes_prop(fdt, chosen, "rng-seed", f->p.rng_seed, 32);

	stdout_path = fdt_getprop(fdt, chosen, "stdout-path", NULL);
	assert_non_null(stdout_path);
	assert_string_equal(stdout_path, "/pl011@9000000");
	assert_int_equal(path_offset(fdt, stdout_path), compat_offset(fdt, "arm,pl011"));
}

/* stdout-path follows the index, not the first device or the first PrimeCell. */
static void test_chosen_stdout_other_device(void **state)
{
	struct fixture *f = *state;
	const void *fdt;
	const char *path;

	f->p.stdout_device = DEV_RTC;
	fdt = build(f);
	path = fdt_getprop(fdt, path_offset(fdt, "/chosen"), "stdout-path", NULL);
	assert_non_null(path);
	assert_int_equal(path_offset(fdt, path), compat_offset(fdt, "arm,pl031"));
}

static void test_chosen_minimal(void **state)
{
	struct fixture *f = *state;
	const void *fdt;
	int chosen;

	f->p.bootargs = NULL;
	f->p.initrd_start = 0;
	f->p.initrd_end = 0;
	f->p.stdout_device = -1;
	fdt = build(f);
	chosen = path_offset(fdt, "/chosen");
	assert_no_prop(fdt, chosen, "bootargs");
	assert_no_prop(fdt, chosen, "linux,initrd-start");
	assert_no_prop(fdt, chosen, "linux,initrd-end");
	assert_no_prop(fdt, chosen, "stdout-path");
	/* The seeds are always there. */
	assert_int_equal(prop_u64(fdt, chosen, "kaslr-seed"), f->p.kaslr_seed);
	assert_bytes_prop(fdt, chosen, "rng-seed", f->p.rng_seed, 32);
}

/* An empty initrd is no initrd; empty bootargs are still bootargs. */
static void test_chosen_empty(void **state)
{
	struct fixture *f = *state;
	const void *fdt;
	int chosen;

	f->p.bootargs = "";
	f->p.initrd_end = f->p.initrd_start;
	fdt = build(f);
	chosen = path_offset(fdt, "/chosen");
	assert_str_prop(fdt, chosen, "bootargs", "");
	assert_no_prop(fdt, chosen, "linux,initrd-start");
	assert_no_prop(fdt, chosen, "linux,initrd-end");
}

static void test_psci(void **state)
{
	static const char compat[] = "arm,psci-1.0\0arm,psci-0.2";
	struct fixture *f = *state;
	const void *fdt = build(f);
	int psci = path_offset(fdt, "/psci");

	assert_bytes_prop(fdt, psci, "compatible", compat, sizeof(compat));
	assert_str_prop(fdt, psci, "method", "hvc");
}

static void test_gic(void **state)
{
	struct fixture *f = *state;
	const void *fdt = build(f);
	int gic = compat_offset(fdt, "arm,gic-v3");
	const void *reg = prop(fdt, gic, "reg", 32);
	uint32_t phandle = fdt_get_phandle(fdt, gic);

	assert_int_equal(gic, node_at(fdt, "intc", GIC_DIST_BASE));
	assert_int_equal(cell64(reg, 0), GIC_DIST_BASE);
	assert_int_equal(cell64(reg, 1), GIC_DIST_SIZE);
	assert_int_equal(cell64(reg, 2), GIC_REDIST_BASE);
	assert_int_equal(cell64(reg, 3), GIC_REDIST_SIZE * f->p.nr_cpus);
	assert_int_equal(prop_u32(fdt, gic, "#interrupt-cells"), 3);
	assert_int_equal(prop_u32(fdt, gic, "#address-cells"), 2);
	assert_int_equal(prop_u32(fdt, gic, "#size-cells"), 2);
	prop(fdt, gic, "interrupt-controller", 0);
	prop(fdt, gic, "ranges", 0);
	assert_irq(fdt, gic, 1, 9);

	assert_true(phandle != 0 && phandle != (uint32_t)-1);
	assert_int_equal(prop_u32(fdt, path_offset(fdt, "/"), "interrupt-parent"), phandle);
	assert_int_equal(fdt_node_offset_by_phandle(fdt, phandle), gic);
}

static void test_timer(void **state)
{
	/* secure, non-secure, virtual, hypervisor: PPIs, level-high */
	static const uint32_t want[] = { 1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4 };
	struct fixture *f = *state;
	const void *fdt = build(f);
	int timer = compat_offset(fdt, "arm,armv8-timer");
	const void *irqs = prop(fdt, timer, "interrupts", sizeof(want));
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(want); i++)
		assert_int_equal(cell32(irqs, i), want[i]);
	prop(fdt, timer, "always-on", 0);
}

static void test_pmu_absent(void **state)
{
	struct fixture *f = *state;
	const void *fdt = build(f);

	assert_int_equal(fdt_node_offset_by_compatible(fdt, -1, "arm,armv8-pmuv3"),
			 -FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_path_offset(fdt, "/pmu"), -FDT_ERR_NOTFOUND);
}

static void test_pmu(void **state)
{
	struct fixture *f = *state;
	const void *fdt;
	int pmu;

	f->p.pmu = true;
	fdt = build(f);
	pmu = compat_offset(fdt, "arm,armv8-pmuv3");
	assert_irq(fdt, pmu, 1, 7);
	assert_int_equal(fdt_node_offset_by_compatible(fdt, pmu, "arm,armv8-pmuv3"),
			 -FDT_ERR_NOTFOUND);
}

/* /aliases only when a device asks (vmm exec's UARTs), naming its node. */
static void test_aliases(void **state)
{
	struct fixture *f = *state;
	const void *fdt = build(f);
	const struct fdt_device extra = {
		.name = "pl011", .compatible = pl011_compat, .compatible_len = sizeof(pl011_compat),
		.base = UART_BASE + 0x2000, .size = UART_SIZE, .irq = UART_EXTRA_SPI + 1,
		.alias = "serial2",
	};
	int node;

	assert_true(fdt_path_offset(fdt, "/aliases") < 0);
	assert_int_equal(fdt__add_device(&f->p, &extra), 0);
	fdt = build(f);
	node = path_offset(fdt, "/aliases");
	assert_str_prop(fdt, node, "serial2", "/pl011@9002000");
	assert_int_equal(fdt_path_offset(fdt, "serial2"), node_at(fdt, "pl011", UART_BASE + 0x2000));
}

static void test_uart(void **state)
{
	struct fixture *f = *state;
	const void *fdt = build(f);
	int uart = node_at(fdt, "pl011", UART_BASE);
	int clk = compat_offset(fdt, "fixed-clock");
	uint32_t clk_phandle = fdt_get_phandle(fdt, clk);
	const void *clocks = prop(fdt, uart, "clocks", 8);
	static const char names[] = "uartclk\0apb_pclk";

	assert_int_equal(uart, compat_offset(fdt, "arm,pl011"));
	assert_bytes_prop(fdt, uart, "compatible", pl011_compat, sizeof(pl011_compat));
	assert_int_equal(fdt_node_check_compatible(fdt, uart, "arm,primecell"), 0);
	assert_reg(fdt, uart, UART_BASE, UART_SIZE);
	assert_irq(fdt, uart, 0, UART_SPI);
	assert_int_equal(cell32(clocks, 0), clk_phandle);
	assert_int_equal(cell32(clocks, 1), clk_phandle);
	assert_bytes_prop(fdt, uart, "clock-names", names, sizeof(names));
	assert_no_prop(fdt, uart, "dma-coherent");

	assert_true(clk_phandle != 0 && clk_phandle != (uint32_t)-1);
	assert_true(clk_phandle != fdt_get_phandle(fdt, compat_offset(fdt, "arm,gic-v3")));
	assert_int_equal(prop_u32(fdt, clk, "#clock-cells"), 0);
	assert_int_equal(prop_u32(fdt, clk, "clock-frequency"), 24000000);
	assert_str_prop(fdt, clk, "clock-output-names", "clk24mhz");
}

static void test_rtc_and_virtio(void **state)
{
	struct fixture *f = *state;
	const void *fdt = build(f);
	int rtc = node_at(fdt, "pl031", RTC_BASE);
	int virtio = node_at(fdt, "virtio_mmio", VIRTIO_MMIO_BASE);

	assert_string_equal(fdt_get_name(fdt, virtio, NULL), "virtio_mmio@a000000");
	assert_bytes_prop(fdt, rtc, "compatible", pl031_compat, sizeof(pl031_compat));
	assert_reg(fdt, rtc, RTC_BASE, RTC_SIZE);
	assert_irq(fdt, rtc, 0, RTC_SPI);
	prop(fdt, rtc, "clocks", 8);

	assert_bytes_prop(fdt, virtio, "compatible", virtio_compat, sizeof(virtio_compat));
	assert_reg(fdt, virtio, VIRTIO_MMIO_BASE, VIRTIO_MMIO_SIZE);
	/* irqfd pulses: IRQ_TYPE_EDGE_RISING */
	assert_irq_trigger(fdt, virtio, 0, VIRTIO_SPI_BASE, 1);
	prop(fdt, virtio, "dma-coherent", 0);
	assert_no_prop(fdt, virtio, "clocks");
	assert_no_prop(fdt, virtio, "clock-names");
}

static void test_device_without_irq(void **state)
{
	struct fixture *f = *state;
	const void *fdt;

	f->p.devices[DEV_VIRTIO].irq = -1;
	fdt = build(f);
	assert_no_prop(fdt, node_at(fdt, "virtio_mmio", VIRTIO_MMIO_BASE), "interrupts");
}

static void test_no_clock_without_primecell(void **state)
{
	struct fixture *f = *state;
	const void *fdt;

	f->p.devices[DEV_UART].primecell_clocks = false;
	f->p.devices[DEV_RTC].primecell_clocks = false;
	fdt = build(f);
	assert_int_equal(fdt_node_offset_by_compatible(fdt, -1, "fixed-clock"),
			 -FDT_ERR_NOTFOUND);
	assert_no_prop(fdt, node_at(fdt, "pl011", UART_BASE), "clocks");
}

/* FDT_MAX_DEVICES devices, all there and in order. */
static void test_max_devices(void **state)
{
	struct fixture *f = *state;
	const void *fdt;
	unsigned i = 0;
	int node;

	f->p.nr_devices = 0;
	for (i = 0; i < FDT_MAX_DEVICES; i++) {
		struct fdt_device d = {
			.name = "virtio_mmio", .compatible = virtio_compat,
			.compatible_len = sizeof(virtio_compat),
			.base = VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_SIZE,
			.size = VIRTIO_MMIO_SIZE, .irq = (int)(VIRTIO_SPI_BASE + i),
			.is_stdout = i == FDT_MAX_DEVICES - 1,
		};

		assert_int_equal(fdt__add_device(&f->p, &d), 0);
	}
	assert_int_equal(fdt__add_device(&f->p, &f->p.devices[0]), -ENOSPC);
	assert_int_equal(f->p.stdout_device, FDT_MAX_DEVICES - 1);
	fdt = build(f);

	i = 0;
	fdt_for_each_subnode(node, fdt, 0) {
		if (fdt_node_check_compatible(fdt, node, "virtio,mmio"))
			continue;
		assert_in_range(i, 0, FDT_MAX_DEVICES - 1);
		assert_reg(fdt, node, f->p.devices[i].base, VIRTIO_MMIO_SIZE);
		assert_irq(fdt, node, 0, VIRTIO_SPI_BASE + i);
		i++;
	}
	assert_int_equal(i, FDT_MAX_DEVICES);
	assert_int_equal(fdt_node_offset_by_compatible(fdt, -1, "fixed-clock"),
			 -FDT_ERR_NOTFOUND);
}

static void test_enospc(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(fdt__build(&f->p, f->buf, 512), -ENOSPC);
	assert_int_equal(fdt__build(&f->p, f->buf, 0), -ENOSPC);
}

/* Every size below the tree's own fails, without writing past it; that size fits. */
static void test_size_exact(void **state)
{
	struct fixture *f = *state;
	uint32_t need = fdt_totalsize(build(f));
	uint32_t size;
	unsigned i;

	assert_true(need > 512 && need + 64 <= sizeof(f->buf));
	for (size = 0; size < need; size++) {
		memset(f->buf, 0xa5, need + 64);
		assert_int_equal(fdt__build(&f->p, f->buf, size), -ENOSPC);
		for (i = size; i < need + 64; i++)
			assert_int_equal(f->buf[i], 0xa5);
	}
	memset(f->buf, 0xa5, need + 64);
	assert_int_equal(fdt__build(&f->p, f->buf, need), 0);
	assert_int_equal(fdt_totalsize(f->buf), need);
	assert_int_equal(fdt_check_full(f->buf, need), 0);
	for (i = need; i < need + 64; i++)
		assert_int_equal(f->buf[i], 0xa5);
}

/* The arch's places: docs/memory-map.md, and no place past the last slot. */
static void test_device_places(void **state)
{
	struct device_place pl;

	assert_int_equal(arch__device_place(DEVICE_UART, 0, &pl), 0);
	assert_true(pl.base == UART_BASE && pl.size == UART_SIZE && pl.irq == UART_SPI);
	assert_int_equal(arch__device_place(DEVICE_RTC, 0, &pl), 0);
	assert_true(pl.base == RTC_BASE && pl.size == RTC_SIZE && pl.irq == RTC_SPI);
	assert_int_equal(arch__device_place(DEVICE_TESTDEV, 0, &pl), 0);
	assert_true(pl.base == TESTDEV_BASE && pl.irq == -1);
	/* vmm exec's stdout and stderr UARTs, and its exit doorbell */
	assert_int_equal(arch__device_place(DEVICE_UART, 1, &pl), 0);
	assert_true(pl.base == UART_BASE + 0x1000 && pl.irq == UART_EXTRA_SPI);
	assert_int_equal(arch__device_place(DEVICE_UART, 2, &pl), 0);
	assert_true(pl.base == UART_BASE + 0x2000 && pl.irq == UART_EXTRA_SPI + 1);
	assert_true(UART_EXTRA_SPI > RTC_SPI);
	assert_int_equal(arch__device_place(DEVICE_UART, 3, &pl), -ENOSPC);
	assert_int_equal(arch__device_place(DEVICE_EXEC_DOORBELL, 0, &pl), 0);
	assert_true(pl.base == EXEC_DOORBELL_BASE && pl.size == 0x1000 && pl.irq == -1);
	assert_int_equal(arch__device_place(DEVICE_VIRTIO_MMIO, VIRTIO_MMIO_SLOTS - 1, &pl), 0);
	assert_int_equal(pl.base, VIRTIO_MMIO_BASE + (VIRTIO_MMIO_SLOTS - 1) * VIRTIO_MMIO_SIZE);
	assert_int_equal(pl.irq, VIRTIO_SPI_BASE + VIRTIO_MMIO_SLOTS - 1);
	assert_int_equal(arch__device_place(DEVICE_VIRTIO_MMIO, VIRTIO_MMIO_SLOTS, &pl), -ENOSPC);
	assert_int_equal(arch__device_place((enum device_kind)99, 0, &pl), -EINVAL);
}

static void expect_einval(struct fixture *f)
{
	assert_int_equal(fdt__build(&f->p, f->buf, sizeof(f->buf)), -EINVAL);
	fill_params(&f->p);
}

static void test_einval(void **state)
{
	struct fixture *f = *state;
	struct fdt_params *p = &f->p;

	/* The params every case starts from are good. */
	build(f);
	assert_int_equal(fdt__build(NULL, f->buf, sizeof(f->buf)), -EINVAL);
	assert_int_equal(fdt__build(p, NULL, sizeof(f->buf)), -EINVAL);

	p->nr_cpus = 0;
	expect_einval(f);
	p->nr_cpus = ARRAY_SIZE(p->mpidr) + 1;
	expect_einval(f);
	p->nr_devices = FDT_MAX_DEVICES + 1;
	expect_einval(f);
	p->stdout_device = NR_DEVS;
	expect_einval(f);
	p->stdout_device = -2;
	expect_einval(f);
	p->ram_size = 0;
	expect_einval(f);
	p->initrd_end = p->initrd_start - 1;
	expect_einval(f);
	p->devices[DEV_RTC].compatible_len = strlen(pl031_compat);	/* no final NUL */
	expect_einval(f);
	p->devices[DEV_RTC].compatible_len = 0;
	expect_einval(f);
	p->devices[DEV_RTC].compatible = NULL;
	expect_einval(f);
	p->devices[DEV_RTC].name = NULL;
	expect_einval(f);
	p->devices[DEV_RTC].name = "";
	expect_einval(f);
	p->devices[DEV_RTC].name = "pl031@9010000";
	expect_einval(f);
	p->devices[DEV_RTC].name = "a/b";
	expect_einval(f);
	p->devices[DEV_RTC].irq = -2;
	expect_einval(f);
	p->devices[DEV_RTC].irq = GIC_NR_IRQS - 32;
	expect_einval(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_root),
		T(test_cpus),
		T(test_cpus_max),
		T(test_cpus_affinity_bits),
		T(test_memory),
		T(test_chosen),
		T(test_chosen_stdout_other_device),
		T(test_chosen_minimal),
		T(test_chosen_empty),
		T(test_psci),
		T(test_gic),
		T(test_timer),
		T(test_pmu_absent),
		T(test_pmu),
		T(test_uart),
		T(test_aliases),
		T(test_rtc_and_virtio),
		T(test_device_without_irq),
		T(test_no_clock_without_primecell),
		T(test_max_devices),
		T(test_enospc),
		T(test_size_exact),
		T(test_einval),
		T(test_device_places),
#undef T
	};

	return cmocka_run_group_tests(tests, devices_setup, NULL);
}
