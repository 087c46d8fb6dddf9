/*
 * Unit tests of the CPU description and the CPU planner (arm64/idregs.c,
 * arm64/cpuplan.c, the "cpu" JSON of arm64/caps.c) over the `vmm caps
 * --json` files of real test-bed hosts (tests/fixtures/caps/README.md).
 *
 * What is expected comes from outside the code under test: the Features
 * line of each host's own /proc/cpuinfo, the register ids KVM listed, the
 * writable masks KVM gave, and the Arm ARM's rule for each field.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "arm64/caps.h"
#include "arm64/cpuid.h"
#include "vmm/json.h"
#include "vmm/util.h"

#define FIXTURES	"tests/fixtures/caps/"

enum host { MAX, A64FX, N1, A76, A72, BIG61, NR_HOSTS };

static const struct {
	const char *file;
	bool masks;
	/* /proc/cpuinfo's Features on that host, without Linux's own "evtstrm" and "cpuid". */
	const char *cpuinfo;
} fixtures[NR_HOSTS] = {
	[MAX] = { FIXTURES "max-6.12.json", true,
		"fp asimd aes pmull sha1 sha2 crc32 atomics fphp asimdhp asimdrdm jscvt fcma "
		"lrcpc dcpop sha3 sm3 sm4 asimddp sha512 sve asimdfhm dit ilrcpc flagm ssbs sb "
		"paca pacg dcpodp sve2 sveaes svepmull svebitperm svesha3 svesm4 flagm2 frint "
		"svei8mm svef32mm svef64mm svebf16 i8mm bf16 dgh rng bti" },
	[A64FX] = { FIXTURES "a64fx-6.12.json", true,
		"fp asimd aes pmull sha1 sha2 crc32 atomics fphp asimdhp asimdrdm fcma dcpop sve" },
	/*
	 * Plus "ssbs": the host's Linux hides that hwcap on Neoverse-N1 (its
	 * SSBS erratum, 3194386), while ID_AA64PFR1_EL1.SSBS is 2 and a guest sees it.
	 */
	[N1] = { FIXTURES "neoverse-n1-6.12.json", true,
		"fp asimd aes pmull sha1 sha2 crc32 atomics fphp asimdhp asimdrdm lrcpc dcpop asimddp "
		"ssbs" },
	[A76] = { FIXTURES "cortex-a76-6.12.json", true,
		"fp asimd aes pmull sha1 sha2 crc32 atomics fphp asimdhp asimdrdm lrcpc dcpop asimddp" },
	[A72] = { FIXTURES "cortex-a72-6.12.json", true,
		"fp asimd aes pmull sha1 sha2 crc32" },
	[BIG61] = { FIXTURES "sve-big-6.1.json", false,
		"fp asimd aes pmull sha1 sha2 crc32 atomics fphp asimdhp asimdrdm jscvt fcma "
		"lrcpc dcpop sha3 sm3 sm4 asimddp sha512 sve asimdfhm dit ilrcpc flagm ssbs sb "
		"paca pacg dcpodp sve2 sveaes svepmull svebitperm svesha3 svesm4 flagm2 frint "
		"svei8mm svef32mm svef64mm svebf16 i8mm bf16 dgh rng bti" },
};

#define PFR0	IDREG_IDX(0, 4, 0)
#define ZFR0	IDREG_IDX(0, 4, 4)
#define DFR0	IDREG_IDX(0, 5, 0)
#define ISAR0	IDREG_IDX(0, 6, 0)
#define ISAR1	IDREG_IDX(0, 6, 1)
#define MMFR0	IDREG_IDX(0, 7, 0)
#define CLIDR	IDREG_IDX(1, 0, 1)

static struct host_caps *hosts[NR_HOSTS];

static int load_fixtures(void **state)
{
	char err[512];

	for (unsigned i = 0; i < NR_HOSTS; i++) {
		hosts[i] = malloc(sizeof(*hosts[i]));
		if (!hosts[i] || caps__load(fixtures[i].file, hosts[i], err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return -1;
		}
	}
	return 0;
}

static int free_fixtures(void **state)
{
	for (unsigned i = 0; i < NR_HOSTS; i++)
		free(hosts[i]);
	return 0;
}

/* A copy of a fixture to edit. */
static struct host_caps *copy(enum host h)
{
	struct host_caps *c = malloc(sizeof(*c));

	assert_non_null(c);
	memcpy(c, hosts[h], sizeof(*c));
	return c;
}

/* The field of register idx called name. */
static struct idreg_field field(unsigned idx, const char *name)
{
	struct idreg_field f;

	for (unsigned k = 0; idregs__field(idx, k, &f); k++)
		if (!strcmp(f.name, name))
			return f;
	fail_msg("register %u has no field %s", idx, name);
	return f;
}

static void set_field(struct cpu_desc *d, unsigned idx, const char *name, unsigned v)
{
	struct idreg_field f = field(idx, name);

	d->value[idx] = (d->value[idx] & ~idregs__field_mask(&f)) | (uint64_t)v << f.shift;
}

static unsigned plan_field(const struct cpu_plan *p, unsigned idx, const char *name)
{
	struct idreg_field f = field(idx, name);

	assert_true(p->planned[idx]);
	assert_true((p->mask[idx] & idregs__field_mask(&f)) == idregs__field_mask(&f));
	return idregs__field_get(&f, p->value[idx]);
}

/* Plans hosts c[0..n); the caller frees res. */
static void plan(struct host_caps *const *c, unsigned n, struct cpu_plan_result *res)
{
	const struct cpu_desc *d[8];
	vq_mask_t sve[8];

	assert_true(n <= 8);
	for (unsigned i = 0; i < n; i++) {
		d[i] = &c[i]->cpu;
		sve[i] = c[i]->sve;
	}
	assert_int_equal(cpuplan__plan(d, sve, n, NULL, res), 0);
}

static void plan_of(const enum host *h, unsigned n, struct cpu_plan_result *res)
{
	struct host_caps *c[8];

	for (unsigned i = 0; i < n; i++)
		c[i] = hosts[h[i]];
	plan(c, n, res);
}

static const struct cpu_conflict *find_conflict(const struct cpu_plan_result *r, unsigned host,
						const char *what)
{
	for (unsigned i = 0; i < r->nr_conflicts; i++)
		if (r->conflicts[i].host == host && !strcmp(r->conflicts[i].what, what))
			return &r->conflicts[i];
	return NULL;
}

/* The named features of a description, space-separated, in Linux's order of the list. */
static bool has_feature(const struct cpu_desc *d, const char *want)
{
	const char *name;
	bool has;

	for (unsigned k = 0; (name = idregs__feature(k, d, &has)); k++)
		if (!strcmp(name, want))
			return has;
	fail_msg("no feature named %s", want);
	return false;
}

static void plan_desc(const struct cpu_plan *p, struct cpu_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->present = true;
	for (unsigned idx = 0; idx < IDREG_COUNT; idx++) {
		d->valid[idx] = p->planned[idx];
		d->value[idx] = p->value[idx];
	}
}

/* ---- the fixtures as KVM and Linux saw them ---- */

/* Each host's features are exactly those its own Linux listed in /proc/cpuinfo. */
static void test_features_match_cpuinfo(void **state)
{
	for (unsigned i = 0; i < NR_HOSTS; i++) {
		const struct cpu_desc *d = &hosts[i]->cpu;
		char words[1024], *w, *save;
		unsigned listed = 0, ours = 0;
		const char *name;
		bool has;

		assert_true(d->present);
		snprintf(words, sizeof(words), "%s", fixtures[i].cpuinfo);
		for (w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save), listed++)
			if (!has_feature(d, w))
				fail_msg("%s: Linux lists %s, the ID registers do not", fixtures[i].file, w);
		for (unsigned k = 0; (name = idregs__feature(k, d, &has)); k++)
			ours += has;
		if (ours != listed)
			fail_msg("%s: %u features from the ID registers, Linux lists %u",
				 fixtures[i].file, ours, listed);
	}
}

