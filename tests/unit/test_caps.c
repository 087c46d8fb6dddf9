/*
 * Unit tests of `vmm caps` without KVM (arm64/caps.c): the JSON it writes
 * reads back, the planner over several hosts' files, and the messages for
 * bad files. Expected sets come from the kernel's rule (a guest set is a
 * host's set truncated at one of its lengths), not from vmm's output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "arm64/arm64.h"
#include "arm64/caps.h"
#include "vmm/json.h"
#include "vmm/util.h"

#define H_NONE	0x0000
#define H_256	0x0003	/* 128,256 */
#define H_384	0x0007	/* 128,256,384 */
#define H_512	0x000b	/* 128,256,512 */
#define H_1_4	0x000f	/* 128,256,384,512 */
#define H_ALL	0xffff	/* 128..2048 */

/* ---- files in a scratch directory ---- */

static char tmpdir[64];
static char paths[256][256];
static unsigned nr_paths;

static int make_tmpdir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_caps.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	while (nr_paths)
		remove(paths[--nr_paths]);
	return rmdir(tmpdir);
}

/* Writes len bytes (strlen when len is 0) to tmpdir/name; returns the path. */
static const char *write_file(const char *name, const char *text, size_t len)
{
	char *path;
	FILE *f;

	assert_true(nr_paths < ARRAY_SIZE(paths));
	path = paths[nr_paths];
	snprintf(path, sizeof(paths[0]), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	if (!len)
		len = strlen(text);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	nr_paths++;
	return path;
}

/* The smallest file --plan accepts: format, host and sve. */
static const char *write_min(const char *name, const char *host, const char *lengths)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "{\"format\": 1, \"host\": \"%s\", \"sve\": {\"supported\": %s, "
		 "\"vector_lengths\": [%s]}}", host, *lengths ? "true" : "false", lengths);
	return write_file(name, text, 0);
}

static struct host_caps sample_caps(const char *host, vq_mask_t sve)
{
	struct host_caps c = {
		.kvm_api_version = 12, .ipa_bits_max = 48, .max_vcpus = 512,
		.recommended_vcpus = 4, .sve = sve, .gic_v3 = true, .pmu = true,
		.ptrauth = true,
	};

	snprintf(c.host, sizeof(c.host), "%s", host);
	snprintf(c.kernel, sizeof(c.kernel), "6.1.0-56-arm64");
	return c;
}

/* What caps__print_json() writes, as a heap string. */
static char *caps_json(const struct host_caps *c, size_t *len)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	assert_non_null(f);
	caps__print_json(f, c);
	assert_int_equal(fclose(f), 0);
	if (len)
		*len = n;
	return text;
}

static const char *write_caps(const char *name, const struct host_caps *c)
{
	char *text = caps_json(c, NULL);
	const char *path = write_file(name, text, 0);

	free(text);
	return path;
}

/* ---- the JSON object ---- */

static void check_same(const struct host_caps *a, const struct host_caps *b)
{
	assert_string_equal(a->host, b->host);
	assert_string_equal(a->kernel, b->kernel);
	assert_int_equal(a->kvm_api_version, b->kvm_api_version);
	assert_int_equal(a->ipa_bits_max, b->ipa_bits_max);
	assert_int_equal(a->max_vcpus, b->max_vcpus);
	assert_int_equal(a->recommended_vcpus, b->recommended_vcpus);
	assert_int_equal(a->sve, b->sve);
	assert_int_equal(a->gic_v2, b->gic_v2);
	assert_int_equal(a->gic_v3, b->gic_v3);
	assert_int_equal(a->pmu, b->pmu);
	assert_int_equal(a->ptrauth, b->ptrauth);
	assert_int_equal(a->mte, b->mte);
}

static void test_json_round_trip(void **state)
{
	struct host_caps in[] = {
		sample_caps("host1", H_512),
		sample_caps("nosve", H_NONE),
		sample_caps("full", H_ALL),
		sample_caps("", H_384),
		/* A name that needs escapes, and UTF-8. */
		sample_caps("we\"ird\\na\tme\x01 caf\xc3\xa9", H_256),
	};
	size_t i;

	in[1].gic_v2 = true;
	in[1].gic_v3 = false;
	in[1].pmu = false;
	in[1].ptrauth = false;
	in[1].mte = true;
	in[2].ipa_bits_max = 40;
	in[2].max_vcpus = 1;
	in[2].recommended_vcpus = 1;
	for (i = 0; i < ARRAY_SIZE(in); i++) {
		struct host_caps out;
		char err[256] = "";
		size_t len;
		char *text = caps_json(&in[i], &len);

		memset(&out, 0x5a, sizeof(out));
		if (caps__parse_json(text, len, &out, err, sizeof(err)))
			fail_msg("host %zu does not read back: %s\n%s", i, err, text);
		check_same(&in[i], &out);
		free(text);
	}
}

