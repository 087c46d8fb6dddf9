/*
 * Unit tests of the SVE vector-length set logic (arm64/sve.c, pure part).
 * Expected values are written from the kernel's rule: a guest set is the
 * host's set truncated at one of the host's lengths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "arm64/sve.h"
#include "vmm/util.h"

/* The hosts of the test bed (KVM-SVE-FACTS.md) and two odd ones. */
#define H_NONE	0x0000	/* sve=off */
#define H_128	0x0001	/* sve-max-vq=1 */
#define H_256	0x0003	/* {128,256} */
#define H_384	0x0007	/* sve-max-vq=3: {128,256,384} */
#define H_512	0x000b	/* sve128,sve256,sve512: {128,256,512} */
#define H_1_4	0x000f	/* sve-max-vq=4: {128,256,384,512} */
#define H_ALL	0xffff	/* -cpu max: 128..2048 */
#define H_NO128	0x000a	/* {256,512}: not architectural, but the rule still applies */
#define H_ODD	0x0005	/* {128,384} */

enum flag { F_DEFAULT, F_VLS, F_MAX_VL };

#define ALL_VLS "128,256,384,512,640,768,896,1024,1152,1280,1408,1536,1664,1792,1920,2048"

static void assert_one_line(const char *s)
{
	assert_null(strchr(s, '\n'));
	assert_true(strlen(s) > 0);
}

/*
 * Checks for table rows: a failure names the row, which cmocka's own
 * asserts would not.
 */
static void check_int(const char *row, const char *what, long long got, long long want)
{
	if (got != want)
		fail_msg("%s: %s is %lld (0x%llx), want %lld (0x%llx)", row, what,
			 got, got, want, want);
}

static void check_str(const char *row, const char *got, const char *want)
{
	if (strcmp(got, want))
		fail_msg("%s:\n   got \"%s\"\n  want \"%s\"", row, got, want);
}

static void check_part(const char *row, const char *got, const char *part)
{
	if (!strstr(got, part))
		fail_msg("%s: \"%s\" lacks \"%s\"", row, got, part);
	if (strchr(got, '\n'))
		fail_msg("%s: \"%s\" is not one line", row, got);
}

static const char *flag_name(enum flag flag)
{
	return flag == F_VLS ? "--sve-vls=" : flag == F_MAX_VL ? "--sve-max-vl=" : "(default)";
}

/* ---- resolve: host x request ---- */

struct resolve_case {
	vq_mask_t host;
	enum flag flag;
	const char *arg;
	int status;		/* 0, or -VMM_ERR_HOST */
	vq_mask_t want;		/* when status is 0 */
	const char *msg;	/* exact message, or NULL */
	const char *part;	/* a substring of the message, or NULL */
};

#define OK(h, f, a, m)	{ .host = (h), .flag = (f), .arg = (a), .want = (m) }
#define EXACT(h, f, a, s) { .host = (h), .flag = (f), .arg = (a), .status = -VMM_ERR_HOST, .msg = (s) }
#define PART(h, f, a, s) { .host = (h), .flag = (f), .arg = (a), .status = -VMM_ERR_HOST, .part = (s) }

