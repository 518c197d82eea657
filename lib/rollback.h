/*
 * Putting a known-good generation back, file by file and crash safe: an
 * intent record first, rejected files to quarantine, each file replaced
 * atomically, files added since moved to quarantine, then the intent removed.
 */
#ifndef SM_ROLLBACK_H
#define SM_ROLLBACK_H

#include <stddef.h>

#include "closure.h"
#include "store.h"

struct rb_result {
	size_t	 restored;	/* files rewritten */
	size_t	 recreated;	/* files that were missing */
	size_t	 removed;	/* files not in the target, moved to quarantine */
	size_t	 unchanged;
	char	*files;		/* comma list of touched paths (malloc'd) */
	char	 reason[256];	/* on failure */
};

/*
 * Restores target over the current closure (read from the same main config
 * path as the target's CL_MAIN entry, with sshdir for relative includes).
 * Order: write the intent (target gen, evid); quarantine every current file
 * that differs from the target or is not in it; replace each differing
 * target file atomically with its blob, owner and mode; remove files not in
 * the target (they are in quarantine); re-read the closure and repeat until
 * it equals the target (bounded); remove the intent. A path component that
 * is a symlink not in the target is replaced, never written through; a
 * directory where a file belongs is moved aside into quarantine.
 * 0 on success (closure equals target), -1 with r->reason otherwise.
 */
int	rollback_to(struct store *st, const struct manifest *target,
	    const char *sshdir, const char *evid, struct rb_result *r);

/*
 * On start: if an intent record exists, finish that rollback. 1 finished a
 * pending rollback (r filled), 0 nothing pending, -1 failed (r->reason).
 */
int	rollback_resume(struct store *st, const char *sshdir,
	    struct rb_result *r, unsigned long *gen, char evid[33]);

void	rb_result_free(struct rb_result *r);

/* Predicate: an intent record says a rollback was interrupted (1/0). */
int	rollback_pending(struct store *st);

#endif
