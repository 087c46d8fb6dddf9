/*
 * Save and restore of the in-kernel vGICv3 through the KVM device attribute
 * API (Documentation/virt/kvm/devices/arm-vgic-v3.rst). What is saved and
 * the restore order are described in docs/gic-state.md.
 *
 * The payload lists every register with its offset (or INTID, or system
 * register encoding), in restore order, so a restore can check it against
 * the layout it expects and name the field that is wrong.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arm64/arm64.h"
#include "arm64/layout.h"
#include "vmm/persist.h"
#include "vmm/util.h"
#include "vmm/vm.h"

#define GIC_STATE_LAYOUT	1

#define NR_PRIVATE		32
#define NR_SPIS			(GIC_NR_IRQS - NR_PRIVATE)
#define SPI_BIT_WORDS		(NR_SPIS / 32)	/* words of 1-bit-per-irq registers */
#define SGI_BASE		0x10000		/* the redistributor's SGI frame */
#define MPIDR_AFF_MASK		0xff00ffffffULL

/* ICC_CTLR_EL1.PRIbits, bits 10:8, holds the number of priority bits less one. */
#define ICC_CTLR_PRI_BITS(ctlr)	((unsigned)(((ctlr) >> 8) & 7) + 1)

/*
 * A run of 32-bit words, the unit of KVM's distributor, redistributor and
 * line-level accesses. Word i is at first + i * stride: an offset in the
 * register frame (stride 4), or an INTID for line levels (stride 32).
 */
struct gic_range {
	const char *name;
	uint32_t first;
	uint32_t words;
	uint32_t stride;
	uint32_t clear;		/* the clear register written with ~0 first, 0: none */
	bool keep_zero;		/* a 0 word is the reset value: not written */
};

/*
 * Runs of register words; set registers, restored after a clear of all bits;
 * and the LPI table bases, which KVM sanitises on every write (a 0, the reset
 * value, would read back as 0x180), so a 0 word is left as it is.
 */
#define REGS(name, first, words)	{ name, first, words, 4, 0, false }
#define SET_REGS(name, first, words, clear) { name, first, words, 4, clear, false }
#define BASER_REGS(name, first)		{ name, first, 2, 4, 0, true }

enum gic_block_kind { GIC_DIST, GIC_LEVEL, GIC_REDIST };

struct gic_block {
	const char *name;
	enum gic_block_kind kind;
	const struct gic_range *ranges;
	unsigned nr_ranges;
};

/* Written first: IIDR sets KVM's behaviour, routing before pending state. */
static const struct gic_range dist_config[] = {
	REGS("GICD_IIDR",	0x0008, 1),
	REGS("GICD_CTLR",	0x0000, 1),
	REGS("GICD_IGROUPR",	0x0084, SPI_BIT_WORDS),
	REGS("GICD_IGRPMODR",	0x0d04, SPI_BIT_WORDS),
	/* 64-bit registers are accessed as two 32-bit halves. */
	REGS("GICD_IROUTER",	0x6000 + 8 * NR_PRIVATE, 2 * NR_SPIS),
	REGS("GICD_ICFGR",	0x0c08, NR_SPIS / 16),
	REGS("GICD_IPRIORITYR",	0x0420, NR_SPIS / 4),
};

/* SPI input levels: after ICFGR (only level-triggered lines have one). */
static const struct gic_range spi_levels[] = {
	{ "SPI line level", NR_PRIVATE, SPI_BIT_WORDS, 32, 0, false },
};

static const struct gic_range dist_state[] = {
	SET_REGS("GICD_ISPENDR",	0x0204, SPI_BIT_WORDS, 0x0284),
	SET_REGS("GICD_ISACTIVER",	0x0304, SPI_BIT_WORDS, 0x0384),
	SET_REGS("GICD_ISENABLER",	0x0104, SPI_BIT_WORDS, 0x0184),
};

