/*
 * Collects what sshmedicd counts into Prometheus families and has a child
 * write them to metrics.textfile: after changes (once a second at most),
 * every metrics.interval_ms, at start and at stop.
 *
 * Counters start at 0 with each daemon (sshmedic_start_time_seconds says
 * when): Prometheus's rate() and increase() take a reset as one, and a
 * count kept across restarts would come from a file the last writes of a
 * killed daemon never reached, going backwards all the same.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* lib/metrics.h (the format) has this directory's header's name. */
#include "../lib/metrics.h"
#include "daemon.h"
#include "guard.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "misc.h"
#include "pwdb.h"
#include "report.h"
#include "store.h"
#include "xmalloc.h"

/* The record of a repair, by op, and the row of LOCKOUTS.md it repairs. */
static const struct {
	const char *op;
	const char *row;
} repair_rows[METRICS_NREPAIRS] = {
	{ "sshmedic-repair-privsep", "S3" },
	{ "sshmedic-hostkey-repair", "S4" },	/* also C6's named keys */
	{ "sshmedic-config-vendor-default", "S5" },
	{ "sshmedic-modes-fix", "U1" },
	{ "sshmedic-keys-restore", "U2" },
	{ "sshmedic-account-unlock", "U3" },
	{ "sshmedic-faillock-reset", "U4" },
	{ "sshmedic-password-set", "U5" },
	{ "sshmedic-shell-set", "U6" },
	{ "sshmedic-breakglass", "U7" },
	{ "sshmedic-pam-restore", "M3" },
};

static const char *pol_results[MPR_NRESULTS] = {
	"ok", "failed", "dry_run", "suppressed",
};

/* The one-word state of the daemon, most urgent first. */
enum summary { SUM_ESCALATING = 0, SUM_PAUSED, SUM_DEGRADED, SUM_OK, SUM_N };
static const char *summary_names[SUM_N] = {
	"escalating", "paused", "degraded", "ok",
};

static enum summary
summary_of(const struct daemon *d)
{
	const struct guard *g = &d->guard;

	if (d->live.step != LADDER_IDLE)
		return SUM_ESCALATING;
	if (g->state == GS_PAUSED)
		return SUM_PAUSED;
	if (g->state == GS_NOBASELINE || g->state == GS_GRACE ||
	    g->state == GS_FIGHT || d->live.pid == 0 ||
	    d->live.canary_failing || (d->conf.log_audit &&
	    !report_audit_active()))
		return SUM_DEGRADED;
	return SUM_OK;
}

/* The newest generation in the store (0: none); may be newer than good_gen. */
static unsigned long
newest_generation(struct daemon *d)
{
	unsigned long *gens = NULL, max = 0;
	size_t n = 0, i;

	if (store_list(&d->store, &gens, &n) == -1)
		return d->guard.good_gen;
	for (i = 0; i < n; i++)
		if (gens[i] > max)
			max = gens[i];
	free(gens);
	return max;
}

static double
secs(int64_t ms)
{
	return (double)ms / 1000.0;
}

/* A family with one labelled sample per value of label, from v[]. */
static void
by_label(struct metrics_buf *b, const char *name, enum metrics_type type,
    const char *help, const char *label, const char *const *values,
    const uint64_t *v, size_t n)
{
	const char *l[3] = { label, NULL, NULL };
	size_t i;

	metrics_family(b, name, type, help);
	for (i = 0; i < n; i++) {
		l[1] = values[i];
		metrics_u64(b, l, v[i]);
	}
}

static void
guard_families(struct daemon *d, struct metrics_buf *b)
{
	const struct guard *g = &d->guard;
	const char *names[GS_NSTATES];
	uint64_t v[GS_NSTATES];
	size_t i;

	metrics_one_u64(b, "sshmedic_rollbacks_total", MT_COUNTER,
	    "Rollbacks of the sshd configuration to a known-good generation.",
	    g->rollbacks);
	metrics_one_u64(b, "sshmedic_promotions_total", MT_COUNTER,
	    "Changes promoted to a new known-good generation.", g->promotions);
	metrics_one_u64(b, "sshmedic_validations_rejected_total", MT_COUNTER,
	    "Changes of the sshd configuration rejected by sshd -t or the "
	    "lockout guard.", g->rejections);
	for (i = 0; i < GS_NSTATES; i++) {
		names[i] = guard_state_name((enum guard_state)i);
		v[i] = g->state == (enum guard_state)i;
	}
	by_label(b, "sshmedic_guard_state", MT_GAUGE, "The config guard's "
	    "state: 1 for the current one.", "state", names, v, GS_NSTATES);
	metrics_one_u64(b, "sshmedic_generation", MT_GAUGE, "The newest "
	    "generation in the store (0: none).", newest_generation(d));
	metrics_one_u64(b, "sshmedic_known_good_generation", MT_GAUGE,
	    "The known-good generation the guard restores (0: none yet).",
	    g->good_gen);
	metrics_one_u64(b, "sshmedic_paused", MT_GAUGE,
	    "1 while sshmedic pause holds the guard.", g->state == GS_PAUSED);
}

