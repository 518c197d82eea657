/*
 * What the account database says of a user (read only): the login shell
 * usable, the password locked, the account expired.
 */
#ifndef SM_ACCTINFO_H
#define SM_ACCTINFO_H

#include <stddef.h>

struct acctinfo {
	int	 locked;	/* '!' in front of the shadow hash */
	int	 only_bang;	/* only '!'s ("!", "!!"): no password behind */
	int	 expired;	/* the account expiry day has come */
	long	 expire_day;	/* days since the epoch, -1 never */
};

/* Predicate: shell exists, is executable, is in /etc/shells. 1, or 0 (why). */
int	acctinfo_shell_usable(const char *shell, char *why, size_t wlen);

/* Predicate on user's login shell. 1 fine, 0 not (why), -1 no such user. */
int	acctinfo_shell_ok(const char *user, char *why, size_t wlen);

/* The shadow entry's lock and expiry (root only). 0, or -1 with why. */
int	acctinfo_state(const char *user, struct acctinfo *ai, char *why,
	    size_t wlen);

#endif
