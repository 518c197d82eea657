/*
 * The credential files policies point at (set_password's escrowed hash,
 * breakglass's public key), checked at load so that sshmedicd -t sees them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "conf_int.h"
#include "fsutil.h"
#include "misc.h"
#include "policy_int.h"
#include "xmalloc.h"

#define ESCROW_MAX	4096		/* one hash line; yescrypt is ~75 bytes */
#define PUBKEYS_MAX	(64 * 1024)	/* a few keys; an RSA-16384 line is ~2.8 KiB */
#define HASH_MIN	22		/* shortest final field of the schemes below */

/*
 * Modern crypt(3) schemes chpasswd -e and libxcrypt accept: yescrypt,
 * gost-yescrypt, scrypt, bcrypt, sha512crypt, sha256crypt. MD5-crypt and
 * DES are left out: an escrowed hash is made fresh, there is no reason to
 * make a weak one.
 */
static const char *const crypt_ids[] = {
	"y", "gy", "7", "2b", "2y", "2a", "6", "5",
};

/* The key types OpenSSH accepts in authorized_keys by default (no DSA). */
static const char *const key_types[] = {
	"ssh-ed25519",
	"ssh-rsa",
	"ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521",
	"sk-ssh-ed25519@openssh.com",
	"sk-ecdsa-sha2-nistp256@openssh.com",
};

/*
 * Opens and reads a credential file: no symlink, a regular file, root's
 * when check_owner, none of badbits in its mode. The content is read but
 * never quoted. 0/-1 (x->err).
 */
static int
secret_read(struct conf_ctx *x, unsigned int line, const char *what,
    const char *path, int check_owner, mode_t badbits, size_t cap,
    char **buf, size_t *len)
{
	char q[POL_QUOTE_BUF];
	struct passwd *pw;
	struct stat st;
	int fd, r = -1;

	pol_quote(path, q, sizeof(q));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
	    O_NOCTTY)) == -1) {
		if (errno == ELOOP)
			return conf_err(x, line, "%s %s: is a symbolic link",
			    what, q);
		return conf_err(x, line, "%s %s: open: %s", what, q,
		    strerror(errno));
	}
	if (fstat(fd, &st) == -1) {
		conf_err(x, line, "%s %s: fstat: %s", what, q, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_err(x, line, "%s %s: not a regular file", what, q);
		goto out;
	}
	if (check_owner && st.st_uid != 0) {
		pw = getpwuid(st.st_uid);
		conf_err(x, line, "%s %s: owned by uid %lu (%s), not root",
		    what, q, (unsigned long)st.st_uid,
		    pw != NULL ? pw->pw_name : "?");
		goto out;
	}
	if ((st.st_mode & badbits) != 0) {
		conf_err(x, line, "%s %s: mode %04o %s", what, q,
		    (unsigned int)(st.st_mode & 07777), badbits == 077 ?
		    "gives group or other access (want 0600 or 0400)" :
		    "is writable by group or other");
		goto out;
	}
	if (fs_read_fd(fd, cap, buf, len) == -1) {
		if (errno == EFBIG)
			conf_err(x, line, "%s %s: larger than %zu bytes", what,
			    q, cap);
		else
			conf_err(x, line, "%s %s: read: %s", what, q,
			    strerror(errno));
		goto out;
	}
	if (memchr(*buf, '\0', *len) != NULL) {
		explicit_bzero(*buf, *len);
		free(*buf);
		*buf = NULL;
		conf_err(x, line, "%s %s: contains a NUL byte", what, q);
		goto out;
	}
	r = 0;
 out:
	close(fd);
	return r;
}

/* Predicate: c is in crypt(3)'s hash alphabet (or the field separator). */
static int
crypt_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '/' || c == '$';
}

/*
 * Predicate: h (one line, no newline) is "$id$" of a scheme above, an
 * optional "rounds=N$" for sha-crypt, then '$'-separated fields of the
 * crypt alphabet, none empty, the last (the hash) HASH_MIN long at least.
 * A password typed into the file fails this: it has no $id$ prefix.
 */
static int
crypt_hash_ok(const char *h)
{
	const char *p, *id_end, *last;
	size_t i, idlen, nsep = 0;

	if (h[0] != '$' || (id_end = strchr(h + 1, '$')) == NULL)
		return 0;
	idlen = (size_t)(id_end - (h + 1));
	for (i = 0; i < SM_NELEM(crypt_ids); i++)
		if (strlen(crypt_ids[i]) == idlen &&
		    strncmp(h + 1, crypt_ids[i], idlen) == 0)
			break;
	if (i == SM_NELEM(crypt_ids))
		return 0;
	p = id_end + 1;
	if ((idlen == 1 && (h[1] == '5' || h[1] == '6')) &&
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
				return 0;	/* an empty field */
			nsep++;
			last = p + 1;
		}
	}
	return nsep >= 1 && strlen(last) >= HASH_MIN;
}