/*
 * Every register the fixtures have is at the id KVM_GET_REG_LIST gave
 * for it; its name reads back to its index.
 */
static void test_register_ids(void **state)
{
	char name[32];

	for (unsigned i = 0; i < NR_HOSTS; i++) {
		const struct cpu_desc *d = &hosts[i]->cpu;
		unsigned found = 0, valid = 0;

		assert_int_equal(d->nr_ids, d->nr_regs);
		assert_true(d->nr_regs > 300);
		for (unsigned idx = 0; idx < IDREG_COUNT; idx++) {
			if (!d->valid[idx])
				continue;
			valid++;
			for (unsigned k = 0; k < d->nr_ids; k++)
				found += d->ids[k] == idregs__reg_id(idx);
		}
		assert_int_equal(found, valid);
		assert_int_equal(d->has_masks, fixtures[i].masks);
	}
	/* ARM64_SYS_REG(3, 0, 0, 4, 0) and (3, 3, 0, 0, 1), as the UAPI builds them. */
	assert_int_equal(idregs__reg_id(PFR0), 0x603000000013c020ull);
	assert_int_equal(idregs__reg_id(IDREG_IDX(3, 0, 1)), 0x603000000013d801ull);
	for (unsigned idx = 0; idx < IDREG_COUNT; idx++) {
		idregs__name(idx, name, sizeof(name));
		assert_int_equal(idregs__by_name(name), idx);
	}
	assert_int_equal(idregs__by_name("ID_AA64PFR0_EL2"), -1);
	idregs__name(IDREG_IDX(0, 3, 3), name, sizeof(name));
	assert_string_equal(name, "S3_0_C0_C3_3");
}

/* 6.12 hosts say which bits they let vmm write; 6.1 hosts have no masks at all. */
static void test_masks(void **state)
{
	const struct cpu_desc *max = &hosts[MAX]->cpu, *old = &hosts[BIG61]->cpu;
	struct idreg_field ras = field(PFR0, "RAS"), sve2 = field(ZFR0, "SVEver");

	assert_int_equal(max->mask[PFR0] & idregs__field_mask(&ras), 0);
	assert_int_equal(max->mask[ZFR0] & idregs__field_mask(&sve2), idregs__field_mask(&sve2));
	for (unsigned idx = 0; idx < IDREG_COUNT; idx++)
		assert_int_equal(old->mask[idx], 0);
}

/* ---- the rules ---- */

/* Every field the Arm ARM defines as signed plans to its lowest signed value. */
static void test_signed_fields(void **state)
{
	static const struct {
		unsigned idx;
		const char *name;
	} signed_fields[] = {
		{ PFR0, "FP" }, { PFR0, "AdvSIMD" }, { MMFR0, "TGran4" }, { MMFR0, "TGran64" },
		{ DFR0, "DoubleLock" }, { DFR0, "MTPMU" }, { IDREG_IDX(0, 1, 2), "PerfMon" },
	};
	static const struct {
		unsigned a, b, want;
	} cases[] = {
		{ 0x1, 0xf, 0xf },	/* not implemented (-1) is below everything */
		{ 0xf, 0x0, 0xf },
		{ 0x0, 0x1, 0x0 },
		{ 0x1, 0x1, 0x1 },
		{ 0x7, 0x8, 0x8 },	/* 0x8 is -8 */
	};

	for (size_t i = 0; i < ARRAY_SIZE(signed_fields); i++) {
		struct idreg_field f = field(signed_fields[i].idx, signed_fields[i].name);

		assert_int_equal(f.rule, RULE_SIGNED);
		for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
			struct host_caps *h[2] = { copy(MAX), copy(MAX) };
			struct cpu_plan_result r;

			set_field(&h[0]->cpu, signed_fields[i].idx, f.name, cases[c].a);
			set_field(&h[1]->cpu, signed_fields[i].idx, f.name, cases[c].b);
			plan(h, 2, &r);
			if (plan_field(&r.plan, signed_fields[i].idx, f.name) != cases[c].want)
				fail_msg("%s: plan of 0x%x and 0x%x is 0x%x, want 0x%x", f.name,
					 cases[c].a, cases[c].b,
					 plan_field(&r.plan, signed_fields[i].idx, f.name), cases[c].want);
			cpuplan__free(&r);
			free(h[0]);
			free(h[1]);
		}
	}
	/* An unsigned field takes the lower number: 0xf is a value like any other. */
	struct idreg_field aes = field(ISAR0, "AES"), fp = field(PFR0, "FP");

	assert_int_equal(aes.rule, RULE_LOWER);
	assert_true(idregs__compare(&aes, 0x1, 0xf) < 0);
	assert_true(idregs__compare(&fp, 0x1, 0xf) > 0);
}