static const struct resolve_case resolve_cases[] = {
	/* {128,256,512} */
	OK(H_512, F_DEFAULT, NULL, 0xb),
	OK(H_512, F_VLS, "max", 0xb),
	OK(H_512, F_VLS, "off", 0),
	OK(H_512, F_VLS, "128", 0x1),
	OK(H_512, F_VLS, "128,256", 0x3),
	OK(H_512, F_VLS, "256,128", 0x3),
	OK(H_512, F_VLS, "128,256,512", 0xb),
	OK(H_512, F_VLS, "512,128,256", 0xb),
	EXACT(H_512, F_VLS, "256",
		"--sve-vls=256 cannot be given: host SVE lengths 128,256,512; possible sets: 128 | 128,256 | 128,256,512"),
	EXACT(H_512, F_VLS, "128,512",
		"--sve-vls=128,512 cannot be given: host SVE lengths 128,256,512; possible sets: 128 | 128,256 | 128,256,512"),
	PART(H_512, F_VLS, "512", "--sve-vls=512 cannot be given: "),
	PART(H_512, F_VLS, "128,256,384", "host SVE lengths 128,256,512;"),
	PART(H_512, F_VLS, "128,256,384,512", "possible sets: 128 | 128,256 | 128,256,512"),
	PART(H_512, F_VLS, "128,256,512,1024", "--sve-vls=128,256,512,1024 cannot"),
	OK(H_512, F_MAX_VL, "2048", 0xb),
	OK(H_512, F_MAX_VL, "512", 0xb),
	OK(H_512, F_MAX_VL, "384", 0x3),
	OK(H_512, F_MAX_VL, "256", 0x3),
	OK(H_512, F_MAX_VL, "128", 0x1),
	/* {128,256} */
	OK(H_256, F_DEFAULT, NULL, 0x3),
	OK(H_256, F_VLS, "max", 0x3),
	OK(H_256, F_VLS, "128,256", 0x3),
	EXACT(H_256, F_VLS, "128,256,512",
		"--sve-vls=128,256,512 cannot be given: host SVE lengths 128,256; possible sets: 128 | 128,256"),
	OK(H_256, F_MAX_VL, "512", 0x3),
	OK(H_256, F_MAX_VL, "128", 0x1),
	/* {128,256,384} */
	OK(H_384, F_VLS, "max", 0x7),
	OK(H_384, F_VLS, "128,256,384", 0x7),
	OK(H_384, F_VLS, "384,256,128", 0x7),
	OK(H_384, F_VLS, "128,256", 0x3),
	EXACT(H_384, F_VLS, "128,384",
		"--sve-vls=128,384 cannot be given: host SVE lengths 128,256,384; possible sets: 128 | 128,256 | 128,256,384"),
	PART(H_384, F_VLS, "128,256,512", "possible sets: 128 | 128,256 | 128,256,384"),
	OK(H_384, F_MAX_VL, "384", 0x7),
	OK(H_384, F_MAX_VL, "512", 0x7),
	OK(H_384, F_MAX_VL, "256", 0x3),
	/* {128} */
	OK(H_128, F_DEFAULT, NULL, 0x1),
	OK(H_128, F_VLS, "max", 0x1),
	OK(H_128, F_VLS, "128", 0x1),
	OK(H_128, F_VLS, "off", 0),
	EXACT(H_128, F_VLS, "256",
		"--sve-vls=256 cannot be given: host SVE lengths 128; possible sets: 128"),
	PART(H_128, F_VLS, "128,256", "host SVE lengths 128; possible sets: 128"),
	OK(H_128, F_MAX_VL, "2048", 0x1),
	OK(H_128, F_MAX_VL, "128", 0x1),
	/* 128..2048 */
	OK(H_ALL, F_DEFAULT, NULL, 0xffff),
	OK(H_ALL, F_VLS, "max", 0xffff),
	OK(H_ALL, F_VLS, ALL_VLS, 0xffff),
	OK(H_ALL, F_VLS, "128,256,384,512", 0xf),
	OK(H_ALL, F_VLS, "128", 0x1),
	PART(H_ALL, F_VLS, "128,256,512",
		"--sve-vls=128,256,512 cannot be given: host SVE lengths " ALL_VLS "; possible sets: 128 | 128,256 | 128,256,384 | 128,256,384,512 | "),
	PART(H_ALL, F_VLS, "2048", " | " ALL_VLS),
	OK(H_ALL, F_MAX_VL, "2048", 0xffff),
	OK(H_ALL, F_MAX_VL, "1024", 0x00ff),
	OK(H_ALL, F_MAX_VL, "640", 0x001f),
	OK(H_ALL, F_MAX_VL, "1920", 0x7fff),
	/* {128,256,384,512} */
	PART(H_1_4, F_VLS, "128,256,512",
		"host SVE lengths 128,256,384,512; possible sets: 128 | 128,256 | 128,256,384 | 128,256,384,512"),
	OK(H_1_4, F_MAX_VL, "384", 0x7),
	/* no SVE */
	OK(H_NONE, F_DEFAULT, NULL, 0),
	OK(H_NONE, F_VLS, "max", 0),
	OK(H_NONE, F_VLS, "off", 0),
	EXACT(H_NONE, F_VLS, "128",
		"--sve-vls=128 cannot be given: this host has no SVE"),
	EXACT(H_NONE, F_VLS, "128,256,512",
		"--sve-vls=128,256,512 cannot be given: this host has no SVE"),
	EXACT(H_NONE, F_MAX_VL, "256",
		"--sve-max-vl=256 cannot be given: this host has no SVE"),
	/* {256,512}: nothing at or below 128 */
	OK(H_NO128, F_VLS, "256", 0x2),
	PART(H_NO128, F_VLS, "128,256", "possible sets: 256 | 256,512"),
	OK(H_NO128, F_MAX_VL, "256", 0x2),
	EXACT(H_NO128, F_MAX_VL, "128",
		"--sve-max-vl=128 cannot be given: host SVE lengths 256,512; possible sets: 256 | 256,512"),
};

