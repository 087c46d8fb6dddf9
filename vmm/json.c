/*
 * A small, strict JSON reader, and the string writer (see vmm/json.h).
 *
 * Every read of the text is checked against its length; positions are
 * size_t offsets, never pointers past the end. Nesting is limited, so the
 * recursion depth is too.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/json.h"

#define EXCERPT_MAX	32	/* characters of a value shown in a message */

struct parser {
	const char *s;
	size_t len;
	size_t pos;
	struct json_doc *doc;
	unsigned cap;		/* nodes allocated */
	char *err;
	size_t errlen;
};

/* ---- characters ---- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at s[at..at+4), all before end. */
static bool hex4(const char *s, size_t at, size_t end, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	if (at > end || end - at < 4)
		return false;
	for (i = 0; i < 4; i++) {
		int d = hex_value(s[at + i]);

		if (d < 0)
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

static bool is_high_surrogate(uint32_t cp)
{
	return cp >= 0xd800 && cp <= 0xdbff;
}

static bool is_low_surrogate(uint32_t cp)
{
	return cp >= 0xdc00 && cp <= 0xdfff;
}

/*
 * The length of the well-formed UTF-8 sequence at s (avail > 0 bytes), or
 * 0 when it is not one: no overlong forms, surrogates or code points above
 * U+10FFFF.
 */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (avail < n)
		return 0;
	cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    is_high_surrogate(cp) || is_low_surrogate(cp))
		return 0;
	return n;
}

