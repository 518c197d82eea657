/*
 * Every decision sshmedic takes becomes one audit record, one syslog line
 * and one JSON line sharing an event id, so any of the three can be reviewed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libaudit.h>

#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "report.h"
#include "xmalloc.h"

/*
 * Caps on untrusted values before encoding (hex doubles them), so that a
 * record with every field at its cap still fits in libaudit's 8970-byte
 * buffer next to exe=, hostname=, addr= and terminal=.
 */
#define REPORT_CAP_FILES	2000
#define REPORT_CAP_REASON	1000
#define REPORT_CAP_SHORT	100	/* op, unit, acct */
#define REPORT_AUDIT_BUF	7000
#define REPORT_DETAIL_MAX	4096
#define REPORT_SYSLOG_BUF	4096

static struct {
	int	 open;
	int	 audit_fd;	/* -1: audit off or refused */
	int	 syslog;
	int	 json_fd;
	char	*json_path;
	char	 ident[64];
	unsigned long lost;
	unsigned long audit_lost;	/* of lost: audit records */
	unsigned long json_lost;	/* of lost: JSON lines */
	int	 json_failing;	/* a failure was logged; quiet until a success */
	int	 audit_failing;
	report_hook_fn hook;	/* told of every event emitted */
	void	*hook_arg;
} rep = { 0, -1, 0, -1, NULL, "", 0, 0, 0, 0, 0, NULL, NULL };

/* Predicate: an id we can print unencoded in every sink. */
static int
evid_ok(const char *id)
{
	return sm_token_ok(id, 32, "-");
}

/* Predicate: op is one token that needs no encoding. */
static int
op_ok(const char *op)
{
	size_t i;

	for (i = 0; op[i] != '\0'; i++)
		if (!((op[i] >= '0' && op[i] <= '9') ||
		    (op[i] >= 'a' && op[i] <= 'z') ||
		    (op[i] >= 'A' && op[i] <= 'Z') || op[i] == '-' ||
		    op[i] == '_'))
			return 0;
	return i > 0 && i <= REPORT_CAP_SHORT;
}

/*
 * Copies at most cap bytes of s; a cut comma list loses whole entries and
 * says so with a trailing ",...".
 */
static char *
capped(const char *s, size_t cap, int list)
{
	size_t n = strlen(s);
	char *r, *comma;

	if (n <= cap)
		return xstrdup(s);
	r = xstrndup(s, cap - 4);
	if (list && (comma = strrchr(r, ',')) != NULL)
		*comma = '\0';
	n = strlen(r);
	r = xreallocarray(r, 1, n + 5);
	memcpy(r + n, list ? ",..." : "...", list ? 5 : 4);
	return r;
}

/* Appends " name=<encoded value>" at *o; -1 with ENOSPC when full. */
static int
add_nv(char *buf, size_t len, size_t *o, const char *name, const char *v,
    size_t cap, int list)
{
	char *c, *enc;
	int n;

	if (v == NULL)
		return 0;
	c = capped(v, cap, list);
	enc = audit_encode_nv_string(name, c, (unsigned int)strlen(c));
	free(c);
	if (enc == NULL)
		fatal_f("audit_encode_nv_string: out of memory");
	n = snprintf(buf + *o, len - *o, "%s%s", *o > 0 ? " " : "", enc);
	free(enc);
	if (n < 0 || (size_t)n >= len - *o) {
		errno = ENOSPC;
		return -1;
	}
	*o += (size_t)n;
	return 0;
}

static int
add_raw(char *buf, size_t len, size_t *o, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
add_raw(char *buf, size_t len, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*o > 0) {
		if (*o + 1 >= len) {
			errno = ENOSPC;
			return -1;
		}
		buf[(*o)++] = ' ';
		buf[*o] = '\0';
	}
	va_start(ap, fmt);
	n = vsnprintf(buf + *o, len - *o, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *o) {
		errno = ENOSPC;
		return -1;
	}
	*o += (size_t)n;
	return 0;
}

