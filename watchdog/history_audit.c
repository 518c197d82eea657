/*
 * The audit log side of sshmedic history: auparse over auditd's files,
 * keeping the watch records on sshmedic's paths and sshmedic's own records.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libaudit.h>

#include "fsutil.h"
#include "history.h"
#include "misc.h"
#include "xmalloc.h"

#define AUDITD_CONF		"/etc/audit/auditd.conf"
#define AUDITD_LOG_DEFAULT	"/var/log/audit/audit.log"
#define AUDITD_CONF_MAX		(64 * 1024)
#define AUDIT_MAX_ROTATED	99	/* auditd's num_logs limit */
#define AUDIT_UNSET		4294967295LL

/* Predicate: a user-space message type (where sshmedic's records are). */
static int
user_type(int t)
{
	return (t >= AUDIT_FIRST_USER_MSG && t <= AUDIT_LAST_USER_MSG) ||
	    (t >= AUDIT_FIRST_USER_MSG2 && t <= AUDIT_LAST_USER_MSG2);
}

/*
 * A value as audit_encode_nv_string wrote it: "quoted" text, or hex when
 * the text needed encoding. A NUL in decoded hex becomes '?'.
 */
static char *
decode_value(const char *raw)
{
	size_t n = strlen(raw), i;
	char *r;
	int hi, lo;

	if (n >= 2 && raw[0] == '"' && raw[n - 1] == '"')
		return xstrndup(raw + 1, n - 2);
	if (n == 0 || n % 2 != 0)
		return xstrdup(raw);
	for (i = 0; i < n; i++)
		if (sm_hexval((unsigned char)raw[i]) == -1)
			return xstrdup(raw);
	r = xmalloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++) {
		hi = sm_hexval((unsigned char)raw[2 * i]);
		lo = sm_hexval((unsigned char)raw[2 * i + 1]);
		r[i] = (char)(hi * 16 + lo);
		if (r[i] == '\0')
			r[i] = '?';
	}
	r[n / 2] = '\0';
	return r;
}

/* A numeric id field: -1 for unset (4294967295) or garbage. */
static long long
id_value(const char *raw)
{
	long long v;

	if (raw == NULL || parse_ll(raw, 0, AUDIT_UNSET, &v) == -1 ||
	    v == AUDIT_UNSET)
		return -1;
	return v;
}

static char *
interp(auparse_state_t *au)
{
	const char *v = auparse_interpret_field(au);

	return xstrdup(v != NULL ? v : "");
}

static void
take_syscall(auparse_state_t *au, struct hist_rec *r, int *at_cwd)
{
	const char *name, *raw;
	long long v;

	if (auparse_first_field(au) <= 0)
		return;
	do {
		name = auparse_get_field_name(au);
		raw = auparse_get_field_str(au);
		if (name == NULL || raw == NULL)
			continue;
		if (strcmp(name, "syscall") == 0 && r->syscall == NULL)
			r->syscall = interp(au);
		else if (strcmp(name, "success") == 0)
			r->success = strcmp(raw, "yes") == 0;
		else if (strcmp(name, "exit") == 0 &&
		    parse_ll(raw, LLONG_MIN, LLONG_MAX, &v) == 0)
			r->exit = v;
		else if (strcmp(name, "a0") == 0)
			*at_cwd = strcasecmp(raw, "ffffff9c") == 0 ||
			    strcasecmp(raw, "ffffffffffffff9c") == 0;
		else if (strcmp(name, "pid") == 0)
			r->pid = id_value(raw);
		else if (strcmp(name, "ppid") == 0)
			r->ppid = id_value(raw);
		else if (strcmp(name, "auid") == 0 && r->auid_name == NULL) {
			r->auid = id_value(raw);
			r->auid_name = interp(au);
		} else if (strcmp(name, "uid") == 0 && r->uid_name == NULL) {
			r->uid = id_value(raw);
			r->uid_name = interp(au);
		} else if (strcmp(name, "ses") == 0)
			r->ses = id_value(raw);
		else if (strcmp(name, "tty") == 0 && r->tty == NULL)
			r->tty = xstrdup(raw);
		else if (strcmp(name, "comm") == 0 && r->comm == NULL)
			r->comm = interp(au);
		else if (strcmp(name, "exe") == 0 && r->exe == NULL)
			r->exe = interp(au);
		else if (strcmp(name, "key") == 0 && r->key == NULL &&
		    strcmp(raw, "(null)") != 0)
			r->key = interp(au);
	} while (auparse_next_field(au) > 0);
}

