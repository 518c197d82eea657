/*
 * Private to the policy parser (policy.c, policy_action.c, policy_secret.c):
 * typed setting readers and the action and secret-file checks.
 */
#ifndef SM_POLICY_INT_H
#define SM_POLICY_INT_H

#include <stddef.h>

#include <libconfig.h>

#include "conf_int.h"
#include "policy.h"

/* Longest string (a path, mostly) quoted back into an error, and its buffer. */
#define POL_QUOTE_MAX		200
#define POL_QUOTE_BUF		(POL_QUOTE_MAX + 4)

/*
 * s for an error message: at most POL_QUOTE_MAX bytes (then "..."),
 * anything but printable ASCII as '?', so a control sequence in a file
 * never reaches a terminal or syslog. Returns buf.
 */
const char *pol_quote(const char *s, char *buf, size_t len);

/* Predicate: the trigger names one user (user_failures, account_denied). */
int	pol_trigger_has_user(enum pol_trigger t);

/* The string value of s, or "what: expected a string, got ...". 0/-1. */
int	pol_get_string(struct conf_ctx *x, const config_setting_t *s,
	    const char *what, const char **out);

/* An integer in [min, max], or "what: V is out of range MIN..MAX". 0/-1. */
int	pol_get_int(struct conf_ctx *x, const config_setting_t *s,
	    const char *what, long long min, long long max, long long *out);

/*
 * One policy file, name relative to dirfd (AT_FDCWD: a path), path naming
 * it in errors, into set: whole, or not at all with err set. 0/-1.
 */
int	pol_load_at(struct policy_set *set, int dirfd, const char *name,
	    const char *path, int check_owner, char *err, size_t errlen);

/*
 * actions = ( "name", { do = "name"; ... }, ... ) into p (p->trigger
 * already set), every parameter and secret file checked. 0/-1 (x->err).
 */
int	pol_actions_parse(struct conf_ctx *x, const config_setting_t *s,
	    struct policy *p, int check_owner);

/* Frees the parameters of one action and zeroes it. */
void	pol_action_free(struct pol_action_spec *a);

/*
 * The escrow file of set_password at path: regular (not a symlink), owned
 * by root when check_owner, no group/other permission bits at all, one
 * line that looks like a modern crypt(3) hash. Its content never reaches
 * an error. what prefixes the message, line is the setting's. 0/-1.
 */
int	pol_check_escrow(struct conf_ctx *x, unsigned int line,
	    const char *what, const char *path, int check_owner);

/*
 * The public key file of breakglass at path: regular, owned by root when
 * check_owner, not writable by group/other, every line that is not blank
 * or a comment an OpenSSH public key, at least one. 0/-1.
 */
int	pol_check_pubkeys(struct conf_ctx *x, unsigned int line,
	    const char *what, const char *path, int check_owner);

#endif
