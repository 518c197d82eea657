/*
 * authorized_keys lines read the way sshd compares keys: by the base64
 * blob, whatever the options before it and the comment after it.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authkeys.h"
#include "base64.h"
#include "sha256.h"
#include "xmalloc.h"

#define AUTHKEYS_BLOB_MAX	16384	/* base64 of an RSA-16384 key is ~2.8 KiB */
#define AUTHKEYS_LINE_MAX	8192	/* sshd's own limit is larger; keys are not */
#define CRYPT_HASH_MIN		22	/* shortest final field of the schemes */

/* The key types OpenSSH accepts in authorized_keys by default (no DSA). */
static const char *const key_types[] = {
	"ssh-ed25519",
	"ssh-rsa",
	"ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521",
	"sk-ssh-ed25519@openssh.com",
	"sk-ecdsa-sha2-nistp256@openssh.com",
	"ssh-ed25519-cert-v01@openssh.com",
	"ssh-rsa-cert-v01@openssh.com",
	"ecdsa-sha2-nistp256-cert-v01@openssh.com",
	"ecdsa-sha2-nistp384-cert-v01@openssh.com",
	"ecdsa-sha2-nistp521-cert-v01@openssh.com",
};

/* crypt(3) scheme ids chpasswd -e takes; MD5 and DES are too weak to escrow. */
static const char *const crypt_ids[] = {
	"y", "gy", "7", "2b", "2y", "2a", "6", "5",
};

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

/* See authkeys.h: 0/-1 with errno. */
int
authkeys_fingerprint(const char *key, char *out, size_t len)
{
	unsigned char *raw = NULL, d[SHA256_LEN];
	char enc[4 * ((SHA256_LEN + 2) / 3) + 1];
	struct sha256_ctx sha;
	const char *b64;
	size_t n, el;
	ssize_t rawlen;
	int r = -1;

	if (key_blob(key, &b64, &n) == -1)
		goto bad;
	raw = xmalloc(B64_DECODED_MAX(n) + 1);
	if ((rawlen = b64_decode(b64, n, raw)) <= 0)
		goto bad;
	sha256_init(&sha);
	sha256_update(&sha, raw, (size_t)rawlen);
	sha256_final(&sha, d);
	/* ssh-keygen -l: SHA256: and the base64 without its padding */
	el = b64_encode(d, sizeof(d), enc);
	while (el > 0 && enc[el - 1] == '=')
		el--;
	if ((size_t)snprintf(out, len, "SHA256:%.*s", (int)el, enc) >= len) {
		errno = ENOSPC;
		goto out;
	}
	r = 0;
	goto out;
 bad:
	errno = EINVAL;
 out:
	free(raw);
	return r;
}

static int
known_type(const char *t, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (strlen(key_types[i]) == n && memcmp(key_types[i], t, n) == 0)
			return 1;
	return 0;
}

/*
 * Predicate: b64 (n bytes) decodes to an SSH key blob whose first field,
 * a length-prefixed string, is the type named on the line.
 */
static int
blob_of_type(const char *b64, size_t n, const char *type, size_t tlen)
{
	unsigned char *raw;
	ssize_t rawlen;
	int ok = 0;
	size_t l;

	if (n == 0 || n % 4 != 0 || n > AUTHKEYS_BLOB_MAX)
		return 0;
	raw = xmalloc(B64_DECODED_MAX(n));
	rawlen = b64_decode(b64, n, raw);
	if (rawlen >= 4) {
		l = (size_t)raw[0] << 24 | (size_t)raw[1] << 16 |
		    (size_t)raw[2] << 8 | raw[3];
		ok = l == tlen && (size_t)rawlen >= 4 + l &&
		    memcmp(raw + 4, type, tlen) == 0;
	}
	free(raw);
	return ok;
}

/* Skips authorized_keys options (quoted strings may hold spaces). */
static const char *
skip_options(const char *p, const char *end)
{
	int q = 0;

	for (; p < end; p++) {
		if (*p == '"')
			q = !q;
		else if (*p == '\\' && q && p + 1 < end)
			p++;
		else if ((*p == ' ' || *p == '\t') && !q)
			break;
	}
	return p;
}

/* Predicate: one line (no newline) is a key line. */
static int
key_line_ok(const char *p, const char *end, int opts)
{
	const char *t, *b;
	size_t tl, bl;

	t = p;
	tl = strcspn(t, " \t");
	if (t + tl > end)
		tl = (size_t)(end - t);
	if (!known_type(t, tl)) {
		if (!opts)
			return 0;
		t = skip_options(p, end);
		while (t < end && (*t == ' ' || *t == '\t'))
			t++;
		tl = 0;
		while (t + tl < end && t[tl] != ' ' && t[tl] != '\t')
			tl++;
		if (!known_type(t, tl))
			return 0;
	}
	b = t + tl;
	while (b < end && (*b == ' ' || *b == '\t'))
		b++;
	bl = 0;
	while (b + bl < end && b[bl] != ' ' && b[bl] != '\t')
		bl++;
	return blob_of_type(b, bl, t, tl);
}

/* See authkeys.h: 1/0. */
int
authkeys_text_ok(const char *text, size_t len, int opts, char *why,
    size_t wlen)
{
	const char *p = text, *end = text + len, *nl, *e;
	unsigned int line = 0, keys = 0;

	if (memchr(text, '\0', len) != NULL) {
		snprintf(why, wlen, "contains a NUL byte");
		return 0;
	}
	while (p < end) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		e = nl != NULL ? nl : end;
		if (e > p && e[-1] == '\r')
			e--;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p < e && *p != '#') {
			if ((size_t)(e - p) > AUTHKEYS_LINE_MAX ||
			    !key_line_ok(p, e, opts)) {
				snprintf(why, wlen, "line %u is not a public key "
				    "(TYPE BASE64 [comment])", line);
				return 0;
			}
			keys++;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	if (keys == 0) {
		snprintf(why, wlen, "no public key in it");
		return 0;
	}
	return 1;
}

static int
crypt_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '/' || c == '$';
}

/* See authkeys.h: 1/0. */
int
authkeys_crypt_ok(const char *h)
{
	const char *id_end, *last, *p;
	size_t i, idlen, fields = 0;

	if (h == NULL || h[0] != '$' || (id_end = strchr(h + 1, '$')) == NULL)
		return 0;
	idlen = (size_t)(id_end - (h + 1));
	for (i = 0; i < sizeof(crypt_ids) / sizeof(crypt_ids[0]); i++)
		if (strlen(crypt_ids[i]) == idlen &&
		    strncmp(h + 1, crypt_ids[i], idlen) == 0)
			break;
	if (i == sizeof(crypt_ids) / sizeof(crypt_ids[0]))
		return 0;
	p = id_end + 1;
	/* sha-crypt's optional "rounds=N$" holds '=' */
	if (idlen == 1 && (h[1] == '5' || h[1] == '6') &&
	    strncmp(p, "rounds=", 7) == 0) {
		p += 7;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p++ != '$')
			return 0;
	}
	last = p;
	for (; *p != '\0'; p++) {
		if (!crypt_char(*p))
			return 0;
		if (*p == '$') {
			if (p == last)
				return 0;
			fields++;
			last = p + 1;
		}
	}
	return fields >= 1 && strlen(last) >= CRYPT_HASH_MIN;
}