/* Per vcpu: the LPI bases only take writes while GICR_CTLR.EnableLPIs is 0. */
static const struct gic_range redist_regs[] = {
	BASER_REGS("GICR_PROPBASER",	0x0070),
	BASER_REGS("GICR_PENDBASER",	0x0078),
	REGS("GICR_CTLR",		0x0000, 1),
	REGS("GICR_IGROUPR0",		SGI_BASE + 0x0080, 1),
	REGS("GICR_IGRPMODR0",		SGI_BASE + 0x0d00, 1),
	REGS("GICR_ICFGR",		SGI_BASE + 0x0c00, 2),
	REGS("GICR_IPRIORITYR",		SGI_BASE + 0x0400, 8),
	SET_REGS("GICR_ISPENDR0",	SGI_BASE + 0x0200, 1, SGI_BASE + 0x0280),
	SET_REGS("GICR_ISACTIVER0",	SGI_BASE + 0x0300, 1, SGI_BASE + 0x0380),
	SET_REGS("GICR_ISENABLER0",	SGI_BASE + 0x0100, 1, SGI_BASE + 0x0180),
};

static const struct gic_block dist_config_block = {
	"distributor", GIC_DIST, dist_config, ARRAY_SIZE(dist_config),
};
static const struct gic_block level_block = {
	"line levels", GIC_LEVEL, spi_levels, ARRAY_SIZE(spi_levels),
};
static const struct gic_block dist_state_block = {
	"distributor", GIC_DIST, dist_state, ARRAY_SIZE(dist_state),
};
static const struct gic_block redist_block = {
	"redistributor", GIC_REDIST, redist_regs, ARRAY_SIZE(redist_regs),
};

/* The attr encoding of a system register: Op0, Op1, CRn, CRm, Op2. */
#define ICC_REG(op0, op1, crn, crm, op2) \
	(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))

struct icc_reg {
	const char *name;
	uint32_t instr;
};

/* Restore order: ICC_CTLR_EL1 sets the priority bits the APRs depend on. */
static const struct icc_reg icc_fixed[] = {
	{ "ICC_SRE_EL1",	ICC_REG(3, 0, 12, 12, 5) },
	{ "ICC_CTLR_EL1",	ICC_REG(3, 0, 12, 12, 4) },
	{ "ICC_IGRPEN0_EL1",	ICC_REG(3, 0, 12, 12, 6) },
	{ "ICC_IGRPEN1_EL1",	ICC_REG(3, 0, 12, 12, 7) },
	{ "ICC_PMR_EL1",	ICC_REG(3, 0, 4, 6, 0) },
	{ "ICC_BPR0_EL1",	ICC_REG(3, 0, 12, 8, 3) },
	{ "ICC_BPR1_EL1",	ICC_REG(3, 0, 12, 12, 3) },
};
#define ICC_CTLR_INDEX	1
#define ICC_MAX_APRS	4

static const struct icc_reg icc_aprs[2][ICC_MAX_APRS] = {
	{
		{ "ICC_AP0R0_EL1", ICC_REG(3, 0, 12, 8, 4) },
		{ "ICC_AP0R1_EL1", ICC_REG(3, 0, 12, 8, 5) },
		{ "ICC_AP0R2_EL1", ICC_REG(3, 0, 12, 8, 6) },
		{ "ICC_AP0R3_EL1", ICC_REG(3, 0, 12, 8, 7) },
	}, {
		{ "ICC_AP1R0_EL1", ICC_REG(3, 0, 12, 9, 0) },
		{ "ICC_AP1R1_EL1", ICC_REG(3, 0, 12, 9, 1) },
		{ "ICC_AP1R2_EL1", ICC_REG(3, 0, 12, 9, 2) },
		{ "ICC_AP1R3_EL1", ICC_REG(3, 0, 12, 9, 3) },
	},
};

/* How many APRs of each group KVM lets us access for this ICC_CTLR_EL1. */
static unsigned icc_nr_aprs(uint64_t ctlr)
{
	switch (ICC_CTLR_PRI_BITS(ctlr)) {
	case 7:
		return 4;
	case 6:
		return 2;
	default:
		return 1;
	}
}

