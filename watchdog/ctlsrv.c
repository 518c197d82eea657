/*
 * Control requests from `sshmedic`: status, pause, resume, rollback,
 * promote. Only uid 0 is answered; each connection is bounded in time.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "closure.h"
#include "ctl.h"
#include "ctlsrv.h"
#include "daemon.h"
#include "log.h"
#include "misc.h"
#include "pwdb.h"
#include "report.h"
#include "requests.h"
#include "sshd.h"

#define CTL_IO_MS	2000
#define CTL_ACCEPT_MAX	16	/* per wakeup */

static int
read_line(int fd, char *buf, size_t len)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	int64_t deadline = monotime_ms() + CTL_IO_MS;
	size_t got = 0;
	ssize_t n;

	while (got < len - 1) {
		int64_t left = deadline - monotime_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if ((n = read(fd, buf + got, len - 1 - got)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (memchr(buf, '\n', got) != NULL)
			break;
	}
	buf[got] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static void
write_all(int fd, const char *s)
{
	struct pollfd pfd = { fd, POLLOUT, 0 };
	int64_t deadline = monotime_ms() + CTL_IO_MS;
	size_t len = strlen(s), off = 0;
	ssize_t n;

	while (off < len) {
		int64_t left = deadline - monotime_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return;
		if ((n = write(fd, s + off, len - off)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return;
		}
		off += (size_t)n;
	}
}

/*
 * The PAM event counters: totals, table use, and the entries of the
 * protected users (the ones policies and a human look at first).
 */
static void
add_events(struct daemon *d, json_object *o)
{
	const struct events *ev = &d->events;
	const struct counters_entry *e;
	json_object *prot, *u;
	size_t i;

	json_object_object_add(o, "events_received",
	    json_object_new_int64((int64_t)ev->received));
	json_object_object_add(o, "events_rejected",
	    json_object_new_int64((int64_t)ev->rejected));
	json_object_object_add(o, "events_lost",
	    json_object_new_int64((int64_t)events_lost(ev)));
	json_object_object_add(o, "events_other_service",
	    json_object_new_int64((int64_t)ev->other_service));
	json_object_object_add(o, "events_queue", json_object_new_int64(
	    (int64_t)ev->qlen));
	json_object_object_add(o, "events_holdoff_ms", json_object_new_int(
	    EVENTS_HOLDOFF_ON(ev) ? EVENTS_HOLDOFF_MS : 0));
	json_object_object_add(o, "events_parked",
	    json_object_new_int(ev->parked));
	json_object_object_add(o, "events_wakeups",
	    json_object_new_int64((int64_t)ev->wakeups));
	json_object_object_add(o, "events_deadline_reads",
	    json_object_new_int64((int64_t)ev->deadline_reads));
	if (!ev->have_counters)
		return;
	json_object_object_add(o, "counters_users",
	    json_object_new_int64((int64_t)ev->counters.users.used));
	json_object_object_add(o, "counters_sources",
	    json_object_new_int64((int64_t)ev->counters.sources.used));
	json_object_object_add(o, "counters_evicted",
	    json_object_new_int64((int64_t)(ev->counters.users.evicted +
	    ev->counters.sources.evicted)));
	json_object_object_add(o, "counters_save_errors",
	    json_object_new_int64((int64_t)ev->save_errors));
	prot = json_object_new_object();
	for (i = 0; i < ev->counters.nprotected; i++) {
		if ((e = counters_user(&ev->counters,
		    ev->counters.protected[i])) == NULL)
			continue;
		u = json_object_new_object();
		json_object_object_add(u, "failures",
		    json_object_new_int64((int64_t)e->failures));
		json_object_object_add(u, "successes",
		    json_object_new_int64((int64_t)e->successes));
		json_object_object_add(u, "failures_since_success",
		    json_object_new_int64((int64_t)e->fails_since_ok));
		json_object_object_add(u, "last_failure", e->last_fail_ms ?
		    json_object_new_int64(e->last_fail_ms / 1000) : NULL);
		json_object_object_add(u, "last_success", e->last_ok_ms ?
		    json_object_new_int64(e->last_ok_ms / 1000) : NULL);
		json_object_object_add(prot, e->key, u);
	}
	json_object_object_add(o, "protected_counters", prot);
}

/*
 * The policy engine: what is loaded, what the last reading of the
 * directory refused, what it did since the start.
 */
static void
add_policies(struct daemon *d, json_object *o)
{
	const struct policies *P = &d->pol;
	json_object *p, *names, *refused;
	size_t i;

	p = json_object_new_object();
	json_object_object_add(p, "loaded",
	    json_object_new_int64((int64_t)P->set.n));
	names = json_object_new_array();
	for (i = 0; i < P->set.n; i++)
		json_object_array_add(names,
		    json_object_new_string(P->set.p[i].name));
	json_object_object_add(p, "names", names);
	refused = json_object_new_array();
	for (i = 0; i < P->set.nerrors; i++)
		json_object_array_add(refused,
		    json_object_new_string(P->set.errors[i]));
	json_object_object_add(p, "refused", refused);
	json_object_object_add(p, "reload_refused",
	    json_object_new_boolean(P->stale));
	json_object_object_add(p, "fired",
	    json_object_new_int64((int64_t)P->fired));
	json_object_object_add(p, "dry_runs",
	    json_object_new_int64((int64_t)P->dry_runs));
	json_object_object_add(p, "suppressed",
	    json_object_new_int64((int64_t)P->suppressed));
	json_object_object_add(p, "actions_ok",
	    json_object_new_int64((int64_t)P->actions_ok));
	json_object_object_add(p, "actions_failed",
	    json_object_new_int64((int64_t)P->actions_failed));
	json_object_object_add(o, "policies", p);
}

static void
add_status(struct daemon *d, json_object *o)
{
	struct guard *g = &d->guard;
	struct closure cl;
	json_object *files;
	char reason[256];
	pid_t pid = sshd_pid(&d->conf);
	uint64_t lookups, lookups_failed;
	size_t i;

	json_object_object_add(o, "state",
	    json_object_new_string(guard_state_name(g->state)));
	json_object_object_add(o, "generation",
	    json_object_new_int64((int64_t)g->good_gen));
	json_object_object_add(o, "candidate", g->candidate_digest[0] ?
	    json_object_new_string(g->candidate_digest) : NULL);
	json_object_object_add(o, "paused_until", g->paused_until_ms ?
	    json_object_new_int64(g->paused_until_ms / 1000) : NULL);
	json_object_object_add(o, "rejected_reason",
	    g->state == GS_GRACE || g->state == GS_FIGHT ||
	    g->state == GS_NOBASELINE ?
	    json_object_new_string(g->rejected_reason) : NULL);
	json_object_object_add(o, "sshd_pid", pid ?
	    json_object_new_int64(pid) : NULL);
	json_object_object_add(o, "sshd_serving", json_object_new_boolean(
	    pid != 0 && sshd_probe_banner(&d->conf, reason, sizeof(reason))));
	json_object_object_add(o, "ladder_step",
	    json_object_new_int((int)d->live.step));
	json_object_object_add(o, "ladder",
	    json_object_new_string(live_step_name(d->live.step)));
	json_object_object_add(o, "sshd_last_error", d->live.last_error[0] ?
	    json_object_new_string(d->live.last_error) : NULL);
	json_object_object_add(o, "sshd_deaths",
	    json_object_new_int64((int64_t)d->live.deaths));
	json_object_object_add(o, "sshd_starts",
	    json_object_new_int64((int64_t)d->live.starts));
	json_object_object_add(o, "rollbacks",
	    json_object_new_int64((int64_t)g->rollbacks));
	json_object_object_add(o, "rejections",
	    json_object_new_int64((int64_t)g->rejections));
	json_object_object_add(o, "promotions",
	    json_object_new_int64((int64_t)g->promotions));
	json_object_object_add(o, "last_event", g->last_evid[0] ?
	    json_object_new_string(g->last_evid) : NULL);
	json_object_object_add(o, "audit",
	    json_object_new_boolean(report_audit_active()));
	json_object_object_add(o, "records_lost",
	    json_object_new_int64((int64_t)report_lost()));
	pwdb_stats(&lookups, &lookups_failed);
	json_object_object_add(o, "lookups",
	    json_object_new_int64((int64_t)lookups));
	json_object_object_add(o, "lookups_failed",
	    json_object_new_int64((int64_t)lookups_failed));
	json_object_object_add(o, "since",
	    json_object_new_int64(d->started_ms / 1000));
	files = json_object_new_array();
	if (closure_read(d->conf.sshd_config, d->conf.sshd_dir, &cl) == 0) {
		for (i = 0; i < cl.nfiles; i++)
			json_object_array_add(files,
			    json_object_new_string(cl.files[i].path));
		closure_free(&cl);
	}
	json_object_object_add(o, "closure", files);
	add_events(d, o);
	json_object_object_add(o, "authlog", authlog_status_json(d));
	add_policies(d, o);
}

/* Runs one request; fills o. */
static void
dispatch(struct daemon *d, const char *req, json_object *o)
{
	char msg[1024] = "", *arg;
	long long v;
	int r = -1;

	arg = strchr(req, ' ');
	if (arg != NULL)
		arg++;
	if (strcmp(req, "status") == 0) {
		add_status(d, o);
		r = 0;
	} else if (strcmp(req, "events") == 0) {
		/* The counters alone: no probe of sshd, no closure read. */
		add_events(d, o);
		r = 0;
	} else if (strncmp(req, "pause ", 6) == 0) {
		if (parse_ll(arg, 1, 7LL * 86400 * 1000, &v) == -1)
			snprintf(msg, sizeof(msg), "bad duration");
		else
			r = guard_pause(d, v, msg, sizeof(msg));
	} else if (strcmp(req, "resume") == 0)
		r = guard_resume(d, msg, sizeof(msg));
	else if (strcmp(req, "rollback") == 0 ||
	    strncmp(req, "rollback ", 9) == 0) {
		v = 0;
		if (arg != NULL && parse_ll(arg, 1, STORE_MAX_GENERATIONS,
		    &v) == -1)
			snprintf(msg, sizeof(msg), "bad generation number");
		else
			r = guard_rollback(d, (unsigned long)v, msg, sizeof(msg));
	} else if (strcmp(req, "promote") == 0)
		r = guard_promote(d, msg, sizeof(msg));
	else if (strcmp(req, "requests") == 0) {
		requests_scan(d);
		snprintf(msg, sizeof(msg), "requests in %s processed",
		    d->conf.requests_dir);
		r = 0;
	} else if (strncmp(req, "try ", 4) == 0) {
		if (parse_ll(arg, 1000, 86400LL * 1000, &v) == -1)
			snprintf(msg, sizeof(msg), "bad duration (1 s .. 1 day)");
		else
			r = guard_try(d, v, msg, sizeof(msg));
	}
	else
		snprintf(msg, sizeof(msg), "unknown request");
	json_object_object_add(o, "ok", json_object_new_boolean(r == 0));
	if (msg[0] != '\0')
		json_object_object_add(o, "message", json_object_new_string(msg));
}

void
ctlsrv_handle(struct daemon *d)
{
	char req[CTL_MAX_REQUEST];
	json_object *o;
	unsigned int uid;
	int fd, pid, i;

	for (i = 0; i < CTL_ACCEPT_MAX; i++) {
		fd = accept4(d->ctlfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR)
				error_f("accept: %s", strerror(errno));
			return;
		}
		uid = (unsigned int)-1;
		pid = -1;
		if (ctl_peer_uid(fd, &uid, &pid) == -1 || uid != 0) {
			error_f("control request from uid %u pid %d refused",
			    uid, pid);
			close(fd);
			continue;
		}
		o = json_object_new_object();
		if (read_line(fd, req, sizeof(req)) == -1) {
			json_object_object_add(o, "ok",
			    json_object_new_boolean(0));
			json_object_object_add(o, "message",
			    json_object_new_string("no request"));
		} else {
			debug_f("request \"%s\" from pid %d", req, pid);
			dispatch(d, req, o);
		}
		write_all(fd, json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		write_all(fd, "\n");
		json_object_put(o);
		close(fd);
	}
}
