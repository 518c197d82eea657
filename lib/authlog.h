/*
 * sshd's "Failed publickey" log line: a pure parser for the three shapes
 * a line reaches sshmedicd in (bare, classic syslog, RFC 3339 syslog).
 */
#ifndef SM_AUTHLOG_H
#define SM_AUTHLOG_H

#include <stddef.h>

#define AUTHLOG_LINE_MAX	4096	/* longer lines are never parsed */
#define AUTHLOG_USER_MAX	256	/* what struct sm_event's user holds */
#define AUTHLOG_ADDR_MAX	63	/* INET6_ADDRSTRLEN, '%' and a scope */
#define AUTHLOG_KEYTYPE_MAX	31
#define AUTHLOG_FP_MAX		63

enum authlog_kind {
	AL_REFUSED_KEY = 1,	/* "Failed publickey for USER from ADDR ..." */
	AL_NOT_ALLOWED,		/* "User USER [from HOST] not allowed because ..." */
	AL_PAM_INIT,		/* "PAM: initialisation failed": no user known */
	AL_POSTPONED,		/* "Postponed publickey for USER from ADDR port N": a good key */
};

#define AUTHLOG_WHY_MAX		127

struct authlog_rec {
	enum authlog_kind kind;
	char	 user[AUTHLOG_USER_MAX + 1];	/* cut at AUTHLOG_USER_MAX */
	size_t	 user_len;		/* as logged; may exceed the array */
	char	 addr[AUTHLOG_ADDR_MAX + 1];	/* numeric, inet_pton-checked */
	int	 port;			/* 1..65535 */
	char	 keytype[AUTHLOG_KEYTYPE_MAX + 1];	/* "ED25519", "RSA-CERT" */
	char	 fingerprint[AUTHLOG_FP_MAX + 1];	/* "SHA256:...", "MD5:..." */
	int	 invalid_user;		/* sshd said "for invalid user" */
	int	 cert;			/* a certificate was offered */
	/*
	 * The user name is longer than COUNTERS_KEY_MAX or has characters no
	 * account name has (spaces, quotes...): attacker text, never a
	 * protected user. Still parsed, marked for the caller.
	 */
	int	 suspect;
	/* AL_NOT_ALLOWED: sshd's reason ("shell /bin/x does not exist") */
	char	 why[AUTHLOG_WHY_MAX + 1];
};

/*
 * Predicate: 1 when line (len bytes, no NUL needed, a trailing CR/LF
 * ignored) is sshd's report of a rejected public key (kind AL_REFUSED_KEY)
 * or of an account it refuses before any method runs (AL_NOT_ALLOWED:
 * missing shell, DenyUsers, AllowGroups, a locked account without PAM;
 * addr is "" when sshd names no host), rec filled; 0 for anything else,
 * rec zeroed. A line over AUTHLOG_LINE_MAX bytes, with a
 * NUL, with a syslog prefix whose program is not sshd, or malformed in
 * any part is 0.
 */
int	authlog_parse(const char *line, size_t len, struct authlog_rec *rec);

#endif