static int gic_access(struct vm *vm, bool write, uint32_t group, uint64_t attr, void *val)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)val };

	if (ioctl(vm->arch.gic_fd, write ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a) < 0)
		return -errno;
	return 0;
}

/* The mpidr field of an attr: Aff3.Aff2.Aff1.Aff0 in bits 63:32. */
static uint64_t mpidr_attr(uint64_t mpidr)
{
	uint64_t aff = (mpidr & 0xffffff) | ((mpidr >> 8) & 0xff000000);

	return aff << KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT;
}

static uint32_t block_words(const struct gic_block *blk)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < blk->nr_ranges; i++)
		n += blk->ranges[i].words;
	return n;
}

static uint32_t block_group(const struct gic_block *blk)
{
	switch (blk->kind) {
	case GIC_DIST:
		return KVM_DEV_ARM_VGIC_GRP_DIST_REGS;
	case GIC_LEVEL:
		return KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO;
	default:
		return KVM_DEV_ARM_VGIC_GRP_REDIST_REGS;
	}
}

static uint64_t block_attr(const struct gic_block *blk, uint64_t mattr, uint32_t key)
{
	switch (blk->kind) {
	case GIC_DIST:
		return key;
	case GIC_LEVEL:
		return mattr | ((uint64_t)VGIC_LEVEL_INFO_LINE_LEVEL <<
				KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT) | key;
	default:
		return mattr | key;
	}
}

/* "gic" or "gic vcpu N", for messages; vcpu < 0 for the distributor. */
static const char *who(char *buf, size_t len, int vcpu)
{
	if (vcpu < 0)
		return "gic";
	snprintf(buf, len, "gic vcpu %d", vcpu);
	return buf;
}

/* ---- save ---- */

/* Flushes LPI pending bits into guest memory (a no-op without LPIs). */
static int flush_pending_tables(struct vm *vm)
{
	struct kvm_device_attr a = {
		.group = KVM_DEV_ARM_VGIC_GRP_CTRL,
		.attr = KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES,
	};
	int err;

	if (ioctl(vm->arch.gic_fd, KVM_HAS_DEVICE_ATTR, &a) < 0)
		return 0;
	err = gic_access(vm, true, a.group, a.attr, NULL);
	if (err)
		pr_err("gic: cannot save the LPI pending tables: %s", strerror(-err));
	return err;
}

static int save_block(struct vm *vm, struct pbuf *b, const struct gic_block *blk,
		      uint64_t mattr, int vcpu)
{
	pbuf__put_u32(b, block_words(blk));
	for (unsigned i = 0; i < blk->nr_ranges; i++) {
		const struct gic_range *rg = &blk->ranges[i];

		for (uint32_t w = 0; w < rg->words; w++) {
			uint32_t key = rg->first + w * rg->stride, val;
			int err = gic_access(vm, false, block_group(blk),
					     block_attr(blk, mattr, key), &val);

			if (err) {
				char buf[24];

				pr_err("%s: cannot read %s (0x%x): %s", who(buf, sizeof(buf), vcpu),
				       rg->name, key, strerror(-err));
				return err;
			}
			pbuf__put_u32(b, key);
			pbuf__put_u32(b, val);
		}
	}
	return 0;
}

static int read_icc(struct vm *vm, int vcpu, uint64_t mattr, const struct icc_reg *reg,
		    uint64_t *val)
{
	int err = gic_access(vm, false, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, mattr | reg->instr, val);

	if (err)
		pr_err("gic vcpu %d: cannot read %s: %s", vcpu, reg->name, strerror(-err));
	return err;
}

