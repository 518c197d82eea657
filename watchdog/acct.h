/*
 * Account repairs through the system's own tools (usermod, chage,
 * faillock, chpasswd, useradd, userdel, visudo), argv only, bounded.
 */
#ifndef SM_ACCT_H
#define SM_ACCT_H

#include <stddef.h>

struct act_out;
struct daemon;

#define ACCT_SUDOERS_DIR	"/etc/sudoers.d"
#define ACCT_KEYS_MAX		(64 * 1024)	/* public keys a request brings */

/*
 * Each: 0 done or nothing to do, -1 failed (o->why); with dry only
 * o->did (what would change). timeout_ms bounds each tool run.
 */

/* U3: the password lock ('!' in the shadow hash) and the account expiry. */
int	acct_unlock(const char *user, int dry, int timeout_ms,
	    struct act_out *o);

/* U4: faillock's tally of user (in dir, NULL: faillock's default). */
int	acct_faillock_reset(const char *user, const char *dir, int dry,
	    int timeout_ms, struct act_out *o);

/*
 * U5: the crypt hash in the root-only escrow file (checked again at use)
 * or, for a request, hash itself (escrow NULL). The hash never reaches a
 * command line, a log or o.
 */
int	acct_set_password(const char *user, const char *escrow,
	    const char *hash, int dry, int timeout_ms, struct act_out *o);

/* U6: a login shell that is missing or not in /etc/shells becomes shell. */
int	acct_set_shell(const char *user, const char *shell, int dry,
	    int timeout_ms, struct act_out *o);

/*
 * A sudo user with these public keys (text of one or more key lines,
 * checked): created when missing (home, shell, no password), the keys
 * appended to its authorized_keys, a sudoers drop-in in sudoers_dir
 * checked with visudo -c before it is put in place. An existing account
 * is used only when sshmedic created it (marker) or adopt is set.
 * Nothing is left half done: a failure removes what this call created.
 */
int	acct_add_sudo_user(struct daemon *d, const char *user,
	    const char *keys, size_t keyslen, const char *sudoers_dir,
	    const char *shell, int adopt, const char *evid, int dry,
	    int timeout_ms, struct act_out *o);

/*
 * Appends the key lines of keys that user's authorized-keys file lacks:
 * the first of sshd's files for user that exists, where the user's own
 * keys are (the first one when none exists). replace: that file becomes
 * exactly keys, the old one quarantined.
 */
int	acct_add_keys(struct daemon *d, const char *user, const char *keys,
	    size_t keyslen, int replace, const char *evid, int dry,
	    struct act_out *o);

/*
 * Removes the account (userdel, without -r) and sshmedic's sudoers
 * drop-in for it; its home is moved aside into the quarantine (or beside
 * itself), never deleted, unless keep_home. Refused for root and the
 * protected users.
 */
int	acct_remove_user(struct daemon *d, const char *user, int keep_home,
	    const char *sudoers_dir, const char *evid, int dry, int timeout_ms,
	    struct act_out *o);

/* chage -E: date "YYYY-MM-DD", or "never". */
int	acct_expire(const char *user, const char *date, int dry,
	    int timeout_ms, struct act_out *o);

#endif
