#ifndef VMM_ARM64_CPUID_H
#define VMM_ARM64_CPUID_H

/*
 * The CPU a guest sees, as its feature ID registers describe it, and the
 * rules for planning one CPU that every host of a fleet can give
 * (docs/caps.md, "The CPU" and "Planning the CPU").
 *
 * Nothing here talks to KVM: arm64/caps-kvm.c fills struct cpu_desc on a
 * host, arm64/caps.c and caps-read.c write and read it (and plans) as JSON, the tables
 * are in arm64/idregs.c and the planner (arm64/cpuplan.c) works on the
 * descriptions of several hosts. So the unit tests build all of it natively.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arm64/sve.h"
#include "vmm/compiler.h"

/*
 * KVM_ARM_FEATURE_ID_RANGE: op0 3, op1 {0, 1, 3}, CRn 0, CRm 0..7, op2
 * 0..7: 3 * 8 * 8 registers, indexed as KVM_ARM_FEATURE_ID_RANGE_IDX() of
 * the 6.7 UAPI does (op1 3 takes the place of 2).
 */
#define IDREG_COUNT		192
#define IDREG_IDX(op1, crm, op2) \
	((((op1) == 3 ? 2u : (unsigned)(op1)) << 6) | ((unsigned)(crm) << 3) | (unsigned)(op2))

/* The same register as a KVM_{GET,SET}_ONE_REG id (KVM_REG_ARM64 | SIZE_U64 | SYSREG). */
uint64_t idregs__reg_id(unsigned idx);
/* The index of a KVM_{GET,SET}_ONE_REG id in the range, or -1. */
int idregs__index(uint64_t id);

#define CPU_CCSIDR_MAX		32	/* KVM_REG_ARM_DEMUX CCSIDR values, one per CSSELR */
#define CPU_REG_LIST_MAX	2048	/* ids kept from KVM_GET_REG_LIST */

/*
 * KVM_ARM_VCPU_INIT feature bits (arch/arm64/include/uapi/asm/kvm.h),
 * repeated here because the unit tests build on hosts whose linux/kvm.h
 * is not arm64's.
 */
enum cpu_vcpu_feature {
	CPU_FEAT_PSCI_0_2 = 2,
	CPU_FEAT_PMU_V3 = 3,
	CPU_FEAT_SVE = 4,
	CPU_FEAT_PTRAUTH_ADDRESS = 5,
	CPU_FEAT_PTRAUTH_GENERIC = 6,
};

struct cpu_ccsidr {
	uint8_t csselr;		/* the KVM_REG_ARM_DEMUX_VAL: CSSELR_EL1's Level and InD */
	uint32_t value;		/* CCSIDR_EL1 for that cache */
};

/* What `vmm caps` read about this host's CPU (the "cpu" object of the JSON). */
struct cpu_desc {
	bool present;			/* false: an older caps file without "cpu" */
	uint32_t vcpu_features;		/* the scratch vcpu's KVM_ARM_VCPU_INIT bits */
	bool has_masks;			/* KVM_ARM_GET_REG_WRITABLE_MASKS was there */
	uint64_t cntfrq;		/* CNTFRQ_EL0, read in vmm itself */
	uint64_t dczid;			/* DCZID_EL0, read in vmm itself */
	bool valid[IDREG_COUNT];	/* KVM_GET_ONE_REG gave the register */
	uint64_t value[IDREG_COUNT];
	uint64_t mask[IDREG_COUNT];	/* writable bits (0 without has_masks) */
	unsigned nr_ccsidr;
	struct cpu_ccsidr ccsidr[CPU_CCSIDR_MAX];
	unsigned nr_regs;		/* KVM_GET_REG_LIST's count */
	uint64_t reg_digest;		/* idregs__digest() of its ids */
	unsigned nr_ids;		/* the ids kept (nr_regs unless truncated or absent) */
	uint64_t ids[CPU_REG_LIST_MAX];
};

/* ---- the registers and their fields (arm64/idregs.c) ---- */

