/*
 * The lockout guard: on sshd's effective configuration for one user
 * (sshd -T -C user=,host=,addr=,laddr=,lport=), can that user still log in?
 */
#ifndef SM_LOCKOUT_H
#define SM_LOCKOUT_H

#include <stddef.h>
#include <sys/types.h>

struct lk_target {
	const char *user;
	const char *host;	/* client host name for Match Host / user@host */
	const char *addr;	/* client address */
	const char *laddr;	/* the address sshd must listen on (probe) */
	int	 lport;		/* the port sshd must listen on (probe) */
};

struct lk_userinfo {
	int	 exists;
	uid_t	 uid;
	gid_t	 gid;
	const char *home;
	const char **groups;	/* names of all the user's groups */
	size_t	 ngroups;
	void	*priv;		/* lockout_userinfo's buffers */
};

/*
 * Pure decision on a captured `sshd -T` dump (lowercase keyword, values).
 * Checks in order: DenyUsers, AllowUsers, DenyGroups, AllowGroups (sshd's
 * order and pattern rules), PermitRootLogin for root, an authentication
 * method that can succeed (AuthenticationMethods lists; publickey needs
 * PubkeyAuthentication and a usable AuthorizedKeysFile (not "none") or an
 * AuthorizedKeysCommand; password; keyboard-interactive), and laddr:lport
 * among ListenAddress/Port. 1 user can log in, 0 locked out (reason set).
 */
int	lockout_eval(const char *dump, const struct lk_target *t,
	    const struct lk_userinfo *ui, char *reason, size_t rlen);

/*
 * Runs sshd -T -f config -C ... (bounded by timeout_ms), looks the user up
 * (getpwnam, getgrouplist) and calls lockout_eval. 1 can log in, 0 locked
 * out (reason), -1 could not evaluate (reason: sshd's stderr, bounded),
 * errno EBADMSG when sshd -T itself exited non-zero for this connection
 * (sshd would refuse it), else EINVAL/ETIMEDOUT/EIO/spawn or NSS errno.
 * Implemented in validate.c, with the other code that runs sshd.
 */
int	lockout_check(const char *sshd_bin, const char *config,
	    const struct lk_target *t, int timeout_ms, char *reason,
	    size_t rlen);

/*
 * Runs sshd -T -f config -C for t (bounded by timeout_ms); *dump gets its
 * output (malloc'd). 0, or -1 with reason and errno as lockout_check.
 */
int	lockout_dump(const char *sshd_bin, const char *config,
	    const struct lk_target *t, int timeout_ms, char **dump,
	    char *reason, size_t rlen);

/*
 * Looks user up (getpwnam, getgrouplist) into ui; free it with
 * lockout_userinfo_free. A missing user is ui->exists 0, not an error.
 * 0, or -1 with errno and reason.
 */
int	lockout_userinfo(const char *user, struct lk_userinfo *ui,
	    char *reason, size_t rlen);
void	lockout_userinfo_free(struct lk_userinfo *ui);

/*
 * The authorized-keys files sshd reads for user according to a dump:
 * AuthorizedKeysFile's entries expanded as sshd does (%h %u %U %%, relative
 * ones under the home), "none" skipped; at most max, each malloc'd into
 * paths. The count, or -1 with errno (EBADMSG: not a dump; EINVAL: an
 * entry sshd cannot expand, which it skips too, is left out and counted
 * in *bad when bad is not NULL).
 */
int	lockout_keys_files(const char *dump, const char *user,
	    const struct lk_userinfo *ui, char **paths, size_t max, int *bad);

/* A scalar keyword's value in a dump (lowercase keyword), or NULL. */
char	*lockout_dump_value(const char *dump, const char *keyword);

#endif
