/*
 * A protected user's credentials: the known-good authorized-keys snapshot
 * taken at a publickey login, its restore, and StrictModes repairs.
 */
#ifndef SM_CREDS_H
#define SM_CREDS_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf.h"
#include "digest.h"
#include "fsutil.h"
#include "pamcheck.h"

struct act_out;
struct daemon;
struct sm_event;

#define CREDS_MAX_PATHS	8	/* AuthorizedKeysFile entries looked at */

/*
 * What the last session of a protected user left, so the next one does
 * not run sshd -T or read and hash the files again for nothing: the keys
 * paths sshd's config gives (for that closure, home and address), and the
 * files' lstat when they were last found equal to the snapshot.
 */
struct creds_ucache {
	char	 user[65];
	char	 closure[DIGEST_HEX_LEN + 1];
	char	 home[PATH_MAX];
	char	 addr[64];
	char	*paths[CREDS_MAX_PATHS];
	int	 npaths;		/* -1: not known */
	struct fs_sig sig[CREDS_MAX_PATHS];
	int	 settled;
};

struct creds_state {
	struct creds_ucache u[CONF_MAX_PROTECTED];
	size_t	 nu;
	/* sshd's PAM stack, the same way */
	char	 pam_service[65];
	char	 pam_files[PAMCHECK_MAX_FILES][PATH_MAX];
	struct fs_sig pam_sig[PAMCHECK_MAX_FILES];
	size_t	 npam;
	int	 pam_settled;
};

/* Forgets what creds_state holds (at exit, and to look afresh). */
void	creds_forget(struct daemon *d);

/* Predicate: user is one of protected_users (1/0). */
int	creds_is_protected(const struct daemon *d, const char *user);

/*
 * A session of user opened. With method publickey and the key given
 * (sshd's ExposeAuthInfo), and that key found in one of the files sshd's
 * effective configuration names for the user, those files become the
 * user's known-good snapshot (when they differ from the one kept).
 * A file that cannot be read safely (a symlink, not a regular file) is
 * reported, never followed, and stops the snapshot.
 */
void	creds_on_session(struct daemon *d, const struct sm_event *e);

/*
 * The files sshd reads for user's keys when connecting from addr (NULL:
 * the protected user's guard address): sshd -T -C, AuthorizedKeysFile
 * expanded. The count (paths malloc'd), or -1 with why.
 */
int	creds_keys_paths(struct daemon *d, const char *user, const char *addr,
	    char **paths, size_t max, char *why, size_t wlen);

/*
 * The actions (act.c runs them). 0 when done or when nothing needed doing,
 * -1 when it failed (o->why); o->did says what was changed, or with dry
 * what would be. evid names the quarantine of what is replaced.
 */
int	creds_restore_keys(struct daemon *d, const char *user, const char *evid,
	    int dry, struct act_out *o);
int	creds_fix_modes(struct daemon *d, const char *user, const char *addr,
	    int dry, struct act_out *o);

#endif
