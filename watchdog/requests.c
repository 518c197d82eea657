/*
 * Request files: checked (owner, mode, every op rehearsed) before any is
 * applied, applied in order, answered, kept for review; never run twice.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libaudit.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "act.h"
#include "acct.h"
#include "creds.h"
#include "daemon.h"
#include "fsutil.h"
#include "guard.h"
#include "log.h"
#include "misc.h"
#include "policies.h"
#include "report.h"
#include "request.h"
#include "requests.h"
#include "watch.h"
#include "xmalloc.h"

#ifndef AUDIT_RESP_EXEC
#define AUDIT_RESP_EXEC 2210
#endif
#ifndef AUDIT_RESP_ANOMALY
#define AUDIT_RESP_ANOMALY 2200
#endif

/* The change record each kind writes (reset-ssh: the guard's own). */
static const struct {
	int		 type;
	const char	*op;
} kind_records[RQ_NKINDS] = {
	[RQ_RESET_SSH] = { 0, NULL },
	[RQ_SET_KEY] = { AUDIT_USER_MGMT, "sshmedic-keys-set" },
	[RQ_SET_PASSWORD] = { AUDIT_USER_CHAUTHTOK, "sshmedic-password-set" },
	[RQ_ADD_SUDO_USER] = { AUDIT_USER_MGMT, "sshmedic-user-add" },
	[RQ_REMOVE_USER] = { AUDIT_USER_MGMT, "sshmedic-user-remove" },
	[RQ_EXPIRE] = { AUDIT_USER_MGMT, "sshmedic-account-expire" },
};

/* Predicate: paths.requests is a directory only root can write (1/0). */
static int
dir_safe(struct daemon *d)
{
	struct stat sb;

	if (lstat(d->conf.requests_dir, &sb) == -1 || !S_ISDIR(sb.st_mode) ||
	    sb.st_uid != 0 || (sb.st_mode & 022) != 0) {
		error_f("%s: must be a directory of root's not writable by group "
		    "or other; requests are not read", d->conf.requests_dir);
		return 0;
	}
	return 1;
}

/* See requests.h. */
void
requests_start(struct daemon *d)
{
	if (fs_mkdir_p(d->conf.requests_dir, 0700) == -1) {
		error_f("mkdir %s: %s; requests are not read",
		    d->conf.requests_dir, strerror(errno));
		return;
	}
	if (!dir_safe(d))
		return;
	if (!watch_pin(WATCH_PIN_REQUESTS, d->conf.requests_dir))
		error_f("%s cannot be watched: requests are read only when "
		    "`sshmedic request` asks", d->conf.requests_dir);
	requests_scan(d);
}

/* See requests.h. */
void
requests_on_watch(struct daemon *d, const struct watch_ev *ev)
{
	if (strcmp(ev->dir, d->conf.requests_dir) != 0 ||
	    !(ev->mask & (IN_MOVED_TO | IN_CLOSE_WRITE)))
		return;
	/* A moment for the rest of a burst; the scan takes them all. */
	daemon_set_deadline(d, DL_REQUESTS, monotime_ms() + 10);
}

/* reset-ssh: the known-good generation, or the vendor default without one. */
static int
reset_ssh(struct daemon *d, const char *cause, int dry, struct act_out *o)
{
	int vendor = d->guard.good_gen == 0, changed = 0, rv;

	if (vendor && d->conf.sshd_vendor_config[0] == '\0') {
		snprintf(o->why, sizeof(o->why), "no known-good generation and no "
		    "vendor default (sshd.vendor_config)");
		return -1;
	}
	if (dry) {
		snprintf(o->did, sizeof(o->did), "would reset the sshd "
		    "configuration to %s and make sshd serve it", vendor ?
		    "the vendor default" : "the known-good generation");
		return 0;
	}
	rv = guard_reset(d, vendor, cause, &changed, o->did, sizeof(o->did));
	if (rv == -1)
		sm_strlcpy(o->why, o->did, sizeof(o->why));
	o->changed = changed;
	return rv;
}

