/*
 * Keeping sshd up: a pidfd sees the master die at once, a banner probe sees
 * it stuck, and a five-step ladder brings it back, each step audited.
 */
#include "config.h"

#include <errno.h>
#include <libaudit.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "checks.h"
#include "closure.h"
#include "daemon.h"
#include "guard.h"
#include "live.h"
#include "live_int.h"
#include "log.h"
#include "misc.h"
#include "repair.h"
#include "report.h"
#include "spawn.h"
#include "sshd.h"
#include "store.h"
#include "validate.h"
#include "xmalloc.h"

#define EV_PIDFD_TAG	5	/* epoll tag, see sshmedicd.c */

static const char *step_names[LADDER_NSTEPS] = {
	"idle", "restart", "rollback", "repair", "vendor-default", "failing",
};

static const char *cause_names[LIVE_NCAUSES] = {
	"exited", "unresponsive", "not_running", "canary",
};

const char *
live_step_name(enum ladder_step s)
{
	return s < LADDER_NSTEPS ? step_names[s] : "unknown";
}

const char *
live_cause_name(enum live_cause c)
{
	return c < LIVE_NCAUSES ? cause_names[c] : "unknown";
}

void
live_emit(struct daemon *d, int type, const char *op, int ok, const char *reason)
{
	report_simple(type, op, ok, d->guard.good_gen, "sshd", NULL, reason,
	    d->guard.last_evid);
	if (ok)
		logit("%s: %s", op, reason ? reason : "");
	else
		error_f("%s: %s", op, reason ? reason : "");
}

static void
drop_pidfd(struct daemon *d)
{
	struct live *l = &d->live;

	if (l->pidfd != -1) {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, l->pidfd, NULL);
		close(l->pidfd);
	}
	l->pidfd = -1;
	l->pid = 0;
}