/* 0 on success, -1 with ENOSPC when buf is too small. */
int
report_format_audit(const struct report_ev *ev, const char *evid, char *buf,
    size_t len)
{
	const char *op = ev->op != NULL ? ev->op : "sshmedic-unknown";
	size_t o = 0;

	if (len == 0) {
		errno = ENOSPC;
		return -1;
	}
	buf[0] = '\0';
	if (op_ok(op)) {
		if (add_raw(buf, len, &o, "op=%s", op) == -1)
			return -1;
	} else if (add_nv(buf, len, &o, "op", op, REPORT_CAP_SHORT, 0) == -1)
		return -1;
	if (ev->gen != 0 && add_raw(buf, len, &o, "gen=%lu", ev->gen) == -1)
		return -1;
	if (ev->prev_gen != 0 &&
	    add_raw(buf, len, &o, "prev_gen=%lu", ev->prev_gen) == -1)
		return -1;
	if (add_nv(buf, len, &o, "files", ev->files, REPORT_CAP_FILES, 1) == -1 ||
	    add_nv(buf, len, &o, "reason", ev->reason, REPORT_CAP_REASON, 0) == -1 ||
	    add_nv(buf, len, &o, "unit", ev->unit, REPORT_CAP_SHORT, 0) == -1 ||
	    add_nv(buf, len, &o, "acct", ev->user, REPORT_CAP_SHORT, 0) == -1)
		return -1;
	return add_raw(buf, len, &o, "evid=%s", evid);
}

/* Appends to buf; when it does not fit, buf stays terminated and full. */
static void
sl_add(char *buf, size_t len, size_t *o, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
sl_add(char *buf, size_t len, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *o, len - *o, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *o)
		*o = len - 1;
	else
		*o += (size_t)n;
}

/* Appends name="value" with quotes, backslashes and controls escaped. */
static void
syslog_nv(char *buf, size_t len, size_t *o, const char *name, const char *v,
    size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	size_t i;

	if (v == NULL)
		return;
	sl_add(buf, len, o, " %s=\"", name);
	for (p = (const unsigned char *)v, i = 0; *p != '\0' && i < cap;
	    p++, i++) {
		if (*o + 6 >= len)
			break;
		if (*p < 0x20 || *p == 0x7f) {
			buf[(*o)++] = '\\';
			buf[(*o)++] = 'x';
			buf[(*o)++] = hex[*p >> 4];
			buf[(*o)++] = hex[*p & 0xf];
		} else {
			if (*p == '"' || *p == '\\')
				buf[(*o)++] = '\\';
			buf[(*o)++] = (char)*p;
		}
	}
	if (*o + 1 < len)
		buf[(*o)++] = '"';
	buf[*o] = '\0';
}

/* Always terminates buf (len > 0); values past the end are cut. */
void
report_format_syslog(const struct report_ev *ev, const char *evid, char *buf,
    size_t len)
{
	const char *tname = audit_msg_type_to_name(ev->type);
	size_t o = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (tname != NULL)
		sl_add(buf, len, &o, "type=%s", tname);
	else
		sl_add(buf, len, &o, "type=UNKNOWN[%d]", ev->type);
	syslog_nv(buf, len, &o, "op", ev->op, REPORT_CAP_SHORT);
	sl_add(buf, len, &o, " res=%s", ev->success ? "success" : "failed");
	if (ev->gen != 0)
		sl_add(buf, len, &o, " gen=%lu", ev->gen);
	if (ev->prev_gen != 0)
		sl_add(buf, len, &o, " prev_gen=%lu", ev->prev_gen);
	syslog_nv(buf, len, &o, "files", ev->files, REPORT_CAP_FILES);
	syslog_nv(buf, len, &o, "reason", ev->reason, REPORT_CAP_REASON);
	syslog_nv(buf, len, &o, "unit", ev->unit, REPORT_CAP_SHORT);
	syslog_nv(buf, len, &o, "acct", ev->user, REPORT_CAP_SHORT);
	sl_add(buf, len, &o, " evid=%s", evid);
}

static void
json_add_str(struct json_object *o, const char *key, const char *v,
    size_t max)
{
	char *c;
	int cut;

	if (v == NULL)
		return;
	c = sm_utf8_clean(v, max, &cut);
	json_object_object_add(o, key, json_object_new_string(c));
	free(c);
	if (cut && strcmp(key, "detail") == 0)
		json_object_object_add(o, "detail_truncated",
		    json_object_new_boolean(1));
}

static void
json_add_files(struct json_object *o, const char *files)
{
	struct json_object *a;
	const char *p = files, *comma;
	char *one;
	size_t n;
	int cut;

	if (files == NULL)
		return;
	a = json_object_new_array();
	for (;;) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n > 0) {
			char *raw = xstrndup(p, n);

			one = sm_utf8_clean(raw, n, &cut);
			json_object_array_add(a, json_object_new_string(one));
			free(one);
			free(raw);
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	json_object_object_add(o, "files", a);
}

