#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arm64/sve.h"
#include "vmm/util.h"

/*
 * ---- Vector-length sets: pure logic, no KVM ----
 *
 * Everything in this section works on vq_mask_t values only and makes no
 * KVM call, so it builds natively for the unit tests (tests/unit/test_sve.c).
 *
 * The kernel's rule (KVM_REG_ARM64_SVE_VLS, measured): a guest set must be
 * non-empty, and equal the host's set truncated at the guest's maximum,
 * which must be a length the host has.
 */

#define SVE_VL_MIN	128u
#define SVE_VL_MAX	(SVE_VL_MIN * SVE_VQ_MAX_ARCH)
#define TOKEN_SHOW	32	/* characters of a bad token shown in a message */

/* A bounded string builder: appends never overflow, the result is always terminated. */
struct strbuf {
	char *buf;
	size_t len;
	size_t pos;
};

static void sb_init(struct strbuf *sb, char *buf, size_t len)
{
	sb->buf = buf;
	sb->len = buf ? len : 0;
	sb->pos = 0;
	if (sb->len)
		buf[0] = '\0';
}

static void __printf(2, 3) sb_add(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->pos + 1 >= sb->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->pos, sb->len - sb->pos, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sb->len - sb->pos)
		sb->pos = sb->len - 1;
	else
		sb->pos += n;
}

/* The highest VQ in a set, 0 for the empty set. */
static unsigned top_vq(vq_mask_t set)
{
	return set ? 32 - __builtin_clz((unsigned)set) : 0;
}

/* The lengths of set up to and including VQ vq. */
static vq_mask_t truncate_at(vq_mask_t set, unsigned vq)
{
	if (vq >= SVE_VQ_MAX_ARCH)
		return set;
	return set & (vq_mask_t)((1u << vq) - 1);
}

static void add_set(struct strbuf *sb, vq_mask_t set)
{
	const char *sep = "";
	unsigned vq;

	if (!set) {
		sb_add(sb, "none");
		return;
	}
	for (vq = 1; vq <= SVE_VQ_MAX_ARCH; vq++) {
		if (!(set & VQ_BIT(vq)))
			continue;
		sb_add(sb, "%s%u", sep, vq * SVE_VL_MIN);
		sep = ",";
	}
}

static void add_possible(struct strbuf *sb, vq_mask_t host)
{
	vq_mask_t sets[SVE_VQ_MAX_ARCH];
	unsigned i, n;

	n = sve__possible_sets(host, sets);
	if (!n) {
		sb_add(sb, "none");
		return;
	}
	for (i = 0; i < n; i++) {
		sb_add(sb, "%s", i ? " | " : "");
		add_set(sb, sets[i]);
	}
}

bool sve__set_valid(vq_mask_t host, vq_mask_t set)
{
	return set && set == truncate_at(host, top_vq(set));
}

unsigned sve__possible_sets(vq_mask_t host, vq_mask_t sets[SVE_VQ_MAX_ARCH])
{
	unsigned vq, n = 0;

	for (vq = 1; vq <= SVE_VQ_MAX_ARCH; vq++)
		if (host & VQ_BIT(vq))
			sets[n++] = truncate_at(host, vq);
	return n;
}

void sve__format_set(vq_mask_t set, char *buf, size_t len)
{
	struct strbuf sb;

	sb_init(&sb, buf, len);
	add_set(&sb, set);
}

void sve__format_possible(vq_mask_t host, char *buf, size_t len)
{
	struct strbuf sb;

	sb_init(&sb, buf, len);
	add_possible(&sb, host);
}

unsigned sve__max_vl(vq_mask_t set)
{
	return top_vq(set) * SVE_VL_MIN;
}

vq_mask_t sve__plan(const vq_mask_t *hosts, unsigned n)
{
	unsigned vq, i;

	if (!hosts || !n)
		return 0;
	/* Every valid set is the first host's set truncated at one of its lengths. */
	for (vq = top_vq(hosts[0]); vq; vq--) {
		vq_mask_t cand = truncate_at(hosts[0], vq);

		if (!(hosts[0] & VQ_BIT(vq)))
			continue;
		for (i = 0; i < n && sve__set_valid(hosts[i], cand); i++)
			;
		if (i == n)
			return cand;
	}
	return 0;
}

/* ---- parsing the flags ---- */

/* Control characters would break a one-line message. */
static void make_printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* Keeps the flag as written for messages, "..." marking a cut. */
static void set_text(struct sve_request *req, const char *flag, const char *arg)
{
	size_t len = sizeof(req->text);
	int n;

	n = snprintf(req->text, len, "%s=%s", flag, arg ? arg : "");
	if (n >= 0 && (size_t)n >= len)
		memcpy(req->text + len - 4, "...", 4);
	make_printable(req->text);
}

/* A token for a message: at most TOKEN_SHOW characters, printable. */
static void show_token(char *dst, size_t len, const char *tok, size_t n)
{
	struct strbuf sb;

	sb_init(&sb, dst, len);
	if (n > TOKEN_SHOW)
		sb_add(&sb, "%.*s...", TOKEN_SHOW, tok);
	else
		sb_add(&sb, "%.*s", (int)n, tok);
	make_printable(dst);
}

/*
 * Parses one length in bits, tok[0..n), n > 0. Returns its VQ, or -2 with a
 * message naming the token.
 */
