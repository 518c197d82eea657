/*
 * The PAM event socket in the daemon: SCM_CREDENTIALS decides who may
 * speak (uid 0 only), event_parse decides what was said, counters count it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "authlog.h"
#include "bgwrite.h"
#include "conf.h"
#include "creds.h"
#include "counters.h"
#include "daemon.h"
#include "event.h"
#include "events.h"
#include "log.h"
#include "metrics.h"
#include "misc.h"
#include "pamfile.h"
#include "policies.h"
#include "report.h"
#include "xmalloc.h"

/* The newest login the persisted counters know of survives a restart. */
static void
newest_ok(const struct counters_entry *e, void *arg)
{
	struct events *ev = arg;

	if (e->last_ok_ms > ev->last_ok_ms)
		ev->last_ok_ms = e->last_ok_ms;
}

static void
load_counters(struct daemon *d)
{
	struct events *ev = &d->events;
	const char **names;
	char err[256], *aside;
	size_t i;

	names = xcalloc(d->conf.nprotected + 1, sizeof(*names));
	for (i = 0; i < d->conf.nprotected; i++)
		names[i] = d->conf.protected_users[i].name;
	/* conf bounds the sizes and names already; a failure is a bug. */
	if (counters_init(&ev->counters, (size_t)d->conf.counters_users,
	    (size_t)d->conf.counters_sources, names, d->conf.nprotected) == -1)
		fatal_f("counters_init: %s", strerror(errno));
	free(names);
	ev->have_counters = 1;
	if (counters_load(&ev->counters, ev->state_path, err,
	    sizeof(err)) == 0) {
		debug_f("counters loaded from %s", ev->state_path);
		counters_foreach(&ev->counters.users, newest_ok, ev);
		return;
	}
	if (errno == ENOENT)
		return;
	/* Never trusted: kept aside for a human, counting starts afresh. */
	if (asprintf(&aside, "%s.corrupt", ev->state_path) < 0)
		fatal_f("asprintf");
	error_f("counters %s: %s; ignored, moved to %s", ev->state_path, err,
	    aside);
	if (rename(ev->state_path, aside) == -1 && errno != ENOENT)
		error_f("rename %s: %s", ev->state_path, strerror(errno));
	free(aside);
}

