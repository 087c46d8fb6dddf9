/*
 * `vmm caps`: what this host's KVM can give a guest (docs/caps.md).
 *
 * The report, the JSON reader and the planner work on a plain struct
 * host_caps and make no KVM call, so the unit tests build this file
 * natively (tests/unit/test_caps.c). The command itself and the probe,
 * which talk to KVM, are in arm64/caps-kvm.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arm64/caps.h"
#include "vmm/json.h"

#define SVE_VL_UNIT	128u	/* bits per VQ */
#define SET_TEXT_MAX	96	/* "128,256,...,2048" */
#define SETS_TEXT_MAX	1024	/* every valid set, " | " between */

const char caps__help[] =
"usage: vmm caps [--json | --labels]\n"
"       vmm caps --plan [--json] FILE...\n"
"\n"
"Reports what this host's KVM can give a guest: the KVM API version, the\n"
"IPA size limit, the SVE vector lengths and every valid guest set, the vcpu\n"
"limit, whether a GICv2/GICv3, a PMU, pointer authentication and MTE are\n"
"there, and the CPU: its ID registers, which of their bits KVM lets vmm\n"
"write, its caches, counter frequency and DC ZVA block size.\n"
"\n"
"  --json          print it as a JSON object (docs/caps.md)\n"
"  --labels        print it as node-feature-discovery feature lines\n"
"                  (name=value, one a line) for Kubernetes node labels\n"
"  --plan FILE...  read the JSON 'vmm caps --json' wrote on several hosts and\n"
"                  print the largest SVE set and the CPU (per ID register\n"
"                  field) that every one of them can give, and the hosts\n"
"                  that cannot hide a difference; with --json, the plan file.\n"
"                  Needs no /dev/kvm.\n"
"  -h, --help      this text\n"
"\n"
"Exit status: 0 done (also when the hosts have no common SVE set or some\n"
"cannot run the plan); 2 bad input (usage, an unreadable or invalid FILE);\n"
"3 this host cannot give what was asked (e.g. no /dev/kvm); 1 internal error.\n";

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

/* ---- reading the JSON back ---- */

struct reader {
	const struct json_doc *doc;
	char *err;
	size_t errlen;
};

/*
 * The value of key in object obj, of the given type: *out is its node, or
 * -1 when it is absent and not required. path names it in messages.
 */
static int member(struct reader *r, int obj, const char *key, const char *path,
		  enum json_type type, bool required, int *out)
{
	int i = json__member(r->doc, obj, key);

	*out = -1;
	if (i < 0) {
		if (!required)
			return 0;
		set_err(r->err, r->errlen, "missing \"%s\" (%s)", path, json__type_name(type));
		return -VMM_ERR_INPUT;
	}
	if (json__type(r->doc, i) != type) {
		set_err(r->err, r->errlen, "\"%s\" is %s, expected %s", path,
			json__type_name(json__type(r->doc, i)), json__type_name(type));
		return -VMM_ERR_INPUT;
	}
	*out = i;
	return 0;
}

/* Number node i as an integer in [min, max]. */
static int integer(struct reader *r, int i, const char *path, int64_t min, int64_t max,
		   int64_t *out)
{
	char shown[40];
	int ret = json__int(r->doc, i, out);

	if (ret) {
		json__excerpt(r->doc, i, shown, sizeof(shown));
		set_err(r->err, r->errlen, "\"%s\" is %s, %s", path, shown,
			ret == -ERANGE ? "far too large" : "not a whole number");
		return -VMM_ERR_INPUT;
	}
	if (*out < min || *out > max) {
		set_err(r->err, r->errlen, "\"%s\" is %lld, outside %lld..%lld", path,
			(long long)*out, (long long)min, (long long)max);
		return -VMM_ERR_INPUT;
	}
	return 0;
}

static int read_uint(struct reader *r, int obj, const char *key, int64_t min, int64_t max,
		     unsigned *out)
{
	int64_t v;
	int i, ret;

	ret = member(r, obj, key, key, JSON_NUMBER, false, &i);
	if (ret || i < 0)
		return ret;
	ret = integer(r, i, key, min, max, &v);
	if (!ret)
		*out = v;
	return ret;
}

static int read_bool(struct reader *r, int obj, const char *key, const char *path,
		     bool required, bool *out)
{
	int i, ret;

	ret = member(r, obj, key, path, JSON_BOOL, required, &i);
	if (ret || i < 0)
		return ret;
	return json__bool(r->doc, i, out) ? -VMM_ERR_INTERNAL : 0;
}

