/*
 * authorized_keys lines read the way sshd compares keys: by the base64
 * blob, whatever the options before it and the comment after it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "authkeys.h"
#include "digest.h"
#include "xmalloc.h"

#define AUTHKEYS_BLOB_MAX	16384	/* base64 of an RSA-16384 key is ~2.8 KiB */

/* The base64 blob of "TYPE BASE64 ...": its start and length, or -1. */
static int
key_blob(const char *key, const char **b64, size_t *n)
{
	const char *sp;

	if (key == NULL || (sp = strchr(key, ' ')) == NULL || sp == key)
		return -1;
	*b64 = sp + 1;
	*n = strcspn(*b64, " \t\r\n");
	if (*n == 0 || *n > AUTHKEYS_BLOB_MAX)
		return -1;
	return 0;
}

/* See authkeys.h: 1/0. */
int
authkeys_has_key(const char *content, size_t len, const char *key)
{
	const char *b64, *p = content, *end = content + len, *nl, *w;
	size_t n, wl;

	if (content == NULL || key_blob(key, &b64, &n) == -1)
		return 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		while (p < nl && (*p == ' ' || *p == '\t'))
			p++;
		if (p < nl && *p != '#') {
			/* Every word: options may hold spaces inside quotes. */
			for (w = p; w < nl; w += wl) {
				while (w < nl && (*w == ' ' || *w == '\t'))
					w++;
				wl = 0;
				while (w + wl < nl && w[wl] != ' ' &&
				    w[wl] != '\t' && w[wl] != '\r')
					wl++;
				if (wl == n && memcmp(w, b64, n) == 0)
					return 1;
				if (wl == 0)
					break;
			}
		}
		p = nl + 1;
	}
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return c - 'a' + 10;
}

/* See authkeys.h: 0/-1 with errno. */
int
authkeys_fingerprint(const char *key, char *out, size_t len)
{
	unsigned char *raw = NULL, d[32], enc[48];
	char hex[DIGEST_HEX_LEN + 1], *b64c = NULL;
	const char *b64;
	size_t n, pad = 0, i;
	int rawlen, el, r = -1;

	if (key_blob(key, &b64, &n) == -1 || n % 4 != 0)
		goto bad;
	b64c = xstrndup(b64, n);
	raw = xmalloc(n);
	if ((rawlen = EVP_DecodeBlock(raw, (unsigned char *)b64c,
	    (int)n)) < 0)
		goto bad;
	/* EVP_DecodeBlock counts the padding as data. */
	if (n >= 1 && b64c[n - 1] == '=')
		pad++;
	if (n >= 2 && b64c[n - 2] == '=')
		pad++;
	if (digest_buf(raw, (size_t)rawlen - pad, hex) == -1)
		goto out;
	for (i = 0; i < sizeof(d); i++)
		d[i] = (unsigned char)(hexval(hex[2 * i]) << 4 |
		    hexval(hex[2 * i + 1]));
	el = EVP_EncodeBlock(enc, d, (int)sizeof(d));
	while (el > 0 && enc[el - 1] == '=')
		el--;
	if ((size_t)snprintf(out, len, "SHA256:%.*s", el, enc) >= len) {
		errno = ENOSPC;
		goto out;
	}
	r = 0;
	goto out;
 bad:
	errno = EINVAL;
 out:
	free(raw);
	free(b64c);
	return r;
}