static void parse_ok(const char *row, enum flag flag, const char *arg, struct sve_request *req)
{
	char err[256] = "";
	int ret = 0;

	switch (flag) {
	case F_DEFAULT:
		memset(req, 0, sizeof(*req));
		req->kind = SVE_REQ_DEFAULT;
		return;
	case F_VLS:
		ret = sve__parse_vls(arg, req, err, sizeof(err));
		break;
	case F_MAX_VL:
		ret = sve__parse_max_vl(arg, req, err, sizeof(err));
		break;
	}
	if (ret)
		fail_msg("%s: parse failed: %s", row, err);
}

static void test_resolve_table(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(resolve_cases); i++) {
		const struct resolve_case *c = &resolve_cases[i];
		struct sve_request req;
		vq_mask_t out = 0xdead;
		char err[2048] = "", row[200];
		int ret;

		snprintf(row, sizeof(row), "host 0x%04x %s%s", c->host, flag_name(c->flag),
			 c->arg ? c->arg : "");
		parse_ok(row, c->flag, c->arg, &req);
		ret = sve__resolve(&req, c->host, &out, err, sizeof(err));
		check_int(row, "status", ret, c->status);
		if (!c->status) {
			check_int(row, "set", out, c->want);
			continue;
		}
		check_int(row, "set after failure", out, 0xdead);	/* untouched */
		check_part(row, err, c->msg ? c->msg : c->part);
		if (c->msg)
			check_str(row, err, c->msg);
	}
}

/* Every resolved set is one the kernel takes. */
static void test_resolve_gives_valid_sets(void **state)
{
	static const vq_mask_t hosts[] = { H_128, H_256, H_384, H_512, H_1_4, H_ALL, H_NO128, H_ODD };
	size_t i;
	unsigned bits;

	for (i = 0; i < ARRAY_SIZE(hosts); i++) {
		for (bits = 128; bits <= 2048; bits += 128) {
			struct sve_request req;
			char arg[8], err[512];
			vq_mask_t out = 0;
			int ret;

			snprintf(arg, sizeof(arg), "%u", bits);
			assert_int_equal(sve__parse_max_vl(arg, &req, err, sizeof(err)), 0);
			assert_int_equal(req.kind, SVE_REQ_UPTO);
			assert_int_equal(req.max_vl, bits);
			ret = sve__resolve(&req, hosts[i], &out, err, sizeof(err));
			if (ret)
				continue;
			assert_true(sve__set_valid(hosts[i], out));
			assert_true(sve__max_vl(out) <= bits);
		}
	}
}

/* The caller's buffer bounds the message, whatever its size. */
static void test_resolve_small_buffers(void **state)
{
	static const char full[] =
		"--sve-vls=256 cannot be given: host SVE lengths 128,256,512; possible sets: 128 | 128,256 | 128,256,512";
	struct sve_request req;
	char err[32];
	vq_mask_t out = 0;
	size_t len;

	assert_int_equal(sve__parse_vls("256", &req, err, sizeof(err)), 0);
	for (len = 1; len <= 20; len++) {
		memset(err, 'x', sizeof(err));
		assert_int_equal(sve__resolve(&req, H_512, &out, err, len), -VMM_ERR_HOST);
		assert_int_equal(strlen(err), len - 1);
		assert_memory_equal(err, full, len - 1);
		assert_int_equal(err[len], 'x');
	}
	assert_int_equal(sve__resolve(&req, H_512, &out, NULL, 0), -VMM_ERR_HOST);
	err[0] = 'x';
	assert_int_equal(sve__resolve(&req, H_512, &out, err, 0), -VMM_ERR_HOST);
	assert_int_equal(err[0], 'x');
}

/* ---- parse errors: each names the token ---- */

struct parse_case {
	enum flag flag;
	const char *arg;
	const char *part[3];	/* substrings of the message */
};

