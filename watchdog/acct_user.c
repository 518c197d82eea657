/*
 * Accounts sshmedic adds and removes (break-glass and sudo users) and keys
 * it adds: all or nothing, nothing an admin wrote deleted.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "act.h"
#include "acct.h"
#include "authkeys.h"
#include "creds.h"
#include "daemon.h"
#include "fsutil.h"
#include "homefs.h"
#include "lockout.h"
#include "log.h"
#include "misc.h"
#include "pwdb.h"
#include "store.h"
#include "xmalloc.h"

#define USERADD		"/usr/sbin/useradd"
#define USERDEL		"/usr/sbin/userdel"
#define USERMOD		"/usr/sbin/usermod"
#define VISUDO		"/usr/sbin/visudo"
#define MARK_PREFIX	"user."		/* store state: accounts we created */
#define USER_MAX	32
#define PWBUF		16384

/* Predicate: a name useradd takes and that needs no quoting anywhere. */
static int
name_ok(const char *u)
{
	return sm_token_ok(u, USER_MAX, "._-") && u[0] != '-' && u[0] != '.';
}

/* The sudoers.d file name for user: sudo skips names with a '.'. */
static void
sudoers_name(const char *user, char *buf, size_t len)
{
	size_t i;

	snprintf(buf, len, "sshmedic-%s", user);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '.')
			buf[i] = '_';
}

static int
marked(struct daemon *d, const char *user)
{
	char key[80], val[64];

	snprintf(key, sizeof(key), MARK_PREFIX "%s", user);
	return store_state_get(&d->store, key, val, sizeof(val)) == 0;
}

static void
mark(struct daemon *d, const char *user, int on)
{
	char key[80];

	snprintf(key, sizeof(key), MARK_PREFIX "%s", user);
	if (store_state_set(&d->store, key, on ? "created" : NULL) == -1)
		error_f("store state %s: %s", key, strerror(errno));
}

/*
 * Puts text in dir/name after visudo -c accepted it as a file of its own:
 * a temporary (sudo ignores names with a '.'), checked, then renamed.
 */
static int
install_sudoers(const char *dir, const char *name, const char *text,
    int timeout_ms, struct act_out *o)
{
	char tmp[4096], id[33];
	char *argv[] = { VISUDO, "-c", "-q", "-f", tmp, NULL };
	int dfd, fd, saved;
	size_t len = strlen(text);

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		snprintf(o->why, sizeof(o->why), "%s: %s", dir, strerror(errno));
		return -1;
	}
	random_id(id);
	snprintf(tmp, sizeof(tmp), "%s/%s%.16s", dir, FS_TMP_PREFIX, id);
	if ((fd = openat(dfd, strrchr(tmp, '/') + 1, O_WRONLY | O_CREAT |
	    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0440)) == -1) {
		snprintf(o->why, sizeof(o->why), "create in %s: %s", dir,
		    strerror(errno));
		close(dfd);
		return -1;
	}
	if (fchown(fd, 0, 0) == -1 || fchmod(fd, 0440) == -1 ||
	    write(fd, text, len) != (ssize_t)len || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		snprintf(o->why, sizeof(o->why), "write %.900s: %s", tmp,
		    strerror(saved));
		goto fail;
	}
	close(fd);
	if (act_tool(argv, NULL, 0, timeout_ms, NULL, o) == -1)
		goto fail;
	if (renameat(dfd, strrchr(tmp, '/') + 1, dfd, name) == -1) {
		snprintf(o->why, sizeof(o->why), "rename into %s/%s: %s", dir,
		    name, strerror(errno));
		goto fail;
	}
	(void)fsync(dfd);
	close(dfd);
	return 0;
 fail:
	(void)unlinkat(dfd, strrchr(tmp, '/') + 1, 0);
	close(dfd);
	return -1;
}