static int save_icc(struct vm *vm, struct pbuf *b, uint64_t mattr, int vcpu)
{
	uint64_t val[ARRAY_SIZE(icc_fixed)], apr;
	unsigned naprs;
	int err;

	for (unsigned i = 0; i < ARRAY_SIZE(icc_fixed); i++) {
		err = read_icc(vm, vcpu, mattr, &icc_fixed[i], &val[i]);
		if (err)
			return err;
	}
	naprs = icc_nr_aprs(val[ICC_CTLR_INDEX]);
	pbuf__put_u32(b, ARRAY_SIZE(icc_fixed) + 2 * naprs);
	for (unsigned i = 0; i < ARRAY_SIZE(icc_fixed); i++) {
		pbuf__put_u32(b, icc_fixed[i].instr);
		pbuf__put_u64(b, val[i]);
	}
	for (unsigned g = 0; g < 2; g++) {
		for (unsigned n = 0; n < naprs; n++) {
			err = read_icc(vm, vcpu, mattr, &icc_aprs[g][n], &apr);
			if (err)
				return err;
			pbuf__put_u32(b, icc_aprs[g][n].instr);
			pbuf__put_u64(b, apr);
		}
	}
	return 0;
}

static int vcpu_mpidr(struct vm *vm, unsigned i, uint64_t *mpidr)
{
	int err = arm64__read_mpidr(&vm->vcpus[i], mpidr);

	if (!err)
		*mpidr &= MPIDR_AFF_MASK;
	return err;
}

static int save_cpu(struct vm *vm, struct pbuf *b, unsigned i)
{
	uint64_t mpidr;
	int err = vcpu_mpidr(vm, i, &mpidr);

	if (err)
		return err;
	pbuf__put_u64(b, mpidr);
	err = save_block(vm, b, &redist_block, mpidr_attr(mpidr), i);
	return err ? err : save_icc(vm, b, mpidr_attr(mpidr), i);
}

/* Distributor and SPI state; line levels need a vcpu's mpidr in the attr. */
static int save_dist(struct vm *vm, struct pbuf *b)
{
	uint64_t mpidr;
	int err = vcpu_mpidr(vm, 0, &mpidr);

	err = err ?: save_block(vm, b, &dist_config_block, 0, -1);
	err = err ?: save_block(vm, b, &level_block, mpidr_attr(mpidr), -1);
	return err ?: save_block(vm, b, &dist_state_block, 0, -1);
}

int gic__save(struct vm *vm, struct pbuf *b)
{
	int err;

	if (vm->nr_vcpus == 0)
		return -VMM_ERR_INTERNAL;
	if (flush_pending_tables(vm))
		return -VMM_ERR_INTERNAL;
	pbuf__put_u32(b, GIC_STATE_LAYOUT);
	pbuf__put_u32(b, GIC_NR_IRQS);
	pbuf__put_u32(b, vm->nr_vcpus);
	err = save_dist(vm, b);
	for (unsigned i = 0; i < vm->nr_vcpus && !err; i++)
		err = save_cpu(vm, b, i);
	if (err)
		return -VMM_ERR_INTERNAL;
	if (b->failed) {
		pr_err("gic: out of memory for the saved state");
		return -VMM_ERR_INTERNAL;
	}
	return 0;
}

/* ---- restore ---- */

/*
 * A restore walks the payload twice with the same code: first only to check
 * it (apply false: nothing is written to KVM), then to write it. A bad
 * payload is thus refused before the GIC is touched.
 */
struct gic_io {
	struct vm *vm;
	struct preader *r;
	bool apply;
	char *err;
	size_t errlen;
};

/* Puts "gic[ vcpu N]: <message>" in err and returns ret. */
static int __printf(4, 5) fail(struct gic_io *io, int ret, int vcpu, const char *fmt, ...)
{
	char buf[24];
	int n = snprintf(io->err, io->errlen, "%s: ", who(buf, sizeof(buf), vcpu));
	va_list ap;

	if (n < 0 || (size_t)n >= io->errlen)
		return ret;
	va_start(ap, fmt);
	vsnprintf(io->err + n, io->errlen - n, fmt, ap);
	va_end(ap);
	return ret;
}

/* KVM refused a value: EINVAL means the value, anything else is our problem. */
static int kvm_refused(struct gic_io *io, int err, int vcpu, const char *name, uint64_t val)
{
	return fail(io, err == -EINVAL ? -VMM_ERR_INPUT : -VMM_ERR_INTERNAL, vcpu,
		    "%s: KVM refused 0x%llx: %s", name, (unsigned long long)val, strerror(-err));
}