enum idreg_rule {
	RULE_LOWER,	/* unsigned; a lower value is a subset of the features */
	RULE_SIGNED,	/* signed; lower is a subset, 0xf (-1) is "not implemented" */
	RULE_HIGHER,	/* a higher value is safe (cache writeback granules) */
	RULE_SAME_OR_ZERO, /* equal on all hosts, else off: 0 (pointer-auth algorithms) */
	RULE_EXACT,	/* must be equal; the first host's value, written where it differs */
	RULE_FIXED,	/* must be equal, and KVM cannot change what the guest reads */
	RULE_IGNORE,	/* no feature, or not planned (MIDR, MPIDR, ...) */
};

struct idreg_field {
	const char *name;
	uint8_t shift, width;
	enum idreg_rule rule;
};

/* "ID_AA64PFR0_EL1", or "S3_<op1>_C0_C<crm>_<op2>" for a register without a name. */
void idregs__name(unsigned idx, char *buf, size_t len);
/* The index of a name idregs__name() gives; -1 for any other text. */
int idregs__by_name(const char *name);
/*
 * Field k (0, 1, ...) of register idx: the named fields of the table, then
 * each 4-bit unit of bits no named field covers (named "[63:60]", ...,
 * with the register's default rule). Returns false past the last.
 */
bool idregs__field(unsigned idx, unsigned k, struct idreg_field *f);
static inline uint64_t idregs__field_mask(const struct idreg_field *f)
{
	return (f->width == 64 ? ~0ull : ((1ull << f->width) - 1)) << f->shift;
}
static inline unsigned idregs__field_get(const struct idreg_field *f, uint64_t reg)
{
	return (unsigned)((reg & idregs__field_mask(f)) >> f->shift);
}
/*
 * Orders two values of a field by its rule: <0 when a offers less than b,
 * 0 when the same, >0 when more (for RULE_HIGHER a higher value offers
 * less). Only for LOWER, SIGNED and HIGHER.
 */
int idregs__compare(const struct idreg_field *f, unsigned a, unsigned b);
const char *idregs__rule_name(enum idreg_rule rule);
/*
 * Why register idx cannot go from have to want, given its writable bits:
 * the first field that differs and is not writable (*is_writable false),
 * else the first that differs (writable, so KVM refused the value: more
 * than this host has). False when no field differs.
 */
bool idregs__blocking_field(unsigned idx, uint64_t want, uint64_t have, uint64_t writable,
			    struct idreg_field *f, bool *is_writable);

/* The name of a KVM_ARM_VCPU_INIT feature bit ("sve"), or NULL. */
const char *idregs__vcpu_feature_name(unsigned bit);
int idregs__vcpu_feature_by_name(const char *name);

/*
 * Named CPU features, as Linux names them in /proc/cpuinfo ("sve2",
 * "lrcpc", "asimddp"), each a field at or above a value. Feature k of
 * the table, or NULL past its end; *has says whether desc has it.
 */
const char *idregs__feature(unsigned k, const struct cpu_desc *desc, bool *has);

/* A digest of register ids, stable across runs: FNV-1a 64 over each id's 8 bytes, LE. */
uint64_t idregs__digest(const uint64_t *ids, unsigned n);

/* ---- the plan (arm64/cpuplan.c) ---- */

/*
 * What `vmm run --cpu-plan` needs: the vector lengths, the vcpu features
 * and, per planned register, the value of the bits the plan fixes.
 */
struct cpu_plan {
	vq_mask_t sve;			/* the common SVE set; 0: off */
	bool has_cpu;			/* the rest is there (every host had "cpu") */
	uint32_t vcpu_features;
	bool planned[IDREG_COUNT];
	uint64_t value[IDREG_COUNT];	/* only the bits of mask */
	uint64_t mask[IDREG_COUNT];	/* the bits of the planned fields */
	uint64_t cntfrq, dczid;
	unsigned nr_ccsidr;
	struct cpu_ccsidr ccsidr[CPU_CCSIDR_MAX];
};

