/*
 * `vmm caps`: what this host's KVM can give a guest (docs/caps.md).
 *
 * The report, the JSON, the labels and the plan output work on a plain
 * struct host_caps and make no KVM call, so the unit tests build this file
 * natively (tests/unit/test_caps.c, test_cpuplan.c). The JSON reader is in
 * arm64/caps-read.c, the CPU planner in arm64/cpuplan.c; the command itself
 * and the probe, which talk to KVM, are in arm64/caps-kvm.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arm64/caps.h"
#include "vmm/commands.h"
#include "vmm/json.h"

#define SVE_VL_UNIT	128u	/* bits per VQ */
#define SET_TEXT_MAX	96	/* "128,256,...,2048" */
#define SETS_TEXT_MAX	1024	/* every valid set, " | " between */

/* ---- the human report ---- */

/* A name from another host or file: control characters would break the line. */
static void put_name(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static const char *gic_text(const struct host_caps *c)
{
	if (c->gic_v2 && c->gic_v3)
		return "v2, v3";
	if (c->gic_v3)
		return "v3";
	if (c->gic_v2)
		return "v2";
	return "none";
}

static void print_cpu(FILE *f, const struct cpu_desc *d)
{
	unsigned idx, nr = 0;
	const char *name;
	bool has;

	for (idx = 0; idx < IDREG_COUNT; idx++)
		nr += d->valid[idx];
	fprintf(f, "CPU:             MIDR_EL1 0x%llx, %u ID registers, %s\n",
		(unsigned long long)d->value[IDREG_IDX(0, 0, 0)], nr,
		d->has_masks ? "writable masks (CPU plans can hide features here)"
			     : "no writable masks (this kernel cannot hide features)");
	fputs("CPU features:   ", f);
	for (unsigned k = 0; (name = idregs__feature(k, d, &has)); k++)
		if (has)
			fprintf(f, " %s", name);
	fprintf(f, "\nCNTFRQ_EL0:      %llu Hz\nDCZID_EL0:       0x%llx\n",
		(unsigned long long)d->cntfrq, (unsigned long long)d->dczid);
	fprintf(f, "registers:       %u (digest 0x%016llx)\n", d->nr_regs,
		(unsigned long long)d->reg_digest);
}

void caps__print(FILE *f, const struct host_caps *c)
{
	char set[SET_TEXT_MAX], sets[SETS_TEXT_MAX];

	fputs("host:            ", f);
	put_name(f, c->host);
	fputs(", Linux ", f);
	put_name(f, c->kernel);
	fprintf(f, "\nKVM API version: %d\n", c->kvm_api_version);
	fprintf(f, "IPA size:        up to %u bits\n", c->ipa_bits_max);
	fprintf(f, "vcpus:           up to %u (%u recommended)\n",
		c->max_vcpus, c->recommended_vcpus);
	if (c->sve) {
		sve__format_set(c->sve, set, sizeof(set));
		sve__format_possible(c->sve, sets, sizeof(sets));
		fprintf(f, "SVE lengths:     %s\n", set);
		fprintf(f, "SVE guest sets:  %s (vmm run --sve-vls=SET)\n", sets);
	} else {
		fputs("SVE lengths:     none (no SVE)\n", f);
		fputs("SVE guest sets:  none: guests run without SVE (--sve-vls=off)\n", f);
	}
	fprintf(f, "GIC:             %s\n", gic_text(c));
	fprintf(f, "PMU:             %s\n", yes_no(c->pmu));
	fprintf(f, "pointer auth:    %s\n", yes_no(c->ptrauth));
	fprintf(f, "MTE:             %s\n", yes_no(c->mte));
	if (c->cpu.present)
		print_cpu(f, &c->cpu);
}

/* ---- the JSON object ---- */

static const char *true_false(bool b)
{
	return b ? "true" : "false";
}

/* A set as a JSON array of lengths in bits: [128, 256, 512]. */
static void put_lengths(FILE *f, vq_mask_t set)
{
	const char *sep = "";
	unsigned vq;

	fputc('[', f);
	for (vq = 1; vq <= SVE_VQ_MAX_ARCH; vq++) {
		if (!(set & VQ_BIT(vq)))
			continue;
		fprintf(f, "%s%u", sep, vq * SVE_VL_UNIT);
		sep = ", ";
	}
	fputc(']', f);
}

static void put_sve(FILE *f, vq_mask_t host)
{
	vq_mask_t sets[SVE_VQ_MAX_ARCH];
	unsigned i, n = sve__possible_sets(host, sets);

	fprintf(f, "  \"sve\": {\n    \"supported\": %s,\n", true_false(host));
	fputs("    \"vector_lengths\": ", f);
	put_lengths(f, host);
	fputs(",\n    \"valid_sets\": [", f);
	for (i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		put_lengths(f, sets[i]);
	}
	fputs("]\n  },\n", f);
}

static void put_hex(FILE *f, uint64_t v)
{
	fprintf(f, "\"0x%016llx\"", (unsigned long long)v);
}

static void put_vcpu_features(FILE *f, uint32_t features)
{
	const char *sep = "";

	fputc('[', f);
	for (unsigned bit = 0; bit < 32; bit++) {
		const char *name = idregs__vcpu_feature_name(bit);

		if (!(features & 1u << bit) || !name)
			continue;
		fprintf(f, "%s\"%s\"", sep, name);
		sep = ", ";
	}
	fputc(']', f);
}

/* "NAME": "0x...", one register a line; the mask of each when masks is set. */
static void put_id_regs(FILE *f, const struct cpu_desc *d, bool masks)
{
	const char *sep = "";
	char name[32];

	fputc('{', f);
	for (unsigned idx = 0; idx < IDREG_COUNT; idx++) {
		if (!d->valid[idx])
			continue;
		idregs__name(idx, name, sizeof(name));
		fprintf(f, "%s\n      \"%s\": ", sep, name);
		put_hex(f, masks ? d->mask[idx] : d->value[idx]);
		sep = ",";
	}
	fputs("\n    }", f);
}

static void put_ccsidr(FILE *f, const struct cpu_desc *d)
{
	fputc('{', f);
	for (unsigned i = 0; i < d->nr_ccsidr; i++)
		fprintf(f, "%s\"%u\": \"0x%08x\"", i ? ", " : "", d->ccsidr[i].csselr,
			d->ccsidr[i].value);
	fputc('}', f);
}

static void put_features(FILE *f, const struct cpu_desc *d)
{
	const char *name, *sep = "";
	bool has;

	fputc('[', f);
	for (unsigned k = 0; (name = idregs__feature(k, d, &has)); k++) {
		if (!has)
			continue;
		fprintf(f, "%s\"%s\"", sep, name);
		sep = ", ";
	}
	fputc(']', f);
}

static void put_reg_list(FILE *f, const struct cpu_desc *d)
{
	fprintf(f, "{\n      \"count\": %u,\n      \"digest\": ", d->nr_regs);
	put_hex(f, d->reg_digest);
	fputs(",\n      \"ids\": [", f);
	for (unsigned i = 0; i < d->nr_ids; i++) {
		fputs(i ? ", " : "", f);
		put_hex(f, d->ids[i]);
	}
	fputs("]\n    }", f);
}

static const unsigned midr_idx = IDREG_IDX(0, 0, 0), revidr_idx = IDREG_IDX(0, 0, 6);

static void put_cpu(FILE *f, const struct cpu_desc *d)
{
	fputs("{\n    \"vcpu_features\": ", f);
	put_vcpu_features(f, d->vcpu_features);
	if (d->valid[midr_idx]) {
		fputs(",\n    \"midr_el1\": ", f);
		put_hex(f, d->value[midr_idx]);
	}
	if (d->valid[revidr_idx]) {
		fputs(",\n    \"revidr_el1\": ", f);
		put_hex(f, d->value[revidr_idx]);
	}
	fprintf(f, ",\n    \"cntfrq_el0\": %llu,\n    \"dczid_el0\": ",
		(unsigned long long)d->cntfrq);
	put_hex(f, d->dczid);
	fputs(",\n    \"features\": ", f);
	put_features(f, d);
	fputs(",\n    \"id_regs\": ", f);
	put_id_regs(f, d, false);
	fprintf(f, ",\n    \"writable_masks\": %s", true_false(d->has_masks));
	if (d->has_masks) {
		fputs(",\n    \"id_reg_masks\": ", f);
		put_id_regs(f, d, true);
	}
	fputs(",\n    \"ccsidr\": ", f);
	put_ccsidr(f, d);
	fputs(",\n    \"reg_list\": ", f);
	put_reg_list(f, d);
	fputs("\n  }", f);
}

void caps__print_json(FILE *f, const struct host_caps *c)
{
	fprintf(f, "{\n  \"format\": %d,\n  \"host\": ", CAPS_FORMAT);
	json__write_string(f, c->host);
	fputs(",\n  \"kernel\": ", f);
	json__write_string(f, c->kernel);
	fprintf(f, ",\n  \"kvm_api_version\": %d,\n", c->kvm_api_version);
	fprintf(f, "  \"ipa_bits_max\": %u,\n", c->ipa_bits_max);
	fprintf(f, "  \"max_vcpus\": %u,\n", c->max_vcpus);
	fprintf(f, "  \"recommended_vcpus\": %u,\n", c->recommended_vcpus);
	put_sve(f, c->sve);
	fprintf(f, "  \"gic\": {\n    \"v2\": %s,\n    \"v3\": %s\n  },\n",
		true_false(c->gic_v2), true_false(c->gic_v3));
	fprintf(f, "  \"pmu\": %s,\n", true_false(c->pmu));
	fprintf(f, "  \"ptrauth\": %s,\n", true_false(c->ptrauth));
	fprintf(f, "  \"mte\": %s", true_false(c->mte));
	if (c->cpu.present) {
		fputs(",\n  \"cpu\": ", f);
		put_cpu(f, &c->cpu);
	}
	fputs("\n}\n", f);
}

/* ---- node-feature-discovery labels ---- */

/*
 * One "name=value" line. Kubernetes label names and values are at most 63
 * characters of [A-Za-z0-9._-], starting and ending with a letter or digit;
 * ours are built from fixed names and numbers, so they always are.
 */
static void put_label(FILE *f, const char *name, const char *value)
{
	fprintf(f, "vmm-%s=%s\n", name, value);
}

void caps__print_labels(FILE *f, const struct host_caps *c)
{
	const struct cpu_desc *d = &c->cpu;
	char name[64], value[24];
	const char *feature;
	unsigned vq, max = 0;
	bool has;

	put_label(f, "sve", true_false(c->sve));
	for (vq = 1; vq <= SVE_VQ_MAX_ARCH; vq++) {
		if (!(c->sve & VQ_BIT(vq)))
			continue;
		snprintf(name, sizeof(name), "sve-vl-%u", vq * SVE_VL_UNIT);
		put_label(f, name, "true");
		max = vq * SVE_VL_UNIT;
	}
	snprintf(value, sizeof(value), "%u", max);
	put_label(f, "sve-max-vl", value);
	put_label(f, "gic-v3", true_false(c->gic_v3));
	put_label(f, "pmu", true_false(c->pmu));
	put_label(f, "ptrauth", true_false(c->ptrauth));
	put_label(f, "mte", true_false(c->mte));
	if (!d->present)
		return;
	put_label(f, "writable-id-regs", true_false(d->has_masks));
	/* Hosts of one plan need the same: DCZID_EL0.BS and the counter frequency. */
	snprintf(value, sizeof(value), "%u", (unsigned)(d->dczid & 0xf));
	put_label(f, "dczid-bs", value);
	snprintf(value, sizeof(value), "%llu", (unsigned long long)d->cntfrq);
	put_label(f, "cntfrq", value);
	for (unsigned k = 0; (feature = idregs__feature(k, d, &has)); k++) {
		if (!has)
			continue;
		snprintf(name, sizeof(name), "cpu-%s", feature);
		put_label(f, name, "true");
	}
}

/* ---- the plan for a cluster ---- */

/* "a.json (host1)", or "a.json" when the host has no name ("(none)" is Linux's default). */
static void put_host(FILE *f, const char *file, const char *host)
{
	put_name(f, file);
	if (!*host || !strcmp(host, "(none)"))
		return;
	fputs(" (", f);
	put_name(f, host);
	fputc(')', f);
}

static void print_plan(FILE *f, const char *const *files, const struct host_caps *hosts,
		       unsigned n, vq_mask_t plan)
{
	char set[SET_TEXT_MAX];
	const char *sep = "";
	unsigned i;

	fputs("hosts: ", f);
	for (i = 0; i < n; i++) {
		fputs(i ? "; " : "", f);
		put_host(f, files[i], hosts[i].host);
		sve__format_set(hosts[i].sve, set, sizeof(set));
		fprintf(f, ": %s", hosts[i].sve ? set : "no SVE");
	}
	sve__format_set(plan, set, sizeof(set));
	if (plan) {
		fprintf(f, "\nlargest common SVE set: %s\nlaunch with: --sve-vls=%s\n", set, set);
		return;
	}
	fputs("\nno common SVE set", f);
	for (i = 0; i < n; i++) {
		if (hosts[i].sve)
			continue;
		fputs(*sep ? sep : ": no SVE on ", f);
		put_host(f, files[i], hosts[i].host);
		sep = ", ";
	}
	fputs("\nlaunch with: --sve-vls=off\n", f);
}

/* "sve2: off (a.json (a), b.json (b) have none)" for each feature some host has and the plan not. */
static void print_features_off(FILE *f, const char *const *files, const struct host_caps *hosts,
			       unsigned n, const struct cpu_desc *plan)
{
	bool in_plan, has, any = false;
	const char *name;

	for (unsigned k = 0; (name = idregs__feature(k, plan, &in_plan)); k++) {
		unsigned lack = 0;

		if (in_plan)
			continue;
		for (unsigned i = 0; i < n; i++) {
			idregs__feature(k, &hosts[i].cpu, &has);
			lack += !has;
		}
		if (lack == n)
			continue;	/* no host has it: nothing is lost */
		fprintf(f, "%s: off (", name);
		for (unsigned i = 0, m = 0; i < n; i++) {
			idregs__feature(k, &hosts[i].cpu, &has);
			if (has)
				continue;
			fputs(m++ ? ", " : "", f);
			put_host(f, files[i], hosts[i].host);
		}
		fprintf(f, " %s none)\n", lack > 1 ? "have" : "has");
		any = true;
	}
	if (!any)
		fputs("features off: none (every host has every feature of the others)\n", f);
}

static void print_conflict(FILE *f, const char *const *files, const struct host_caps *hosts,
			   const struct cpu_conflict *c)
{
	fputs("conflict: ", f);
	put_host(f, files[c->host], hosts[c->host].host);
	switch (c->kind) {
	case CONFLICT_NOT_WRITABLE:
		fprintf(f, ": %s is 0x%llx, the plan needs 0x%llx, and its kernel cannot write it\n",
			c->what, (unsigned long long)c->host_value,
			(unsigned long long)c->plan_value);
		break;
	case CONFLICT_NEVER:
		fprintf(f, ": %s is 0x%llx, the first host's 0x%llx: no kernel can change it\n",
			c->what, (unsigned long long)c->host_value,
			(unsigned long long)c->plan_value);
		break;
	case CONFLICT_CCSIDR:
		fprintf(f, ": its cache geometry (CCSIDR values) differs from the first host's\n");
		break;
	}
}

/* Each accepted field as "REG.FIELD", sep between. */
static void put_accepted(FILE *f, const struct cpu_plan_result *r, const char *sep,
			 const char *quote)
{
	struct idreg_field fl;
	char reg[32];
	unsigned m = 0;

	for (unsigned idx = 0; idx < IDREG_COUNT; idx++) {
		if (!r->accepted[idx])
			continue;
		idregs__name(idx, reg, sizeof(reg));
		for (unsigned k = 0; idregs__field(idx, k, &fl); k++)
			if (r->accepted[idx] & idregs__field_mask(&fl))
				fprintf(f, "%s%s%s.%s%s", m++ ? sep : "", quote, reg, fl.name, quote);
	}
}

static bool any_accepted(const struct cpu_plan_result *r)
{
	for (unsigned idx = 0; idx < IDREG_COUNT; idx++)
		if (r->accepted[idx])
			return true;
	return false;
}

static void print_cpu_plan(FILE *f, const char *const *files, const struct host_caps *hosts,
			   unsigned n, const struct cpu_plan_result *r, struct cpu_desc *scratch)
{
	const char *name;
	unsigned bad = 0;
	bool has;

	if (r->missing >= 0) {
		fputs("CPU: not planned: ", f);
		put_host(f, files[r->missing], hosts[r->missing].host);
		fputs(" has no \"cpu\" (caps --json of an older vmm)\n", f);
		return;
	}
	cpuplan__as_desc(&r->plan, scratch);
	fputs("CPU features:", f);
	for (unsigned k = 0; (name = idregs__feature(k, scratch, &has)); k++)
		if (has)
			fprintf(f, " %s", name);
	fputc('\n', f);
	print_features_off(f, files, hosts, n, scratch);
	if (any_accepted(r)) {
		fputs("accepted, not planned (each host shows its own): ", f);
		put_accepted(f, r, ", ", "");
		fputc('\n', f);
	}
	for (unsigned i = 0; i < r->nr_conflicts; i++)
		print_conflict(f, files, hosts, &r->conflicts[i]);
	for (unsigned i = 0; i < n; i++)
		bad += cpuplan__host_conflicts(r, i);
	if (!bad) {
		fputs("every host can run this plan\n", f);
		return;
	}
	fputs("cannot run this plan: ", f);
	for (unsigned i = 0, m = 0; i < n; i++) {
		if (!cpuplan__host_conflicts(r, i))
			continue;
		fputs(m++ ? ", " : "", f);
		put_host(f, files[i], hosts[i].host);
	}
	fputs(" (drop them from the fleet, or accept what they cannot hide)\n", f);
}

static const char *const conflict_kinds[] = {
	[CONFLICT_NOT_WRITABLE] = "not-writable",
	[CONFLICT_NEVER] = "never",
	[CONFLICT_CCSIDR] = "ccsidr",
};

static void put_conflicts_json(FILE *f, const char *const *files,
			       const struct host_caps *hosts, const struct cpu_plan_result *r)
{
	fputs("    \"conflicts\": [", f);
	for (unsigned i = 0; i < r->nr_conflicts; i++) {
		const struct cpu_conflict *c = &r->conflicts[i];

		fprintf(f, "%s\n      {\"file\": ", i ? "," : "");
		json__write_string(f, files[c->host]);
		fputs(", \"host\": ", f);
		json__write_string(f, hosts[c->host].host);
		fprintf(f, ", \"kind\": \"%s\", \"what\": ", conflict_kinds[c->kind]);
		json__write_string(f, c->what);
		fputs(", \"host_value\": ", f);
		put_hex(f, c->host_value);
		fputs(", \"plan_value\": ", f);
		put_hex(f, c->plan_value);
		fputc('}', f);
	}
	fputs(r->nr_conflicts ? "\n    ]" : "]", f);
}

/* The plan's "cpu": what `vmm run --cpu-plan` reads back with cpuplan__load(). */
static void put_cpu_plan_json(FILE *f, const char *const *files, const struct host_caps *hosts,
			      const struct cpu_plan_result *r, struct cpu_desc *scratch)
{
	const struct cpu_plan *plan = &r->plan;
	const char *sep = "";
	char name[32];

	cpuplan__as_desc(plan, scratch);
	fputs("{\n    \"vcpu_features\": ", f);
	put_vcpu_features(f, plan->vcpu_features);
	fprintf(f, ",\n    \"cntfrq_el0\": %llu,\n    \"dczid_el0\": ",
		(unsigned long long)plan->cntfrq);
	put_hex(f, plan->dczid);
	fputs(",\n    \"features\": ", f);
	put_features(f, scratch);
	fputs(",\n    \"id_regs\": {", f);
	for (unsigned idx = 0; idx < IDREG_COUNT; idx++) {
		if (!plan->planned[idx])
			continue;
		idregs__name(idx, name, sizeof(name));
		fprintf(f, "%s\n      \"%s\": {\"value\": ", sep, name);
		put_hex(f, plan->value[idx]);
		fputs(", \"mask\": ", f);
		put_hex(f, plan->mask[idx]);
		fputc('}', f);
		sep = ",";
	}
	fputs("\n    },\n    \"ccsidr\": {", f);
	for (unsigned i = 0; i < plan->nr_ccsidr; i++)
		fprintf(f, "%s\"%u\": \"0x%08x\"", i ? ", " : "", plan->ccsidr[i].csselr,
			plan->ccsidr[i].value);
	fputs("},\n    \"accepted\": [", f);
	put_accepted(f, r, ", ", "\"");
	fputs("],\n", f);
	put_conflicts_json(f, files, hosts, r);
	fputs("\n  }", f);
}

static void print_plan_json(FILE *f, const char *const *files, const struct host_caps *hosts,
			    unsigned n, vq_mask_t plan, const struct cpu_plan_result *r,
			    struct cpu_desc *scratch)
{
	char set[SET_TEXT_MAX];
	unsigned i;

	fprintf(f, "{\n  \"format\": %d,\n  \"hosts\": [\n", CAPS_FORMAT);
	for (i = 0; i < n; i++) {
		fputs("    {\"file\": ", f);
		json__write_string(f, files[i]);
		fputs(", \"host\": ", f);
		json__write_string(f, hosts[i].host);
		fputs(", \"vector_lengths\": ", f);
		put_lengths(f, hosts[i].sve);
		if (r)
			fprintf(f, ", \"runs_plan\": %s",
				true_false(r->missing < 0 && !cpuplan__host_conflicts(r, i)));
		fputs(i + 1 < n ? "},\n" : "}\n", f);
	}
	fputs("  ],\n  \"common_vector_lengths\": ", f);
	put_lengths(f, plan);
	sve__format_set(plan, set, sizeof(set));
	fprintf(f, ",\n  \"sve_vls\": \"%s\"", plan ? set : "off");
	if (r) {
		fputs(",\n  \"cpu\": ", f);
		if (r->missing < 0)
			put_cpu_plan_json(f, files, hosts, r, scratch);
		else
			fputs("null", f);
	}
	fputs("\n}\n", f);
}

/* The SVE plan, and the CPU plan when some host described its CPU. */
static int plan_cpu(const char *const *files, const struct host_caps *hosts,
		    const vq_mask_t *sets, unsigned n, FILE *out, bool json,
		    const uint64_t *accept)
{
	const struct cpu_desc **descs = calloc(n, sizeof(*descs));
	struct cpu_desc *scratch = malloc(sizeof(*scratch));
	struct cpu_plan_result r, *cpu = NULL;
	int ret = -VMM_ERR_INTERNAL;

	if (!descs || !scratch)
		goto out;
	for (unsigned i = 0; i < n; i++) {
		descs[i] = &hosts[i].cpu;
		if (hosts[i].cpu.present)
			cpu = &r;	/* files of an older vmm alone: the SVE plan only */
	}
	if (cpuplan__plan(descs, sets, n, accept, &r))
		goto out;
	if (json) {
		print_plan_json(out, files, hosts, n, r.plan.sve, cpu, scratch);
	} else {
		print_plan(out, files, hosts, n, r.plan.sve);
		if (cpu)
			print_cpu_plan(out, files, hosts, n, cpu, scratch);
	}
	cpuplan__free(&r);
	ret = 0;
out:
	free(descs);
	free(scratch);
	return ret;
}

int caps__plan(const char *const *files, unsigned n, FILE *out, bool json,
	       const char *accept, char *err, size_t errlen)
{
	uint64_t accepted[IDREG_COUNT];
	struct host_caps *hosts;
	vq_mask_t *sets;
	char why[512];
	unsigned i;
	int ret = 0;

	if (!n) {
		set_err(err, errlen, "caps --plan: no files given");
		return -VMM_ERR_INPUT;
	}
	if (accept && cpuplan__parse_accept(accept, accepted, why, sizeof(why))) {
		set_err(err, errlen, "caps --plan %s", why);
		return -VMM_ERR_INPUT;
	}
	hosts = calloc(n, sizeof(*hosts));
	sets = calloc(n, sizeof(*sets));
	if (!hosts || !sets) {
		set_err(err, errlen, "caps --plan: out of memory for %u hosts", n);
		ret = -VMM_ERR_INTERNAL;
		goto out;
	}
	for (i = 0; i < n && !ret; i++) {
		ret = caps__load(files[i], &hosts[i], why, sizeof(why));
		sets[i] = hosts[i].sve;
	}
	if (ret) {
		set_err(err, errlen, "caps --plan %s", why);
		goto out;
	}
	ret = plan_cpu(files, hosts, sets, n, out, json, accept ? accepted : NULL);
	if (ret)
		set_err(err, errlen, "caps --plan: out of memory for %u hosts", n);
out:
	free(hosts);
	free(sets);
	return ret;
}

/* ---- the command ---- */

static int caps_option(void *ctx, int id, char *arg, char *err, size_t errlen)
{
	struct caps_args *a = ctx;

	switch (id) {
	case CAPS_OPT_JSON: a->json = true; break;
	case CAPS_OPT_PLAN: a->plan = true; break;
	case CAPS_OPT_LABELS: a->labels = true; break;
	case CAPS_OPT_ACCEPT: a->accept = arg; break;
	case CAPS_OPT_CHECK_PLAN: a->check_plan = arg; break;
	}
	return 0;
}

int caps__parse_args(int argc, char **argv, struct caps_args *a, char *err, size_t errlen)
{
	int first, ret;

	memset(a, 0, sizeof(*a));
	ret = cmdline__parse(&commands__caps, argc, argv, caps_option, a, &first, err, errlen);
	if (ret == CMDLINE_HELP) {
		a->help = true;
		return 0;
	}
	if (ret)
		return ret;
	a->files = argv + first;
	a->nr_files = (unsigned)(argc - first);
	if (a->nr_files && !a->plan) {
		set_err(err, errlen, "caps: unexpected argument '%s'; only --plan takes files",
			a->files[0]);
		return -VMM_ERR_INPUT;
	}
	if (a->check_plan && (a->plan || a->json || a->labels || !*a->check_plan)) {
		set_err(err, errlen, "caps: --check-plan=FILE goes alone");
		return -VMM_ERR_INPUT;
	}
	if (a->labels && (a->plan || a->json)) {
		set_err(err, errlen, "caps: --labels goes with neither --json nor --plan");
		return -VMM_ERR_INPUT;
	}
	if (a->accept && !a->plan) {
		set_err(err, errlen, "caps: --accept goes only with --plan");
		return -VMM_ERR_INPUT;
	}
	if (a->plan && !a->nr_files) {
		set_err(err, errlen, "caps --plan: no files given; see 'vmm caps --help'");
		return -VMM_ERR_INPUT;
	}
	return 0;
}