/* An array node's lengths, "128,256". */
static void lengths_text(const struct json_doc *doc, int arr, char *buf, size_t len)
{
	size_t k = 0;
	int e;

	assert_int_equal(json__type(doc, arr), JSON_ARRAY);
	buf[0] = '\0';
	for (e = json__first(doc, arr); e >= 0; e = json__next(doc, arr, e)) {
		int64_t v;

		assert_int_equal(json__int(doc, e, &v), 0);
		k += snprintf(buf + k, len - k, "%s%lld", k ? "," : "", (long long)v);
	}
}

/* The documented fields, read with the plain JSON reader. */
static void test_json_fields(void **state)
{
	static const struct {
		vq_mask_t sve;
		const char *lengths;
		const char *sets[4];
	} cases[] = {
		{ H_512, "128,256,512", { "128", "128,256", "128,256,512" } },
		{ H_384, "128,256,384", { "128", "128,256", "128,256,384" } },
		{ H_256, "128,256", { "128", "128,256" } },
		{ H_NONE, "", { NULL } },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct host_caps c = sample_caps("h", cases[i].sve);
		struct json_doc doc;
		char err[256], buf[128];
		size_t len, n;
		char *text = caps_json(&c, &len);
		int64_t v;
		bool b;
		int sve, sets, e;

		assert_int_equal(json__parse(&doc, text, len, err, sizeof(err)), 0);
		assert_int_equal(json__int(&doc, json__member(&doc, 0, "format"), &v), 0);
		assert_int_equal(v, 1);
		assert_int_equal(json__int(&doc, json__member(&doc, 0, "kvm_api_version"), &v), 0);
		assert_int_equal(v, 12);
		assert_int_equal(json__int(&doc, json__member(&doc, 0, "ipa_bits_max"), &v), 0);
		assert_int_equal(v, 48);
		assert_int_equal(json__int(&doc, json__member(&doc, 0, "max_vcpus"), &v), 0);
		assert_int_equal(v, 512);
		assert_int_equal(json__int(&doc, json__member(&doc, 0, "recommended_vcpus"), &v), 0);
		assert_int_equal(v, 4);
		assert_int_equal(json__string(&doc, json__member(&doc, 0, "kernel"), buf, sizeof(buf)), 14);
		assert_string_equal(buf, "6.1.0-56-arm64");
		assert_int_equal(json__bool(&doc, json__member(&doc, json__member(&doc, 0, "gic"), "v3"), &b), 0);
		assert_true(b);
		assert_int_equal(json__bool(&doc, json__member(&doc, json__member(&doc, 0, "gic"), "v2"), &b), 0);
		assert_false(b);
		assert_int_equal(json__bool(&doc, json__member(&doc, 0, "mte"), &b), 0);
		assert_false(b);

		sve = json__member(&doc, 0, "sve");
		assert_int_equal(json__bool(&doc, json__member(&doc, sve, "supported"), &b), 0);
		assert_int_equal(b, cases[i].sve != 0);
		lengths_text(&doc, json__member(&doc, sve, "vector_lengths"), buf, sizeof(buf));
		assert_string_equal(buf, cases[i].lengths);
		sets = json__member(&doc, sve, "valid_sets");
		n = 0;
		for (e = json__first(&doc, sets); e >= 0; e = json__next(&doc, sets, e), n++) {
			assert_true(n < ARRAY_SIZE(cases[i].sets) && cases[i].sets[n]);
			lengths_text(&doc, e, buf, sizeof(buf));
			assert_string_equal(buf, cases[i].sets[n]);
		}
		assert_true(n == ARRAY_SIZE(cases[i].sets) || !cases[i].sets[n]);
		json__free(&doc);
		free(text);
	}
}