static int read_string(struct reader *r, int obj, const char *key, bool required,
		       char *buf, size_t len)
{
	int i, ret;

	ret = member(r, obj, key, key, JSON_STRING, required, &i);
	if (ret || i < 0)
		return ret;
	if (json__string(r->doc, i, buf, len) < 0) {
		set_err(r->err, r->errlen, "\"%s\" is longer than %zu bytes", key, len - 1);
		return -VMM_ERR_INPUT;
	}
	return 0;
}

/* One vector length in bits: a multiple of 128 in 128..2048. Returns its VQ. */
static int read_length(struct reader *r, int i, const char *path, unsigned idx)
{
	char at[64];
	int64_t v;
	int ret;

	snprintf(at, sizeof(at), "%s[%u]", path, idx);
	if (json__type(r->doc, i) != JSON_NUMBER) {
		set_err(r->err, r->errlen, "\"%s\" is %s, expected a length in bits", at,
			json__type_name(json__type(r->doc, i)));
		return -VMM_ERR_INPUT;
	}
	ret = integer(r, i, at, SVE_VL_UNIT, SVE_VL_UNIT * SVE_VQ_MAX_ARCH, &v);
	if (ret)
		return ret;
	if (v % SVE_VL_UNIT) {
		set_err(r->err, r->errlen, "\"%s\" is %lld, not a multiple of %u",
			at, (long long)v, SVE_VL_UNIT);
		return -VMM_ERR_INPUT;
	}
	return v / SVE_VL_UNIT;
}

/* An array of lengths in bits, strictly increasing, as a set. */
static int read_lengths(struct reader *r, int arr, const char *path, vq_mask_t *out)
{
	unsigned idx = 0, last = 0;
	vq_mask_t set = 0;
	int e, vq;

	for (e = json__first(r->doc, arr); e >= 0; e = json__next(r->doc, arr, e), idx++) {
		vq = read_length(r, e, path, idx);
		if (vq < 0)
			return vq;
		if ((unsigned)vq <= last) {
			set_err(r->err, r->errlen,
				"\"%s\" is not strictly increasing: %u after %u",
				path, vq * SVE_VL_UNIT, last * SVE_VL_UNIT);
			return -VMM_ERR_INPUT;
		}
		last = vq;
		set |= VQ_BIT(vq);
	}
	*out = set;
	return 0;
}

/* sve.valid_sets, when there, must be what the kernel's rule gives for the lengths. */
static int check_valid_sets(struct reader *r, int sve, vq_mask_t host)
{
	vq_mask_t want[SVE_VQ_MAX_ARCH], got;
	unsigned idx = 0, n = sve__possible_sets(host, want);
	char path[64];
	int arr, e, ret;

	ret = member(r, sve, "valid_sets", "sve.valid_sets", JSON_ARRAY, false, &arr);
	if (ret || arr < 0)
		return ret;
	for (e = json__first(r->doc, arr); e >= 0; e = json__next(r->doc, arr, e), idx++) {
		snprintf(path, sizeof(path), "sve.valid_sets[%u]", idx);
		if (json__type(r->doc, e) != JSON_ARRAY) {
			set_err(r->err, r->errlen, "\"%s\" is %s, expected an array", path,
				json__type_name(json__type(r->doc, e)));
			return -VMM_ERR_INPUT;
		}
		ret = read_lengths(r, e, path, &got);
		if (ret)
			return ret;
		if (idx >= n || got != want[idx])
			break;
	}
	if (e >= 0 || idx != n) {
		set_err(r->err, r->errlen,
			"\"sve.valid_sets\" does not follow from \"sve.vector_lengths\"");
		return -VMM_ERR_INPUT;
	}
	return 0;
}

