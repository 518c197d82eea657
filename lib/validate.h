/*
 * Validation of a closure: sshd -t, then the lockout guard for every
 * protected user. Used by the daemon and by `sshmedic check`.
 */
#ifndef SM_VALIDATE_H
#define SM_VALIDATE_H

#include <stddef.h>

#include "conf.h"

#define VALIDATE_DETAIL_MAX	2048

enum vd_verdict {
	VD_VALID = 0,
	VD_SYNTAX,		/* sshd -t failed */
	VD_LOCKOUT,		/* sshd -t passed, a protected user is locked out */
	VD_ERROR,		/* could not run sshd at all */
};

/* How far validate_config got: the stage a failure comes from. */
enum vd_stage {
	VD_STAGE_SYNTAX = 0,	/* sshd -t (C1/C2) */
	VD_STAGE_HOSTKEYS,	/* host key types vs HostKeyAlgorithms (C6) */
	VD_STAGE_USERS,		/* the lockout guard per protected user (C3-C5) */
};

struct vd_result {
	enum vd_verdict verdict;
	enum vd_stage stage;
	char	 reason[512];		/* one line, human */
	char	 detail[VALIDATE_DETAIL_MAX];	/* sshd -t stderr, bounded */
	long	 test_ms;		/* how long sshd -t took */
};

/*
 * Runs the checks on the configured sshd config: sshd -t, at least one host
 * key of a type HostKeyAlgorithms allows, then the lockout guard for every
 * protected user. Returns r->verdict.
 */
enum vd_verdict validate_config(const struct sm_conf *c, struct vd_result *r);

const char *validate_verdict_name(enum vd_verdict);

/*
 * Predicate: 1 when a host key of keytype (the first word of its .pub line:
 * "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa") can serve one of the
 * comma-separated HostKeyAlgorithms names in algs.
 */
int	validate_keytype_allowed(const char *keytype, const char *algs);

#endif