/* The layout docs/caps.md shows, exactly: scripts and the test bed rely on it. */
static void test_json_text(void **state)
{
	struct host_caps c = sample_caps("host1", H_512);
	char *text = caps_json(&c, NULL);

	assert_string_equal(text,
		"{\n"
		"  \"format\": 1,\n"
		"  \"host\": \"host1\",\n"
		"  \"kernel\": \"6.1.0-56-arm64\",\n"
		"  \"kvm_api_version\": 12,\n"
		"  \"ipa_bits_max\": 48,\n"
		"  \"max_vcpus\": 512,\n"
		"  \"recommended_vcpus\": 4,\n"
		"  \"sve\": {\n"
		"    \"supported\": true,\n"
		"    \"vector_lengths\": [128, 256, 512],\n"
		"    \"valid_sets\": [[128], [128, 256], [128, 256, 512]]\n"
		"  },\n"
		"  \"gic\": {\n"
		"    \"v2\": false,\n"
		"    \"v3\": true\n"
		"  },\n"
		"  \"pmu\": true,\n"
		"  \"ptrauth\": true,\n"
		"  \"mte\": false\n"
		"}\n");
	free(text);
}

static char *human(const struct host_caps *c)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	assert_non_null(f);
	caps__print(f, c);
	assert_int_equal(fclose(f), 0);
	return text;
}

static void check_has(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("output lacks \"%s\":\n%s", part, text);
}

static void test_human(void **state)
{
	struct host_caps c = sample_caps("host1", H_384);
	char *text = human(&c);

	check_has(text, "host:            host1, Linux 6.1.0-56-arm64\n");
	check_has(text, "KVM API version: 12\n");
	check_has(text, "IPA size:        up to 48 bits\n");
	check_has(text, "vcpus:           up to 512 (4 recommended)\n");
	check_has(text, "SVE lengths:     128,256,384\n");
	check_has(text, "SVE guest sets:  128 | 128,256 | 128,256,384 ");
	check_has(text, "GIC:             v3\n");
	check_has(text, "PMU:             yes\n");
	check_has(text, "pointer auth:    yes\n");
	check_has(text, "MTE:             no\n");
	free(text);

	c = sample_caps("bad\nname", H_NONE);
	c.gic_v2 = true;
	text = human(&c);
	check_has(text, "host:            bad?name, ");	/* one line per field */
	check_has(text, "SVE lengths:     none");
	check_has(text, "--sve-vls=off");
	check_has(text, "GIC:             v2, v3\n");
	free(text);
}

/* ---- the planner ---- */

struct plan_out {
	int ret;
	char err[1024];
	char *text;
};

static struct plan_out run_plan(const char *const *files, unsigned n, bool json)
{
	struct plan_out o = { .err = "" };
	size_t len = 0;
	FILE *f = open_memstream(&o.text, &len);

	assert_non_null(f);
	o.ret = caps__plan(files, n, f, json, NULL, o.err, sizeof(o.err));
	assert_int_equal(fclose(f), 0);
	return o;
}

