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
	fprintf(f, "  \"mte\": %s\n}\n", true_false(c->mte));
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

int caps__load(const char *path, struct host_caps *caps, char *err, size_t errlen)
{
	char why[400];
	uint8_t *text;
	size_t len;
	int ret;

	memset(caps, 0, sizeof(*caps));
	ret = read_file(path, CAPS_FILE_MAX, &text, &len);
	if (ret == -EFBIG) {
		set_err(err, errlen, "%s: larger than %u bytes, not a caps file",
			path, CAPS_FILE_MAX);
		return -VMM_ERR_INPUT;
	}
	if (ret) {
		set_err(err, errlen, "%s: %s", path, strerror(-ret));
		return ret == -ENOMEM ? -VMM_ERR_INTERNAL : -VMM_ERR_INPUT;
	}
	ret = caps__parse_json((const char *)text, len, caps, why, sizeof(why));
	free(text);
	if (ret)
		set_err(err, errlen, "%s: %s", path, why);
	return ret;
}

/* ---- the plan for a cluster ---- */

/* "a.json (host1)", or "a.json" when the host has no name. */
static void put_host(FILE *f, const char *file, const char *host)
{
	put_name(f, file);
	if (!*host)
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

static void print_plan_json(FILE *f, const char *const *files, const struct host_caps *hosts,
			    unsigned n, vq_mask_t plan)
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
		fputs(i + 1 < n ? "},\n" : "}\n", f);
	}
	fputs("  ],\n  \"common_vector_lengths\": ", f);
	put_lengths(f, plan);
	sve__format_set(plan, set, sizeof(set));
	fprintf(f, ",\n  \"sve_vls\": \"%s\"\n}\n", plan ? set : "off");
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
	if (json)
		print_plan_json(out, files, hosts, n, sve__plan(sets, n));
	else
		print_plan(out, files, hosts, n, sve__plan(sets, n));
out:
	free(hosts);
	free(sets);
	return ret;
}

/* ---- the command ---- */

static int caps_option(void *ctx, int id, char *arg, char *err, size_t errlen)
{
	struct caps_args *a = ctx;

	if (id == CAPS_OPT_JSON)
		a->json = true;
	else if (id == CAPS_OPT_PLAN)
		a->plan = true;
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
	if (a->plan && !a->nr_files) {
		set_err(err, errlen, "caps --plan: no files given; see 'vmm caps --help'");
		return -VMM_ERR_INPUT;
	}
	return 0;
}
