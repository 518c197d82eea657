/*
 * The policy engine: triggers evaluated on authentication events, config
 * rollbacks, failed sshd starts and requests; actions with cooldowns.
 */
#ifndef SM_POLICIES_H
#define SM_POLICIES_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "policy.h"

struct daemon;
struct sm_event;

#define POL_CD_SLOTS	64	/* subjects whose cooldown one policy remembers */
#define POL_BURST	10	/* firings of one policy ... */
#define POL_BURST_MS	600000	/* ... within this window, whatever the subject */
#define POL_STATE_FILE	"policy.state"

struct pol_cd {
	char	 subj[COUNTERS_KEY_MAX + 1];	/* user, source or "*" */
	int64_t	 last_ms;	/* realtime of the last firing, 0 free */
	int64_t	 said_ms;	/* suppression reported (once per cooldown) */
};

struct pol_run {
	struct pol_cd cd[POL_CD_SLOTS];
	int64_t	 fired_at[POL_BURST];	/* ring of recent firings (realtime) */
	size_t	 pos;
	int64_t	 burst_said_ms;
};

struct policies {
	struct policy_set set;
	struct pol_run	*run;		/* one per policy of set */
	int		 busy;		/* actions running: what they cause is
					   not evaluated again */
	char		*state_path;
	int		 stale;		/* the last reload was refused: set is
					   older than the files; set.errors
					   are that reload's refusals */
	unsigned long	 fired;
	unsigned long	 suppressed;
	unsigned long	 dry_runs;
	unsigned long	 actions_ok;
	unsigned long	 actions_failed;
};

/*
 * Loads paths.policies (at start; on SIGHUP again). Each refused file is
 * reported (USYS_CONFIG sshmedic-policy-refused, FILE:LINE: reason). At
 * start the valid files load and the refused ones are left out; on a
 * reload with any refused file the running set is kept whole, as an
 * invalid sshmedic.conf is. Cooldowns and the recent firings the burst
 * limit counts are kept by name across reloads and restarts.
 */
void	policies_load(struct daemon *d, int reload);
void	policies_free(struct daemon *d);

/* Triggers. */
void	policies_on_auth(struct daemon *d, const struct sm_event *e);
void	policies_on_rollback(struct daemon *d, unsigned long gen, int ok,
	    const char *reason);
void	policies_on_sshd_failed(struct daemon *d, const char *reason);
void	policies_on_request(struct daemon *d, const char *kind,
	    const char *user, const char *evid);

#endif