/* The line of the output that starts with prefix, without it ("" when none). */
static const char *line_after(const char *text, const char *prefix, char *buf, size_t len)
{
	const char *p = text;

	buf[0] = '\0';
	while (p && *p) {
		if (!strncmp(p, prefix, strlen(prefix))) {
			p += strlen(prefix);
			snprintf(buf, len, "%.*s", (int)strcspn(p, "\n"), p);
			return buf;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return buf;
}

struct plan_case {
	const char *name;
	vq_mask_t hosts[4];
	unsigned n;
	const char *want;	/* the common set; NULL: none */
};

static const struct plan_case plan_cases[] = {
	{ "big+small+odd", { H_512, H_256, H_384 }, 3, "128,256" },
	{ "big+odd", { H_512, H_384 }, 2, "128,256" },
	{ "odd+big", { H_384, H_512 }, 2, "128,256" },
	{ "big+big", { H_512, H_512 }, 2, "128,256,512" },
	{ "one host", { H_384 }, 1, "128,256,384" },
	/* 512 is in both, but {128,256,512} has a hole on the 1..4 host */
	{ "big+1..4", { H_512, H_1_4 }, 2, "128,256" },
	{ "full+1..4", { H_ALL, H_1_4 }, 2, "128,256,384,512" },
	{ "full+big+1..4+odd", { H_ALL, H_512, H_1_4, H_384 }, 4, "128,256" },
	{ "full+odd+1..4", { H_ALL, H_384, H_1_4 }, 3, "128,256,384" },
	{ "nosve last", { H_512, H_256, H_384, H_NONE }, 4, NULL },
	{ "nosve first", { H_NONE, H_512 }, 2, NULL },
	{ "nosve only", { H_NONE }, 1, NULL },
};

static void test_plan_table(void **state)
{
	size_t i;
	unsigned j;

	for (i = 0; i < ARRAY_SIZE(plan_cases); i++) {
		const struct plan_case *c = &plan_cases[i];
		const char *files[4];
		struct host_caps caps[4];
		struct plan_out o;
		char name[64], host[64], want[128], buf[512];

		for (j = 0; j < c->n; j++) {
			snprintf(name, sizeof(name), "plan%zu-%u.json", i, j);
			snprintf(host, sizeof(host), "host%u", j + 1);
			caps[j] = sample_caps(host, c->hosts[j]);
			files[j] = write_caps(name, &caps[j]);
		}
		o = run_plan(files, c->n, false);
		if (o.ret)
			fail_msg("%s: returned %d: %s", c->name, o.ret, o.err);
		if (c->want) {
			line_after(o.text, "largest common SVE set: ", buf, sizeof(buf));
			if (strcmp(buf, c->want))
				fail_msg("%s: common set '%s', want '%s'\n%s", c->name, buf, c->want, o.text);
			snprintf(want, sizeof(want), "--sve-vls=%s", c->want);
		} else {
			check_has(o.text, "no common SVE set: no SVE on ");
			snprintf(want, sizeof(want), "--sve-vls=off");
		}
		line_after(o.text, "launch with: ", buf, sizeof(buf));
		if (strcmp(buf, want))
			fail_msg("%s: launch with '%s', want '%s'", c->name, buf, want);
		/* Each host named with its file, host name and set. */
		for (j = 0; j < c->n; j++) {
			snprintf(want, sizeof(want), "%s (host%u): ", files[j], j + 1);
			check_has(o.text, want);
		}
		free(o.text);
	}
}

/* The example of the issue, from hand-written minimal files. */
static void test_plan_example(void **state)
{
	const char *files[] = {
		write_min("a.json", "host1", "128,256,512"),
		write_min("b.json", "host2", "128,256,384"),
		write_min("c.json", "host3", ""),
		write_min("d.json", "host4", ""),
	};
	char want[1024];
	struct plan_out o = run_plan(files, 2, false);

	assert_int_equal(o.ret, 0);
	snprintf(want, sizeof(want),
		 "hosts: %s (host1): 128,256,512; %s (host2): 128,256,384\n"
		 "largest common SVE set: 128,256\n"
		 "launch with: --sve-vls=128,256\n", files[0], files[1]);
	assert_string_equal(o.text, want);
	free(o.text);

	o = run_plan(files, 4, false);
	assert_int_equal(o.ret, 0);
	snprintf(want, sizeof(want),
		 "hosts: %s (host1): 128,256,512; %s (host2): 128,256,384; "
		 "%s (host3): no SVE; %s (host4): no SVE\n"
		 "no common SVE set: no SVE on %s (host3), %s (host4)\n"
		 "launch with: --sve-vls=off\n",
		 files[0], files[1], files[2], files[3], files[2], files[3]);
	assert_string_equal(o.text, want);
	free(o.text);
}

static void test_plan_json(void **state)
{
	const char *files[] = {
		write_min("j1.json", "host1", "128,256,512"),
		write_min("j2.json", "host2", "128,256"),
		write_min("j3.json", "host3", ""),
	};
	static const struct {
		unsigned n;
		const char *common, *vls;
	} cases[] = {
		{ 2, "128,256", "128,256" },
		{ 1, "128,256,512", "128,256,512" },
		{ 3, "", "off" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct plan_out o = run_plan(files, cases[i].n, true);
		struct json_doc doc;
		char err[256], buf[128];
		int hosts, h;
		unsigned n = 0;

		assert_int_equal(o.ret, 0);
		if (json__parse(&doc, o.text, strlen(o.text), err, sizeof(err)))
			fail_msg("--plan --json is not JSON: %s\n%s", err, o.text);
		lengths_text(&doc, json__member(&doc, 0, "common_vector_lengths"), buf, sizeof(buf));
		assert_string_equal(buf, cases[i].common);
		assert_true(json__string(&doc, json__member(&doc, 0, "sve_vls"), buf, sizeof(buf)) >= 0);
		assert_string_equal(buf, cases[i].vls);
		hosts = json__member(&doc, 0, "hosts");
		for (h = json__first(&doc, hosts); h >= 0; h = json__next(&doc, hosts, h), n++) {
			assert_true(json__string(&doc, json__member(&doc, h, "file"), buf, sizeof(buf)) >= 0);
			assert_string_equal(buf, files[n]);
		}
		assert_int_equal(n, cases[i].n);
		json__free(&doc);
		free(o.text);
	}
}

/* ---- bad files: -2, one line naming the file and the problem, no output ---- */

struct bad_file {
	const char *text;
	const char *msg;
};

#define SVE_OK	"\"sve\": {\"supported\": true, \"vector_lengths\": [128, 256]}"
#define WITH(extra) "{\"format\": 1, \"host\": \"h\", " SVE_OK ", " extra "}"
#define LENGTHS(l) "{\"format\": 1, \"host\": \"h\", \"sve\": {\"supported\": true, \"vector_lengths\": " l "}}"

static const struct bad_file bad_files[] = {
	{ "", "not valid JSON: empty" },
	{ "{\"format\": 1, \"host\": \"h\", \"sve\": {\"supp", "not valid JSON: line 1, column 41: unexpected end of input in a string" },
	{ "{\"format\": 1, \"host\": \"h\"\n" SVE_OK "}", "not valid JSON: line 2, column 1: unexpected '\"', expected ',' or '}'" },
	{ "[1, 2]", "the top level is an array, expected an object" },
	{ "\"caps\"", "the top level is a string, expected an object" },
	/* format */
	{ "{\"host\": \"h\", " SVE_OK "}", "missing \"format\" (a number)" },
	{ "{\"format\": 2, \"host\": \"h\", " SVE_OK "}", "\"format\" is 2; this vmm reads format 1" },
	{ "{\"format\": 0, \"host\": \"h\", " SVE_OK "}", "\"format\" is 0; this vmm reads format 1" },
	{ "{\"format\": \"1\", \"host\": \"h\", " SVE_OK "}", "\"format\" is a string, expected a number" },
	{ "{\"format\": 1.0, \"host\": \"h\", " SVE_OK "}", "\"format\" is 1.0, not a whole number" },
	{ "{\"format\": 1e400, \"host\": \"h\", " SVE_OK "}", "\"format\" is 1e400, not a whole number" },
	{ "{\"format\": 99999999999999999999, \"host\": \"h\", " SVE_OK "}", "\"format\" is 99999999999999999999, far too large" },
	{ "{\"format\": -1, \"host\": \"h\", " SVE_OK "}", "\"format\" is -1, outside 0..2147483647" },
	/* host */
	{ "{\"format\": 1, " SVE_OK "}", "missing \"host\" (a string)" },
	{ "{\"format\": 1, \"host\": null, " SVE_OK "}", "\"host\" is null, expected a string" },
	/* sve */
	{ "{\"format\": 1, \"host\": \"h\"}", "missing \"sve\" (an object)" },
	{ "{\"format\": 1, \"host\": \"h\", \"sve\": [128]}", "\"sve\" is an array, expected an object" },
	{ "{\"format\": 1, \"host\": \"h\", \"sve\": {\"vector_lengths\": [128]}}", "missing \"sve.supported\" (a boolean)" },
	{ "{\"format\": 1, \"host\": \"h\", \"sve\": {\"supported\": \"yes\", \"vector_lengths\": [128]}}",
	  "\"sve.supported\" is a string, expected a boolean" },
	{ "{\"format\": 1, \"host\": \"h\", \"sve\": {\"supported\": true}}", "missing \"sve.vector_lengths\" (an array)" },
	{ LENGTHS("{\"0\": 128}"), "\"sve.vector_lengths\" is an object, expected an array" },
	{ LENGTHS("\"128,256\""), "\"sve.vector_lengths\" is a string, expected an array" },
	/* the lengths */
	{ LENGTHS("[128, 200]"), "\"sve.vector_lengths[1]\" is 200, not a multiple of 128" },
	{ LENGTHS("[128, 192]"), "\"sve.vector_lengths[1]\" is 192, not a multiple of 128" },
	{ LENGTHS("[128, 4096]"), "\"sve.vector_lengths[1]\" is 4096, outside 128..2048" },
	{ LENGTHS("[128, 2176]"), "\"sve.vector_lengths[1]\" is 2176, outside 128..2048" },
	{ LENGTHS("[0]"), "\"sve.vector_lengths[0]\" is 0, outside 128..2048" },
	{ LENGTHS("[-128]"), "\"sve.vector_lengths[0]\" is -128, outside 128..2048" },
	{ LENGTHS("[128, 256, 256]"), "\"sve.vector_lengths\" is not strictly increasing: 256 after 256" },
	{ LENGTHS("[256, 128]"), "\"sve.vector_lengths\" is not strictly increasing: 128 after 256" },
	{ LENGTHS("[256, 512]"), "\"sve.vector_lengths\" lacks 128, which every SVE host has" },
	{ LENGTHS("[]"), "\"sve.vector_lengths\" lacks 128" },
	{ LENGTHS("[128, \"256\"]"), "\"sve.vector_lengths[1]\" is a string, expected a length in bits" },
	{ LENGTHS("[128, [256]]"), "\"sve.vector_lengths[1]\" is an array, expected a length in bits" },
	{ LENGTHS("[128, 256.5]"), "\"sve.vector_lengths[1]\" is 256.5, not a whole number" },
	{ LENGTHS("[128, 18446744073709551616]"), "\"sve.vector_lengths[1]\" is 18446744073709551616, far too large" },
	{ "{\"format\": 1, \"host\": \"h\", \"sve\": {\"supported\": false, \"vector_lengths\": [128]}}",
	  "\"sve.supported\" is false but \"sve.vector_lengths\" is not empty" },
	/* valid_sets must follow from the lengths */
	{ "{\"format\": 1, \"host\": \"h\", \"sve\": {\"supported\": true, \"vector_lengths\": [128, 256],"
	  " \"valid_sets\": [[128], [128, 256], [128, 256, 512]]}}",
	  "\"sve.valid_sets\" does not follow from \"sve.vector_lengths\"" },
	{ "{\"format\": 1, \"host\": \"h\", \"sve\": {\"supported\": true, \"vector_lengths\": [128, 256],"
	  " \"valid_sets\": [[128]]}}", "\"sve.valid_sets\" does not follow" },
	{ "{\"format\": 1, \"host\": \"h\", \"sve\": {\"supported\": true, \"vector_lengths\": [128, 256],"
	  " \"valid_sets\": [[128], [256]]}}", "\"sve.valid_sets\" does not follow" },
	{ "{\"format\": 1, \"host\": \"h\", \"sve\": {\"supported\": true, \"vector_lengths\": [128, 256],"
	  " \"valid_sets\": [128, [128, 256]]}}", "\"sve.valid_sets[0]\" is a number, expected an array" },
	{ "{\"format\": 1, \"host\": \"h\", \"sve\": {\"supported\": true, \"vector_lengths\": [128, 256],"
	  " \"valid_sets\": [[128], [128, 200]]}}", "\"sve.valid_sets[1][1]\" is 200, not a multiple of 128" },
	/* the other fields are checked when there */
	{ WITH("\"ipa_bits_max\": 99"), "\"ipa_bits_max\" is 99, outside 32..64" },
	{ WITH("\"ipa_bits_max\": \"48\""), "\"ipa_bits_max\" is a string, expected a number" },
	{ WITH("\"max_vcpus\": -1"), "\"max_vcpus\" is -1, outside 0..2147483647" },
	{ WITH("\"kvm_api_version\": 12.5"), "\"kvm_api_version\" is 12.5, not a whole number" },
	{ WITH("\"pmu\": \"true\""), "\"pmu\" is a string, expected a boolean" },
	{ WITH("\"mte\": 0"), "\"mte\" is a number, expected a boolean" },
	{ WITH("\"gic\": true"), "\"gic\" is a boolean, expected an object" },
	{ WITH("\"gic\": {\"v3\": 1}"), "\"gic.v3\" is a number, expected a boolean" },
	{ WITH("\"kernel\": 6"), "\"kernel\" is a number, expected a string" },
	/* the reader's own limits */
	{ WITH("\"x\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"),
	  "not valid JSON: line 1, column 122: arrays and objects nested deeper than 32" },
	{ WITH("\"sve\": {}"), "not valid JSON: line 1, column 86: duplicate key \"sve\"" },
	{ "{\"format\": 1, \"host\": \"h\xff\", " SVE_OK "}", "not valid JSON: line 1, column 25: invalid UTF-8 in a string" },
};

static void test_bad_files(void **state)
{
	const char *good = write_min("good.json", "good", "128,256");
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_files); i++) {
		const char *files[2];
		char name[32], want[512];
		struct plan_out o;

		snprintf(name, sizeof(name), "bad%zu.json", i);
		files[0] = good;
		files[1] = write_file(name, bad_files[i].text, 0);
		o = run_plan(files, 2, false);
		if (o.ret != -VMM_ERR_INPUT)
			fail_msg("bad file %zu: returned %d, want -2 (%s)", i, o.ret, o.err);
		snprintf(want, sizeof(want), "caps --plan %s: %s", files[1], bad_files[i].msg);
		if (strncmp(o.err, want, strlen(want)))
			fail_msg("bad file %zu:\n   got \"%s\"\n  want \"%s...\"", i, o.err, want);
		if (strchr(o.err, '\n'))
			fail_msg("bad file %zu: not one line: %s", i, o.err);
		if (*o.text)
			fail_msg("bad file %zu: printed a plan anyway:\n%s", i, o.text);
		free(o.text);
	}
}

/* A field too long to keep, a file too large, files that cannot be read. */
static void test_bad_file_sizes(void **state)
{
	char *text = malloc(CAPS_FILE_MAX + 64);
	const char *files[1];
	struct plan_out o;
	char want[512];
	size_t k;

	assert_non_null(text);
	k = sprintf(text, "{\"format\": 1, \"host\": \"");
	memset(text + k, 'h', CAPS_NAME_MAX);
	k += CAPS_NAME_MAX;
	sprintf(text + k, "\", %s}", SVE_OK);
	files[0] = write_file("longhost.json", text, 0);
	o = run_plan(files, 1, false);
	assert_int_equal(o.ret, -VMM_ERR_INPUT);
	snprintf(want, sizeof(want), "caps --plan %s: \"host\" is longer than 255 bytes", files[0]);
	assert_string_equal(o.err, want);
	free(o.text);

	/* 255 bytes is fine. */
	memmove(text + k - 1, text + k, strlen(text + k) + 1);
	files[0] = write_file("host255.json", text, 0);
	o = run_plan(files, 1, false);
	assert_int_equal(o.ret, 0);
	free(o.text);

	memset(text, ' ', CAPS_FILE_MAX + 1);
	files[0] = write_file("large.json", text, CAPS_FILE_MAX + 1);
	o = run_plan(files, 1, false);
	assert_int_equal(o.ret, -VMM_ERR_INPUT);
	snprintf(want, sizeof(want), "caps --plan %s: larger than 65536 bytes, not a caps file", files[0]);
	assert_string_equal(o.err, want);
	free(o.text);
	free(text);

	snprintf(want, sizeof(want), "%s/no-such.json", tmpdir);
	files[0] = want;
	o = run_plan(files, 1, false);
	assert_int_equal(o.ret, -VMM_ERR_INPUT);
	assert_non_null(strstr(o.err, "no-such.json: No such file or directory"));
	free(o.text);

	files[0] = tmpdir;
	o = run_plan(files, 1, false);
	assert_int_equal(o.ret, -VMM_ERR_INPUT);
	assert_non_null(strstr(o.err, ": Is a directory"));
	free(o.text);

	o = run_plan(files, 0, false);
	assert_int_equal(o.ret, -VMM_ERR_INPUT);
	assert_string_equal(o.err, "caps --plan: no files given");
	free(o.text);
}

/* ---- the command line ---- */

struct args_case {
	const char *argv[6];
	int ret;
	bool json, plan, help, labels;
	unsigned nr_files;
	const char *first, *msg, *accept, *check_plan;
};

static const struct args_case args_cases[] = {
	{ .argv = { "caps" }, .ret = 0 },
	{ .argv = { "caps", "--json" }, .ret = 0, .json = true },
	{ .argv = { "caps", "--help" }, .ret = 0, .help = true },
	{ .argv = { "caps", "-h", "--bogus" }, .ret = -VMM_ERR_INPUT, .msg = "caps: unknown option '--bogus'; see 'vmm caps --help'" },
	{ .argv = { "caps", "--plan", "a.json", "b.json" }, .ret = 0, .plan = true, .nr_files = 2, .first = "a.json" },
	{ .argv = { "caps", "a.json", "--plan", "--json", "b.json" }, .ret = 0, .json = true, .plan = true, .nr_files = 2, .first = "a.json" },
	{ .argv = { "caps", "--plan", "--", "--json" }, .ret = 0, .plan = true, .nr_files = 1, .first = "--json" },
	{ .argv = { "caps", "--plan" }, .ret = -VMM_ERR_INPUT, .msg = "caps --plan: no files given; see 'vmm caps --help'" },
	{ .argv = { "caps", "--json", "--plan" }, .ret = -VMM_ERR_INPUT, .msg = "caps --plan: no files given" },
	{ .argv = { "caps", "a.json" }, .ret = -VMM_ERR_INPUT, .msg = "caps: unexpected argument 'a.json'; only --plan takes files" },
	{ .argv = { "caps", "--plan=a.json" }, .ret = -VMM_ERR_INPUT, .msg = "caps: --plan takes no argument" },
	{ .argv = { "caps", "-j" }, .ret = -VMM_ERR_INPUT, .msg = "caps: unknown option '-j'" },
	{ .argv = { "caps", "--labels" }, .ret = 0, .labels = true },
	{ .argv = { "caps", "--labels", "--json" }, .ret = -VMM_ERR_INPUT, .msg = "caps: --labels goes with neither --json nor --plan" },
	{ .argv = { "caps", "--plan", "--labels", "a.json" }, .ret = -VMM_ERR_INPUT, .msg = "caps: --labels goes with neither" },
	{ .argv = { "caps", "--plan", "--accept=ID_AA64PFR0_EL1.RAS", "a.json" }, .ret = 0, .plan = true, .nr_files = 1, .first = "a.json", .accept = "ID_AA64PFR0_EL1.RAS" },
	{ .argv = { "caps", "--accept=ID_AA64PFR0_EL1.RAS" }, .ret = -VMM_ERR_INPUT, .msg = "caps: --accept goes only with --plan" },
	{ .argv = { "caps", "--check-plan=p.json" }, .ret = 0, .check_plan = "p.json" },
	{ .argv = { "caps", "--check-plan=" }, .ret = -VMM_ERR_INPUT, .msg = "caps: --check-plan=FILE goes alone" },
	{ .argv = { "caps", "--json", "--check-plan=p.json" }, .ret = -VMM_ERR_INPUT, .msg = "caps: --check-plan=FILE goes alone" },
	{ .argv = { "caps", "--check-plan=p.json", "a.json" }, .ret = -VMM_ERR_INPUT, .msg = "caps: unexpected argument 'a.json'" },
};

static void test_args(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(args_cases); i++) {
		const struct args_case *c = &args_cases[i];
		char *argv[6] = { NULL }, err[256] = "";
		struct caps_args a;
		int argc = 0, ret;

		while (argc < 6 && c->argv[argc]) {
			argv[argc] = (char *)c->argv[argc];
			argc++;
		}
		ret = caps__parse_args(argc, argv, &a, err, sizeof(err));
		if (ret != c->ret)
			fail_msg("case %zu: returned %d, want %d (%s)", i, ret, c->ret, err);
		if (ret) {
			if (strncmp(err, c->msg, strlen(c->msg)))
				fail_msg("case %zu:\n   got \"%s\"\n  want \"%s\"", i, err, c->msg);
			continue;
		}
		assert_int_equal(a.json, c->json);
		assert_int_equal(a.plan, c->plan);
		assert_int_equal(a.help, c->help);
		assert_int_equal(a.labels, c->labels);
		assert_int_equal(a.nr_files, c->nr_files);
		if (c->accept)
			assert_string_equal(a.accept, c->accept);
		else
			assert_null(a.accept);
		if (c->check_plan)
			assert_string_equal(a.check_plan, c->check_plan);
		else
			assert_null(a.check_plan);
		if (c->first)
			assert_string_equal(a.files[0], c->first);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_json_text),
		cmocka_unit_test(test_human),
		cmocka_unit_test(test_plan_table),
		cmocka_unit_test(test_plan_example),
		cmocka_unit_test(test_plan_json),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_bad_file_sizes),
		cmocka_unit_test(test_args),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
