/*
 * Following sshd's log for rejected public keys: the line assembler, the
 * file source (like tail -F, position kept in the store) and the status.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

/* lib/authlog.h (the parser) has this directory's header's name. */
#include "../lib/authlog.h"
#include "authlog.h"
#include "daemon.h"
#include "event.h"
#include "events.h"
#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "store.h"
#include "watch.h"
#include "xmalloc.h"

static void
record(struct daemon *d, const struct authlog_rec *r)
{
	struct authlog *a = &d->authlog;
	struct sm_event e;

	memset(&e, 0, sizeof(e));
	e.version = EVENT_VERSION;
	e.kind = EVK_AUTH_FAIL;
	sm_strlcpy(e.user, r->user, sizeof(e.user));
	sm_strlcpy(e.rhost, r->addr, sizeof(e.rhost));
	/* The stack sshd runs: what a restore_pam action would look at. */
	sm_strlcpy(e.service, d->conf.sshd_pam_service[0] ?
	    d->conf.sshd_pam_service : "sshd", sizeof(e.service));
	/* "none": refused before any method (a missing shell, DenyUsers) */
	sm_strlcpy(e.method, r->kind == AL_NOT_ALLOWED ? "none" :
	    r->kind == AL_PAM_INIT ? "pam" : "publickey", sizeof(e.method));
	/* e.key stays "": a fingerprint is not a key */
	a->rejected++;
	if (r->suspect) {
		/* The name is the client's text: never logged as it is. */
		a->suspect++;
		debug_f("rejected %s key from %s port %d for a %s user name of "
		    "%zu bytes (marked)", r->keytype, r->addr, r->port,
		    r->invalid_user ? "invalid" : "valid", r->user_len);
	} else if (r->kind == AL_PAM_INIT)
		debug_f("sshd could not start PAM: a login failed, user unknown");
	else if (r->kind == AL_NOT_ALLOWED)
		debug_f("sshd refused %s%s%s: %s", r->user, r->addr[0] ?
		    " from " : "", r->addr, r->why);
	else
		debug_f("rejected %s key %s for %s%s from %s port %d",
		    r->keytype, r->fingerprint, r->invalid_user ?
		    "invalid user " : "", r->user, r->addr, r->port);
	events_record(d, &e, EVS_LOG);
}

static void
count_dropped(struct daemon *d, const char *why)
{
	struct authlog *a = &d->authlog;
	int64_t now = monotime_ms();

	a->dropped++;
	if (a->drop_log_ms != 0 && now - a->drop_log_ms < AUTHLOG_LOG_MS)
		return;
	warn_f("authlog: a line %s, not parsed (lines hold at most %d bytes; "
	    "%" PRIu64 " dropped so far)", why, AUTHLOG_LINE_MAX, a->dropped);
	a->drop_log_ms = now;
}

/* Predicate: r's connection had a good key (then forgotten). */
static int
had_good_key(struct authlog *a, const struct authlog_rec *r)
{
	int64_t now = monotime_ms();
	size_t i;

	for (i = 0; i < AUTHLOG_GOODKEYS; i++) {
		struct authlog_goodkey *g = &a->good[i];

		if (g->at_ms == 0 || now - g->at_ms > AUTHLOG_GOODKEY_MS ||
		    g->port != r->port || strcmp(g->addr, r->addr) != 0 ||
		    strcmp(g->user, r->user) != 0)
			continue;
		g->at_ms = 0;
		return 1;
	}
	return 0;
}

/*
 * One parsed line. sshd also writes "Failed publickey" for a key it had
 * found good ("Postponed publickey" of the same connection) when the
 * login is refused after it: PAM's account phase, whose denial the module
 * counts, or PermitRootLogin. That line is no rejected key: not counted,
 * or a denied login would count twice.
 */
static void
take_line(struct daemon *d, const struct authlog_rec *r)
{
	struct authlog *a = &d->authlog;
	struct authlog_goodkey *g;

	if (r->kind == AL_POSTPONED) {
		g = &a->good[a->good_next];
		a->good_next = (a->good_next + 1) % AUTHLOG_GOODKEYS;
		sm_strlcpy(g->user, r->user, sizeof(g->user));
		sm_strlcpy(g->addr, r->addr, sizeof(g->addr));
		g->port = r->port;
		g->at_ms = monotime_ms();
		return;
	}
	if (r->kind == AL_REFUSED_KEY && had_good_key(a, r)) {
		a->refused_after++;
		/* Refused after a good key: counted once, by whichever came first. */
		if (events_denied_seen(d, r->user, EVS_LOG)) {
			debug_f("%s from %s port %d: a good key refused after it, "
			    "the PAM module reported the denial", r->user, r->addr,
			    r->port);
			return;
		}
	}
	record(d, r);
}

