/*
 * The feature ID registers: their names, their fields and the rule that
 * says which value of a field offers less (Arm ARM DDI0487, D19.2 and the
 * "Principles of the ID scheme for fields in ID registers", D19.1.3).
 *
 * Most fields follow the scheme's default: a 4-bit unsigned number where a
 * lower value means fewer features. The table below lists only what differs
 * from that default, and the fields that have a name people look for.
 *
 * Fields that describe only what a hypervisor at EL2 or secure EL2 can
 * control (VH, VMIDBits, HCX, TWED, NV, FWB, EVT, FGT, SEL2, the stage-2
 * granules) are not planned: vmm gives its guests no EL2, so they cannot
 * tell, and each host keeps its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm64/cpuid.h"
#include "vmm/util.h"

#define F(n, s, w, r)	{ .name = (n), .shift = (s), .width = (w), .rule = (r) }
#define L(n, s)		F(n, s, 4, RULE_LOWER)
#define END		{ .name = NULL }
#define FIELDS_MAX	24

struct idreg_info {
	unsigned idx;
	const char *name;
	enum idreg_rule rule;		/* for bits no named field covers */
	struct idreg_field fields[FIELDS_MAX];
};

/* An ID register of the given op1, CRm, op2 (op0 3, CRn 0). */
#define R(op1, crm, op2)	.idx = IDREG_IDX(op1, crm, op2)