/* Cache writeback granules: a larger one is safe; the instruction cache policy must match. */
static void test_ctr_rules(void **state)
{
	struct host_caps *h[2] = { copy(MAX), copy(MAX) };
	struct cpu_plan_result r;

	assert_int_equal(field(IDREG_IDX(3, 0, 1), "CWG").rule, RULE_HIGHER);
	set_field(&h[1]->cpu, IDREG_IDX(3, 0, 1), "CWG", 6);
	set_field(&h[1]->cpu, IDREG_IDX(3, 0, 1), "DminLine", 6);
	plan(h, 2, &r);
	assert_int_equal(plan_field(&r.plan, IDREG_IDX(3, 0, 1), "CWG"), 6);
	assert_int_equal(plan_field(&r.plan, IDREG_IDX(3, 0, 1), "DminLine"), 4);
	/* max's KVM cannot write CWG: it is named; DminLine it can lower. */
	assert_non_null(find_conflict(&r, 0, "CTR_EL0.CWG"));
	assert_null(find_conflict(&r, 1, "CTR_EL0.DminLine"));
	cpuplan__free(&r);
	free(h[0]);
	free(h[1]);
}

/* Pointer authentication: one algorithm on every host, or none (and no ptrauth vcpu feature). */
static void test_same_or_zero(void **state)
{
	struct host_caps *h[2] = { copy(MAX), copy(MAX) };
	struct cpu_plan_result r;

	plan(h, 2, &r);
	assert_int_equal(plan_field(&r.plan, ISAR1, "API"), 1);
	assert_true(r.plan.vcpu_features & 1u << CPU_FEAT_PTRAUTH_ADDRESS);
	cpuplan__free(&r);

	set_field(&h[1]->cpu, ISAR1, "API", 0);
	set_field(&h[1]->cpu, ISAR1, "APA", 5);
	/* Linux's paca: address authentication by any algorithm (here QARMA5). */
	assert_true(has_feature(&h[1]->cpu, "paca"));
	set_field(&h[1]->cpu, ISAR1, "APA", 0);
	assert_false(has_feature(&h[1]->cpu, "paca"));
	set_field(&h[1]->cpu, ISAR1, "APA", 5);
	plan(h, 2, &r);
	assert_int_equal(plan_field(&r.plan, ISAR1, "API"), 0);
	assert_int_equal(plan_field(&r.plan, ISAR1, "APA"), 0);
	assert_false(r.plan.vcpu_features & 1u << CPU_FEAT_PTRAUTH_ADDRESS);
	assert_true(r.plan.vcpu_features & 1u << CPU_FEAT_PTRAUTH_GENERIC);
	/* Without the vcpu feature the fields read 0: no write, so no conflict. */
	assert_null(find_conflict(&r, 0, "ID_AA64ISAR1_EL1.API"));
	cpuplan__free(&r);
	free(h[0]);
	free(h[1]);
}

/* ---- plans over the test bed's CPU models ---- */

/* max and neoverse-n1: no SVE, no SVE2; LRCPC and DotProd are in both, so kept. */
static void test_plan_max_n1(void **state)
{
	const enum host h[] = { MAX, N1 };
	struct idreg_field gic = field(PFR0, "GIC");
	struct cpu_plan_result r;
	struct cpu_desc *d = malloc(sizeof(*d));

	plan_of(h, 2, &r);
	assert_true(r.plan.has_cpu);
	assert_int_equal(r.missing, -1);
	assert_int_equal(r.plan.sve, 0);
	plan_desc(&r.plan, d);
	assert_false(has_feature(d, "sve"));
	assert_false(has_feature(d, "sve2"));
	assert_false(has_feature(d, "sha3"));
	assert_false(has_feature(d, "paca"));
	assert_true(has_feature(d, "lrcpc"));
	assert_true(has_feature(d, "asimddp"));
	assert_true(has_feature(d, "atomics"));
	assert_false(r.plan.vcpu_features & 1u << CPU_FEAT_SVE);
	assert_true(r.plan.vcpu_features & 1u << CPU_FEAT_PMU_V3);
	/* Hidden by leaving out the SVE vcpu feature, not by a write: no conflict. */
	assert_null(find_conflict(&r, 0, "ID_AA64PFR0_EL1.SVE"));
	assert_null(find_conflict(&r, 0, "ID_AA64ZFR0_EL1.SVEver"));
	/* SHA3 max's 6.12 can lower; RAS it cannot (its writable mask leaves it out). */
	assert_null(find_conflict(&r, 0, "ID_AA64ISAR0_EL1.SHA3"));
	assert_non_null(find_conflict(&r, 0, "ID_AA64PFR0_EL1.RAS"));
	assert_true(cpuplan__host_conflicts(&r, 0));
	assert_false(cpuplan__host_conflicts(&r, 1));
	/* Not planned: MIDR, MPIDR, the GIC field, EL2-only fields. */
	assert_false(r.plan.planned[IDREG_IDX(0, 0, 0)]);
	assert_false(r.plan.planned[IDREG_IDX(0, 0, 5)]);
	assert_int_equal(r.plan.mask[PFR0] & idregs__field_mask(&gic), 0);
	cpuplan__free(&r);
	free(d);
}