static const struct parse_case parse_cases[] = {
	{ F_VLS, "abc", { "--sve-vls=abc: ", "\"abc\"", "not a number" } },
	{ F_VLS, "128,abc", { "--sve-vls=128,abc: ", "\"abc\"", "not a number" } },
	{ F_VLS, "12a", { "\"12a\"", "not a number" } },
	{ F_VLS, "0x80", { "\"0x80\"", "not a number" } },
	{ F_VLS, "-128", { "\"-128\"", "not a number" } },
	{ F_VLS, "+128", { "\"+128\"", "not a number" } },
	{ F_VLS, " 128", { "\" 128\"", "not a number" } },
	{ F_VLS, "128 ", { "\"128 \"", "not a number" } },
	{ F_VLS, "128;256", { "\"128;256\"", "not a number" } },
	{ F_VLS, "MAX", { "\"MAX\"", "not a number" } },
	{ F_VLS, "max,128", { "\"max\"", "not a number" } },
	{ F_VLS, "128,off", { "\"off\"", "not a number" } },
	{ F_VLS, "0", { "\"0\"", "outside 128..2048" } },
	{ F_VLS, "64", { "\"64\"", "outside 128..2048" } },
	{ F_VLS, "127", { "\"127\"", "outside 128..2048" } },
	{ F_VLS, "2176", { "\"2176\"", "outside 128..2048" } },
	{ F_VLS, "128,4096", { "\"4096\"", "outside 128..2048" } },
	{ F_VLS, "99999999999999999999999", { "\"99999999999999999999999\"", "outside 128..2048" } },
	{ F_VLS, "18446744073709551744", { "\"18446744073709551744\"", "outside" } },	/* 2^64 + 128 */
	{ F_VLS, "300", { "\"300\"", "not a multiple of 128" } },
	{ F_VLS, "128,200", { "\"200\"", "not a multiple of 128" } },
	{ F_VLS, "2047", { "\"2047\"", "not a multiple of 128" } },
	{ F_VLS, "128,128", { "\"128\"", "given twice" } },
	{ F_VLS, "128,256,512,256", { "\"256\"", "given twice" } },
	{ F_VLS, "128,0128", { "\"0128\"", "given twice" } },
	{ F_VLS, "", { "--sve-vls=: ", "empty list" } },
	{ F_VLS, NULL, { "--sve-vls=: ", "empty list" } },
	{ F_VLS, "128,,256", { "--sve-vls=128,,256: ", "empty element after \"128\"" } },
	{ F_VLS, ",128", { "empty element at the start" } },
	{ F_VLS, ",", { "empty element at the start" } },
	{ F_VLS, "128,", { "--sve-vls=128,: ", "trailing comma after \"128\"" } },
	{ F_VLS, "128,256,", { "trailing comma after \"256\"" } },
	{ F_VLS, "128,256,,", { "empty element after \"256\"" } },
	{ F_MAX_VL, "", { "--sve-max-vl=: ", "no length given" } },
	{ F_MAX_VL, NULL, { "--sve-max-vl=: ", "no length given" } },
	{ F_MAX_VL, "abc", { "--sve-max-vl=abc: ", "\"abc\"", "not a number" } },
	{ F_MAX_VL, "max", { "\"max\"", "not a number" } },
	{ F_MAX_VL, "128,256", { "\"128,256\"", "not a number" } },
	{ F_MAX_VL, "512b", { "\"512b\"", "not a number" } },
	{ F_MAX_VL, "100", { "\"100\"", "outside 128..2048" } },
	{ F_MAX_VL, "4096", { "\"4096\"", "outside 128..2048" } },
	{ F_MAX_VL, "300", { "\"300\"", "not a multiple of 128" } },
};

static void test_parse_errors(void **state)
{
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct sve_request req;
		char err[256] = "", row[200];
		int ret;

		snprintf(row, sizeof(row), "%s%s", flag_name(c->flag), c->arg ? c->arg : "(null)");
		if (c->flag == F_VLS)
			ret = sve__parse_vls(c->arg, &req, err, sizeof(err));
		else
			ret = sve__parse_max_vl(c->arg, &req, err, sizeof(err));
		check_int(row, "status", ret, -VMM_ERR_INPUT);
		for (j = 0; j < ARRAY_SIZE(c->part) && c->part[j]; j++)
			check_part(row, err, c->part[j]);
	}
}

struct parse_ok_case {
	enum flag flag;
	const char *arg;
	enum sve_request_kind kind;
	vq_mask_t list;
	unsigned max_vl;
	const char *text;
};