/* A malloc'd single-line JSON document; never NULL. */
char *
report_format_json(const struct report_ev *ev, const char *evid,
    long long time_ms)
{
	struct json_object *o = json_object_new_object();
	const char *tname = audit_msg_type_to_name(ev->type), *js;
	char tbuf[64], num[32];
	struct tm tm;
	time_t t = (time_t)(time_ms / 1000);
	char *r;

	if (o == NULL)
		fatal_f("json_object_new_object failed");
	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(tbuf, sizeof(tbuf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(time_ms % 1000));
	json_object_object_add(o, "time", json_object_new_string(tbuf));
	json_object_object_add(o, "id", json_object_new_string(evid));
	if (tname == NULL) {
		snprintf(num, sizeof(num), "UNKNOWN[%d]", ev->type);
		tname = num;
	}
	json_object_object_add(o, "type", json_object_new_string(tname));
	json_add_str(o, "op", ev->op, REPORT_CAP_SHORT);
	json_object_object_add(o, "res",
	    json_object_new_string(ev->success ? "success" : "failed"));
	if (ev->gen != 0)
		json_object_object_add(o, "gen",
		    json_object_new_int64((int64_t)ev->gen));
	if (ev->prev_gen != 0)
		json_object_object_add(o, "prev_gen",
		    json_object_new_int64((int64_t)ev->prev_gen));
	json_add_files(o, ev->files);
	json_add_str(o, "reason", ev->reason, REPORT_DETAIL_MAX);
	json_add_str(o, "unit", ev->unit, REPORT_CAP_SHORT);
	json_add_str(o, "acct", ev->user, REPORT_CAP_SHORT);
	json_add_str(o, "detail", ev->detail, REPORT_DETAIL_MAX);
	if ((js = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) == NULL)
		fatal_f("json_object_to_json_string_ext failed");
	r = xstrdup(js);
	json_object_put(o);
	return r;
}

static int
json_open(void)
{
	char *dir = NULL, *base = NULL;

	if (fs_split(rep.json_path, &dir, &base) == 0) {
		if (fs_mkdir_p(dir, 0700) == -1)
			debug_f("mkdir %s: %s", dir, strerror(errno));
		free(dir);
		free(base);
	}
	rep.json_fd = open(rep.json_path, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	return rep.json_fd == -1 ? -1 : 0;
}

/* After logrotate moved the file away, write to a new one at the path. */
static void
json_reopen_if_moved(void)
{
	struct stat a, b;

	if (rep.json_fd != -1 && fstat(rep.json_fd, &a) == 0 &&
	    lstat(rep.json_path, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		return;
	if (rep.json_fd != -1)
		close(rep.json_fd);
	rep.json_fd = -1;
	(void)json_open();
}

static void
audit_start(void)
{
	if ((rep.audit_fd = audit_open()) == -1) {
		error_f("audit_open: %s; audit records are off",
		    strerror(errno));
		return;
	}
}

/* 0 on success; -1 when the JSON log could not be opened. */
int
report_open(const struct report_cfg *cfg)
{
	int r = 0;

	report_close();
	rep.open = 1;
	rep.syslog = cfg->syslog;
	if (cfg->ident != NULL && cfg->syslog) {
		/* syslog keeps the pointer: give it storage that stays */
		sm_strlcpy(rep.ident, cfg->ident, sizeof(rep.ident));
		openlog(rep.ident, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	}
	if (cfg->audit)
		audit_start();
	if (cfg->json_path != NULL && cfg->json_path[0] != '\0') {
		rep.json_path = xstrdup(cfg->json_path);
		if (json_open() == -1) {
			error_f("open %s: %s", rep.json_path, strerror(errno));
			rep.json_failing = 1;
			r = -1;
		}
	}
	return r;
}

/* Closes every sink; report_emit afterwards writes nothing. */
void
report_close(void)
{
	if (rep.audit_fd != -1)
		audit_close(rep.audit_fd);
	if (rep.json_fd != -1)
		close(rep.json_fd);
	free(rep.json_path);
	rep.audit_fd = rep.json_fd = -1;
	rep.json_path = NULL;
	rep.open = rep.syslog = 0;
	rep.json_failing = rep.audit_failing = 0;
}

static void
emit_audit(const struct report_ev *ev, const char *evid)
{
	char msg[REPORT_AUDIT_BUF];
	int r, e;

	if (rep.audit_fd == -1)
		return;
	if (report_format_audit(ev, evid, msg, sizeof(msg)) == -1) {
		error_f("audit record %s does not fit", evid);
		rep.lost++;
		rep.audit_lost++;
		return;
	}
	/*
	 * A NULL addr makes libaudit resolve the host name and a NULL tty
	 * makes it probe our stdio: pass both, numeric and fixed.
	 */
	errno = 0;
	r = audit_log_user_message(rep.audit_fd, ev->type, msg, "?",
	    "127.0.0.1", "?", ev->success ? 1 : 0);
	if (r > 0) {
		rep.audit_failing = 0;
		return;
	}
	e = errno != 0 ? errno : (r < 0 ? -r : ECONNREFUSED);
	if (e == ECONNREFUSED || e == EPERM || e == EPROTONOSUPPORT) {
		error_f("audit refused the record (%s); audit records are off",
		    strerror(e));
		audit_close(rep.audit_fd);
		rep.audit_fd = -1;
		return;
	}
	rep.lost++;
	rep.audit_lost++;
	if (!rep.audit_failing)
		error_f("audit_log_user_message: %s", strerror(e));
	rep.audit_failing = 1;
}

static void
emit_json(const struct report_ev *ev, const char *evid)
{
	char *line, *nl;
	size_t n;
	ssize_t w;

	if (rep.json_path == NULL)
		return;
	json_reopen_if_moved();
	line = report_format_json(ev, evid, (long long)realtime_ms());
	n = strlen(line);
	nl = xmalloc(n + 2);
	memcpy(nl, line, n);
	nl[n] = '\n';
	nl[n + 1] = '\0';
	free(line);
	/* one write per line: O_APPEND keeps concurrent lines whole */
	do {
		w = rep.json_fd == -1 ? -1 : write(rep.json_fd, nl, n + 1);
	} while (w == -1 && errno == EINTR);
	if (w == (ssize_t)(n + 1))
		rep.json_failing = 0;
	else {
		rep.lost++;
		rep.json_lost++;
		if (!rep.json_failing)
			error_f("write %s: %s", rep.json_path, w == -1 ?
			    strerror(errno) : "short write");
		rep.json_failing = 1;
	}
	free(nl);
}

/* Never fails; what could not be written is counted in report_lost(). */
void
report_emit(const struct report_ev *ev, char evid_out[33])
{
	char evid[33], line[REPORT_SYSLOG_BUF];

	if (ev->evid != NULL && evid_ok(ev->evid))
		sm_strlcpy(evid, ev->evid, sizeof(evid));
	else {
		if (ev->evid != NULL)
			debug_f("unusable event id, making a new one");
		random_id(evid);
	}
	if (evid_out != NULL)
		sm_strlcpy(evid_out, evid, 33);
	if (!rep.open)
		return;
	emit_audit(ev, evid);
	if (rep.syslog) {
		report_format_syslog(ev, evid, line, sizeof(line));
		syslog(LOG_AUTHPRIV | (ev->success ? LOG_NOTICE : LOG_WARNING),
		    "%s", line);
	}
	emit_json(ev, evid);
	if (rep.hook != NULL)
		rep.hook(ev, rep.hook_arg);
}

/* See report.h. */
void
report_set_hook(report_hook_fn fn, void *arg)
{
	rep.hook = fn;
	rep.hook_arg = arg;
}

/* Count of records lost since start (never reset by report_close). */
unsigned long
report_lost(void)
{
	return rep.lost;
}

/* Of report_lost(): audit records, JSON lines. */
unsigned long
report_lost_audit(void)
{
	return rep.audit_lost;
}

unsigned long
report_lost_json(void)
{
	return rep.json_lost;
}

/* Predicate: audit records are being written. */
int
report_audit_active(void)
{
	return rep.audit_fd != -1;
}

void
report_account(int type, const char *op, int ok, const char *user,
    const char *files, const char *reason, const char *detail,
    const char *evid, char evid_out[33])
{
	struct report_ev ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.op = op;
	ev.success = ok;
	ev.user = user;
	ev.files = files;
	ev.reason = reason;
	ev.detail = detail;
	ev.evid = evid;
	report_emit(&ev, evid_out);
}

void
report_simple(int type, const char *op, int ok, unsigned long gen,
    const char *unit, const char *files, const char *reason, char evid_out[33])
{
	struct report_ev ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.op = op;
	ev.success = ok;
	ev.gen = gen;
	ev.unit = unit;
	ev.files = files;
	ev.reason = reason;
	report_emit(&ev, evid_out);
}
