/*
 * sshmedic history: the known-good generations and one timeline of who
 * changed a watched file (audit log) and what sshmedic did about it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <auparse.h>
#include <json-c/json.h>

#include "auditwatch.h"
#include "cli.h"
#include "history.h"
#include "misc.h"
#include "since.h"
#include "store.h"
#include "xmalloc.h"

#define HISTORY_TAIL_BYTES	(512 * 1024)
#define HISTORY_TAIL_MAX	(64 * 1024 * 1024)	/* read back for --since */
#define HISTORY_DEFAULT		20
#define HISTORY_MAX_COUNT	10000
#define HISTORY_NO_LOG_MS	(24 * 3600 * 1000LL)	/* no events: the last day */
#define HISTORY_SLACK_MS	10000

struct hist_opts {
	long long count;
	int	 count_given;
	const char *since;
	const char *input;
};

static int
usage(FILE *f)
{
	fprintf(f, "usage: sshmedic history [COUNT] [--since WHEN] "
	    "[--input AUDITLOG] [--json]\n"
	    "  the known-good generations, and a timeline: who changed a "
	    "watched file\n"
	    "  (audit watch records, see sshmedic audit-rules) and what "
	    "sshmedic decided\n"
	    "  COUNT: the last COUNT events (default %d); with --since, the "
	    "last COUNT entries\n"
	    "  WHEN: now, recent, boot, today, yesterday, this-week, week-ago, "
	    "this-month,\n"
	    "        this-year, 30m, 1h, 2d, 2026-12-01, 2026-12-01T08:00[:00][Z], "
	    "08:00, @EPOCH\n"
	    "  --input: read this audit log instead of auditd's\n",
	    HISTORY_DEFAULT);
	return f == stdout ? 0 : EX_USAGE;
}

static int
parse_opts(struct cli *c, int argc, char **argv, struct hist_opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->count = HISTORY_DEFAULT;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0)
			return usage(stdout) == 0 ? 1 : -1;
		if (strcmp(argv[i], "--json") == 0)
			c->json = 1;
		else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc)
			o->since = argv[++i];
		else if (strncmp(argv[i], "--since=", 8) == 0)
			o->since = argv[i] + 8;
		else if (strcmp(argv[i], "--input") == 0 && i + 1 < argc)
			o->input = argv[++i];
		else if (!o->count_given && argv[i][0] != '-' &&
		    parse_ll(argv[i], 1, HISTORY_MAX_COUNT, &o->count) == 0)
			o->count_given = 1;
		else
			return -1;
	}
	return 0;
}

static int64_t
event_time(json_object *o)
{
	static const struct since_ref zero = { 0, 0 };
	json_object *v;
	int64_t t;

	if (!json_object_object_get_ex(o, "time", &v) || v == NULL ||
	    since_parse(json_object_get_string(v), &zero, &t, NULL, 0) == -1)
		return -1;
	return t;
}

/* Complete lines of buf (the first only when it starts the file) as objects. */
static json_object *
parse_lines(char *buf, int from_start)
{
	json_object *arr = json_object_new_array(), *o;
	char *p = buf, *nl;

	if (!from_start && (p = strchr(buf, '\n')) != NULL)
		p++;
	while (p != NULL && *p != '\0') {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl = '\0';
		if (*p != '\0' && (o = json_tokener_parse(p)) != NULL) {
			if (json_object_is_type(o, json_type_object))
				json_object_array_add(arr, o);
			else
				json_object_put(o);
		}
		p = nl != NULL ? nl + 1 : NULL;
	}
	return arr;
}

/*
 * The JSON event log's last lines, oldest first: its last 512 KiB, read
 * further back (up to 64 MiB) while the oldest line is newer than since.
 */
