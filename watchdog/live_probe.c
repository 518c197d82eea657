/*
 * The two probes of liveness: the SSH banner (a stuck master is killed
 * after probe.misses) and the optional canary login.
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
#include "hostkeys.h"
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

void
live_probe(struct daemon *d)
{
	struct live *l = &d->live;
	char reason[256], why[400];
	pid_t pid = sshd_pid(&d->conf);

	if (pid != 0 && sshd_probe_banner(&d->conf, reason, sizeof(reason))) {
		if (pid != l->pid)
			live_adopt(d, pid);
		l->misses = 0;
		l->probe_ok_ms = realtime_ms();
		live_arm_probe(d);
		return;
	}
	if (pid == 0) {
		live_down(d, LIVE_NOT_RUNNING,
		    "no sshd master process (pidfile empty or stale)");
		return;
	}
	l->misses++;
	debug_f("probe miss %d/%d: %s", l->misses, d->conf.probe_misses, reason);
	if (l->misses < d->conf.probe_misses) {
		daemon_set_deadline(d, DL_PROBE,
		    monotime_ms() + d->conf.probe_interval_ms);
		return;
	}
	/* Alive but not answering (stopped, stuck): only a kill helps. */
	snprintf(why, sizeof(why), "sshd master pid %ld alive but not answering "
	    "(%d probes: %s); killed", (long)pid, l->misses, reason);
	kill(pid, SIGKILL);
	live_down(d, LIVE_UNRESPONSIVE, why);
}

void
live_canary(struct daemon *d)
{
	struct live *l = &d->live;
	struct spawn_res r;
	char port[16], dest[300], kh[600], how[96], why[700];
	char *argv[] = { "/usr/bin/ssh", "-i", d->conf.canary_key,
	    "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
	    "-o", "StrictHostKeyChecking=accept-new", "-o", kh,
	    "-o", "ConnectTimeout=5", "-p", port, dest, "true", NULL };
	int ok;

	snprintf(port, sizeof(port), "%d", d->conf.probe_port);
	snprintf(dest, sizeof(dest), "%s@%s", d->conf.canary_user,
	    d->conf.probe_address);
	/* Its own known-hosts file: first use pins the host key. */
	snprintf(kh, sizeof(kh), "UserKnownHostsFile=%s/" HOSTKEY_CANARY_PIN,
	    d->conf.state_dir);
	if (spawn_run(argv, NULL, NULL, 0, d->conf.probe_timeout_ms * 5, 2048,
	    &r) == -1) {
		error_f("canary: ssh: %s", strerror(errno));
		live_arm_probe(d);
		return;
	}
	ok = spawn_ok(&r);
	if (ok) {
		if (l->canary_misses > 0 || l->canary_failing)
			live_emit(d, AUDIT_SERVICE_START, "sshmedic-canary", 1,
			    "canary login works again");
		l->canary_misses = 0;
		l->canary_failing = 0;
		guard_on_login(d, "the canary", 0);
	} else {
		l->canary_misses++;
		l->canary_failing = 1;
		snprintf(why, sizeof(why), "canary login of %s failed (%d/%d): "
		    "%s: %.300s", d->conf.canary_user, l->canary_misses,
		    d->conf.canary_misses, spawn_describe(&r, how, sizeof(how)),
		    r.err);
		why[strcspn(why, "\r\n")] = '\0';
		live_emit(d, AUDIT_SERVICE_STOP, "sshmedic-canary", 0, why);
	}
	spawn_res_free(&r);
	if (!ok && l->canary_misses >= d->conf.canary_misses) {
		pid_t pid = sshd_pid(&d->conf);

		if (pid != 0)
			kill(pid, SIGTERM);
		live_down(d, LIVE_CANARY,
		    "canary login keeps failing: restarting sshd");
		return;
	}
	daemon_set_deadline(d, DL_CANARY,
	    monotime_ms() + d->conf.canary_interval_ms);
}
