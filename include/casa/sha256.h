/*
 * sha256.h — SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), for the dp
 * mode's keyed noise (disclosure_dp.c). Pure, no allocation; the caller owns
 * every buffer.
 */
#ifndef CASA_SHA256_H
#define CASA_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32 /* bytes of a digest */
#define SHA256_BLOCK_LEN  64 /* bytes of a message block */

/* An incremental hash: sha256_init(), any number of sha256_update(), one
 * sha256_final(). */
struct sha256 {
	uint32_t state[8];                /* chaining value */
	uint64_t length;                  /* bytes hashed so far */
	uint8_t buffer[SHA256_BLOCK_LEN]; /* partial block */
	size_t used;                      /* bytes in buffer */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const uint8_t *data, size_t len);
/* Writes the digest; s must be initialised again before reuse. */
void sha256_final(struct sha256 *s, uint8_t out[SHA256_DIGEST_LEN]);

/* HMAC-SHA-256 of msg under key (any key length: longer than a block, it is
 * hashed first). */
void hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
                 uint8_t out[SHA256_DIGEST_LEN]);

#endif