/* Key lines of keys missing from cur, appended to out (a new buffer). */
static char *
merged(const char *cur, size_t curlen, const char *keys, size_t keyslen,
    int *added)
{
	const char *p = keys, *end = keys + keyslen, *nl;
	char *out, *line;
	size_t n, olen;

	*added = 0;
	olen = curlen;
	out = xmalloc(curlen + keyslen + 2);
	memcpy(out, cur, curlen);
	if (olen > 0 && out[olen - 1] != '\n')
		out[olen++] = '\n';
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		line = xstrndup(p, n);
		line[strcspn(line, "\r")] = '\0';
		if (line[0] != '\0' && line[0] != '#' &&
		    !authkeys_has_key(out, olen, line)) {
			memcpy(out + olen, line, strlen(line));
			olen += strlen(line);
			out[olen++] = '\n';
			(*added)++;
		}
		free(line);
		p += n + 1;
	}
	out[olen] = '\0';
	return out;
}

/* See acct.h: 0/-1. */
int
acct_add_keys(struct daemon *d, const char *user, const char *keys,
    size_t keyslen, int replace, const char *evid, int dry,
    struct act_out *o)
{
	struct hf_user u;
	struct stat sb;
	char *paths[CREDS_MAX_PATHS], pwbuf[PWBUF], err[1024];
	char *cur = NULL, *out = NULL, *path;
	size_t curlen = 0;
	uid_t uid;
	gid_t gid;
	mode_t mode;
	int n, i, added = 0, r = -1, have = 0;

	if (!authkeys_text_ok(keys, keyslen, 0, err, sizeof(err))) {
		snprintf(o->why, sizeof(o->why), "keys: %.900s", err);
		return -1;
	}
	if ((n = creds_keys_paths(d, user, NULL, paths, CREDS_MAX_PATHS,
	    o->why, sizeof(o->why))) == -1)
		return -1;
	if (n == 0) {
		snprintf(o->why, sizeof(o->why), "sshd reads no authorized "
		    "keys file for %s (AuthorizedKeysFile none)", user);
		return -1;
	}
	if (hf_user_lookup(user, &u, pwbuf, sizeof(pwbuf)) == -1) {
		snprintf(o->why, sizeof(o->why), "getpwnam %s: %s", user,
		    strerror(errno));
		goto out;
	}
	/*
	 * Next to the user's own keys: the first of sshd's files that exists
	 * (the first one when none does yet).
	 */
	for (i = 0, path = paths[0]; i < n && !have; i++) {
		have = hf_read(&u, paths[i], ACCT_KEYS_MAX * 4, &cur, &curlen,
		    &sb, err, sizeof(err)) == 0;
		if (!have && errno != ENOENT) {
			snprintf(o->why, sizeof(o->why), "%s", err);
			goto out;
		}
		if (have)
			path = paths[i];
	}
	/* A file of root's (outside the home) stays root's. */
	uid = have ? sb.st_uid : u.uid;
	gid = have ? sb.st_gid : u.gid;
	mode = have ? sb.st_mode & 07777 : 0600;
	if (replace)
		out = merged("", 0, keys, keyslen, &added);
	else
		out = merged(have ? cur : "", curlen, keys, keyslen, &added);
	if (have && strlen(out) == curlen && memcmp(out, cur, curlen) == 0) {
		r = 0;		/* every key is there already */
		goto out;
	}
	if (dry) {
		snprintf(o->did, sizeof(o->did), "would %s %s (%d key%s)",
		    replace ? "replace" : "add to", path, added,
		    added == 1 ? "" : "s");
		r = 0;
		goto out;
	}
	if (have && replace && store_quarantine_buf(&d->store, evid, path,
	    &sb, cur, curlen, "replaced by a set-key request") == -1) {
		snprintf(o->why, sizeof(o->why), "quarantine of %s failed: %s; "
		    "not replaced", path, strerror(errno));
		goto out;
	}
	if (hf_write(&u, path, out, strlen(out), uid, gid, mode, err,
	    sizeof(err)) == -1) {
		snprintf(o->why, sizeof(o->why), "%s", err);
		goto out;
	}
	o->changed = 1;
	snprintf(o->did, sizeof(o->did), "%s %d key%s %s %s",
	    replace ? "replaced with" : "added", added, added == 1 ? "" : "s",
	    replace ? "in" : "to", path);
	r = 0;
 out:
	free(cur);
	free(out);
	for (; n > 0; n--)
		free(paths[n - 1]);
	return r;
}