static void
take_path(auparse_state_t *au, struct hist_rec *r)
{
	struct hist_path *p;
	const char *name;
	long long v;

	if (r->npaths >= HIST_MAX_PATHS || auparse_first_field(au) <= 0)
		return;
	p = &r->paths[r->npaths];
	do {
		if ((name = auparse_get_field_name(au)) == NULL)
			continue;
		if (strcmp(name, "name") == 0 && p->name == NULL &&
		    strcmp(auparse_get_field_str(au), "(null)") != 0)
			p->name = interp(au);
		else if (strcmp(name, "nametype") == 0)
			sm_strlcpy(p->nametype, auparse_get_field_str(au),
			    sizeof(p->nametype));
		else if (strcmp(name, "dev") == 0)
			sm_strlcpy(p->dev, auparse_get_field_str(au),
			    sizeof(p->dev));
		else if (strcmp(name, "inode") == 0 &&
		    parse_ll(auparse_get_field_str(au), 0, LLONG_MAX, &v) == 0)
			p->ino = (unsigned long long)v;
	} while (auparse_next_field(au) > 0);
	if (p->name != NULL)
		r->npaths++;
}

static char *
take_cwd(auparse_state_t *au)
{
	const char *name;

	if (auparse_first_field(au) <= 0)
		return NULL;
	do {
		name = auparse_get_field_name(au);
		if (name != NULL && strcmp(name, "cwd") == 0)
			return interp(au);
	} while (auparse_next_field(au) > 0);
	return NULL;
}

