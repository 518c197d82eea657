/*
 * authorized_keys content: finding the key a login used among its lines,
 * and the SHA256 fingerprint sshd logs for a key.
 */
#ifndef SM_AUTHKEYS_H
#define SM_AUTHKEYS_H

#include <stddef.h>

#define AUTHKEYS_FP_MAX	64	/* "SHA256:" + 43 base64 characters + NUL */

/*
 * Predicate: some line of content (len bytes) carries the key "TYPE BASE64"
 * (as sshd's ExposeAuthInfo gives it): the same base64 blob as a whole
 * word, after any options. Comments and blank lines never match. 1/0.
 */
int	authkeys_has_key(const char *content, size_t len, const char *key);

/*
 * "SHA256:..." (unpadded base64 of the SHA-256 of the decoded blob, as
 * ssh-keygen -l and sshd print it) of key "TYPE BASE64 [comment]".
 * 0, or -1 with errno EINVAL (not a key or bad base64).
 */
int	authkeys_fingerprint(const char *key, char *out, size_t len);

/*
 * Predicate: text (len bytes) is one or more public key lines, "TYPE
 * BASE64 [comment]" with TYPE one OpenSSH accepts by default and BASE64 a
 * key blob of that type; with opts, authorized_keys options may come
 * first. Comments and blank lines aside, at least one key. 1, or 0 with
 * why naming the line.
 */
int	authkeys_text_ok(const char *text, size_t len, int opts, char *why,
	    size_t wlen);

/*
 * Predicate: h (one line) looks like a crypt(3) hash of a modern scheme
 * ($y$, $gy$, $7$, $2b$/$2y$/$2a$, $6$, $5$): what chpasswd -e takes.
 * Plain text, an empty or a locked ("!", "*") value fail. 1/0.
 */
int	authkeys_crypt_ok(const char *h);

#endif
