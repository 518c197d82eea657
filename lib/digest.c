/*
 * SHA-256 as lowercase hex (see digest.h), over lib/sha256.c.
 */
#include "config.h"

#include <stdlib.h>

#include "digest.h"
#include "sha256.h"
#include "xmalloc.h"

struct digest_ctx {
	struct sha256_ctx sha;
};

/* The digest of c as hex. */
static void
finish(struct sha256_ctx *c, char hex[DIGEST_HEX_LEN + 1])
{
	static const char h[] = "0123456789abcdef";
	unsigned char d[SHA256_LEN];
	size_t i;

	sha256_final(c, d);
	for (i = 0; i < sizeof(d); i++) {
		hex[2 * i] = h[d[i] >> 4];
		hex[2 * i + 1] = h[d[i] & 0xf];
	}
	hex[2 * sizeof(d)] = '\0';
}

struct digest_ctx *
digest_new(void)
{
	struct digest_ctx *c = xcalloc(1, sizeof(*c));

	sha256_init(&c->sha);
	return c;
}

void
digest_update(struct digest_ctx *c, const void *buf, size_t len)
{
	sha256_update(&c->sha, buf, len);
}

void
digest_final(struct digest_ctx *c, char hex[DIGEST_HEX_LEN + 1])
{
	finish(&c->sha, hex);
	free(c);
}

void
digest_buf(const void *buf, size_t len, char hex[DIGEST_HEX_LEN + 1])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, buf, len);
	finish(&c, hex);
}

int
digest_is_hex(const char *s)
{
	size_t i;

	for (i = 0; i < DIGEST_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[DIGEST_HEX_LEN] == '\0';
}
