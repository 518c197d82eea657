/*
 * sshmedicd: the watchdog daemon. One epoll loop over signalfd, timerfd,
 * inotify and the control socket; no threads; deadlines in one table.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <libaudit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sysexits.h>
#include <unistd.h>

#include "authlog.h"
#include "conf.h"
#include "ctl.h"
#include "ctlsrv.h"
#include "daemon.h"
#include "fsutil.h"
#include "guard.h"
#include "log.h"
#include "metrics.h"
#include "misc.h"
#include "notify.h"
#include "policy.h"
#include "requests.h"
#include "spawn.h"
#include "report.h"
#include "store.h"
#include "watch.h"
#include "xmalloc.h"

#define EV_SIGNAL	1
#define EV_TIMER	2
#define EV_INOTIFY	3
#define EV_CTL		4
#define EV_PIDFD	5	/* live.c registers the sshd master's pidfd */
#define EV_EVENTS	EVENTS_EV	/* PAM event datagrams */
/* AUTHLOG_EV_OUT, AUTHLOG_EV_PID (20, 21): authlog.h */

static void
usage(void)
{
	fprintf(stderr, "usage: sshmedicd [-dDtV] [-f config]\n"
	    "  -f FILE  configuration (default %s)\n"
	    "  -D       stay in the foreground\n"
	    "  -d       debug output to stderr (implies -D)\n"
	    "  -t       check the configuration and the policies, exit (0 valid, 78 not)\n"
	    "  -V       print the version and exit\n", CONF_DEFAULT_PATH);
	exit(EX_USAGE);
}

void
daemon_set_deadline(struct daemon *d, enum dl_slot slot, int64_t when_ms)
{
	d->deadline[slot] = when_ms;
}

static void
arm_timer(struct daemon *d)
{
	struct itimerspec its;
	int64_t next = 0;
	int i;

	for (i = 0; i < DL_NSLOTS; i++)
		if (d->deadline[i] != 0 && (next == 0 || d->deadline[i] < next))
			next = d->deadline[i];
	memset(&its, 0, sizeof(its));
	if (next != 0) {
		/* 0 would disarm: a deadline already past fires at once. */
		if (next <= 0)
			next = 1;
		its.it_value.tv_sec = next / 1000;
		its.it_value.tv_nsec = (next % 1000) * 1000000;
	}
	if (timerfd_settime(d->timerfd, TFD_TIMER_ABSTIME, &its, NULL) == -1)
		fatal_f("timerfd_settime: %s", strerror(errno));
}

static void
notify_watchdog(struct daemon *d)
{
	notify_send("WATCHDOG=1");
	if (d->watchdog_ms > 0)
		daemon_set_deadline(d, DL_WATCHDOG,
		    monotime_ms() + d->watchdog_ms);
}

static void
notify_ready(struct daemon *d)
{
	char st[256];

	d->watchdog_ms = notify_init();
	snprintf(st, sizeof(st), "READY=1\nSTATUS=guarding %s, generation "
	    "%lu, sshd %s", d->conf.sshd_config, d->guard.good_gen,
	    d->live.pid != 0 ? "up" : "down");
	notify_send(st);
	if (d->watchdog_ms > 0)
		notify_watchdog(d);
}

static void
run_deadlines(struct daemon *d)
{
	uint64_t ticks;
	int64_t now = monotime_ms();
	int i;

	if (read(d->timerfd, &ticks, sizeof(ticks)) == -1 && errno != EAGAIN)
		error_f("timerfd read: %s", strerror(errno));
	for (i = 0; i < DL_NSLOTS; i++) {
		if (d->deadline[i] == 0 || d->deadline[i] > now)
			continue;
		d->deadline[i] = 0;
		switch (i) {
		case DL_PROBE:
		case DL_RESTART:
		case DL_CANARY:
			live_on_deadline(d, i);
			break;
		case DL_WATCHDOG:
			notify_watchdog(d);
			break;
		case DL_EVENTS:
			events_on_deadline(d);
			break;
		case DL_AUTHLOG:
			authlog_on_deadline(d);
			break;
		case DL_REQUESTS:
			requests_scan(d);
			break;
		case DL_METRICS:
			metrics_on_deadline(d);
			break;
		case DL_EVREAD:
			events_handle(d, 1);
			break;
		default:
			guard_on_deadline(d, i);
			break;
		}
	}
}

