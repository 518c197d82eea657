/*
 * SHA-256 as lowercase hex: the content address of every stored blob and
 * the identity of a closure.
 */
#ifndef SM_DIGEST_H
#define SM_DIGEST_H

#include <stddef.h>

#define DIGEST_HEX_LEN	64

struct digest_ctx;

/* SHA-256 itself cannot fail: none of these returns an error. */
void	digest_buf(const void *buf, size_t len, char hex[DIGEST_HEX_LEN + 1]);

/* Streaming use: new/update/final; final frees the context. */
struct digest_ctx *digest_new(void);
void	digest_update(struct digest_ctx *, const void *, size_t);
void	digest_final(struct digest_ctx *, char hex[DIGEST_HEX_LEN + 1]);

/* Predicate: 1 when s is 64 lowercase hex digits. */
int	digest_is_hex(const char *s);

#endif