/* See authlog.h: splits n bytes into lines, each at most AUTHLOG_LINE_MAX. */
void
authlog_feed(struct daemon *d, const char *p, size_t n)
{
	struct authlog *a = &d->authlog;
	struct authlog_rec r;
	const char *nl;
	size_t take;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		take = nl != NULL ? (size_t)(nl - p) : n;
		if (a->dropping) {
			if (nl != NULL)
				a->dropping = 0;
		} else if (a->len + take > AUTHLOG_LINE_MAX) {
			/* Dropped whole: its tail alone could look like a line. */
			count_dropped(d, "too long");
			a->len = 0;
			a->dropping = nl == NULL;
		} else {
			memcpy(a->buf + a->len, p, take);
			a->len += take;
			if (nl != NULL) {
				a->lines++;
				if (authlog_parse(a->buf, a->len, &r))
					take_line(d, &r);
				a->len = 0;
			}
		}
		if (nl == NULL)
			break;
		n -= take + 1;
		p = nl + 1;
	}
}

/* A partial line that can never be completed (rotation, truncation). */
static void
discard_partial(struct daemon *d)
{
	if (d->authlog.len > 0)
		count_dropped(d, "cut off by a rotation or truncation");
	d->authlog.len = 0;
	d->authlog.dropping = 0;
}

/* See authlog.h: one deadline for whatever is due first. */
void
authlog_arm(struct daemon *d)
{
	struct authlog *a = &d->authlog;
	int64_t when = a->more ? monotime_ms() : 0, t[3];
	size_t i;

	t[0] = a->save_due;
	t[1] = a->retry_due;
	t[2] = a->restart_due;
	for (i = 0; i < SM_NELEM(t); i++)
		if (t[i] != 0 && (when == 0 || t[i] < when))
			when = t[i];
	daemon_set_deadline(d, DL_AUTHLOG, when);
}

/* The position: the start of the line being assembled (read whole again). */
static off_t
pos_now(const struct authlog *a)
{
	return a->off - (off_t)a->len;
}

static void
pos_store(struct daemon *d, dev_t dev, ino_t ino, off_t off)
{
	struct authlog *a = &d->authlog;
	char val[96];

	snprintf(val, sizeof(val), "%ju %ju %jd", (uintmax_t)dev,
	    (uintmax_t)ino, (intmax_t)off);
	a->last_save_ms = monotime_ms();
	if (store_state_set(&d->store, AUTHLOG_STATE_KEY, val) == -1) {
		/* Still dirty: tried again at the next save. */
		error_f("authlog: store state %s: %s", AUTHLOG_STATE_KEY,
		    strerror(errno));
		return;
	}
	a->saved_off = (int64_t)off;
	if (a->fd != -1 && dev == a->dev && ino == a->ino && off == pos_now(a))
		a->pos_dirty = 0;
}

/*
 * Stores the position, so that a restarted daemon continues there. The
 * counters of the lines before it must be on disk first: after a crash a
 * line may count twice, never not at all. When they are not (changed
 * since their last write, or a write in flight), a write is asked for;
 * authlog_counters_saving notes the position it covers and
 * authlog_counters_saved stores that one once it has landed.
 */
static void
pos_save(struct daemon *d)
{
	struct authlog *a = &d->authlog;

	a->save_due = 0;
	if (!a->pos_dirty || a->fd == -1)
		return;
	if (events_counters_durable(d))
		pos_store(d, a->dev, a->ino, pos_now(a));
	else
		events_on_deadline(d);
}

/* See authlog.h. */
void
authlog_counters_saving(struct daemon *d)
{
	struct authlog *a = &d->authlog;

	if (a->src != AL_FILE || a->fd == -1 || !a->pos_dirty)
		return;
	a->pend_set = 1;
	a->pend_dev = a->dev;
	a->pend_ino = a->ino;
	a->pend_off = pos_now(a);
}

/* See authlog.h. */
void
authlog_counters_saved(struct daemon *d, int ok)
{
	struct authlog *a = &d->authlog;

	if (a->pend_set && ok)
		pos_store(d, a->pend_dev, a->pend_ino, a->pend_off);
	a->pend_set = 0;
	if (a->src != AL_FILE || a->fd == -1)
		return;
	/*
	 * Read on since the write started, or read while it was in flight
	 * (then it covered no position): the rest at the next save.
	 */
	if (a->pos_dirty && a->save_due == 0) {
		a->save_due = monotime_ms() + AUTHLOG_SAVE_MS;
		authlog_arm(d);
	}
}