static int read_count(struct gic_io *io, uint32_t want, int vcpu, const char *what)
{
	uint32_t n = preader__get_u32(io->r);

	if (!preader__ok(io->r))
		return fail(io, -VMM_ERR_INPUT, vcpu, "%s: truncated before the count", what);
	if (n != want)
		return fail(io, -VMM_ERR_INPUT, vcpu, "%s: %u registers, expected %u",
			    what, n, want);
	return 0;
}

static int write_word(struct gic_io *io, const struct gic_block *blk, const struct gic_range *rg,
		      uint64_t mattr, uint32_t key, uint32_t val, int vcpu)
{
	uint32_t group = block_group(blk), ones = ~0u;
	int err = 0;

	if (rg->keep_zero && !val)
		return 0;
	if (rg->clear)
		err = gic_access(io->vm, true, group,
				 block_attr(blk, mattr, rg->clear + key - rg->first), &ones);
	if (!err)
		err = gic_access(io->vm, true, group, block_attr(blk, mattr, key), &val);
	return err ? kvm_refused(io, err, vcpu, rg->name, val) : 0;
}

static int restore_range(struct gic_io *io, const struct gic_block *blk,
			 const struct gic_range *rg, uint64_t mattr, int vcpu)
{
	for (uint32_t w = 0; w < rg->words; w++) {
		uint32_t want = rg->first + w * rg->stride;
		uint32_t key = preader__get_u32(io->r), val = preader__get_u32(io->r);
		int err;

		if (!preader__ok(io->r))
			return fail(io, -VMM_ERR_INPUT, vcpu, "%s (0x%x): truncated",
				    rg->name, want);
		if (key != want)
			return fail(io, -VMM_ERR_INPUT, vcpu, "%s: found 0x%x, expected 0x%x",
				    rg->name, key, want);
		err = io->apply ? write_word(io, blk, rg, mattr, key, val, vcpu) : 0;
		if (err)
			return err;
	}
	return 0;
}

static int restore_block(struct gic_io *io, const struct gic_block *blk, uint64_t mattr,
			 int vcpu)
{
	int err = read_count(io, block_words(blk), vcpu, blk->name);

	for (unsigned i = 0; i < blk->nr_ranges && !err; i++)
		err = restore_range(io, blk, &blk->ranges[i], mattr, vcpu);
	return err;
}

static int restore_icc_reg(struct gic_io *io, const struct icc_reg *reg, uint64_t mattr,
			   int vcpu, uint64_t *valp)
{
	uint32_t instr = preader__get_u32(io->r);
	uint64_t val = preader__get_u64(io->r);
	int err;

	if (!preader__ok(io->r))
		return fail(io, -VMM_ERR_INPUT, vcpu, "%s: truncated", reg->name);
	if (instr != reg->instr)
		return fail(io, -VMM_ERR_INPUT, vcpu, "%s: found encoding 0x%x, expected 0x%x",
			    reg->name, instr, reg->instr);
	*valp = val;
	if (!io->apply)
		return 0;
	err = gic_access(io->vm, true, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, mattr | instr, &val);
	return err ? kvm_refused(io, err, vcpu, reg->name, val) : 0;
}