static const struct parse_ok_case parse_ok_cases[] = {
	{ F_VLS, "max", SVE_REQ_MAX, 0, 0, "--sve-vls=max" },
	{ F_VLS, "off", SVE_REQ_OFF, 0, 0, "--sve-vls=off" },
	{ F_VLS, "128", SVE_REQ_LIST, 0x0001, 0, "--sve-vls=128" },
	{ F_VLS, "2048", SVE_REQ_LIST, 0x8000, 0, "--sve-vls=2048" },
	{ F_VLS, "128,256,512", SVE_REQ_LIST, 0x000b, 0, "--sve-vls=128,256,512" },
	{ F_VLS, "512,128", SVE_REQ_LIST, 0x0009, 0, "--sve-vls=512,128" },
	{ F_VLS, "256", SVE_REQ_LIST, 0x0002, 0, "--sve-vls=256" },	/* valid syntax; the host decides */
	{ F_VLS, "0384", SVE_REQ_LIST, 0x0004, 0, "--sve-vls=0384" },
	/* req->text holds the longest valid list whole */
	{ F_VLS, ALL_VLS, SVE_REQ_LIST, 0xffff, 0, "--sve-vls=" ALL_VLS },
	{ F_MAX_VL, "128", SVE_REQ_UPTO, 0, 128, "--sve-max-vl=128" },
	{ F_MAX_VL, "384", SVE_REQ_UPTO, 0, 384, "--sve-max-vl=384" },
	{ F_MAX_VL, "2048", SVE_REQ_UPTO, 0, 2048, "--sve-max-vl=2048" },
};

static void test_parse_ok(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(parse_ok_cases); i++) {
		const struct parse_ok_case *c = &parse_ok_cases[i];
		struct sve_request req;
		char err[128] = "", row[200];
		int ret;

		snprintf(row, sizeof(row), "%s%s", flag_name(c->flag), c->arg);
		memset(&req, 0x5a, sizeof(req));
		if (c->flag == F_VLS)
			ret = sve__parse_vls(c->arg, &req, err, sizeof(err));
		else
			ret = sve__parse_max_vl(c->arg, &req, err, sizeof(err));
		check_int(row, "status", ret, 0);
		check_int(row, "kind", req.kind, c->kind);
		if (c->kind == SVE_REQ_LIST)
			check_int(row, "list", req.list, c->list);
		if (c->kind == SVE_REQ_UPTO)
			check_int(row, "max_vl", req.max_vl, c->max_vl);
		check_str(row, req.text, c->text);
	}
}

/* A long argument is cut in req->text and in the message, never overflowing. */
static void test_parse_long_input(void **state)
{
	struct sve_request req;
	char arg[301], err[512], small[12];
	size_t len;

	memset(arg, 'z', sizeof(arg) - 1);
	arg[sizeof(arg) - 1] = '\0';
	assert_int_equal(sve__parse_vls(arg, &req, err, sizeof(err)), -VMM_ERR_INPUT);
	assert_int_equal(strlen(req.text), sizeof(req.text) - 1);
	assert_memory_equal(req.text, "--sve-vls=zzz", 13);
	assert_string_equal(req.text + sizeof(req.text) - 4, "...");
	assert_one_line(err);
	assert_true(strlen(err) < 200);
	assert_non_null(strstr(err, "not a number"));

	assert_int_equal(sve__parse_max_vl(arg, &req, err, sizeof(err)), -VMM_ERR_INPUT);
	assert_memory_equal(req.text, "--sve-max-vl=zzz", 16);
	assert_string_equal(req.text + sizeof(req.text) - 4, "...");

	for (len = 0; len <= sizeof(small); len++) {
		memset(small, 'x', sizeof(small));
		assert_int_equal(sve__parse_vls("128,abc", &req, len ? small : NULL, len), -VMM_ERR_INPUT);
		if (len)
			assert_int_equal(strlen(small), len - 1);
	}
	memset(small, 'x', sizeof(small));
	assert_int_equal(sve__parse_vls("128,abc", &req, small, 0), -VMM_ERR_INPUT);
	assert_int_equal(small[0], 'x');
}

/* A newline in the argument must not split the one-line messages. */
static void test_parse_control_chars(void **state)
{
	struct sve_request req;
	vq_mask_t out;
	char err[256];

	assert_int_equal(sve__parse_vls("12\n8", &req, err, sizeof(err)), -VMM_ERR_INPUT);
	assert_one_line(err);
	assert_one_line(req.text);
	assert_non_null(strstr(err, "\"12?8\""));

	/* a valid request keeps a printable text too */
	assert_int_equal(sve__parse_vls("256", &req, err, sizeof(err)), 0);
	assert_int_equal(sve__resolve(&req, H_NONE, &out, err, sizeof(err)), -VMM_ERR_HOST);
	assert_one_line(err);
}

