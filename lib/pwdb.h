/*
 * Account database lookups (passwd, group, shadow through NSS), each one in
 * a short-lived child process with a deadline.
 *
 * Why a child: NSS may reach sssd, LDAP or systemd-userdb, and a lookup
 * that hangs would hang the daemon's only thread, the one that watches
 * sshd; killed at its deadline, it costs the daemon one failed lookup. And
 * the modules a lookup loads stay mapped for the life of the process that
 * made it (on Debian 12 libnss_systemd brings libm and libcap: ~0.5 MB of
 * an idle daemon's resident memory); in the child they go with it.
 */
#ifndef SM_PWDB_H
#define SM_PWDB_H

#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Deadline of one lookup unless pwdb_set_timeout_ms() says otherwise. */
#define PWDB_TIMEOUT_MS		5000

/* Largest answer a child may send back (a user in very many groups). */
#define PWDB_RES_MAX		(4 * 1024 * 1024)

#define PWDB_NAME_MAX		256	/* user and group names */
#define PWDB_PATH_MAX		4096	/* home, shell */
#define PWDB_HASH_MAX		512	/* a crypt(5) hash with its prefix */

struct pwdb_user {
	char	 name[PWDB_NAME_MAX];
	uid_t	 uid;
	gid_t	 gid;
	char	 dir[PWDB_PATH_MAX];
	char	 shell[PWDB_PATH_MAX];
};

struct pwdb_shadow {
	char	 hash[PWDB_HASH_MAX];	/* a secret: explicit_bzero when done */
	long	 expire;		/* sp_expire: days since 1970, -1 never */
};

/*
 * The function a child runs: it may block, allocate (malloc, never x*alloc:
 * nothing in the child may exit through fatal) and load modules. It sets
 * *out to a malloc'd answer of *outlen bytes (or leaves it NULL) and
 * returns the value pwdb_call returns, with errno.
 */
typedef int (*pwdb_fn)(const void *arg, char **out, size_t *outlen);

/*
 * Runs fn(arg) in a child with the descriptors above 2 closed, killed when
 * the deadline passes or its parent dies. Returns fn's value with fn's
 * errno and its answer in *res (malloc'd, *reslen bytes; NULL when none);
 * or -1 with errno ETIMEDOUT (killed at the deadline), EFBIG (answer over
 * PWDB_RES_MAX), EIO (the child died without answering) or fork's error,
 * *res then NULL.
 */
int	pwdb_call(pwdb_fn fn, const void *arg, char **res, size_t *reslen);

/*
 * One user's passwd entry. 1 found, 0 no such user, -1 with errno (as
 * pwdb_call; ENAMETOOLONG when a field is longer than pwdb_user holds; or
 * getpwnam_r's error).
 */
int	pwdb_user_byname(const char *name, struct pwdb_user *u);
int	pwdb_user_byuid(uid_t uid, struct pwdb_user *u);

/* For messages: the name of uid into buf, or "?" when it has none. */
const char *pwdb_uid_name(uid_t uid, char *buf, size_t len);

/* The user's shadow entry: 1 found, 0 none, -1 with errno. */
int	pwdb_shadow(const char *name, struct pwdb_shadow *s);

/*
 * Predicate, asked of the group database in one child: the only member of
 * group gid, primary (passwd) or supplementary (group), is uid. Looks at
 * no more than max passwd entries; more, or any failure, is 0.
 */
int	pwdb_group_private(gid_t gid, uid_t uid, size_t max);

/*
 * For a pwdb_fn, in the child: getpwnam_r (getpwuid_r when name is NULL)
 * and getgrgid_r with a buffer grown as they need; *buf holds the entry's
 * strings and the caller frees it, whatever the result. 1 found, 0 none,
 * -1 with errno.
 */
int	pwdb_child_getpw(const char *name, uid_t uid, struct passwd *pw,
	    char **buf);
int	pwdb_child_getgr(gid_t gid, struct group *gr, char **buf);

/*
 * Lookups started since the process began, and those that got no answer
 * (killed at the deadline, dead, or over the cap; each also logged).
 */
void	pwdb_stats(uint64_t *calls, uint64_t *failed);

/* Changes the deadline of every later lookup (tests; 0 restores it). */
void	pwdb_set_timeout_ms(int ms);
/* The deadline in force, in ms. */
int	pwdb_timeout_ms(void);

#endif