/* Undoes a useradd of this very call: the account and its fresh home. */
static void
undo_create(struct daemon *d, const char *user, int timeout_ms)
{
	char *argv[] = { USERDEL, "-r", (char *)user, NULL };
	struct act_out tmp;

	memset(&tmp, 0, sizeof(tmp));
	if (act_tool(argv, NULL, 0, timeout_ms, NULL, &tmp) == -1)
		error_f("undo useradd %s: %s", user, tmp.why);
	mark(d, user, 0);
}

/* See acct.h: 0/-1. */
int
acct_add_sudo_user(struct daemon *d, const char *user, const char *keys,
    size_t keyslen, const char *sudoers_dir, const char *shell, int adopt,
    const char *evid, int dry, int timeout_ms, struct act_out *o)
{
	char sname[80], path[4096], text[512], err[512];
	struct pwdb_user pw;
	struct act_out ko;
	struct stat sb;
	int exists, created = 0, have_sudoers;

	if (!name_ok(user)) {
		snprintf(o->why, sizeof(o->why), "\"%s\" is not a user name "
		    "useradd takes", user);
		return -1;
	}
	if (!authkeys_text_ok(keys, keyslen, 0, err, sizeof(err))) {
		snprintf(o->why, sizeof(o->why), "keys: %s", err);
		return -1;
	}
	if (sudoers_dir == NULL)
		sudoers_dir = ACCT_SUDOERS_DIR;
	if (shell == NULL)
		shell = "/bin/bash";
	if ((exists = pwdb_user_byname(user, &pw)) == -1) {
		snprintf(o->why, sizeof(o->why), "cannot look up %s: %s", user,
		    strerror(errno));
		return -1;
	}
	if (exists && !adopt && !marked(d, user)) {
		snprintf(o->why, sizeof(o->why), "an account %s exists that "
		    "sshmedic did not create; it is not taken over", user);
		return -1;
	}
	sudoers_name(user, sname, sizeof(sname));
	snprintf(path, sizeof(path), "%s/%s", sudoers_dir, sname);
	have_sudoers = lstat(path, &sb) == 0;
	if (dry) {
		if (!exists)
			sm_appendf(o->did, sizeof(o->did), "; ", "would create "
			    "the account %s (%s)", user, shell);
		sm_appendf(o->did, sizeof(o->did), "; ", "would make sure its "
		    "keys are in place");
		if (!have_sudoers)
			sm_appendf(o->did, sizeof(o->did), "; ", "would add "
			    "%s", path);
		return 0;
	}
	if (!exists) {
		char *ua[] = { USERADD, "-m", "-s", (char *)shell, "-c",
		    "sshmedic sudo user", (char *)user, NULL };
		/* '*': no password, and usable for key logins without PAM. */
		char *um[] = { USERMOD, "-p", "*", (char *)user, NULL };

		if (act_tool(ua, NULL, 0, timeout_ms, NULL, o) == -1)
			return -1;
		created = 1;
		mark(d, user, 1);
		if (act_tool(um, NULL, 0, timeout_ms, NULL, o) == -1)
			goto undo;
		sm_appendf(o->did, sizeof(o->did), "; ", "account %s created",
		    user);
		o->changed = 1;
	}
	memset(&ko, 0, sizeof(ko));
	if (acct_add_keys(d, user, keys, keyslen, 0, evid, 0, &ko) == -1) {
		snprintf(o->why, sizeof(o->why), "%s", ko.why);
		goto undo;
	}
	if (ko.did[0] != '\0') {
		sm_appendf(o->did, sizeof(o->did), "; ", "%s", ko.did);
		o->changed = 1;
	}
	if (!have_sudoers) {
		snprintf(text, sizeof(text), "# Added by sshmedic (event %s); "
		    "remove with: sshmedic request remove-user %s\n"
		    "%s ALL=(ALL:ALL) NOPASSWD: ALL\n", evid != NULL ? evid :
		    "-", user, user);
		if (install_sudoers(sudoers_dir, sname, text, timeout_ms, o) ==
		    -1)
			goto undo;
		sm_appendf(o->did, sizeof(o->did), "; ", "%s added (visudo -c "
		    "passed)", path);
		o->changed = 1;
	}
	return 0;
 undo:
	if (created) {
		undo_create(d, user, timeout_ms);
		sm_appendf(o->why, sizeof(o->why), "; ", "the account %s it "
		    "created was removed again", user);
		o->did[0] = '\0';
		o->changed = 0;
	}
	return -1;
}

