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

#endif