/* A comma list into files[]. */
static void
split_files(struct hist_ev *e, const char *list)
{
	const char *p = list, *comma;
	size_t n;

	while (*p != '\0') {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n > 0) {
			e->files = xreallocarray(e->files, e->nfiles + 1,
			    sizeof(*e->files));
			e->files[e->nfiles++] = xstrndup(p, n);
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
}

/* 1 when this record is one of sshmedic's (op=sshmedic-...), filled in e. */
static int
take_user(auparse_state_t *au, struct hist_ev *e)
{
	const char *name, *raw;
	char *v;
	long long n;

	memset(e, 0, sizeof(*e));
	e->pid = -1;
	if (auparse_first_field(au) <= 0)
		return 0;
	do {
		name = auparse_get_field_name(au);
		raw = auparse_get_field_str(au);
		if (name == NULL || raw == NULL)
			continue;
		if (strcmp(name, "pid") == 0 && e->pid == -1)
			e->pid = id_value(raw);
		else if (strcmp(name, "gen") == 0 &&
		    parse_ll(raw, 0, LONG_MAX, &n) == 0)
			e->gen = (unsigned long)n;
		else if (strcmp(name, "prev_gen") == 0 &&
		    parse_ll(raw, 0, LONG_MAX, &n) == 0)
			e->prev_gen = (unsigned long)n;
		else if (strcmp(name, "evid") == 0 && sm_token_ok(raw, 32, "-"))
			sm_strlcpy(e->evid, raw, sizeof(e->evid));
		else if (strcmp(name, "res") == 0 && e->res == NULL)
			e->res = xstrdup(strcmp(raw, "success") == 0 ||
			    strcmp(raw, "1") == 0 ? "success" : "failed");
		else if (strcmp(name, "op") == 0 && e->op == NULL)
			e->op = decode_value(raw);
		else if (strcmp(name, "reason") == 0 && e->reason == NULL)
			e->reason = decode_value(raw);
		else if (strcmp(name, "unit") == 0 && e->unit == NULL)
			e->unit = decode_value(raw);
		else if (strcmp(name, "acct") == 0 && e->acct == NULL)
			e->acct = decode_value(raw);
		else if (strcmp(name, "files") == 0 && e->files == NULL) {
			v = decode_value(raw);
			split_files(e, v);
			free(v);
		}
	} while (auparse_next_field(au) > 0);
	if (e->op == NULL || strncmp(e->op, "sshmedic-", 9) != 0) {
		hist_ev_clear(e);
		return 0;
	}
	e->type = xstrdup(auparse_get_type_name(au) != NULL ?
	    auparse_get_type_name(au) : "?");
	if (e->res == NULL)
		e->res = xstrdup("?");
	e->in_audit = 1;
	return 1;
}

/* Predicate: the program is sshmedicd (wherever it is installed). */
static int
is_daemon_exe(const char *exe)
{
	const char *b = strrchr(exe, '/');

	return strcmp(b != NULL ? b + 1 : exe, "sshmedicd") == 0;
}

/* Predicate: openat, renameat2, ...: the first argument is a directory fd. */
static int
at_family(const char *sc)
{
	size_t n = strlen(sc);

	return (n > 2 && strcmp(sc + n - 2, "at") == 0) ||
	    (n > 3 && strcmp(sc + n - 3, "at2") == 0);
}

static void
set_name(struct hist_path *p, const char *dir)
{
	char *n;

	xasprintf(&n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
	    p->name);
	free(p->name);
	p->name = n;
	p->resolved = 1;
}

/*
 * A relative name is the cwd's for AT_FDCWD, else a directory
 * descriptor's: that directory is told by the PARENT item's inode when
 * the watches know it (the k-th name belongs to the k-th PARENT: renameat
 * has two). The kernel names a PARENT of a bare name by the cwd even when
 * a descriptor was given, so its inode goes first.
 */
static void
resolve_paths(struct hist_rec *r, const char *cwd, int at_cwd,
    const struct awatch_set *ws)
{
	struct hist_path *q, *par;
	const char *dir;
	size_t i, np = 0, k = 0, parent[HIST_MAX_PATHS];

	for (i = 0; i < r->npaths; i++)
		if (strcmp(r->paths[i].nametype, "PARENT") == 0)
			parent[np++] = i;
	for (i = 0; i < r->npaths; i++) {
		q = &r->paths[i];
		if (strcmp(q->nametype, "PARENT") == 0) {
			if ((dir = awatch_dir_of(ws, q->dev, q->ino)) != NULL) {
				free(q->name);
				q->name = xstrdup(dir);
				q->resolved = 1;
			} else if (q->name[0] == '/')
				q->resolved = at_cwd;
			else if (at_cwd && cwd != NULL && cwd[0] == '/')
				set_name(q, cwd);
			continue;
		}
		if (q->name[0] == '/')
			q->resolved = 1;
		else if (at_cwd && cwd != NULL && cwd[0] == '/')
			set_name(q, cwd);
		else if (np > 0) {
			par = &r->paths[parent[k < np ? k : np - 1]];
			if ((dir = awatch_dir_of(ws, par->dev, par->ino)) != NULL)
				set_name(q, dir);
		}
		k++;
	}
}

/* Predicate: the record is about a watched path, or carries our key. */
static int
selected(const struct hist_rec *r, const struct awatch_set *ws)
{
	size_t i, n = strlen(ws->prefix);

	if (r->key != NULL && strncmp(r->key, ws->prefix, n) == 0 &&
	    r->key[n] == '-')
		return 1;
	for (i = 0; i < r->npaths; i++)
		if (r->paths[i].resolved &&
		    awatch_match(ws, r->paths[i].name) != NULL)
			return 1;
	return 0;
}

/* Keeps at most cap: when full the oldest tenth goes (and truncated is set). */
static void *
room(void *arr, size_t *n, size_t size, size_t cap, int *truncated,
    void (*clear)(void *))
{
	size_t drop, i;

	if (*n >= cap) {
		drop = cap / 10;
		for (i = 0; i < drop; i++)
			clear((char *)arr + i * size);
		memmove(arr, (char *)arr + drop * size, (*n - drop) * size);
		*n -= drop;
		*truncated = 1;
	}
	return xreallocarray(arr, *n + 1, size);
}

static void
rec_clear_v(void *p)
{
	hist_rec_clear(p);
}

static void
ev_clear_v(void *p)
{
	hist_ev_clear(p);
}

static void
read_event(struct hist *h, auparse_state_t *au, const struct awatch_set *ws)
{
	const au_event_t *ts = auparse_get_timestamp(au);
	struct hist_rec r;
	struct hist_ev e;
	char *cwd = NULL;
	int type, have_syscall = 0, at_cwd = 0;
	int64_t t;

	if (ts == NULL || auparse_first_record(au) <= 0)
		return;
	t = (int64_t)ts->sec * 1000 + ts->milli;
	memset(&r, 0, sizeof(r));
	r.pid = r.ppid = r.auid = r.uid = r.ses = -1;
	do {
		type = auparse_get_type(au);
		if (type == AUDIT_SYSCALL && have_syscall == 0) {
			take_syscall(au, &r, &at_cwd);
			have_syscall = 1;
		} else if (type == AUDIT_PATH)
			take_path(au, &r);
		else if (type == AUDIT_CWD && cwd == NULL)
			cwd = take_cwd(au);
		else if (type == AUDIT_CONFIG_CHANGE)
			have_syscall = -1;	/* a rule loaded: not a change of the file */
		else if (user_type(type) && take_user(au, &e)) {
			e.time_ms = t;
			e.serial = ts->serial;
			h->evs = room(h->evs, &h->nevs, sizeof(*h->evs),
			    HIST_MAX_EVS, &h->truncated, ev_clear_v);
			h->evs[h->nevs++] = e;
		}
	} while (auparse_next_record(au) > 0);
	if (have_syscall == 1) {
		/* open, rename, unlink: relative names are the cwd's */
		if (r.syscall != NULL && !at_family(r.syscall))
			at_cwd = 1;
		resolve_paths(&r, cwd, at_cwd, ws);
		if (selected(&r, ws)) {
			r.time_ms = t;
			r.serial = ts->serial;
			r.by_daemon = r.exe != NULL && is_daemon_exe(r.exe);
			h->recs = room(h->recs, &h->nrecs, sizeof(*h->recs),
			    HIST_MAX_RECS, &h->truncated, rec_clear_v);
			h->recs[h->nrecs++] = r;
			memset(&r, 0, sizeof(r));
		}
	}
	hist_rec_clear(&r);
	free(cwd);
}

int
hist_audit_read(struct hist *h, auparse_state_t *au,
    const struct awatch_set *ws, int64_t since_ms)
{
	int r;

	auparse_set_escape_mode(au, AUPARSE_ESC_RAW);
	if (ausearch_add_timestamp_item(au, ">=", (time_t)(since_ms / 1000),
	    (unsigned int)(since_ms % 1000), AUSEARCH_RULE_CLEAR) == -1 ||
	    ausearch_set_stop(au, AUSEARCH_STOP_EVENT) == -1)
		return -1;
	/* ausearch_next_event moves past the event it returned before. */
	while ((r = ausearch_next_event(au)) > 0)
		read_event(h, au, ws);
	return r < 0 ? -1 : 0;
}

/* auditd.conf's log_file, or the default. */
static char *
auditd_log_file(void)
{
	char *buf = NULL, *line, *save = NULL, *k, *v, *e, *r = NULL;
	size_t len;

	if (fs_read_file(AUDITD_CONF, AUDITD_CONF_MAX, 1, &buf, &len) == -1)
		return xstrdup(AUDITD_LOG_DEFAULT);
	for (line = strtok_r(buf, "\n", &save); line != NULL && r == NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		for (k = line; isspace((unsigned char)*k); k++)
			;
		if (strncmp(k, "log_file", 8) != 0 || (v = strchr(k, '=')) == NULL)
			continue;
		for (e = k + 8; isspace((unsigned char)*e); e++)
			;
		if (e != v)
			continue;
		for (v++; isspace((unsigned char)*v); v++)
			;
		for (e = v + strlen(v); e > v && isspace((unsigned char)e[-1]); e--)
			;
		if (e > v && *v == '/')
			r = xstrndup(v, (size_t)(e - v));
	}
	free(buf);
	return r != NULL ? r : xstrdup(AUDITD_LOG_DEFAULT);
}

/* An open descriptor of path; -1 with err naming the file and errno's text. */
static int
open_log(const char *path, struct stat *st, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), e;

	if (fd == -1 || fstat(fd, st) == -1) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		if (fd != -1)
			close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void
logs_add(struct hist_logs *l, const char *name, int fd)
{
	l->names = xreallocarray(l->names, l->n + 1, sizeof(*l->names));
	l->paths = xreallocarray(l->paths, l->n + 2, sizeof(*l->paths));
	l->fds = xreallocarray(l->fds, l->n + 1, sizeof(*l->fds));
	l->names[l->n] = xstrdup(name);
	xasprintf(&l->paths[l->n], "/proc/self/fd/%d", fd);
	l->fds[l->n++] = fd;
	l->paths[l->n] = NULL;
}

void
hist_logs_close(struct hist_logs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->names[i]);
		free(l->paths[i]);
		close(l->fds[i]);
	}
	free(l->names);
	free(l->paths);
	free(l->fds);
	memset(l, 0, sizeof(*l));
}

