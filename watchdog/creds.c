/*
 * Known-good authorized keys: snapshots taken when a protected user's key
 * login proves them, restored (the current files quarantined) on demand.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "act.h"
#include "authkeys.h"
#include "creds.h"
#include "daemon.h"
#include "event.h"
#include "homefs.h"
#include "lockout.h"
#include "log.h"
#include "misc.h"
#include "report.h"
#include "snap.h"
#include "store.h"
#include "xmalloc.h"

#define CREDS_PWBUF	16384

/* See creds.h: 1/0. */
int
creds_is_protected(const struct daemon *d, const char *user)
{
	size_t i;

	for (i = 0; i < d->conf.nprotected; i++)
		if (strcmp(d->conf.protected_users[i].name, user) == 0)
			return 1;
	return 0;
}

/* The guard's address for a protected user, or the probe address. */
static const char *
guard_addr(const struct daemon *d, const char *user)
{
	size_t i;

	for (i = 0; i < d->conf.nprotected; i++)
		if (strcmp(d->conf.protected_users[i].name, user) == 0)
			return d->conf.protected_users[i].addr;
	return d->conf.probe_address;
}

static int
numeric_addr(const char *a)
{
	unsigned char buf[16];

	return a != NULL && (inet_pton(AF_INET, a, buf) == 1 ||
	    inet_pton(AF_INET6, a, buf) == 1);
}

/* See creds.h: the count, or -1 with why. */
int
creds_keys_paths(struct daemon *d, const char *user, const char *addr,
    char **paths, size_t max, char *why, size_t wlen)
{
	struct lk_target t;
	struct lk_userinfo ui;
	char *dump = NULL;
	int n, bad;

	memset(&t, 0, sizeof(t));
	t.user = user;
	t.addr = numeric_addr(addr) ? addr : guard_addr(d, user);
	t.host = t.addr;
	t.laddr = d->conf.probe_address;
	t.lport = d->conf.probe_port;
	if (lockout_dump(d->conf.sshd_binary, d->conf.sshd_config, &t,
	    d->conf.sshd_test_timeout_ms, &dump, why, wlen) == -1)
		return -1;
	if (lockout_userinfo(user, &ui, why, wlen) == -1) {
		free(dump);
		return -1;
	}
	if (!ui.exists) {
		snprintf(why, wlen, "no such user %s", user);
		n = -1;
	} else if ((n = lockout_keys_files(dump, user, &ui, paths, max,
	    &bad)) == -1)
		snprintf(why, wlen, "sshd -T printed no configuration");
	else if (bad > 0)
		debug_f("%s: %d AuthorizedKeysFile entries sshd cannot expand",
		    user, bad);
	lockout_userinfo_free(&ui);
	free(dump);
	return n;
}

static void
free_paths(char **paths, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(paths[i]);
}

/*
 * Reads the current files of paths into s (absent ones as absent). 0, or
 * -1 when one cannot be read safely (why names it).
 */
static int
read_current(const struct hf_user *u, char **paths, int n, struct snap *s,
    char *why, size_t wlen)
{
	struct stat sb;
	char *buf;
	size_t len;
	int i;

	for (i = 0; i < n; i++) {
		if (hf_read(u, paths[i], SNAP_FILE_MAX, &buf, &len, &sb, why,
		    wlen) == -1) {
			if (errno != ENOENT)
				return -1;
			if (snap_add(s, paths[i], NULL, 0, 0, 0, 0) == -1)
				return -1;
			continue;
		}
		if (snap_add(s, paths[i], buf, len, sb.st_uid, sb.st_gid,
		    sb.st_mode) == -1) {
			snprintf(why, wlen, "%s: %s", paths[i], strerror(errno));
			free(buf);
			return -1;
		}
		free(buf);
	}
	return 0;
}

/* Predicate: key is in one of the present files of s. */
static int
snap_has_key(const struct snap *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->f[i].present && authkeys_has_key(s->f[i].content,
		    s->f[i].len, key))
			return 1;
	return 0;
}

/* See creds.h. */
void
creds_forget(struct daemon *d)
{
	struct creds_state *cs = &d->creds;
	size_t i;

	for (i = 0; i < cs->nu; i++)
		free_paths(cs->u[i].paths, cs->u[i].npaths);
	memset(cs, 0, sizeof(*cs));
}

/* The cache slot of user (created; protected users only, so it is bounded). */
static struct creds_ucache *
ucache(struct daemon *d, const char *user)
{
	struct creds_state *cs = &d->creds;
	struct creds_ucache *c;
	size_t i;

	for (i = 0; i < cs->nu; i++)
		if (strcmp(cs->u[i].user, user) == 0)
			return &cs->u[i];
	if (cs->nu >= SM_NELEM(cs->u))
		return NULL;
	c = &cs->u[cs->nu++];
	memset(c, 0, sizeof(*c));
	sm_strlcpy(c->user, user, sizeof(c->user));
	c->npaths = -1;
	return c;
}

/*
 * The keys paths of the cached slot, computed again when sshd's closure,
 * the home or the address changed. 0, or -1 with why.
 */
