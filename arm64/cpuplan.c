/*
 * The CPU plan of a fleet: per ID register field, the value every host
 * can give, by the field's rule (arm64/idregs.c), and the hosts that
 * cannot write it (docs/caps.md, "Planning the CPU").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm64/cpuid.h"
#include "vmm/util.h"

struct planner {
	const struct cpu_desc *const *d;
	unsigned n;
	const uint64_t *accept;
	struct cpu_plan_result *res;
	unsigned cap;		/* conflicts allocated */
};

static int add_conflict(struct planner *p, unsigned host, enum cpu_conflict_kind kind,
			const char *what, uint64_t host_value, uint64_t plan_value)
{
	struct cpu_plan_result *r = p->res;
	struct cpu_conflict *c;

	if (r->nr_conflicts == p->cap) {
		unsigned cap = p->cap ? 2 * p->cap : 16;

		c = realloc(r->conflicts, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		r->conflicts = c;
		p->cap = cap;
	}
	c = &r->conflicts[r->nr_conflicts++];
	c->host = host;
	c->kind = kind;
	snprintf(c->what, sizeof(c->what), "%s", what);
	c->host_value = host_value;
	c->plan_value = plan_value;
	return 0;
}

/* The value of a field that every host can give, by its rule. */
static unsigned plan_field(const struct planner *p, unsigned idx, const struct idreg_field *f)
{
	unsigned v = idregs__field_get(f, p->d[0]->value[idx]), h;

	for (unsigned i = 1; i < p->n; i++) {
		h = idregs__field_get(f, p->d[i]->value[idx]);
		switch (f->rule) {
		case RULE_LOWER:
		case RULE_SIGNED:
		case RULE_HIGHER:
			if (idregs__compare(f, h, v) < 0)
				v = h;
			break;
		case RULE_SAME_OR_ZERO:
			if (h != v)
				return 0;
			break;
		default:	/* EXACT, FIXED: the first host's */
			break;
		}
	}
	return v;
}

/*
 * Fields that a vcpu shows only with a KVM_ARM_VCPU_INIT feature: a plan
 * without the feature needs no write to hide them.
 */
static const struct {
	unsigned feature, idx;
	uint64_t bits;
} by_feature[] = {
	{ CPU_FEAT_SVE, IDREG_IDX(0, 4, 0), 0xfull << 32 },		/* PFR0.SVE */
	{ CPU_FEAT_SVE, IDREG_IDX(0, 4, 4), ~0ull },			/* ZFR0 */
	{ CPU_FEAT_PMU_V3, IDREG_IDX(0, 5, 0), 0xfull << 8 },		/* DFR0.PMUVer */
	{ CPU_FEAT_PTRAUTH_ADDRESS, IDREG_IDX(0, 6, 1), 0xffull << 4 },	/* ISAR1.APA, API */
	{ CPU_FEAT_PTRAUTH_ADDRESS, IDREG_IDX(0, 6, 2), 0xfull << 12 },	/* ISAR2.APA3 */
	{ CPU_FEAT_PTRAUTH_GENERIC, IDREG_IDX(0, 6, 1), 0xffull << 24 },	/* ISAR1.GPA, GPI */
	{ CPU_FEAT_PTRAUTH_GENERIC, IDREG_IDX(0, 6, 2), 0xfull << 8 },	/* ISAR2.GPA3 */
};

/* The vcpu feature that shows this field, or -1. */
static int shown_by(unsigned idx, uint64_t fmask)
{
	for (size_t i = 0; i < ARRAY_SIZE(by_feature); i++)
		if (by_feature[i].idx == idx && (by_feature[i].bits & fmask) == fmask)
			return by_feature[i].feature;
	return -1;
}

/* Whether any field the plan gives a value shows this vcpu feature. */
static bool feature_shown(const struct cpu_plan *plan, unsigned feature)
{
	for (size_t i = 0; i < ARRAY_SIZE(by_feature); i++) {
		unsigned idx = by_feature[i].idx;

		if (by_feature[i].feature == feature && plan->planned[idx] &&
		    (plan->value[idx] & by_feature[i].bits))
			return true;
	}
	return false;
}

/* A plan whose fields hide all that a feature shows goes without the feature. */
static void drop_hidden_features(struct cpu_plan *plan)
{
	for (size_t i = 0; i < ARRAY_SIZE(by_feature); i++)
		if (!feature_shown(plan, by_feature[i].feature))
			plan->vcpu_features &= ~(1u << by_feature[i].feature);
}

/*
 * Each host whose field differs from the plan must be able to write it,
 * or leave out the vcpu feature that shows it (the plan's value is 0).
 */
static int check_hosts(struct planner *p, unsigned idx, const struct idreg_field *f,
		       unsigned want)
{
	uint64_t fmask = idregs__field_mask(f);
	int feature = shown_by(idx, fmask), err = 0;
	char what[64], reg[32];

	idregs__name(idx, reg, sizeof(reg));
	snprintf(what, sizeof(what), "%s.%s", reg, f->name);
	for (unsigned i = 0; i < p->n && !err; i++) {
		const struct cpu_desc *d = p->d[i];
		unsigned have = idregs__field_get(f, d->value[idx]);

		if (have == want)
			continue;
		if (want == 0 && feature >= 0 && !(p->res->plan.vcpu_features & 1u << feature))
			continue;
		if (f->rule == RULE_FIXED)
			err = add_conflict(p, i, CONFLICT_NEVER, what, have, want);
		else if (!d->has_masks || (d->mask[idx] & fmask) != fmask)
			err = add_conflict(p, i, CONFLICT_NOT_WRITABLE, what, have, want);
	}
	return err;
}

static int plan_register(struct planner *p, unsigned idx)
{
	struct cpu_plan *plan = &p->res->plan;
	struct idreg_field f;
	unsigned v;
	int err = 0;

	for (unsigned i = 0; i < p->n; i++)
		if (!p->d[i]->valid[idx])
			return 0;	/* not on every host: each keeps its own */
	for (unsigned k = 0; idregs__field(idx, k, &f) && !err; k++) {
		if (f.rule == RULE_IGNORE)
			continue;
		if (p->accept && (p->accept[idx] & idregs__field_mask(&f))) {
			p->res->accepted[idx] |= idregs__field_mask(&f);
			continue;
		}
		v = plan_field(p, idx, &f);
		plan->mask[idx] |= idregs__field_mask(&f);
		plan->value[idx] |= (uint64_t)v << f.shift;
		err = check_hosts(p, idx, &f, v);
	}
	plan->planned[idx] = plan->mask[idx] != 0;
	return err;
}

/* Every register, from scratch, with the plan's vcpu features as they are. */
static int plan_registers(struct planner *p)
{
	struct cpu_plan_result *res = p->res;
	int err = 0;

	memset(res->plan.planned, 0, sizeof(res->plan.planned));
	memset(res->plan.value, 0, sizeof(res->plan.value));
	memset(res->plan.mask, 0, sizeof(res->plan.mask));
	memset(res->accepted, 0, sizeof(res->accepted));
	res->nr_conflicts = 0;
	for (unsigned idx = 0; idx < IDREG_COUNT && !err; idx++)
		err = plan_register(p, idx);
	return err;
}

/* What vmm reads itself: KVM cannot change these, so they must be equal. */
static int plan_fixed(struct planner *p)
{
	struct cpu_plan *plan = &p->res->plan;
	int err = 0;

	plan->cntfrq = p->d[0]->cntfrq;
	plan->dczid = p->d[0]->dczid;
	for (unsigned i = 1; i < p->n && !err; i++) {
		if (p->d[i]->dczid != plan->dczid)
			err = add_conflict(p, i, CONFLICT_NEVER, "DCZID_EL0", p->d[i]->dczid,
					   plan->dczid);
		if (!err && p->d[i]->cntfrq != plan->cntfrq)
			err = add_conflict(p, i, CONFLICT_NEVER, "CNTFRQ_EL0", p->d[i]->cntfrq,
					   plan->cntfrq);
	}
	return err;
}

static bool same_ccsidr(const struct cpu_desc *a, const struct cpu_desc *b)
{
	if (a->nr_ccsidr != b->nr_ccsidr)
		return false;
	for (unsigned i = 0; i < a->nr_ccsidr; i++)
		if (a->ccsidr[i].csselr != b->ccsidr[i].csselr ||
		    a->ccsidr[i].value != b->ccsidr[i].value)
			return false;
	return true;
}

/* The cache geometry: the first host's; a host with another one is named. */
static int plan_ccsidr(struct planner *p)
{
	struct cpu_plan *plan = &p->res->plan;
	const struct cpu_desc *d0 = p->d[0];
	int err = 0;

	plan->nr_ccsidr = d0->nr_ccsidr;
	memcpy(plan->ccsidr, d0->ccsidr, sizeof(plan->ccsidr));
	for (unsigned i = 1; i < p->n && !err; i++)
		if (!same_ccsidr(p->d[i], d0))
			err = add_conflict(p, i, CONFLICT_CCSIDR, "CCSIDR (cache geometry)",
					   p->d[i]->nr_ccsidr, d0->nr_ccsidr);
	return err;
}

int cpuplan__plan(const struct cpu_desc *const *descs, const vq_mask_t *sve, unsigned n,
		  const uint64_t *accept, struct cpu_plan_result *res)
{
	struct planner p = { .d = descs, .n = n, .accept = accept, .res = res };
	int err = 0;

	memset(res, 0, sizeof(*res));
	res->missing = -1;
	res->plan.sve = sve__plan(sve, n);
	for (unsigned i = 0; i < n; i++) {
		if (!descs[i]->present) {
			res->missing = i;
			return 0;
		}
	}
	if (!n)
		return 0;
	res->plan.has_cpu = true;
	res->plan.vcpu_features = ~0u;
	for (unsigned i = 0; i < n; i++)
		res->plan.vcpu_features &= descs[i]->vcpu_features;
	/* First without the features some host lacks, then also those the fields hide. */
	err = plan_registers(&p);
	if (!err) {
		drop_hidden_features(&res->plan);
		err = plan_registers(&p);
	}
	if (!err)
		err = plan_fixed(&p);
	if (!err)
		err = plan_ccsidr(&p);
	if (err)
		cpuplan__free(res);
	return err;
}

void cpuplan__as_desc(const struct cpu_plan *plan, struct cpu_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->present = true;
	for (unsigned idx = 0; idx < IDREG_COUNT; idx++) {
		d->valid[idx] = plan->planned[idx];
		d->value[idx] = plan->value[idx];
	}
}

void cpuplan__free(struct cpu_plan_result *res)
{
	free(res->conflicts);
	res->conflicts = NULL;
	res->nr_conflicts = 0;
}

bool cpuplan__host_conflicts(const struct cpu_plan_result *res, unsigned host)
{
	for (unsigned i = 0; i < res->nr_conflicts; i++)
		if (res->conflicts[i].host == host)
			return true;
	return false;
}

/* One "REG.FIELD" of an --accept list: its register's index and the field's bits. */
static int accept_one(const char *item, size_t len, uint64_t accept[IDREG_COUNT],
		      char *err, size_t errlen)
{
	char reg[48];
	const char *dot = memchr(item, '.', len);
	struct idreg_field f;
	int idx;

	if (!dot || (size_t)(dot - item) >= sizeof(reg)) {
		set_err(err, errlen, "--accept: '%.*s' is not REGISTER.FIELD "
			"(e.g. ID_AA64PFR0_EL1.RAS)", (int)len, item);
		return -VMM_ERR_INPUT;
	}
	memcpy(reg, item, dot - item);
	reg[dot - item] = '\0';
	idx = idregs__by_name(reg);
	for (unsigned k = 0; idx >= 0 && idregs__field(idx, k, &f); k++) {
		if (strlen(f.name) != len - (dot + 1 - item) ||
		    strncmp(f.name, dot + 1, len - (dot + 1 - item)))
			continue;
		if (f.rule == RULE_FIXED) {
			set_err(err, errlen, "--accept: %.*s cannot be accepted: a guest that "
				"moves would see another value", (int)len, item);
			return -VMM_ERR_INPUT;
		}
		accept[idx] |= idregs__field_mask(&f);
		return 0;
	}
	set_err(err, errlen, "--accept: no field '%.*s' in the feature ID registers",
		(int)len, item);
	return -VMM_ERR_INPUT;
}

int cpuplan__parse_accept(const char *list, uint64_t accept[IDREG_COUNT], char *err, size_t errlen)
{
	const char *item = list, *comma;
	int ret;

	memset(accept, 0, IDREG_COUNT * sizeof(accept[0]));
	do {
		comma = strchr(item, ',');
		ret = accept_one(item, comma ? (size_t)(comma - item) : strlen(item), accept,
				 err, errlen);
		item = comma + 1;
	} while (!ret && comma);
	return ret;
}

/* ---- can this host give a plan? (for `vmm run --cpu-plan`) ---- */

uint64_t cpuplan__reg_value(const struct cpu_plan *plan, const struct cpu_desc *host, unsigned idx)
{
	return (host->value[idx] & ~plan->mask[idx]) | (plan->value[idx] & plan->mask[idx]);
}

/* Whether this host can show value want in field f of register idx. */
static const char *field_problem(const struct cpu_plan *plan, const struct cpu_desc *host,
				 unsigned idx, const struct idreg_field *f, unsigned want)
{
	unsigned have = idregs__field_get(f, host->value[idx]);
	uint64_t fmask = idregs__field_mask(f);
	int feature = shown_by(idx, fmask);

	if (have == want)
		return NULL;
	if (want == 0 && feature >= 0 && !(plan->vcpu_features & 1u << feature))
		return NULL;	/* the vcpu goes without the feature that shows it */
	switch (f->rule) {
	case RULE_LOWER:
	case RULE_SIGNED:
	case RULE_HIGHER:
		if (idregs__compare(f, want, have) > 0)
			return "more than this host has";
		break;
	case RULE_SAME_OR_ZERO:
		if (want)
			return "another algorithm than this host's";
		break;
	case RULE_FIXED:
		return "and no kernel can change it";
	default:
		break;
	}
	if (!host->has_masks || (host->mask[idx] & fmask) != fmask)
		return "and this host's kernel cannot write it";
	return NULL;
}

static int check_registers(const struct cpu_plan *plan, const struct cpu_desc *host,
			   char *err, size_t errlen)
{
	struct idreg_field f;
	const char *why;
	char reg[32];

	for (unsigned idx = 0; idx < IDREG_COUNT; idx++) {
		if (!plan->planned[idx])
			continue;
		idregs__name(idx, reg, sizeof(reg));
		if (!host->valid[idx]) {
			set_err(err, errlen, "CPU plan: this host has no %s", reg);
			return -VMM_ERR_HOST;
		}
		for (unsigned k = 0; idregs__field(idx, k, &f); k++) {
			unsigned want = idregs__field_get(&f, plan->value[idx]);

			if ((plan->mask[idx] & idregs__field_mask(&f)) != idregs__field_mask(&f))
				continue;
			why = field_problem(plan, host, idx, &f, want);
			if (why) {
				set_err(err, errlen, "CPU plan: %s.%s is 0x%x in the plan, 0x%x on "
					"this host: %s", reg, f.name, want,
					idregs__field_get(&f, host->value[idx]), why);
				return -VMM_ERR_HOST;
			}
		}
	}
	return 0;
}

static int check_fixed(const struct cpu_plan *plan, const struct cpu_desc *host,
		       char *err, size_t errlen)
{
	if (plan->dczid != host->dczid) {
		set_err(err, errlen, "CPU plan: DCZID_EL0 is 0x%llx in the plan, 0x%llx on this "
			"host: and no kernel can change it", (unsigned long long)plan->dczid,
			(unsigned long long)host->dczid);
		return -VMM_ERR_HOST;
	}
	if (plan->cntfrq != host->cntfrq) {
		set_err(err, errlen, "CPU plan: CNTFRQ_EL0 is %llu Hz in the plan, %llu Hz on "
			"this host", (unsigned long long)plan->cntfrq,
			(unsigned long long)host->cntfrq);
		return -VMM_ERR_HOST;
	}
	if (plan->nr_ccsidr != host->nr_ccsidr ||
	    memcmp(plan->ccsidr, host->ccsidr, plan->nr_ccsidr * sizeof(plan->ccsidr[0]))) {
		set_err(err, errlen, "CPU plan: the cache geometry (CCSIDR values) differs from "
			"this host's");
		return -VMM_ERR_HOST;
	}
	return 0;
}

int cpuplan__check_host(const struct cpu_plan *plan, const struct cpu_desc *host,
			vq_mask_t host_sve, char *err, size_t errlen)
{
	char want[96], have[96];
	uint32_t missing;
	int ret;

	if (plan->sve && !sve__set_valid(host_sve, plan->sve)) {
		sve__format_set(plan->sve, want, sizeof(want));
		sve__format_set(host_sve, have, sizeof(have));
		set_err(err, errlen, "CPU plan: SVE lengths %s, which this host (%s) cannot give",
			want, host_sve ? have : "no SVE");
		return -VMM_ERR_HOST;
	}
	if (!plan->has_cpu)
		return 0;
	missing = plan->vcpu_features & ~host->vcpu_features;
	if (missing) {
		set_err(err, errlen, "CPU plan: this host offers no vcpu feature %s",
			idregs__vcpu_feature_name(__builtin_ctz(missing)) ?: "?");
		return -VMM_ERR_HOST;
	}
	ret = check_registers(plan, host, err, errlen);
	return ret ? ret : check_fixed(plan, host, err, errlen);
}
