/*
 * Unit tests of the strict JSON reader (vmm/json.c). Every text is parsed
 * from a heap copy of exactly its length, so AddressSanitizer catches a
 * read past the end. Expected values come from RFC 8259, not from output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "vmm/json.h"
#include "vmm/util.h"

/* Parses text[0..len) from an exact-size heap copy. */
static int parse_n(struct json_doc *doc, char **copy, const char *text, size_t len,
		   char *err, size_t errlen)
{
	*copy = malloc(len ? len : 1);
	assert_non_null(*copy);
	memcpy(*copy, text, len);
	return json__parse(doc, *copy, len, err, errlen);
}

static void check_parses(const char *text, struct json_doc *doc, char **copy)
{
	char err[256] = "";

	if (parse_n(doc, copy, text, strlen(text), err, sizeof(err)))
		fail_msg("'%s' did not parse: %s", text, err);
}

/* ---- malformed texts: each fails with -EINVAL and a message naming the problem ---- */

struct bad_case {
	const char *text;
	size_t len;		/* 0: strlen(text) */
	const char *msg;	/* a substring of the message */
};

static const struct bad_case bad_cases[] = {
	{ "", 0, "empty: no JSON value" },
	{ " \n\t ", 0, "empty: no JSON value" },
	/* truncated */
	{ "{", 0, "line 1, column 2: unexpected end of input, expected a key" },
	{ "{\"a\"", 0, "unexpected end of input, expected ':' after a key" },
	{ "{\"a\":", 0, "unexpected end of input, expected a value" },
	{ "{\"a\":1", 0, "unexpected end of input, expected ',' or '}' in an object" },
	{ "[1,2", 0, "unexpected end of input, expected ',' or ']' in an array" },
	{ "[1,", 0, "unexpected end of input, expected a value" },
	{ "\"abc", 0, "unexpected end of input in a string" },
	{ "\"abc\\", 0, "unexpected end of input in a string" },
	{ "tr", 0, "invalid word, expected true, false or null" },
	{ "-", 0, "'-' without digits" },
	{ "1.", 0, "no digits after '.' in a number" },
	{ "1e", 0, "no digits in the exponent of a number" },
	{ "1e+", 0, "no digits in the exponent of a number" },
	/* grammar */
	{ "{\"a\" 1}", 0, "line 1, column 6: unexpected '1', expected ':' after a key" },
	{ "{\"a\":}", 0, "unexpected '}', expected a value" },
	{ "{a:1}", 0, "unexpected 'a', expected a key (a string) in an object" },
	{ "{\"a\":1,}", 0, "unexpected '}', expected a key" },
	{ "{1:2}", 0, "unexpected '1', expected a key" },
	{ "[1,]", 0, "unexpected ']', expected a value" },
	{ "[1 2]", 0, "unexpected '2', expected ',' or ']' in an array" },
	{ "[1;2]", 0, "unexpected ';', expected ',' or ']'" },
	{ "{\"a\":1 \"b\":2}", 0, "unexpected '\"', expected ',' or '}'" },
	{ "1 2", 0, "line 1, column 3: unexpected '2', expected nothing after the value" },
	{ "{}x", 0, "unexpected 'x', expected nothing after the value" },
	{ "{}}", 0, "unexpected '}', expected nothing after the value" },
	{ "]", 0, "unexpected ']', expected a value" },
	{ "'a'", 0, "unexpected ''', expected a value" },
	{ "True", 0, "unexpected 'T', expected a value" },
	{ "nul", 0, "invalid word" },
	{ "falsy", 0, "invalid word" },
	{ "truex", 0, "unexpected 'x', expected nothing after the value" },
	{ "NaN", 0, "unexpected 'N'" },
	/* numbers */
	{ "01", 0, "a number with a leading zero" },
	{ "-01", 0, "a number with a leading zero" },
	{ "+1", 0, "unexpected '+', expected a value" },
	{ ".5", 0, "unexpected '.', expected a value" },
	{ "1.e5", 0, "no digits after '.'" },
	{ "0x10", 0, "unexpected 'x', expected nothing after the value" },
	{ "--1", 0, "'-' without digits" },
	/* strings */
	{ "\"a\tb\"", 0, "control character 0x09 in a string" },
	{ "\"a\nb\"", 0, "control character 0x0a in a string" },
	{ "\"\\x\"", 0, "invalid escape '\\x' in a string" },
	{ "\"\\'\"", 0, "invalid escape '\\'' in a string" },
	{ "\"\\u12\"", 0, "\\u needs four hex digits" },
	{ "\"\\u12g4\"", 0, "\\u needs four hex digits" },
	{ "\"\\u0000\"", 0, "\\u0000 in a string" },
	{ "\"\\ud800\"", 0, "\\ud800: a high surrogate without a low one" },
	{ "\"\\ud800\\u0041\"", 0, "a high surrogate without a low one" },
	{ "\"\\ud800\\", 0, "a high surrogate without a low one" },
	{ "\"\\udc00\"", 0, "\\udc00: a low surrogate without a high one" },
	{ "\"\xff\"", 0, "line 1, column 2: invalid UTF-8 in a string" },
	{ "\"\xc0\xaf\"", 0, "invalid UTF-8" },		/* overlong '/' */
	{ "\"\xe0\x80\xaf\"", 0, "invalid UTF-8" },	/* overlong, 3 bytes */
	{ "\"\xed\xa0\x80\"", 0, "invalid UTF-8" },	/* a surrogate in UTF-8 */
	{ "\"\xf4\x90\x80\x80\"", 0, "invalid UTF-8" },	/* above U+10FFFF */
	{ "\"\xe2\x82\"", 0, "invalid UTF-8" },		/* cut by the quote */
	{ "\"\xe2\x82", 0, "invalid UTF-8" },		/* cut by the end */
	{ "\"\x80\"", 0, "invalid UTF-8" },		/* a lone continuation byte */
	/* keys */
	{ "{\"a\":1,\"a\":2}", 0, "line 1, column 8: duplicate key \"a\"" },
	{ "{\"a\":1,\"\\u0061\":2}", 0, "duplicate key \"\\u0061\"" },
	{ "{\"x\":{\"a\":1},\"b\":2,\"x\":3}", 0, "duplicate key \"x\"" },
	/* bytes that are not text */
	{ "[1,\0 2]", 7, "line 1, column 4: unexpected byte 0x00, expected a value" },
	{ "{}\0", 3, "unexpected byte 0x00, expected nothing after the value" },
	{ "\xef\xbb\xbf{}", 0, "unexpected byte 0xef, expected a value" },	/* a BOM */
	/* positions across lines */
	{ "{\n  \"a\": 1,\n  \"b\" 2\n}", 0, "line 3, column 7: unexpected '2', expected ':'" },
	{ "[\n\n", 0, "line 3, column 1: unexpected end of input" },
};