static void
pos_changed(struct daemon *d)
{
	struct authlog *a = &d->authlog;
	int64_t now = monotime_ms();

	a->pos_dirty = 1;
	if (now - a->last_save_ms >= AUTHLOG_SAVE_MS)
		pos_save(d);
	else if (a->save_due == 0)
		a->save_due = a->last_save_ms + AUTHLOG_SAVE_MS;
}

/*
 * Opens the log, refusing what others could have written: a regular file,
 * root's, not writable by group or other, in root-only directories (the
 * rule of sshmedic.conf(5), checked again on every open). 0, or -1 with
 * errno (ENOENT: not there yet).
 */
static int
open_log(struct daemon *d)
{
	struct authlog *a = &d->authlog;
	struct stat st;
	char why[600];
	int fd, e;

	if ((fd = open(a->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK | O_NOCTTY)) == -1) {
		e = errno;
		if (e == ENOENT && !a->said_missing) {
			logit("authlog: %s does not exist; waiting for it",
			    a->path);
			a->said_missing = 1;
		} else if (e != ENOENT)
			error_f("authlog: open %s: %s", a->path, strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 022) != 0 ||
	    fs_path_is_safe(a->path, 0, why, sizeof(why)) != 1) {
		if (!a->said_unsafe)
			error_f("authlog: %s is not a root-only regular file in "
			    "root-only directories; not read (whoever can "
			    "write it could make up rejected keys)", a->path);
		a->said_unsafe = 1;
		close(fd);
		errno = EPERM;
		return -1;
	}
	a->said_missing = a->said_unsafe = 0;
	a->fd = fd;
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	a->off = 0;
	a->moved = 0;
	a->rotated = 0;
	return 0;
}

static void
close_log(struct daemon *d)
{
	if (d->authlog.fd != -1)
		close(d->authlog.fd);
	d->authlog.fd = -1;
}

/* Reads at most AUTHLOG_READ_MAX: 1 at the end, 0 stopped at the cap, -1. */
static int
read_log(struct daemon *d)
{
	struct authlog *a = &d->authlog;
	size_t total = 0;
	ssize_t n;
	int r = 1;

	while (total < AUTHLOG_READ_MAX) {
		n = read(a->fd, a->chunk, AUTHLOG_READ_MAX - total);
		if (n > 0) {
			authlog_feed(d, a->chunk, (size_t)n);
			a->off += n;
			total += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN) {
			error_f("authlog: read %s: %s", a->path, strerror(errno));
			r = -1;
		}
		break;
	}
	if (total == AUTHLOG_READ_MAX)
		r = 0;
	if (total > 0)
		pos_changed(d);
	return r;
}

/* The file now under the name, from its start (new since we looked). */
static void
open_new(struct daemon *d)
{
	struct authlog *a = &d->authlog;

	close_log(d);
	discard_partial(d);
	if (open_log(d) == -1)
		return;
	logit("authlog: following %s (inode %ju) from its start", a->path,
	    (uintmax_t)a->ino);
	a->pos_dirty = 1;
	a->more = 1;
}

/* Reads what there is; a truncation restarts, a drained rotation switches. */
static void
service(struct daemon *d)
{
	struct authlog *a = &d->authlog;
	struct stat st;

	a->more = 0;
	if (a->fd == -1)
		return;
	if (fstat(a->fd, &st) == 0 && st.st_size < a->off) {
		logit("authlog: %s shrank to %jd bytes (read to %jd): reading "
		    "it from its start", a->path, (intmax_t)st.st_size,
		    (intmax_t)a->off);
		discard_partial(d);
		if (lseek(a->fd, 0, SEEK_SET) == -1)
			error_f("authlog: lseek %s: %s", a->path,
			    strerror(errno));
		a->off = 0;
		a->pos_dirty = 1;
	}
	switch (read_log(d)) {
	case 0:
		a->more = 1;
		break;
	case 1:
		/* The old file is read to its end: only now the new one. */
		if (a->rotated)
			open_new(d);
		break;
	default:
		break;
	}
}

/*
 * The name may point at another file than ours now (it appeared, was
 * replaced while the directory was not watched): mark the rotation.
 */