static int
bind_socket(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, one = 1, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (sm_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* A socket left by a killed daemon; anything else is not ours. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return -1;
		}
		if (unlink(path) == -1)
			return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		goto fail;
	/*
	 * Anyone who can reach it may send (the directory decides that);
	 * every datagram's SCM_CREDENTIALS decide whether it counts.
	 */
	if (chmod(path, 0666) == -1) {
		e = errno;
		(void)unlink(path);
		errno = e;
		goto fail;
	}
	return fd;
 fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/*
 * The module's drop file: what it holds from before this start is
 * reported and counted, then a fresh one is made for the module to append
 * to (it never creates one itself).
 */
static void
open_drops(struct daemon *d)
{
	struct events *ev = &d->events;
	struct stat st;
	char reason[256];

	ev->drops_path = conf_event_drops(&d->conf);
	if (lstat(ev->drops_path, &st) == 0) {
		if (S_ISREG(st.st_mode) && st.st_size > 0) {
			ev->lost_before = (uint64_t)st.st_size;
			snprintf(reason, sizeof(reason), "%llu PAM events could "
			    "not be sent to sshmedicd (not running or its queue "
			    "full) before this start",
			    (unsigned long long)ev->lost_before);
			warn_f("%s", reason);
			report_simple(AUDIT_RESP_ANOMALY, "sshmedic-events-lost", 0,
			    0, NULL, ev->drops_path, reason, NULL);
		}
		if (unlink(ev->drops_path) == -1)
			error_f("unlink %s: %s", ev->drops_path, strerror(errno));
	}
	if ((ev->drops_fd = open(ev->drops_path, O_RDONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
		error_f("create %s: %s; events the module drops are not "
		    "counted", ev->drops_path, strerror(errno));
}

/* See events.h. */
uint64_t
events_lost(const struct events *ev)
{
	struct stat st;
	uint64_t n = ev->lost_before;

	if (ev->drops_fd != -1 && fstat(ev->drops_fd, &st) == 0)
		n += (uint64_t)st.st_size;
	return n;
}

/* 0 on success, -1 with errno. */
int
events_open(struct daemon *d)
{
	struct events *ev = &d->events;
	long qlen;

	ev->fd = -1;
	ev->drops_fd = -1;
	open_drops(d);
	ev->sock_path = conf_event_socket(&d->conf);
	if (asprintf(&ev->state_path, "%s/" COUNTERS_FILE,
	    d->conf.state_dir) < 0)
		fatal_f("asprintf");
	load_counters(d);
	/* Copied by the kernel into the socket when it is made. */
	qlen = read_sysctl_long("/proc/sys/net/unix/max_dgram_qlen");
	if ((ev->fd = bind_socket(ev->sock_path)) == -1)
		return -1;
	ev->qlen = qlen;
	if (EVENTS_HOLDOFF_ON(ev))
		debug_f("event socket queue %ld datagrams: hold-off %d ms "
		    "after a read", qlen, EVENTS_HOLDOFF_MS);
	else
		debug_f("event socket queue %ld datagrams: read at every "
		    "wakeup (too short for a hold-off)", qlen);
	return 0;
}

/* Writes the counters here and now (at exit; or when fork fails). */
static void
save_now(struct daemon *d)
{
	struct events *ev = &d->events;
	int ok;

	authlog_counters_saving(d);
	ok = counters_save(&ev->counters, ev->state_path) == 0;
	if (!ok) {
		ev->save_errors++;
		error_f("save counters %s: %s", ev->state_path,
		    strerror(errno));
	} else
		ev->dirty = 0;
	ev->last_save_ms = monotime_ms();
	authlog_counters_saved(d, ok);
}

/*
 * The saving child, if any: 1 still running, 0 gone (its result counted).
 * block waits for it (at exit).
 */
static int
reap_saver(struct daemon *d, int block)
{
	struct events *ev = &d->events;
	int r;

	if ((r = bgwrite_reap(&ev->saver, block)) == 1)
		return 1;
	if (r == -1) {
		/* Written again at the next deadline: nothing is lost but time. */
		ev->save_errors++;
		ev->dirty = 1;
		error_f("save counters %s: the writer failed", ev->state_path);
	}
	authlog_counters_saved(d, r == 0);
	return 0;
}

static int
save_child(void *arg)
{
	struct events *ev = arg;

	return counters_save(&ev->counters, ev->state_path);
}

/*
 * Hands the counters to a child that writes them (temporary, fsync,
 * rename, fsync of the directory) while the loop goes on reading events.
 */
static void
save(struct daemon *d)
{
	struct events *ev = &d->events;

	if (reap_saver(d, 0)) {
		daemon_set_deadline(d, DL_EVENTS, monotime_ms() + EVENTS_REAP_MS);
		return;
	}
	if (!ev->have_counters || !ev->dirty)
		return;
	/* Reaped early: the next write waits for its interval still. */
	if (monotime_ms() < ev->last_save_ms + EVENTS_SAVE_INTERVAL_MS) {
		daemon_set_deadline(d, DL_EVENTS,
		    ev->last_save_ms + EVENTS_SAVE_INTERVAL_MS);
		return;
	}
	authlog_counters_saving(d);
	if (bgwrite_start(d, &ev->saver, save_child, ev) == -1) {
		warn_f("fork: %s; counters written in the loop", strerror(errno));
		authlog_counters_saved(d, 0);
		save_now(d);
		return;
	}
	ev->dirty = 0;
	ev->last_save_ms = monotime_ms();
	daemon_set_deadline(d, DL_EVENTS, monotime_ms() + EVENTS_REAP_MS);
}

/* A save is due at most once per interval after a change. */
static void
schedule_save(struct daemon *d)
{
	struct events *ev = &d->events;
	int64_t when;

	if (d->deadline[DL_EVENTS] != 0)
		return;
	when = ev->last_save_ms + EVENTS_SAVE_INTERVAL_MS;
	if (when <= monotime_ms())
		when = monotime_ms() + 1;
	daemon_set_deadline(d, DL_EVENTS, when);
}

static void
reject(struct events *ev, int cred, const char *why, long uid)
{
	int64_t now = monotime_ms();

	ev->rejected++;
	if (cred)
		ev->rejected_cred++;
	else
		ev->rejected_format++;
	ev->rej_unlogged++;
	/* Whoever floods the socket must not flood the log as well. */
	if (ev->rej_log_ms != 0 && now - ev->rej_log_ms < EVENTS_REJECT_LOG_MS)
		return;
	if (uid >= 0)
		warn_f("event rejected: %s (uid %ld); %llu rejected since the "
		    "last report", why, uid,
		    (unsigned long long)ev->rej_unlogged);
	else
		warn_f("event rejected: %s; %llu rejected since the last "
		    "report", why, (unsigned long long)ev->rej_unlogged);
	ev->rej_log_ms = now;
	ev->rej_unlogged = 0;
}

/* See events.h. */
void
events_record(struct daemon *d, const struct sm_event *e, enum ev_src src)
{
	struct events *ev = &d->events;
	int success;

	/*
	 * A login is a success when its session opens: publickey logins
	 * never reach pam_authenticate, and counting auth_ok as well would
	 * count a password login twice.
	 */
	switch (e->kind) {
	case EVK_AUTH_FAIL:
	case EVK_ACCT_DENIED:
		success = 0;
		break;
	case EVK_SESSION_OPEN:
		success = 1;
		break;
	default:
		return;
	}
	if (!success && e->user[0] == '\0') {
		ev->anon_ring[ev->anon_pos] = realtime_ms();
		ev->anon_pos = (ev->anon_pos + 1) % COUNTERS_RING;
		if (ev->anon_n < COUNTERS_RING)
			ev->anon_n++;
		ev->anon_failures++;
	} else if (counters_record(&ev->counters, e->user, e->rhost, success,
	    realtime_ms()) == -1)
		debug_f("event %s: a name over %d characters not counted",
		    event_kind_name(e->kind), COUNTERS_KEY_MAX);
	if (success) {
		ev->seen_ok[src]++;
		ev->last_ok_ms = realtime_ms();
	} else
		ev->seen_fail[src]++;
	metrics_changed(d);
	ev->dirty = 1;
	schedule_save(d);
	/* A protected user got in: what let them in is known-good. */
	if (success && creds_is_protected(d, e->user)) {
		guard_on_login(d, e->user, e->pid);
		creds_on_session(d, e);
		pamfile_on_session(d, e->service);
	}
	policies_on_auth(d, e);
}

/* See events.h: 1/0. */
int
events_denied_seen(struct daemon *d, const char *user, enum ev_src src)
{
	struct events *ev = &d->events;
	int64_t now = monotime_ms();
	size_t i;

	for (i = 0; i < EVENTS_DEDUP; i++) {
		if (ev->denied[i].at_ms == 0 || ev->denied[i].src == src ||
		    now - ev->denied[i].at_ms > EVENTS_DEDUP_MS ||
		    strcmp(ev->denied[i].user, user) != 0)
			continue;
		ev->denied[i].at_ms = 0;
		ev->denied_twice++;
		return 1;
	}
	i = ev->denied_pos;
	ev->denied_pos = (ev->denied_pos + 1) % EVENTS_DEDUP;
	sm_strlcpy(ev->denied[i].user, user, sizeof(ev->denied[i].user));
	ev->denied[i].at_ms = now;
	ev->denied[i].src = src;
	return 0;
}

/* See events.h. */
unsigned int
events_anon_recent(const struct events *ev, int64_t since_ms)
{
	unsigned int i, n = 0;

	for (i = 0; i < ev->anon_n; i++)
		if (ev->anon_ring[i] >= since_ms)
			n++;
	return n;
}

/* Datagrams taken from the kernel in one recvmmsg call. */
#define EVENTS_MMSG	16

union ev_cmsg {
	struct cmsghdr	hdr;
	char		space[CMSG_SPACE(sizeof(struct ucred))];
};

/* One received datagram: who sent it, then what it says. */
static void
take_one(struct daemon *d, struct msghdr *msg, const char *buf, size_t n)
{
	struct events *ev = &d->events;
	struct cmsghdr *c;
	struct ucred cred;
	struct sm_event e;
	int have_cred = 0;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof(cred))) {
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			have_cred = 1;
		}
	}
	if (!have_cred) {
		reject(ev, 1, "no credentials", -1);
		return;
	}
	if (cred.uid != 0) {
		reject(ev, 1, "sender not root", (long)cred.uid);
		return;
	}
	if ((msg->msg_flags & MSG_TRUNC) || n > EVENT_MAX) {
		reject(ev, 0, "datagram too long", -1);
		return;
	}
	if (event_parse(buf, n, &e) == -1) {
		reject(ev, 0, "malformed datagram", -1);
		return;
	}
	ev->received++;
	/*
	 * Only sshd's own stack speaks for SSH logins: the module put in a
	 * shared common-auth (su, login, sudo) must not make a mistyped sudo
	 * password restore someone's keys.
	 */
	if (strcmp(e.service, d->conf.sshd_pam_service[0] ?
	    d->conf.sshd_pam_service : "sshd") != 0) {
		ev->other_service++;
		debug_f("event from PAM service %s (not sshd.pam_service): "
		    "not counted", e.service);
		return;
	}
	if (e.kind == EVK_ACCT_DENIED &&
	    events_denied_seen(d, e.user, EVS_PAM)) {
		debug_f("%s: the denial sshd's log reported already", e.user);
		return;
	}
	events_record(d, &e, EVS_PAM);
}

/*
 * Reads up to EVENTS_MMSG datagrams in one call (a flood costs one system
 * call per batch, not per event). The number read, 0 when none is pending.
 */
static int
read_batch(struct daemon *d)
{
	static char bufs[EVENTS_MMSG][EVENT_MAX + 1];
	static union ev_cmsg cms[EVENTS_MMSG];
	struct mmsghdr mm[EVENTS_MMSG];
	struct iovec iov[EVENTS_MMSG];
	int i, n;

	memset(mm, 0, sizeof(mm));
	for (i = 0; i < EVENTS_MMSG; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_control = cms[i].space;
		mm[i].msg_hdr.msg_controllen = sizeof(cms[i].space);
	}
	if ((n = recvmmsg(d->events.fd, mm, EVENTS_MMSG, MSG_DONTWAIT |
	    MSG_CMSG_CLOEXEC, NULL)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			error_f("recvmmsg: %s", strerror(errno));
		return 0;
	}
	for (i = 0; i < n; i++)
		take_one(d, &mm[i].msg_hdr, bufs[i], mm[i].msg_len);
	return n;
}

/*
 * The socket in or out of the epoll set; 0/-1. Where it cannot be taken
 * out it stays in (no hold-off); where it cannot go back it is read on a
 * slower deadline until it can, so nothing is ever left unread. Logged
 * once per run of failures.
 */
static int
park(struct daemon *d, int out)
{
	struct events *ev = &d->events;
	struct epoll_event ee;

	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN;
	ee.data.u64 = EVENTS_EV;
	if (epoll_ctl(d->epfd, out ? EPOLL_CTL_DEL : EPOLL_CTL_ADD, ev->fd,
	    out ? NULL : &ee) == -1) {
		if (!ev->park_failed)
			error_f("event socket %s the epoll set: %s",
			    out ? "out of" : "back into", strerror(errno));
		ev->park_failed = 1;
		return -1;
	}
	ev->park_failed = 0;
	ev->parked = out;
	return 0;
}

/* No return value: problems are counted and logged. */
void
events_handle(struct daemon *d, int from_deadline)
{
	struct events *ev = &d->events;
	int got = 0, n;

	if (ev->fd == -1)
		return;
	if (from_deadline)
		ev->deadline_reads++;
	else
		ev->wakeups++;
	while (got < EVENTS_BATCH && (n = read_batch(d)) > 0)
		got += n;
	if (!EVENTS_HOLDOFF_ON(ev))
		return;
	if (got > 0 && !ev->parked && park(d, 1) == -1)
		return;
	if (got == 0 && ev->parked) {
		if (park(d, 0) == -1)
			daemon_set_deadline(d, DL_EVREAD, monotime_ms() +
			    EVENTS_UNPARK_RETRY_MS);
		return;
	}
	if (ev->parked)
		/* A full batch: more is waiting, read on at once. */
		daemon_set_deadline(d, DL_EVREAD, monotime_ms() +
		    (got >= EVENTS_BATCH ? 0 : EVENTS_HOLDOFF_MS));
}

/* No return value. */
void
events_on_deadline(struct daemon *d)
{
	save(d);
}

/* See events.h. */
int
events_counters_durable(struct daemon *d)
{
	struct events *ev = &d->events;

	return !ev->have_counters || (!ev->dirty && ev->saver.pid == 0);
}

/* See events.h. */
void
events_flush(struct daemon *d)
{
	struct events *ev = &d->events;

	(void)reap_saver(d, 1);
	if (ev->have_counters && ev->dirty)
		save_now(d);
}

/* No return value. */
void
events_close(struct daemon *d)
{
	struct events *ev = &d->events;

	events_flush(d);
	if (ev->fd != -1) {
		close(ev->fd);
		ev->fd = -1;
		if (ev->sock_path != NULL)
			(void)unlink(ev->sock_path);
	}
	/* Left in place: drops while the daemon is down are counted there. */
	if (ev->drops_fd != -1)
		close(ev->drops_fd);
	ev->drops_fd = -1;
	free(ev->drops_path);
	ev->drops_path = NULL;
	if (ev->have_counters)
		counters_free(&ev->counters);
	ev->have_counters = 0;
	free(ev->sock_path);
	free(ev->state_path);
	ev->sock_path = ev->state_path = NULL;
}