static int read_sve(struct reader *r, int root, vq_mask_t *out)
{
	bool supported = false;
	vq_mask_t set = 0;
	int sve = -1, arr = -1, ret;

	ret = member(r, root, "sve", "sve", JSON_OBJECT, true, &sve);
	if (!ret)
		ret = read_bool(r, sve, "supported", "sve.supported", true, &supported);
	if (!ret)
		ret = member(r, sve, "vector_lengths", "sve.vector_lengths", JSON_ARRAY, true, &arr);
	if (!ret)
		ret = read_lengths(r, arr, "sve.vector_lengths", &set);
	if (ret)
		return ret;
	if (supported && !(set & VQ_BIT(1))) {
		set_err(r->err, r->errlen,
			"\"sve.vector_lengths\" lacks 128, which every SVE host has");
		return -VMM_ERR_INPUT;
	}
	if (!supported && set) {
		set_err(r->err, r->errlen,
			"\"sve.supported\" is false but \"sve.vector_lengths\" is not empty");
		return -VMM_ERR_INPUT;
	}
	*out = set;
	return check_valid_sets(r, sve, set);
}

static int read_format(struct reader *r, int root)
{
	int64_t v;
	int i, ret;

	ret = member(r, root, "format", "format", JSON_NUMBER, true, &i);
	if (!ret)
		ret = integer(r, i, "format", 0, INT32_MAX, &v);
	if (ret)
		return ret;
	if (v != CAPS_FORMAT) {
		set_err(r->err, r->errlen, "\"format\" is %lld; this vmm reads format %d",
			(long long)v, CAPS_FORMAT);
		return -VMM_ERR_INPUT;
	}
	return 0;
}

static int read_gic(struct reader *r, int root, struct host_caps *c)
{
	int gic, ret;

	ret = member(r, root, "gic", "gic", JSON_OBJECT, false, &gic);
	if (ret || gic < 0)
		return ret;
	ret = read_bool(r, gic, "v2", "gic.v2", false, &c->gic_v2);
	if (!ret)
		ret = read_bool(r, gic, "v3", "gic.v3", false, &c->gic_v3);
	return ret;
}

/* A register value: "0x" and 1 to 16 hex digits. */
static int read_hex_node(struct reader *r, int i, const char *path, uint64_t *out)
{
	char buf[24], *end;

	if (json__type(r->doc, i) != JSON_STRING) {
		set_err(r->err, r->errlen, "\"%s\" is %s, expected a string \"0x...\"", path,
			json__type_name(json__type(r->doc, i)));
		return -VMM_ERR_INPUT;
	}
	if (json__string(r->doc, i, buf, sizeof(buf)) < 3 || strncmp(buf, "0x", 2) ||
	    strlen(buf) > 18 || !strchr("0123456789abcdefABCDEF", buf[2])) {
		json__excerpt(r->doc, i, buf, sizeof(buf));
		set_err(r->err, r->errlen, "\"%s\" is %s, not a 64-bit hex number \"0x...\"",
			path, buf);
		return -VMM_ERR_INPUT;
	}
	errno = 0;
	*out = strtoull(buf + 2, &end, 16);
	if (*end || errno) {
		set_err(r->err, r->errlen, "\"%s\" is \"%s\", not a 64-bit hex number", path, buf);
		return -VMM_ERR_INPUT;
	}
	return 0;
}

static int read_hex(struct reader *r, int obj, const char *key, const char *path,
		    bool required, uint64_t *out)
{
	int i, ret = member(r, obj, key, path, JSON_STRING, required, &i);

	if (ret || i < 0)
		return ret;
	return read_hex_node(r, i, path, out);
}

static int read_vcpu_features(struct reader *r, int cpu, const char *path, uint32_t *out)
{
	char name[32], at[64];
	unsigned idx = 0;
	int arr, e, bit, ret;

	*out = 0;
	ret = member(r, cpu, "vcpu_features", path, JSON_ARRAY, true, &arr);
	for (e = ret ? -1 : json__first(r->doc, arr); e >= 0; e = json__next(r->doc, arr, e), idx++) {
		snprintf(at, sizeof(at), "%s[%u]", path, idx);
		bit = json__type(r->doc, e) != JSON_STRING ? -1 :
		      json__string(r->doc, e, name, sizeof(name)) < 0 ? -1 :
		      idregs__vcpu_feature_by_name(name);
		if (bit < 0) {
			json__excerpt(r->doc, e, name, sizeof(name));
			set_err(r->err, r->errlen, "\"%s\" is %s, not a vcpu feature vmm knows",
				at, name);
			return -VMM_ERR_INPUT;
		}
		*out |= 1u << bit;
	}
	return ret;
}