/* a64fx and max: SVE 128,256; SVE2 off; DC ZVA's block size differs, which nothing can fix. */
static void test_plan_a64fx(void **state)
{
	const enum host h[] = { MAX, A64FX };
	struct host_caps *c[2] = { copy(MAX), copy(A64FX) };
	const struct cpu_conflict *k;
	struct cpu_plan_result r;
	struct cpu_desc *d = malloc(sizeof(*d));

	plan_of(h, 2, &r);
	assert_int_equal(r.plan.sve, 0x3);
	plan_desc(&r.plan, d);
	assert_true(has_feature(d, "sve"));
	assert_false(has_feature(d, "sve2"));
	assert_int_equal(plan_field(&r.plan, ZFR0, "SVEver"), 0);
	k = find_conflict(&r, 1, "DCZID_EL0");
	assert_non_null(k);
	assert_int_equal(k->kind, CONFLICT_NEVER);
	assert_int_equal(k->host_value, 6);
	assert_int_equal(k->plan_value, 4);
	cpuplan__free(&r);

	/* Even a host that could write every bit cannot change DCZID_EL0. */
	for (unsigned i = 0; i < 2; i++)
		for (unsigned idx = 0; idx < IDREG_COUNT; idx++)
			c[i]->cpu.mask[idx] = ~0ull;
	plan(c, 2, &r);
	for (unsigned i = 0; i < r.nr_conflicts; i++)
		assert_int_not_equal(r.conflicts[i].kind, CONFLICT_NOT_WRITABLE);
	assert_non_null(find_conflict(&r, 1, "DCZID_EL0"));
	cpuplan__free(&r);
	free(c[0]);
	free(c[1]);
	free(d);
}

/* A 6.1 host cannot write any ID register: a field it must lower is a conflict naming it. */
static void test_plan_61_conflict(void **state)
{
	const enum host h[] = { N1, BIG61 };
	const enum host same[] = { BIG61, BIG61 };
	const struct cpu_conflict *k;
	struct cpu_plan_result r;

	plan_of(h, 2, &r);
	k = find_conflict(&r, 1, "ID_AA64ISAR0_EL1.SHA3");
	assert_non_null(k);
	assert_int_equal(k->kind, CONFLICT_NOT_WRITABLE);
	assert_int_equal(k->host_value, 1);
	assert_int_equal(k->plan_value, 0);
	assert_true(cpuplan__host_conflicts(&r, 1));
	/* The cache geometry: real values on 6.1, KVM's own on 6.12. */
	assert_non_null(find_conflict(&r, 1, "CCSIDR (cache geometry)"));
	cpuplan__free(&r);

	/* Two alike 6.1 hosts need no write: no conflict. */
	plan_of(same, 2, &r);
	assert_int_equal(r.nr_conflicts, 0);
	cpuplan__free(&r);
}

/* A file without "cpu" (an older vmm): only the SVE set is planned. */
static void test_plan_without_cpu(void **state)
{
	struct host_caps *c[2] = { copy(MAX), copy(A64FX) };
	struct cpu_plan_result r;

	c[1]->cpu.present = false;
	plan(c, 2, &r);
	assert_int_equal(r.missing, 1);
	assert_false(r.plan.has_cpu);
	assert_int_equal(r.plan.sve, 0x3);
	cpuplan__free(&r);
	free(c[0]);
	free(c[1]);
}