static void
emit_daemon(int type, const char *op, int ok, const char *reason)
{
	report_simple(type, op, ok, 0, "sshmedicd", NULL, reason, NULL);
}

static void
reconfigure(struct daemon *d)
{
	struct sm_conf nc;
	char err[1024], reason[1100];

	if (conf_load(d->conf_path, &nc, d->conf_flags, err,
	    sizeof(err)) == -1) {
		snprintf(reason, sizeof(reason), "new configuration refused, "
		    "the running one is kept: %s", err);
		error_f("%s", reason);
		emit_daemon(AUDIT_USYS_CONFIG, "sshmedic-daemon-reconfig", 0,
		    reason);
		conf_free(&nc);
		return;
	}
	/* Sockets, store and pidfile stay where they are until a restart. */
	if (strcmp(nc.state_dir, d->conf.state_dir) != 0 ||
	    strcmp(nc.run_dir, d->conf.run_dir) != 0 ||
	    strcmp(nc.log_json, d->conf.log_json) != 0 ||
	    strcmp(nc.metrics_textfile, d->conf.metrics_textfile) != 0)
		warn_f("paths.state, paths.run, log.json and metrics.textfile "
		    "changes take effect at the next start");
	free(nc.state_dir);
	nc.state_dir = xstrdup(d->conf.state_dir);
	free(nc.run_dir);
	nc.run_dir = xstrdup(d->conf.run_dir);
	free(nc.log_json);
	nc.log_json = xstrdup(d->conf.log_json);
	free(nc.metrics_textfile);
	nc.metrics_textfile = xstrdup(d->conf.metrics_textfile);
	conf_free(&d->conf);
	d->conf = nc;
	emit_daemon(AUDIT_USYS_CONFIG, "sshmedic-daemon-reconfig", 1,
	    "configuration re-read");
	policies_load(d, 1);
	guard_on_reconfig(d);
	live_on_reconfig(d);
	authlog_on_reconfig(d);
}

static void
handle_signals(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			logit("SIGHUP: re-reading %s", d->conf_path);
			reconfigure(d);
			break;
		case SIGTERM:
		case SIGINT:
			logit("signal %u: stopping", si.ssi_signo);
			d->quit = 1;
			break;
		default:
			break;
		}
	}
}

static void
on_watch_event(void *arg, const struct watch_ev *ev)
{
	guard_on_watch(arg, ev);
	authlog_on_watch(arg, ev);
	requests_on_watch(arg, ev);
}

/* See daemon.h: 0/-1 with errno. */
int
daemon_epoll_add(struct daemon *d, int fd, uint64_t tag)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = tag;
	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* The loop's own descriptors: without one of them there is no daemon. */
static void
epoll_add(struct daemon *d, int fd, uint64_t tag)
{
	if (daemon_epoll_add(d, fd, tag) == -1)
		fatal_f("epoll_ctl: %s", strerror(errno));
}

/* Single instance: the pidfile is locked as long as we run. */
static void
take_pidfile(struct daemon *d)
{
	char *path = conf_pidfile(&d->conf), buf[32];
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1)
		fatal_f("open %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fprintf(stderr, "sshmedicd: already running (pid %s, %s "
		    "locked)\n", buf[0] ? buf : "?", path);
		exit(EX_TEMPFAIL);
	}
	snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || write(fd, buf, strlen(buf)) == -1)
		fatal_f("write %s: %s", path, strerror(errno));
	d->lockfd = fd;
	free(path);
}