/* See policy_int.h: 0/-1 (x->err). */
int
pol_check_escrow(struct conf_ctx *x, unsigned int line, const char *what,
    const char *path, int check_owner)
{
	char q[POL_QUOTE_BUF], *buf = NULL, *nl;
	size_t len;
	int r = -1;

	if (secret_read(x, line, what, path, check_owner, 077, ESCROW_MAX,
	    &buf, &len) == -1)
		return -1;
	pol_quote(path, q, sizeof(q));
	/* One line: a final newline is allowed, a second line is not. */
	if (len > 0 && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	if (buf[0] == '\0')
		conf_err(x, line, "%s %s: is empty", what, q);
	else if ((nl = strchr(buf, '\n')) != NULL)
		conf_err(x, line, "%s %s: holds more than one line (want one "
		    "crypt(3) hash)", what, q);
	else if (!crypt_hash_ok(buf))
		conf_err(x, line, "%s %s: does not look like a crypt(3) hash "
		    "(one of the schemes $y$, $gy$, $7$, $2b$, $6$, $5$; never "
		    "a password)", what, q);
	else
		r = 0;
	explicit_bzero(buf, len);
	free(buf);
	return r;
}

/* Predicate: s (len bytes) is strict base64, padded, length a multiple of 4. */
static int
base64_ok(const char *s, size_t len)
{
	size_t i, pad = 0;

	if (len == 0 || len % 4 != 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad > 0)
			return 0;	/* data after padding */
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/'))
			return 0;
	}
	return pad <= 2;
}

/*
 * Predicate: blob is the SSH wire form of a key of type: a sequence of
 * length-prefixed strings that fills it exactly, at least two, the first
 * one the type itself (what ssh-keygen -l checks first, too).
 */
static int
blob_ok(const unsigned char *b, size_t len, const char *type)
{
	size_t off = 0, n, nfields = 0;
	uint32_t l;

	while (off < len) {
		if (len - off < 4)
			return 0;
		l = (uint32_t)b[off] << 24 | (uint32_t)b[off + 1] << 16 |
		    (uint32_t)b[off + 2] << 8 | (uint32_t)b[off + 3];
		off += 4;
		n = l;
		if (n > len - off)
			return 0;
		if (nfields == 0 && (n != strlen(type) ||
		    memcmp(b + off, type, n) != 0))
			return 0;
		off += n;
		nfields++;
	}
	return nfields >= 2;
}

/*
 * Why line (NUL-terminated, no newline) is not "type base64 [comment]",
 * or NULL when it is one.
 */
static const char *
pubkey_line_bad(const char *line)
{
	const char *p = line, *t, *b64;
	unsigned char *blob;
	size_t tlen, blen, i, pad;
	char type[64];
	int n, ok;

	t = p;
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	tlen = (size_t)(p - t);
	for (i = 0; i < SM_NELEM(key_types); i++)
		if (strlen(key_types[i]) == tlen &&
		    strncmp(t, key_types[i], tlen) == 0)
			break;
	if (i == SM_NELEM(key_types))
		return "does not start with a known key type (options are not "
		    "accepted: one key, as in a .pub file)";
	sm_strlcpy(type, key_types[i], sizeof(type));
	while (*p == ' ' || *p == '\t')
		p++;
	b64 = p;
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	blen = (size_t)(p - b64);
	if (!base64_ok(b64, blen) || blen > INT32_MAX)
		return "has no valid base64 key after the type";
	blob = xmalloc(blen / 4 * 3 + 1);
	n = EVP_DecodeBlock(blob, (const unsigned char *)b64, (int)blen);
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	for (pad = 0; pad < 2 && b64[blen - 1 - pad] == '='; pad++)
		;
	ok = n >= 0 && (size_t)n >= pad &&
	    blob_ok(blob, (size_t)n - pad, type);
	free(blob);
	return ok ? NULL : "holds a key that is not of its stated type";
}

/* See policy_int.h: 0/-1 (x->err). */
int
pol_check_pubkeys(struct conf_ctx *x, unsigned int line, const char *what,
    const char *path, int check_owner)
{
	char q[POL_QUOTE_BUF], *buf = NULL, *p, *nl;
	const char *why;
	unsigned int kline = 0, nkeys = 0;
	size_t len;
	int r = -1;

	if (secret_read(x, line, what, path, check_owner, 022, PUBKEYS_MAX,
	    &buf, &len) == -1)
		return -1;
	pol_quote(path, q, sizeof(q));
	for (p = buf; *p != '\0'; p = nl + 1) {
		kline++;
		if ((nl = strchr(p, '\n')) != NULL)
			*nl = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0' && *p != '#') {
			if ((why = pubkey_line_bad(p)) != NULL) {
				conf_err(x, line, "%s %s: line %u %s", what, q,
				    kline, why);
				goto out;
			}
			nkeys++;
		}
		if (nl == NULL)
			break;
	}
	if (nkeys == 0) {
		conf_err(x, line, "%s %s: holds no public key", what, q);
		goto out;
	}
	r = 0;
 out:
	free(buf);
	return r;
}