/* ---- the rule, possible sets and formatting ---- */

struct valid_case {
	vq_mask_t host, set;
	bool valid;
};

static const struct valid_case valid_cases[] = {
	{ H_512, 0x0000, false },	/* empty */
	{ H_512, 0x0001, true },
	{ H_512, 0x0003, true },
	{ H_512, 0x000b, true },
	{ H_512, 0x0002, false },	/* {256}: no 128 */
	{ H_512, 0x0009, false },	/* {128,512}: hole at 256 */
	{ H_512, 0x0008, false },
	{ H_512, 0x0007, false },	/* 384 not on the host */
	{ H_512, 0x000f, false },
	{ H_512, 0x001b, false },	/* 640 above the host's maximum */
	{ H_512, 0x800b, false },
	{ H_384, 0x0007, true },
	{ H_384, 0x0005, false },
	{ H_384, 0x0003, true },
	{ H_128, 0x0001, true },
	{ H_128, 0x0003, false },
	{ H_NONE, 0x0000, false },
	{ H_NONE, 0x0001, false },
	{ H_ALL, 0x000b, false },
	{ H_ALL, 0xffff, true },
	{ H_ALL, 0x00ff, true },
	{ H_ALL, 0x7fff, true },
	{ H_ALL, 0xfffe, false },
	{ H_ALL, 0xbfff, false },
	{ H_NO128, 0x0002, true },
	{ H_NO128, 0x000a, true },
	{ H_NO128, 0x0001, false },
	{ H_NO128, 0x000b, false },
	{ H_ODD, 0x0005, true },
	{ H_ODD, 0x0003, false },
};

static void test_set_valid_table(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(valid_cases); i++) {
		const struct valid_case *c = &valid_cases[i];
		char row[64];

		snprintf(row, sizeof(row), "host 0x%04x set 0x%04x", c->host, c->set);
		check_int(row, "valid", sve__set_valid(c->host, c->set), c->valid);
	}
}

/*
 * The rule as the facts state it, bit by bit: non-empty, the maximum is a
 * host length, and below it the set has exactly the host's lengths.
 */
static bool rule(vq_mask_t host, vq_mask_t set)
{
	unsigned vq, top = 0;

	for (vq = 1; vq <= SVE_VQ_MAX_ARCH; vq++)
		if (set & VQ_BIT(vq))
			top = vq;
	if (!top || !(host & VQ_BIT(top)))
		return false;
	for (vq = 1; vq < top; vq++)
		if (!(set & VQ_BIT(vq)) != !(host & VQ_BIT(vq)))
			return false;
	return true;
}

static void test_set_valid_exhaustive(void **state)
{
	static const vq_mask_t hosts[] = {
		H_NONE, H_128, H_256, H_384, H_512, H_1_4, H_ALL, H_NO128, H_ODD, 0x8000, 0x8001,
	};
	unsigned set;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hosts); i++)
		for (set = 0; set <= 0xffff; set++)
			if (sve__set_valid(hosts[i], set) != rule(hosts[i], set))
				fail_msg("host 0x%04x set 0x%04x", hosts[i], set);
}

struct possible_case {
	vq_mask_t host;
	unsigned n;
	vq_mask_t sets[SVE_VQ_MAX_ARCH];
	const char *text;
};

static const struct possible_case possible_cases[] = {
	{ H_NONE, 0, { 0 }, "none" },
	{ H_128, 1, { 0x1 }, "128" },
	{ H_256, 2, { 0x1, 0x3 }, "128 | 128,256" },
	{ H_384, 3, { 0x1, 0x3, 0x7 }, "128 | 128,256 | 128,256,384" },
	{ H_512, 3, { 0x1, 0x3, 0xb }, "128 | 128,256 | 128,256,512" },
	{ H_ODD, 2, { 0x1, 0x5 }, "128 | 128,384" },
	{ H_NO128, 2, { 0x2, 0xa }, "256 | 256,512" },
	{ 0x8000, 1, { 0x8000 }, "2048" },
	{ H_ALL, 16, { 0x0001, 0x0003, 0x0007, 0x000f, 0x001f, 0x003f, 0x007f, 0x00ff,
		       0x01ff, 0x03ff, 0x07ff, 0x0fff, 0x1fff, 0x3fff, 0x7fff, 0xffff }, NULL },
};