static void
live_families(struct daemon *d, struct metrics_buf *b)
{
	const struct live *l = &d->live;
	const char *names[LIVE_NCAUSES], *res[2] = { "success", "failed" };
	uint64_t v[LIVE_NCAUSES], starts[2];
	size_t i;

	for (i = 0; i < LIVE_NCAUSES; i++) {
		names[i] = live_cause_name((enum live_cause)i);
		v[i] = l->down[i];
	}
	by_label(b, "sshmedic_sshd_restarts_total", MT_COUNTER, "Times sshd "
	    "had to be brought back, by what showed it down.", "cause", names,
	    v, LIVE_NCAUSES);
	starts[0] = l->starts >= l->start_failures ?
	    l->starts - l->start_failures : 0;
	starts[1] = l->start_failures;
	by_label(b, "sshmedic_sshd_start_attempts_total", MT_COUNTER,
	    "Starts of sshd by the ladder, by result.", "result", res, starts,
	    2);
	metrics_one_u64(b, "sshmedic_ladder_step", MT_GAUGE, "The escalation "
	    "ladder's step: 0 idle (sshd serves), 1 restart, 2 rollback, "
	    "3 repair, 4 vendor default, 5 failing.", (uint64_t)l->step);
	metrics_one_u64(b, "sshmedic_sshd_up", MT_GAUGE, "1 when sshmedicd "
	    "holds a serving sshd master and no ladder runs.",
	    l->pid != 0 && l->step == LADDER_IDLE);
	metrics_family(b, "sshmedic_sshd_last_probe_success_timestamp_seconds",
	    MT_GAUGE, "When sshd last answered the banner probe (unix time, "
	    "0: not since the start).");
	metrics_double(b, NULL, secs(l->probe_ok_ms));
}

static void
repair_families(struct daemon *d, struct metrics_buf *b)
{
	const char *l[5] = { "check", NULL, "result", NULL, NULL };
	size_t i;
	int ok;

	metrics_family(b, "sshmedic_repairs_total", MT_COUNTER, "Repairs "
	    "recorded, by the LOCKOUTS.md row of their cause and result.");
	for (i = 0; i < METRICS_NREPAIRS; i++) {
		l[1] = repair_rows[i].row;
		for (ok = 1; ok >= 0; ok--) {
			l[3] = ok ? "success" : "failed";
			metrics_u64(b, l, d->metrics.repairs[i][ok]);
		}
	}
}

static void
policy_families(struct daemon *d, struct metrics_buf *b)
{
	const struct metrics *m = &d->metrics;
	const char *l[5] = { "policy", NULL, "result", NULL, NULL };
	size_t i, r;

	metrics_family(b, "sshmedic_policy_actions_total", MT_COUNTER,
	    "Policy actions, by policy and result (dry_run: an action of a "
	    "dry-run policy; suppressed: a firing held back by a cooldown or "
	    "the burst limit).");
	for (i = 0; i <= METRICS_POLICIES; i++) {
		if (i == METRICS_POLICIES ? m->pol[i].name[0] == '\0' :
		    i >= m->npol)
			continue;
		l[1] = m->pol[i].name;
		for (r = 0; r < MPR_NRESULTS; r++) {
			l[3] = pol_results[r];
			metrics_u64(b, l, m->pol[i].n[r]);
		}
	}
}

