/*
 * Private to lockout.c and lockout_auth.c: the parsed sshd -T dump and the
 * checks lockout_eval runs after users, groups and root.
 */
#ifndef SM_LOCKOUT_INT_H
#define SM_LOCKOUT_INT_H

#include <stddef.h>

#include "lockout.h"

/*
 * Bounds on what we read from a dump. sshd prints one line per entry; a
 * list longer than this is not evaluated (fail safe: locked out), since
 * skipping a DenyUsers entry could hide a lockout.
 */
#define LK_MAX_ENTRIES	1024
#define LK_MAX_LINES	65536

struct lk_list {
	const char **v;
	size_t	 n;
	int	 overflow;
};

/*
 * The keywords the guard reads. A keyword missing from the dump means
 * sshd's compiled-in default (see lk_defaults), which is what sshd itself
 * would use; sshd -T always prints all of these.
 */
struct lk_dump {
	char	*buf;
	const char *permitrootlogin;
	const char *pubkeyauthentication;
	const char *passwordauthentication;
	const char *kbdinteractiveauthentication;
	const char *usepam;
	const char *authorizedkeysfile;
	const char *authorizedkeyscommand;
	const char *authenticationmethods;
	struct lk_list allowusers, denyusers, allowgroups, denygroups;
	struct lk_list listenaddress, port;
};

/* Writes reason (if any); always 0 (locked out): `return lk_fail(...)`. */
int	lk_fail(char *reason, size_t rlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Can t->user authenticate with the methods the dump enables, under its
 * AuthenticationMethods (keys_only: root limited to public keys)? 1/0,
 * reason set on 0.
 */
int	lk_eval_auth(const struct lk_dump *d, const struct lk_target *t,
	    const struct lk_userinfo *ui, int keys_only, char *reason,
	    size_t rlen);

/*
 * sshd's expand_authorized_keys: %h %u %U %%, then relative paths from
 * the home. 0, or -1 on an unknown escape or overflow.
 */
int	lk_expand(const char *tmpl, const char *user,
	    const struct lk_userinfo *ui, char *out, size_t olen);

/* Does sshd listen on t->laddr:t->lport? 1/0, reason set on 0. */
int	lk_eval_listen(const struct lk_dump *d, const struct lk_target *t,
	    char *reason, size_t rlen);

#endif