static int
cached_paths(struct daemon *d, struct creds_ucache *c, const char *home,
    const char *rhost, char *why, size_t wlen)
{
	const char *addr = numeric_addr(rhost) ? rhost : guard_addr(d, c->user);

	if (c->npaths >= 0 && strcmp(c->closure, d->guard.seen_digest) == 0 &&
	    strcmp(c->home, home) == 0 && strcmp(c->addr, addr) == 0)
		return 0;
	free_paths(c->paths, c->npaths);
	c->npaths = -1;
	c->settled = 0;
	if ((c->npaths = creds_keys_paths(d, c->user, addr, c->paths,
	    CREDS_MAX_PATHS, why, wlen)) == -1)
		return -1;
	sm_strlcpy(c->closure, d->guard.seen_digest, sizeof(c->closure));
	sm_strlcpy(c->home, home, sizeof(c->home));
	sm_strlcpy(c->addr, addr, sizeof(c->addr));
	return 0;
}

/* Predicate: the files are as they were when last matched with the snapshot. */
static int
unchanged(struct creds_ucache *c, struct fs_sig *now)
{
	int i, same = c->settled;

	for (i = 0; i < c->npaths; i++) {
		fs_sig_of(c->paths[i], &now[i]);
		if (!fs_sig_equal(&now[i], &c->sig[i]))
			same = 0;
	}
	return same;
}

/* See creds.h. */
void
creds_on_session(struct daemon *d, const struct sm_event *e)
{
	struct creds_ucache *c;
	struct hf_user u;
	struct snap cur, old;
	struct fs_sig now[CREDS_MAX_PATHS];
	char why[1024], pwbuf[CREDS_PWBUF];
	char fp[AUTHKEYS_FP_MAX], reason[1400], files[2048] = "";
	size_t i;

	if (!creds_is_protected(d, e->user))
		return;
	if (strcmp(e->method, "publickey") != 0 || e->key[0] == '\0') {
		debug_f("%s: %s login without the key (ExposeAuthInfo): no "
		    "snapshot", e->user, e->method[0] ? e->method : "unknown");
		return;
	}
	if ((c = ucache(d, e->user)) == NULL)
		return;
	if (hf_user_lookup(e->user, &u, pwbuf, sizeof(pwbuf)) == -1) {
		error_f("getpwnam %s: %s", e->user, strerror(errno));
		return;
	}
	if (cached_paths(d, c, u.home, e->rhost, why, sizeof(why)) == -1) {
		error_f("keys of %s: %s", e->user, why);
		return;
	}
	/* Taken before the files are read: a write after it shows next time. */
	if (unchanged(c, now))
		return;
	c->settled = 0;
	memset(&cur, 0, sizeof(cur));
	if (read_current(&u, c->paths, c->npaths, &cur, why,
	    sizeof(why)) == -1) {
		/* Said every time: it is what stands between the user and a restore. */
		report_account(AUDIT_USER_MGMT, "sshmedic-keys-unsafe", 0, e->user,
		    NULL, why, NULL, NULL, NULL);
		warn_f("no snapshot of %s's keys: %s", e->user, why);
		goto out;
	}
	if (!snap_has_key(&cur, e->key)) {
		debug_f("%s: the key of this login is in none of its files "
		    "(AuthorizedKeysCommand?): no snapshot", e->user);
		goto out;
	}
	if (snap_load(&d->store, SNAP_KEYS, e->user, &old) == 0 &&
	    snap_same(&old, &cur)) {
		snap_free(&old);
		goto settled;
	}
	snap_free(&old);
	cur.kind = SNAP_KEYS;
	sm_strlcpy(cur.name, e->user, sizeof(cur.name));
	cur.when = time(NULL);
	cur.key = xstrdup(e->key);
	for (i = 0; i < cur.n; i++)
		if (cur.f[i].present)
			sm_appendf(files, sizeof(files), ",", "%s",
			    cur.f[i].path);
	if (authkeys_fingerprint(e->key, fp, sizeof(fp)) == -1)
		sm_strlcpy(fp, "?", sizeof(fp));
	if (snap_save(&d->store, &cur) == -1) {
		snprintf(reason, sizeof(reason), "snapshot of the keys of %s "
		    "not saved: %s", e->user, strerror(errno));
		report_account(AUDIT_USER_MGMT, "sshmedic-keys-snapshot", 0,
		    e->user, files, reason, NULL, NULL, NULL);
		goto out;
	}
	snprintf(reason, sizeof(reason), "known-good authorized keys of %s, "
	    "proven by a publickey login from %s with %s", e->user,
	    e->rhost[0] ? e->rhost : "?", fp);
	report_account(AUDIT_USER_MGMT, "sshmedic-keys-snapshot", 1, e->user,
	    files, reason, NULL, NULL, NULL);
 settled:
	memcpy(c->sig, now, sizeof(c->sig));
	c->settled = 1;
 out:
	snap_free(&cur);
}