/* Why a host cannot give the plan. */
enum cpu_conflict_kind {
	CONFLICT_NOT_WRITABLE,	/* differs, and that host cannot write the field */
	CONFLICT_NEVER,		/* differs, and no host can change it (DCZID, CNTFRQ) */
	CONFLICT_CCSIDR,	/* the cache geometry differs */
};

struct cpu_conflict {
	unsigned host;			/* index into the hosts given */
	enum cpu_conflict_kind kind;
	char what[64];			/* "ID_AA64PFR0_EL1.RAS", "DCZID_EL0", "CCSIDR 0x2" */
	uint64_t host_value, plan_value;
};

struct cpu_plan_result {
	struct cpu_plan plan;
	uint64_t accepted[IDREG_COUNT];	/* the accepted bits of registers every host has */
	unsigned nr_conflicts;
	struct cpu_conflict *conflicts;	/* malloc'd; cpuplan__free() */
	int missing;			/* -1, or the first host without "cpu": no CPU plan */
};

/*
 * Plans the CPU of n hosts (descs[i] with sve[i], their SVE sets). accept
 * (NULL: none) holds, per register, the bits of fields the operator
 * accepts as they are: not planned, each host keeps its own. When some
 * desc is not present, only the SVE set is planned (res->missing says
 * which). Returns 0 or -ENOMEM.
 */
int cpuplan__plan(const struct cpu_desc *const *descs, const vq_mask_t *sve, unsigned n,
		  const uint64_t *accept, struct cpu_plan_result *res) __must_check;
/*
 * Parses "REG.FIELD[,REG.FIELD...]" (ID_AA64PFR0_EL1.RAS) into accept[],
 * per register the bits of those fields. A field whose rule is "fixed"
 * (DCZID_EL0) cannot be accepted. Returns 0 or -2 with the reason in err.
 */
int cpuplan__parse_accept(const char *list, uint64_t accept[IDREG_COUNT],
			  char *err, size_t errlen) __must_check;
void cpuplan__free(struct cpu_plan_result *res);
/* Whether host i has a conflict. */
bool cpuplan__host_conflicts(const struct cpu_plan_result *res, unsigned host);

/*
 * Whether this host (its description, as `vmm caps` reads it, and its SVE
 * set) can give the plan: the plan's SVE set is one of its sets, it offers
 * the plan's vcpu features, each planned field is no more than it has (by
 * the field's rule) and, where it differs, writable here (or hidden by a
 * vcpu feature the plan leaves out), and DCZID_EL0, CNTFRQ_EL0 and the
 * cache geometry are the plan's. Returns 0, or -3 with one line in err
 * naming the first field that fails and both values.
 */
int cpuplan__check_host(const struct cpu_plan *plan, const struct cpu_desc *host,
			vq_mask_t host_sve, char *err, size_t errlen) __must_check;
/* The value to write to planned register idx here: the plan's fields, the host's other bits. */
uint64_t cpuplan__reg_value(const struct cpu_plan *plan, const struct cpu_desc *host,
			    unsigned idx);

/*
 * Reads a plan file that `vmm caps --plan --json` wrote (its
 * "common_vector_lengths" and "cpu"; arm64/caps-read.c).
 * Returns 0, -2 with a one-line reason in err naming the file and the
 * field, or -1 (out of memory).
 */
int cpuplan__load(const char *path, struct cpu_plan *plan, char *err, size_t errlen)
	__must_check;
int cpuplan__parse(const char *text, size_t len, struct cpu_plan *plan,
		   char *err, size_t errlen) __must_check;
/*
 * cpuplan__load() that also keeps the file's text (malloc'd, len bytes,
 * not NUL-terminated) in *text: a snapshot stores the plan as given.
 */
int cpuplan__load_text(const char *path, struct cpu_plan *plan, char **text, size_t *len,
		       char *err, size_t errlen) __must_check;
/* The plan's registers as a CPU description, to name its features (idregs__feature). */
void cpuplan__as_desc(const struct cpu_plan *plan, struct cpu_desc *d);

#endif