/* Oldest first: reverses what was opened newest first. */
static void
logs_reverse(struct hist_logs *l)
{
	size_t i, j;
	char *t;
	int fd;

	for (i = 0, j = l->n; j > i + 1; i++, j--) {
		t = l->names[i], l->names[i] = l->names[j - 1], l->names[j - 1] = t;
		t = l->paths[i], l->paths[i] = l->paths[j - 1], l->paths[j - 1] = t;
		fd = l->fds[i], l->fds[i] = l->fds[j - 1], l->fds[j - 1] = fd;
	}
}

/*
 * One try: the log, then its rotations back to the first last written
 * before since_ms. 1 done, 0 auditd rotated meanwhile (the names moved:
 * try again), -1 the log cannot be read.
 */
static int
logs_try(const char *base, int64_t since_ms, struct hist_logs *l, char *err,
    size_t errlen)
{
	struct stat st, first, now;
	char *p, e2[512];
	int fd, i;

	if ((fd = open_log(base, &first, err, errlen)) == -1) {
		if (errno == ENOENT)
			sm_appendf(err, errlen, " ", "(no audit log: is auditd "
			    "installed and running?)");
		return -1;
	}
	logs_add(l, base, fd);
	/* A file last written before since holds nothing newer. */
	for (i = 1; i <= AUDIT_MAX_ROTATED; i++) {
		xasprintf(&p, "%s.%d", base, i);
		fd = open_log(p, &st, e2, sizeof(e2));
		if (fd != -1 && (int64_t)st.st_mtime * 1000 + 999 >= since_ms)
			logs_add(l, p, fd);
		else if (fd != -1)
			close(fd);
		free(p);
		if (fd == -1 || (int64_t)st.st_mtime * 1000 + 999 < since_ms)
			break;
	}
	if (stat(base, &now) == -1 || now.st_ino != first.st_ino ||
	    now.st_dev != first.st_dev)
		return 0;
	logs_reverse(l);
	return 1;
}

int
hist_logs_open(const char *explicit, int64_t since_ms, struct hist_logs *l,
    char *err, size_t errlen)
{
	struct stat st;
	char *base;
	int fd, r = 0, tries;

	memset(l, 0, sizeof(*l));
	if (explicit != NULL) {
		if ((fd = open_log(explicit, &st, err, errlen)) == -1)
			return -1;
		logs_add(l, explicit, fd);
		return 0;
	}
	/* Held open, auditd's rotation cannot change what is read. */
	base = auditd_log_file();
	for (tries = 0; tries < 3 && r == 0; tries++) {
		hist_logs_close(l);
		r = logs_try(base, since_ms, l, err, errlen);
	}
	free(base);
	if (r == 1)
		return 0;
	if (r == 0)
		snprintf(err, errlen, "the audit log was rotated 3 times while "
		    "it was opened");
	hist_logs_close(l);
	return -1;
}
