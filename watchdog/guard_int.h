/*
 * Between the guard's decision half (guard.c) and its action half
 * (guard_act.c); not for the rest of the daemon.
 */
#ifndef SM_GUARD_INT_H
#define SM_GUARD_INT_H

#include <stddef.h>

#include "closure.h"
#include "store.h"

#define GUARD_FILES_MAX	4096
#define GUARD_RETRY_MS	5000	/* a failed restore is tried again after this */

struct daemon;

void	 guard_set_state(struct daemon *d, enum guard_state s);
/* One event to audit, syslog and JSON; evid (33 bytes) in/out, may be NULL. */
void	 guard_emit(struct daemon *d, int type, const char *op, int ok,
	    unsigned long gen, unsigned long prev, const char *files,
	    const char *reason, const char *detail, char *evid);
/* Comma list of the paths whose state differs from the manifest. */
void	 guard_changed_files(const struct closure *cl, const struct manifest *m,
	    char *buf, size_t len);
/* The known-good generation's manifest, cached per generation; or NULL. */
const struct manifest *guard_good_manifest(struct daemon *d);
/* Reads the closure and points the watches at its directories. */
void	 guard_read_closure(struct daemon *d, struct closure *cl);
char	*guard_pidfile_dir(const struct sm_conf *c);
/* Looks at the closure again; force even when its digest did not change. */
void	 guard_look(struct daemon *d, int force);
/* Records cl as a new known-good generation. 0/-1 (errno). */
int	 guard_do_promote(struct daemon *d, const struct closure *cl,
	    const char *why);
/* Promotes cl if sshd is seen serving it. */
void	 guard_try_promote(struct daemon *d, const struct closure *cl,
	    const char *why);
/* Restores the known-good generation (or backs off in a fight). */
void	 guard_do_rollback(struct daemon *d, const char *why);
/*
 * Commit confirmed (guard_confirm.c). guard_confirm_needed: a served change
 * must wait for a login first (guard.confirm = "login" or sshmedic try).
 * guard_make_provisional: cl is served; it is reverted unless confirmed
 * in time. guard_confirm_clear: forget the provisional change.
 * guard_confirm_expired: DL_CONFIRM passed.
 */
int	 guard_confirm_needed(struct daemon *d);
void	 guard_make_provisional(struct daemon *d, const struct closure *cl);
void	 guard_confirm_clear(struct daemon *d);
void	 guard_confirm_expired(struct daemon *d);
/* Loads a provisional change and a pending try kept across a restart. */
void	 guard_confirm_start(struct daemon *d);

/* Reload or start sshd and wait for it to serve; audited. 0/-1. */
int	 guard_reload_sshd(struct daemon *d, const char *why);

#endif
