/*
 * The PAM event datagram shared by pam_sshmedic.so and the daemon: one
 * versioned, bounded text record per event, with untrusted values encoded.
 */
#ifndef SM_EVENT_H
#define SM_EVENT_H

#include <stddef.h>

#define EVENT_VERSION	1
#define EVENT_MAX	2048		/* one datagram, bytes */

enum event_kind {
	EVK_AUTH_FAIL = 1,
	EVK_AUTH_OK,
	EVK_ACCT_DENIED,
	EVK_SESSION_OPEN
};

struct sm_event {
	int		version;
	enum event_kind	kind;
	char		user[257];	/* PAM_USER */
	char		rhost[257];	/* PAM_RHOST, "" if none */
	char		service[65];	/* PAM_SERVICE */
	char		method[65];	/* from SSH_AUTH_INFO_0, or "" */
	char		key[1025];	/* "ssh-ed25519 AAAA..." or "" */
	long		pid;		/* sender's pid (informational only) */
	int		code;		/* PAM result code the stack had, or 0 */
};

/*
 * Encodes e into buf (no terminating NUL is written or counted). 0 on
 * success with *outlen set; -1 with errno ENOSPC (does not fit in len) or
 * EINVAL (unknown kind, empty user, a field not terminated within its
 * array, negative pid or code).
 */
int	event_format(const struct sm_event *e, char *buf, size_t len,
	    size_t *outlen);

/*
 * Decodes one datagram of len bytes (no NUL needed). 0 on success; -1 with
 * errno EBADMSG: wrong magic or version, unknown kind, a missing key, an
 * empty user, a
 * field too long, a bad escape or %00, a duplicate or unknown key, a
 * truncated line, trailing junk, len over EVENT_MAX. e is zeroed first.
 */
int	event_parse(const char *buf, size_t len, struct sm_event *e);

/* The wire name of a kind ("auth_fail", ...), or "unknown"; never NULL. */
const char *event_kind_name(enum event_kind);

#endif /* SM_EVENT_H */