static void
event_families(struct daemon *d, struct metrics_buf *b)
{
	const struct events *ev = &d->events;
	const char *src[2] = { "pam", "authlog" }, *rej[2] = { "credentials",
	    "format" }, *lost[2] = { "pam_module", "authlog" };
	uint64_t v[2];

	v[0] = ev->seen_fail[EVS_PAM];
	v[1] = ev->seen_fail[EVS_LOG];
	by_label(b, "sshmedic_auth_failures_total", MT_COUNTER, "sshd "
	    "authentication failures counted, by who reported them.", "source",
	    src, v, 2);
	v[0] = ev->seen_ok[EVS_PAM];
	v[1] = ev->seen_ok[EVS_LOG];
	by_label(b, "sshmedic_auth_successes_total", MT_COUNTER, "sshd logins "
	    "(sessions opened) counted, by who reported them.", "source", src,
	    v, 2);
	v[0] = events_lost(ev);
	v[1] = d->authlog.dropped;
	by_label(b, "sshmedic_events_lost_total", MT_COUNTER, "Events lost: "
	    "those the PAM module could not send (paths.run/event.drops, "
	    "also while sshmedicd was down), sshd log lines dropped.",
	    "source", lost, v, 2);
	v[0] = ev->rejected_cred;
	v[1] = ev->rejected_format;
	by_label(b, "sshmedic_events_rejected_total", MT_COUNTER, "PAM event "
	    "datagrams refused, by reason.", "reason", rej, v, 2);
	metrics_family(b, "sshmedic_last_login_success_timestamp_seconds",
	    MT_GAUGE, "When sshd last opened a session (unix time, 0: never).");
	metrics_double(b, NULL, secs(ev->last_ok_ms));
}

static void
daemon_families(struct daemon *d, struct metrics_buf *b)
{
	const char *l[3] = { "state", NULL, NULL };
	const char *v[3] = { "version", PACKAGE_VERSION, NULL };
	enum summary s = summary_of(d);
	uint64_t lookups, lookups_failed;
	int i;

	metrics_family(b, "sshmedic_state", MT_GAUGE, "The daemon's state in "
	    "one word: 1 for the current one (escalating: the ladder brings "
	    "sshd back; degraded: no baseline, a rejected change waiting, a "
	    "fight, sshd not held, the canary failing or audit refused).");
	for (i = 0; i < SUM_N; i++) {
		l[1] = summary_names[i];
		metrics_u64(b, l, s == (enum summary)i);
	}
	metrics_one_u64(b, "sshmedic_audit_write_failures_total", MT_COUNTER,
	    "Audit records that could not be written.", report_lost_audit());
	metrics_one_u64(b, "sshmedic_event_log_write_failures_total",
	    MT_COUNTER, "JSON event log lines that could not be written.",
	    report_lost_json());
	metrics_one_u64(b, "sshmedic_metrics_write_failures_total", MT_COUNTER,
	    "Writes of this file that failed (seen at the next that works).",
	    d->metrics.write_failures);
	pwdb_stats(&lookups, &lookups_failed);
	metrics_one_u64(b, "sshmedic_account_lookups_total", MT_COUNTER,
	    "Account lookups (passwd, group, shadow), each in a child.",
	    lookups);
	metrics_one_u64(b, "sshmedic_account_lookup_failures_total",
	    MT_COUNTER, "Account lookups that got no answer: killed after "
	    "5 s (the NSS backend does not answer), or dead.", lookups_failed);
	metrics_one_u64(b, "sshmedic_audit_up", MT_GAUGE, "1 while audit "
	    "records are written.", report_audit_active());
	metrics_family(b, "sshmedic_start_time_seconds", MT_GAUGE, "When this "
	    "sshmedicd started (unix time); the counters start at 0 then.");
	metrics_double(b, NULL, secs(d->started_ms));
	metrics_family(b, "sshmedic_build_info", MT_GAUGE,
	    "The version of sshmedicd, as a label; always 1.");
	metrics_u64(b, v, 1);
}

/* See metrics.h: 0/-1 (b->err: a bug in a name, or the document too big). */
int
metrics_collect(struct daemon *d, struct metrics_buf *b)
{
	daemon_families(d, b);
	guard_families(d, b);
	live_families(d, b);
	repair_families(d, b);
	policy_families(d, b);
	event_families(d, b);
	return b->err ? -1 : 0;
}

/* --- when to write ----------------------------------------------------- */

static void
arm(struct daemon *d)
{
	struct metrics *m = &d->metrics;
	int64_t when;

	if (m->writer.pid != 0)
		when = monotime_ms() + METRICS_REAP_MS;
	else {
		when = m->last_ms + d->conf.metrics_interval_ms;
		if (m->dirty && m->last_ms + METRICS_MIN_INTERVAL_MS < when)
			when = m->last_ms + METRICS_MIN_INTERVAL_MS;
	}
	/* arm_timer fires a deadline in the past at once. */
	daemon_set_deadline(d, DL_METRICS, when > 0 ? when : 1);
}

struct write_ctx {
	const struct metrics_buf *b;
	const char *path;
	int	 quiet;
};