/* One op, rehearsed (dry) or applied. 0/-1 as the actions. */
static int
run_op(struct daemon *d, const struct req_op *op, const char *cause,
    const char *evid, int dry, struct act_out *o)
{
	char why[256];

	memset(o, 0, sizeof(*o));
	switch (op->kind) {
	case RQ_RESET_SSH:
		return reset_ssh(d, cause, dry, o);
	case RQ_SET_KEY:
		return acct_add_keys(d, op->user, op->keys, op->keyslen,
		    op->replace, evid, dry, o);
	case RQ_SET_PASSWORD:
		return acct_set_password(op->user, NULL, op->hash, dry,
		    ACT_TOOL_TIMEOUT_MS, o);
	case RQ_ADD_SUDO_USER:
		return acct_add_sudo_user(d, op->user, op->keys, op->keyslen,
		    d->conf.sudoers_dir, NULL, 1, evid, dry, ACT_TOOL_TIMEOUT_MS,
		    o);
	case RQ_REMOVE_USER:
		return acct_remove_user(d, op->user, op->keep_home,
		    d->conf.sudoers_dir, evid, dry, ACT_TOOL_TIMEOUT_MS, o);
	case RQ_EXPIRE:
		/* An expiry that is already due locks a protected user out. */
		if (creds_is_protected(d, op->user) &&
		    strcmp(op->date, "never") != 0) {
			time_t now = time(NULL);
			struct tm tm;
			char today[16];

			if (gmtime_r(&now, &tm) != NULL &&
			    strftime(today, sizeof(today), "%Y-%m-%d", &tm) > 0 &&
			    strcmp(op->date, today) <= 0) {
				snprintf(o->why, sizeof(o->why), "%s is a protected "
				    "user: an expiry of %s (today or past) would "
				    "lock it out", op->user, op->date);
				return -1;
			}
		}
		return acct_expire(op->user, op->date, dry, ACT_TOOL_TIMEOUT_MS,
		    o);
	case RQ_NKINDS:
		break;
	}
	snprintf(why, sizeof(why), "unknown request");
	sm_strlcpy(o->why, why, sizeof(o->why));
	return -1;
}