/* Holds pid through a pidfd in the loop. 0/-1 (the process is gone). */
int
live_adopt(struct daemon *d, pid_t pid)
{
	struct live *l = &d->live;
	int fd;

	if (l->pid == pid && l->pidfd != -1)
		return 0;
	drop_pidfd(d);
	if ((fd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1)
		return -1;
	if (daemon_epoll_add(d, fd, EV_PIDFD_TAG) == -1) {
		close(fd);
		return -1;
	}
	l->pid = pid;
	l->pidfd = fd;
	debug_f("holding sshd master pid %ld", (long)pid);
	return 0;
}

static void
persist_ladder(struct daemon *d)
{
	char val[32];

	if (d->live.step == LADDER_IDLE) {
		store_state_set(&d->store, "ladder_step", NULL);
		return;
	}
	snprintf(val, sizeof(val), "%d", (int)d->live.step);
	store_state_set(&d->store, "ladder_step", val);
}

void
live_arm_probe(struct daemon *d)
{
	daemon_set_deadline(d, DL_PROBE, d->conf.probe_interval_ms > 0 ?
	    monotime_ms() + d->conf.probe_interval_ms : 0);
	daemon_set_deadline(d, DL_CANARY, d->conf.canary_user[0] != '\0' ?
	    monotime_ms() + d->conf.canary_interval_ms : 0);
}

/* sshd serves again: the ladder goes back down. */
static void
up(struct daemon *d, pid_t pid, const char *how)
{
	struct live *l = &d->live;
	char reason[700];

	if (pid != 0)
		live_adopt(d, pid);
	/* Served now: whatever the ladder changed on disk is the new known-good. */
	if (l->step > LADDER_RESTART)
		guard_adopt_current(d, how);
	if (l->step != LADDER_IDLE || l->down_since_ms != 0) {
		snprintf(reason, sizeof(reason), "sshd serves again (%s) after "
		    "%lld ms, %d attempt%s", how,
		    (long long)(realtime_ms() - l->down_since_ms), l->attempts,
		    l->attempts == 1 ? "" : "s");
		live_emit(d, AUDIT_SERVICE_START, "sshmedic-sshd-start", 1, reason);
	}
	l->step = LADDER_IDLE;
	l->attempts = 0;
	l->backoff_ms = 0;
	l->down_since_ms = 0;
	l->misses = 0;
	l->canary_misses = 0;
	l->last_error[0] = '\0';
	persist_ladder(d);
	daemon_set_deadline(d, DL_RESTART, 0);
	live_arm_probe(d);
}

/* sshd is down or useless: start climbing now. */
void
live_down(struct daemon *d, enum live_cause cause, const char *why)
{
	struct live *l = &d->live;

	live_emit(d, AUDIT_SERVICE_STOP, "sshmedic-sshd-died", 0, why);
	drop_pidfd(d);
	l->deaths++;
	if (cause < LIVE_NCAUSES)
		l->down[cause]++;
	if (l->down_since_ms == 0)
		l->down_since_ms = realtime_ms();
	if (l->step == LADDER_IDLE)
		l->step = LADDER_RESTART;
	persist_ladder(d);
	daemon_set_deadline(d, DL_PROBE, 0);
	daemon_set_deadline(d, DL_CANARY, 0);
	daemon_set_deadline(d, DL_RESTART, monotime_ms());
}

/* Predicate: the burst limit allows a start now; else *wait_ms is set. */
static int
burst_ok(struct daemon *d, int64_t now, int64_t *wait_ms)
{
	struct live *l = &d->live;
	size_t i, n = 0, cap = (size_t)d->conf.restart_burst;
	int64_t oldest = 0;

	for (i = 0; i < l->nrestarts; i++) {
		if (now - l->restarts[i] < d->conf.restart_burst_window_ms) {
			if (n == 0 || l->restarts[i] < oldest)
				oldest = l->restarts[i];
			n++;
		}
	}
	if (n < cap)
		return 1;
	*wait_ms = oldest + d->conf.restart_burst_window_ms - now;
	return 0;
}

static void
note_start(struct daemon *d, int64_t now)
{
	struct live *l = &d->live;
	size_t cap = (size_t)d->conf.restart_burst, i, oldest = 0;

	if (l->nrestarts < cap) {
		l->restarts[l->nrestarts++] = now;
		return;
	}
	for (i = 1; i < l->nrestarts; i++)
		if (l->restarts[i] < l->restarts[oldest])
			oldest = i;
	l->restarts[oldest] = now;
}

/*
 * sshd's start errors as one line: lines joined with "; ", the "@@@" frame
 * of its key warnings dropped; when too long, the tail is kept, because
 * sshd's last line ("no hostkeys available -- exiting.") says why it quit.
 */
static void
one_line(const char *e, char *out, size_t len)
{
	char *buf, *line, *save = NULL, *p;
	size_t n, off = 0, skip = 0;

	/* Each line of k bytes and its newline become at most k + 2 bytes. */
	buf = xmalloc(strlen(e) * 2 + 1);
	p = xstrdup(e);
	for (line = strtok_r(p, "\r\n", &save); line != NULL;
	    line = strtok_r(NULL, "\r\n", &save)) {
		line += strspn(line, "@ \t");
		n = strlen(line);
		while (n > 0 && strchr("@ \t", line[n - 1]) != NULL)
			n--;
		if (n == 0)
			continue;
		if (off > 0) {
			memcpy(buf + off, "; ", 2);
			off += 2;
		}
		memcpy(buf + off, line, n);
		off += n;
	}
	buf[off] = '\0';
	free(p);
	n = off;
	if (len > 4 && n >= len)
		skip = n - (len - 4);
	snprintf(out, len, "%s%s", skip ? "..." : "", buf + skip);
	free(buf);
}

/*
 * Runs sshd.start and waits for a master that answers. 0 serving, -1 not
 * (l->last_error holds sshd's own words: what an admin needs first).
 */
static int
start_sshd(struct daemon *d)
{
	struct live *l = &d->live;
	struct spawn_res r;
	char how[96], reason[256];
	int64_t deadline, before;
	pid_t pid = 0;

	l->starts++;
	before = sshd_pidfile_mtime_ms(&d->conf);
	if (spawn_run(d->conf.sshd_start, NULL, NULL, 0,
	    d->conf.sshd_test_timeout_ms, 4096, &r) == -1) {
		snprintf(l->last_error, sizeof(l->last_error), "%s: %s",
		    d->conf.sshd_start[0], strerror(errno));
		return -1;
	}
	if (!spawn_ok(&r)) {
		char e[400];

		one_line(r.err[0] != '\0' ? r.err : r.out, e, sizeof(e));
		snprintf(l->last_error, sizeof(l->last_error), "%s %s: %s",
		    d->conf.sshd_start[0], spawn_describe(&r, how, sizeof(how)),
		    e);
		spawn_res_free(&r);
		return -1;
	}
	spawn_res_free(&r);
	/*
	 * sshd forks into the background, then binds and writes its pidfile.
	 * Until it has, the pidfile names the master that died, maybe still
	 * a zombie (kill(pid, 0) succeeds) while the new one already answers
	 * the banner: only a rewritten pidfile names the new master.
	 */
	deadline = monotime_ms() + d->conf.probe_timeout_ms;
	for (;;) {
		if (sshd_pidfile_mtime_ms(&d->conf) != before &&
		    (pid = sshd_pid(&d->conf)) != 0 &&
		    sshd_probe_banner(&d->conf, reason, sizeof(reason))) {
			live_adopt(d, pid);
			l->probe_ok_ms = realtime_ms();
			return 0;
		}
		if (monotime_ms() >= deadline)
			break;
		struct timespec ts = { 0, 2 * 1000000L };

		nanosleep(&ts, NULL);
	}
	/*
	 * sshd 9.x binds after it forked into the background, so "Address
	 * already in use" reaches only syslog: name the holder here.
	 */
	if (pid == 0 && check_port_holder(d->conf.probe_port, 0, &pid, how,
	    sizeof(how)))
		snprintf(l->last_error, sizeof(l->last_error), "started, but "
		    "no new sshd master in the pidfile: port %d is held by pid %ld "
		    "(%s)", d->conf.probe_port, (long)pid, how);
	else
		snprintf(l->last_error, sizeof(l->last_error), "started, but "
		    "%s", pid == 0 ? "no new sshd master in the pidfile" : reason);
	return -1;
}

/*
 * Predicate: the configuration files (host keys aside) are those of the
 * known-good generation, content, type, owner and mode: a rollback would
 * change nothing. sshd -t also fails for reasons outside them (a missing
 * privsep directory, a damaged host key), and an audited "rollback" that
 * restores nothing would send an admin looking in the wrong place.
 */
static int
config_is_known_good(struct daemon *d)
{
	const struct mf_entry *e;
	const struct cl_file *f;
	struct manifest m;
	struct closure cl;
	size_t i, nconf = 0, nmf = 0;
	int same = 1;

	if (store_latest(&d->store, &m) == -1)
		return 0;
	if (closure_read(d->conf.sshd_config, d->conf.sshd_dir, &cl) == -1) {
		manifest_free(&m);
		return 0;
	}
	for (i = 0; i < cl.nfiles && same; i++) {
		f = &cl.files[i];
		if (f->role == CL_HOSTKEY)
			continue;
		nconf++;
		e = manifest_find(&m, f->path);
		same = e != NULL && !f->is_symlink && e->state == f->state &&
		    e->uid == f->uid && e->gid == f->gid && e->mode == f->mode &&
		    strcmp(e->sha256, f->sha256) == 0;
	}
	for (i = 0; i < m.n; i++)
		if (m.e[i].role != CL_HOSTKEY)
			nmf++;
	if (nconf != nmf || cl.truncated)
		same = 0;
	closure_free(&cl);
	manifest_free(&m);
	return same;
}

/* One rung: do what the step needs, then start. 0 serving, -1 not. */
static int
climb(struct daemon *d, char *did, size_t len)
{
	struct live *l = &d->live;
	struct vd_result vr;

	did[0] = '\0';
	switch (l->step) {
	case LADDER_RESTART:
	case LADDER_LOUD:
		snprintf(did, len, "start");
		break;
	case LADDER_ROLLBACK:
		memset(&vr, 0, sizeof(vr));
		if (validate_config(&d->conf, &vr) == VD_VALID) {
			snprintf(did, len, "closure valid, nothing to roll back");
			break;
		}
		if (config_is_known_good(d)) {
			snprintf(did, len, "configuration is known-good "
			    "generation %lu, nothing to roll back (%.200s)",
			    d->guard.good_gen, vr.reason);
			break;
		}
		if (guard_restore_now(d, vr.reason) == 0)
			snprintf(did, len, "rolled back to generation %lu "
			    "(%.200s)", d->guard.good_gen, vr.reason);
		else
			snprintf(did, len, "closure invalid (%.200s), no "
			    "rollback possible", vr.reason);
		break;
	case LADDER_REPAIR:
		repair_all(d, did, len);
		break;
	case LADDER_VENDOR:
		if (guard_vendor_reset(d, "ladder step 4", did, len) == -1)
			return -1;
		break;
	default:
		break;
	}
	return start_sshd(d);
}

static void
try_restart(struct daemon *d)
{
	struct live *l = &d->live;
	char did[600], reason[1200];
	int64_t now = monotime_ms(), wait;
	pid_t pid;

	/* Someone else (an admin, the service manager) may have done it. */
	if ((pid = sshd_pid(&d->conf)) != 0 &&
	    sshd_probe_banner(&d->conf, reason, sizeof(reason))) {
		l->probe_ok_ms = realtime_ms();
		up(d, pid, "started by someone else");
		return;
	}
	if (!burst_ok(d, now, &wait)) {
		snprintf(reason, sizeof(reason), "%d starts within %d ms: "
		    "waiting %lld ms (restart.burst)", d->conf.restart_burst,
		    d->conf.restart_burst_window_ms, (long long)wait);
		live_emit(d, AUDIT_SERVICE_START, "sshmedic-sshd-start", 0, reason);
		daemon_set_deadline(d, DL_RESTART, now + wait);
		return;
	}
	note_start(d, now);
	l->attempts++;
	if (climb(d, did, sizeof(did)) == 0) {
		up(d, 0, did[0] ? did : "start");
		return;
	}
	l->start_failures++;
	snprintf(reason, sizeof(reason), "ladder step %d (%s): %s; sshd did "
	    "not start: %s", (int)l->step, live_step_name(l->step), did,
	    l->last_error);
	live_emit(d, AUDIT_SERVICE_START, l->step == LADDER_LOUD ?
	    "sshmedic-sshd-failing" : "sshmedic-sshd-start", 0, reason);
	policies_on_sshd_failed(d, reason);
	/* Climb one rung per failure; the vendor step only when allowed. */
	if (l->step < LADDER_LOUD) {
		l->step++;
		/*
		 * Without a known-good generation the admin's files were never
		 * seen working, and issue 3's rule holds: nothing is replaced.
		 */
		if (l->step == LADDER_VENDOR && (!d->conf.restart_vendor_default ||
		    d->guard.good_gen == 0))
			l->step = LADDER_LOUD;
		/*
		 * Nor when another process holds the port: no configuration
		 * frees it, and the admin's files would be replaced for nothing
		 * (S6: a person decides).
		 */
		if (l->step == LADDER_VENDOR &&
		    check_port(&d->conf, l->pid, reason, sizeof(reason)) ==
		    CHK_FAIL) {
			logit("vendor default skipped: %s", reason);
			l->step = LADDER_LOUD;
		}
	}
	persist_ladder(d);
	/* The first rungs follow at once; waiting starts with step 5. */
	if (l->step == LADDER_LOUD) {
		l->backoff_ms = l->backoff_ms == 0 ? d->conf.restart_backoff_ms :
		    l->backoff_ms * 2;
		if (l->backoff_ms > d->conf.restart_backoff_max_ms)
			l->backoff_ms = d->conf.restart_backoff_max_ms;
		/* After the backoff is set: it printed the previous wait. */
		error_f("SSHD IS DOWN and every remedy failed; retrying in "
		    "%lld ms. Last error: %s", (long long)l->backoff_ms,
		    l->last_error);
	}
	daemon_set_deadline(d, DL_RESTART, now + (l->step == LADDER_LOUD ?
	    l->backoff_ms : 0));
}



void
live_start(struct daemon *d)
{
	struct live *l = &d->live;
	char reason[256], val[16];
	long long step;
	pid_t pid;

	l->pidfd = -1;
	l->restarts = xcalloc((size_t)d->conf.restart_burst,
	    sizeof(*l->restarts));
	if (store_state_get(&d->store, "ladder_step", val, sizeof(val)) == 0 &&
	    parse_ll(val, LADDER_RESTART, LADDER_LOUD, &step) == 0)
		l->step = (enum ladder_step)step;
	/* Before the pid checks: each of their paths may go on climbing. */
	if (l->step != LADDER_IDLE)
		logit("resuming the ladder at step %d (%s)", (int)l->step,
		    live_step_name(l->step));
	pid = sshd_pid(&d->conf);
	if (pid != 0 && sshd_probe_banner(&d->conf, reason, sizeof(reason))) {
		l->probe_ok_ms = realtime_ms();
		/* Adopt what runs, never start a second one beside it. */
		if (l->step != LADDER_IDLE)
			up(d, pid, "found serving at start");
		else {
			live_adopt(d, pid);
			live_arm_probe(d);
		}
		return;
	}
	if (pid != 0) {
		/* Alive but not answering yet: the probe decides. */
		live_adopt(d, pid);
		l->misses = 0;
		daemon_set_deadline(d, DL_PROBE, monotime_ms() +
		    (d->conf.probe_interval_ms > 0 ? d->conf.probe_interval_ms :
		    d->conf.probe_timeout_ms));
		return;
	}
	live_down(d, LIVE_NOT_RUNNING, "sshd is not running at sshmedicd start");
}

void
live_stop(struct daemon *d)
{
	drop_pidfd(d);
	free(d->live.restarts);
	d->live.restarts = NULL;
}

void
live_on_pidfd(struct daemon *d)
{
	struct live *l = &d->live;
	struct pollfd pfd;
	char why[128];
	pid_t was = l->pid, pid;

	/*
	 * The event may be stale: one epoll batch can carry the readiness of
	 * a pidfd that was replaced since (a new master adopted). Only the
	 * pidfd we hold now, readable now, means our master exited.
	 */
	pfd.fd = l->pidfd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (l->pidfd == -1 || poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLIN))
		return;
	drop_pidfd(d);
	/* A restart by someone else leaves a new master in the pidfile. */
	if ((pid = sshd_pid(&d->conf)) != 0 && pid != was &&
	    live_adopt(d, pid) == 0)
		return;
	snprintf(why, sizeof(why), "sshd master pid %ld exited", (long)was);
	live_down(d, LIVE_EXITED, why);
}

void
live_on_pidfile(struct daemon *d)
{
	pid_t pid = sshd_pid(&d->conf);

	if (pid != 0 && pid != d->live.pid)
		live_adopt(d, pid);
}

void
live_on_deadline(struct daemon *d, int slot)
{
	switch (slot) {
	case DL_PROBE:
		live_probe(d);
		break;
	case DL_RESTART:
		try_restart(d);
		break;
	case DL_CANARY:
		live_canary(d);
		break;
	default:
		break;
	}
}

void
live_on_reconfig(struct daemon *d)
{
	size_t cap = (size_t)d->conf.restart_burst;

	/* The ring is sized from the config: start it anew. */
	free(d->live.restarts);
	d->live.restarts = xcalloc(cap, sizeof(*d->live.restarts));
	d->live.nrestarts = 0;
	if (d->live.step == LADDER_IDLE)
		live_arm_probe(d);
}