static const struct idreg_info regs[] = {
	/* Identify the part, not its features: each host keeps its own. */
	{ R(0, 0, 0), "MIDR_EL1", RULE_IGNORE, { END } },
	{ R(0, 0, 5), "MPIDR_EL1", RULE_IGNORE, { END } },
	{ R(0, 0, 6), "REVIDR_EL1", RULE_IGNORE, { END } },
	/* AArch32 (EL0 32-bit programs): the default rule, except where noted. */
	{ R(0, 1, 0), "ID_PFR0_EL1", RULE_LOWER, { END } },
	{ R(0, 1, 1), "ID_PFR1_EL1", RULE_LOWER, { END } },
	{ R(0, 1, 2), "ID_DFR0_EL1", RULE_LOWER, {
		F("PerfMon", 24, 4, RULE_SIGNED), END } },
	{ R(0, 1, 3), "ID_AFR0_EL1", RULE_EXACT, { END } },	/* IMPLEMENTATION DEFINED */
	{ R(0, 1, 4), "ID_MMFR0_EL1", RULE_LOWER, { END } },
	{ R(0, 1, 5), "ID_MMFR1_EL1", RULE_LOWER, { END } },
	{ R(0, 1, 6), "ID_MMFR2_EL1", RULE_LOWER, { END } },
	{ R(0, 1, 7), "ID_MMFR3_EL1", RULE_LOWER, { END } },
	{ R(0, 2, 0), "ID_ISAR0_EL1", RULE_LOWER, { END } },
	{ R(0, 2, 1), "ID_ISAR1_EL1", RULE_LOWER, { END } },
	{ R(0, 2, 2), "ID_ISAR2_EL1", RULE_LOWER, { END } },
	{ R(0, 2, 3), "ID_ISAR3_EL1", RULE_LOWER, { END } },
	{ R(0, 2, 4), "ID_ISAR4_EL1", RULE_LOWER, { END } },
	{ R(0, 2, 5), "ID_ISAR5_EL1", RULE_LOWER, { END } },
	{ R(0, 2, 6), "ID_MMFR4_EL1", RULE_LOWER, { END } },
	{ R(0, 2, 7), "ID_ISAR6_EL1", RULE_LOWER, { END } },
	{ R(0, 3, 0), "MVFR0_EL1", RULE_LOWER, { END } },
	{ R(0, 3, 1), "MVFR1_EL1", RULE_LOWER, { END } },
	{ R(0, 3, 2), "MVFR2_EL1", RULE_LOWER, { END } },
	{ R(0, 3, 4), "ID_PFR2_EL1", RULE_LOWER, { END } },
	{ R(0, 3, 5), "ID_DFR1_EL1", RULE_LOWER, { END } },
	{ R(0, 3, 6), "ID_MMFR5_EL1", RULE_LOWER, { END } },
	{ R(0, 4, 0), "ID_AA64PFR0_EL1", RULE_LOWER, {
		L("EL0", 0), L("EL1", 4), L("EL2", 8), L("EL3", 12),
		F("FP", 16, 4, RULE_SIGNED), F("AdvSIMD", 20, 4, RULE_SIGNED),
		/* Set by the VM's interrupt controller, not by the CPU. */
		F("GIC", 24, 4, RULE_IGNORE),
		L("RAS", 28), L("SVE", 32), F("SEL2", 36, 4, RULE_IGNORE), L("MPAM", 40), L("AMU", 44),
		L("DIT", 48), L("RME", 52), L("CSV2", 56), L("CSV3", 60), END } },
	{ R(0, 4, 1), "ID_AA64PFR1_EL1", RULE_LOWER, {
		L("BT", 0), L("SSBS", 4), L("MTE", 8), L("RAS_frac", 12),
		L("MPAM_frac", 16), L("SME", 24), L("RNDR_trap", 28), L("CSV2_frac", 32),
		L("NMI", 36), L("MTE_frac", 40), L("GCS", 44), END } },
	{ R(0, 4, 2), "ID_AA64PFR2_EL1", RULE_LOWER, { END } },
	{ R(0, 4, 4), "ID_AA64ZFR0_EL1", RULE_LOWER, {
		L("SVEver", 0), L("AES", 4), L("BitPerm", 16), L("BF16", 20),
		L("B16B16", 24), L("SHA3", 32), L("SM4", 40), L("I8MM", 44),
		L("F32MM", 52), L("F64MM", 56), END } },
	{ R(0, 4, 5), "ID_AA64SMFR0_EL1", RULE_LOWER, {
		F("F32F32", 32, 1, RULE_LOWER), F("BI32I32", 33, 1, RULE_LOWER),
		F("B16F32", 34, 1, RULE_LOWER), F("F16F32", 35, 1, RULE_LOWER),
		L("I8I32", 36), F("F16F16", 42, 1, RULE_LOWER), F("B16B16", 43, 1, RULE_LOWER),
		L("I16I32", 44), F("F64F64", 48, 1, RULE_LOWER), L("I16I64", 52),
		L("SMEver", 56), F("FA64", 63, 1, RULE_LOWER), END } },
	{ R(0, 4, 7), "ID_AA64FPFR0_EL1", RULE_LOWER, { END } },
	{ R(0, 5, 0), "ID_AA64DFR0_EL1", RULE_LOWER, {
		L("DebugVer", 0), L("TraceVer", 4), L("PMUVer", 8), L("BRPs", 12),
		L("PMSS", 16), L("WRPs", 20), L("SEBEP", 24), L("CTX_CMPs", 28),
		L("PMSVer", 32), F("DoubleLock", 36, 4, RULE_SIGNED), L("TraceFilt", 40),
		L("TraceBuffer", 44), F("MTPMU", 48, 4, RULE_SIGNED), L("BRBE", 52),
		L("ExtTrcBuff", 56), L("HPMN0", 60), END } },
	{ R(0, 5, 1), "ID_AA64DFR1_EL1", RULE_LOWER, { END } },
	{ R(0, 5, 2), "ID_AA64DFR2_EL1", RULE_LOWER, { END } },
	{ R(0, 5, 4), "ID_AA64AFR0_EL1", RULE_EXACT, { END } },	/* IMPLEMENTATION DEFINED */
	{ R(0, 5, 5), "ID_AA64AFR1_EL1", RULE_EXACT, { END } },
	{ R(0, 6, 0), "ID_AA64ISAR0_EL1", RULE_LOWER, {
		L("AES", 4), L("SHA1", 8), L("SHA2", 12), L("CRC32", 16), L("Atomic", 20),
		L("TME", 24), L("RDM", 28), L("SHA3", 32), L("SM3", 36), L("SM4", 40),
		L("DP", 44), L("FHM", 48), L("TS", 52), L("TLB", 56), L("RNDR", 60), END } },
	{ R(0, 6, 1), "ID_AA64ISAR1_EL1", RULE_LOWER, {
		L("DPB", 0),
		/* Pointer authentication needs the same algorithm everywhere, or none. */
		F("APA", 4, 4, RULE_SAME_OR_ZERO), F("API", 8, 4, RULE_SAME_OR_ZERO),
		L("JSCVT", 12), L("FCMA", 16), L("LRCPC", 20),
		F("GPA", 24, 4, RULE_SAME_OR_ZERO), F("GPI", 28, 4, RULE_SAME_OR_ZERO),
		L("FRINTTS", 32), L("SB", 36), L("SPECRES", 40), L("BF16", 44), L("DGH", 48),
		L("I8MM", 52), L("XS", 56), L("LS64", 60), END } },
	{ R(0, 6, 2), "ID_AA64ISAR2_EL1", RULE_LOWER, {
		L("WFxT", 0), L("RPRES", 4), F("GPA3", 8, 4, RULE_SAME_OR_ZERO),
		F("APA3", 12, 4, RULE_SAME_OR_ZERO), L("MOPS", 16), L("BC", 20),
		F("PAC_frac", 24, 4, RULE_SAME_OR_ZERO), L("CLRBHB", 28), L("CSSC", 52),
		END } },
	{ R(0, 6, 3), "ID_AA64ISAR3_EL1", RULE_LOWER, { END } },
	{ R(0, 7, 0), "ID_AA64MMFR0_EL1", RULE_LOWER, {
		L("PARange", 0), L("ASIDBits", 4), L("BigEnd", 8), L("SNSMem", 12),
		L("BigEndEL0", 16), L("TGran16", 20),
		F("TGran64", 24, 4, RULE_SIGNED), F("TGran4", 28, 4, RULE_SIGNED),
		/* Stage 2 of a guest's own hypervisor: vmm guests run without EL2. */
		F("TGran16_2", 32, 4, RULE_IGNORE), F("TGran64_2", 36, 4, RULE_IGNORE),
		F("TGran4_2", 40, 4, RULE_IGNORE),
		L("ExS", 44), F("FGT", 56, 4, RULE_IGNORE), L("ECV", 60), END } },
	{ R(0, 7, 1), "ID_AA64MMFR1_EL1", RULE_LOWER, {
		L("HAFDBS", 0), F("VMIDBits", 4, 4, RULE_IGNORE), F("VH", 8, 4, RULE_IGNORE),
		L("HPDS", 12), L("LO", 16), L("PAN", 20), L("SpecSEI", 24), L("XNX", 28),
		F("TWED", 32, 4, RULE_IGNORE), L("ETS", 36), F("HCX", 40, 4, RULE_IGNORE), L("AFP", 44), L("nTLBPA", 48), L("TIDCP1", 52), L("CMOW", 56),
		L("ECBHB", 60), END } },
	{ R(0, 7, 2), "ID_AA64MMFR2_EL1", RULE_LOWER, {
		L("CnP", 0), L("UAO", 4), L("LSM", 8), L("IESB", 12), L("VARange", 16),
		/* The format of CCSIDR_EL1: both sides must read it alike. */
		F("CCIDX", 20, 4, RULE_EXACT),
		F("NV", 24, 4, RULE_IGNORE), L("ST", 28), L("AT", 32), L("IDS", 36),
		F("FWB", 40, 4, RULE_IGNORE), L("TTL", 48), L("BBM", 52),
		F("EVT", 56, 4, RULE_IGNORE), L("E0PD", 60), END } },
	{ R(0, 7, 3), "ID_AA64MMFR3_EL1", RULE_LOWER, { END } },
	{ R(0, 7, 4), "ID_AA64MMFR4_EL1", RULE_LOWER, { END } },
	{ R(1, 0, 0), "CCSIDR_EL1", RULE_IGNORE, { END } },	/* the DEMUX values instead */
	/* The cache levels and kinds: the guest's cache maintenance follows them. */
	{ R(1, 0, 1), "CLIDR_EL1", RULE_EXACT, { END } },
	{ R(1, 0, 2), "CCSIDR2_EL1", RULE_IGNORE, { END } },
	{ R(1, 0, 4), "GMID_EL1", RULE_EXACT, { END } },
	{ R(1, 0, 6), "SMIDR_EL1", RULE_IGNORE, { END } },
	{ R(1, 0, 7), "AIDR_EL1", RULE_IGNORE, { END } },
	{ R(3, 0, 1), "CTR_EL0", RULE_LOWER, {
		L("IminLine", 0),
		F("L1Ip", 14, 2, RULE_EXACT),
		L("DminLine", 16),
		F("ERG", 20, 4, RULE_HIGHER), F("CWG", 24, 4, RULE_HIGHER),
		F("IDC", 28, 1, RULE_LOWER), F("DIC", 29, 1, RULE_LOWER),
		F("TminLine", 32, 6, RULE_LOWER), END } },
	/* DC ZVA's block size: not trapped, so not what KVM says (see cpu.dczid_el0). */
	{ R(3, 0, 7), "DCZID_EL0", RULE_FIXED, {
		F("BS", 0, 4, RULE_FIXED), F("DZP", 4, 1, RULE_FIXED), END } },
};