/* NAME.result beside the request: what was done, for whoever asked. */
static void
write_result(int dfd, const char *base, json_object *res)
{
	char name[NAME_MAX + 1];
	const char *text;

	snprintf(name, sizeof(name), "%s" REQ_RESULT_SUFFIX, base);
	text = json_object_to_json_string_ext(res, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (fs_write_atomicat(dfd, name, text, strlen(text), (uid_t)-1,
	    (gid_t)-1, 0600) == -1)
		error_f("write result %s: %s", name, strerror(errno));
}

static void
reject(struct daemon *d, int dfd, const char *file, const char *base,
    const char *evid, const char *reason)
{
	char kept[NAME_MAX + 1], msg[1400];
	json_object *res = json_object_new_object();

	snprintf(kept, sizeof(kept), "%s" REQ_REJECTED_SUFFIX, base);
	/* Kept as it was, under a name that is never read again. */
	if (renameat(dfd, file, dfd, kept) == -1)
		error_f("rename %s: %s", file, strerror(errno));
	snprintf(msg, sizeof(msg), "request %s refused, nothing applied: %s",
	    file, reason);
	/* Under the request's own id: its result, quarantine and drop-in's. */
	report_account(AUDIT_RESP_ANOMALY, "sshmedic-request-rejected", 0, NULL,
	    file, msg, NULL, evid, NULL);
	json_object_object_add(res, "request", json_object_new_string(file));
	json_object_object_add(res, "ok", json_object_new_boolean(0));
	json_object_object_add(res, "event_id", json_object_new_string(evid));
	json_object_object_add(res, "rejected", json_object_new_string(reason));
	json_object_object_add(res, "kept_as", json_object_new_string(kept));
	write_result(dfd, base, res);
	json_object_put(res);
	(void)d;
}

/* Reads the request; -1 with why for a file that must not be trusted. */
static int
read_request(int dfd, const char *file, char **text, size_t *len,
    struct stat *sb, char *why, size_t wlen)
{
	int fd, r;

	*text = NULL;
	if ((fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		snprintf(why, wlen, "open: %s", errno == ELOOP ?
		    "a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, sb) == -1 || !S_ISREG(sb->st_mode)) {
		snprintf(why, wlen, "not a regular file");
		close(fd);
		return -1;
	}
	if (sb->st_uid != 0 || (sb->st_mode & 022) != 0) {
		snprintf(why, wlen, "owned by uid %lu, mode %04o: a request "
		    "must be root's and not writable by group or other",
		    (unsigned long)sb->st_uid, (unsigned)(sb->st_mode & 07777));
		close(fd);
		return -1;
	}
	r = fs_read_fd(fd, REQ_FILE_MAX, text, len);
	if (r == -1)
		snprintf(why, wlen, "read: %s", errno == EFBIG ?
		    "larger than the limit" : strerror(errno));
	close(fd);
	return r;
}

static json_object *
op_json(const struct req_op *op, int ok, const struct act_out *o)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "op",
	    json_object_new_string(request_kind_name(op->kind)));
	json_object_object_add(j, "user", op->user != NULL ?
	    json_object_new_string(op->user) : NULL);
	json_object_object_add(j, "ok", json_object_new_boolean(ok));
	json_object_object_add(j, ok ? "did" : "error", json_object_new_string(
	    ok ? (o->did[0] ? o->did : "nothing to do") : o->why));
	return j;
}

/* Processes one NAME.req of the requests directory. */
static void
process(struct daemon *d, int dfd, const char *file)
{
	struct request r;
	struct act_out o;
	struct stat sb;
	json_object *res, *ops;
	char base[NAME_MAX - 15], evid[33], cause[NAME_MAX + 16];
	char why[1200], kept[NAME_MAX + 1], *text = NULL, *red;
	size_t len = 0, i;
	int rv, all_ok = 1;

	snprintf(base, sizeof(base), "%.*s", (int)(strlen(file) -
	    strlen(REQ_SUFFIX)), file);
	random_id(evid);
	memset(&r, 0, sizeof(r));
	if (read_request(dfd, file, &text, &len, &sb, why, sizeof(why)) == -1) {
		reject(d, dfd, file, base, evid, why);
		return;
	}
	if (request_parse(file, text, len, &r, why, sizeof(why)) == -1)
		goto rejected;
	for (i = 0; i < r.n; i++)
		if (r.op[i].hash != NULL && (sb.st_mode & 077) != 0) {
			snprintf(why, sizeof(why), "%s holds a password hash and "
			    "is readable by group or other (mode %04o)", file,
			    (unsigned)(sb.st_mode & 07777));
			goto rejected;
		}
	snprintf(cause, sizeof(cause), "request %s", file);
	/* Every op rehearsed first: one that cannot be done stops them all. */
	for (i = 0; i < r.n; i++) {
		if (run_op(d, &r.op[i], cause, evid, 1, &o) == -1) {
			snprintf(why, sizeof(why), "%s:%u: %s%s%s: %s", file,
			    r.op[i].line, request_kind_name(r.op[i].kind),
			    r.op[i].user != NULL ? " " : "",
			    r.op[i].user != NULL ? r.op[i].user : "", o.why);
			goto rejected;
		}
	}
	res = json_object_new_object();
	ops = json_object_new_array();
	for (i = 0; i < r.n; i++) {
		rv = run_op(d, &r.op[i], cause, evid, 0, &o);
		if (kind_records[r.op[i].kind].op != NULL &&
		    (o.changed || rv == -1))
			act_record(kind_records[r.op[i].kind].type,
			    kind_records[r.op[i].kind].op, rv == 0, r.op[i].user,
			    cause, &o);
		if (rv == -1)
			all_ok = 0;
		json_object_array_add(ops, op_json(&r.op[i], rv == 0, &o));
		policies_on_request(d, request_kind_name(r.op[i].kind),
		    r.op[i].user, evid);
	}
	/* The kept copy has no hash in it; the request itself goes. */
	snprintf(kept, sizeof(kept), "%s" REQ_DONE_SUFFIX, base);
	red = request_redacted(&r);
	if (fs_write_atomicat(dfd, kept, red, strlen(red), 0, 0, 0600) == -1 ||
	    unlinkat(dfd, file, 0) == -1)
		error_f("%s: %s", kept, strerror(errno));
	free(red);
	snprintf(why, sizeof(why), "request %s: %zu operation%s %s", file, r.n,
	    r.n == 1 ? "" : "s", all_ok ? "done" : "attempted, not all done");
	report_account(AUDIT_RESP_EXEC, "sshmedic-request", all_ok, NULL, file,
	    why, NULL, evid, NULL);
	json_object_object_add(res, "request", json_object_new_string(file));
	json_object_object_add(res, "ok", json_object_new_boolean(all_ok));
	json_object_object_add(res, "event_id", json_object_new_string(evid));
	json_object_object_add(res, "results", ops);
	json_object_object_add(res, "kept_as", json_object_new_string(kept));
	write_result(dfd, base, res);
	json_object_put(res);
	goto out;
 rejected:
	reject(d, dfd, file, base, evid, why);
 out:
	if (text != NULL) {
		explicit_bzero(text, len);
		free(text);
	}
	request_free(&r);
}

static int
is_request(const char *name)
{
	size_t n = strlen(name), s = strlen(REQ_SUFFIX);

	/* A longer name would not leave room for NAME.rejected / .result. */
	return name[0] != '.' && n > s && n <= 200 &&
	    strcmp(name + n - s, REQ_SUFFIX) == 0;
}

/* See requests.h. */
void
requests_scan(struct daemon *d)
{
	char *names[REQUESTS_BATCH];
	struct dirent *de;
	size_t n = 0, i;
	DIR *dir;
	int dfd, fd;

	if (!dir_safe(d))
		return;
	if ((dfd = open(d->conf.requests_dir, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1)
		return;
	if ((fd = dup(dfd)) == -1 || (dir = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		close(dfd);
		return;
	}
	while (n < REQUESTS_BATCH && (de = readdir(dir)) != NULL)
		if (is_request(de->d_name))
			names[n++] = xstrdup(de->d_name);
	closedir(dir);
	/* In name order: a sender that numbers its files gets that order. */
	qsort(names, n, sizeof(*names), sm_strpcmp);
	/* More than a batch: the rest on the next wakeup. */
	if (n == REQUESTS_BATCH)
		daemon_set_deadline(d, DL_REQUESTS, monotime_ms() + 1);
	for (i = 0; i < n; i++) {
		process(d, dfd, names[i]);
		free(names[i]);
	}
	close(dfd);
}
