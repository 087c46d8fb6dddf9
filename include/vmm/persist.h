#ifndef VMM_PERSIST_H
#define VMM_PERSIST_H

/*
 * Fixed-width little-endian encoding for snapshot state. Every component
 * that has state writes it with a pbuf and reads it back with a preader;
 * a reader never reads past its end: once a read fails, every later read
 * fails too and preader__ok() says so.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pbuf {
	uint8_t *data;
	size_t len, cap;
	bool failed;		/* an allocation failed; the buffer is unusable */
};

void pbuf__init(struct pbuf *b);
void pbuf__free(struct pbuf *b);
void pbuf__put_u8(struct pbuf *b, uint8_t v);
void pbuf__put_u32(struct pbuf *b, uint32_t v);
void pbuf__put_u64(struct pbuf *b, uint64_t v);
void pbuf__put_bytes(struct pbuf *b, const void *p, size_t n);
/* A string: u32 length, then its bytes (no NUL). */
void pbuf__put_str(struct pbuf *b, const char *s);

struct preader {
	const uint8_t *data;
	size_t len, pos;
	bool failed;
};

void preader__init(struct preader *r, const void *data, size_t len);
uint8_t preader__get_u8(struct preader *r);
uint32_t preader__get_u32(struct preader *r);
uint64_t preader__get_u64(struct preader *r);
/* Copies n bytes into out (zeros on failure). */
void preader__get_bytes(struct preader *r, void *out, size_t n);
/* A pointer to the next n bytes, or NULL (and failed) if fewer remain. */
const uint8_t *preader__take(struct preader *r, size_t n);
/*
 * A string written by pbuf__put_str into out (size bytes, NUL included); false
 * (and failed) when it does not fit or holds a NUL.
 */
bool preader__get_str(struct preader *r, char *out, size_t size);
/* Reads a string; true when it is exactly s (a mismatch does not fail r). */
bool preader__str_is(struct preader *r, const char *s);
/* No read failed. */
bool preader__ok(const struct preader *r);
/* No read failed and every byte was read. */
bool preader__done(const struct preader *r);

#endif