static size_t utf8_put(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | cp >> 6;
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | cp >> 12;
		out[1] = 0x80 | (cp >> 6 & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | cp >> 18;
	out[1] = 0x80 | (cp >> 12 & 0x3f);
	out[2] = 0x80 | (cp >> 6 & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/* ---- errors ---- */

static void where(const struct parser *p, size_t pos, unsigned *line, unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < pos && i < p->len; i++) {
		if (p->s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int __printf(3, 4) syntax_error(struct parser *p, size_t pos, const char *fmt, ...)
{
	char what[160];
	unsigned line, col;
	va_list ap;

	if (!p->err || !p->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	where(p, pos, &line, &col);
	snprintf(p->err, p->errlen, "line %u, column %u: %s", line, col, what);
	return -EINVAL;
}

/* What stands at the current position, when it is not what was wanted. */
static int unexpected(struct parser *p, const char *wanted)
{
	unsigned char c;

	if (p->pos >= p->len)
		return syntax_error(p, p->pos, "unexpected end of input, expected %s", wanted);
	c = p->s[p->pos];
	if (c > 0x20 && c < 0x7f)
		return syntax_error(p, p->pos, "unexpected '%c', expected %s", c, wanted);
	return syntax_error(p, p->pos, "unexpected byte 0x%02x, expected %s", c, wanted);
}

/* ---- the parser ---- */

static int new_node(struct parser *p, enum json_type type)
{
	struct json_doc *doc = p->doc;
	unsigned i;

	if (doc->nr_nodes == p->cap) {
		unsigned cap = p->cap ? p->cap * 2 : 64;
		struct json_node *nodes;

		if (p->cap >= JSON_MAX_NODES)
			return syntax_error(p, p->pos, "more than %u values", JSON_MAX_NODES);
		if (cap > JSON_MAX_NODES)
			cap = JSON_MAX_NODES;
		nodes = realloc(doc->nodes, cap * sizeof(*nodes));
		if (!nodes) {
			if (p->err && p->errlen)
				snprintf(p->err, p->errlen, "out of memory");
			return -ENOMEM;
		}
		doc->nodes = nodes;
		p->cap = cap;
	}
	i = doc->nr_nodes++;
	doc->nodes[i] = (struct json_node){
		.type = type, .start = p->pos, .end = p->pos, .next = i + 1,
	};
	return i;
}

/* Closes node i: it ends at the current position, its children are done. */
static int end_node(struct parser *p, int i)
{
	p->doc->nodes[i].end = p->pos;
	p->doc->nodes[i].next = p->doc->nr_nodes;
	return i;
}

static void skip_space(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		p->pos++;
	}
}

/* At byte '\\' at pos: the length of a valid escape sequence, or an error. */
static int escape_len(struct parser *p, size_t pos)
{
	uint32_t cp, lo;
	char c;

	if (p->len - pos < 2)
		return syntax_error(p, pos, "unexpected end of input in a string");
	c = p->s[pos + 1];
	if (c && strchr("\"\\/bfnrt", c))
		return 2;
	if (c != 'u') {
		if (c > 0x20 && c < 0x7f)
			return syntax_error(p, pos, "invalid escape '\\%c' in a string", c);
		return syntax_error(p, pos, "invalid escape in a string");
	}
	if (!hex4(p->s, pos + 2, p->len, &cp))
		return syntax_error(p, pos, "\\u needs four hex digits");
	if (cp == 0)
		return syntax_error(p, pos, "\\u0000 in a string");
	if (is_low_surrogate(cp))
		return syntax_error(p, pos, "\\u%04x: a low surrogate without a high one", cp);
	if (!is_high_surrogate(cp))
		return 6;
	if (p->len - pos < 12 || p->s[pos + 6] != '\\' || p->s[pos + 7] != 'u' ||
	    !hex4(p->s, pos + 8, p->len, &lo) || !is_low_surrogate(lo))
		return syntax_error(p, pos, "\\u%04x: a high surrogate without a low one", cp);
	return 12;
}

static int parse_string(struct parser *p)
{
	int i = new_node(p, JSON_STRING);
	size_t pos = p->pos + 1;

	if (i < 0)
		return i;
	p->doc->nodes[i].start = pos;
	while (pos < p->len) {
		unsigned char c = p->s[pos];
		int n;

		if (c == '"') {
			p->pos = pos;
			end_node(p, i);
			p->pos++;
			return i;
		}
		if (c < 0x20)
			return syntax_error(p, pos, "control character 0x%02x in a string", c);
		if (c == '\\') {
			n = escape_len(p, pos);
			if (n < 0)
				return n;
		} else {
			n = utf8_len((const unsigned char *)p->s + pos, p->len - pos);
			if (!n)
				return syntax_error(p, pos, "invalid UTF-8 in a string");
		}
		pos += n;
	}
	return syntax_error(p, pos, "unexpected end of input in a string");
}

static size_t skip_digits(const struct parser *p, size_t pos)
{
	while (pos < p->len && is_digit(p->s[pos]))
		pos++;
	return pos;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int parse_number(struct parser *p)
{
	int i = new_node(p, JSON_NUMBER);
	size_t pos = p->pos;

	if (i < 0)
		return i;
	if (p->s[pos] == '-')
		pos++;
	if (pos >= p->len || !is_digit(p->s[pos]))
		return syntax_error(p, pos, "'-' without digits");
	if (p->s[pos] == '0' && pos + 1 < p->len && is_digit(p->s[pos + 1]))
		return syntax_error(p, pos, "a number with a leading zero");
	pos = skip_digits(p, pos);
	if (pos < p->len && p->s[pos] == '.') {
		if (pos + 1 >= p->len || !is_digit(p->s[pos + 1]))
			return syntax_error(p, pos, "no digits after '.' in a number");
		pos = skip_digits(p, pos + 1);
	}
	if (pos < p->len && (p->s[pos] == 'e' || p->s[pos] == 'E')) {
		pos++;
		if (pos < p->len && (p->s[pos] == '+' || p->s[pos] == '-'))
			pos++;
		if (pos >= p->len || !is_digit(p->s[pos]))
			return syntax_error(p, pos, "no digits in the exponent of a number");
		pos = skip_digits(p, pos);
	}
	p->pos = pos;
	return end_node(p, i);
}

static int parse_literal(struct parser *p, const char *word, enum json_type type)
{
	size_t n = strlen(word);
	int i;

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n))
		return syntax_error(p, p->pos, "invalid word, expected true, false or null");
	i = new_node(p, type);
	if (i < 0)
		return i;
	p->pos += n;
	return end_node(p, i);
}

static int parse_value(struct parser *p, unsigned depth);

static int parse_array(struct parser *p, unsigned depth)
{
	int i = new_node(p, JSON_ARRAY), ret;

	if (i < 0)
		return i;
	p->pos++;
	skip_space(p);
	if (p->pos < p->len && p->s[p->pos] == ']') {
		p->pos++;
		return end_node(p, i);
	}
	for (;;) {
		ret = parse_value(p, depth);
		if (ret < 0)
			return ret;
		p->doc->nodes[i].count++;
		skip_space(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == ']') {
			p->pos++;
			return end_node(p, i);
		}
		return unexpected(p, "',' or ']' in an array");
	}
}

static bool same_string(const struct json_doc *doc, int a, int b);

/* Key node key of object obj (key is its last child so far) is new in obj. */
static int check_duplicate(struct parser *p, int obj, int key)
{
	const struct json_node *nodes = p->doc->nodes;
	unsigned m;
	int k = obj + 1;

	for (m = 0; m < nodes[obj].count; m++) {
		if (same_string(p->doc, k, key)) {
			char shown[EXCERPT_MAX + 8];

			json__excerpt(p->doc, key, shown, sizeof(shown));
			return syntax_error(p, nodes[key].start - 1, "duplicate key %s", shown);
		}
		k = nodes[k + 1].next;
	}
	return 0;
}

static int parse_member(struct parser *p, int obj, unsigned depth)
{
	int key, ret;

	skip_space(p);
	if (p->pos >= p->len || p->s[p->pos] != '"')
		return unexpected(p, "a key (a string) in an object");
	key = parse_string(p);
	if (key < 0)
		return key;
	ret = check_duplicate(p, obj, key);
	if (ret < 0)
		return ret;
	skip_space(p);
	if (p->pos >= p->len || p->s[p->pos] != ':')
		return unexpected(p, "':' after a key");
	p->pos++;
	ret = parse_value(p, depth);
	if (ret < 0)
		return ret;
	p->doc->nodes[obj].count++;
	return 0;
}

static int parse_object(struct parser *p, unsigned depth)
{
	int i = new_node(p, JSON_OBJECT), ret;

	if (i < 0)
		return i;
	p->pos++;
	skip_space(p);
	if (p->pos < p->len && p->s[p->pos] == '}') {
		p->pos++;
		return end_node(p, i);
	}
	for (;;) {
		ret = parse_member(p, i, depth);
		if (ret < 0)
			return ret;
		skip_space(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == '}') {
			p->pos++;
			return end_node(p, i);
		}
		return unexpected(p, "',' or '}' in an object");
	}
}

static int parse_value(struct parser *p, unsigned depth)
{
	skip_space(p);
	if (p->pos >= p->len)
		return unexpected(p, "a value");
	switch (p->s[p->pos]) {
	case '{':
	case '[':
		if (depth >= JSON_MAX_DEPTH)
			return syntax_error(p, p->pos, "arrays and objects nested deeper than %u",
					    JSON_MAX_DEPTH);
		if (p->s[p->pos] == '{')
			return parse_object(p, depth + 1);
		return parse_array(p, depth + 1);
	case '"':
		return parse_string(p);
	case 't':
		return parse_literal(p, "true", JSON_BOOL);
	case 'f':
		return parse_literal(p, "false", JSON_BOOL);
	case 'n':
		return parse_literal(p, "null", JSON_NULL);
	case '-':
	case '0' ... '9':
		return parse_number(p);
	default:
		return unexpected(p, "a value");
	}
}

int json__parse(struct json_doc *doc, const char *text, size_t len, char *err, size_t errlen)
{
	struct parser p = {
		.s = text, .len = len, .doc = doc, .err = err, .errlen = errlen,
	};
	int ret;

	memset(doc, 0, sizeof(*doc));
	if (err && errlen)
		err[0] = '\0';
	if (!text || len > JSON_MAX_TEXT) {
		if (err && errlen)
			snprintf(err, errlen, "longer than %u bytes", JSON_MAX_TEXT);
		return -EINVAL;
	}
	doc->text = text;
	doc->len = len;
	skip_space(&p);
	if (p.pos >= len) {
		if (err && errlen)
			snprintf(err, errlen, "empty: no JSON value");
		return -EINVAL;
	}
	ret = parse_value(&p, 0);
	if (ret >= 0) {
		skip_space(&p);
		if (p.pos < len)
			ret = unexpected(&p, "nothing after the value");
	}
	if (ret < 0) {
		json__free(doc);
		return ret;
	}
	return 0;
}

void json__free(struct json_doc *doc)
{
	free(doc->nodes);
	doc->nodes = NULL;
	doc->nr_nodes = 0;
}

/* ---- reading the nodes ---- */

static const struct json_node *node(const struct json_doc *doc, int i, enum json_type type)
{
	if (i < 0 || (unsigned)i >= doc->nr_nodes || doc->nodes[i].type != type)
		return NULL;
	return &doc->nodes[i];
}

/*
 * The next character of a string node that the parser checked, from
 * *pos (< end), as a code point. The checks stay, in case of a bug.
 */
static uint32_t next_char(const char *s, size_t *pos, size_t end)
{
	const unsigned char *u = (const unsigned char *)s + *pos;
	uint32_t cp, lo;
	size_t n, i;

	if (u[0] != '\\') {
		n = utf8_len(u, end - *pos);
		if (!n) {
			(*pos)++;
			return 0xfffd;
		}
		cp = n == 1 ? u[0] : u[0] & (0x7f >> n);
		for (i = 1; i < n; i++)
			cp = cp << 6 | (u[i] & 0x3f);
		*pos += n;
		return cp;
	}
	if (end - *pos < 2) {
		*pos = end;
		return 0xfffd;
	}
	*pos += 2;
	switch (u[1]) {
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'u': break;
	default: return u[1];
	}
	if (!hex4(s, *pos, end, &cp))
		return 0xfffd;
	*pos += 4;
	if (is_high_surrogate(cp) && end - *pos >= 6 && s[*pos] == '\\' && s[*pos + 1] == 'u' &&
	    hex4(s, *pos + 2, end, &lo) && is_low_surrogate(lo)) {
		*pos += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	return cp;
}

static bool same_string(const struct json_doc *doc, int a, int b)
{
	size_t pa = doc->nodes[a].start, ea = doc->nodes[a].end;
	size_t pb = doc->nodes[b].start, eb = doc->nodes[b].end;

	while (pa < ea && pb < eb)
		if (next_char(doc->text, &pa, ea) != next_char(doc->text, &pb, eb))
			return false;
	return pa == ea && pb == eb;
}

static bool string_is(const struct json_doc *doc, int i, const char *want)
{
	size_t pos = doc->nodes[i].start, end = doc->nodes[i].end;
	size_t k = 0, len = strlen(want);

	while (pos < end) {
		char u[4];
		size_t n = utf8_put(next_char(doc->text, &pos, end), u);

		if (n > len - k || memcmp(want + k, u, n))
			return false;
		k += n;
	}
	return k == len;
}

const char *json__type_name(enum json_type type)
{
	switch (type) {
	case JSON_NULL: return "null";
	case JSON_BOOL: return "a boolean";
	case JSON_NUMBER: return "a number";
	case JSON_STRING: return "a string";
	case JSON_ARRAY: return "an array";
	case JSON_OBJECT: return "an object";
	}
	return "unknown";
}

enum json_type json__type(const struct json_doc *doc, int i)
{
	if (i < 0 || (unsigned)i >= doc->nr_nodes)
		return JSON_NULL;
	return doc->nodes[i].type;
}

int json__member(const struct json_doc *doc, int obj, const char *key)
{
	const struct json_node *o = node(doc, obj, JSON_OBJECT);
	unsigned m;
	int k;

	if (!o)
		return -EINVAL;
	for (m = 0, k = obj + 1; m < o->count; m++) {
		if (string_is(doc, k, key))
			return k + 1;
		k = doc->nodes[k + 1].next;
	}
	return -ENOENT;
}

int json__first(const struct json_doc *doc, int arr)
{
	const struct json_node *a = node(doc, arr, JSON_ARRAY);

	if (!a)
		return -EINVAL;
	return a->count ? arr + 1 : -ENOENT;
}

int json__next(const struct json_doc *doc, int arr, int elem)
{
	const struct json_node *a = node(doc, arr, JSON_ARRAY);
	uint32_t next;

	if (!a || elem <= arr || (uint32_t)elem >= a->next)
		return -EINVAL;
	next = doc->nodes[elem].next;
	return next < a->next ? (int)next : -ENOENT;
}

int json__first_key(const struct json_doc *doc, int obj)
{
	const struct json_node *o = node(doc, obj, JSON_OBJECT);

	if (!o)
		return -EINVAL;
	return o->count ? obj + 1 : -ENOENT;
}

int json__next_key(const struct json_doc *doc, int obj, int key)
{
	const struct json_node *o = node(doc, obj, JSON_OBJECT);
	uint32_t next;

	if (!o || key <= obj || (uint32_t)key + 1 >= o->next ||
	    doc->nodes[key].type != JSON_STRING)
		return -EINVAL;
	next = doc->nodes[key + 1].next;
	return next < o->next ? (int)next : -ENOENT;
}

int json__int(const struct json_doc *doc, int i, int64_t *out)
{
	const struct json_node *n = node(doc, i, JSON_NUMBER);
	const uint64_t max = INT64_MAX;
	uint64_t v = 0, limit;
	size_t pos;
	bool neg;

	if (!n)
		return -EINVAL;
	neg = doc->text[n->start] == '-';
	for (pos = n->start + neg; pos < n->end; pos++)
		if (!is_digit(doc->text[pos]))
			return -EINVAL;		/* a fraction or an exponent */
	limit = neg ? max + 1 : max;
	for (pos = n->start + neg; pos < n->end; pos++) {
		unsigned d = doc->text[pos] - '0';

		if (v > (limit - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (!neg)
		*out = (int64_t)v;
	else
		*out = v == max + 1 ? INT64_MIN : -(int64_t)v;
	return 0;
}

int json__bool(const struct json_doc *doc, int i, bool *out)
{
	const struct json_node *n = node(doc, i, JSON_BOOL);

	if (!n)
		return -EINVAL;
	*out = doc->text[n->start] == 't';
	return 0;
}

int json__string(const struct json_doc *doc, int i, char *buf, size_t len)
{
	const struct json_node *n = node(doc, i, JSON_STRING);
	size_t pos, k = 0;

	if (!n)
		return -EINVAL;
	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	for (pos = n->start; pos < n->end;) {
		char u[4];
		size_t c = utf8_put(next_char(doc->text, &pos, n->end), u);

		if (c >= len - k)
			return -ENOSPC;
		memcpy(buf + k, u, c);
		k += c;
		buf[k] = '\0';
	}
	return k;
}

void json__excerpt(const struct json_doc *doc, int i, char *buf, size_t len)
{
	size_t start, n, room, k;
	bool cut = false;

	if (!len)
		return;
	buf[0] = '\0';
	if (i < 0 || (unsigned)i >= doc->nr_nodes)
		return;
	start = doc->nodes[i].start;
	n = doc->nodes[i].end - start;
	if (doc->nodes[i].type == JSON_STRING) {
		start--;	/* with its quotes */
		n += 2;
	}
	room = len - 1 < EXCERPT_MAX ? len - 1 : EXCERPT_MAX;
	if (n > room) {
		cut = true;
		n = room > 3 ? room - 3 : 0;
	}
	for (k = 0; k < n; k++) {
		unsigned char c = doc->text[start + k];

		buf[k] = c >= 0x20 && c < 0x7f ? c : '?';
	}
	buf[k] = '\0';
	if (cut)
		snprintf(buf + k, len - k, "...");
}

/* ---- writing ---- */

void json__write_string(FILE *f, const char *s)
{
	fputc('"', f);
	while (*s) {
		unsigned char c = *s;
		size_t n;

		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			s++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			s++;
		} else {
			n = utf8_len((const unsigned char *)s, strnlen(s, 4));
			if (n)
				fwrite(s, 1, n, f);
			else
				fputs("\\ufffd", f);
			s += n ? n : 1;
		}
	}
	fputc('"', f);
}