static void test_malformed(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		size_t len = c->len ? c->len : strlen(c->text);
		struct json_doc doc;
		char err[256] = "", *copy;
		int ret;

		ret = parse_n(&doc, &copy, c->text, len, err, sizeof(err));
		free(copy);
		if (ret != -EINVAL)
			fail_msg("case %zu ('%s'): returned %d, want -EINVAL", i, c->text, ret);
		if (!strstr(err, c->msg))
			fail_msg("case %zu ('%s'):\n   got \"%s\"\n  want \"%s\"", i, c->text, err, c->msg);
		if (strchr(err, '\n'))
			fail_msg("case %zu: message is not one line: %s", i, err);
		assert_null(doc.nodes);
	}
}

/* 32 levels of nesting are fine; the 33rd is refused, arrays or objects. */
static void nest(char *buf, unsigned levels, bool objects)
{
	size_t k = 0;
	unsigned i;

	for (i = 0; i < levels; i++)
		k += sprintf(buf + k, "%s", objects ? "{\"a\":" : "[");
	k += sprintf(buf + k, "0");
	for (i = 0; i < levels; i++)
		buf[k++] = objects ? '}' : ']';
	buf[k] = '\0';
}

static void test_nesting_limit(void **state)
{
	char text[JSON_MAX_DEPTH * 8 + 64], err[256], *copy;
	struct json_doc doc;
	int objects;

	for (objects = 0; objects < 2; objects++) {
		nest(text, JSON_MAX_DEPTH, objects);
		check_parses(text, &doc, &copy);
		json__free(&doc);
		free(copy);

		nest(text, JSON_MAX_DEPTH + 1, objects);
		assert_int_equal(parse_n(&doc, &copy, text, strlen(text), err, sizeof(err)), -EINVAL);
		free(copy);
		assert_non_null(strstr(err, "nested deeper than 32"));
	}
	/* Far deeper: the limit holds before any recursion gets deep. */
	{
		size_t n = 100000;
		char *deep = malloc(n);

		assert_non_null(deep);
		memset(deep, '[', n);
		assert_int_equal(json__parse(&doc, deep, n, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "line 1, column 33: arrays and objects nested deeper"));
		free(deep);
	}
}

