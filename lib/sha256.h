/*
 * SHA-256 (FIPS 180-4) without libcrypto: see sha256.c.
 */
#ifndef SM_SHA256_H
#define SM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN	32	/* bytes of a digest */
#define SHA256_BLOCK	64

struct sha256_ctx {
	uint32_t	 h[8];
	uint64_t	 nbytes;	/* hashed so far */
	unsigned char	 buf[SHA256_BLOCK];
	size_t		 nbuf;		/* bytes waiting in buf */
};

void	sha256_init(struct sha256_ctx *);
void	sha256_update(struct sha256_ctx *, const void *, size_t);
/* The digest into out; the context is cleared (init it to use it again). */
void	sha256_final(struct sha256_ctx *, unsigned char out[SHA256_LEN]);

#endif