/* See acct.h: 0/-1. */
int
acct_remove_user(struct daemon *d, const char *user, int keep_home,
    const char *sudoers_dir, const char *evid, int dry, int timeout_ms,
    struct act_out *o)
{
	char *argv[] = { USERDEL, (char *)user, NULL };
	char home[4096], sname[80], path[4096];
	struct pwdb_user pw;
	struct stat sb;
	int have_home, have_sudoers, r;

	if ((r = pwdb_user_byname(user, &pw)) == 0)
		return 0;	/* nothing to remove */
	if (r == -1) {
		snprintf(o->why, sizeof(o->why), "cannot look up %s: %s", user,
		    strerror(errno));
		return -1;
	}
	if (pw.uid == 0 || creds_is_protected(d, user)) {
		snprintf(o->why, sizeof(o->why), "%s is %s: never removed", user,
		    pw.uid == 0 ? "uid 0" : "a protected user");
		return -1;
	}
	sm_strlcpy(home, pw.dir, sizeof(home));
	have_home = !keep_home && home[0] == '/' && strcmp(home, "/") != 0 &&
	    lstat(home, &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    sb.st_uid == pw.uid;
	sudoers_name(user, sname, sizeof(sname));
	snprintf(path, sizeof(path), "%s/%s", sudoers_dir != NULL ?
	    sudoers_dir : ACCT_SUDOERS_DIR, sname);
	have_sudoers = lstat(path, &sb) == 0;
	if (dry) {
		snprintf(o->did, sizeof(o->did), "would remove the account %s%s%s",
		    user, have_home ? ", its home moved aside" : "",
		    have_sudoers ? ", its sudoers drop-in" : "");
		return 0;
	}
	if (act_tool(argv, NULL, 0, timeout_ms, NULL, o) == -1)
		return -1;
	o->changed = 1;
	mark(d, user, 0);
	sm_appendf(o->did, sizeof(o->did), "; ", "account %s removed", user);
	if (have_sudoers) {
		if (store_quarantine_move(&d->store, evid, path, "sudoers "
		    "drop-in of a removed user") == -1)
			sm_appendf(o->why, sizeof(o->why), "; ", "%s not moved "
			    "aside: %s", path, strerror(errno));
		else
			sm_appendf(o->did, sizeof(o->did), "; ", "%s moved "
			    "to the quarantine", path);
	}
	if (have_home) {
		/* Never rm -r: the home goes to the quarantine (or beside itself). */
		if (store_quarantine_move(&d->store, evid, home, "home of a "
		    "removed user") == -1)
			sm_appendf(o->why, sizeof(o->why), "; ", "home %s not "
			    "moved aside: %s", home, strerror(errno));
		else
			sm_appendf(o->did, sizeof(o->did), "; ", "home %s moved "
			    "aside", home);
	}
	return o->why[0] == '\0' ? 0 : -1;
}
