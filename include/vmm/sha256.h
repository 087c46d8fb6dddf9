#ifndef VMM_SHA256_H
#define VMM_SHA256_H

/*
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for the migration
 * stream's shared-secret proof (vmm/migrate-net.c). Small and
 * dependency-free: the static vmm links no crypto library for one MAC.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN	32
#define SHA256_BLOCK	64

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;			/* message length so far */
	uint8_t block[SHA256_BLOCK];	/* a partial block */
	size_t used;
};

void sha256__init(struct sha256 *c);
void sha256__update(struct sha256 *c, const void *data, size_t len);
void sha256__final(struct sha256 *c, uint8_t out[SHA256_LEN]);

void hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
		 uint8_t out[SHA256_LEN]);

/* Whether a and b (len bytes) are equal, in a time that depends only on len. */
bool ct_equal(const void *a, const void *b, size_t len);

#endif