/* What is at path now compared with the snapshot's file. */
static const char *
differs(const struct hf_user *u, const struct snap_file *f, char **cur,
    size_t *len, struct stat *sb, char *why, size_t wlen)
{
	*cur = NULL;
	if (hf_read(u, f->path, SNAP_FILE_MAX, cur, len, sb, why, wlen) ==
	    -1) {
		if (errno == ENOENT)
			return "missing";
		if (errno == ELOOP)
			return "a symlink";
		if (errno == EFBIG)
			return "too large";
		return "unreadable";
	}
	if (*len != f->len || memcmp(*cur, f->content, f->len) != 0)
		return "changed";
	if (sb->st_uid != f->uid || sb->st_gid != f->gid ||
	    (sb->st_mode & 07777) != f->mode)
		return "owner or mode changed";
	return NULL;
}

/* See creds.h: 0/-1. */
int
creds_restore_keys(struct daemon *d, const char *user, const char *evid,
    int dry, struct act_out *o)
{
	char *did = o->did, *why = o->why;
	size_t dlen = sizeof(o->did), wlen = sizeof(o->why);
	struct hf_user u;
	struct snap s;
	struct stat sb;
	char pwbuf[CREDS_PWBUF], err[1024], *cur;
	const char *how;
	size_t i, len;
	int r = -1;

	did[0] = why[0] = '\0';
	if (snap_load(&d->store, SNAP_KEYS, user, &s) == -1) {
		if (errno == ENOENT)
			snprintf(why, wlen, "no known-good snapshot of the keys "
			    "of %s (one is taken at a publickey login with "
			    "sshd's ExposeAuthInfo yes)", user);
		else
			snprintf(why, wlen, "the snapshot of the keys of %s is "
			    "corrupt (%s); it is never restored", user,
			    strerror(errno));
		goto out;
	}
	if (hf_user_lookup(user, &u, pwbuf, sizeof(pwbuf)) == -1) {
		snprintf(why, wlen, "getpwnam %s: %s", user, strerror(errno));
		goto out;
	}
	for (i = 0; i < s.n; i++) {
		const struct snap_file *f = &s.f[i];

		/* A file that was not there is not created or removed. */
		if (!f->present)
			continue;
		if ((how = differs(&u, f, &cur, &len, &sb, err,
		    sizeof(err))) == NULL) {
			free(cur);
			continue;
		}
		if (dry) {
			sm_appendf(did, dlen, "; ", "would restore %s (%s)",
			    f->path, how);
			free(cur);
			continue;
		}
		/* Nothing the admin wrote is lost: the current file first. */
		if (cur != NULL && store_quarantine_buf(&d->store, evid,
		    f->path, &sb, cur, len, "replaced by the known-good "
		    "authorized keys") == -1) {
			snprintf(why, wlen, "quarantine of %s failed (%s); not "
			    "replaced", f->path, strerror(errno));
			free(cur);
			goto out;
		}
		free(cur);
		if (strcmp(how, "a symlink") == 0 &&
		    store_quarantine_add(&d->store, evid, f->path,
		    "a symlink where the authorized keys belong") == -1) {
			snprintf(why, wlen, "quarantine of the symlink %s "
			    "failed (%s); not replaced", f->path,
			    strerror(errno));
			goto out;
		}
		if (hf_write(&u, f->path, f->content, f->len, f->uid, f->gid,
		    f->mode, err, sizeof(err)) == -1) {
			snprintf(why, wlen, "%s", err);
			goto out;
		}
		o->changed = 1;
		sm_appendf(did, dlen, "; ", "restored %s (was %s)", f->path,
		    how);
	}
	r = 0;
 out:
	snap_free(&s);
	return r;
}

/* See creds.h: 0/-1. */
int
creds_fix_modes(struct daemon *d, const char *user, const char *addr,
    int dry, struct act_out *o)
{
	char *did = o->did, *why = o->why;
	size_t dlen = sizeof(o->did), wlen = sizeof(o->why);
	struct hf_user u;
	char *paths[CREDS_MAX_PATHS], pwbuf[CREDS_PWBUF], prob[2048];
	char done[2048], err[2048];
	int n, i, r = 0, c;

	did[0] = why[0] = '\0';
	if ((n = creds_keys_paths(d, user, addr, paths, CREDS_MAX_PATHS, why,
	    wlen)) == -1)
		return -1;
	if (hf_user_lookup(user, &u, pwbuf, sizeof(pwbuf)) == -1) {
		snprintf(why, wlen, "getpwnam %s: %s", user, strerror(errno));
		free_paths(paths, n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((c = hf_check_modes(&u, paths[i], prob, sizeof(prob))) ==
		    1)
			continue;
		if (c == -1) {
			sm_appendf(why, wlen, "; ", "%s", prob);
			r = -1;
			continue;
		}
		if (dry) {
			sm_appendf(did, dlen, "; ", "would fix: %s", prob);
			continue;
		}
		if (hf_fix_modes(&u, paths[i], done, sizeof(done), err,
		    sizeof(err)) == -1) {
			sm_appendf(why, wlen, "; ", "%s", err[0] ? err : prob);
			r = -1;
		}
		if (done[0] != '\0') {
			sm_appendf(did, dlen, "; ", "%s", done);
			o->changed = 1;
		}
	}
	free_paths(paths, n);
	return r;
}