static void
detach(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) == -1)
		fatal_f("fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	if (setsid() == -1)
		fatal_f("setsid: %s", strerror(errno));
	if ((pid = fork()) == -1)
		fatal_f("fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	if (chdir("/") == -1)
		fatal_f("chdir /: %s", strerror(errno));
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

/*
 * SCHED_BATCH: a woken sshmedicd never preempts the task that woke it, so
 * a login's datagram never makes the login wait for the daemon's work on
 * its CPU (bench/pam: 52-100% of sends were preempted before). It still
 * runs as soon as a CPU is free: its own deadlines are milliseconds long.
 *
 * Nice SCHED_NICE (when started at 0): the share of CPU it gets when it
 * has work, e.g. a storm of failed logins to count. At nice 0 a flood of
 * 64 senders left it 1/65 of the CPU (bench/pam: 23 000-45 000 events/s,
 * the rest lost); at -10, 244 000/s. Before the event socket's hold-off
 * this cost the logins (the tick gave the daemon, woken per datagram, the
 * caller's CPU: 41% of the module's sends preempted, +11 us a call); with
 * the hold-off the module's sends are preempted no more often than the
 * same stack's without it (bench/pam's preemption table). auditd does the
 * same for the same reason (auditd.conf's priority_boost, 4 by default).
 * The price: a runaway sshmedicd would take more of the CPU from logins
 * than at nice 0; its own work is short and bounded (timeouts on every
 * program it runs). Started with a nice of its own (an admin's choice),
 * it keeps that one.
 * spawn.c puts sshd and every tool it starts back to SCHED_OTHER and to
 * the nice sshmedicd was started with.
 */
#define SCHED_NICE	(-10)

static void
set_sched(void)
{
	struct sched_param sp;
	int nice;

	errno = 0;
	nice = getpriority(PRIO_PROCESS, 0);
	if (errno == 0) {
		spawn_set_child_nice(nice);
		if (nice == 0 && setpriority(PRIO_PROCESS, 0, SCHED_NICE) == -1)
			warn_f("setpriority %d: %s; a storm of logins may be "
			    "counted only in part", SCHED_NICE, strerror(errno));
	}
	memset(&sp, 0, sizeof(sp));
	if (sched_setscheduler(0, SCHED_BATCH, &sp) == -1)
		warn_f("sched_setscheduler SCHED_BATCH: %s; a login may wait for "
		    "this daemon's work on its CPU", strerror(errno));
}

static void
setup(struct daemon *d)
{
	struct report_cfg rc;
	sigset_t mask;
	char *sock;
	int n;

	umask(077);
	set_sched();
	if (fs_mkdir_p(d->conf.run_dir, 0700) == -1)
		fatal_f("mkdir %s: %s", d->conf.run_dir, strerror(errno));
	if (fs_mkdir_p(d->conf.state_dir, 0700) == -1)
		fatal_f("mkdir %s: %s", d->conf.state_dir, strerror(errno));
	if (!d->foreground)
		detach();
	take_pidfile(d);

	memset(&rc, 0, sizeof(rc));
	rc.json_path = d->conf.log_json;
	rc.audit = d->conf.log_audit;
	rc.syslog = d->conf.log_syslog;
	rc.ident = "sshmedicd";
	if (report_open(&rc) == -1)
		error_f("event log %s: %s; audit and syslog still work",
		    d->conf.log_json, strerror(errno));
	metrics_init(d);

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == -1)
		fatal_f("sigprocmask: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	if ((d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal_f("signalfd: %s", strerror(errno));
	if ((d->timerfd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC)) == -1)
		fatal_f("timerfd_create: %s", strerror(errno));
	if ((d->inofd = watch_init()) == -1)
		fatal_f("inotify: %s", strerror(errno));
	sock = conf_ctl_socket(&d->conf);
	if ((d->ctlfd = ctl_listen(sock)) == -1)
		fatal_f("control socket %s: %s", sock, strerror(errno));
	free(sock);
	if (store_open(&d->store, d->conf.state_dir, d->conf.keep_generations,
	    d->conf.keep_quarantine) == -1)
		fatal_f("store %s: %s", d->conf.state_dir, strerror(errno));
	if ((n = store_sweep_temps(&d->store)) > 0)
		logit("removed %d temporary files a killed writer left in %s",
		    n, d->conf.state_dir);
	if ((d->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal_f("epoll_create1: %s", strerror(errno));
	epoll_add(d, d->sigfd, EV_SIGNAL);
	epoll_add(d, d->timerfd, EV_TIMER);
	epoll_add(d, d->inofd, EV_INOTIFY);
	epoll_add(d, d->ctlfd, EV_CTL);
	if (events_open(d) == -1)
		fatal_f("event socket %s: %s", d->events.sock_path,
		    strerror(errno));
	epoll_add(d, d->events.fd, EV_EVENTS);
}

static void
loop(struct daemon *d)
{
	struct epoll_event evs[8];
	int i, n;

	while (!d->quit) {
		arm_timer(d);
		n = epoll_wait(d->epfd, evs, (int)SM_NELEM(evs), -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal_f("epoll_wait: %s", strerror(errno));
		}
		for (i = 0; i < n; i++) {
			switch (evs[i].data.u64) {
			case EV_SIGNAL:
				handle_signals(d);
				break;
			case EV_TIMER:
				run_deadlines(d);
				break;
			case EV_INOTIFY:
				watch_drain(on_watch_event, d);
				break;
			case EV_CTL:
				ctlsrv_handle(d);
				break;
			case EV_PIDFD:
				live_on_pidfd(d);
				break;
			case EV_EVENTS:
				events_handle(d, 0);
				break;
			case AUTHLOG_EV_OUT:
				authlog_on_output(d);
				break;
			case AUTHLOG_EV_PID:
				authlog_on_exit(d);
				break;
			}
		}
	}
}

/*
 * -t, once sshmedic.conf is valid: the policies as the daemon will load
 * them, each refused file on stderr. An exit code: 0 or EX_CONFIG.
 */
static int
test_policies(const struct sm_conf *c, const char *conf_path)
{
	struct policy_set ps;
	size_t i;
	int r;

	r = policy_load_dir(&ps, c->policies_dir, 1);
	for (i = 0; i < ps.nerrors; i++)
		fprintf(stderr, "sshmedicd: %s\n", ps.errors[i]);
	if (r == -1 || ps.nerrors > 0)
		r = EX_CONFIG;
	else {
		printf(c->path != NULL ? "%s: configuration is valid\n" :
		    "%s: absent, the built-in defaults are valid\n", conf_path);
		printf("%zu polic%s in %zu file%s\n", ps.n,
		    ps.n == 1 ? "y" : "ies", ps.nfiles, ps.nfiles == 1 ? "" : "s");
		r = 0;
	}
	policy_set_free(&ps);
	return r;
}

int
main(int argc, char **argv)
{
	/*
	 * Static, so zero already: no memset. Its 400 kB are mostly tables
	 * used by few entries (creds' user cache, the PAM file list); a
	 * memset made every page of them resident at start (bench/guard:
	 * +400 kB idle).
	 */
	static struct daemon d;
	char err[1024], *sock;
	int ch, rc, test_only = 0;

	d.conf_path = CONF_DEFAULT_PATH;
	d.conf_flags = CONF_CHECK_OWNER | CONF_ABSENT_OK;
	d.lockfd = d.epfd = d.sigfd = d.timerfd = d.inofd = d.ctlfd = -1;
	d.events.fd = d.events.drops_fd = -1;
	while ((ch = getopt(argc, argv, "f:DdtVh")) != -1) {
		switch (ch) {
		case 'f':
			d.conf_path = optarg;
			d.conf_flags = CONF_CHECK_OWNER;
			break;
		case 'D':
			d.foreground = 1;
			break;
		case 'd':
			d.debug = 1;
			d.foreground = 1;
			break;
		case 't':
			test_only = 1;
			break;
		case 'V':
			printf("sshmedicd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("sshmedicd", d.foreground || test_only, d.debug);
	if (conf_load(d.conf_path, &d.conf, d.conf_flags, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "sshmedicd: %s\n", err);
		conf_free(&d.conf);
		return EX_CONFIG;
	}
	if (test_only) {
		rc = test_policies(&d.conf, d.conf_path);
		conf_free(&d.conf);
		return rc;
	}
	if (geteuid() != 0)
		warn_f("not running as root: repairs of root-owned files will fail");
	d.started_ms = realtime_ms();
	setup(&d);
	emit_daemon(AUDIT_SERVICE_START, "sshmedic-daemon-start", 1, NULL);
	logit("sshmedicd %s started, guarding %s", PACKAGE_VERSION,
	    d.conf.sshd_config);
	if (d.conf.path == NULL)
		logit("%s is absent: running with the built-in defaults",
		    d.conf_path);
	policies_load(&d, 0);
	guard_start(&d);
	live_start(&d);
	authlog_start(&d);
	requests_start(&d);
	notify_ready(&d);
	loop(&d);
	notify_send("STOPPING=1");
	emit_daemon(AUDIT_SERVICE_STOP, "sshmedic-daemon-stop", 1, NULL);
	metrics_stop(&d);
	live_stop(&d);
	guard_stop(&d);
	authlog_stop(&d);
	events_close(&d);
	policies_free(&d);
	creds_forget(&d);
	sock = conf_ctl_socket(&d.conf);
	unlink(sock);
	free(sock);
	watch_close();
	store_close(&d.store);
	report_close();
	conf_free(&d.conf);
	return 0;
}
