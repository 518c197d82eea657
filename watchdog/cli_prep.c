/*
 * sshmedic image-prep: clears what a golden image must not carry, so that
 * every machine booted from it starts at its own first generation.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "conf.h"
#include "ctl.h"
#include "fsutil.h"
#include "misc.h"
#include "prep.h"
#include "report.h"
#include "request.h"
#include "store.h"
#include "xmalloc.h"

#define PREP_CTL_MS	2000
#define PREP_DETAIL	1024
#define PREP_READ_CAP	(1LL << 32)	/* bytes read to count log lines */
#define PREP_DIRENTS	100000

struct prep_opts {
	int	 dry_run;
	int	 discard;
};

/* Its usage on f: 0 for stdout (--help), EX_USAGE otherwise. */
static int
prep_usage(FILE *f)
{
	fprintf(f, "usage: sshmedic [-f CONF] image-prep [--dry-run] "
	    "[--discard-quarantine] [--json]\n"
	    "  Run last in an image build, with sshmedicd stopped (systemctl "
	    "stop sshmedicd):\n"
	    "  clears the generations, credential snapshots, counters, guard "
	    "and policy state,\n"
	    "  request results, the JSON event log and the metrics textfile, "
	    "so that each\n"
	    "  machine booted from the image makes its own generation 1. The "
	    "quarantine\n"
	    "  (admin files) is kept; request files never processed or "
	    "refused are moved into it.\n"
	    "  --dry-run             print what would be done, change nothing\n"
	    "  --discard-quarantine  delete the quarantine too\n"
	    "  --json                one JSON document on stdout\n");
	return f == stdout ? 0 : EX_USAGE;
}

/* See cli.h: an exit code, or -1 to go on. */
int
cli_prep_early(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return prep_usage(stdout);
	if (geteuid() != 0) {
		fprintf(stderr, "sshmedic image-prep: must be run as root (it "
		    "clears root's files under paths.state); nothing was "
		    "changed\n");
		return 1;
	}
	return -1;
}

static int
parse_opts(struct cli *c, int argc, char **argv, struct prep_opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0 ||
		    strcmp(argv[i], "-n") == 0)
			o->dry_run = 1;
		else if (strcmp(argv[i], "--discard-quarantine") == 0)
			o->discard = 1;
		else if (strcmp(argv[i], "--json") == 0)
			c->json = 1;
		else {
			fprintf(stderr, "sshmedic image-prep: unknown argument "
			    "'%s'\n", argv[i]);
			return prep_usage(stderr);
		}
	}
	return 0;
}

/*
 * The daemon's pidfile lock, held until exit: while image-prep runs no
 * sshmedicd can start (it would find the lock taken). A dry run creates
 * nothing: without a pidfile no daemon runs. fd (or -2 for none), or -1
 * with why filled when sshmedicd runs or it cannot be told.
 */
