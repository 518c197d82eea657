/*
 * Commit confirmed, as on routers: a served change stays provisional until
 * a fresh login of a protected user (or the canary) proves it, else it goes.
 */
#include "config.h"

#include <errno.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "closure.h"
#include "daemon.h"
#include "fsutil.h"
#include "guard.h"
#include "guard_int.h"
#include "log.h"
#include "misc.h"
#include "sshd.h"
#include "store.h"
#include "xmalloc.h"

#define KEY_PROV	"provisional"	/* "<digest> <served_ms> <until_ms>" */
#define KEY_TRY		"try_ms"

/* See guard_int.h: 1/0. */
int
guard_confirm_needed(struct daemon *d)
{
	return d->conf.confirm_login || d->guard.try_ms > 0;
}

static void
persist(struct daemon *d)
{
	struct guard *g = &d->guard;
	char val[DIGEST_HEX_LEN + 64];

	if (g->prov_digest[0] == '\0')
		(void)store_state_set(&d->store, KEY_PROV, NULL);
	else {
		snprintf(val, sizeof(val), "%s %lld %lld", g->prov_digest,
		    (long long)g->prov_served_ms, (long long)g->prov_until_ms);
		if (store_state_set(&d->store, KEY_PROV, val) == -1)
			error_f("store state %s: %s", KEY_PROV, strerror(errno));
	}
}

/* See guard_int.h. */
void
guard_confirm_clear(struct daemon *d)
{
	struct guard *g = &d->guard;

	if (g->prov_digest[0] == '\0')
		return;
	g->prov_digest[0] = '\0';
	g->prov_served_ms = g->prov_until_ms = 0;
	daemon_set_deadline(d, DL_CONFIRM, 0);
	persist(d);
}

static void
arm(struct daemon *d)
{
	int64_t left = d->guard.prov_until_ms - realtime_ms();

	daemon_set_deadline(d, DL_CONFIRM, monotime_ms() +
	    (left > 0 ? left : 1));
}

/* See guard_int.h. */
void
guard_make_provisional(struct daemon *d, const struct closure *cl)
{
	struct guard *g = &d->guard;
	char reason[512], val[32];
	int64_t now = realtime_ms(), timeout;

	if (g->state == GS_PROVISIONAL && strcmp(g->prov_digest,
	    cl->digest) == 0)
		return;
	/*
	 * A provisional change kept across a restart keeps its deadline, even
	 * one that passed while the daemon was down (it is reverted at once).
	 */
	if (strcmp(g->prov_digest, cl->digest) != 0) {
		timeout = g->try_ms > 0 ? g->try_ms : d->conf.confirm_timeout_ms;
		sm_strlcpy(g->prov_digest, cl->digest, sizeof(g->prov_digest));
		g->prov_served_ms = sshd_pidfile_mtime_ms(&d->conf);
		if (g->prov_served_ms == 0 || g->prov_served_ms > now)
			g->prov_served_ms = now;
		g->prov_until_ms = now + timeout;
	}
	if (g->try_ms > 0) {
		g->try_ms = 0;
		(void)store_state_set(&d->store, KEY_TRY, NULL);
	}
	persist(d);
	g->candidate_digest[0] = '\0';
	daemon_set_deadline(d, DL_SERVE, 0);
	guard_set_state(d, GS_PROVISIONAL);
	arm(d);
	snprintf(val, sizeof(val), "%lld",
	    (long long)((g->prov_until_ms - now + 999) / 1000));
	snprintf(reason, sizeof(reason), "served by sshd; reverted to "
	    "generation %lu in %s s unless a protected user%s logs in",
	    g->good_gen, val, d->conf.canary_user[0] ? " or the canary" : "");
	guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-provisional", 1,
	    g->good_gen, 0, NULL, reason, NULL, NULL);
	/* The canary need not wait for its next round. */
	if (d->conf.canary_user[0] != '\0')
		daemon_set_deadline(d, DL_CANARY, monotime_ms());
}

/*
 * Realtime ms at which process pid started, or -1 when it cannot be told.
 * /proc/PID/stat gives the start in clock ticks since boot (the boottime
 * clock); the boot's realtime comes from both clocks read now, to the ms,
 * realtime first: a delay between the two reads makes the start look
 * earlier (not a confirmation), never later. /proc/stat's btime is whole
 * seconds, up to 1 s early: every login in the second after a reload
 * looked older than the change it would confirm.
 */
