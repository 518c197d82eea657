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

static void
tohex(const unsigned char *d, size_t n, char *hex)
{
	static const char h[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		hex[2 * i] = h[d[i] >> 4];
		hex[2 * i + 1] = h[d[i] & 0xf];
	}
	hex[2 * n] = '\0';
}

struct digest_ctx *
digest_new(void)
{
	struct digest_ctx *c = xcalloc(1, sizeof(*c));

	sha256_init(&c->sha);
	return c;
}

int
digest_update(struct digest_ctx *c, const void *buf, size_t len)
{
	sha256_update(&c->sha, buf, len);
	return 0;
}

int
digest_final(struct digest_ctx *c, char hex[DIGEST_HEX_LEN + 1])
{
	unsigned char d[SHA256_LEN];

	sha256_final(&c->sha, d);
	tohex(d, sizeof(d), hex);
	digest_free(c);
	return 0;
}

void
digest_free(struct digest_ctx *c)
{
	free(c);
}

int
digest_buf(const void *buf, size_t len, char hex[DIGEST_HEX_LEN + 1])
{
	struct digest_ctx c;
	unsigned char d[SHA256_LEN];

	sha256_init(&c.sha);
	sha256_update(&c.sha, buf, len);
	sha256_final(&c.sha, d);
	tohex(d, sizeof(d), hex);
	return 0;
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
