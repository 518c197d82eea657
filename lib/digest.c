/*
 * SHA-256 helpers over EVP: libcrypto is on every machine that runs
 * OpenSSH, so hashing is not written by hand.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "digest.h"
#include "xmalloc.h"

struct digest_ctx {
	EVP_MD_CTX *md;
};

/*
 * SHA-256, fetched from the default provider once (EVP_sha256() is fetched
 * again by every EVP_DigestInit_ex: ~450 ns per digest instead of ~170 on
 * OpenSSL 3.0). The configuration file is not read: it holds TLS, engine
 * and OID settings, none of which change SHA-256, and loading it (even an
 * empty one) made the daemon ~560 kB larger, most of it libcrypto code.
 * XXX a system that selects a FIPS provider in openssl.cnf gets the
 * default provider's SHA-256 here. Single-threaded callers only.
 */
static const EVP_MD *
sha256(void)
{
	static EVP_MD *md;

	if (md == NULL &&
	    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) == 1)
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	return md;
}

static void
tohex(const unsigned char *d, unsigned int n, char *hex)
{
	static const char h[] = "0123456789abcdef";
	unsigned int i;

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

	if (sha256() == NULL || (c->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c->md, sha256(), NULL) != 1) {
		digest_free(c);
		return NULL;
	}
	return c;
}

int
digest_update(struct digest_ctx *c, const void *buf, size_t len)
{
	if (EVP_DigestUpdate(c->md, buf, len) != 1) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int
digest_final(struct digest_ctx *c, char hex[DIGEST_HEX_LEN + 1])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int r = 0;

	if (EVP_DigestFinal_ex(c->md, d, &n) != 1 || n * 2 != DIGEST_HEX_LEN) {
		errno = EIO;
		r = -1;
	} else
		tohex(d, n, hex);
	digest_free(c);
	return r;
}

void
digest_free(struct digest_ctx *c)
{
	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

int
digest_buf(const void *buf, size_t len, char hex[DIGEST_HEX_LEN + 1])
{
	struct digest_ctx *c;

	if ((c = digest_new()) == NULL) {
		errno = EIO;
		return -1;
	}
	if (digest_update(c, buf, len) == -1) {
		digest_free(c);
		return -1;
	}
	return digest_final(c, hex);
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