uint64_t idregs__reg_id(unsigned idx)
{
	/* KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG, then op0..op2. */
	const uint64_t base = 0x6000000000000000ull | 0x0030000000000000ull | 0x0013ull << 16;
	unsigned op1 = idx >> 6 == 2 ? 3 : idx >> 6;

	return base | 3u << 14 | op1 << 11 | ((idx >> 3) & 7) << 3 | (idx & 7);
}

int idregs__index(uint64_t id)
{
	for (unsigned idx = 0; idx < IDREG_COUNT; idx++)
		if (idregs__reg_id(idx) == id)
			return (int)idx;
	return -1;
}

bool idregs__blocking_field(unsigned idx, uint64_t want, uint64_t have, uint64_t writable,
			    struct idreg_field *f, bool *is_writable)
{
	struct idreg_field k_field;
	bool found = false;

	for (unsigned k = 0; idregs__field(idx, k, &k_field); k++) {
		uint64_t bits = idregs__field_mask(&k_field);

		if (!((want ^ have) & bits))
			continue;
		if ((bits & ~writable) || !found) {
			*f = k_field;
			*is_writable = !(bits & ~writable);
			found = true;
		}
		if (!*is_writable)
			return true;
	}
	return found;
}

static const struct idreg_info *info(unsigned idx)
{
	for (size_t i = 0; i < ARRAY_SIZE(regs); i++)
		if (regs[i].idx == idx)
			return &regs[i];
	return NULL;
}

