/*
 * The actions policies and requests take: one entry point that runs one
 * action (or says what it would do) and writes its audit record.
 */
#ifndef SM_ACT_H
#define SM_ACT_H

#include <stddef.h>

#include "policy.h"

struct daemon;

#define ACT_TOOL_TIMEOUT_MS	10000	/* usermod, chage, ... by default */

/* What an action did, or would do, or why it could not. */
struct act_out {
	int	 changed;	/* something on the system changed */
	char	 did[2048];	/* what changed / would change; "" nothing */
	char	 why[1024];	/* why it failed */
	char	 evid[33];	/* the change's own record, "" when none */
};

struct act_req {
	enum pol_action	 kind;
	const struct pol_action_spec *spec;	/* parameters; NULL: defaults */
	const char	*user;		/* the subject, or NULL */
	const char	*addr;		/* the source of the trigger, or NULL */
	const char	*service;	/* PAM service (restore_pam), or NULL */
	const char	*cause;		/* "policy admin-keys", "request r1" */
	const char	*cause_evid;	/* the decision's event id */
	int		 dry;
};

/*
 * Runs r (with r->dry only looks). On a change, writes the change's audit
 * record (USER_MGMT, ACCT_UNLOCK, USER_CHAUTHTOK, USYS_CONFIG, ... as
 * DESIGN.md says; the guard and the ladder write their own). 0 done or
 * nothing to do, -1 failed (o->why).
 */
int	act_run(struct daemon *d, const struct act_req *r, struct act_out *o);

/*
 * Writes the audit record of an action's change (or failure): reason
 * "CAUSE: what it did" or "CAUSE: why it failed"; its id lands in o->evid.
 */
void	act_record(int type, const char *op, int ok, const char *user,
	    const char *cause, struct act_out *o);

/*
 * Runs a system tool: argv[0] absolute, no shell, stdin from in (may be
 * NULL), bounded by timeout_ms. 0 when it exited 0; -1 with o->why set to
 * "TOOL: how it ended: first line of its stderr" (secret, if not NULL, is
 * cut out of that text: it never reaches a log).
 */
int	act_tool(char *const argv[], const char *in, size_t inlen,
	    int timeout_ms, const char *secret, struct act_out *o);

#endif