/* An object of "REGISTER": value, each value read by one(). */
static int read_regs(struct reader *r, int obj, const char *path, void *ctx,
		     int (*one)(struct reader *, int node, const char *at, unsigned idx, void *ctx))
{
	char name[40], at[96];
	int k, idx, ret = 0;

	for (k = json__first_key(r->doc, obj); k >= 0 && !ret; k = json__next_key(r->doc, obj, k)) {
		idx = json__string(r->doc, k, name, sizeof(name)) < 0 ? -1 : idregs__by_name(name);
		if (idx < 0) {
			json__excerpt(r->doc, k, name, sizeof(name));
			set_err(r->err, r->errlen, "\"%s\" has %s, not a feature ID register",
				path, name);
			return -VMM_ERR_INPUT;
		}
		snprintf(at, sizeof(at), "%s.%s", path, name);
		ret = one(r, k + 1, at, idx, ctx);
	}
	return ret;
}

static int one_value(struct reader *r, int node, const char *at, unsigned idx, void *ctx)
{
	struct cpu_desc *d = ctx;

	d->valid[idx] = true;
	return read_hex_node(r, node, at, &d->value[idx]);
}

static int one_mask(struct reader *r, int node, const char *at, unsigned idx, void *ctx)
{
	struct cpu_desc *d = ctx;

	return read_hex_node(r, node, at, &d->mask[idx]);
}

/* "ccsidr": {"CSSELR": "0x...", ...} in increasing CSSELR order. */
static int read_ccsidr(struct reader *r, int cpu, const char *path, unsigned *nr,
		       struct cpu_ccsidr *out)
{
	char key[8], at[64];
	uint64_t v, s;
	int obj, k, ret;

	*nr = 0;
	ret = member(r, cpu, "ccsidr", path, JSON_OBJECT, false, &obj);
	for (k = ret || obj < 0 ? -1 : json__first_key(r->doc, obj); k >= 0;
	     k = json__next_key(r->doc, obj, k)) {
		if (json__string(r->doc, k, key, sizeof(key)) < 0 || !parse_uint(key, 0, 255, &s) ||
		    (*nr && s <= out[*nr - 1].csselr) || *nr >= CPU_CCSIDR_MAX) {
			json__excerpt(r->doc, k, key, sizeof(key));
			set_err(r->err, r->errlen, "\"%s\" has the key %s: CSSELR values are "
				"increasing numbers 0..255, at most %u", path, key, CPU_CCSIDR_MAX);
			return -VMM_ERR_INPUT;
		}
		snprintf(at, sizeof(at), "%s.%s", path, key);
		ret = read_hex_node(r, k + 1, at, &v);
		if (ret)
			return ret;
		if (v > UINT32_MAX) {
			set_err(r->err, r->errlen, "\"%s\" is 0x%llx, wider than 32 bits", at,
				(unsigned long long)v);
			return -VMM_ERR_INPUT;
		}
		out[*nr].csselr = s;
		out[(*nr)++].value = v;
	}
	return ret;
}

static int read_reg_list(struct reader *r, int cpu, struct cpu_desc *d)
{
	int obj, arr, e, ret;
	unsigned idx = 0;
	char at[48];

	ret = member(r, cpu, "reg_list", "cpu.reg_list", JSON_OBJECT, false, &obj);
	if (ret || obj < 0)
		return ret;
	ret = read_uint(r, obj, "count", 0, INT32_MAX, &d->nr_regs);
	if (!ret)
		ret = read_hex(r, obj, "digest", "cpu.reg_list.digest", true, &d->reg_digest);
	if (!ret)
		ret = member(r, obj, "ids", "cpu.reg_list.ids", JSON_ARRAY, false, &arr);
	if (ret || arr < 0)
		return ret;
	for (e = json__first(r->doc, arr); e >= 0; e = json__next(r->doc, arr, e), idx++) {
		snprintf(at, sizeof(at), "cpu.reg_list.ids[%u]", idx);
		if (idx >= CPU_REG_LIST_MAX)
			continue;	/* counted, beyond what vmm keeps */
		ret = read_hex_node(r, e, at, &d->ids[idx]);
		if (ret)
			return ret;
	}
	d->nr_ids = idx < CPU_REG_LIST_MAX ? idx : CPU_REG_LIST_MAX;
	if (idx == d->nr_regs && d->nr_ids == idx &&
	    idregs__digest(d->ids, d->nr_ids) != d->reg_digest) {
		set_err(r->err, r->errlen, "\"cpu.reg_list.digest\" is not the digest of its ids");
		return -VMM_ERR_INPUT;
	}
	return 0;
}

