/*
 * Reading back the JSON of `vmm caps --json` (struct host_caps, its "cpu"
 * object included) and of `vmm caps --plan --json` (struct cpu_plan):
 * files from other hosts or older vmms, checked field by field, every
 * error one line naming the field (docs/caps.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arm64/caps.h"
#include "vmm/json.h"

#define SVE_VL_UNIT	128u	/* bits per VQ */

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

/* The top level, an object, and its "format" (a caps file's and a plan file's). */
static int read_format(struct reader *r)
{
	int64_t v;
	int i, ret;

	if (json__type(r->doc, 0) != JSON_OBJECT) {
		set_err(r->err, r->errlen, "the top level is %s, expected an object",
			json__type_name(json__type(r->doc, 0)));
		return -VMM_ERR_INPUT;
	}
	ret = member(r, 0, "format", "format", JSON_NUMBER, true, &i);
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

typedef int (*read_reg_fn)(struct reader *r, int node, const char *at, unsigned idx, void *ctx);

/* An object of "REGISTER": value, each value read by one(). */
static int read_regs(struct reader *r, int obj, const char *path, void *ctx, read_reg_fn one)
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
	if (idx != d->nr_regs) {
		set_err(r->err, r->errlen, "\"cpu.reg_list.ids\" has %u ids, \"count\" says %u",
			idx, d->nr_regs);
		return -VMM_ERR_INPUT;
	}
	if (d->nr_ids == idx && idregs__digest(d->ids, d->nr_ids) != d->reg_digest) {
		set_err(r->err, r->errlen, "\"cpu.reg_list.digest\" is not the digest of its ids");
		return -VMM_ERR_INPUT;
	}
	return 0;
}

/*
 * What a caps file's "cpu" and a plan file's have in common, in this
 * order: vcpu_features, cntfrq_el0, dczid_el0, and id_regs, each register
 * read by one() into ctx.
 */
static int read_cpu_common(struct reader *r, int cpu, uint32_t *features, uint64_t *cntfrq,
			   uint64_t *dczid, read_reg_fn one, void *ctx)
{
	int obj, ret;
	int64_t v;

	ret = read_vcpu_features(r, cpu, "cpu.vcpu_features", features);
	if (!ret)
		ret = member(r, cpu, "cntfrq_el0", "cpu.cntfrq_el0", JSON_NUMBER, true, &obj);
	if (!ret)
		ret = integer(r, obj, "cpu.cntfrq_el0", 0, UINT32_MAX, &v);
	*cntfrq = ret ? 0 : (uint64_t)v;
	if (!ret)
		ret = read_hex(r, cpu, "dczid_el0", "cpu.dczid_el0", true, dczid);
	if (!ret)
		ret = member(r, cpu, "id_regs", "cpu.id_regs", JSON_OBJECT, true, &obj);
	if (!ret)
		ret = read_regs(r, obj, "cpu.id_regs", ctx, one);
	return ret;
}

/* The optional "cpu" object: the ID registers and what goes with them. */
static int read_cpu(struct reader *r, int root, struct cpu_desc *d)
{
	int cpu, obj, ret;

	ret = member(r, root, "cpu", "cpu", JSON_OBJECT, false, &cpu);
	if (ret || cpu < 0)
		return ret;
	d->present = true;
	ret = read_cpu_common(r, cpu, &d->vcpu_features, &d->cntfrq, &d->dczid, one_value, d);
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

	ret = read_format(r);
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

/*
 * Parses text as JSON and hands the document to read (a reader of its root);
 * bad JSON is bad input (-2), with the reason in err.
 */
static int parse_with(const char *text, size_t len, int (*read)(struct reader *, void *),
		      void *out, char *err, size_t errlen)
{
	struct json_doc doc;
	struct reader r = { .doc = &doc, .err = err, .errlen = errlen };
	char why[200];
	int ret;

	ret = json__parse(&doc, text, len, why, sizeof(why));
	if (ret == -ENOMEM) {
		set_err(err, errlen, "out of memory");
		return -VMM_ERR_INTERNAL;
	}
	if (ret) {
		set_err(err, errlen, "not valid JSON: %s", why);
		return -VMM_ERR_INPUT;
	}
	ret = read(&r, out);
	json__free(&doc);
	return ret;
}

static int read_caps_root(struct reader *r, void *caps)
{
	return read_caps(r, caps);
}

int caps__parse_json(const char *text, size_t len, struct host_caps *caps,
		     char *err, size_t errlen)
{
	memset(caps, 0, sizeof(*caps));
	return parse_with(text, len, read_caps_root, caps, err, errlen);
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
	int ret;

	plan->has_cpu = true;
	ret = read_cpu_common(r, cpu, &plan->vcpu_features, &plan->cntfrq, &plan->dczid,
			      one_planned, plan);
	if (!ret)
		ret = read_ccsidr(r, cpu, "cpu.ccsidr", &plan->nr_ccsidr, plan->ccsidr);
	return ret;
}

static int read_plan(struct reader *r, struct cpu_plan *plan)
{
	int arr, cpu, ret;

	ret = read_format(r);
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

static int read_plan_root(struct reader *r, void *plan)
{
	return read_plan(r, plan);
}

int cpuplan__parse(const char *text, size_t len, struct cpu_plan *plan, char *err, size_t errlen)
{
	memset(plan, 0, sizeof(*plan));
	return parse_with(text, len, read_plan_root, plan, err, errlen);
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

/*
 * Reads the JSON file at path with read; errors are "path: why" in err.
 * keep (NULL: none) gets the file's text and keep_len its length.
 */
static int load_with(const char *path, int (*read)(struct reader *, void *), void *out,
		     char **keep, size_t *keep_len, char *err, size_t errlen)
{
	char why[400];
	uint8_t *text;
	size_t len;
	int ret;

	ret = load_text(path, &text, &len, err, errlen);
	if (ret)
		return ret;
	ret = parse_with((const char *)text, len, read, out, why, sizeof(why));
	if (ret)
		set_err(err, errlen, "%s: %s", path, why);
	if (ret || !keep) {
		free(text);
		return ret;
	}
	*keep = (char *)text;
	*keep_len = len;
	return 0;
}

int cpuplan__load_text(const char *path, struct cpu_plan *plan, char **text, size_t *len,
		       char *err, size_t errlen)
{
	memset(plan, 0, sizeof(*plan));
	return load_with(path, read_plan_root, plan, text, len, err, errlen);
}

int cpuplan__load(const char *path, struct cpu_plan *plan, char *err, size_t errlen)
{
	return cpuplan__load_text(path, plan, NULL, NULL, err, errlen);
}

int caps__load(const char *path, struct host_caps *caps, char *err, size_t errlen)
{
	memset(caps, 0, sizeof(*caps));
	return load_with(path, read_caps_root, caps, NULL, NULL, err, errlen);
}