void idregs__name(unsigned idx, char *buf, size_t len)
{
	const struct idreg_info *r = info(idx);

	if (r)
		snprintf(buf, len, "%s", r->name);
	else
		snprintf(buf, len, "S3_%u_C0_C%u_%u", idx >> 6 == 2 ? 3 : idx >> 6,
			 (idx >> 3) & 7, idx & 7);
}

int idregs__by_name(const char *name)
{
	char buf[32];

	for (unsigned idx = 0; idx < IDREG_COUNT; idx++) {
		idregs__name(idx, buf, sizeof(buf));
		if (!strcmp(buf, name))
			return idx;
	}
	return -1;
}

/* The default rule of a register: unnamed ones follow the ID scheme's default. */
static enum idreg_rule default_rule(const struct idreg_info *r)
{
	return r ? r->rule : RULE_LOWER;
}

static uint64_t named_bits(const struct idreg_info *r)
{
	uint64_t bits = 0;

	for (unsigned k = 0; r && r->fields[k].name; k++)
		bits |= idregs__field_mask(&r->fields[k]);
	return bits;
}

static const char *nibble_names[16] = {
	"[3:0]", "[7:4]", "[11:8]", "[15:12]", "[19:16]", "[23:20]", "[27:24]", "[31:28]",
	"[35:32]", "[39:36]", "[43:40]", "[47:44]", "[51:48]", "[55:52]", "[59:56]", "[63:60]",
};

bool idregs__field(unsigned idx, unsigned k, struct idreg_field *f)
{
	const struct idreg_info *r = info(idx);
	uint64_t named = named_bits(r);
	unsigned nr_named = 0;

	while (r && r->fields[nr_named].name)
		nr_named++;
	if (k < nr_named) {
		*f = r->fields[k];
		return true;
	}
	k -= nr_named;
	/* The rest, 4 bits at a time; a unit that a named field covers in part is skipped. */
	for (unsigned n = 0; n < 16; n++) {
		if (named & (0xfull << (4 * n)))
			continue;
		if (k-- == 0) {
			*f = (struct idreg_field)F(nibble_names[n], 4 * n, 4, default_rule(r));
			return true;
		}
	}
	return false;
}