static json_object *
read_log(const char *path, int64_t since_ms, int64_t *oldest_ms, int *whole)
{
	json_object *arr = NULL;
	size_t want = HISTORY_TAIL_BYTES;
	ssize_t got;
	off_t size;
	char *buf;
	int fd;

	*oldest_ms = -1;
	*whole = -1;
	if (path == NULL || *path == '\0' ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return json_object_new_array();
	size = lseek(fd, 0, SEEK_END);
	for (;;) {
		if (size < 0)
			size = 0;
		if ((off_t)want > size)
			want = (size_t)size;
		buf = xmalloc(want + 1);
		got = pread(fd, buf, want, size - (off_t)want);
		buf[got > 0 ? got : 0] = '\0';
		if (arr != NULL)
			json_object_put(arr);
		arr = parse_lines(buf, (off_t)want == size);
		free(buf);
		*oldest_ms = json_object_array_length(arr) > 0 ?
		    event_time(json_object_array_get_idx(arr, 0)) : -1;
		*whole = (off_t)want == size;
		if (*whole || want >= HISTORY_TAIL_MAX ||
		    (*oldest_ms >= 0 && *oldest_ms < since_ms))
			break;
		want *= 4;
	}
	close(fd);
	return arr;
}

/*
 * From when the JSON log holds every event (hist_add_json): all of time
 * when it was read whole and logrotate never moved a part of it away
 * (NAME.1, NAME.1.gz), else its oldest line read; -1 with no log.
 */
static int64_t
log_coverage(const char *path, int64_t oldest_ms, int whole)
{
	char *p;
	int rotated;

	if (whole < 0)
		return -1;
	if (!whole)
		return oldest_ms >= 0 ? oldest_ms : -1;
	xasprintf(&p, "%s.1", path);
	rotated = access(p, F_OK) == 0;
	free(p);
	xasprintf(&p, "%s.1.gz", path);
	rotated |= access(p, F_OK) == 0;
	free(p);
	return rotated ? oldest_ms : 0;
}

/* The events shown: since since_ms (the last count), or the last count. */
static json_object *
shown_events(json_object *all, const struct hist_opts *o, int64_t since_ms)
{
	json_object *arr = json_object_new_array(), *e;
	size_t i, n = json_object_array_length(all);

	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(all, i);
		if (o->since != NULL && event_time(e) < since_ms)
			continue;
		json_object_array_add(arr, json_object_get(e));
	}
	while (json_object_array_length(arr) > (size_t)o->count)
		json_object_array_del_idx(arr, 0, 1);
	return arr;
}

static json_object *
generations(struct cli *c)
{
	json_object *gens = json_object_new_array(), *g;
	unsigned long *list = NULL;
	struct manifest m;
	size_t i, ng = 0;

	if (store_list(&c->store, &list, &ng) != 0)
		return gens;
	for (i = 0; i < ng; i++) {
		if (store_load(&c->store, list[i], &m) == -1)
			continue;
		g = json_object_new_object();
		json_object_object_add(g, "gen", json_object_new_int64(
		    (int64_t)m.gen));
		json_object_object_add(g, "time", json_object_new_int64(
		    (int64_t)m.when));
		json_object_object_add(g, "reason",
		    json_object_new_string(m.reason ? m.reason : ""));
		json_object_object_add(g, "id",
		    json_object_new_string(m.evid ? m.evid : ""));
		json_object_object_add(g, "files",
		    json_object_new_int64((int64_t)m.n));
		json_object_object_add(g, "usable",
		    json_object_new_boolean(m.usable));
		json_object_array_add(gens, g);
		manifest_free(&m);
	}
	free(list);
	return gens;
}

/* How long after a write sshmedic may still decide about it. */
static int64_t
join_window(const struct sm_conf *c)
{
	return (int64_t)c->debounce_ms + c->grace_ms + c->write_timeout_ms +
	    (c->confirm_login ? c->confirm_timeout_ms : 0) + HISTORY_SLACK_MS;
}

/* Reads the audit log into h; 0, or -1 with err (said once by the caller). */
static int
read_audit(struct cli *c, const struct hist_opts *o, int64_t since_ms,
    struct hist *h, json_object *files_out, char *err, size_t errlen)
{
	struct awatch_set ws;
	struct hist_logs logs;
	auparse_state_t *au;
	char e2[512];
	size_t i;
	int r;

	if (awatch_build(&c->conf, NULL, NULL, &ws, e2, sizeof(e2)) == -1) {
		snprintf(err, errlen, "%s", e2);
		return -1;
	}
	if (hist_logs_open(o->input, since_ms, &logs, err, errlen) == -1) {
		awatch_free(&ws);
		return -1;
	}
	for (i = 0; i < logs.n; i++)
		json_object_array_add(files_out,
		    json_object_new_string(logs.names[i]));
	errno = 0;
	if ((au = auparse_init(AUSOURCE_FILE_ARRAY, logs.paths)) == NULL) {
		snprintf(err, errlen, "auparse_init %s: %s", logs.names[0],
		    strerror(errno != 0 ? errno : EINVAL));
		r = -1;
	} else {
		if ((r = hist_audit_read(h, au, &ws, since_ms)) == -1)
			snprintf(err, errlen, "%s: cannot be parsed",
			    logs.names[0]);
		auparse_destroy(au);
	}
	hist_logs_close(&logs);
	awatch_free(&ws);
	return r;
}

