/*
 * SHA-256 (FIPS 180-4), written here so that the daemon need not map
 * libcrypto: linking it and one digest through EVP made sshmedicd ~3 MB
 * larger (bench/guard), and hashing config files is all it was used for.
 * OpenSSH carries its own SHA-2 for builds without OpenSSL the same way.
 * Checked against the FIPS 180-4 examples and sha256sum(1) in
 * tests/unit/test_digest.c.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "sha256.h"

/* The first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes. */
static const uint32_t k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROTR(x, n)	(((x) >> (n)) | ((x) << (32 - (n))))

static uint32_t
get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* One 64-byte block into the state. */
static void
compress(uint32_t st[8], const unsigned char *p)
{
	uint32_t w[64], v[8], t1, t2;	/* v: a b c d e f g h */
	int i;

	for (i = 0; i < 16; i++)
		w[i] = get_be32(p + 4 * i);
	for (; i < 64; i++)
		w[i] = w[i - 16] + w[i - 7] +
		    (ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ w[i - 15] >> 3) +
		    (ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ w[i - 2] >> 10);
	memcpy(v, st, sizeof(v));
	for (i = 0; i < 64; i++) {
		t1 = v[7] + (ROTR(v[4], 6) ^ ROTR(v[4], 11) ^ ROTR(v[4], 25)) +
		    ((v[4] & v[5]) ^ (~v[4] & v[6])) + k[i] + w[i];
		t2 = (ROTR(v[0], 2) ^ ROTR(v[0], 13) ^ ROTR(v[0], 22)) +
		    ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		/* h = g, g = f, ..., b = a; then e = d + t1, a = t1 + t2 */
		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		st[i] += v[i];
}

/* See sha256.h. */
void
sha256_init(struct sha256_ctx *c)
{
	/* The first 32 bits of the fractional parts of the square roots of
	 * the first 8 primes. */
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(c->h, h0, sizeof(c->h));
	c->nbytes = 0;
	c->nbuf = 0;
}

/* See sha256.h. */
void
sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t n;

	if (len == 0)
		return;		/* data may be NULL then */
	c->nbytes += len;
	if (c->nbuf > 0) {
		n = SHA256_BLOCK - c->nbuf;
		if (n > len)
			n = len;
		memcpy(c->buf + c->nbuf, p, n);
		c->nbuf += n;
		p += n;
		len -= n;
		if (c->nbuf < SHA256_BLOCK)
			return;
		compress(c->h, c->buf);
		c->nbuf = 0;
	}
	for (; len >= SHA256_BLOCK; p += SHA256_BLOCK, len -= SHA256_BLOCK)
		compress(c->h, p);
	if (len > 0) {
		memcpy(c->buf, p, len);
		c->nbuf = len;
	}
}

/* See sha256.h. */
void
sha256_final(struct sha256_ctx *c, unsigned char out[SHA256_LEN])
{
	uint64_t bits = c->nbytes * 8;
	int i;

	/* 0x80, zeros up to 8 bytes short of a block, the length in bits. */
	c->buf[c->nbuf++] = 0x80;
	if (c->nbuf > SHA256_BLOCK - 8) {
		memset(c->buf + c->nbuf, 0, SHA256_BLOCK - c->nbuf);
		compress(c->h, c->buf);
		c->nbuf = 0;
	}
	memset(c->buf + c->nbuf, 0, SHA256_BLOCK - 8 - c->nbuf);
	put_be32(c->buf + SHA256_BLOCK - 8, (uint32_t)(bits >> 32));
	put_be32(c->buf + SHA256_BLOCK - 4, (uint32_t)bits);
	compress(c->h, c->buf);
	for (i = 0; i < 8; i++)
		put_be32(out + 4 * i, c->h[i]);
	memset(c, 0, sizeof(*c));
}