static int
take_lock(struct cli *c, int dry_run, char *why, size_t len)
{
	char *path = conf_pidfile(&c->conf), pid[32];
	ssize_t n;
	int fd, saved;

	if (!dry_run && fs_mkdir_p(c->conf.run_dir, 0700) == -1) {
		snprintf(why, len, "mkdir %s: %s", c->conf.run_dir,
		    strerror(errno));
		free(path);
		return -1;
	}
	fd = open(path, (dry_run ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC |
	    O_NOFOLLOW, 0644);
	if (fd == -1 && dry_run && errno == ENOENT) {
		free(path);
		return -2;
	}
	if (fd == -1) {
		snprintf(why, len, "open %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		free(path);
		return fd;
	}
	saved = errno;
	n = read(fd, pid, sizeof(pid) - 1);
	pid[n > 0 ? n : 0] = '\0';
	pid[strcspn(pid, "\n")] = '\0';
	if (saved == EWOULDBLOCK)
		snprintf(why, len, "sshmedicd is running (pid %s, %s locked): "
		    "stop it first (systemctl stop sshmedicd, or kill %s)",
		    pid[0] ? pid : "?", path, pid[0] ? pid : "its pid");
	else
		snprintf(why, len, "flock %s: %s", path, strerror(saved));
	close(fd);
	free(path);
	return -1;
}

/* A daemon answering on the control socket is running, lock or not. */
static int
daemon_answers(struct cli *c, char *why, size_t len)
{
	char *sock = conf_ctl_socket(&c->conf), *reply = NULL;
	int r = 0;

	if (ctl_request(sock, "events", PREP_CTL_MS, &reply) == 0) {
		snprintf(why, len, "sshmedicd answers on %s: stop it first "
		    "(systemctl stop sshmedicd)", sock);
		r = 1;
	} else if (errno != ENOENT && errno != ECONNREFUSED) {
		snprintf(why, len, "%s: %s: cannot tell whether sshmedicd runs",
		    sock, strerror(errno));
		r = 1;
	}
	free(reply);
	free(sock);
	return r;
}

/* Appends name to a bounded space-separated list. */
static void
names_add(char *buf, size_t len, const char *name)
{
	if (strlen(buf) + strlen(name) + 5 >= len) {
		if (strstr(buf, " ...") == NULL)
			sm_appendf(buf, len, "", " ...");
		return;
	}
	sm_appendf(buf, len, " ", "%s", name);
}

static int
has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && strcmp(name + n - s, suffix) == 0;
}

/*
 * paths.requests: the answers and processed copies are sshmedic's records
 * and go; every other file there (a request never processed, one refused,
 * an agent's half-written dot file) was written by someone else and is
 * moved into the quarantine. One moved aside earlier on another file
 * system (.NAME.sshmedic-EVID) stays where it is. 0, or -1 with why.
 */
/* The names in dir (not . and ..), sorted, bounded (malloc'd). */
static int
sorted_names(DIR *d, char ***names, size_t *n)
{
	struct dirent *de;
	size_t seen = 0;

	*names = NULL;
	*n = 0;
	while ((de = readdir(d)) != NULL && seen++ < PREP_DIRENTS) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		*names = xreallocarray(*names, *n + 1, sizeof(**names));
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	if (*n > 0)
		qsort(*names, *n, sizeof(**names), sm_strpcmp);
	return 0;
}

static int
scan_requests(struct cli *c, struct prep_plan *p, char *why, size_t len)
{
	const char *dir = c->conf.requests_dir;
	char recs[PREP_DETAIL] = "", admin[PREP_DETAIL] = "", *path, **names;
	size_t nrec = 0, nadmin = 0, n, i;
	struct stat sb;
	DIR *d;

	if (lstat(dir, &sb) == -1 && errno == ENOENT) {
		prep_item(p, "request-results", PREP_CLEAR, 0, dir, "absent");
		return 0;
	}
	if (!S_ISDIR(sb.st_mode) || sb.st_uid != 0 || (sb.st_mode & 022) != 0 ||
	    (d = opendir(dir)) == NULL) {
		snprintf(why, len, "paths.requests %s: not a directory of root's "
		    "closed to group and other writes (fix its owner and mode; "
		    "sshmedicd does not read it either)", dir);
		return -1;
	}
	(void)sorted_names(d, &names, &n);
	for (i = 0; i < n; i++) {
		if ((names[i][0] == '.' && strstr(names[i], ".sshmedic-")) ||
		    fstatat(dirfd(d), names[i], &sb, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		xasprintf(&path, "%s/%s", dir, names[i]);
		if (S_ISREG(sb.st_mode) && (has_suffix(names[i],
		    REQ_RESULT_SUFFIX) || has_suffix(names[i], REQ_DONE_SUFFIX))) {
			nrec++;
			names_add(recs, sizeof(recs), names[i]);
			prep_op(p, PREP_OP_UNLINK, path);
		} else {
			nadmin++;
			names_add(admin, sizeof(admin), names[i]);
			prep_op(p, PREP_OP_QUARANTINE, path);
		}
		free(path);
	}
	sm_strv_free(names, n);
	closedir(d);
	prep_item(p, "request-results", PREP_CLEAR, nrec, dir, recs);
	prep_item(p, "requests", PREP_QUARANTINE, nadmin, dir, admin);
	return 0;
}

/* Lines of a regular file, read without following a link. */
static size_t
count_lines(const char *path)
{
	char buf[65536];
	long long total = 0;
	size_t lines = 0;
	ssize_t n, i;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	while (total < PREP_READ_CAP && (n = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
		total += n;
	}
	close(fd);
	return lines;
}

/* log.json and the copies logrotate made of it beside it. */
static void
scan_json_log(struct cli *c, struct prep_plan *p)
{
	const char *log = c->conf.log_json;
	char *dir = NULL, *base = NULL, *path, names[PREP_DETAIL] = "", **all;
	size_t n = 0, nall, i;
	struct stat sb;
	DIR *d;

	if (log[0] == '\0') {
		prep_item(p, "json-log", PREP_CLEAR, 0, "", "log.json is off");
		return;
	}
	if (lstat(log, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
		prep_item(p, "json-log", PREP_CLEAR, count_lines(log), log,
		    "lines");
		prep_op(p, PREP_OP_UNLINK, log);
	} else
		prep_item(p, "json-log", PREP_CLEAR, 0, log, "absent");
	if (fs_split(log, &dir, &base) == -1 || (d = opendir(dir)) == NULL) {
		free(dir);
		free(base);
		prep_item(p, "json-log-rotated", PREP_CLEAR, 0, log, NULL);
		return;
	}
	(void)sorted_names(d, &all, &nall);
	for (i = 0; i < nall; i++) {
		if (!prep_rotated_name(base, all[i]) ||
		    fstatat(dirfd(d), all[i], &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(sb.st_mode))
			continue;
		n++;
		names_add(names, sizeof(names), all[i]);
		xasprintf(&path, "%s/%s", dir, all[i]);
		prep_op(p, PREP_OP_UNLINK, path);
		free(path);
	}
	sm_strv_free(all, nall);
	closedir(d);
	prep_item(p, "json-log-rotated", PREP_CLEAR, n, dir, names);
	free(dir);
	free(base);
}

/* One file of sshmedic's outside the store: present or not. */
static void
scan_file(struct prep_plan *p, const char *what, const char *path,
    const char *off, int count_bytes)
{
	struct stat sb;

	if (path == NULL || path[0] == '\0') {
		prep_item(p, what, PREP_CLEAR, 0, "", off);
		return;
	}
	if (lstat(path, &sb) == -1 || S_ISDIR(sb.st_mode)) {
		prep_item(p, what, PREP_CLEAR, 0, path, "absent");
		return;
	}
	prep_item(p, what, PREP_CLEAR, count_bytes ? (size_t)sb.st_size : 1,
	    path, count_bytes ? "events lost" : NULL);
	prep_op(p, PREP_OP_UNLINK, path);
}

/* Files outside paths.state the store scan must leave to their own item. */
static size_t
skip_list(struct cli *c, struct stat *skip, size_t max)
{
	const char *paths[] = { c->conf.requests_dir, c->conf.log_json,
	    c->conf.metrics_textfile };
	size_t i, n = 0;

	for (i = 0; i < SM_NELEM(paths) && n < max; i++)
		if (paths[i][0] != '\0' && lstat(paths[i], &skip[n]) == 0)
			n++;
	return n;
}

/* The whole plan; 0, or -1 with why (image-prep refuses). */
static int
make_plan(struct cli *c, struct store *st, int have_store,
    const struct prep_opts *o, struct prep_plan *p, char *why, size_t len)
{
	struct stat skip[3];
	size_t nskip = skip_list(c, skip, SM_NELEM(skip));
	char *drops;

	if (have_store && prep_scan_store(st, skip, nskip, c->conf.counters_users,
	    c->conf.counters_sources, p, why, len) == -1)
		return -1;
	if (!have_store)
		prep_item(p, "store", PREP_CLEAR, 0, c->conf.state_dir, "absent");
	if (scan_requests(c, p, why, len) == -1)
		return -1;
	scan_json_log(c, p);
	scan_file(p, "metrics", c->conf.metrics_textfile,
	    "metrics.textfile is off", 0);
	drops = conf_event_drops(&c->conf);
	scan_file(p, "event-drops", drops, NULL, 1);
	free(drops);
	if (have_store && prep_scan_quarantine(st, o->discard, p, why,
	    len) == -1)
		return -1;
	return 0;
}

/* "3 generations, 2 snapshots, ...": what a record's reason says. */
static void
summary(const struct prep_plan *p, char *buf, size_t len)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < p->nitems; i++)
		if (p->items[i].count > 0)
			sm_appendf(buf, len, ", ", "%s %s %zu",
			    prep_action_name(p->items[i].action),
			    p->items[i].what, p->items[i].count);
	if (buf[0] == '\0')
		sm_strlcpy(buf, "nothing to clear", len);
}

/* The audit record and syslog line of the prep; no JSON line: the log starts empty. */
static void
record(struct cli *c, const struct prep_plan *p, int ok, const char *err)
{
	struct report_cfg rc;
	char reason[1500], sum[1200];

	memset(&rc, 0, sizeof(rc));
	rc.audit = c->conf.log_audit;
	rc.syslog = c->conf.log_syslog;
	rc.ident = "sshmedic";
	(void)report_open(&rc);
	summary(p, sum, sizeof(sum));
	snprintf(reason, sizeof(reason), "%s%s%s", ok ? "golden image prepared: "
	    : "image-prep stopped: ", ok ? sum : err, ok ? "" : "; run it again");
	report_account(AUDIT_USYS_CONFIG, "sshmedic-image-prep", ok, NULL,
	    c->conf.state_dir, reason, NULL, p->evid, NULL);
	report_close();
}

static void
print_json(const struct prep_plan *p, const struct prep_opts *o, int ok,
    const char *msg)
{
	json_object *doc = json_object_new_object(), *arr, *it;
	size_t i;

	json_object_object_add(doc, "ok", json_object_new_boolean(ok));
	json_object_object_add(doc, "dry_run", json_object_new_boolean(o->dry_run));
	json_object_object_add(doc, "discard_quarantine",
	    json_object_new_boolean(o->discard));
	if (p != NULL) {
		if (!o->dry_run)
			json_object_object_add(doc, "event_id",
			    json_object_new_string(p->evid));
		arr = json_object_new_array();
		for (i = 0; i < p->nitems; i++) {
			it = json_object_new_object();
			json_object_object_add(it, "what",
			    json_object_new_string(p->items[i].what));
			json_object_object_add(it, "action", json_object_new_string(
			    prep_action_name(p->items[i].action)));
			json_object_object_add(it, "count",
			    json_object_new_int64((int64_t)p->items[i].count));
			json_object_object_add(it, "path",
			    json_object_new_string(p->items[i].path));
			json_object_object_add(it, "detail",
			    json_object_new_string(p->items[i].detail));
			json_object_array_add(arr, it);
		}
		json_object_object_add(doc, "items", arr);
	}
	json_object_object_add(doc, ok ? "message" : "error",
	    json_object_new_string(msg));
	printf("%s\n", json_object_to_json_string_ext(doc,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
}

static void
print_text(struct cli *c, const struct prep_plan *p, const struct prep_opts *o,
    const char *msg)
{
	const struct prep_item *it;
	size_t i;

	printf("sshmedic image-prep%s: paths.state %s\n", o->dry_run ?
	    " (dry run: nothing is changed)" : "", c->conf.state_dir);
	for (i = 0; i < p->nitems; i++) {
		it = &p->items[i];
		printf("  %-16s %-17s %6zu  %s%s%s%s\n",
		    prep_action_word(it->action, o->dry_run), it->what, it->count,
		    it->detail, it->detail[0] && it->path[0] ? " " : "",
		    it->path[0] ? "in " : "", it->path);
	}
	printf("%s\n", msg);
}

/* The closing message: what happened and what comes next. */
static void
closing(const struct prep_plan *p, const struct prep_opts *o, int ok,
    const char *err, char *buf, size_t len)
{
	if (!ok) {
		snprintf(buf, len, "image-prep stopped: %s; what is done stays "
		    "done, run it again to finish", err);
		return;
	}
	snprintf(buf, len, "%s%s%s%s. %s%s",
	    o->dry_run ? "Dry run: nothing was changed" :
	    "Done: the next start of sshmedicd takes the configuration it "
	    "finds, once it validates and sshd serves it, as generation 1",
	    o->dry_run ? "" : " (event ", o->dry_run ? "" : p->evid,
	    o->dry_run ? "" : ")", o->discard ? "The quarantine is deleted." :
	    "The quarantine is kept: nothing an admin wrote is deleted; "
	    "--discard-quarantine deletes it (copy it off the image first to "
	    "keep it).",
	    o->dry_run ? " Run without --dry-run to do it." : "");
}

/* See cli.h: 0 done (or dry run), 1 refused or failed, 64 usage. */
int
cli_image_prep(struct cli *c, int argc, char **argv)
{
	struct prep_opts o;
	struct prep_plan p;
	struct store st;
	char why[1024] = "", msg[1500];
	int lockfd = -2, have_store = 0, ok = 0, r;

	if ((r = parse_opts(c, argc, argv, &o)) != 0)
		return r;
	prep_plan_init(&p);
	if ((lockfd = take_lock(c, o.dry_run, why, sizeof(why))) == -1 ||
	    daemon_answers(c, why, sizeof(why)))
		goto refused;
	r = o.dry_run ? store_open_existing(&st, c->conf.state_dir) :
	    store_open(&st, c->conf.state_dir, c->conf.keep_generations,
	    c->conf.keep_quarantine);
	if (r == 0)
		have_store = 1;
	else if (!(o.dry_run && errno == ENOENT)) {
		snprintf(why, sizeof(why), "store %s: %s", c->conf.state_dir,
		    strerror(errno));
		goto refused;
	}
	if (make_plan(c, &st, have_store, &o, &p, why, sizeof(why)) == -1)
		goto refused;
	ok = 1;
	if (!o.dry_run) {
		ok = prep_apply(&st, &p, why, sizeof(why)) == 0;
		record(c, &p, ok, why);
	}
	closing(&p, &o, ok, why, msg, sizeof(msg));
	if (c->json)
		print_json(&p, &o, ok, msg);
	else {
		print_text(c, &p, &o, ok ? msg : "");
		if (!ok)
			fprintf(stderr, "sshmedic: %s\n", msg);
	}
	goto out;
 refused:
	snprintf(msg, sizeof(msg), "image-prep refused: %s; nothing was "
	    "changed", why);
	fprintf(stderr, "sshmedic: %s\n", msg);
	if (c->json)
		print_json(NULL, &o, 0, msg);
 out:
	if (have_store)
		store_close(&st);
	if (lockfd >= 0)
		close(lockfd);
	prep_plan_free(&p);
	return ok ? 0 : 1;
}