static void
check_name(struct daemon *d)
{
	struct authlog *a = &d->authlog;
	struct stat st;

	if (lstat(a->path, &st) == -1)
		return;
	if (a->fd == -1)
		open_new(d);
	else if (st.st_dev != a->dev || st.st_ino != a->ino)
		a->rotated = 1;
}

/* At start: continue where the last run stopped, or at the end. */
static void
file_start(struct daemon *d)
{
	struct authlog *a = &d->authlog;
	long long dev = 0, ino = 0, off = 0;
	struct stat st;
	char val[96], *p = val, *sp;
	int have = 0;

	if (fs_split(a->path, &a->dir, &a->base) == -1)
		fatal_f("authlog.file %s: cannot split", a->path);
	if ((a->dir_watched = watch_pin(WATCH_PIN_AUTHLOG, a->dir)) == 0)
		a->retry_due = monotime_ms() + AUTHLOG_RETRY_MS;
	if (store_state_get(&d->store, AUTHLOG_STATE_KEY, val,
	    sizeof(val)) == 0 && (sp = strchr(p, ' ')) != NULL) {
		*sp = '\0';
		if (parse_ll(p, 0, LLONG_MAX, &dev) == 0) {
			p = sp + 1;
			if ((sp = strchr(p, ' ')) != NULL) {
				*sp = '\0';
				have = parse_ll(p, 0, LLONG_MAX, &ino) == 0 &&
				    parse_ll(sp + 1, 0, LLONG_MAX, &off) == 0;
			}
		}
		if (!have)
			warn_f("authlog: store state %s malformed; ignored",
			    AUTHLOG_STATE_KEY);
	}
	if (open_log(d) == -1)
		return;
	if (fstat(a->fd, &st) == -1)
		fatal_f("fstat %s: %s", a->path, strerror(errno));
	if (have && (dev_t)dev == st.st_dev && (ino_t)ino == st.st_ino &&
	    off <= st.st_size) {
		a->off = (off_t)off;
		logit("authlog: following %s from offset %lld, where the last "
		    "run stopped", a->path, off);
	} else {
		a->off = st.st_size;
		if (have)
			logit("authlog: %s is not the file the last run read "
			    "(or it shrank): following it from its end; lines "
			    "written in between are not counted", a->path);
		else
			logit("authlog: following %s from its end", a->path);
		a->pos_dirty = 1;
	}
	if (lseek(a->fd, a->off, SEEK_SET) == -1)
		fatal_f("lseek %s: %s", a->path, strerror(errno));
	service(d);
}

/* See authlog.h. */
void
authlog_start(struct daemon *d)
{
	struct authlog *a = &d->authlog;
	size_t n, i;

	memset(a, 0, sizeof(*a));
	a->fd = a->outfd = a->pidfd = -1;
	a->saved_off = -1;
	if (d->conf.authlog_file[0] != '\0')
		a->src = AL_FILE;
	else if (d->conf.authlog_command[0] != NULL)
		a->src = AL_COMMAND;
	else
		return;
	a->buf = xmalloc(AUTHLOG_LINE_MAX);
	a->chunk = xmalloc(AUTHLOG_READ_MAX);
	if (a->src == AL_FILE) {
		a->path = xstrdup(d->conf.authlog_file);
		file_start(d);
	} else {
		for (n = 0; d->conf.authlog_command[n] != NULL; n++)
			;
		a->argv = xcalloc(n + 1, sizeof(*a->argv));
		for (i = 0; i < n; i++)
			a->argv[i] = xstrdup(d->conf.authlog_command[i]);
		authlog_cmd_start(d);
	}
	authlog_arm(d);
}

/* See authlog.h. */
void
authlog_stop(struct daemon *d)
{
	struct authlog *a = &d->authlog;
	size_t i;

	if (a->src == AL_FILE) {
		/* The counters written here and now, then the position. */
		events_flush(d);
		pos_save(d);
		close_log(d);
		watch_pin(WATCH_PIN_AUTHLOG, NULL);
	} else if (a->src == AL_COMMAND)
		authlog_cmd_stop(d);
	if (a->argv != NULL)
		for (i = 0; a->argv[i] != NULL; i++)
			free(a->argv[i]);
	free(a->argv);
	free(a->buf);
	free(a->chunk);
	free(a->path);
	free(a->dir);
	free(a->base);
	memset(a, 0, sizeof(*a));
	a->fd = a->outfd = a->pidfd = -1;
	a->saved_off = -1;
	daemon_set_deadline(d, DL_AUTHLOG, 0);
}