static void test_limits(void **state)
{
	size_t n = 2 + 2 * JSON_MAX_NODES + 1, k = 0, i;
	char *text = malloc(n + 1), err[256];
	struct json_doc doc;

	/* An array of JSON_MAX_NODES - 1 numbers is JSON_MAX_NODES values: fine. */
	assert_non_null(text);
	text[k++] = '[';
	for (i = 0; i < JSON_MAX_NODES - 1; i++)
		k += sprintf(text + k, "%s0", i ? "," : "");
	text[k++] = ']';
	assert_int_equal(json__parse(&doc, text, k, err, sizeof(err)), 0);
	assert_int_equal(doc.nr_nodes, JSON_MAX_NODES);
	assert_int_equal(doc.nodes[0].count, JSON_MAX_NODES - 1);
	json__free(&doc);
	/* One more is refused. */
	k--;
	k += sprintf(text + k, ",0]");
	assert_int_equal(json__parse(&doc, text, k, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "more than 4096 values"));
	free(text);

	assert_int_equal(json__parse(&doc, "{}", JSON_MAX_TEXT + 1, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "longer than 1048576 bytes");
	assert_int_equal(json__parse(&doc, NULL, 0, err, sizeof(err)), -EINVAL);
	/* No message buffer: still an error, no crash. */
	assert_int_equal(json__parse(&doc, "[", 1, NULL, 0), -EINVAL);
}

/* A valid document whose only valid prefix is itself. */
static const char sample[] =
	"{\n"
	"  \"format\": 1,\n"
	"  \"name\": \"h\\u00e9llo \\\"w\\\" \\\\ \\/ \\b\\f\\n\\r\\t \\ud83d\\ude00 caf\xc3\xa9\",\n"
	"  \"n\": [0, -0, 12, -5, 1.5, 1e3, -2.5E-3, 9223372036854775807, -9223372036854775808,"
	" 9223372036854775808, -9223372036854775809, 123456789012345678901234567890],\n"
	"  \"flags\": {\"t\": true, \"f\": false, \"z\": null},\n"
	"  \"empty\": {\"a\": [], \"o\": {}, \"s\": \"\"},\n"
	"  \"nested\": [[1], [2, [3]], {\"k\": [4]}]\n"
	"}\n";

/* Every cut of the sample fails cleanly, and never reads past the cut. */
static void test_every_truncation(void **state)
{
	size_t len = strlen(sample), cut;

	for (cut = 0; cut < len - 1; cut++) {	/* len - 1: the final newline is optional */
		struct json_doc doc;
		char err[256] = "", *copy;
		int ret = parse_n(&doc, &copy, sample, cut, err, sizeof(err));

		free(copy);
		if (ret != -EINVAL)
			fail_msg("prefix of %zu bytes: returned %d", cut, ret);
		if (!err[0] || strchr(err, '\n'))
			fail_msg("prefix of %zu bytes: message '%s'", cut, err);
	}
}

/* Random damage never crashes and always ends in a result or a message. */
static void test_mutations(void **state)
{
	size_t len = strlen(sample);
	unsigned long rng = 12345;
	unsigned round, valid = 0;

	for (round = 0; round < 20000; round++) {
		char *text = malloc(len), err[256] = "";
		struct json_doc doc;
		unsigned j, edits;
		int ret;

		assert_non_null(text);
		memcpy(text, sample, len);
		rng = rng * 6364136223846793005UL + 1442695040888963407UL;
		edits = 1 + (rng >> 60) % 4;
		for (j = 0; j < edits; j++) {
			rng = rng * 6364136223846793005UL + 1442695040888963407UL;
			text[(rng >> 33) % len] = (char)(rng >> 17);
		}
		ret = json__parse(&doc, text, len, err, sizeof(err));
		if (ret == 0) {
			valid++;
			json__free(&doc);
		} else if (ret != -EINVAL || !err[0]) {
			fail_msg("round %u: returned %d, message '%s'", round, ret, err);
		}
		free(text);
	}
	/* Some damage (inside a string, say) leaves valid JSON; most does not. */
	assert_true(valid > 0 && valid < 20000);
}

static int64_t int_at(const struct json_doc *doc, int arr, unsigned idx, int *status)
{
	int e = json__first(doc, arr);
	int64_t v = 0;

	while (idx-- && e >= 0)
		e = json__next(doc, arr, e);
	assert_true(e >= 0);
	*status = json__int(doc, e, &v);
	return v;
}

static void test_read_values(void **state)
{
	struct json_doc doc;
	char *copy, buf[128];
	int64_t v;
	bool b;
	int root, i, n, flags, status;

	check_parses(sample, &doc, &copy);
	root = 0;
	assert_int_equal(json__type(&doc, root), JSON_OBJECT);
	assert_int_equal(doc.nodes[root].count, 6);

	i = json__member(&doc, root, "format");
	assert_true(i > 0);
	assert_int_equal(json__int(&doc, i, &v), 0);
	assert_int_equal(v, 1);

	/* Escapes: \u00e9 is U+00E9 (C3 A9), the pair d83d de00 is U+1F600 (F0 9F 98 80). */
	i = json__member(&doc, root, "name");
	assert_int_equal(json__string(&doc, i, buf, sizeof(buf)),
			 (int)strlen("h\xc3\xa9llo \"w\" \\ / \b\f\n\r\t \xf0\x9f\x98\x80 caf\xc3\xa9"));
	assert_string_equal(buf, "h\xc3\xa9llo \"w\" \\ / \b\f\n\r\t \xf0\x9f\x98\x80 caf\xc3\xa9");
	/* Too small a buffer: -ENOSPC, still terminated. */
	assert_int_equal(json__string(&doc, i, buf, 4), -ENOSPC);
	assert_true(strlen(buf) < 4);
	assert_int_equal(json__string(&doc, i, buf, 0), -ENOSPC);

	n = json__member(&doc, root, "n");
	assert_int_equal(json__type(&doc, n), JSON_ARRAY);
	assert_int_equal(doc.nodes[n].count, 12);
	assert_int_equal(int_at(&doc, n, 0, &status), 0);
	assert_int_equal(status, 0);
	assert_int_equal(int_at(&doc, n, 1, &status), 0);
	assert_int_equal(status, 0);
	assert_int_equal(int_at(&doc, n, 2, &status), 12);
	assert_int_equal(int_at(&doc, n, 3, &status), -5);
	int_at(&doc, n, 4, &status);
	assert_int_equal(status, -EINVAL);		/* 1.5 */
	int_at(&doc, n, 5, &status);
	assert_int_equal(status, -EINVAL);		/* 1e3: an exponent */
	int_at(&doc, n, 6, &status);
	assert_int_equal(status, -EINVAL);
	assert_true(int_at(&doc, n, 7, &status) == INT64_MAX);
	assert_int_equal(status, 0);
	assert_true(int_at(&doc, n, 8, &status) == INT64_MIN);
	assert_int_equal(status, 0);
	int_at(&doc, n, 9, &status);
	assert_int_equal(status, -ERANGE);
	int_at(&doc, n, 10, &status);
	assert_int_equal(status, -ERANGE);
	int_at(&doc, n, 11, &status);
	assert_int_equal(status, -ERANGE);

	flags = json__member(&doc, root, "flags");
	assert_int_equal(json__bool(&doc, json__member(&doc, flags, "t"), &b), 0);
	assert_true(b);
	assert_int_equal(json__bool(&doc, json__member(&doc, flags, "f"), &b), 0);
	assert_false(b);
	assert_int_equal(json__type(&doc, json__member(&doc, flags, "z")), JSON_NULL);
	assert_int_equal(json__bool(&doc, json__member(&doc, flags, "z"), &b), -EINVAL);
	assert_int_equal(json__member(&doc, flags, "T"), -ENOENT);	/* keys are exact */
	assert_int_equal(json__member(&doc, flags, ""), -ENOENT);

	/* Wrong types and bad indices are refused, not followed. */
	assert_int_equal(json__member(&doc, n, "a"), -EINVAL);
	assert_int_equal(json__first(&doc, root), -EINVAL);
	assert_int_equal(json__int(&doc, flags, &v), -EINVAL);
	assert_int_equal(json__string(&doc, n, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(json__int(&doc, -1, &v), -EINVAL);
	assert_int_equal(json__int(&doc, doc.nr_nodes, &v), -EINVAL);
	assert_int_equal(json__member(&doc, 9999, "a"), -EINVAL);
	assert_int_equal(json__next(&doc, n, n), -EINVAL);
	assert_int_equal(json__next(&doc, n, 9999), -EINVAL);

	i = json__member(&doc, root, "empty");
	assert_int_equal(json__first(&doc, json__member(&doc, i, "a")), -ENOENT);
	assert_int_equal(doc.nodes[json__member(&doc, i, "o")].count, 0);
	assert_int_equal(json__string(&doc, json__member(&doc, i, "s"), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");

	/* Iteration skips whole nested values: [[1], [2, [3]], {"k": [4]}] has 3 elements. */
	i = json__member(&doc, root, "nested");
	{
		int e, count = 0;

		for (e = json__first(&doc, i); e >= 0; e = json__next(&doc, i, e))
			count++;
		assert_int_equal(count, 3);
	}
	json__free(&doc);
	free(copy);
}

/* A key is found by its unescaped text. */
static void test_escaped_keys(void **state)
{
	struct json_doc doc;
	char *copy;
	int64_t v;

	check_parses("{\"\\u0066ormat\": 7, \"caf\\u00e9\": 8, \"\\ud83d\\ude00\": 9}", &doc, &copy);
	assert_int_equal(json__int(&doc, json__member(&doc, 0, "format"), &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(json__int(&doc, json__member(&doc, 0, "caf\xc3\xa9"), &v), 0);
	assert_int_equal(v, 8);
	assert_int_equal(json__int(&doc, json__member(&doc, 0, "\xf0\x9f\x98\x80"), &v), 0);
	assert_int_equal(v, 9);
	assert_int_equal(json__member(&doc, 0, "forma"), -ENOENT);
	assert_int_equal(json__member(&doc, 0, "formatt"), -ENOENT);
	json__free(&doc);
	free(copy);
}

/* Keys of an object in document order, nested values skipped, each key's value after it. */
static void test_object_keys(void **state)
{
	const char *want[] = { "a", "b", "c" };
	struct json_doc doc;
	char *copy, key[8];
	unsigned n = 0;
	int64_t v;
	int k;

	check_parses("{\"a\": 1, \"b\": {\"x\": [2, {\"y\": 3}]}, \"c\": 4}", &doc, &copy);
	for (k = json__first_key(&doc, 0); k >= 0; k = json__next_key(&doc, 0, k), n++) {
		assert_true(n < 3);
		assert_true(json__string(&doc, k, key, sizeof(key)) > 0);
		assert_string_equal(key, want[n]);
	}
	assert_int_equal(k, -ENOENT);
	assert_int_equal(n, 3);
	k = json__first_key(&doc, 0);
	k = json__next_key(&doc, 0, json__next_key(&doc, 0, k));
	assert_int_equal(json__int(&doc, k + 1, &v), 0);
	assert_int_equal(v, 4);
	/* Not an object, not one of its keys, an empty object. */
	assert_int_equal(json__first_key(&doc, 2), -EINVAL);
	assert_int_equal(json__next_key(&doc, 0, 2), -EINVAL);
	json__free(&doc);
	free(copy);
	check_parses("{}", &doc, &copy);
	assert_int_equal(json__first_key(&doc, 0), -ENOENT);
	json__free(&doc);
	free(copy);
}

static void test_excerpt(void **state)
{
	struct json_doc doc;
	char *copy, buf[64], tiny[6];

	check_parses("[123456789012345678901234567890123456789012345678901234567890, \"a\\u0001\xc3\xa9\"]",
		     &doc, &copy);
	json__excerpt(&doc, 1, buf, sizeof(buf));
	assert_string_equal(buf, "12345678901234567890123456789...");	/* 32 characters */
	json__excerpt(&doc, 2, buf, sizeof(buf));
	assert_string_equal(buf, "\"a\\u0001??\"");	/* raw text, printable */
	json__excerpt(&doc, 1, tiny, sizeof(tiny));
	assert_string_equal(tiny, "12...");
	json__excerpt(&doc, 99, buf, sizeof(buf));
	assert_string_equal(buf, "");
	json__free(&doc);
	free(copy);
}

/* What json__write_string writes parses back to the same string. */
static void test_write_string(void **state)
{
	static const struct {
		const char *in, *json, *back;
	} cases[] = {
		{ "plain", "\"plain\"", "plain" },
		{ "", "\"\"", "" },
		{ "q\"b\\s", "\"q\\\"b\\\\s\"", "q\"b\\s" },
		{ "t\tn\n\x01\x1f\x7f", "\"t\\u0009n\\u000a\\u0001\\u001f\\u007f\"", "t\tn\n\x01\x1f\x7f" },
		{ "caf\xc3\xa9 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"", "caf\xc3\xa9 \xf0\x9f\x98\x80" },
		/* invalid UTF-8 becomes U+FFFD (EF BF BD) */
		{ "a\xff" "b\xc3", "\"a\\ufffdb\\ufffd\"", "a\xef\xbf\xbd" "b\xef\xbf\xbd" },
		{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *text = NULL, err[256], buf[64];
		size_t len = 0;
		struct json_doc doc;
		FILE *f = open_memstream(&text, &len);

		assert_non_null(f);
		json__write_string(f, cases[i].in);
		fclose(f);
		assert_string_equal(text, cases[i].json);
		if (json__parse(&doc, text, len, err, sizeof(err)))
			fail_msg("case %zu: %s does not parse: %s", i, text, err);
		assert_true(json__string(&doc, 0, buf, sizeof(buf)) >= 0);
		assert_string_equal(buf, cases[i].back);
		json__free(&doc);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_read_values),
		cmocka_unit_test(test_escaped_keys),
		cmocka_unit_test(test_object_keys),
		cmocka_unit_test(test_excerpt),
		cmocka_unit_test(test_write_string),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
