/*
 * Account repairs with the system's tools: each looks first (nothing to do
 * is an answer), then runs one bounded command with an argv, never a shell.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "act.h"
#include "acct.h"
#include "acctinfo.h"
#include "authkeys.h"
#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "pwdb.h"
#include "xmalloc.h"

#define USERMOD		"/usr/sbin/usermod"
#define CHAGE		"/usr/bin/chage"
#define FAILLOCK	"/usr/sbin/faillock"
#define CHPASSWD	"/usr/sbin/chpasswd"
#define FAILLOCK_DIR	"/var/run/faillock"
#define ESCROW_MAX	4096

static void
day_text(long days, char *buf, size_t len)
{
	time_t t = (time_t)days * 86400;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, len, "day %ld", days);
}

/* The shadow entry's hash and expiry; -1 with why when there is none. */
static int
shadow_of(const char *user, char *hash, size_t hlen, long *expire,
    struct act_out *o)
{
	struct pwdb_shadow sp;
	int r;

	if ((r = pwdb_shadow(user, &sp)) != 1) {
		snprintf(o->why, sizeof(o->why), "no shadow entry for %s%s%s",
		    user, r == -1 ? ": " : "", r == -1 ? strerror(errno) : "");
		return -1;
	}
	if (hash != NULL)
		sm_strlcpy(hash, sp.hash, hlen);
	if (expire != NULL)
		*expire = sp.expire;
	explicit_bzero(&sp, sizeof(sp));
	return 0;
}

/* See acct.h: 0/-1. */
int
acct_unlock(const char *user, int dry, int timeout_ms, struct act_out *o)
{
	struct acctinfo ai;
	char when[32];
	int locked;

	if (acctinfo_state(user, &ai, o->why, sizeof(o->why)) == -1)
		return -1;
	day_text(ai.expire_day, when, sizeof(when));
	if (ai.only_bang && !ai.expired) {
		/* usermod -U would leave an empty password: never. */
		snprintf(o->why, sizeof(o->why), "the password of %s is only "
		    "'!': unlocking it would make the account passwordless; "
		    "give it a password (set_password) instead", user);
		return -1;
	}
	/*
	 * Only '!' is what Debian's useradd writes for an account without a
	 * password: a key-only account, which its expiry alone locks out.
	 * The expiry is cleared; the password is left as it is.
	 */
	locked = ai.locked && !ai.only_bang;
	if (dry) {
		if (locked)
			sm_appendf(o->did, sizeof(o->did), "; ", "would unlock "
			    "the password of %s", user);
		if (ai.expired)
			sm_appendf(o->did, sizeof(o->did), "; ", "would clear "
			    "the expiry of %s (expired %s)", user, when);
		return 0;
	}
	if (locked) {
		char *argv[] = { USERMOD, "-U", (char *)user, NULL };

		if (act_tool(argv, NULL, 0, timeout_ms, NULL, o) == -1)
			return -1;
		o->changed = 1;
		sm_appendf(o->did, sizeof(o->did), "; ", "password of %s "
		    "unlocked", user);
	}
	if (ai.expired) {
		char *argv[] = { CHAGE, "-E", "-1", (char *)user, NULL };

		if (act_tool(argv, NULL, 0, timeout_ms, NULL, o) == -1)
			return -1;
		o->changed = 1;
		sm_appendf(o->did, sizeof(o->did), "; ", "expiry of %s (%s) "
		    "cleared", user, when);
	}
	if (ai.only_bang)
		sm_appendf(o->did, sizeof(o->did), "; ", "password of %s left "
		    "locked: only '!', there is none to unlock", user);
	return 0;
}

/* See acct.h: 0/-1. */
int
acct_faillock_reset(const char *user, const char *dir, int dry,
    int timeout_ms, struct act_out *o)
{
	char path[512];
	struct stat sb;
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir :
	    FAILLOCK_DIR, user);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(o->why, sizeof(o->why), "faillock directory path too "
		    "long");
		return -1;
	}
	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT)
			return 0;	/* no tally: nothing to reset */
		snprintf(o->why, sizeof(o->why), "%s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(o->why, sizeof(o->why), "%s is not a regular file; "
		    "not touched", path);
		return -1;
	}
	if (sb.st_size == 0)
		return 0;
	if (dry) {
		snprintf(o->did, sizeof(o->did), "would reset the faillock "
		    "tally of %s (%s)", user, path);
		return 0;
	}
	if (dir != NULL) {
		char *argv[] = { FAILLOCK, "--dir", (char *)dir, "--user",
		    (char *)user, "--reset", NULL };

		if (act_tool(argv, NULL, 0, timeout_ms, NULL, o) == -1)
			return -1;
	} else {
		char *argv[] = { FAILLOCK, "--user", (char *)user, "--reset",
		    NULL };

		if (act_tool(argv, NULL, 0, timeout_ms, NULL, o) == -1)
			return -1;
	}
	o->changed = 1;
	snprintf(o->did, sizeof(o->did), "faillock tally of %s reset (%s)",
	    user, path);
	return 0;
}

/*
 * The escrowed hash: root's regular file (no link), no group or other
 * bits, one hash line. 0 with the hash in h, or -1 with why (the content
 * is never quoted).
 */