int idregs__compare(const struct idreg_field *f, unsigned a, unsigned b)
{
	int sa = a, sb = b;

	if (f->rule == RULE_SIGNED) {
		/* Sign-extend from the field's width. */
		sa = a & (1u << (f->width - 1)) ? (int)a - (1 << f->width) : (int)a;
		sb = b & (1u << (f->width - 1)) ? (int)b - (1 << f->width) : (int)b;
	}
	if (f->rule == RULE_HIGHER)
		return sa < sb ? 1 : sa > sb ? -1 : 0;
	return sa < sb ? -1 : sa > sb ? 1 : 0;
}

const char *idregs__rule_name(enum idreg_rule rule)
{
	static const char *const names[] = {
		[RULE_LOWER] = "lower", [RULE_SIGNED] = "signed", [RULE_HIGHER] = "higher",
		[RULE_SAME_OR_ZERO] = "same-or-zero", [RULE_EXACT] = "exact",
		[RULE_FIXED] = "fixed", [RULE_IGNORE] = "ignore",
	};

	return rule < ARRAY_SIZE(names) ? names[rule] : "?";
}

static const char *const vcpu_features[] = {
	[CPU_FEAT_PSCI_0_2] = "psci-0.2",
	[CPU_FEAT_PMU_V3] = "pmu-v3",
	[CPU_FEAT_SVE] = "sve",
	[CPU_FEAT_PTRAUTH_ADDRESS] = "ptrauth-address",
	[CPU_FEAT_PTRAUTH_GENERIC] = "ptrauth-generic",
};

const char *idregs__vcpu_feature_name(unsigned bit)
{
	return bit < ARRAY_SIZE(vcpu_features) ? vcpu_features[bit] : NULL;
}

int idregs__vcpu_feature_by_name(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(vcpu_features); i++)
		if (vcpu_features[i] && !strcmp(vcpu_features[i], name))
			return i;
	return -1;
}

/* ---- named features ---- */

struct named_feature {
	const char *name;		/* as /proc/cpuinfo's Features line */
	bool is_signed;
	int min;			/* the field's value from which the feature is there */
	struct {
		unsigned idx, shift;	/* a 4-bit field; idx 0 (MIDR_EL1): no more */
	} src[3];			/* the feature is there when any of them is */
};

#define PFR0	IDREG_IDX(0, 4, 0)
#define PFR1	IDREG_IDX(0, 4, 1)
#define ZFR0	IDREG_IDX(0, 4, 4)
#define ISAR0	IDREG_IDX(0, 6, 0)
#define ISAR1	IDREG_IDX(0, 6, 1)
#define ISAR2	IDREG_IDX(0, 6, 2)
#define MMFR2	IDREG_IDX(0, 7, 2)

