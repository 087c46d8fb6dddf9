/*
 * Fixed-width little-endian encoding for snapshot state (see vmm/persist.h).
 *
 * Values are assembled byte by byte, never by casting a struct or a
 * pointer, so the encoding is the same on any host and needs no alignment.
 * A pbuf that fails to grow stays failed; a preader that is asked for more
 * than it holds stays failed and returns zeros from then on.
 */
#include <stdlib.h>
#include <string.h>

#include "vmm/persist.h"
#include "vmm/util.h"

#define PBUF_MIN_CAP	256

/* ---- writer ---- */

void pbuf__init(struct pbuf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->failed = false;
}

void pbuf__free(struct pbuf *b)
{
	free(b->data);
	pbuf__init(b);
}

/* Room for n more bytes; false (and failed) if there is none. */
static bool pbuf_reserve(struct pbuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : PBUF_MIN_CAP;
	uint8_t *data;

	if (b->failed)
		return false;
	if (n > SIZE_MAX - b->len) {
		b->failed = true;
		return false;
	}
	if (b->len + n <= b->cap)
		return true;
	while (cap < b->len + n)
		cap = cap > SIZE_MAX / 2 ? b->len + n : cap * 2;
	data = realloc(b->data, cap);
	if (!data) {
		b->failed = true;
		return false;
	}
	b->data = data;
	b->cap = cap;
	return true;
}

void pbuf__put_bytes(struct pbuf *b, const void *p, size_t n)
{
	if (!n || !pbuf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

/* The low n bytes of v, least significant first. */
static void pbuf_le(struct pbuf *b, uint64_t v, unsigned n)
{
	if (!pbuf_reserve(b, n))
		return;
	put_le(b->data + b->len, v, n);
	b->len += n;
}

void pbuf__put_str(struct pbuf *b, const char *s)
{
	pbuf__put_u32(b, (uint32_t)strlen(s));
	pbuf__put_bytes(b, s, strlen(s));
}

void pbuf__put_u8(struct pbuf *b, uint8_t v)
{
	pbuf_le(b, v, 1);
}

void pbuf__put_u32(struct pbuf *b, uint32_t v)
{
	pbuf_le(b, v, 4);
}

void pbuf__put_u64(struct pbuf *b, uint64_t v)
{
	pbuf_le(b, v, 8);
}

/* ---- reader ---- */

/* What data points at when a reader is given none, so data + pos is valid. */
static const uint8_t no_data[1];

void preader__init(struct preader *r, const void *data, size_t len)
{
	r->data = data ? data : no_data;
	r->len = data ? len : 0;
	r->pos = 0;
	r->failed = false;
}

const uint8_t *preader__take(struct preader *r, size_t n)
{
	const uint8_t *p;

	if (r->failed || n > r->len - r->pos) {
		r->failed = true;
		return NULL;
	}
	p = r->data + r->pos;
	r->pos += n;
	return p;
}

/* n bytes, least significant first; 0 once the reader has failed. */
static uint64_t preader_le(struct preader *r, unsigned n)
{
	const uint8_t *p = preader__take(r, n);

	return p ? get_le(p, n) : 0;
}

uint8_t preader__get_u8(struct preader *r)
{
	return (uint8_t)preader_le(r, 1);
}

uint32_t preader__get_u32(struct preader *r)
{
	return (uint32_t)preader_le(r, 4);
}

uint64_t preader__get_u64(struct preader *r)
{
	return preader_le(r, 8);
}

void preader__get_bytes(struct preader *r, void *out, size_t n)
{
	const uint8_t *p = preader__take(r, n);

	if (!n)
		return;
	if (p)
		memcpy(out, p, n);
	else
		memset(out, 0, n);
}

bool preader__get_str(struct preader *r, char *out, size_t size)
{
	uint32_t len = preader__get_u32(r);
	const uint8_t *s = preader__take(r, len);

	if (!s || len >= size || memchr(s, 0, len)) {
		r->failed = true;
		return false;
	}
	memcpy(out, s, len);
	out[len] = 0;
	return true;
}

bool preader__str_is(struct preader *r, const char *s)
{
	uint32_t len = preader__get_u32(r);
	const uint8_t *saved = preader__take(r, len);

	return saved && len == strlen(s) && !memcmp(saved, s, len);
}

bool preader__ok(const struct preader *r)
{
	return !r->failed;
}

bool preader__done(const struct preader *r)
{
	return !r->failed && r->pos == r->len;
}