static void test_possible_sets(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(possible_cases); i++) {
		const struct possible_case *c = &possible_cases[i];
		vq_mask_t sets[SVE_VQ_MAX_ARCH];
		char buf[2048], row[64];
		unsigned n, j;

		snprintf(row, sizeof(row), "host 0x%04x", c->host);
		memset(sets, 0, sizeof(sets));
		n = sve__possible_sets(c->host, sets);
		check_int(row, "count", n, c->n);
		for (j = 0; j < n; j++) {
			check_int(row, "set", sets[j], c->sets[j]);
			check_int(row, "valid", sve__set_valid(c->host, sets[j]), true);
		}
		if (c->text) {
			sve__format_possible(c->host, buf, sizeof(buf));
			check_str(row, buf, c->text);
		}
	}
}

static void test_format_possible_all(void **state)
{
	static const char head[] = "128 | 128,256 | 128,256,384 | 128,256,384,512 | ";
	static const char tail[] = " | " ALL_VLS;
	char buf[2048];
	size_t len, seps = 0;
	const char *p;

	sve__format_possible(H_ALL, buf, sizeof(buf));
	len = strlen(buf);
	assert_memory_equal(buf, head, strlen(head));
	assert_true(len > strlen(tail));
	assert_string_equal(buf + len - strlen(tail), tail);
	for (p = buf; (p = strstr(p, " | ")); p += 3)
		seps++;
	assert_int_equal(seps, 15);
}

struct format_case {
	vq_mask_t set;
	const char *text;
	unsigned max_vl;
};

static const struct format_case format_cases[] = {
	{ 0x0000, "none", 0 },
	{ 0x0001, "128", 128 },
	{ 0x0002, "256", 256 },
	{ 0x0003, "128,256", 256 },
	{ 0x0005, "128,384", 384 },
	{ 0x0007, "128,256,384", 384 },
	{ 0x000b, "128,256,512", 512 },
	{ 0x00ff, "128,256,384,512,640,768,896,1024", 1024 },
	{ 0x8000, "2048", 2048 },
	{ 0x8001, "128,2048", 2048 },
	{ 0xffff, ALL_VLS, 2048 },
};

static void test_format_set(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(format_cases); i++) {
		const struct format_case *c = &format_cases[i];
		char buf[128], row[64];

		snprintf(row, sizeof(row), "set 0x%04x", c->set);
		sve__format_set(c->set, buf, sizeof(buf));
		check_str(row, buf, c->text);
		check_int(row, "max_vl", sve__max_vl(c->set), c->max_vl);
	}
}

struct small_case {
	bool possible;		/* format_possible, else format_set */
	vq_mask_t mask;
	size_t len;
	const char *text;
};

static const struct small_case small_cases[] = {
	{ false, 0x000b, 1, "" },
	{ false, 0x000b, 2, "1" },
	{ false, 0x000b, 4, "128" },
	{ false, 0x000b, 5, "128," },
	{ false, 0x000b, 11, "128,256,51" },
	{ false, 0x000b, 12, "128,256,512" },
	{ false, 0x0000, 3, "no" },
	{ false, 0xffff, 20, "128,256,384,512,640" },
	{ true, 0x000b, 1, "" },
	{ true, 0x000b, 4, "128" },
	{ true, 0x000b, 6, "128 |" },
	{ true, 0x000b, 10, "128 | 128" },
	{ true, 0x000b, 27, "128 | 128,256 | 128,256,51" },
	{ true, 0x000b, 28, "128 | 128,256 | 128,256,512" },
	{ true, 0x0000, 4, "non" },
	{ true, 0xffff, 30, "128 | 128,256 | 128,256,384 |" },
};

static void test_format_small_buffers(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(small_cases); i++) {
		const struct small_case *c = &small_cases[i];
		char buf[40], row[64];

		snprintf(row, sizeof(row), "%s 0x%04x in %zu bytes",
			 c->possible ? "possible" : "set", c->mask, c->len);
		memset(buf, 'x', sizeof(buf));
		if (c->possible)
			sve__format_possible(c->mask, buf, c->len);
		else
			sve__format_set(c->mask, buf, c->len);
		check_str(row, buf, c->text);
		check_int(row, "byte past len", buf[c->len], 'x');	/* nothing written there */
	}

	/* a zero length writes nothing */
	{
		char buf[4] = "abc";

		sve__format_set(0xb, buf, 0);
		sve__format_possible(0xb, buf, 0);
		assert_string_equal(buf, "abc");
		sve__format_set(0xb, NULL, 0);
		sve__format_possible(0xb, NULL, 0);
	}
}

/* ---- the planner ---- */