static const struct named_feature features[] = {
	{ "fp", true, 0, { { PFR0, 16 } } },
	{ "asimd", true, 0, { { PFR0, 20 } } },
	{ "fphp", true, 1, { { PFR0, 16 } } },
	{ "asimdhp", true, 1, { { PFR0, 20 } } },
	{ "aes", false, 1, { { ISAR0, 4 } } },
	{ "pmull", false, 2, { { ISAR0, 4 } } },
	{ "sha1", false, 1, { { ISAR0, 8 } } },
	{ "sha2", false, 1, { { ISAR0, 12 } } },
	{ "sha512", false, 2, { { ISAR0, 12 } } },
	{ "crc32", false, 1, { { ISAR0, 16 } } },
	{ "atomics", false, 2, { { ISAR0, 20 } } },
	{ "asimdrdm", false, 1, { { ISAR0, 28 } } },
	{ "sha3", false, 1, { { ISAR0, 32 } } },
	{ "sm3", false, 1, { { ISAR0, 36 } } },
	{ "sm4", false, 1, { { ISAR0, 40 } } },
	{ "asimddp", false, 1, { { ISAR0, 44 } } },
	{ "asimdfhm", false, 1, { { ISAR0, 48 } } },
	{ "flagm", false, 1, { { ISAR0, 52 } } },
	{ "flagm2", false, 2, { { ISAR0, 52 } } },
	{ "rng", false, 1, { { ISAR0, 60 } } },
	{ "dcpop", false, 1, { { ISAR1, 0 } } },
	{ "dcpodp", false, 2, { { ISAR1, 0 } } },
	{ "jscvt", false, 1, { { ISAR1, 12 } } },
	{ "fcma", false, 1, { { ISAR1, 16 } } },
	{ "lrcpc", false, 1, { { ISAR1, 20 } } },
	{ "ilrcpc", false, 2, { { ISAR1, 20 } } },
	/* Any algorithm: IMPLEMENTATION DEFINED (API, GPI), QARMA5 (APA, GPA), QARMA3 (*3). */
	{ "paca", false, 1, { { ISAR1, 8 }, { ISAR1, 4 }, { ISAR2, 12 } } },
	{ "pacg", false, 1, { { ISAR1, 28 }, { ISAR1, 24 }, { ISAR2, 8 } } },
	{ "frint", false, 1, { { ISAR1, 32 } } },
	{ "sb", false, 1, { { ISAR1, 36 } } },
	{ "bf16", false, 1, { { ISAR1, 44 } } },
	{ "dgh", false, 1, { { ISAR1, 48 } } },
	{ "i8mm", false, 1, { { ISAR1, 52 } } },
	{ "wfxt", false, 2, { { ISAR2, 0 } } },
	{ "rpres", false, 1, { { ISAR2, 4 } } },
	{ "mops", false, 1, { { ISAR2, 16 } } },
	{ "hbc", false, 1, { { ISAR2, 20 } } },
	{ "cssc", false, 1, { { ISAR2, 52 } } },
	{ "dit", false, 1, { { PFR0, 48 } } },
	{ "sve", false, 1, { { PFR0, 32 } } },
	{ "bti", false, 1, { { PFR1, 0 } } },
	{ "ssbs", false, 2, { { PFR1, 4 } } },
	{ "mte", false, 2, { { PFR1, 8 } } },
	{ "sme", false, 1, { { PFR1, 24 } } },
	{ "uscat", false, 1, { { MMFR2, 32 } } },
	/* SVE2 and the SVE instruction groups count only with SVE itself. */
	{ "sve2", false, 1, { { ZFR0, 0 } } },
	{ "sveaes", false, 1, { { ZFR0, 4 } } },
	{ "svepmull", false, 2, { { ZFR0, 4 } } },
	{ "svebitperm", false, 1, { { ZFR0, 16 } } },
	{ "svebf16", false, 1, { { ZFR0, 20 } } },
	{ "svesha3", false, 1, { { ZFR0, 32 } } },
	{ "svesm4", false, 1, { { ZFR0, 40 } } },
	{ "svei8mm", false, 1, { { ZFR0, 44 } } },
	{ "svef32mm", false, 1, { { ZFR0, 52 } } },
	{ "svef64mm", false, 1, { { ZFR0, 56 } } },
};

static int field_value(const struct cpu_desc *d, unsigned idx, unsigned shift, bool is_signed)
{
	unsigned v = d->valid[idx] ? (d->value[idx] >> shift) & 0xf : 0;

	return is_signed && (v & 8) ? (int)v - 16 : (int)v;
}

const char *idregs__feature(unsigned k, const struct cpu_desc *d, bool *has)
{
	const struct named_feature *nf;

	if (k >= ARRAY_SIZE(features))
		return NULL;
	nf = &features[k];
	*has = false;
	/* An unread register counts as absent; a signed field's 0xf is -1, absent too. */
	for (unsigned i = 0; i < ARRAY_SIZE(nf->src) && (!i || nf->src[i].idx); i++)
		*has = *has || (d->valid[nf->src[i].idx] &&
				field_value(d, nf->src[i].idx, nf->src[i].shift,
					    nf->is_signed) >= nf->min);
	if (nf->src[0].idx == ZFR0)
		*has = *has && field_value(d, PFR0, 32, false) >= 1;
	return nf->name;
}

uint64_t idregs__digest(const uint64_t *ids, unsigned n)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a 64 offset basis */

	for (unsigned i = 0; i < n; i++) {
		for (unsigned b = 0; b < 8; b++) {
			h ^= (ids[i] >> (8 * b)) & 0xff;
			h *= 0x100000001b3ull;		/* FNV 64 prime */
		}
	}
	return h;
}