static int64_t
proc_start_ms(long pid)
{
	char path[64], *buf = NULL, *p;
	unsigned long long start;
	struct timespec rt, bt;
	int64_t boot_ms;
	size_t len;
	long hz = sysconf(_SC_CLK_TCK);
	int field;

	if (pid <= 0 || hz <= 0 || clock_gettime(CLOCK_REALTIME, &rt) == -1 ||
	    clock_gettime(CLOCK_BOOTTIME, &bt) == -1)
		return -1;
	boot_ms = ((int64_t)rt.tv_sec - bt.tv_sec) * 1000 +
	    (rt.tv_nsec - bt.tv_nsec) / 1000000;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (fs_read_file(path, 4096, 1, &buf, &len) == -1)
		return -1;
	/* The command may hold spaces and parentheses: count after the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL) {
		free(buf);
		return -1;
	}
	for (field = 2; p != NULL && field < 22; field++)
		p = strchr(p + 1, ' ');
	start = p != NULL ? strtoull(p + 1, NULL, 10) : 0;
	free(buf);
	if (p == NULL)
		return -1;
	return boot_ms + (int64_t)(start * 1000 / (unsigned long long)hz);
}

/* See guard.h. */
void
guard_on_login(struct daemon *d, const char *who, long pid)
{
	struct guard *g = &d->guard;
	struct closure cl;
	char why[256];
	int64_t started;

	if (g->state != GS_PROVISIONAL)
		return;
	/*
	 * Only a connection sshd accepted after it began serving the change
	 * proves it: one accepted before runs the old configuration. The
	 * start time has clock-tick resolution: one tick of margin.
	 * XXX a session that ended before its event was read (`ssh host
	 * true` on a busy machine) cannot be told and does not count, and a
	 * pid used again by then is taken for it: the module could send the
	 * start time of the process it runs in.
	 */
	if (pid != 0) {
		if ((started = proc_start_ms(pid)) == -1) {
			debug_f("login of %s: sshd pid %ld is gone, when its "
			    "connection began cannot be told: not a "
			    "confirmation", who, pid);
			return;
		}
		if (started <= g->prov_served_ms + 1000 / sysconf(_SC_CLK_TCK)) {
			debug_f("login of %s (sshd pid %ld) began before the "
			    "change was served: not a confirmation", who, pid);
			return;
		}
	}
	guard_read_closure(d, &cl);
	if (strcmp(cl.digest, g->prov_digest) == 0) {
		snprintf(why, sizeof(why), "confirmed by a login of %s after "
		    "sshd served it", who);
		guard_confirm_clear(d);
		guard_do_promote(d, &cl, why);
	}
	closure_free(&cl);
}

/* See guard_int.h. */
void
guard_confirm_expired(struct daemon *d)
{
	struct guard *g = &d->guard;
	char reason[512];

	if (g->state != GS_PROVISIONAL)
		return;
	snprintf(reason, sizeof(reason), "no protected user%s logged in "
	    "within %lld s after sshd served the change (guard.confirm)",
	    d->conf.canary_user[0] ? " nor the canary" : "",
	    (long long)((g->prov_until_ms - g->prov_served_ms) / 1000));
	guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-unconfirmed", 0,
	    g->good_gen, 0, NULL, reason, NULL, NULL);
	g->rejections++;
	sm_strlcpy(g->rejected_digest, g->prov_digest,
	    sizeof(g->rejected_digest));
	sm_strlcpy(g->rejected_reason, reason, sizeof(g->rejected_reason));
	guard_confirm_clear(d);
	guard_set_state(d, GS_GRACE);
	guard_do_rollback(d, reason);
}

/* See guard.h: 0/-1. */
int
guard_try(struct daemon *d, int64_t duration_ms, char *msg, size_t len)
{
	struct guard *g = &d->guard;
	char val[32];

	if (g->good_gen == 0) {
		snprintf(msg, len, "no known-good generation to fall back to");
		return -1;
	}
	snprintf(val, sizeof(val), "%lld", (long long)duration_ms);
	if (store_state_set(&d->store, KEY_TRY, val) == -1) {
		snprintf(msg, len, "cannot record it: %s", strerror(errno));
		return -1;
	}
	g->try_ms = duration_ms;
	guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-try", 1, g->good_gen,
	    0, NULL, "the next change is reverted unless a protected user "
	    "logs in after sshd serves it", NULL, NULL);
	snprintf(msg, len, "the next change is reverted unless a protected "
	    "user logs in within %lld s after sshd serves it",
	    (long long)(duration_ms / 1000));
	/* A valid change already waiting for sshd is that next change. */
	return 0;
}

/* See guard_int.h. */
void
guard_confirm_start(struct daemon *d)
{
	struct guard *g = &d->guard;
	char val[DIGEST_HEX_LEN + 64], *p, *dg, *s1, *s2;
	long long served, until, t;

	if (store_state_get(&d->store, KEY_TRY, val, sizeof(val)) == 0 &&
	    parse_ll(val, 1, 86400LL * 1000, &t) == 0)
		g->try_ms = t;
	if (store_state_get(&d->store, KEY_PROV, val, sizeof(val)) != 0)
		return;
	p = val;
	dg = strsep(&p, " ");
	s1 = strsep(&p, " ");
	s2 = strsep(&p, " ");
	if (dg != NULL && digest_is_hex(dg) && s1 != NULL && s2 != NULL &&
	    p == NULL && parse_ll(s1, 1, INT64_MAX, &served) == 0 &&
	    parse_ll(s2, 1, INT64_MAX, &until) == 0) {
		/* guard_look finds the closure valid and served: provisional again. */
		sm_strlcpy(g->prov_digest, dg, sizeof(g->prov_digest));
		g->prov_served_ms = served;
		g->prov_until_ms = until;
		if (g->try_ms == 0 && !d->conf.confirm_login)
			g->try_ms = until > served ? until - served : 1000;
	}
}