static int parse_vl(const char *tok, size_t n, const char *text, char *err, size_t errlen)
{
	char shown[TOKEN_SHOW + 4];
	unsigned long v = 0;
	size_t i;

	show_token(shown, sizeof(shown), tok, n);
	for (i = 0; i < n; i++) {
		if (tok[i] < '0' || tok[i] > '9') {
			set_err(err, errlen, "%s: \"%s\" is not a number of bits", text, shown);
			return -VMM_ERR_INPUT;
		}
		if (v <= SVE_VL_MAX)
			v = v * 10 + (tok[i] - '0');
	}
	if (v < SVE_VL_MIN || v > SVE_VL_MAX) {
		set_err(err, errlen, "%s: \"%s\" is outside %u..%u bits",
			text, shown, SVE_VL_MIN, SVE_VL_MAX);
		return -VMM_ERR_INPUT;
	}
	if (v % SVE_VL_MIN) {
		set_err(err, errlen, "%s: \"%s\" is not a multiple of %u bits",
			text, shown, SVE_VL_MIN);
		return -VMM_ERR_INPUT;
	}
	return v / SVE_VL_MIN;
}

/* An empty element at tok (inside s): names its neighbour. */
static int empty_element(const char *s, const char *tok, const char *text,
			 char *err, size_t errlen)
{
	char shown[TOKEN_SHOW + 4];
	const char *prev;

	if (tok == s) {
		set_err(err, errlen, "%s: empty element at the start", text);
		return -VMM_ERR_INPUT;
	}
	/* tok - 1 is the comma ending the previous element. */
	for (prev = tok - 1; prev > s && prev[-1] != ','; prev--)
		;
	show_token(shown, sizeof(shown), prev, tok - 1 - prev);
	if (!*tok)
		set_err(err, errlen, "%s: trailing comma after \"%s\"", text, shown);
	else
		set_err(err, errlen, "%s: empty element after \"%s\"", text, shown);
	return -VMM_ERR_INPUT;
}

static int parse_list(const char *s, struct sve_request *req, char *err, size_t errlen)
{
	const char *tok = s;
	vq_mask_t mask = 0;

	if (!*s) {
		set_err(err, errlen, "%s: empty list", req->text);
		return -VMM_ERR_INPUT;
	}
	for (;;) {
		size_t n = strcspn(tok, ",");
		int vq;

		if (!n)
			return empty_element(s, tok, req->text, err, errlen);
		vq = parse_vl(tok, n, req->text, err, errlen);
		if (vq < 0)
			return vq;
		if (mask & VQ_BIT(vq)) {
			char shown[TOKEN_SHOW + 4];

			show_token(shown, sizeof(shown), tok, n);
			set_err(err, errlen, "%s: \"%s\" is given twice", req->text, shown);
			return -VMM_ERR_INPUT;
		}
		mask |= VQ_BIT(vq);
		if (!tok[n])
			break;
		tok += n + 1;
	}
	req->kind = SVE_REQ_LIST;
	req->list = mask;
	return 0;
}

int sve__parse_vls(const char *arg, struct sve_request *req, char *err, size_t errlen)
{
	memset(req, 0, sizeof(*req));
	set_text(req, "--sve-vls", arg);
	if (!arg)
		arg = "";
	if (!strcmp(arg, "max")) {
		req->kind = SVE_REQ_MAX;
		return 0;
	}
	if (!strcmp(arg, "off")) {
		req->kind = SVE_REQ_OFF;
		return 0;
	}
	return parse_list(arg, req, err, errlen);
}

int sve__parse_max_vl(const char *arg, struct sve_request *req, char *err, size_t errlen)
{
	int vq;

	memset(req, 0, sizeof(*req));
	set_text(req, "--sve-max-vl", arg);
	if (!arg || !*arg) {
		set_err(err, errlen, "%s: no length given", req->text);
		return -VMM_ERR_INPUT;
	}
	vq = parse_vl(arg, strlen(arg), req->text, err, errlen);
	if (vq < 0)
		return vq;
	req->kind = SVE_REQ_UPTO;
	req->max_vl = vq * SVE_VL_MIN;
	return 0;
}

/* ---- resolving a request against the host ---- */

static int cannot_give(const struct sve_request *req, vq_mask_t host, char *err, size_t errlen)
{
	struct strbuf sb;

	if (!err || !errlen)
		return -VMM_ERR_HOST;
	sb_init(&sb, err, errlen);
	sb_add(&sb, "%s cannot be given: ", req->text);
	if (!host) {
		sb_add(&sb, "this host has no SVE");
		return -VMM_ERR_HOST;
	}
	sb_add(&sb, "host SVE lengths ");
	add_set(&sb, host);
	sb_add(&sb, "; possible sets: ");
	add_possible(&sb, host);
	return -VMM_ERR_HOST;
}

int sve__resolve(const struct sve_request *req, vq_mask_t host, vq_mask_t *out,
		 char *err, size_t errlen)
{
	vq_mask_t set;

	switch (req->kind) {
	case SVE_REQ_DEFAULT:
	case SVE_REQ_MAX:
		*out = host;
		return 0;
	case SVE_REQ_OFF:
		*out = 0;
		return 0;
	case SVE_REQ_LIST:
		set = req->list;
		break;
	case SVE_REQ_UPTO:
		set = truncate_at(host, req->max_vl / SVE_VL_MIN);
		break;
	default:
		set_err(err, errlen, "%s: unknown SVE request %d", req->text, (int)req->kind);
		return -VMM_ERR_INTERNAL;
	}
	if (!sve__set_valid(host, set))
		return cannot_give(req, host, err, errlen);
	*out = set;
	return 0;
}

/* ---- end of the pure section ---- */