static int
read_escrow(const char *path, char *h, size_t hlen, struct act_out *o)
{
	struct stat sb;
	char *buf = NULL;
	size_t len;
	int fd, r = -1;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		snprintf(o->why, sizeof(o->why), "escrow %s: %s", path,
		    errno == ELOOP ? "a symbolic link, not followed" :
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) || sb.st_uid != 0 ||
	    (sb.st_mode & 077) != 0) {
		snprintf(o->why, sizeof(o->why), "escrow %s: must be a regular "
		    "file of root's, mode 0600 or 0400", path);
		goto out;
	}
	if (fs_read_fd(fd, ESCROW_MAX, &buf, &len) == -1) {
		snprintf(o->why, sizeof(o->why), "escrow %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (memchr(buf, '\n', len) != NULL || !authkeys_crypt_ok(buf) ||
	    len >= hlen) {
		snprintf(o->why, sizeof(o->why), "escrow %s: not one crypt(3) "
		    "hash line", path);
		goto out;
	}
	memcpy(h, buf, len + 1);
	r = 0;
 out:
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
	close(fd);
	return r;
}

/* See acct.h: 0/-1. */
int
acct_set_password(const char *user, const char *escrow, const char *hash,
    int dry, int timeout_ms, struct act_out *o)
{
	char h[ESCROW_MAX], cur[ESCROW_MAX], *in = NULL;
	char *argv[] = { CHPASSWD, "-e", NULL };
	int r = -1, n;

	if (escrow != NULL) {
		if (read_escrow(escrow, h, sizeof(h), o) == -1)
			goto out;
	} else if (hash == NULL || !authkeys_crypt_ok(hash) ||
	    sm_strlcpy(h, hash, sizeof(h)) >= sizeof(h)) {
		snprintf(o->why, sizeof(o->why), "not a crypt(3) hash");
		goto out;
	}
	if (shadow_of(user, cur, sizeof(cur), NULL, o) == -1)
		goto out;
	if (strcmp(cur, h) == 0) {
		r = 0;		/* already that password */
		goto out;
	}
	if (dry) {
		snprintf(o->did, sizeof(o->did), "would set the password of %s "
		    "from %s", user, escrow != NULL ? escrow : "the request");
		r = 0;
		goto out;
	}
	/* chpasswd reads "user:hash" on stdin: never on a command line. */
	if ((n = asprintf(&in, "%s:%s\n", user, h)) < 0)
		fatal_f("asprintf");
	if (act_tool(argv, in, (size_t)n, timeout_ms, h, o) == -1)
		goto out;
	o->changed = 1;
	snprintf(o->did, sizeof(o->did), "password of %s set from %s", user,
	    escrow != NULL ? escrow : "the request");
	r = 0;
 out:
	if (in != NULL) {
		explicit_bzero(in, strlen(in));
		free(in);
	}
	explicit_bzero(h, sizeof(h));
	explicit_bzero(cur, sizeof(cur));
	return r;
}

/* See acct.h: 0/-1. */
int
acct_set_shell(const char *user, const char *shell, int dry, int timeout_ms,
    struct act_out *o)
{
	char why[512];
	int ok;

	if ((ok = acctinfo_shell_ok(user, why, sizeof(why))) == 1)
		return 0;
	if (ok == -1) {
		snprintf(o->why, sizeof(o->why), "%s", why);
		return -1;
	}
	if (!acctinfo_shell_usable(shell, o->why, sizeof(o->why)))
		return -1;
	if (dry) {
		snprintf(o->did, sizeof(o->did), "would set the login shell of "
		    "%s to %s (%s)", user, shell, why);
		return 0;
	}
	{
		char *argv[] = { USERMOD, "-s", (char *)shell, (char *)user,
		    NULL };

		if (act_tool(argv, NULL, 0, timeout_ms, NULL, o) == -1)
			return -1;
	}
	o->changed = 1;
	snprintf(o->did, sizeof(o->did), "login shell of %s set to %s (%s)",
	    user, shell, why);
	return 0;
}

/* See acct.h: 0/-1. */
int
acct_expire(const char *user, const char *date, int dry, int timeout_ms,
    struct act_out *o)
{
	char *argv[] = { CHAGE, "-E", NULL, (char *)user, NULL };
	char cur[32];
	long expire;
	int never = strcmp(date, "never") == 0;

	if (!never && !sm_date_ok(date)) {
		snprintf(o->why, sizeof(o->why), "\"%s\" is not a date "
		    "(YYYY-MM-DD) or never", date);
		return -1;
	}
	if (shadow_of(user, NULL, 0, &expire, o) == -1)
		return -1;
	day_text(expire, cur, sizeof(cur));
	if ((never && expire == -1) || (!never && expire != -1 &&
	    strcmp(cur, date) == 0))
		return 0;
	if (dry) {
		snprintf(o->did, sizeof(o->did), "would set the expiry of %s to "
		    "%s", user, date);
		return 0;
	}
	argv[2] = never ? "-1" : (char *)date;
	if (act_tool(argv, NULL, 0, timeout_ms, NULL, o) == -1)
		return -1;
	o->changed = 1;
	snprintf(o->did, sizeof(o->did), "expiry of %s set to %s (was %s)",
	    user, date, expire == -1 ? "never" : cur);
	return 0;
}