/* The optional "cpu" object: the ID registers and what goes with them. */
static int read_cpu(struct reader *r, int root, struct cpu_desc *d)
{
	int cpu, obj, ret;

	ret = member(r, root, "cpu", "cpu", JSON_OBJECT, false, &cpu);
	if (ret || cpu < 0)
		return ret;
	d->present = true;
	ret = read_vcpu_features(r, cpu, "cpu.vcpu_features", &d->vcpu_features);
	if (!ret)
		ret = member(r, cpu, "cntfrq_el0", "cpu.cntfrq_el0", JSON_NUMBER, true, &obj);
	if (!ret) {
		int64_t v;

		ret = integer(r, obj, "cpu.cntfrq_el0", 0, UINT32_MAX, &v);
		d->cntfrq = v;
	}
	if (!ret)
		ret = read_hex(r, cpu, "dczid_el0", "cpu.dczid_el0", true, &d->dczid);
	if (!ret)
		ret = member(r, cpu, "id_regs", "cpu.id_regs", JSON_OBJECT, true, &obj);
	if (!ret)
		ret = read_regs(r, obj, "cpu.id_regs", d, one_value);
	if (!ret)
		ret = read_bool(r, cpu, "writable_masks", "cpu.writable_masks", true, &d->has_masks);
	if (!ret && d->has_masks)
		ret = member(r, cpu, "id_reg_masks", "cpu.id_reg_masks", JSON_OBJECT, true, &obj);
	if (!ret && d->has_masks)
		ret = read_regs(r, obj, "cpu.id_reg_masks", d, one_mask);
	if (!ret)
		ret = read_ccsidr(r, cpu, "cpu.ccsidr", &d->nr_ccsidr, d->ccsidr);
	if (!ret)
		ret = read_reg_list(r, cpu, d);
	return ret;
}

static int read_caps(struct reader *r, struct host_caps *c)
{
	unsigned api = 0;
	int ret;

	if (json__type(r->doc, 0) != JSON_OBJECT) {
		set_err(r->err, r->errlen, "the top level is %s, expected an object",
			json__type_name(json__type(r->doc, 0)));
		return -VMM_ERR_INPUT;
	}
	ret = read_format(r, 0);
	if (!ret)
		ret = read_string(r, 0, "host", true, c->host, sizeof(c->host));
	if (!ret)
		ret = read_string(r, 0, "kernel", false, c->kernel, sizeof(c->kernel));
	if (!ret)
		ret = read_uint(r, 0, "kvm_api_version", 0, INT32_MAX, &api);
	if (!ret)
		ret = read_uint(r, 0, "ipa_bits_max", 32, 64, &c->ipa_bits_max);
	if (!ret)
		ret = read_uint(r, 0, "max_vcpus", 0, INT32_MAX, &c->max_vcpus);
	if (!ret)
		ret = read_uint(r, 0, "recommended_vcpus", 0, INT32_MAX, &c->recommended_vcpus);
	if (!ret)
		ret = read_sve(r, 0, &c->sve);
	if (!ret)
		ret = read_gic(r, 0, c);
	if (!ret)
		ret = read_bool(r, 0, "pmu", "pmu", false, &c->pmu);
	if (!ret)
		ret = read_bool(r, 0, "ptrauth", "ptrauth", false, &c->ptrauth);
	if (!ret)
		ret = read_bool(r, 0, "mte", "mte", false, &c->mte);
	if (!ret)
		ret = read_cpu(r, 0, &c->cpu);
	c->kvm_api_version = api;
	return ret;
}

int caps__parse_json(const char *text, size_t len, struct host_caps *caps,
		     char *err, size_t errlen)
{
	struct json_doc doc;
	struct reader r = { .doc = &doc, .err = err, .errlen = errlen };
	char why[200];
	int ret;

	memset(caps, 0, sizeof(*caps));
	ret = json__parse(&doc, text, len, why, sizeof(why));
	if (ret == -ENOMEM) {
		set_err(err, errlen, "out of memory");
		return -VMM_ERR_INTERNAL;
	}
	if (ret) {
		set_err(err, errlen, "not valid JSON: %s", why);
		return -VMM_ERR_INPUT;
	}
	ret = read_caps(&r, caps);
	json__free(&doc);
	return ret;
}

/* ---- reading a plan back (for `vmm run --cpu-plan`) ---- */