static void
print_text(struct cli *c, json_object *gens, const struct hist *h,
    int64_t since_ms, json_object *audit_files, const char *audit_err)
{
	json_object *g;
	char when[40];
	time_t t;
	struct tm tm;
	size_t i;

	printf("Known-good generations:\n");
	for (i = 0; i < json_object_array_length(gens); i++) {
		g = json_object_array_get_idx(gens, i);
		t = (time_t)json_object_get_int64(json_object_object_get(g,
		    "time"));
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("  %4s  %s  %s%s\n", json_object_get_string(
		    json_object_object_get(g, "gen")), when,
		    json_object_get_string(json_object_object_get(g, "reason")),
		    json_object_get_boolean(json_object_object_get(g,
		    "usable")) ? "" : "  [UNUSABLE]");
	}
	since_format(since_ms, when, sizeof(when));
	printf("Timeline since %s (audit log: ", when);
	if (audit_err != NULL)
		printf("not read");
	for (i = 0; audit_err == NULL &&
	    i < json_object_array_length(audit_files); i++)
		printf("%s%s", i > 0 ? ", " : "", json_object_get_string(
		    json_object_array_get_idx(audit_files, i)));
	printf("; events: %s):\n", c->conf.log_json[0] != '\0' ?
	    c->conf.log_json : "off");
	hist_print(h, stdout);
	if (h->other_daemons > 0)
		printf("  (%lu sshmedic records of another sshmedicd left out: "
		    "their ids are not in %s)\n", h->other_daemons,
		    c->conf.log_json);
	if (h->truncated)
		printf("  (more records than %d: the oldest are left out; give "
		    "a later --since)\n", HIST_MAX_RECS);
}

int
cli_history(struct cli *c, int argc, char **argv)
{
	json_object *root, *all, *shown, *audit, *files;
	struct hist_opts o;
	struct since_ref ref;
	struct hist h;
	int64_t since_ms, oldest_ms;
	char err[1024], aerr[1024];
	int r, audit_ok, whole;

	if ((r = parse_opts(c, argc, argv, &o)) != 0)
		return r > 0 ? 0 : usage(stderr);
	since_ref_now(&ref);
	if (o.since != NULL &&
	    since_parse(o.since, &ref, &since_ms, err, sizeof(err)) == -1) {
		fprintf(stderr, "sshmedic: history --since: %s\n", err);
		return EX_USAGE;
	}
	if ((r = cli_open_store(c)) != 0)
		return r;
	all = read_log(c->conf.log_json, o.since != NULL ? since_ms : 0,
	    &oldest_ms, &whole);
	if (o.since == NULL) {
		shown = shown_events(all, &o, 0);
		since_ms = json_object_array_length(shown) > 0 ?
		    event_time(json_object_array_get_idx(shown, 0)) -
		    join_window(&c->conf) : ref.now_ms - HISTORY_NO_LOG_MS;
	} else
		shown = shown_events(all, &o, since_ms);
	memset(&h, 0, sizeof(h));
	files = json_object_new_array();
	audit_ok = read_audit(c, &o, since_ms, &h, files, aerr,
	    sizeof(aerr)) == 0;
	if (!audit_ok)
		fprintf(stderr, "sshmedic: history: audit log not read (%s); "
		    "sshmedic's own events from %s only\n", aerr,
		    c->conf.log_json[0] != '\0' ? c->conf.log_json : "(off)");
	hist_add_json(&h, all, since_ms, log_coverage(c->conf.log_json,
	    oldest_ms, whole));
	hist_join(&h, join_window(&c->conf));
	if (o.since != NULL && o.count_given && h.nitems > (size_t)o.count) {
		memmove(h.items, h.items + (h.nitems - (size_t)o.count),
		    (size_t)o.count * sizeof(*h.items));
		h.nitems = (size_t)o.count;
	}
	root = json_object_new_object();
	json_object_object_add(root, "generations", generations(c));
	if (c->json) {
		char t[40];

		json_object_object_add(root, "events", shown);
		since_format(since_ms, t, sizeof(t));
		json_object_object_add(root, "since", json_object_new_string(t));
		json_object_object_add(root, "since_ms",
		    json_object_new_int64(since_ms));
		audit = json_object_new_object();
		json_object_object_add(audit, "read",
		    json_object_new_boolean(audit_ok));
		json_object_object_add(audit, "files", files);
		json_object_object_add(audit, "error", audit_ok ? NULL :
		    json_object_new_string(aerr));
		json_object_object_add(audit, "other_daemons",
		    json_object_new_int64((int64_t)h.other_daemons));
		json_object_object_add(audit, "truncated",
		    json_object_new_boolean(h.truncated));
		json_object_object_add(root, "audit", audit);
		json_object_object_add(root, "timeline", hist_json(&h));
		printf("%s\n", json_object_to_json_string_ext(root,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		print_text(c, json_object_object_get(root, "generations"), &h,
		    since_ms, files, audit_ok ? NULL : aerr);
		json_object_put(shown);
		json_object_put(files);
	}
	json_object_put(root);
	json_object_put(all);
	hist_free(&h);
	return 0;
}