/* --accept: fields the operator accepts as each host has them are not planned, and no conflict. */
static void test_accept(void **state)
{
	const struct cpu_desc *d[2] = { &hosts[MAX]->cpu, &hosts[N1]->cpu };
	const vq_mask_t sve[2] = { hosts[MAX]->sve, hosts[N1]->sve };
	struct idreg_field ras = field(PFR0, "RAS");
	uint64_t *accept = calloc(IDREG_COUNT, sizeof(*accept));
	struct cpu_plan_result r;
	char err[256];

	assert_int_equal(cpuplan__parse_accept("ID_AA64PFR0_EL1.RAS,ID_AA64MMFR2_EL1.IDS", accept,
					       err, sizeof(err)), 0);
	assert_int_equal(accept[PFR0], idregs__field_mask(&ras));
	assert_int_equal(accept[IDREG_IDX(0, 7, 2)], 0xfull << 36);
	assert_int_equal(cpuplan__plan(d, sve, 2, accept, &r), 0);
	assert_int_equal(r.nr_conflicts, 0);
	assert_int_equal(r.plan.mask[PFR0] & idregs__field_mask(&ras), 0);
	assert_int_equal(r.accepted[PFR0], idregs__field_mask(&ras));
	/* The rest is planned as before: SHA3 off, on max by a write. */
	assert_int_equal(plan_field(&r.plan, ISAR0, "SHA3"), 0);
	cpuplan__free(&r);

	static const struct {
		const char *list, *msg;
	} bad[] = {
		{ "ID_AA64PFR0_EL1.RASS", "--accept: no field 'ID_AA64PFR0_EL1.RASS' in the feature ID registers" },
		{ "RAS", "--accept: 'RAS' is not REGISTER.FIELD (e.g. ID_AA64PFR0_EL1.RAS)" },
		{ "ID_AA64PFR0_EL1.RAS,", "--accept: '' is not REGISTER.FIELD (e.g. ID_AA64PFR0_EL1.RAS)" },
		{ "DCZID_EL0.BS", "--accept: DCZID_EL0.BS cannot be accepted: a guest that moves would see another value" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(cpuplan__parse_accept(bad[i].list, accept, err, sizeof(err)),
				 -VMM_ERR_INPUT);
		assert_string_equal(err, bad[i].msg);
	}
	free(accept);
}

/* The same through caps__plan: the summary says what is accepted, and everyone runs the plan. */
static void test_accept_summary(void **state)
{
	const char *files[] = { fixtures[MAX].file, fixtures[N1].file };
	char *text = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_int_equal(caps__plan(files, 2, f, false, "ID_AA64PFR0_EL1.RAS,ID_AA64MMFR2_EL1.IDS",
				    err, sizeof(err)), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(text, "\naccepted, not planned (each host shows its own): "
			       "ID_AA64PFR0_EL1.RAS, ID_AA64MMFR2_EL1.IDS\n"));
	assert_non_null(strstr(text, "\nevery host can run this plan\n"));
	assert_null(strstr(text, "conflict"));
	free(text);
	f = open_memstream(&text, &len);
	assert_int_equal(caps__plan(files, 2, f, false, "bogus", err, sizeof(err)), -VMM_ERR_INPUT);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(len, 0);
	assert_string_equal(err, "caps --plan --accept: 'bogus' is not REGISTER.FIELD "
			    "(e.g. ID_AA64PFR0_EL1.RAS)");
	free(text);
}


/* ---- can a host give a plan (what `vmm run --cpu-plan` will check) ---- */

/* Plans hosts h[0..n) with accept (NULL: none) and checks the plan on host `on`. */
static int check_on(const enum host *h, unsigned n, const char *accept, enum host on,
		    char *err, size_t errlen)
{
	const struct cpu_desc *d[8];
	vq_mask_t sve[8];
	uint64_t *acc = calloc(IDREG_COUNT, sizeof(*acc));
	struct cpu_plan_result r;
	int ret;

	for (unsigned i = 0; i < n; i++) {
		d[i] = &hosts[h[i]]->cpu;
		sve[i] = hosts[h[i]]->sve;
	}
	if (accept)
		assert_int_equal(cpuplan__parse_accept(accept, acc, err, errlen), 0);
	assert_int_equal(cpuplan__plan(d, sve, n, accept ? acc : NULL, &r), 0);
	err[0] = '\0';
	ret = cpuplan__check_host(&r.plan, &hosts[on]->cpu, hosts[on]->sve, err, errlen);
	/* The planner and the check agree: a host the plan names cannot run it. */
	for (unsigned i = 0; i < n; i++)
		if (h[i] == on)
			assert_int_equal(ret != 0, cpuplan__host_conflicts(&r, i));
	cpuplan__free(&r);
	free(acc);
	return ret;
}

static void test_check_host(void **state)
{
	const enum host max_n1[] = { MAX, N1 }, n1_a76[] = { N1, A76 };
	const enum host max_only[] = { MAX }, a64fx_only[] = { A64FX }, max_61[] = { MAX, BIG61 };
	const char *ras_ids = "ID_AA64PFR0_EL1.RAS,ID_AA64MMFR2_EL1.IDS";
	char err[256];

	/* A host runs its own plan; and max+n1 with RAS and IDS accepted on both. */
	assert_int_equal(check_on(max_only, 1, NULL, MAX, err, sizeof(err)), 0);
	assert_int_equal(check_on(max_n1, 2, ras_ids, MAX, err, sizeof(err)), 0);
	assert_int_equal(check_on(max_n1, 2, ras_ids, N1, err, sizeof(err)), 0);
	/* Without --accept, max cannot lower RAS. */
	assert_int_equal(check_on(max_n1, 2, NULL, MAX, err, sizeof(err)), -VMM_ERR_HOST);
	assert_string_equal(err, "CPU plan: ID_AA64PFR0_EL1.RAS is 0x1 in the plan, 0x2 on this "
			    "host: and this host's kernel cannot write it");
	/*
	 * A plan above what a host has, on a Cortex-A72: the first field in
	 * register order is the AArch32 CSV2 (ID_PFR0_EL1[19:16]) it lacks.
	 */
	assert_int_equal(check_on(max_n1, 2, ras_ids, A72, err, sizeof(err)), -VMM_ERR_HOST);
	assert_string_equal(err, "CPU plan: ID_PFR0_EL1.[19:16] is 0x1 in the plan, 0x0 on "
			    "this host: more than this host has");
	/* SVE lengths: a64fx's 128..512 on neoverse-n1. */
	assert_int_equal(check_on(a64fx_only, 1, NULL, N1, err, sizeof(err)), -VMM_ERR_HOST);
	assert_string_equal(err, "CPU plan: SVE lengths 128,256,512, which this host (no SVE) "
			    "cannot give");
	/* a64fx's plan on max: 512 is fine, but not the DC ZVA block size... first a field. */
	assert_int_equal(check_on(a64fx_only, 1, NULL, MAX, err, sizeof(err)), -VMM_ERR_HOST);
	/* The 6.1 host cannot take max's CLIDR. */
	assert_int_equal(check_on(max_61, 2, NULL, BIG61, err, sizeof(err)), -VMM_ERR_HOST);
	assert_string_equal(err, "CPU plan: CLIDR_EL1.[3:0] is 0x1 in the plan, 0x3 on this host: "
			    "and this host's kernel cannot write it");
	/* Two Neoverse-N1-like cores: the plan is theirs, both run it. */
	assert_int_equal(check_on(n1_a76, 2, NULL, A76, err, sizeof(err)), 0);
}

/* DCZID_EL0 differs, every field alike: the one thing no kernel changes. */
static void test_check_dczid(void **state)
{
	struct host_caps *c = copy(MAX);
	const struct cpu_desc *d = &hosts[MAX]->cpu;
	struct cpu_plan_result r;
	char err[256];

	assert_int_equal(cpuplan__plan(&d, &hosts[MAX]->sve, 1, NULL, &r), 0);
	c->cpu.dczid = 6;
	assert_int_equal(cpuplan__check_host(&r.plan, &c->cpu, c->sve, err, sizeof(err)),
			 -VMM_ERR_HOST);
	assert_string_equal(err, "CPU plan: DCZID_EL0 is 0x4 in the plan, 0x6 on this host: "
			    "and no kernel can change it");
	/* The value to write keeps the host's bits outside the plan's fields. */
	c->cpu.dczid = 4;
	c->cpu.value[PFR0] ^= 0xfull << 24;	/* GIC: not planned */
	assert_int_equal(cpuplan__reg_value(&r.plan, &c->cpu, PFR0), c->cpu.value[PFR0]);
	cpuplan__free(&r);
	free(c);
}

/* ---- files ---- */

static char *plan_text(const char *const *files, unsigned n, bool json)
{
	char *text = NULL, err[512];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	if (caps__plan(files, n, f, json, NULL, err, sizeof(err)))
		fail_msg("caps --plan: %s", err);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* The plan file reads back (cpuplan__parse) to the plan the planner made. */
static void test_plan_file_round_trip(void **state)
{
	const char *files[] = { fixtures[MAX].file, fixtures[A64FX].file, fixtures[N1].file };
	const enum host h[] = { MAX, A64FX, N1 };
	struct cpu_plan *back = malloc(sizeof(*back));
	struct cpu_plan_result r;
	char err[256];

	for (unsigned n = 1; n <= 3; n++) {
		char *text = plan_text(files, n, true);

		plan_of(h, n, &r);
		if (cpuplan__parse(text, strlen(text), back, err, sizeof(err)))
			fail_msg("%s\n%s", err, text);
		assert_int_equal(back->sve, r.plan.sve);
		assert_true(back->has_cpu);
		assert_int_equal(back->vcpu_features, r.plan.vcpu_features);
		assert_int_equal(back->cntfrq, r.plan.cntfrq);
		assert_int_equal(back->dczid, r.plan.dczid);
		assert_memory_equal(back->planned, r.plan.planned, sizeof(back->planned));
		assert_memory_equal(back->value, r.plan.value, sizeof(back->value));
		assert_memory_equal(back->mask, r.plan.mask, sizeof(back->mask));
		assert_int_equal(back->nr_ccsidr, r.plan.nr_ccsidr);
		for (unsigned i = 0; i < back->nr_ccsidr; i++) {
			assert_int_equal(back->ccsidr[i].csselr, r.plan.ccsidr[i].csselr);
			assert_int_equal(back->ccsidr[i].value, r.plan.ccsidr[i].value);
		}
		cpuplan__free(&r);
		free(text);
	}
	free(back);
}

/* The human summary names what is off and why, and the hosts that cannot run the plan. */
static void test_plan_summary(void **state)
{
	const char *files[] = { fixtures[MAX].file, fixtures[N1].file, fixtures[A64FX].file };
	char *text = plan_text(files, 2, false), want[512];

	snprintf(want, sizeof(want), "\nsve2: off (%s has none)\n", files[1]);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "launch with: --sve-vls=off\n"));
	snprintf(want, sizeof(want), "\nconflict: %s: ID_AA64PFR0_EL1.RAS is 0x2, the plan needs "
		 "0x1, and its kernel cannot write it\n", files[0]);
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof(want), "\ncannot run this plan: %s (", files[0]);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, " lrcpc"));
	free(text);

	text = plan_text(files, 3, false);
	snprintf(want, sizeof(want), "\nsve2: off (%s, %s have none)\n", files[1], files[2]);
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof(want), "\nconflict: %s: DCZID_EL0 is 0x6, the first host's 0x4: "
		 "no kernel can change it\n", files[2]);
	assert_non_null(strstr(text, want));
	free(text);
}


