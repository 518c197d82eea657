/*
 * Policies: libconfig files under paths.policies that map triggers (failure
 * counts, a rollback, a failed sshd start, a request) to actions.
 */
#ifndef SM_POLICY_H
#define SM_POLICY_H

#include <stddef.h>
#include <stdint.h>

#define POLICY_NAME_MAX		64	/* [A-Za-z0-9._-] */
#define POLICY_MAX_FILES	256	/* *.conf files read from the directory */
#define POLICY_MAX		256	/* policies in all files together */
#define POLICY_MAX_ACTIONS	16	/* per policy */
#define POLICY_MAX_USERS	64	/* users = [...] per policy */
#define POLICY_FILE_MAX		(256 * 1024)	/* bytes per file */

enum pol_trigger {
	PT_USER_FAILURES = 0,	/* >= failures of one user within window */
	PT_ACCOUNT_DENIED,	/* the account phase denied a user (locked, expired) */
	PT_SOURCE_FAILURES,	/* >= failures from one source within window */
	PT_NO_SUCCESS,		/* no protected user succeeded within window
				   while >= failures of them arrived */
	PT_CONFIG_ROLLBACK,	/* the guard rolled the sshd config back */
	PT_SSHD_START_FAILED,	/* a start of sshd failed (the ladder) */
	PT_REQUEST,		/* a request was processed */
	PT_NTRIGGERS
};

enum pol_action {
	PA_RESTORE_KEYS = 0,	/* known-good authorized-keys snapshot back */
	PA_FIX_MODES,		/* home, ~/.ssh, key files as StrictModes needs */
	PA_FAILLOCK_RESET,	/* faillock --user U --reset */
	PA_UNLOCK,		/* usermod -U, chage -E -1 */
	PA_SET_PASSWORD,	/* chpasswd -e from a root-only escrow file */
	PA_SET_SHELL,		/* usermod -s FALLBACK (a shell in /etc/shells) */
	PA_BREAKGLASS,		/* create a user from a root-provided key + sudoers */
	PA_RESET_CONFIG,	/* sshd config to known-good (or the vendor default) */
	PA_RESTART_SSHD,
	PA_RESTORE_PAM,		/* the sshd PAM service file to its known-good copy */
	PA_HOOK,		/* run argv, no shell, with the event in the env */
	PA_NACTIONS
};

/* What reset_config puts back. */
enum pol_reset_to {
	PR_KNOWN_GOOD = 0,
	PR_VENDOR,
};

struct pol_action_spec {
	enum pol_action	 kind;
	unsigned int	 line;		/* where it was written */
	/* Parameters; which ones apply depends on kind (NULL/0 otherwise). */
	char		*escrow;	/* set_password: root-only file, one crypt hash */
	char		*shell;		/* set_shell, breakglass: absolute path */
	char		*user;		/* breakglass: the account to create */
	char		*key;		/* breakglass: root-owned public key file */
	char		*sudoers_dir;	/* breakglass: default /etc/sudoers.d */
	char		*faillock_dir;	/* faillock_reset: default: faillock's own */
	enum pol_reset_to reset_to;	/* reset_config */
	char		**argv;		/* hook: NULL-terminated, [0] absolute */
	int		 timeout_ms;	/* hook and the system tools */
};

struct policy {
	char		 name[POLICY_NAME_MAX + 1];
	char		*file;		/* where it came from */
	unsigned int	 line;
	enum pol_trigger trigger;
	char		**users;	/* NULL: the protected users */
	size_t		 nusers;
	char		**requests;	/* request trigger: kinds, NULL = any */
	size_t		 nrequests;
	unsigned int	 failures;	/* threshold, 1..COUNTERS_RING */
	int64_t		 window_ms;
	int64_t		 cooldown_ms;	/* per policy and subject (user/source) */
	int		 dry_run;
	struct pol_action_spec actions[POLICY_MAX_ACTIONS];
	size_t		 nactions;
};

struct policy_set {
	struct policy	*p;
	size_t		 n;
	size_t		 nfiles;	/* files read whole (an empty one too) */
	/* Files refused whole, "FILE:LINE: reason" each; the others load. */
	char		**errors;
	size_t		 nerrors;
};

/*
 * Parses one policy file (owner root, not writable by group/other, unless
 * check_owner is 0) and appends its policies to set. The file is taken
 * whole or not at all: on any error nothing of it is added and err gets
 * "FILE:LINE: reason". Names must be unique across the set. 0/-1.
 */
int	policy_load_file(struct policy_set *set, const char *path,
	    int check_owner, char *err, size_t errlen);

/*
 * Loads every *.conf in dir (sorted, at most POLICY_MAX_FILES; others
 * ignored) into a fresh set. A refused file lands in set->errors and the
 * others still load; a *.conf that is not a regular file (a symlink, a
 * directory) is refused too, never skipped in silence. A missing dir is an
 * empty set. A dir not owned by root or writable by group/other (when
 * check_owner) loads nothing and leaves one error. 0, or -1 with errno
 * when dir exists but cannot be read (set is then empty but for one
 * error saying why). The set must be freed either way.
 */
int	policy_load_dir(struct policy_set *set, const char *dir,
	    int check_owner);

void	policy_set_free(struct policy_set *set);

/* Wire names: "user_failures", "restore_keys", ...; "unknown" if out of range. */
const char *policy_trigger_name(enum pol_trigger);
const char *policy_action_name(enum pol_action);

/* Predicate: the action acts on one user (needs a trigger that has one). */
int	policy_action_needs_user(enum pol_action);

#endif