static int one_planned(struct reader *r, int node, const char *at, unsigned idx, void *ctx)
{
	struct cpu_plan *plan = ctx;
	char path[128];
	int ret;

	if (json__type(r->doc, node) != JSON_OBJECT) {
		set_err(r->err, r->errlen, "\"%s\" is %s, expected an object {value, mask}", at,
			json__type_name(json__type(r->doc, node)));
		return -VMM_ERR_INPUT;
	}
	snprintf(path, sizeof(path), "%s.value", at);
	ret = read_hex(r, node, "value", path, true, &plan->value[idx]);
	snprintf(path, sizeof(path), "%s.mask", at);
	if (!ret)
		ret = read_hex(r, node, "mask", path, true, &plan->mask[idx]);
	if (!ret && (plan->value[idx] & ~plan->mask[idx])) {
		set_err(r->err, r->errlen, "\"%s\" sets bits outside its mask", at);
		return -VMM_ERR_INPUT;
	}
	plan->planned[idx] = true;
	return ret;
}

static int read_plan_cpu(struct reader *r, int cpu, struct cpu_plan *plan)
{
	int obj, ret;
	int64_t v;

	plan->has_cpu = true;
	ret = read_vcpu_features(r, cpu, "cpu.vcpu_features", &plan->vcpu_features);
	if (!ret)
		ret = member(r, cpu, "cntfrq_el0", "cpu.cntfrq_el0", JSON_NUMBER, true, &obj);
	if (!ret)
		ret = integer(r, obj, "cpu.cntfrq_el0", 0, UINT32_MAX, &v);
	plan->cntfrq = ret ? 0 : v;
	if (!ret)
		ret = read_hex(r, cpu, "dczid_el0", "cpu.dczid_el0", true, &plan->dczid);
	if (!ret)
		ret = member(r, cpu, "id_regs", "cpu.id_regs", JSON_OBJECT, true, &obj);
	if (!ret)
		ret = read_regs(r, obj, "cpu.id_regs", plan, one_planned);
	if (!ret)
		ret = read_ccsidr(r, cpu, "cpu.ccsidr", &plan->nr_ccsidr, plan->ccsidr);
	return ret;
}

static int read_plan(struct reader *r, struct cpu_plan *plan)
{
	int arr, cpu, ret;

	if (json__type(r->doc, 0) != JSON_OBJECT) {
		set_err(r->err, r->errlen, "the top level is %s, expected an object",
			json__type_name(json__type(r->doc, 0)));
		return -VMM_ERR_INPUT;
	}
	ret = read_format(r, 0);
	if (!ret)
		ret = member(r, 0, "common_vector_lengths", "common_vector_lengths", JSON_ARRAY,
			     true, &arr);
	if (!ret)
		ret = read_lengths(r, arr, "common_vector_lengths", &plan->sve);
	if (ret)
		return ret;
	if (plan->sve && !(plan->sve & VQ_BIT(1))) {
		set_err(r->err, r->errlen, "\"common_vector_lengths\" lacks 128");
		return -VMM_ERR_INPUT;
	}
	cpu = json__member(r->doc, 0, "cpu");
	if (cpu < 0 || json__type(r->doc, cpu) == JSON_NULL)
		return 0;	/* an SVE-only plan */
	ret = member(r, 0, "cpu", "cpu", JSON_OBJECT, true, &cpu);
	return ret ? ret : read_plan_cpu(r, cpu, plan);
}

int cpuplan__parse(const char *text, size_t len, struct cpu_plan *plan, char *err, size_t errlen)
{
	struct json_doc doc;
	struct reader r = { .doc = &doc, .err = err, .errlen = errlen };
	char why[200];
	int ret;

	memset(plan, 0, sizeof(*plan));
	ret = json__parse(&doc, text, len, why, sizeof(why));
	if (ret == -ENOMEM) {
		set_err(err, errlen, "out of memory");
		return -VMM_ERR_INTERNAL;
	}
	if (ret) {
		set_err(err, errlen, "not valid JSON: %s", why);
		return -VMM_ERR_INPUT;
	}
	ret = read_plan(&r, plan);
	json__free(&doc);
	return ret;
}