/* ---- the "cpu" object read back, and bad ones ---- */

static char *caps_text(const struct host_caps *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	caps__print_json(f, c);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* What caps --json writes reads back to the same description. */
static void test_cpu_json_round_trip(void **state)
{
	struct host_caps *back = malloc(sizeof(*back));
	char err[256];

	for (unsigned h = 0; h < NR_HOSTS; h++) {
		char *text = caps_text(hosts[h]);
		const struct cpu_desc *a = &hosts[h]->cpu, *b = &back->cpu;

		if (caps__parse_json(text, strlen(text), back, err, sizeof(err)))
			fail_msg("%s: %s", fixtures[h].file, err);
		assert_true(b->present);
		assert_int_equal(b->vcpu_features, a->vcpu_features);
		assert_int_equal(b->has_masks, a->has_masks);
		assert_int_equal(b->cntfrq, a->cntfrq);
		assert_int_equal(b->dczid, a->dczid);
		assert_memory_equal(b->valid, a->valid, sizeof(a->valid));
		assert_memory_equal(b->value, a->value, sizeof(a->value));
		assert_memory_equal(b->mask, a->mask, sizeof(a->mask));
		assert_int_equal(b->nr_ccsidr, a->nr_ccsidr);
		assert_memory_equal(b->ccsidr, a->ccsidr, a->nr_ccsidr * sizeof(a->ccsidr[0]));
		assert_int_equal(b->nr_regs, a->nr_regs);
		assert_int_equal(b->reg_digest, a->reg_digest);
		assert_memory_equal(b->ids, a->ids, a->nr_ids * sizeof(a->ids[0]));
		free(text);
	}
	free(back);
}

#define CPU_HEAD "{\"format\": 1, \"host\": \"h\", \"sve\": {\"supported\": false, \"vector_lengths\": []}, "
#define CPU_OK(rest) CPU_HEAD "\"cpu\": {\"vcpu_features\": [\"psci-0.2\"], \"cntfrq_el0\": 100, " \
	"\"dczid_el0\": \"0x4\", \"id_regs\": {\"MIDR_EL1\": \"0x1\"}, " rest "}}"

static const struct {
	const char *text, *msg;
} bad_cpus[] = {
	{ CPU_HEAD "\"cpu\": []}", "\"cpu\" is an array, expected an object" },
	{ CPU_OK("\"writable_masks\": false, \"x\": 1"), NULL },	/* good: the base case */
	{ CPU_OK("\"writable_masks\": 0"), "\"cpu.writable_masks\" is a number, expected a boolean" },
	{ CPU_OK("\"writable_masks\": true"), "missing \"cpu.id_reg_masks\" (an object)" },
	{ CPU_OK("\"writable_masks\": true, \"id_reg_masks\": {\"ID_FOO_EL1\": \"0x1\"}"),
	  "\"cpu.id_reg_masks\" has \"ID_FOO_EL1\", not a feature ID register" },
	{ CPU_HEAD "\"cpu\": {\"vcpu_features\": [\"sve3\"]}}",
	  "\"cpu.vcpu_features[0]\" is \"sve3\", not a vcpu feature vmm knows" },
	{ CPU_HEAD "\"cpu\": {\"vcpu_features\": [], \"cntfrq_el0\": -1}}",
	  "\"cpu.cntfrq_el0\" is -1, outside 0..4294967295" },
	{ CPU_HEAD "\"cpu\": {\"vcpu_features\": [], \"cntfrq_el0\": 1, \"dczid_el0\": 4}}",
	  "\"cpu.dczid_el0\" is a number, expected a string" },
	{ CPU_HEAD "\"cpu\": {\"vcpu_features\": [], \"cntfrq_el0\": 1, \"dczid_el0\": \"4\"}}",
	  "\"cpu.dczid_el0\" is \"4\", not a 64-bit hex number \"0x...\"" },
	{ CPU_HEAD "\"cpu\": {\"vcpu_features\": [], \"cntfrq_el0\": 1, \"dczid_el0\": \"0x1ffffffffffffffff\"}}",
	  "\"cpu.dczid_el0\" is \"0x1ffffffffffffffff\", not a 64-bit hex number" },
	{ CPU_HEAD "\"cpu\": {\"vcpu_features\": [], \"cntfrq_el0\": 1, \"dczid_el0\": \"0xg\"}}",
	  "not a 64-bit hex number" },
	{ CPU_OK("\"writable_masks\": false, \"ccsidr\": {\"2\": \"0x1\", \"1\": \"0x1\"}"),
	  "\"cpu.ccsidr\" has the key \"1\": CSSELR values are increasing numbers 0..255" },
	{ CPU_OK("\"writable_masks\": false, \"ccsidr\": {\"0\": \"0x100000000\"}"),
	  "\"cpu.ccsidr.0\" is 0x100000000, wider than 32 bits" },
	{ CPU_OK("\"writable_masks\": false, \"reg_list\": {\"count\": 1, \"digest\": \"0x1\", \"ids\": [\"0x2\"]}"),
	  "\"cpu.reg_list.digest\" is not the digest of its ids" },
	{ CPU_OK("\"writable_masks\": false, \"reg_list\": {\"count\": 2, \"digest\": \"0x1\", \"ids\": [\"0x2\"]}"),
	  "\"cpu.reg_list.ids\" has 1 ids, \"count\" says 2" },
};

static void test_bad_cpu(void **state)
{
	struct host_caps *c = malloc(sizeof(*c));
	char err[256];

	for (size_t i = 0; i < ARRAY_SIZE(bad_cpus); i++) {
		int ret = caps__parse_json(bad_cpus[i].text, strlen(bad_cpus[i].text), c,
					   err, sizeof(err));

		if (!bad_cpus[i].msg) {
			if (ret)
				fail_msg("good cpu %zu refused: %s", i, err);
			assert_true(c->cpu.present);
			assert_int_equal(c->cpu.value[0], 1);
			continue;
		}
		assert_int_equal(ret, -VMM_ERR_INPUT);
		if (!strstr(err, bad_cpus[i].msg))
			fail_msg("case %zu: \"%s\", want \"%s\"", i, err, bad_cpus[i].msg);
	}
	free(c);
}

#define PLAN(cpu) "{\"format\": 1, \"common_vector_lengths\": [128, 256], \"cpu\": " cpu "}"

static const struct {
	const char *text, *msg;
} bad_plans[] = {
	{ "{\"format\": 1}", "missing \"common_vector_lengths\" (an array)" },
	{ "{\"format\": 1, \"common_vector_lengths\": [256]}", "\"common_vector_lengths\" lacks 128" },
	{ PLAN("7"), "\"cpu\" is a number, expected an object" },
	{ PLAN("{\"vcpu_features\": [], \"cntfrq_el0\": 1, \"dczid_el0\": \"0x4\", "
	       "\"id_regs\": {\"ID_AA64PFR0_EL1\": \"0x1\"}}"),
	  "\"cpu.id_regs.ID_AA64PFR0_EL1\" is a string, expected an object {value, mask}" },
	{ PLAN("{\"vcpu_features\": [], \"cntfrq_el0\": 1, \"dczid_el0\": \"0x4\", "
	       "\"id_regs\": {\"ID_AA64PFR0_EL1\": {\"value\": \"0x11\", \"mask\": \"0xf0\"}}}"),
	  "\"cpu.id_regs.ID_AA64PFR0_EL1\" sets bits outside its mask" },
	{ PLAN("{\"vcpu_features\": [], \"cntfrq_el0\": 1, \"dczid_el0\": \"0x4\", "
	       "\"id_regs\": {\"ID_AA64PFR0_EL1\": {\"value\": \"0x11\"}}}"),
	  "missing \"cpu.id_regs.ID_AA64PFR0_EL1.mask\" (a string)" },
};

/* cpuplan__load(): a missing file, and bad plans each named by field. */
static void test_bad_plans(void **state)
{
	struct cpu_plan *p = malloc(sizeof(*p));
	char err[256];

	assert_int_equal(cpuplan__load("/no/such/plan.json", p, err, sizeof(err)), -VMM_ERR_INPUT);
	assert_string_equal(err, "/no/such/plan.json: No such file or directory");
	/* A caps file is no plan: it lacks the common set. */
	assert_int_equal(cpuplan__load(fixtures[MAX].file, p, err, sizeof(err)), -VMM_ERR_INPUT);
	assert_non_null(strstr(err, "missing \"common_vector_lengths\""));
	for (size_t i = 0; i < ARRAY_SIZE(bad_plans); i++) {
		assert_int_equal(cpuplan__parse(bad_plans[i].text, strlen(bad_plans[i].text), p,
						err, sizeof(err)), -VMM_ERR_INPUT);
		if (strcmp(err, bad_plans[i].msg))
			fail_msg("plan %zu: \"%s\", want \"%s\"", i, err, bad_plans[i].msg);
	}
	/* An SVE-only plan (the hosts' files had no "cpu"). */
	const char *sve_only = "{\"format\": 1, \"common_vector_lengths\": [128], \"cpu\": null}";
	assert_int_equal(cpuplan__parse(sve_only, strlen(sve_only), p, err, sizeof(err)), 0);
	assert_int_equal(p->sve, 1);
	assert_false(p->has_cpu);
	free(p);
}

/* idregs__index() is idregs__reg_id()'s inverse; other ids are outside the range. */
static void test_reg_index(void **state)
{
	for (unsigned idx = 0; idx < IDREG_COUNT; idx++)
		assert_int_equal(idregs__index(idregs__reg_id(idx)), idx);
	assert_int_equal(idregs__index(0x6030000000100000ull), -1);	/* x0 */
	/* CSSELR_EL1 (op0 3, op1 2, CRn 0): not in the feature ID range. */
	assert_int_equal(idregs__index(0x603000000013d000ull), -1);
}

/*
 * Neoverse-N1's ID_AA64PFR0_EL1 on max (6.12): RAS (bits 28..31) differs
 * and max's writable mask leaves it out (KVM 6.12 does not let userspace
 * lower RAS; SVE, which differs too, neither, while DIT is writable).
 */
static void test_blocking_field(void **state)
{
	const struct cpu_desc *max = &hosts[MAX]->cpu, *n1 = &hosts[N1]->cpu;
	struct idreg_field f;
	bool writable;

	assert_true(idregs__blocking_field(PFR0, n1->value[PFR0], max->value[PFR0],
					   max->mask[PFR0], &f, &writable));
	assert_string_equal(f.name, "RAS");
	assert_false(writable);
	assert_int_equal(idregs__field_get(&f, n1->value[PFR0]), 1);
	assert_int_equal(idregs__field_get(&f, max->value[PFR0]), 2);
	/* Only DIT (bits 48..51) differs, and it is writable: KVM refused more than N1 has. */
	uint64_t dit_on = n1->value[PFR0] | 1ull << 48;

	assert_true(idregs__blocking_field(PFR0, dit_on, n1->value[PFR0], n1->mask[PFR0], &f,
					   &writable));
	assert_string_equal(f.name, "DIT");
	assert_true(writable);
	assert_false(idregs__blocking_field(PFR0, max->value[PFR0], max->value[PFR0], 0, &f,
					    &writable));
}

/* cpuplan__load_text() keeps the file's bytes as they were and parses them. */
static void test_load_text(void **state)
{
	const char *files[] = { fixtures[MAX].file, fixtures[N1].file };
	char *text = plan_text(files, 2, true), *kept = NULL, err[256];
	char path[] = "/tmp/test_cpuplan.XXXXXX";
	struct cpu_plan *p = malloc(sizeof(*p));
	size_t len = 0;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(cpuplan__load_text(path, p, &kept, &len, err, sizeof(err)), 0);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(kept, text, len);
	assert_true(p->has_cpu);
	free(kept);
	kept = NULL;
	/* A bad file keeps nothing. */
	assert_int_equal(truncate(path, 10), 0);
	assert_int_equal(cpuplan__load_text(path, p, &kept, &len, err, sizeof(err)),
			 -VMM_ERR_INPUT);
	assert_null(kept);
	unlink(path);
	free(text);
	free(p);
}

/* ---- labels ---- */

/* A Kubernetes label name (no prefix) or value: 1..63 of [A-Za-z0-9._-], alphanumeric at both ends. */
static bool k8s_word(const char *s, size_t len)
{
	if (!len || len > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

static char *labels(enum host h)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	caps__print_labels(f, hosts[h]);
	assert_int_equal(fclose(f), 0);
	return text;
}

static void test_label_values(void);

static void test_labels(void **state)
{
	for (unsigned h = 0; h < NR_HOSTS; h++) {
		char *text = labels(h), *line, *save, *eq;
		unsigned features = 0, listed = 0;

		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			eq = strchr(line, '=');
			assert_non_null(eq);
			if (!k8s_word(line, eq - line) || !k8s_word(eq + 1, strlen(eq + 1)))
				fail_msg("%s: not a valid label: %s", fixtures[h].file, line);
			features += !strncmp(line, "vmm-cpu-", 8);
		}
		free(text);
		/* One label per feature Linux lists. */
		text = strdup(fixtures[h].cpuinfo);
		for (line = strtok_r(text, " ", &save); line; line = strtok_r(NULL, " ", &save))
			listed++;
		assert_int_equal(features, listed);
		free(text);
	}
	test_label_values();
}

static void test_label_values(void)
{
	char *max = labels(MAX), *n1 = labels(N1), *a64fx = labels(A64FX);

	assert_non_null(strstr(max, "vmm-sve-vl-256=true\n"));
	assert_non_null(strstr(max, "vmm-sve-vl-2048=true\n"));
	assert_non_null(strstr(max, "vmm-sve-max-vl=2048\n"));
	assert_non_null(strstr(max, "vmm-cpu-sve2=true\n"));
	assert_non_null(strstr(max, "vmm-writable-id-regs=true\n"));
	assert_non_null(strstr(a64fx, "vmm-sve-vl-512=true\n"));
	assert_null(strstr(a64fx, "vmm-sve-vl-384"));
	assert_null(strstr(a64fx, "vmm-cpu-sve2"));
	assert_non_null(strstr(a64fx, "vmm-dczid-bs=6\n"));
	assert_non_null(strstr(n1, "vmm-sve=false\n"));
	assert_non_null(strstr(n1, "vmm-sve-max-vl=0\n"));
	assert_null(strstr(n1, "vmm-sve-vl-"));
	assert_non_null(strstr(n1, "vmm-cpu-lrcpc=true\n"));
	free(max);
	free(n1);
	free(a64fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_features_match_cpuinfo),
		cmocka_unit_test(test_register_ids),
		cmocka_unit_test(test_masks),
		cmocka_unit_test(test_signed_fields),
		cmocka_unit_test(test_ctr_rules),
		cmocka_unit_test(test_same_or_zero),
		cmocka_unit_test(test_plan_max_n1),
		cmocka_unit_test(test_plan_a64fx),
		cmocka_unit_test(test_plan_61_conflict),
		cmocka_unit_test(test_plan_without_cpu),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_accept_summary),
		cmocka_unit_test(test_check_host),
		cmocka_unit_test(test_check_dczid),
		cmocka_unit_test(test_plan_file_round_trip),
		cmocka_unit_test(test_plan_summary),
		cmocka_unit_test(test_cpu_json_round_trip),
		cmocka_unit_test(test_bad_cpu),
		cmocka_unit_test(test_bad_plans),
		cmocka_unit_test(test_reg_index),
		cmocka_unit_test(test_blocking_field),
		cmocka_unit_test(test_load_text),
		cmocka_unit_test(test_labels),
	};

	return cmocka_run_group_tests(tests, load_fixtures, free_fixtures);
}