/* Predicate: the running source is the one d->conf asks for. */
static int
same_source(struct daemon *d)
{
	struct authlog *a = &d->authlog;
	char **v = d->conf.authlog_command;
	size_t i;

	if (d->conf.authlog_file[0] != '\0')
		return a->src == AL_FILE && strcmp(a->path,
		    d->conf.authlog_file) == 0;
	if (v[0] == NULL)
		return a->src == AL_OFF;
	if (a->src != AL_COMMAND)
		return 0;
	for (i = 0; v[i] != NULL && a->argv[i] != NULL; i++)
		if (strcmp(v[i], a->argv[i]) != 0)
			return 0;
	return v[i] == NULL && a->argv[i] == NULL;
}

/* See authlog.h. */
void
authlog_on_reconfig(struct daemon *d)
{
	if (same_source(d))
		return;
	logit("authlog: the source changed; restarting it");
	authlog_stop(d);
	authlog_start(d);
}

/* See authlog.h. */
void
authlog_on_watch(struct daemon *d, const struct watch_ev *ev)
{
	struct authlog *a = &d->authlog;

	if (a->src != AL_FILE || strcmp(ev->dir, a->dir) != 0)
		return;
	if (ev->name[0] == '\0') {
		/* The directory went (or moved): watch it again later. */
		if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
			a->dir_watched = 0;
			if (a->retry_due == 0)
				a->retry_due = monotime_ms() + AUTHLOG_RETRY_MS;
		}
	} else if (strcmp(ev->name, a->base) == 0) {
		if (ev->mask & (IN_CREATE | IN_MOVED_TO))
			check_name(d);
		else if (ev->mask & IN_MOVED_FROM)
			a->moved = 1;
		else if ((ev->mask & IN_ATTRIB) && a->fd == -1)
			open_new(d);	/* chmod/chown made it readable */
		service(d);
	} else if (a->moved && (ev->mask & IN_MODIFY))
		service(d);	/* our file, renamed, still written */
	authlog_arm(d);
}

/* See authlog.h. */
void
authlog_on_deadline(struct daemon *d)
{
	struct authlog *a = &d->authlog;
	int64_t now = monotime_ms();

	if (a->restart_due != 0 && a->restart_due <= now) {
		a->restart_due = 0;
		authlog_cmd_start(d);
	}
	if (a->retry_due != 0 && a->retry_due <= now) {
		a->retry_due = 0;
		if ((a->dir_watched = watch_pin(WATCH_PIN_AUTHLOG, a->dir)))
			check_name(d);
		else
			a->retry_due = now + AUTHLOG_RETRY_MS;
	}
	if (a->more && a->src == AL_FILE)
		service(d);
	if (a->save_due != 0 && a->save_due <= now)
		pos_save(d);
	authlog_arm(d);
}

/* See authlog.h. */
struct json_object *
authlog_status_json(struct daemon *d)
{
	struct authlog *a = &d->authlog;
	json_object *o = json_object_new_object();
	const char *state;

	json_object_object_add(o, "source", json_object_new_string(
	    a->src == AL_FILE ? "file" : a->src == AL_COMMAND ? "command" :
	    "off"));
	if (a->src == AL_OFF)
		return o;
	if (a->src == AL_FILE) {
		state = a->fd != -1 ? "following" : a->said_unsafe ?
		    "refused" : "waiting";
		json_object_object_add(o, "path", json_object_new_string(
		    a->path));
		json_object_object_add(o, "offset",
		    json_object_new_int64((int64_t)a->off));
		json_object_object_add(o, "saved_offset", a->saved_off >= 0 ?
		    json_object_new_int64(a->saved_off) : NULL);
	} else {
		state = a->pid != 0 ? "running" : "restarting";
		json_object_object_add(o, "command", json_object_new_string(
		    a->argv[0]));
		json_object_object_add(o, "pid", a->pid != 0 ?
		    json_object_new_int64((int64_t)a->pid) : NULL);
		json_object_object_add(o, "restarts",
		    json_object_new_int64((int64_t)a->restarts));
	}
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "lines",
	    json_object_new_int64((int64_t)a->lines));
	json_object_object_add(o, "rejected_keys",
	    json_object_new_int64((int64_t)a->rejected));
	json_object_object_add(o, "good_key_then_refused",
	    json_object_new_int64((int64_t)a->refused_after));
	json_object_object_add(o, "marked_users",
	    json_object_new_int64((int64_t)a->suspect));
	json_object_object_add(o, "dropped",
	    json_object_new_int64((int64_t)a->dropped));
	return o;
}