static int
write_file(void *arg)
{
	struct write_ctx *c = arg;

	if (metrics_write(c->b, c->path) == 0)
		return 0;
	if (!c->quiet)
		error_f("metrics.textfile %s: %s", c->path, strerror(errno));
	return -1;
}

static void
count_result(struct metrics *m, int r)
{
	if (r == 0) {
		if (m->failing)
			logit("metrics.textfile %s written again", m->path);
		m->failing = 0;
		return;
	}
	/* Tried again at the next change or interval, not at once. */
	m->write_failures++;
	m->failing = 1;
}

/* Collects now; a child writes (in_place: this process, at stop). */
static void
write_now(struct daemon *d, int in_place)
{
	struct metrics *m = &d->metrics;
	struct metrics_buf b;
	struct write_ctx c;

	metrics_buf_init(&b);
	m->dirty = 0;
	m->last_ms = monotime_ms();
	c.b = &b;
	c.path = m->path;
	c.quiet = m->failing;
	if (metrics_collect(d, &b) == -1)
		count_result(m, -1);
	else if (in_place || bgwrite_start(d, &m->writer, write_file, &c) == -1)
		count_result(m, write_file(&c));
	metrics_buf_free(&b);
}

/* See metrics.h. */
void
metrics_on_deadline(struct daemon *d)
{
	struct metrics *m = &d->metrics;
	int r, due, had = m->writer.pid != 0;

	if (m->path == NULL)
		return;
	if ((r = bgwrite_reap(&m->writer, 0)) == 1) {
		arm(d);
		return;
	}
	if (had)
		count_result(m, r);
	due = monotime_ms() >= m->last_ms + (m->dirty ?
	    METRICS_MIN_INTERVAL_MS : d->conf.metrics_interval_ms);
	if (due)
		write_now(d, 0);
	arm(d);
}

/* See metrics.h. */
void
metrics_changed(struct daemon *d)
{
	struct metrics *m = &d->metrics;

	if (m->path == NULL || m->dirty)
		return;
	m->dirty = 1;
	if (m->writer.pid == 0)
		arm(d);
}

static void
on_report(const struct report_ev *ev, void *arg)
{
	struct daemon *d = arg;
	size_t i;

	if (ev->op == NULL)
		return;
	for (i = 0; i < METRICS_NREPAIRS; i++) {
		if (strcmp(ev->op, repair_rows[i].op) == 0) {
			d->metrics.repairs[i][ev->success ? 1 : 0]++;
			break;
		}
	}
	metrics_changed(d);
}

/* See metrics.h. */
void
metrics_policy(struct daemon *d, const char *name, enum metrics_pol_result r)
{
	struct metrics *m = &d->metrics;
	struct metrics_pol *p = NULL;
	size_t i;

	if (r >= MPR_NRESULTS || name == NULL)
		return;
	for (i = 0; i < m->npol && p == NULL; i++)
		if (strcmp(m->pol[i].name, name) == 0)
			p = &m->pol[i];
	if (p == NULL && m->npol < METRICS_POLICIES) {
		p = &m->pol[m->npol++];
		sm_strlcpy(p->name, name, sizeof(p->name));
	}
	if (p == NULL) {
		p = &m->pol[METRICS_POLICIES];
		sm_strlcpy(p->name, "other", sizeof(p->name));
	}
	p->n[r]++;
	metrics_changed(d);
}

/* See metrics.h. */
void
metrics_init(struct daemon *d)
{
	struct metrics *m = &d->metrics;
	int n;

	memset(m, 0, sizeof(*m));
	if (d->conf.metrics_textfile[0] == '\0')
		return;
	m->path = xstrdup(d->conf.metrics_textfile);
	if ((n = metrics_sweep(m->path)) > 0)
		logit("removed %d temporary files a killed writer left beside "
		    "%s", n, m->path);
	else if (n == -1)
		error_f("metrics.textfile %s: its directory: %s", m->path,
		    strerror(errno));
	report_set_hook(on_report, d);
	m->dirty = 1;
	daemon_set_deadline(d, DL_METRICS, monotime_ms());
}

/* See metrics.h. */
void
metrics_stop(struct daemon *d)
{
	struct metrics *m = &d->metrics;

	if (m->path == NULL)
		return;
	report_set_hook(NULL, NULL);
	if (bgwrite_reap(&m->writer, 1) == -1)
		count_result(m, -1);
	write_now(d, 1);
	free(m->path);
	m->path = NULL;
}