/* The number of APRs must be the one ICC_CTLR_EL1's priority bits give. */
static int restore_icc(struct gic_io *io, uint64_t mattr, int vcpu)
{
	uint64_t val[ARRAY_SIZE(icc_fixed)], apr;
	uint32_t n = preader__get_u32(io->r);
	unsigned naprs;
	int err = 0;

	if (!preader__ok(io->r))
		return fail(io, -VMM_ERR_INPUT, vcpu, "CPU interface: truncated before the count");
	for (unsigned i = 0; i < ARRAY_SIZE(icc_fixed) && !err; i++)
		err = restore_icc_reg(io, &icc_fixed[i], mattr, vcpu, &val[i]);
	if (err)
		return err;
	naprs = icc_nr_aprs(val[ICC_CTLR_INDEX]);
	if (n != ARRAY_SIZE(icc_fixed) + 2 * naprs)
		return fail(io, -VMM_ERR_INPUT, vcpu,
			    "CPU interface: %u registers, but ICC_CTLR_EL1 0x%llx needs %u",
			    n, (unsigned long long)val[ICC_CTLR_INDEX],
			    (unsigned)ARRAY_SIZE(icc_fixed) + 2 * naprs);
	for (unsigned g = 0; g < 2 && !err; g++)
		for (unsigned i = 0; i < naprs && !err; i++)
			err = restore_icc_reg(io, &icc_aprs[g][i], mattr, vcpu, &apr);
	return err;
}

static int restore_cpu(struct gic_io *io, int i)
{
	uint64_t saved = preader__get_u64(io->r), mpidr;
	int err;

	if (!preader__ok(io->r))
		return fail(io, -VMM_ERR_INPUT, i, "MPIDR: truncated");
	if (vcpu_mpidr(io->vm, i, &mpidr))
		return fail(io, -VMM_ERR_INTERNAL, i, "cannot read MPIDR_EL1");
	if (saved != mpidr)
		return fail(io, -VMM_ERR_INPUT, i, "MPIDR: 0x%llx saved, this vcpu has 0x%llx",
			    (unsigned long long)saved, (unsigned long long)mpidr);
	err = restore_block(io, &redist_block, mpidr_attr(mpidr), i);
	return err ?: restore_icc(io, mpidr_attr(mpidr), i);
}

static int check_header(struct gic_io *io)
{
	uint32_t layout = preader__get_u32(io->r);
	uint32_t nr_irqs = preader__get_u32(io->r);
	uint32_t nr_vcpus = preader__get_u32(io->r);

	if (!preader__ok(io->r))
		return fail(io, -VMM_ERR_INPUT, -1, "header: truncated");
	if (layout != GIC_STATE_LAYOUT)
		return fail(io, -VMM_ERR_INPUT, -1, "layout version %u is not supported (only %u)",
			    layout, GIC_STATE_LAYOUT);
	if (nr_irqs != GIC_NR_IRQS)
		return fail(io, -VMM_ERR_INPUT, -1, "interrupt count: %u saved, this VM has %u",
			    nr_irqs, GIC_NR_IRQS);
	if (nr_vcpus != io->vm->nr_vcpus)
		return fail(io, -VMM_ERR_INPUT, -1, "vcpu count: %u saved, this VM has %u",
			    nr_vcpus, io->vm->nr_vcpus);
	return 0;
}

/* Distributor and SPIs: configuration, then line levels, then pending/active/enabled. */
static int restore_dist(struct gic_io *io)
{
	uint64_t mpidr;
	int err;

	if (vcpu_mpidr(io->vm, 0, &mpidr))
		return fail(io, -VMM_ERR_INTERNAL, 0, "cannot read MPIDR_EL1");
	err = restore_block(io, &dist_config_block, 0, -1);
	err = err ?: restore_block(io, &level_block, mpidr_attr(mpidr), -1);
	return err ?: restore_block(io, &dist_state_block, 0, -1);
}

static int restore_all(struct gic_io *io)
{
	int err = check_header(io);

	err = err ?: restore_dist(io);
	for (unsigned i = 0; i < io->vm->nr_vcpus && !err; i++)
		err = restore_cpu(io, i);
	if (!err && !preader__done(io->r))
		return fail(io, -VMM_ERR_INPUT, -1, "%zu bytes after the last register",
			    io->r->len - io->r->pos);
	return err;
}

int gic__restore(struct vm *vm, struct preader *r, char *err, size_t errlen)
{
	struct preader check = *r;
	struct gic_io io = { .vm = vm, .r = &check, .apply = false, .err = err, .errlen = errlen };
	int ret = restore_all(&io);

	if (ret)
		return ret;
	io.r = r;
	io.apply = true;
	return restore_all(&io);
}
