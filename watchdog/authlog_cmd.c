/*
 * authlog.command: a program printing sshd's messages (journalctl) run in
 * the background, its stdout in the loop, restarted with backoff when it ends.
 */
#include "config.h"

#include <errno.h>
#include <libaudit.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "authlog.h"
#include "daemon.h"
#include "log.h"
#include "misc.h"
#include "report.h"
#include "spawn.h"

static void
epoll_watch(struct daemon *d, int fd, uint64_t tag)
{
	if (daemon_epoll_add(d, fd, tag) == -1)
		fatal_f("epoll_ctl: %s", strerror(errno));
}

static void
drop_fd(struct daemon *d, int *fd)
{
	if (*fd == -1)
		return;
	(void)epoll_ctl(d->epfd, EPOLL_CTL_DEL, *fd, NULL);
	close(*fd);
	*fd = -1;
}

static void
schedule_restart(struct daemon *d)
{
	struct authlog *a = &d->authlog;
	int64_t now = monotime_ms();

	/* A run that lasted resets the backoff; quick deaths double it. */
	if (a->backoff_ms == 0 ||
	    now - a->started_ms >= AUTHLOG_BACKOFF_MAX_MS)
		a->backoff_ms = AUTHLOG_BACKOFF_MIN_MS;
	else if ((a->backoff_ms *= 2) > AUTHLOG_BACKOFF_MAX_MS)
		a->backoff_ms = AUTHLOG_BACKOFF_MAX_MS;
	a->restart_due = now + a->backoff_ms;
}

/* See authlog.h: starts authlog.command; a failure schedules a retry. */
void
authlog_cmd_start(struct daemon *d)
{
	struct authlog *a = &d->authlog;
	char why[512];
	pid_t pid;
	int fd;

	a->started_ms = monotime_ms();
	if (spawn_background(a->argv, NULL, &pid, &fd) == -1) {
		snprintf(why, sizeof(why), "authlog.command %s could not be "
		    "started: %s", a->argv[0], strerror(errno));
		error_f("%s", why);
		schedule_restart(d);
		return;
	}
	a->pid = pid;
	a->outfd = fd;
	epoll_watch(d, a->outfd, AUTHLOG_EV_OUT);
	/* Without a pidfd, the end of its output says it ended. */
	if ((a->pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1)
		debug_f("pidfd_open: %s", strerror(errno));
	else
		epoll_watch(d, a->pidfd, AUTHLOG_EV_PID);
	logit("authlog: %s started (pid %ld)", a->argv[0], (long)pid);
}

/* Reads at most AUTHLOG_READ_MAX; 1 at EOF (or a read error), else 0. */
static int
read_out(struct daemon *d)
{
	struct authlog *a = &d->authlog;
	size_t total = 0;
	ssize_t n;

	while (a->outfd != -1 && total < AUTHLOG_READ_MAX) {
		n = read(a->outfd, a->chunk, AUTHLOG_READ_MAX - total);
		if (n > 0) {
			authlog_feed(d, a->chunk, (size_t)n);
			total += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n == -1)
			error_f("authlog: read from %s: %s", a->argv[0],
			    strerror(errno));
		return 1;
	}
	return 0;
}

/*
 * The command ended (or closed its output): whatever is left of its group
 * is killed, it is reaped, and restarted after the backoff.
 */
static void
ended(struct daemon *d)
{
	struct authlog *a = &d->authlog;
	char how[96], why[512];
	int st = 0;

	drop_fd(d, &a->outfd);
	drop_fd(d, &a->pidfd);
	(void)kill(-a->pid, SIGKILL);
	while (waitpid(a->pid, &st, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(st))
		snprintf(how, sizeof(how), "exited with %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(how, sizeof(how), "was killed by signal %d",
		    WTERMSIG(st));
	else
		snprintf(how, sizeof(how), "ended");
	a->pid = 0;
	a->len = 0;		/* a last line without its newline: gone */
	a->dropping = 0;
	a->restarts++;
	schedule_restart(d);
	snprintf(why, sizeof(why), "authlog.command %s %s; restarted in %d "
	    "ms (restart %llu); rejected keys logged meanwhile are not "
	    "counted", a->argv[0], how, a->backoff_ms,
	    (unsigned long long)a->restarts);
	error_f("%s", why);
	report_simple(AUDIT_SERVICE_STOP, "sshmedic-authlog-restart", 0, 0,
	    "sshmedic-authlog", NULL, why, NULL);
	authlog_arm(d);
}

/* See authlog.h. */
void
authlog_on_output(struct daemon *d)
{
	if (d->authlog.src != AL_COMMAND || d->authlog.outfd == -1)
		return;
	if (read_out(d))
		ended(d);
}

/* See authlog.h: what it wrote before exiting is read first (bounded). */
void
authlog_on_exit(struct daemon *d)
{
	struct authlog *a = &d->authlog;
	int i;

	if (a->src != AL_COMMAND || a->pid == 0)
		return;
	for (i = 0; i < 16 && a->outfd != -1; i++)
		if (read_out(d))
			break;
	ended(d);
}

/* See authlog.h: SIGTERM to its group, SIGKILL after AUTHLOG_STOP_MS. */
void
authlog_cmd_stop(struct daemon *d)
{
	struct authlog *a = &d->authlog;
	struct pollfd pfd;
	int st;

	drop_fd(d, &a->outfd);
	if (a->pid != 0) {
		(void)kill(-a->pid, SIGTERM);
		if (a->pidfd != -1) {
			pfd.fd = a->pidfd;
			pfd.events = POLLIN;
			(void)poll(&pfd, 1, AUTHLOG_STOP_MS);
		}
		(void)kill(-a->pid, SIGKILL);
		while (waitpid(a->pid, &st, 0) == -1 && errno == EINTR)
			;
		a->pid = 0;
	}
	drop_fd(d, &a->pidfd);
	a->restart_due = 0;
}