/* Reads a whole JSON file of at most CAPS_FILE_MAX bytes; -2/-1 with "path: why" in err. */
static int load_text(const char *path, uint8_t **text, size_t *len, char *err, size_t errlen)
{
	int ret = read_file(path, CAPS_FILE_MAX, text, len);

	if (ret == -EFBIG) {
		set_err(err, errlen, "%s: larger than %u bytes, not a caps file",
			path, CAPS_FILE_MAX);
		return -VMM_ERR_INPUT;
	}
	if (ret) {
		set_err(err, errlen, "%s: %s", path, strerror(-ret));
		return ret == -ENOMEM ? -VMM_ERR_INTERNAL : -VMM_ERR_INPUT;
	}
	return 0;
}

int cpuplan__load(const char *path, struct cpu_plan *plan, char *err, size_t errlen)
{
	char why[400];
	uint8_t *text;
	size_t len;
	int ret;

	memset(plan, 0, sizeof(*plan));
	ret = load_text(path, &text, &len, err, errlen);
	if (ret)
		return ret;
	ret = cpuplan__parse((const char *)text, len, plan, why, sizeof(why));
	free(text);
	if (ret)
		set_err(err, errlen, "%s: %s", path, why);
	return ret;
}

int caps__load(const char *path, struct host_caps *caps, char *err, size_t errlen)
{
	char why[400];
	uint8_t *text;
	size_t len;
	int ret;

	memset(caps, 0, sizeof(*caps));
	ret = load_text(path, &text, &len, err, errlen);
	if (ret)
		return ret;
	ret = caps__parse_json((const char *)text, len, caps, why, sizeof(why));
	free(text);
	if (ret)
		set_err(err, errlen, "%s: %s", path, why);
	return ret;
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

/* The plan's registers as a description, to name its features. */
static void plan_as_desc(const struct cpu_plan *plan, struct cpu_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->present = true;
	for (unsigned idx = 0; idx < IDREG_COUNT; idx++) {
		d->valid[idx] = plan->planned[idx];
		d->value[idx] = plan->value[idx];
	}
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
	plan_as_desc(&r->plan, scratch);
	fputs("CPU features:", f);
	for (unsigned k = 0; (name = idregs__feature(k, scratch, &has)); k++)
		if (has)
			fprintf(f, " %s", name);
	fputc('\n', f);
	print_features_off(f, files, hosts, n, scratch);
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

	plan_as_desc(plan, scratch);
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
	fputs("},\n", f);
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
		    const vq_mask_t *sets, unsigned n, FILE *out, bool json)
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
	if (cpuplan__plan(descs, sets, n, &r))
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
	       char *err, size_t errlen)
{
	struct host_caps *hosts;
	vq_mask_t *sets;
	char why[512];
	unsigned i;
	int ret = 0;

	if (!n) {
		set_err(err, errlen, "caps --plan: no files given");
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
	ret = plan_cpu(files, hosts, sets, n, out, json);
	if (ret)
		set_err(err, errlen, "caps --plan: out of memory for %u hosts", n);
out:
	free(hosts);
	free(sets);
	return ret;
}

/* ---- the command ---- */

int caps__parse_args(int argc, char **argv, struct caps_args *a, char *err, size_t errlen)
{
	bool only_files = false;
	int i;

	memset(a, 0, sizeof(*a));
	a->files = argv + 1;
	for (i = 1; i < argc; i++) {
		char *arg = argv[i];

		if (only_files || arg[0] != '-' || !arg[1]) {
			a->files[a->nr_files++] = arg;	/* never ahead of i */
		} else if (!strcmp(arg, "--")) {
			only_files = true;
		} else if (!strcmp(arg, "--json")) {
			a->json = true;
		} else if (!strcmp(arg, "--plan")) {
			a->plan = true;
		} else if (!strcmp(arg, "--labels")) {
			a->labels = true;
		} else if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			a->help = true;
		} else {
			set_err(err, errlen, "caps: unknown option '%s'; see 'vmm caps --help'", arg);
			return -VMM_ERR_INPUT;
		}
	}
	if (a->help)
		return 0;
	if (a->nr_files && !a->plan) {
		set_err(err, errlen, "caps: unexpected argument '%s'; only --plan takes files",
			a->files[0]);
		return -VMM_ERR_INPUT;
	}
	if (a->labels && (a->plan || a->json)) {
		set_err(err, errlen, "caps: --labels goes with neither --json nor --plan");
		return -VMM_ERR_INPUT;
	}
	if (a->plan && !a->nr_files) {
		set_err(err, errlen, "caps --plan: no files given; see 'vmm caps --help'");
		return -VMM_ERR_INPUT;
	}
	return 0;
}
