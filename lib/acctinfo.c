/*
 * What the account database says of a user: the login shell usable, the
 * password locked, the account expired. Read only; acct.c changes them.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acctinfo.h"
#include "fsutil.h"
#include "misc.h"
#include "pwdb.h"

#define SHELLS		"/etc/shells"

/* Predicate: shell is a line of /etc/shells. */
static int
in_shells(const char *shell)
{
	char *buf, *p, *line;
	size_t len;
	int found = 0;

	if (fs_read_file(SHELLS, 64 * 1024, 1, &buf, &len) == -1)
		return 0;
	for (p = buf; !found && (line = strsep(&p, "\n")) != NULL; )
		found = line[0] == '/' && strcmp(line, shell) == 0;
	free(buf);
	return found;
}

/* See acctinfo.h: 1/0. */
int
acctinfo_shell_usable(const char *shell, char *why, size_t wlen)
{
	struct stat sb;

	if (shell == NULL || shell[0] != '/') {
		snprintf(why, wlen, "login shell \"%s\" is not an absolute path",
		    shell != NULL ? shell : "");
		return 0;
	}
	if (stat(shell, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    access(shell, X_OK) == -1) {
		snprintf(why, wlen, "login shell %s is missing or not "
		    "executable", shell);
		return 0;
	}
	if (!in_shells(shell)) {
		snprintf(why, wlen, "login shell %s is not in %s", shell,
		    SHELLS);
		return 0;
	}
	return 1;
}

/* See acctinfo.h: 1/0/-1. */
int
acctinfo_shell_ok(const char *user, char *why, size_t wlen)
{
	struct pwdb_user pw;
	int r;

	if ((r = pwdb_user_byname(user, &pw)) != 1) {
		snprintf(why, wlen, "%s %s%s%s", r == 0 ? "no such user" :
		    "cannot look up", user, r == 0 ? "" : ": ",
		    r == 0 ? "" : strerror(errno));
		return -1;
	}
	return acctinfo_shell_usable(pw.shell, why, wlen);
}

/* See acctinfo.h: 0/-1. */
int
acctinfo_state(const char *user, struct acctinfo *ai, char *why, size_t wlen)
{
	struct pwdb_shadow sp;
	int r;

	memset(ai, 0, sizeof(*ai));
	if ((r = pwdb_shadow(user, &sp)) != 1) {
		snprintf(why, wlen, "no shadow entry for %s%s%s", user,
		    r == -1 ? ": " : "", r == -1 ? strerror(errno) : "");
		return -1;
	}
	ai->locked = sp.hash[0] == '!';
	ai->only_bang = ai->locked && sp.hash[strspn(sp.hash, "!")] == '\0';
	ai->expire_day = sp.expire;
	/* pam_unix's rule: expired from that day on; -1 never. */
	ai->expired = sp.expire != -1 &&
	    (long)(time(NULL) / 86400) >= sp.expire;
	explicit_bzero(&sp, sizeof(sp));
	return 0;
}