struct plan_case {
	unsigned n;
	vq_mask_t hosts[4];
	vq_mask_t want;
};

static const struct plan_case plan_cases[] = {
	{ 0, { 0 }, 0 },
	{ 1, { H_512 }, 0xb },
	{ 1, { H_NONE }, 0 },
	{ 1, { H_ALL }, 0xffff },
	{ 2, { H_512, H_512 }, 0xb },
	{ 2, { H_512, H_384 }, 0x3 },		/* {128,256,512} and {128,256,384} */
	{ 2, { H_384, H_512 }, 0x3 },
	{ 2, { H_256, H_512 }, 0x3 },
	{ 2, { H_512, H_256 }, 0x3 },
	{ 2, { H_ODD, H_512 }, 0x1 },		/* {128,384} and {128,256,512}: only {128} */
	{ 2, { H_512, H_ODD }, 0x1 },
	{ 2, { H_ODD, H_384 }, 0x1 },
	{ 2, { H_ALL, H_512 }, 0x3 },		/* 0xf needs 384, which the second lacks */
	{ 2, { H_512, H_ALL }, 0x3 },
	{ 2, { H_ALL, H_1_4 }, 0xf },
	{ 2, { H_512, H_NONE }, 0 },
	{ 2, { H_NONE, H_512 }, 0 },
	{ 2, { H_NO128, H_512 }, 0 },		/* {256} is not valid where 128 exists */
	{ 2, { H_NO128, H_NO128 }, 0xa },
	{ 3, { H_ALL, H_1_4, H_384 }, 0x7 },
	{ 3, { H_512, H_512, H_512 }, 0xb },
	{ 3, { H_ALL, H_ALL, H_128 }, 0x1 },
	{ 3, { H_384, H_512, H_ODD }, 0x1 },
	{ 4, { H_ALL, H_ALL, 0x00ff, H_ALL }, 0xff },
	{ 4, { H_512, H_384, H_256, H_128 }, 0x1 },
	{ 4, { H_ALL, H_1_4, H_384, H_256 }, 0x3 },
	{ 4, { H_ALL, H_ALL, H_NONE, H_512 }, 0 },
	{ 4, { H_512, H_512, H_512, H_NONE }, 0 },
};

static void test_plan_table(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(plan_cases); i++) {
		const struct plan_case *c = &plan_cases[i];
		vq_mask_t got;
		unsigned j;
		char row[80];

		snprintf(row, sizeof(row), "%u hosts 0x%04x 0x%04x 0x%04x 0x%04x", c->n,
			 c->hosts[0], c->hosts[1], c->hosts[2], c->hosts[3]);
		got = sve__plan(c->hosts, c->n);
		check_int(row, "plan", got, c->want);
		for (j = 0; got && j < c->n; j++)
			check_int(row, "valid on each host", sve__set_valid(c->hosts[j], got), true);
	}
	assert_int_equal(sve__plan(NULL, 0), 0);
}

/* No set valid on every host is larger than the plan (brute force over all sets). */
static void test_plan_is_largest(void **state)
{
	static const vq_mask_t hosts[] = {
		H_NONE, H_128, H_256, H_384, H_512, H_1_4, H_ALL, H_NO128, H_ODD,
	};
	size_t a, b;

	for (a = 0; a < ARRAY_SIZE(hosts); a++) {
		for (b = 0; b < ARRAY_SIZE(hosts); b++) {
			vq_mask_t pair[2] = { hosts[a], hosts[b] };
			vq_mask_t got = sve__plan(pair, 2), best = 0;
			unsigned set;

			for (set = 1; set <= 0xffff; set++)
				if (rule(pair[0], set) && rule(pair[1], set) && set > best)
					best = set;
			if (got != best)
				fail_msg("hosts 0x%04x 0x%04x: plan 0x%04x, best 0x%04x",
					 pair[0], pair[1], got, best);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_table),
		cmocka_unit_test(test_resolve_gives_valid_sets),
		cmocka_unit_test(test_resolve_small_buffers),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_long_input),
		cmocka_unit_test(test_parse_control_chars),
		cmocka_unit_test(test_set_valid_table),
		cmocka_unit_test(test_set_valid_exhaustive),
		cmocka_unit_test(test_possible_sets),
		cmocka_unit_test(test_format_possible_all),
		cmocka_unit_test(test_format_set),
		cmocka_unit_test(test_format_small_buffers),
		cmocka_unit_test(test_plan_table),
		cmocka_unit_test(test_plan_is_largest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
